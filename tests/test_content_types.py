"""A Content-Type that names no type (";", "; charset=utf-8") is read as a missing one is: as
JSON, on every JSON route. /encode did; /decode, /generate and /interpolate handed FastAPI's
reader a value it parsed as text/plain, and a valid JSON object got a 422 "Input should be a
valid dictionary or object to extract fields from" (hostile pass 10)."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from latent_explorer.server import Settings, create_app
from latent_explorer.server import requests as body_parsing
from tests.conftest import ROOT

VAE = "vae-mnist-z2"
BODIES = {
    "decode": {"z": [[0, 0]], "output": "probs"},
    "generate": {"n": 2, "seed": 1},
    "interpolate": {"start": {"z": [0, 0]}, "end": {"z": [1, 1]}, "steps": 3},
    "encode": {"pixels": [0.0] * 300 + [1.0] * 184 + [0.0] * 300},
}


@pytest.fixture(scope="module")
def client():
    with TestClient(create_app(Settings(checkpoints=ROOT / "checkpoints", device="cpu"))) as c:
        yield c


@pytest.mark.parametrize("ctype", [";", "; charset=utf-8", " ; x=y"])
@pytest.mark.parametrize("route", list(BODIES))
@pytest.mark.parametrize("threshold", [10**9, 0], ids=["on the loop", "in a thread"])
def test_a_content_type_without_a_type_is_read_as_json(
    client, monkeypatch, ctype, route, threshold
) -> None:
    monkeypatch.setattr(body_parsing, "PARSE_OFF_LOOP_BYTES", threshold)
    headers = {"content-type": ctype}
    r = client.post(f"/api/models/{VAE}/{route}", json=BODIES[route], headers=headers)
    assert r.status_code == 200, r.text[:300]


def test_a_body_without_a_type_and_an_unknown_type_are_answered_as_before(client) -> None:
    r = client.post(f"/api/models/{VAE}/decode", content=b'{"z": [[0, 0]]}')
    assert r.status_code == 200
    r = client.post(
        f"/api/models/{VAE}/decode", content=b'{"z": [[0, 0]]}', headers={"content-type": "text/x"}
    )
    assert r.status_code == 415
    loc, msg = ["header", "content-type"], "send application/json, not 'text/x'"
    assert r.json()["detail"] == [{"loc": loc, "msg": msg, "type": "value_error"}]
