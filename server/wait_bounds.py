"""Fair queues: renders (grids, cold atlases, large batches, completions: the heavy queue),
uploads and written numbers wait here for their few workers, served in turns by client address,
and bounded (the uploads and numbers queues were first come, first served until hostile pass 15).

FIFO, one client holding 64 grid requests open made every other client's grid and atlas wait
6-7 s (up to its 1,000 connections, ~90 s), with no word to back off; a bound of 4 places per
address refused the page's own newest atlas while requests it had given up on kept their places,
and every visitor behind one proxy shared the 4 (hostile pass 14, review 17). In turns, a client
waits about one render per other client with work queued, however much each has queued; an
address's own requests keep their order (a page's stale ones go first, and are dropped at their
turn if their client has gone). Past `per_client` waiting from one address, or `total` in all
when the newcomer's address holds no fewer than the largest holder, the answer is a 503 with
Retry-After; when the total is full, the address holding the most places gives up its newest."""

from __future__ import annotations

import ipaddress
from collections import deque
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from types import SimpleNamespace

import anyio

from .errors import Busy


def client_key(host: str | None) -> str:
    """Whose turn a request waits in: its address, an IPv6 one by its /64 (one host's share).
    An IPv4 client of a dual-stack socket (::ffff:a.b.c.d) is its IPv4 address: as IPv6, every
    IPv4 client was one "::/64" and shared one share (hostile pass 15). A host that is not an
    address (a proxy's header, when trusted, may say anything) shares the one key "": else each
    made-up name was a new address with its own turn."""
    if not host:
        return ""
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return ""
    if address.version == 6 and address.ipv4_mapped is not None:
        return str(address.ipv4_mapped)
    if address.version == 6:
        return str(ipaddress.ip_network(f"{address}/64", strict=False))
    return str(address)


@dataclass(eq=False)
class _Waiter:
    event: anyio.Event = field(default_factory=anyio.Event)
    granted: bool = False  # a worker's token was passed to it
    refused: bool = False  # it gave up its place to a newcomer (the total was full)


class FairQueue:
    """`tokens` workers; `doing` names their work in a refusal ("rendering")."""

    def __init__(self, tokens: int, total: int, per_client: int, doing: str = "rendering") -> None:
        self.tokens, self.total, self.per_client = tokens, total, per_client
        self.doing = doing
        self.busy = 0  # tokens held
        self.queues: dict[str, deque[_Waiter]] = {}  # in the order of the round
        self.waiting = 0

    def statistics(self) -> SimpleNamespace:
        """As anyio's CapacityLimiter names them."""
        return SimpleNamespace(tasks_waiting=self.waiting, borrowed_tokens=self.busy)

    @property
    def borrowed_tokens(self) -> int:
        return self.busy

    @asynccontextmanager
    async def slot(self, client: str) -> AsyncIterator[None]:
        """A worker for `client`'s request, held for the block; Busy if it may not wait."""
        if self.busy < self.tokens and not self.waiting:
            self.busy += 1
        else:
            waiter = self._enqueue(client)
            try:
                await waiter.event.wait()
            except BaseException:
                if waiter.granted:
                    self._release()
                else:
                    self._remove(client, waiter)
                raise
            if waiter.refused:
                # Not the total alone: its place went to a newcomer (hostile pass 15).
                msg = f"its place went to a request from another address; {self.waiting} wait"
                raise self._busy(msg)
        try:
            yield
        finally:
            self._release()

    def _enqueue(self, client: str) -> _Waiter:
        mine = len(self.queues.get(client, ()))
        if mine >= self.per_client:
            raise self._busy(f"{mine} requests from this address already wait")
        if self.waiting >= self.total:
            most = max(self.queues, key=lambda c: len(self.queues[c]))
            if len(self.queues[most]) <= mine + 1:
                raise self._busy(f"{self.waiting} requests wait")
            evicted = self.queues[most].pop()  # its newest: the address keeps its turn
            self.waiting -= 1
            evicted.refused = True
            evicted.event.set()
        waiter = _Waiter()
        self.queues.setdefault(client, deque()).append(waiter)
        self.waiting += 1
        return waiter

    def _busy(self, why: str) -> Busy:
        return Busy(f"busy {self.doing} ({why})")

    def _release(self) -> None:
        """The token passes to the next address in the round, or back to the pool."""
        if not self.queues:
            self.busy -= 1
            return
        client = next(iter(self.queues))
        queue = self.queues.pop(client)
        waiter = queue.popleft()
        self.waiting -= 1
        if queue:
            self.queues[client] = queue  # to the round's end
        waiter.granted = True
        waiter.event.set()

    def _remove(self, client: str, waiter: _Waiter) -> None:
        queue = self.queues.get(client)
        if queue is not None and waiter in queue:
            queue.remove(waiter)
            self.waiting -= 1
            if not queue:
                del self.queues[client]
