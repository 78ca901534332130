"""`latent-explorer train --model pca`: probabilistic PCA, fitted in closed form (no epochs).

One eigendecomposition of the 784 x 784 covariance of the gray training images gives W, s2 and mu
(see `model/ppca.py`); the checkpoint then carries the same metadata and atlas as a trained model.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import torch

from ..checkpoint import save_checkpoint
from ..data import ImageDataset, load_dataset, to_unit
from ..evaluation.metrics import compute_atlas, gray_reconstruction_error
from ..ppca import PPCA, PCAConfig
from .loop import claim_output, run_metadata


def train_pca(args: argparse.Namespace, data: ImageDataset | None = None) -> Path:
    """Fit PPCA on the training images, measure it on the test images, save; return the path."""
    device = torch.device("cpu")  # one eigh of a 784 x 784 matrix: no GPU needed
    data = data if data is not None else load_dataset(args.dataset, args.data_dir)
    out = Path(args.out or f"checkpoints/pca-{data.name}-z{args.latent_dim}.safetensors")
    claim_output(out, args)
    t0 = time.perf_counter()
    model = PPCA(PCAConfig(latent_dim=args.latent_dim)).fit(to_unit(data.train_images))
    seconds = time.perf_counter() - t0
    gray = to_unit(data.test_images)
    metrics = {"recon_sq_error": gray_reconstruction_error(model, gray, None)}
    metrics |= model.own_metrics(gray)
    print(
        f"pca z={args.latent_dim}: s2 = {metrics['noise_var']:.5f}, test squared error "
        f"{metrics['recon_sq_error']:.2f} per gray image, fitted in {seconds:.1f}s"
    )
    model.metadata = run_metadata(
        data,
        args,
        device,
        epochs=0,
        seconds=seconds,
        parameters=model.weight.numel() + model.mean.numel() + 1,
        history=[],
        metrics=metrics,
    )
    model.atlas = compute_atlas(model, data, device)
    save_checkpoint(model, out)
    return out
