"""`latent-explorer train-completion`: the image-completion CVAE and its NN baseline.

Every batch is binarized afresh and every image gets a random mask among 1, 2 or 3 visible
quadrants (halves included); the CVAE and the deterministic baseline learn from the same batches.
"""

from __future__ import annotations

import argparse
import math
import time
from pathlib import Path

import torch

from .checkpoint import save_checkpoint
from .completion import (
    BENCHMARK_MASKS,
    CompletionConfig,
    CompletionCVAE,
    completion_loss,
    iw_missing_nll,
    quadrant_mask,
    random_masks,
)
from .data import binarize, binarize_test_set, load_dataset
from .device import pick_device
from .train import learning_rate, run_metadata

EVAL_BATCH = 500


@torch.no_grad()
def benchmark(model: CompletionCVAE, x_test: torch.Tensor, k: int) -> dict:
    """For 1, 2 and 3 visible quadrants: the CVAE's IW NLL (k samples; k=1 is the -ELBO's
    estimate) and the NN baseline's BCE, of the missing pixels, mean per image in nats."""
    model.eval()
    out = {}
    for n_visible, quadrants in BENCHMARK_MASKS.items():
        mask_row = quadrant_mask(quadrants).to(x_test.device)
        cvae, nn_bce = 0.0, 0.0
        for i in range(0, len(x_test), EVAL_BATCH):
            x = x_test[i : i + EVAL_BATCH].reshape(-1, 784)
            mask = mask_row.expand(len(x), -1)
            if k > 1:
                cvae += iw_missing_nll(model, x, mask, k=k).sum().item()
            else:
                cvae += completion_loss(model, x, mask)["loss"].sum().item()
            nn_bce += completion_loss(model, x, mask)["baseline"].sum().item()
        out[f"cvae_nll_{n_visible}q"] = cvae / len(x_test)
        out[f"nn_nll_{n_visible}q"] = nn_bce / len(x_test)
    model.train()
    return out


def train_completion(args: argparse.Namespace) -> Path:
    device = pick_device(args.device)
    torch.manual_seed(args.seed)
    data = load_dataset(args.dataset, args.data_dir)
    model = CompletionCVAE(
        CompletionConfig(
            latent_dim=args.latent_dim, hidden=tuple(int(h) for h in args.hidden.split(","))
        )
    ).to(device)
    out = Path(args.out or f"checkpoints/completion-{data.name}.safetensors")
    optimizer = torch.optim.Adam(model.parameters(), lr=args.lr)
    x_train = data.train_images.to(device)
    x_test = binarize_test_set(data.test_images).to(device)
    steps = math.ceil(len(x_train) / args.batch_size)
    deadline = time.monotonic() + 60 * args.max_minutes if args.max_minutes else None
    history, seconds = [], 0.0
    n_params = sum(p.numel() for p in model.parameters())
    print(f"completion CVAE + NN baseline: {n_params:,} parameters on {device}")
    for epoch in range(args.epochs):
        for group in optimizer.param_groups:
            group["lr"] = learning_rate(args, epoch)
        t0 = time.perf_counter()
        perm = torch.randperm(len(x_train), device=device)
        for i in range(steps):
            idx = perm[i * args.batch_size : (i + 1) * args.batch_size]
            x = binarize(x_train[idx]).reshape(len(idx), -1)
            mask = random_masks(len(idx)).to(device)
            terms = completion_loss(model, x, mask)
            loss = terms["loss"].mean() + terms["baseline"].mean()
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            optimizer.step()
        seconds += time.perf_counter() - t0
        scores = benchmark(model, x_test[:2000], k=1)  # a quick look; evaluate gives the IW table
        history.append({"epoch": epoch + 1, **{k: round(v, 3) for k, v in scores.items()}})
        print(
            f"epoch {epoch + 1}/{args.epochs}  -ELBO 1/2/3q "
            + " / ".join(f"{scores[f'cvae_nll_{q}q']:.1f}" for q in (1, 2, 3))
            + "   NN "
            + " / ".join(f"{scores[f'nn_nll_{q}q']:.1f}" for q in (1, 2, 3))
            + f"  {time.perf_counter() - t0:.1f}s",
            flush=True,
        )
        model.metadata = run_metadata(
            data,
            args,
            device,
            epochs=epoch + 1,
            seconds=seconds,
            parameters=n_params,
            history=history,
            metrics={},
        )
        save_checkpoint(model, out)
        if deadline and time.monotonic() > deadline:
            print(f"--max-minutes reached after epoch {epoch + 1}")
            break
    return out


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--latent-dim", type=int, default=16)
    p.add_argument("--hidden", default="300", help="context width")
    p.add_argument("--epochs", type=int, default=30)
    p.add_argument("--batch-size", type=int, default=128)
    p.add_argument("--lr", type=float, default=1e-3)
    p.add_argument("--min-lr-ratio", type=float, default=0.05)
    p.add_argument("--dataset", default="mnist", choices=["mnist", "fashion-mnist"])
    p.add_argument("--data-dir", default=None)
    p.add_argument("--out", default=None)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--device", default="auto", choices=["auto", "cpu", "cuda"])
    p.add_argument("--max-minutes", type=float, default=None)
