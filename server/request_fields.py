"""The parts request bodies are made of: field types, their checks and their words in /docs.
The bodies themselves, whose limits are settings, are built in request_schemas.py."""

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from .array_checks import FLOAT_MAX, MAX_LISTED, few_bad, int_in, number_in
from .errors import quote
from .unions import by_shape

Label = Annotated[int, Field(strict=True, ge=0, le=1000)]
Pixel = Annotated[float, Field(strict=True, allow_inf_nan=False, ge=0.0, le=1.0)]
Bit = Annotated[int, Field(strict=True, ge=0, le=1)]
MAX_LATENT_DIM = 4096  # the longest z an interpolation end takes
# The longest row of a /decode batch: 1,024 rows of 4,096 values, each checked before the model's
# length refused them, cost 0.53-0.58 s of CPU (review 17); 256 is 4 times the widest latent
# served here (64); 1,024 such rows are refused in 0.09-0.10 s (a TestClient round trip, three
# tries).
MAX_DECODE_DIM = 256
Seed = Annotated[int, Field(strict=True, ge=0, le=2**63 - 1)]  # what torch's manual_seed takes
Z_EXAMPLE = [[0.5, -1.2], [0.0, 0.0]]
PIXELS_DOC = "28x28 nested or flat 784 floats in [0, 1], white digit on black, MNIST-formatted"


def check_pixels(value: list, name: str = "pixels") -> list:
    """28 rows of 28, or 784 flat. `name` is the field the message names (a mask is checked by the
    same rule). Run on the raw list too, before its values are validated (hostile pass 10): a
    row that is not a list is left to the values' check."""
    if value and isinstance(value[0], list):
        if len(value) != 28 or any(isinstance(row, list) and len(row) != 28 for row in value):
            raise ValueError(f"{name} must be 28 rows of 28 values, or 784 values")
    elif len(value) != 784:
        raise ValueError(f"{name} must be 28 rows of 28 values, or 784 values (got {len(value)})")
    return value


Pixels = Annotated[
    by_shape(rows=list[list[Pixel]], flat=list[Pixel]),
    few_bad(number_in(0.0, 1.0), "numbers in [0, 1]", size=check_pixels),
]


# What each output is, and how exact (API pass: the rounding was said nowhere, and a
# log-likelihood computed from probs met pixels of exactly 0).
# No logits: a visible pixel is kept as sent, and one of 0 or 1 has none (an infinite one).
CompleteOutput = Literal["png", "probs"]
COMPLETE_OUTPUT_DOC = (
    "png: each completion a data URL of an 8-bit gray 28x28 PNG; probs: 28x28 pixel means in "
    "[0, 1] rounded to 6 decimals, the visible pixels as sent (no logits: a visible 0 or 1 has "
    "none)"
)
OUTPUT_DOC = (
    "png: each image a data URL of an 8-bit gray 28x28 PNG; probs: 28x28 pixel means in [0, 1] "
    "(Bernoulli; PCA's Gaussian mean clamped to [1e-4, 1 - 1e-4]), rounded to 6 decimals, so "
    "compute log-likelihoods from logits; logits: 28x28 values before the sigmoid, rounded to 5 "
    "decimals"
)


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")

    @model_validator(mode="before")
    @classmethod
    def few_unknown_fields(cls, data: object) -> object:
        """Past MAX_LISTED unknown keys, one error: pydantic made one per key (350k keys: 3.5 s
        and +350 MB before the handler kept 20; hostile pass 5)."""
        if isinstance(data, dict) and len(data) > len(cls.model_fields) + MAX_LISTED:
            unknown = [k for k in data if k not in cls.model_fields]
            if len(unknown) > MAX_LISTED:
                fields = ", ".join(cls.model_fields)
                first = quote(unknown[0])
                raise ValueError(
                    f"{len(unknown)} unknown fields, the first {first}; the fields are {fields}"
                )
        return data


class QuadrantsMask(Strict):
    quadrants: list[Annotated[int, Field(strict=True, ge=0, le=3)]] = Field(
        min_length=1,
        max_length=3,
        description="visible quadrants: 0 top-left, 1 top-right, 2 bottom-left, 3 bottom-right",
    )


def check_temperature_size(value: object) -> object:
    """An integer too large for a float is named as such, with the range: pydantic said "Input
    should be a valid number" (hostile pass 9; arrays say it in `few_bad`)."""
    if type(value) is int and abs(value) > FLOAT_MAX:
        raise ValueError(
            f"an integer too large for a number (over {FLOAT_MAX:.2g}); "
            "temperature must be over 0 and at most 10"
        )
    return value


def check_mask_shape(value: object) -> object:
    """A mask array is 28 rows of 28 or 784 flat: a ragged one is a 422, not a NumPy error."""
    if isinstance(value, list):
        check_pixels(value, "a mask array")
    return value


def check_mask_form(value: object) -> object:
    """A mask is a name, an object or an array: anything else (null, 5) was checked as the flat
    array and got "Input should be a valid list", which hid the other two forms."""
    if not isinstance(value, str | dict | list):
        raise ValueError(
            'mask must be a region name (e.g. "left-half"), {"quadrants": [...]}, '
            "or a 28x28 / 784 array of 0/1"
        )
    return value


MaskSpec = Annotated[
    by_shape(name=str, object=QuadrantsMask, rows=list[list[Bit]], flat=list[Bit]),
    # "the integers": 1.0 and true equal 1 but are refused, and "not 0 or 1" hid why (hostile
    # pass 10).
    few_bad(
        int_in(0, 1),
        "the integers 0 or 1",
        size=lambda value: check_pixels(value, "a mask array"),
    ),
]
