"""Issue 9 §4: one error shape, one source for limits, routes that never import each other."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from latent_explorer.server import Settings, create_app
from tests.conftest import ROOT

VAE = "vae-mnist-z2"
ROUTES = ROOT / "server" / "routes"


def assert_shape(r, status: int) -> dict:
    """Every 4xx: {"detail": [{"loc": [...], "msg": str, "type": str}]}."""
    assert r.status_code == status, r.text
    body = r.json()
    assert set(body) == {"detail"} and isinstance(body["detail"], list) and body["detail"]
    for item in body["detail"]:
        assert set(item) == {"loc", "msg", "type"}
        assert isinstance(item["loc"], list) and isinstance(item["msg"], str)
    return body["detail"][0]


def test_no_route_module_imports_another() -> None:
    names = {p.stem for p in ROUTES.glob("*.py")} - {"__init__"}
    for path in ROUTES.glob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ImportFrom):
                module = node.module or ""
                assert not (node.level == 1 and (module in names or not module)), (path, module)
                assert "routes" not in module, (path, module)


@pytest.fixture(scope="module")
def client():
    settings = Settings(checkpoints=ROOT / "checkpoints", device="cpu")
    with TestClient(create_app(settings)) as c:
        yield c


def test_every_4xx_has_one_shape(client: TestClient) -> None:
    long_id = "x" * 60_000
    for r, status in (
        (client.get("/api/models/nope"), 404),
        (client.get("/api/models/nope/decode.png?z=0,0"), 404),
        (client.post("/api/models/nope/decode", json={"z": [[0, 0]]}), 404),
        (client.get("/no/such/route"), 404),
        (client.get(f"/api/models/{long_id}/decode.png?z=0,0"), 404),
        (client.delete("/api/health"), 405),
        (client.get(f"/api/models/{VAE}/decode.png?z=a"), 422),
        (client.post(f"/api/models/{VAE}/decode", json={"z": []}), 422),
        (
            client.post(f"/api/models/{VAE}/encode", content=b"x", headers={"content-type": "a/b"}),
            415,
        ),
    ):
        item = assert_shape(r, status)
        # Quoted input is capped: a 60 KB id is not echoed back.
        assert len(r.content) < 500, r.content[:200]
        assert item["msg"]


def test_png_cache_lives_on_the_app(client: TestClient) -> None:
    cache = client.app.state.png_cache
    before = len(cache.items)
    assert client.get(f"/api/models/{VAE}/decode.png?z=0.123,0.456").status_code == 200
    assert len(cache.items) == before + 1
    other = Settings(checkpoints=ROOT / "checkpoints", device="cpu")
    with TestClient(create_app(other)) as c2:
        assert c2.app.state.png_cache is not cache and len(c2.app.state.png_cache.items) == 0


def test_settings_drive_the_schema_limits(tmp_path: Path) -> None:
    settings = Settings(
        checkpoints=ROOT / "checkpoints", device="cpu", max_batch=2000, max_steps=5, max_grid=3
    )
    with TestClient(create_app(settings)) as c:
        url = f"/api/models/{VAE}"
        assert c.post(f"{url}/decode", json={"z": [[0, 0]] * 1500, "output": "logits"}).is_success
        assert_shape(c.post(f"{url}/decode", json={"z": [[0, 0]] * 2001}), 422)
        assert c.post(f"{url}/generate", json={"n": 1500, "output": "logits"}).is_success
        ends = {"start": {"z": [0, 0]}, "end": {"z": [1, 1]}}
        assert c.post(f"{url}/interpolate", json={**ends, "steps": 5}).is_success
        assert assert_shape(c.post(f"{url}/interpolate", json={**ends, "steps": 6}), 422)[
            "loc"
        ] == ["body", "steps"]
        assert c.get(f"{url}/grid.png?n=3").is_success
        assert_shape(c.get(f"{url}/grid.png?n=4"), 422)
        spec = c.get("/openapi.json").json()["components"]["schemas"]
        assert spec["DecodeRequest"]["properties"]["z"]["maxItems"] == 2000
        assert spec["InterpolateRequest"]["properties"]["steps"]["maximum"] == 5


def test_every_ref_in_the_openapi_document_resolves() -> None:
    """/encode's and /complete's JSON bodies were named by $ref and never defined: /docs showed a
    resolver error and "string" as their example (API pass). The limits come from the settings."""
    app = create_app(Settings(checkpoints=ROOT / "checkpoints", device="cpu", max_completions=9))
    with TestClient(app, base_url="http://127.0.0.1") as c:
        spec = c.get("/openapi.json").json()
    refs: set[str] = set()

    def walk(node: object) -> None:
        if isinstance(node, dict):
            refs.update(v for k, v in node.items() if k == "$ref")
            for v in node.values():
                walk(v)
        elif isinstance(node, list):
            for v in node:
                walk(v)

    walk(spec)
    named = {f"#/components/schemas/{name}" for name in spec["components"]["schemas"]}
    assert "#/components/schemas/EncodeRequest" in refs and refs <= named, refs - named
    complete = spec["components"]["schemas"]["CompleteRequest"]
    assert complete["properties"]["n"]["maximum"] == 9
    # Bounds as JSON Schema writes them, exact: FastAPI made the seed's 2**63 - 1 the float
    # 2**63, which the server refuses, and grid.png's n showed "ge"/"le", which tools ignore.
    seed = spec["components"]["schemas"]["GenerateRequest"]["properties"]["seed"]["anyOf"][0]
    assert seed["maximum"] == 2**63 - 1 and isinstance(seed["maximum"], int)
    grid = spec["paths"]["/api/models/{model_id}/grid.png"]["get"]["parameters"]
    n = next(p for p in grid if p["name"] == "n")["schema"]
    assert (n["minimum"], n["maximum"]) == (1, 64) and "ge" not in n


def test_settings_from_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LATENT_EXPLORER_MAX_STEPS", "7")
    monkeypatch.setenv("LATENT_EXPLORER_TRUSTED_HOSTS", "a.example, b.example")
    s = Settings()
    assert s.max_steps == 7 and s.trusted_hosts == ("a.example", "b.example")
    monkeypatch.setenv("LATENT_EXPLORER_MAX_BATCH", "lots")
    with pytest.raises(ValueError, match="max_batch"):
        Settings()


def test_every_4xx_in_the_openapi_document_is_the_error_shape_sent() -> None:
    """The document described 422 alone, with `input` and `ctx` never sent, and 400, 404, 413
    and 415 had no body (API pass): each now names the one shape, which real answers match."""
    app = create_app(Settings(checkpoints=ROOT / "checkpoints", device="cpu", max_body_bytes=2048))
    with TestClient(app, base_url="http://127.0.0.1") as c:
        spec = c.get("/openapi.json").json()
        answers = {
            "400": c.get("/api/models", headers=[("host", "127.0.0.1")] * 2),
            "404": c.get("/api/models/nope/atlas"),
            "413": c.post("/api/models/vae-mnist-z2/decode", content=b"[" * 4096),
            "415": c.post(
                "/api/models/vae-mnist-z2/decode",
                content=b"{}",
                headers={"content-type": "text/csv"},
            ),
            "422": c.post("/api/models/vae-mnist-z2/decode", json={"z": [[0]]}),
        }
    error = spec["components"]["schemas"]["ValidationError"]
    assert set(error["properties"]) == set(error["required"]) == {"loc", "msg", "type"}
    ref = {"$ref": "#/components/schemas/HTTPValidationError"}
    statuses = set()
    for ops in spec["paths"].values():
        for op in ops.values():
            for status, response in op["responses"].items():
                if status.startswith("4"):
                    statuses.add(status)
                    assert response["content"]["application/json"]["schema"] == ref, status
    assert statuses >= set(answers)
    for status, r in answers.items():
        assert str(r.status_code) == status, (status, r.text[:200])
        assert all(set(e) == {"loc", "msg", "type"} for e in r.json()["detail"]), r.text[:200]


def test_the_numpy_decoder_follows_what_a_model_declares_not_its_class() -> None:
    """A new contributor's pass: the fast path was for subclasses of VAE only, a class switch in
    server/. Now: a walkable, unstacked model with one Sequential decoder gets it, whatever its
    class; a stacked or unwalkable one does not."""
    from dataclasses import replace

    import torch
    from torch import nn

    from latent_explorer.model import VAEConfig, build_model
    from latent_explorer.server.fast_decode import numpy_decoder

    vae = build_model(VAEConfig(latent_dim=2, hidden=(8,)))

    class Other(nn.Module):  # not a VAE: its own class, the same declarations
        def __init__(self, caps) -> None:  # noqa: ANN001
            super().__init__()
            self.decoder, self.capabilities = vae.decoder, caps

    assert numpy_decoder(Other(vae.capabilities)) is not None
    assert numpy_decoder(Other(replace(vae.capabilities, stacked=True))) is None
    assert numpy_decoder(Other(replace(vae.capabilities, walkable=False))) is None
    mlp = numpy_decoder(Other(vae.capabilities))
    z = torch.randn(3, 2)
    with torch.no_grad():
        expected = vae.decoder(z).numpy()
    import numpy as np

    np.testing.assert_allclose(mlp(z.numpy()), expected, rtol=1e-4, atol=1e-4)
