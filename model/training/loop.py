"""The loop every trainer shares: common arguments, the learning-rate schedule, the deadline, an
atomic checkpoint save after every epoch, and the run metadata each checkpoint records.

A model family supplies two callables: `train_epoch(epoch)` (one pass over its data) and
`end_epoch(epoch)` (what to log, the metrics and, optionally, the atlas); `fit` does the rest.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import json
import math
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import torch
from safetensors import safe_open

from ..checkpoint import TRAIN_STATE_SUFFIX, atomic_save_tensors, save_checkpoint
from ..data import ImageDataset
from ..vae import LatentModel

ACTIVATIONS = ["elu", "relu", "tanh", "softplus"]


def add_common_arguments(
    p: argparse.ArgumentParser, *, epochs: int, batch_size: int, datasets: bool = True
) -> None:
    """The options every trainer takes, with the family's own defaults for epochs and batch."""
    p.add_argument("--epochs", type=int, default=epochs)
    p.add_argument("--batch-size", type=int, default=batch_size)
    p.add_argument("--lr", type=float, default=1e-3)
    p.add_argument("--min-lr-ratio", type=float, default=0.05, help="final lr / initial lr")
    if datasets:
        p.add_argument("--dataset", default="mnist", choices=["mnist", "fashion-mnist"])
    p.add_argument("--data-dir", default=None, help="folder with the IDX files")
    p.add_argument("--out", default=None, help="checkpoint path (default checkpoints/<id>)")
    p.add_argument(
        "--overwrite", action="store_true", help="replace --out if it exists (a shipped model too)"
    )
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--device", default="auto", choices=["auto", "cpu", "cuda"])
    p.add_argument(
        "--max-minutes", type=float, default=None, help="stop after the epoch that passes this"
    )
    p.add_argument("--quiet", action="store_true", help="no progress bar")


def claim_output(out: Path, args: argparse.Namespace) -> None:
    """Refuse to write over a checkpoint nobody said to replace: without --out, a trainer writes
    to checkpoints/<id>, where the shipped models are, and the README's own PCA command replaced
    the shipped one and its evaluated metrics (a new contributor's pass)."""
    if (
        out.exists()
        and not getattr(args, "resume", False)
        and not getattr(args, "overwrite", False)
    ):
        raise SystemExit(
            f"{out} exists (a shipped or earlier model): give --out a new path, --overwrite to "
            "replace it" + (", or --resume to continue it" if hasattr(args, "resume") else "")
        )


def learning_rate(args: argparse.Namespace, epoch: int) -> float:
    """Cosine decay from --lr to --lr * --min-lr-ratio over the run's epochs."""
    progress = epoch / max(1, args.epochs - 1)
    ratio = args.min_lr_ratio + (1 - args.min_lr_ratio) * 0.5 * (1 + math.cos(math.pi * progress))
    return args.lr * ratio


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


def train_state_path(checkpoint: Path) -> Path:
    return checkpoint.with_name(checkpoint.stem + TRAIN_STATE_SUFFIX)


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


@dataclass
class EpochReport:
    """What a family says at the end of an epoch."""

    log: dict  # goes into the history, beside the epoch number and its seconds
    line: str  # printed after "epoch i/n"
    metrics: dict  # the checkpoint's metrics until `evaluate` replaces them
    atlas: dict | None = None  # posterior means for the latent map, if the family has one
    extra: dict = field(default_factory=dict)  # more run metadata (labelled indices, ...)


@dataclass
class Progress:
    """Where a run stands; restored from the train state by --resume."""

    start_epoch: int = 0
    history: list = field(default_factory=list)
    seconds: float = 0.0


@dataclass(frozen=True)
class Run:
    """What one training run works on."""

    args: argparse.Namespace
    model: LatentModel
    optimizer: torch.optim.Optimizer
    data: ImageDataset
    device: torch.device
    out: Path  # the checkpoint, rewritten after every epoch


def resumed_progress(out: Path, metadata: dict, state: tuple[int, dict]) -> Progress:
    """Where a resumed run stands: where its checkpoint's weights are, which are what trains on.
    The checkpoint is saved before its train state, so a run stopped between the two leaves the
    state one epoch behind: it resumed from the state's epoch, training that epoch twice and
    numbering every later one an epoch off. Its optimizer moments, one epoch old, are used (said
    so); a state that does not fit the checkpoint otherwise is refused."""
    state_epoch, extra = state
    epochs = int(metadata.get("epochs", state_epoch))
    if state_epoch == epochs:
        return Progress(state_epoch, extra["history"], extra["train_seconds"])
    if state_epoch == epochs - 1:
        print(
            f"{out} is from epoch {epochs} and its train state from epoch {state_epoch} (the run "
            "stopped between the two saves): resuming from the checkpoint with optimizer moments "
            "one epoch old"
        )
        return Progress(epochs, list(metadata["history"]), float(metadata["train_seconds"]))
    raise SystemExit(
        f"{out} is from epoch {epochs} but {train_state_path(out).name} from epoch {state_epoch}: "
        "they are not one run's; drop --resume to train anew, or choose another --out"
    )


@contextlib.contextmanager
def flushed_subnormals() -> Iterator[None]:
    """Late in training, activations and gradients near zero become subnormal floats, which x86
    CPUs compute in microcode: a one-thread M2 epoch went from 2 s to 22 s as its classifier
    saturated. Inside this block values below ~1.2e-38 become 0 instead. The switch is per
    thread (the calling one; PyTorch's worker threads keep theirs), so it helps fully only in
    single-threaded training (OMP_NUM_THREADS=1, what the M2 and Fashion runs used). It is turned
    off again after the loop: other code on the thread (hypothesis, in the tests) refuses to run
    with it on."""
    torch.set_flush_denormal(True)
    try:
        yield
    finally:
        torch.set_flush_denormal(False)


def fit(
    run: Run,
    train_epoch: Callable[[int], None],
    end_epoch: Callable[[int], EpochReport],
    *,
    progress: Progress | None = None,
    parameters: int | None = None,
    keep_state: bool = False,
) -> Path:
    """Run epochs until the schedule or --max-minutes ends; save atomically after each one
    (and the optimizer state beside it when `keep_state`, for --resume). Returns the checkpoint."""
    args, model, optimizer, data, device, out = (
        run.args,
        run.model,
        run.optimizer,
        run.data,
        run.device,
        run.out,
    )
    progress = progress or Progress()
    parameters = parameters or sum(p.numel() for p in model.parameters())
    deadline = time.monotonic() + 60 * args.max_minutes if args.max_minutes else None
    with flushed_subnormals():
        for epoch in range(progress.start_epoch, args.epochs):
            for group in optimizer.param_groups:
                group["lr"] = learning_rate(args, epoch)
            t0 = time.perf_counter()
            train_epoch(epoch)
            if device.type == "cuda":
                torch.cuda.synchronize()
            epoch_seconds = time.perf_counter() - t0
            progress.seconds += epoch_seconds
            report = end_epoch(epoch)
            progress.history.append(
                {"epoch": epoch + 1, **report.log, "seconds": round(epoch_seconds, 2)}
            )
            print(
                f"epoch {epoch + 1}/{args.epochs}  {report.line}  {epoch_seconds:.1f}s", flush=True
            )
            model.metadata = run_metadata(
                data,
                args,
                device,
                epochs=epoch + 1,
                seconds=progress.seconds,
                parameters=parameters,
                history=progress.history,
                metrics=report.metrics,
                **report.extra,
            )
            if report.atlas is not None:
                model.atlas = report.atlas
            save_checkpoint(model, out)
            if keep_state:
                extra = {"history": progress.history, "train_seconds": progress.seconds}
                save_train_state(train_state_path(out), optimizer, epoch + 1, extra)
            if deadline and time.monotonic() > deadline and epoch + 1 < args.epochs:
                print(f"--max-minutes reached after epoch {epoch + 1}")
                break
    return out
