"""The app factory: routers wired, models loaded once in the lifespan, the page served at /."""

from __future__ import annotations

import gc
import logging
from contextlib import asynccontextmanager

import torch
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.middleware.cors import CORSMiddleware
from fastapi.openapi.utils import get_openapi
from fastapi.responses import FileResponse, JSONResponse
from fastapi.staticfiles import StaticFiles

from .errors import InputError, error_body, input_error_handler, validation_error_handler
from .limits import BodySizeLimit
from .registry import ModelRegistry, choose_device
from .routes import complete, decode, decode_png, encode, explore, models
from .settings import Settings

log = logging.getLogger("latent_explorer")


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or Settings.from_env()

    @asynccontextmanager
    async def lifespan(app: FastAPI):
        if settings.torch_threads:
            torch.set_num_threads(settings.torch_threads)
        device = choose_device(settings.device)
        app.state.registry = ModelRegistry.load(settings.checkpoints, device)
        log.info("serving %d models on %s", len(app.state.registry.entries), device)
        # torch, FastAPI and the models leave millions of long-lived objects: keep the cyclic
        # GC from walking them again on every full collection while serving.
        gc.collect()
        gc.freeze()
        yield

    app = FastAPI(
        title="latent-explorer",
        version="0.1.0",
        description="Decode, encode, sample, complete and walk the latent spaces of trained "
        "models (AE, VAE, CVAE, semi-supervised M1+M2, image completion); each model lists "
        "what it can do in /api/models. Images are 28x28, white digit on black.",
        lifespan=lifespan,
    )
    app.state.settings = settings
    app.add_exception_handler(InputError, input_error_handler)
    app.add_exception_handler(RequestValidationError, validation_error_handler)

    @app.exception_handler(Exception)
    async def unexpected(_: Request, exc: Exception) -> JSONResponse:  # pragma: no cover - logged
        log.exception("unexpected error", exc_info=exc)
        return JSONResponse(error_body((), "internal error"), status_code=500)

    # decode.png first: the hottest route, and routes are matched in order.
    app.router.routes.insert(0, decode_png.route)
    app.state.png_cache = decode_png.PngCache(decode_png.CACHE_SIZE)
    for module in (models, decode, encode, explore, complete):
        app.include_router(module.router)
    if settings.cors_origins:
        app.add_middleware(
            CORSMiddleware,
            allow_origins=list(settings.cors_origins),
            allow_methods=["GET", "POST"],
            allow_headers=["content-type"],
        )
    app.add_middleware(BodySizeLimit, max_bytes=settings.max_body_bytes)

    def openapi() -> dict:
        # decode.png is a plain route (see its module): add its hand-written entry.
        if app.openapi_schema is None:
            schema = get_openapi(
                title=app.title, version=app.version, description=app.description, routes=app.routes
            )
            schema["paths"][decode_png.PATH] = decode_png.OPENAPI
            app.openapi_schema = schema
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]
    if settings.frontend is not None and settings.frontend.is_dir():
        # The page at / and its files under /assets: a mount at / would also answer for
        # /api paths (a 405 from the static files instead of the API's own).
        index = settings.frontend / "index.html"

        @app.get("/", include_in_schema=False)
        async def page() -> FileResponse:
            return FileResponse(index, headers={"Cache-Control": "no-cache"})

        app.mount("/assets", StaticFiles(directory=settings.frontend), name="assets")
    return app
