"""The only code that reads or writes checkpoint files: safetensors, never pickle.

A checkpoint holds the weights under `model.*`, the atlas (posterior means of test images and their
labels) under `atlas.*`, and string metadata: the format version, the model kind, the config as
JSON, and everything else (dataset, class names, metrics, training arguments, ...) as JSON.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import torch
from safetensors import SafetensorError, safe_open
from safetensors.torch import save_file
from torch import Tensor

from .config import config_from_dict
from .vae import LatentModel, build_model

FORMAT_VERSION = "1"
MODEL_PREFIX = "model."
ATLAS_PREFIX = "atlas."


class CheckpointError(ValueError):
    """A checkpoint file that is missing, truncated, or does not match its own config."""


def atomic_save_tensors(tensors: dict[str, Tensor], path: Path, metadata: dict[str, str]) -> None:
    """Write to a temporary file beside `path`, then rename: a crash never leaves a broken file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        save_file({k: v.detach().contiguous().cpu() for k, v in tensors.items()}, tmp, metadata)
        os.chmod(tmp, 0o644)  # the temp file is private; the checkpoint is meant to be shared
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)


def save_checkpoint(
    model: LatentModel,
    path: str | Path,
    metadata: dict[str, Any] | None = None,
    atlas: dict[str, Tensor] | None = None,
) -> None:
    """Save weights, config, metadata and atlas to one .safetensors file, atomically."""
    metadata = model.metadata if metadata is None else metadata
    atlas = model.atlas if atlas is None else atlas
    tensors = {MODEL_PREFIX + k: v for k, v in model.state_dict().items()}
    for name, value in (atlas or {}).items():
        tensors[ATLAS_PREFIX + name] = value
    header = {
        "format_version": FORMAT_VERSION,
        "kind": model.config.kind,
        "config": model.config.to_json(),
        "metadata": json.dumps(metadata, sort_keys=True, default=str),
    }
    atomic_save_tensors(tensors, Path(path), header)


def read_header(path: str | Path) -> dict[str, str]:
    """The string metadata of a checkpoint, without loading any tensor."""
    path = Path(path)
    if not path.is_file():
        raise CheckpointError(f"{path}: no such checkpoint file")
    try:
        with safe_open(str(path), framework="pt") as f:
            return dict(f.metadata() or {})
    except (SafetensorError, OSError, ValueError) as exc:
        raise CheckpointError(f"{path}: not a readable safetensors file ({exc})") from exc


TRAIN_STATE_SUFFIX = ".train-state.safetensors"  # training/loop.py's, beside each checkpoint


def load_checkpoint(path: str | Path, device: str | torch.device = "cpu") -> LatentModel:
    """Rebuild the model a checkpoint describes, load its weights exactly, and put it in eval mode.

    Raises CheckpointError naming the file when it is missing, truncated, of another format
    version, or when its weights do not fit its config.
    """
    path = Path(path)
    header = read_header(path)
    if path.name.endswith(TRAIN_STATE_SUFFIX) and header.get("format_version") is None:
        # Beside every checkpoint training writes; "format version None" named no way out.
        model_file = path.name.removesuffix(TRAIN_STATE_SUFFIX) + ".safetensors"
        raise CheckpointError(
            f"{path}: a training state (optimizer moments for --resume), not a model: "
            f"give its checkpoint, {model_file}"
        )
    if header.get("format_version") != FORMAT_VERSION:
        raise CheckpointError(
            f"{path}: format version {header.get('format_version')!r}, expected {FORMAT_VERSION!r}"
        )
    try:
        config = config_from_dict(json.loads(header["config"]))
        metadata = json.loads(header.get("metadata", "{}"))
    except (KeyError, ValueError, TypeError) as exc:
        raise CheckpointError(f"{path}: bad config or metadata ({exc})") from exc
    if header.get("kind") != config.kind:
        raise CheckpointError(f"{path}: kind {header.get('kind')!r} but config is {config.kind!r}")

    try:
        with safe_open(str(path), framework="pt", device="cpu") as f:
            tensors = {key: f.get_tensor(key) for key in f.keys()}
    except (SafetensorError, OSError, ValueError) as exc:
        raise CheckpointError(f"{path}: truncated or corrupt tensor data ({exc})") from exc

    model = build_model(config)
    state = {k[len(MODEL_PREFIX) :]: v for k, v in tensors.items() if k.startswith(MODEL_PREFIX)}
    expected = model.state_dict()
    missing, unexpected = set(expected) - set(state), set(state) - set(expected)
    if missing or unexpected:
        raise CheckpointError(
            f"{path}: weights do not match the {config.kind} config "
            f"(missing {sorted(missing)[:3]}, unexpected {sorted(unexpected)[:3]})"
        )
    for key, value in state.items():
        if value.shape != expected[key].shape:
            raise CheckpointError(
                f"{path}: {key} has shape {tuple(value.shape)}, "
                f"the config needs {tuple(expected[key].shape)}"
            )
    model.load_state_dict(state)
    model.metadata = metadata
    atlas = {k[len(ATLAS_PREFIX) :]: v for k, v in tensors.items() if k.startswith(ATLAS_PREFIX)}
    model.atlas = atlas or None
    return model.to(device).eval()


def update_metadata(path: str | Path, updates: dict[str, Any]) -> dict[str, Any]:
    """Merge `updates` into a checkpoint's metadata and rewrite it atomically; return the result."""
    model = load_checkpoint(path)
    model.metadata = {**model.metadata, **updates}
    save_checkpoint(model, path)
    return model.metadata
