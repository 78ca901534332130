"""One value per query parameter: ?z=0,0&z=3,3 is a 422, not whichever value a route reads; and
a parameter that is a route's own but for its case, a `[]` or `[0]` after it, or an `=` inside
it (Plane=dims, dims[0]=3, plane%3Ddims) is a 422 naming it, not ignored as an unknown name is.

Starlette's QueryParams and FastAPI's scalar parameters keep the last of repeated values, so the
first was dropped without a word, and a cache or proxy keyed on the first saw another request.
No route takes a list in its query string.
"""

from __future__ import annotations

import re
from urllib.parse import parse_qsl

from starlette.types import ASGIApp, Receive, Scope, Send

from .errors import QUOTE_CHARS, quote
from .security import refuse

MAX_FIELDS = 100  # the widest route reads 6; parse_qsl stops counting here
BRACKETS = re.compile(r"\[[^\]]*\]$")


def route_parameters(openapi: dict) -> list[tuple[re.Pattern[str], set[str]]]:
    """Each route's path as a pattern, with the query parameters it reads (from its OpenAPI)."""
    routes = []
    for path, operations in openapi.get("paths", {}).items():
        names = {
            p["name"]
            for op in operations.values()
            if isinstance(op, dict)
            for p in op.get("parameters", [])
            if p.get("in") == "query"
        }
        pattern = re.escape(path).replace(r"\{", "{").replace(r"\}", "}")
        routes.append((re.compile(re.sub(r"\{[^}]+\}", "[^/]+", pattern) + "$"), names))
    return routes


# Names this short are too near each other (z, v, n) and to a cache-buster's "_" to read a
# one-letter slip in them as meant.
MIN_SLIP_LENGTH = 3


def one_slip(a: str, b: str) -> bool:
    """Whether `a` is `b` with one letter added, dropped, changed or two swapped."""
    if a == b or abs(len(a) - len(b)) > 1:
        return False
    if len(a) == len(b):
        wrong = [k for k in range(len(a)) if a[k] != b[k]]
        return len(wrong) == 1 or (
            len(wrong) == 2
            and wrong[1] == wrong[0] + 1
            and a[wrong[0]] == b[wrong[1]]
            and a[wrong[1]] == b[wrong[0]]
        )
    short, long = sorted((a, b), key=len)
    return any(long[:k] + long[k + 1 :] == short for k in range(len(long)))


def meant(name: str, names: set[str]) -> str | None:
    """The route's parameter `name` looks like, where it is not one itself: case, brackets
    (qs's and jQuery's list forms), a %-encoded '=' inside the name, or one letter's slip in a
    name of three or more (dim, lable, scales: ignored, they showed the default without a word;
    hostile pass 16). Other unknown names (utm_source, a cache-buster) are left alone."""
    if name in names:
        return None
    base = BRACKETS.sub("", name.split("=", 1)[0]).lower()
    if base in names:
        return base
    if len(base) < MIN_SLIP_LENGTH:
        return None
    near = sorted(n for n in names if len(n) >= MIN_SLIP_LENGTH and one_slip(base, n))
    return near[0] if len(near) == 1 else None


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
        self.routes: list[tuple[re.Pattern[str], set[str]]] | None = None  # read on first use

    def parameters_of(self, scope: Scope) -> set[str]:
        """The query parameters of the route `scope` asks for (none known: an empty set)."""
        if self.routes is None:
            self.routes = route_parameters(scope["app"].openapi())
        path = scope["path"]
        return next((names for pattern, names in self.routes if pattern.match(path)), set())

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
            own = self.parameters_of(scope)
            for name in names:
                if (base := meant(name, own)) is not None:
                    lists = " (a list is one value: dims=3,5)" if "[" in name else ""
                    msg = (
                        f"{quote(name)} is not a parameter of this route; it reads "
                        f"{', '.join(sorted(own))}: did you mean {base}?{lists}"
                    )
                    await refuse(send, 422, ["query", name[:QUOTE_CHARS]], msg, "value_error")
                    return
                if name in seen:
                    shown = name if len(name) <= QUOTE_CHARS else quote(name)  # cut, as all echoes
                    # "?=&=": the message began with a space and named nothing (hostile pass 10)
                    shown = shown or "a parameter with an empty name"
                    msg = f"{shown} is given more than once"
                    await refuse(send, 422, ["query", name[:QUOTE_CHARS]], msg, "value_error")
                    return
                seen.add(name)
        await self.app(scope, receive, send)
