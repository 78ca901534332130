"""Warnings a client can cause, logged at a bounded rate: uvicorn writes one WARNING line per
malformed request or upgrade it refuses, so a client sending them in a loop filled the log (and
its disk) as fast as it could send (hostile pass 12)."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable

BURST = 10  # lines of one message logged per window; the rest are counted
WINDOW_S = 60.0
MAX_MESSAGES = 100  # distinct messages tracked; past it the counts start afresh


class RepeatedWarnings(logging.Filter):
    """At most BURST WARNING records of one message per WINDOW_S; the first one logged after a
    window that dropped some says how many."""

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
        if record.levelno != logging.WARNING:  # errors, and an operator's chosen info/trace lines
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
