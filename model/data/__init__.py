"""Data: MNIST-style IDX files kept in memory, binarization, and the safe MNIST fetch."""

from .datasets import (
    CLASS_NAMES,
    DEFAULT_DIRS,
    FASHION_CLASSES,
    MNIST_CLASSES,
    SPLIT_FILES,
    TEST_BINARIZATION_SEED,
    IdxError,
    ImageDataset,
    binarize,
    binarize_test_set,
    find_idx,
    load_dataset,
    read_idx,
    to_unit,
    write_idx,
)

__all__ = [
    "CLASS_NAMES",
    "DEFAULT_DIRS",
    "FASHION_CLASSES",
    "IdxError",
    "MNIST_CLASSES",
    "SPLIT_FILES",
    "TEST_BINARIZATION_SEED",
    "find_idx",
    "ImageDataset",
    "binarize",
    "binarize_test_set",
    "load_dataset",
    "read_idx",
    "to_unit",
    "write_idx",
]
