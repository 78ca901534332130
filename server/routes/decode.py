"""Latents to images: decode (JSON and PNG) and sampling from the prior."""

from __future__ import annotations

import torch
from fastapi import APIRouter

from .. import inference
from ..deps import EntryDep, SettingsDep
from ..errors import InputError
from ..schemas import DecodeRequest, DecodeResponse, GenerateRequest, GenerateResponse
from .decode_png import HEADERS

router = APIRouter(prefix="/api/models/{model_id}", tags=["decode"])
ERRORS = {
    400: {"description": "the body could not be parsed"},
    404: {"description": "unknown model"},
    413: {"description": "body too large"},
}
PNG_RESPONSE = {200: {"content": {"image/png": {}}, "description": "a PNG image"}}
IMMUTABLE = HEADERS  # same URL, same picture: the one cache policy of every image route


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


@router.post("/generate", response_model=GenerateResponse, responses=ERRORS)
async def generate(entry: EntryDep, settings: SettingsDep, body: GenerateRequest) -> dict:
    """Sample z ~ N(0, temperature² I) and decode; a conditional model samples labels when null."""
    inference.require_latent_walk(entry)
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
