"""Helpers for the API tests: PNG data URLs to arrays, fixture digits, a started app."""

from __future__ import annotations

import base64
import io
from pathlib import Path

import numpy as np
from PIL import Image

FIXTURES = Path(__file__).parent / "fixtures" / "mnist"


def png_to_array(data: bytes) -> np.ndarray:
    return np.asarray(Image.open(io.BytesIO(data)).convert("L"), dtype=np.float32) / 255.0


def data_url_to_array(url: str) -> np.ndarray:
    assert url.startswith("data:image/png;base64,")
    return png_to_array(base64.b64decode(url.split(",", 1)[1]))


def fixture_digits() -> list[tuple[int, np.ndarray]]:
    """(label, 28x28 float image) for the committed MNIST test digits."""
    out = []
    for path in sorted(FIXTURES.glob("*.png")):
        out.append((int(path.stem.rsplit("-", 1)[1]), png_to_array(path.read_bytes())))
    return out
