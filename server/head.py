"""HEAD answered like GET on every route, without the body.

FastAPI's GET routes answer HEAD with a 405 (only Starlette's plain routes add HEAD by
themselves), so `HEAD /api/models`, `/docs` or `grid.png` failed where the GET works. HTTP asks
that HEAD give GET's status and headers; link checkers and proxies rely on it. For the same
reason a 405's `Allow` that names GET names HEAD too (RFC 9110 10.2.1: the methods supported).
"""

from __future__ import annotations

from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send


class HeadAsGet:
    """Run a HEAD request as a GET and drop the body, keeping its headers (Content-Length too)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] == "GET":  # the hot path: nothing to do
            await self.app(scope, receive, send)
            return
        if scope["method"] != "HEAD":  # a 405 that names GET can only answer another method
            await self.app(scope, receive, _allow_names_head(send))
            return

        async def no_body(message: Message) -> None:
            if message["type"] == "http.response.body":
                message = {**message, "body": b""}
            await send(message)

        await self.app({**scope, "method": "GET"}, receive, no_body)


def _allow_names_head(send: Send) -> Send:
    async def wrapped(message: Message) -> None:
        if message["type"] == "http.response.start" and message["status"] == 405:
            headers = MutableHeaders(scope=message)
            methods = [m.strip() for m in headers.get("allow", "").split(",") if m.strip()]
            if "GET" in methods and "HEAD" not in methods:
                headers["allow"] = ", ".join([*methods, "HEAD"])
        await send(message)

    return wrapped
