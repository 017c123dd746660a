"""The single code-point ↔ client-unit conversion."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st
from lsprotocol import types
from pygls.workspace import PositionCodec

from wishcraft.documents.positions import PositionMapper, code_units
from wishcraft.findings import Position, Span

LINES = ["plain ascii", "🌊 wave 灯台 x", "\ttab 😀😀 end", ""]

CASES = [
    ("ascii", "utf-16", Position(0, 6), 6),
    ("after-emoji-utf16", "utf-16", Position(1, 2), 3),
    ("after-cjk-utf16", "utf-16", Position(1, 10), 11),
    ("after-two-emoji", "utf-16", Position(2, 8), 10),
    ("after-emoji-utf8", "utf-8", Position(1, 1), 4),
    ("after-emoji-utf32", "utf-32", Position(1, 1), 1),
]


@pytest.mark.parametrize(
    ("encoding", "position", "units"), [c[1:] for c in CASES], ids=[c[0] for c in CASES]
)
def test_round_trip(encoding: str, position: Position, units: int) -> None:
    mapper = PositionMapper(LINES, encoding)
    client = mapper.to_client(position)
    assert client == types.Position(line=position.line, character=units)
    assert mapper.from_client(client) == position


def test_positions_are_clamped_to_the_document() -> None:
    mapper = PositionMapper(LINES)
    assert mapper.to_client(Position(9, 3)) == types.Position(line=3, character=0)
    assert mapper.to_client(Position(0, 99)) == types.Position(line=0, character=11)
    assert mapper.from_client(types.Position(line=9, character=0)) == Position(3, 0)
    assert mapper.from_client(types.Position(line=1, character=99)) == Position(1, 11)


def test_a_column_inside_a_surrogate_pair_lands_after_the_character() -> None:
    assert PositionMapper(LINES).from_client(types.Position(line=1, character=1)) == Position(1, 1)


def test_span_to_range() -> None:
    span = Span(Position(1, 0), Position(2, 8))
    assert PositionMapper(LINES).to_range(span) == types.Range(
        start=types.Position(line=1, character=0), end=types.Position(line=2, character=10)
    )


@given(
    text=st.text(
        alphabet=st.characters(
            codec=None, min_codepoint=0, max_codepoint=0x10FFFF, exclude_categories=()
        ),
        max_size=40,
    ),
    encoding=st.sampled_from(["utf-8", "utf-16", "utf-32"]),
)
def test_code_units_count_as_pyglss_codec_does(text: str, encoding: str) -> None:
    """The C-speed count (`code_units`) agrees with pygls' per-character codec on any text:
    ASCII, the BMP, astral characters and lone surrogates, in every encoding."""
    assert code_units(text, encoding) == PositionCodec(encoding).impl.num_units(text)
