"""YAML anchors (`&name`) and aliases (`*name`) of one document: where each name is written,
and which anchor an alias refers to. Pure; the language server's go to definition and rename
use it.

An alias refers to the nearest anchor of its name above it (YAML lets a later anchor reuse a
name), so a rename covers one anchor and the aliases up to the next anchor of the same name.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from wishcraft.documents.yamltree import Node, NodeKind, ParsedYaml
from wishcraft.findings import Position, Span

VALID_NAME = re.compile(r"[A-Za-z0-9_.-]+\Z")
"""What a renamed anchor may be called: YAML allows more, but these need no care anywhere."""

MAX_PLACES = 10_000


@dataclass(frozen=True, slots=True)
class AnchorPlace:
    """Where one anchor or alias name is written (`span` covers the name, not `&` or `*`)."""

    name: str
    span: Span
    is_anchor: bool


def anchor_places(parsed: ParsedYaml) -> list[AnchorPlace]:
    """Every anchor and alias name of a document, in document order."""
    out: list[AnchorPlace] = []
    if parsed.root is None:
        return out
    stack: list[Node] = [parsed.root]
    lines = parsed.lines
    while stack and len(out) < MAX_PLACES:
        node = stack.pop()
        if node.anchor:
            start = node.span.start
            marker = "*" if node.kind is NodeKind.ALIAS else "&"
            line = lines[start.line] if start.line < len(lines) else ""
            end = start.column + 1 + len(node.anchor)
            if line[start.column : end] == marker + node.anchor:
                name_span = Span(Position(start.line, start.column + 1), Position(start.line, end))
                out.append(AnchorPlace(node.anchor, name_span, marker == "&"))
        if node.kind is NodeKind.ALIAS:
            continue  # its target is walked where it is written
        for pair in reversed(node.pairs):
            stack.append(pair.value)
            stack.append(pair.key)
        stack.extend(reversed(node.items))
    out.sort(key=lambda place: place.span.start)
    return out


def place_at(places: list[AnchorPlace], position: Position) -> AnchorPlace | None:
    """The anchor or alias name under `position` (its end counts), or None."""
    for place in places:
        if place.span.contains(position):
            return place
    return None


def family(places: list[AnchorPlace], place: AnchorPlace) -> list[AnchorPlace]:
    """The anchor `place` belongs to and every alias that refers to it."""
    same = [p for p in places if p.name == place.name]
    anchor: AnchorPlace | None = None
    for candidate in same:
        if candidate.is_anchor and candidate.span.start <= place.span.start:
            anchor = candidate
    if anchor is None:
        return [place]  # an alias above any anchor of its name: a broken alias, alone
    out = [anchor]
    for candidate in same:
        if candidate.span.start <= anchor.span.start:
            continue
        if candidate.is_anchor:
            break
        out.append(candidate)
    return out


def anchor_rename_reason(new_name: str) -> str | None:
    """Why `new_name` cannot be an anchor's name, else None."""
    if not VALID_NAME.match(new_name):
        return f"`{new_name}` is not a valid anchor name: use letters, digits, `_`, `-` and `.`."
    return None
