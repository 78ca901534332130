"""The NumPy decoder (small CPU batches) gives torch's logits; the PNG cache is an LRU."""

import numpy as np
import pytest
import torch

from latent_explorer.model import AEConfig, CVAEConfig, VAEConfig, build_model
from latent_explorer.server.fast_decode import decode_numpy, numpy_decoder
from latent_explorer.server.routes.decode_png import PngCache


@pytest.mark.parametrize("activation", ["elu", "relu", "tanh", "softplus"])
@pytest.mark.parametrize("cls", [AEConfig, VAEConfig, CVAEConfig])
def test_numpy_decoder_matches_torch(cls, activation: str) -> None:
    model = build_model(cls(latent_dim=3, hidden=(64, 32), activation=activation)).eval()
    mlp = numpy_decoder(model)
    assert mlp is not None
    z = np.random.default_rng(0).normal(size=(5, 3)).astype(np.float32) * 3
    y = np.array([0, 3, 9, 1, 2]) if model.config.num_labels else None
    with torch.no_grad():
        expected = model.decode(torch.from_numpy(z), None if y is None else torch.from_numpy(y))
    got = decode_numpy(model, mlp, z, y)
    np.testing.assert_allclose(got, expected.reshape(5, -1).numpy(), atol=1e-4, rtol=1e-5)


def test_unsupported_layers_fall_back_to_torch() -> None:
    model = build_model(VAEConfig(latent_dim=2, hidden=(8,)))
    model.decoder.insert(1, torch.nn.Dropout(0.1))
    assert numpy_decoder(model) is None


def test_png_cache_is_lru() -> None:
    cache = PngCache(2)
    cache.put("a", b"1")
    cache.put("b", b"2")
    assert cache.get("a") == b"1"  # a is now the most recent
    cache.put("c", b"3")
    assert cache.get("b") is None and cache.get("a") == b"1" and cache.get("c") == b"3"


def test_png_cache_is_bounded_in_bytes() -> None:
    cache = PngCache(100, max_bytes=10)
    cache.put("a", b"1234")
    cache.put("b", b"1234")
    cache.put("a", b"12345")  # replaced: its old bytes are no longer counted
    assert cache.nbytes == 9 and len(cache) == 2
    cache.put("c", b"12")  # over 10 bytes: the least recent (b) goes
    assert cache.get("b") is None and cache.get("a") == b"12345" and cache.nbytes == 7
    cache.put("d", b"x" * 11)  # larger than the whole cache: not kept, nothing dropped
    assert cache.get("d") is None and len(cache) == 2
