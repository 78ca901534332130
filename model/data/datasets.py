"""MNIST-style data sets from IDX files, kept in memory as uint8 tensors, and binarization.

The IDX format (LeCun's MNIST page): a big-endian header of two zero bytes, a type code (0x08 for
uint8), the number of dimensions, one uint32 per dimension, then the raw array.
"""

from __future__ import annotations

import gzip
import struct
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
from torch import Tensor

UINT8_CODE = 0x08
MNIST_CLASSES = tuple(str(d) for d in range(10))
FASHION_CLASSES = (
    "T-shirt/top",
    "Trouser",
    "Pullover",
    "Dress",
    "Coat",
    "Sandal",
    "Shirt",
    "Sneaker",
    "Bag",
    "Ankle boot",
)
# How each class is named in a sentence ("encoded as an 8", "sample 1 of trousers"): a class
# name is a label, not always a noun that takes "a" (page pass 14: "a Trouser").
MNIST_PHRASES = tuple(f"an {d}" if d == 8 else f"a {d}" for d in range(10))
FASHION_PHRASES = (
    "a T-shirt or top",
    "trousers",
    "a pullover",
    "a dress",
    "a coat",
    "a sandal",
    "a shirt",
    "a sneaker",
    "a bag",
    "an ankle boot",
)
SPLIT_FILES = {
    "train": ("train-images-idx3-ubyte", "train-labels-idx1-ubyte"),
    "test": ("t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"),
}
DEFAULT_DIRS = {
    "mnist": Path("data/mnist"),
    # Where Debian's dataset-fashion-mnist package installs its IDX files.
    "fashion-mnist": Path("/usr/share/datasets/fashion-mnist"),
}
CLASS_NAMES = {"mnist": MNIST_CLASSES, "fashion-mnist": FASHION_CLASSES}


@dataclass(frozen=True)
class DatasetInfo:
    """What the page needs to know about a data set; the page never switches on its name."""

    title: str  # as people write it: "Fashion-MNIST"
    item: str  # what one image shows, the page's noun: "digit", "item"
    items: str  # its plural, spelled out (not every noun takes an "s"): "digits", "items"
    class_names: tuple[str, ...]
    class_phrases: tuple[str, ...]  # each class as a sentence names it
    # "mnist-digit": a pen drawing fits after MNIST's preprocessing (crop, 20x20 box, centre of
    # mass). None: hand drawings do not look like the data (photos of clothes fill the frame).
    drawing: str | None


DATASETS = {
    "mnist": DatasetInfo("MNIST", "digit", "digits", MNIST_CLASSES, MNIST_PHRASES, "mnist-digit"),
    "fashion-mnist": DatasetInfo(
        "Fashion-MNIST", "item", "items", FASHION_CLASSES, FASHION_PHRASES, None
    ),
}


def describe_dataset(name: str, class_names: list[str] | None = None) -> dict[str, object]:
    """A data set as /api/models gives it. A checkpoint's own class names win; an unknown data
    set is described as a plain one: its name as title, "image(s)" as noun, no drawing. The
    phrases are the data set's only for its own class names (else null: the page says the name
    with an article)."""
    info = DATASETS.get(name) or DatasetInfo(name, "image", "images", (), (), None)
    names = list(class_names or info.class_names)
    own = bool(names) and names == list(info.class_names) and len(info.class_phrases) == len(names)
    return {
        "name": name,
        "title": info.title,
        "item": info.item,
        "items": info.items,
        "class_names": names,
        "class_phrases": list(info.class_phrases) if own else None,
        "drawing": info.drawing,
    }


# Evaluation binarizes the test set once, always with this seed, so numbers compare across runs.
TEST_BINARIZATION_SEED = 0


class IdxError(ValueError):
    """An IDX file that is not what its header or size says."""


@dataclass(frozen=True)
class ImageDataset:
    """Images as uint8 (N, 28, 28) and labels as int64 (N,), for train and test."""

    name: str
    train_images: Tensor
    train_labels: Tensor
    test_images: Tensor
    test_labels: Tensor
    class_names: tuple[str, ...]


def _open(path: Path) -> bytes:
    data = path.read_bytes()
    return gzip.decompress(data) if path.suffix == ".gz" else data


def read_idx(path: str | Path) -> np.ndarray:
    """Read a uint8 IDX file (raw or .gz) into a numpy array of the shape its header gives."""
    path = Path(path)
    data = _open(path)
    if len(data) < 4 or data[0] != 0 or data[1] != 0:
        raise IdxError(f"{path}: not an IDX file (bad magic number)")
    type_code, ndim = data[2], data[3]
    if type_code != UINT8_CODE:
        raise IdxError(f"{path}: only uint8 IDX files are supported (type code {type_code:#x})")
    header_end = 4 + 4 * ndim
    if len(data) < header_end:
        raise IdxError(f"{path}: truncated header")
    shape = struct.unpack(f">{ndim}I", data[4:header_end])
    expected = int(np.prod(shape)) if shape else 1
    if len(data) - header_end != expected:
        raise IdxError(
            f"{path}: header says {shape} ({expected} bytes) but {len(data) - header_end} follow"
        )
    return np.frombuffer(data, dtype=np.uint8, offset=header_end).reshape(shape).copy()


def write_idx(path: str | Path, array: np.ndarray) -> None:
    """Write a uint8 array as an IDX file (gzip-compressed when the name ends in .gz)."""
    path = Path(path)
    array = np.ascontiguousarray(array, dtype=np.uint8)
    header = bytes([0, 0, UINT8_CODE, array.ndim]) + struct.pack(f">{array.ndim}I", *array.shape)
    data = header + array.tobytes()
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_bytes(gzip.compress(data) if path.suffix == ".gz" else data)
    tmp.replace(path)


def find_idx(data_dir: Path, stem: str) -> Path:
    """The IDX file for a standard name, raw or gzipped."""
    for candidate in (data_dir / stem, data_dir / f"{stem}.gz"):
        if candidate.exists():
            return candidate
    raise FileNotFoundError(f"{data_dir}: no {stem} or {stem}.gz")


def load_dataset(name: str = "mnist", data_dir: str | Path | None = None) -> ImageDataset:
    """Load a data set's standard train/test IDX files from `data_dir` into memory."""
    if name not in CLASS_NAMES:
        raise ValueError(f"unknown dataset {name!r}; known: {sorted(CLASS_NAMES)}")
    root = Path(data_dir) if data_dir is not None else DEFAULT_DIRS[name]
    if not root.is_dir():
        hint = {
            "mnist": "run `latent-explorer fetch-data` first",
            "fashion-mnist": "install Debian's dataset-fashion-mnist or pass --data-dir",
        }[name]
        raise FileNotFoundError(f"{root}: no such data folder ({hint})")
    arrays = {}
    for split, (images_stem, labels_stem) in SPLIT_FILES.items():
        images = read_idx(find_idx(root, images_stem))
        labels = read_idx(find_idx(root, labels_stem))
        if images.ndim != 3 or images.shape[1:] != (28, 28):
            raise IdxError(f"{root}/{images_stem}: expected (N, 28, 28) images, got {images.shape}")
        if labels.shape != (images.shape[0],):
            raise IdxError(
                f"{root}/{labels_stem}: {labels.shape[0]} labels for {len(images)} images"
            )
        arrays[split] = (torch.from_numpy(images), torch.from_numpy(labels.astype(np.int64)))
    return ImageDataset(
        name=name,
        train_images=arrays["train"][0],
        train_labels=arrays["train"][1],
        test_images=arrays["test"][0],
        test_labels=arrays["test"][1],
        class_names=CLASS_NAMES[name],
    )


def to_unit(images: Tensor) -> Tensor:
    """uint8 (N, 28, 28) -> float (N, 1, 28, 28) in [0, 1]."""
    return images.to(torch.float32, copy=True).div_(255.0).unsqueeze(1)  # never the caller's tensor


def binarize(images: Tensor, generator: torch.Generator | None = None) -> Tensor:
    """Each pixel is 1 with probability equal to its intensity (dynamic binarization).

    Drawn afresh for every training batch, it acts as data augmentation and makes the Bernoulli
    likelihood a proper one (the data really are binary), as in Salakhutdinov & Murray (2008).
    """
    probs = images.float() / 255.0 if images.dtype == torch.uint8 else images.float()
    if probs.dim() == 3:
        probs = probs.unsqueeze(1)
    return torch.bernoulli(probs, generator=generator)


def binarize_test_set(images: Tensor) -> Tensor:
    """The test set binarized once with the fixed evaluation seed."""
    gen = torch.Generator().manual_seed(TEST_BINARIZATION_SEED)
    return binarize(images, generator=gen)
