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


class Workers:
    """The workers of several queues together. Each queue served addresses in turns, but one
    address could hold workers in every queue at once: with ~18 connections one client ran a
    grid, two uploads and four answers of numbers, and another address's grid took 1.33 s
    against 6 ms, its upload 1.33 s against 10 ms (hostile pass 17, M2). While any other
    address has work running or waiting in any of them, an address may hold at most `share`
    running; alone, it may use every idle worker."""

    def __init__(self, share: int) -> None:
        self.share = share
        self.running: dict[str, int] = {}
        self.members: list[FairQueue] = []

    def may_run(self, client: str) -> bool:
        if self.running.get(client, 0) < self.share:
            return True
        return not any(c != client for c in self.running) and not any(
            c != client for q in self.members for c in q.queues
        )

    def started(self, client: str) -> None:
        self.running[client] = self.running.get(client, 0) + 1

    def ended(self, client: str) -> None:
        left = self.running[client] - 1
        if left:
            self.running[client] = left
        else:
            del self.running[client]
        self.wake()

    def wake(self) -> None:
        """Idle workers to the addresses that may run now (an address's share may have freed)."""
        for queue in self.members:
            queue.dispatch()


class FairQueue:
    """`tokens` workers; `doing` names their work in a refusal ("rendering"); `workers`, the
    share across queues (one of its own, with no cap, when not given)."""

    def __init__(
        self,
        tokens: int,
        total: int,
        per_client: int,
        doing: str = "rendering",
        workers: Workers | None = None,
    ) -> None:
        self.tokens, self.total, self.per_client = tokens, total, per_client
        self.doing = doing
        self.busy = 0  # tokens held
        self.queues: dict[str, deque[_Waiter]] = {}  # in the order of the round
        self.waiting = 0
        self.workers = workers if workers is not None else Workers(share=tokens)
        self.workers.members.append(self)

    def statistics(self) -> SimpleNamespace:
        """As anyio's CapacityLimiter names them."""
        return SimpleNamespace(tasks_waiting=self.waiting, borrowed_tokens=self.busy)

    @property
    def borrowed_tokens(self) -> int:
        return self.busy

    @asynccontextmanager
    async def slot(self, client: str) -> AsyncIterator[None]:
        """A worker for `client`'s request, held for the block; Busy if it may not wait."""
        if self.busy < self.tokens and not self.waiting and self.workers.may_run(client):
            self.busy += 1
            self.workers.started(client)
        else:
            waiter = self._enqueue(client)
            self.dispatch()  # a worker may be idle, held back only from other addresses
            try:
                await waiter.event.wait()
            except BaseException:
                if waiter.granted:
                    self._release(client)
                else:
                    self._remove(client, waiter)
                    self.workers.wake()  # one address fewer waiting: others may run more
                raise
            if waiter.refused:
                # Not the total alone: its place went to a newcomer (hostile pass 15).
                msg = f"its place went to a request from another address; {self.waiting} wait"
                raise self._busy(msg)
        try:
            yield
        finally:
            self._release(client)

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

    def _release(self, client: str) -> None:
        """The worker goes back; idle workers pass to the next addresses in the round."""
        self.busy -= 1
        self.workers.ended(client)

    def dispatch(self) -> None:
        """Idle workers to the first addresses in the round that may run (Workers.may_run),
        each to the end of the round after its turn."""
        while self.busy < self.tokens:
            client = next((c for c in self.queues if self.workers.may_run(c)), None)
            if client is None:
                return
            queue = self.queues.pop(client)
            waiter = queue.popleft()
            self.waiting -= 1
            if queue:
                self.queues[client] = queue  # to the round's end
            self.busy += 1
            self.workers.started(client)
            waiter.granted = True
            waiter.event.set()

    def _remove(self, client: str, waiter: _Waiter) -> None:
        queue = self.queues.get(client)
        if queue is not None and waiter in queue:
            queue.remove(waiter)
            self.waiting -= 1
            if not queue:
                del self.queues[client]
