"""GET /api/models/{id}/decoder.safetensors: the decoder as a file, for the page to run.

The bytes are built once at start-up (`model.decoder_file`); this route only serves them. The URL
that `/api/models` advertises carries the content hash (`?v=`), so a browser keeps the file for a
year and asks again only when the model changes; any other URL gets the strong ETag and is
revalidated.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request, Response

from ..conditional import conditional
from ..deps import EntryDep
from ..errors import InputError
from ..kept_answers import mark_kept
from ..query_params import IMMUTABLE, MAX_VERSION_CHARS, is_current

router = APIRouter(prefix="/api/models/{model_id}", tags=["decode"])
MEDIA_TYPE = "application/octet-stream"


@router.get(
    "/decoder.safetensors",
    response_class=Response,
    responses={
        200: {"content": {MEDIA_TYPE: {}}, "description": "safetensors: tensors and stages"},
        304: {"description": "the cached copy is current"},
        404: {"description": "unknown model, or one that is not walked from a bare z"},
    },
)
async def decoder_file(
    entry: EntryDep,
    request: Request,
    v: Annotated[
        str | None, Query(max_length=MAX_VERSION_CHARS, description="content hash prefix")
    ] = None,
) -> Response:
    """The decoder's weights and, in the header's metadata, the JSON description of its stages
    (see the README: other tools read it with the `safetensors` library)."""
    file = entry.decoder_file
    if file is None:
        raise InputError(
            ("path", "model_id"), f"{entry.id} has no decoder to export: it is not walkable", 404
        )
    etag = f'"{file.sha256}"'
    headers = IMMUTABLE if is_current(file, v) else {"Cache-Control": "no-cache"}
    mark_kept(request.scope)  # file.data is the registry's, sent by reference
    return conditional(request, file.data, etag, MEDIA_TYPE, headers)
