"""The app factory: routers wired, models loaded once in the lifespan, the page served at /."""

from __future__ import annotations

import gc
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import torch
from fastapi import FastAPI, Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import HTMLResponse
from starlette.exceptions import HTTPException
from swagger_ui_bundle import swagger_ui_path
from threadpoolctl import threadpool_limits

from .compression import CompressText
from .cors import JsonCors
from .errors import (
    Busy,
    CatchAll,
    ClientGone,
    InputError,
    busy_handler,
    client_gone_handler,
    http_error_handler,
    input_error_handler,
    validation_error_handler,
)
from .head import HeadAsGet
from .header_bounds import BoundHeaders
from .limits import BodySizeLimit
from .log_limits import limit_client_warnings
from .openapi_doc import build_openapi
from .page import named_model, page_html
from .query_once import SingleQueryValues
from .ranges import BoundRangeAndTags
from .registry import ModelRegistry, choose_device
from .routes import complete, decode, decode_png, decoder, encode, explore, models
from .security import (
    PAGE_CSP,
    NoWebSockets,
    SameOriginPosts,
    SecurityHeaders,
    TrustedHosts,
    page_csp,
)
from .settings import Settings
from .static_files import DocsAssets, RevalidatedFiles
from .wait_bounds import FairQueue, Workers

log = logging.getLogger("latent_explorer")
# Workers of the uploads, heavy and numbers queues (7 by default) one address may start while
# another waits or runs: two, a small host's cores; once what it was already running ends, a
# newcomer's work shares the CPU with at most two of a flooding client's (hostile pass 17, M2).
WORKER_SHARE = 2
PNG_CACHE_SIZE = 4096  # ~0.9 KB a digit: ~3.6 MB for every image a page session revisits
# Bytes as well as entries: a scale=32 digit is ~8 KB, and 4096 of them held ~31 MB (hostile
# pass 8). At scale 1 the entry count binds first.
PNG_CACHE_BYTES = 4 * 1024 * 1024
NUMBER_WRITERS = 4  # small probs/logits answers written at once (one core each at most)
DESCRIPTION = (
    "Decode, encode, sample, complete and walk the latent spaces of trained models (AE, VAE, "
    "CVAE, semi-supervised M1+M2, probabilistic PCA, image completion) on MNIST and Fashion-MNIST; "
    "each model lists what it can do in /api/models. Images are 28x28, white on black."
)


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or Settings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        if settings.torch_threads:
            torch.set_num_threads(settings.torch_threads)
        # NumPy's BLAS (the small decodes of server/fast_decode.py, on the event loop) started a
        # thread per core: from 4 rows its GEMM handed work to the other core and waited for it,
        # and with that core busy a 16-row decode cost 8-15 ms of CPU against 0.3-1.3 ms on one
        # thread; one client's 16-row PNGs held the loop, and everyone's /api/health waited
        # 12-41 ms at the median (hostile pass 17). A 16x400 product gains nothing from two.
        threadpool_limits(1, user_api="blas")
        limit_client_warnings()
        device = choose_device(settings.device)
        app.state.registry = ModelRegistry.load(settings.checkpoints, device)
        app.state.png_cache = decode_png.PngCache(PNG_CACHE_SIZE, PNG_CACHE_BYTES)
        # Uploads (images decoded, large JSON bodies parsed) and heavy renders (grids, big
        # batches) wait here instead of filling the shared thread pool: memory stays bounded
        # and cheap requests keep a free path.
        # In turns by client address, as the heavy queue: first come, first served, one client's
        # 30 large pictures held another's drawing 8.7 s (hostile pass 15). A page sends one
        # drawing at a time: 16 waiting from one address, 64 in all.
        # One address holds at most WORKER_SHARE of the three queues' workers while another has
        # work in any of them (wait_bounds.Workers).
        workers = Workers(share=WORKER_SHARE)
        app.state.uploads = FairQueue(
            settings.max_uploads, total=64, per_client=16, doing="reading uploads", workers=workers
        )
        # Served in turns by client address (server/wait_bounds.py): ~90 ms per 64x64 grid, so
        # one address's 64 waiting are ~6 s of its own; 256 in all.
        app.state.heavy = FairQueue(settings.max_heavy, total=256, per_client=64, workers=workers)
        # Small answers of numbers (probs, logits) written in a thread: a few at once, their own
        # queue, not the shared pool's 40 tokens (review).
        # In turns too: 300 encodes from one address held another's one-row decode 2.1 s.
        app.state.numbers = FairQueue(
            NUMBER_WRITERS, total=256, per_client=64, doing="writing numbers", workers=workers
        )
        log.info("serving %d models on %s", len(app.state.registry.entries), device)
        # torch, FastAPI and the models leave millions of long-lived objects: keep the cyclic
        # GC from walking them again on every full collection while serving.
        gc.collect()
        gc.freeze()
        # Counted afresh: CPython runs a full collection only once the objects promoted since
        # the last one number a quarter of those that one left, and the last one left the
        # millions now frozen: no full collection ran, and garbage in reference cycles that
        # outlived a request (a failed upload's picture and bytes) stayed: 6 GB in 20 s from one
        # client (hostile pass 12). A full collection walks only what is not frozen.
        gc.collect()
        yield

    # /docs is served below from files on disk (no CDN); ReDoc has no packaged copy: off.
    app = FastAPI(
        title="latent-explorer",
        version="0.1.0",
        description=DESCRIPTION,
        lifespan=lifespan,
        docs_url=None,
        redoc_url=None,
    )
    app.state.settings = settings
    app.add_exception_handler(InputError, input_error_handler)
    app.add_exception_handler(ClientGone, client_gone_handler)
    app.add_exception_handler(Busy, busy_handler)
    app.add_exception_handler(RequestValidationError, validation_error_handler)
    app.add_exception_handler(HTTPException, http_error_handler)

    # decode.png first: the hottest route, and routes are matched in order.
    app.router.routes.insert(0, decode_png.route)
    app.include_router(models.router)
    app.include_router(decoder.router)
    for module in (decode, encode, explore, complete):
        app.include_router(module.build_router(settings))
    add_docs(app)
    add_page(app, settings)

    # Last added runs first: host and origin checks before anything reads the body.
    app.add_middleware(CatchAll)
    app.add_middleware(CompressText)  # inside HeadAsGet: a HEAD gets the gzipped length
    app.add_middleware(HeadAsGet)
    app.add_middleware(BoundRangeAndTags)
    app.add_middleware(BodySizeLimit, max_bytes=settings.max_body_bytes)
    app.add_middleware(SingleQueryValues)  # before any body is read
    if settings.cors_origins:
        app.add_middleware(
            JsonCors,
            allow_origins=list(settings.cors_origins),
            allow_methods=["GET", "POST"],
            # If-None-Match: a script revalidating an atlas by its ETag (a 304 saves the body).
            allow_headers=["content-type", "if-none-match"],
            # Else a tool's script cannot read the ETag to send back, nor a 503's Retry-After.
            expose_headers=["etag", "retry-after"],
        )
    app.add_middleware(SameOriginPosts, allowed_origins=settings.cors_origins)
    app.add_middleware(TrustedHosts, hosts=settings.trusted_hosts)
    app.add_middleware(BoundHeaders)  # before anything parses a header or the query whole
    # frontend=None serves the API alone (review 14: this line raised TypeError on it).
    index_html = settings.frontend / "index.html" if settings.frontend else None
    app.add_middleware(
        SecurityHeaders,
        page=page_csp(index_html.read_text()) if index_html and index_html.is_file() else PAGE_CSP,
    )
    app.add_middleware(NoWebSockets)

    def openapi() -> dict:
        if app.openapi_schema is None:
            app.openapi_schema = build_openapi(app, settings)
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]
    return app


def add_docs(app: FastAPI) -> None:
    """Swagger UI from the swagger-ui-bundle package's files, so /docs works offline."""
    app.mount("/docs-assets", DocsAssets(directory=swagger_ui_path), name="docs-assets")

    @app.get("/docs", include_in_schema=False)
    async def docs() -> HTMLResponse:
        return get_swagger_ui_html(
            openapi_url="/openapi.json",
            title=f"{app.title} - API docs",
            swagger_js_url="/docs-assets/swagger-ui-bundle.js",
            swagger_css_url="/docs-assets/swagger-ui.css",
            swagger_favicon_url="/docs-assets/favicon-32x32.png",
        )


def add_page(app: FastAPI, settings: Settings) -> None:
    """The page at / and its files under /assets: a mount at / would also answer for /api
    paths (a 405 from the static files instead of the API's own)."""
    if settings.frontend is None or not settings.frontend.is_dir():
        return
    index = settings.frontend / "index.html"

    @app.api_route("/", methods=["GET", "HEAD"], include_in_schema=False)
    async def page(request: Request) -> Response:
        # A link that names a model gets its decoder file preloaded (server/page.py).
        named = named_model(request.scope.get("query_string", b""))
        body = page_html(index, request.app.state.registry, named)
        return Response(body, media_type="text/html", headers={"Cache-Control": "no-cache"})

    app.mount("/assets", RevalidatedFiles(directory=settings.frontend), name="assets")
