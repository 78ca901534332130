"""Query strings and form fields take one value per name, in ASCII decimal notation: Python's
int()/float() and pydantic's lax mode read '1_0' as 10 and full-width digits as numbers, and
Starlette keeps the last of repeated parameters (the first was dropped silently)."""

from __future__ import annotations

import io
from urllib.parse import parse_qsl

import pytest
from fastapi.testclient import TestClient
from PIL import Image, ImageDraw

from latent_explorer.server import Settings, create_app
from latent_explorer.server.query_once import query_names
from latent_explorer.server.text_numbers import parse_float, parse_int
from tests.conftest import ROOT

VAE, CVAE, COMPLETION = "vae-mnist-z2", "cvae-mnist-z2", "completion-mnist"


@pytest.fixture(scope="module")
def client():
    with TestClient(create_app(Settings(checkpoints=ROOT / "checkpoints", device="cpu"))) as c:
        yield c


def detail(r) -> dict:
    assert r.status_code == 422, r.text[:300]
    body = r.json()["detail"]
    assert len(body) == 1, body
    return body[0]


@pytest.mark.parametrize("text", ["1_0", "１０", "٣", "0x10", "1e1", " 7", "", "+", "1" * 5000])
def test_parse_int_takes_ascii_decimal_only(text: str) -> None:
    with pytest.raises(ValueError):
        parse_int(text)


@pytest.mark.parametrize(
    "text", ["1_0", "１.５", "٣", "0x10", "1.5.1", "e5", ".", "- 1", "ınf", "İnf", "1" * 101]
)
def test_parse_float_takes_ascii_decimal_only(text: str) -> None:
    with pytest.raises(ValueError):
        parse_float(text)


def test_ascii_numbers_still_parse() -> None:
    assert [parse_int(t) for t in ("0", "-3", "+12", "007")] == [0, -3, 12, 7]
    assert [parse_float(t) for t in ("1", "-.5", "2.", "1e-3", "+1.5E2")] == [
        1.0,
        -0.5,
        2.0,
        0.001,
        150.0,
    ]


@pytest.mark.parametrize(
    ("query", "loc"),
    [
        ("z=1_0,0", "z"),
        ("z=１,0", "z"),
        ("z=0,0&scale=1_0", "scale"),
        ("z=0,0&scale=２", "scale"),
    ],
)
def test_decode_png_refuses_non_ascii_numbers(client: TestClient, query: str, loc: str) -> None:
    d = detail(client.get(f"/api/models/{VAE}/decode.png?{query}"))
    assert d["loc"] == ["query", loc]


def test_decode_png_reads_plain_numbers_and_spaces_after_commas(client: TestClient) -> None:
    a = client.get(f"/api/models/{VAE}/decode.png?z=0.5,-1.25&scale=2")
    b = client.get(f"/api/models/{VAE}/decode.png?z=0.5,%20-1.25&scale=2")
    assert a.status_code == b.status_code == 200 and a.content == b.content


@pytest.mark.parametrize(
    ("query", "loc"),
    [("n=1_0", "n"), ("n=３", "n"), ("span=1_0", "span"), ("dims=0,1_0", "dims")],
)
def test_grid_refuses_non_ascii_numbers(client: TestClient, query: str, loc: str) -> None:
    d = detail(client.get(f"/api/models/{VAE}/grid.png?{query}"))
    assert d["loc"] == ["query", loc] and not d["msg"].startswith("Value error")
    assert client.get(f"/api/models/{VAE}/grid.png?n=3&span=1.5").status_code == 200


def test_form_fields_refuse_non_ascii_numbers(client: TestClient) -> None:
    picture = Image.new("L", (28, 28), 0)
    ImageDraw.Draw(picture).line([(14, 4), (14, 24)], fill=255, width=3)
    buf = io.BytesIO()
    picture.save(buf, "PNG")
    image = buf.getvalue()
    files = {"image": ("d.png", image, "image/png")}
    url = f"/api/models/{CVAE}/encode"
    assert detail(client.post(url, files=files, data={"label": "1_0"}))["loc"][-1] == "label"
    r = client.post(url, files=files, data={"label": "3"})
    assert r.status_code == 200 and r.json()["label"] == 3


@pytest.mark.parametrize(
    "path",
    [
        f"/api/models/{VAE}/decode.png?z=0,0&z=3,3",
        f"/api/models/{VAE}/decode.png?z=0,0&scale=1&scale=2",
        f"/api/models/{VAE}/grid.png?n=2&n=3",
        f"/api/models/{VAE}/atlas?dims=0,1&dims=1,0",
    ],
)
def test_a_repeated_query_parameter_is_422(client: TestClient, path: str) -> None:
    name = path.rsplit("&", 1)[1].split("=")[0]
    d = detail(client.get(path))
    assert d["loc"] == ["query", name] and d["msg"] == f"{name} is given more than once"


def test_the_page_is_served_whatever_its_query_repeats(client: TestClient) -> None:
    """The page reads its own address (and says what it took); a repeated utm_source a messenger
    added made a shared link a raw JSON 422 (page pass 9). The preload names the first model, as
    the page's URLSearchParams.get reads it."""
    r = client.get("/?model=vae-mnist-z16&model=vae-mnist-z2&utm_source=a&utm_source=b")
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/html")
    assert "api/models/vae-mnist-z16/decoder" in r.text
    assert "api/models/vae-mnist-z2/decoder" not in r.text


def test_the_pages_model_is_read_from_a_bounded_scan(client: TestClient) -> None:
    """The page's query is not parsed whole on the event loop (the API's field cap does not
    cover it): its first `model=` is read from the first 2 KB."""
    from latent_explorer.server.page import MAX_SCANNED, named_model

    assert named_model(b"z=1&model=vae%2Dmnist-z16&model=x") == "vae-mnist-z16"
    assert named_model(b"a=1") is None
    assert named_model(b"p=1&" * (MAX_SCANNED // 4) + b"model=vae-mnist-z16") is None
    huge = "&".join(f"p{i}=1" for i in range(8000))
    r = client.get(f"/?model=vae-mnist-z16&{huge}")
    assert r.status_code == 200 and "api/models/vae-mnist-z16/decoder" in r.text


def test_a_query_of_many_parameters_is_422(client: TestClient) -> None:
    query = "&".join(f"p{i}=1" for i in range(500))
    d = detail(client.get(f"/api/models/{VAE}/decode.png?z=0,0&{query}"))
    assert d["msg"] == "too many query parameters"
    assert client.get(f"/api/models/{VAE}/decode.png?z=0,0&unused=1").status_code == 200


def test_a_long_repeated_name_is_not_echoed_whole(client: TestClient) -> None:
    name = "p" * 30_000
    r = client.get(f"/api/models/{VAE}/decode.png?z=0,0&{name}=1&{name}=2")
    assert r.status_code == 422 and len(r.content) < 1000, len(r.content)


@pytest.mark.parametrize(
    "query", ["z=0,0&scale=1", "a&b=&&c=1", "z=1&%7a=2", "a+b=1&a%20b=2", "=1&=2", "a=1=2&b"]
)
def test_query_names_read_as_parse_qsl_reads_them(query: str) -> None:
    """The split fast path (no escapes) and parse_qsl name the same parameters."""
    assert query_names(query) == [k for k, _ in parse_qsl(query, keep_blank_values=True)]
