"""The judge of label-conditioned samples: it learns, and its verdicts count what they should."""

from __future__ import annotations

from pathlib import Path

import torch

from latent_explorer.model.data import load_dataset, to_unit
from latent_explorer.model.evaluation.judge import (
    conditional_sample_accuracy,
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


def test_judge_is_fixed_by_its_seed(tiny_data_dir: Path) -> None:
    data = load_dataset("mnist", tiny_data_dir)
    a = train_judge(data, torch.device("cpu"), epochs=1)
    b = train_judge(data, torch.device("cpu"), epochs=1)
    for (_, va), (_, vb) in zip(a.state_dict().items(), b.state_dict().items(), strict=True):
        assert torch.equal(va, vb)
