"""The β-VAE checkpoint (issue 11, item 7): a heavier KL switches latent dimensions off."""

from __future__ import annotations

import torch

from latent_explorer.model import load_checkpoint
from tests.api_helpers import fixture_digits
from tests.conftest import ROOT


@torch.no_grad()
def _active_on_fixtures(name: str) -> int:
    """Dims whose posterior mean varies by more than 0.01 across the committed test digits
    (Burda et al.'s rule, on ten digits instead of the test set)."""
    model = load_checkpoint(ROOT / "checkpoints" / f"{name}.safetensors")
    x = torch.stack([torch.from_numpy(img).reshape(784) for _, img in fixture_digits()])
    return int((model.encode(x)[0].var(0) > 0.01).sum())


def test_beta_vae_has_fewer_active_units() -> None:
    md = load_checkpoint(ROOT / "checkpoints" / "vae-mnist-z16-beta10.safetensors").metadata
    assert md["train_args"]["beta"] == 10.0 and md["train_args"]["latent_dim"] == 16
    stored = md["metrics"]["active_units"]
    assert md["metrics"]["test_images"] == 10000 and stored < 16
    assert _active_on_fixtures("vae-mnist-z16-beta10") < _active_on_fixtures("vae-mnist-z16") == 16
