"""POST /api/models/{id}/complete: n completions of a partly visible digit, keeping what is seen."""

from __future__ import annotations

import json

import numpy as np
import torch
from fastapi import APIRouter, Request, Response
from pydantic import BaseModel, ValidationError
from pydantic_core import to_json

from latent_explorer.model.completion import NAMED_REGIONS, quadrant_mask

from ..deps import EntryDep
from ..errors import InputError, quote, validation_errors
from ..png import data_url, encode_png, to_uint8
from ..preprocess import preprocess_upload
from ..request_fields import QuadrantsMask
from ..request_schemas import request_models
from ..requests import UPLOAD_ERRORS, Upload, read_picture, read_upload_or_json, run_limited
from ..schemas import CompleteResponse
from ..settings import Settings

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
                        "n": {"type": "integer", "minimum": 1},
                        "seed": {"type": "integer", "minimum": 0, "maximum": 2**63 - 1},
                        "output": {"type": "string", "enum": ["png", "probs"], "default": "png"},
                    },
                },
            },
        },
    }
}


def resolve_mask(spec: str | QuadrantsMask | list) -> np.ndarray:
    """A validated mask spec -> (784,) float32 of 0/1, with something visible and something not."""
    loc = ("body", "mask")
    if isinstance(spec, str):
        if spec not in NAMED_REGIONS:
            raise InputError(
                loc, f"unknown region {quote(spec)}; one of {', '.join(NAMED_REGIONS)}"
            )
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


def parse_form_mask(raw: str, complete_schema: type[BaseModel]) -> str | QuadrantsMask | list:
    """The multipart mask field: a region name or JSON, validated like the JSON body's and
    refused in its words: every fault was "mask must be a region name or JSON mask", where the
    JSON body names it ("(got 783)", quadrants ≤ 3; hostile pass 10)."""
    try:
        value = json.loads(raw)
    except RecursionError:  # nested ~1000 deep: Python's parser gives up before ours would
        raise InputError(("body", "mask"), "mask is nested too deeply") from None
    except ValueError:
        if raw.lstrip()[:1] in ("[", "{"):  # meant as JSON: was "unknown region '[1, 1, ...'"
            raise InputError(("body", "mask"), "mask is not valid JSON") from None
        value = raw
    try:
        return complete_schema.model_validate({"pixels": [0.0] * 784, "mask": value}).mask
    except RecursionError:
        raise InputError(("body", "mask"), "mask is nested too deeply") from None
    except ValidationError as exc:  # only the mask can be wrong: the pixels are ours
        raise validation_errors(exc) from None


def load_upload(data: bytes, max_pixels: int) -> np.ndarray:
    """An uploaded picture as it is (no cropping: where the ink is matters here), 784 floats."""
    return preprocess_upload(data, max_pixels, mnist=False).reshape(784)


def build_router(settings: Settings) -> APIRouter:
    bodies = request_models(settings)
    router = APIRouter(prefix="/api/models/{model_id}", tags=["complete"])

    @router.post(
        "/complete",
        response_model=CompleteResponse,
        responses=UPLOAD_ERRORS,
        openapi_extra=REQUEST_DOC,
    )
    async def complete(entry: EntryDep, request: Request) -> Response:
        """n completions of the hidden part; the visible pixels are kept exactly as sent."""
        if not entry.model.capabilities.completes:
            # Named, as the other routes name /complete to a completion model (API pass).
            able = [
                e.id
                for e in request.app.state.registry.entries.values()
                if e.model.capabilities.completes
            ]
            use = f": use {' or '.join(able)}" if able else ""
            raise InputError(("path", "model_id"), f"{entry.id} is not a completion model{use}")
        body = await read_upload_or_json(
            request, bodies.complete, bodies.complete_form, settings.max_body_bytes
        )
        if isinstance(body, Upload):
            # The mask first: it was refused only after the picture was decoded (0.14 s for a
            # 12-Mpx one), and behind the picture's own fault (hostile pass 12).
            mask = resolve_mask(parse_form_mask(body.form.mask, bodies.complete))
            pixels = await read_picture(request, load_upload, body.data, settings.max_image_pixels)
            n, seed, output = body.form.n, body.form.seed, body.form.output
        else:
            pixels = np.asarray(body.pixels, dtype=np.float32).reshape(784)
            mask, n, seed, output = resolve_mask(body.mask), body.n, body.seed, body.output
        gen = torch.Generator()
        gen.seed() if seed is None else gen.manual_seed(seed)
        x = torch.from_numpy(pixels)[None].to(entry.device)
        m = torch.from_numpy(mask)[None].to(entry.device)

        def render() -> Response:
            with torch.inference_mode():
                probs = entry.model.complete(x, m, n, generator=gen)[0].float().cpu().numpy()
            probs = probs.reshape(-1, 28, 28)
            if output == "probs":  # for a notebook that scores or averages completions
                images: list = np.round(probs.astype(np.float64), 6).tolist()
            else:
                images = [data_url(encode_png(to_uint8(p))) for p in probs]
            mask_rows = mask.reshape(28, 28).astype(int).tolist()
            read = data_url(encode_png(to_uint8(pixels.reshape(28, 28))))
            body = {"model": entry.id, "output": output, "mask": mask_rows}
            # Written here, in the thread: up to 64 x 784 numbers checked and written by FastAPI
            # on the event loop cost ~4 ms of it (review 15), as /decode's did (hostile pass 12).
            answer = {**body, "images": images, "preprocessed": read}
            return Response(to_json(answer), media_type="application/json")

        return await run_limited(request, "heavy", render)  # up to 64 decodes: heavy

    return router
