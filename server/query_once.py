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


def query_names(query: str) -> list[str]:
    """The parameter names of a query string, as parse_qsl reads them (ValueError past
    MAX_FIELDS). Without %-escapes or '+' a name is the text before its '=': split, at a third
    of parse_qsl's cost, on the path every decode.png takes."""
    if "%" in query or "+" in query or query.count("&") >= MAX_FIELDS:
        pairs = parse_qsl(query, keep_blank_values=True, max_num_fields=MAX_FIELDS)
        return [name for name, _ in pairs]
    return [part.split("=", 1)[0] for part in query.split("&") if part]


class SingleQueryValues:
    """For the API only: the page's address is read by the page, which says what it takes from a
    link (a messenger's repeated utm_source made the shared page a raw JSON 422; page pass 9)."""

    def __init__(self, app: ASGIApp, prefix: str = "/api/") -> None:
        self.app, self.prefix = app, prefix

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        api = scope["type"] == "http" and scope["path"].startswith(self.prefix)
        query = scope.get("query_string", b"") if api else b""
        if query:
            try:
                names = query_names(query.decode("latin-1"))
            except ValueError:
                await refuse(send, 422, ["query"], "too many query parameters", "value_error")
                return
            seen: set[str] = set()
            for name in names:
                if name in seen:
                    shown = name if len(name) <= QUOTE_CHARS else quote(name)  # cut, as all echoes
                    # "?=&=": the message began with a space and named nothing (hostile pass 10)
                    shown = shown or "a parameter with an empty name"
                    msg = f"{shown} is given more than once"
                    await refuse(send, 422, ["query", name[:QUOTE_CHARS]], msg, "value_error")
                    return
                seen.add(name)
        await self.app(scope, receive, send)
