"""Health and the model list."""

from __future__ import annotations

from fastapi import APIRouter

from ..deps import EntryDep, RegistryDep
from ..schemas import Health, ModelInfo

router = APIRouter(prefix="/api", tags=["models"])


@router.get("/health", response_model=Health)
async def health(registry: RegistryDep) -> dict:
    return {"status": "ok", "device": registry.device.type, "models": len(registry.entries)}


# HEAD answers like GET (load balancers and uptime probes use it); one operation in the docs.
router.add_api_route("/health", health, methods=["HEAD"], include_in_schema=False)


@router.get("/models", response_model=list[ModelInfo])
async def list_models(registry: RegistryDep) -> list[dict]:
    return [entry.info for entry in registry.entries.values()]


@router.get(
    "/models/{model_id}",
    response_model=ModelInfo,
    responses={404: {"description": "unknown model"}},
)
async def get_model(entry: EntryDep) -> dict:
    return entry.info
