"""The decoder's forward pass in NumPy, for one or a few latents on the CPU.

A 2-400-400-784 MLP is ~0.5 MFLOP per latent: torch spends most of its ~80 us per call on
dispatch, NumPy about half that. The server uses this for small CPU batches, where a request's
own cost is what limits throughput; batches and GPUs stay with torch. Same weights, same maths
(checked against torch in the tests).
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
from torch import nn

from latent_explorer.model.decoder_file import ACTIVATIONS
from latent_explorer.model.decoder_stages import ACTIVATION_NAMES, default_params
from latent_explorer.model.vae import LatentModel


class NumpyMLP:
    """A frozen copy of an nn.Sequential of Linear layers and supported activations."""

    def __init__(self, layers: list[tuple[np.ndarray, np.ndarray] | Callable]) -> None:
        self.layers = layers

    @classmethod
    def from_sequential(cls, seq: nn.Sequential) -> NumpyMLP:
        layers: list = []
        for module in seq:
            if isinstance(module, nn.Linear):
                w = module.weight.detach().float().cpu().numpy().T.copy()  # (in, out), contiguous
                layers.append((w, module.bias.detach().float().cpu().numpy().copy()))
            elif type(module) in ACTIVATION_NAMES and default_params(module):
                # The page's decoder file's activations, by the same names and rule.
                layers.append(ACTIVATIONS[ACTIVATION_NAMES[type(module)]])
            else:
                raise TypeError(f"no NumPy version of {module!r}")
        return cls(layers)

    def __call__(self, h: np.ndarray) -> np.ndarray:
        for layer in self.layers:
            if isinstance(layer, tuple):
                h = h @ layer[0]
                h += layer[1]
            else:
                h = layer(h)
        return h


def numpy_decoder(model: LatentModel) -> NumpyMLP | None:
    """A NumPy copy of the model's decoder, or None when it has layers we do not mirror, is not
    one Sequential, or is not a pixel decoder of a bare z: by what the model declares, not its
    class (a new contributor's pass): a stacked model's decoder gives the lower model's features
    (M2's, which M1 then decodes), and one that is not walkable needs more than z (completion's)."""
    caps = model.capabilities
    decoder = getattr(model, "decoder", None)
    if caps.stacked or not caps.walkable or not isinstance(decoder, nn.Sequential):
        return None  # e.g. a CVAE whose every layer reads the label: torch decodes it
    try:
        return NumpyMLP.from_sequential(decoder)
    except (AttributeError, TypeError):
        return None


def decode_numpy(
    model: LatentModel, mlp: NumpyMLP, z: np.ndarray, y: np.ndarray | None = None
) -> np.ndarray:
    """Logits (B, 784) for float32 latents (B, D); the one-hot label appended as in `decode`."""
    h = np.asarray(z, dtype=np.float32)
    n = model.config.num_labels
    if n:
        onehot = np.zeros((h.shape[0], n), dtype=np.float32)
        onehot[np.arange(h.shape[0]), y] = 1.0
        h = np.concatenate([h, onehot], axis=1)
    return mlp(h)


__all__ = ["NumpyMLP", "decode_numpy", "numpy_decoder"]
