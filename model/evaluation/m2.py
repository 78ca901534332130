"""Metrics of a stacked M1+M2 model: classification error, -ELBO in nats of pixels, and how often
its label-conditioned samples show the asked-for digit (judged by a separate classifier)."""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from ..data import ImageDataset, binarize_test_set, to_unit
from ..losses import reconstruction_nll
from ..m2 import M2, unlabelled_bound
from ..networks import mlp

EVAL_BATCH = 1000
SAMPLES_PER_LABEL = 100


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
def feature_error(m2: M2, z1: torch.Tensor, labels: torch.Tensor) -> float:
    """Classification error of q(y|z1) on precomputed features."""
    pred = torch.cat(
        [
            m2.classify_features(z1[i : i + EVAL_BATCH]).argmax(1)
            for i in range(0, len(z1), EVAL_BATCH)
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


@torch.no_grad()
def classification_error(model: M2, images: torch.Tensor, labels: torch.Tensor) -> float:
    wrong = 0
    for i in range(0, len(images), EVAL_BATCH):
        probs = model.classify(images[i : i + EVAL_BATCH])
        wrong += (probs.argmax(1) != labels[i : i + EVAL_BATCH]).sum().item()
    return wrong / len(images)


@torch.no_grad()
def confusion_matrix(model: M2, images: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
    """(k, k) counts: row = true label, column = the label q(y|x) predicts."""
    k = model.config.num_classes
    counts = torch.zeros(k, k, dtype=torch.long)
    for i in range(0, len(images), EVAL_BATCH):
        pred = model.classify(images[i : i + EVAL_BATCH]).argmax(1).cpu()
        true = labels[i : i + EVAL_BATCH].cpu()
        counts += torch.bincount(true * k + pred, minlength=k * k).view(k, k)
    return counts


def per_class_error(confusion: torch.Tensor) -> list[float]:
    """Share of each true class that is misread (1 - the diagonal over the row sum)."""
    rows = confusion.sum(1).clamp(min=1)
    return (1 - confusion.diag() / rows).tolist()


@torch.no_grad()
def stacked_negative_elbo(model: M2, x_bin: torch.Tensor) -> float:
    """-ELBO of log p(x) for the whole stack, one z1 sample per image, in nats:
    E_q(z1|x)[-log p(x|z1)] + E_q(z1|x)[-ELBO_M2(z1)] - H(q(z1|x)), with y summed out in M2."""
    total = 0.0
    for i in range(0, len(x_bin), EVAL_BATCH):
        x = x_bin[i : i + EVAL_BATCH]
        mu, logvar = model.features(x)
        z1 = model.reparameterize(mu, logvar)
        rec = reconstruction_nll(model.m1.decode(z1), x, model.m1.config)
        entropy = 0.5 * (1 + torch.log(torch.tensor(2 * torch.pi)) + logvar).sum(1)
        total += (rec + unlabelled_bound(model, z1) - entropy).sum().item()
    return total / len(x_bin)


def train_reference_classifier(
    data: ImageDataset, device: torch.device, epochs: int = 4
) -> nn.Module:
    """An MLP trained on all 60k labelled training images, used only to judge samples."""
    gen = torch.Generator().manual_seed(0)
    net = mlp([784, 512, 10], "relu").to(device)
    opt = torch.optim.Adam(net.parameters(), lr=1e-3)
    x_all = to_unit(data.train_images).reshape(-1, 784).to(device)
    y_all = data.train_labels.to(device)
    for _ in range(epochs):
        perm = torch.randperm(len(x_all), generator=gen).to(device)
        for i in range(0, len(x_all), 128):
            idx = perm[i : i + 128]
            loss = F.cross_entropy(net(x_all[idx]), y_all[idx])
            opt.zero_grad()
            loss.backward()
            opt.step()
    return net.eval()


@torch.no_grad()
def conditional_sample_accuracy(model: M2, judge: nn.Module, device: torch.device) -> float:
    """Decode z2 ~ N(0, I) with every label; the share the judge reads as that label."""
    k = model.config.num_classes
    gen = torch.Generator().manual_seed(0)
    z2 = torch.randn(k * SAMPLES_PER_LABEL, model.config.latent_dim, generator=gen).to(device)
    y = torch.arange(k, device=device).repeat_interleave(SAMPLES_PER_LABEL)
    probs = torch.sigmoid(model.decode(z2, y)).reshape(len(y), -1)
    return (judge(probs).argmax(1) == y).float().mean().item()


def evaluate_m2(model: M2, data: ImageDataset, device: torch.device, n: int) -> dict:
    torch.manual_seed(1234)
    gray = to_unit(data.test_images[:n]).to(device)
    labels = data.test_labels[:n].to(device)
    judge = train_reference_classifier(data, device)
    judge_error = (
        1
        - (
            torch.cat(
                [
                    judge(gray[i : i + EVAL_BATCH].reshape(-1, 784)).argmax(1)
                    for i in range(0, n, EVAL_BATCH)
                ]
            )
            == labels
        )
        .float()
        .mean()
        .item()
    )
    confusion = confusion_matrix(model, gray, labels)
    return {
        "test_images": n,
        "test_error": classification_error(model, gray, labels),
        "test_error_per_class": [round(e, 4) for e in per_class_error(confusion)],
        "confusion_matrix": confusion.tolist(),
        "test_neg_elbo": stacked_negative_elbo(
            model, binarize_test_set(data.test_images)[:n].to(device)
        ),
        "conditional_sample_accuracy": conditional_sample_accuracy(model, judge, device),
        "judge_test_error": judge_error,
        "labelled": len(model.metadata.get("labelled_indices", [])),
    }
