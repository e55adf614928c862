"""The pages' form fields, checked by the API's own request models."""

from __future__ import annotations

from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from ..api.problems import ProblemError

M = TypeVar("M", bound=BaseModel)


def points_field(value: str) -> int | None:
    """An optional whole number of points as a form sends it (empty: none)."""
    value = value.strip()
    if not value:
        return None
    if not value.isascii() or not value.isdecimal() or len(value) > 18:
        raise ProblemError("validation-error", "nothing was changed: points must be a whole number")
    return int(value)


def validated(model: type[M], fields: dict[str, Any]) -> M:
    """`fields` as the API's request `model`, or a 422 page naming what is wrong."""
    try:
        return model.model_validate(fields)
    except ValidationError as exc:
        detail = "; ".join(f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in exc.errors())
        raise ProblemError("validation-error", f"nothing was changed: {detail}") from None
