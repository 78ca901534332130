"""`latent-explorer train`: fit an AE, VAE or CVAE on MNIST-style data kept in memory.

Every epoch ends with the test negative ELBO and an atomic save of the checkpoint (and, beside it,
the optimizer state for `--resume`), so an interrupted run loses at most one epoch.
"""

from __future__ import annotations

import argparse
import math
from pathlib import Path
from typing import Any

import torch
from tqdm import tqdm

from ..checkpoint import load_checkpoint
from ..config import CONFIG_CLASSES, ModelConfig
from ..data import ImageDataset, binarize, binarize_test_set, load_dataset, to_unit
from ..device import pick_device
from ..evaluation.metrics import compute_atlas, labels_for, mean_negative_elbo
from ..losses import importance_weighted_loss, negative_elbo
from ..vae import build_model
from .loop import (
    ACTIVATIONS,
    EpochReport,
    Progress,
    Run,
    add_common_arguments,
    claim_output,
    fit,
    load_train_state,
    resumed_progress,
    train_state_path,
)


def make_config(args: argparse.Namespace) -> ModelConfig:
    cls = CONFIG_CLASSES[args.model]
    fields: dict[str, Any] = dict(
        latent_dim=args.latent_dim,
        hidden=tuple(int(h) for h in args.hidden.split(",")),
        activation=args.activation,
        likelihood=args.likelihood,
        beta=args.beta,
    )
    if args.model == "cvae":
        fields["num_classes"] = 10
        fields["label_every_layer"] = args.label_every_layer
    return cls(**fields)


def check_arguments(args: argparse.Namespace) -> None:
    """Refuse combinations that have no meaning, before any data is read."""
    if args.iw_samples < 1:
        raise SystemExit("--iw-samples must be at least 1")
    if args.iw_samples > 1 and (args.beta != 1 or args.kl_warmup):
        # the k-sample bound has no KL term to weight or ramp
        raise SystemExit("--iw-samples > 1 trains the bound itself: needs --beta 1, no --kl-warmup")
    if args.iw_samples > 1 and not build_model(make_config(args)).stochastic:
        raise SystemExit("--iw-samples > 1 needs a model whose encoder gives a distribution")


def train(args: argparse.Namespace, data: ImageDataset | None = None) -> Path:
    """Run the training the arguments describe; return the checkpoint path."""
    check_arguments(args)
    device = pick_device(args.device)
    torch.manual_seed(args.seed)
    data = data if data is not None else load_dataset(args.dataset, args.data_dir)
    out = Path(args.out or f"checkpoints/{args.model}-{data.name}-z{args.latent_dim}.safetensors")
    claim_output(out, args)
    state_path = train_state_path(out)

    if args.resume and out.exists() and not state_path.exists():
        # Starting over would overwrite the file after one epoch: the shipped checkpoints come
        # without their optimizer state, so this is how a shipped model would be lost.
        raise SystemExit(
            f"{out} has no {state_path.name} beside it, so it cannot be resumed: "
            "drop --resume to train anew, or choose another --out"
        )
    if args.resume and out.exists():
        model = load_checkpoint(out, device=device).train()
        asked = make_config(args)
        if asked != model.config:  # the file decides what is resumed; say so, do not guess
            print(f"resuming keeps {out}'s own model: {model.config}, not the arguments' {asked}")
        trained_on = model.metadata.get("train_args", {}).get("iw_samples", 1)
        if trained_on != args.iw_samples:  # a resumed run keeps the objective it started with
            raise SystemExit(f"{out} was trained with --iw-samples {trained_on}; resume with it")
        optimizer = torch.optim.Adam(model.parameters(), lr=args.lr)
        progress = resumed_progress(out, model.metadata, load_train_state(state_path, optimizer))
        print(f"resuming {out} after epoch {progress.start_epoch}")
    else:
        model = build_model(make_config(args)).to(device)
        optimizer = torch.optim.Adam(model.parameters(), lr=args.lr)
        progress = Progress()

    train_x = data.train_images.to(device)
    train_y = data.train_labels.to(device)
    # Scored on what it is trained on: binary pixels for a Bernoulli decoder, gray levels else.
    bernoulli = model.config.likelihood == "bernoulli"
    test_x = binarize_test_set(data.test_images) if bernoulli else to_unit(data.test_images)
    test_x = test_x.to(device)
    test_y = data.test_labels.to(device)
    steps_per_epoch = math.ceil(len(train_x) / args.batch_size)
    warmup_steps = args.kl_warmup * steps_per_epoch
    running = torch.zeros((), device=device)
    n_params = sum(p.numel() for p in model.parameters())
    print(f"{model.config.kind}: {n_params:,} parameters on {device}, {len(train_x)} images")

    def train_epoch(epoch: int) -> None:
        nonlocal running
        model.train()
        perm = torch.randperm(len(train_x), device=device)
        bar = tqdm(
            range(steps_per_epoch),
            desc=f"epoch {epoch + 1}/{args.epochs}",
            mininterval=2.0,
            disable=args.quiet,
            leave=False,
        )
        for i in bar:
            idx = perm[i * args.batch_size : (i + 1) * args.batch_size]
            x = binarize(train_x[idx]) if model.config.likelihood == "bernoulli" else train_x[idx]
            x = x if x.dtype != torch.uint8 else to_unit(x)
            step = epoch * steps_per_epoch + i
            beta = model.config.beta * (min(1.0, (step + 1) / warmup_steps) if warmup_steps else 1)
            y = labels_for(model, train_y[idx])
            if args.iw_samples > 1:
                loss = importance_weighted_loss(model, x, y, args.iw_samples).mean()
            else:
                loss = negative_elbo(model, x, y, beta=beta)["loss"].mean()
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            optimizer.step()
            running = 0.98 * running + 0.02 * loss.detach() if i else loss.detach()
            if i % 100 == 0:  # .item() syncs a GPU; do it rarely
                bar.set_postfix(loss=f"{running.item():.2f}")

    plain_elbo = model.config.beta == 1 and not args.kl_warmup  # else a weighted loss
    train_name = "-ELBO" if plain_elbo else "loss"
    train_name = f"-IW{args.iw_samples}" if args.iw_samples > 1 else train_name

    def end_epoch(epoch: int) -> EpochReport:
        test = mean_negative_elbo(model, test_x, test_y)
        return EpochReport(
            log={
                "train_loss": round(running.item(), 4),
                **{f"test_{k}": round(v, 4) for k, v in test.items()},
            },
            # with --iw-samples the running loss is the K-sample bound, tighter than the ELBO
            line=f"train {train_name} {running.item():.2f}  test -ELBO {test['loss']:.2f} "
            f"(rec {test['rec']:.2f} + KL {test['kl']:.2f})",
            metrics={"test_neg_elbo": test["loss"], "test_rec": test["rec"], "test_kl": test["kl"]},
            atlas=compute_atlas(model, data, device),
        )

    run = Run(args, model, optimizer, data, device, out)
    return fit(run, train_epoch, end_epoch, progress=progress, parameters=n_params, keep_state=True)


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--model", choices=["ae", "vae", "cvae", "pca"], default="vae")
    p.add_argument("--latent-dim", type=int, default=2)
    p.add_argument("--hidden", default="400,400", help="encoder layer sizes, comma-separated")
    p.add_argument("--activation", default="elu", choices=ACTIVATIONS)
    p.add_argument("--likelihood", default="bernoulli", choices=["bernoulli", "gaussian"])
    p.add_argument("--beta", type=float, default=1.0, help="weight on the KL term")
    p.add_argument(
        "--label-every-layer",
        action="store_true",
        help="cvae: every decoder layer reads the label, not only the first",
    )
    p.add_argument("--kl-warmup", type=int, default=0, help="epochs to ramp beta up from 0")
    p.add_argument(
        "--iw-samples",
        type=int,
        default=1,
        help="train on the k-sample importance-weighted bound (IWAE); 1 = the ELBO",
    )
    add_common_arguments(p, epochs=30, batch_size=128)
    p.add_argument("--resume", action="store_true", help="continue from --out's saved state")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="latent-explorer train", description=__doc__)
    add_arguments(parser)
    train(parser.parse_args(argv))
