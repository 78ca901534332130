"""gzip for the page's text (HTML, scripts, the model list, the atlas), never for images or
decoder files, with HEAD and ranges answered as before (server/compression.py)."""

from __future__ import annotations

import gzip

import pytest
from fastapi.testclient import TestClient

from latent_explorer.server import Settings, create_app
from tests.conftest import ROOT

GZIP = {"Accept-Encoding": "gzip"}
PLAIN = {"Accept-Encoding": "identity"}


@pytest.fixture(scope="module")
def client():
    settings = Settings(checkpoints=ROOT / "checkpoints", device="cpu")
    with TestClient(create_app(settings)) as c:
        yield c


def raw(client: TestClient, path: str, headers: dict, method: str = "GET"):
    """The answer with its body as sent (httpx would decompress it)."""
    with client.stream(method, path, headers=headers) as r:
        return r, b"".join(r.iter_raw())


@pytest.mark.parametrize(
    "path", ["/", "/assets/js/main.js", "/api/models", "/api/models/vae-mnist-z16/atlas"]
)
def test_text_is_gzipped_for_clients_that_accept_it(client: TestClient, path: str) -> None:
    zipped, body = raw(client, path, GZIP)
    plain, plain_body = raw(client, path, PLAIN)
    assert zipped.status_code == plain.status_code == 200
    assert zipped.headers["content-encoding"] == "gzip"
    assert "accept-encoding" in zipped.headers["vary"].lower()
    assert gzip.decompress(body) == plain_body
    assert "content-encoding" not in plain.headers
    assert len(body) < len(plain_body) / 2
    # HEAD gives the length of the body a GET would send with the same headers.
    head, nothing = raw(client, path, GZIP, "HEAD")
    assert nothing == b"" and head.headers["content-length"] == str(len(body))


def test_images_and_decoder_files_are_sent_as_they_are(client: TestClient) -> None:
    decoder = client.get("/api/models").json()[0]["decoder"]["url"]
    for path in (
        decoder,
        "/api/models/vae-mnist-z2/grid.png?n=20",
        "/api/models/vae-mnist-z2/decode.png?z=0,0",
    ):
        r, _ = raw(client, path, GZIP)
        assert r.status_code == 200 and "content-encoding" not in r.headers, path


def test_a_range_of_a_script_is_not_compressed(client: TestClient) -> None:
    r, body = raw(client, "/assets/js/main.js", {**GZIP, "Range": "bytes=0-99"})
    assert r.status_code == 206 and "content-encoding" not in r.headers and len(body) == 100


def test_a_gzipped_file_has_a_weak_etag_that_still_gives_304(client: TestClient) -> None:
    """A strong ETag promises the same bytes; the gzip and identity bodies differ."""
    zipped, _ = raw(client, "/assets/js/main.js", GZIP)
    plain, _ = raw(client, "/assets/js/main.js", PLAIN)
    assert plain.headers["etag"].startswith('"')
    assert zipped.headers["etag"] == "W/" + plain.headers["etag"]
    for tag in (zipped.headers["etag"], plain.headers["etag"]):
        again, body = raw(client, "/assets/js/main.js", {**GZIP, "If-None-Match": tag})
        assert again.status_code == 304 and body == b"", tag
