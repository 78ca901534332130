"""Frozen configs, one per model kind. A checkpoint stores its config as JSON and rebuilds it."""

from __future__ import annotations

import dataclasses
import json
from dataclasses import dataclass
from typing import Any, ClassVar

IMAGE_SIDE = 28
IMAGE_PIXELS = IMAGE_SIDE * IMAGE_SIDE


@dataclass(frozen=True)
class ModelConfig:
    """Fields shared by every kind: an MLP encoder 784 -> hidden -> z and a mirrored decoder."""

    kind: ClassVar[str] = "base"
    latent_dim: int = 2  # size of z; 2 gives the walkable manifold, 16 the better likelihood
    hidden: tuple[int, ...] = (400, 400)  # encoder layer sizes; the decoder mirrors them
    activation: str = "elu"  # elu | relu | tanh | softplus
    likelihood: str = "bernoulli"  # bernoulli: logits + BCE on binary pixels; gaussian: fixed std
    gaussian_std: float = 0.1  # std of p(x|z) when likelihood == "gaussian"
    beta: float = 1.0  # weight on the KL term (beta-VAE); 1.0 is the true ELBO
    input_dim: int = IMAGE_PIXELS  # flattened 28x28 images

    def __post_init__(self) -> None:
        if self.latent_dim < 1:
            raise ValueError(f"latent_dim must be >= 1, got {self.latent_dim}")
        if not self.hidden or any(h < 1 for h in self.hidden):
            raise ValueError(f"hidden sizes must be positive, got {self.hidden}")
        if self.activation not in ACTIVATIONS:
            raise ValueError(f"activation must be one of {ACTIVATIONS}, got {self.activation!r}")
        if self.likelihood not in LIKELIHOODS:
            raise ValueError(f"likelihood must be one of {LIKELIHOODS}, got {self.likelihood!r}")
        if self.beta < 0:
            raise ValueError(f"beta must be >= 0, got {self.beta}")
        # JSON gives lists; keep the dataclass hashable and comparable.
        object.__setattr__(self, "hidden", tuple(int(h) for h in self.hidden))

    @property
    def num_labels(self) -> int:
        """Number of classes the model is conditioned on (0: unconditional)."""
        return 0

    def to_json(self) -> str:
        return json.dumps({"kind": self.kind, **dataclasses.asdict(self)}, sort_keys=True)


ACTIVATIONS = ("elu", "relu", "tanh", "softplus")
LIKELIHOODS = ("bernoulli", "gaussian")


@dataclass(frozen=True)
class AEConfig(ModelConfig):
    """Deterministic autoencoder, for comparison: z = encoder(x), no prior, no KL."""

    kind: ClassVar[str] = "ae"


@dataclass(frozen=True)
class VAEConfig(ModelConfig):
    """Kingma & Welling's VAE: q(z|x) = N(mu, diag(exp(logvar))), p(z) = N(0, I)."""

    kind: ClassVar[str] = "vae"


@dataclass(frozen=True)
class CVAEConfig(ModelConfig):
    """Conditional VAE: the one-hot label enters both q(z|x,y) and p(x|z,y)."""

    kind: ClassVar[str] = "cvae"
    num_classes: int = 10  # size of the one-hot label
    # False: the label joins z at the decoder's input only; True: every decoder layer reads it.
    label_every_layer: bool = False

    def __post_init__(self) -> None:
        super().__post_init__()
        if self.num_classes < 2:
            raise ValueError(f"num_classes must be >= 2, got {self.num_classes}")

    @property
    def num_labels(self) -> int:
        return self.num_classes


CONFIG_CLASSES: dict[str, type[ModelConfig]] = {
    cls.kind: cls for cls in (AEConfig, VAEConfig, CVAEConfig)
}


def register_config(cls: type[ModelConfig]) -> type[ModelConfig]:
    """Lets later model kinds (M2, completion) join the checkpoint loader."""
    CONFIG_CLASSES[cls.kind] = cls
    return cls


def config_from_dict(data: dict[str, Any]) -> ModelConfig:
    """Rebuild a config from its JSON form; unknown kinds or fields are errors, not guesses."""
    data = dict(data)
    kind = data.pop("kind", None)
    if kind not in CONFIG_CLASSES:
        raise ValueError(f"unknown model kind {kind!r}; known: {sorted(CONFIG_CLASSES)}")
    cls = CONFIG_CLASSES[kind]
    names = {f.name for f in dataclasses.fields(cls)}
    unknown = set(data) - names
    if unknown:
        raise ValueError(f"unknown config fields for {kind}: {sorted(unknown)}")
    return cls(**data)
