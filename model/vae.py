"""AE, VAE and CVAE with the field's names: encode, reparameterize, decode, mu, logvar.

Each model maps images x (B, 1, 28, 28) or (B, 784) in [0, 1] to a posterior and latents z back to
Bernoulli logits (B, 1, 28, 28). The losses live in `losses.py`; this file only holds the networks.
"""

from __future__ import annotations

from typing import Any, ClassVar

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from .capabilities import Capabilities, Headline
from .config import IMAGE_SIDE, CVAEConfig, ModelConfig
from .decoder_stages import DecoderStage, labelled_mlp_stages, mlp_stage
from .networks import LabelledMLP, mlp


def flatten_images(x: Tensor, input_dim: int) -> Tensor:
    """Accept (B, 1, 28, 28), (B, 28, 28) or (B, 784) and return (B, 784) floats."""
    if x.dim() < 2:
        raise ValueError(f"x must be batched, got shape {tuple(x.shape)}")
    flat = x.reshape(x.shape[0], -1)
    if flat.shape[1] != input_dim:
        raise ValueError(f"x must have {input_dim} pixels per image, got shape {tuple(x.shape)}")
    return flat.float()


# The squared error of gray reconstructions (evaluate's recon_sq_error): a Gaussian decoder's mark.
GRAY_HEADLINE = Headline("recon_sq_error", "reconstruction", "squared error")


class LatentModel(nn.Module):
    """Shared plumbing: label checks, output shape, and the attributes a checkpoint fills in."""

    config: ModelConfig
    display_name: ClassVar[str] = "latent-variable model"
    headline: ClassVar[Headline] = Headline("test_neg_elbo", "−ELBO", "nats")

    def __init__(self, config: ModelConfig) -> None:
        super().__init__()
        self.config = config
        self.metadata: dict[str, Any] = {}
        # Posterior means of test images with labels, for the latent map; set by checkpoints.
        self.atlas: dict[str, Tensor] | None = None

    @property
    def kind(self) -> str:
        return self.config.kind

    @property
    def capabilities(self) -> Capabilities:
        """What this model can do; subclasses override what differs. The nats served and
        evaluated are of binary pixels: a Gaussian likelihood's density of gray levels is another
        unit (as PPCA's is), so such a model claims none."""
        return Capabilities(
            conditional=self.config.num_labels > 0,
            likelihood=self.config.likelihood == "bernoulli",
        )

    def judged_by(self) -> Headline:
        """The metric this model is judged by: its kind's, or for a Gaussian decoder, which claims
        no likelihood of binary pixels (see `capabilities`), the squared error of its gray
        reconstructions, as PPCA's: a Gaussian VAE's headline was an NLL `evaluate` never
        computes for it, so the picker showed none (a new contributor's pass)."""
        if self.config.likelihood == "gaussian":
            return GRAY_HEADLINE
        return self.headline

    def own_metrics(self, gray: Tensor) -> dict[str, float]:
        """Test metrics only this kind has, from gray test images; `evaluate` adds them."""
        return {}

    @property
    def stochastic(self) -> bool:
        """True when encode gives a distribution (logvar) rather than a point."""
        return self.capabilities.stochastic

    def _condition(self, h: Tensor, y: Tensor | None) -> Tensor:
        """Append the one-hot label for conditional models; refuse labels for the others."""
        onehot = self._onehot(h, y)
        return h if onehot is None else torch.cat([h, onehot], dim=1)

    def _onehot(self, h: Tensor, y: Tensor | None) -> Tensor | None:
        """The labels of a batch `h` as one-hot rows (None for an unconditional model), checked."""
        n = self.config.num_labels
        if n == 0:
            if y is not None:
                raise ValueError(f"a {self.kind} model takes no labels (y must be None)")
            return None
        if y is None:
            raise ValueError(f"a {self.kind} model needs labels y of shape (B,)")
        y = torch.as_tensor(y, device=h.device)
        if y.dim() == 2 and y.shape[1] == n:  # already one-hot or soft, as M2 passes
            return y.to(h.dtype)
        if y.shape != (h.shape[0],):
            raise ValueError(f"y must have shape ({h.shape[0]},), got {tuple(y.shape)}")
        if y.dtype.is_floating_point:
            raise ValueError(f"y must hold integer labels in [0, {n - 1}]")
        # The range check reads the values back, which stalls a GPU on every step; training
        # feeds trusted data-set labels, so only inference (and the CPU, where it is free)
        # pays for it. An out-of-range label on CUDA would otherwise be a device-side assert.
        check = y.device.type == "cpu" or not self.training
        if check and y.numel() and (y.min() < 0 or y.max() >= n):
            raise ValueError(f"y must hold integer labels in [0, {n - 1}]")
        return F.one_hot(y.long(), n).to(h.dtype)

    def _to_image(self, logits: Tensor) -> Tensor:
        return logits.view(-1, 1, IMAGE_SIDE, IMAGE_SIDE)

    def decoder_stages(self) -> list[DecoderStage] | None:
        """The decoder z (+ label) -> pixels as plain stages (see `decoder_stages.py`), which
        `decoder_file.export_decoder` writes for the page to run; None: this kind cannot be
        expressed so (the page then decodes on the server). A kind joins by overriding this."""
        return None

    def reparameterize(self, mu: Tensor, logvar: Tensor | None) -> Tensor:
        """z = mu + sigma * eps, eps ~ N(0, I): the sample stays differentiable in mu and logvar
        (Kingma & Welling 2014, section 2.4). A model without logvar returns mu."""
        if logvar is None:
            return mu
        return mu + torch.exp(0.5 * logvar) * torch.randn_like(mu)

    def forward(self, x: Tensor, y: Tensor | None = None) -> tuple[Tensor, Tensor, Tensor | None]:
        """Encode, sample once, decode: (logits, mu, logvar)."""
        mu, logvar = self.encode(x, y)
        z = self.reparameterize(mu, logvar)
        return self.decode(z, y), mu, logvar


class VAE(LatentModel):
    """Gaussian posterior q(z|x), standard normal prior, MLP decoder to pixel logits."""

    display_name = "VAE"
    headline = Headline("test_iw_nll", "−log p(x)", "nats")

    def __init__(self, config: ModelConfig) -> None:
        super().__init__(config)
        c = config
        n_labels = c.num_labels
        self.encoder = mlp([c.input_dim + n_labels, *c.hidden, 2 * c.latent_dim], c.activation)
        self.decoder = self._make_decoder()

    def _make_decoder(self) -> nn.Module:
        """z (+ the one-hot label) -> pixel logits: the encoder's layers mirrored."""
        c = self.config
        return mlp([c.latent_dim + c.num_labels, *reversed(c.hidden), c.input_dim], c.activation)

    def _run_decoder(self, z: Tensor, y: Tensor | None) -> Tensor:
        return self.decoder(self._condition(z, y))

    @property
    def dtype(self) -> torch.dtype:
        """The weights' dtype, which inputs are cast to: float32, or float64 in the copy that
        scores an extreme image (`scoring.finite_drawing_scores`)."""
        return next(self.parameters()).dtype

    def encode(self, x: Tensor, y: Tensor | None = None) -> tuple[Tensor, Tensor | None]:
        h = self._condition(flatten_images(x, self.config.input_dim).to(self.dtype), y)
        mu, logvar = self.encoder(h).chunk(2, dim=1)
        return mu, logvar

    def decode(self, z: Tensor, y: Tensor | None = None) -> Tensor:
        if z.dim() != 2 or z.shape[1] != self.config.latent_dim:
            raise ValueError(
                f"z must have shape (B, {self.config.latent_dim}), got {tuple(z.shape)}"
            )
        return self._to_image(self._run_decoder(z.to(self.dtype), y))

    def decoder_stages(self) -> list[DecoderStage]:
        # One MLP, z (with the one-hot label appended for a CVAE) -> pixel logits.
        labelled = self.config.num_labels > 0
        return [mlp_stage(self.decoder, "pixels", label=labelled, output="sigmoid")]


class CVAE(VAE):
    """The VAE with the label concatenated to the encoder's and the decoder's input (with
    `label_every_layer`, to the input of every decoder layer)."""

    display_name = "conditional VAE"
    headline = Headline("test_nll_given_label", "−log p(x|y)", "nats")

    config: CVAEConfig

    def _make_decoder(self) -> nn.Module:
        c = self.config
        if not c.label_every_layer:
            return super()._make_decoder()
        sizes = [c.latent_dim, *reversed(c.hidden), c.input_dim]
        return LabelledMLP(sizes, c.num_labels, c.activation)

    def _run_decoder(self, z: Tensor, y: Tensor | None) -> Tensor:
        if not self.config.label_every_layer:
            return super()._run_decoder(z, y)
        return self.decoder(z, self._onehot(z, y))

    def decoder_stages(self) -> list[DecoderStage]:
        if not self.config.label_every_layer:
            return super().decoder_stages()
        return labelled_mlp_stages(self.decoder, "pixels", output="sigmoid")


class AE(VAE):
    """A deterministic autoencoder with the same networks: the encoder gives z directly."""

    display_name = "autoencoder"
    headline = Headline("test_rec_bce", "reconstruction BCE", "nats")

    def __init__(self, config: ModelConfig) -> None:
        # LatentModel's set-up only: the VAE's networks would be the wrong shape (2 * latent_dim).
        super(VAE, self).__init__(config)
        c = config
        self.encoder = mlp([c.input_dim, *c.hidden, c.latent_dim], c.activation)
        self.decoder = self._make_decoder()

    @property
    def capabilities(self) -> Capabilities:
        # No posterior, no prior, no density: the lesson the page draws from the AE.
        return Capabilities(stochastic=False, standard_normal_prior=False, likelihood=False)

    def encode(self, x: Tensor, y: Tensor | None = None) -> tuple[Tensor, None]:
        h = self._condition(flatten_images(x, self.config.input_dim), y)
        return self.encoder(h), None


MODEL_CLASSES: dict[str, type[LatentModel]] = {"ae": AE, "vae": VAE, "cvae": CVAE}


def register_model(kind: str, cls: type[LatentModel]) -> None:
    """Lets later model kinds join `build_model` and the checkpoint loader."""
    MODEL_CLASSES[kind] = cls


def build_model(config: ModelConfig) -> LatentModel:
    """The module for a config, freshly initialised."""
    return MODEL_CLASSES[config.kind](config)
