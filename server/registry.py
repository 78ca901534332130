"""Every checkpoint in a folder, loaded once at start-up onto the chosen device."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import quote

import torch

from latent_explorer.model import LatentModel, load_checkpoint
from latent_explorer.model.checkpoint import TRAIN_STATE_SUFFIX
from latent_explorer.model.data import describe_dataset
from latent_explorer.model.decoder_file import DecoderFile, export_decoder
from latent_explorer.model.device import pick_device
from latent_explorer.model.latent import pca_plane

from .cache import LruCache
from .fast_decode import NumpyMLP, numpy_decoder

log = logging.getLogger("latent_explorer.registry")
# Rendered atlas views kept per model (~180 KB each): the default view and recent dims pairs. A
# 16-d model has 240 pairs and kept every one asked for (+119 MB over three models).
ATLAS_CACHE_SIZE = 8


def choose_device(name: str) -> torch.device:
    """LATENT_EXPLORER_DEVICE's choice; the rule is the model package's."""
    return pick_device(name)


@dataclass
class ModelEntry:
    """A loaded model and what the API says about it. Read-only once built."""

    id: str
    model: LatentModel
    info: dict[str, Any]
    device: torch.device
    np_decoder: NumpyMLP | None = None  # CPU only: a NumPy copy of the decoder for small batches
    pca_mean: torch.Tensor | None = None  # the atlas's PCA plane, for models with > 2 dims
    pca_components: torch.Tensor | None = None
    # Rendered atlas JSON by dims, bounded: any pair can be asked for, and each costs memory.
    cache: LruCache = field(default_factory=lambda: LruCache(ATLAS_CACHE_SIZE))
    decoder_file: DecoderFile | None = None  # the decoder as safetensors, for the page to run

    @property
    def latent_dim(self) -> int:
        return self.model.config.latent_dim

    @property
    def num_classes(self) -> int:
        return self.model.config.num_labels


def decoder_url(model_id: str, file: DecoderFile) -> str:
    """The file's address with its content hash in it: a new file is a new URL, so the old one
    may be cached for good."""
    # Escaped: an id is a file stem, and a '#', '%' or space in one broke the URL (review 14).
    return f"/api/models/{quote(model_id, safe='')}/decoder.safetensors?v={file.sha256[:16]}"


def describe(
    model_id: str, model: LatentModel, decoder: DecoderFile | None = None
) -> dict[str, Any]:
    """What the API says about a model; every judgement comes from what the model declares."""
    c, md, head = model.config, model.metadata, model.judged_by()
    metrics = md.get("metrics", {})
    value = metrics.get(head.key)
    data = describe_dataset(md.get("dataset", "unknown"), md.get("class_names"))
    beta = getattr(c, "beta", 1.0)
    # A beta-VAE named as one (page pass 20: the picker called it a plain "VAE").
    name = model.display_name if beta == 1.0 else f"β-{model.display_name}"
    text = f"{name} with a {c.latent_dim}-d latent space"
    if md.get("epochs") == 0:  # fitted in closed form (PPCA)
        text += f", fitted in closed form on {data['title']}"
    else:
        epochs = md.get("epochs", "?")
        text += f", trained on {data['title']} for {epochs} epoch{'' if epochs == 1 else 's'}"
    if beta != 1.0:  # a beta-VAE: its numbers are not the plain VAE's, and the picker says why
        text += f", with its KL weighted by β = {beta:g}"
    if md.get("labelled_indices"):
        text += f" with {len(md['labelled_indices'])} labels"
    if value is not None and head.unit == "fraction":
        text += f"; {head.label} = {100 * value:.2f}% on the test set"
    elif value is not None:
        text += f"; {head.label} = {value:.2f} {head.unit} on the test set"
    return {
        "id": model_id,
        "kind": c.kind,
        "display_name": name,
        "kl_weight": beta,
        "dataset": md.get("dataset", "unknown"),
        "latent_dim": c.latent_dim,
        "num_classes": c.num_labels,
        "class_names": md.get("class_names", []) if c.num_labels else [],
        # Names for the map's legend even when the model takes no label; whether drawings fit.
        "data": data,
        "likelihood": c.likelihood,
        "metrics": {k: v for k, v in metrics.items() if isinstance(v, int | float)},
        "headline_metric": {
            "name": head.key,
            "label": head.label,
            "unit": head.unit,
            "value": value,
        },
        "capabilities": model.capabilities.to_dict(),
        "decoder": None
        if decoder is None
        else {
            "url": decoder_url(model_id, decoder),
            "sha256": decoder.sha256,
            "bytes": len(decoder.data),
            "dtype": decoder.dtype,
        },
        "description": text,
    }


class ModelRegistry:
    """Model id (the file stem) -> ModelEntry. Ids are keys, never paths."""

    def __init__(self, entries: dict[str, ModelEntry], device: torch.device) -> None:
        self.entries = entries
        self.device = device

    @classmethod
    def load(cls, folder: Path, device: torch.device) -> ModelRegistry:
        entries: dict[str, ModelEntry] = {}
        for path in sorted(Path(folder).glob("*.safetensors")):
            if path.name.endswith(TRAIN_STATE_SUFFIX):
                continue
            # One bad file must not take the others down, whatever fails: the load, or what is
            # built from it (review 14: a NaN in a 16-d atlas stopped the server at start-up).
            try:
                entries[path.stem] = build_entry(path, device)
            except Exception as exc:
                log.warning("skipping checkpoint %s: %s", path, exc)
                continue
            log.info(
                "loaded %s (%s) on %s", path.stem, entries[path.stem].model.config.kind, device
            )
        if not entries:
            log.warning("no checkpoint could be loaded from %s", folder)
        return cls(entries, device)

    def get(self, model_id: str) -> ModelEntry | None:
        return self.entries.get(model_id)


def build_entry(path: Path, device: torch.device) -> ModelEntry:
    """A checkpoint loaded, checked and readied to serve; raises on anything it cannot serve."""
    model = load_checkpoint(path, device=device)
    check_servable(model)
    decoder = export_decoder(model)  # built once here, served as bytes
    entry = ModelEntry(
        path.stem, model, describe(path.stem, model, decoder), device, decoder_file=decoder
    )
    if device.type == "cpu":
        entry.np_decoder = numpy_decoder(model)
    if model.atlas is not None and model.config.latent_dim > 2:
        entry.pca_mean, entry.pca_components = pca_plane(model.atlas["mu"].float())
    return entry


def check_servable(model: LatentModel) -> None:
    """What the routes assume of a checkpoint, checked once: finite weights (a diverged run's
    checkpoint answered 200 with NaN, which is not JSON), an atlas of one finite code per label,
    and metrics that are a table (review 14)."""
    for name, tensor in model.state_dict().items():
        if tensor.is_floating_point() and not torch.isfinite(tensor).all():
            raise ValueError(f"{name} is not finite (a diverged run?)")
    atlas, d = model.atlas, model.config.latent_dim
    if model.capabilities.walkable and d < 2:  # the grid and the map walk a plane of two dims
        raise ValueError(f"a walkable model needs at least 2 latent dims to show, it has {d}")
    if atlas is not None:
        mu, labels = atlas.get("mu"), atlas.get("labels")
        if mu is None or labels is None or mu.ndim != 2 or mu.shape[1] != d:
            raise ValueError(f"its atlas needs mu of shape (N, {d}) and labels")
        if labels.shape != (mu.shape[0],) or not torch.isfinite(mu.float()).all():
            raise ValueError("its atlas has one label per code and finite codes")
    if not isinstance(model.metadata.get("metrics", {}), dict):
        raise ValueError("its metadata's metrics are not a table")
