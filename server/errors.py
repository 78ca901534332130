"""One shape for client errors: FastAPI's 422 body, {"detail": [{"loc", "msg", "type"}]}."""

from __future__ import annotations

import json

from fastapi import Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ValidationError


class InputError(Exception):
    """Bad client input found after the schema passed (it depends on the model)."""

    def __init__(self, loc: tuple[str | int, ...], msg: str, status: int = 422) -> None:
        super().__init__(msg)
        self.loc, self.msg, self.status = loc, msg, status


def error_body(loc: tuple, msg: str, kind: str = "value_error") -> dict:
    return {"detail": [{"loc": list(loc), "msg": msg, "type": kind}]}


async def input_error_handler(_: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, InputError)
    return JSONResponse(error_body(exc.loc, exc.msg), status_code=exc.status)


async def validation_error_handler(_: Request, exc: Exception) -> JSONResponse:
    """FastAPI's 422 without echoing the input: a NaN or a megabyte of pixels is not worth
    repeating, and a NaN cannot be written as JSON at all."""
    errors = getattr(exc, "errors", lambda: [])()
    detail = [
        {
            "loc": list(e.get("loc", ())),
            "msg": str(e.get("msg", "")),
            "type": str(e.get("type", "value_error")),
        }
        for e in errors
    ]
    return JSONResponse({"detail": detail}, status_code=422)


def parse_json_body(schema: type[BaseModel], raw: bytes) -> BaseModel:
    """Validate a JSON body read by hand (for routes that also take multipart); errors become
    the same 422 as a declared body's, with locations under "body"."""
    try:
        return schema.model_validate_json(raw)
    except ValidationError as exc:
        errors = [{**e, "loc": ("body", *e["loc"])} for e in exc.errors(include_url=False)]
        raise RequestValidationError(json.loads(json.dumps(errors, default=str))) from None
