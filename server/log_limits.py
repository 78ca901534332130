"""Lines a client can cause, logged at a bounded rate: uvicorn writes a WARNING per malformed
request or upgrade it refuses, and two INFO lines per WebSocket handshake it refuses, so a client
sending them in a loop filled the log (and its disk) as fast as it could send: hostile pass 12,
and pass 13 for the handshakes (~5 MB a second from one client). Keyed by the message's format,
not its text, so the lines that quote each client's path count as one."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable

BURST = 10  # lines of one message logged per window; the rest are counted
WINDOW_S = 60.0
MAX_MESSAGES = 100  # distinct messages tracked; past it the counts start afresh


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
        key, now = str(record.msg)[:200], self.clock()
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


def limit_client_warnings(name: str = "uvicorn.error") -> None:
    """Installs the filter on uvicorn's logger once per process (every app made adds none)."""
    logger = logging.getLogger(name)
    if not any(isinstance(f, RepeatedWarnings) for f in logger.filters):
        logger.addFilter(RepeatedWarnings())
