"""uvicorn's HTTP protocol with a deadline and a size limit for request headers, and the API's
one error shape for requests too broken to reach the app.

uvicorn times out idle keep-alive connections but not a client that opens a connection and
sends its headers a byte at a time (slowloris): 200 such clients were held for as long as they
liked. Here every request's headers must be complete within HEADER_TIMEOUT seconds of its
first byte (or of the connection opening), else the connection is closed.

httptools has no limit on the size of the request line and headers: one 300 MB header line,
sent in 1.4 s on loopback, was held whole (+275 MB RSS), and a thousand such connections would
hold gigabytes. Past MAX_HEADER_BYTES the request is refused with a 431 and the connection closed.

uvicorn writes a whole response into the transport's buffer and has no deadline for the client
to read it: 24 connections that asked for 8 MB of logits and never read held +194 MB for as long
as they stayed open. Here a response the client has not read any of for WRITE_STALL seconds is
dropped, and the responses waiting for slow readers together hold at most PAUSED_BUDGET bytes
(past it, the connection whose client would take longest to read the rest, at the rate it has
read since it paused, is dropped, the longest waiting first among equals; one paused under
PAUSE_GRACE seconds is taken to read at least FRESH_RATE: a client holding connections that never
read, or that trickle, cannot make every healthy one that pauses for a moment be refused, nor, by
opening new ones, have an old download that reads on dropped as the oldest; hostile passes 16
and 17, review 19). An answer whose body the server keeps anyway (a decoder file, a kept gzip
body: kept_answers.py) is held by reference under uvloop, not copied: there it is not counted,
nor dropped for room, only for stalling. Both can be set from the environment
(LATENT_EXPLORER_WRITE_STALL_S, LATENT_EXPLORER_PAUSED_BUDGET_MB): the protocol is made by
uvicorn, outside the app and its Settings.

httptools parses a whole read (up to 256 KB) at once, and uvicorn queues every request it finds
behind the one being answered: 225 KB of pipelined 45-byte requests from a client that never
reads queued ~5,000 of them: +11.7 MB a connection, 50 such connections stalled /api/health
for up to 7.8 s (hostile pass 6; README). Browsers do not pipeline; past MAX_PIPELINED queued
requests the connection is dropped, the rest of the read unparsed.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import socket

from uvicorn.protocols.http.httptools_impl import STATUS_LINE, HttpToolsProtocol

from .errors import error_bytes
from .kept_answers import is_kept, sent_by_reference

HEADER_TIMEOUT = 10.0  # seconds; a real browser sends its headers in one packet
MAX_HEADER_BYTES = 64 * 1024  # request line + headers; browsers send a few KB, nginx allows 32 KB
# A phone on a bad network still reads something every few seconds.
WRITE_STALL = float(os.environ.get("LATENT_EXPLORER_WRITE_STALL_S", "30"))
PAUSED_BUDGET = int(float(os.environ.get("LATENT_EXPLORER_PAUSED_BUDGET_MB", "256")) * 2**20)
MAX_PIPELINED = 16  # requests queued behind the one being answered, on one connection
# A connection paused this recently has had no time to show how fast its client reads: it is
# taken to read at least FRESH_RATE bytes a second meanwhile, 2 Mbit/s. At a broadband
# client's 1 MB/s, connections opened and closed again before they were 2 s old always looked
# faster than a client that had read on for seconds at a few hundred KB/s, which went first
# (hostile pass 17: never-read connections churned every 1.9 s cut a 200 KB/s download at
# 870 KB). Lower, a fresh answer went before connections that had read ~100 KB/s on average
# (tests/test_hostile16.py). The page's large answers are kept bytes, under uvloop not in it.
PAUSE_GRACE = 2.0
FRESH_RATE = 256 * 1024
# The kernel's send buffer of each connection, fixed (Linux doubles it for its bookkeeping): left
# to grow, it took up to ~1.9 MB of an unread 1.5 MB answer each, outside any budget of ours
# (500 such connections: ~950 MB of kernel memory, near the host's TCP memory pressure, hostile
# pass 15); what does not fit waits in the transport, under PAUSED_BUDGET and WRITE_STALL. 256 KB
# in flight still moves ~2.5 MB/s over a 100 ms round trip. The kernel caps it at its
# net.core.wmem_max (often 208 KB).
SEND_BUFFER = int(float(os.environ.get("LATENT_EXPLORER_SEND_BUFFER_KB", "256")) * 1024)
# Connections whose transport paused writing (the client reads slower than we write): one set
# per server process, as the budget is.
_paused: set[HeaderTimeoutProtocol] = set()


class PipelineFull(Exception):
    """Raised from a parser callback to stop httptools in the middle of a read."""


def error_response(status: int, loc: list, msg: str, kind: str) -> bytes:
    """A whole HTTP response in the API's error shape, closing the connection."""
    body = error_bytes(loc, msg, kind)
    head = (
        b"content-type: application/json\r\n"
        b"content-length: " + str(len(body)).encode() + b"\r\n"
        b"connection: close\r\n\r\n"
    )
    return STATUS_LINE[status] + head + body


UPGRADE_REFUSED = (
    "this server does not switch protocols, and a request asking to (Connection: upgrade) loses "
    "its body here: send it without the Upgrade (curl: --http1.1)"
)


async def refuse_upgrade(scope: dict, receive: object, send) -> None:  # noqa: ANN001
    """The answer to a request an upgrade would leave without its body (see _refuse_upgrade)."""
    body = error_bytes(["header", "upgrade"], UPGRADE_REFUSED, "value_error")
    headers = [
        (b"content-type", b"application/json"),
        (b"content-length", str(len(body)).encode()),
        (b"connection", b"close"),
    ]
    await send({"type": "http.response.start", "status": 400, "headers": headers})
    await send({"type": "http.response.body", "body": body})


class HeaderTimeoutProtocol(HttpToolsProtocol):
    header_timeout = HEADER_TIMEOUT
    max_header_bytes = MAX_HEADER_BYTES
    _header_timer: asyncio.TimerHandle | None = None
    _header_bytes = 0  # bytes received while the current request's headers are incomplete
    _began = False  # a request began inside the chunk being parsed

    def _arm(self) -> None:
        self._disarm()
        self._header_timer = self.loop.call_later(self.header_timeout, self._expire)

    def _disarm(self) -> None:
        if self._header_timer is not None:
            self._header_timer.cancel()
            self._header_timer = None

    def _expire(self) -> None:
        self._header_timer = None
        if not self.transport.is_closing():
            self.transport.close()

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        sock = transport.get_extra_info("socket")
        if sock is not None and sock.family in (socket.AF_INET, socket.AF_INET6):
            with contextlib.suppress(OSError):
                sock.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, SEND_BUFFER)
        self._arm()

    _pipeline_full = False
    _running = None  # the request cycle whose answer is being written

    def on_message_begin(self) -> None:
        if len(self.pipeline) >= MAX_PIPELINED:
            # uvicorn catches this as a parser error and calls send_400_response (below).
            self._pipeline_full = True
            raise PipelineFull
        super().on_message_begin()
        self._arm()
        self._header_bytes, self._began = 0, True
        self._refused_upgrade = False

    _refused_upgrade = False  # the current request was answered at its headers (below)

    def _upgrade_would_drop_body(self) -> bool:
        """A request asking to upgrade to something not served, with a body: the parser stops
        at its headers, and the app read an empty body (`curl --http2` on http://: a 422
        "Field required" for a body that was sent; hostile pass 14)."""
        if not self.parser.should_upgrade() or self._should_upgrade():
            return False
        sized = (v.strip() != b"0" for n, v in self.headers if n == b"content-length")
        return any(n == b"transfer-encoding" for n, _ in self.headers) or any(sized)

    def _refuse_upgrade(self) -> None:
        """Answer a request whose body an upgrade would drop with a 400, in its turn: a cycle
        of its own, run after any answer still being written (written at once, it came before
        a pipelined request's answer, and a client read it as that one's; review 17). Its body
        is never read: the parser stops at the headers, and the answer closes the connection."""
        self._refused_upgrade = True
        app = self.app
        self.app = refuse_upgrade
        try:
            super().on_headers_complete()
        finally:
            self.app = app

    def on_body(self, body: bytes) -> None:
        if not self._refused_upgrade:
            super().on_body(body)

    def on_message_complete(self) -> None:
        if not self._refused_upgrade:
            super().on_message_complete()

    def data_received(self, data: bytes) -> None:
        # Counted after parsing, while the headers are still incomplete (the timer is armed).
        # The chunk a request begins in is not counted (its headers' share of it is unknown),
        # so a connection holds at most the limit plus one read (256 KB) of headers.
        self._began = False
        super().data_received(data)
        if self._header_timer is None or self._began or self.transport.is_closing():
            return
        self._header_bytes += len(data)
        if self._header_bytes > self.max_header_bytes:
            self._disarm()
            msg = f"request line and headers are over {self.max_header_bytes} bytes"
            self.transport.write(error_response(431, ["header"], msg, "too_large"))
            self.transport.close()

    def send_400_response(self, msg: str) -> None:
        """Requests the parser refuses (bad Content-Length, bad chunking, bad request line):
        uvicorn's plain-text 400, in the API's JSON shape instead."""
        if self._pipeline_full:  # an answer may be half written: nothing can follow it
            self.logger.warning("dropped a connection: over %d requests pipelined", MAX_PIPELINED)
            self.transport.abort()
            return
        self.transport.write(error_response(400, ["request"], msg, "invalid_http"))
        self.transport.close()

    def on_headers_complete(self) -> None:
        self._disarm()
        if self._upgrade_would_drop_body():
            self._refuse_upgrade()
        else:
            super().on_headers_complete()
        # Started now, unless queued behind an answer being written (then started below). Read
        # from what every uvicorn since 0.30 does here, not from a private method of one version.
        if self.cycle is not None and not any(c is self.cycle for c, _ in self.pipeline):
            self._running = self.cycle

    def on_response_complete(self) -> None:
        upcoming = self.pipeline[-1][0] if self.pipeline else None  # the one uvicorn pops next
        super().on_response_complete()
        if upcoming is not None and not any(c is upcoming for c, _ in self.pipeline):
            self._running = upcoming

    # -- slow readers ------------------------------------------------------------------------
    _stall_timer: asyncio.TimerHandle | None = None
    _paused_at = 0.0
    _paused_size = 0  # the buffer when it paused: uvicorn writes no more until it resumes

    def pause_writing(self) -> None:
        # asyncio calls this after buffering: the buffer's size includes the new answer.
        super().pause_writing()
        self._paused_at = self.loop.time()
        self._paused_size = self.transport.get_write_buffer_size()
        self._watch(self._paused_size)
        cycle = self._running or self.cycle
        if cycle is not None and is_kept(cycle.scope) and sent_by_reference(self.loop):
            return  # bytes the server keeps anyway (kept_answers.py): not in the budget
        _paused.add(self)
        while sum(p.transport.get_write_buffer_size() for p in _paused) > PAUSED_BUDGET:
            slowest = max(_paused, key=self._time_to_drain)
            slowest._unwatch()
            slowest.transport.abort()  # its buffer is freed now, not when the client reads

    def _time_to_drain(self, p: HeaderTimeoutProtocol) -> tuple[float, float]:
        """The seconds its client would take to read the rest at the rate it has read since it
        paused (forever for none; at least FRESH_RATE in its first PAUSE_GRACE seconds), then how
        long it has waited: the largest is dropped. By the longest paused alone, a phone
        downloading a decoder file was dropped whenever one client kept opening connections it
        never read (hostile pass 16: at 30 a second, every download over ~5 s); by the rate
        alone, one just paused had read nothing yet and went first, under two connections that
        trickled (review 19)."""
        waited = self.loop.time() - p._paused_at
        left = p.transport.get_write_buffer_size()
        rate = (p._paused_size - left) / waited if waited > 0 else 0.0
        if waited < PAUSE_GRACE:
            rate = max(rate, FRESH_RATE)
        return left / rate if rate > 0 else float("inf"), waited

    def _watch(self, size: int) -> None:
        self._stall_timer = self.loop.call_later(WRITE_STALL, self._stalled, size)

    def _stalled(self, size: int) -> None:
        """No byte of the buffer read in WRITE_STALL seconds: drop the connection."""
        self._stall_timer = None
        now = self.transport.get_write_buffer_size()
        if now >= size:
            self.transport.abort()
        else:
            self._watch(now)

    def _unwatch(self) -> None:
        _paused.discard(self)
        if self._stall_timer is not None:
            self._stall_timer.cancel()
            self._stall_timer = None

    def resume_writing(self) -> None:
        self._unwatch()
        super().resume_writing()

    def connection_lost(self, exc: Exception | None) -> None:
        self._disarm()
        self._unwatch()
        # uvicorn marks only the newest parsed request as disconnected; with requests pipelined
        # behind it, the one being answered wrote on into a closed transport (two tracebacks
        # per dropped connection; hostile pass 6).
        running = self._running
        if running is not None and not running.response_complete:
            running.disconnected = True
            running.message_event.set()
        super().connection_lost(exc)
