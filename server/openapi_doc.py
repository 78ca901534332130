"""The OpenAPI document: FastAPI's, mended where it misdescribes what the server takes."""

from __future__ import annotations

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi
from pydantic import BaseModel

from .request_schemas import request_models
from .routes import decode_png
from .settings import Settings

# pydantic writes a bound on a type it validates through a function (our numbers read from
# text, in query strings) under its own keyword: JSON Schema's tools and /docs ignored them,
# and grid.png's n, label and span showed no limits (API pass).
BOUND_NAMES = {"ge": "minimum", "le": "maximum", "gt": "exclusiveMinimum", "lt": "exclusiveMaximum"}


def build_openapi(app: FastAPI, settings: Settings) -> dict:
    schema = get_openapi(
        title=app.title, version=app.version, description=app.description, routes=app.routes
    )
    # decode.png is a plain route (see its module): its entry is written by hand.
    schema["paths"][decode_png.PATH] = decode_png.OPENAPI
    # /encode and /complete read JSON or a form by hand, and name their JSON bodies by $ref:
    # without them in components, /docs showed a resolver error. All request bodies are
    # pydantic's own: FastAPI's copies had every bound as a float, and the seed's 2**63 - 1 as
    # 2**63, which the server refuses (API pass).
    bodies = request_models(settings)
    for model in (
        bodies.decode,
        bodies.generate,
        bodies.interpolate,
        bodies.encode,
        bodies.complete,
    ):
        add_component(schema, model)
    rename_bounds(schema["paths"])
    describe_errors(schema)
    return schema


def describe_errors(schema: dict) -> None:
    """Every 4xx in the one shape the server sends: FastAPI described it for 422 alone, with
    `input` and `ctx` fields the server never sends (the input is not echoed), and left 400,
    404, 413 and 415 without a body (API pass)."""
    components = schema["components"]["schemas"]
    error = components["ValidationError"]
    for unsent in ("input", "ctx"):
        error["properties"].pop(unsent, None)
    error["description"] = (
        "one fault: where (loc), what (msg, quoting at most 40 characters of the input) "
        "and its kind"
    )
    components["HTTPValidationError"]["description"] = "every 4xx answer's body"
    body = {"application/json": {"schema": {"$ref": "#/components/schemas/HTTPValidationError"}}}
    for operation in (op for ops in schema["paths"].values() for op in ops.values()):
        for status, response in operation.get("responses", {}).items():
            if status.startswith("4"):
                response["content"] = body


def add_component(schema: dict, model: type[BaseModel]) -> None:
    """A request model, and the models it uses, under components/schemas by their names."""
    own = model.model_json_schema(ref_template="#/components/schemas/{model}", mode="validation")
    components = schema.setdefault("components", {}).setdefault("schemas", {})
    components.update(own.pop("$defs", {}))
    components[model.__name__] = own


def rename_bounds(node: object) -> None:
    """pydantic's bound keywords in a schema with a type, as JSON Schema names them."""
    if isinstance(node, dict):
        if "type" in node:
            for ours, standard in BOUND_NAMES.items():
                if ours in node:
                    node[standard] = node.pop(ours)
        for value in node.values():
            rename_bounds(value)
    elif isinstance(node, list):
        for value in node:
            rename_bounds(value)
