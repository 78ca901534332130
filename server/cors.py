"""Starlette's CORS middleware, its refused preflight answered in the API's one error shape: it
was a text/plain 400 "Disallowed CORS origin" (hostile pass 10). Browsers do not read a
preflight's body, but scripts and people testing an origin do, and every other 4xx is JSON."""

from __future__ import annotations

import json

from starlette.datastructures import Headers
from starlette.middleware.cors import CORSMiddleware
from starlette.responses import Response

from .errors import quote
from .settings import ORIGINS_SETTING


class JsonCors(CORSMiddleware):
    def preflight_response(self, request_headers: Headers) -> Response:
        response = super().preflight_response(request_headers)
        if response.status_code != 400:
            return response
        # Starlette's own checks decide, and its text names what failed: "Disallowed CORS
        # origin, method". Each failure becomes one error naming the request header at fault.
        failed = bytes(response.body).decode().removeprefix("Disallowed CORS ").split(", ")
        errors = [self.error(name, request_headers) for name in failed]
        headers = {
            k: v for k, v in response.headers.items() if k not in ("content-type", "content-length")
        }
        body = json.dumps({"detail": errors}, ensure_ascii=False, separators=(",", ":"))
        return Response(body, 400, headers, media_type="application/json")

    def refused_headers(self, request_headers: Headers) -> str:
        """The requested headers Starlette refused (its own test: each item of the list,
        lowercased and stripped, must be allowed), at most three named (hostile pass 11: the
        message named none of 2,000)."""
        asked = request_headers.get("access-control-request-headers", "").lower().split(",")
        refused = [h.strip() for h in asked if h.strip() not in self.allow_headers]
        said = ", ".join(quote(h) if h else "an empty name" for h in refused[:3])
        return said + (f" and {len(refused) - 3} more" if len(refused) > 3 else "")

    def error(self, failed: str, request_headers: Headers) -> dict:
        methods = ", ".join(self.allow_methods)
        allowed_headers = ", ".join(sorted(set(self.allow_headers)))
        named = {
            "origin": f"the origin {quote(request_headers.get('origin', ''))} is not allowed "
            f"(the server's operator lists allowed origins in {ORIGINS_SETTING})",
            "method": f"{quote(request_headers.get('access-control-request-method', ''))} "
            f"is not an allowed method; these are {methods}",
            "headers": f"requested header {self.refused_headers(request_headers)} is not "
            f"allowed; these are {allowed_headers}",
            "private-network": "private network access is not allowed",
        }
        header = "origin" if failed == "origin" else f"access-control-request-{failed}"
        msg = named.get(failed, f"disallowed CORS {failed}")
        return {"loc": ["header", header], "msg": msg, "type": "forbidden"}
