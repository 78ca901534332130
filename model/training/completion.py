"""`latent-explorer train-completion`: the image-completion CVAE and its NN baseline.

Every batch is binarized afresh and every image gets a random mask among 1, 2 or 3 visible
quadrants (halves included); the CVAE and the deterministic baseline learn from the same batches.
"""

from __future__ import annotations

import argparse
import math
from pathlib import Path

import torch

from ..completion import CompletionConfig, CompletionCVAE, completion_loss, random_masks
from ..data import binarize, binarize_test_set, load_dataset
from ..device import pick_device
from ..evaluation.completion import benchmark
from .loop import EpochReport, Run, add_common_arguments, fit


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
    n_params = sum(p.numel() for p in model.parameters())
    print(f"completion CVAE + NN baseline: {n_params:,} parameters on {device}")

    def train_epoch(epoch: int) -> None:
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

    def end_epoch(epoch: int) -> EpochReport:
        scores = benchmark(model, x_test[:2000], k=1)  # a quick look; evaluate gives the IW table
        return EpochReport(
            log={k: round(v, 3) for k, v in scores.items()},
            line="-ELBO 1/2/3q "
            + " / ".join(f"{scores[f'cvae_nll_{q}q']:.1f}" for q in (1, 2, 3))
            + "   NN "
            + " / ".join(f"{scores[f'nn_nll_{q}q']:.1f}" for q in (1, 2, 3)),
            metrics={},
        )

    run = Run(args, model, optimizer, data, device, out)
    return fit(run, train_epoch, end_epoch, parameters=n_params)


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--latent-dim", type=int, default=16)
    p.add_argument("--hidden", default="300", help="context width")
    add_common_arguments(p, epochs=30, batch_size=128)
