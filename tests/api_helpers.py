"""Helpers for the API tests: PNG data URLs to arrays, fixture digits, a started app."""

from __future__ import annotations

import base64
import io
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import numpy as np
import uvicorn
from PIL import Image

from latent_explorer.harness import free_port

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


@contextmanager
def uvicorn_in_thread(app, **config) -> Iterator[int]:  # noqa: ANN001, ANN003
    """`app` on a real uvicorn in a thread of this process (its log is caplog's, its objects
    can be patched); yields the port."""
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, **config))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    try:
        deadline = time.monotonic() + 30
        while not server.started and time.monotonic() < deadline:
            time.sleep(0.05)
        assert server.started, "uvicorn did not start"
        yield port
    finally:
        server.should_exit = True
        thread.join(timeout=10)
