"""Numbers written as text (query strings, form fields): ASCII decimal notation only.

Python's int() and float(), and pydantic's lax mode, also read "1_0" as 10, full-width "１０" and
other scripts' digits as numbers, and " 7 " as 7: forms no client means to send, which made one
picture reachable under many URLs (each its own cache entry) and hid typos. A single value may
not carry spaces; in a comma-separated list (z, dims) spaces after the commas are allowed.
"inf" and "nan" are still read as numbers, so that the checks can say "finite" about them
(TextFloat is finite).
"""

from __future__ import annotations

import re
from typing import Annotated, Any

from pydantic import BeforeValidator, Field

INT = re.compile(r"[+-]?[0-9]+")
FLOAT = re.compile(
    r"[+-]?(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?|[+-]?(?:inf|infinity|nan)",
    re.I | re.ASCII,  # re.I alone also matches the dotless "ınf", which float() reads
)
MAX_CHARS = 100  # no number we take needs more; int() refuses 4,300 digits in its own words


def parse_int(text: str) -> int:
    """int(text) for ASCII decimal integers; ValueError for anything else."""
    if len(text) > MAX_CHARS or not INT.fullmatch(text):
        raise ValueError(f"must be an integer in ASCII digits, at most {MAX_CHARS} characters")
    return int(text)


def parse_float(text: str) -> float:
    """float(text) for ASCII decimal notation (or inf/nan); ValueError for anything else."""
    if len(text) > MAX_CHARS or not FLOAT.fullmatch(text):
        raise ValueError(
            f"must be a number in ASCII decimal notation, at most {MAX_CHARS} characters"
        )
    return float(text)


# Checks only: the text goes on to pydantic, whose range and finiteness messages stay as they were.
def _int_text(value: Any) -> Any:
    if isinstance(value, str):
        parse_int(value)
    return value


def _float_text(value: Any) -> Any:
    if isinstance(value, str):
        parse_float(value)
    return value


def blank_is(default: Any) -> BeforeValidator:
    """An empty query value ("?n=") read as an absent one, the parameter's default: as
    decode.png reads scale= and label=, and as form fields are read; grid.png answered "must be
    an integer in ASCII digits" for n= and label= (hostile pass 10)."""
    return BeforeValidator(lambda value: default if value == "" else value)


# For FastAPI Query(...) and multipart form schemas, whose values arrive as strings.
TextInt = Annotated[int, BeforeValidator(_int_text)]
TextFloat = Annotated[float, Field(allow_inf_nan=False), BeforeValidator(_float_text)]
