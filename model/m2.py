"""Semi-supervised M2 stacked on M1 (Kingma, Rezende, Mohamed & Welling 2014, "M1+M2").

M1 is a trained VAE: its posterior q(z1|x) turns an image into features z1. M2 is a generative
model of those features with a label that is a latent variable when unobserved:

    p(y) = Cat(1/K),  p(z2) = N(0, I),  p(z1 | y, z2) = N(mu(y, z2), diag(sigma²(y, z2)))
    q(y | z1) = Cat(pi(z1)),  q(z2 | z1, y) = N(m(z1, y), diag(s²(z1, y)))

Labelled:   L(x, y) = E_q(z2|z1,y)[-log p(z1|y,z2)] + KL(q(z2|z1,y) || p(z2)) - log p(y)
Unlabelled: U(x) = sum_y q(y|z1) L(x, y) - H(q(y|z1))
Objective:  mean U over unlabelled + mean L over labelled + alpha * mean -log q(y|z1) over labelled
The terms are the paper's (eq. 6-9); the weights are not eq. 9's: there the sums run over the
data, so the labelled term weighs N_l/N_u per unlabelled example and alpha = 0.1 N; here each
term is a mean over its own batch and alpha is chosen on validation (README, the M2 protocol).

The stacked module decodes all the way to pixels (z2, y -> z1 -> x logits), so the server and the
page treat it like a CVAE whose label can also be inferred: `classify(x)` gives q(y|x).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace
from typing import Any, ClassVar

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from .capabilities import Capabilities, Headline
from .config import ModelConfig, config_from_dict, register_config
from .decoder_stages import DecoderStage, mlp_stage
from .losses import gaussian_kl, log_normal
from .networks import mlp
from .vae import LatentModel, build_model, flatten_images, register_model


@register_config
@dataclass(frozen=True)
class M2Config(ModelConfig):
    """M2 over M1 features. `latent_dim` is z2's size; `hidden` the M2 networks' layers."""

    kind: ClassVar[str] = "m2"
    latent_dim: int = 2  # z2: the style, what the sliders and the map walk
    hidden: tuple[int, ...] = (500,)
    num_classes: int = 10
    m1: dict[str, Any] | None = None  # the M1 VAE's config (its weights travel in the checkpoint)
    # "input": p(z1|y,z2) has a variance per input, from the decoder; "shared": one learned
    # variance per feature for all inputs, so that differences must be explained by y and z2.
    feature_variance: str = "input"

    def __post_init__(self) -> None:
        super().__post_init__()
        if self.m1 is None:
            raise ValueError("an M2 config needs the config of its M1 VAE (m1)")
        if self.feature_variance not in ("input", "shared"):
            raise ValueError(
                f"feature_variance must be input or shared, got {self.feature_variance!r}"
            )

    @property
    def num_labels(self) -> int:
        return self.num_classes

    @property
    def feature_dim(self) -> int:
        return int(self.m1["latent_dim"])

    def m1_config(self) -> ModelConfig:
        return config_from_dict(self.m1)


class M2(LatentModel):
    display_name = "semi-supervised M1+M2"
    headline = Headline("test_error", "test error", "fraction")

    @property
    def capabilities(self) -> Capabilities:
        # Its bound is of the stacked model (M1's features, then pixels), which `evaluate_m2`
        # computes; the generic ELBO of encode/decode (the page's nats of a drawing) is not it.
        return Capabilities(conditional=True, infers_label=True, likelihood=False, stacked=True)

    def __init__(self, config: M2Config) -> None:
        super().__init__(config)
        c, d, k = config, config.feature_dim, config.num_classes
        self.m1 = build_model(config.m1_config())
        self.m1.requires_grad_(False)
        self.classifier = mlp([d, *c.hidden, k], c.activation)
        self.encoder = mlp([d + k, *c.hidden, 2 * c.latent_dim], c.activation)
        shared = c.feature_variance == "shared"
        self.decoder = mlp([c.latent_dim + k, *c.hidden, d if shared else 2 * d], c.activation)
        if shared:
            self.feature_logvar = nn.Parameter(torch.zeros(d))

    # -- feature level (what M2 models) -------------------------------------------------------
    def features(self, x: Tensor) -> tuple[Tensor, Tensor]:
        """q(z1|x) of M1: (mu, logvar) of the features."""
        return self.m1.encode(x)

    def classify_features(self, z1: Tensor) -> Tensor:
        """Logits of q(y|z1)."""
        return self.classifier(z1)

    def encode_features(self, z1: Tensor, y: Tensor) -> tuple[Tensor, Tensor]:
        return self.encoder(self._condition(z1, y)).chunk(2, dim=1)

    def decode_features(self, z2: Tensor, y: Tensor) -> tuple[Tensor, Tensor]:
        """Mean and log-variance of p(z1 | y, z2)."""
        out = self.decoder(self._condition(z2, y))
        if self.config.feature_variance == "shared":
            return out, self.feature_logvar.clamp(-10.0, 6.0).expand_as(out)
        mean, logvar = out.chunk(2, dim=1)
        return mean, logvar.clamp(-10.0, 6.0)

    # -- image level (the public API) -----------------------------------------------------------
    def classify(self, x: Tensor) -> Tensor:
        """q(y|x): class probabilities (B, K), through M1's posterior mean."""
        return F.softmax(self.classify_features(self.features(x)[0]), dim=1)

    def encode(self, x: Tensor, y: Tensor | None = None) -> tuple[Tensor, Tensor]:
        """q(z2 | x, y); without y, the most probable label under q(y|x) is used."""
        z1 = self.features(flatten_images(x, self.config.input_dim))[0]
        if y is None:
            y = self.classify_features(z1).argmax(dim=1)
        return self.encode_features(z1, y)

    def decode(self, z: Tensor, y: Tensor | None = None) -> Tensor:
        """Pixel logits: z2 and y give the mean of p(z1|y,z2), which M1 decodes."""
        if z.dim() != 2 or z.shape[1] != self.config.latent_dim:
            raise ValueError(
                f"z must have shape (B, {self.config.latent_dim}), got {tuple(z.shape)}"
            )
        if y is None:
            raise ValueError("an m2 model needs labels y of shape (B,) to decode")
        mean, _ = self.decode_features(z.float(), y)
        return self.m1.decode(mean)

    def decoder_stages(self) -> list[DecoderStage]:
        """[z2, one-hot y] -> mean of p(z1|y,z2) -> M1's decoder -> pixels, as `decode` does.
        The variance of p(z1|y,z2) plays no part in the mean, so its outputs are left out."""
        features = mlp_stage(self.decoder, "features", label=True)
        d = self.config.feature_dim
        if self.config.feature_variance == "input":  # the last layer gives [mean, logvar]
            w, b = features.weights[-1][:d], features.biases[-1][:d]
            features = replace(
                features, weights=(*features.weights[:-1], w), biases=(*features.biases[:-1], b)
            )
        m1 = self.m1.decoder_stages()
        if m1 is None or m1[0].label:
            raise TypeError("an M2's M1 must be an unconditional model with decoder stages")
        return [features, *m1]


register_model("m2", M2)


def labelled_bound(model: M2, z1: Tensor, y: Tensor) -> Tensor:
    """L(x, y) per example: -ELBO of (z1, y) with one reparameterized z2 sample, minus log p(y)."""
    mu, logvar = model.encode_features(z1, y)
    z2 = model.reparameterize(mu, logvar)
    mean, out_logvar = model.decode_features(z2, y)
    log_prior_y = -math.log(model.config.num_classes)
    return -log_normal(z1, mean, out_logvar) + gaussian_kl(mu, logvar) - log_prior_y


def unlabelled_bound(model: M2, z1: Tensor, logits: Tensor | None = None) -> Tensor:
    """U(x) per example: sum_y q(y|z1) L(x, y) - H(q(y|z1)), all K labels in one batch."""
    k, b = model.config.num_classes, z1.shape[0]
    logits = model.classify_features(z1) if logits is None else logits
    log_q = F.log_softmax(logits, dim=1)
    ys = torch.arange(k, device=z1.device).repeat_interleave(b)  # label-major: y0 for all, ...
    bound = labelled_bound(model, z1.repeat(k, 1), ys).view(k, b).T  # (B, K)
    q = log_q.exp()
    return (q * bound).sum(1) + (q * log_q).sum(1)  # + sum q log q = - entropy


def m2_loss(model: M2, z1_lab: Tensor, y_lab: Tensor, z1_unlab: Tensor, alpha: float) -> dict:
    """The semi-supervised objective on one labelled and one unlabelled batch of features."""
    lab = labelled_bound(model, z1_lab, y_lab).mean()
    unlab = unlabelled_bound(model, z1_unlab).mean()
    ce = F.cross_entropy(model.classify_features(z1_lab), y_lab)
    return {"loss": unlab + lab + alpha * ce, "labelled": lab, "unlabelled": unlab, "ce": ce}


def choose_labelled(labels: Tensor, per_class: int, seed: int) -> Tensor:
    """Indices of `per_class` examples of every class, drawn with a fixed seed (sorted)."""
    gen = torch.Generator().manual_seed(seed)
    picked = []
    for c in labels.unique().tolist():
        idx = (labels == c).nonzero().flatten()
        picked.append(idx[torch.randperm(len(idx), generator=gen)[:per_class]])
    return torch.cat(picked).sort().values
