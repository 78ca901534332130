"""With CORS origins configured, a refused preflight is answered in the API's error shape, one
error per fault naming its request header: it was Starlette's text/plain 400 "Disallowed CORS
origin" (hostile pass 10). A preflight that passes is Starlette's, as before."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from latent_explorer.server import Settings, create_app
from tests.conftest import ROOT

URL = "/api/models/vae-mnist-z2/decode"
GOOD, EVIL = "http://good.example", "http://evil.example"
ORIGIN = ["header", "origin"]
METHOD = ["header", "access-control-request-method"]
HEADERS = ["header", "access-control-request-headers"]
BAD_ORIGIN = (
    f"the origin '{EVIL}' is not allowed "
    "(the server's operator lists allowed origins in LATENT_EXPLORER_CORS_ORIGINS)"
)
BAD_METHOD = "'PUT' is not an allowed method; these are GET, POST"
ALLOWED = "these are accept, accept-language, content-language, content-type, if-none-match"
BAD_HEADER = f"requested header 'x-foo' is not allowed; {ALLOWED}"


@pytest.fixture(scope="module")
def client():
    settings = Settings(checkpoints=ROOT / "checkpoints", device="cpu", cors_origins=(GOOD,))
    with TestClient(create_app(settings)) as c:
        yield c


@pytest.mark.parametrize(
    ("origin", "method", "asked", "errors"),
    [
        (EVIL, "POST", None, [(ORIGIN, BAD_ORIGIN)]),
        (GOOD, "PUT", None, [(METHOD, BAD_METHOD)]),
        (GOOD, "POST", "x-foo", [(HEADERS, BAD_HEADER)]),
        (EVIL, "PUT", "x-foo", [(ORIGIN, BAD_ORIGIN), (METHOD, BAD_METHOD), (HEADERS, BAD_HEADER)]),
    ],
)
def test_a_refused_preflight_is_a_json_400(client, origin, method, asked, errors) -> None:
    headers = {"origin": origin, "access-control-request-method": method}
    if asked:
        headers["access-control-request-headers"] = asked
    r = client.options(URL, headers=headers)
    assert r.status_code == 400
    assert r.headers["content-type"] == "application/json"
    expected = [{"loc": loc, "msg": msg, "type": "forbidden"} for loc, msg in errors]
    assert r.json() == {"detail": expected}
    assert "Origin" in r.headers["vary"]  # Starlette's headers are kept
    assert ("access-control-allow-origin" in r.headers) == (origin == GOOD)


@pytest.mark.parametrize(
    ("asked", "said"),
    [
        ("content-type, X-Foo", "'x-foo'"),
        ("a, b, c, d, e", "'a', 'b', 'c' and 2 more"),
        (",,", "an empty name, an empty name, an empty name"),
    ],
)
def test_a_refused_header_is_named(client, asked: str, said: str) -> None:
    """The message named none of them (hostile pass 11: 2,000 asked, one refused)."""
    headers = {"origin": GOOD, "access-control-request-method": "POST"}
    r = client.options(URL, headers={**headers, "access-control-request-headers": asked})
    assert r.status_code == 400
    assert r.json()["detail"][0]["msg"] == f"requested header {said} is not allowed; {ALLOWED}"


def test_a_preflight_that_passes_is_unchanged(client) -> None:
    headers = {
        "origin": GOOD,
        "access-control-request-method": "POST",
        "access-control-request-headers": "content-type",
    }
    r = client.options(URL, headers=headers)
    assert r.status_code == 200 and r.text == "OK"
    assert r.headers["access-control-allow-origin"] == GOOD


def test_a_script_may_revalidate_by_etag_and_read_it(client) -> None:
    """A tool's page could not send If-None-Match (its preflight was refused) nor read the ETag
    to send back (not exposed): every atlas came whole (API pass)."""
    headers = {
        "origin": GOOD,
        "access-control-request-method": "GET",
        "access-control-request-headers": "if-none-match",
    }
    assert client.options("/api/models/vae-mnist-z2/atlas", headers=headers).status_code == 200
    first = client.get("/api/models/vae-mnist-z2/atlas", headers={"origin": GOOD})
    exposed = first.headers["access-control-expose-headers"].lower().split(", ")
    assert "etag" in exposed and "retry-after" in exposed
    again = {"origin": GOOD, "if-none-match": first.headers["etag"]}
    assert client.get("/api/models/vae-mnist-z2/atlas", headers=again).status_code == 304


def test_a_refused_cross_origin_post_says_how_to_allow_it(client) -> None:
    r = client.post(URL, json={"z": [[0.0, 0.0]]}, headers={"origin": EVIL})
    assert r.status_code == 403
    msg = r.json()["detail"][0]["msg"]
    assert msg.startswith(f"cross-origin POST from '{EVIL}' refused")
    assert "LATENT_EXPLORER_CORS_ORIGINS" in msg
