"""Probabilistic PCA against its closed form and torch's Gaussians, and its `train`/`evaluate`."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch
from torch.distributions import MultivariateNormal

from latent_explorer.cli import build_parser
from latent_explorer.model import PPCA, PCAConfig, load_checkpoint
from latent_explorer.model.evaluation.cli import evaluate
from latent_explorer.model.ppca import EPS
from latent_explorer.model.scoring import percentile
from latent_explorer.model.training.pca import train_pca
from tests.conftest import ROOT


def small_ppca(d: int = 6, q: int = 2, n: int = 400) -> tuple[PPCA, torch.Tensor]:
    """A PPCA fitted on data in [0, 1] from a known 2-d linear model plus noise."""
    gen = torch.Generator().manual_seed(0)
    w = torch.randn(d, q, generator=gen) * 0.15
    x = 0.5 + torch.randn(n, q, generator=gen) @ w.T + 0.02 * torch.randn(n, d, generator=gen)
    return PPCA(PCAConfig(latent_dim=q, input_dim=d)).fit(x.clamp(0, 1)), x.clamp(0, 1)


def test_fit_is_the_maximum_likelihood_solution() -> None:
    model, x = small_ppca()
    cov = torch.cov(x.T.double(), correction=0)
    values = torch.linalg.eigvalsh(cov).flip(0)
    assert model.noise_var.item() == pytest.approx(values[2:].mean().item(), rel=1e-4)
    # W W^T + s2 I keeps the top two eigenvalues of the data covariance exactly.
    c = model.weight.double() @ model.weight.double().T + model.noise_var.double() * torch.eye(6)
    assert torch.allclose(torch.linalg.eigvalsh(c).flip(0)[:2], values[:2], rtol=1e-4)


def test_posterior_and_density_match_torch() -> None:
    """q(z|x) is the exact Gaussian posterior, and the NLL is the marginal N(mu, W W^T + s2 I)."""
    model, x = small_ppca()
    w, s2, mean = model.weight.double(), model.noise_var.double(), model.mean.double()
    m = w.T @ w + s2 * torch.eye(2)
    post_mean = (x.double() - mean) @ w @ torch.linalg.inv(m).T
    mu, logvar = model.encode(x)
    assert torch.allclose(mu.double(), post_mean, atol=1e-4)
    post_cov = s2 * torch.linalg.inv(m)
    assert torch.allclose(logvar[0].exp().double(), torch.diagonal(post_cov), rtol=1e-4)
    assert torch.allclose(post_cov, torch.diag(torch.diagonal(post_cov)), atol=1e-9)
    marginal = MultivariateNormal(mean, w @ w.T + s2 * torch.eye(6))
    expected = -marginal.log_prob(x.double())
    assert torch.allclose(model.gaussian_nll(x).double(), expected, rtol=1e-4, atol=1e-3)


def test_decode_is_the_logit_of_the_clamped_linear_mean() -> None:
    model, _ = small_ppca(d=784, n=200)
    z = torch.tensor([[0.0, 0.0], [30.0, -30.0]])
    linear = z @ model.weight.T + model.mean
    probs = torch.sigmoid(model.decode(z)).reshape(2, -1)
    assert torch.allclose(probs, linear.clamp(EPS, 1 - EPS), atol=1e-6)
    assert (linear < 0).any() and (linear > 1).any()  # the clamp had work to do
    with pytest.raises(ValueError, match="takes no labels"):
        model.decode(z, torch.tensor([1, 2]))


def test_train_pca_and_evaluate(tmp_path: Path, tiny_data_dir: Path) -> None:
    args = build_parser().parse_args(
        ["train", "--model", "pca", "--latent-dim", "2", "--data-dir", str(tiny_data_dir),
         "--out", str(tmp_path / "pca.safetensors")]
    )  # fmt: skip
    path = train_pca(args)
    model = load_checkpoint(path)
    assert model.kind == "pca" and model.atlas["mu"].shape == (128, 2)
    caps = model.capabilities
    assert caps.walkable and caps.standard_normal_prior and caps.stochastic
    assert not caps.likelihood  # Gaussian nats of gray pixels are not the others' nats
    metrics = evaluate(path, k=5, device="cpu", data_dir=str(tiny_data_dir))
    assert 0 < metrics["recon_sq_error"] <= metrics["pca_recon_sq_error"] * 1.01
    assert "test_gaussian_nll" in metrics and "test_iw_nll" not in metrics
    assert "drawing_nll" not in load_checkpoint(path).metadata


def test_evaluate_stores_the_drawing_quantiles(tmp_path: Path, tiny_data_dir: Path) -> None:
    from latent_explorer.model.training.vae import train

    args = build_parser().parse_args(
        ["train", "--data-dir", str(tiny_data_dir), "--hidden", "64", "--epochs", "1",
         "--quiet", "--device", "cpu", "--out", str(tmp_path / "v.safetensors")]
    )  # fmt: skip
    path = train(args)
    metrics = evaluate(path, k=5, device="cpu", data_dir=str(tiny_data_dir))
    stored = load_checkpoint(path).metadata["drawing_nll"]
    q = stored["quantiles"]
    assert stored["k"] == 100 and len(q) == 101 and q == sorted(q)
    assert q[0] <= metrics["test_threshold_nll_k100"] <= q[-1]
    assert percentile(q[50], q) == pytest.approx(50, abs=1)
    assert percentile(q[-1] + 100, q) == 100 and percentile(q[0] - 100, q) == 0


@torch.no_grad()
def test_shipped_pca_behaves() -> None:
    """The shipped checkpoint: its atlas is its encoding of the test digits, and their squared
    error agrees with the stored test-set mean within four standard errors."""
    from latent_explorer.model.pca import squared_error
    from tests.test_checkpoint import _fixture_batch

    model = load_checkpoint(ROOT / "checkpoints" / "pca-mnist-z2.safetensors")
    x, labels, index = _fixture_batch()
    mu = model.encode(x)[0]
    torch.testing.assert_close(mu, model.atlas["mu"][index].float(), atol=1e-4, rtol=1e-4)
    assert torch.equal(model.atlas["labels"][index].long(), labels)
    errors = squared_error(torch.sigmoid(model.decode(mu)), x)
    stored = model.metadata["metrics"]["recon_sq_error"]
    assert abs(errors.mean().item() - stored) < 4 * errors.std().item() / len(errors) ** 0.5
