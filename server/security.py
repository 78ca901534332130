"""Security middleware: response headers, trusted Host names, and no cross-site POSTs.

Pure ASGI (no BaseHTTPMiddleware): they only look at headers, and every request passes them.
"""

from __future__ import annotations

import base64
import hashlib
import ipaddress
import re

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from .errors import quote, send_error
from .settings import ORIGINS_SETTING

# The page loads its own scripts, styles and images; decoded digits arrive as data: URLs and
# drawings may become blob: URLs; the in-browser decoder fetches weights from us and may run
# in a Web Worker. Nothing from another origin; nothing inline but index.html's own scripts, by
# their hashes (page_csp).
PAGE_CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data: blob:; "
    "connect-src 'self'; worker-src 'self' blob:; object-src 'none'; base-uri 'none'; "
    "form-action 'self'; frame-ancestors 'none'"
)
INLINE_SCRIPT = re.compile(r"<script>(.*?)</script>", re.S)


def page_csp(index_html: str) -> str:
    """PAGE_CSP allowing the page's own inline scripts by their SHA-256 (CSP level 2), and nothing
    else inline: the one that folds the intro before the first paint needs no request."""
    hashes = [
        f"'sha256-{base64.b64encode(hashlib.sha256(s.encode()).digest()).decode()}'"
        for s in INLINE_SCRIPT.findall(index_html)
    ]
    return PAGE_CSP.replace("script-src 'self'", " ".join(["script-src 'self'", *hashes]))


# Swagger UI's page (FastAPI's template) starts the UI with one inline script.
DOCS_CSP = PAGE_CSP.replace("script-src 'self'", "script-src 'self' 'unsafe-inline'").replace(
    "style-src 'self'", "style-src 'self' 'unsafe-inline'"
)
COMMON = [
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"no-referrer"),
    (b"x-frame-options", b"DENY"),
]
UNSAFE_METHODS = {"POST", "PUT", "PATCH", "DELETE"}


async def refuse(send: Send, status: int, loc: list, msg: str, kind: str = "forbidden") -> None:
    await send_error(send, status, loc, msg, kind)


class NoWebSockets:
    """The API has no WebSocket endpoint: an upgrade gets a JSON 404 (through the ASGI denial
    response where the server offers it, as uvicorn does) before anything else looks at it.
    Starlette answered an empty 403, and a Host refusal written as an HTTP answer on a
    websocket scope was a 500 with a traceback (hostile pass 6)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "websocket":
            await self.app(scope, receive, send)
            return
        if "websocket.http.response" not in scope.get("extensions", {}):
            await send({"type": "websocket.close", "code": 1008})  # the server answers 403
            return
        msg = "this server has no WebSocket endpoints"
        await send_error(send, 404, ["path"], msg, "not_found", COMMON, "websocket.http")


class SecurityHeaders:
    """nosniff, no referrer, no framing on every response; a strict CSP on all but /docs."""

    def __init__(self, app: ASGIApp, docs_path: str = "/docs", page: str = PAGE_CSP) -> None:
        self.app, self.docs_path, self.page = app, docs_path, page

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        csp = DOCS_CSP if scope["path"] == self.docs_path else self.page

        async def with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = [
                    *message.get("headers", []),
                    *COMMON,
                    (b"content-security-policy", csp.encode()),
                ]
            await send(message)

        await self.app(scope, receive, with_headers)


def single(scope: Scope, name: bytes) -> bytes | None:
    """The one value of header `name` ("" if absent), or None if it appears more than once.
    dict(scope["headers"]) keeps the last of repeated headers while Starlette builds URLs
    (redirects' Location) from the first: a check of one and a use of the other."""
    values = [v for k, v in scope["headers"] if k == name]
    return None if len(values) > 1 else (values[0] if values else b"")


# RFC 9110's Host: a name or IPv4 address, or an IPv6 address in brackets, then an optional port.
HOST = re.compile(r"(?:\[(?P<ip6>[0-9a-f:.]+)\]|(?P<name>[a-z0-9._-]*))(?::(?P<port>[0-9]{0,5}))?")


def host_name(host: str) -> str | None:
    """'127.0.0.1:8000' -> '127.0.0.1', '[::1]:8000' -> '::1'; None for what is no Host at all
    ('127.0.0.1:1@evil.com' once passed as 127.0.0.1: the text before its last colon)."""
    m = HOST.fullmatch(host)
    if m is None or (m["port"] and int(m["port"]) > 65535):
        return None
    if m["ip6"] is not None:
        try:
            ipaddress.IPv6Address(m["ip6"])
        except ValueError:  # "[:]"
            return None
    return m["ip6"] or m["name"]


class TrustedHosts:
    """Only these Host names get an answer (DNS rebinding: a hostile page whose name resolves to
    127.0.0.1 sends its own name as Host). Starlette's TrustedHostMiddleware does the same check
    but answers in plain text; this one answers in the API's one error shape."""

    def __init__(self, app: ASGIApp, hosts: tuple[str, ...]) -> None:
        self.app, self.hosts, self.any = app, {h.lower() for h in hosts}, "*" in hosts

    def allowed(self, name: str) -> bool:
        if self.any or name in self.hosts:
            return True
        return any(h.startswith("*.") and name.endswith(h[1:]) for h in self.hosts)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":  # websockets are all refused, first (NoWebSockets)
            raw = single(scope, b"host")
            if raw is None:  # RFC 9112 section 3.2: a 400, whatever the names
                await refuse(send, 400, ["header", "host"], "more than one Host header")
                return
            if not raw and not self.any:  # HTTP/1.0 may leave it out; this server needs it
                await refuse(send, 400, ["header", "host"], "the request has no Host header")
                return
            name = host_name(raw.decode("latin-1").lower())
            if name is None:
                await refuse(send, 400, ["header", "host"], "the Host header is malformed")
                return
            if not self.any and not self.allowed(name):
                await refuse(send, 400, ["header", "host"], "this Host is not served here")
                return
        await self.app(scope, receive, send)


class SameOriginPosts:
    """A cross-site "simple" POST (a form posting multipart to /encode) needs no CORS preflight,
    so CORS alone does not stop it: refuse unsafe methods whose Origin is neither ours nor an
    allowed CORS origin. Clients that send no Origin (curl, scripts) are not browsers' victims."""

    def __init__(self, app: ASGIApp, allowed_origins: tuple[str, ...]) -> None:
        self.app, self.allowed = app, set(allowed_origins)
        # "*" allows every origin, as the CORS middleware reads it (review 15: its preflight
        # passed, then the POST was refused, told to list the origin in the setting it was in).
        self.any_origin = "*" in self.allowed

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        raw_origin, raw_host = single(scope, b"origin"), single(scope, b"host")
        if raw_origin is None or raw_host is None:  # a browser sends one of each, never two
            name = "Origin" if raw_origin is None else "Host"
            await refuse(send, 400, ["header", name.lower()], f"more than one {name} header")
            return
        if single(scope, b"content-type") is None:  # the first was read, the rest ignored
            msg = "more than one Content-Type header"  # (hostile pass 13)
            await refuse(send, 400, ["header", "content-type"], msg)
            return
        if scope["method"] in UNSAFE_METHODS:
            origin, host = raw_origin.decode("latin-1"), raw_host.decode("latin-1")
            own = {f"http://{host}", f"https://{host}"}
            if origin and origin not in own and origin not in self.allowed and not self.any_origin:
                msg = (
                    f"cross-origin {scope['method']} from {quote(origin)} refused: only this "
                    f"server's own pages and the origins in {ORIGINS_SETTING} may send one"
                )
                await refuse(send, 403, ["header", "origin"], msg)
                return
        await self.app(scope, receive, send)
