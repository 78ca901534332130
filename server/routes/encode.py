"""Images to latents: an upload (normalized like MNIST) or JSON pixels (used as they are)."""

from __future__ import annotations

import numpy as np
import torch
from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile

from .. import inference
from ..deps import EntryDep, SettingsDep
from ..errors import InputError, parse_json_body
from ..png import data_url, encode_png, to_uint8
from ..preprocess import ImageInputError, normalize_digit, preprocess_upload
from ..registry import ModelEntry
from ..schemas import EncodeRequest, EncodeResponse

router = APIRouter(prefix="/api/models/{model_id}", tags=["encode"])

REQUEST_DOC = {
    "requestBody": {
        "required": True,
        "content": {
            "application/json": {"schema": {"$ref": "#/components/schemas/EncodeRequest"}},
            "multipart/form-data": {
                "schema": {
                    "type": "object",
                    "required": ["image"],
                    "properties": {
                        "image": {
                            "type": "string",
                            "format": "binary",
                            "description": "PNG, JPEG, WebP, GIF or BMP; any size or polarity",
                        },
                        "label": {
                            "type": "integer",
                            "minimum": 0,
                            "description": "required for a CVAE, optional for an M2",
                        },
                    },
                },
                "example": {"image": "(a PNG file)", "label": 3},
            },
        },
    }
}
ERRORS = {
    400: {"description": "the body could not be parsed"},
    404: {"description": "unknown model"},
    413: {"description": "upload or body too large"},
    415: {"description": "not an image, or an unsupported content type"},
}


def parse_label(raw: str | None) -> int | None:
    if raw is None or raw == "":
        return None
    try:
        return int(raw)
    except ValueError:
        raise InputError(("body", "label"), "label must be an integer") from None


async def read_request(request: Request, settings) -> tuple[np.ndarray, int | None]:
    """(28x28 pixels, label) from a multipart upload or a JSON body."""
    ctype = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if ctype == "multipart/form-data":
        form = await request.form(max_files=1, max_fields=4, max_part_size=settings.max_body_bytes)
        upload = form.get("image")
        if not isinstance(upload, UploadFile):
            raise InputError(("body", "image"), "a file field named 'image' is required")
        label_field = form.get("label")
        label = parse_label(label_field if isinstance(label_field, str) else None)
        data = await upload.read()
        try:
            pixels = await run_in_threadpool(preprocess_upload, data, settings.max_image_pixels)
        except ImageInputError as exc:
            raise InputError(("body", "image"), str(exc), status=exc.status) from None
        return pixels, label
    if ctype in ("application/json", ""):
        body = parse_json_body(EncodeRequest, await request.body())
        pixels = np.asarray(body.pixels, dtype=np.float32).reshape(28, 28)
        if body.preprocess == "mnist":
            # The same normalization as an upload's, after its decoding: one implementation.
            try:
                pixels = normalize_digit(pixels)
            except ImageInputError as exc:
                raise InputError(("body", "pixels"), str(exc), status=exc.status) from None
        return pixels, body.label
    raise InputError(
        ("header", "content-type"),
        "send multipart/form-data (field 'image') or application/json (pixels)",
        status=415,
    )


def encode_pixels(entry: ModelEntry, pixels: np.ndarray, label: int | None) -> dict:
    x = torch.from_numpy(pixels).reshape(1, 1, 28, 28).to(entry.device)
    label_probs = None
    if entry.model.capabilities.infers_label:
        # A model that infers labels (M2): q(y|x), and its best guess when no label is given.
        with torch.inference_mode():
            probs = entry.model.classify(x)[0].float().cpu()
        label_probs = [round(p, 6) for p in probs.tolist()]
        if label is None:
            label = int(probs.argmax())
    y = inference.labels(entry, None if label is None else [label], 1, ("body", "label"))
    mu, logvar = inference.encode(entry, x, y)
    recon = inference.sigmoid(inference.decode(entry, mu, y)[0])
    return {
        "model": entry.id,
        "mu": mu[0].float().cpu().tolist(),
        "logvar": None if logvar is None else logvar[0].float().cpu().tolist(),
        "preprocessed": data_url(encode_png(to_uint8(pixels))),
        "reconstruction": data_url(encode_png(to_uint8(recon))),
        "label": label,
        "label_probs": label_probs,
    }


@router.post("/encode", response_model=EncodeResponse, responses=ERRORS, openapi_extra=REQUEST_DOC)
async def encode(entry: EntryDep, settings: SettingsDep, request: Request) -> dict:
    """Encode a digit: mu, logvar, the 28x28 actually encoded, and the decoded mu."""
    inference.require_latent_walk(entry)
    pixels, label = await read_request(request, settings)
    return encode_pixels(entry, pixels, label)
