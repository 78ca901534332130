"""Every endpoint of the service through TestClient, with the shipped checkpoints."""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
import pytest
import torch
from fastapi.testclient import TestClient
from PIL import Image

from latent_explorer.model import VAEConfig, build_model, save_checkpoint
from latent_explorer.model.data import FASHION_CLASSES
from latent_explorer.server import Settings, create_app
from tests.api_helpers import data_url_to_array, fixture_digits, png_to_array
from tests.conftest import ROOT

VAE, CVAE, AE, Z16 = "vae-mnist-z2", "cvae-mnist-z2", "ae-mnist-z2", "vae-mnist-z16"


@pytest.fixture(scope="module")
def client():
    settings = Settings(checkpoints=ROOT / "checkpoints", device="cpu")
    with TestClient(create_app(settings)) as c:
        yield c


def test_health(client: TestClient) -> None:
    r = client.get("/api/health")
    assert r.status_code == 200
    assert r.json() == {"status": "ok", "device": "cpu", "models": 10}


def test_models_declare_capabilities(client: TestClient) -> None:
    """The page decides what to show from these, never from kind names."""
    by_id = {m["id"]: m for m in client.get("/api/models").json()}
    caps = {k: m["capabilities"] for k, m in by_id.items()}
    assert caps[VAE]["walkable"] and not caps[VAE]["conditional"] and caps[VAE]["likelihood"]
    assert caps[CVAE]["conditional"] and not caps[CVAE]["infers_label"]
    assert not caps[AE]["stochastic"] and not caps[AE]["standard_normal_prior"]
    assert caps["m2-mnist-100"]["infers_label"] and caps["m2-mnist-100"]["conditional"]
    assert not caps["completion-mnist"]["walkable"]
    assert caps["pca-mnist-z2"]["exact_posterior"] and not caps[VAE]["exact_posterior"]
    assert caps["m2-mnist-100"]["stacked"] and not caps[VAE]["stacked"]
    assert "left-half" in caps["completion-mnist"]["completes"]
    assert all(not c["completes"] for k, c in caps.items() if k != "completion-mnist")
    assert by_id["m2-mnist-100"]["headline_metric"]["unit"] == "fraction"
    assert by_id[VAE]["display_name"] == "VAE"
    # A KL weighted in training is named, and said as a number (page pass 20: "VAE").
    beta = by_id["vae-mnist-z16-beta10"]
    assert beta["display_name"] == "β-VAE" and beta["kl_weight"] == 10.0
    assert by_id[VAE]["kl_weight"] == 1.0


def test_models(client: TestClient) -> None:
    r = client.get("/api/models")
    assert r.status_code == 200
    by_id = {m["id"]: m for m in r.json()}
    assert set(by_id) == {
        AE,
        VAE,
        CVAE,
        Z16,
        "pca-mnist-z2",
        "m2-mnist-100",
        "completion-mnist",
        "vae-fashion-z2",
        "cvae-fashion-z2",
        "vae-mnist-z16-beta10",
    }
    fashion = by_id["cvae-fashion-z2"]
    assert fashion["dataset"] == "fashion-mnist" and fashion["class_names"][0] == "T-shirt/top"
    assert by_id["m2-mnist-100"]["kind"] == "m2"
    assert by_id[CVAE]["kind"] == "cvae" and by_id[CVAE]["num_classes"] == 10
    assert by_id[CVAE]["class_names"] == [str(d) for d in range(10)]
    assert by_id[Z16]["latent_dim"] == 16 and by_id[VAE]["likelihood"] == "bernoulli"
    assert by_id[VAE]["metrics"]["test_iw_nll"] <= 143
    assert "VAE" in by_id[VAE]["description"]
    assert "β" not in by_id[VAE]["description"]
    assert "β = 10" in by_id["vae-mnist-z16-beta10"]["description"]  # its numbers differ for that
    one = client.get(f"/api/models/{VAE}")
    assert one.status_code == 200 and one.json() == by_id[VAE]


def test_models_name_what_their_images_show(client: TestClient, tmp_path: Path) -> None:
    """The page's nouns come from the data set: digits for MNIST, items for Fashion-MNIST,
    images for a data set the server does not know."""
    by_id = {m["id"]: m["data"] for m in client.get("/api/models").json()}
    for model_id in (VAE, CVAE, AE, Z16, "pca-mnist-z2", "m2-mnist-100", "completion-mnist"):
        assert (by_id[model_id]["item"], by_id[model_id]["items"]) == ("digit", "digits")
    for dataset, model_id in (("fashion-mnist", "vae-clothes"), ("sketches", "vae-sketches")):
        model = build_model(VAEConfig(latent_dim=2, hidden=(16,)))
        model.metadata = {"dataset": dataset, "class_names": list(FASHION_CLASSES), "epochs": 1}
        model.atlas = {"mu": torch.randn(20, 2), "labels": torch.arange(20, dtype=torch.uint8) % 10}
        save_checkpoint(model, tmp_path / f"{model_id}.safetensors")
    settings = Settings(checkpoints=tmp_path, device="cpu")
    with TestClient(create_app(settings)) as written:
        r = written.get("/api/models")
    assert r.status_code == 200
    data = {m["id"]: m["data"] for m in r.json()}
    assert (data["vae-clothes"]["item"], data["vae-clothes"]["items"]) == ("item", "items")
    assert data["vae-clothes"]["title"] == "Fashion-MNIST"
    assert (data["vae-sketches"]["item"], data["vae-sketches"]["items"]) == ("image", "images")
    assert data["vae-sketches"]["title"] == "sketches" and data["vae-sketches"]["drawing"] is None


@pytest.mark.parametrize("output", ["png", "probs", "logits"])
def test_decode_outputs(client: TestClient, output: str) -> None:
    r = client.post(
        f"/api/models/{VAE}/decode", json={"z": [[0.5, -1.2], [0, 0]], "output": output}
    )
    assert r.status_code == 200
    body = r.json()
    assert body["model"] == VAE and body["output"] == output and len(body["images"]) == 2
    if output == "png":
        img = data_url_to_array(body["images"][0])
        assert img.shape == (28, 28) and img.max() > 0.5
    else:
        arr = np.array(body["images"])
        assert arr.shape == (2, 28, 28)
        if output == "probs":
            assert arr.min() >= 0 and arr.max() <= 1
    probs = np.array(
        client.post(
            f"/api/models/{VAE}/decode", json={"z": [[0.5, -1.2]], "output": "probs"}
        ).json()["images"][0]
    )
    logits = np.array(
        client.post(
            f"/api/models/{VAE}/decode", json={"z": [[0.5, -1.2]], "output": "logits"}
        ).json()["images"][0]
    )
    np.testing.assert_allclose(1 / (1 + np.exp(-logits)), probs, atol=1e-4)


def test_decode_png_get(client: TestClient) -> None:
    r = client.get(f"/api/models/{VAE}/decode.png", params={"z": "0.5,-1.2"})
    assert r.status_code == 200 and r.headers["content-type"] == "image/png"
    small = png_to_array(r.content)
    assert small.shape == (28, 28)
    big = png_to_array(client.get(f"/api/models/{VAE}/decode.png?z=0.5,-1.2&scale=8").content)
    assert big.shape == (224, 224)
    assert np.array_equal(big[::8, ::8], small)  # nearest-neighbour: crisp pixels
    via_json = data_url_to_array(
        client.post(f"/api/models/{VAE}/decode", json={"z": [[0.5, -1.2]]}).json()["images"][0]
    )
    assert np.array_equal(via_json, small)
    a = png_to_array(client.get(f"/api/models/{CVAE}/decode.png?z=0,0&label=3").content)
    b = png_to_array(client.get(f"/api/models/{CVAE}/decode.png?z=0,0&label=8").content)
    assert np.abs(a - b).max() > 0.3


def test_generate_seeded(client: TestClient) -> None:
    body = {"n": 6, "seed": 123, "temperature": 0.8}
    a, b = (client.post(f"/api/models/{VAE}/generate", json=body).json() for _ in range(2))
    assert a["images"] == b["images"] and a["z"] == b["z"] and len(a["images"]) == 6
    assert a["labels"] is None
    c = client.post(f"/api/models/{VAE}/generate", json={**body, "seed": 124}).json()
    assert c["z"] != a["z"]
    z = np.array(
        client.post(
            f"/api/models/{VAE}/generate", json={"n": 1000, "seed": 1, "temperature": 2.0}
        ).json()["z"]
    )
    assert 1.8 < z.std() < 2.2


def test_generate_cvae_labels(client: TestClient) -> None:
    fixed = client.post(f"/api/models/{CVAE}/generate", json={"n": 5, "label": 7, "seed": 0}).json()
    assert fixed["labels"] == [7] * 5
    sampled = client.post(f"/api/models/{CVAE}/generate", json={"n": 200, "seed": 0}).json()
    assert set(sampled["labels"]) == set(range(10))


def test_encode_pixels_and_reconstruct_real_digits(client: TestClient) -> None:
    """Decoding the encoder's mu of real MNIST digits gives back the digits."""
    errors, baseline = [], []
    for _label, digit in fixture_digits():
        r = client.post(f"/api/models/{Z16}/encode", json={"pixels": digit.tolist()})
        assert r.status_code == 200
        body = r.json()
        assert len(body["mu"]) == 16 and len(body["logvar"]) == 16
        recon = data_url_to_array(body["reconstruction"])
        assert np.allclose(data_url_to_array(body["preprocessed"]), digit, atol=1 / 255)
        errors.append(((recon - digit) ** 2).mean())
        baseline.append(((digit.mean() - digit) ** 2).mean())
    # The z=16 VAE reconstructs each digit far better than its mean gray level does.
    assert max(e / b for e, b in zip(errors, baseline, strict=True)) < 0.35


def test_encode_cvae_and_ae(client: TestClient) -> None:
    label, digit = fixture_digits()[0]
    r = client.post(
        f"/api/models/{CVAE}/encode", json={"pixels": digit.ravel().tolist(), "label": label}
    )
    assert r.status_code == 200 and len(r.json()["mu"]) == 2
    ae = client.post(f"/api/models/{AE}/encode", json={"pixels": digit.tolist()}).json()
    assert ae["logvar"] is None and len(ae["mu"]) == 2


def _jpeg_dark_on_light(digit: np.ndarray) -> bytes:
    """The digit enlarged 9x, inverted to dark ink on paper, off-centre in a big JPEG."""
    ink = Image.fromarray((digit * 255).astype(np.uint8)).resize((252, 252), Image.BICUBIC)
    page = Image.new("L", (900, 640), 255)
    page.paste(Image.fromarray(255 - np.asarray(ink)), (560, 40))
    buf = io.BytesIO()
    page.convert("RGB").save(buf, "JPEG", quality=85)
    return buf.getvalue()


def test_upload_matches_clean_pixels(client: TestClient) -> None:
    for label, digit in fixture_digits()[:5]:
        clean = np.array(
            client.post(f"/api/models/{VAE}/encode", json={"pixels": digit.tolist()}).json()["mu"]
        )
        r = client.post(
            f"/api/models/{VAE}/encode",
            files={"image": ("digit.jpg", _jpeg_dark_on_light(digit), "image/jpeg")},
        )
        assert r.status_code == 200, r.text
        up = np.array(r.json()["mu"])
        pre = data_url_to_array(r.json()["preprocessed"])
        assert np.abs(pre - digit).mean() < 0.08  # the same digit, recentred
        # Nearly the same mu: much closer than the spread of the prior (std 1).
        assert np.linalg.norm(up - clean) < 0.5, (label, up, clean)


def test_upload_png_with_alpha_and_label(client: TestClient) -> None:
    label, digit = fixture_digits()[2]
    rgba = np.zeros((56, 56, 4), dtype=np.uint8)
    rgba[..., 3] = np.asarray(Image.fromarray((digit * 255).astype(np.uint8)).resize((56, 56)))
    buf = io.BytesIO()
    Image.fromarray(rgba, "RGBA").save(buf, "PNG")
    r = client.post(
        f"/api/models/{CVAE}/encode",
        files={"image": ("d.png", buf.getvalue(), "image/png")},
        data={"label": str(label)},
    )
    assert r.status_code == 200
    assert np.abs(data_url_to_array(r.json()["preprocessed"]) - digit).mean() < 0.08


def test_grid(client: TestClient) -> None:
    r = client.get(f"/api/models/{VAE}/grid.png?n=20")
    assert r.status_code == 200 and r.headers["content-type"] == "image/png"
    grid = png_to_array(r.content)
    assert grid.shape == (560, 560)
    # Cell (row 19, col 0) is the bottom-left: z = (-1.96, -1.96), the same as decode.png there.
    corner = png_to_array(client.get(f"/api/models/{VAE}/decode.png?z=-1.959964,-1.959964").content)
    assert np.abs(grid[19 * 28 :, :28] - corner).max() <= 2 / 255
    spanned = png_to_array(client.get(f"/api/models/{VAE}/grid.png?n=3&span=2").content)
    centre = png_to_array(client.get(f"/api/models/{VAE}/decode.png?z=0,0").content)
    assert np.abs(spanned[28:56, 28:56] - centre).max() <= 2 / 255
    labelled = client.get(f"/api/models/{CVAE}/grid.png?n=4&label=3")
    assert png_to_array(labelled.content).shape == (112, 112)
    for q in ("n=5&dims=3,7", "n=5&dims=0,1&z=" + ",".join(["0.5"] * 16), "n=5&plane=pca"):
        r = client.get(f"/api/models/{Z16}/grid.png?{q}")
        assert r.status_code == 200 and png_to_array(r.content).shape == (140, 140)
    # Both planes at once was the dims plane, without a word (hostile pass 4).
    r = client.get(f"/api/models/{Z16}/grid.png?n=5&plane=pca&dims=0,1")
    assert r.status_code == 422 and "plane=pca takes no dims" in r.text


def test_the_atlas_and_the_grid_read_and_default_the_plane_alike(client: TestClient) -> None:
    """API pass: on a 16-d model the atlas's default was PCA and grid.png's dims 0,1, the atlas
    had no `plane` (plane=pca was ignored) and grid.png?plane=pca on a 2-d model was dims 0,1,
    unsaid. Now both read `plane` and `dims` and choose alike."""
    grid = f"/api/models/{Z16}/grid.png?n=3"
    assert client.get(grid).content == client.get(f"{grid}&plane=pca").content
    assert client.get(grid).content != client.get(f"{grid}&dims=0,1").content
    assert client.get(f"{grid}&plane=dims").content == client.get(f"{grid}&dims=0,1").content
    atlas = f"/api/models/{Z16}/atlas"
    assert (
        client.get(atlas).json()["dims"] == client.get(f"{atlas}?plane=pca").json()["dims"] == "pca"
    )
    assert client.get(f"{atlas}?plane=dims").json()["dims"] == [0, 1]
    assert client.get(f"{atlas}?plane=pca&dims=2,3").status_code == 422
    two_d = client.get(f"/api/models/{VAE}/atlas").json()
    assert two_d["dims"] == [0, 1] and two_d["axes"] is None
    for url in (f"/api/models/{VAE}/grid.png?plane=pca", f"/api/models/{VAE}/atlas?plane=pca"):
        r = client.get(url)
        assert r.status_code == 422 and r.json()["detail"][0]["loc"] == ["query", "plane"]
        assert "needs more than two" in r.json()["detail"][0]["msg"]
    r = client.get(f"{atlas}?dims=pca")
    assert r.status_code == 422 and "plane=pca" in r.json()["detail"][0]["msg"]
    # Not pointed to plane=pca where it has none (review 15).
    r = client.get(f"/api/models/{VAE}/atlas?dims=pca")
    assert r.status_code == 422 and "plane=pca" not in r.json()["detail"][0]["msg"]


def test_pca_grid_passes_through_the_given_z(client: TestClient) -> None:
    """Each cell of the PCA plane's grid is the digit a click there gives: the plane through the
    current z (its other 14 directions kept), not through the test codes' mean (page pass 5)."""
    axes = client.get(f"/api/models/{Z16}/atlas").json()["axes"]
    mean, comps = np.array(axes["mean"]), np.array(axes["components"])
    base = np.random.default_rng(0).normal(size=16).round(3)
    q = "n=3&span=1.5&plane=pca&z=" + ",".join(map(str, base))
    grid = png_to_array(client.get(f"/api/models/{Z16}/grid.png?{q}").content)
    without = png_to_array(client.get(f"/api/models/{Z16}/grid.png?n=3&span=1.5&plane=pca").content)
    assert np.abs(grid - without).max() > 0.2  # base lies far off the mean's plane

    def clicked(u: float, v: float) -> np.ndarray:
        """The page's unproject: base with its own PC1/PC2 coordinates replaced by (u, v)."""
        bu, bv = comps @ (base - mean)
        z = base + (u - bu) * comps[0] + (v - bv) * comps[1]
        url = f"/api/models/{Z16}/decode.png?z=" + ",".join(f"{t:.6f}" for t in z)
        return png_to_array(client.get(url).content)

    # Row 0 is the top (v = +span), column 0 the left (u = -span); row 1, column 1 the centre.
    assert np.abs(grid[28:56, 28:56] - clicked(0, 0)).max() <= 2 / 255
    assert np.abs(grid[:28, :28] - clicked(-1.5, 1.5)).max() <= 2 / 255


def test_atlas(client: TestClient) -> None:
    r = client.get(f"/api/models/{VAE}/atlas")
    assert r.status_code == 200
    body = r.json()
    assert body["dims"] == [0, 1] and len(body["points"]) == len(body["labels"]) >= 5000
    assert set(body["labels"]) == set(range(10)) and body["axes"] is None
    pca = client.get(f"/api/models/{Z16}/atlas").json()
    assert pca["dims"] == "pca" and len(pca["axes"]["components"]) == 2
    comps = np.array(pca["axes"]["components"])
    np.testing.assert_allclose(comps @ comps.T, np.eye(2), atol=1e-4)
    dims = client.get(f"/api/models/{Z16}/atlas?dims=3,5").json()
    assert dims["dims"] == [3, 5] and len(dims["points"][0]) == 2


@pytest.mark.parametrize("method", ["linear", "slerp"])
def test_interpolate(client: TestClient, method: str) -> None:
    body = {"start": {"z": [2.0, 0.0]}, "end": {"z": [0.0, 2.0]}, "steps": 7, "method": method}
    r = client.post(f"/api/models/{VAE}/interpolate", json=body)
    assert r.status_code == 200
    z = np.array(r.json()["z"])
    assert z.shape == (7, 2) and len(r.json()["images"]) == 7
    np.testing.assert_allclose(z[0], [2.0, 0.0], atol=1e-5)
    np.testing.assert_allclose(z[-1], [0.0, 2.0], atol=1e-5)
    norms = np.linalg.norm(z, axis=1)
    if method == "slerp":  # ends of equal norm: the path stays on their circle
        np.testing.assert_allclose(norms, 2.0, atol=1e-4)
    else:  # the chord cuts through the middle, down to sqrt(2)
        assert abs(norms.min() - np.sqrt(2)) < 1e-4


def test_interpolate_between_drawings(client: TestClient) -> None:
    (la, a), (lb, b) = fixture_digits()[:2]
    r = client.post(
        f"/api/models/{CVAE}/interpolate",
        json={
            "start": {"pixels": a.tolist()},
            "end": {"pixels": b.tolist()},
            "steps": 4,
            "label": 5,
        },
    )
    assert r.status_code == 200 and len(r.json()["images"]) == 4
    assert r.json()["label"] == 5


def test_the_m2_reads_the_label_of_a_drawn_end_as_encode_does(client: TestClient) -> None:
    """Review 14: /encode infers an M2's label from the pixels, /interpolate asked for it."""
    (_, a), (_, b) = fixture_digits()[:2]
    url = "/api/models/m2-mnist-100"
    encoded = client.post(f"{url}/encode", json={"pixels": a.tolist()}).json()
    body = {"start": {"pixels": a.tolist()}, "end": {"z": [0.0] * 16}, "steps": 3}
    r = client.post(f"{url}/interpolate", json=body)
    assert r.status_code == 200, r.text
    assert r.json()["label"] == encoded["label"]
    np.testing.assert_allclose(r.json()["z"][0], encoded["mu"], atol=1e-4)
    told = client.post(f"{url}/interpolate", json={**body, "label": (encoded["label"] + 1) % 10})
    assert told.json()["label"] == (encoded["label"] + 1) % 10
    ends = {"start": {"z": [0.0] * 16}, "end": {"z": [1.0] * 16}}
    r = client.post(f"{url}/interpolate", json=ends)  # nothing to read a label from
    assert r.status_code == 422 and r.json()["detail"][0]["loc"] == ["body", "label"]
    assert (
        client.post(
            f"/api/models/{VAE}/interpolate",
            json={"start": {"pixels": b.tolist()}, "end": {"z": [0, 0]}},
        ).json()["label"]
        is None
    )


def test_encode_names_the_labels_of_the_test_codes_nearest_the_mean(client: TestClient) -> None:
    """Where a drawing landed, in words (page pass 24): the labels of the 10 atlas codes nearest
    mu in the whole latent space, nearest first, counted here by brute force in float64."""
    from latent_explorer.model import load_checkpoint

    read_right = 0
    for model_id in (VAE, Z16):
        atlas = load_checkpoint(ROOT / "checkpoints" / f"{model_id}.safetensors").atlas
        codes, labels = atlas["mu"].double().numpy(), atlas["labels"].numpy()
        for label, digit in fixture_digits():
            body = client.post(
                f"/api/models/{model_id}/encode", json={"pixels": digit.tolist()}
            ).json()
            distance = ((codes - np.asarray(body["mu"], dtype=np.float64)) ** 2).sum(axis=1)
            order = np.argsort(distance, kind="stable")[:10]
            assert body["nearest_labels"] == labels[order].tolist()
            read_right += int(np.bincount(body["nearest_labels"]).argmax() == label)
    assert read_right >= 0.8 * 2 * len(list(fixture_digits()))  # real digits land among their own
    # A conditional model's codes are given their labels: their neighbours' labels say nothing.
    _, digit = next(iter(fixture_digits()))
    body = client.post(f"/api/models/{CVAE}/encode", json={"pixels": digit.tolist(), "label": 3})
    assert body.json()["nearest_labels"] is None
