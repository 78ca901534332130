"""Checkpoints: exact round trip, clear errors for missing, truncated and mismatched files."""

import json
from pathlib import Path

import pytest
import torch
from safetensors.torch import save_file

from latent_explorer.model import (
    CheckpointError,
    CVAEConfig,
    VAEConfig,
    build_model,
    load_checkpoint,
)
from latent_explorer.model.checkpoint import read_header, save_checkpoint, update_metadata
from latent_explorer.model.data import binarize
from latent_explorer.model.losses import importance_weighted_nll, negative_elbo
from tests.api_helpers import png_to_array
from tests.conftest import ROOT

SHIPPED = [
    "ae-mnist-z2",
    "vae-mnist-z2",
    "cvae-mnist-z2",
    "vae-mnist-z16",
    "vae-mnist-z16-beta10",
    "m2-mnist-100",
]


def _saved(tmp_path: Path, config=None) -> tuple[Path, torch.nn.Module]:
    model = build_model(config or CVAEConfig(latent_dim=3, hidden=(32, 16)))
    model.metadata = {"dataset": "mnist", "metrics": {"x": 1.5}}
    model.atlas = {"mu": torch.randn(10, 3), "labels": torch.arange(10, dtype=torch.uint8)}
    path = tmp_path / "m.safetensors"
    save_checkpoint(model, path)
    return path, model


@pytest.mark.parametrize("every_layer", [False, True])
def test_round_trip_is_exact(tmp_path: Path, every_layer: bool) -> None:
    config = CVAEConfig(latent_dim=3, hidden=(32, 16), label_every_layer=every_layer)
    path, model = _saved(tmp_path, config)
    loaded = load_checkpoint(path)
    assert not loaded.training
    assert loaded.config == model.config
    assert loaded.metadata == model.metadata
    for key, value in model.state_dict().items():
        assert torch.equal(loaded.state_dict()[key], value)
    assert torch.equal(loaded.atlas["mu"], model.atlas["mu"])
    z, y = torch.randn(4, 3), torch.tensor([0, 1, 2, 3])
    assert torch.equal(loaded.decode(z, y), model.eval().decode(z, y))


def test_header_holds_version_kind_and_config(tmp_path: Path) -> None:
    path, model = _saved(tmp_path)
    header = read_header(path)
    assert header["format_version"] == "1"
    assert header["kind"] == "cvae"
    assert json.loads(header["config"])["latent_dim"] == 3


def test_missing_file_names_it(tmp_path: Path) -> None:
    with pytest.raises(CheckpointError, match="nope.safetensors: no such"):
        load_checkpoint(tmp_path / "nope.safetensors")


def test_truncated_file_names_it(tmp_path: Path) -> None:
    path, _ = _saved(tmp_path)
    data = path.read_bytes()
    for cut in (4, 100, len(data) // 2):
        bad = tmp_path / f"cut{cut}.safetensors"
        bad.write_bytes(data[:cut])
        with pytest.raises(CheckpointError, match=f"cut{cut}.safetensors"):
            load_checkpoint(bad)


def test_not_safetensors_is_refused(tmp_path: Path) -> None:
    import pickle

    bad = tmp_path / "pickled.safetensors"
    bad.write_bytes(pickle.dumps({"a": 1}))
    with pytest.raises(CheckpointError, match="pickled.safetensors"):
        load_checkpoint(bad)


def test_weights_that_do_not_fit_the_config(tmp_path: Path) -> None:
    path, model = _saved(tmp_path)
    header = read_header(path)
    wrong = json.loads(header["config"]) | {"latent_dim": 4}
    state = {"model." + k: v for k, v in model.state_dict().items()}
    bad = tmp_path / "mismatch.safetensors"
    save_file(state, bad, header | {"config": json.dumps(wrong)})
    with pytest.raises(CheckpointError, match="mismatch.safetensors.*shape"):
        load_checkpoint(bad)
    other = tmp_path / "other-kind.safetensors"
    vae_state = {"model." + k: v for k, v in build_model(VAEConfig()).state_dict().items()}
    save_file(vae_state, other, header)
    with pytest.raises(CheckpointError, match="other-kind.safetensors"):
        load_checkpoint(other)


def test_wrong_format_version(tmp_path: Path) -> None:
    path, model = _saved(tmp_path)
    header = read_header(path) | {"format_version": "99"}
    state = {"model." + k: v for k, v in model.state_dict().items()}
    save_file(state, tmp_path / "v99.safetensors", header)
    with pytest.raises(CheckpointError, match="v99.safetensors: format version"):
        load_checkpoint(tmp_path / "v99.safetensors")


def test_update_metadata_merges(tmp_path: Path) -> None:
    path, _ = _saved(tmp_path)
    update_metadata(path, {"metrics": {"nll": 90.0}})
    loaded = load_checkpoint(path)
    assert loaded.metadata == {"dataset": "mnist", "metrics": {"nll": 90.0}}


def _fixture_batch() -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """The committed MNIST test digits: gray images (N, 784), labels, and test-set indices."""
    paths = sorted((ROOT / "tests" / "fixtures" / "mnist").glob("t10k-*.png"))
    images = [torch.from_numpy(png_to_array(p.read_bytes())).reshape(784) for p in paths]
    index = torch.tensor([int(p.stem.split("-")[1]) for p in paths])
    labels = torch.tensor([int(p.stem.rsplit("-", 1)[1]) for p in paths])
    return torch.stack(images), labels, index


@pytest.mark.parametrize("name", SHIPPED)
@torch.no_grad()
def test_shipped_checkpoints_behave(name: str) -> None:
    """Behaviour, not stored numbers: the atlas is this model's encoding of the test digits, and
    the headline metric recomputed on the committed test digits agrees with the stored one."""
    path = ROOT / "checkpoints" / f"{name}.safetensors"
    assert path.stat().st_size < 10 * 1024 * 1024
    model = load_checkpoint(path)
    md, caps = model.metadata, model.capabilities
    assert {"train_args", "train_seconds", "torch_version", "date", "epochs"} <= set(md)
    x, labels, index = _fixture_batch()
    y = labels if caps.conditional and not caps.infers_label else None
    mu = model.encode(x, y)[0]
    torch.testing.assert_close(mu, model.atlas["mu"][index].float(), atol=1e-3, rtol=1e-3)
    assert torch.equal(model.atlas["labels"][index].long(), labels)
    stored = md["metrics"][model.headline.key]
    if caps.infers_label:
        error = (model.classify(x).argmax(1) != labels).float().mean().item()
        assert error <= max(0.3, 2 * stored), (error, stored)
        return
    xb = binarize(x, torch.Generator().manual_seed(0))
    elbo = negative_elbo(model, xb, y)
    if caps.likelihood:
        per_image = importance_weighted_nll(model, xb, y, k=500)
        assert per_image.mean() <= elbo["loss"].mean() + 0.5  # the IW bound is the tighter one
    else:
        per_image = elbo["rec"]
    # Ten digits are a small sample: the stored test-set mean must lie within four standard
    # errors of theirs (a broken decoder or a wrong metric is off by far more).
    stderr = per_image.std().item() / len(per_image) ** 0.5
    assert abs(per_image.mean().item() - stored) < 4 * stderr, (per_image.tolist(), stored)
