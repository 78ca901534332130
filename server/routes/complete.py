"""POST /api/models/{id}/complete: n completions of a partly visible digit, keeping what is seen."""

from __future__ import annotations

import json

import numpy as np
import torch
from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool
from PIL import Image
from pydantic import ValidationError
from starlette.datastructures import UploadFile

from latent_explorer.model.completion import NAMED_REGIONS, quadrant_mask

from ..deps import EntryDep, SettingsDep
from ..errors import InputError, parse_json_body
from ..png import data_url, encode_png, to_uint8
from ..preprocess import ImageInputError, open_image, to_gray
from ..schemas import CompleteRequest, CompleteResponse, QuadrantsMask
from .encode import ERRORS

router = APIRouter(prefix="/api/models/{model_id}", tags=["complete"])
REQUEST_DOC = {
    "requestBody": {
        "required": True,
        "content": {
            "application/json": {"schema": {"$ref": "#/components/schemas/CompleteRequest"}},
            "multipart/form-data": {
                "schema": {
                    "type": "object",
                    "required": ["image", "mask"],
                    "properties": {
                        "image": {
                            "type": "string",
                            "format": "binary",
                            "description": "the picture, resized to 28x28 as it is "
                            "(no cropping: where the ink is matters here)",
                        },
                        "mask": {
                            "type": "string",
                            "description": "a region name, or the mask as JSON",
                        },
                        "n": {"type": "integer", "minimum": 1, "maximum": 64},
                        "seed": {"type": "integer", "minimum": 0},
                    },
                },
            },
        },
    }
}


def resolve_mask(spec) -> np.ndarray:
    """A validated mask spec -> (784,) float32 of 0/1, with something visible and something not."""
    loc = ("body", "mask")
    if isinstance(spec, str):
        if spec not in NAMED_REGIONS:
            raise InputError(loc, f"unknown region {spec!r}; one of {', '.join(NAMED_REGIONS)}")
        mask = quadrant_mask(NAMED_REGIONS[spec]).numpy()
    elif isinstance(spec, QuadrantsMask):
        if len(set(spec.quadrants)) != len(spec.quadrants):
            raise InputError(loc, "quadrants must not repeat")
        mask = quadrant_mask(spec.quadrants).numpy()
    else:
        arr = np.asarray(spec, dtype=np.float32)
        if arr.size != 784 or (arr.ndim == 2 and arr.shape != (28, 28)):
            raise InputError(loc, "a mask array must be 28 rows of 28 values, or 784 values")
        mask = arr.reshape(784)
    if mask.min() == mask.max():
        raise InputError(loc, "the mask must leave some pixels visible and some to complete")
    return mask


def parse_form_mask(raw: str):
    """The multipart mask field: a region name or JSON, validated like the JSON body's."""
    try:
        value = json.loads(raw)
    except ValueError:
        value = raw
    try:
        return CompleteRequest.model_validate({"pixels": [0.0] * 784, "mask": value}).mask
    except ValidationError:
        raise InputError(("body", "mask"), "mask must be a region name or JSON mask") from None


async def read_request(request: Request, settings) -> tuple[np.ndarray, object, int, int | None]:
    ctype = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if ctype == "multipart/form-data":
        form = await request.form(max_files=1, max_fields=8, max_part_size=settings.max_body_bytes)
        upload, mask = form.get("image"), form.get("mask")
        if not isinstance(upload, UploadFile):
            raise InputError(("body", "image"), "a file field named 'image' is required")
        if not isinstance(mask, str):
            raise InputError(("body", "mask"), "a field named 'mask' is required")
        try:
            n = int(form.get("n") or 8)
            seed = None if form.get("seed") in (None, "") else int(form.get("seed"))
        except (TypeError, ValueError):
            raise InputError(("body", "n"), "n and seed must be integers") from None
        if not 1 <= n <= 64 or (seed is not None and seed < 0):
            raise InputError(("body", "n"), "n must be in 1..64 and seed >= 0")
        data = await upload.read()

        def load() -> np.ndarray:
            img = to_gray(open_image(data, settings.max_image_pixels))
            small = Image.fromarray((img * 255).astype(np.uint8)).resize((28, 28), Image.BILINEAR)
            return np.asarray(small, dtype=np.float32).reshape(784) / 255.0

        try:
            pixels = await run_in_threadpool(load)
        except ImageInputError as exc:
            raise InputError(("body", "image"), str(exc), status=exc.status) from None
        return pixels, parse_form_mask(mask), n, seed
    if ctype in ("application/json", ""):
        body = parse_json_body(CompleteRequest, await request.body())
        return np.asarray(body.pixels, dtype=np.float32).reshape(784), body.mask, body.n, body.seed
    raise InputError(
        ("header", "content-type"),
        "send application/json (pixels) or multipart/form-data (image)",
        status=415,
    )


@router.post(
    "/complete", response_model=CompleteResponse, responses=ERRORS, openapi_extra=REQUEST_DOC
)
async def complete(entry: EntryDep, settings: SettingsDep, request: Request) -> dict:
    """n completions of the hidden part; the visible pixels are kept exactly as sent."""
    if not entry.model.capabilities.completes:
        raise InputError(("path", "model_id"), f"{entry.id} is not a completion model")
    pixels, mask_spec, n, seed = await read_request(request, settings)
    mask = resolve_mask(mask_spec)
    gen = torch.Generator()
    gen.seed() if seed is None else gen.manual_seed(seed)
    x = torch.from_numpy(pixels)[None].to(entry.device)
    m = torch.from_numpy(mask)[None].to(entry.device)
    with torch.inference_mode():
        probs = entry.model.complete(x, m, n, generator=gen)[0].float().cpu().numpy()
    images = [data_url(encode_png(to_uint8(p.reshape(28, 28)))) for p in probs]
    return {"model": entry.id, "mask": mask.reshape(28, 28).astype(int).tolist(), "images": images}
