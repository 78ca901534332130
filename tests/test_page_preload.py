"""The page's HTML preloads the decoder file of the model its link names, and only then
(server/page.py)."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from latent_explorer.server import Settings, create_app
from tests.conftest import ROOT


@pytest.fixture(scope="module")
def client():
    settings = Settings(checkpoints=ROOT / "checkpoints", device="cpu")
    with TestClient(create_app(settings)) as c:
        yield c


def preloads(html: str) -> list[str]:
    return [line.strip() for line in html.splitlines() if "decoder.safetensors" in line]


def test_a_named_model_gets_its_decoder_preloaded(client: TestClient) -> None:
    models = {m["id"]: m for m in client.get("/api/models").json()}
    for model_id in ("vae-mnist-z2", "m2-mnist-100"):
        url = models[model_id]["decoder"]["url"].lstrip("/")
        page = client.get(f"/?model={model_id}")
        assert page.status_code == 200 and page.headers["cache-control"] == "no-cache"
        assert preloads(page.text) == [f'<link rel="preload" href="{url}" as="fetch" crossorigin>']


@pytest.mark.parametrize(
    "query", ["", "?model=", "?model=nope", "?model=completion-mnist", '?model="><script>']
)
def test_no_preload_without_a_walkable_model(client: TestClient, query: str) -> None:
    """A bare address, an unknown id or a model the page does not walk: the HTML as it is
    (nothing from the query is written into it)."""
    page = client.get(f"/{query}")
    assert page.status_code == 200
    assert preloads(page.text) == [] and "<script>" not in page.text.split("</head>")[0][-200:]
    assert page.text == client.get("/").text
