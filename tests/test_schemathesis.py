"""Property-based API tests from /openapi.json: no 5xx for anything, responses match the schema."""

from __future__ import annotations

import schemathesis
import torch
from hypothesis import HealthCheck, settings

from latent_explorer.server import Settings, create_app
from latent_explorer.server.registry import ModelRegistry
from tests.conftest import ROOT

APP_SETTINGS = Settings(checkpoints=ROOT / "checkpoints", device="cpu", max_body_bytes=256 * 1024)
app = create_app(APP_SETTINGS)
# Schemathesis calls the ASGI app per case without running its lifespan: load the models once.
app.state.registry = ModelRegistry.load(APP_SETTINGS.checkpoints, torch.device("cpu"))
schema = schemathesis.openapi.from_asgi("/openapi.json", app)


@schema.parametrize()
@settings(max_examples=40, deadline=None, suppress_health_check=list(HealthCheck))
def test_api_conforms(case) -> None:
    case.call_and_validate()
