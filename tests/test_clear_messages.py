"""4xx messages that named the wrong fault or none (hostile pass 10, LOW-3 A-F): each now says
what is wrong, as the same input sent another way already did."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from latent_explorer.server import Settings, create_app
from tests.conftest import ROOT

VAE, CVAE, COMPLETION = "vae-mnist-z2", "cvae-mnist-z2", "completion-mnist"
PNG = next((Path(__file__).parent / "fixtures" / "mnist").glob("*.png")).read_bytes()
COMPLETE = f"/api/models/{COMPLETION}/complete"


@pytest.fixture(scope="module")
def client():
    with TestClient(create_app(Settings(checkpoints=ROOT / "checkpoints", device="cpu"))) as c:
        yield c


def detail(r) -> list[dict]:  # noqa: ANN001
    assert 400 <= r.status_code < 500, r.text[:300]
    return r.json()["detail"]


MASKS = {
    "a value of 2": (
        [2] + [1] * 391 + [0] * 392,
        [["body", "mask", 0], "Input should be less than or equal to 1", "less_than_equal"],
    ),
    "783 values": (
        [0, 1] * 391 + [0],
        [
            ["body", "mask"],
            "a mask array must be 28 rows of 28 values, or 784 values (got 783)",
            "value_error",
        ],
    ),
    "quadrant 4": (
        {"quadrants": [4]},
        [
            ["body", "mask", "quadrants", 0],
            "Input should be less than or equal to 3",
            "less_than_equal",
        ],
    ),
    "an extra key": (
        {"quadrants": [0], "x": 1},
        [["body", "mask", "x"], "Extra inputs are not permitted", "extra_forbidden"],
    ),
    "floats 1.0 and 0.0": (
        [1.0] * 392 + [0.0] * 392,
        [
            ["body", "mask"],
            "784 values are not the integers 0 or 1; the first at [0]",
            "value_error",
        ],
    ),
}


@pytest.mark.parametrize("case", list(MASKS))
def test_a_multipart_mask_is_refused_in_the_json_bodys_words(client, case) -> None:
    """A: every fault of a multipart mask was "mask must be a region name or JSON mask". B: a
    mask of 1.0/0.0 was "not 0 or 1", of values that equal 0 and 1."""
    mask, (loc, msg, kind) = MASKS[case]
    files = {"image": ("d.png", PNG, "image/png")}
    sent_as_form = client.post(COMPLETE, files=files, data={"mask": json.dumps(mask)})
    sent_as_json = client.post(COMPLETE, json={"pixels": [0.0] * 784, "mask": mask})
    expected = [{"loc": loc, "msg": msg, "type": kind}]
    assert detail(sent_as_form) == expected
    assert detail(sent_as_json) == expected


def test_an_empty_parameter_name_given_twice_is_named(client) -> None:
    """C: the message was " is given more than once"."""
    msg = "a parameter with an empty name is given more than once"
    assert detail(client.get("/api/models?=&=")) == [
        {"loc": ["query", ""], "msg": msg, "type": "value_error"}
    ]


def test_an_empty_integer_query_value_is_an_absent_one_on_every_route(client) -> None:
    """D: decode.png read scale= and label= as absent; grid.png answered n= and label= "must be
    an integer in ASCII digits"."""
    assert client.get(f"/api/models/{VAE}/grid.png?n=").status_code == 200
    assert client.get(f"/api/models/{VAE}/decode.png?z=0,0&scale=").status_code == 200
    msg = "cvae-mnist-z2 is conditional: a label in 0..9 is required"
    expected = [{"loc": ["query", "label"], "msg": msg, "type": "value_error"}]
    assert detail(client.get(f"/api/models/{CVAE}/grid.png?n=2&label=")) == expected
    assert detail(client.get(f"/api/models/{CVAE}/decode.png?z=0,0&label=")) == expected
    assert client.get(f"/api/models/{CVAE}/grid.png?n=2&label=3").status_code == 200
    r = client.get(f"/api/models/{CVAE}/grid.png?n=2&label=1001")
    assert detail(r)[0]["msg"] == "label 1001 is out of range 0..9"


M2, FASHION = "m2-mnist-100", "cvae-fashion-z2"
PIXELS = [0.0] * 784


@pytest.mark.parametrize(
    ("method", "path", "kw", "loc", "msg"),
    [
        ("post", f"{CVAE}/generate", {"json": {"label": 5000}}, ["body", "label"], "label 5000"),
        ("post", f"{FASHION}/generate", {"json": {"label": -1}}, ["body", "label"], "label -1"),
        ("post", f"{M2}/generate", {"json": {"label": 10**50}}, ["body", "label"], "the label"),
        (
            "post",
            f"{CVAE}/decode",
            {"json": {"z": [[0, 0], [0, 0]], "labels": [3, 1001]}},
            ["body", "labels", 1],
            "label 1001",
        ),
        (
            "post",
            f"{M2}/encode",
            {"json": {"pixels": PIXELS, "label": 1001}},
            ["body", "label"],
            "label 1001",
        ),
        (
            "post",
            f"{M2}/encode",
            {"files": {"image": ("d.png", PNG)}, "data": {"label": "1001"}},
            ["body", "label"],
            "label 1001",
        ),
        ("get", f"{CVAE}/grid.png?label=5000", {}, ["query", "label"], "label 5000"),
    ],
)
def test_a_label_past_the_schema_is_said_in_the_models_range(
    client, method: str, path: str, kw: dict, loc: list, msg: str
) -> None:
    """API pass: a label over 1000 was "less than or equal to 1000" (a range no model has) and
    one of 10..1000 "out of range 0..9": both now the model's range."""
    r = getattr(client, method)(f"/api/models/{path}", **kw)
    assert detail(r) == [
        {"loc": loc, "msg": f"{msg} is out of range 0..9", "type": r.json()["detail"][0]["type"]}
    ]


def test_a_label_past_the_schema_on_an_unconditional_model_says_it_takes_none(client) -> None:
    r = client.post(f"/api/models/{VAE}/generate", json={"label": 5000})
    assert detail(r)[0]["msg"] == f"{VAE} is not conditional and takes no label"


def test_a_label_past_its_range_on_decode_png_names_the_models_range(client) -> None:
    for label in ("10", "5000", "-1"):
        r = client.get(f"/api/models/{CVAE}/decode.png?z=0,0&label={label}")
        assert detail(r)[0]["msg"] == f"label {label} is out of range 0..9"
    for label in ("5", "5000"):  # review 15: 5000 named 0..1000 on an unconditional model
        r = client.get(f"/api/models/{VAE}/decode.png?z=0,0&label={label}")
        assert detail(r)[0]["msg"] == f"{VAE} is not conditional and takes no label"


def form_body(image_disposition: str, boundary: str = "XyZ") -> bytes:
    return (
        (
            f"--{boundary}\r\nContent-Disposition: {image_disposition}\r\n"
            "Content-Type: image/png\r\n\r\n"
        ).encode()
        + PNG
        + (
            f'\r\n--{boundary}\r\nContent-Disposition: form-data; name="mask"\r\n\r\n'
            f"left-half\r\n--{boundary}--\r\n"
        ).encode()
    )


def test_an_image_part_without_a_filename_is_said_to_be_text(client) -> None:
    """E: a part with only filename* is a text field to the parser; the message said no part
    named 'image' had come."""
    body = form_body("form-data; name=\"image\"; filename*=UTF-8''a.png")
    headers = {"content-type": "multipart/form-data; boundary=XyZ"}
    msg = "'image' arrived as a text field (its part has no filename): send it as a file"
    assert detail(client.post(COMPLETE, content=body, headers=headers)) == [
        {"loc": ["body", "image"], "msg": msg, "type": "value_error"}
    ]


def test_two_boundary_parameters_are_refused_as_such(client) -> None:
    """F: the body check read the first boundary and the parser the last, and a whole body was
    said to "end before its closing boundary"."""
    body = form_body('form-data; name="image"; filename="a.png"')
    headers = {"content-type": "multipart/form-data; boundary=zz; boundary=XyZ"}
    msg = "the Content-Type gives boundary more than once"
    r = client.post(COMPLETE, content=body, headers=headers)
    assert r.status_code == 400
    assert detail(r) == [{"loc": ["header", "content-type"], "msg": msg, "type": "value_error"}]
    headers = {"content-type": "multipart/form-data; boundary=XyZ"}
    assert client.post(COMPLETE, content=body, headers=headers).status_code == 200


@pytest.mark.parametrize(
    ("method", "tail"),
    [
        ("get", ""),
        ("get", "/atlas"),
        ("get", "/grid.png"),
        ("get", "/decode.png?z=0,0"),
        ("post", "/decode"),
    ],
)
def test_a_long_unknown_model_id_is_a_404_on_every_route(client, method: str, tail: str) -> None:
    """Hostile pass 12: over 200 characters it was a 404 on decode.png, a 422 elsewhere."""
    long_id = "m" * 5000
    r = getattr(client, method)(f"/api/models/{long_id}{tail}")
    assert r.status_code == 404
    assert detail(r)[0]["msg"].startswith("unknown model 'mmmm") and len(r.content) < 300


def test_hostile_13_messages(client) -> None:
    """Hostile pass 13: a blank plane= was a 422 quoting a regex where every other blank is left
    out; a label's message carried pydantic's type ("takes no label", less_than_equal); a
    100-digit label was echoed whole on decode.png; a malformed JSON mask in a form was "unknown
    region '[1, 1, ...'"."""
    z16 = "vae-mnist-z16"
    for route in ("atlas", "grid.png?n=2"):
        sep = "&" if "?" in route else "?"
        blank = client.get(f"/api/models/{z16}/{route}{sep}plane=")
        assert (
            blank.status_code == 200
            and blank.content == client.get(f"/api/models/{z16}/{route}").content
        )
        assert detail(client.get(f"/api/models/{z16}/{route}{sep}plane=x")) == [
            {"loc": ["query", "plane"], "msg": "plane must be dims or pca", "type": "value_error"}
        ]
    for label in (5000, -1):
        r = client.post(f"/api/models/{VAE}/generate", json={"label": label})
        assert detail(r)[0]["type"] == "value_error"
        r = client.post(f"/api/models/{CVAE}/generate", json={"label": label})
        assert detail(r)[0]["type"] == "value_error"
    huge = "1" + "0" * 99
    r = client.get(f"/api/models/{CVAE}/decode.png?z=0,0&label={huge}")
    assert detail(r)[0]["msg"] == "the label is out of range 0..9"
    mask = json.dumps([1] * 392 + [0] * 391)[:-1] + ",]"
    r = client.post(COMPLETE, files={"image": ("d.png", PNG)}, data={"mask": mask})
    assert detail(r) == [
        {"loc": ["body", "mask"], "msg": "mask is not valid JSON", "type": "value_error"}
    ]


def test_the_multipart_limits_are_said_in_the_forms_words(client) -> None:
    """Hostile pass 13: a mask sent as a file beside one image was "Too many files. Maximum
    number of files is 1."; too many parts named no field."""
    r = client.post(COMPLETE, files={"image": ("d.png", PNG), "mask": ("m.txt", b"left-half")})
    assert r.status_code == 400
    assert detail(r)[0]["msg"] == (
        "one file is read, 'image'; send mask, n, output, seed as text fields (a part with a "
        "filename is a file)"
    )
    form = {"label": "1", "preprocess": "mnist", "x": "1", "y": "2"}
    r = client.post(f"/api/models/{CVAE}/encode", files={"image": ("d.png", PNG)}, data=form)
    assert r.status_code == 400
    assert detail(r)[0]["msg"] == "too many parts: the fields are image, label, preprocess"


def test_two_content_types_are_refused_as_two_hosts_are(client) -> None:
    """Hostile pass 13: of two Content-Type headers the first was read, the second ignored."""
    headers = [("content-type", "application/json"), ("content-type", "text/csv")]
    r = client.post(f"/api/models/{VAE}/decode", content=b'{"z": [[0, 0]]}', headers=headers)
    assert r.status_code == 400
    assert detail(r) == [
        {
            "loc": ["header", "content-type"],
            "msg": "more than one Content-Type header",
            "type": "forbidden",
        }
    ]
