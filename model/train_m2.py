"""`latent-explorer train-m2`: the semi-supervised M2 on the features of a trained M1 VAE.

Only `--labels-per-class` labels per class are used (drawn with `--label-seed`, recorded in the
checkpoint); every training image also serves unlabelled. Features z1 are sampled afresh from
M1's q(z1|x) for every batch, as in the paper.
"""

from __future__ import annotations

import argparse
import json
import math
import time
from pathlib import Path

import torch
from tqdm import tqdm

from .checkpoint import load_checkpoint, save_checkpoint
from .data import load_dataset, to_unit
from .device import pick_device
from .m2 import M2, M2Config, choose_labelled, m2_loss
from .train import EVAL_BATCH, learning_rate, run_metadata


@torch.no_grad()
def m1_features(
    m2: M2, images: torch.Tensor, device: torch.device
) -> tuple[torch.Tensor, torch.Tensor]:
    """(mu, logvar) of q(z1|x) for uint8 images, computed once and kept on the device."""
    mus, logvars = [], []
    for i in range(0, len(images), EVAL_BATCH):
        mu, logvar = m2.features(to_unit(images[i : i + EVAL_BATCH]).to(device))
        mus.append(mu)
        logvars.append(logvar)
    return torch.cat(mus), torch.cat(logvars)


@torch.no_grad()
def test_error(m2: M2, z1_test: torch.Tensor, labels: torch.Tensor) -> float:
    pred = torch.cat(
        [
            m2.classify_features(z1_test[i : i + EVAL_BATCH]).argmax(1)
            for i in range(0, len(z1_test), EVAL_BATCH)
        ]
    )
    return (pred != labels).float().mean().item()


@torch.no_grad()
def m2_atlas(m2: M2, z1_test: torch.Tensor, labels: torch.Tensor) -> dict:
    """Posterior means of z2 for the test images, each with the label q(y|x) predicts."""
    mus = []
    for i in range(0, len(z1_test), EVAL_BATCH):
        z1 = z1_test[i : i + EVAL_BATCH]
        mus.append(m2.encode_features(z1, m2.classify_features(z1).argmax(1))[0].float().cpu())
    return {"mu": torch.cat(mus), "labels": labels.to(torch.uint8).cpu().clone()}


def train_m2(args: argparse.Namespace) -> Path:
    device = pick_device(args.device)
    torch.manual_seed(args.seed)
    m1 = load_checkpoint(args.m1, device="cpu")
    data = load_dataset(m1.metadata.get("dataset", "mnist"), args.data_dir)
    config = M2Config(
        latent_dim=args.latent_dim,
        hidden=tuple(int(h) for h in args.hidden.split(",")),
        activation=args.activation,
        feature_variance=args.feature_variance,
        m1=json.loads(m1.config.to_json()),
    )
    model = M2(config)
    model.m1.load_state_dict(m1.state_dict())
    model.to(device)
    model.m1.eval()
    out = Path(args.out or f"checkpoints/m2-{data.name}-{10 * args.labels_per_class}.safetensors")

    lab_idx = choose_labelled(data.train_labels, args.labels_per_class, args.label_seed)
    mu_all, logvar_all = m1_features(model, data.train_images, device)
    std_all = torch.exp(0.5 * logvar_all)
    mu_test, _ = m1_features(model, data.test_images, device)
    y_test = data.test_labels.to(device)
    lab_idx_dev = lab_idx.to(device)
    y_lab = data.train_labels.to(device)[lab_idx_dev]
    params = [p for n, p in model.named_parameters() if not n.startswith("m1.")]
    optimizer = torch.optim.Adam(params, lr=args.lr)
    steps = math.ceil(len(mu_all) / args.batch_size)
    deadline = time.monotonic() + 60 * args.max_minutes if args.max_minutes else None
    history, seconds = [], 0.0
    print(f"m2 on {config.feature_dim}-d M1 features, {len(lab_idx)} labels, {device}")
    for epoch in range(args.epochs):
        model.train()
        model.m1.eval()
        for group in optimizer.param_groups:
            group["lr"] = learning_rate(args, epoch)
        t0 = time.perf_counter()
        perm = torch.randperm(len(mu_all), device=device)
        for i in tqdm(range(steps), disable=args.quiet, leave=False, desc=f"epoch {epoch + 1}"):
            idx = perm[i * args.batch_size : (i + 1) * args.batch_size]
            z1_u = mu_all[idx] + std_all[idx] * torch.randn_like(mu_all[idx])
            z1_l = mu_all[lab_idx_dev] + std_all[lab_idx_dev] * torch.randn_like(
                mu_all[lab_idx_dev]
            )
            terms = m2_loss(model, z1_l, y_lab, z1_u, args.alpha)
            optimizer.zero_grad(set_to_none=True)
            terms["loss"].backward()
            optimizer.step()
        seconds += time.perf_counter() - t0
        model.eval()
        err = test_error(model, mu_test, y_test)
        history.append(
            {
                "epoch": epoch + 1,
                "test_error": round(err, 4),
                "loss": round(terms["loss"].item(), 3),
            }
        )
        print(
            f"epoch {epoch + 1}/{args.epochs}  loss {terms['loss'].item():.2f} "
            f"(U {terms['unlabelled'].item():.2f}, L {terms['labelled'].item():.2f}, "
            f"CE {terms['ce'].item():.3f})  test error {100 * err:.2f}%  "
            f"{time.perf_counter() - t0:.1f}s",
            flush=True,
        )
        model.metadata = run_metadata(
            data,
            args,
            device,
            epochs=epoch + 1,
            seconds=seconds,
            parameters=sum(p.numel() for p in params),
            history=history,
            metrics={"test_error": err},
            m1_checkpoint=Path(args.m1).name,
            labelled_indices=lab_idx.tolist(),
            labels_per_class=args.labels_per_class,
            label_seed=args.label_seed,
        )
        model.atlas = m2_atlas(model, mu_test, data.test_labels)
        save_checkpoint(model, out)
        if deadline and time.monotonic() > deadline:
            print(f"--max-minutes reached after epoch {epoch + 1}")
            break
    return out


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--m1", default="checkpoints/vae-mnist-z16.safetensors", help="the M1 VAE")
    p.add_argument("--labels-per-class", type=int, default=10)
    p.add_argument("--label-seed", type=int, default=0, help="which images keep their labels")
    p.add_argument("--latent-dim", type=int, default=2, help="size of z2")
    p.add_argument("--hidden", default="500")
    p.add_argument("--activation", default="elu", choices=["elu", "relu", "tanh", "softplus"])
    p.add_argument(
        "--feature-variance",
        default="input",
        choices=["input", "shared"],
        help="variance of p(z1|y,z2): per input (decoder) or one per feature",
    )
    p.add_argument("--alpha", type=float, default=10.0, help="weight of the classification term")
    p.add_argument("--epochs", type=int, default=100)
    p.add_argument("--batch-size", type=int, default=200, help="unlabelled examples per step")
    p.add_argument("--lr", type=float, default=1e-3)
    p.add_argument("--min-lr-ratio", type=float, default=0.05)
    p.add_argument("--data-dir", default=None)
    p.add_argument("--out", default=None)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--device", default="auto", choices=["auto", "cpu", "cuda"])
    p.add_argument("--max-minutes", type=float, default=None)
    p.add_argument("--quiet", action="store_true")
