"""The completion benchmark of Sohn et al. as Pyro reproduces it: 1, 2 or 3 visible quadrants.

Two estimators, never to be mixed up: our importance-weighted bound on -log p(x_missing | x_visible)
for binarized test images (`cvae_nll_*`), and Pyro's own figure, the -ELBO with gray test images
as Bernoulli targets averaged over 10 particles (`cvae_pyro_neg_elbo_*`).
"""

from __future__ import annotations

import torch

from ..completion import (
    BENCHMARK_MASKS,
    CompletionCVAE,
    completion_loss,
    iw_missing_nll,
    pyro_negative_elbo,
    quadrant_mask,
)

EVAL_BATCH = 500
PYRO_PARTICLES = 10  # Pyro's generate_table: Trace_ELBO(num_particles=10)


@torch.no_grad()
def benchmark(
    model: CompletionCVAE,
    x_bin: torch.Tensor | None,
    x_gray: torch.Tensor | None,
    k: int,
    particles: int = PYRO_PARTICLES,
) -> dict:
    """For 1, 2 and 3 visible quadrants (BENCHMARK_MASKS), mean per image in nats of the missing
    pixels: on binarized images (x_bin), the CVAE's IW NLL with k samples (k=1: its -ELBO) and the
    in-model NN's BCE; on gray images (x_gray), Pyro's estimator (pyro_negative_elbo)."""
    was_training = model.training
    model.eval()
    out = {}
    for n_visible, quadrants in BENCHMARK_MASKS.items():
        mask_row = quadrant_mask(quadrants)
        totals = {"cvae_nll": 0.0, "nn_nll": 0.0, "cvae_pyro_neg_elbo": 0.0}
        for i in range(0, len(x_bin) if x_bin is not None else 0, EVAL_BATCH):
            x = x_bin[i : i + EVAL_BATCH].reshape(-1, 784)
            mask = mask_row.to(x.device).expand(len(x), -1)
            terms = completion_loss(model, x, mask)
            nll = iw_missing_nll(model, x, mask, k=k) if k > 1 else terms["loss"]
            totals["cvae_nll"] += nll.sum().item()
            if "baseline" in terms:
                totals["nn_nll"] += terms["baseline"].sum().item()
        for i in range(0, len(x_gray) if x_gray is not None else 0, EVAL_BATCH):
            x = x_gray[i : i + EVAL_BATCH].reshape(-1, 784)
            mask = mask_row.to(x.device).expand(len(x), -1)
            pyro = pyro_negative_elbo(model, x, mask, particles)
            totals["cvae_pyro_neg_elbo"] += pyro.sum().item()
        if x_bin is not None:
            out[f"cvae_nll_{n_visible}q"] = totals["cvae_nll"] / len(x_bin)
            if model.baseline is not None:
                out[f"nn_nll_{n_visible}q"] = totals["nn_nll"] / len(x_bin)
        if x_gray is not None:
            key = f"cvae_pyro_neg_elbo_{n_visible}q"
            out[key] = totals["cvae_pyro_neg_elbo"] / len(x_gray)
    model.train(was_training)
    return out
