"""One shape for every client error, 404 and 413 included: FastAPI's 422 body,
{"detail": [{"loc", "msg", "type"}]}, and never more than QUOTE_CHARS of the input echoed."""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Sequence

from fastapi import Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ValidationError
from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

log = logging.getLogger("latent_explorer")
QUOTE_CHARS = 40


def quote(value: object, limit: int = QUOTE_CHARS) -> str:
    """ascii() of client input, cut to `limit` characters: a 3 MB id is not worth echoing, and
    a look-alike is shown as what it is ('v\\u0430e-mnist-z2', a Cyrillic а: with repr() it read as
    the real id, hostile pass 14)."""
    text = ascii(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."


class InputError(Exception):
    """Bad client input found after the schema passed (it depends on the model)."""

    def __init__(self, loc: tuple[str | int, ...], msg: str, status: int = 422) -> None:
        super().__init__(msg)
        self.loc, self.msg, self.status = loc, msg, status


def z_size_error(loc: tuple | list, count: int, needs: str) -> InputError:
    """A z of the wrong length, said in grammar ("z has 1 value", API pass)."""
    return InputError(loc, f"z has {count} value{'' if count == 1 else 's'}; {needs}")


def error_body(loc: tuple | list, msg: str, kind: str = "value_error") -> dict:
    return {"detail": [{"loc": list(loc), "msg": msg, "type": kind}]}


def error_bytes(loc: tuple | list, msg: str, kind: str = "value_error") -> bytes:
    """error_body as the bytes FastAPI's JSONResponse sends (compact, UTF-8): the layers below
    FastAPI (protocol, limits, security) wrote `{"detail": [{"loc": ...` with spaces."""
    return json.dumps(
        error_body(loc, msg, kind), ensure_ascii=False, separators=(",", ":")
    ).encode()


class ClientGone(Exception):
    """The client hung up while its request waited for a worker: nobody is left to answer."""


class Busy(Exception):
    """Too many requests already wait for the same worker: told to come back, not queued."""


# Seconds a client told "busy" is asked to wait: a few grids' worth of rendering.
BUSY_RETRY_SECONDS = 2


async def busy_handler(_: Request, exc: Exception) -> JSONResponse:
    msg = f"the server is {exc}; retry shortly"
    return JSONResponse(
        error_body(("request",), msg, "busy"),
        status_code=503,
        headers={"Retry-After": str(BUSY_RETRY_SECONDS)},
    )


async def client_gone_handler(_: Request, exc: Exception) -> Response:
    # 499 is nginx's "client closed request": only the access log will ever read it.
    return Response(status_code=499)


async def send_error(
    send: Send,
    status: int,
    loc: tuple | list,
    msg: str,
    kind: str,
    headers: Sequence[tuple[bytes, bytes]] = (),
    scope_type: str = "http",
) -> None:
    """A whole error answer in the one shape, written by an ASGI layer below FastAPI;
    `scope_type` "websocket.http" writes it as a WebSocket denial response."""
    body = error_bytes(loc, msg, kind)
    await send(
        {
            "type": f"{scope_type}.response.start",
            "status": status,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(body)).encode()),
                *headers,
            ],
        }
    )
    await send({"type": f"{scope_type}.response.body", "body": body})


async def input_error_handler(_: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, InputError)
    return JSONResponse(error_body(exc.loc, exc.msg), status_code=exc.status)


async def http_error_handler(_: Request, exc: Exception) -> JSONResponse:
    """Starlette's own 404/405 (no such route or method) and any HTTPException, same shape."""
    assert isinstance(exc, HTTPException)
    msg = exc.detail if isinstance(exc.detail, str) else "error"
    return JSONResponse(
        error_body((), msg[:200], "http_error"), status_code=exc.status_code, headers=exc.headers
    )


MAX_ERRORS = 20  # per answer: the rest are counted, not listed


LABEL_BOUNDS = ("less_than_equal", "greater_than_equal")


def takes_no_label(model_id: str) -> str:
    return f"{model_id} is not conditional and takes no label"


def label_out_of_range(value: object, k: int) -> str:
    """'label 50 is out of range 0..9', the one wording of every route; a label of over 40
    characters (or none to quote) is "the label", not echoed."""
    text = str(value).strip() if isinstance(value, int | str) else ""
    said = f"label {text}" if re.fullmatch(r"[+-]?\d{1,39}", text) else "the label"
    return f"{said} is out of range 0..{k - 1}"


def label_range_msg(request: Request, error: dict) -> str | None:
    """A label past the schema's generous 0..1000, said in the model's own range as the route
    says one inside it ("label 50 is out of range 0..9"): 5000 was "less than or equal to 1000",
    which names a range no model has (API pass)."""
    names = [p for p in error.get("loc", ()) if isinstance(p, str)]
    if not names or names[-1] not in ("label", "labels") or error.get("type") not in LABEL_BOUNDS:
        return None
    registry = getattr(request.app.state, "registry", None)
    entry = registry.get(str(request.path_params.get("model_id", ""))) if registry else None
    if entry is None:
        return None
    if entry.num_classes == 0:  # as the route says it of a label inside 0..1000
        return takes_no_label(entry.id)
    # A form's or a query's label arrives as text; a multipart error carries no input at all.
    return label_out_of_range(error.get("input"), entry.num_classes)


def one_error(request: Request, e: dict) -> dict:
    """One of pydantic's errors in the API's shape, its input not echoed."""
    loc = [str(p)[:QUOTE_CHARS] if isinstance(p, str) else p for p in e.get("loc", ())]
    said = label_range_msg(request, e)
    if said:  # a value error, as the routes' own label messages are (hostile 13)
        return {"loc": loc, "msg": said, "type": "value_error"}
    # Our validators' messages read as written, without pydantic's "Value error, ".
    msg = str(e.get("msg", "")).removeprefix("Value error, ")[:200]
    # text_numbers' "must be an integer in ASCII digits, …" names no field: a form's label=abc
    # was told only that (hostile pass 16), where decode.png's query says "scale must be …".
    if msg.startswith("must be ") and loc and isinstance(loc[-1], str):
        msg = f"{loc[-1]} {msg}"
    return {"loc": loc, "msg": msg, "type": str(e.get("type", "value_error"))}


async def validation_error_handler(request: Request, exc: Exception) -> JSONResponse:
    """FastAPI's 422 without echoing the input: a NaN or a megabyte of pixels is not worth
    repeating, and a NaN cannot be written as JSON at all."""
    errors = getattr(exc, "errors", lambda: [])()
    detail = [one_error(request, e) for e in errors[:MAX_ERRORS]]
    if len(errors) > MAX_ERRORS:  # 380k unknown keys made a 34 MB answer
        more = f"and {len(errors) - MAX_ERRORS} more errors"
        detail.append({"loc": [], "msg": more, "type": "too_many_errors"})
    return JSONResponse({"detail": detail}, status_code=422)


def small_input(error: dict) -> dict:
    """The input kept where it is a short number or text (a label to name in its message), never
    pixels: errors are copied through JSON below, and a megabyte of them is not worth it."""
    value = error.get("input")
    small = (
        isinstance(value, int)
        and abs(value) < 10**40
        or isinstance(value, str)
        and len(value) <= 40
    )
    return {"input": value} if small else {}


def validation_errors(exc: ValidationError, prefix: tuple = ("body",)) -> RequestValidationError:
    """A pydantic error from a body read by hand -> the same 422 as a declared body's."""
    errors = [
        {"loc": (*prefix, *e["loc"]), "msg": e["msg"], "type": e["type"], **small_input(e)}
        for e in exc.errors(include_url=False, include_context=False)
    ]
    return RequestValidationError(json.loads(json.dumps(errors, default=str)))


def load_json(schema: type[BaseModel], raw: bytes) -> object:
    """A body parsed as FastAPI parses a declared one: json.loads of the bytes (which takes a
    UTF-8 BOM and UTF-16/32). When it refuses, pydantic's parser says where and why, in the same
    422 a declared body gets (FastAPI's own said "JSON decode error")."""
    try:
        return json.loads(raw)
    except (ValueError, RecursionError):
        pass
    try:
        schema.model_validate_json(raw)
    except ValidationError as exc:
        raise validation_errors(exc) from None
    raise InputError(("body",), "Invalid JSON: Python's parser refused the body")


def validated(schema: type[BaseModel], parsed: object) -> BaseModel:
    """`parsed` as the model, in Python mode as FastAPI validates a body; errors are the same 422,
    with locations under "body"."""
    try:
        return schema.model_validate(parsed)
    except ValidationError as exc:
        raise validation_errors(exc) from None


def parse_json_body(schema: type[BaseModel], raw: bytes) -> BaseModel:
    """Validate a JSON body read by hand, as a declared body is read (`load_json`, then the
    model): one reading for every route and size (hostile pass 5: /encode refused a BOM that
    /decode took)."""
    return validated(schema, load_json(schema, raw))


class CatchAll:
    """An unexpected error becomes one logged traceback and a clean JSON 500 on a connection that
    stays usable. Starlette's own last-resort handler re-raises after answering, so uvicorn logged
    a second traceback and sometimes reset the keep-alive connection."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = False

        async def tracked_send(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, receive, tracked_send)
        except Exception:
            log.exception("unexpected error on %s %s", scope.get("method"), scope.get("path"))
            if started:
                raise  # half a response sent: only closing the connection is honest
            await send_error(send, 500, (), "internal error", "internal_error")
