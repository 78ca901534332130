"""gzip for the text the page loads (its HTML, scripts and styles, the model list, the atlas), not
for the images and decoder files: on a link of 200 KB/s the page's 189 KB atlas and 165 KB of
scripts and style took ~1.8 s uncompressed; gzipped they are 66 KB and 64 KB. PNGs and float weights
barely shrink, and decode.png is the hottest route, so only these paths go through the compressor;
the rest pass with one string check.

Placed inside HeadAsGet, so a HEAD answers with the Content-Length of the compressed GET.
Starlette's responder leaves 206 answers, bodies under `minimum_size` and answers that already have
a Content-Encoding alone, adds `Vary: Accept-Encoding`, and compresses large bodies in a worker
thread.

Every answer on these paths gets a weak ETag and `Vary: Accept-Encoding`, the 304s and identity
bodies too: a strong ETag promises byte-identical bodies, and the gzip and identity bodies of one
file differ; a 304 must carry the validators and Vary its 200 would have (RFC 9110 15.4.5), or a
cache that updates its stored answer from it puts a strong tag back on the gzip body. A weak tag
still gives 304s: the static files' If-None-Match check compares tags without their W/ prefix.
"""

from __future__ import annotations

from starlette.datastructures import Headers, MutableHeaders
from starlette.middleware.gzip import GZipMiddleware
from starlette.types import ASGIApp, Message, Receive, Scope, Send

TEXT_PREFIXES = ("/assets/", "/docs-assets/")
TEXT_PATHS = ("/", "/api/models", "/openapi.json", "/docs")
TEXT_SUFFIXES = ("/atlas",)
LEVEL = 6  # zlib's default: within a few percent of 9's size, at about a third of its time


def compressible(path: str) -> bool:
    return path in TEXT_PATHS or path.startswith(TEXT_PREFIXES) or path.endswith(TEXT_SUFFIXES)


class CompressText:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app
        self.gzip = GZipMiddleware(app, minimum_size=1024, compresslevel=LEVEL)

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
        await self.gzip({**scope, "headers": headers}, receive, send)


def accepts_gzip(accept_encoding: str) -> bool:
    """Whether an Accept-Encoding header allows gzip (RFC 9110 12.5.3): named with q > 0, or not
    named and "*" with q > 0. Names are case-insensitive; a q that is not a number counts as 0."""
    named: dict[str, float] = {}
    for item in accept_encoding.split(","):
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
        await send(message)

    return wrapped
