"""How to read the pydantic models: what a key path leads to, and what a field's type holds.

The lint messages (`wishcraft.lint.schema`), completion and hover (`wishcraft.lsp.features`)
all ask the models the same questions: which model's keys belong under a path, which enum a
value must be, what a list holds, an integer field's range. Asking them here, one way, keeps
the answers (and so the messages and the editor) in agreement, and keeps `typing`'s
introspection (`Annotated`, `X | None`, `list[X]`) out of the modules that use it.

Every function takes a pydantic `FieldInfo` or a bare annotation, as `model_for_path` returns
either (a field for a key, an annotation for a list item).
"""

from __future__ import annotations

from functools import lru_cache
from types import UnionType
from typing import Any, Union, get_args, get_origin

from pydantic import BaseModel, RootModel
from pydantic.fields import FieldInfo

from wishcraft.model import INTEGER_TYPE_NAMES, SpelledEnum

KeyPath = tuple[str | int, ...]


def annotation_of(item: Any) -> Any:
    """The annotation of a field, or the annotation itself."""
    return item.annotation if isinstance(item, FieldInfo) else item


def strip_annotated(annotation: Any) -> Any:
    """Strip `Annotated[...]` (as in `StrictStr`, `U16`) from an annotation."""
    while hasattr(annotation, "__metadata__"):
        annotation = get_args(annotation)[0]
    return annotation


def is_nullable(annotation: Any) -> bool:
    """Whether an annotation admits null (`X | None`)."""
    annotation = annotation_of(annotation)
    return get_origin(annotation) in (Union, UnionType) and type(None) in get_args(annotation)


def members(item: Any) -> list[Any]:
    """The types a field or annotation may hold, `None` left out and `Annotated` stripped."""
    annotation = annotation_of(item)
    if get_origin(annotation) in (Union, UnionType):
        return [strip_annotated(arg) for arg in get_args(annotation) if arg is not type(None)]
    return [strip_annotated(annotation)]


def _is_model(candidate: Any) -> bool:
    return (
        isinstance(candidate, type)
        and issubclass(candidate, BaseModel)
        and not issubclass(candidate, RootModel)
    )


def model_class(item: Any) -> type[BaseModel] | None:
    """The mapping model a field (or annotation) holds, directly or optionally, else None."""
    return next((part for part in members(item) if _is_model(part)), None)


def list_item(item: Any) -> Any | None:
    """The item annotation of a list field (or annotation), optional or not, else None."""
    for part in members(item):
        if get_origin(part) is list:
            return get_args(part)[0]
    return None


def nested_model(item: Any) -> type[BaseModel] | None:
    """The mapping model a field holds directly, optionally or as its list items, else None:
    the model whose keys a walk of the document checks under that field."""
    found = model_class(item)
    if found is not None:
        return found
    inner = list_item(item)
    return model_class(inner) if inner is not None else None


@lru_cache(maxsize=256)
def child_model(model: type[BaseModel], name: str) -> type[BaseModel] | None:
    """`nested_model` of `model`'s field `name`, worked out once per process (every wish and
    every conduit of a registry asks the same few questions)."""
    return nested_model(model.model_fields[name])


def enum_class(item: Any) -> type[SpelledEnum] | None:
    """The enum a field (or annotation) holds directly, optionally or as list items."""
    for part in members(item):
        if get_origin(part) is list:
            part = strip_annotated(get_args(part)[0])
        if isinstance(part, type) and issubclass(part, SpelledEnum):
            return part
    return None


def integer_bounds(item: Any) -> tuple[int, int] | None:
    """The (minimum, maximum) of a range-checked integer field, also inside `U32 | None`."""
    constraints: list[Any] = list(getattr(item, "metadata", ()))  # a field's own `Annotated`
    annotation = annotation_of(item)
    for part in (annotation, *get_args(annotation)):
        constraints.extend(getattr(part, "__metadata__", ()))
    low = high = None
    for entry in constraints:
        for constraint in getattr(entry, "metadata", [entry]):  # a `Field(...)` inside
            low = getattr(constraint, "ge", low)
            high = getattr(constraint, "le", high)
    return (low, high) if low is not None and high is not None else None


def integer_type_name(item: Any) -> str | None:
    """`u8`, `u16`, `u32` or `u64` for a range-checked integer field, else None."""
    bounds = integer_bounds(item)
    return INTEGER_TYPE_NAMES.get(bounds) if bounds is not None else None


def model_for_path(root: type[BaseModel], path: KeyPath) -> Any:
    """The field (or, after a list index, the item annotation) a key path within `root` leads
    to, or None when the path leaves the model.

    Hover, completion and the lint messages use it to find the key under the cursor or in an
    error. A root model (the registry's list) is entered through its `root` field.
    """
    current: Any = root
    for part in path:
        if isinstance(part, int):
            if isinstance(current, type) and issubclass(current, RootModel):
                current = current.model_fields["root"]
            current = list_item(current)
            continue
        model = _keyed_model(current)
        if model is None or part not in model.model_fields:
            return None
        current = model.model_fields[part]
    return current


def _keyed_model(item: Any) -> type[BaseModel] | None:
    """The model (a root model included) whose fields are the keys under a path, else None."""
    return next(
        (part for part in members(item) if isinstance(part, type) and issubclass(part, BaseModel)),
        None,
    )
