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
def test_other_addresses_preload_the_default_models_decoder(client: TestClient, query: str) -> None:
    """A bare address, an unknown id or a model the page does not walk: the page opens the
    default that index.html names, and that is what is preloaded (nothing from the query is
    written into the HTML)."""
    url = {m["id"]: m for m in client.get("/api/models").json()}["vae-mnist-z2"]["decoder"]["url"]
    page = client.get(f"/{query}")
    assert page.status_code == 200
    assert '<meta name="default-model" content="vae-mnist-z2">' in page.text
    assert preloads(page.text) == [
        f'<link rel="preload" href="{url.lstrip("/")}" as="fetch" crossorigin>'
    ]
    # The page's own inline script (the intro's fold) and nothing from the query.
    assert page.text.count("<script>") == 1 and page.text == client.get("/").text


def test_no_default_no_preload(tmp_path) -> None:
    """A page without the default-model tag gets no preload for a bare address."""
    (tmp_path / "index.html").write_text(
        '<head><link rel="preload" href="api/models" as="fetch" crossorigin></head>'
    )
    settings = Settings(checkpoints=ROOT / "checkpoints", device="cpu", frontend=tmp_path)
    with TestClient(create_app(settings)) as c:
        assert preloads(c.get("/").text) == []
        assert len(preloads(c.get("/?model=cvae-mnist-z2").text)) == 1
