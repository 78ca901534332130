"""The ELBO's parts and the importance-weighted bound, checked against PyTorch's own references."""

import pytest
import torch
import torch.nn.functional as F
from torch.distributions import Bernoulli, Independent, Normal, kl_divergence

from latent_explorer.model import CVAEConfig, VAEConfig, build_model
from latent_explorer.model.losses import (
    gaussian_kl,
    importance_weighted_loss,
    importance_weighted_nll,
    log_normal,
    log_standard_normal,
    negative_elbo,
    reconstruction_nll,
)


def test_gaussian_kl_matches_torch_distributions() -> None:
    mu, logvar = torch.randn(5, 7), torch.randn(5, 7)
    q = Independent(Normal(mu, torch.exp(0.5 * logvar)), 1)
    p = Independent(Normal(torch.zeros(7), torch.ones(7)), 1)
    torch.testing.assert_close(gaussian_kl(mu, logvar), kl_divergence(q, p))


def test_bernoulli_term_matches_bernoulli_log_prob() -> None:
    """Per image, against torch.distributions (the code computes it with BCE with logits: a
    reference that is not the same function)."""
    logits = torch.randn(4, 1, 28, 28)
    x = torch.bernoulli(torch.rand(4, 1, 28, 28))
    expected = -Bernoulli(logits=logits).log_prob(x).sum((1, 2, 3))
    got = reconstruction_nll(logits, x, VAEConfig())
    assert got.shape == (4,)
    torch.testing.assert_close(got, expected)


def test_gaussian_likelihood_matches_normal_log_prob() -> None:
    config = VAEConfig(likelihood="gaussian", gaussian_std=0.2)
    logits, x = torch.randn(3, 784), torch.rand(3, 784)
    expected = -Normal(torch.sigmoid(logits), 0.2).log_prob(x).sum(-1)
    torch.testing.assert_close(reconstruction_nll(logits, x, config), expected)


def test_log_normal_matches_torch() -> None:
    z, mu, logvar = torch.randn(6, 3), torch.randn(6, 3), torch.randn(6, 3)
    expected = Independent(Normal(mu, torch.exp(0.5 * logvar)), 1).log_prob(z)
    torch.testing.assert_close(log_normal(z, mu, logvar), expected)


@pytest.mark.parametrize("kind", ["vae", "cvae"])
def test_iw_bound_k1_equals_elbo_in_expectation(kind: str) -> None:
    config = (CVAEConfig if kind == "cvae" else VAEConfig)(latent_dim=3, hidden=(32,))
    model = build_model(config).eval()
    x = torch.bernoulli(torch.rand(8, 784))
    y = torch.arange(8) % 10 if kind == "cvae" else None
    with torch.no_grad():
        elbo = torch.stack([negative_elbo(model, x, y)["loss"] for _ in range(4000)]).mean(0)
        iw1 = torch.stack([importance_weighted_nll(model, x, y, k=1) for _ in range(4000)]).mean(0)
    # Both are Monte Carlo means of the same quantity; their gap shrinks as 1/sqrt(4000).
    torch.testing.assert_close(iw1, elbo, atol=0.5, rtol=0)


def test_iw_bound_tightens_with_k() -> None:
    model = build_model(VAEConfig(latent_dim=2, hidden=(32,))).eval()
    x = torch.bernoulli(torch.rand(16, 784))
    with torch.no_grad():
        neg_elbo = torch.stack([negative_elbo(model, x)["loss"] for _ in range(500)]).mean(0)
        iw = importance_weighted_nll(model, x, k=500, chunk=100)
    # -log p(x) estimate with k=500 is below the -ELBO (the bound is not looser) for every image.
    assert torch.all(iw <= neg_elbo + 1e-3)
    assert (neg_elbo - iw).mean() > 0.01


def test_iwae_training_loss_is_the_k_sample_bound_by_hand() -> None:
    """The training loss is -log (1/k) sum_i p(x|z_i) p(z_i) / q(z_i|x) at the reparameterized
    draws, written out here with torch.distributions, and its gradient reaches both networks."""
    model = build_model(CVAEConfig(latent_dim=2, hidden=(24,))).train()
    x, y, k = torch.bernoulli(torch.rand(5, 784)), torch.tensor([0, 3, 3, 9, 5]), 7
    torch.manual_seed(11)
    loss = importance_weighted_loss(model, x, y, k)
    torch.manual_seed(11)
    with torch.no_grad():
        mu, logvar = model.encode(x, y)
        q = Independent(Normal(mu, torch.exp(0.5 * logvar)), 1)
        z = mu + torch.exp(0.5 * logvar) * torch.randn(k, *mu.shape)
        logits = model.decode(z.reshape(k * 5, 2), y.repeat(k)).view(k, 5, 784)
        log_px = -F.binary_cross_entropy_with_logits(logits, x.expand(k, 5, 784), reduction="none")
        log_w = log_px.sum(-1) + log_standard_normal(z) - q.log_prob(z)
        want = -(torch.logsumexp(log_w, 0) - torch.log(torch.tensor(float(k))))
    torch.testing.assert_close(loss.detach(), want)
    loss.mean().backward()
    for net in (model.encoder, model.decoder):
        assert all(p.grad is not None and p.grad.abs().sum() > 0 for p in net.parameters())


def test_iwae_training_loss_is_below_the_elbo_on_average() -> None:
    model = build_model(VAEConfig(latent_dim=2, hidden=(32,))).eval()
    x = torch.bernoulli(torch.rand(16, 784))
    with torch.no_grad():
        neg_elbo = torch.stack([negative_elbo(model, x)["loss"] for _ in range(400)]).mean(0)
        iw20 = torch.stack([importance_weighted_loss(model, x, None, 20) for _ in range(20)])
        iw20 = iw20.mean(0)
    assert torch.all(iw20 <= neg_elbo + 1e-2)
    assert (neg_elbo - iw20).mean() > 0.01


def test_ae_has_no_iw_bound() -> None:
    from latent_explorer.model import AEConfig

    model = build_model(AEConfig(latent_dim=2, hidden=(16,)))
    with pytest.raises(ValueError, match="stochastic"):
        importance_weighted_nll(model, torch.rand(2, 784), k=2)
    with pytest.raises(ValueError, match="stochastic"):
        importance_weighted_loss(model, torch.rand(2, 784), None, 2)
