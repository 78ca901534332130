"""Training throughput (images/s) and evaluation time per shipped model on this machine.

Random binary images stand in for MNIST: the cost of a step does not depend on the pixels.
Usage: python bench/train_throughput.py [--steps 60] [--iw-images 200]
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import torch

from latent_explorer.model import load_checkpoint
from latent_explorer.model.losses import importance_weighted_nll, negative_elbo

ROOT = Path(__file__).resolve().parents[1]
MODELS = ["ae-mnist-z2", "vae-mnist-z2", "cvae-mnist-z2", "vae-mnist-z16"]


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--steps", type=int, default=60)
    p.add_argument("--batch-size", type=int, default=128)
    p.add_argument("--iw-images", type=int, default=200, help="test images for the IW timing")
    args = p.parse_args()
    print(f"torch {torch.__version__}, {torch.get_num_threads()} threads, device cpu")
    print(
        f"{'model':16} {'train img/s':>12} {'epoch (60k) s':>14} {'IW k=1000 ms/img':>17}"
        f" {'full eval est. s':>17}"
    )
    for name in MODELS:
        model = load_checkpoint(ROOT / "checkpoints" / f"{name}.safetensors").train()
        opt = torch.optim.Adam(model.parameters(), lr=1e-4)
        x = torch.bernoulli(torch.rand(args.batch_size, 1, 28, 28))
        y = torch.randint(0, 10, (args.batch_size,)) if model.config.num_labels else None
        for step in range(args.steps + 5):
            if step == 5:  # warm-up steps excluded
                t0 = time.perf_counter()
            loss = negative_elbo(model, x, y)["loss"].mean()
            opt.zero_grad()
            loss.backward()
            opt.step()
        per_s = args.steps * args.batch_size / (time.perf_counter() - t0)
        model.eval()
        if model.stochastic:
            xs = torch.bernoulli(torch.rand(args.iw_images, 1, 28, 28))
            ys = torch.randint(0, 10, (args.iw_images,)) if y is not None else None
            t0 = time.perf_counter()
            for i in range(0, args.iw_images, 80):
                importance_weighted_nll(
                    model, xs[i : i + 80], None if ys is None else ys[i : i + 80]
                )
            iw_ms = 1000 * (time.perf_counter() - t0) / args.iw_images
        iw = f"{iw_ms:17.1f} {iw_ms * 10:17.0f}" if model.stochastic else f"{'-':>17} {'-':>17}"
        print(f"{name:16} {per_s:12,.0f} {60_000 / per_s:14.1f} {iw}")


if __name__ == "__main__":
    main()
