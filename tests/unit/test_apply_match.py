"""Hunks applied to a file's text: each tolerance Codex has, and what is not tolerated.

Every tolerance has a case that needs exactly it, checked by the tolerance reported; the
refusals name the file and the first line of context not found, with its patch line.
"""

from __future__ import annotations

import pytest

from wishcraft.apply.errors import ContextMismatch
from wishcraft.apply.match import Tolerance, apply_chunks, seek
from wishcraft.apply.patch import UpdateFile, parse


def update(text: str, body: str) -> tuple[str, Tolerance]:
    """Apply an update whose chunks are `body` to `text`; return the new text and tolerance."""
    patch = parse(f"*** Begin Patch\n*** Update File: f.txt\n{body}\n*** End Patch")
    operation = patch.operations[0]
    assert isinstance(operation, UpdateFile)
    applied = apply_chunks("f.txt", text, operation.chunks)
    return applied.text, applied.loosest


def test_exact_single_chunk() -> None:
    assert update("foo\nbar\n", "@@\n foo\n-bar\n+baz") == ("foo\nbaz\n", Tolerance.EXACT)


def test_multiple_chunks_in_order() -> None:
    text, _ = update("foo\nbar\nbaz\nqux\n", "@@\n foo\n-bar\n+BAR\n@@\n baz\n-qux\n+QUX")
    assert text == "foo\nBAR\nbaz\nQUX\n"


def test_interleaved_changes_and_end_of_file_append() -> None:
    text, _ = update(
        "a\nb\nc\nd\ne\nf\n", "@@\n a\n-b\n+B\n@@\n c\n d\n-e\n+E\n@@\n f\n+g\n*** End of File"
    )
    assert text == "a\nB\nc\nd\nE\nf\ng\n"


def test_context_header_picks_the_right_occurrence() -> None:
    source = "def a():\n    pass\ndef b():\n    pass\n"
    text, _ = update(source, "@@ def b():\n-    pass\n+    return 2")
    assert text == "def a():\n    pass\ndef b():\n    return 2\n"


def test_chunks_search_after_the_previous_one() -> None:
    source = "x\ny\nx\ny\n"
    text, _ = update(source, "@@\n-x\n+1\n@@\n-x\n+2")
    assert text == "1\ny\n2\ny\n"


def test_end_of_file_chunk_matches_only_at_the_end() -> None:
    source = "end\nmiddle\nend\n"
    text, _ = update(source, "@@\n-end\n+END\n*** End of File")
    assert text == "end\nmiddle\nEND\n"


def test_pure_addition_goes_to_the_end_as_in_codex() -> None:
    text, _ = update("foo\nbar\nbaz\n", "@@ foo\n+quux")
    assert text == "foo\nbar\nbaz\nquux\n"


def test_deletion_only() -> None:
    text, _ = update("keep\ndrop\nkeep too\n", "@@\n keep\n-drop\n keep too")
    assert text == "keep\nkeep too\n"


def test_a_missing_final_newline_is_added_as_codex_does() -> None:
    text, _ = update("no newline at end", "@@\n-no newline at end\n+first line\n+second line")
    assert text == "first line\nsecond line\n"


def test_old_lines_ending_in_an_empty_line_are_retried_without_it() -> None:
    text, _ = update("a\nb\n", "@@\n a\n-b\n+c\n")  # the parser keeps no trailing blank
    assert text == "a\nc\n"
    text, _ = update("a\nb", "@@\n a\n-b\n+c\n ")
    assert text == "a\nc\n"


def test_crlf_files_keep_their_endings() -> None:
    text, tolerance = update("one\r\ntwo\r\nthree\r\n", "@@\n one\n-two\n+TWO\n+2")
    assert text == "one\r\nTWO\r\n2\r\nthree\r\n"
    assert tolerance is Tolerance.EXACT


def test_a_lone_cr_at_the_end_is_text() -> None:
    text, _ = update("a\nb\r", "@@\n a\n+x")
    assert text == "a\nx\nb\r\n"  # "b\r" is the line's text; the file gains a newline


def test_unicode_lines() -> None:
    text, _ = update("灯塔 🗼\nzweite Zeile\n", "@@\n-灯塔 🗼\n+灯塔 🌊")
    assert text == "灯塔 🌊\nzweite Zeile\n"


# Each tolerance, on a line that needs exactly it.


@pytest.mark.parametrize(
    ("file_line", "patch_line", "tolerance"),
    [
        pytest.param("value = 1", "value = 1", Tolerance.EXACT, id="exact"),
        pytest.param(
            "value = 1   \t",
            "value = 1",
            Tolerance.TRAILING_WHITESPACE,
            id="trailing-whitespace-in-file",
        ),
        pytest.param(
            "value = 1",
            "value = 1  ",
            Tolerance.TRAILING_WHITESPACE,
            id="trailing-whitespace-in-patch",
        ),
        pytest.param(
            "    value = 1", "value = 1", Tolerance.SURROUNDING_WHITESPACE, id="leading-whitespace"
        ),
        pytest.param(
            "\u3000value = 1\u00a0",
            "value = 1",
            Tolerance.SURROUNDING_WHITESPACE,
            id="unicode-whitespace-around",
        ),
        pytest.param("say \u201chi\u201d", 'say "hi"', Tolerance.PUNCTUATION, id="curly-double"),
        pytest.param(
            "it\u2019s \u2018ok\u2019", "it's 'ok'", Tolerance.PUNCTUATION, id="curly-single"
        ),
        pytest.param(
            "a \u2013 b \u2014 c \u2212 d \u2011e",
            "a - b - c - d -e",
            Tolerance.PUNCTUATION,
            id="dashes",
        ),
        pytest.param(
            "a\u00a0b\u202fc\u2009d", "a b c d", Tolerance.PUNCTUATION, id="odd-spaces-inside"
        ),
        pytest.param(
            "import asyncio  # local import \u2013 avoids top\u2011level dep",
            "import asyncio  # local import - avoids top-level dep",
            Tolerance.PUNCTUATION,
            id="codex-unicode-dash-case",
        ),
    ],
)
def test_tolerance(file_line: str, patch_line: str, tolerance: Tolerance) -> None:
    text, used = update(f"before\n{file_line}\nafter\n", f"@@\n before\n-{patch_line}\n+new")
    assert text == "before\nnew\nafter\n"
    assert used is tolerance


@pytest.mark.parametrize(
    ("file_line", "patch_line"),
    [
        pytest.param("Value = 1", "value = 1", id="case"),
        pytest.param("value  =  1", "value = 1", id="whitespace-inside"),
        pytest.param("value\t= 1", "value = 1", id="tab-inside"),
        pytest.param("wait\u2026", "wait...", id="ellipsis"),
        pytest.param("\u00abquote\u00bb", '"quote"', id="guillemets"),
        pytest.param("a\u200bb", "ab", id="zero-width-space"),
        pytest.param("caf\u00e9", "cafe\u0301", id="unicode-normal-forms"),
        pytest.param("value = 1;", "value = 1", id="extra-character"),
    ],
)
def test_not_tolerated(file_line: str, patch_line: str) -> None:
    with pytest.raises(ContextMismatch) as caught:
        update(f"before\n{file_line}\nafter\n", f"@@\n before\n-{patch_line}\n+new")
    assert caught.value.missing == patch_line
    assert caught.value.path == "f.txt"
    assert caught.value.patch_line == 5


def test_one_tolerance_applies_to_the_whole_sequence() -> None:
    # Codex compares a sequence under one tolerance at a time; the loosest wins here.
    text, used = update("  a\nb  \n", "@@\n-a\n-b\n+c")
    assert text == "c\n" and used is Tolerance.SURROUNDING_WHITESPACE


def test_the_exact_match_wins_over_an_earlier_loose_one() -> None:
    text, used = update("x  \nx\n", "@@\n-x\n+y")
    assert text == "x  \ny\n" and used is Tolerance.EXACT


def test_mismatch_names_the_file_and_the_first_line_not_found() -> None:
    source = "one\ntwo\nthree\nfour\n"
    with pytest.raises(ContextMismatch) as caught:
        update(source, "@@\n one\n two\n-THREE\n+3\n four")
    error = caught.value
    assert error.missing == "THREE" and error.patch_line == 6
    assert "'f.txt'" in str(error) and "'THREE'" in str(error) and "line 6" in str(error)


def test_mismatch_of_the_context_header() -> None:
    with pytest.raises(ContextMismatch) as caught:
        update("a\nb\n", "@@ def missing():\n-a\n+b")
    assert caught.value.missing == "def missing():" and caught.value.patch_line == 3


def test_mismatch_of_an_end_of_file_chunk_not_at_the_end() -> None:
    with pytest.raises(ContextMismatch) as caught:
        update("end\nmiddle\n", "@@\n-end\n+END\n*** End of File")
    assert caught.value.missing == "end"


def test_a_later_chunk_may_not_match_before_an_earlier_one() -> None:
    with pytest.raises(ContextMismatch) as caught:
        update("a\nb\n", "@@\n-b\n+B\n@@\n-a\n+A")
    assert caught.value.missing == "a" and caught.value.patch_line == 7


def test_an_end_of_file_chunk_may_not_overlap_the_previous_chunk() -> None:
    with pytest.raises(ContextMismatch):
        update("a\nb\n", "@@\n a\n-b\n+c\n@@\n-b\n+d\n*** End of File")


def test_seek_edge_cases() -> None:
    assert seek(["a"], [], 0) == (0, Tolerance.EXACT)
    assert seek(["a"], ["a", "b", "c"], 0) is None
    assert seek(["a", "b", "a"], ["a"], 1) == (2, Tolerance.EXACT)
    assert seek(["a", "b"], ["a"], 0, end_of_file=True) is None
