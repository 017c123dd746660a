"""Plain scalars resolved with the YAML 1.2 core schema, as serde_yaml (upstream) does.

`yes` stays a string and `0o17` is an integer; an explicit tag (`!!int`) is honoured when the
text fits it, else the scalar stays text.
"""

from __future__ import annotations

import math
import re
from typing import Any

import yaml

_NULL = re.compile(r"^(?:~|null|Null|NULL|)$")
_BOOL_TRUE = re.compile(r"^(?:true|True|TRUE)$")
_BOOL_FALSE = re.compile(r"^(?:false|False|FALSE)$")
_INT_DEC = re.compile(r"^[-+]?[0-9]+$")
_INT_OCT = re.compile(r"^0o[0-7]+$")
_INT_HEX = re.compile(r"^0x[0-9a-fA-F]+$")
_FLOAT = re.compile(r"^[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?$")
_INF = re.compile(r"^[-+]?\.(?:inf|Inf|INF)$")
_NAN = re.compile(r"^\.(?:nan|NaN|NAN)$")

_TAG_PREFIX = "tag:yaml.org,2002:"


_NOT_TEXT_STARTS = frozenset("-+.0123456789~nNtTfF")


def resolve_plain_scalar(text: str) -> Any:
    """Resolve a plain (unquoted) scalar with the YAML 1.2 core schema, as serde_yaml does."""
    if text and text[0] not in _NOT_TEXT_STARTS:  # most scalars of a wish: plain words
        return text
    if _NULL.match(text):
        return None
    if _BOOL_TRUE.match(text):
        return True
    if _BOOL_FALSE.match(text):
        return False
    if _INT_DEC.match(text):
        return int(text)
    if _INT_OCT.match(text):
        return int(text[2:], 8)
    if _INT_HEX.match(text):
        return int(text[2:], 16)
    if _FLOAT.match(text):
        return float(text)
    if _INF.match(text):
        return -math.inf if text.startswith("-") else math.inf
    if _NAN.match(text):
        return math.nan
    return text


def resolve_scalar(event: yaml.ScalarEvent) -> Any:
    """Resolve a scalar event's value from its style and explicit tag."""
    tag = event.tag
    text = event.value
    if tag and tag.startswith("!!"):
        tag = _TAG_PREFIX + tag[2:]
    if tag in (None, "!") and not event.style:
        return resolve_plain_scalar(text) if tag is None else text
    if tag is None or tag == "!" or tag == _TAG_PREFIX + "str":
        return text
    resolved = resolve_plain_scalar(text)
    expected: dict[str, type | tuple[type, ...]] = {
        "int": int,
        "float": (int, float),
        "bool": bool,
        "null": type(None),
    }
    kind = tag.removeprefix(_TAG_PREFIX)
    if kind in expected and isinstance(resolved, expected[kind]):
        return float(resolved) if kind == "float" else resolved  # type: ignore[arg-type]
    return text
