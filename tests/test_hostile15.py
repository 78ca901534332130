"""Hostile pass 15 (notes/s18/hostile15-report.md): the uploads queue was first come, first
served and unbounded (one client's 30 large pictures held another's drawing 8.7 s); a herd of
requests for a file not yet compressed compressed it once each; /docs-assets served source maps
/docs never loads; one address's stalled bodies held the whole budget of bodies."""

from __future__ import annotations

import asyncio
import http.client
import io
import time
import uuid
from concurrent.futures import ThreadPoolExecutor

import anyio
import httpx
from fastapi.testclient import TestClient
from PIL import Image

from latent_explorer.server import Settings, compression, create_app
from latent_explorer.server.limits import BodySizeLimit
from tests.api_helpers import uvicorn_in_thread
from tests.asgi_bodies import post_body
from tests.conftest import ROOT


def png(side: int) -> bytes:
    """A picture that takes a while to decode and shrink (a phone photo's size, say)."""
    buf = io.BytesIO()
    img = Image.new("RGBA", (side, side), (0, 0, 0, 255))
    img.paste((255, 255, 255, 255), (side // 3, side // 4, side // 2, 3 * side // 4))  # a stroke
    img.save(buf, format="PNG")
    return buf.getvalue()


def upload_from(source: str, port: int, picture: bytes) -> int:
    """POST `picture` to /encode from the loopback address `source` (another client)."""
    boundary = uuid.uuid4().hex
    body = (
        (
            f'--{boundary}\r\nContent-Disposition: form-data; name="image"; filename="d.png"\r\n'
            "Content-Type: image/png\r\n\r\n"
        ).encode()
        + picture
        + f"\r\n--{boundary}--\r\n".encode()
    )
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=120, source_address=(source, 0))
    try:
        headers = {"Content-Type": f"multipart/form-data; boundary={boundary}"}
        conn.request("POST", "/api/models/vae-mnist-z2/encode", body, headers)
        r = conn.getresponse()
        r.read()
        return r.status
    finally:
        conn.close()


def timed(fn, *args):  # noqa: ANN001, ANN002, ANN201
    started = time.perf_counter()
    return fn(*args), time.perf_counter() - started


def flood_uploads(app, port: int) -> tuple[list[int], float, int, float]:  # noqa: ANN001
    """16 pictures of 3000x3000 from 127.0.0.2, and a drawing from 127.0.0.3 sent while ten of
    them wait: the flood's statuses and time, the drawing's status and time (also
    bench/upload_turns.py's)."""
    big, small = png(3000), png(28)
    with ThreadPoolExecutor(17) as pool:
        started = time.perf_counter()
        flood = [pool.submit(upload_from, "127.0.0.2", port, big) for _ in range(16)]
        while app.state.uploads.statistics().tasks_waiting < 10:
            time.sleep(0.01)
        other = pool.submit(timed, upload_from, "127.0.0.3", port, small)
        statuses = [f.result() for f in flood]
        flood_took = time.perf_counter() - started
        status, other_took = other.result()
    return statuses, flood_took, status, other_took


def test_one_address_flooding_the_uploads_does_not_hold_back_another() -> None:
    """First come, first served, a drawing waited behind every picture queued before it; in
    turns, behind at most one picture from each address with work queued."""
    app = create_app(Settings(checkpoints=ROOT / "checkpoints", device="cpu"))
    with uvicorn_in_thread(app, log_level="error") as port:
        statuses, flood_took, status, other_took = flood_uploads(app, port)
    assert statuses == [200] * 16 and status == 200
    assert other_took < flood_took / 3, (other_took, flood_took)


def test_a_herd_on_a_cold_file_compresses_it_once(monkeypatch) -> None:
    """Every request that found no kept gzip body compressed its own copy, a HEAD too: 300 of
    them for a cold 1.9 MB source map took the server from 555 MB to 1.59 GB (hostile pass 15)."""
    calls: list[int] = []
    real = compression._gzip

    def slow_gzip(body: bytes) -> bytes:
        calls.append(1)
        time.sleep(0.3)  # long enough for every request below to miss the kept body
        return real(body)

    monkeypatch.setattr(compression, "_gzip", slow_gzip)
    app = create_app(Settings(checkpoints=ROOT / "checkpoints", device="cpu"))
    path = "/docs-assets/swagger-ui.css"

    async def main() -> list[httpx.Response]:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://127.0.0.1") as c:
            headers = {"Accept-Encoding": "gzip"}
            asks = [
                c.request("HEAD" if k % 4 == 0 else "GET", path, headers=headers) for k in range(20)
            ]
            return list(await asyncio.gather(*asks))

    answers = asyncio.run(main())
    assert len(calls) == 1
    gets = [r for k, r in enumerate(answers) if k % 4]
    assert all(r.status_code == 200 and r.headers["content-encoding"] == "gzip" for r in answers)
    assert len({r.content for r in gets}) == 1
    assert len({r.headers["content-length"] for r in answers}) == 1  # HEADs: the gzip length


def test_a_body_not_kept_is_sent_as_it_is_to_those_who_waited() -> None:
    """A compressed body too large to keep: the requests that waited for it get the file as it
    is, not a compression each."""
    body = bytes(range(256)) * 20

    async def tagged(scope, receive, send) -> None:  # noqa: ANN001
        headers = [(b"etag", b'"t"'), (b"content-length", str(len(body)).encode())]
        await send({"type": "http.response.start", "status": 200, "headers": headers})
        await send({"type": "http.response.body", "body": body})

    kept = compression.KeptGzip(tagged, max_bytes=10)
    sent: list[list[dict]] = []

    async def ask() -> None:
        mine: list[dict] = []
        sent.append(mine)

        async def send(message: dict) -> None:
            mine.append(message)

        scope = {"type": "http", "path": "/assets/x.js", "headers": []}
        await kept(scope, None, send)  # type: ignore[arg-type]

    async def main() -> None:
        await asyncio.gather(*(ask() for _ in range(5)))

    asyncio.run(main())
    assert all(m[-1]["body"] == body for m in sent[1:])  # those that waited: identity
    assert not kept.kept and not kept.making


def test_docs_serve_only_the_files_docs_loads() -> None:
    """Six source maps of 1.2-1.9 MB and a template were served, the largest things a client
    could ask to be sent or compressed (hostile pass 15)."""
    with TestClient(create_app(Settings(checkpoints=ROOT / "checkpoints", device="cpu"))) as c:
        for name in ("swagger-ui-bundle.js", "swagger-ui.css", "favicon-32x32.png"):
            assert c.get(f"/docs-assets/{name}").status_code == 200, name
        for name in ("swagger-ui-bundle.js.map", "index.j2", "oauth2-redirect.html"):
            assert c.get(f"/docs-assets/{name}").status_code == 404, name
        assert "/docs-assets/swagger-ui-bundle.js" in c.get("/docs").text


def test_one_address_stalling_bodies_leaves_room_for_another() -> None:
    """16 connections from one address that sent 4 MiB less a byte and stalled held the whole
    budget of bodies: every other client's POST was a 503 for the 30 s each took to time out."""
    from tests.test_hostile import echo_app

    limit = BodySizeLimit(echo_app, max_bytes=100, timeout=5, budget=1000)  # 250 an address
    statuses: dict[str, list[int]] = {"a": [], "b": []}
    words: list[bytes] = []

    async def post(who: str, host: str, size: int, stall: bool) -> None:
        sent = await post_body(limit, host, size, stall)
        statuses[who].append(sent[0]["status"])
        words.extend(m.get("body", b"") for m in sent[1:])

    async def main() -> None:
        async with anyio.create_task_group() as tg:
            for _ in range(10):  # 10 x 99 bytes would hold 990 of the 1,000
                tg.start_soon(post, "a", "127.0.0.2", 99, True)
            await anyio.sleep(0.8)  # the refused ones drain for DRAIN_IDLE_SECONDS first
            await post("b", "127.0.0.3", 50, False)
            tg.cancel_scope.cancel()

    anyio.run(main)
    assert statuses["b"] == [200]
    assert statuses["a"] == [503] * 8  # two held (198 of its 250), the rest refused
    assert any(b"bodies from this client address hold over 250 bytes" in w for w in words)
    assert limit.held == 0 and not limit.held_by


def test_the_multipart_parsers_warnings_are_logged_at_a_bounded_rate(caplog) -> None:
    """python-multipart logs a WARNING per malformed body, its numbers formatted in: one line
    per request, ~52 KB a second from one client (hostile pass 15)."""
    import logging

    caplog.set_level(logging.WARNING)
    with TestClient(create_app(Settings(checkpoints=ROOT / "checkpoints", device="cpu"))) as c:
        for k in range(40):
            # "Expected boundary character 45, got 120 at index N", N differing by request.
            body = b"x" * (1 + k % 7) + b"\r\n--bnd15--\r\n"
            r = c.post(
                "/api/models/vae-mnist-z2/encode",
                content=body,
                headers={"content-type": "multipart/form-data; boundary=bnd15"},
            )
            assert r.status_code == 400, r.text
    lines = [r for r in caplog.records if r.name.startswith("python_multipart")]
    assert 1 <= len(lines) <= 10, [r.getMessage() for r in lines]


def test_messages_that_differ_only_in_their_numbers_count_as_one() -> None:
    """python-multipart formats its numbers in before logging: keyed by the text, each index
    was a message of its own, and a hundred of them started the counts afresh."""
    import logging

    from latent_explorer.server.log_limits import RepeatedWarnings

    limit = RepeatedWarnings(burst=3, window=60.0, clock=lambda: 0.0)
    kept = [
        limit.filter(
            logging.LogRecord(
                "python_multipart.multipart",
                logging.WARNING,
                __file__,
                1,
                f"Expected boundary character 45, got {k} at index {k * 7}",
                (),
                None,
            )
        )
        for k in range(300)
    ]
    assert sum(kept) == 3


def test_each_connections_kernel_send_buffer_is_fixed(monkeypatch) -> None:
    """Left to grow, the kernel held up to ~1.9 MB of an unread answer per connection, outside
    any budget of ours: 500 unread bundles, ~950 MB of kernel memory (hostile pass 15)."""
    import socket

    from fastapi import FastAPI

    from latent_explorer.server import protocol

    sizes: list[int] = []
    made = protocol.HeaderTimeoutProtocol.connection_made

    def spy(self, transport) -> None:  # noqa: ANN001
        made(self, transport)
        sock = transport.get_extra_info("socket")
        sizes.append(sock.getsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF))

    monkeypatch.setattr(protocol.HeaderTimeoutProtocol, "connection_made", spy)
    with uvicorn_in_thread(
        FastAPI(), log_level="error", http=protocol.HeaderTimeoutProtocol
    ) as port:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        conn.request("GET", "/openapi.json")
        assert conn.getresponse().status == 200
        conn.close()
    # Linux doubles what it is asked for, up to net.core.wmem_max (often 208 KB).
    ceiling = int(open("/proc/sys/net/core/wmem_max").read())
    assert sizes == [2 * min(protocol.SEND_BUFFER, ceiling)]
