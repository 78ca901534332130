"""Probabilistic PCA (Tipping & Bishop 1999) as a latent model beside the AE and the VAE.

The generative model is linear and Gaussian: z ~ N(0, I), x = W z + mu + eps, eps ~ N(0, s2 I).
Its maximum-likelihood fit is closed form (Tipping & Bishop, eqs. 7-8): with U, L the top q
eigenvectors and eigenvalues of the data covariance, W = U (L - s2 I)^(1/2) and s2 = the mean of the
discarded eigenvalues. The prior on z is N(0, I) by construction (the latents are whitened), so
the page draws PPCA's map, samples and prior circles exactly as a VAE's. The posterior is exact:
q(z|x) = p(z|x) = N(M^-1 W^T (x - mu), s2 M^-1), M = W^T W + s2 I = L (diagonal, since U is
orthonormal), so logvar is the same for every image.

`decode` returns pixel logits like every other model: the linear mean W z + mu, clamped to
[EPS, 1 - EPS], then logit. sigmoid(decode(z)) is thus the PCA reconstruction itself (clamped to
the pixel range it is drawn in), and every route that turns logits into images or probabilities
serves PCA unchanged. The clamp is the only non-linearity; it can only move a pixel towards any
target in [0, 1], so it never raises the squared error of a gray image. For an in-browser decoder
the whole decoder is one linear stage: weight W (784 x q), bias mu, output the pixels themselves
(clamped to [0, 1] when drawn, which differs from the server's clamp by at most EPS).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import ClassVar

import torch
from torch import Tensor

from .capabilities import Capabilities
from .config import ModelConfig, register_config
from .decoder_stages import DecoderStage
from .vae import GRAY_HEADLINE, LatentModel, flatten_images, register_model

EPS = 1e-4  # the clamp of the linear mean: logit(1e-4) = -9.2, drawn as pixel value 0


@register_config
@dataclass(frozen=True)
class PCAConfig(ModelConfig):
    """Probabilistic PCA on flattened gray images: q principal axes and an isotropic noise."""

    kind: ClassVar[str] = "pca"
    likelihood: str = "gaussian"  # p(x|z) = N(W z + mu, s2 I) on gray levels, not Bernoulli


class PPCA(LatentModel):
    """Linear encoder and decoder from the closed-form fit; `fit` fills the buffers."""

    display_name = "probabilistic PCA"
    headline = GRAY_HEADLINE  # per gray image

    def __init__(self, config: PCAConfig) -> None:
        super().__init__(config)
        d, q = config.input_dim, config.latent_dim
        # Buffers, not parameters: nothing here is trained by gradient, but all of it is saved.
        self.register_buffer("mean", torch.zeros(d))  # mu, the mean training image
        self.register_buffer("weight", torch.zeros(d, q))  # W = U (L - s2 I)^(1/2)
        self.register_buffer("eigenvalues", torch.ones(q))  # L, the top q of the covariance
        self.register_buffer("noise_var", torch.ones(()))  # s2, mean of the discarded ones

    @property
    def capabilities(self) -> Capabilities:
        # Its density is a Gaussian over gray levels: nats of it do not compare with the
        # Bernoulli nats of binarized pixels the other models are scored in, so the page's
        # ELBO bar and percentile (which assume the latter) are not offered.
        # Linear and Gaussian: its posterior is exact (no encoder to learn), unlike a VAE's q(z|x).
        return Capabilities(likelihood=False, exact_posterior=True)

    @torch.no_grad()
    def fit(self, images: Tensor) -> PPCA:
        """The maximum-likelihood W, s2 and mu of flattened gray images (N, 784), in float64."""
        x = flatten_images(images, self.config.input_dim).double()
        mean = x.mean(0)
        centred = x - mean
        cov = centred.T @ centred / len(x)  # the ML covariance (1/N), as in Tipping & Bishop
        values, vectors = torch.linalg.eigh(cov)  # ascending
        values, vectors = values.flip(0).clamp_min(0.0), vectors.flip(1)
        q = self.config.latent_dim
        top, u = values[:q], vectors[:, :q]
        # A sign per axis so that a refit gives the same checkpoint: largest loading positive.
        signs = torch.sign(u.gather(0, u.abs().argmax(0, keepdim=True)))
        u = u * signs
        noise_var = values[q:].mean()
        self.mean.copy_(mean.float())
        self.weight.copy_((u * (top - noise_var).clamp_min(0.0).sqrt()).float())
        self.eigenvalues.copy_(top.float())
        self.noise_var.copy_(noise_var.float())
        return self

    def encode(self, x: Tensor, y: Tensor | None = None) -> tuple[Tensor, Tensor]:
        """The exact posterior: mean M^-1 W^T (x - mu), log-variance log(s2 / L) per axis."""
        self._condition(x, y)  # refuses a label
        flat = flatten_images(x, self.config.input_dim)
        mu = (flat - self.mean) @ (self.weight / self.eigenvalues)  # M = L is diagonal
        logvar = torch.log(self.noise_var / self.eigenvalues).expand_as(mu)
        return mu, logvar

    def decode(self, z: Tensor, y: Tensor | None = None) -> Tensor:
        """Logits of the clamped linear mean W z + mu (see the module docstring)."""
        if z.dim() != 2 or z.shape[1] != self.config.latent_dim:
            raise ValueError(
                f"z must have shape (B, {self.config.latent_dim}), got {tuple(z.shape)}"
            )
        self._condition(z, y)
        mean = (z.float() @ self.weight.T + self.mean).clamp(EPS, 1.0 - EPS)
        return self._to_image(torch.logit(mean))

    def decoder_stages(self) -> list[DecoderStage]:
        # One linear stage, W z + mu, its pixels clipped to [0, 1] (the server clamps to
        # [EPS, 1 - EPS]: at most EPS apart).
        weight, mean = self.weight.detach().float().cpu(), self.mean.detach().float().cpu()
        return [DecoderStage("pixels", (weight,), (mean,), activation="identity", output="clip")]

    def own_metrics(self, gray: Tensor) -> dict[str, float]:
        """The Gaussian NLL of gray test images (nats of a continuous density) and s2."""
        return {
            "test_gaussian_nll": self.gaussian_nll(gray).mean().item(),
            "noise_var": self.noise_var.item(),
        }

    @torch.no_grad()
    def gaussian_nll(self, images: Tensor) -> Tensor:
        """-log p(x) per image under the fitted Gaussian N(mu, W W^T + s2 I), in nats of gray
        levels (a continuous density: not comparable with Bernoulli nats of binary pixels)."""
        x = flatten_images(images, self.config.input_dim).double() - self.mean.double()
        d, s2 = x.shape[1], self.noise_var.double()
        lam = self.eigenvalues.double()
        u = self.weight.double() / (lam - s2).clamp_min(1e-12).sqrt()  # the unit eigenvectors
        proj = x @ u
        # C has eigenvalues L along U and s2 elsewhere: log|C| and x^T C^-1 x in closed form.
        logdet = torch.log(lam).sum() + (d - len(lam)) * torch.log(s2)
        maha = (x.pow(2).sum(1) - proj.pow(2).sum(1)) / s2 + (proj.pow(2) / lam).sum(1)
        return (0.5 * (d * math.log(2 * math.pi) + logdet + maha)).float()


register_model("pca", PPCA)
