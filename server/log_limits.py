"""Lines a client can cause, logged at a bounded rate: uvicorn writes a WARNING per malformed
request or upgrade it refuses, and two INFO lines per WebSocket handshake it refuses, so a client
sending them in a loop filled the log (and its disk) as fast as it could send: hostile pass 12,
and pass 13 for the handshakes (~5 MB a second from one client). Keyed by the message's format,
not its text, so the lines that quote each client's path count as one; and with its numbers
taken out, as python-multipart formats its own before logging ("Expected boundary character 45,
got 120 at index 2"): one line per malformed upload, ~52 KB a second from one client
(hostile pass 15)."""

from __future__ import annotations

import logging
import re
import time
from collections.abc import Callable

BURST = 10  # lines of one message logged per window; the rest are counted
WINDOW_S = 60.0
MAX_MESSAGES = 100  # distinct messages tracked; past it the counts start afresh
NUMBERS = re.compile(r"\d+")
# The loggers a client's requests write to: uvicorn's, and python-multipart's parser (a logger's
# filter sees only the records logged by that logger itself, not its children's).
CLIENT_LOGGERS = ("uvicorn.error", "python_multipart.multipart")


class RepeatedWarnings(logging.Filter):
    """At most BURST INFO or WARNING records of one message per WINDOW_S; the first one logged
    after a window that dropped some says how many. Errors pass, and so do the DEBUG and TRACE
    lines an operator asks for to follow connections (review 15)."""

    def __init__(
        self,
        burst: int = BURST,
        window: float = WINDOW_S,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        super().__init__()
        self.burst, self.window, self.clock = burst, window, clock
        self.seen: dict[str, list] = {}  # message -> [window start, logged, dropped]

    def filter(self, record: logging.LogRecord) -> bool:
        if record.levelno not in (logging.INFO, logging.WARNING):
            return True
        key, now = NUMBERS.sub("#", str(record.msg)[:200]), self.clock()
        if key not in self.seen and len(self.seen) >= MAX_MESSAGES:
            self.seen.clear()
        start, logged, dropped = self.seen.setdefault(key, [now, 0, 0])
        if now - start >= self.window:
            if dropped:
                record.msg = (
                    f"{record.getMessage()} ({dropped} more like it in the last "
                    f"{now - start:.0f} s were not logged)"
                )
                record.args = ()
            start, logged, dropped = now, 0, 0
        keep = logged < self.burst
        self.seen[key] = [start, logged + keep, dropped + (not keep)]
        return keep


def limit_client_warnings(names: tuple[str, ...] = CLIENT_LOGGERS) -> None:
    """Installs the filter on each logger once per process (every app made adds none)."""
    for name in names:
        logger = logging.getLogger(name)
        if not any(isinstance(f, RepeatedWarnings) for f in logger.filters):
            logger.addFilter(RepeatedWarnings())
