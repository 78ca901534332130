"""A Range header that is not a valid bytes range is ignored, as RFC 9110 (section 14.2) asks:
Starlette's file responses answered "bytes=a-b" and "bytes=5-1" (a last byte before the first)
with a plain-text 400, outside the API's one error shape, for a header the server may always
ignore. Valid ranges reach them unchanged. An If-None-Match goes on with its first MAX_TAGS tags
only (conditional.py), to the static files' own comparison too."""

from __future__ import annotations

import re

from starlette.types import ASGIApp, Receive, Scope, Send

from .conditional import MAX_TAGS

SPEC = r"\s*(?:[0-9]+-[0-9]*|-[0-9]+)\s*"
VALID = re.compile(rf"bytes={SPEC}(?:,{SPEC})*", re.I | re.ASCII)
FIRST_LAST = re.compile(r"([0-9]+)-([0-9]+)", re.ASCII)


NUMBER = re.compile(r"[0-9]+", re.ASCII)
# No file has a byte past 10^18; int() refuses over 4,300 digits (`bytes=1-<5000 digits>` was a
# 500 here, and Starlette's plain-text 400 before: review), so longer numbers make no range.
MAX_DIGITS = 18
# Starlette serves the whole file for more ranges than this (FileResponse.max_ranges), and a
# header longer than this many of the longest tidy ranges is no browser's: either is dropped
# before any pattern reads it. Every request's header was read by three patterns, on the event
# loop, whatever the route: a 60 KB Range cost 9-10 ms of CPU, and four clients sending it pushed
# another's /api/health p50 from ~1 ms to 38-69 ms (hostile pass 16, and its rerun here).
MAX_RANGES = 100
MAX_RANGE_BYTES = MAX_RANGES * (2 * MAX_DIGITS + 4)


def valid(value: str) -> bool:
    """A bytes range RFC 9110 allows, with positions of at most MAX_DIGITS digits: the syntax,
    and no "first-last" with last < first; and at most MAX_RANGES ranges in MAX_RANGE_BYTES."""
    if len(value) > MAX_RANGE_BYTES or value.count(",") >= MAX_RANGES:
        return False
    if not VALID.fullmatch(value) or any(len(n) > MAX_DIGITS for n in NUMBER.findall(value)):
        return False
    return all(int(a) <= int(b) for a, b in FIRST_LAST.findall(value))


class BoundRangeAndTags:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            headers = scope["headers"]
            if any(k == b"range" and not valid(v.decode("latin-1")) for k, v in headers):
                headers = [(k, v) for k, v in headers if k != b"range"]
            # Starlette's static files split and compared every tag: 15,000 cost ~1.3 ms a
            # request on /assets (review 19), past the cap the API's own tags keep.
            if any(k == b"if-none-match" and v.count(b",") >= MAX_TAGS for k, v in headers):
                headers = [(k, first_tags(v) if k == b"if-none-match" else v) for k, v in headers]
            if headers is not scope["headers"]:
                scope = {**scope, "headers": headers}
        await self.app(scope, receive, send)


def first_tags(value: bytes) -> bytes:
    """An If-None-Match value cut to its first MAX_TAGS tags."""
    return b",".join(value.split(b",", MAX_TAGS)[:MAX_TAGS])
