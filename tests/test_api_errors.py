"""Every class of bad input gets a clear 4xx naming what is wrong, and the server keeps serving."""

from __future__ import annotations

import io
import logging
import shutil
import struct
import zlib
from pathlib import Path

import pytest
import torch
from fastapi.testclient import TestClient
from PIL import Image

from latent_explorer.server import Settings, create_app
from latent_explorer.server.registry import ModelRegistry, choose_device
from tests.conftest import ROOT

VAE, CVAE = "vae-mnist-z2", "cvae-mnist-z2"
LIMIT = 64 * 1024


@pytest.fixture(scope="module")
def client():
    settings = Settings(checkpoints=ROOT / "checkpoints", device="cpu", max_body_bytes=LIMIT)
    with TestClient(create_app(settings), raise_server_exceptions=False) as c:
        yield c


@pytest.fixture(autouse=True)
def still_serving(client: TestClient):
    yield
    assert client.get("/api/health").status_code == 200


def assert_error(r, status: int, *loc_and_words: str) -> None:
    assert r.status_code == status, r.text
    text = r.text
    for word in loc_and_words:
        assert word in text, (word, text)


def post(client, path, **kw):
    return client.post(f"/api/models/{path}", **kw)


def test_unknown_model_is_404(client: TestClient) -> None:
    for r in (
        client.get("/api/models/nope"),
        post(client, "nope/decode", json={"z": [[0, 0]]}),
        client.get("/api/models/nope/grid.png"),
    ):
        assert_error(r, 404, "unknown model")
    # Ids are registry keys: a path in their place matches nothing.
    for path in ("..%2Fcheckpoints%2Fvae-mnist-z2/atlas", "..%2F..%2Fetc%2Fpasswd/atlas"):
        assert client.get(f"/api/models/{path}").status_code == 404


@pytest.mark.parametrize(
    ("body", "words"),
    [
        ({"z": [[0.0, 1.0, 2.0]]}, ["z", "3 values", "needs 2"]),
        ({"z": []}, ["z"]),
        ({"z": [[0.0, "NaN"]]}, ["z", "valid number"]),  # strict: a string is not a number
        ({"z": [[0.0, 5000.0]]}, ["z"]),
        ({"z": [[0, 0]], "labels": [1]}, ["labels", "takes no label"]),
        ({"z": [[0, 0]], "output": "jpeg"}, ["output"]),
        ({"z": [[0, 0]], "extra": 1}, ["extra"]),
        ({"z": [[0, 0]] * 1025}, ["z"]),
    ],
)
def test_decode_bad_bodies(client: TestClient, body: dict, words: list[str]) -> None:
    assert_error(post(client, f"{VAE}/decode", json=body), 422, *words)


def test_nan_and_infinity_literals(client: TestClient) -> None:
    for literal in ("NaN", "Infinity", "-Infinity"):
        r = post(
            client,
            f"{VAE}/decode",
            content=f'{{"z": [[0, {literal}]]}}',
            headers={"content-type": "application/json"},
        )
        assert_error(r, 422, "z", "finite")


def test_cvae_label_rules(client: TestClient) -> None:
    assert_error(post(client, f"{CVAE}/decode", json={"z": [[0, 0]]}), 422, "labels", "required")
    assert_error(
        post(client, f"{CVAE}/decode", json={"z": [[0, 0]], "labels": [10]}),
        422,
        "labels",
        "out of range",
    )
    assert_error(
        post(client, f"{CVAE}/decode", json={"z": [[0, 0]], "labels": [1, 2]}),
        422,
        "labels",
        "one label per z",
    )
    assert_error(
        post(client, f"{CVAE}/decode", json={"z": [[0, 0]], "labels": [-1]}), 422, "labels"
    )
    assert_error(client.get(f"/api/models/{CVAE}/decode.png?z=0,0"), 422, "label", "required")
    assert_error(client.get(f"/api/models/{VAE}/decode.png?z=0,0&label=3"), 422, "label")
    assert_error(post(client, f"{VAE}/generate", json={"label": 3}), 422, "label")
    assert_error(post(client, f"{CVAE}/generate", json={"label": 10}), 422, "label", "out of range")


@pytest.mark.parametrize(
    "query",
    ["z=0", "z=a,b", "z=0,nan", "z=0,inf", "z=", "z=0,1&scale=0", "z=0,1&scale=100", "scale=2"],
)
def test_decode_png_bad_query(client: TestClient, query: str) -> None:
    r = client.get(f"/api/models/{VAE}/decode.png?{query}")
    assert_error(r, 422, "z" if "scale" not in query or query == "scale=2" else "scale")


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"n": 0}, "n"),
        ({"n": 1025}, "n"),
        ({"temperature": 0}, "temperature"),
        ({"temperature": "NaN"}, "temperature"),
        ({"seed": -1}, "seed"),
        ({"n": "many"}, "n"),
    ],
)
def test_generate_bad_bodies(client: TestClient, body: dict, field: str) -> None:
    assert_error(post(client, f"{VAE}/generate", json=body), 422, field)


@pytest.mark.parametrize(
    "query",
    [
        "n=65",
        "n=0",
        "n=300",
        "dims=0,0",
        "dims=0,5",
        "dims=x",
        "span=0",
        "span=1e9",
        "label=2",
        "plane=tsne",
        "z=1,2,3",
    ],
)
def test_grid_bad_query(client: TestClient, query: str) -> None:
    field = query.split("=")[0]
    assert_error(client.get(f"/api/models/{VAE}/grid.png?{query}"), 422, field)


def test_atlas_bad_dims(client: TestClient) -> None:
    assert_error(client.get(f"/api/models/{VAE}/atlas?dims=0,2"), 422, "dims")


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"pixels": [0.5] * 783}, "pixels"),
        ({"pixels": [[0.5] * 28] * 27}, "pixels"),
        ({"pixels": [1.5] * 784}, "pixels"),
        ({"pixels": [-0.1] * 784}, "pixels"),
        ({"pixels": ["NaN"] * 784}, "pixels"),
        ({}, "pixels"),
        ({"pixels": "abc"}, "pixels"),
    ],
)
def test_encode_bad_pixels(client: TestClient, body: dict, field: str) -> None:
    assert_error(post(client, f"{VAE}/encode", json=body), 422, field)


def test_encode_label_rules(client: TestClient) -> None:
    pixels = [0.0] * 300 + [1.0] * 184 + [0.0] * 300
    assert_error(post(client, f"{CVAE}/encode", json={"pixels": pixels}), 422, "label", "required")
    assert_error(post(client, f"{VAE}/encode", json={"pixels": pixels, "label": 2}), 422, "label")
    files = {"image": ("d.png", _png(), "image/png")}
    assert_error(post(client, f"{CVAE}/encode", files=files, data={"label": "seven"}), 422, "label")
    assert_error(post(client, f"{CVAE}/encode", files=files, data={"label": "12"}), 422, "label")


def test_interpolate_bad_bodies(client: TestClient) -> None:
    ok = {"z": [0.0, 0.0]}
    for body, field in (
        ({"start": ok, "end": ok, "steps": 65}, "steps"),
        ({"start": ok, "end": ok, "steps": 1}, "steps"),
        ({"start": {"z": [0.0]}, "end": ok}, "start"),
        ({"start": ok, "end": {"pixels": [2.0] * 784}}, "end"),
        ({"start": ok, "end": ok, "method": "cubic"}, "method"),
    ):
        assert_error(post(client, f"{VAE}/interpolate", json=body), 422, field)


def test_body_over_limit_is_413(client: TestClient) -> None:
    big = b'{"pixels": [' + b"0.0," * (LIMIT // 4) + b"0.0]}"
    r = post(client, f"{VAE}/encode", content=big, headers={"content-type": "application/json"})
    assert_error(r, 413, "limit")

    def chunks():  # no content-length: the limit is counted as the body streams in
        for _ in range(LIMIT // 1000 + 2):
            yield b"0" * 1000

    r = post(
        client, f"{VAE}/encode", content=chunks(), headers={"content-type": "application/json"}
    )
    assert_error(r, 413, "limit")
    upload = {"image": ("big.png", b"\x89PNG" + bytes(LIMIT + 10), "image/png")}
    assert_error(post(client, f"{VAE}/encode", files=upload), 413, "limit")


def _png(size=(40, 40)) -> bytes:
    img = Image.new("L", size, 0)
    img.paste(255, (10, 10, 30, 30))
    buf = io.BytesIO()
    img.save(buf, "PNG")
    return buf.getvalue()


def _bomb_png(width: int, height: int) -> bytes:
    """A valid PNG header that claims width x height pixels, with a tiny IDAT."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return (
            struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
        )

    ihdr = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", ihdr)
        + chunk(b"IDAT", zlib.compress(b"\x00" * 1000))
        + chunk(b"IEND", b"")
    )


@pytest.mark.parametrize(
    ("data", "statuses", "words"),
    [
        (b"hello, not an image", (415,), ["image", "not a"]),
        (b"", (422,), ["image", "empty"]),
        (_png()[:60], (415, 422), ["image"]),
        (_bomb_png(30000, 30000), (422,), ["image", "pixels", "limit"]),
        (_bomb_png(5000, 5000), (422,), ["image", "limit"]),
        (_png()[:8] + b"garbage" * 10, (415, 422), ["image"]),
    ],
)
def test_bad_uploads(client: TestClient, data: bytes, statuses, words) -> None:
    r = post(client, f"{VAE}/encode", files={"image": ("x.png", data, "image/png")})
    assert r.status_code in statuses, r.text
    for word in words:
        assert word in r.text


def test_blank_image_and_missing_field(client: TestClient) -> None:
    blank = io.BytesIO()
    Image.new("L", (50, 50), 255).save(blank, "PNG")
    r = post(client, f"{VAE}/encode", files={"image": ("b.png", blank.getvalue(), "image/png")})
    assert_error(r, 422, "image", "blank")
    r = post(client, f"{VAE}/encode", files={"file": ("b.png", _png(), "image/png")})
    assert_error(r, 422, "image", "required")


def test_unsupported_content_type(client: TestClient) -> None:
    r = post(client, f"{VAE}/encode", content=b"abc", headers={"content-type": "text/plain"})
    assert_error(r, 415, "content-type")


def test_malformed_json(client: TestClient) -> None:
    r = post(
        client,
        f"{VAE}/decode",
        content=b'{"z": [[0, 0]',
        headers={"content-type": "application/json"},
    )
    assert r.status_code == 422


def test_device_selection(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    assert choose_device("auto").type == "cpu"
    assert choose_device("cpu").type == "cpu"
    with pytest.raises(RuntimeError, match="no CUDA"):
        choose_device("cuda")
    with pytest.raises(ValueError, match="auto, cpu or cuda"):
        choose_device("tpu")
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    assert choose_device("auto").type == "cuda"
    assert choose_device("cpu").type == "cpu"


def _odd_checkpoint(folder: Path, name: str, latent_dim: int = 3, **change) -> None:
    """A small VAE checkpoint with one thing wrong (what `change` says)."""
    from latent_explorer.model import VAEConfig, build_model, save_checkpoint

    torch.manual_seed(0)
    model = build_model(VAEConfig(latent_dim=latent_dim, hidden=(8,)))
    atlas = {"mu": torch.randn(50, latent_dim), "labels": torch.zeros(50, dtype=torch.uint8)}
    if "nan_code" in change:
        atlas["mu"][0, 0] = float("nan")
    if "no_mu" in change:
        del atlas["mu"]
    if "nan_weight" in change:
        with torch.no_grad():
            next(model.parameters())[0, 0] = float("nan")
    model.atlas = atlas
    model.metadata = {"dataset": "mnist", "metrics": change.get("metrics", {})}
    save_checkpoint(model, folder / f"{name}.safetensors")


def test_a_checkpoint_the_server_cannot_serve_is_skipped_not_fatal(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """Review 14: only the load was guarded. A NaN in a 16-d atlas (a diverged run saves one
    every epoch) raised in the PCA plane and stopped the server at start-up, good models and all;
    NaN weights answered 200 with NaN, which is not JSON; a 1-d model's grid was a 500."""
    shutil.copy(ROOT / "checkpoints" / f"{VAE}.safetensors", tmp_path)
    _odd_checkpoint(tmp_path, "nan-code", nan_code=True)
    _odd_checkpoint(tmp_path, "no-mu", no_mu=True)
    _odd_checkpoint(tmp_path, "nan-weight", nan_weight=True)
    _odd_checkpoint(tmp_path, "list-metrics", metrics=[1])
    _odd_checkpoint(tmp_path, "one-dim", latent_dim=1)
    _odd_checkpoint(tmp_path, "fine", latent_dim=3)
    with caplog.at_level(logging.WARNING):
        registry = ModelRegistry.load(tmp_path, torch.device("cpu"))
    assert sorted(registry.entries) == ["fine", VAE]
    for name in ("nan-code", "no-mu", "nan-weight", "list-metrics", "one-dim"):
        assert f"{name}.safetensors" in caplog.text, name
    with TestClient(create_app(Settings(checkpoints=tmp_path, device="cpu"))) as c:
        assert c.get("/api/health").json()["models"] == 2
        assert c.get("/api/models/fine/atlas").status_code == 200


def test_the_api_alone_serves_without_a_page() -> None:
    """Settings(frontend=None), "API only", raised TypeError in create_app (review 14)."""
    settings = Settings(checkpoints=ROOT / "checkpoints", device="cpu", frontend=None)
    with TestClient(create_app(settings), base_url="http://127.0.0.1") as c:
        assert c.get(f"/api/models/{VAE}/decode.png?z=0,0").status_code == 200
        assert c.get("/").status_code == 404


def test_a_model_id_is_escaped_in_its_decoder_url(tmp_path: Path) -> None:
    """An id is a file stem: "my#model" advertised a URL whose '#model...' was a fragment."""
    shutil.copy(ROOT / "checkpoints" / f"{VAE}.safetensors", tmp_path / "my#z 2%.safetensors")
    with TestClient(
        create_app(Settings(checkpoints=tmp_path, device="cpu")), base_url="http://127.0.0.1"
    ) as c:
        url = c.get("/api/models").json()[0]["decoder"]["url"]
        assert url.startswith("/api/models/my%23z%202%25/decoder.safetensors?v=")
        assert c.get(url).status_code == 200


def test_settings_from_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("LATENT_EXPLORER_CHECKPOINTS", str(tmp_path))
    monkeypatch.setenv("LATENT_EXPLORER_DEVICE", "cpu")
    monkeypatch.setenv("LATENT_EXPLORER_CORS_ORIGINS", "http://a.example, http://b.example")
    monkeypatch.setenv("LATENT_EXPLORER_MAX_GRID", "32")
    s = Settings.from_env()
    assert s.checkpoints == tmp_path and s.device == "cpu" and s.max_grid == 32
    assert s.cors_origins == ("http://a.example", "http://b.example")


def test_bad_checkpoint_is_skipped(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    shutil.copy(ROOT / "checkpoints" / f"{VAE}.safetensors", tmp_path)
    (tmp_path / "broken.safetensors").write_bytes(b"\x00" * 100)
    good = (ROOT / "checkpoints" / f"{CVAE}.safetensors").read_bytes()
    (tmp_path / "truncated.safetensors").write_bytes(good[: len(good) // 2])
    with caplog.at_level(logging.WARNING):
        registry = ModelRegistry.load(tmp_path, torch.device("cpu"))
    assert list(registry.entries) == [VAE]
    assert "broken.safetensors" in caplog.text and "truncated.safetensors" in caplog.text
    with TestClient(create_app(Settings(checkpoints=tmp_path, device="cpu"))) as c:
        assert c.get("/api/health").json()["models"] == 1
        assert c.get(f"/api/models/{VAE}/decode.png?z=0,0").status_code == 200


def test_cors_only_for_configured_origins() -> None:
    settings = Settings(
        checkpoints=ROOT / "checkpoints", device="cpu", cors_origins=("http://tool.example",)
    )
    with TestClient(create_app(settings)) as c:
        ok = c.get("/api/health", headers={"origin": "http://tool.example"})
        assert ok.headers.get("access-control-allow-origin") == "http://tool.example"
        other = c.get("/api/health", headers={"origin": "http://evil.example"})
        assert "access-control-allow-origin" not in other.headers


PIXELS = [0.0] * 784
MASK_FORMS = ("mask", "region name", "quadrants", "784")


@pytest.mark.parametrize(
    "method, path, kw, words",
    [
        ("get", f"{VAE}/decode.png", {"params": {"z": "0" * 101 + ",0"}}, ("z", "100 char")),
        ("get", f"{VAE}/decode.png", {"params": {"z": "0,0", "scale": "1" * 101}}, ("100 char",)),
        (
            "post",
            f"{VAE}/decode",
            {"content": '{"z": [[' + "9" * 4000 + ", 0]]}"},
            ("[0][0]", "too large", "within ±"),
        ),
        (
            "post",
            "completion-mnist/complete",
            {"json": {"pixels": PIXELS, "mask": None}},
            MASK_FORMS,
        ),
        ("post", "completion-mnist/complete", {"json": {"pixels": PIXELS, "mask": 5}}, MASK_FORMS),
        (
            "post",
            f"{VAE}/generate",
            {"content": '{"n": 1, "temperature": 1' + "0" * 400 + "}"},
            ("temperature", "too large", "at most 10"),
        ),
    ],
    ids=["long-z-number", "long-scale", "huge-json-int", "mask-null", "mask-number", "huge-temp"],
)
def test_messages_name_the_limit_or_the_forms(
    client: TestClient, method: str, path: str, kw: dict, words: tuple[str, ...]
) -> None:
    """Hostile pass 8: these said "z must be comma-separated numbers", "scale must be an
    integer", "Input should be a valid number" (for a number out of range) and "Input should
    be a valid list" (a mask also takes a region name or {"quadrants"})."""
    if "content" in kw:
        kw = {**kw, "headers": {"content-type": "application/json"}}
    r = getattr(client, method)(f"/api/models/{path}", **kw)
    assert_error(r, 422, *words)


def test_a_one_epoch_model_is_described_in_the_singular(tmp_path: Path) -> None:
    """A new contributor's pass: "trained on MNIST for 1 epochs"."""
    from latent_explorer.model import VAEConfig, build_model
    from latent_explorer.server.registry import describe

    model = build_model(VAEConfig(latent_dim=2, hidden=(8,)))
    model.metadata = {"dataset": "mnist", "epochs": 1}
    assert "for 1 epoch;" in describe("m", model)["description"] + ";"
    model.metadata["epochs"] = 2
    assert "for 2 epochs" in describe("m", model)["description"]


def test_a_gaussian_vae_is_judged_by_what_evaluate_gives_it() -> None:
    """A new contributor's pass: a VAE trained with --likelihood gaussian claims no likelihood of
    binary pixels, so evaluate computes no NLL for it, yet its headline was test_iw_nll: null in
    the picker whatever was run. It is judged, as PPCA is, by its gray reconstruction error."""
    from latent_explorer.model import VAEConfig, build_model
    from latent_explorer.server.registry import describe

    model = build_model(VAEConfig(latent_dim=2, hidden=(8,), likelihood="gaussian"))
    model.metadata = {"dataset": "mnist", "epochs": 2, "metrics": {"recon_sq_error": 33.7}}
    head = describe("g", model)["headline_metric"]
    assert head == {
        "name": "recon_sq_error",
        "label": "reconstruction",
        "unit": "squared error",
        "value": 33.7,
    }
    bernoulli = build_model(VAEConfig(latent_dim=2, hidden=(8,)))
    bernoulli.metadata = {"dataset": "mnist", "metrics": {"test_iw_nll": 90.0}}
    assert describe("b", bernoulli)["headline_metric"]["name"] == "test_iw_nll"
