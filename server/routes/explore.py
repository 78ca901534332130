"""Views of the whole latent space: the manifold grid, the atlas, and interpolation."""

import json
from typing import Annotated

import numpy as np
import torch
from fastapi import APIRouter, Query, Request, Response
from pydantic import Field

from latent_explorer.model.latent import dims_plane, interpolate, pca_plane_through, plane_grid

from .. import inference
from ..conditional import conditional, content_tag
from ..deps import EntryDep
from ..errors import InputError
from ..png import encode_png, tile, to_uint8
from ..query_params import MAX_VERSION_CHARS, VERSION_DOC, parse_z, picture_headers
from ..registry import ModelEntry
from ..request_schemas import request_models
from ..requests import ERRORS, JSON_ERRORS, PNG_RESPONSE, JsonBodyRoute, run_limited
from ..schemas import AtlasResponse, InterpolateResponse
from ..settings import Settings
from ..text_numbers import TextFloat, TextInt, blank_is, parse_int


def parse_dims(text: str | None, entry: ModelEntry) -> tuple[int, int] | None:
    """'i,j' -> two distinct latent dims in range, or None (also for an empty value: a
    parameter left blank is one left out, as n= and label= are; hostile pass 12)."""
    if not text:
        return None
    try:
        dims = tuple(parse_int(v.strip(" ")) for v in text.split(","))  # "0, 1" too
    except ValueError:
        pca = text.strip().lower() == "pca" and entry.pca_mean is not None  # else it has none
        hint = " (the PCA plane is plane=pca)" if pca else ""
        raise InputError(("query", "dims"), f"dims must be two integers, e.g. 0,1{hint}") from None
    if len(dims) != 2 or dims[0] == dims[1] or not all(0 <= d < entry.latent_dim for d in dims):
        raise InputError(
            ("query", "dims"), f"dims must be two different dims in 0..{entry.latent_dim - 1}"
        )
    return dims  # type: ignore[return-value]


# Checked in choose_plane (a blank one is left out, a bad one worded), shown to /docs here.
PLANE_VALUES = {"enum": ["dims", "pca"]}
PLANE_DOC = (
    "dims: two latent dims (dims=, else 0,1); pca: the test codes' two principal components, for "
    "models with more than two dims. Left out: pca where the model has one, else dims (the atlas "
    "and grid.png choose alike, so their default answers overlay)"
)


# Both routes' `plane`: one declaration, so they cannot drift apart again.
PlaneQuery = Annotated[
    str | None, Query(alias="plane", description=PLANE_DOC, json_schema_extra=PLANE_VALUES)
]


def choose_plane(
    entry: ModelEntry, dims_text: str | None, plane_name: str | None
) -> tuple[int, int] | None:
    """The two dims the grid or the atlas shows, or None for the PCA plane. Both routes read
    `plane` and `dims` alike and default alike: the atlas showed PCA on a 16-d model by default
    and grid.png dims 0,1, and the atlas had no `plane` (API pass)."""
    dims = parse_dims(dims_text, entry)
    # Blank is left out, as for every parameter; a bad value in words, not a regex (hostile 13).
    plane_name = plane_name or None
    if plane_name not in (None, "dims", "pca"):
        raise InputError(("query", "plane"), "plane must be dims or pca")
    if plane_name == "pca" and dims is not None:  # was the dims plane, without a word (hostile 4)
        raise InputError(("query", "dims"), "plane=pca takes no dims: give one or the other")
    if plane_name == "pca" and entry.pca_mean is None:  # was dims 0,1, unsaid
        msg = (
            f"{entry.id} has {entry.latent_dim} dims, one plane: plane=pca needs more than two"
            if entry.latent_dim <= 2
            else f"{entry.id} has no atlas of test codes to take a PCA plane from"
        )
        raise InputError(("query", "plane"), msg)
    if dims is None and plane_name != "dims" and entry.pca_mean is not None:
        return None
    return dims or (0, 1)


def plane(
    entry: ModelEntry, dims_text: str | None, plane_name: str | None, base: torch.Tensor | None
) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """(origin, axis_x, axis_y) of the plane the grid and the map show."""
    dims = choose_plane(entry, dims_text, plane_name)
    if dims is None:
        # Through the current z, as a dims plane is (page pass 5: a click on the map decoded
        # another digit than the background showed there).
        return pca_plane_through(entry.pca_mean, entry.pca_components, base)
    return dims_plane(entry.latent_dim, dims, base)


def atlas_body(entry: ModelEntry, dims: tuple[int, int] | None) -> tuple[bytes, str]:
    """The atlas as JSON bytes and their ETag, rendered per (model, dims) and kept in the entry's
    small LRU."""
    key = dims or "pca"
    cached = entry.cache.get(key)
    if cached is not None:
        return cached
    mu = entry.model.atlas["mu"].float()
    axes = None
    if dims is not None:
        points = mu[:, list(dims)]
        dims_out: list[int] | str = list(dims)
    else:
        points = (mu - entry.pca_mean) @ entry.pca_components.T
        dims_out = "pca"
        axes = {"mean": entry.pca_mean.tolist(), "components": entry.pca_components.tolist()}
    body = {
        "model": entry.id,
        "dims": dims_out,
        "points": np.round(points.numpy().astype(np.float64), 4).tolist(),
        "labels": entry.model.atlas["labels"].long().tolist(),
        "axes": axes,
        "class_names": entry.model.metadata.get("class_names", []),
    }
    data = json.dumps(body, separators=(",", ":")).encode()
    tagged = (data, content_tag(data))
    entry.cache.put(key, tagged)
    return tagged


def build_router(settings: Settings) -> APIRouter:
    bodies = request_models(settings)
    InterpolateRequest, LatentPoint = bodies.interpolate, bodies.latent_point
    router = APIRouter(
        prefix="/api/models/{model_id}",
        tags=["explore"],
        route_class=JsonBodyRoute,
        strict_content_type=False,
    )

    @router.get("/grid.png", response_class=Response, responses={**PNG_RESPONSE, **ERRORS})
    async def grid_png(
        entry: EntryDep,
        request: Request,
        n: Annotated[
            TextInt,
            blank_is(20),
            Query(ge=1, le=settings.max_grid, description="digits per side"),
        ] = 20,
        dims: Annotated[
            str | None, Query(max_length=50, description="two latent dims, e.g. 0,1")
        ] = None,
        # The range on the integer, inside the union: on the whole, it was checked against the
        # None an empty label= gives.
        label: Annotated[
            Annotated[TextInt, Field(ge=0, le=1000)] | None, blank_is(None), Query()
        ] = None,
        z: Annotated[
            str | None,
            Query(max_length=20000, description="the point the plane passes through"),
        ] = None,
        span: Annotated[
            Annotated[TextFloat, Field(gt=0, le=1000, allow_inf_nan=False)] | None,
            blank_is(None),
            Query(description="even spacing in ±span (an AE: ±130)"),
        ] = None,
        plane_name: PlaneQuery = None,
        v: Annotated[
            str | None, Query(max_length=MAX_VERSION_CHARS, description=VERSION_DOC)
        ] = None,
    ) -> Response:
        """The n x n manifold as one PNG (n*28 pixels a side), decoded in one batched pass. Points
        are spaced by the inverse normal CDF unless a span is given; `plane=pca` walks the atlas's
        PCA plane instead of two latent dims (for models with more than two, and their default).
        The plane passes through z where one is given (the other dims held at its values), else
        through z = 0 for dims and the test codes' mean for PCA. The digit in row r, column c
        (from the top left) decodes the plane's point (x_c, y_r): x grows to the right, y
        upward, as on the atlas's map."""
        inference.require_latent_walk(entry)
        base = None
        if z:  # z= is z left out
            base = torch.from_numpy(parse_z(z, entry.latent_dim, settings.max_abs_z)[0])
        origin, ax, ay = plane(entry, dims, plane_name, base)
        y = inference.labels(
            entry, None if label is None else [label] * n * n, n * n, ("query", "label")
        )

        def render() -> bytes:
            points = plane_grid(n, origin.cpu(), ax.cpu(), ay.cpu(), span).to(entry.device)
            probs = inference.sigmoid(inference.decode(entry, points, y))
            return encode_png(tile(to_uint8(probs), n, n), level=1)

        # Even a 20x20 grid is 400 decodes: in the heavy queue, never on the event loop.
        png = await run_limited(request, "heavy", render)
        return Response(png, media_type="image/png", headers=picture_headers(entry, v))

    @router.get(
        "/atlas",
        response_model=AtlasResponse,
        responses={
            **ERRORS,
            304: {"description": "the cached copy is current"},
            404: {"description": "unknown model or no atlas"},
        },
    )
    async def atlas(
        entry: EntryDep,
        request: Request,
        dims: Annotated[
            str | None, Query(max_length=50, description="two latent dims, e.g. 0,1")
        ] = None,
        plane_name: PlaneQuery = None,
    ) -> Response:
        """Posterior means of the test set with labels: two latent dims, or the PCA plane by
        default for models with more than two (its axes included, to map a click back to z)."""
        if entry.model.atlas is None:
            raise InputError(("path", "model_id"), f"{entry.id} has no atlas", status=404)
        # An hour in the browser's cache, then a revalidation that costs a 304 and no body. A view
        # not kept is built in the heavy queue: 10-120 ms on the event loop slowed every other
        # request ~8x for a client rotating ?dims= (hostile pass 5).
        plane = choose_plane(entry, dims, plane_name)
        body, etag = entry.cache.get(plane or "pca") or await run_limited(
            request, "heavy", atlas_body, entry, plane
        )
        return conditional(
            request, body, etag, "application/json", {"Cache-Control": "max-age=3600"}
        )

    @router.post("/interpolate", response_model=InterpolateResponse, responses=JSON_ERRORS)
    async def interpolate_route(
        entry: EntryDep,
        body: InterpolateRequest,  # type: ignore[valid-type]
        request: Request,
    ) -> dict | Response:
        """Frames from start to end (each a z or MNIST-formatted pixels, encoded to mu)."""
        inference.require_latent_walk(entry)
        label = body.label
        pixel_ends = [p for p in (body.start, body.end) if not isinstance(p, LatentPoint)]
        if label is None and pixel_ends and entry.model.capabilities.infers_label:
            # As /encode does: a model that reads labels reads one off the drawing (review 14:
            # the M2 asked here for the label it infers there).
            x = inference.pixels_tensor(entry, pixel_ends[0].pixels)
            with torch.inference_mode():
                label = int(entry.model.classify(x)[0].argmax())
        y1 = inference.labels(entry, None if label is None else [label], 1, ("body", "label"))
        ends = []
        for name, point in (("start", body.start), ("end", body.end)):
            if isinstance(point, LatentPoint):
                ends.append(inference.latents(entry, [point.z], ("body", name, "z"), one=True)[0])
            else:
                x = inference.pixels_tensor(entry, point.pixels)
                ends.append(inference.encode(entry, x, y1)[0][0])
        path = interpolate(ends[0].cpu(), ends[1].cpu(), body.steps, body.method).to(entry.device)
        y = None if y1 is None else y1.expand(body.steps)
        head = {"model": entry.id, "output": body.output, "z": path.cpu().tolist(), "label": label}
        return await inference.render_answer(request, entry, path, y, body.output, head)

    return router
