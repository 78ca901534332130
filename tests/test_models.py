"""Shapes, label rules and the public API of AE, VAE and CVAE."""

import pytest
import torch

from latent_explorer.model import AE, CVAE, VAE, AEConfig, CVAEConfig, VAEConfig, build_model
from latent_explorer.model.config import config_from_dict


@pytest.mark.parametrize(
    ("config", "cls"),
    [
        (AEConfig(latent_dim=3), AE),
        (VAEConfig(latent_dim=3), VAE),
        (CVAEConfig(latent_dim=3), CVAE),
    ],
)
def test_shapes(config, cls) -> None:
    model = build_model(config)
    assert isinstance(model, cls)
    y = torch.tensor([1, 2]) if config.num_labels else None
    for x in (torch.rand(2, 1, 28, 28), torch.rand(2, 784)):
        mu, logvar = model.encode(x, y)
        assert mu.shape == (2, 3)
        assert (logvar is None) == (config.kind == "ae")
        if logvar is not None:
            assert logvar.shape == (2, 3)
        assert model.decode(mu, y).shape == (2, 1, 28, 28)


def test_cvae_output_changes_with_label() -> None:
    model = build_model(CVAEConfig(latent_dim=2)).eval()
    z = torch.zeros(1, 2)
    a = model.decode(z, torch.tensor([3]))
    b = model.decode(z, torch.tensor([7]))
    assert (a - b).abs().max() > 1e-4


def test_label_rules() -> None:
    vae, cvae = build_model(VAEConfig()), build_model(CVAEConfig()).eval()
    with pytest.raises(ValueError, match="takes no labels"):
        vae.encode(torch.rand(1, 784), torch.tensor([1]))
    with pytest.raises(ValueError, match="needs labels"):
        cvae.decode(torch.zeros(1, 2))
    with pytest.raises(ValueError, match=r"\[0, 9\]"):
        cvae.decode(torch.zeros(1, 2), torch.tensor([10]))
    with pytest.raises(ValueError, match="shape"):
        cvae.decode(torch.zeros(2, 2), torch.tensor([1]))


def test_bad_shapes_are_refused() -> None:
    model = build_model(VAEConfig(latent_dim=2))
    with pytest.raises(ValueError, match="784 pixels"):
        model.encode(torch.rand(1, 27, 28))
    with pytest.raises(ValueError, match=r"\(B, 2\)"):
        model.decode(torch.zeros(1, 3))


def test_reparameterize_is_differentiable_and_ae_is_deterministic() -> None:
    model = build_model(VAEConfig(latent_dim=4))
    mu = torch.zeros(1000, 4, requires_grad=True)
    logvar = torch.full((1000, 4), 2 * torch.log(torch.tensor(2.0)).item(), requires_grad=True)
    z = model.reparameterize(mu, logvar)
    assert abs(z.std().item() - 2.0) < 0.1  # sigma = exp(logvar / 2) = 2
    z.sum().backward()
    assert mu.grad is not None and logvar.grad is not None
    ae = build_model(AEConfig(latent_dim=4))
    assert torch.equal(ae.reparameterize(mu, None), mu)


def test_config_round_trip_and_validation() -> None:
    import json

    config = CVAEConfig(latent_dim=5, hidden=(64, 32), beta=0.5)
    assert config_from_dict(json.loads(config.to_json())) == config
    with pytest.raises(ValueError, match="unknown model kind"):
        config_from_dict({"kind": "gan"})
    with pytest.raises(ValueError, match="unknown config fields"):
        config_from_dict({"kind": "vae", "layers": 3})
    with pytest.raises(ValueError, match="latent_dim"):
        VAEConfig(latent_dim=0)


def test_a_gaussian_likelihood_claims_no_bernoulli_nats() -> None:
    """evaluate and /encode score binary pixels in Bernoulli nats; a VAE of gray levels under a
    Gaussian (trained on gray images) was scored on binarized ones as if it had them."""
    assert build_model(VAEConfig(hidden=(8,))).capabilities.likelihood
    assert not build_model(VAEConfig(hidden=(8,), likelihood="gaussian")).capabilities.likelihood
