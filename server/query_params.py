"""What the GET routes read from a query string (z, an integer) and how long their pictures may
be cached: split from requests.py, which reads bodies."""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import TYPE_CHECKING

import numpy as np

from .errors import InputError, z_size_error
from .text_numbers import parse_float, parse_int

if TYPE_CHECKING:
    from latent_explorer.model.decoder_file import DecoderFile

    from .registry import ModelEntry

MAX_Z_CHARS = 20000
# Same URL, same picture: let browsers and proxies keep it too. The one cache policy of every
# image route.
IMMUTABLE = {"Cache-Control": "public, max-age=31536000, immutable"}
AN_HOUR = {"Cache-Control": "public, max-age=3600"}
MAX_VERSION_CHARS = 64  # a decoder's content hash is 64 hex digits
VERSION_DOC = (
    "the model's version, the v of its decoder's URL in /api/models: with it the picture is "
    "cached for good, without it for an hour"
)


def is_current(file: DecoderFile | None, v: str | None) -> bool:
    """Whether `v` names this version of a model: a prefix of 16 or more hex digits of its decoder
    file's hash, as the decoder's URL in /api/models carries it."""
    return file is not None and v is not None and len(v) >= 16 and file.sha256.startswith(v)


def picture_headers(entry: ModelEntry, v: str | None) -> dict[str, str]:
    """Cached for good under the model's version, else for an hour: a checkpoint replaced under
    the same id kept its old maps and digits in browsers' caches for a year (API pass)."""
    return IMMUTABLE if is_current(entry.decoder_file, v) else AN_HOUR


def parse_z(text: str, latent_dim: int, max_abs: float) -> np.ndarray:
    """'0.5,-1.2' -> a (1, D) float32 array; anything else is a 422 on z."""
    if len(text) > MAX_Z_CHARS:
        raise InputError(("query", "z"), f"z is over {MAX_Z_CHARS} characters")
    if (count := text.count(",") + 1) > latent_dim + 1:
        # Counted before parsing: 10,000 values each parsed on the loop cost 6.2 ms to refuse on
        # the busiest route, 30 times a decode (hostile pass 12).
        raise z_size_error(("query", "z"), count, f"the model needs {latent_dim}")
    try:
        values = [parse_float(v.strip(" ")) for v in text.split(",")]  # "0.5, -1.2" too
    except ValueError as exc:  # its reason names the 100-character limit a long number met
        raise InputError(("query", "z"), f"z must be comma-separated numbers; each {exc}") from None
    if not all(math.isfinite(v) and abs(v) <= max_abs for v in values):
        raise InputError(("query", "z"), f"z values must be finite and within ±{max_abs:g}")
    if len(values) != latent_dim:
        raise z_size_error(("query", "z"), len(values), f"the model needs {latent_dim}")
    return np.array([values], dtype=np.float32)


def query_int(
    query: Mapping[str, str], name: str, default: int | None, low: int, high: int
) -> int | None:
    """An optional integer query parameter in low..high; anything else is a 422 naming it."""
    raw = query.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = parse_int(raw)
    except ValueError as exc:
        raise InputError(("query", name), f"{name} {exc}") from None
    if not low <= value <= high:
        raise InputError(("query", name), f"{name} must be in {low}..{high}")
    return value
