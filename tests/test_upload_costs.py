"""Uploads whose cost is far out of line with their size or pixel count are refused or cut
short before the costly part (hostile pass 8): a picture one pixel wide and millions tall, a
PNG whose EXIF block has tens of thousands of entries."""

from __future__ import annotations

import struct
import time
import zlib

import pytest
from fastapi.testclient import TestClient

from latent_explorer.server import Settings, create_app
from latent_explorer.server.preprocess import MAX_SIDE
from tests.conftest import ROOT

VAE = "vae-mnist-z2"


@pytest.fixture(scope="module")
def client():
    with TestClient(create_app(Settings(checkpoints=ROOT / "checkpoints", device="cpu"))) as c:
        yield c


def png_chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def gray_png(width: int, height: int, extra: bytes = b"") -> bytes:
    """A black 8-bit gray PNG with a white bar down its middle third, `extra` chunks before
    its data."""
    third = width // 3
    row = b"\x00" + b"\x00" * third + b"\xff" * third + b"\x00" * (width - 2 * third)
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + png_chunk(b"IHDR", ihdr)
        + extra
        + png_chunk(b"IDAT", zlib.compress(row * height, 9))
        + png_chunk(b"IEND", b"")
    )


@pytest.mark.parametrize("width, height", [(1, 12_000_000), (12_000_000, 1), (700, MAX_SIDE + 1)])
def test_a_side_over_the_limit_is_refused_before_decoding(
    client: TestClient, width: int, height: int
) -> None:
    """1 x 12,000,000 is within the pixel limit, but Pillow keeps each row apart: the 23 KB
    file cost ~200 MB and ~1 s to decode."""
    data = gray_png(width, height)
    started = time.monotonic()
    r = client.post(f"/api/models/{VAE}/encode", files={"image": ("x.png", data)})
    assert r.status_code == 422, r.text[:300]
    assert f"over the limit of {MAX_SIDE}" in r.json()["detail"][0]["msg"]
    assert time.monotonic() - started < 1.0


def test_a_side_at_the_limit_is_taken(client: TestClient) -> None:
    r = client.post(
        f"/api/models/{VAE}/encode", files={"image": ("x.png", gray_png(100, MAX_SIDE))}
    )
    assert r.status_code == 200, r.text[:300]
