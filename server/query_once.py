"""One value per query parameter: ?z=0,0&z=3,3 is a 422, not whichever value a route reads.

Starlette's QueryParams and FastAPI's scalar parameters keep the last of repeated values, so the
first was dropped without a word, and a cache or proxy keyed on the first saw another request.
No route takes a list in its query string.
"""

from __future__ import annotations

from urllib.parse import parse_qsl

from starlette.types import ASGIApp, Receive, Scope, Send

from .errors import QUOTE_CHARS, quote
from .security import refuse

MAX_FIELDS = 100  # the widest route reads 6; parse_qsl stops counting here


class SingleQueryValues:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        query = scope.get("query_string", b"") if scope["type"] == "http" else b""
        if query:
            try:
                pairs = parse_qsl(
                    query.decode("latin-1"), keep_blank_values=True, max_num_fields=MAX_FIELDS
                )
            except ValueError:
                await refuse(send, 422, ["query"], "too many query parameters", "value_error")
                return
            seen: set[str] = set()
            for name, _ in pairs:
                if name in seen:  # echoed cut short, as every error quotes its input
                    shown = name if len(name) <= QUOTE_CHARS else quote(name)
                    msg = f"{shown} is given more than once"
                    await refuse(send, 422, ["query", name[:QUOTE_CHARS]], msg, "value_error")
                    return
                seen.add(name)
        await self.app(scope, receive, send)
