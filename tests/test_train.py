"""A short training run on a small synthetic set lowers the loss and leaves loadable checkpoints."""

from pathlib import Path

import pytest

from latent_explorer_cli import build_parser
from model import load_checkpoint
from model.evaluate import evaluate
from model.train import pick_device, train


def _args(tmp_path: Path, data_dir: Path, *extra: str):
    return build_parser().parse_args(
        [
            "train",
            "--data-dir",
            str(data_dir),
            "--hidden",
            "64",
            "--batch-size",
            "64",
            "--quiet",
            "--out",
            str(tmp_path / "m.safetensors"),
            "--device",
            "cpu",
            *extra,
        ]
    )


@pytest.mark.parametrize("kind", ["ae", "vae", "cvae"])
def test_two_epochs_lower_the_loss(tmp_path: Path, tiny_data_dir: Path, kind: str) -> None:
    path = train(_args(tmp_path, tiny_data_dir, "--model", kind, "--epochs", "2", "--lr", "3e-3"))
    model = load_checkpoint(path)
    history = model.metadata["history"]
    assert [h["epoch"] for h in history] == [1, 2]
    assert history[1]["test_loss"] < history[0]["test_loss"]
    assert model.atlas["mu"].shape == (128, 2)
    assert model.metadata["train_args"]["model"] == kind


def test_resume_continues_where_it_stopped(tmp_path: Path, tiny_data_dir: Path) -> None:
    train(_args(tmp_path, tiny_data_dir, "--epochs", "1"))
    path = train(_args(tmp_path, tiny_data_dir, "--epochs", "3", "--resume"))
    history = load_checkpoint(path).metadata["history"]
    assert [h["epoch"] for h in history] == [1, 2, 3]


def test_same_seed_same_weights(tmp_path: Path, tiny_data_dir: Path) -> None:
    import torch

    a = load_checkpoint(train(_args(tmp_path / "a", tiny_data_dir, "--epochs", "1")))
    b = load_checkpoint(train(_args(tmp_path / "b", tiny_data_dir, "--epochs", "1")))
    for key, value in a.state_dict().items():
        assert torch.equal(value, b.state_dict()[key])


def test_evaluate_writes_metrics(tmp_path: Path, tiny_data_dir: Path) -> None:
    path = train(_args(tmp_path, tiny_data_dir, "--model", "cvae", "--epochs", "1"))
    metrics = evaluate(path, k=20, device="cpu", data_dir=str(tiny_data_dir))
    assert metrics["test_nll_given_label"] <= metrics["test_neg_elbo"] + 1.0
    assert 0 <= metrics["active_units"] <= 2
    assert metrics["pca_recon_sq_error"] > 0
    assert load_checkpoint(path).metadata["metrics"] == metrics


def test_pick_device() -> None:
    import torch

    assert pick_device("cpu").type == "cpu"
    assert pick_device("auto").type == ("cuda" if torch.cuda.is_available() else "cpu")
    if not torch.cuda.is_available():
        with pytest.raises(RuntimeError, match="no CUDA"):
            pick_device("cuda")
