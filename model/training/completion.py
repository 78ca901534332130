"""`latent-explorer train-completion`: the image-completion CVAE (and, optionally, an NN in it).

Every image gets a random mask among 1, 2 or 3 visible quadrants (halves included;
`--benchmark-share` draws that share of the masks among the benchmark's three instead). Targets are
binarized afresh per batch, or with `--targets gray` the gray levels themselves, as Pyro trains.
With `--validation N` the last N training images are held out and scored after every epoch; the
test set is then left to `evaluate`.
"""

from __future__ import annotations

import argparse
import math
from pathlib import Path

import torch

from ..completion import CompletionConfig, CompletionCVAE, completion_loss, random_masks
from ..data import binarize, binarize_test_set, load_dataset, to_unit
from ..device import pick_device
from ..evaluation.completion import benchmark
from .loop import EpochReport, Run, add_common_arguments, claim_output, fit

QUICK_LOOK = 2000  # images scored after every epoch


def train_completion(args: argparse.Namespace) -> Path:
    device = pick_device(args.device)
    torch.manual_seed(args.seed)
    data = load_dataset(args.dataset, args.data_dir)
    model = CompletionCVAE(
        CompletionConfig(
            latent_dim=args.latent_dim,
            hidden=tuple(int(h) for h in args.hidden.split(",")),
            baseline_hidden=tuple(int(h) for h in args.baseline_hidden.split(",") if h),
        )
    ).to(device)
    out = Path(args.out or f"checkpoints/completion-{data.name}.safetensors")
    claim_output(out, args)
    optimizer = torch.optim.Adam(model.parameters(), lr=args.lr)
    n_val = args.validation
    x_train = data.train_images[: len(data.train_images) - n_val].to(device)
    looked_at = data.train_images[-n_val:] if n_val else data.test_images
    look_bin = binarize_test_set(looked_at[:QUICK_LOOK]).to(device)
    look_gray = to_unit(looked_at[:QUICK_LOOK]).to(device)
    steps = math.ceil(len(x_train) / args.batch_size)
    n_params = sum(p.numel() for p in model.parameters())
    print(f"completion CVAE: {n_params:,} parameters on {device}, {len(x_train)} images")

    def train_epoch(epoch: int) -> None:
        perm = torch.randperm(len(x_train), device=device)
        for i in range(steps):
            idx = perm[i * args.batch_size : (i + 1) * args.batch_size]
            if args.targets == "gray":  # as Pyro trains: gray levels as Bernoulli targets
                x = to_unit(x_train[idx]).reshape(len(idx), -1)
            else:
                x = binarize(x_train[idx]).reshape(len(idx), -1)
            mask = random_masks(len(idx), benchmark_share=args.benchmark_share).to(device)
            terms = completion_loss(model, x, mask)
            loss = terms["loss"].mean()
            if "baseline" in terms:
                loss = loss + terms["baseline"].mean()
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            optimizer.step()

    def end_epoch(epoch: int) -> EpochReport:
        # A quick look (evaluate gives the full tables): the -ELBO with 1 sample on binarized
        # images, Pyro's estimator with 1 particle on gray ones.
        scores = benchmark(model, look_bin, look_gray, k=1, particles=1)
        return EpochReport(
            log={k: round(v, 3) for k, v in scores.items()},
            line=f"{'validation' if n_val else 'test'} -ELBO 1/2/3q "
            + " / ".join(f"{scores[f'cvae_nll_{q}q']:.1f}" for q in (1, 2, 3))
            + "   gray (Pyro's) "
            + " / ".join(f"{scores[f'cvae_pyro_neg_elbo_{q}q']:.1f}" for q in (1, 2, 3)),
            metrics={},
            extra={"train_images": len(x_train)},
        )

    run = Run(args, model, optimizer, data, device, out)
    return fit(run, train_epoch, end_epoch, parameters=n_params)


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--latent-dim", type=int, default=16)
    p.add_argument("--hidden", default="300", help="context layer sizes, comma-separated")
    p.add_argument("--baseline-hidden", default="300,300", help="in-model NN; '' for none")
    p.add_argument("--targets", default="binary", choices=["binary", "gray"])
    p.add_argument(
        "--benchmark-share", type=float, default=0.0, help="share of masks among the benchmark's 3"
    )
    p.add_argument("--validation", type=int, default=0, help="hold out the last N train images")
    add_common_arguments(p, epochs=30, batch_size=128)
