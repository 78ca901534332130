"""Property-based API tests from /openapi.json: no 5xx for anything, responses match the schema."""

from __future__ import annotations

import pytest
import schemathesis
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, settings

from latent_explorer.server import Settings, create_app
from tests.conftest import ROOT

APP_SETTINGS = Settings(checkpoints=ROOT / "checkpoints", device="cpu", max_body_bytes=256 * 1024)
# The factory's app with its lifespan run (models, caches, limiters), as in production; the
# schema must exist when pytest collects the cases, so the lifespan starts here and ends with
# the module. (schemathesis.pytest.from_fixture fails on this pytest.)
APP = create_app(APP_SETTINGS)
LIFESPAN = TestClient(APP)
LIFESPAN.__enter__()
schema = schemathesis.openapi.from_asgi("/openapi.json", APP)


@pytest.fixture(scope="module", autouse=True)
def _stop_lifespan():
    yield
    LIFESPAN.__exit__(None, None, None)


@schema.parametrize()
@settings(max_examples=40, deadline=None, suppress_health_check=list(HealthCheck))
def test_api_conforms(case) -> None:
    case.call_and_validate()
