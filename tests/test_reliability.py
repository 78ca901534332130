"""Issue 13: inputs that were 500s, contract gaps, and a clean 500 for what is left."""

from __future__ import annotations

import io
import json
import logging
import socket

import numpy as np
import pytest
from fastapi.testclient import TestClient
from PIL import Image

from latent_explorer.server import Settings, create_app
from tests.api_helpers import FIXTURES, data_url_to_array, uvicorn_in_thread
from tests.conftest import ROOT

VAE, Z16, COMPLETION = "vae-mnist-z2", "vae-mnist-z16", "completion-mnist"
LIMIT = 64 * 1024


@pytest.fixture(scope="module")
def client():
    settings = Settings(checkpoints=ROOT / "checkpoints", device="cpu", max_body_bytes=LIMIT)
    with TestClient(create_app(settings), raise_server_exceptions=False) as c:
        yield c


def png_bytes(img: Image.Image, **save) -> bytes:
    buf = io.BytesIO()
    img.save(buf, "PNG" if not save else save.pop("format"), **save)
    return buf.getvalue()


def two_dots() -> bytes:
    """400x400 black with two single white pixels in opposite corners: the ink averages away
    when the whole picture is shrunk into 20x20."""
    img = Image.new("L", (400, 400), 0)
    img.putpixel((0, 0), 255)
    img.putpixel((399, 399), 255)
    return png_bytes(img)


def detail(r) -> dict:
    body = r.json()
    assert set(body) == {"detail"} and len(body["detail"]) >= 1, body
    return body["detail"][0]


def test_vanishing_ink_is_422_not_500(client: TestClient) -> None:
    r = client.post(f"/api/models/{VAE}/encode", files={"image": ("d.png", two_dots())})
    assert r.status_code == 422, r.text
    assert detail(r)["loc"] == ["body", "image"] and "ink" in detail(r)["msg"]
    # /complete reads the picture as it is (no crop): the same image is fine there.
    files = {"image": ("d.png", two_dots())}
    r = client.post(f"/api/models/{COMPLETION}/complete", files=files, data={"mask": "top-half"})
    assert r.status_code == 200, r.text


@pytest.mark.parametrize("ragged", [[[1, 0], [1]], [[1] * 28] * 27 + [[1] * 27]])
def test_ragged_mask_is_422(client: TestClient, ragged: list) -> None:
    url = f"/api/models/{COMPLETION}/complete"
    r = client.post(url, json={"pixels": [0.0] * 784, "mask": ragged, "n": 1})
    assert r.status_code == 422, r.text
    assert detail(r)["loc"][:2] == ["body", "mask"]
    assert "a mask array must be 28 rows" in detail(r)["msg"]  # not "pixels must be" (hostile 4)
    files = {"image": ("d.png", two_dots())}
    r = client.post(url, files=files, data={"mask": json.dumps(ragged)})
    assert r.status_code == 422, r.text
    assert detail(r)["loc"] == ["body", "mask"]


@pytest.mark.parametrize("depth", [900, 1000, 5000])
def test_deeply_nested_mask_is_422(client: TestClient, depth: int) -> None:
    url = f"/api/models/{COMPLETION}/complete"
    nested = "[" * depth + "]" * depth
    r = client.post(url, files={"image": ("d.png", two_dots())}, data={"mask": nested})
    assert r.status_code == 422, r.text
    body = '{"pixels": [0], "mask": ' + nested + "}"
    r = client.post(url, content=body, headers={"content-type": "application/json"})
    assert r.status_code == 422, r.text
    r = client.post(
        f"/api/models/{VAE}/decode",
        content='{"z": ' + nested + "}",
        headers={"content-type": "application/json"},
    )
    assert 400 <= r.status_code < 500, r.text


@pytest.mark.parametrize("seed", ["18446744073709551616", "-1", "1e3", "x"])
def test_multipart_seed_is_checked_like_json(client: TestClient, seed: str) -> None:
    files = {"image": ("d.png", two_dots())}
    r = client.post(
        f"/api/models/{COMPLETION}/complete", files=files, data={"mask": "top-half", "seed": seed}
    )
    assert r.status_code == 422, r.text
    assert detail(r)["loc"] == ["body", "seed"]


@pytest.mark.parametrize("path", ["decode", "generate", "interpolate", "encode", "complete"])
def test_chunked_body_over_limit_is_413_everywhere(client: TestClient, path: str) -> None:
    def chunks():  # no content-length: the body streams in
        yield b'{"z": [[0, 0]'
        for _ in range(LIMIT // 1000 + 2):
            yield b", [0, 0]" * 125

    model = COMPLETION if path == "complete" else VAE
    r = client.post(
        f"/api/models/{model}/{path}",
        content=chunks(),
        headers={"content-type": "application/json"},
    )
    assert r.status_code == 413, r.text
    assert detail(r)["loc"] == ["body"]


def test_chunked_body_under_limit_still_works(client: TestClient) -> None:
    def chunks():
        yield b'{"z": [[0.5, '
        yield b"-1.0]]}"

    r = client.post(
        f"/api/models/{VAE}/decode", content=chunks(), headers={"content-type": "application/json"}
    )
    assert r.status_code == 200, r.text


def test_quoted_input_is_capped(client: TestClient) -> None:
    settings = Settings(checkpoints=ROOT / "checkpoints", device="cpu")  # 4 MB bodies
    with TestClient(create_app(settings)) as c:
        mask = "x" * 3_000_000
        r = c.post(f"/api/models/{COMPLETION}/complete", json={"pixels": [0.0] * 784, "mask": mask})
        assert r.status_code == 422 and len(r.content) < 1000, len(r.content)
        files = {"image": ("d.png", two_dots())}
        r = c.post(f"/api/models/{COMPLETION}/complete", files=files, data={"mask": "y" * 100_000})
        assert r.status_code == 422 and len(r.content) < 1000, len(r.content)
    r = client.get(f"/api/models/{'m' * 60_000}")
    assert r.status_code in (404, 422) and len(r.content) < 1000, len(r.content)
    r = client.get(f"/api/models/{'m' * 60_000}/decode.png?z=0,0")
    assert r.status_code == 404 and len(r.content) < 1000, len(r.content)
    assert detail(r)["loc"] == ["path", "model_id"]


@pytest.mark.parametrize(("model", "dim"), [(VAE, 2), (Z16, 16)])
def test_slerp_between_opposite_points(client: TestClient, model: str, dim: int) -> None:
    start = ([0.3, 0.7] + [0.1] * (dim - 2))[:dim]
    end = [-v for v in start]
    body = {"start": {"z": start}, "end": {"z": end}, "steps": 9, "method": "slerp"}
    r = client.post(f"/api/models/{model}/interpolate", json=body)
    assert r.status_code == 200, r.text
    path = np.array(r.json()["z"])
    norms = np.linalg.norm(path, axis=1)
    # On a great circle: every frame keeps the ends' norm (never through 0, never +-1024).
    assert np.allclose(norms, np.linalg.norm(start), atol=1e-4), norms
    assert np.allclose(path[0], start, atol=1e-5) and np.allclose(path[-1], end, atol=1e-5)
    steps = np.linalg.norm(np.diff(path, axis=0), axis=1)
    assert steps.max() - steps.min() < 1e-4  # evenly spaced along the arc


@pytest.mark.parametrize(
    ("start", "end"),
    [([-2.1, 2.1], [2.45, -2.1]), ([0.3, 2.0], [-2.5, -1.0]), ([1.0] * 16, [-0.2] * 15 + [3.0])],
)
def test_slerp_never_leaves_the_ends_norms(client: TestClient, start, end) -> None:
    """The textbook slerp of ends of unequal norm, nearly opposite, swung out to |z| = 5.19
    between ends of norm 2.97 and 3.23 (page pass 4): the norm now moves evenly between them."""
    model = VAE if len(start) == 2 else Z16
    body = {"start": {"z": start}, "end": {"z": end}, "steps": 10, "method": "slerp"}
    r = client.post(f"/api/models/{model}/interpolate", json=body)
    assert r.status_code == 200, r.text
    path = np.array(r.json()["z"])
    norms = np.linalg.norm(path, axis=1)
    expected = np.linspace(np.linalg.norm(start), np.linalg.norm(end), 10)
    assert np.allclose(norms, expected, atol=1e-4), norms
    assert np.allclose(path[0], start, atol=1e-5) and np.allclose(path[-1], end, atol=1e-5)
    cos = (path[:-1] * path[1:]).sum(1) / (norms[:-1] * norms[1:])
    angles = np.arccos(np.clip(cos, -1, 1))
    assert angles.max() - angles.min() < 1e-3  # the direction turns evenly


def test_exif_orientation_is_applied(client: TestClient) -> None:
    digit = Image.open(sorted(FIXTURES.glob("*.png"))[0]).convert("L").resize((112, 112))
    upright = png_bytes(digit)
    # A camera stores the sensor's pixels sideways and says "rotate 90 clockwise" (6).
    sideways = digit.transpose(Image.Transpose.ROTATE_90)
    exif = Image.Exif()
    exif[0x0112] = 6
    stored = png_bytes(sideways, format="JPEG", quality=95, exif=exif.tobytes())
    a = client.post(f"/api/models/{VAE}/encode", files={"image": ("a.png", upright)}).json()
    b = client.post(f"/api/models/{VAE}/encode", files={"image": ("b.jpg", stored)}).json()
    assert np.abs(np.array(a["mu"]) - np.array(b["mu"])).max() < 0.3, (a["mu"], b["mu"])
    pa, pb = data_url_to_array(a["preprocessed"]), data_url_to_array(b["preprocessed"])
    assert np.abs(pa - pb).mean() < 0.05


@pytest.mark.parametrize(
    ("path", "body", "loc"),
    [
        ("decode", {"z": [[True, 0.0]]}, ["body", "z", 0, 0]),
        ("decode", {"z": [[0.0, 0.0]], "output": "png", "labels": [True]}, ["body", "labels", 0]),
        ("generate", {"n": True}, ["body", "n"]),
        ("generate", {"n": "3"}, ["body", "n"]),
        ("generate", {"seed": True}, ["body", "seed"]),
        ("interpolate", {"start": {"z": [0, 0]}, "end": {"z": [1, 1]}, "steps": True}, None),
    ],
)
def test_json_true_is_not_a_number(client: TestClient, path: str, body: dict, loc) -> None:
    r = client.post(f"/api/models/{VAE}/{path}", json=body)
    assert r.status_code == 422, r.text
    if loc is not None:
        assert detail(r)["loc"] == loc


def test_head_answers_like_get(client: TestClient) -> None:
    for url in ("/", "/api/health"):
        head, get = client.head(url), client.get(url)
        assert head.status_code == get.status_code == 200
        assert head.content == b"" and head.headers["content-type"] == get.headers["content-type"]


def boom_app():
    """The real app plus one route that fails the way an unforeseen bug would."""
    app = create_app(Settings(checkpoints=ROOT / "checkpoints", device="cpu"))

    @app.get("/boom")
    async def boom() -> dict:
        raise RuntimeError("an unforeseen bug")

    return app


def test_unexpected_error_is_a_clean_500(caplog: pytest.LogCaptureFixture) -> None:
    with (
        uvicorn_in_thread(boom_app(), log_level="error") as port,
        caplog.at_level(logging.ERROR),
        socket.create_connection(("127.0.0.1", port)) as s,
    ):
        s.settimeout(10)
        reader = s.makefile("rb")
        for path in ("/boom", "/api/health", "/boom", "/api/health"):
            s.sendall(f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n".encode())
            status = reader.readline()
            headers = {}
            while (line := reader.readline()) not in (b"\r\n", b""):
                name, value = line.decode().split(":", 1)
                headers[name.strip().lower()] = value.strip()
            body = reader.read(int(headers["content-length"]))
            if path == "/boom":
                assert b" 500 " in status and headers["content-type"] == "application/json"
                assert json.loads(body)["detail"][0]["type"] == "internal_error"
            else:  # the same keep-alive connection still answers
                assert b" 200 " in status, status
    tracebacks = [r for r in caplog.records if r.exc_info]
    assert len(tracebacks) == 2, [r.getMessage() for r in caplog.records]  # one per error


def test_big_upload_never_becomes_a_full_size_float_array() -> None:
    """A 4096x4096 RGBA upload shrinks to one 8-bit channel before NumPy sees it: the float
    arrays stay small (tracemalloc sees NumPy's allocations; the old path made ~580 MB)."""
    import tracemalloc

    from PIL import ImageDraw

    from latent_explorer.server.preprocess import preprocess_upload

    img = Image.new("RGBA", (4096, 4096), (0, 0, 0, 0))
    ImageDraw.Draw(img).line(
        [(1500, 900), (2600, 900), (1900, 3200)], fill=(0, 0, 0, 255), width=180
    )
    data = png_bytes(img)
    tracemalloc.start()
    try:
        pixels = preprocess_upload(data, 4096 * 4096)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert pixels.shape == (28, 28) and pixels.max() > 0.5
    assert peak < 16 * 2**20, peak / 2**20
