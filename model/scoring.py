"""One drawing in nats: the ELBO's two terms and the importance-weighted NLL of a single image,
computed the same way for a user's drawing (the server) and for the test set (`evaluate`), so a
drawing's NLL can be placed among the test set's.

The field scores binary images, so the image is binarized first, deterministically: a pixel is on
when its gray level is at least 0.5 (`THRESHOLD`). The posterior is that of the binary image, so
the numbers are a true ELBO and bound of log p(x_binary). The k samples come from a fixed seed:
the same drawing always gets the same numbers.
"""

from __future__ import annotations

import copy
import threading
import weakref
from typing import TYPE_CHECKING

import numpy as np
import torch
from torch import Tensor

from .losses import (
    gaussian_kl,
    log_mean_exp,
    log_normal,
    log_standard_normal,
    reconstruction_nll,
)

if TYPE_CHECKING:
    from .vae import LatentModel

THRESHOLD = 0.5  # gray level at or above which a pixel counts as on
DRAWING_K = 100  # importance samples per drawing (Burda et al.'s bound; k=1000 for the metrics)
DRAWING_SEED = 0
QUANTILE_LEVELS = 101  # the test set's NLL at 0%, 1%, ..., 100%


def threshold(x: Tensor) -> Tensor:
    """Gray levels in [0, 1] -> binary {0, 1} floats."""
    return (x >= THRESHOLD).to(torch.float32)


def kl_per_dim(mu: Tensor, logvar: Tensor) -> Tensor:
    """KL(q(z_d|x) || N(0, 1)) per latent dim, (B, D): which dims carry information."""
    return -0.5 * (1 + logvar - mu.pow(2) - logvar.exp())


@torch.no_grad()
def drawing_scores(
    model: LatentModel,
    x_binary: Tensor,
    y: Tensor | None = None,
    k: int = DRAWING_K,
    seed: int = DRAWING_SEED,
) -> dict[str, Tensor]:
    """Per image (B,): reconstruction E_q[-log p(x|z)], kl, negative_elbo, nll (IW, k samples),
    and kl_per_dim (B, D). The same k samples give both the ELBO's estimate and the IW bound."""
    mu, logvar = model.encode(x_binary, y)
    if logvar is None:
        raise ValueError("scoring needs a posterior q(z|x) (an AE has none)")
    batch, dim = mu.shape
    gen = torch.Generator().manual_seed(seed)  # drawn on the CPU: the same numbers on any device
    eps = torch.randn(k, batch, dim, generator=gen).to(mu.device, mu.dtype)
    z = mu + torch.exp(0.5 * logvar) * eps  # (k, B, D)
    y_rep = None if y is None else y.repeat(k)
    logits = model.decode(z.reshape(k * batch, dim), y_rep)
    x_rep = x_binary.reshape(batch, -1).repeat(k, 1)
    log_px_z = -reconstruction_nll(logits, x_rep, model.config).view(k, batch)
    log_w = log_px_z + log_standard_normal(z) - log_normal(z, mu, logvar)
    rec = -log_px_z.mean(0)
    kl = gaussian_kl(mu, logvar)
    return {
        "reconstruction": rec,
        "kl": kl,
        "negative_elbo": rec + kl,
        "nll": -log_mean_exp(log_w, dim=0),
        "kl_per_dim": kl_per_dim(mu, logvar),
    }


class ScoreOverflow(ValueError):
    """An image whose scores are not finite even in float64: its posterior is too wide."""


def finite_drawing_scores(
    model: LatentModel, x_binary: Tensor, y: Tensor | None = None
) -> dict[str, Tensor]:
    """`drawing_scores`, redone in float64 where float32 overflows; ScoreOverflow if even that
    is not finite. Some images get a log-variance far outside training's (352 on vae-mnist-z2):
    exp(352) is over float32's 3.4e38, so the KL, -ELBO and NLL came out inf or NaN. In float64
    they are finite, if huge (KL = e^352 / 2 nats). The float32 pass stays first: it is how
    `evaluate` scored the test set, so ordinary drawings compare with its quantiles exactly."""

    def finite(scores: dict[str, Tensor]) -> bool:
        return all(bool(v.isfinite().all()) for v in scores.values())

    scores = drawing_scores(model, x_binary, y)
    if finite(scores):
        return scores
    scores = drawing_scores(widened(model), x_binary.double(), y)
    if not finite(scores):
        raise ScoreOverflow("its posterior variance overflows even in float64")
    return scores


# One float64 copy per model, made the first time one of its images overflows: a copy per
# request cost more than the scoring itself (the model may carry its atlas and be on a GPU).
_WIDENED: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


_WIDENING = threading.Lock()  # scoring runs in worker threads: one copy per model, made once


def widened(model: LatentModel) -> LatentModel:
    """A float64 copy of `model` with the same weights; the served model stays as trained."""
    with _WIDENING:
        if model not in _WIDENED:
            with torch.inference_mode(False):
                _WIDENED[model] = copy.deepcopy(model).double()
        return _WIDENED[model]


def nll_quantiles(nlls: Tensor) -> list[float]:
    """The test set's NLLs at 0%, 1%, ..., 100%, for `percentile`."""
    levels = torch.linspace(0, 1, QUANTILE_LEVELS, dtype=torch.float64)
    return [round(v, 3) for v in torch.quantile(nlls.double().cpu(), levels).tolist()]


def percentile(nll: float, quantiles: list[float]) -> float:
    """The share (in %) of test images whose NLL is at most `nll`: 99 means worse than 99%."""
    levels = np.linspace(0.0, 100.0, len(quantiles))
    return float(np.interp(nll, np.asarray(quantiles), levels))
