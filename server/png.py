"""A minimal grayscale PNG encoder: for 28x28 digits it is several times faster than Pillow,
and a decode.png request is mostly this plus HTTP."""

from __future__ import annotations

import base64
import struct
import zlib

import numpy as np

_SIGNATURE = b"\x89PNG\r\n\x1a\n"
_IEND = struct.pack(">I", 0) + b"IEND" + struct.pack(">I", zlib.crc32(b"IEND"))


def _chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def encode_png(gray: np.ndarray, level: int = 6) -> bytes:
    """PNG bytes of a 2-D uint8 array (8-bit grayscale, no filter)."""
    if gray.ndim != 2 or gray.dtype != np.uint8:
        raise ValueError("encode_png takes a 2-D uint8 array")
    height, width = gray.shape
    rows = np.zeros((height, width + 1), dtype=np.uint8)  # filter byte 0 before each row
    rows[:, 1:] = gray
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    return (
        _SIGNATURE
        + _chunk(b"IHDR", ihdr)
        + _chunk(b"IDAT", zlib.compress(rows.tobytes(), level))
        + _IEND
    )


def to_uint8(probs: np.ndarray) -> np.ndarray:
    """Probabilities in [0, 1] to 0..255 gray levels (white digit on black)."""
    return np.clip(probs * 255.0 + 0.5, 0, 255).astype(np.uint8)


def logits_to_uint8(logits: np.ndarray) -> np.ndarray:
    """Bernoulli logits straight to 0..255 gray levels: sigmoid and rounding in one pass."""
    with np.errstate(over="ignore"):  # exp overflows to inf for very negative logits: gray 0
        return (255.0 / (1.0 + np.exp(-logits)) + 0.5).astype(np.uint8)


def upscale(gray: np.ndarray, scale: int) -> np.ndarray:
    """Nearest-neighbour enlargement, so pixels stay crisp."""
    return gray if scale == 1 else np.repeat(np.repeat(gray, scale, axis=0), scale, axis=1)


def data_url(png: bytes) -> str:
    return "data:image/png;base64," + base64.b64encode(png).decode("ascii")


def tile(images: np.ndarray, rows: int, cols: int) -> np.ndarray:
    """(rows*cols, h, w) -> one (rows*h, cols*w) image, row-major: a grid is a reshape."""
    _, h, w = images.shape
    return images.reshape(rows, cols, h, w).transpose(0, 2, 1, 3).reshape(rows * h, cols * w)
