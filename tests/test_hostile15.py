"""Hostile pass 15 (notes/s18/hostile15-report.md): the uploads queue was first come, first
served and unbounded (one client's 30 large pictures held another's drawing 8.7 s)."""

from __future__ import annotations

import http.client
import io
import time
import uuid
from concurrent.futures import ThreadPoolExecutor

from PIL import Image

from latent_explorer.server import Settings, create_app
from tests.api_helpers import uvicorn_in_thread
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


def test_one_address_flooding_the_uploads_does_not_hold_back_another() -> None:
    """First come, first served, a drawing waited behind every picture queued before it; in
    turns, behind at most one picture from each address with work queued."""
    app = create_app(Settings(checkpoints=ROOT / "checkpoints", device="cpu"))
    big, small = png(3000), png(28)
    with uvicorn_in_thread(app, log_level="error") as port:
        with ThreadPoolExecutor(17) as pool:
            started = time.perf_counter()
            flood = [pool.submit(upload_from, "127.0.0.2", port, big) for _ in range(16)]
            while app.state.uploads.statistics().tasks_waiting < 10:
                time.sleep(0.01)
            other = pool.submit(timed, upload_from, "127.0.0.3", port, small)
            assert [f.result() for f in flood] == [200] * 16
            flood_took = time.perf_counter() - started
            status, other_took = other.result()
        assert status == 200
        assert other_took < flood_took / 3, (other_took, flood_took)
