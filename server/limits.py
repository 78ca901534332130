"""A pure ASGI middleware that reads every request body before the app does, within limits:
413 for bodies over the size limit (declared or streamed), 408 for bodies that take too long,
503 when the bodies being received at once would hold more than a memory budget, 501 for a
transfer coding other than chunked."""

from __future__ import annotations

from collections.abc import Sequence

import anyio
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from .errors import send_error
from .wait_bounds import client_key

BODY_TIMEOUT = 30.0  # seconds from the end of the headers to the end of the body (4 MiB: 140 KB/s)
BUDGET_BODIES = 16  # bodies of the maximum size held at once, across all connections
# The share of that budget one client address may hold: 16 connections from one address that
# sent 4 MiB less a byte and stalled held all of it, and every other client's POST was a 503 for
# the 30 s each took to time out, again and again (hostile pass 15).
ADDRESS_SHARE = 4
# A declared body over the limit is read and dropped, up to this size and time, before the 413:
# a client that sends the whole body before reading (Python's urllib) otherwise met a reset
# (the server closed with unread bytes) instead of the answer. Dropped bytes hold no memory.
DRAIN_BYTES = 64 * 1024 * 1024
DRAIN_SECONDS = 5.0
# A body refused part-way (503, 408) is drained only while it keeps coming, and only up to the
# size limit it would have had: a client that stalled has no unread bytes to reset the
# connection with, and a chunked stream with no end was read for the whole DRAIN_SECONDS, 1.5 GB
# at loopback speed, a core's worth, while the budget was full (review of hostile pass 10's fix).
DRAIN_IDLE_SECONDS = 0.5
BODILESS = ("GET", "HEAD")  # methods whose body has no meaning here (RFC 9110 9.3.1)


class _Arriving:
    """A body being read: its bytes held, and the scope that stops its reading when another
    address needs the room (BodySizeLimit._make_room)."""

    __slots__ = ("client", "held", "evicted", "scope")

    def __init__(self, client: str, scope: anyio.CancelScope) -> None:
        self.client, self.held, self.evicted, self.scope = client, 0, False, scope


async def _answer(
    send: Send, status: int, kind: str, msg: str, extra: Sequence[tuple[bytes, bytes]] = ()
) -> None:
    # Connection: close, as the rest of the body, if any, is not read.
    await send_error(send, status, ["body"], msg, kind, [(b"connection", b"close"), *extra])


async def drain(receive: Receive, idle: float | None = None, max_bytes: int = DRAIN_BYTES) -> None:
    """Read and drop a body, for at most DRAIN_SECONDS and `max_bytes`, or until nothing
    arrives for `idle` seconds."""
    dropped = 0
    with anyio.move_on_after(DRAIN_SECONDS):
        while dropped <= max_bytes:
            with anyio.move_on_after(idle if idle is not None else DRAIN_SECONDS) as wait:
                message = await receive()
            if wait.cancelled_caught:
                return
            if message["type"] != "http.request" or not message.get("more_body", False):
                return
            dropped += len(message.get("body", b""))


class BodySizeLimit:
    """A declared Content-Length over the limit is refused unread. Any other body is read here
    and replayed to the app: counting a chunked body inside the app let FastAPI's body parser
    turn the overflow into a 400, and a client that sent 4 MiB less one byte and then waited
    was held forever (40 such connections: +160 MB; a thousand would hold 4 GB). Here the body
    must arrive within `timeout` seconds, and all bodies being read or handled at once stay
    under `budget` bytes."""

    def __init__(
        self,
        app: ASGIApp,
        max_bytes: int,
        timeout: float = BODY_TIMEOUT,
        budget: int | None = None,
    ) -> None:
        self.app, self.max_bytes, self.timeout = app, max_bytes, timeout
        self.budget = budget if budget is not None else BUDGET_BODIES * max_bytes
        self.share = max(self.budget // ADDRESS_SHARE, max_bytes)  # one whole body always fits
        self.held = 0  # body bytes received and not yet released, all requests together
        self.held_by: dict[str, int] = {}  # the same, by client address (wait_bounds.client_key)
        self.arriving: list[_Arriving] = []  # bodies being read, oldest first

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = dict(scope["headers"])
        length = headers.get(b"content-length")
        # A client that sent "Expect: 100-continue" waits for the answer before the body: reading
        # would tell the server to send "100 Continue", inviting a body it refuses (413, 415).
        expects = headers.get(b"expect", b"").lower() == b"100-continue"
        if length is not None and (not length.isdigit() or int(length) > self.max_bytes):
            if length.isdigit() and int(length) <= DRAIN_BYTES and not expects:
                await drain(receive)
            await self._too_large(send)
            return
        # Every Transfer-Encoding line and its non-empty items (RFC 9110 5.6.1: `, chunked` is
        # chunked). Only chunked alone is read, before the app runs: httptools refuses any other
        # framing (identity, gzip, a header of empty items) after the app has started, and the
        # route met a disconnect and logged a traceback each time (hostile passes 8 and 9).
        # RFC 9112 6.1: an unknown coding is a 501; any coding in HTTP/1.0 is faulty framing.
        lines = [v for k, v in scope["headers"] if k == b"transfer-encoding"]
        transfer = [c for v in lines for c in (i.strip().lower() for i in v.split(b",")) if c]
        if lines and scope.get("http_version") == "1.0":
            # RFC 9112 6.1: an HTTP/1.0 message with Transfer-Encoding has faulty framing.
            msg = "Transfer-Encoding is not part of HTTP/1.0: send Content-Length"
            await _answer(send, 400, "invalid_http", msg)
            return
        if lines and transfer != [b"chunked"]:
            named = b", ".join(transfer).decode("latin-1")[:40]
            msg = f"Transfer-Encoding {named!r} is not accepted: send Content-Length or chunked"
            await _answer(send, 501, "unsupported_encoding", msg)
            return
        chunked = bool(transfer)
        if not chunked and (length is None or int(length) == 0):
            await self.app(scope, receive, send)  # no body to hold
            return
        if scope["method"] in BODILESS:
            # Left unread: no GET route reads a body, and one read here was held against the
            # budget while its request waited for a heavy slot (20 clients' 4 MiB GETs of
            # grid.png made 31 of 37 small POSTs a 503; hostile pass 12). The server's flow
            # control stops reading a body nobody asks for; a GET of a POST route is still 405.
            await self.app(scope, receive, send)
            return
        # Every Content-Encoding line and list item, not the dict's last: "gzip" then "identity"
        # was read as identity (hostile pass 6).
        codings = [
            c.strip().lower()
            for k, v in scope["headers"]
            if k == b"content-encoding"
            for c in v.split(b",")
        ]
        coding = next((c for c in codings if c not in (b"identity", b"")), b"identity")
        if coding != b"identity":  # RFC 9110 15.5.16: a coding we do not decode is a 415
            if length is not None and int(length) <= DRAIN_BYTES and not expects:
                await drain(receive)
            named = coding.decode("latin-1")[:40]
            msg = f"a body is read as sent: Content-Encoding {named!r} is not accepted"
            await _answer(send, 415, "unsupported_encoding", msg)
            return
        chunks: list[bytes] = []
        client = client_key(scope["client"][0] if scope.get("client") else None)
        body = _Arriving(client, anyio.move_on_after(self.timeout))
        read = 0
        try:
            refused, ended = "", False
            self.arriving.append(body)
            with body.scope:
                while True:
                    message = await receive()
                    if message["type"] != "http.request":  # the client went away
                        return
                    if body.evicted:  # its chunk had come before the cancel could (review 19)
                        refused = "evicted"
                        break
                    chunk = message.get("body", b"")
                    read += len(chunk)
                    self._hold(body, len(chunk))
                    if read > self.max_bytes:
                        refused = "too_large"
                        break
                    ended = not message.get("more_body", False)
                    if self.held_by[client] > self.share:
                        refused = "address_busy"
                        break
                    if self.held > self.budget and not self._make_room(body):
                        refused = "busy"
                        break
                    chunks.append(chunk)
                    if ended:
                        break
            self.arriving.remove(body)
            if body.evicted:  # whatever the loop saw after: its room is another's now
                refused = "evicted"
            elif body.scope.cancelled_caught:
                refused = "timeout"
            if refused:
                # Released before any drain: dropped bytes hold no memory.
                self._release(body)
                chunks.clear()
                await self._refuse(refused, ended, self.max_bytes - read, receive, send)
                return
            replayed = False

            async def replay() -> Message:
                nonlocal replayed
                if not replayed:
                    replayed = True
                    body = b"".join(chunks)
                    chunks.clear()
                    return {"type": "http.request", "body": body, "more_body": False}
                return await receive()  # after the body: wait for the disconnect like the server

            await self.app(scope, replay, send)
        finally:
            if body in self.arriving:  # the client went away, or this task was cancelled
                self.arriving.remove(body)
            self._release(body)

    def _hold(self, body: _Arriving, size: int) -> None:
        body.held += size
        self.held += size
        self.held_by[body.client] = self.held_by.get(body.client, 0) + size

    def _release(self, body: _Arriving) -> None:
        self.held -= body.held
        left = self.held_by.get(body.client, 0) - body.held
        body.held = 0
        if left > 0:
            self.held_by[body.client] = left
        else:
            self.held_by.pop(body.client, None)

    def _make_room(self, body: _Arriving) -> bool:
        """The budget is over with `body`'s newest chunk: stop the newest bodies still arriving
        from the address that holds the most, while it holds more than `body`'s address, until
        the rest fit (as FairQueue evicts). By each address's share alone, four addresses'
        stalled bodies held the whole budget, and every other client's POST was a 503 (hostile
        pass 16: four loopback addresses, or four X-Forwarded-For names from one)."""
        # Planned before any is stopped: none is stopped for a newcomer refused anyway (review 19).
        held_by, over = dict(self.held_by), self.held - self.budget
        mine = held_by.get(body.client, 0)
        chosen: list[_Arriving] = []
        while over > 0:
            # The newest body (the list is oldest first) of the address holding the most.
            order = enumerate(self.arriving)
            candidates = [
                (held_by.get(b.client, 0), k, b)
                for k, b in order
                if b is not body and not b.evicted and b.held and b not in chosen
            ]
            if not candidates:
                return False
            most, _, victim = max(candidates, key=lambda c: (c[0], c[1]))
            if most <= mine:
                return False
            chosen.append(victim)
            held_by[victim.client] = most - victim.held
            over -= victim.held
        for victim in chosen:
            victim.evicted = True
            self._release(victim)  # its count; its chunks go, answered, when its task runs
            victim.scope.cancel()
        return True

    async def _refuse(self, why: str, ended: bool, left: int, receive: Receive, send: Send) -> None:
        """A body refused part-way. A 503 or 408 first reads and drops the rest of the body
        while it keeps coming, up to the `left` bytes the size limit still allowed, as a
        declared 413 does: answered with it unread, the connection closed on unread bytes and a
        client still sending met a reset instead of the answer (hostile pass 10). After the
        last chunk (`ended`) there is nothing to drain (receive() would wait for a disconnect).
        A stream past the size limit may have no end: answered at once."""
        if why == "too_large":
            await self._too_large(send)
            return
        if not ended:
            await drain(receive, idle=DRAIN_IDLE_SECONDS, max_bytes=left)
        if why == "busy":
            msg = "the server is receiving too many bodies at once; retry shortly"
            await _answer(send, 503, "busy", msg, [(b"retry-after", b"5")])
        elif why == "address_busy":
            share = f"{self.share / 2**20:g} MiB" if self.share >= 2**20 else f"{self.share} bytes"
            # "This address is sending" blamed a client for bodies a forged X-Forwarded-For
            # put under its name (hostile pass 16): the key is what the server knows.
            msg = f"bodies from this client address hold over {share} at once; retry once answered"
            await _answer(send, 503, "busy", msg, [(b"retry-after", b"5")])
        elif why == "evicted":
            msg = "the server needed this body's room for another address's; retry shortly"
            await _answer(send, 503, "busy", msg, [(b"retry-after", b"5")])
        else:
            msg = f"the body did not arrive within {self.timeout:g} s"
            await _answer(send, 408, "timeout", msg)

    async def _too_large(self, send: Send) -> None:
        msg = f"body is over the limit of {self.max_bytes} bytes"
        await _answer(send, 413, "too_large", msg)
