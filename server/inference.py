"""The glue between JSON and the model: checked tensors in, rendered images out."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import torch
from fastapi import Request, Response
from pydantic_core import to_json

from .errors import InputError, label_out_of_range, takes_no_label, z_size_error
from .fast_decode import decode_numpy
from .png import data_url, encode_png, to_uint8, upscale
from .registry import ModelEntry
from .requests import run_limited

NUMPY_MAX_BATCH = 16  # above this, torch's batched matmuls win


def require_latent_walk(entry: ModelEntry) -> None:
    """Decoding a bare z needs a model whose decoder takes only z (and a label): not completion."""
    if not entry.model.capabilities.walkable:
        raise InputError(
            ("path", "model_id"),
            f"{entry.id} completes partial images: use POST /api/models/{entry.id}/complete",
        )


def latents(
    entry: ModelEntry, rows: Sequence[Sequence[float]], loc: tuple, one: bool = False
) -> torch.Tensor:
    """(B, D) float tensor on the model's device; each row must have the model's latent size.
    `one`: the rows are one z at `loc` (an interpolation's end), named without a row index."""
    require_latent_walk(entry)
    d = entry.latent_dim
    for i, row in enumerate(rows):
        if len(row) != d:
            where = loc if one else (*loc, i)  # not "[0]" of a z sent as one list (hostile 12)
            raise z_size_error(where, len(row), f"{entry.id} needs {d}")
    return torch.tensor(rows, dtype=torch.float32).reshape(len(rows), d).to(entry.device)


def labels(
    entry: ModelEntry, values: Sequence[int] | None, n: int, loc: tuple
) -> torch.Tensor | None:
    """(B,) long tensor for a conditional model, None otherwise; refuses what does not fit."""
    k = entry.num_classes
    if k == 0:
        if values is not None and len(values):
            raise InputError(loc, takes_no_label(entry.id))
        return None
    if values is None:
        raise InputError(loc, f"{entry.id} is conditional: a label in 0..{k - 1} is required")
    if len(values) != n:
        raise InputError(loc, f"{len(values)} labels for {n} latents; give one label per z")
    for i, v in enumerate(values):
        if not 0 <= v < k:
            where = (*loc, i) if len(loc) and loc[-1] == "labels" else loc
            raise InputError(where, label_out_of_range(v, k))
    return torch.tensor(list(values), dtype=torch.long, device=entry.device)


def render(logits: np.ndarray, output: str, scale: int = 1) -> list:
    """(B, 28, 28) logits -> PNG data URLs, or nested lists of probabilities or logits."""
    if output == "logits":
        return np.round(logits.astype(np.float64), 5).tolist()
    probs = sigmoid(logits)
    if output == "probs":
        return np.round(probs.astype(np.float64), 6).tolist()
    return [data_url(encode_png(upscale(to_uint8(p), scale), level=1)) for p in probs]


async def render_answer(
    request: Request,
    entry: ModelEntry,
    z: torch.Tensor,
    y: torch.Tensor | None,
    output: str,
    head: dict,
) -> dict | Response:
    """The route's answer: `head`, then "images" (the last field of every response model that has
    them). Small batches of PNGs on the event loop, as a dict FastAPI checks against the response
    model (faster than a thread hop); small batches of numbers as bytes in a thread. Big ones are
    decoded, rendered and written as JSON bytes in a thread under the app's heavy-work limiter,
    so a flood of them queues there and the loop only sends bytes: FastAPI checked and wrote
    1024 28x28 logits on the loop, ~0.3 s each, and /api/health waited up to 0.68 s behind one
    client (hostile pass 10)."""
    if z.shape[0] > NUMPY_MAX_BATCH:
        return await run_limited(request, "heavy", render_json, entry, z, y, output, head)
    if output == "png":  # a few short strings
        return {**head, "images": render(decode(entry, z, y), output)}
    # 784 numbers an image: checked and written by FastAPI, 16 of them cost ~4.8 ms of the loop
    # against ~2.8 ms as bytes in a thread, and /api/health's p99 rose from 3-6 to 38-86 ms
    # behind four clients (hostile pass 12). A queue of their own: no grid to wait behind.
    return await run_limited(request, "numbers", render_json, entry, z, y, output, head)


def render_json(
    entry: ModelEntry, z: torch.Tensor, y: torch.Tensor | None, output: str, head: dict
) -> Response:
    """decode + render as a JSON answer, for a worker thread. One image at a time: the thread
    holds the GIL for well under a millisecond a step, so the loop gets its turns (rounding the
    batch in one call held it ~50 ms, and writing it in one call ~85 ms). pydantic's serializer
    writes the bytes the response model would (tests/test_large_answers.py compares them)."""
    logits = decode(entry, z, y)
    images = b",".join(to_json(render(one[None], output)[0]) for one in logits)
    start = to_json({**head, "images": []})  # ends with b"[]}"
    return Response(start[:-2] + images + b"]}", media_type="application/json")


def sigmoid(logits: np.ndarray) -> np.ndarray:
    # exp of a large negative logit overflows to inf, and 1 / (1 + inf) is the right 0.
    with np.errstate(over="ignore"):
        return 1.0 / (1.0 + np.exp(-logits))


def pixels_tensor(entry: ModelEntry, pixels: Sequence) -> torch.Tensor:
    """Validated 28x28 / 784 values -> (1, 1, 28, 28) on the model's device."""
    return torch.tensor(pixels, dtype=torch.float32).reshape(1, 1, 28, 28).to(entry.device)


def decode(entry: ModelEntry, z: torch.Tensor | np.ndarray, y: torch.Tensor | None) -> np.ndarray:
    """Logits (B, 28, 28) as float32 NumPy. Small CPU batches take the NumPy copy of the decoder
    (half the time of torch's dispatch for one digit); everything else runs in torch."""
    if entry.np_decoder is not None and z.shape[0] <= NUMPY_MAX_BATCH:
        z_np = z if isinstance(z, np.ndarray) else z.numpy()
        y_np = None if y is None else y.numpy()
        return decode_numpy(entry.model, entry.np_decoder, z_np, y_np).reshape(-1, 28, 28)
    if isinstance(z, np.ndarray):
        z = torch.from_numpy(z).to(entry.device)
    with torch.inference_mode():
        return entry.model.decode(z, y)[:, 0].float().cpu().numpy()


def encode(
    entry: ModelEntry, x: torch.Tensor, y: torch.Tensor | None
) -> tuple[torch.Tensor, torch.Tensor | None]:
    with torch.inference_mode():
        return entry.model.encode(x, y)
