"""`latent-explorer train-m2`: the semi-supervised M2 on the features of a trained M1 VAE.

Only `--labels-per-class` labels per class are used (drawn with `--label-seed`, recorded in the
checkpoint); every training image also serves unlabelled. Features z1 are sampled afresh from
M1's q(z1|x) for every batch, as in the paper (with `--binarize-features`, q(z1|x) of a fresh
binarization of x, as M1 saw its data in training).
"""

from __future__ import annotations

import argparse
import json
import math
from pathlib import Path

import torch
from tqdm import tqdm

from ..checkpoint import load_checkpoint
from ..data import binarize, load_dataset
from ..device import pick_device
from ..evaluation.m2 import feature_error, m1_features, m2_atlas
from ..m2 import M2, M2Config, choose_labelled, m2_loss
from .loop import ACTIVATIONS, EpochReport, Run, add_common_arguments, claim_output, fit


def train_m2(args: argparse.Namespace) -> Path:
    device = pick_device(args.device)
    torch.manual_seed(args.seed)
    m1 = load_checkpoint(args.m1, device="cpu")
    # A stacked model (an M2) carries its M1: train a new M2 on the same features.
    if m1.capabilities.stacked:
        m1.m1.metadata = m1.metadata
        m1 = m1.m1
    data = load_dataset(m1.metadata.get("dataset", "mnist"), args.data_dir)
    config = M2Config(
        latent_dim=args.latent_dim,
        hidden=tuple(int(h) for h in args.hidden.split(",")),
        activation=args.activation,
        feature_variance=args.feature_variance,
        m1=json.loads(m1.config.to_json()),
    )
    if args.binarize_features and m1.config.likelihood != "bernoulli":
        # Only a Bernoulli M1 was trained on binarized images; another saw gray ones.
        raise SystemExit("--binarize-features needs an M1 trained on binarized images (bernoulli)")
    model = M2(config)
    model.m1.load_state_dict(m1.state_dict())
    model.to(device)
    model.m1.eval()
    out = Path(args.out or f"checkpoints/m2-{data.name}-{10 * args.labels_per_class}.safetensors")
    claim_output(out, args)

    # With --validation N, the last N training images leave the training pool (labelled and
    # unlabelled) and the error printed after every epoch is theirs; the test set is then left to
    # `evaluate`. Without it, the old behaviour: the test error is printed every epoch.
    n_train = len(data.train_images) - args.validation
    lab_idx = choose_labelled(data.train_labels[:n_train], args.labels_per_class, args.label_seed)
    mu_all, logvar_all = m1_features(model, data.train_images[:n_train], device)
    std_all = torch.exp(0.5 * logvar_all)
    mu_test, _ = m1_features(model, data.test_images, device)  # for the atlas (no labels used)
    if args.validation:
        watched = "validation"
        mu_watch, _ = m1_features(model, data.train_images[n_train:], device)
        y_watch = data.train_labels[n_train:].to(device)
    else:
        watched, mu_watch, y_watch = "test", mu_test, data.test_labels.to(device)
    lab_idx_dev = lab_idx.to(device)
    y_lab = data.train_labels.to(device)[lab_idx_dev]
    params = [p for n, p in model.named_parameters() if not n.startswith("m1.")]
    optimizer = torch.optim.Adam(params, lr=args.lr)
    steps = math.ceil(len(mu_all) / args.batch_size)
    last: dict[str, torch.Tensor] = {}
    print(f"m2 on {config.feature_dim}-d M1 features, {len(lab_idx)} labels, {device}")

    # Kept on the device only when features are drawn from binarized images.
    train_images = data.train_images[:n_train].to(device) if args.binarize_features else None

    def draw_features(idx: torch.Tensor) -> torch.Tensor:
        """z1 ~ q(z1|x) for these training images: at the gray image (its posterior computed
        once), or with --binarize-features at a fresh binarization of it, the kind of input M1
        was trained on, drawn anew at every step."""
        if train_images is None:
            return mu_all[idx] + std_all[idx] * torch.randn_like(mu_all[idx])
        with torch.no_grad():
            mu, logvar = model.features(binarize(train_images[idx]))
        return model.m1.reparameterize(mu, logvar)

    def train_epoch(epoch: int) -> None:
        model.train()
        model.m1.eval()
        perm = torch.randperm(len(mu_all), device=device)
        for i in tqdm(range(steps), disable=args.quiet, leave=False, desc=f"epoch {epoch + 1}"):
            idx = perm[i * args.batch_size : (i + 1) * args.batch_size]
            z1_u = draw_features(idx)
            z1_l = draw_features(lab_idx_dev)
            terms = m2_loss(model, z1_l, y_lab, z1_u, args.alpha)
            optimizer.zero_grad(set_to_none=True)
            terms["loss"].backward()
            optimizer.step()
        last.update(terms)

    def end_epoch(epoch: int) -> EpochReport:
        model.eval()
        err = feature_error(model, mu_watch, y_watch)
        return EpochReport(
            log={f"{watched}_error": round(err, 4), "loss": round(last["loss"].item(), 3)},
            line=f"loss {last['loss'].item():.2f} (U {last['unlabelled'].item():.2f}, "
            f"L {last['labelled'].item():.2f}, CE {last['ce'].item():.3f})  "
            f"{watched} error {100 * err:.2f}%",
            metrics={f"{watched}_error": err},
            atlas=m2_atlas(model, mu_test, data.test_labels),
            extra={
                "m1_checkpoint": Path(args.m1).name,
                "labelled_indices": lab_idx.tolist(),
                "labels_per_class": args.labels_per_class,
                "label_seed": args.label_seed,
                "validation_images": args.validation,
                "binarized_features": args.binarize_features,
            },
        )

    run = Run(args, model, optimizer, data, device, out)
    return fit(run, train_epoch, end_epoch, parameters=sum(p.numel() for p in params))


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--m1", default="checkpoints/vae-mnist-z16.safetensors", help="the M1 VAE")
    p.add_argument("--labels-per-class", type=int, default=10)
    p.add_argument("--label-seed", type=int, default=0, help="which images keep their labels")
    p.add_argument("--latent-dim", type=int, default=2, help="size of z2")
    p.add_argument("--hidden", default="500")
    p.add_argument("--activation", default="elu", choices=ACTIVATIONS)
    p.add_argument(
        "--feature-variance",
        default="input",
        choices=["input", "shared"],
        help="variance of p(z1|y,z2): per input (decoder) or one per feature",
    )
    p.add_argument("--alpha", type=float, default=10.0, help="weight of the classification term")
    p.add_argument("--validation", type=int, default=0, help="hold out the last N train images")
    p.add_argument(
        "--binarize-features",
        action="store_true",
        help="draw training features from q(z1|x) at a fresh binarization of x every step",
    )
    add_common_arguments(p, epochs=100, batch_size=200, datasets=False)
