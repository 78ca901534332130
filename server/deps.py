"""Dependencies shared by the routers, as Annotated aliases.

All async: FastAPI runs a plain `def` dependency in its thread pool, a thread hop per
dependency per request that cost more than decoding a digit."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Path, Request

from .errors import InputError, quote
from .registry import ModelEntry, ModelRegistry
from .settings import Settings


async def get_registry(request: Request) -> ModelRegistry:
    return request.app.state.registry


async def get_settings(request: Request) -> Settings:
    return request.app.state.settings


async def get_entry(
    request: Request,
    # No length limit: an id of any length is an unknown model's 404, as decode.png says (an id
    # over 200 characters was a 422 elsewhere); it is quoted cut to 40 characters.
    model_id: Annotated[str, Path(description="a model id from /api/models")],
) -> ModelEntry:
    return entry_or_404(request.app.state.registry, model_id)


def entry_or_404(registry: ModelRegistry, model_id: str) -> ModelEntry:
    entry = registry.get(model_id)
    if entry is None:
        msg = f"unknown model {quote(model_id)}; see /api/models"
        raise InputError(("path", "model_id"), msg, status=404)
    return entry


RegistryDep = Annotated[ModelRegistry, Depends(get_registry)]
SettingsDep = Annotated[Settings, Depends(get_settings)]
EntryDep = Annotated[ModelEntry, Depends(get_entry)]
