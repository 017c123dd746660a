"""Our own protocol messages have one shape on both sides: each TypedDict of
`wishcraft.lsp.payloads` and its TypeScript interface in `client-vscode/src` have the same keys,
the same optional keys and the same field types (string, boolean, number, null).

The interfaces are read from the `.ts` source by a small reader (tested below on its own): they
are plain `readonly name?: type;` lines, and anything else inside one fails the reader loudly
rather than being skipped.
"""

from __future__ import annotations

import re
import types
import typing
from collections.abc import Collection
from dataclasses import dataclass
from typing import Any, NotRequired, TypedDict, get_args, get_origin, get_type_hints

import pytest

from testkit.paths import ROOT
from wishcraft.lsp import payloads

CLIENT_SRC = ROOT / "client-vscode" / "src"


@dataclass(frozen=True)
class Field:
    """One key of a payload: whether it may be absent, and its types as TypeScript names."""

    optional: bool
    types: frozenset[str]


Shape = dict[str, Field]

# The TypeScript reader -------------------------------------------------------------------

_COMMENTS = re.compile(r"/\*.*?\*/|//[^\n]*", re.DOTALL)
_INTERFACE = re.compile(r"^export\s+interface\s+(\w+)\s*\{(.*?)^\}", re.DOTALL | re.MULTILINE)
_FIELD = re.compile(r"(?:readonly\s+)?(\w+)(\?)?\s*:\s*([^;{}]+?)\s*;")


def read_interfaces(source: str, wanted: Collection[str] | None = None) -> dict[str, Shape]:
    """The exported interfaces of a TypeScript source (those `wanted`, else all), each as its
    keys and their types.

    Only what our payload interfaces use is understood; any other text in a read interface's
    body (a method, a nested object, an index signature) is a ValueError naming it.
    """
    out: dict[str, Shape] = {}
    for match in _INTERFACE.finditer(_COMMENTS.sub("", source)):
        name, body = match.group(1), match.group(2)
        if wanted is not None and name not in wanted:
            continue
        shape: Shape = {}
        position = 0
        for field in _FIELD.finditer(body):
            skipped = body[position : field.start()].strip()
            if skipped:
                raise ValueError(f"interface {name}: cannot read {skipped!r}")
            key, question, type_text = field.groups()
            if key in shape:
                raise ValueError(f"interface {name}: {key} is declared twice")
            shape[key] = Field(
                question == "?", frozenset(part.strip() for part in type_text.split("|"))
            )
            position = field.end()
        rest = body[position:].strip()
        if rest:
            raise ValueError(f"interface {name}: cannot read {rest!r}")
        out[name] = shape
    return out


def client_interfaces() -> dict[str, Shape]:
    """The payload interfaces of the client's sources, by name (each declared once)."""
    wanted = {interface for _, interface in PAIRS.values()}
    out: dict[str, Shape] = {}
    for path in sorted(CLIENT_SRC.glob("*.ts")):
        for name, shape in read_interfaces(path.read_text(encoding="utf-8"), wanted).items():
            assert name not in out, f"interface {name} is declared twice in {CLIENT_SRC}"
            out[name] = shape
    return out


# The Python side -------------------------------------------------------------------------

_TS_NAMES: dict[object, str] = {str: "string", bool: "boolean", int: "number", float: "number"}


def _ts_types(annotation: Any) -> frozenset[str]:
    if annotation is None or annotation is type(None):
        return frozenset({"null"})
    if get_origin(annotation) in (types.UnionType, typing.Union):
        return frozenset().union(*(_ts_types(arg) for arg in get_args(annotation)))
    if annotation in _TS_NAMES:
        return frozenset({_TS_NAMES[annotation]})
    raise TypeError(f"no TypeScript name for {annotation!r}; add it to _TS_NAMES")


def typed_dict_shape(typed_dict: type) -> Shape:
    """A TypedDict's keys, optional keys and types.

    Optionality is read from the `NotRequired[...]` annotations themselves, because with
    `from __future__ import annotations` Python 3.11 counts every key as required in
    `__optional_keys__`.
    """
    shape: Shape = {}
    for key, annotation in get_type_hints(typed_dict, include_extras=True).items():
        optional = get_origin(annotation) is NotRequired
        inner = get_args(annotation)[0] if optional else annotation
        shape[key] = Field(optional, _ts_types(inner))
    return shape


def differences(python: Shape, typescript: Shape) -> list[str]:
    """Every way the two shapes differ, one sentence each (empty: the same)."""
    out = [f"{key} is only in Python" for key in sorted(python.keys() - typescript.keys())]
    out += [f"{key} is only in TypeScript" for key in sorted(typescript.keys() - python.keys())]
    for key in sorted(python.keys() & typescript.keys()):
        ours, theirs = python[key], typescript[key]
        if ours.optional != theirs.optional:
            out.append(
                f"{key} is {'optional' if ours.optional else 'required'} in Python but "
                f"{'optional' if theirs.optional else 'required'} in TypeScript"
            )
        if ours.types != theirs.types:
            out.append(f"{key} is {sorted(ours.types)} in Python, {sorted(theirs.types)} in TS")
    return out


PAIRS: dict[str, tuple[type, str]] = {
    "wishcraft/planUpdated": (payloads.PlanUpdated, "PlanUpdate"),
    "wishcraft.planWish": (payloads.PlanWishResult, "PlanWishResult"),
    "wishcraft.planLocation": (payloads.PlanLocationResult, "PlanLocation"),
    "wishcraft.insertPlanSteps": (payloads.InsertStepsResult, "InsertStepsResult"),
}


def test_every_payload_has_a_pair() -> None:
    """A TypedDict added to payloads.py must be paired with its interface here."""
    declared = {
        value
        for value in vars(payloads).values()
        if isinstance(value, type) and typing.is_typeddict(value)
    }
    assert declared == {typed_dict for typed_dict, _ in PAIRS.values()}


@pytest.mark.parametrize(("typed_dict", "interface"), PAIRS.values(), ids=PAIRS.keys())
def test_the_client_declares_the_same_shape(typed_dict: type, interface: str) -> None:
    interfaces = client_interfaces()
    assert interface in interfaces, f"no `export interface {interface}` in {CLIENT_SRC}"
    assert differences(typed_dict_shape(typed_dict), interfaces[interface]) == []


def test_plan_update_is_what_the_reader_sees() -> None:
    """The comparison above is not vacuous: the notification's keys and types, spelled out."""
    shape = client_interfaces()["PlanUpdate"]
    assert shape == {
        "uri": Field(False, frozenset({"string"})),
        "planUri": Field(False, frozenset({"string"})),
        "markdown": Field(False, frozenset({"string"})),
        "done": Field(False, frozenset({"boolean"})),
    }


# A key on one side only is caught ---------------------------------------------------------


def _client_source_with(interface: str, extra_line: str) -> str:
    """The real client source declaring `interface`, with one line added to its body."""
    for path in sorted(CLIENT_SRC.glob("*.ts")):
        source = path.read_text(encoding="utf-8")
        match = re.search(rf"^export interface {interface} \{{\n", source, re.MULTILINE)
        if match:
            return source[: match.end()] + extra_line + "\n" + source[match.end() :]
    raise AssertionError(f"no interface {interface}")


EDITS = {
    "extra-ts-key": ("readonly extra: string;", ["extra is only in TypeScript"]),
    "extra-optional-ts-key": ("readonly later?: boolean;", ["later is only in TypeScript"]),
}


@pytest.mark.parametrize(("extra_line", "expected"), EDITS.values(), ids=EDITS.keys())
@pytest.mark.parametrize(("typed_dict", "interface"), PAIRS.values(), ids=PAIRS.keys())
def test_a_key_added_in_typescript_only_fails(
    typed_dict: type, interface: str, extra_line: str, expected: list[str]
) -> None:
    edited = read_interfaces(_client_source_with(interface, extra_line), {interface})[interface]
    assert differences(typed_dict_shape(typed_dict), edited) == expected


class PlanUpdatedPlus(payloads.PlanUpdated):
    """The notification with one key more on the Python side."""

    extra: str


class PlanUpdatedLater(payloads.PlanUpdated):
    later: NotRequired[int]


class PlanUpdatedLoose(TypedDict):
    """The notification with `done` optional and `uri` nullable."""

    uri: str | None
    planUri: str  # noqa: N815
    markdown: str
    done: NotRequired[bool]


PYTHON_EDITS: dict[str, tuple[type, list[str]]] = {
    "extra-python-key": (PlanUpdatedPlus, ["extra is only in Python"]),
    "extra-optional-python-key": (PlanUpdatedLater, ["later is only in Python"]),
    "optional-and-type-differ": (
        PlanUpdatedLoose,
        [
            "done is optional in Python but required in TypeScript",
            "uri is ['null', 'string'] in Python, ['string'] in TS",
        ],
    ),
}


@pytest.mark.parametrize(("typed_dict", "expected"), PYTHON_EDITS.values(), ids=PYTHON_EDITS.keys())
def test_a_key_added_in_python_only_fails(typed_dict: type, expected: list[str]) -> None:
    assert differences(typed_dict_shape(typed_dict), client_interfaces()["PlanUpdate"]) == expected


# The reader on its own ---------------------------------------------------------------------

SAMPLE = """
import * as x from "y";

/** A doc comment. */
export interface Alpha {
  /** The uri. */
  readonly uri: string;
  readonly maybe?: string | null; // trailing comment
  plain: boolean;
  /* a block
     comment */
  readonly count?:number;
}

interface Hidden { readonly secret: string; }

export interface Empty {
}

export function helper(): void {}
"""


def test_reader_reads_fields_optionality_and_types() -> None:
    assert read_interfaces(SAMPLE) == {
        "Alpha": {
            "uri": Field(False, frozenset({"string"})),
            "maybe": Field(True, frozenset({"string", "null"})),
            "plain": Field(False, frozenset({"boolean"})),
            "count": Field(True, frozenset({"number"})),
        },
        "Empty": {},
    }
    assert read_interfaces(SAMPLE, {"Empty"}) == {"Empty": {}}


BAD = {
    "method": "export interface A {\n  readonly a: string;\n  run(): void;\n}\n",
    "nested-object": "export interface A {\n  readonly a: { b: string };\n}\n",
    "index-signature": "export interface A {\n  [key: string]: string;\n}\n",
    "missing-semicolon": "export interface A {\n  readonly a: string\n}\n",
    "twice": "export interface A {\n  readonly a: string;\n  readonly a?: string;\n}\n",
}


@pytest.mark.parametrize("source", BAD.values(), ids=BAD.keys())
def test_reader_refuses_what_it_does_not_understand(source: str) -> None:
    with pytest.raises(ValueError, match="interface A"):
        read_interfaces(source)


def test_type_names_cover_what_payloads_use() -> None:
    with pytest.raises(TypeError, match="no TypeScript name"):
        _ts_types(list[str])
    assert _ts_types(str | None) == {"string", "null"}
