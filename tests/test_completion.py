"""Image completion: masks, the loss and bound, and the /complete endpoint's contract."""

from __future__ import annotations

import io

import numpy as np
import pytest
import torch
from fastapi.testclient import TestClient
from PIL import Image

from latent_explorer.model import load_checkpoint
from latent_explorer.model.completion import (
    BENCHMARK_MASKS,
    NAMED_REGIONS,
    TRAINING_QUADRANT_SETS,
    CompletionConfig,
    CompletionCVAE,
    completion_loss,
    iw_missing_nll,
    missing_bce,
    pyro_negative_elbo,
    quadrant_mask,
    random_masks,
)
from latent_explorer.model.training.completion_nn import load_baseline, masked_bce, masked_input
from latent_explorer.server import Settings, create_app
from tests.api_helpers import data_url_to_array, fixture_digits
from tests.conftest import ROOT

MODEL = "completion-mnist"


def test_quadrant_masks() -> None:
    left = quadrant_mask(NAMED_REGIONS["left-half"]).reshape(28, 28)
    assert left[:, :14].all() and not left[:, 14:].any()
    assert quadrant_mask([3]).reshape(28, 28)[14:, 14:].all() and quadrant_mask([3]).sum() == 196
    assert len(TRAINING_QUADRANT_SETS) == 14  # 4 singles, 6 pairs (halves, diagonals), 4 triples
    masks = random_masks(500, torch.Generator().manual_seed(0))
    visible = masks.sum(1) / 196
    assert set(visible.unique().tolist()) == {1.0, 2.0, 3.0}


def test_only_missing_pixels_are_scored() -> None:
    logits = torch.randn(6, 784)
    x = torch.bernoulli(torch.rand(6, 784))
    mask = quadrant_mask([0, 1, 2]).expand(6, -1)
    flipped = torch.where(mask == 1, 1 - x, x)  # change every visible pixel only
    torch.testing.assert_close(missing_bce(logits, x, mask), missing_bce(logits, flipped, mask))
    hidden = torch.where(mask == 0, 1 - x, x)
    assert not torch.allclose(missing_bce(logits, x, mask), missing_bce(logits, hidden, mask))


def test_iw_bound_is_not_looser_than_the_elbo() -> None:
    model = CompletionCVAE(CompletionConfig(latent_dim=4, hidden=(32,), baseline_hidden=(16,)))
    x = torch.bernoulli(torch.rand(6, 784))
    mask = quadrant_mask([0, 1, 2]).expand(6, -1)
    with torch.no_grad():
        elbo = torch.stack([completion_loss(model, x, mask)["loss"] for _ in range(300)]).mean(0)
        iw = iw_missing_nll(model, x, mask, k=300)
        assert completion_loss(model, x, mask)["baseline"].shape == (6,)
    assert torch.all(iw <= elbo + 0.5)


# Pyro's published table (examples/cvae): their -ELBO with gray targets, 10 particles.
PYRO_CVAE = {1: 71.8, 2: 51.0, 3: 24.2}
PYRO_NN = {1: 100.4, 2: 61.9, 3: 25.4}


def _fixture_gray() -> torch.Tensor:
    return torch.stack([torch.from_numpy(img).float().reshape(784) for _, img in fixture_digits()])


def _agrees(per_image: torch.Tensor, stored: float) -> bool:
    """Ten digits are a small sample: the stored test-set mean lies within four standard errors."""
    stderr = per_image.std().item() / len(per_image) ** 0.5
    return abs(per_image.mean().item() - stored) < 4 * stderr


@torch.no_grad()
def test_shipped_model_beats_pyros_cvae_under_their_estimator() -> None:
    """Stored: Pyro's own estimator over the 10,000 test images beats their CVAE by 2 nats in
    every column (the issue's target). Behaviour: that estimator recomputed on the committed
    test digits agrees with the stored figure."""
    model = load_checkpoint(ROOT / "checkpoints" / f"{MODEL}.safetensors")
    m = model.metadata["metrics"]
    assert m["test_images"] == 10000 and m["pyro_particles"] == 10 and m["iw_k"] >= 100
    assert (ROOT / "checkpoints" / f"{MODEL}.safetensors").stat().st_size < 10 * 1024 * 1024
    x = _fixture_gray()
    for q, quadrants in BENCHMARK_MASKS.items():
        stored = m[f"cvae_pyro_neg_elbo_{q}q"]
        assert stored <= PYRO_CVAE[q] - 2, (q, stored)
        torch.manual_seed(0)
        mask = quadrant_mask(quadrants).expand(len(x), -1)
        assert _agrees(pyro_negative_elbo(model, x, mask, particles=10), stored)


@torch.no_grad()
def test_shipped_nn_baselines() -> None:
    """One Pyro-style NN per mask, outside the served folder; its stored test BCE agrees with the
    committed test digits, and more visible quadrants leave less to guess."""
    stored = {}
    x = _fixture_gray()
    for q, quadrants in BENCHMARK_MASKS.items():
        path = ROOT / "checkpoints" / "nn-baselines" / f"completion-nn-mnist-{q}q.safetensors"
        assert path.stat().st_size < 10 * 1024 * 1024
        net, md = load_baseline(path)
        assert md["visible_quadrants"] == list(quadrants) and md["metrics"]["test_images"] == 10000
        stored[q] = md["metrics"]["test_masked_bce_gray"]
        mask = quadrant_mask(quadrants).expand(len(x), -1)
        assert _agrees(masked_bce(net(masked_input(x, mask)), x, mask), stored[q])
    assert stored[1] > stored[2] > stored[3]


@pytest.fixture(scope="module")
def client():
    with TestClient(create_app(Settings(checkpoints=ROOT / "checkpoints", device="cpu"))) as c:
        yield c


def _digit() -> np.ndarray:
    return fixture_digits()[0][1]


@pytest.mark.parametrize(
    "mask",
    [
        "left-half",
        "top-half",
        "bottom-right",
        {"quadrants": [0, 3]},
        {"quadrants": [0, 1, 2]},
        quadrant_mask([1, 2]).reshape(28, 28).int().tolist(),
        quadrant_mask([2]).int().tolist(),
    ],
)
def test_completions_keep_the_visible_pixels(client: TestClient, mask) -> None:
    digit = _digit()
    r = client.post(
        f"/api/models/{MODEL}/complete",
        json={"pixels": digit.tolist(), "mask": mask, "n": 4, "seed": 3},
    )
    assert r.status_code == 200, r.text
    body = r.json()
    visible = np.array(body["mask"], dtype=bool)
    assert visible.shape == (28, 28) and visible.any() and not visible.all()
    assert len(body["images"]) == 4
    for url in body["images"]:
        img = data_url_to_array(url)
        assert np.abs(img[visible] - digit[visible]).max() <= 1 / 255 + 1e-6
        assert img[~visible].max() > 0.2  # something was drawn in the hidden part


def test_seeds(client: TestClient) -> None:
    body = {"pixels": _digit().tolist(), "mask": "top-half", "n": 3}
    a = client.post(f"/api/models/{MODEL}/complete", json={**body, "seed": 1}).json()["images"]
    b = client.post(f"/api/models/{MODEL}/complete", json={**body, "seed": 1}).json()["images"]
    c = client.post(f"/api/models/{MODEL}/complete", json={**body, "seed": 2}).json()["images"]
    assert a == b and a != c
    assert len(set(a)) == 3  # the n completions differ from each other


def test_completions_as_probabilities(client: TestClient) -> None:
    """API pass: /complete answered PNGs only (8-bit), where decode, generate and interpolate
    give probabilities too; a notebook scoring completions needs them. The same completions,
    the visible pixels exactly as sent; no logits (a visible 0 or 1 has none)."""
    digit = _digit()
    body = {"pixels": digit.tolist(), "mask": "left-half", "n": 3, "seed": 4}
    url = f"/api/models/{MODEL}/complete"
    pngs = client.post(url, json=body).json()
    r = client.post(url, json={**body, "output": "probs"})
    assert r.status_code == 200, r.text
    probs = np.array(r.json()["images"])
    assert r.json()["output"] == "probs" and pngs["output"] == "png"
    assert probs.shape == (3, 28, 28) and probs.min() >= 0 and probs.max() <= 1
    visible = np.array(r.json()["mask"], dtype=bool)
    assert np.abs(probs[:, visible] - digit[visible].round(6)).max() <= 1e-6
    for p, png in zip(probs, pngs["images"], strict=True):  # the same draws, not rounded to 8 bits
        assert np.abs(p - data_url_to_array(png)).max() <= 0.5 / 255 + 1e-6
    assert np.abs(probs - np.round(probs * 255) / 255).max() > 1e-3
    refused = client.post(url, json={**body, "output": "logits"})
    assert refused.status_code == 422 and refused.json()["detail"][0]["loc"] == ["body", "output"]
    form = {"mask": "left-half", "n": "2", "output": "probs"}
    buf = io.BytesIO()
    Image.fromarray((digit * 255).astype(np.uint8)).save(buf, "PNG")
    upload = client.post(url, files={"image": ("d.png", buf.getvalue())}, data=form)
    assert upload.status_code == 200 and np.array(upload.json()["images"]).shape == (2, 28, 28)


def test_upload(client: TestClient) -> None:
    big = Image.fromarray((_digit() * 255).astype(np.uint8)).resize((140, 140))
    buf = io.BytesIO()
    big.save(buf, "PNG")
    r = client.post(
        f"/api/models/{MODEL}/complete",
        files={"image": ("d.png", buf.getvalue())},
        data={"mask": "left-half", "n": "2", "seed": "5"},
    )
    assert r.status_code == 200, r.text
    assert len(r.json()["images"]) == 2
    # The image as read comes back (the page shows it on its pad): the 140 px digit, shrunk.
    read = data_url_to_array(r.json()["preprocessed"])
    assert read.shape == (28, 28) and np.abs(read - _digit()).mean() < 0.05
    r = client.post(
        f"/api/models/{MODEL}/complete",
        files={"image": ("d.png", buf.getvalue())},
        data={"mask": '{"quadrants": [0]}'},
    )
    assert r.status_code == 200, r.text


@pytest.mark.parametrize(
    "mask",
    [
        "middle",
        {"quadrants": []},
        {"quadrants": [0, 1, 2, 3]},
        {"quadrants": [4]},
        {"quadrants": [1, 1]},
        [[1] * 28] * 27,
        [0] * 784,
        [1] * 784,
        [2] * 784,
        7,
    ],
)
def test_bad_masks_are_422(client: TestClient, mask) -> None:
    r = client.post(
        f"/api/models/{MODEL}/complete", json={"pixels": _digit().tolist(), "mask": mask}
    )
    assert r.status_code == 422 and "mask" in r.text, r.text


@pytest.mark.parametrize("body", [{"n": 0}, {"n": 65}, {"seed": -1}, {"pixels": [0.5] * 10}])
def test_bad_bodies_are_422(client: TestClient, body) -> None:
    full = {"pixels": _digit().tolist(), "mask": "left-half", **body}
    r = client.post(f"/api/models/{MODEL}/complete", json=full)
    assert r.status_code == 422


def test_other_endpoints_refuse_a_completion_model(client: TestClient) -> None:
    api = f"/api/models/{MODEL}"
    for r in (
        client.post(f"{api}/decode", json={"z": [[0.0] * 16]}),
        client.get(f"{api}/decode.png?z=" + ",".join(["0"] * 16)),
        client.post(f"{api}/generate", json={"n": 1}),
        client.post(f"{api}/encode", json={"pixels": [0.0] * 784}),
        client.get(f"{api}/grid.png?n=2"),
    ):
        assert r.status_code == 422 and "complete" in r.text, r.text
    r = client.post(
        "/api/models/vae-mnist-z2/complete", json={"pixels": [0.0] * 784, "mask": "left-half"}
    )
    assert r.status_code == 422 and "not a completion model" in r.text


def test_a_completion_answer_is_written_off_the_event_loop(client: TestClient, monkeypatch) -> None:
    """Review 15: 64 x 784 probabilities were checked and written by FastAPI on the event loop
    (~4 ms of it); they are written in the worker thread that decoded them, where no loop runs."""
    import asyncio

    from latent_explorer.server.routes import complete as complete_route

    on_loop: list[bool] = []
    real = complete_route.to_json

    def spy(value):  # noqa: ANN001, ANN202
        try:
            asyncio.get_running_loop()
            on_loop.append(True)
        except RuntimeError:
            on_loop.append(False)
        return real(value)

    monkeypatch.setattr(complete_route, "to_json", spy)
    body = {"pixels": _digit().tolist(), "mask": "left-half", "n": 2, "output": "probs"}
    r = client.post(f"/api/models/{MODEL}/complete", json=body)
    assert r.status_code == 200 and np.array(r.json()["images"]).shape == (2, 28, 28)
    assert on_loop == [False]
