"""Request bodies. Constraints live in the types, so bad input is a 422 naming the field before
any of our code runs; limits that depend on the model are checked in the routes.

The request bodies whose limits are settings (batch, frames, |z|, completions) are built by
`request_models(settings)`, so the schema, the OpenAPI document and the settings agree. Numbers
are strict: JSON `true` is not a 1, nor "3" a 3.
"""

from dataclasses import dataclass
from functools import lru_cache
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from .array_checks import at_most, few_bad, int_in, number_in
from .request_fields import (
    COMPLETE_OUTPUT_DOC,
    MAX_DECODE_DIM,
    MAX_LATENT_DIM,
    OUTPUT_DOC,
    PIXELS_DOC,
    Z_EXAMPLE,
    CompleteOutput,
    Label,
    MaskSpec,
    Pixels,
    Seed,
    Strict,
    check_mask_form,
    check_mask_shape,
    check_pixels,
    check_temperature_size,
)
from .schemas import Output
from .settings import Settings
from .text_numbers import TextInt
from .unions import one_of


@dataclass(frozen=True)
class RequestModels:
    """The request bodies for one set of limits."""

    decode: type[BaseModel]
    generate: type[BaseModel]
    encode: type[BaseModel]
    interpolate: type[BaseModel]
    complete: type[BaseModel]
    latent_point: type[BaseModel]
    complete_form: type[BaseModel]
    encode_form: type[BaseModel]


def request_models(settings: Settings) -> RequestModels:
    return _request_models(
        settings.max_batch, settings.max_steps, settings.max_abs_z, settings.max_completions
    )


@lru_cache(maxsize=8)
def _request_models(
    max_batch: int, max_steps: int, max_abs_z: float, max_completions: int
) -> RequestModels:
    # Cached: apps built with the same limits share classes (and OpenAPI component names).
    Latent = Annotated[float, Field(strict=True, allow_inf_nan=False, ge=-max_abs_z, le=max_abs_z)]
    in_range = number_in(-max_abs_z, max_abs_z)
    within = f"numbers within ±{max_abs_z:g}"

    class DecodeRequest(Strict):
        z: Annotated[
            list[list[Latent]],
            few_bad(in_range, within, rows=True, size=at_most(max_batch), row_max=MAX_DECODE_DIM),
        ] = Field(
            min_length=1,
            max_length=max_batch,
            description=f"latents, one row each (a row of at most {MAX_DECODE_DIM} values)",
        )
        labels: (
            Annotated[
                list[Label],
                few_bad(
                    int_in(0, 1000),
                    "labels in 0..1000",
                    rows=False,
                    size=at_most(max_batch, "Value"),
                ),
            ]
            | None
        ) = Field(None, max_length=max_batch, description="one label per z (conditional models)")
        output: Output = Field("png", description=OUTPUT_DOC)
        model_config = ConfigDict(
            extra="forbid",
            json_schema_extra={
                "examples": [
                    {"z": Z_EXAMPLE, "output": "png"},
                    {"z": [[0.0, 0.0]], "labels": [7], "output": "probs"},
                ]
            },
        )

    class GenerateRequest(Strict):
        n: int = Field(1, strict=True, ge=1, le=max_batch, description="how many samples")
        label: Label | None = Field(None, description="conditional models: null samples labels")
        temperature: float = Field(
            1.0, strict=True, gt=0.0, le=10.0, allow_inf_nan=False, description="prior std"
        )
        seed: Seed | None = Field(None, description="same seed, same samples")
        _temperature_size = field_validator("temperature", mode="before")(check_temperature_size)
        output: Output = Field("png", description=OUTPUT_DOC)
        model_config = ConfigDict(
            extra="forbid",
            json_schema_extra={
                "examples": [
                    {"n": 8, "seed": 42, "temperature": 1.0, "output": "png"},
                    {"n": 4, "label": 7},
                ]
            },
        )

    class EncodeRequest(Strict):
        pixels: Pixels = Field(description=PIXELS_DOC)
        label: Label | None = Field(None, description="required for a CVAE; optional for an M2")
        preprocess: Literal["none", "mnist"] = Field(
            "none",
            description="none: the pixels are MNIST-formatted already; mnist: crop, fit and "
            "centre them the way an uploaded picture is (a drawing downsampled to 28x28, say). "
            "An upload's default is mnist: a picture of any size, not the model's 28x28",
        )
        _shape = field_validator("pixels")(check_pixels)
        model_config = ConfigDict(
            extra="forbid",
            json_schema_extra={
                "examples": [{"pixels": [0.0] * 300 + [1.0] * 184 + [0.0] * 300, "label": None}]
            },
        )

    class EncodeForm(BaseModel):
        """The text fields of a multipart /encode (strings, read leniently)."""

        label: Annotated[TextInt, Field(ge=0, le=1000)] | None = None
        # "none": the picture as it is, shrunk to 28x28 (clothes fill their frame and are not
        # pen strokes: MNIST's crop-and-centre would cut them up).
        preprocess: Literal["mnist", "none"] = "mnist"

    class LatentPoint(Strict):
        z: Annotated[
            list[Latent], few_bad(in_range, within, rows=False, size=at_most(MAX_LATENT_DIM))
        ] = Field(min_length=1, max_length=MAX_LATENT_DIM)

    class PixelsPoint(Strict):
        pixels: Pixels = Field(description=PIXELS_DOC)
        _shape = field_validator("pixels")(check_pixels)

    # An end is pixels when it has them, else a latent (whose errors then name z).
    Point = one_of(
        {"z": LatentPoint, "pixels": PixelsPoint},
        lambda v: "pixels" if isinstance(v, dict) and "pixels" in v else "z",
    )

    class InterpolateRequest(Strict):
        start: Point = Field(description="a latent {z} or an image {pixels}")
        end: Point = Field(description="a latent {z} or an image {pixels}")
        steps: int = Field(8, strict=True, ge=2, le=max_steps)
        method: Literal["linear", "slerp"] = Field(
            "linear",
            description="slerp between opposite points follows the great circle through the "
            "latent axis least aligned with them (every such circle is as short)",
        )
        label: Label | None = None
        output: Output = Field("png", description=OUTPUT_DOC)
        model_config = ConfigDict(
            extra="forbid",
            json_schema_extra={
                "examples": [
                    {
                        "start": {"z": [-2.0, 0.0]},
                        "end": {"z": [2.0, 1.0]},
                        "steps": 8,
                        "method": "slerp",
                    }
                ]
            },
        )

    class CompleteRequest(Strict):
        pixels: Pixels = Field(
            description="the image, 28x28 nested or 784 flat in [0, 1], white on black; only the "
            "visible part is read"
        )
        mask: MaskSpec = Field(
            description="what is visible: a region name (top-half, bottom-half, "
            "left-half, right-half, top-left, top-right, bottom-left, "
            'bottom-right), {"quadrants": [...]}, or a 28x28 / 784 array of 0/1'
        )
        n: int = Field(8, strict=True, ge=1, le=max_completions, description="how many")
        seed: Seed | None = Field(None, description="same seed, same completions")
        output: CompleteOutput = Field("png", description=COMPLETE_OUTPUT_DOC)
        _shape = field_validator("pixels")(check_pixels)
        _mask_shape = field_validator("mask")(check_mask_shape)
        _mask_form = field_validator("mask", mode="before")(check_mask_form)
        model_config = ConfigDict(
            extra="forbid",
            json_schema_extra={
                "examples": [
                    {"pixels": [0.0] * 784, "mask": "left-half", "n": 8, "seed": 1},
                    {"pixels": [0.0] * 784, "mask": {"quadrants": [0, 1, 2]}, "n": 4},
                ]
            },
        )

    class CompleteForm(BaseModel):
        """The text fields of a multipart /complete (strings, read leniently)."""

        mask: str = Field(max_length=20000)
        n: Annotated[TextInt, Field(ge=1, le=max_completions)] = 8
        seed: Annotated[TextInt, Field(ge=0, le=2**63 - 1)] | None = None
        output: CompleteOutput = "png"

    return RequestModels(
        DecodeRequest,
        GenerateRequest,
        EncodeRequest,
        InterpolateRequest,
        CompleteRequest,
        LatentPoint,
        CompleteForm,
        EncodeForm,
    )
