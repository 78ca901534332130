"""A small LRU of rendered bytes, shared by the routes that keep what they render."""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Hashable
from threading import Lock


class LruCache:
    """At most `size` items, the least recently used dropped first; safe across threads."""

    def __init__(self, size: int) -> None:
        self.size, self.items, self.lock = size, OrderedDict(), Lock()

    def get(self, key: Hashable) -> bytes | None:
        with self.lock:
            value = self.items.get(key)
            if value is not None:
                self.items.move_to_end(key)
            return value

    def put(self, key: Hashable, value: bytes) -> None:
        with self.lock:
            self.items[key] = value
            self.items.move_to_end(key)
            if len(self.items) > self.size:
                self.items.popitem(last=False)

    def __len__(self) -> int:
        return len(self.items)
