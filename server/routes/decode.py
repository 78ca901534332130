"""Latents to images: decode (JSON) and sampling from the prior."""

import torch
from fastapi import APIRouter, Request, Response

from .. import inference
from ..deps import EntryDep
from ..request_schemas import request_models
from ..requests import JSON_ERRORS, JsonBodyRoute
from ..schemas import DecodeResponse, GenerateResponse
from ..settings import Settings


def build_router(settings: Settings) -> APIRouter:
    """The routes, with request bodies whose limits are these settings'."""
    bodies = request_models(settings)
    DecodeRequest, GenerateRequest = bodies.decode, bodies.generate
    router = APIRouter(
        prefix="/api/models/{model_id}",
        tags=["decode"],
        route_class=JsonBodyRoute,
        strict_content_type=False,
    )

    @router.post("/decode", response_model=DecodeResponse, responses=JSON_ERRORS)
    async def decode(entry: EntryDep, body: DecodeRequest, request: Request) -> dict | Response:  # type: ignore[valid-type]
        """Decode latents to images: PNG data URLs, or 28x28 probabilities or logits."""
        z = inference.latents(entry, body.z, ("body", "z"))
        y = inference.labels(entry, body.labels, len(body.z), ("body", "labels"))
        head = {"model": entry.id, "output": body.output}
        return await inference.render_answer(request, entry, z, y, body.output, head)

    @router.post("/generate", response_model=GenerateResponse, responses=JSON_ERRORS)
    async def generate(entry: EntryDep, body: GenerateRequest, request: Request) -> dict | Response:  # type: ignore[valid-type]
        """Sample z ~ N(0, temperature² I) and decode; a conditional model samples labels when
        null."""
        inference.require_latent_walk(entry)
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
        z_dev = z.to(entry.device)
        head = {"model": entry.id, "output": body.output, "z": z.tolist(), "labels": labels}
        return await inference.render_answer(request, entry, z_dev, y, body.output, head)

    return router
