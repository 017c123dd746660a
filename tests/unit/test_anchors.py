"""Anchors and aliases of a document (`documents/anchors.py`): where names are written, and
which anchor each alias refers to when a name is reused."""

from __future__ import annotations

import pytest

from wishcraft.documents import parse_yaml
from wishcraft.documents.anchors import anchor_places, anchor_rename_reason, family, place_at
from wishcraft.findings import Position

TEXT = "a: &x 1\nb: *x\nc: &x 2\nd: [*x, *x]\ne: *y\nf: '&x is text'\n"


def _names(text: str) -> list[tuple[str, int, int, bool]]:
    return [
        (p.name, p.span.start.line, p.span.start.column, p.is_anchor)
        for p in anchor_places(parse_yaml(text))
    ]


def test_every_anchor_and_alias_name_is_found_and_text_is_not() -> None:
    assert _names(TEXT) == [
        ("x", 0, 4, True),
        ("x", 1, 4, False),
        ("x", 2, 4, True),
        ("x", 3, 5, False),
        ("x", 3, 9, False),
        ("y", 4, 4, False),  # refers to nothing (a yaml-bad-alias finding), still a name
    ]


def test_an_alias_belongs_to_the_nearest_anchor_above_it() -> None:
    places = anchor_places(parse_yaml(TEXT))
    dangling = place_at(places, Position(4, 5))
    assert dangling is not None and family(places, dangling) == [dangling]
    first = place_at(places, Position(1, 4))
    assert first is not None
    assert [(p.span.start.line, p.is_anchor) for p in family(places, first)] == [
        (0, True),
        (1, False),
    ]
    later = place_at(places, Position(3, 10))
    assert later is not None
    assert [(p.span.start.line, p.span.start.column) for p in family(places, later)] == [
        (2, 4),
        (3, 5),
        (3, 9),
    ]


@pytest.mark.parametrize(
    ("name", "valid"),
    [("rules", True), ("a.b-c_1", True), ("a b", False), ("a,b", False), ("", False)],
)
def test_anchor_names_a_rename_accepts(name: str, valid: bool) -> None:
    assert (anchor_rename_reason(name) is None) is valid
