"""HEAD answered like GET on every route, without the body.

FastAPI's GET routes answer HEAD with a 405 (only Starlette's plain routes add HEAD by
themselves), so `HEAD /api/models`, `/docs` or `grid.png` failed where the GET works. HTTP asks
that HEAD give GET's status and headers; link checkers and proxies rely on it.
"""

from __future__ import annotations

from starlette.types import ASGIApp, Message, Receive, Scope, Send


class HeadAsGet:
    """Run a HEAD request as a GET and drop the body, keeping its headers (Content-Length too)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] != "HEAD":
            await self.app(scope, receive, send)
            return

        async def no_body(message: Message) -> None:
            if message["type"] == "http.response.body":
                message = {**message, "body": b""}
            await send(message)

        await self.app({**scope, "method": "GET"}, receive, no_body)
