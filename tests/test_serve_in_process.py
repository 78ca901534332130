"""The app on uvicorn with `latent-explorer serve`'s protocol, in this process so that its log
is caplog's (hostile pass 6): a few pipelined requests are answered in order, a flood of them is
not queued without bound, dropping a connection with requests queued behind the answer being
written logs no traceback, and a WebSocket upgrade is a JSON 404 whatever its Host."""

from __future__ import annotations

import json
import logging
import socket
import time
from collections.abc import Iterator

import pytest

from latent_explorer.server import Settings, create_app, protocol
from latent_explorer.server.protocol import MAX_PIPELINED, HeaderTimeoutProtocol
from tests.api_helpers import uvicorn_in_thread
from tests.conftest import ROOT

HEALTH = b"GET /api/health HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"
BIG = b"GET /api/models/vae-mnist-z2/decoder.safetensors HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"
# 8.6 MB of logits, written at once: more than the kernel's buffers take from a client that
# reads nothing, so the transport pauses with the rest of the answer held.
LOGITS = b'{"n": 1024, "output": "logits", "seed": 1}'
GENERATE = (
    b"POST /api/models/vae-mnist-z2/generate HTTP/1.1\r\nHost: 127.0.0.1\r\n"
    b"Content-Type: application/json\r\nContent-Length: %d\r\n\r\n%s" % (len(LOGITS), LOGITS)
)


@pytest.fixture
def port(monkeypatch: pytest.MonkeyPatch) -> Iterator[int]:
    """The app on uvicorn with serve's protocol, with a 1 s write stall."""
    monkeypatch.setattr(protocol, "WRITE_STALL", 1.0)
    app = create_app(Settings(checkpoints=ROOT / "checkpoints", device="cpu"))
    with uvicorn_in_thread(app, http=HeaderTimeoutProtocol, log_level="warning") as port:
        yield port


def unread_connection(port: int, raw: bytes) -> socket.socket:
    """A connection that sends `raw` in one write and reads nothing (a 4 KB receive buffer)."""
    s = socket.socket()
    s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    s.connect(("127.0.0.1", port))
    s.sendall(raw)
    return s


def read_all(s: socket.socket) -> bytes:
    s.settimeout(10)
    got = b""
    try:
        while piece := s.recv(1 << 16):
            got += piece
    except ConnectionResetError:
        pass
    return got


def test_a_few_pipelined_requests_are_answered_in_order(port: int) -> None:
    with socket.create_connection(("127.0.0.1", port)) as s:
        s.sendall(
            HEALTH * 5 + b"GET /nowhere HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n"
        )
        got = read_all(s)
    assert got.count(b"HTTP/1.1 200 ") == 5 and got.count(b"HTTP/1.1 404 ") == 1
    assert got.rindex(b"HTTP/1.1 200 ") < got.index(b"HTTP/1.1 404 ")


def test_a_flood_of_pipelined_requests_drops_the_connection(
    port: int, caplog: pytest.LogCaptureFixture
) -> None:
    """5,000 requests behind a 1.9 MB answer, sent in one write: before, all were parsed and
    queued (~10 MB a connection), and the connection held them until the client read."""
    with caplog.at_level(logging.WARNING), unread_connection(port, BIG + HEALTH * 5000) as s:
        time.sleep(0.5)
        got = read_all(s)  # reading now: the rest would come if the server had kept them
    assert got.count(b"HTTP/1.1 200 ") <= MAX_PIPELINED + 1, got.count(b"HTTP/1.1 200 ")
    assert any("pipelined" in r.getMessage() for r in caplog.records)
    assert not [r for r in caplog.records if r.exc_info]
    with socket.create_connection(("127.0.0.1", port)) as s:  # and it goes on serving
        s.sendall(HEALTH)
        assert s.recv(100).startswith(b"HTTP/1.1 200 ")


def test_dropping_a_stalled_reader_with_requests_queued_logs_no_traceback(
    port: int, caplog: pytest.LogCaptureFixture
) -> None:
    """uvicorn marked only the newest queued request as disconnected, so the answer being
    written went on into the closed transport: two tracebacks per connection dropped."""
    with caplog.at_level(logging.WARNING):
        socks = [unread_connection(port, GENERATE + HEALTH * 10) for _ in range(4)]
        time.sleep(3.0)  # the 1 s write stall drops each
        for s in socks:
            with s:  # dropped: the answer ends short, and none of the queued ones came
                got = read_all(s)
                assert len(got) < 8_000_000 and got.count(b"HTTP/1.1 200 ") <= 1, len(got)
        time.sleep(0.5)
    assert not [r for r in caplog.records if r.exc_info], [r.getMessage() for r in caplog.records]


UPGRADE = (
    "Upgrade: websocket\r\nConnection: Upgrade\r\n"
    "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n"
)


@pytest.mark.parametrize(
    "host",
    ["Host: 127.0.0.1\r\n", "Host: evil.com\r\n", "Host: a\r\nHost: b\r\n", ""],
    ids=["trusted", "foreign", "twice", "none"],
)
def test_a_websocket_upgrade_is_a_json_404(
    port: int, host: str, caplog: pytest.LogCaptureFixture
) -> None:
    """No WebSocket endpoint exists: an upgrade a Host check refused was a 500 with a traceback
    in the log, and one it let through an empty 403."""
    with caplog.at_level(logging.WARNING), socket.create_connection(("127.0.0.1", port)) as s:
        s.sendall(f"GET /api/health HTTP/1.1\r\n{host}{UPGRADE}\r\n".encode())
        got = read_all(s)
    head, _, body = got.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 404 "), got[:200]
    assert json.loads(body)["detail"][0]["msg"] == "this server has no WebSocket endpoints"
    assert not [r for r in caplog.records if r.exc_info]


@pytest.mark.parametrize("coding", ["identity", "gzip", ",", " , "])
@pytest.mark.parametrize("route", ["decode", "encode"])
def test_a_transfer_coding_other_than_chunked_logs_no_traceback(
    port: int, coding: str, route: str, caplog: pytest.LogCaptureFixture
) -> None:
    """httptools refuses such a body after the app has started: the route read no body, met
    the disconnect and logged an ERROR with a traceback for every such request (hostile pass 8)."""
    raw = (
        f"POST /api/models/vae-mnist-z2/{route} HTTP/1.1\r\nHost: 127.0.0.1\r\n"
        f"Content-Type: application/json\r\nTransfer-Encoding: {coding}\r\n\r\n{{}}"
    ).encode()
    with caplog.at_level(logging.WARNING):
        with socket.create_connection(("127.0.0.1", port)) as s:
            s.sendall(raw)
            got = read_all(s)
        time.sleep(0.3)  # the app's task ends after the connection closes
    assert got.startswith(b"HTTP/1.1 400 ") and got.count(b"HTTP/1.1 ") == 1, got[:300]
    assert not [r for r in caplog.records if r.exc_info or r.levelno >= logging.ERROR], [
        r.getMessage() for r in caplog.records
    ]


def test_a_request_asking_to_upgrade_is_not_served_without_its_body(port: int) -> None:
    """`curl --http2` on http:// asks to upgrade (Connection: Upgrade, Upgrade: h2c): the parser
    stopped at the headers and the app read an empty body, a 422 "Field required" for a body
    that was sent (hostile pass 14). Now a 400 naming the Upgrade; without a body it is served."""
    body = b'{"z": [[0, 0]]}'
    asked = (
        b"POST /api/models/vae-mnist-z2/decode HTTP/1.1\r\nHost: 127.0.0.1\r\n"
        b"Connection: Upgrade, HTTP2-Settings\r\nUpgrade: h2c\r\n"
        b"HTTP2-Settings: AAMAAABkAAQCAAAA\r\n"
        b"Content-Type: application/json\r\nContent-Length: %d\r\n\r\n%s" % (len(body), body)
    )
    with socket.create_connection(("127.0.0.1", port)) as s:
        s.sendall(asked)
        got = read_all(s)
    assert got.startswith(b"HTTP/1.1 400 "), got[:200]
    detail = json.loads(got.split(b"\r\n\r\n", 1)[1])["detail"][0]
    assert detail["loc"] == ["header", "upgrade"] and "--http1.1" in detail["msg"], detail
    plain = HEALTH.replace(b"\r\n\r\n", b"\r\nConnection: Upgrade\r\nUpgrade: h2c\r\n\r\n")
    with socket.create_connection(("127.0.0.1", port)) as s:
        s.sendall(plain)
        s.settimeout(10)
        assert s.recv(1 << 16).startswith(b"HTTP/1.1 200 ")


def test_an_upgrade_refused_behind_a_pipelined_request_is_answered_in_its_turn(port: int) -> None:
    """Written at its headers, the 400 came before the grid's answer asked for first on the
    same connection, and a client read it as the grid's (review 17)."""
    body = b'{"z": [[0, 0]]}'
    grid = b"GET /api/models/vae-mnist-z16/grid.png?n=32 HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"
    upgrade = (
        b"POST /api/models/vae-mnist-z2/decode HTTP/1.1\r\nHost: 127.0.0.1\r\n"
        b"Connection: Upgrade\r\nUpgrade: h2c\r\n"
        b"Content-Type: application/json\r\nContent-Length: %d\r\n\r\n%s" % (len(body), body)
    )
    with socket.create_connection(("127.0.0.1", port)) as s:
        s.sendall(grid + upgrade)
        got = read_all(s)
    assert got.startswith(b"HTTP/1.1 200 "), got[:200]
    assert b"image/png" in got.split(b"\r\n\r\n", 1)[0].lower()
    second = got.index(b"HTTP/1.1 400 ")
    assert b'"loc":["header","upgrade"]' in got[second:], got[second:][:300]
