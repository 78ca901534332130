"""Image completion with a conditional VAE: p(x_missing | x_visible), Sohn, Lee & Yan (2015).

The condition is the visible part of the image and the mask that says which part that is
(1 = visible). A shared context network reads [x * mask, mask]; from it come the conditional prior
p(z | x_v), the recognition model q(z | x, x_v) and the decoder p(x_missing | z, x_v). Only the
missing pixels are scored. A deterministic network with the same inputs, trained on the same
batches (the paper's "NN" baseline), lives in the same module for comparison.

Quadrants are numbered 0 top-left, 1 top-right, 2 bottom-left, 3 bottom-right.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable
from dataclasses import dataclass
from typing import ClassVar

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from .capabilities import Capabilities, Headline
from .config import IMAGE_PIXELS, IMAGE_SIDE, ModelConfig, register_config
from .losses import log_mean_exp, log_normal
from .networks import mlp
from .vae import LatentModel, flatten_images, register_model

HALF = IMAGE_SIDE // 2
NAMED_REGIONS = {
    "top-half": (0, 1),
    "bottom-half": (2, 3),
    "left-half": (0, 2),
    "right-half": (1, 3),
    "top-left": (0,),
    "top-right": (1,),
    "bottom-left": (2,),
    "bottom-right": (3,),
}
# Every proper, non-empty set of quadrants: 1, 2 (halves and diagonals) or 3 visible.
TRAINING_QUADRANT_SETS = [s for k in (1, 2, 3) for s in itertools.combinations(range(4), k)]
# The benchmark's masks, as in Pyro's reproduction of Sohn et al.: the bottom-left quadrant,
# the left half, and all but the bottom-right quadrant.
BENCHMARK_MASKS = {1: (2,), 2: (0, 2), 3: (0, 1, 2)}


def quadrant_mask(quadrants: Iterable[int]) -> Tensor:
    """(784,) float mask, 1 where the given quadrants are."""
    m = torch.zeros(IMAGE_SIDE, IMAGE_SIDE)
    for q in quadrants:
        r, c = divmod(int(q), 2)
        m[r * HALF : (r + 1) * HALF, c * HALF : (c + 1) * HALF] = 1.0
    return m.reshape(IMAGE_PIXELS)


def random_masks(
    batch: int, generator: torch.Generator | None = None, benchmark_share: float = 0.0
) -> Tensor:
    """(B, 784) masks, each a random choice among TRAINING_QUADRANT_SETS; with benchmark_share
    > 0, that share of the rows is drawn among the three BENCHMARK_MASKS instead."""
    table = torch.stack([quadrant_mask(s) for s in TRAINING_QUADRANT_SETS])
    masks = table[torch.randint(len(table), (batch,), generator=generator)]
    if benchmark_share > 0:
        bench = torch.stack([quadrant_mask(s) for s in BENCHMARK_MASKS.values()])
        pick = torch.rand(batch, generator=generator) < benchmark_share
        masks[pick] = bench[torch.randint(len(bench), (int(pick.sum()),), generator=generator)]
    return masks


@register_config
@dataclass(frozen=True)
class CompletionConfig(ModelConfig):
    kind: ClassVar[str] = "completion"
    latent_dim: int = 16
    hidden: tuple[int, ...] = (300,)  # context width; every head has one more layer this wide
    baseline_hidden: tuple[int, ...] = (300, 300)  # () for none (per-mask NNs in their own file)


class CompletionCVAE(LatentModel):
    display_name = "image-completion CVAE"
    headline = Headline("cvae_nll_1q", "−log p(missing | 1 quadrant)", "nats")

    @property
    def capabilities(self) -> Capabilities:
        # Its decoder needs the visible part, so a bare z cannot be walked.
        return Capabilities(
            walkable=False, completes=tuple(NAMED_REGIONS), standard_normal_prior=False
        )

    def __init__(self, config: CompletionConfig) -> None:
        super().__init__(config)
        c, h, p = config, config.hidden[-1], IMAGE_PIXELS
        self.context = nn.Sequential(mlp([2 * p, *c.hidden], c.activation), nn.ELU())
        self.prior = mlp([h, h, 2 * c.latent_dim], c.activation)
        self.recognition = mlp([p + h, h, 2 * c.latent_dim], c.activation)
        self.decoder = mlp([c.latent_dim + h, h, p], c.activation)
        self.baseline = (
            mlp([2 * p, *c.baseline_hidden, p], c.activation) if c.baseline_hidden else None
        )

    def _context(self, x: Tensor, mask: Tensor) -> Tensor:
        return self.context(torch.cat([x * mask, mask], dim=1))

    def prior_params(self, x: Tensor, mask: Tensor) -> tuple[Tensor, Tensor]:
        """p(z | x_visible): the prior the completions are sampled from."""
        return self.prior(self._context(flatten_images(x, IMAGE_PIXELS), mask)).chunk(2, dim=1)

    def encode(
        self, x: Tensor, y: Tensor | None = None, mask: Tensor | None = None
    ) -> tuple[Tensor, Tensor]:
        """q(z | x, x_visible) for a full image and a mask (all visible when no mask is given)."""
        x = flatten_images(x, IMAGE_PIXELS)
        mask = torch.ones_like(x) if mask is None else mask
        h = self._context(x, mask)
        return self.recognition(torch.cat([x, h], dim=1)).chunk(2, dim=1)

    def decode(self, z: Tensor, y: Tensor | None = None, context: Tensor | None = None) -> Tensor:
        """Logits of every pixel given z and the context of the visible part."""
        if context is None:
            raise ValueError("a completion model decodes given the visible part (context)")
        return self._to_image(self.decoder(torch.cat([z, context], dim=1)))

    def complete(
        self, x_visible: Tensor, mask: Tensor, n: int, generator: torch.Generator | None = None
    ) -> Tensor:
        """n completions per image: (B, n, 784) probabilities, the visible pixels kept as given."""
        x = flatten_images(x_visible, IMAGE_PIXELS)
        h = self._context(x, mask)
        mu, logvar = self.prior(h).chunk(2, dim=1)
        eps = torch.randn(mu.shape[0], n, mu.shape[1], generator=generator).to(mu.device)
        z = mu[:, None] + torch.exp(0.5 * logvar)[:, None] * eps
        probs = torch.sigmoid(self.decoder(torch.cat([z, h[:, None].expand(-1, n, -1)], dim=2)))
        return probs * (1 - mask[:, None]) + (x * mask)[:, None]

    def baseline_logits(self, x: Tensor, mask: Tensor) -> Tensor:
        return self.baseline(torch.cat([flatten_images(x, IMAGE_PIXELS) * mask, mask], dim=1))


register_model("completion", CompletionCVAE)


def missing_bce(logits: Tensor, x: Tensor, mask: Tensor) -> Tensor:
    """-log p(x_missing | ...) under independent Bernoullis, summed over missing pixels."""
    bce = F.binary_cross_entropy_with_logits(logits.reshape(x.shape), x, reduction="none")
    return (bce * (1 - mask)).sum(1)


def completion_loss(model: CompletionCVAE, x: Tensor, mask: Tensor) -> dict:
    """Per-image -ELBO of the missing pixels (KL to the conditional prior) and the NN's BCE."""
    x = flatten_images(x, IMAGE_PIXELS)
    h = model._context(x, mask)
    p_mu, p_logvar = model.prior(h).chunk(2, dim=1)
    q_mu, q_logvar = model.recognition(torch.cat([x, h], dim=1)).chunk(2, dim=1)
    z = model.reparameterize(q_mu, q_logvar)
    rec = missing_bce(model.decoder(torch.cat([z, h], dim=1)), x, mask)
    # KL(N(q) || N(p)) in closed form.
    kl = 0.5 * (p_logvar - q_logvar + (q_logvar.exp() + (q_mu - p_mu) ** 2) / p_logvar.exp() - 1)
    out = {"rec": rec, "kl": kl.sum(1), "loss": rec + kl.sum(1)}
    if model.baseline is not None:
        out["baseline"] = missing_bce(model.baseline_logits(x, mask), x, mask)
    return out


@torch.no_grad()
def pyro_negative_elbo(
    model: CompletionCVAE, x: Tensor, mask: Tensor, particles: int = 10
) -> Tensor:
    """Pyro's figure for its CVAE example (`Trace_ELBO(num_particles).differentiable_loss` in
    examples/cvae/util.py), per image: the -ELBO with the recognition network, averaged over
    `particles` draws z ~ q(z | x, x_v), each scoring the missing pixels (x may be gray levels,
    used as Bernoulli targets) and its KL as the single-sample log q(z|.) - log p(z|x_v), as
    Trace_ELBO does (no closed form). Not a bound on a binarized image's likelihood."""
    x = flatten_images(x, IMAGE_PIXELS)
    h = model._context(x, mask)
    p_mu, p_logvar = model.prior(h).chunk(2, dim=1)
    q_mu, q_logvar = model.recognition(torch.cat([x, h], dim=1)).chunk(2, dim=1)
    total = torch.zeros(len(x), device=x.device)
    for _ in range(particles):
        z = q_mu + torch.exp(0.5 * q_logvar) * torch.randn_like(q_mu)
        rec = missing_bce(model.decoder(torch.cat([z, h], dim=1)), x, mask)
        total += rec + log_normal(z, q_mu, q_logvar) - log_normal(z, p_mu, p_logvar)
    return total / particles


@torch.no_grad()
def iw_missing_nll(
    model: CompletionCVAE, x: Tensor, mask: Tensor, k: int = 100, chunk: int = 50
) -> Tensor:
    """-log p(x_missing | x_visible) per image with k importance samples from q(z|x, x_v):
    log (1/k) sum p(x_m | z, x_v) p(z | x_v) / q(z | x, x_v)."""
    x = flatten_images(x, IMAGE_PIXELS)
    h = model._context(x, mask)
    p_mu, p_logvar = model.prior(h).chunk(2, dim=1)
    q_mu, q_logvar = model.recognition(torch.cat([x, h], dim=1)).chunk(2, dim=1)
    log_ws = []
    for start in range(0, k, chunk):
        n = min(chunk, k - start)
        z = q_mu + torch.exp(0.5 * q_logvar) * torch.randn(n, *q_mu.shape, device=x.device)
        logits = model.decoder(torch.cat([z, h.expand(n, -1, -1)], dim=2))
        log_px = -missing_bce(logits.reshape(-1, IMAGE_PIXELS), x.repeat(n, 1), mask.repeat(n, 1))
        log_ws.append(
            log_px.view(n, -1) + log_normal(z, p_mu, p_logvar) - log_normal(z, q_mu, q_logvar)
        )
    return -log_mean_exp(torch.cat(log_ws), dim=0)
