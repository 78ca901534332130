"""Hostile pass 16 (notes/s19/hostile16-report.md): the bounds that one client, with many
connections or many addresses, turned against others."""

from __future__ import annotations

import json
import socket
import threading
import time

from latent_explorer.harness import running_server
from tests.conftest import ROOT

VAE = "vae-mnist-z2"
LOGITS = json.dumps({"n": 1024, "output": "logits", "seed": 1}).encode()


def ask_logits(port: int, source: str, receive_buffer: int = 4096) -> socket.socket:
    """A connection from `source` that asked for ~7.5 MB of logits (a small receive buffer)."""
    s = socket.socket()
    s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, receive_buffer)
    s.bind((source, 0))
    s.connect(("127.0.0.1", port))
    s.sendall(
        (
            f"POST /api/models/{VAE}/generate HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n"
            f"Content-Type: application/json\r\nContent-Length: {len(LOGITS)}\r\n"
            "Connection: close\r\n\r\n"
        ).encode()
        + LOGITS
    )
    return s


def test_a_download_that_reads_on_outlasts_connections_opened_after_it_that_never_read() -> None:
    """Past the paused-answers budget the longest-paused connection was dropped: a slow but
    steady reader is paused longest, so one client opening never-read connections cut off every
    download over ~5 s (hostile pass 16, H1). The slowest readers since their pause go first."""
    budget = {"LATENT_EXPLORER_WRITE_STALL_S": "600", "LATENT_EXPLORER_PAUSED_BUDGET_MB": "16"}
    with running_server(ROOT / "checkpoints", env=budget) as server:
        port = int(server.url.rsplit(":", 1)[1])
        victim = ask_logits(port, "127.0.0.2", receive_buffer=65536)
        got = [0]

        def read_slowly() -> None:  # ~1 MB/s: several seconds for the whole answer
            victim.settimeout(10)
            try:
                while piece := victim.recv(65536):
                    got[0] += len(piece)
                    time.sleep(0.05)
            except (ConnectionResetError, TimeoutError):
                pass

        reader = threading.Thread(target=read_slowly)
        reader.start()
        attackers = []
        try:
            for k in range(16):  # three a second, each left unread: ~8 MB waits for each
                time.sleep(0.3)
                attackers.append(ask_logits(port, f"127.0.1.{k + 2}"))
            reader.join(timeout=30)
        finally:
            for s in [victim, *attackers]:
                s.close()
        assert not reader.is_alive()
        assert got[0] > 7_400_000, got  # the whole answer (before: cut off at ~0.4 MB)
