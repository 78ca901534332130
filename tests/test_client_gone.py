"""Heavy work whose client hung up while it waited in the queue is dropped, not done: checked on
a real uvicorn, whose disconnect is what the app has to notice, for a GET and for a POST whose
body went through the body-limit middleware."""

from __future__ import annotations

import json
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from latent_explorer.server import inference
from latent_explorer.server.app import create_app
from latent_explorer.server.settings import Settings
from tests.api_helpers import uvicorn_in_thread

ROOT = Path(__file__).resolve().parents[1]
VAE = "vae-mnist-z2"
GRID = f"GET /api/models/{VAE}/grid.png?n=8 HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n".encode()
BODY = json.dumps({"z": [[0.1, 0.2]] * 40, "output": "probs"}).encode()  # > 16 rows: heavy
DECODE = (
    f"POST /api/models/{VAE}/decode HTTP/1.1\r\nHost: 127.0.0.1\r\n"
    f"Content-Type: application/json\r\nContent-Length: {len(BODY)}\r\n\r\n"
).encode() + BODY


class GatedDecode:
    """inference.decode, counted, with the first call held until `gate` opens: the one heavy
    worker is busy while the other requests queue behind it."""

    def __init__(self, real) -> None:
        self.real, self.calls, self.gate = real, 0, threading.Event()
        self.entered = threading.Event()

    def __call__(self, *args, **kwargs):
        self.calls += 1
        if self.calls == 1:
            self.entered.set()
            assert self.gate.wait(30), "the test never opened the gate"
        return self.real(*args, **kwargs)


@pytest.fixture
def served(monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[int, object, GatedDecode]]:
    gated = GatedDecode(inference.decode)
    monkeypatch.setattr(inference, "decode", gated)
    app = create_app(Settings(checkpoints=ROOT / "checkpoints", device="cpu", max_heavy=1))
    with uvicorn_in_thread(app, log_level="error") as port:
        try:
            yield port, app, gated
        finally:
            gated.gate.set()  # before the server waits for its requests to finish


def status_of(sock: socket.socket) -> bytes:
    sock.settimeout(30)
    return sock.makefile("rb").readline()


def wait_for(condition, what: str) -> None:
    deadline = time.monotonic() + 20
    while not condition():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.02)


@pytest.mark.parametrize("request_bytes", [GRID, DECODE], ids=["grid.png", "decode"])
def test_work_of_a_client_that_hung_up_is_dropped(served, request_bytes: bytes) -> None:
    port, app, gated = served
    heavy = app.state.heavy
    first = socket.create_connection(("127.0.0.1", port))
    first.sendall(request_bytes)
    assert gated.entered.wait(20), "the first request never reached the decoder"
    # Five clients ask for the same work and hang up while it waits behind the first (each from
    # its own loopback address, as five people's tabs are).
    for k in range(5):
        with socket.create_connection(
            ("127.0.0.1", port), source_address=(f"127.0.0.{k + 2}", 0)
        ) as gone:
            gone.sendall(request_bytes)
    wait_for(lambda: heavy.statistics().tasks_waiting == 5, "five requests in the queue")
    last = socket.create_connection(("127.0.0.1", port))
    last.sendall(request_bytes)  # a client that stays: still served, after the dropped ones
    wait_for(lambda: heavy.statistics().tasks_waiting == 6, "the last request in the queue")
    gated.gate.set()
    with first, last:
        assert b" 200 " in status_of(first)
        assert b" 200 " in status_of(last)
    # The first and the last were decoded (a grid is one batched call); the five were not.
    assert gated.calls == 2, gated.calls
    assert heavy.borrowed_tokens == 0
