"""The ELBO's parts and the importance-weighted bound, per image, in nats.

-ELBO(x) = E_q[-log p(x|z)] + KL(q(z|x) || p(z))   (Kingma & Welling 2014, eq. 3)
log p(x) >= log (1/k) sum_i p(x, z_i) / q(z_i|x),  z_i ~ q(z|x)   (Burda et al. 2016, eq. 8)
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

import torch
import torch.nn.functional as F
from torch import Tensor

from .config import ModelConfig

if TYPE_CHECKING:  # vae.py imports this module
    from .vae import LatentModel

LOG_2PI = math.log(2 * math.pi)


def gaussian_kl(mu: Tensor, logvar: Tensor) -> Tensor:
    """KL(N(mu, exp(logvar)) || N(0, I)) summed over latent dims, per row (appendix B of K&W)."""
    return -0.5 * torch.sum(1 + logvar - mu.pow(2) - logvar.exp(), dim=-1)


def reconstruction_nll(logits: Tensor, x: Tensor, config: ModelConfig) -> Tensor:
    """-log p(x|z) summed over pixels, per image, for the config's likelihood."""
    logits = logits.reshape(logits.shape[0], -1)
    x = x.reshape(x.shape[0], -1).to(logits.dtype)
    if config.likelihood == "bernoulli":
        return F.binary_cross_entropy_with_logits(logits, x, reduction="none").sum(-1)
    mean = torch.sigmoid(logits)
    std = config.gaussian_std
    nll = 0.5 * ((x - mean) / std).pow(2) + math.log(std) + 0.5 * LOG_2PI
    return nll.sum(-1)


def log_normal(z: Tensor, mu: Tensor, logvar: Tensor) -> Tensor:
    """log N(z; mu, diag(exp(logvar))) summed over the last dim."""
    return -0.5 * (LOG_2PI + logvar + (z - mu).pow(2) / logvar.exp()).sum(-1)


def log_standard_normal(z: Tensor) -> Tensor:
    return -0.5 * (LOG_2PI + z.pow(2)).sum(-1)


def log_mean_exp(values: Tensor, dim: int) -> Tensor:
    return torch.logsumexp(values, dim=dim) - math.log(values.shape[dim])


def negative_elbo(
    model: LatentModel, x: Tensor, y: Tensor | None = None, beta: float | None = None
) -> dict:
    """Per-image terms of the (beta-weighted) negative ELBO with one reparameterized sample.

    Returns {"rec", "kl", "loss"} tensors of shape (B,); for an AE, kl is zero and loss = rec.
    """
    beta = model.config.beta if beta is None else beta
    logits, mu, logvar = model(x, y)
    rec = reconstruction_nll(logits, x, model.config)
    kl = torch.zeros_like(rec) if logvar is None else gaussian_kl(mu, logvar)
    return {"rec": rec, "kl": kl, "loss": rec + beta * kl}


def _log_weights(
    model: LatentModel, x: Tensor, y: Tensor | None, mu: Tensor, logvar: Tensor, n: int
) -> Tensor:
    """log p(x, z_i) - log q(z_i|x) for n reparameterized z_i ~ q(z|x): shape (n, B)."""
    batch = x.shape[0]
    eps = torch.randn(n, *mu.shape, device=mu.device, dtype=mu.dtype)
    z = mu + torch.exp(0.5 * logvar) * eps  # (n, B, D)
    y_rep = None if y is None else y.repeat(n) if y.dim() == 1 else y.repeat(n, 1)
    logits = model.decode(z.reshape(n * batch, -1), y_rep)
    x_rep = x.reshape(batch, -1).repeat(n, 1)
    log_px_z = -reconstruction_nll(logits, x_rep, model.config).view(n, batch)
    return log_px_z + log_standard_normal(z) - log_normal(z, mu, logvar)


def importance_weighted_loss(model: LatentModel, x: Tensor, y: Tensor | None, k: int) -> Tensor:
    """The IWAE training loss (Burda et al. 2016): minus the k-sample bound, per image, with its
    reparameterized gradient. k=1 is the ELBO; a larger k lets the decoder rely on posteriors
    that a diagonal Gaussian q only approximates, so the code can carry more."""
    mu, logvar = model.encode(x, y)
    if logvar is None:
        raise ValueError("the importance-weighted bound needs a stochastic encoder (not an AE)")
    return -log_mean_exp(_log_weights(model, x, y, mu, logvar, k), dim=0)


@torch.no_grad()
def importance_weighted_nll(
    model: LatentModel, x: Tensor, y: Tensor | None = None, k: int = 1000, chunk: int = 250
) -> Tensor:
    """-log p(x) (or -log p(x|y) for a CVAE) estimated with k importance samples, per image.

    The bound of Burda et al. (2016): it equals the ELBO in expectation for k=1 and tightens as k
    grows. Samples are drawn `chunk` at a time so memory stays at B * chunk decoder outputs.
    """
    mu, logvar = model.encode(x, y)
    if logvar is None:
        raise ValueError("the importance-weighted bound needs a stochastic encoder (not an AE)")
    log_w = [
        _log_weights(model, x, y, mu, logvar, min(chunk, k - start)) for start in range(0, k, chunk)
    ]
    return -log_mean_exp(torch.cat(log_w, dim=0), dim=0)
