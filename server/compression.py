"""gzip for the text the page loads (its HTML, scripts and styles, the model list, the atlas), not
for the images and decoder files: on a link of 200 KB/s the page's 189 KB atlas and 165 KB of
scripts and style took ~1.8 s uncompressed; gzipped they are 66 KB and 64 KB. PNGs and float weights
barely shrink, and decode.png is the hottest route, so only these paths go through the compressor;
the rest pass with one string check.

Placed inside HeadAsGet, so a HEAD answers with the Content-Length of the compressed GET.
Starlette's responder leaves 206 answers, bodies under `minimum_size` and answers that already have
a Content-Encoding alone, adds `Vary: Accept-Encoding`, and compresses large bodies in a worker
thread.

A compressed answer's ETag is made weak (as nginx does): a strong ETag promises byte-identical
bodies, and the gzip and identity bodies of one file differ. A weak tag still gives 304s, since the
static files' If-None-Match check compares tags without their W/ prefix.
"""

from __future__ import annotations

from starlette.datastructures import MutableHeaders
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
        if scope["type"] == "http" and compressible(scope["path"]):
            await self.gzip(scope, receive, _weak_etag_when_gzipped(send))
        else:
            await self.app(scope, receive, send)


def _weak_etag_when_gzipped(send: Send) -> Send:
    async def wrapped(message: Message) -> None:
        if message["type"] == "http.response.start":
            headers = MutableHeaders(scope=message)
            etag = headers.get("etag")
            if etag and not etag.startswith("W/") and headers.get("content-encoding") == "gzip":
                headers["etag"] = "W/" + etag
        await send(message)

    return wrapped
