"""The API's new fields (a drawing in nats) and the PCA model, with the shipped checkpoints."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from fastapi.testclient import TestClient

from latent_explorer.model import load_checkpoint
from latent_explorer.model.scoring import drawing_scores, threshold
from latent_explorer.server import Settings, create_app
from tests.api_helpers import fixture_digits, png_to_array
from tests.conftest import ROOT

PCA, VAE, CVAE, AE, Z16 = (
    "pca-mnist-z2",
    "vae-mnist-z2",
    "cvae-mnist-z2",
    "ae-mnist-z2",
    "vae-mnist-z16",
)
README_PCA_SQ_ERROR = 43.65  # README: squared error per gray test image, PCA with 2 components


@pytest.fixture(scope="module")
def client():
    settings = Settings(checkpoints=ROOT / "checkpoints", device="cpu")
    with TestClient(create_app(settings)) as c:
        yield c


def encode(client: TestClient, model: str, pixels: np.ndarray, label: int | None = None) -> dict:
    r = client.post(f"/api/models/{model}/encode", json={"pixels": pixels.tolist(), "label": label})
    assert r.status_code == 200, r.text
    return r.json()


def test_pca_is_listed_as_a_walkable_model_with_a_prior(client: TestClient) -> None:
    info = client.get(f"/api/models/{PCA}").json()
    caps = info["capabilities"]
    assert info["kind"] == "pca" and info["latent_dim"] == 2
    assert caps["walkable"] and caps["stochastic"] and caps["standard_normal_prior"]
    assert not caps["likelihood"] and not caps["conditional"]
    head = info["headline_metric"]
    assert head["name"] == "recon_sq_error" and head["unit"] == "squared error"
    # The evaluation's number is the README's PCA number (posterior mean, clamped: a bit lower).
    assert head["value"] == pytest.approx(README_PCA_SQ_ERROR, rel=0.01)
    assert info["metrics"]["pca_recon_sq_error"] == pytest.approx(README_PCA_SQ_ERROR, abs=0.01)


def test_pca_serves_every_walkable_endpoint(client: TestClient) -> None:
    base = f"/api/models/{PCA}"
    assert client.get(f"{base}/decode.png?z=0.5,-1").headers["content-type"] == "image/png"
    assert client.get(f"{base}/grid.png?n=4").status_code == 200
    atlas = client.get(f"{base}/atlas").json()
    assert len(atlas["points"]) == 10_000 and atlas["dims"] == [0, 1]
    # Whitened latents: the test set's codes have about unit variance, like the prior's.
    assert np.std(atlas["points"], axis=0) == pytest.approx([1.0, 1.0], abs=0.1)
    r = client.post(f"{base}/generate", json={"n": 3, "seed": 1, "temperature": 0.5})
    assert r.status_code == 200 and len(r.json()["images"]) == 3
    r = client.post(f"{base}/interpolate", json={"start": {"z": [-2, 0]}, "end": {"z": [2, 0]}})
    assert r.status_code == 200 and len(r.json()["images"]) == 8


def test_pca_encode_then_decode_reconstructs_like_pca(client: TestClient) -> None:
    """Through the API, each test digit comes back with PCA's own squared error (the plain
    projection onto the two principal axes, from the checkpoint's W), within 2%."""
    model = load_checkpoint(ROOT / "checkpoints" / f"{PCA}.safetensors")
    axes = model.weight / (model.eigenvalues - model.noise_var).sqrt()  # unit eigenvectors
    api_errors, pca_errors = [], []
    for _, img in fixture_digits():
        body = encode(client, PCA, img)
        assert body["elbo"] is None and body["nll"] is None  # no Bernoulli likelihood
        assert np.exp(body["logvar"]) == pytest.approx(
            (model.noise_var / model.eigenvalues).tolist(), rel=1e-4
        )
        r = client.post(f"/api/models/{PCA}/decode", json={"z": [body["mu"]], "output": "probs"})
        recon = np.asarray(r.json()["images"][0])
        api_errors.append(((recon - img) ** 2).sum())
        x = torch.from_numpy(img).reshape(-1) - model.mean
        plain = (x @ axes) @ axes.T + model.mean
        pca_errors.append(((plain.numpy() - img.reshape(-1)) ** 2).sum())
    assert np.mean(api_errors) == pytest.approx(np.mean(pca_errors), rel=0.02)
    assert np.mean(api_errors) < 2 * README_PCA_SQ_ERROR  # ten digits: near the test mean


@pytest.mark.parametrize("model_id", [VAE, CVAE, Z16])
def test_a_drawing_in_nats(client: TestClient, model_id: str) -> None:
    label, img = fixture_digits()[0]
    body = encode(client, model_id, img, label if model_id == CVAE else None)
    elbo = body["elbo"]
    assert elbo["negative_elbo"] == pytest.approx(elbo["reconstruction"] + elbo["kl"], abs=0.01)
    assert elbo["kl"] > 0 and elbo["reconstruction"] > 0
    assert body["nll_k"] == 100
    assert 0 < body["nll"] <= elbo["negative_elbo"] + 2.0  # the IW bound is the tighter one
    assert len(body["kl_per_dim"]) == len(body["mu"])
    assert sum(body["kl_per_dim"]) == pytest.approx(elbo["kl"], abs=0.01)
    assert 0 <= body["percentile"] <= 100  # the evaluation stored the test set's quantiles
    # The same drawing, the same numbers (a fixed seed), as `evaluate` scored the test set.
    assert encode(client, model_id, img, label if model_id == CVAE else None) == body
    m = load_checkpoint(ROOT / "checkpoints" / f"{model_id}.safetensors")
    y = torch.tensor([label]) if model_id == CVAE else None
    x = threshold(torch.from_numpy(img).reshape(1, 1, 28, 28))
    assert body["nll"] == pytest.approx(drawing_scores(m, x, y)["nll"].item(), abs=1e-2)


def test_a_letter_is_an_outlier_and_a_digit_is_not(client: TestClient) -> None:
    """The page's message rests on this: an X-with-a-box is far out among the test digits."""
    _, digit = fixture_digits()[0]
    letter = np.zeros((28, 28), dtype=np.float32)
    letter[4:24, 4:6] = letter[4:24, 22:24] = letter[4:6, 4:24] = letter[22:24, 4:24] = 1.0
    for i in range(4, 24):
        letter[i, i] = letter[i, 27 - i] = 1.0
    assert encode(client, VAE, digit)["percentile"] < 95
    assert encode(client, VAE, letter)["percentile"] > 99


def test_models_without_a_likelihood_have_no_nats(client: TestClient) -> None:
    _, img = fixture_digits()[0]
    for model_id in (AE, "m2-mnist-100"):
        body = encode(client, model_id, img)
        assert body["elbo"] is None and body["nll"] is None and body["percentile"] is None


def test_encode_upload_gets_nats_too(client: TestClient) -> None:
    path = sorted((ROOT / "tests" / "fixtures" / "mnist").glob("*.png"))[0]
    r = client.post(f"/api/models/{VAE}/encode", files={"image": ("d.png", path.read_bytes())})
    assert r.status_code == 200 and r.json()["elbo"]["negative_elbo"] > 0
    assert png_to_array(path.read_bytes()).shape == (28, 28)
