"""Arrays of numbers in request bodies, refused cheaply when many of their values are bad.

pydantic reports every bad element of a list, and each report costs time and memory before the
error handler keeps 20 of them: a 4 MiB body of 2.09 million pixels of 2 took 87 s of CPU and
5 GB to refuse (hostile pass 5). A scan in Python before pydantic counts the bad values; past
`MAX_LISTED` the array gets one error naming how many and the first, and pydantic never sees
it. Up to that, pydantic's own errors stand, as before.
"""

from __future__ import annotations

from collections.abc import Callable

from pydantic import BeforeValidator

MAX_LISTED = 20  # the error handler's own cap (errors.MAX_ERRORS)


def number_in(low: float, high: float) -> Callable[[object], bool]:
    """A JSON number (not a bool) within the finite [low, high]: NaN and the infinities fail the
    comparison, and a 400-digit integer is compared exactly (math.isfinite raised on it)."""
    return lambda value: type(value) in (int, float) and low <= value <= high  # type: ignore[operator]


def int_in(low: int, high: int) -> Callable[[object], bool]:
    """A JSON integer (not a bool) within [low, high]."""
    return lambda value: type(value) is int and low <= value <= high


def few_bad(ok: Callable[[object], bool], what: str) -> BeforeValidator:
    """A list (or a list of lists) whose values `ok` accepts, but for at most MAX_LISTED."""

    def scan(value: object) -> object:
        if not isinstance(value, list):
            return value
        bad, first = 0, ""
        for i, item in enumerate(value):
            cells = item if isinstance(item, list) else (item,)
            for j, cell in enumerate(cells):
                if not ok(cell):
                    bad += 1
                    first = first or (f"[{i}][{j}]" if isinstance(item, list) else f"[{i}]")
        if bad > MAX_LISTED:
            raise ValueError(f"{bad} values are not {what}; the first at {first}")
        return value

    return BeforeValidator(scan)
