"""Arrays of numbers in request bodies, refused cheaply when many of their values are bad.

pydantic reports every bad element of a list, and each report costs time and memory before the
error handler keeps 20 of them: a 4 MiB body of 2.09 million pixels of 2 took 87 s of CPU and
5 GB to refuse (hostile pass 5). A scan in Python before pydantic counts the bad values; past
`MAX_LISTED` the array gets one error naming how many and the first, and pydantic never sees
it. Up to that, pydantic's own errors stand, as before.

The same scan checks the array's length first (`size`): pydantic checks a max_length only after
validating every item, and the scan itself walks them all, so 2.09 million valid zeros in a
field that takes 4096 cost 1.2-1.4 s of CPU to refuse (hostile pass 10).
"""

from __future__ import annotations

import sys
from collections.abc import Callable

from pydantic import BeforeValidator
from pydantic_core import PydanticKnownError

MAX_LISTED = 20  # the error handler's own cap (errors.MAX_ERRORS)
FLOAT_MAX = sys.float_info.max


def number_in(low: float, high: float) -> Callable[[object], bool]:
    """A JSON number (not a bool) within the finite [low, high]: NaN and the infinities fail the
    comparison, and a 400-digit integer is compared exactly (math.isfinite raised on it)."""
    return lambda value: type(value) in (int, float) and low <= value <= high  # type: ignore[operator]


def int_in(low: int, high: int) -> Callable[[object], bool]:
    """A JSON integer (not a bool) within [low, high]."""
    return lambda value: type(value) is int and low <= value <= high


def shape_of(value: object) -> str:
    """Which form an image or mask value takes: a name, an object, rows of values, or flat."""
    if isinstance(value, str):
        return "name"
    if isinstance(value, dict):
        return "object"
    if isinstance(value, list) and value and isinstance(value[0], list):
        return "rows"
    return "flat"


def at_most(n: int, kind: str = "List") -> Callable[[list], None]:
    """A `size` check for few_bad: pydantic's own max_length error, raised before the items are
    validated. `kind` is the word pydantic's message starts with (Value for an optional list)."""

    def check(value: list) -> None:
        if len(value) > n:
            context = {"field_type": kind, "max_length": n, "actual_length": len(value)}
            raise PydanticKnownError("too_long", context)

    return check


def few_bad(
    ok: Callable[[object], bool],
    what: str,
    rows: bool | None = None,
    size: Callable[[list], None] | None = None,
    row_max: int | None = None,
) -> BeforeValidator:
    """A list whose values `ok` accepts, but for at most MAX_LISTED, and whose length `size`
    accepts (it raises; checked before any value is looked at). `rows`: a list of rows (z),
    a flat list (labels), or None: whichever its first item says, as the schema's union picks
    its form. An item of the wrong shape (a row in a flat list, a number among rows) counts as one
    bad value: pydantic made one error of each (review: 400k empty rows in a flat list, 4.65 s).
    An integer too large for a float is named here: pydantic said "not a valid number".
    `row_max`: the longest row, checked before its values (hostile pass 14: one z row of 1.9 M
    numbers was checked value by value, 0.45 s of CPU, before its length was refused)."""

    def scan(value: object) -> object:
        if not isinstance(value, list):
            return value
        if size is not None:
            size(value)
        as_rows = rows if rows is not None else shape_of(value) == "rows"
        if as_rows and row_max is not None:
            for i, item in enumerate(value):
                if isinstance(item, list) and len(item) > row_max:
                    count = len(item)
                    raise ValueError(f"row [{i}] has {count} values; a row has at most {row_max}")
        bad, first, huge = 0, "", ""
        for i, item in enumerate(value):
            if isinstance(item, list) != as_rows:
                bad += 1
                first = first or f"[{i}]"
                continue
            for j, cell in enumerate(item if as_rows else (item,)):
                if not ok(cell):
                    at = f"[{i}][{j}]" if as_rows else f"[{i}]"
                    bad += 1
                    first = first or at
                    if not huge and type(cell) is int and abs(cell) > FLOAT_MAX:
                        huge = at
        if bad > MAX_LISTED:
            raise ValueError(f"{bad} values are not {what}; the first at {first}")
        if huge:  # pydantic would call it "not a valid number" (its float() overflows)
            raise ValueError(
                f"the value at {huge} is an integer too large for a number (over "
                f"{FLOAT_MAX:.2g}); the values must be {what}"
            )
        return value

    return BeforeValidator(scan)
