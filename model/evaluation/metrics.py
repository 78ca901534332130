"""Test-set metrics of the latent models, in nats: -ELBO and its parts, the importance-weighted
NLL (Burda et al. 2016), active units, squared error beside PCA, and the latent map's atlas."""

from __future__ import annotations

import torch

from ..data import ImageDataset, to_unit
from ..losses import importance_weighted_nll, negative_elbo
from ..pca import squared_error
from ..vae import LatentModel

EVAL_BATCH = 1000
ACTIVE_UNIT_THRESHOLD = 0.01  # Burda et al.'s threshold on Cov_x(E_q[z_u])


def labels_for(model: LatentModel, labels: torch.Tensor) -> torch.Tensor | None:
    """Conditional models get the labels; the others get None."""
    return labels if model.capabilities.conditional else None


@torch.no_grad()
def mean_negative_elbo(model: LatentModel, images: torch.Tensor, labels: torch.Tensor) -> dict:
    """Mean per-image -ELBO (true beta=1) with its reconstruction and KL parts, in nats."""
    was_training = model.training
    model.eval()
    totals = {"rec": 0.0, "kl": 0.0, "loss": 0.0}
    for start in range(0, len(images), EVAL_BATCH):
        x = images[start : start + EVAL_BATCH]
        y = labels_for(model, labels[start : start + EVAL_BATCH])
        terms = negative_elbo(model, x, y, beta=1.0)
        for key in totals:
            totals[key] += terms[key].sum().item()
    model.train(was_training)
    return {k: v / len(images) for k, v in totals.items()}


@torch.no_grad()
def compute_atlas(model: LatentModel, data: ImageDataset, device: torch.device) -> dict:
    """Posterior means of every test image (gray levels, as a user's drawing would be)."""
    was_training = model.training
    model.eval()
    mus = []
    for start in range(0, len(data.test_images), EVAL_BATCH):
        x = to_unit(data.test_images[start : start + EVAL_BATCH]).to(device)
        y = labels_for(model, data.test_labels[start : start + EVAL_BATCH].to(device))
        mus.append(model.encode(x, y)[0].float().cpu())
    model.train(was_training)
    return {"mu": torch.cat(mus), "labels": data.test_labels.to(torch.uint8).clone()}


@torch.no_grad()
def active_units(model: LatentModel, x: torch.Tensor, y: torch.Tensor | None) -> int:
    mu = torch.cat(
        [
            model.encode(x[i : i + EVAL_BATCH], None if y is None else y[i : i + EVAL_BATCH])[0]
            for i in range(0, len(x), EVAL_BATCH)
        ]
    )
    return int((mu.var(0) > ACTIVE_UNIT_THRESHOLD).sum())


@torch.no_grad()
def iw_nll(
    model: LatentModel, x: torch.Tensor, y: torch.Tensor | None, k: int, batch: int
) -> float:
    total = 0.0
    for i in range(0, len(x), batch):
        yb = None if y is None else y[i : i + batch]
        total += importance_weighted_nll(model, x[i : i + batch], yb, k=k).sum().item()
    return total / len(x)


@torch.no_grad()
def gray_reconstruction_error(
    model: LatentModel, gray: torch.Tensor, y: torch.Tensor | None
) -> float:
    """Mean squared error per image between gray test images and the decoded posterior mean."""
    total = 0.0
    for i in range(0, len(gray), EVAL_BATCH):
        yb = None if y is None else y[i : i + EVAL_BATCH]
        mu, _ = model.encode(gray[i : i + EVAL_BATCH], yb)
        x_hat = torch.sigmoid(model.decode(mu, yb))
        total += squared_error(x_hat, gray[i : i + EVAL_BATCH]).sum().item()
    return total / len(gray)
