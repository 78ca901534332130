"""Latents to images: decode (JSON and PNG) and sampling from the prior."""

from __future__ import annotations

import math
from typing import Annotated

import torch
from fastapi import APIRouter, Query, Response

from .. import inference
from ..deps import EntryDep, SettingsDep
from ..errors import InputError
from ..png import encode_png, to_uint8, upscale
from ..schemas import DecodeRequest, DecodeResponse, GenerateRequest, GenerateResponse

router = APIRouter(prefix="/api/models/{model_id}", tags=["decode"])
ERRORS = {
    400: {"description": "the body could not be parsed"},
    404: {"description": "unknown model"},
    413: {"description": "body too large"},
}
PNG_RESPONSE = {200: {"content": {"image/png": {}}, "description": "a PNG image"}}
# Same URL, same picture: let browsers and proxies keep it.
IMMUTABLE = {"Cache-Control": "public, max-age=31536000, immutable"}


def check_batch(n: int, settings, loc: tuple) -> None:
    if n > settings.max_batch:
        raise InputError(loc, f"{n} is over the limit of {settings.max_batch} per request")


@router.post("/decode", response_model=DecodeResponse, responses=ERRORS)
async def decode(entry: EntryDep, settings: SettingsDep, body: DecodeRequest) -> dict:
    """Decode latents to images: PNG data URLs, or 28x28 probabilities or logits."""
    check_batch(len(body.z), settings, ("body", "z"))
    z = inference.latents(entry, body.z, ("body", "z"))
    y = inference.labels(entry, body.labels, len(body.z), ("body", "labels"))
    images = inference.render(inference.decode(entry, z, y), body.output)
    return {"model": entry.id, "output": body.output, "images": images}


def parse_z(text: str, entry, max_abs: float) -> torch.Tensor:
    """'0.5,-1.2' -> a (1, D) tensor; anything else is a 422 on the query parameter z."""
    try:
        values = [float(v) for v in text.split(",")]
    except ValueError:
        raise InputError(("query", "z"), "z must be comma-separated numbers") from None
    if not all(math.isfinite(v) and abs(v) <= max_abs for v in values):
        raise InputError(("query", "z"), f"z values must be finite and within ±{max_abs:g}")
    return inference.latents(entry, [values], ("query", "z"))


@router.get("/decode.png", response_class=Response, responses={**PNG_RESPONSE, **ERRORS})
async def decode_png(
    entry: EntryDep,
    settings: SettingsDep,
    z: Annotated[str, Query(max_length=20000, description="comma-separated latent, e.g. 0.5,-1.2")],
    label: Annotated[int | None, Query(ge=0, le=1000)] = None,
    scale: Annotated[int, Query(ge=1, le=32, description="pixels per MNIST pixel")] = 1,
) -> Response:
    """One decoded digit as image/png, for <img src> and curl."""
    zt = parse_z(z, entry, settings.max_abs_z)
    y = inference.labels(entry, None if label is None else [label], 1, ("query", "label"))
    probs = torch.sigmoid(inference.decode(entry, zt, y)[0, 0]).float().cpu().numpy()
    png = encode_png(upscale(to_uint8(probs), scale), level=1)
    return Response(png, media_type="image/png", headers=IMMUTABLE)


@router.post("/generate", response_model=GenerateResponse, responses=ERRORS)
async def generate(entry: EntryDep, settings: SettingsDep, body: GenerateRequest) -> dict:
    """Sample z ~ N(0, temperature² I) and decode; a conditional model samples labels when null."""
    check_batch(body.n, settings, ("body", "n"))
    gen = torch.Generator()
    if body.seed is None:
        gen.seed()
    else:
        gen.manual_seed(body.seed)
    # Drawn on the CPU, so a seed gives the same samples on any device.
    z = torch.randn(body.n, entry.latent_dim, generator=gen) * body.temperature
    if body.label is not None:
        labels = [body.label] * body.n
    elif entry.num_classes:
        labels = torch.randint(0, entry.num_classes, (body.n,), generator=gen).tolist()
    else:
        labels = None
    y = inference.labels(entry, labels, body.n, ("body", "label"))
    images = inference.render(inference.decode(entry, z.to(entry.device), y), body.output)
    return {
        "model": entry.id,
        "output": body.output,
        "z": z.tolist(),
        "labels": labels,
        "images": images,
    }
