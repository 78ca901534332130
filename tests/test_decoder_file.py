"""decoder.safetensors: read back with the `safetensors` library, rebuilt in NumPy from its own
metadata (not from our code), it decodes as the model does; the route caches it by content."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import torch
from fastapi.testclient import TestClient
from safetensors import safe_open

from latent_explorer.model import M2, CVAEConfig, M2Config, VAEConfig, build_model, load_checkpoint
from latent_explorer.model.decoder_file import FORMAT, export_decoder
from latent_explorer.server import Settings, create_app
from tests.conftest import ROOT

WALKABLE = [
    "ae-mnist-z2",
    "vae-mnist-z2",
    "cvae-mnist-z2",
    "vae-mnist-z16",
    "m2-mnist-100",
    "pca-mnist-z2",
]
GRAY_LEVEL = 1 / 255


def numpy_decoder_from_file(path: Path):
    """What another tool would write: read the stages from the header, run them in NumPy."""
    with safe_open(str(path), framework="np") as f:
        meta = f.metadata()
        tensors = {name: f.get_tensor(name).astype(np.float32) for name in f.keys()}
    assert meta["format"] == FORMAT
    spec = json.loads(meta["decoder"])
    act = {
        "elu": lambda h: np.where(h > 0, h, np.exp(np.minimum(h, 0)) - 1),
        "relu": lambda h: np.maximum(h, 0),
        "tanh": np.tanh,
        "softplus": lambda h: np.log1p(np.exp(h)),
        "identity": lambda h: h,
    }

    def decode(z: np.ndarray, y: np.ndarray | None) -> np.ndarray:
        h = z.astype(np.float32)
        for stage in spec["stages"]:
            if stage["label"]:
                h = np.concatenate([h, np.eye(spec["num_labels"], dtype=np.float32)[y]], 1)
            for j, layer in enumerate(stage["layers"]):
                h = h @ tensors[layer["weight"]].T + tensors[layer["bias"]]
                if j < len(stage["layers"]) - 1:
                    h = act[stage["activation"]](h)
            if stage["output"] == "sigmoid":
                with np.errstate(over="ignore"):  # exp(-h) is inf for a very dark pixel: 0
                    h = 1 / (1 + np.exp(-h))
            elif stage["output"] == "clip":
                h = np.clip(h, 0, 1)
            else:  # identity, or the activation that closes one layer's stage
                h = act[stage["output"]](h)
        return h

    return spec, decode


def model_probs(model, z: np.ndarray, y: np.ndarray | None) -> np.ndarray:
    with torch.no_grad():
        yt = None if y is None else torch.from_numpy(y)
        return torch.sigmoid(model.decode(torch.from_numpy(z), yt)).reshape(len(z), -1).numpy()


def random_inputs(model, n: int = 256, seed: int = 1):
    rng = np.random.default_rng(seed)
    z = rng.uniform(-4, 4, (n, model.config.latent_dim)).astype(np.float32)
    k = model.config.num_labels
    return z, (rng.integers(0, k, n) if k else None)


@pytest.mark.parametrize("stem", WALKABLE)
def test_shipped_decoder_round_trips_through_safetensors(stem: str, tmp_path: Path) -> None:
    model = load_checkpoint(ROOT / "checkpoints" / f"{stem}.safetensors", device="cpu")
    file = export_decoder(model)
    path = tmp_path / "decoder.safetensors"
    path.write_bytes(file.data)
    spec, decode = numpy_decoder_from_file(path)
    assert spec["dtype"] == file.dtype and spec["latent_dim"] == model.config.latent_dim
    assert spec["stages"][-1]["output"] in ("sigmoid", "clip")
    z, y = random_inputs(model)
    error = np.abs(decode(z, y) - model_probs(model, z, y)).max()
    assert error <= GRAY_LEVEL, f"{stem} ({file.dtype}): {error * 255:.2f} gray levels"


def test_float16_only_where_it_stays_within_a_gray_level() -> None:
    """Large weights make float16's rounding visible: that model ships float32."""
    torch.manual_seed(0)
    calm = build_model(VAEConfig(latent_dim=2, hidden=(32,)))
    loud = build_model(VAEConfig(latent_dim=2, hidden=(32,)))
    with torch.no_grad():
        for p in loud.decoder.parameters():
            p.mul_(40)
    assert export_decoder(calm).dtype == "float16"
    assert export_decoder(loud).dtype == "float32"
    assert export_decoder(loud, "float16").max_abs_error > GRAY_LEVEL
    assert len(export_decoder(calm).data) < 0.6 * len(export_decoder(calm, "float32").data)


def test_stages_of_a_cvae_and_an_m2_with_variance_per_input(tmp_path: Path) -> None:
    torch.manual_seed(0)
    m1 = VAEConfig(latent_dim=6, hidden=(32,))
    m2 = M2(M2Config(latent_dim=2, hidden=(24,), m1=json.loads(m1.to_json())))
    cvae = build_model(CVAEConfig(latent_dim=3, hidden=(16, 8), activation="tanh"))
    for model, names in ((m2, ["features", "pixels"]), (cvae, ["pixels"])):
        path = tmp_path / "d.safetensors"
        path.write_bytes(export_decoder(model).data)
        spec, decode = numpy_decoder_from_file(path)
        assert [s["name"] for s in spec["stages"]] == names
        assert spec["stages"][0]["label"] and spec["label"] == "onehot-concat"
        z, y = random_inputs(model, 64)
        assert np.abs(decode(z, y) - model_probs(model, z, y)).max() <= GRAY_LEVEL
    # The features stage keeps only the mean of p(z1|y,z2): 6 outputs, not 12.
    assert m2.decoder_stages()[0].out_features == 6


def test_stages_of_a_cvae_whose_every_decoder_layer_reads_the_label(tmp_path: Path) -> None:
    torch.manual_seed(0)
    config = CVAEConfig(latent_dim=2, hidden=(16, 8), label_every_layer=True)
    model = build_model(config)
    file = export_decoder(model)
    # The float16 check runs these stages as a client does: a freshly initialised net stays
    # within a gray level in float16 (as the plain CVAE does), so that is what ships.
    assert file.dtype == "float16" and file.max_abs_error < 0.1 * GRAY_LEVEL
    path = tmp_path / "d.safetensors"
    path.write_bytes(file.data)
    spec, decode = numpy_decoder_from_file(path)
    stages = spec["stages"]
    assert [s["label"] for s in stages] == [True, True, True]
    assert [s["output"] for s in stages] == ["elu", "elu", "sigmoid"]
    z, y = random_inputs(model, 64)
    assert np.abs(decode(z, y) - model_probs(model, z, y)).max() <= GRAY_LEVEL
    # Later layers have label columns (the decoder mirrors hidden: 8 + 10 inputs, not 8), and
    # they matter: the same z with two labels decodes differently.
    assert model.decoder.layers[1].in_features == 8 + 10
    same_z = np.repeat(z[:1], 2, 0)
    assert np.abs(np.diff(decode(same_z, np.array([0, 5])), axis=0)).max() > 1e-3


def test_a_model_that_is_not_walkable_has_no_decoder_file() -> None:
    model = load_checkpoint(ROOT / "checkpoints" / "completion-mnist.safetensors", device="cpu")
    assert model.decoder_stages() is None and export_decoder(model) is None


@pytest.fixture(scope="module")
def client():
    with TestClient(create_app(Settings(checkpoints=ROOT / "checkpoints", device="cpu"))) as c:
        yield c


def test_route_serves_the_file_with_immutable_caching(client: TestClient) -> None:
    by_id = {m["id"]: m for m in client.get("/api/models").json()}
    info = by_id["vae-mnist-z2"]["decoder"]
    assert info["url"].endswith(f"?v={info['sha256'][:16]}")
    r = client.get(info["url"])
    assert r.status_code == 200
    assert r.headers["cache-control"] == "public, max-age=31536000, immutable"
    assert r.headers["etag"] == f'"{info["sha256"]}"' and len(r.content) == info["bytes"]
    again = client.get(info["url"], headers={"If-None-Match": r.headers["etag"]})
    assert again.status_code == 304 and again.content == b""
    # Without the current hash the URL may change content: revalidate, never keep for good.
    stale = client.get("/api/models/vae-mnist-z2/decoder.safetensors?v=0000000000000000")
    assert stale.status_code == 200 and stale.headers["cache-control"] == "no-cache"
    assert by_id["completion-mnist"]["decoder"] is None


def test_route_404_for_a_model_that_is_not_walkable(client: TestClient) -> None:
    r = client.get("/api/models/completion-mnist/decoder.safetensors")
    assert r.status_code == 404
    detail = r.json()["detail"]
    assert detail[0]["loc"] == ["path", "model_id"] and "not walkable" in detail[0]["msg"]
    assert client.get("/api/models/nope/decoder.safetensors").status_code == 404


def test_export_decoder_command_writes_what_the_server_serves(tmp_path: Path, capsys) -> None:
    from latent_explorer.cli import main

    checkpoints = [ROOT / "checkpoints" / f"{s}.safetensors" for s in ("cvae-mnist-z2",)]
    main(["export-decoder", *map(str, checkpoints), "--out", str(tmp_path)])
    out = capsys.readouterr().out
    assert "cvae-mnist-z2" in out and "float16" in out
    written = (tmp_path / "cvae-mnist-z2.decoder.safetensors").read_bytes()
    model = load_checkpoint(checkpoints[0], device="cpu")
    assert written == export_decoder(model).data  # the same bytes: the export is deterministic
