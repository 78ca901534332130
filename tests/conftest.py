"""Shared fixtures: tiny synthetic data sets written as real IDX files, and small models."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest
import torch

from latent_explorer.model.data import SPLIT_FILES, write_idx

ROOT = Path(__file__).resolve().parents[1]


def synthetic_digits(n: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Ten easy classes: class c is a bright bar at a class-specific row, plus noise."""
    rng = np.random.default_rng(seed)
    labels = rng.integers(0, 10, size=n).astype(np.uint8)
    images = (rng.random((n, 28, 28)) * 40).astype(np.uint8)
    for i, c in enumerate(labels):
        images[i, 2 + 2 * c : 5 + 2 * c, 4:24] = 230
    return images, labels


@pytest.fixture(scope="session")
def tiny_data_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A folder with the four standard IDX files (gzipped) of a small synthetic set."""
    root = tmp_path_factory.mktemp("idx")
    for split, n, seed in (("train", 512, 0), ("test", 128, 1)):
        images, labels = synthetic_digits(n, seed)
        images_stem, labels_stem = SPLIT_FILES[split]
        write_idx(root / f"{images_stem}.gz", images)
        write_idx(root / f"{labels_stem}.gz", labels)
    return root


@pytest.fixture(autouse=True)
def _seed() -> None:
    torch.manual_seed(0)


# The app answers only loopback Host names by default (DNS rebinding); TestClient sends
# "testserver". Set before any Settings() is built, so every app under test accepts it.
os.environ.setdefault("LATENT_EXPLORER_TRUSTED_HOSTS", "127.0.0.1,localhost,::1,testserver")
