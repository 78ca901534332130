"""Fashion-MNIST without the real data set: a model trained on IDX files written here carries the
class names in its checkpoint, the API shows them, and evaluate judges its samples."""

from __future__ import annotations

import shutil
from pathlib import Path

from fastapi.testclient import TestClient

from latent_explorer.cli import build_parser
from latent_explorer.model import load_checkpoint
from latent_explorer.model.data import FASHION_CLASSES
from latent_explorer.model.evaluation.cli import evaluate
from latent_explorer.model.training.vae import train
from latent_explorer.server import Settings, create_app


def test_fashion_class_names_travel_to_the_api(tmp_path: Path, tiny_data_dir: Path) -> None:
    out = tmp_path / "ckpt" / "cvae-fashion-z2.safetensors"
    args = build_parser().parse_args(
        [
            "train",
            "--model",
            "cvae",
            "--dataset",
            "fashion-mnist",
            "--data-dir",
            str(tiny_data_dir),
            "--hidden",
            "32",
            "--epochs",
            "1",
            "--quiet",
            "--device",
            "cpu",
            "--out",
            str(out),
        ]
    )
    train(args)
    assert load_checkpoint(out).metadata["class_names"] == list(FASHION_CLASSES)
    metrics = evaluate(out, k=5, device="cpu", data_dir=str(tiny_data_dir))
    assert 0 <= metrics["conditional_sample_accuracy"] <= 1
    assert 0 <= metrics["judge_test_error"] <= 1
    for leftover in out.parent.glob("*.train-state.safetensors"):
        shutil.move(leftover, tmp_path / leftover.name)
    with TestClient(create_app(Settings(checkpoints=out.parent, device="cpu"))) as client:
        r = client.get("/api/models")
        assert r.status_code == 200
        (entry,) = r.json()
        assert entry["dataset"] == "fashion-mnist"
        assert entry["class_names"] == list(FASHION_CLASSES)
