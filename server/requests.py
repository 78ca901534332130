"""Request bodies (JSON, forms, uploads) and the limiters routes run work under, shared by the
routes (routes never import each other; what GET routes read from a query: query_params.py)."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import TypeVar

import anyio.to_thread
import numpy as np
from fastapi import Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.routing import APIRoute
from pydantic import BaseModel, ValidationError
from starlette.datastructures import FormData, UploadFile
from starlette.exceptions import HTTPException

from .errors import (
    QUOTE_CHARS,
    ClientGone,
    InputError,
    load_json,
    parse_json_body,
    quote,
    validated,
    validation_errors,
)
from .upload_checks import ImageInputError
from .wait_bounds import FairQueue, client_key

# A JSON body this large is parsed and validated in a worker thread (under the uploads limiter),
# not on the event loop: 3.5 MB of 300,000 short rows took ~200 ms to parse on this machine's
# CPU, and /encode's validation of it ~480 ms, time in which the server answered nobody else.
# Below it parsing takes a few ms, less than the trip to a thread. The parsers hold the GIL, so
# the loop still waits while one runs; what it gains is the turns between the steps.
PARSE_OFF_LOOP_BYTES = 64 * 1024
PNG_RESPONSE = {200: {"content": {"image/png": {}}, "description": "a PNG image"}}
ERRORS = {
    400: {"description": "the body could not be parsed"},
    404: {"description": "unknown model"},
    413: {"description": "body too large"},
    503: {
        "description": "busy: too many requests wait for the renderer, or too many bodies "
        "arrive at once; Retry-After says when to ask again"
    },
}
UPLOAD_ERRORS = {**ERRORS, 415: {"description": "not an image, or an unsupported content type"}}
JSON_ERRORS = {**ERRORS, 415: {"description": "the body is not application/json"}}
T = TypeVar("T")


@dataclass(frozen=True)
class Upload:
    """A multipart request: the file's bytes and its text fields, validated by a form schema."""

    data: bytes
    form: BaseModel


def content_type(request: Request) -> str:
    return request.headers.get("content-type", "").split(";")[0].strip().lower()


# RFC 2046 allows 70 characters; 200 is lenient. The whole value, not its first 200 characters.
BOUNDARY = re.compile(r'boundary=(?:"([^"]{1,200})"|([^\s;"]{1,200}))(?=[\s;]|$)', re.I)


async def check_multipart_closed(request: Request) -> None:
    """A multipart body cut short (no closing boundary) is a 400 saying so: the parser took what
    had arrived and the answer was that the 'image' field was missing. The body is read once
    here; Starlette keeps it for request.form()."""
    found = list(BOUNDARY.finditer(request.headers.get("content-type", "")))
    if not found:
        msg = "multipart/form-data needs a boundary of at most 200 characters"
        raise InputError(("header", "content-type"), msg, 400)
    if len(found) > 1:
        # This check read the first and the parser the last: a whole body was said to end
        # before its closing boundary (hostile pass 10). One value, as for query parameters.
        msg = "the Content-Type gives boundary more than once"
        raise InputError(("header", "content-type"), msg, 400)
    m = found[0]
    close = b"--" + (m[1] or m[2]).encode("latin-1") + b"--"
    if close not in await request.body():
        raise InputError(("body",), "the multipart body ends before its closing boundary", 400)


def is_json(ctype: str) -> bool:
    """JSON, or no type at all (read as JSON); application/*+json too, as FastAPI reads it."""
    return ctype in ("application/json", "") or (
        ctype.startswith("application/") and ctype.endswith("+json")
    )


class JsonBodyRoute(APIRoute):
    """A route with a declared JSON body, answered like /encode's body read by hand: 415 naming
    the type for one sent as another type, and pydantic's precise 422 for one that does not
    parse. FastAPI's own answers were a 422 "Input should be a valid dictionary" for a JSON body
    sent as text/plain (curl -d), and a bare 400 "There was an error parsing the body" for deep
    nesting, a 5000-digit number or bad UTF-8. Its routers set strict_content_type=False, so a
    body without a Content-Type is read as JSON, as /encode reads it."""

    def get_route_handler(self) -> Callable:
        handler = super().get_route_handler()
        model = None if self.body_field is None else self.body_field.field_info.annotation
        if not (isinstance(model, type) and issubclass(model, BaseModel)):
            return handler

        async def json_body_handler(request: Request) -> Response:
            ctype = content_type(request)
            if not is_json(ctype):
                msg = f"send application/json, not {quote(ctype)}"
                raise InputError(("header", "content-type"), msg, status=415)
            if ctype == "":
                without_type(request)
            raw = await request.body()
            if len(raw) >= PARSE_OFF_LOOP_BYTES:
                # Starlette keeps what request.json() parsed in `_json`, and FastAPI reads it
                # from there (tests/test_large_json_bodies.py fails if it no longer does).
                request._json = await run_limited(request, "uploads", parse_checked, model, raw)
            try:
                return await handler(request)
            except (HTTPException, RequestValidationError) as exc:
                unparsed = isinstance(exc, HTTPException) and exc.status_code == 400
                bad_json = isinstance(exc, RequestValidationError) and any(
                    e.get("type") == "json_invalid" for e in exc.errors()
                )
                if not (unparsed or bad_json):
                    raise
                # Only on this error path: pydantic's parser names the place (load_json raises).
                load_json(model, await request.body())
                raise  # json.loads took it on a second look: FastAPI's answer stands

        return json_body_handler


def without_type(request: Request) -> None:
    """A Content-Type that names no type (";", "; charset=utf-8") is taken off, so FastAPI reads
    the body as JSON, as it reads a body without one and as /encode reads both: it parsed the
    value as text/plain and handed the route bytes, and a valid JSON object got a 422 "Input
    should be a valid dictionary" (hostile pass 10). The list is changed in place: it is the
    one request.headers reads."""
    headers = request.scope["headers"]
    headers[:] = [(k, v) for k, v in headers if k != b"content-type"]


def parse_checked(model: type[BaseModel], raw: bytes) -> object:
    """A large declared body parsed and validated as FastAPI would on the event loop, for a worker
    thread: its 422 is raised here, and a body that passes is returned as the model's instance,
    which FastAPI takes as it is (handed the parsed dict, it validated it again on the loop:
    0.4 s for 2M latents; review). A body that is not a JSON object goes back parsed, for
    FastAPI's own error about its type (it costs nothing: no field is read)."""
    parsed = load_json(model, raw)
    return validated(model, parsed) if isinstance(parsed, dict) else parsed


async def parse_json(request: Request, schema: type[T], raw: bytes) -> T:
    """A JSON body read by hand, validated by `schema`; a large one in a worker thread."""
    if len(raw) < PARSE_OFF_LOOP_BYTES:
        return parse_json_body(schema, raw)  # type: ignore[arg-type, return-value]
    return await run_limited(request, "uploads", parse_json_body, schema, raw)  # type: ignore[arg-type]


def form_fields(items: list[tuple[str, str | UploadFile]], known: set[str]) -> dict[str, str]:
    """The text fields of a multipart form besides its 'image', as JSON bodies are read: a field
    given twice or an unknown one is a 422 (each was dropped without a word, the last of a
    repeated one winning; a second file is the parser's 400). An empty field is an absent one."""
    fields: dict[str, str] = {}
    for name, value in items:
        if name == "image" or not isinstance(value, str):  # the one file (max_files=1)
            continue
        if name not in known:
            names = ", ".join(sorted(known))
            msg = f"unknown field {quote(name)}; the fields are image, {names}"
            raise InputError(("body", name[:QUOTE_CHARS]), msg)
        if name in fields:
            raise InputError(("body", name), f"{name} is given more than once")
        fields[name] = value
    return {k: v for k, v in fields.items() if v != ""}


def said_for_this_form(exc: HTTPException, fields: list[str]) -> Exception:
    """The multipart parser's limits in this form's words: "Too many files" answered a mask sent
    as a file beside one image, and "Too many fields" named no field (hostile pass 13)."""
    detail, names = str(exc.detail), ", ".join(fields)
    if detail.startswith("Too many files"):
        msg = f"one file is read, 'image'; send {names} as text fields (a part with a filename "
        msg += "is a file)"
        return InputError(("body",), msg, status=400)
    if detail.startswith("Too many fields"):
        return InputError(("body",), f"too many parts: the fields are image, {names}", status=400)
    return exc


async def read_form(form: FormData, form_schema: type[BaseModel]) -> Upload:
    """The one picture and the text fields of a parsed multipart form."""
    upload = form.get("image")
    if isinstance(upload, str):
        # A part without a filename parameter (filename* alone, say) is a text field to the
        # parser: "a file field named 'image' is required" denied what was sent (hostile 10).
        msg = "'image' arrived as a text field (its part has no filename): send it as a file"
        raise InputError(("body", "image"), msg)
    if not isinstance(upload, UploadFile):
        raise InputError(("body", "image"), "a file field named 'image' is required")
    fields = form_fields(form.multi_items(), set(form_schema.model_fields))
    try:
        parsed = form_schema.model_validate(fields)
    except ValidationError as exc:
        raise validation_errors(exc) from None
    return Upload(await upload.read(), parsed)


def refusal_as_value(fn: Callable[..., np.ndarray], *args) -> np.ndarray | ImageInputError:
    """fn(*args) in a worker thread, its refusal returned fresh (with no traceback), not raised."""
    try:
        return fn(*args)
    except ImageInputError as exc:
        return ImageInputError(str(exc), exc.status)


async def read_picture(request: Request, fn: Callable[..., np.ndarray], *args) -> np.ndarray:
    """An upload's picture decoded by `fn` under the uploads limiter, a refusal answered as the
    API's error naming the image. The refusal comes back from the thread as a value: raised
    there, the future that carried it and the frames of its traceback held each other, and with
    them the request, its body and the picture's bytes, in cycles only a full collection frees,
    which the server's gc.freeze() makes rare (review 14; hostile pass 12 had mended the same
    one frame down, in preprocess_upload)."""
    got = await run_limited(request, "uploads", refusal_as_value, fn, *args)
    if isinstance(got, ImageInputError):
        raise InputError(("body", "image"), str(got), status=got.status)
    return got


async def read_upload_or_json(
    request: Request, schema: type[T], form_schema: type[BaseModel], max_bytes: int
) -> T | Upload:
    """A JSON body validated by `schema`, or a multipart upload (field 'image') whose text fields
    are validated by `form_schema`. Errors are 4xx naming the field; 415 for other types."""
    ctype = content_type(request)
    if ctype == "multipart/form-data":
        await check_multipart_closed(request)
        max_fields = len(form_schema.model_fields) + 1
        try:
            form = await request.form(max_files=1, max_fields=max_fields, max_part_size=max_bytes)
        except HTTPException as exc:
            raise said_for_this_form(exc, sorted(form_schema.model_fields)) from None
        try:
            return await read_form(form, form_schema)
        finally:
            # A part over 1 MiB is spooled to a file, open until closed: nobody closed it, and a
            # failed upload's stayed open until a full collection (review 14).
            await form.close()
    if is_json(ctype):
        return await parse_json(request, schema, await request.body())
    raise InputError(
        ("header", "content-type"),
        f"send application/json or multipart/form-data, not {quote(ctype)}",
        status=415,
    )


async def run_limited(request: Request, limiter_name: str, fn: Callable[..., T], *args) -> T:
    """Run blocking work in a thread in one of the app's queues (set up in the lifespan): heavy
    work queues there instead of filling the shared thread pool. Work whose
    client hung up while it waited is dropped: 30 abandoned 64x64 grids kept the one heavy
    worker busy for seconds of renders nobody would read (bench/abandoned_work.py)."""
    queue: FairQueue = getattr(request.app.state, limiter_name)
    # Each queue serves client addresses in turns, bounded (server/wait_bounds.py).
    async with queue.slot(client_key(request.client.host if request.client else None)):
        if await request.is_disconnected():
            raise ClientGone
        return await anyio.to_thread.run_sync(fn, *args)
