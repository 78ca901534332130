"""A check, not a change to the shipped model (README, "Nor do its binary samples"): the shipped
cvae-fashion-z2 is a density over binarized images, so its samples, strictly, are binary images
x ~ Bernoulli(decoded mean). Judges of evaluate's recipe trained on dynamically binarized images
(each batch drawn afresh, as the models are trained) read those samples; the rule was written
before the run (judges fixed in advance, nothing tuned on samples).

    OMP_NUM_THREADS=1 python scripts/fashion_binary_check.py [--judge JB-seed0.pt JB-seed1.pt]

Without --judge files it trains the two judges (seeds 0 and 1), about 12 minutes each on one CPU
thread, and saves them beside the working directory as jb-seed0.pt and jb-seed1.pt.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from latent_explorer.model.checkpoint import load_checkpoint
from latent_explorer.model.data import binarize_test_set, load_dataset, to_unit
from latent_explorer.model.evaluation.judge import (
    JUDGE_BATCH,
    JUDGE_EPOCHS,
    JUDGE_LR,
    judge_network,
    predict,
)

ROOT = Path(__file__).resolve().parents[1]
CHECKPOINT = ROOT / "checkpoints" / "cvae-fashion-z2.safetensors"


def train_binary_judge(images: Tensor, labels: Tensor, seed: int) -> nn.Module:
    """evaluate's judge recipe, on every training image binarized afresh in each batch."""
    order = torch.Generator().manual_seed(seed)
    coins = torch.Generator().manual_seed(seed)
    with torch.random.fork_rng():
        torch.manual_seed(seed)
        net = judge_network(10)
        opt = torch.optim.Adam(net.parameters(), lr=JUDGE_LR)
        net.train()
        for epoch in range(JUDGE_EPOCHS):
            perm = torch.randperm(len(images), generator=order)
            for i in range(0, len(images), JUDGE_BATCH):
                idx = perm[i : i + JUDGE_BATCH]
                loss = F.cross_entropy(
                    net(torch.bernoulli(images[idx], generator=coins)), labels[idx]
                )
                opt.zero_grad(set_to_none=True)
                loss.backward()
                opt.step()
            print(f"judge seed {seed}: epoch {epoch + 1} loss {loss.item():.3f}", flush=True)
    return net.eval()


def shares(right: Tensor, labels: Tensor) -> str:
    per_class = [round(right[labels == c].float().mean().item(), 3) for c in range(10)]
    return f"{right.float().mean():.4f} {per_class}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--judge", nargs=2, metavar="FILE", help="the seed-0 and seed-1 judges")
    args = parser.parse_args()
    data = load_dataset("fashion-mnist", None)
    gray_train = to_unit(data.train_images).reshape(len(data.train_images), -1)
    judges = {}
    for seed in (0, 1):
        if args.judge:
            judges[seed] = judge_network(10)
            judges[seed].load_state_dict(torch.load(args.judge[seed]))
            judges[seed].eval()
        else:
            judges[seed] = train_binary_judge(gray_train, data.train_labels, seed)
            torch.save(judges[seed].state_dict(), f"jb-seed{seed}.pt")
    binary_test = binarize_test_set(data.test_images).reshape(len(data.test_images), -1)
    gray_test = to_unit(data.test_images).reshape(len(data.test_images), -1)
    y_test = data.test_labels
    for seed, judge in judges.items():
        right = predict(judge, binary_test) == y_test
        print(
            f"JB seed {seed}: test error on the binarized test set {1 - right.float().mean():.4f}"
        )
        print(f"JB seed {seed}: binarized test items read right {shares(right, y_test)}")
    model = load_checkpoint(CHECKPOINT).eval()
    with torch.no_grad():
        for name, per_label, seed in (("1,000 (seed 0)", 100, 0), ("10,000 (seed 1)", 1000, 1)):
            z = torch.randn(
                10 * per_label,
                model.config.latent_dim,
                generator=torch.Generator().manual_seed(seed),
            )  # as evaluate draws
            y = torch.arange(10).repeat_interleave(per_label)
            means = torch.sigmoid(model.decode(z, y))
            draws = torch.bernoulli(means, generator=torch.Generator().manual_seed(seed))
            for s, judge in judges.items():
                print(f"JB seed {s}: binary samples {name} {shares(predict(judge, draws) == y, y)}")
                print(f"JB seed {s}: gray means {name} {shares(predict(judge, means) == y, y)}")
        mu, _ = model.encode(gray_test, y_test)  # as evaluate's reconstructions
        recon = torch.bernoulli(
            torch.sigmoid(model.decode(mu, y_test)), generator=torch.Generator().manual_seed(0)
        )
        for s, judge in judges.items():
            right = predict(judge, recon) == y_test
            print(f"JB seed {s}: binary reconstructions {shares(right, y_test)}")


if __name__ == "__main__":
    main()
