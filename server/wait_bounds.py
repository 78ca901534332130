"""How many requests may wait for a capacity limiter: in all, and from one client address.

The heavy limiter's work comes from GETs, which no body budget bounds. Unbounded, one client
holding 64 grid requests open made every other client's grid and atlas wait 6-7 s (up to its
1,000 connections, ~90 s), with no word to back off; bounded in all only, the same client kept
the queue full and every other client got the 503 (hostile pass 14). So one address may hold a
few places, and past either bound the answer is a 503 with Retry-After."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from anyio import CapacityLimiter

from .errors import Busy


class WaitBounds:
    def __init__(self, total: int, per_client: int) -> None:
        self.total, self.per_client = total, per_client
        self.held: dict[str, int] = {}  # client address -> its requests waiting or running

    @contextmanager
    def place(self, limiter: CapacityLimiter, client: str) -> Iterator[None]:
        """A place in the queue for `client`'s request, held until it is done; Busy if none."""
        waiting = limiter.statistics().tasks_waiting
        if waiting >= self.total:
            raise Busy(f"{waiting} requests wait for it")
        mine = self.held.get(client, 0)
        if mine >= self.per_client:
            raise Busy(f"{mine} of this client's requests are already waiting or rendering")
        self.held[client] = mine + 1
        try:
            yield
        finally:
            left = self.held[client] - 1
            if left:
                self.held[client] = left
            else:
                del self.held[client]
