"""gzip for the page's text (HTML, scripts, the model list, the atlas), never for images or
decoder files, with HEAD and ranges answered as before (server/compression.py)."""

from __future__ import annotations

import gzip

import pytest
from fastapi.testclient import TestClient
from starlette.middleware.gzip import GZipResponder

from latent_explorer.server import Settings, compression, create_app
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


def test_a_gzip_answer_offers_no_ranges(client: TestClient) -> None:
    """Ranges are of the identity bytes: a gzip body that said `Accept-Ranges: bytes` invited a
    resume whose 206 a client would join to the gzip bytes (review)."""
    for path in ("/assets/js/main.js", "/docs-assets/swagger-ui-bundle.js"):
        zipped, _ = raw(client, path, GZIP)
        plain, _ = raw(client, path, PLAIN)
        assert zipped.headers["content-encoding"] == "gzip", path
        assert "accept-ranges" not in zipped.headers, path
        assert plain.headers["accept-ranges"] == "bytes", path


def test_every_answer_of_a_text_file_has_a_weak_etag_and_vary(client: TestClient) -> None:
    """A strong ETag promises the same bytes, and the gzip and identity bodies differ; a 304 carries
    the ETag and Vary its 200 would have, so a cache that refreshes from it stays right."""
    zipped, _ = raw(client, "/assets/js/main.js", GZIP)
    plain, _ = raw(client, "/assets/js/main.js", PLAIN)
    tag = zipped.headers["etag"]
    assert tag.startswith('W/"') and plain.headers["etag"] == tag
    for headers in (GZIP, PLAIN):
        again, body = raw(client, "/assets/js/main.js", {**headers, "If-None-Match": tag})
        assert again.status_code == 304 and body == b"", headers
        assert again.headers["etag"] == tag
        assert again.headers["vary"].lower().count("accept-encoding") == 1
    assert plain.headers["vary"].lower().count("accept-encoding") == 1
    assert zipped.headers["vary"].lower().count("accept-encoding") == 1
    # The strong form a cache may still hold from before is matched too.
    again, _ = raw(client, "/assets/js/main.js", {**GZIP, "If-None-Match": tag[2:]})
    assert again.status_code == 304


@pytest.mark.parametrize(
    ("header", "gzipped"),
    [
        ("gzip", True),
        ("GZIP", True),
        ("deflate, gzip;q=0.5", True),
        ("*", True),
        ("gzip;q=0", False),
        ("gzip;q=0, identity", False),
        ("gzip;q=0.000", False),
        ("nogzip", False),
        ("gzip;q=nan", False),
        ("gzip;q=zero", False),
        ("*;q=0", False),
        ("br", False),
        ("", False),
    ],
)
def test_gzip_only_where_the_client_accepts_it(client: TestClient, header: str, gzipped) -> None:
    """A coding with q=0 is refused (RFC 9110 12.5.3): Starlette's substring test gzipped
    "gzip;q=0" and "nogzip", and not "GZIP"."""
    r, body = raw(client, "/api/models", {"Accept-Encoding": header})
    assert r.status_code == 200
    assert (r.headers.get("content-encoding") == "gzip") is gzipped, r.headers
    assert "accept-encoding" in r.headers["vary"].lower()
    if gzipped:
        body = gzip.decompress(body)
    assert body.startswith(b"[")


@pytest.mark.parametrize(
    "path",
    [
        "/assets/js/main.js",
        "/docs-assets/swagger-ui-bundle.js",
        "/api/models/vae-mnist-z2/atlas",
        "/api/models/vae-mnist-z16/atlas?dims=2,3",
    ],
)
def test_a_tagged_body_is_gzipped_once_then_kept(client: TestClient, monkeypatch, path) -> None:
    """Every request compressed the body again, a HEAD too (hostile pass 4: ~59 ms of CPU for a
    HEAD of the Swagger bundle, ~11 ms for an atlas); the gzip body is now kept per (path, ETag)."""
    calls = []
    real = compression._gzip
    monkeypatch.setattr(compression, "_gzip", lambda body: calls.append(1) or real(body))
    starlettes = GZipResponder._compress_body  # what Starlette's responder compresses with
    monkeypatch.setattr(
        GZipResponder, "_compress_body", lambda *a, **k: calls.append(1) or starlettes(*a, **k)
    )
    first, first_body = raw(client, path, GZIP)
    after_first = len(calls)
    assert after_first <= 1
    again, again_body = raw(client, path, GZIP)
    head, _ = raw(client, path, GZIP, "HEAD")
    assert len(calls) == after_first  # neither the second GET nor the HEAD compressed it
    assert first.status_code == again.status_code == head.status_code == 200
    assert first_body == again_body and first.headers["content-encoding"] == "gzip"
    assert head.headers["content-length"] == str(len(first_body))
    plain, plain_body = raw(client, path, PLAIN)
    assert gzip.decompress(first_body) == plain_body and "content-encoding" not in plain.headers


def test_every_spelling_of_a_static_path_shares_its_kept_body(
    client: TestClient, monkeypatch
) -> None:
    """The static files serve "//x", "./x" and "y/../x" as x: each spelling compressed the 1.5 MB
    bundle again and pushed kept bodies out (hostile pass 6). (httpx removes dot segments
    itself, so those are checked on the key.)"""
    calls = []
    real = compression._gzip
    monkeypatch.setattr(compression, "_gzip", lambda body: calls.append(1) or real(body))
    bundle = "/docs-assets/swagger-ui-bundle.js"
    first, first_body = raw(client, bundle, GZIP)
    compressed = len(calls)
    for variant in ("/docs-assets//swagger-ui-bundle.js", "/docs-assets///swagger-ui-bundle.js"):
        r, body = raw(client, variant, GZIP)
        assert r.status_code == 200 and body == first_body, variant
    assert len(calls) == compressed
    same = compression.same_file
    assert (
        same("/docs-assets/./x.js") == same("/docs-assets/y/../x.js") == same("//docs-assets/x.js")
    )
    assert same("/docs-assets/x.js") == "/docs-assets/x.js" != same("/assets/x.js")


@pytest.mark.parametrize("method", ["GET", "HEAD"])
def test_a_range_the_static_files_ignore_is_served_from_the_kept_body(
    client: TestClient, monkeypatch, method: str
) -> None:
    """A Range sent the request to Starlette's responder, which compressed the 1.5 MB bundle
    afresh whenever the static files ignored the Range (over 100 parts, or an If-Range that
    does not match) and answered 200: ~68 ms of CPU a request (hostile pass 8)."""
    calls = []
    real = compression._gzip
    monkeypatch.setattr(compression, "_gzip", lambda body: calls.append(1) or real(body))
    starlettes = GZipResponder._compress_body
    monkeypatch.setattr(
        GZipResponder, "_compress_body", lambda *a, **k: calls.append(1) or starlettes(*a, **k)
    )
    bundle = "/docs-assets/swagger-ui-bundle.js"
    first, first_body = raw(client, bundle, GZIP)
    compressed = len(calls)
    many = "bytes=" + ",".join(["0-0"] * 101)
    for headers in ({"Range": many}, {"Range": "bytes=0-9", "If-Range": '"not-its-tag"'}):
        for _ in range(3):
            r, body = raw(client, bundle, {**GZIP, **headers}, method)
            assert len(calls) == compressed, headers
            assert r.status_code == 200 and r.headers["content-encoding"] == "gzip", headers
            assert r.headers["content-length"] == str(len(first_body))
            assert body == (first_body if method == "GET" else b"")
    # A Range the static files honour is still a 206 of the identity bytes.
    r, body = raw(client, bundle, {**GZIP, "Range": "bytes=0-9,20-29"}, method)
    assert r.status_code == 206 and "content-encoding" not in r.headers
    assert len(calls) == compressed


def test_the_kept_gzip_bodies_are_bounded() -> None:
    kept = compression.KeptGzip(app=None, max_bytes=100)  # type: ignore[arg-type]
    for k in range(3):
        kept._keep((f"/assets/{k}.js", '"t"'), bytes(40))
    assert kept.size <= 100
    assert list(kept.kept) == [("/assets/1.js", '"t"'), ("/assets/2.js", '"t"')]  # oldest out
    kept._keep(("/assets/big.js", '"t"'), bytes(101))  # larger than the bound: not kept
    assert ("/assets/big.js", '"t"') not in kept.kept


def test_the_atlas_is_revalidated_with_a_304(client: TestClient) -> None:
    """After its hour in the browser's cache the atlas was sent whole again (190 KB, 66 KB
    gzipped); its tag is now its content hash, and a current copy costs a bodiless 304."""
    path = "/api/models/vae-mnist-z16/atlas"
    zipped, _ = raw(client, path, GZIP)
    tag = zipped.headers["etag"]
    assert tag.startswith('W/"') and zipped.headers["cache-control"] == "max-age=3600"
    for headers in (GZIP, PLAIN):
        again, body = raw(client, path, {**headers, "If-None-Match": tag})
        assert again.status_code == 304 and body == b"", headers
        assert again.headers["etag"] == tag and again.headers["cache-control"] == "max-age=3600"
    # Another plane is another body, with another tag: the first tag does not match it.
    other, body = raw(client, path + "?dims=0,1", {**GZIP, "If-None-Match": tag})
    assert other.status_code == 200 and other.headers["etag"] != tag and body
    # The tag names the bytes: a second app built from the same checkpoints gives the same one.
    settings = Settings(checkpoints=ROOT / "checkpoints", device="cpu")
    with TestClient(create_app(settings)) as fresh:
        assert raw(fresh, path, GZIP)[0].headers["etag"] == tag
