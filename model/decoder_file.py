"""A walkable model's decoder as a small safetensors file that other programs run (the page does).

Layout: tensors `stages.{i}.layers.{j}.weight` (out, in) and `.bias` (out,), in the payload's
dtype; the header's `__metadata__` holds `format` ("latent-explorer-decoder"), `version` and
`decoder`, a JSON description:

    {"latent_dim": 2, "num_labels": 10, "label": "onehot-concat", "image": [28, 28],
     "dtype": "float16", "tolerance": 0.0035,
     "stages": [{"name": "pixels", "label": true, "activation": "elu", "output": "sigmoid",
                 "layers": [{"weight": "stages.0.layers.0.weight", "bias": "...",
                             "in": 12, "out": 400}, ...]}]}

Stage semantics are those of `decoder_stages.py`: the first stage reads z, each later stage the
previous output, with the one-hot label appended wherever a stage's `label` is true; the
activation sits between layers; a stage's output transform closes it (an activation, for a
decoder that is one stage per layer), and the last stage's gives pixels in [0, 1].

float16 weights halve the bytes (biases stay float32: they are few, and their rounding alone moves a
pixel by 0.15 gray levels). float16 is used only where the decoded probabilities stay within
`TOLERANCE` of the float32 model's on every pixel of `CHECK_POINTS` random latents spread over all
the page can reach (each label); otherwise the model ships float32. The check runs the stages the
way a client does: weights widened back to float32, arithmetic in float32.
"""

from __future__ import annotations

import hashlib
import json
import struct
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import torch

from .decoder_stages import DecoderStage
from .vae import LatentModel

FORMAT = "latent-explorer-decoder"
VERSION = "1"
TOLERANCE = 0.9 / 255  # the promise is one gray level; a tenth is kept for latents not drawn here
CHECK_POINTS = 1024  # finds the worst pixels, and costs ~0.2 s a model at start-up
CHECK_RANGE = 5.0  # latents are drawn uniformly in ±5 per dim: the sliders reach ±3, the map ±5
DTYPES = {"float16": np.float16, "float32": np.float32}


@dataclass(frozen=True)
class DecoderFile:
    """The bytes of an exported decoder and what a client needs to know about them."""

    data: bytes
    sha256: str
    dtype: str
    max_abs_error: float  # largest pixel difference from the model seen in the check


def export_decoder(model: LatentModel, dtype: str = "auto") -> DecoderFile | None:
    """The model's decoder as safetensors bytes; None for a model without decoder stages or one
    that is not walked from a bare z. dtype "auto": float16 when it passes the check, else
    float32."""
    stages = model.decoder_stages() if model.capabilities.walkable else None
    if not stages:
        return None
    z, y = check_latents(model.config.latent_dim, model.config.num_labels)
    with torch.inference_mode():
        yt = None if y is None else torch.from_numpy(y)
        logits = model.decode(torch.from_numpy(z).to(_device(model)), yt).float().cpu()
    # decode() gives pixel logits for every kind: the server's pixels are their sigmoid.
    reference = torch.sigmoid(logits).reshape(len(z), -1).numpy()
    for name in ("float16", "float32") if dtype == "auto" else (dtype,):
        cast = [_cast(stage, DTYPES[name]) for stage in stages]
        error = float(np.abs(run_stages(cast, z, y, model.config.num_labels) - reference).max())
        if error <= TOLERANCE or name == "float32" or dtype != "auto":
            break
    data = _serialize(cast, model, name)
    return DecoderFile(data, hashlib.sha256(data).hexdigest(), name, error)


def check_latents(
    latent_dim: int, num_labels: int, seed: int = 0
) -> tuple[np.ndarray, np.ndarray | None]:
    """The fixed sample the dtype check decodes: (z float32 (N, D), labels int64 (N,) or None)."""
    rng = np.random.default_rng(seed)
    z = rng.uniform(-CHECK_RANGE, CHECK_RANGE, (CHECK_POINTS, latent_dim)).astype(np.float32)
    y = np.arange(CHECK_POINTS) % num_labels if num_labels else None
    return z, y


def _device(model: LatentModel) -> torch.device:
    # PPCA keeps its fit in buffers, not parameters.
    tensor = next(model.parameters(), None)
    if tensor is None:
        tensor = next(model.buffers())
    return tensor.device


@dataclass(frozen=True)
class _NumpyStage:
    weights: list[np.ndarray]  # as stored in the file: (out, in)
    biases: list[np.ndarray]
    activation: str
    label: bool
    output: str
    name: str


def _cast(stage: DecoderStage, dtype: type) -> _NumpyStage:
    return _NumpyStage(
        [w.numpy().astype(dtype) for w in stage.weights],
        [b.numpy().astype(np.float32) for b in stage.biases],
        stage.activation,
        stage.label,
        stage.output,
        stage.name,
    )


ACTIVATIONS: dict[str, Callable[[np.ndarray], np.ndarray]] = {
    "elu": lambda h: np.where(h > 0, h, np.expm1(np.minimum(h, 0))),
    "relu": lambda h: np.maximum(h, 0),
    "tanh": np.tanh,
    "softplus": lambda h: np.logaddexp(0, h),
    "identity": lambda h: h,
}


def run_stages(
    stages: list[_NumpyStage], z: np.ndarray, y: np.ndarray | None, num_labels: int
) -> np.ndarray:
    """Pixels (N, 784) from latents, in float32 as a client computes them."""
    h = np.asarray(z, dtype=np.float32)
    for stage in stages:
        if stage.label:
            h = np.concatenate([h, np.eye(num_labels, dtype=np.float32)[y]], axis=1)
        for j, (w, b) in enumerate(zip(stage.weights, stage.biases, strict=True)):
            h = h @ w.astype(np.float32).T + b.astype(np.float32)
            if j < len(stage.weights) - 1:
                h = ACTIVATIONS[stage.activation](h)
        if stage.output == "sigmoid":
            with np.errstate(over="ignore"):
                h = 1.0 / (1.0 + np.exp(-h))
        elif stage.output == "clip":
            h = np.clip(h, 0.0, 1.0)
        else:  # identity, or the activation that closes one layer's stage
            h = ACTIVATIONS[stage.output](h)
    return h


def _serialize(stages: list[_NumpyStage], model: LatentModel, dtype: str) -> bytes:
    tensors: dict[str, np.ndarray] = {}
    described = []
    for i, stage in enumerate(stages):
        layers = []
        for j, (w, b) in enumerate(zip(stage.weights, stage.biases, strict=True)):
            prefix = f"stages.{i}.layers.{j}"
            tensors[f"{prefix}.weight"], tensors[f"{prefix}.bias"] = w, b
            layers.append(
                {
                    "weight": f"{prefix}.weight",
                    "bias": f"{prefix}.bias",
                    "in": int(w.shape[1]),
                    "out": int(w.shape[0]),
                }
            )
        described.append(
            {
                "name": stage.name,
                "label": stage.label,
                "activation": stage.activation,
                "output": stage.output,
                "layers": layers,
            }
        )
    c = model.config
    description = {
        "latent_dim": c.latent_dim,
        "num_labels": c.num_labels,
        "label": "onehot-concat",  # how a stage with label: true takes it
        "image": [28, 28],
        "dtype": dtype,
        # The promise, not the measured error: that varies in its last digits with torch's
        # threading, and the bytes (and so the URL) must not change from one start to the next.
        "tolerance": round(TOLERANCE, 6),
        "stages": described,
    }
    metadata = {"format": FORMAT, "version": VERSION, "decoder": json.dumps(description)}
    return safetensors_bytes(tensors, metadata)


SAFETENSORS_DTYPES = {np.dtype(np.float16): "F16", np.dtype(np.float32): "F32"}


def safetensors_bytes(tensors: dict[str, np.ndarray], metadata: dict[str, str]) -> bytes:
    """The safetensors format written with a fixed key order. The library's `save` orders the
    metadata as a Rust HashMap does, differently in every process, and the file's hash is its URL:
    the same model must give the same bytes on every start."""
    header: dict = {"__metadata__": metadata}
    chunks, offset = [], 0
    for name, array in tensors.items():
        data = np.ascontiguousarray(array, dtype=array.dtype.newbyteorder("<")).tobytes()
        dtype = SAFETENSORS_DTYPES[array.dtype]
        header[name] = {
            "dtype": dtype,
            "shape": list(array.shape),
            "data_offsets": [offset, offset + len(data)],
        }
        chunks.append(data)
        offset += len(data)
    text = json.dumps(header, separators=(",", ":")).encode()
    text += b" " * (-len(text) % 8)  # the format pads the header to a multiple of 8 bytes
    return struct.pack("<Q", len(text)) + text + b"".join(chunks)
