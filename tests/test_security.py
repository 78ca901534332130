"""Issue 13: security headers, Host checks, cross-site POSTs, offline docs, slow clients."""

from __future__ import annotations

import base64
import hashlib
import json
import re
import socket
import time
import urllib.request
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from latent_explorer.harness import running_server
from latent_explorer.server import Settings, create_app
from latent_explorer.server.protocol import HEADER_TIMEOUT
from tests.conftest import ROOT

VAE = "vae-mnist-z2"


@pytest.fixture(scope="module")
def client():
    with TestClient(create_app(Settings(checkpoints=ROOT / "checkpoints", device="cpu"))) as c:
        yield c


def test_page_has_security_headers(client: TestClient) -> None:
    # The page's one inline script (it folds the intro before the first paint), by its hash.
    html = (ROOT / "frontend" / "index.html").read_text()
    scripts = re.findall(r"<script>(.*?)</script>", html, re.S)
    assert len(scripts) == 1 and "intro" in scripts[0]
    digest = base64.b64encode(hashlib.sha256(scripts[0].encode()).digest()).decode()
    for url in ("/", "/assets/js/main.js", "/api/health", f"/api/models/{VAE}/decode.png?z=0,0"):
        h = client.get(url).headers
        assert h["x-content-type-options"] == "nosniff"
        assert h["referrer-policy"] == "no-referrer"
        csp = {d.split()[0]: d.split()[1:] for d in h["content-security-policy"].split("; ")}
        assert csp["default-src"] == ["'self'"]
        assert csp["script-src"] == ["'self'", f"'sha256-{digest}'"]  # nothing else inline
        assert csp["style-src"] == ["'self'"] and csp["frame-ancestors"] == ["'none'"]
        assert csp["img-src"] == ["'self'", "data:", "blob:"] and csp["connect-src"] == ["'self'"]
        assert h["x-frame-options"] == "DENY"


def test_only_trusted_hosts_are_answered() -> None:
    settings = Settings(
        checkpoints=ROOT / "checkpoints", device="cpu", trusted_hosts=("127.0.0.1", "localhost")
    )
    with TestClient(create_app(settings), base_url="http://127.0.0.1:8000") as c:
        assert c.get("/api/health").status_code == 200
        assert c.get("/api/health", headers={"host": "localhost:8000"}).status_code == 200
        # A DNS-rebinding page: its own name, resolved to 127.0.0.1.
        r = c.get("/api/health", headers={"host": "evil.example:8000"})
        assert r.status_code == 400 and r.json()["detail"][0]["loc"] == ["header", "host"]
    open_settings = Settings(checkpoints=ROOT / "checkpoints", device="cpu", trusted_hosts=("*",))
    with TestClient(create_app(open_settings)) as c:
        assert c.get("/api/health", headers={"host": "evil.example"}).status_code == 200


def test_default_trusted_hosts_are_loopback(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("LATENT_EXPLORER_TRUSTED_HOSTS", raising=False)
    assert set(Settings().trusted_hosts) == {"127.0.0.1", "localhost", "::1"}


def test_cross_site_posts_are_refused() -> None:
    settings = Settings(
        checkpoints=ROOT / "checkpoints", device="cpu", cors_origins=("http://tool.example",)
    )
    body = {"z": [[0.0, 0.0]]}
    url = f"/api/models/{VAE}/decode"
    with TestClient(create_app(settings)) as c:
        # A form on another site posting to us needs no preflight: refused before any work.
        evil = c.post(url, json=body, headers={"origin": "http://evil.example"})
        assert evil.status_code == 403 and evil.json()["detail"][0]["loc"] == ["header", "origin"]
        files = {"image": ("d.png", b"\x89PNG")}
        r = c.post(f"/api/models/{VAE}/encode", files=files, headers={"origin": "null"})
        assert r.status_code == 403
        assert c.post(url, json=body, headers={"origin": "http://testserver"}).status_code == 200
        assert c.post(url, json=body, headers={"origin": "http://tool.example"}).status_code == 200
        assert c.post(url, json=body).status_code == 200  # curl sends no Origin


@pytest.mark.parametrize("trusted", [("127.0.0.1",), ("*",)])
def test_a_repeated_host_or_origin_is_400(trusted: tuple[str, ...]) -> None:
    """The Host check read the last Host and the redirects used the first: 'evil.example' then
    ours got a 307 to http://evil.example/... Likewise a foreign Origin, then ours, passed the
    cross-origin check. RFC 9112 section 3.2: more than one Host is a 400."""
    settings = Settings(checkpoints=ROOT / "checkpoints", device="cpu", trusted_hosts=trusted)
    ours = "127.0.0.1:8000"
    with TestClient(create_app(settings), base_url=f"http://{ours}") as c:
        for hosts in (["evil.example", ours], [ours, "evil.example"], [ours, ours]):
            r = c.get("/api/models/", headers=[("host", h) for h in hosts], follow_redirects=False)
            assert r.status_code == 400, (hosts, r.headers.get("location"))
            assert r.json()["detail"][0] == {
                "loc": ["header", "host"],
                "msg": "more than one Host header",
                "type": "forbidden",
            }
        url, body = f"/api/models/{VAE}/decode", {"z": [[0.0, 0.0]]}
        origins = [("origin", "http://evil.example"), ("origin", f"http://{ours}")]
        r = c.post(url, json=body, headers=origins)
        assert r.status_code == 400 and r.json()["detail"][0]["loc"] == ["header", "origin"]
        assert c.post(url, json=body, headers=[origins[1]]).status_code == 200


def test_docs_are_served_without_a_cdn(client: TestClient) -> None:
    html = client.get("/docs").text
    assert "/docs-assets/swagger-ui-bundle.js" in html and "/docs-assets/swagger-ui.css" in html
    assert "cdn" not in html.lower() and "https://" not in html.split("<body>")[1]
    js = client.get("/docs-assets/swagger-ui-bundle.js")
    assert js.status_code == 200 and len(js.content) > 100_000
    assert client.get("/docs-assets/swagger-ui.css").status_code == 200
    assert client.get("/redoc").status_code == 404  # it would need a CDN


def test_slow_header_clients_are_dropped() -> None:
    """A client that never finishes its headers is closed after HEADER_TIMEOUT; others are
    served meanwhile."""
    with running_server(ROOT / "checkpoints") as server:
        port = int(server.url.rsplit(":", 1)[1])
        slow = socket.create_connection(("127.0.0.1", port))
        slow.sendall(b"GET /api/health HTTP/1.1\r\nHost: 127.0.0.1\r\n")  # no blank line
        slow.settimeout(HEADER_TIMEOUT + 10)
        started = time.monotonic()
        with socket.create_connection(("127.0.0.1", port), timeout=5) as fast:
            fast.sendall(b"GET /api/health HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
            assert b" 200 " in fast.recv(200)
        assert slow.recv(100) == b""  # closed by the server
        waited = time.monotonic() - started
        assert HEADER_TIMEOUT - 1 < waited < HEADER_TIMEOUT + 5, waited
        slow.close()


def test_page_runs_under_its_csp() -> None:
    """The page under its real headers: no CSP violation while it loads, decodes and samples
    (inline scripts or styles, or a foreign origin, would be reported here)."""
    from playwright.sync_api import sync_playwright

    from latent_explorer.harness import CHROMIUM_ARGS, chromium_path

    with running_server(ROOT / "checkpoints") as server, sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium_path(), args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": 1400, "height": 1000})
            page.add_init_script(
                "window.__violations = [];"
                "document.addEventListener('securitypolicyviolation', e =>"
                " window.__violations.push(e.violatedDirective + ' ' + e.blockedURI));"
            )
            console: list[str] = []
            page.on("console", lambda m: console.append(m.text) if m.type == "error" else None)
            response = page.goto(f"{server.url}/")
            assert "script-src 'self'" in response.headers["content-security-policy"]
            page.wait_for_selector("body[data-ready=true]", timeout=20_000)
            page.locator("[data-testid=latent-slider]").first.focus()
            page.keyboard.press("End")
            page.wait_for_timeout(500)
            assert page.evaluate("window.__violations") == []
            assert not [c for c in console if "Content Security Policy" in c], console
        finally:
            browser.close()


def test_serve_runs_worker_processes() -> None:
    """`serve --workers 2`: two uvicorn worker processes, each with its own app and models."""
    with running_server(ROOT / "checkpoints", extra_args=["--workers", "2"]) as server:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            children = Path(f"/proc/{server.pid}/task/{server.pid}/children").read_text().split()
            cmdlines = [Path(f"/proc/{c}/cmdline").read_text() for c in children]
            workers = [c for c in cmdlines if "spawn_main" in c]
            if len(workers) == 2:
                break
            time.sleep(0.5)
        assert len(workers) == 2, children
        for _ in range(8):
            with urllib.request.urlopen(f"{server.url}/api/models/{VAE}/decode.png?z=0,0") as r:
                assert r.status == 200


@pytest.mark.parametrize("trusted", [("127.0.0.1",), ("*",)])
def test_a_malformed_host_is_400(trusted: tuple[str, ...]) -> None:
    """'127.0.0.1:1@evil.com' was read as 127.0.0.1 (the text before its last colon) and served:
    a Host is a name or address and an optional port, nothing else."""
    settings = Settings(checkpoints=ROOT / "checkpoints", device="cpu", trusted_hosts=trusted)
    with TestClient(create_app(settings), base_url="http://127.0.0.1:8000") as c:
        bad_hosts = ("127.0.0.1:1@evil.com", "127.0.0.1:80:80", "127.0.0.1/x", "127.0.0.1 x")
        for bad in (*bad_hosts, "127.0.0.1:99999", "[:]", "[::1"):
            r = c.get("/api/health", headers={"host": bad})
            assert r.status_code == 400, bad
            assert r.json()["detail"][0]["msg"] == "the Host header is malformed"
        for good in ("127.0.0.1", "127.0.0.1:8000", "127.0.0.1:"):
            assert c.get("/api/health", headers={"host": good}).status_code == 200, good


def test_a_malformed_range_is_ignored_a_valid_one_served(client: TestClient) -> None:
    """Starlette answered 'Range: bytes=a-b' on the page and its assets with a plain-text 400,
    outside the API's error shape (hostile pass 3), and 'bytes=5-1' too (pass 8); RFC 9110 says
    to ignore such a header."""
    whole = client.get("/assets/js/api.js")
    huge = "9" * 5000  # past int()'s 4,300 digits: a 500 once
    for bad in (
        "bytes=a-b",
        "lines=1-2",
        "bytes=",
        "bytes=5-1x",
        "bytes=5-1",
        "bytes=0-9,20-3",
        f"bytes={huge}-1",
        f"bytes=1-{huge}",
        f"bytes=-{huge}",
        "bytes=010-9",
    ):
        r = client.get("/assets/js/api.js", headers={"range": bad})
        assert r.status_code == 200 and r.content == whole.content, (bad, r.status_code)
        assert client.get("/", headers={"range": bad}).status_code == 200
    part = client.get("/assets/js/api.js", headers={"range": "bytes=0-9"})
    assert part.status_code == 206 and part.content == whole.content[:10]


def test_a_request_without_host_is_told_so() -> None:
    """HTTP/1.0 may leave Host out: it was told "this Host is not served here" (hostile pass 5),
    in bytes spaced unlike FastAPI's own answers (the layers below FastAPI now write them alike)."""
    with running_server() as server:
        port = int(server.url.rsplit(":", 1)[1])
        with socket.create_connection(("127.0.0.1", port), timeout=10) as s:
            s.sendall(b"GET /api/health HTTP/1.0\r\n\r\n")
            answer = b""
            while chunk := s.recv(65536):
                answer += chunk
    head, _, body = answer.partition(b"\r\n\r\n")
    assert b" 400 " in head.split(b"\r\n")[0], head
    expected = {
        "detail": [
            {
                "loc": ["header", "host"],
                "msg": "the request has no Host header",
                "type": "forbidden",
            }
        ]
    }
    assert body == json.dumps(expected, separators=(",", ":")).encode()


def test_repeated_client_warnings_are_logged_at_a_bounded_rate() -> None:
    """uvicorn logs a WARNING line per malformed request, and two INFO lines per WebSocket
    handshake it refuses: a client sending them in a loop filled the log as fast as it sent
    (hostile passes 12 and 13: ~5 MB a second of handshakes). Ten a minute of each, then a count;
    at the default log level, where the INFO lines are written."""
    handshake = (
        "GET /{path} HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
        "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n"
    )
    with running_server(ROOT / "checkpoints", extra_args=("--log-level", "info")) as server:
        port = int(server.url.rsplit(":", 1)[1])
        for k in range(40):
            with socket.create_connection(("127.0.0.1", port), timeout=5) as bad:
                bad.sendall(b"NOT HTTP AT ALL\r\n\r\n")
                bad.recv(200)
            with socket.create_connection(("127.0.0.1", port), timeout=5) as ws:
                ws.sendall(handshake.format(path=f"x{k}").encode())
                assert b" 404 " in ws.recv(300)
        with socket.create_connection(("127.0.0.1", port), timeout=5) as ok:  # still serving
            ok.sendall(b"GET /api/health HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
            assert b" 200 " in ok.recv(200)
        log = server.log()
    assert log.count("Invalid HTTP request received.") == 10
    handshakes = [line for line in log.splitlines() if '"WebSocket /x' in line]
    assert len(handshakes) == 10, len(handshakes)
    assert "Application startup complete" in log  # INFO lines of their own still written


def test_the_warning_limit_counts_what_it_dropped() -> None:
    import logging

    from latent_explorer.server.log_limits import RepeatedWarnings

    now = [0.0]
    limit = RepeatedWarnings(burst=3, window=60.0, clock=lambda: now[0])

    def record(msg: str, level: int = logging.WARNING) -> logging.LogRecord:
        return logging.LogRecord("uvicorn.error", level, __file__, 1, msg, (), None)

    kept = [limit.filter(record("Invalid HTTP request received.")) for _ in range(8)]
    assert kept == [True] * 3 + [False] * 5
    assert limit.filter(record("another message"))  # counted apart
    assert limit.filter(record("Invalid HTTP request received.", logging.ERROR))  # errors pass
    now[0] = 61.0
    late = record("Invalid HTTP request received.")
    assert limit.filter(late)
    assert late.getMessage() == (
        "Invalid HTTP request received. (5 more like it in the last 61 s were not logged)"
    )


def test_a_star_origin_setting_allows_every_origins_posts() -> None:
    """Review 15: with LATENT_EXPLORER_CORS_ORIGINS=* the preflight passed (CORS reads * as
    any origin) and the POST was refused, told to list the origin in that very setting."""
    settings = Settings(checkpoints=ROOT / "checkpoints", device="cpu", cors_origins=("*",))
    with TestClient(create_app(settings), base_url="http://127.0.0.1") as c:
        r = c.post(
            f"/api/models/{VAE}/decode",
            json={"z": [[0.0, 0.0]]},
            headers={"origin": "http://x.example"},
        )
        assert r.status_code == 200, r.text


def test_the_warning_limit_leaves_other_levels_alone() -> None:
    """Review 15: it capped DEBUG and uvicorn's TRACE lines too (an operator's --log-level trace
    saw 10 "connection made" a minute)."""
    import logging

    from latent_explorer.server.log_limits import RepeatedWarnings

    limit = RepeatedWarnings(burst=1, window=60.0, clock=lambda: 0.0)
    for level in (5, logging.DEBUG, logging.ERROR):
        records = [
            logging.LogRecord("uvicorn.error", level, __file__, 1, "same", (), None)
            for _ in range(3)
        ]
        assert all(limit.filter(r) for r in records), level
