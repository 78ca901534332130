"""GET /api/models/{id}/decode.png: one decoded digit as image/png, for <img src> and curl.

The hottest endpoint (a slider drag is a stream of these), so it is a plain Starlette route that
reads its three query parameters itself: FastAPI's per-parameter and response machinery cost more
than the decode. Its OpenAPI entry is written out below and merged into /openapi.json; the rules
are those of every other route (404 for an unknown model, 422 naming the field).
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from .. import inference
from ..cache import LruCache
from ..deps import entry_or_404
from ..errors import InputError
from ..png import encode_png, logits_to_uint8, upscale
from ..query_params import (
    MAX_VERSION_CHARS,
    MAX_Z_CHARS,
    VERSION_DOC,
    parse_z,
    picture_headers,
    query_int,
)

PATH = "/api/models/{model_id}/decode.png"


# Rendered PNGs keyed by the exact request: one per app, made in the lifespan (app.state.png_cache).
PngCache = LruCache


async def decode_png(request: Request) -> Response:
    state = request.app.state
    model_id = request.path_params["model_id"]
    entry = entry_or_404(state.registry, model_id)
    inference.require_latent_walk(entry)
    query = request.query_params
    if "z" not in query:
        raise InputError(("query", "z"), "z is required, e.g. z=0.5,-1.2")
    # Any integer here: its range is the model's, said below in the words every route uses
    # ("label 50 is out of range 0..9", or "takes no label"; review 15).
    label = query_int(query, "label", None, -(10**100), 10**100)  # 100 digits at most: any
    scale = query_int(query, "scale", 1, 1, 32)
    z = parse_z(query["z"], entry.latent_dim, state.settings.max_abs_z)
    version = query.get("v")
    if version is not None and len(version) > MAX_VERSION_CHARS:  # as the other routes' v
        msg = f"String should have at most {MAX_VERSION_CHARS} characters"
        raise InputError(("query", "v"), msg)
    # Keyed by the parsed values, not the text: 4096 cached z texts of 20 KB each (one
    # number written with 19,000 zeros) held 80 MB of keys for one picture. Adding 0.0 turns
    # -0.0 into 0.0 (IEEE 754), whose bytes differ: one picture, one key.
    key = (model_id, (z + 0.0).tobytes(), label, scale)
    png = state.png_cache.get(key)
    if png is None:
        y = inference.labels(entry, None if label is None else [label], 1, ("query", "label"))
        gray = upscale(logits_to_uint8(inference.decode(entry, z, y)[0]), scale)
        # A 28x28 PNG is ~0.8 KB raw: compressing it costs more time (15 us) than the ~450
        # bytes it saves take to send; larger scales compress well and are worth it.
        png = encode_png(gray, level=0 if scale == 1 else 1)
        state.png_cache.put(key, png)
    return Response(png, media_type="image/png", headers=picture_headers(entry, version))


route = Route(PATH, decode_png, methods=["GET"], name="decode_png")

OPENAPI = {
    "get": {
        "tags": ["decode"],
        "summary": "Decode Png",
        "description": "One decoded digit as image/png, for <img src> and curl.",
        "operationId": "decode_png",
        "parameters": [
            {
                "name": "model_id",
                "in": "path",
                "required": True,
                "schema": {"type": "string"},
                "description": "a model id from /api/models",
            },
            {
                "name": "z",
                "in": "query",
                "required": True,
                "example": "0.5,-1.2",
                "schema": {"type": "string", "maxLength": MAX_Z_CHARS},
                "description": "comma-separated latent, one value per dimension",
            },
            {
                "name": "label",
                "in": "query",
                "required": False,
                "schema": {"type": "integer", "minimum": 0, "maximum": 1000},
                "description": "the label, for conditional models",
            },
            {
                "name": "scale",
                "in": "query",
                "required": False,
                "schema": {"type": "integer", "minimum": 1, "maximum": 32, "default": 1},
                "description": "pixels per MNIST pixel (nearest neighbour, crisp)",
            },
            {
                "name": "v",
                "in": "query",
                "required": False,
                "schema": {"type": "string", "maxLength": MAX_VERSION_CHARS},
                "description": VERSION_DOC,
            },
        ],
        "responses": {
            "200": {"description": "a PNG image", "content": {"image/png": {}}},
            "404": {"description": "unknown model"},
            "422": {"description": "bad z, label or scale (the field is named)"},
        },
    }
}
