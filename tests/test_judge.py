"""The judge of label-conditioned samples: it learns, and its verdicts count what they should."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch

from latent_explorer.model.data import load_dataset, to_unit
from latent_explorer.model.evaluation.judge import (
    conditional_sample_accuracy,
    judge_reference_accuracy,
    judge_test_error,
    train_judge,
)


def _prototypes(data) -> torch.Tensor:
    """The mean training image of each class, as logits (a perfect 'decoder' of labels)."""
    gray = to_unit(data.train_images).reshape(len(data.train_images), -1)
    means = torch.stack([gray[data.train_labels == c].mean(0) for c in range(10)])
    return torch.logit(means.clamp(1e-3, 1 - 1e-3))


def test_judge_learns_and_counts(tiny_data_dir: Path) -> None:
    data = load_dataset("mnist", tiny_data_dir)
    judge = train_judge(data, torch.device("cpu"), epochs=3)
    assert judge_test_error(judge, data, torch.device("cpu")) < 0.1
    protos = _prototypes(data)

    def right(z, y):
        return protos[y]

    def shifted(z, y):
        return protos[(y + 1) % 10]

    good = conditional_sample_accuracy(right, 2, 10, judge, torch.device("cpu"))
    bad = conditional_sample_accuracy(shifted, 2, 10, judge, torch.device("cpu"))
    assert good["conditional_sample_accuracy"] == 1.0
    assert bad["conditional_sample_accuracy"] == 0.0
    assert len(good["sample_accuracy_per_class"]) == 10
    # A larger draw counts per label too: shares of 1/7 show that 7 were drawn for each label.
    seen = []

    def one_right(z, y):
        seen.append(len(z))
        first = (torch.arange(len(y)) % 7 == 0)[:, None]
        return torch.where(first, protos[y], protos[(y + 1) % 10])

    odd = conditional_sample_accuracy(one_right, 2, 10, judge, torch.device("cpu"), per_label=7)
    assert seen == [70]
    assert odd["sample_accuracy_per_class"] == [round(1 / 7, 3)] * 10


def test_judge_is_fixed_by_its_seed(tiny_data_dir: Path) -> None:
    data = load_dataset("mnist", tiny_data_dir)
    # The caller's RNG differs between the two: the weights and the dropout masks must not.
    torch.manual_seed(1)
    a = train_judge(data, torch.device("cpu"), epochs=1)
    torch.manual_seed(2)
    b = train_judge(data, torch.device("cpu"), epochs=1)
    for (_, va), (_, vb) in zip(a.state_dict().items(), b.state_dict().items(), strict=True):
        assert torch.equal(va, vb)


class _PrototypeModel:
    """A stand-in conditional model: the code of an image is its label (read from the label given
    to the encoder), and the decoder shows the mean training image of the class the code names,
    shifted by `shift`. A reference that fed the encoder the wrong label, or decoded anything but
    the code, would read these wrong."""

    def __init__(self, protos: torch.Tensor, shift: int) -> None:
        self.protos, self.shift = protos, shift

    def encode(self, x: torch.Tensor, y: torch.Tensor) -> tuple[torch.Tensor, None]:
        return torch.stack([y.float(), torch.zeros(len(y))], 1), None

    def decode(self, z: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        return self.protos[(z[:, 0].round().long() + self.shift) % 10]


def test_judge_reference_accuracy_reads_real_images_and_reconstructions(
    tiny_data_dir: Path,
) -> None:
    data = load_dataset("mnist", tiny_data_dir)
    judge = train_judge(data, torch.device("cpu"), epochs=3)
    protos = _prototypes(data)
    good = judge_reference_accuracy(_PrototypeModel(protos, 0), judge, data, torch.device("cpu"))
    bad = judge_reference_accuracy(_PrototypeModel(protos, 1), judge, data, torch.device("cpu"))
    assert good["reconstruction_judged_accuracy"] == 1.0
    assert bad["reconstruction_judged_accuracy"] == 0.0
    assert bad["reconstruction_judged_accuracy_per_class"] == [0.0] * 10
    # The per-class reading of real images agrees with the judge's own test error.
    per_class = torch.tensor(good["judge_test_accuracy_per_class"])
    counts = torch.bincount(data.test_labels, minlength=10).float()
    real = (per_class * counts).sum() / counts.sum()
    expected = 1 - judge_test_error(judge, data, torch.device("cpu"))
    assert real.item() == pytest.approx(expected, abs=2e-3)
