"""Answers with an ETag that a client can revalidate: 304 when its copy is current.

Used by the bodies the server builds once and keeps (a decoder file, a rendered atlas): the tag is
their content hash, so a revalidation costs a string compare and sends no body.
"""

from __future__ import annotations

import hashlib

from fastapi import Request, Response


def content_tag(body: bytes) -> str:
    """A strong ETag from the bytes themselves: the same body, the same tag, across restarts."""
    return f'"{hashlib.sha256(body).hexdigest()[:32]}"'


# The tags of If-None-Match read: a browser sends the one it has. All 15,000 of a header were
# split and stripped per request, ~3.6 ms each on a decoder file (hostile pass 16); one past
# these is answered whole, as a client that has none of them is.
MAX_TAGS = 32


def matches(if_none_match: str, etag: str) -> bool:
    """If-None-Match's weak comparison (RFC 9110 section 13.1.2): W/"x" matches "x", * any;
    among its first MAX_TAGS tags."""
    tags = [t.strip() for t in if_none_match.split(",", MAX_TAGS)[:MAX_TAGS]]
    return "*" in tags or etag.removeprefix("W/") in [t.removeprefix("W/") for t in tags]


def conditional(
    request: Request, body: bytes, etag: str, media_type: str, headers: dict[str, str]
) -> Response:
    """The body with its tag, or a bodiless 304 with the same headers when the client has it."""
    headers = {"ETag": etag, **headers}
    if matches(request.headers.get("if-none-match", ""), etag):
        return Response(status_code=304, headers=headers)
    return Response(body, media_type=media_type, headers=headers)
