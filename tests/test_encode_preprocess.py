"""Encode's JSON pixels with preprocess=mnist: the upload's normalization, not a second copy."""

from __future__ import annotations

import io

import numpy as np
import pytest
from fastapi.testclient import TestClient
from PIL import Image

from latent_explorer.server import Settings, create_app
from tests.api_helpers import data_url_to_array, fixture_digits
from tests.conftest import ROOT

VAE = "vae-mnist-z2"


@pytest.fixture(scope="module")
def client():
    with TestClient(create_app(Settings(checkpoints=ROOT / "checkpoints", device="cpu"))) as c:
        yield c


def off_centre(digit: np.ndarray) -> np.ndarray:
    """The digit shrunk to half size in the top-left corner: what a careless drawing looks like."""
    small = Image.fromarray((digit * 255).astype(np.uint8)).resize((14, 14), Image.BILINEAR)
    out = np.zeros((28, 28), dtype=np.uint8)
    out[1:15, 1:15] = np.asarray(small)
    return out


def test_preprocessed_pixels_match_the_same_upload(client: TestClient) -> None:
    for _, digit in fixture_digits()[:4]:
        raw = off_centre(digit)
        buf = io.BytesIO()
        Image.fromarray(raw).save(buf, "PNG")
        up = client.post(f"/api/models/{VAE}/encode", files={"image": ("d.png", buf.getvalue())})
        js = client.post(
            f"/api/models/{VAE}/encode",
            json={"pixels": (raw / 255.0).tolist(), "preprocess": "mnist"},
        )
        assert up.status_code == 200 and js.status_code == 200, (up.text, js.text)
        up_pre = data_url_to_array(up.json()["preprocessed"])
        js_pre = data_url_to_array(js.json()["preprocessed"])
        assert np.array_equal(up_pre, js_pre)  # one normalization
        assert np.allclose(up.json()["mu"], js.json()["mu"], atol=1e-5)
        # ... and it did something: the ink is spread and centred, not left in the corner.
        assert js_pre[14:, 14:].sum() > 0


def test_pixels_without_preprocess_are_used_as_they_are(client: TestClient) -> None:
    raw = off_centre(fixture_digits()[0][1])
    r = client.post(f"/api/models/{VAE}/encode", json={"pixels": (raw / 255.0).tolist()})
    assert r.status_code == 200
    assert np.allclose(data_url_to_array(r.json()["preprocessed"]), raw / 255.0, atol=1 / 255)


def test_blank_preprocessed_pixels_are_422_named_once(client: TestClient) -> None:
    r = client.post(
        f"/api/models/{VAE}/encode", json={"pixels": [0.0] * 784, "preprocess": "mnist"}
    )
    assert r.status_code == 422
    (detail,) = r.json()["detail"]
    assert detail["loc"] == ["body", "pixels"]
    assert detail["msg"] == "no ink found (the image is blank)"


@pytest.mark.parametrize("size", [(300, 120), (120, 300), (14, 6)])
def test_a_picture_that_is_not_square_is_fitted_not_squashed(size: tuple[int, int]) -> None:
    """Read as it is (the completion panel, a Fashion model): a round blob stays round and
    centred, on background (page pass 17: a ring beside a bar came out a tall oval)."""
    from latent_explorer.server.preprocess import shrink_to_gray

    width, height = size
    img = Image.new("L", size, 255)  # dark ink on white, as a photo or a scan
    r = min(size) // 3
    img.paste(0, (width // 2 - r, height // 2 - r, width // 2 + r, height // 2 + r))
    arr = shrink_to_gray(img, side=28, exact=True)
    assert arr.shape == (28, 28)
    ys, xs = np.nonzero(arr > 0.5)
    tall, wide = ys.max() - ys.min() + 1, xs.max() - xs.min() + 1
    assert 0.7 <= tall / wide <= 1.4, (tall, wide)
    assert abs((ys.min() + ys.max()) / 2 - 13.5) <= 1 and abs((xs.min() + xs.max()) / 2 - 13.5) <= 1
