"""A small LRU of rendered bytes, shared by the routes that keep what they render."""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Hashable
from threading import Lock


class LruCache:
    """At most `size` items and, if `max_bytes` is given, that many bytes of values, the least
    recently used dropped first; safe across threads."""

    def __init__(self, size: int, max_bytes: int | None = None) -> None:
        self.size, self.max_bytes, self.items, self.lock = size, max_bytes, OrderedDict(), Lock()
        self.nbytes = 0  # of the values held

    def get(self, key: Hashable) -> bytes | None:
        with self.lock:
            value = self.items.get(key)
            if value is not None:
                self.items.move_to_end(key)
            return value

    def put(self, key: Hashable, value: bytes) -> None:
        with self.lock:
            old = self.items.pop(key, None)
            if old is not None:
                self.nbytes -= len(old)
            if self.max_bytes is not None and len(value) > self.max_bytes:
                return  # would push out everything else
            self.items[key] = value
            self.nbytes += len(value)
            while len(self.items) > self.size or (
                self.max_bytes is not None and self.nbytes > self.max_bytes
            ):
                _, dropped = self.items.popitem(last=False)
                self.nbytes -= len(dropped)

    def __len__(self) -> int:
        return len(self.items)
