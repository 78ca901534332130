"""A POST through an ASGI app, from a chosen client address, whose body may stall: the body
budget's tests (test_hostile15.py, test_hostile16.py) each wrote this receive/send pair."""

from __future__ import annotations

import anyio
from starlette.types import ASGIApp, Receive


async def post_through(
    app: ASGIApp, host: str, receive: Receive, headers: list[tuple[bytes, bytes]]
) -> list[dict]:
    """POST from `host` through `app`, its body what `receive` gives: the messages sent back."""
    sent: list[dict] = []

    async def send(message: dict) -> None:
        sent.append(message)

    scope = {"type": "http", "method": "POST", "path": "/", "client": (host, 5000)}
    await app({**scope, "headers": headers}, receive, send)
    return sent


async def post_body(app: ASGIApp, host: str, size: int, stall: bool) -> list[dict]:
    """POST `size` bytes from `host` through `app`, declaring one byte more when `stall` (that
    byte never comes: the body stalls until the app gives up on it). The messages it sent back."""
    parts = [{"type": "http.request", "body": b"x" * size, "more_body": stall}]

    async def receive() -> dict:
        if parts:
            return parts.pop(0)
        await anyio.sleep(3600)  # a stalled body: nothing more, ever
        return {"type": "http.disconnect"}

    length = str(size + (1 if stall else 0)).encode()
    return await post_through(app, host, receive, [(b"content-length", length)])
