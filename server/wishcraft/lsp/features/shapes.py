"""What the models say about a key: its type in words, its range, its example, its value shape.

Completion, hover and quick fixes all describe keys from the pydantic models, so they agree
with each other and with the JSON Schemas. `value_text` writes a key's value shape either as
an LSP snippet (with placeholders) or as plain text (the examples themselves) for clients
without snippet support.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel, RootModel
from pydantic.fields import FieldInfo

from wishcraft.findings import Path
from wishcraft.lint import DocumentKind
from wishcraft.model import INTEGER_TYPE_NAMES, ConduitRegistry, SpelledEnum, Wish
from wishcraft.modelinfo import (
    enum_class,
    integer_bounds,
    is_nullable,
    list_item,
    members,
    model_class,
    model_for_path,
)


def root_model(kind: DocumentKind) -> type[BaseModel]:
    """The model a document of `kind` follows."""
    return Wish if kind is DocumentKind.WISH else ConduitRegistry


def model_at(kind: DocumentKind, path: Path) -> type[BaseModel] | None:
    """The mapping model whose keys belong at `path` (a wish's top level is `Wish`)."""
    root = root_model(kind)
    if not path:
        return None if issubclass(root, RootModel) else root
    found = model_for_path(root, path)
    return model_class(found) if found is not None else None


def field_at(kind: DocumentKind, path: Path) -> FieldInfo | None:
    """The pydantic field at a key path, or None (list items and unknown keys)."""
    if not path or not isinstance(path[-1], str):
        return None
    found = model_for_path(root_model(kind), path)
    return found if isinstance(found, FieldInfo) else None


def type_words(field: FieldInfo) -> str:
    """Describe a field's type the way a person reads it: `integer (u16)`, `list of text`."""
    optional = not field.is_required()
    words = _annotation_words(field.annotation, field)
    return f"{words}, optional" if optional else words


def _annotation_words(annotation: Any, field: FieldInfo | None = None) -> str:
    part = members(annotation)[0]
    suffix = " or null" if is_nullable(annotation) else ""
    if isinstance(part, type) and issubclass(part, SpelledEnum):
        return "one of " + ", ".join(member.value for member in part) + suffix
    if isinstance(part, type) and issubclass(part, BaseModel):
        return "mapping of " + ", ".join(part.model_fields) + suffix
    item = list_item(part)
    if item is not None:
        return "list of " + _annotation_words(item).removeprefix("one of ") + suffix
    if part is int:
        bounds = integer_bounds(field) if field is not None else None
        name = INTEGER_TYPE_NAMES.get(bounds) if bounds else None
        return (f"integer ({name})" if name else "integer") + suffix
    if part is str:
        return "text" + suffix
    if part is bool:
        return "true or false" + suffix
    return getattr(part, "__name__", str(part)) + suffix


def range_words(field: FieldInfo) -> str | None:
    """The allowed range of an integer field (`0 to 65,535`), else None."""
    bounds = integer_bounds(field)
    return f"{bounds[0]:,} to {bounds[1]:,}" if bounds else None


def example_of(field: FieldInfo) -> Any:
    """The field's first documented example, or None."""
    return field.examples[0] if field.examples else None


@dataclass(slots=True)
class _Placeholders:
    """Numbers snippet placeholders in the order they are written."""

    snippets: bool
    next_number: int = 1

    def wrap(self, text: str) -> str:
        if not self.snippets:
            return text
        number = self.next_number
        self.next_number += 1
        return f"${{{number}:{escape_snippet(text)}}}"

    def choice(self, options: list[str]) -> str:
        if not self.snippets:
            return options[0]
        number = self.next_number
        self.next_number += 1
        escaped = [
            escape_snippet(option).replace(",", "\\,").replace("|", "\\|") for option in options
        ]
        return f"${{{number}|{','.join(escaped)}|}}"


def escape_snippet(text: str) -> str:
    """Escape `$`, `}` and `\\` so text stands literally inside a snippet."""
    return text.replace("\\", "\\\\").replace("$", "\\$").replace("}", "\\}")


def _scalar(value: Any) -> str:
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)
    if value is None:
        return "null"
    return json.dumps(value)


def key_text(
    kind: DocumentKind,
    path: Path,
    indent: int,
    *,
    snippets: bool,
    placeholders: _Placeholders | None = None,
) -> str:
    """Write `key: value-shape` for the key at `path`, the key at column `indent`.

    Nested lines carry their absolute indentation, so the text is inserted as it is.
    """
    holder = placeholders or _Placeholders(snippets)
    key = str(path[-1])
    field = field_at(kind, path)
    if field is None:
        return f"{key}: "
    return key + ":" + _value_shape(kind, path, field, indent, holder)


def _value_shape(
    kind: DocumentKind, path: Path, field: FieldInfo, indent: int, holder: _Placeholders
) -> str:
    inner = " " * (indent + 2)
    model = model_class(field)
    enum = enum_class(field)
    item = list_item(field)
    example = example_of(field)
    if model is not None:
        keys = [name for name, sub in model.model_fields.items() if sub.is_required()] or list(
            model.model_fields
        )
        return "".join(
            "\n"
            + inner
            + key_text(
                kind, (*path, name), indent + 2, snippets=holder.snippets, placeholders=holder
            )
            for name in keys
        )
    if item is not None:
        examples = example if isinstance(example, list) and example else [None]
        item_enum = enum_class(item)
        if item_enum is not None:
            return f"\n{inner}- " + holder.choice([member.value for member in item_enum])
        if model_class(item) is not None:
            return f"\n{inner}- "
        value = examples[0] if examples[0] is not None else ""
        return f"\n{inner}- " + holder.wrap(_scalar(value))
    if enum is not None:
        members = [member.value for member in enum]
        if isinstance(example, str) and example in members:
            members.remove(example)
            members.insert(0, example)
        return " " + holder.choice(members)
    if example is not None:
        return " " + holder.wrap(_scalar(example))
    return " " + holder.wrap('""')


def wish_skeleton(*, snippets: bool) -> str:
    """A whole wish: every required key and `tier`, with examples as placeholders."""
    holder = _Placeholders(snippets)
    keys = [*Wish.REQUIRED_KEYS, "tier"]
    return (
        "\n".join(
            key_text(DocumentKind.WISH, (key,), 0, snippets=snippets, placeholders=holder)
            for key in keys
        )
        + "\n"
    )
