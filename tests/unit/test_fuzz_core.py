"""Property-based fuzzing of the YAML layer and the lint engine.

Whatever the text: no exception escapes, every span lies inside the document, and the same text
always gives the same findings.
"""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from testkit.lint import REGISTRY, VALID_WISH
from wishcraft.documents import PathIndex
from wishcraft.findings import Finding, Position, split_lines
from wishcraft.lint import analyse_registry, analyse_wish

YAML_ALPHABET = st.sampled_from(
    list("abcxyz019 -:_.,'\"#&*!|>[]{}?%@`\t\n\r\\")
    + ["\u00e9", "中", "😀", "\ufeff", "\x00", "  ", "- ", ": ", "\n  ", "---", "~"]
)
yaml_like_text = st.lists(YAML_ALPHABET, max_size=200).map("".join)

FUZZ = settings()  # depth comes from the profile loaded in tests/conftest.py


def assert_inside(text: str, findings: list[Finding]) -> None:
    lines = split_lines(text)
    for finding in findings:
        for position in (finding.span.start, finding.span.end):
            assert 0 <= position.line < len(lines), (finding, len(lines))
            assert 0 <= position.column <= len(lines[position.line]), finding
        assert finding.span.start <= finding.span.end, finding
        assert finding.message and finding.code


def check(text: str) -> None:
    first = analyse_wish(text, REGISTRY)
    assert_inside(text, first.findings)
    assert analyse_wish(text, REGISTRY).findings == first.findings
    registry = analyse_registry(text)
    assert_inside(text, registry.findings)
    index = PathIndex(first.parsed.root)
    for line in range(min(text.count("\n") + 1, 5)):
        index.place_at(Position(line, 0))


@FUZZ
@given(yaml_like_text)
def test_random_text_never_breaks_the_engine(text: str) -> None:
    check(text)


@st.composite
def mutated_wish(draw: st.DrawFn) -> str:
    """The valid wish with a few random edits: deletions, insertions, moved lines."""
    text = VALID_WISH
    for _ in range(draw(st.integers(1, 4))):
        kind = draw(st.sampled_from(["delete", "insert", "swap", "duplicate"]))
        if kind == "delete" and text:
            start = draw(st.integers(0, len(text) - 1))
            end = draw(st.integers(start, min(len(text), start + 20)))
            text = text[:start] + text[end:]
        elif kind == "insert":
            at = draw(st.integers(0, len(text)))
            text = text[:at] + draw(yaml_like_text.filter(lambda t: len(t) < 12)) + text[at:]
        else:
            lines = split_lines(text)
            i = draw(st.integers(0, len(lines) - 1))
            j = draw(st.integers(0, len(lines) - 1))
            if kind == "swap":
                lines[i], lines[j] = lines[j], lines[i]
            else:
                lines.insert(j, lines[i])
            text = "\n".join(lines)
    return text


@FUZZ
@given(mutated_wish())
def test_mutated_wishes_never_break_the_engine(text: str) -> None:
    check(text)


@FUZZ
@given(st.text(max_size=300))
def test_any_unicode_never_breaks_the_engine(text: str) -> None:
    check(text)
