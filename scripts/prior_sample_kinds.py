"""Which kinds of digit do samples from N(0, I) show? The AE's (no prior) against the VAE's,
each sample read by the shipped M2's classifier q(y|x) (test error 4.7%): README, "A
distribution over codes". The page says the AE's show "only the few kinds whose codes lie near 0".

    python scripts/prior_sample_kinds.py [--n 500] [--seed 0]
"""

from __future__ import annotations

import argparse
from collections import Counter
from pathlib import Path

import torch

from latent_explorer.model.checkpoint import load_checkpoint

CHECKPOINTS = Path(__file__).resolve().parent.parent / "checkpoints"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=500, help="samples per model")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    reader = load_checkpoint(CHECKPOINTS / "m2-mnist-100.safetensors").eval()
    for name in ("ae-mnist-z2", "vae-mnist-z2"):
        model = load_checkpoint(CHECKPOINTS / f"{name}.safetensors").eval()
        z = torch.randn(
            args.n, model.config.latent_dim, generator=torch.Generator().manual_seed(args.seed)
        )
        with torch.no_grad():
            images = torch.sigmoid(model.decode(z))
            read = reader.classify(images).argmax(dim=1)
        kinds = dict(sorted(Counter(read.tolist()).items()))
        print(f"{name}: {len(kinds)} kinds in {args.n} samples read by the M2: {kinds}")


if __name__ == "__main__":
    main()
