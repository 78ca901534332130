"""IDX reading and writing, data set loading, and binarization."""

import gzip
import struct
from pathlib import Path

import numpy as np
import pytest
import torch

from latent_explorer.model.data import (
    IdxError,
    binarize,
    binarize_test_set,
    load_dataset,
    read_idx,
    write_idx,
)


def test_idx_round_trip_raw_and_gz(tmp_path: Path) -> None:
    array = np.arange(2 * 3 * 4, dtype=np.uint8).reshape(2, 3, 4)
    for name in ("a-idx3-ubyte", "a-idx3-ubyte.gz"):
        write_idx(tmp_path / name, array)
        assert np.array_equal(read_idx(tmp_path / name), array)


def test_idx_reader_on_handwritten_bytes(tmp_path: Path) -> None:
    # The header LeCun's page describes: 0x00000801, then the count, then the bytes.
    (tmp_path / "labels").write_bytes(struct.pack(">II", 0x801, 3) + bytes([7, 2, 1]))
    assert read_idx(tmp_path / "labels").tolist() == [7, 2, 1]
    (tmp_path / "img.gz").write_bytes(
        gzip.compress(struct.pack(">IIII", 0x803, 1, 2, 2) + bytes(4))
    )
    assert read_idx(tmp_path / "img.gz").shape == (1, 2, 2)


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"\x01\x02\x08\x01", "magic"),
        (struct.pack(">II", 0x0D01, 1) + bytes(4), "uint8"),
        (struct.pack(">II", 0x801, 5) + bytes(3), "header says"),
        (b"\x00\x00\x08\x03\x00", "truncated header"),
    ],
)
def test_idx_reader_refuses_bad_files(tmp_path: Path, data: bytes, message: str) -> None:
    (tmp_path / "bad").write_bytes(data)
    with pytest.raises(IdxError, match=message):
        read_idx(tmp_path / "bad")


def test_load_dataset(tiny_data_dir: Path) -> None:
    data = load_dataset("mnist", tiny_data_dir)
    assert data.train_images.shape == (512, 28, 28) and data.train_images.dtype == torch.uint8
    assert data.test_labels.shape == (128,) and data.test_labels.dtype == torch.int64
    fashion = load_dataset("fashion-mnist", tiny_data_dir)
    assert fashion.class_names[9] == "Ankle boot"


def test_missing_folder_says_what_to_do(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError, match="fetch-data"):
        load_dataset("mnist", tmp_path / "absent")


def test_binarize_probability_is_intensity() -> None:
    images = torch.tensor([0, 64, 191, 255], dtype=torch.uint8).repeat(20000, 1)
    means = binarize(images).mean(0).squeeze()
    torch.testing.assert_close(means, torch.tensor([0, 64, 191, 255]) / 255.0, atol=0.015, rtol=0)
    assert set(binarize(images).unique().tolist()) == {0.0, 1.0}


def test_dynamic_binarization_differs_per_call_but_test_set_is_fixed() -> None:
    images = torch.full((4, 28, 28), 128, dtype=torch.uint8)
    assert not torch.equal(binarize(images), binarize(images))
    assert torch.equal(binarize_test_set(images), binarize_test_set(images))
