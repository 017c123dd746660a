"""Read a YAML tree as upstream does: what serde_yaml 0.9 hands each field of upstream's types.

The YAML layer resolves scalars with the YAML 1.2 core schema, the same for every node. serde
does not: the type of the field a scalar fills decides what it becomes, and the scalar's style
(plain or quoted) decides more than its tag. Measured against a build of upstream's lint path
(`scripts/upstream-verdicts.sh`, `tests/fixtures/upstream/verdicts.json`):

- a text field takes any scalar as its text: `title: null` is the title "null", `region:` the
  empty text, `42` the text "42";
- a list or a mapping takes an empty plain scalar (`invariants:`) as empty, and refuses `null`;
- an optional field (`tier`, `meta.author_id`) takes `null`, `~` and an empty plain scalar as
  absent;
- an integer field parses a plain scalar, whatever its tag (`!!str 7` is 7), with serde_yaml's
  own rules: `0x10`, `0o17` and `+5` are numbers, `007` is text (a leading zero) and so is any
  quoted scalar (`!!int "7"`);
- an enum takes only the spelling its Rust type declares (`meso`, `world-authoring`).

`read_as_upstream` returns the data upstream's types would hold (as plain values the pydantic
models validate), the findings for what upstream rejects although our YAML layer accepts it or
accepts with a value we would not give it, and the paths those findings already explain.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from pydantic import BaseModel, RootModel

from wishcraft.documents import Node, NodeKind
from wishcraft.documents.yamltree import to_python
from wishcraft.findings import Finding, Path, ReplacementData, Span, format_path
from wishcraft.lint.catalog import RULES
from wishcraft.lint.schema import omitted_finding
from wishcraft.model import SpelledEnum, Tier
from wishcraft.modelinfo import (
    enum_class,
    integer_bounds,
    integer_type_name,
    is_nullable,
    list_item,
    members,
    model_class,
)

SERDE_YAML = "serde_yaml 0.9"
"""The YAML reader upstream links (its Cargo.lock: serde_yaml 0.9.34, unsafe-libyaml 0.2.11)."""

_NULL_WORDS = frozenset({"null", "Null", "NULL", "~"})

_RUST_NAMES = {"LatencyClass": "Latency"}
"""Our enums whose upstream Rust type has another name (`conduit.rs`)."""


def rust_name(enum: type[SpelledEnum]) -> str:
    """The name of the upstream Rust type an enum mirrors."""
    return _RUST_NAMES.get(enum.__name__, enum.__name__)


def kebab(value: str) -> str:
    """The spelling upstream's Rust enums declare (`#[serde(rename_all = "kebab-case")]`)."""
    return re.sub(r"(?<!^)(?=[A-Z])", "-", value).lower()


def _is_plain(node: Node) -> bool:
    return not node.style


def _is_empty_plain(node: Node) -> bool:
    return _is_plain(node) and node.text == ""


def _is_null_plain(node: Node) -> bool:
    """`null`, `~` or nothing, unquoted: what serde_yaml takes as no value."""
    return _is_plain(node) and (node.text == "" or node.text in _NULL_WORDS)


_DIGITS = {2: "01", 8: "01234567", 10: "0123456789", 16: "0123456789abcdefABCDEF"}
_PREFIXES = (("0x", 16), ("0o", 8), ("0b", 2))


def _from_str_radix(text: str, base: int, signed: bool) -> int | None:
    """Rust's `from_str_radix`: an optional sign (`-` only when signed), then digits."""
    sign = 1
    if text[:1] == "+" or (signed and text[:1] == "-"):
        sign = -1 if text[0] == "-" else 1
        text = text[1:]
    if not text or any(ch not in _DIGITS[base] for ch in text):
        return None
    return sign * int(text, base)


def _digits_but_not_number(text: str) -> bool:
    """serde_yaml: "Leading zero(s) followed by numeric characters is a string"."""
    body = text[1:] if text[:1] in ("-", "+") else text
    return len(body) > 1 and body[0] == "0" and all(ch in "0123456789" for ch in body[1:])


def _parse_unsigned(text: str) -> int | None:
    """serde_yaml's `parse_unsigned_int`."""
    unpositive = text[1:] if text.startswith("+") else text
    for prefix, base in _PREFIXES:
        if unpositive.startswith(prefix):
            rest = unpositive[2:]
            if rest[:1] in ("+", "-") and rest:
                return None
            number = _from_str_radix(rest, base, signed=False)
            if number is not None:
                return number
    if unpositive[:1] in ("+", "-") and unpositive:
        return None
    if _digits_but_not_number(text):
        return None
    return _from_str_radix(unpositive, 10, signed=False)


def _parse_negative(text: str) -> int | None:
    """serde_yaml's `parse_negative_int`."""
    for prefix, base in _PREFIXES:
        if text.startswith("-" + prefix):
            number = _from_str_radix("-" + text[3:], base, signed=True)
            if number is not None:
                return number
    if _digits_but_not_number(text):
        return None
    return _from_str_radix(text, 10, signed=True)


def serde_integer(text: str) -> int | None:
    """The integer serde_yaml reads from a plain scalar (its `visit_int`), else None."""
    number = _parse_unsigned(text)
    return number if number is not None else _parse_negative(text)


@dataclass(slots=True)
class Reading:
    """What upstream's types hold, and what our reading adds to the findings."""

    data: Any
    findings: list[Finding] = field(default_factory=list)
    explained: set[Path] = field(default_factory=set)
    """Paths a finding here already explains: the schema check's error there is left out."""
    unknown_repeats: list[Span] = field(default_factory=list)
    """Keys repeated in a mapping that upstream's type does not know: upstream ignores them."""


def read_as_upstream(model: type[BaseModel], root: Node | None, limit: int = 500) -> Reading:
    """Read `root` as serde_yaml fills `model` (a wish, or the registry's list).

    Past `limit` findings the others are only counted (a plan of 50,000 numbers).
    """
    reading = Reading(None)
    if root is None:
        return reading
    reader = _Reader(reading, limit)
    if issubclass(model, RootModel):
        reading.data = reader.value(root, model.model_fields["root"], ())
    else:
        reading.data = reader.struct(root, model, ())
    if reader.omitted:
        reading.findings.append(omitted_finding(reader.omitted))
    return reading


def _name(path: Path) -> str:
    if path and isinstance(path[0], int):
        rest = format_path(path[1:]) if len(path) > 1 else ""
        return f"`{rest}` of conduit {path[0] + 1}" if rest else f"conduit {path[0] + 1}"
    return f"`{format_path(path)}`"


_SHAPES: dict[int, tuple[str, Any, bool]] = {}
"""`_shape` by the id of the field or annotation: the models' fields live as long as the process,
and asking `typing` again for every node of a long list is most of the walk's time."""


def _shape(target: Any) -> tuple[str, Any, bool]:
    """What a field holds: ("struct", model), ("list", item), ("enum", class), ("integer", None),
    ("text", None) or ("other", None), and whether it may be null."""
    key = id(target)
    found = _SHAPES.get(key)
    if found is None:
        nullable = is_nullable(target)
        model = model_class(target)
        item = list_item(target)
        enum = enum_class(target)
        if model is not None:
            found = ("struct", model, nullable)
        elif item is not None:
            found = ("list", item, nullable)
        elif enum is not None:
            found = ("enum", enum, nullable)
        elif integer_bounds(target) is not None:
            found = ("integer", None, nullable)
        elif str in members(target):
            found = ("text", None, nullable)
        else:
            found = ("other", None, nullable)
        _SHAPES[key] = found
        _KEEP.append(target)  # an id stays unique only while its object lives
    return found


_KEEP: list[Any] = []


class _Reader:
    """One walk of the tree along the model, collecting into a `Reading`."""

    def __init__(self, reading: Reading, limit: int) -> None:
        self.reading = reading
        self.limit = limit
        self.omitted = 0

    def finding(self, code: str, message: str, node: Node, path: Path, **data: Any) -> None:
        """Record a finding (or count it past the limit) and mark its path as explained."""
        self.reading.explained.add(path)
        if len(self.reading.findings) >= self.limit:
            self.omitted += 1
            return
        self.reading.findings.append(
            Finding(code, RULES[code].severity, message, node.span, path, dict(data))
        )

    def value(self, node: Node, target: Any, path: Path) -> Any:
        """The value of `node` for a field (or list item annotation) `target`."""
        node = node.resolved()
        if node.kind is NodeKind.ALIAS:  # not expanded (a bomb or a bad alias): reported
            return None
        shape, inner, nullable = _shape(target)
        if shape == "struct":
            return self.struct(node, inner, path)
        if shape == "list":
            return self.sequence(node, inner, nullable, path)
        if shape == "enum":
            return self.enum(node, inner, nullable, path)
        if shape == "integer":
            return self.integer(node, target, path)
        if shape == "text":
            if node.kind is NodeKind.SCALAR and isinstance(node.value, str):
                return node.value  # the common case, first
            return self.text(node, nullable, path)
        return to_python(node)

    def struct(self, node: Node, model: type[BaseModel], path: Path) -> Any:
        """A mapping for `model`; an empty plain scalar is an empty mapping, `null` is refused."""
        if node.kind is NodeKind.SCALAR and _is_empty_plain(node):
            return {}
        if node.kind is NodeKind.SCALAR and _is_null_plain(node):
            # Upstream's `meta`, `cost_profile` and `limits` are `#[serde(default)]` structs,
            # not options: they may be left out or empty, never null.
            key = str(path[-1]) if path else "the wish"
            self.finding(
                "wrong-type",
                f"{_name(path)} is null, which upstream ({SERDE_YAML}) refuses for a mapping "
                f"(expected struct {model.__name__}); leave `{key}` out or write `{key}: {{}}`.",
                node,
                path,
                expected="a mapping",
            )
            return None
        if node.kind is not NodeKind.MAPPING:
            return to_python(node)
        out: dict[Any, Any] = {}
        for pair in node.pairs:
            key_node = pair.key.resolved()
            if key_node.kind is not NodeKind.SCALAR:
                continue
            name = key_node.value if isinstance(key_node.value, str) else key_node.text
            known = name in model.model_fields
            if pair.duplicate:
                if not known:
                    self.reading.unknown_repeats.append(pair.key.span)
                continue
            if name in out:
                continue
            if known:
                out[name] = self.value(pair.value, model.model_fields[name], (*path, name))
            else:
                out[name] = to_python(pair.value)
        return out

    def sequence(self, node: Node, item: Any, nullable: bool, path: Path) -> Any:
        """A list: an empty plain scalar is empty (absent for an optional list)."""
        if node.kind is NodeKind.SCALAR and _is_empty_plain(node):
            return None if nullable else []
        if node.kind is NodeKind.SCALAR and nullable and _is_null_plain(node):
            return None
        if node.kind is not NodeKind.SEQUENCE:
            return to_python(node)
        if _shape(item)[0] == "text":  # a plan of 5,000 steps: text items are taken as they are
            return [
                child.value
                if child.kind is NodeKind.SCALAR and isinstance(child.value, str)
                else self.value(child, item, (*path, position))
                for position, child in enumerate(node.items)
            ]
        return [
            self.value(child, item, (*path, position)) for position, child in enumerate(node.items)
        ]

    def text(self, node: Node, nullable: bool, path: Path) -> Any:
        """Text: any scalar is read as its text; a null is absent only for an optional field."""
        if node.kind is not NodeKind.SCALAR:
            return to_python(node)
        if nullable and _is_null_plain(node):
            return None
        if isinstance(node.value, str):
            return node.value
        if node.value is None:
            said = f'the text "{node.text}"' if node.text else 'empty text ""'
            self.finding(
                "scalar-as-string",
                f"{_name(path)} is empty (null); upstream reads it as {said}, which is surely "
                "a mistake: write the value.",
                node,
                path,
            )
        else:
            kind = "boolean" if isinstance(node.value, bool) else "number"
            self.finding(
                "scalar-as-string",
                f'{_name(path)} is the {kind} {node.text}; upstream reads it as the text "'
                f'{node.text}", so quote it.',
                node,
                path,
            )
        return node.text

    def integer(self, node: Node, target: Any, path: Path) -> Any:
        """An integer: serde_yaml parses plain scalars only, tag or no tag, by its own rules."""
        if node.kind is not NodeKind.SCALAR:
            return to_python(node)
        type_name = integer_type_name(target) or "an integer"
        if not _is_plain(node):
            number = serde_integer(node.text)
            if number is not None:
                self.finding(
                    "wrong-type",
                    f'{_name(path)} is the quoted text "{node.text}": upstream ({SERDE_YAML}) '
                    f"reads a quoted scalar as text whatever its tag, and text is not a "
                    f"{type_name}; write {number} without quotes.",
                    node,
                    path,
                    expected=type_name,
                )
                return node.text
            return node.value if isinstance(node.value, str) else node.text
        number = serde_integer(node.text)
        if number is not None:
            return number
        if isinstance(node.value, int) and not isinstance(node.value, bool):
            self.finding(
                "wrong-type",
                f"{_name(path)} is {node.text}: upstream ({SERDE_YAML}) reads a number with a "
                f"leading zero as text, and text is not a {type_name}; write {node.value}.",
                node,
                path,
                expected=type_name,
            )
            return node.text
        return node.value

    def enum(self, node: Node, enum: type[SpelledEnum], nullable: bool, path: Path) -> Any:
        """An enum: upstream takes only its Rust type's kebab-case spelling."""
        if node.kind is not NodeKind.SCALAR:
            return to_python(node)
        if nullable and _is_null_plain(node):
            return None
        text = node.text
        spelt = {kebab(member.value): member for member in enum}
        if text in spelt:
            return spelt[text].value
        pascal = {member.value: member for member in enum}
        allowed = ", ".join(f"`{value}`" for value in spelt)
        if enum is not Tier and text in pascal:
            # Upstream's own data/conduits/registry.yaml is written this way, and upstream's
            # crate fails to load it: a deliberate difference, stated, not an error.
            self.finding(
                "upstream-spelling",
                f"{_name(path)} is `{text}`, as upstream's own registry writes it, but "
                f"upstream's {rust_name(enum)} type reads only {allowed}, so upstream's tools "
                f"fail to load this registry; Wishcraft accepts both. Write "
                f"`{kebab(text)}` for upstream's tools.",
                node,
                path,
                replacement=kebab(text),
            )
            return text
        member = enum.parse(text)
        if member is None:
            return text  # not a spelling at all: the schema check names the nearest value
        code = "invalid-tier" if enum is Tier else "invalid-enum"
        also = "" if enum is Tier else f" (or `{member.value}`, as upstream's own registry)"
        self.finding(
            code,
            f"{_name(path)} is `{text}`; upstream's {rust_name(enum)} type reads only {allowed}, "
            f"so upstream rejects the file: write `{kebab(member.value)}`{also}.",
            node,
            path,
            **ReplacementData(replacement=kebab(member.value), allowed=list(spelt)),
        )
        return member.value


__all__ = ["SERDE_YAML", "Reading", "kebab", "read_as_upstream", "serde_integer"]
