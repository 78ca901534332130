"""An image whose posterior is far wider than training's (found by the hostile-input pass,
notes/hostile-report.md): /encode used to send null for its nats, where float32 overflows. Now
the nats are finite (recomputed in float64) or the answer is a 422 that says why."""

from __future__ import annotations

import math

import pytest
import torch
from fastapi.testclient import TestClient

from latent_explorer.model import VAEConfig, build_model
from latent_explorer.model.scoring import (
    ScoreOverflow,
    drawing_scores,
    finite_drawing_scores,
    widened,
)
from latent_explorer.server import Settings, create_app
from tests.conftest import ROOT

VAE = "vae-mnist-z2"


@pytest.fixture(scope="module")
def client():
    with TestClient(create_app(Settings(checkpoints=ROOT / "checkpoints", device="cpu"))) as c:
        yield c


# The report's search found this binary image: vae-mnist-z2 gives it logvar [352, 321].
WIDE_INK = {5, 7, 15, 16, 29, 31, 32, 33, 34, 35, 38, 39, 40, 51, 58, 59, 81, 86, 87, 88, 110}
WIDE_INK |= {114, 115, 116, 139, 142, 143, 170, 223, 224, 279, 333, 336, 448, 475, 503, 505}
WIDE_INK |= {533, 558, 559, 561, 586, 587, 614, 668, 669, 697, 698, 701, 703, 725, 726, 729}
WIDE_INK |= {753, 754, 758, 763, 781}
NATS = ("reconstruction", "kl", "negative_elbo")


def all_nats(body: dict) -> list:
    return [*(body["elbo"][k] for k in NATS), body["nll"], body["percentile"], *body["kl_per_dim"]]


def wide_vae(logvar: float) -> torch.nn.Module:
    """A small VAE whose encoder says logvar = `logvar` for every image."""
    model = build_model(VAEConfig(latent_dim=2, hidden=(16,))).eval()
    last = model.encoder[-1]
    with torch.no_grad():
        last.weight.zero_()
        last.bias.copy_(torch.tensor([0.5, -0.5, logvar, logvar]))
    return model


def test_scores_are_finite_in_float64_where_float32_overflows() -> None:
    """exp(352) is over float32's 3.4e38: KL, -ELBO and NLL were inf or NaN, sent as null."""
    model, x = wide_vae(352.0), (torch.rand(1, 784) > 0.8).float()
    assert not drawing_scores(model, x)["kl"].isfinite().all()  # what the server used to send
    scores = finite_drawing_scores(model, x)
    assert all(bool(v.isfinite().all()) for v in scores.values())
    assert scores["kl"].item() == pytest.approx(math.exp(352.0), rel=1e-6)  # 2 dims x e^352 / 2
    assert model.encoder[-1].weight.dtype == torch.float32  # the served model is untouched
    assert widened(model) is widened(model)  # one float64 copy per model, not one per request
    with pytest.raises(ScoreOverflow):
        finite_drawing_scores(wide_vae(1000.0), x)  # exp(1000) overflows float64 too


def test_encode_never_sends_null_for_a_wide_posterior(client: TestClient) -> None:
    pixels = [1.0 if i in WIDE_INK else 0.0 for i in range(784)]
    r = client.post(f"/api/models/{VAE}/encode", json={"pixels": pixels})
    assert r.status_code == 200, r.text[:300]
    assert all(isinstance(v, float) and math.isfinite(v) for v in all_nats(r.json()))


@pytest.mark.parametrize(("shift", "status"), [(400.0, 200), (1000.0, 422)])
def test_encode_scores_or_refuses_an_overflowing_posterior(shift: float, status: int) -> None:
    """Whatever a checkpoint does with some image: finite numbers, or a 422 that says why."""
    settings = Settings(checkpoints=ROOT / "checkpoints", device="cpu")
    with TestClient(create_app(settings)) as c:
        model = c.app.state.registry.get(VAE).model  # this app's own copy, loaded from disk
        with torch.no_grad():
            model.encoder[-1].bias[2:] += shift
        r = c.post(f"/api/models/{VAE}/encode", json={"pixels": [0.0] * 300 + [1.0] * 484})
    assert r.status_code == status, r.text[:300]
    if status == 200:
        assert min(r.json()["logvar"]) > 300
        assert all(isinstance(v, float) and math.isfinite(v) for v in all_nats(r.json()))
    else:
        assert "outside what" in r.json()["detail"][0]["msg"]
