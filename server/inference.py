"""The glue between JSON and the model: checked tensors in, rendered images out."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import torch

from .errors import InputError
from .png import data_url, encode_png, to_uint8, upscale
from .registry import ModelEntry


def latents(entry: ModelEntry, rows: Sequence[Sequence[float]], loc: tuple) -> torch.Tensor:
    """(B, D) float tensor on the model's device; each row must have the model's latent size."""
    d = entry.latent_dim
    for i, row in enumerate(rows):
        if len(row) != d:
            raise InputError((*loc, i), f"z has {len(row)} values; {entry.id} needs {d}")
    return torch.tensor(rows, dtype=torch.float32).reshape(len(rows), d).to(entry.device)


def labels(
    entry: ModelEntry, values: Sequence[int] | None, n: int, loc: tuple
) -> torch.Tensor | None:
    """(B,) long tensor for a conditional model, None otherwise; refuses what does not fit."""
    k = entry.num_classes
    if k == 0:
        if values is not None and len(values):
            raise InputError(loc, f"{entry.id} is a {entry.model.kind} model and takes no label")
        return None
    if values is None:
        raise InputError(loc, f"{entry.id} is conditional: a label in 0..{k - 1} is required")
    if len(values) != n:
        raise InputError(loc, f"{len(values)} labels for {n} latents; give one label per z")
    for i, v in enumerate(values):
        if not 0 <= v < k:
            raise InputError(
                (*loc, i) if len(loc) and loc[-1] == "labels" else loc,
                f"label {v} is out of range 0..{k - 1}",
            )
    return torch.tensor(list(values), dtype=torch.long, device=entry.device)


def render(logits: torch.Tensor, output: str, scale: int = 1) -> list:
    """(B, 1, 28, 28) logits -> PNG data URLs, or nested lists of probabilities or logits."""
    if output == "logits":
        return np.round(logits.squeeze(1).float().cpu().numpy().astype(np.float64), 5).tolist()
    probs = torch.sigmoid(logits.squeeze(1)).float().cpu().numpy()
    if output == "probs":
        return np.round(probs.astype(np.float64), 6).tolist()
    return [data_url(encode_png(upscale(to_uint8(p), scale))) for p in probs]


def pixels_tensor(entry: ModelEntry, pixels: Sequence) -> torch.Tensor:
    """Validated 28x28 / 784 values -> (1, 1, 28, 28) on the model's device."""
    return torch.tensor(pixels, dtype=torch.float32).reshape(1, 1, 28, 28).to(entry.device)


def decode(entry: ModelEntry, z: torch.Tensor, y: torch.Tensor | None) -> torch.Tensor:
    with torch.inference_mode():
        return entry.model.decode(z, y)


def encode(entry: ModelEntry, x: torch.Tensor, y: torch.Tensor | None):
    with torch.inference_mode():
        return entry.model.encode(x, y)
