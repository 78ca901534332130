"""A check, not a shipped model (README, "Nor does a convolutional decoder"): does a CVAE with a
convolutional decoder and z = 2 draw Fashion-MNIST samples that a judge reads better than the
shipped MLP's? Trained on all 60,000 training images; read the way `evaluate` reads samples.

    python scripts/fashion_conv_check.py train --epochs 40 --max-minutes 20 --out conv.pt
    python scripts/fashion_conv_check.py read conv.pt [--judge J1-seed0.pt ...]

Without --judge files, `read` trains evaluate's judge (model/evaluation/judge.py) from seeds 0
and 1, about 7 minutes each on 2 CPU cores.
"""

from __future__ import annotations

import argparse
import math
import time

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from latent_explorer.model.data import binarize, load_dataset, to_unit
from latent_explorer.model.evaluation.judge import judge_network, predict, train_judge

BATCH = 128
LATENT = 2


class ConvCVAE(nn.Module):
    """Encoder conv 1->32->64 (4x4, stride 2) + 512 units; decoder 512 -> 64x7x7, then
    transposed convolutions 64->32->1."""

    def __init__(self, num_classes: int = 10) -> None:
        super().__init__()
        self.k = num_classes
        self.conv = nn.Sequential(
            nn.Conv2d(1, 32, 4, 2, 1), nn.ELU(), nn.Conv2d(32, 64, 4, 2, 1), nn.ELU(), nn.Flatten()
        )
        self.enc = nn.Sequential(
            nn.Linear(64 * 49 + self.k, 512), nn.ELU(), nn.Linear(512, 2 * LATENT)
        )
        self.fc = nn.Sequential(
            nn.Linear(LATENT + self.k, 512), nn.ELU(), nn.Linear(512, 64 * 49), nn.ELU()
        )
        self.up = nn.Sequential(
            nn.ConvTranspose2d(64, 32, 4, 2, 1), nn.ELU(), nn.ConvTranspose2d(32, 1, 4, 2, 1)
        )

    def encode(self, x: Tensor, y: Tensor) -> tuple[Tensor, Tensor]:
        h = torch.cat([self.conv(x), F.one_hot(y, self.k).float()], 1)
        mu, logvar = self.enc(h).chunk(2, 1)
        return mu, logvar

    def decode(self, z: Tensor, y: Tensor) -> Tensor:
        """Bernoulli logits, (B, 784)."""
        h = self.fc(torch.cat([z, F.one_hot(y, self.k).float()], 1))
        return self.up(h.view(-1, 64, 7, 7)).flatten(1)

    def loss(self, x: Tensor, y: Tensor) -> tuple[Tensor, Tensor, Tensor]:
        """The mean negative ELBO per image (beta = 1), and its two terms."""
        mu, logvar = self.encode(x, y)
        z = mu + torch.randn_like(mu) * (0.5 * logvar).exp()
        rec = F.binary_cross_entropy_with_logits(self.decode(z, y), x.flatten(1), reduction="none")
        kl = 0.5 * (mu**2 + logvar.exp() - 1 - logvar).sum(1)
        return (rec.sum(1) + kl).mean(), rec.sum(1).mean(), kl.mean()


def train(epochs: int, max_minutes: float, out: str) -> None:
    torch.manual_seed(0)
    data = load_dataset("fashion-mnist", None)
    x, y = data.train_images, data.train_labels
    model = ConvCVAE()
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, epochs * math.ceil(len(x) / BATCH))
    gen = torch.Generator().manual_seed(0)
    start = time.time()
    for epoch in range(1, epochs + 1):
        perm = torch.randperm(len(x), generator=gen)
        sums = torch.zeros(3)
        for i in range(0, len(x), BATCH):
            idx = perm[i : i + BATCH]
            terms = model.loss(binarize(x[idx], generator=gen), y[idx])  # dynamic binarization
            opt.zero_grad(set_to_none=True)
            terms[0].backward()
            opt.step()
            sched.step()
            sums += torch.tensor([t.item() for t in terms]) * len(idx)
        elbo, rec, kl = (sums / len(x)).tolist()
        took = time.time() - start
        print(f"epoch {epoch} -elbo {elbo:.2f} rec {rec:.2f} kl {kl:.2f} t {took:.0f}s", flush=True)
        torch.save(model.state_dict(), out)
        if time.time() - start > max_minutes * 60:
            print("stopped by the deadline")
            break


def read(path: str, judge_files: list[str]) -> None:
    model = ConvCVAE()
    model.load_state_dict(torch.load(path))
    model.eval()
    data = load_dataset("fashion-mnist", None)
    judges = {}
    for seed, name in enumerate(judge_files or [None, None]):
        if name:
            judge = judge_network(10)
            judge.load_state_dict(torch.load(name))
            judges[name] = judge.eval()
        else:
            judges[f"judge seed {seed}"] = train_judge(data, torch.device("cpu"), seed=seed)
    draws = {}
    for label, per_label, seed in (("1,000 (seed 0)", 100, 0), ("10,000 (seed 1)", 1000, 1)):
        gen = torch.Generator().manual_seed(seed)  # as evaluate draws them
        z = torch.randn(10 * per_label, LATENT, generator=gen)
        y = torch.arange(10).repeat_interleave(per_label)
        with torch.no_grad():
            draws[label] = (torch.sigmoid(model.decode(z, y)), y)
    for name, judge in judges.items():
        for label, (images, y) in draws.items():
            right = (predict(judge, images) == y).float()
            per_class = [round(v, 3) for v in right.view(10, -1).mean(1).tolist()]
            print(f"{name} samples {label}: {right.mean():.4f} {per_class}")
    x, y = to_unit(data.test_images), data.test_labels
    with torch.no_grad():
        recon = torch.sigmoid(model.decode(model.encode(x, y)[0], y))
    name, judge = next(iter(judges.items()))
    right = (predict(judge, recon) == y).float()
    per_class = [round(right[y == c].mean().item(), 3) for c in range(10)]
    print(f"{name} reconstructions of the test items (diagnostic): {right.mean():.4f} {per_class}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)
    t = sub.add_parser("train")
    t.add_argument("--epochs", type=int, default=40)
    t.add_argument("--max-minutes", type=float, default=20)
    t.add_argument("--out", required=True)
    r = sub.add_parser("read")
    r.add_argument("checkpoint")
    r.add_argument("--judge", action="append", default=[], help="a saved judge's state dict")
    args = parser.parse_args()
    if args.command == "train":
        train(args.epochs, args.max_minutes, args.out)
    else:
        read(args.checkpoint, args.judge)


if __name__ == "__main__":
    main()
