"""A CVAE whose every decoder layer reads the label (`train --label-every-layer`): it trains from
the command line, its checkpoint says so, and the server decodes it as the model does, through
the API and through the decoder file the page runs."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import torch
from fastapi.testclient import TestClient

from latent_explorer.cli import build_parser
from latent_explorer.model import load_checkpoint
from latent_explorer.model.training.vae import train
from latent_explorer.server import Settings, create_app
from tests.test_decoder_file import numpy_decoder_from_file


def test_trained_from_the_command_line_and_served(tmp_path: Path, tiny_data_dir: Path) -> None:
    out = tmp_path / "ckpt" / "cvae-every-layer.safetensors"
    flags = ["--model", "cvae", "--hidden", "32,24", "--label-every-layer", "--epochs", "1"]
    rest = ["--data-dir", str(tiny_data_dir), "--quiet", "--device", "cpu", "--out", str(out)]
    train(build_parser().parse_args(["train", *flags, *rest]))
    model = load_checkpoint(out, device="cpu")
    assert model.config.label_every_layer
    # Three Linear layers (2 -> 24 -> 32 -> 784), each reading z's or the layer's input + 10.
    assert [layer.in_features for layer in model.decoder.layers] == [12, 34, 42]
    for leftover in out.parent.glob("*.train-state.safetensors"):
        shutil.move(leftover, tmp_path / leftover.name)

    z, labels = [[0.3, -1.1], [0.3, -1.1], [-2.0, 0.5]], [1, 7, 4]
    with torch.no_grad():
        want = torch.sigmoid(model.decode(torch.tensor(z), torch.tensor(labels)))
    want = want.reshape(3, -1).numpy()
    with TestClient(create_app(Settings(checkpoints=out.parent, device="cpu"))) as client:
        (info,) = client.get("/api/models").json()
        assert info["capabilities"]["walkable"] and info["decoder"]["url"]
        body = {"z": z, "labels": labels, "output": "probs"}
        r = client.post(f"/api/models/{info['id']}/decode", json=body)
        assert r.status_code == 200, r.text
        served = np.array(r.json()["images"]).reshape(3, -1)
        assert np.abs(served - want).max() < 1e-5
        assert np.abs(served[0] - served[1]).max() > 1e-3  # the label changes the image
        file = tmp_path / "decoder.safetensors"
        file.write_bytes(client.get(info["decoder"]["url"]).content)
    spec, decode = numpy_decoder_from_file(file)
    assert len(spec["stages"]) == 3 and all(s["label"] for s in spec["stages"])
    assert np.abs(decode(np.array(z, np.float32), np.array(labels)) - want).max() <= 1 / 255
