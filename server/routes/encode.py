"""Images to latents: an upload (normalized like MNIST) or JSON pixels (used as they are)."""

import numpy as np
import torch
from fastapi import APIRouter, Request

from latent_explorer.model.latent import nearest_labels
from latent_explorer.model.scoring import (
    DRAWING_K,
    ScoreOverflow,
    finite_drawing_scores,
    percentile,
    threshold,
)

from .. import inference
from ..deps import EntryDep
from ..errors import InputError
from ..png import data_url, encode_png, to_uint8
from ..preprocess import ImageInputError, normalize_digit, preprocess_upload
from ..registry import ModelEntry
from ..request_schemas import request_models
from ..requests import UPLOAD_ERRORS, Upload, read_picture, read_upload_or_json, run_limited
from ..schemas import NEAREST_K, EncodeResponse
from ..settings import Settings

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
                        "preprocess": {
                            "type": "string",
                            "enum": ["mnist", "none"],
                            "default": "mnist",
                            "description": "mnist: crop, scale into 20x20 and centre like MNIST; "
                            "none: only shrink to 28x28 (pictures that fill their frame)",
                        },
                    },
                },
                "example": {"image": "(a PNG file)", "label": 3},
            },
        },
    }
}


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
        "nearest_labels": nearest_of(entry, mu[0]),
        **(nats_of(entry, x, y) if entry.model.capabilities.likelihood else {}),
    }


def nearest_of(entry: ModelEntry, mu: torch.Tensor) -> list[int] | None:
    """The labels of the test codes nearest the drawing's mean, nearest first; None for a model
    with no atlas or whose codes are given their labels (conditional: every label's codes share
    one region of z, which holds the style)."""
    atlas, caps = entry.model.atlas, entry.model.capabilities
    if atlas is None or caps.conditional:
        return None
    return nearest_labels(atlas["mu"], atlas["labels"], mu.cpu(), NEAREST_K)


def nats_of(entry: ModelEntry, x: torch.Tensor, y: torch.Tensor | None) -> dict:
    """The drawing's ELBO terms, IW NLL and percentile, scored as `evaluate` scored the test set
    (thresholded at 0.5, k=100, fixed seed; see latent_explorer.model.scoring). Always finite
    numbers: float64 where float32 overflows, else a 422 (never a null in a float field)."""
    try:
        with torch.inference_mode():
            s = finite_drawing_scores(entry.model, threshold(x), y)
    except ScoreOverflow as exc:
        msg = f"this image is outside what {entry.id} can score: {exc}"
        raise InputError(("body",), msg) from None
    nll = s["nll"][0].item()
    stored = entry.model.metadata.get("drawing_nll") or {}
    quantiles = stored.get("quantiles") if stored.get("k") == DRAWING_K else None
    return {
        "elbo": {
            "reconstruction": round(s["reconstruction"][0].item(), 3),
            "kl": round(s["kl"][0].item(), 3),
            "negative_elbo": round(s["negative_elbo"][0].item(), 3),
        },
        "nll": round(nll, 3),
        "nll_k": DRAWING_K,
        "percentile": None if not quantiles else round(percentile(nll, quantiles), 2),
        "kl_per_dim": [round(v, 4) for v in s["kl_per_dim"][0].tolist()],
    }


def build_router(settings: Settings) -> APIRouter:
    bodies = request_models(settings)
    router = APIRouter(prefix="/api/models/{model_id}", tags=["encode"])

    @router.post(
        "/encode", response_model=EncodeResponse, responses=UPLOAD_ERRORS, openapi_extra=REQUEST_DOC
    )
    async def encode(entry: EntryDep, request: Request) -> dict:
        """Encode a digit: mu, logvar, the 28x28 actually encoded, and the decoded mu; for models
        with a likelihood also its ELBO terms, IW NLL and percentile among the test set, in nats."""
        inference.require_latent_walk(entry)
        body = await read_upload_or_json(
            request, bodies.encode, bodies.encode_form, settings.max_body_bytes
        )
        if isinstance(body, Upload):
            label = body.form.label
            if label is not None or not entry.model.capabilities.infers_label:
                # Checked before the picture is decoded (0.14 s for a 12-Mpx one), not after it
                # and behind its own fault (hostile pass 12); a model that reads labels may
                # be sent none.
                inference.labels(entry, None if label is None else [label], 1, ("body", "label"))
            mnist = body.form.preprocess == "mnist"
            pixels = await read_picture(
                request, preprocess_upload, body.data, settings.max_image_pixels, mnist
            )
            return await encode_off_loop(request, entry, pixels, body.form.label)
        pixels = np.asarray(body.pixels, dtype=np.float32).reshape(28, 28)
        if body.preprocess == "mnist":
            # The same normalization as an upload's, after its decoding: one implementation.
            try:
                pixels = normalize_digit(pixels)
            except ImageInputError as exc:
                raise InputError(("body", "pixels"), str(exc), status=exc.status) from None
        return await encode_off_loop(request, entry, pixels, body.label)

    return router


async def encode_off_loop(
    request: Request, entry: ModelEntry, pixels: np.ndarray, label: int | None
) -> dict:
    """encode_pixels in a worker thread: its scoring is ~100 decodes (~9 ms), and on the event
    loop four clients' encodes made /api/health's p99 4 -> 51-56 ms (review 14). The numbers
    queue: a few at once, not behind a grid."""
    return await run_limited(request, "numbers", encode_pixels, entry, pixels, label)
