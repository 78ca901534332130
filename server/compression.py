"""gzip for the text the page loads (its HTML, scripts and styles, the model list, the atlas), not
for the images and decoder files: on a link of 200 KB/s the page's 189 KB atlas and 165 KB of
scripts and style took ~1.8 s uncompressed; gzipped they are 66 KB and 64 KB. PNGs and float weights
barely shrink, and decode.png is the hottest route, so only these paths go through the compressor;
the rest pass with one string check.

Placed inside HeadAsGet, so a HEAD answers with the Content-Length of the compressed GET.
Starlette's responder (the model list, /openapi.json, /docs) leaves 206 answers, bodies under
`minimum_size` and answers that already have a Content-Encoding alone, adds `Vary:
Accept-Encoding`, and compresses large bodies in a worker thread. The static files and the atlas
go through KeptGzip, ranged requests included: a 206, 304 or 416 passes as it comes (identity
bytes; a gzip answer offers no ranges), a 200 is served from the kept gzip body.

Every answer on these paths gets a weak ETag and `Vary: Accept-Encoding`, the 304s and identity
bodies too: a strong ETag promises byte-identical bodies, and the gzip and identity bodies of one
file differ; a 304 must carry the validators and Vary its 200 would have (RFC 9110 15.4.5), or a
cache that updates its stored answer from it puts a strong tag back on the gzip body. A weak tag
still gives 304s: the static files' If-None-Match check compares tags without their W/ prefix.
"""

from __future__ import annotations

import gzip
import posixpath
import re
from collections import OrderedDict

import anyio
from starlette.datastructures import Headers, MutableHeaders
from starlette.middleware.gzip import GZipMiddleware
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from .kept_answers import mark_kept

TEXT_PREFIXES = ("/assets/", "/docs-assets/")
TEXT_PATHS = ("/", "/api/models", "/openapi.json", "/docs")
TEXT_SUFFIXES = ("/atlas",)
LEVEL = 6  # zlib's default: within a few percent of 9's size, at about a third of its time
MINIMUM_SIZE = 1024  # smaller bodies go as they are: gzip's header would eat the gain
# The page's files and the docs' bundle gzip to ~0.6 MB, an atlas to ~65 KB (each model keeps 8).
KEPT_GZIP_BYTES = 8 * 1024 * 1024


def compressible(path: str) -> bool:
    return path in TEXT_PATHS or path.startswith(TEXT_PREFIXES) or path.endswith(TEXT_SUFFIXES)


class CompressText:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app
        self.gzip = GZipMiddleware(app, minimum_size=MINIMUM_SIZE, compresslevel=LEVEL)
        self.kept = KeptGzip(app)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not compressible(scope["path"]):
            await self.app(scope, receive, send)
            return
        send = _weak_etag_and_vary(send)
        if not accepts_gzip(Headers(scope=scope).get("accept-encoding", "")):
            await self.app(scope, receive, send)
            return
        # Starlette's responder looks for the substring "gzip" (so "gzip;q=0" and "nogzip" got
        # gzip, and "GZIP" or "*" did not): the header was read above, it is told plainly here.
        headers = [(k, v) for k, v in scope["headers"] if k != b"accept-encoding"]
        headers.append((b"accept-encoding", b"gzip"))
        scope = {**scope, "headers": headers}
        # With a Range too: KeptGzip passes a 206 as it is and serves a 200 from its kept body.
        # Sending ranged requests to Starlette's responder compressed the 1.5 MB bundle afresh
        # whenever the static files ignored the Range (over 100 parts) and answered 200: ~68 ms
        # of CPU a request, a HEAD too (hostile pass 8).
        if kept_gzip(scope["path"]):
            await self.kept(scope, receive, send)
        else:
            await self.gzip(scope, receive, send)


def kept_gzip(path: str) -> bool:
    """The paths whose answers carry an ETag that changes with their bytes: the static files and
    the atlas (its content hash). The model list has none and goes through Starlette's."""
    return path.startswith(TEXT_PREFIXES) or path.endswith(TEXT_SUFFIXES)


def same_file(path: str) -> str:
    """One key for every spelling of a path that the static files serve as the same file
    ("/docs-assets/./x", "//x", "y/../x"): each spelling compressed the 1.5 MB Swagger bundle
    again (41 ms of CPU) and pushed the kept bodies out (hostile pass 6)."""
    return posixpath.normpath(re.sub("/{2,}", "/", path))


class KeptGzip:
    """Gzip bodies compressed once per (path, ETag) and kept (LRU, bounded): through Starlette's
    responder every request compressed the body again, a HEAD too (hostile pass 4: a HEAD of the
    1.5 MB Swagger bundle cost ~59 ms of CPU, ten times its identity; each atlas ~11 ms).
    A request whose body is kept reads it and drops it; only a miss holds a body whole. Any other
    answer (a 206 of a Range, a 304, a 416) passes as it comes, unheld."""

    def __init__(self, app: ASGIApp, max_bytes: int = KEPT_GZIP_BYTES) -> None:
        self.app = app
        self.max_bytes = max_bytes
        self.kept: OrderedDict[tuple[str, str], bytes] = OrderedDict()
        self.size = 0
        # Keys being compressed now, each by the first request that missed it: the others wait
        # for its result and hold no body. Each compressed its own copy: 300 requests (HEADs
        # too) for a cold 1.9 MB source map took the server from 555 MB to 1.59 GB and cost 34 times
        # the CPU of a kept body (hostile pass 15), and any file could be made cold again by
        # ~150 atlas views pushing it out.
        self.making: dict[tuple[str, str], anyio.Event] = {}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        start: Message | None = None
        key: tuple[str, str] | None = None
        packed: bytes | None = None  # taken when the answer starts: an eviction meanwhile is moot
        chunks: list[bytes] = []
        passing = False  # an answer not to compress (a 206, a 304) goes on as it comes
        made: anyio.Event | None = None  # another request's compression of this key, awaited
        mine: anyio.Event | None = None  # this request's own, when it is the first to miss

        async def hold(message: Message) -> None:
            nonlocal start, key, packed, passing, made, mine
            if passing:
                await send(message)
            elif message["type"] == "http.response.start":
                start = message
                headers = Headers(raw=message["headers"])
                etag = headers.get("etag")
                if message["status"] == 200 and etag and "content-encoding" not in headers:
                    key = (same_file(scope["path"]), etag)
                    packed = self.kept.get(key)
                    if packed is None:
                        made = self.making.get(key)
                        if made is None:
                            mine = self.making[key] = anyio.Event()
                else:  # a range of the whole bundle is not held in memory
                    passing = True
                    await send(message)
            elif message["type"] == "http.response.body" and packed is None and made is None:
                chunks.append(message.get("body", b""))

        # A server that can send a file by its path would bypass `hold`: the file is read here.
        extensions = {
            k: v for k, v in scope.get("extensions", {}).items() if k != "http.response.pathsend"
        }
        try:
            await self.app({**scope, "extensions": extensions}, receive, hold)
            if passing:
                return
            assert start is not None
            if made is not None:
                await made.wait()
                packed = self.kept.get(key) if key else None
                if packed is None:  # not kept (too small, too large, or pushed out): as it is
                    await self.app({**scope, "extensions": extensions}, receive, send)
                    return
            body = b"".join(chunks)
            chunks.clear()
            if packed is None and key and len(body) >= MINIMUM_SIZE:
                packed = await anyio.to_thread.run_sync(_gzip, body)
                self._keep(key, packed)
        finally:
            if mine is not None:
                mine.set()
                del self.making[key]  # type: ignore[arg-type]
        if packed is None:
            await send(start)
            await send({"type": "http.response.body", "body": body})
            return
        if key in self.kept:
            self.kept.move_to_end(key)
            mark_kept(scope)
        headers = MutableHeaders(scope=start)
        headers["content-encoding"] = "gzip"
        headers["content-length"] = str(len(packed))
        await send(start)
        await send({"type": "http.response.body", "body": packed})

    def _keep(self, key: tuple[str, str], packed: bytes) -> None:
        if len(packed) > self.max_bytes or key in self.kept:  # two first requests at once
            return
        self.kept[key] = packed
        self.size += len(packed)
        while self.size > self.max_bytes:
            _, dropped = self.kept.popitem(last=False)
            self.size -= len(dropped)


def _gzip(body: bytes) -> bytes:
    return gzip.compress(body, compresslevel=LEVEL, mtime=0)  # mtime 0: the same bytes each time


MAX_CODINGS = 32


def accepts_gzip(accept_encoding: str) -> bool:
    """Whether an Accept-Encoding header allows gzip (RFC 9110 12.5.3): named with q > 0, or not
    named and "*" with q > 0. Names are case-insensitive; a q that is not a number counts as 0."""
    named: dict[str, float] = {}
    # The first items only: browsers send under 10, and 8,500 of them (a 109 KB header) cost
    # ~10 ms of the event loop per request to walk (hostile pass 14).
    for item in accept_encoding.split(",", MAX_CODINGS)[:MAX_CODINGS]:
        name, *params = (part.strip() for part in item.split(";"))
        q = 1.0
        for param in params:
            key, _, value = param.partition("=")
            if key.strip().lower() == "q":
                try:
                    q = float(value)
                except ValueError:
                    q = 0.0
                q = q if 0.0 <= q <= 1.0 else 0.0  # also NaN
        if name:
            named.setdefault(name.lower(), q)
    return named.get("gzip", named.get("*", 0.0)) > 0.0


def _weak_etag_and_vary(send: Send) -> Send:
    async def wrapped(message: Message) -> None:
        if message["type"] == "http.response.start":
            headers = MutableHeaders(scope=message)
            etag = headers.get("etag")
            if etag and not etag.startswith("W/"):
                headers["etag"] = "W/" + etag
            if "accept-encoding" not in headers.get("vary", "").lower():
                headers.add_vary_header("Accept-Encoding")
            # Ranges are served of the identity bytes only: a gzip body that offered them
            # invited a resume whose 206 (identity) a client would join to gzip bytes (review).
            if headers.get("content-encoding") == "gzip" and "accept-ranges" in headers:
                del headers["accept-ranges"]
        await send(message)

    return wrapped
