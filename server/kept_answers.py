"""Answers whose body the server keeps in memory anyway (a decoder file, a kept gzip body),
marked so that the paused-answers budget (protocol.py) neither counts nor drops them.

Under uvloop a connection that does not read such an answer holds a reference to bytes the
server keeps for everyone, not a copy: 1,300 never-read decoder downloads added nothing to the
RSS (hostile pass 17). Counted, they filled the budget for nothing, and a phone reading a decoder
file at 200 KB/s was dropped to make room for them. They still go when their client reads nothing
for WRITE_STALL seconds, and the connection limit bounds how many there are.
"""

from __future__ import annotations

from starlette.types import Scope

KEPT = "latent_explorer.kept_body"


def mark_kept(scope: Scope) -> None:
    """Say that this request's answer body is bytes the server keeps anyway. The request's
    "state" dict is the one the server made for it, shared by every layer's copy of the scope."""
    state = scope.get("state")
    if isinstance(state, dict):
        state[KEPT] = True


def is_kept(scope: Scope) -> bool:
    state = scope.get("state")
    return isinstance(state, dict) and bool(state.get(KEPT))


def sent_by_reference(loop: object) -> bool:
    """Whether `loop`'s transports keep what they cannot send yet by reference: uvloop's do (1,300
    never-read decoder downloads, +0 MB); Python 3.11's asyncio copies it into a bytearray (20
    never-read 20 MB answers, +418 MB: review 20), so there a kept answer is memory like any."""
    return type(loop).__module__.split(".")[0] == "uvloop"
