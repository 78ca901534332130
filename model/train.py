"""`latent-explorer train`: fit an AE, VAE or CVAE on MNIST-style data kept in memory.

Every epoch ends with the test negative ELBO and an atomic save of the checkpoint (and, beside it,
the optimizer state for `--resume`), so an interrupted run loses at most one epoch.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import math
import time
from pathlib import Path
from typing import Any

import torch
from safetensors import safe_open
from tqdm import tqdm

from .checkpoint import atomic_save_tensors, load_checkpoint, save_checkpoint
from .config import CONFIG_CLASSES, ModelConfig
from .data import ImageDataset, binarize, binarize_test_set, load_dataset, to_unit
from .device import pick_device
from .losses import negative_elbo
from .vae import LatentModel, build_model

EVAL_BATCH = 1000


def run_metadata(
    data: ImageDataset,
    args: argparse.Namespace,
    device: torch.device,
    *,
    epochs: int,
    seconds: float,
    parameters: int,
    history: list,
    metrics: dict,
    **extra: Any,
) -> dict[str, Any]:
    """What every checkpoint records about the run that made it."""
    return {
        "dataset": data.name,
        "class_names": list(data.class_names),
        "epochs": epochs,
        "train_args": {k: v for k, v in vars(args).items() if k != "func"},
        "train_seconds": round(seconds, 1),
        "train_device": str(device) if device.type == "cpu" else torch.cuda.get_device_name(),
        "parameters": parameters,
        "history": history,
        "metrics": metrics,
        **extra,
        "torch_version": torch.__version__,
        "date": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
    }


def labels_for(model: LatentModel, labels: torch.Tensor) -> torch.Tensor | None:
    """Conditional models get the labels; the others get None."""
    return labels if model.config.num_labels else None


@torch.no_grad()
def test_negative_elbo(model: LatentModel, images: torch.Tensor, labels: torch.Tensor) -> dict:
    """Mean per-image -ELBO (true beta=1) with its reconstruction and KL parts, in nats."""
    model.eval()
    totals = {"rec": 0.0, "kl": 0.0, "loss": 0.0}
    for start in range(0, len(images), EVAL_BATCH):
        x = images[start : start + EVAL_BATCH]
        y = labels_for(model, labels[start : start + EVAL_BATCH])
        terms = negative_elbo(model, x, y, beta=1.0)
        for key in totals:
            totals[key] += terms[key].sum().item()
    model.train()
    return {k: v / len(images) for k, v in totals.items()}


@torch.no_grad()
def compute_atlas(model: LatentModel, data: ImageDataset, device: torch.device) -> dict:
    """Posterior means of every test image (gray levels, as a user's drawing would be)."""
    model.eval()
    mus = []
    for start in range(0, len(data.test_images), EVAL_BATCH):
        x = to_unit(data.test_images[start : start + EVAL_BATCH]).to(device)
        y = labels_for(model, data.test_labels[start : start + EVAL_BATCH].to(device))
        mus.append(model.encode(x, y)[0].float().cpu())
    model.train()
    return {"mu": torch.cat(mus), "labels": data.test_labels.to(torch.uint8).clone()}


def train_state_path(checkpoint: Path) -> Path:
    return checkpoint.with_name(checkpoint.stem + ".train-state.safetensors")


def save_train_state(path: Path, optimizer: torch.optim.Optimizer, epoch: int, extra: dict) -> None:
    """Optimizer moments and RNG state as safetensors (no pickle, like the checkpoints)."""
    tensors: dict[str, torch.Tensor] = {"rng.cpu": torch.get_rng_state()}
    if torch.cuda.is_available():
        tensors["rng.cuda"] = torch.cuda.get_rng_state()
    state = optimizer.state_dict()
    for idx, param_state in state["state"].items():
        for name, value in param_state.items():
            tensors[f"opt.{idx}.{name}"] = torch.as_tensor(value)
    meta = {
        "epoch": str(epoch),
        "param_groups": json.dumps(state["param_groups"]),
        "extra": json.dumps(extra),
    }
    atomic_save_tensors(tensors, path, meta)


def load_train_state(path: Path, optimizer: torch.optim.Optimizer) -> tuple[int, dict]:
    """Restore what `save_train_state` wrote; return (epochs done, extra)."""
    with safe_open(str(path), framework="pt") as f:
        meta = f.metadata()
        tensors = {k: f.get_tensor(k) for k in f.keys()}
    state: dict[int, dict[str, torch.Tensor]] = {}
    for key, value in tensors.items():
        if key.startswith("opt."):
            _, idx, name = key.split(".", 2)
            state.setdefault(int(idx), {})[name] = value
    optimizer.load_state_dict({"state": state, "param_groups": json.loads(meta["param_groups"])})
    torch.set_rng_state(tensors["rng.cpu"])
    if "rng.cuda" in tensors and torch.cuda.is_available():
        torch.cuda.set_rng_state(tensors["rng.cuda"])
    return int(meta["epoch"]), json.loads(meta["extra"])


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
    return cls(**fields)


def learning_rate(args: argparse.Namespace, epoch: int) -> float:
    """Cosine decay from --lr to --lr * --min-lr-ratio over the run's epochs."""
    progress = epoch / max(1, args.epochs - 1)
    ratio = args.min_lr_ratio + (1 - args.min_lr_ratio) * 0.5 * (1 + math.cos(math.pi * progress))
    return args.lr * ratio


def train(args: argparse.Namespace, data: ImageDataset | None = None) -> Path:
    """Run the training loop the arguments describe; return the checkpoint path."""
    device = pick_device(args.device)
    torch.manual_seed(args.seed)
    data = data if data is not None else load_dataset(args.dataset, args.data_dir)
    out = Path(args.out or f"checkpoints/{args.model}-{data.name}-z{args.latent_dim}.safetensors")
    state_path = train_state_path(out)

    if args.resume and out.exists() and state_path.exists():
        model = load_checkpoint(out, device=device).train()
        optimizer = torch.optim.Adam(model.parameters(), lr=args.lr)
        start_epoch, extra = load_train_state(state_path, optimizer)
        history, train_seconds = extra["history"], extra["train_seconds"]
        print(f"resuming {out} after epoch {start_epoch}")
    else:
        model = build_model(make_config(args)).to(device)
        optimizer = torch.optim.Adam(model.parameters(), lr=args.lr)
        start_epoch, history, train_seconds = 0, [], 0.0

    train_x = data.train_images.to(device)
    train_y = data.train_labels.to(device)
    test_x = binarize_test_set(data.test_images).to(device)
    test_y = data.test_labels.to(device)
    n_params = sum(p.numel() for p in model.parameters())
    steps_per_epoch = math.ceil(len(train_x) / args.batch_size)
    warmup_steps = args.kl_warmup * steps_per_epoch
    deadline = time.monotonic() + 60 * args.max_minutes if args.max_minutes else None
    print(f"{model.config.kind}: {n_params:,} parameters on {device}, {len(train_x)} images")

    model.train()
    for epoch in range(start_epoch, args.epochs):
        for group in optimizer.param_groups:
            group["lr"] = learning_rate(args, epoch)
        t0 = time.perf_counter()
        perm = torch.randperm(len(train_x), device=device)
        running = torch.zeros((), device=device)
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
            loss = negative_elbo(model, x, labels_for(model, train_y[idx]), beta=beta)[
                "loss"
            ].mean()
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            optimizer.step()
            running = 0.98 * running + 0.02 * loss.detach() if i else loss.detach()
            if i % 100 == 0:  # .item() syncs a GPU; do it rarely
                bar.set_postfix(loss=f"{running.item():.2f}")
        if device.type == "cuda":
            torch.cuda.synchronize()
        epoch_seconds = time.perf_counter() - t0
        train_seconds += epoch_seconds
        test = test_negative_elbo(model, test_x, test_y)
        history.append(
            {
                "epoch": epoch + 1,
                "train_loss": round(running.item(), 4),
                **{f"test_{k}": round(v, 4) for k, v in test.items()},
                "seconds": round(epoch_seconds, 2),
            }
        )
        print(
            f"epoch {epoch + 1}/{args.epochs}  train {running.item():.2f}  test -ELBO "
            f"{test['loss']:.2f} (rec {test['rec']:.2f} + KL {test['kl']:.2f})  "
            f"{epoch_seconds:.1f}s",
            flush=True,
        )
        model.metadata = run_metadata(
            data,
            args,
            device,
            epochs=epoch + 1,
            seconds=train_seconds,
            parameters=n_params,
            history=history,
            metrics={"test_neg_elbo": test["loss"], "test_rec": test["rec"], "test_kl": test["kl"]},
        )
        model.atlas = compute_atlas(model, data, device)
        save_checkpoint(model, out)
        save_train_state(
            state_path, optimizer, epoch + 1, {"history": history, "train_seconds": train_seconds}
        )
        if deadline and time.monotonic() > deadline and epoch + 1 < args.epochs:
            print(f"--max-minutes reached after epoch {epoch + 1}; resume with --resume")
            break
    return out


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--model", choices=["ae", "vae", "cvae"], default="vae")
    p.add_argument("--latent-dim", type=int, default=2)
    p.add_argument("--hidden", default="400,400", help="encoder layer sizes, comma-separated")
    p.add_argument("--activation", default="elu", choices=["elu", "relu", "tanh", "softplus"])
    p.add_argument("--likelihood", default="bernoulli", choices=["bernoulli", "gaussian"])
    p.add_argument("--beta", type=float, default=1.0, help="weight on the KL term")
    p.add_argument("--kl-warmup", type=int, default=0, help="epochs to ramp beta up from 0")
    p.add_argument("--epochs", type=int, default=30)
    p.add_argument("--batch-size", type=int, default=128)
    p.add_argument("--lr", type=float, default=1e-3)
    p.add_argument("--min-lr-ratio", type=float, default=0.05, help="final lr / initial lr")
    p.add_argument("--dataset", default="mnist", choices=["mnist", "fashion-mnist"])
    p.add_argument("--data-dir", default=None, help="folder with the IDX files")
    p.add_argument("--out", default=None, help="checkpoint path (default checkpoints/<id>)")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--device", default="auto", choices=["auto", "cpu", "cuda"])
    p.add_argument("--resume", action="store_true", help="continue from --out's saved state")
    p.add_argument("--max-minutes", type=float, default=None, help="stop after this epoch")
    p.add_argument("--quiet", action="store_true", help="no progress bar")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="latent-explorer train", description=__doc__)
    add_arguments(parser)
    train(parser.parse_args(argv))
