"""M2: the unlabelled bound is the sum over labels, the labelled subset is fixed by its seed, the
classifier gives distributions, and the API reports q(y|x) and infers the label."""

from __future__ import annotations

import json
import math
import shutil
from pathlib import Path

import numpy as np
import pytest
import torch
from fastapi.testclient import TestClient
from torch.distributions import Normal, kl_divergence

from latent_explorer.model import (
    M2,
    M2Config,
    VAEConfig,
    build_model,
    load_checkpoint,
    save_checkpoint,
)
from latent_explorer.model.data import binarize
from latent_explorer.model.m2 import choose_labelled, labelled_bound, m2_loss, unlabelled_bound
from latent_explorer.server import Settings, create_app
from latent_explorer.server.fast_decode import numpy_decoder
from tests.api_helpers import fixture_digits
from tests.conftest import ROOT


def small_m2(latent_dim: int = 2) -> M2:
    m1 = VAEConfig(latent_dim=6, hidden=(32,))
    return M2(M2Config(latent_dim=latent_dim, hidden=(24,), m1=json.loads(m1.to_json())))


def test_unlabelled_bound_is_the_sum_over_labels(monkeypatch: pytest.MonkeyPatch) -> None:
    model = small_m2().eval()
    monkeypatch.setattr(model, "reparameterize", lambda mu, logvar: mu)  # deterministic
    z1 = torch.randn(5, 6)
    log_q = torch.log_softmax(model.classify_features(z1), dim=1)
    explicit = torch.zeros(5)
    for y in range(10):
        bound = labelled_bound(model, z1, torch.full((5,), y))
        explicit += log_q[:, y].exp() * (bound + log_q[:, y])  # q L + q log q
    torch.testing.assert_close(unlabelled_bound(model, z1), explicit)


def test_labelled_bound_includes_log_prior_of_y(monkeypatch: pytest.MonkeyPatch) -> None:
    model = small_m2().eval()
    monkeypatch.setattr(model, "reparameterize", lambda mu, logvar: mu)
    z1, y = torch.randn(3, 6), torch.tensor([1, 4, 9])
    mu, logvar = model.encode_features(z1, y)
    mean, out_logvar = model.decode_features(mu, y)
    # References from torch.distributions, not the formulas the code writes out.
    nll = -Normal(mean, (0.5 * out_logvar).exp()).log_prob(z1).sum(1)
    kl = kl_divergence(Normal(mu, (0.5 * logvar).exp()), Normal(0.0, 1.0)).sum(1)
    torch.testing.assert_close(labelled_bound(model, z1, y), nll + kl + math.log(10))


def test_loss_terms_and_gradients() -> None:
    model = small_m2()
    terms = m2_loss(model, torch.randn(10, 6), torch.arange(10), torch.randn(7, 6), alpha=10.0)
    expected = terms["unlabelled"] + terms["labelled"] + 10.0 * terms["ce"]
    torch.testing.assert_close(terms["loss"], expected)
    terms["loss"].backward()
    assert model.classifier[0].weight.grad is not None


def test_training_leaves_m1_as_it_was(tmp_path: Path, tiny_data_dir: Path) -> None:
    """The M2 carries the M1 it was given, unchanged: loaded, frozen and saved (the loss never
    reaches M1, so the old check of its gradient could not fail; a trainer that left M1 at its
    initial weights, or stepped it, fails this one)."""
    from latent_explorer.cli import build_parser
    from latent_explorer.model.training.m2 import train_m2

    m1 = tmp_path / "m1.safetensors"
    save_checkpoint(build_model(VAEConfig(latent_dim=4, hidden=(16,))), m1)
    out = tmp_path / "m2.safetensors"
    argv = ["train-m2", "--m1", str(m1), "--data-dir", str(tiny_data_dir), "--device", "cpu"]
    argv += ["--quiet", "--epochs", "1", "--hidden", "16", "--out", str(out)]
    train_m2(build_parser().parse_args(argv))
    before, after = load_checkpoint(m1).state_dict(), load_checkpoint(out).m1.state_dict()
    assert before.keys() == after.keys()
    assert all(torch.equal(before[k], after[k]) for k in before)


def test_labelled_subset_is_fixed_by_its_seed() -> None:
    labels = torch.arange(10).repeat(50)[torch.randperm(500)]
    a, b = choose_labelled(labels, 3, seed=5), choose_labelled(labels, 3, seed=5)
    assert torch.equal(a, b) and len(a) == 30
    assert torch.bincount(labels[a], minlength=10).tolist() == [3] * 10
    assert not torch.equal(a, choose_labelled(labels, 3, seed=6))


def test_classifier_gives_distributions_and_decode_needs_labels() -> None:
    model = small_m2().eval()
    probs = model.classify(torch.rand(4, 1, 28, 28))
    assert probs.shape == (4, 10) and torch.all(probs >= 0)
    torch.testing.assert_close(probs.sum(1), torch.ones(4))
    mu, logvar = model.encode(torch.rand(4, 784))  # label inferred
    assert mu.shape == (4, 2) and logvar.shape == (4, 2)
    assert model.decode(mu, torch.tensor([0, 1, 2, 3])).shape == (4, 1, 28, 28)
    with pytest.raises(ValueError, match="needs labels"):
        model.decode(mu)
    assert numpy_decoder(model) is None  # its decoder gives features, not pixels


def test_checkpoint_round_trip(tmp_path: Path) -> None:
    model = small_m2(3)
    model.metadata = {"labelled_indices": [1, 2, 3], "dataset": "mnist"}
    save_checkpoint(model, tmp_path / "m2.safetensors")
    loaded = load_checkpoint(tmp_path / "m2.safetensors")
    assert loaded.config == model.config and loaded.metadata["labelled_indices"] == [1, 2, 3]
    x = torch.rand(2, 784)
    torch.testing.assert_close(loaded.classify(x), model.eval().classify(x))


@pytest.fixture(scope="module")
def client(tmp_path_factory: pytest.TempPathFactory):
    folder = tmp_path_factory.mktemp("ckpt")
    shutil.copy(ROOT / "checkpoints" / "vae-mnist-z2.safetensors", folder)
    model = small_m2()
    model.m1 = build_model(model.config.m1_config())
    model.metadata = {
        "dataset": "mnist",
        "class_names": [str(d) for d in range(10)],
        "labelled_indices": list(range(100)),
        "metrics": {"test_error": 0.25},
    }
    model.atlas = {"mu": torch.randn(50, 2), "labels": torch.arange(50, dtype=torch.uint8) % 10}
    save_checkpoint(model, folder / "m2-test.safetensors")
    with TestClient(create_app(Settings(checkpoints=folder, device="cpu"))) as c:
        yield c


def test_api_describes_m2(client: TestClient) -> None:
    info = client.get("/api/models/m2-test").json()
    assert info["kind"] == "m2" and info["num_classes"] == 10
    assert info["headline_metric"]["name"] == "test_error" and "25.00%" in info["description"]


def test_encode_reports_label_probs_and_infers_the_label(client: TestClient) -> None:
    _, digit = fixture_digits()[0]
    body = client.post("/api/models/m2-test/encode", json={"pixels": digit.tolist()}).json()
    probs = np.array(body["label_probs"])
    assert probs.shape == (10,) and abs(probs.sum() - 1) < 1e-4
    assert body["label"] == int(probs.argmax())
    given = client.post("/api/models/m2-test/encode", json={"pixels": digit.tolist(), "label": 3})
    assert given.json()["label"] == 3 and given.json()["label_probs"] == body["label_probs"]
    other = client.post("/api/models/vae-mnist-z2/encode", json={"pixels": digit.tolist()}).json()
    assert other["label_probs"] is None and other["label"] is None


def test_m2_decode_generate_grid_take_labels(client: TestClient) -> None:
    r = client.post("/api/models/m2-test/decode", json={"z": [[0, 0]], "labels": [4]})
    assert r.status_code == 200
    assert client.post("/api/models/m2-test/decode", json={"z": [[0, 0]]}).status_code == 422
    gen = client.post("/api/models/m2-test/generate", json={"n": 3, "label": 2}).json()
    assert gen["labels"] == [2, 2, 2]
    assert client.get("/api/models/m2-test/grid.png?n=3&label=1").status_code == 200
    assert client.get("/api/models/m2-test/decode.png?z=0,0&label=5").status_code == 200


def test_shared_feature_variance(tmp_path: Path) -> None:
    m1 = VAEConfig(latent_dim=6, hidden=(32,))
    config = M2Config(
        latent_dim=2, hidden=(24,), feature_variance="shared", m1=json.loads(m1.to_json())
    )
    model = M2(config)
    y = torch.tensor([0, 5])
    _, logvar = model.decode_features(torch.randn(2, 2), y)
    # One variance per feature, the same for every input.
    assert torch.equal(logvar[0], logvar[1]) and logvar.shape == (2, 6)
    save_checkpoint(model, tmp_path / "s.safetensors")
    assert load_checkpoint(tmp_path / "s.safetensors").config.feature_variance == "shared"
    with pytest.raises(ValueError, match="feature_variance"):
        M2Config(m1=json.loads(m1.to_json()), feature_variance="sometimes")


def test_confusion_matrix_and_per_class_error() -> None:
    from latent_explorer.model.evaluation.m2 import (
        classification_error,
        confusion_matrix,
        per_class_error,
    )

    model = small_m2().eval()
    images = torch.rand(300, 784)
    labels = torch.randint(0, 10, (300,))
    confusion = confusion_matrix(model, images, labels)
    with torch.no_grad():
        pred = model.classify(images).argmax(1)
    reference = torch.zeros(10, 10, dtype=torch.long)
    for t, p in zip(labels.tolist(), pred.tolist(), strict=True):
        reference[t, p] += 1
    assert torch.equal(confusion, reference)
    errors = per_class_error(confusion)
    for c in range(10):
        in_class = labels == c
        if in_class.any():
            assert errors[c] == pytest.approx((pred[in_class] != c).float().mean().item())
    wrong = (confusion.sum() - confusion.trace()).item() / len(labels)
    assert classification_error(model, images, labels) == pytest.approx(wrong)


def test_validation_split_keeps_the_test_set_out(tmp_path: Path, tiny_data_dir: Path) -> None:
    from latent_explorer.cli import build_parser
    from latent_explorer.model.training.m2 import train_m2
    from latent_explorer.model.training.vae import train

    def parse(*argv: str):
        return build_parser().parse_args(list(argv))

    common = ("--data-dir", str(tiny_data_dir), "--device", "cpu")
    m1 = train(
        parse("train", *common, "--hidden", "16", "--latent-dim", "4", "--epochs", "1", "--quiet",
              "--out", str(tmp_path / "m1.safetensors"))
    )  # fmt: skip
    first = train_m2(
        parse("train-m2", "--m1", str(m1), *common, "--labels-per-class", "2", "--epochs", "1",
              "--hidden", "16", "--quiet", "--out", str(tmp_path / "a.safetensors"))
    )  # fmt: skip
    # An M2 checkpoint serves as --m1 (its M1 travels inside), here with 100 images held out.
    second = load_checkpoint(
        train_m2(
            parse(
                "train-m2",
                "--m1",
                str(first),
                *common,
                "--labels-per-class",
                "2",
                "--epochs",
                "2",
                "--hidden",
                "16",
                "--quiet",
                "--validation",
                "100",
                "--out",
                str(tmp_path / "b.safetensors"),
            )
        )  # fmt: skip
    )
    md = second.metadata
    assert md["validation_images"] == 100 and set(md["metrics"]) == {"validation_error"}
    assert all("validation_error" in h and "test_error" not in h for h in md["history"])
    assert max(md["labelled_indices"]) < 512 - 100 and len(md["labelled_indices"]) == 20
    first_m1 = load_checkpoint(first).m1.state_dict()
    for key, value in second.m1.state_dict().items():
        assert torch.equal(value, first_m1[key])


def test_binarized_features_are_drawn_from_fresh_binary_images(
    tmp_path: Path, tiny_data_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """--binarize-features: every step's z1 comes from q(z1|x) at a new binarization of x."""
    from latent_explorer.cli import build_parser
    from latent_explorer.model.training import m2 as m2_training
    from latent_explorer.model.training.vae import train

    seen: list[torch.Tensor] = []  # what binarize gave
    fed: list[torch.Tensor] = []  # what M1's encoder was given, through M2.features
    features = M2.features

    def recording_binarize(images: torch.Tensor) -> torch.Tensor:
        out = binarize(images)
        seen.append(out)
        return out

    def recording_features(self: M2, x: torch.Tensor):
        fed.append(x)
        return features(self, x)

    monkeypatch.setattr(m2_training, "binarize", recording_binarize)
    monkeypatch.setattr(M2, "features", recording_features)
    common = ("--data-dir", str(tiny_data_dir), "--device", "cpu", "--quiet")
    argv = ["train", *common, "--hidden", "16", "--latent-dim", "4", "--epochs", "1"]
    m1 = train(build_parser().parse_args([*argv, "--out", str(tmp_path / "m1.safetensors")]))
    out = m2_training.train_m2(
        build_parser().parse_args(
            [
                "train-m2",
                "--m1",
                str(m1),
                *common,
                "--labels-per-class",
                "2",
                "--hidden",
                "16",
                "--epochs",
                "1",
                "--binarize-features",
                "--out",
                str(tmp_path / "b.safetensors"),
            ]
        )
    )
    assert load_checkpoint(out).metadata["binarized_features"] is True
    # 512 training images in batches of 200: 3 steps, each binarizing its unlabelled batch and
    # the 20 labelled images afresh, and M1's encoder reads exactly those binary batches.
    assert [len(b) for b in seen] == [200, 20, 200, 20, 112, 20]
    assert all(any(b is x for x in fed) for b in seen)
    labelled = seen[1::2]
    assert not torch.equal(labelled[0], labelled[1]) and not torch.equal(labelled[1], labelled[2])


def test_binarized_features_need_an_m1_trained_on_binary_images(
    tmp_path: Path, tiny_data_dir: Path
) -> None:
    from latent_explorer.cli import build_parser
    from latent_explorer.model.training.m2 import train_m2

    m1 = tmp_path / "gaussian-m1.safetensors"
    save_checkpoint(build_model(VAEConfig(latent_dim=4, hidden=(16,), likelihood="gaussian")), m1)
    argv = ["train-m2", "--m1", str(m1), "--data-dir", str(tiny_data_dir), "--device", "cpu"]
    argv += ["--quiet", "--binarize-features", "--out", str(tmp_path / "m2.safetensors")]
    with pytest.raises(SystemExit, match="binarized images"):
        train_m2(build_parser().parse_args(argv))
    assert not (tmp_path / "m2.safetensors").exists()


def test_an_m2_given_as_m1_lends_its_own_m1(tmp_path: Path, tiny_data_dir: Path) -> None:
    """A stacked model (it declares so) carries the M1 it reads: a new M2 is trained on it."""
    from latent_explorer.cli import build_parser
    from latent_explorer.model.training.m2 import train_m2

    shipped = ROOT / "checkpoints" / "m2-mnist-100.safetensors"
    out = tmp_path / "m2.safetensors"
    argv = ["train-m2", "--m1", str(shipped), "--data-dir", str(tiny_data_dir), "--device", "cpu"]
    argv += ["--quiet", "--epochs", "1", "--hidden", "16", "--out", str(out)]
    train_m2(build_parser().parse_args(argv))
    before, after = load_checkpoint(shipped).m1.state_dict(), load_checkpoint(out).m1.state_dict()
    assert all(torch.equal(before[k], after[k]) for k in before)


def test_the_stacks_negative_elbo_against_torch_distributions() -> None:
    """The shipped M2's test −ELBO comes from stacked_negative_elbo, which no test touched
    (review 14). Its pieces, from torch.distributions with the same draw of z1: the M1
    decoder's Bernoulli NLL, the M2's bound on −log p(z1), less q(z1|x)'s entropy."""
    from torch.distributions import Bernoulli

    from latent_explorer.model.evaluation.m2 import stacked_negative_elbo

    model = small_m2().eval()
    torch.manual_seed(3)
    x = (torch.rand(7, 784) < 0.3).float()
    torch.manual_seed(11)
    got = stacked_negative_elbo(model, x)
    torch.manual_seed(11)
    with torch.no_grad():
        mu, logvar = model.features(x)
        q = Normal(mu, (0.5 * logvar).exp())
        z1 = model.reparameterize(mu, logvar)
        nll = -Bernoulli(logits=model.m1.decode(z1).reshape(7, 784)).log_prob(x).sum(1)
        expected = (nll + unlabelled_bound(model, z1) - q.entropy().sum(1)).mean().item()
    assert got == pytest.approx(expected, rel=1e-5)
