"""The completion benchmark of Sohn et al. as Pyro reproduces it: 1, 2 or 3 visible quadrants."""

from __future__ import annotations

import torch

from ..completion import (
    BENCHMARK_MASKS,
    CompletionCVAE,
    completion_loss,
    iw_missing_nll,
    quadrant_mask,
)

EVAL_BATCH = 500


@torch.no_grad()
def benchmark(model: CompletionCVAE, x_test: torch.Tensor, k: int) -> dict:
    """For 1, 2 and 3 visible quadrants: the CVAE's IW NLL (k samples; k=1 is the -ELBO's
    estimate) and the NN baseline's BCE, of the missing pixels, mean per image in nats."""
    was_training = model.training
    model.eval()
    out = {}
    for n_visible, quadrants in BENCHMARK_MASKS.items():
        mask_row = quadrant_mask(quadrants).to(x_test.device)
        cvae, nn_bce = 0.0, 0.0
        for i in range(0, len(x_test), EVAL_BATCH):
            x = x_test[i : i + EVAL_BATCH].reshape(-1, 784)
            mask = mask_row.expand(len(x), -1)
            if k > 1:
                cvae += iw_missing_nll(model, x, mask, k=k).sum().item()
            else:
                cvae += completion_loss(model, x, mask)["loss"].sum().item()
            nn_bce += completion_loss(model, x, mask)["baseline"].sum().item()
        out[f"cvae_nll_{n_visible}q"] = cvae / len(x_test)
        out[f"nn_nll_{n_visible}q"] = nn_bce / len(x_test)
    model.train(was_training)
    return out
