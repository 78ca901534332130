"""`latent-explorer train-completion-nn`: the deterministic "NN" baseline of the completion
benchmark, one network per mask, as in Pyro's reproduction of Sohn et al.
(examples/cvae/baseline.py).

Pyro's BaselineNet: the gray image with its missing pixels set to -1 goes through 784-500-500-784
(ReLU, sigmoid out), trained with the BCE of the gray missing pixels (MaskedBCELoss), Adam 1e-3,
batch 128, early stopping with patience 3. Pyro stops on the test set; here the last 10k training
images are the validation split that stops it, and the test set is scored once at the end.
The three networks are kept apart from the served checkpoints (they are not latent models).
"""

from __future__ import annotations

import argparse
import copy
import datetime as dt
import json
import time
from pathlib import Path

import torch
import torch.nn.functional as F
from safetensors import safe_open
from torch import Tensor, nn

from ..checkpoint import atomic_save_tensors
from ..completion import BENCHMARK_MASKS, quadrant_mask
from ..data import load_dataset, to_unit
from ..device import pick_device
from ..networks import mlp

MASK_VALUE = -1.0  # Pyro's marker of a missing input pixel
EVAL_BATCH = 1000


def baseline_net(hidden: tuple[int, ...] = (500, 500)) -> nn.Sequential:
    """784 inputs (missing = -1) -> 784 logits."""
    return mlp([784, *hidden, 784], "relu")


def masked_input(gray: Tensor, mask: Tensor) -> Tensor:
    """Pyro's input: the visible gray pixels, -1 where the pixel is missing."""
    return torch.where(mask.bool(), gray, torch.full_like(gray, MASK_VALUE))


def masked_bce(logits: Tensor, gray: Tensor, mask: Tensor) -> Tensor:
    """Pyro's MaskedBCELoss per image: BCE of the missing pixels, gray levels as targets."""
    bce = F.binary_cross_entropy_with_logits(logits, gray, reduction="none")
    return (bce * (1 - mask)).sum(1)


@torch.no_grad()
def mean_masked_bce(net: nn.Module, gray: Tensor, mask_row: Tensor) -> float:
    net.eval()
    total = 0.0
    for i in range(0, len(gray), EVAL_BATCH):
        x = gray[i : i + EVAL_BATCH]
        mask = mask_row.expand(len(x), -1)
        total += masked_bce(net(masked_input(x, mask)), x, mask).sum().item()
    net.train()
    return total / len(gray)


def train_one(
    gray_train: Tensor, gray_val: Tensor, mask_row: Tensor, args: argparse.Namespace
) -> tuple[nn.Module, list[dict]]:
    """Fit one mask's network; return the weights of its best validation epoch and the log."""
    net = baseline_net(tuple(int(h) for h in args.hidden.split(",")))
    opt = torch.optim.Adam(net.parameters(), lr=args.lr)
    best, best_state, bad, history = float("inf"), None, 0, []
    deadline = time.monotonic() + 60 * args.max_minutes if args.max_minutes else None
    for epoch in range(args.epochs):
        t0 = time.perf_counter()
        perm = torch.randperm(len(gray_train))
        for i in range(0, len(gray_train), args.batch_size):
            x = gray_train[perm[i : i + args.batch_size]]
            mask = mask_row.expand(len(x), -1)
            loss = masked_bce(net(masked_input(x, mask)), x, mask).mean()
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
        val = mean_masked_bce(net, gray_val, mask_row)
        history.append({"epoch": epoch + 1, "val_bce": round(val, 3)})
        print(f"  epoch {epoch + 1}  val {val:.2f}  {time.perf_counter() - t0:.1f}s", flush=True)
        if val < best:
            best, best_state, bad = val, copy.deepcopy(net.state_dict()), 0
        else:
            bad += 1
        if bad >= args.patience or (deadline and time.monotonic() > deadline):
            break
    net.load_state_dict(best_state)
    return net.eval(), history


def save_baseline(path: Path, net: nn.Module, metadata: dict) -> None:
    atomic_save_tensors(dict(net.state_dict()), path, {"metadata": json.dumps(metadata)})


def load_baseline(path: str | Path) -> tuple[nn.Module, dict]:
    with safe_open(str(path), framework="pt") as f:
        metadata = json.loads(f.metadata()["metadata"])
        state = {k: f.get_tensor(k) for k in f.keys()}
    net = baseline_net(tuple(metadata["hidden"]))
    net.load_state_dict(state)
    return net.eval(), metadata


def train_completion_nn(args: argparse.Namespace) -> dict:
    """Train, select on validation, and score on the test set each mask's network."""
    torch.manual_seed(args.seed)
    device = pick_device("cpu")
    data = load_dataset(args.dataset, args.data_dir)
    gray = to_unit(data.train_images).reshape(len(data.train_images), -1)
    n_val = args.validation
    gray_train, gray_val = gray[:-n_val], gray[-n_val:]
    gray_test = to_unit(data.test_images).reshape(len(data.test_images), -1)
    out_dir = Path(args.out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    results = {}
    for n_visible, quadrants in BENCHMARK_MASKS.items():
        mask_row = quadrant_mask(quadrants)
        print(f"{n_visible} visible quadrant(s)", flush=True)
        t0 = time.perf_counter()
        net, history = train_one(gray_train, gray_val, mask_row, args)
        seconds = time.perf_counter() - t0
        test = mean_masked_bce(net, gray_test, mask_row)
        results[f"nn_bce_{n_visible}q"] = round(test, 3)
        save_baseline(
            out_dir / f"completion-nn-{data.name}-{n_visible}q.safetensors",
            net,
            {
                "kind": "completion-nn",
                "dataset": data.name,
                "visible_quadrants": list(quadrants),
                "hidden": [int(h) for h in args.hidden.split(",")],
                "train_args": {k: v for k, v in vars(args).items() if k != "func"},
                "train_seconds": round(seconds, 1),
                "train_device": str(device),
                "history": history,
                "metrics": {
                    "test_images": len(gray_test),
                    "test_masked_bce_gray": round(test, 3),
                    "best_val_masked_bce_gray": min(h["val_bce"] for h in history),
                },
                "torch_version": torch.__version__,
                "date": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
            },
        )
        print(f"{n_visible}q: test masked BCE (gray) {test:.2f}  {seconds:.0f}s", flush=True)
    return results


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--hidden", default="500,500")
    p.add_argument("--epochs", type=int, default=100)
    p.add_argument("--patience", type=int, default=3, help="epochs without a better validation")
    p.add_argument("--batch-size", type=int, default=128)
    p.add_argument("--lr", type=float, default=1e-3)
    p.add_argument("--validation", type=int, default=10_000, help="last N training images")
    p.add_argument("--dataset", default="mnist", choices=["mnist", "fashion-mnist"])
    p.add_argument("--data-dir", default=None)
    p.add_argument("--out-dir", default="checkpoints/nn-baselines")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--max-minutes", type=float, default=None, help="per mask")
