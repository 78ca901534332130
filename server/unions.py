"""Unions validated as the one form a value's shape picks: pydantic's plain unions report every
form's errors (784 "Input should be a valid array" before one real error in a flat list of
pixels)."""

from collections.abc import Callable
from typing import Annotated, Any, Union

from pydantic import (
    Discriminator,
    Tag,
    ValidationError,
    ValidatorFunctionWrapHandler,
    WrapValidator,
)

from .array_checks import shape_of


def by_shape(**forms: Any) -> Any:
    """A union validated as the one form the value's shape picks (`shape_of`; anything else as
    the last form)."""
    last = list(forms)[-1]

    def pick(value: object) -> str:
        shape = shape_of(value)
        return shape if shape in forms else last

    return one_of(forms, pick)


def one_of(forms: dict[str, Any], pick: Callable[[object], str]) -> Any:
    """A union validated as the one form `pick` names for the value. A plain union reports every
    form's errors: one pixel of 1.5 in a flat list got 784 "Input should be a valid array" (the
    rows form) before the one real error. The form's name is dropped from the errors' locations,
    so they stay paths into the body."""

    def untag(value: object, handler: ValidatorFunctionWrapHandler) -> object:
        try:
            return handler(value)
        except ValidationError as exc:
            errors = [
                {
                    "type": e["type"],
                    "loc": e["loc"][1:] if e["loc"] and e["loc"][0] in forms else e["loc"],
                    "input": e["input"],
                    **({"ctx": e["ctx"]} if "ctx" in e else {}),
                }
                for e in exc.errors()
            ]
            raise ValidationError.from_exception_data(exc.title, errors) from None  # type: ignore[arg-type]

    union = Union[tuple(Annotated[kind, Tag(tag)] for tag, kind in forms.items())]  # noqa: UP007
    return Annotated[union, Discriminator(pick), WrapValidator(untag)]
