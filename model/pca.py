"""PCA with the same latent size: the linear baseline a VAE is compared with."""

from __future__ import annotations

import torch
from torch import Tensor


def fit_pca(x: Tensor, n_components: int) -> tuple[Tensor, Tensor]:
    """(mean (784,), components (n_components, 784)) of flattened float images, by eigh of the
    covariance (784 x 784), which is cheap and exact for data this size."""
    x = x.reshape(x.shape[0], -1).double()
    mean = x.mean(0)
    centred = x - mean
    cov = centred.T @ centred / (len(x) - 1)
    _, vectors = torch.linalg.eigh(cov)  # ascending eigenvalues
    components = vectors[:, -n_components:].flip(1).T
    return mean.float(), components.float()


def pca_reconstruct(x: Tensor, mean: Tensor, components: Tensor) -> Tensor:
    flat = x.reshape(x.shape[0], -1).float()
    codes = (flat - mean) @ components.T
    return codes @ components + mean


def squared_error(x_hat: Tensor, x: Tensor) -> Tensor:
    """Sum of squared pixel errors per image (pixels in [0, 1])."""
    return (x_hat.reshape(x.shape[0], -1) - x.reshape(x.shape[0], -1)).pow(2).sum(-1)
