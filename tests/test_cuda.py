"""The server's CUDA path: run where torch sees a GPU (the project never needs one)."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from fastapi.testclient import TestClient

from latent_explorer.server import Settings, create_app
from tests.api_helpers import data_url_to_array, fixture_digits, png_to_array
from tests.conftest import ROOT

pytestmark = pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA GPU")
VAE, CVAE, Z16 = "vae-mnist-z2", "cvae-mnist-z2", "vae-mnist-z16"


@pytest.fixture(scope="module")
def clients():
    with (
        TestClient(create_app(Settings(checkpoints=ROOT / "checkpoints", device="auto"))) as gpu,
        TestClient(create_app(Settings(checkpoints=ROOT / "checkpoints", device="cpu"))) as cpu,
    ):
        yield gpu, cpu


def test_auto_picks_cuda(clients) -> None:
    gpu, cpu = clients
    assert gpu.get("/api/health").json()["device"] == "cuda"
    assert cpu.get("/api/health").json()["device"] == "cpu"
    registry = gpu.app.state.registry
    # Every tensor, buffers included: PPCA keeps its whole fit in buffers and has no parameters.
    for entry in registry.entries.values():
        tensors = [*entry.model.parameters(), *entry.model.buffers()]
        assert tensors and all(t.is_cuda for t in tensors), entry.id


def test_same_answers_as_cpu(clients) -> None:
    gpu, cpu = clients
    body = {"z": [[0.5, -1.2], [2.0, 1.0]], "labels": [3, 8], "output": "probs"}
    a = np.array(gpu.post(f"/api/models/{CVAE}/decode", json=body).json()["images"])
    b = np.array(cpu.post(f"/api/models/{CVAE}/decode", json=body).json()["images"])
    np.testing.assert_allclose(a, b, atol=2e-3)
    gen = {"n": 8, "seed": 7}
    ga, gb = (c.post(f"/api/models/{VAE}/generate", json=gen).json() for c in clients)
    assert ga["z"] == gb["z"]  # drawn on the CPU from the seed, whatever the device
    label, digit = fixture_digits()[0]
    ea, eb = (
        c.post(f"/api/models/{Z16}/encode", json={"pixels": digit.tolist()}).json() for c in clients
    )
    np.testing.assert_allclose(ea["mu"], eb["mu"], atol=2e-3)
    grid_a = png_to_array(gpu.get(f"/api/models/{VAE}/grid.png?n=20").content)
    grid_b = png_to_array(cpu.get(f"/api/models/{VAE}/grid.png?n=20").content)
    assert np.abs(grid_a - grid_b).max() <= 2 / 255
    png_a = png_to_array(gpu.get(f"/api/models/{VAE}/decode.png?z=0.3,0.4").content)
    recon = data_url_to_array(ea["reconstruction"])
    assert png_a.shape == recon.shape == (28, 28)
    frames = gpu.post(
        f"/api/models/{VAE}/interpolate",
        json={"start": {"z": [0, 0]}, "end": {"z": [1, 1]}, "steps": 5},
    )
    assert frames.status_code == 200 and len(frames.json()["images"]) == 5


def test_bad_labels_never_reach_the_gpu(clients) -> None:
    gpu, _ = clients
    r = gpu.post(f"/api/models/{CVAE}/decode", json={"z": [[0, 0]], "labels": [10]})
    assert r.status_code == 422
    assert gpu.get(f"/api/models/{CVAE}/decode.png?z=0,0&label=12").status_code == 422
    # A device-side assert would poison the CUDA context; the server must still answer.
    ok = gpu.post(f"/api/models/{CVAE}/decode", json={"z": [[0, 0]], "labels": [9]})
    assert ok.status_code == 200
