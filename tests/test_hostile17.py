"""Hostile pass 17 (notes/s20/hostile17-report.md): work on the event loop that one client could
make long (NumPy's BLAS threads, a multipart Content-Type of many ';', cookies and page queries
parsed whole), never-read downloads churned to look fresh, and static files reused unasked."""

from __future__ import annotations

import io
import json
import socket
import subprocess
import sys
import threading
import time

import anyio
from fastapi.testclient import TestClient
from PIL import Image

from latent_explorer.harness import running_server
from latent_explorer.server import Settings, create_app
from latent_explorer.server.header_bounds import MAX_SCANNED, BoundHeaders, cut_query
from tests.conftest import ROOT

BUDGET = {"LATENT_EXPLORER_WRITE_STALL_S": "600", "LATENT_EXPLORER_PAUSED_BUDGET_MB": "4"}


def test_the_server_runs_numpys_blas_on_one_thread() -> None:
    """From 4 rows the decoder's GEMM handed work to a second BLAS thread and waited for it: on a
    busy 2-core host a 16-row decode on the event loop cost ~10x its CPU (hostile pass 17, H2)."""
    probe = (
        "from fastapi.testclient import TestClient\n"
        "from threadpoolctl import threadpool_info\n"
        "from latent_explorer.server import Settings, create_app\n"
        f"settings = Settings(checkpoints={str(ROOT / 'checkpoints')!r}, frontend=None)\n"
        "with TestClient(create_app(settings)):\n"
        "    print([i['num_threads'] for i in threadpool_info() if i['user_api'] == 'blas'])\n"
    )
    env = {"PATH": "/usr/bin:/bin", "OPENBLAS_NUM_THREADS": "", "OMP_NUM_THREADS": ""}
    out = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, timeout=120, env=env
    )
    assert out.returncode == 0, out.stderr[-2000:]
    threads = json.loads(out.stdout.strip().splitlines()[-1])
    assert threads and all(n == 1 for n in threads), threads


def test_a_long_multipart_content_type_is_refused_before_it_is_parsed() -> None:
    """python-multipart read a Content-Type twice, a Python step per ';': 60 KB of them cost
    ~100 ms of the event loop each time (hostile pass 17, H1). Over 1 KB: a 431 naming it."""
    settings = Settings(checkpoints=ROOT / "checkpoints", frontend=None)
    with TestClient(create_app(settings)) as client:
        for route in ("encode", "complete"):
            model = "vae-mnist-z2" if route == "encode" else "completion-mnist"
            r = client.post(
                f"/api/models/{model}/{route}",
                content=b"--x--\r\n",
                headers={"Content-Type": "multipart/form-data; boundary=x" + ";" * 60_000},
            )
            assert r.status_code == 431, r.text
            assert r.json()["detail"][0]["loc"] == ["header", "content-type"]
            assert "60031 bytes" in r.json()["detail"][0]["msg"]
        # A browser's upload still goes through.
        picture = io.BytesIO()
        stroke = Image.new("L", (28, 28))
        stroke.paste(255, (12, 4, 16, 24))
        stroke.save(picture, format="PNG")
        r = client.post(
            "/api/models/vae-mnist-z2/encode",
            files={"image": ("d.png", picture.getvalue(), "image/png")},
        )
        assert r.status_code == 200, r.text


def scopes_seen(scope: dict) -> dict:
    """The scope an app behind BoundHeaders receives for `scope`, or the answer it gets."""
    seen: dict = {}

    async def app(inner, receive, send) -> None:  # noqa: ANN001
        seen["scope"] = inner

    async def receive() -> dict:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: dict) -> None:
        if message["type"] == "http.response.start":
            seen["status"] = message["status"]
        else:
            seen["body"] = json.loads(message["body"])

    anyio.run(BoundHeaders(app), scope, receive, send)
    return seen


def http_scope(path: str, query: bytes = b"", headers: list | None = None) -> dict:
    base = [(b"host", b"127.0.0.1")]
    return {"type": "http", "path": path, "query_string": query, "headers": base + (headers or [])}


def test_cookies_are_dropped_and_long_queries_cut_or_refused() -> None:
    """FastAPI parsed every request's Cookie (60 KB: ~12 ms) and the page's whole query
    (30,000 fields: ~25 ms), on the loop, for routes that read neither (hostile pass 17, M1)."""
    seen = scopes_seen(http_scope("/api/health", headers=[(b"cookie", b"a=b; " * 12_000)]))
    assert all(k != b"cookie" for k, _ in seen["scope"]["headers"])
    assert (b"host", b"127.0.0.1") in seen["scope"]["headers"]

    query = b"model=vae-mnist-z2&" + b"a&" * 30_000
    seen = scopes_seen(http_scope("/", query))
    cut = seen["scope"]["query_string"]
    assert cut.startswith(b"model=vae-mnist-z2&a&") and len(cut) <= MAX_SCANNED
    assert not cut.endswith(b"&")
    assert cut_query(b"model=x") == b"model=x"

    api = b"z=0,0&" + b"a&" * 2000  # the API's own bound is its 100 fields (query_once.py)
    assert (
        scopes_seen(http_scope("/api/models/vae-mnist-z2/decode.png", api))["scope"]["query_string"]
        == api
    )

    lines = [(b"x-%d" % k, b"1") for k in range(200)]
    seen = scopes_seen(http_scope("/api/health", headers=lines))
    assert seen["status"] == 431 and "201 header lines" in seen["body"]["detail"][0]["msg"]

    # And the app has it in front of its routes.
    with TestClient(create_app(Settings(checkpoints=ROOT / "checkpoints"))) as client:
        r = client.get("/api/health", headers={f"x-{k}": "1" for k in range(200)})
        assert r.status_code == 431, r.text
        assert client.get("/?model=vae-mnist-z2&" + "a&" * 30_000).status_code == 200


def test_the_page_files_are_revalidated_and_a_file_name_with_a_slash_after_is_no_file() -> None:
    """The page's modules had an ETag and no Cache-Control: a browser may reuse them unasked,
    and after an upgrade run new modules beside old ones (hostile pass 17, L1, L4)."""
    with TestClient(create_app(Settings(checkpoints=ROOT / "checkpoints"))) as client:
        r = client.get("/assets/js/main.js")
        assert r.status_code == 200 and r.headers["cache-control"] == "no-cache"
        again = client.get("/assets/js/main.js", headers={"If-None-Match": r.headers["etag"]})
        assert again.status_code == 304 and again.headers["cache-control"] == "no-cache"
        assert client.get("/docs-assets/swagger-ui.css").headers["cache-control"] == "no-cache"
        assert client.get("/docs-assets/swagger-ui.css/").status_code == 404
        assert client.get("/assets/js/main.js/").status_code == 404


def ask(port: int, source: str, request: bytes, receive_buffer: int) -> socket.socket:
    s = socket.socket()
    s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, receive_buffer)
    s.bind((source, 0))
    s.connect(("127.0.0.1", port))
    s.sendall(request)
    return s


def churned_against(port: int, request: bytes, rate: int, size: int) -> int:
    """Bytes a client reading at `rate` bytes/s got of a `size`-byte answer while connections
    from other addresses asked for the same and closed unread, each before it was 2 s old."""
    victim = ask(port, "127.0.0.2", request, 65536)
    got = [0]

    def read() -> None:
        victim.settimeout(10)
        try:
            while piece := victim.recv(16384):
                got[0] += len(piece)
                time.sleep(len(piece) / rate)
        except (ConnectionResetError, TimeoutError):
            pass

    reader = threading.Thread(target=read)
    reader.start()
    alive: list[tuple[float, socket.socket]] = []
    k = 0
    try:
        while reader.is_alive() and k < 400:
            now = time.monotonic()
            while alive and now - alive[0][0] > 1.5:
                alive.pop(0)[1].close()
            alive.append((now, ask(port, f"127.0.3.{k % 200 + 2}", request, 4096)))
            k += 1
            time.sleep(0.1)
        reader.join(timeout=30)
    finally:
        for _, s in alive:
            s.close()
        victim.close()
    assert got[0] <= size + 1024
    return got[0]


def whole_answer(port: int, request: bytes) -> int:
    """The bytes of the answer to `request`, headers and all, read at once."""
    with socket.create_connection(("127.0.0.1", port)) as probe:
        probe.sendall(request)
        size = 0
        while piece := probe.recv(65536):
            size += len(piece)
    return size


def test_a_decoder_download_is_not_dropped_for_never_read_ones_churned_young() -> None:
    """Never-read connections younger than the 2 s grace were taken to read at 1 MB/s, and a
    phone reading the decoder file at 200 KB/s was dropped for them at 870 KB; the file is bytes
    the server keeps anyway, sent by reference (hostile pass 17, H3)."""
    with running_server(ROOT / "checkpoints", env=BUDGET) as server:
        port = int(server.url.rsplit(":", 1)[1])
        path = "/api/models/vae-mnist-z16/decoder.safetensors"
        request = f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nConnection: close\r\n\r\n"
        size = whole_answer(port, request.encode())
        assert size > 1_500_000, size
        assert churned_against(port, request.encode(), 300_000, size) == size  # before: cut


def test_a_slow_download_of_fresh_bytes_outlasts_never_read_ones_churned_young() -> None:
    """The same churn against an answer made for its request (logits): one paused under the
    grace is taken to read at 256 KB/s, no longer a broadband client's 1 MB/s."""
    body = json.dumps({"n": 512, "output": "logits", "seed": 1}).encode()  # ~3.8 MB
    with running_server(ROOT / "checkpoints", env=BUDGET) as server:
        port = int(server.url.rsplit(":", 1)[1])
        request = (
            f"POST /api/models/vae-mnist-z2/generate HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n"
            f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n"
            "Connection: close\r\n\r\n"
        ).encode() + body
        size = whole_answer(port, request)
        assert size > 3_000_000, size
        assert churned_against(port, request, 400_000, size) == size  # before: cut


def test_the_apps_queues_share_their_workers_by_address() -> None:
    """One address could run in the heavy, uploads and numbers queues at once (hostile pass
    17, M2): the three take one share of workers (wait_bounds.Workers)."""
    with TestClient(create_app(Settings(checkpoints=ROOT / "checkpoints"))) as client:
        state = client.app.state
        workers = state.heavy.workers
        assert workers is state.uploads.workers is state.numbers.workers
        assert workers.share == 2 and len(workers.members) == 3


def test_kept_answers_are_outside_the_budget_only_where_the_loop_sends_them_by_reference() -> None:
    """Python 3.11's asyncio copies what it cannot send at once (20 never-read 20 MB answers:
    +418 MB), uvloop keeps a reference (+0 MB): only there is a kept answer left out of the
    paused-answers budget (review 20)."""
    import asyncio

    import uvloop

    from latent_explorer.server.kept_answers import sent_by_reference

    plain, fast = asyncio.new_event_loop(), uvloop.new_event_loop()
    try:
        assert not sent_by_reference(plain) and sent_by_reference(fast)
    finally:
        plain.close()
        fast.close()


def test_a_kept_gzip_answer_is_marked_kept_and_a_fresh_one_is_not() -> None:
    """The decoder file and a kept gzip body are bytes the server keeps (kept_answers.py)."""
    from latent_explorer.server.kept_answers import is_kept

    app = create_app(Settings(checkpoints=ROOT / "checkpoints"))
    seen: list[bool] = []

    async def spy(scope, receive, send) -> None:  # noqa: ANN001
        await app(scope, receive, send)
        if scope["type"] == "http":
            seen.append(is_kept(scope))

    with TestClient(spy) as client:
        gz = {"Accept-Encoding": "gzip"}
        assert client.get("/assets/js/main.js", headers=gz).headers["content-encoding"] == "gzip"
        client.get("/api/models/vae-mnist-z2/decoder.safetensors")
        client.get("/api/health")
    assert seen == [True, True, False], seen
