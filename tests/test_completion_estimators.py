"""Pyro's completion estimator and the per-mask NN baseline, checked against direct computations."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch
import torch.nn.functional as F
from torch.distributions import Bernoulli, Normal

from latent_explorer.cli import build_parser
from latent_explorer.model.completion import (
    BENCHMARK_MASKS,
    CompletionConfig,
    CompletionCVAE,
    completion_loss,
    pyro_negative_elbo,
    quadrant_mask,
)
from latent_explorer.model.training.completion_nn import (
    load_baseline,
    masked_bce,
    masked_input,
    train_completion_nn,
)


def _model() -> CompletionCVAE:
    return CompletionCVAE(CompletionConfig(latent_dim=3, hidden=(32,), baseline_hidden=()))


def test_pyro_estimator_with_one_particle_is_the_single_sample_elbo() -> None:
    """One particle: -[log p(x_m|z, x_v) + log p(z|x_v) - log q(z|x, x_v)] at the z drawn,
    written with torch.distributions, gray pixels as Bernoulli targets."""
    model = _model()
    x = torch.rand(5, 784)  # gray levels, not binarized
    mask = quadrant_mask([0, 2]).expand(5, -1)
    torch.manual_seed(3)
    ours = pyro_negative_elbo(model, x, mask, particles=1)
    torch.manual_seed(3)
    with torch.no_grad():
        h = model._context(x, mask)
        p_mu, p_logvar = model.prior(h).chunk(2, dim=1)
        q_mu, q_logvar = model.recognition(torch.cat([x, h], 1)).chunk(2, dim=1)
        q = Normal(q_mu, torch.exp(0.5 * q_logvar))
        z = q_mu + q.scale * torch.randn_like(q_mu)
        logits = model.decoder(torch.cat([z, h], 1))
        log_px = (Bernoulli(logits=logits, validate_args=False).log_prob(x) * (1 - mask)).sum(1)
        log_pz = Normal(p_mu, torch.exp(0.5 * p_logvar)).log_prob(z).sum(1)
        expected = -(log_px + log_pz - q.log_prob(z).sum(1))
    torch.testing.assert_close(ours, expected)


def test_pyro_estimator_averages_to_the_closed_form_elbo() -> None:
    """Its Monte Carlo KL averages to the closed form, so many particles give completion_loss."""
    model = _model()
    x = torch.rand(4, 784)
    mask = quadrant_mask([2]).expand(4, -1)
    with torch.no_grad():
        many = pyro_negative_elbo(model, x, mask, particles=4000)
        closed = torch.stack([completion_loss(model, x, mask)["loss"] for _ in range(4000)]).mean(0)
    torch.testing.assert_close(many, closed, atol=0.3, rtol=0)


def test_pyro_estimator_scores_only_missing_pixels() -> None:
    model = _model()
    x = torch.rand(3, 784)
    mask = quadrant_mask([0, 1, 2]).expand(3, -1)
    # The visible pixels also feed the networks, so change only missing ones and expect a change,
    # and check the reconstruction part through missing_bce's masking in the other test file.
    changed = torch.where(mask == 0, 1 - x, x)
    torch.manual_seed(0)
    a = pyro_negative_elbo(model, x, mask, particles=1)
    torch.manual_seed(0)
    b = pyro_negative_elbo(model, changed, mask, particles=1)
    assert not torch.allclose(a, b)


def test_pyro_estimator_matches_pyros_trace_elbo() -> None:
    """Against Pyro itself when it is installed (not a dependency): Trace_ELBO over the same
    networks and data, averaged over many particles on both sides."""
    pyro = pytest.importorskip("pyro")
    import pyro.distributions as dist
    from pyro.infer import Trace_ELBO

    model = _model()
    x = torch.rand(4, 784).clamp(0.01, 0.99)
    mask = quadrant_mask([2]).expand(4, -1)
    missing = mask == 0

    def p_model(xs, ys):
        with pyro.plate("data", len(xs)):
            h = model._context(xs, mask)
            mu, logvar = model.prior(h).chunk(2, dim=1)
            z = pyro.sample("z", dist.Normal(mu, torch.exp(0.5 * logvar)).to_event(1))
            probs = torch.sigmoid(model.decoder(torch.cat([z, h], 1)))
            pyro.sample(
                "y",
                dist.Bernoulli(probs[missing].view(len(xs), -1), validate_args=False).to_event(1),
                obs=ys[missing].view(len(xs), -1),
            )

    def guide(xs, ys):
        with pyro.plate("data", len(xs)):
            h = model._context(ys, mask)
            mu, logvar = model.recognition(torch.cat([ys, h], 1)).chunk(2, dim=1)
            pyro.sample("z", dist.Normal(mu, torch.exp(0.5 * logvar)).to_event(1))

    particles = 3000
    with torch.no_grad():
        theirs = Trace_ELBO(num_particles=particles).loss(p_model, guide, x * mask, x) / len(x)
        ours = pyro_negative_elbo(model, x, mask, particles=particles).mean().item()
    assert abs(theirs - ours) < 0.2


def test_nn_baseline_input_and_loss_follow_pyro() -> None:
    gray = torch.rand(2, 784)
    mask = quadrant_mask([2]).expand(2, -1)
    inp = masked_input(gray, mask)
    assert torch.all(inp[mask == 0] == -1) and torch.equal(inp[mask == 1], gray[mask == 1])
    logits = torch.randn(2, 784)
    reference = torch.stack(
        [
            F.binary_cross_entropy(torch.sigmoid(logits[i]), gray[i], reduction="none")[
                mask[i] == 0
            ].sum()
            for i in range(2)
        ]
    )
    torch.testing.assert_close(masked_bce(logits, gray, mask), reference)


def test_train_completion_nn_writes_one_network_per_mask(
    tmp_path: Path, tiny_data_dir: Path
) -> None:
    args = build_parser().parse_args(
        [
            "train-completion-nn",
            "--data-dir",
            str(tiny_data_dir),
            "--hidden",
            "32,32",
            "--epochs",
            "3",
            "--validation",
            "100",
            "--out-dir",
            str(tmp_path),
        ]
    )
    results = train_completion_nn(args)
    assert set(results) == {f"nn_bce_{q}q" for q in BENCHMARK_MASKS}
    for q, quadrants in BENCHMARK_MASKS.items():
        net, md = load_baseline(tmp_path / f"completion-nn-mnist-{q}q.safetensors")
        assert md["visible_quadrants"] == list(quadrants) and md["hidden"] == [32, 32]
        assert md["metrics"]["test_masked_bce_gray"] == results[f"nn_bce_{q}q"]
        assert md["metrics"]["test_images"] == 128 and len(md["history"]) >= 1
    # More visible pixels leave fewer to score.
    assert results["nn_bce_1q"] > results["nn_bce_3q"]


def test_benchmark_share_draws_benchmark_masks() -> None:
    from latent_explorer.model.completion import random_masks

    bench = torch.stack([quadrant_mask(s) for s in BENCHMARK_MASKS.values()])
    masks = random_masks(4000, torch.Generator().manual_seed(0), benchmark_share=0.5)
    is_bench = (masks[:, None, :] == bench[None]).all(-1).any(-1).float().mean().item()
    # half forced, plus 3/14 of the uniform half
    assert abs(is_bench - (0.5 + 0.5 * 3 / 14)) < 0.03
    uniform = random_masks(4000, torch.Generator().manual_seed(0))
    assert abs((uniform[:, None, :] == bench[None]).all(-1).any(-1).float().mean() - 3 / 14) < 0.03
