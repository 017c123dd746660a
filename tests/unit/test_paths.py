"""Paths ↔ spans, and the cursor position → path lookup the language server needs."""

from __future__ import annotations

from testkit.lint import VALID_WISH, underlined
from wishcraft.documents import PathIndex, parse_yaml
from wishcraft.findings import Position, format_path, parse_path


def index_of(text: str) -> PathIndex:
    return PathIndex(parse_yaml(text).root)


def test_path_to_span() -> None:
    index = index_of(VALID_WISH)
    assert underlined(VALID_WISH, index.value_span(parse_path("budget.genie_slots"))) == "2"
    assert underlined(VALID_WISH, index.key_span(("budget",))) == "budget"
    assert (
        underlined(VALID_WISH, index.value_span(parse_path("plan[1]"))) == '"Place 3 beacon lamps"'
    )
    assert index.value_span(("nope",)) is None
    assert (
        underlined(VALID_WISH, index.nearest_span(("budget", "nope"), prefer_key=True)) == "budget"
    )


def test_format_and_parse_path_round_trip() -> None:
    for text in ("budget.genie_slots", "tools[2]", "scopes[0].paths[1]"):
        assert format_path(parse_path(text)) == text


def test_position_to_path() -> None:
    index = index_of(VALID_WISH)
    place = index.place_at(Position(13, 4))  # on the key genie_slots
    assert place.path == ("budget", "genie_slots") and place.on_key
    place = index.place_at(Position(13, 16))  # in its value
    assert place.path == ("budget", "genie_slots") and not place.on_key
    place = index.place_at(Position(16, 6))  # in tools[0]
    assert place.path == ("tools", 0)


def test_position_in_a_mapping_gap_gives_the_mapping() -> None:
    text = "scope:\n  region: r\n\n  duration_days: 2\n"
    place = index_of(text).place_at(Position(2, 2))
    assert place.path == ("scope",) and place.node is None
