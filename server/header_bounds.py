"""Headers and queries that something parses whole on the event loop, bounded before it does
(hostile pass 17): no queue or turn protects anyone from work done on the loop itself.

- A multipart Content-Type is parsed twice by python-multipart (once by Starlette's form reader,
  once by its parser), one Python step per ';': a 60 KB type of ';' cost ~100 ms of the loop and
  one sent in one write 0.3-0.4 s, and one client so held everyone's /api/health at 160-554 ms.
  A browser's is ~70 bytes (a boundary is at most 70 characters, RFC 2046): over MAX_CONTENT_TYPE
  bytes it is a 431 naming the header.
- FastAPI reads every request's cookies on its routes, whatever they declare: a 60 KB Cookie
  cost ~12 ms. No route reads a cookie and the page sets none: the header is dropped.
- A query past the page's MAX_SCANNED bytes (page.py reads only that much for its model) was
  still parsed whole for / and /docs (30,000 fields: ~25 ms): cut there, at a '&'. The page's
  script reads its own address in the browser, whole. An /api/ query is left whole: past 100
  fields it is a 422 (query_once.py), and a long z is refused from its count of commas with
  the count named (an escaped one is parsed twice, ~8 ms per 60 KB, as much as a decode).
- Past MAX_HEADER_LINES header lines the request is a 431: 38,000 one-byte headers were copied
  by every layer's Headers (a browser sends ~20; a proxy adds a few).
"""

from __future__ import annotations

from starlette.types import ASGIApp, Receive, Scope, Send

from .errors import send_error
from .page import MAX_SCANNED

MAX_CONTENT_TYPE = 1024
MAX_HEADER_LINES = 100


def cut_query(query: bytes, limit: int = MAX_SCANNED) -> bytes:
    """The query's parameters that fit whole in its first `limit` bytes."""
    if len(query) <= limit:
        return query
    head = query[: limit + 1]  # a '&' just past the limit still ends the last whole one
    return head[: max(head.rfind(b"&"), 0)]


class BoundHeaders:
    def __init__(self, app: ASGIApp, api_prefix: str = "/api/") -> None:
        self.app, self.api_prefix = app, api_prefix

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers, query = scope["headers"], scope.get("query_string", b"")
        if len(headers) > MAX_HEADER_LINES:
            msg = f"the request has {len(headers)} header lines; at most {MAX_HEADER_LINES}"
            await send_error(send, 431, ["header"], msg, "too_large")
            return
        cookie = False
        for name, value in headers:  # one pass over the headers, on every request
            if name == b"content-type" and len(value) > MAX_CONTENT_TYPE:
                msg = (
                    f"the Content-Type is {len(value)} bytes; at most {MAX_CONTENT_TYPE} (an "
                    "upload's needs only multipart/form-data and its boundary)"
                )
                await send_error(send, 431, ["header", "content-type"], msg, "too_large")
                return
            cookie = cookie or name == b"cookie"
        changed = {}
        if cookie:
            changed["headers"] = [(k, v) for k, v in headers if k != b"cookie"]
        if not scope["path"].startswith(self.api_prefix) and len(query) > MAX_SCANNED:
            changed["query_string"] = cut_query(query)
        await self.app({**scope, **changed} if changed else scope, receive, send)
