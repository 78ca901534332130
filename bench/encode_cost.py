"""What /encode costs per drawing, in the process: `encode_pixels` (the M2's label reading,
encode, decode and the drawing's scores) and `drawing_scores` alone in float32 and in the
float64 it falls back to, on the shipped models, CPU. The server runs this work in a thread
(README, "Reliability under load"). Usage: python bench/encode_cost.py
"""

from __future__ import annotations

import time
from collections.abc import Callable
from functools import partial

import numpy as np
import torch

from latent_explorer.model.scoring import drawing_scores, widened
from latent_explorer.server.registry import ModelRegistry, choose_device
from latent_explorer.server.routes.encode import encode_pixels
from latent_explorer.server.settings import PACKAGE_ROOT

REPEATS = 30


def ms(fn: Callable[[], object]) -> float:
    """Mean milliseconds of `fn` over REPEATS calls, after one to warm up."""
    fn()
    start = time.perf_counter()
    for _ in range(REPEATS):
        fn()
    return (time.perf_counter() - start) / REPEATS * 1000


def main() -> None:
    registry = ModelRegistry.load(PACKAGE_ROOT / "checkpoints", choose_device("cpu"))
    digit = np.zeros((28, 28), np.float32)
    digit.reshape(-1)[300:500] = 1.0  # a block of ink: scored like any drawing
    x = torch.from_numpy(digit).reshape(1, 1, 28, 28)
    for entry in registry.entries.values():
        caps = entry.model.capabilities
        if not caps.walkable:
            continue
        label = 1 if caps.conditional and not caps.infers_label else None
        line = f"{entry.id}: encode_pixels {ms(partial(encode_pixels, entry, digit, label)):.1f} ms"
        if caps.likelihood:
            y = None if label is None else torch.tensor([label])
            with torch.inference_mode():
                f32 = ms(partial(drawing_scores, entry.model, x, y))
                f64 = ms(partial(drawing_scores, widened(entry.model), x.double(), y))
            line += f", drawing_scores float32 {f32:.1f} ms, float64 {f64:.1f} ms"
        print(line, flush=True)


if __name__ == "__main__":
    main()
