"""Codex's patch format: what parses to what, each leniency Codex has, and every refusal's line.

The cases follow Codex's own parser tests and fixture scenarios (codex-rs/apply-patch), with
the patches written here. A property checks that the canonical rendering parses back to the
same patch.
"""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from wishcraft.apply.errors import PatchSyntaxError
from wishcraft.apply.patch import (
    AddFile,
    Chunk,
    DeleteFile,
    Patch,
    UpdateFile,
    parse,
    render,
)

FULL = """\
*** Begin Patch
*** Add File: hello.txt
+Hello world
+
*** Update File: src/app.py
*** Move to: src/main.py
@@ def greet():
-print("Hi")
+print("Hello, world!")
*** Delete File: obsolete.txt
*** End Patch
"""


def update(path: str, *chunks: Chunk, move_to: str | None = None) -> Patch:
    """A patch with one update."""
    return Patch((UpdateFile(path, move_to, tuple(chunks)),))


def test_the_example_from_codex_instructions() -> None:
    patch = parse(FULL)
    assert patch == Patch(
        (
            AddFile("hello.txt", ("Hello world", "")),
            UpdateFile(
                "src/app.py",
                "src/main.py",
                (Chunk("def greet():", (("-", 'print("Hi")'), ("+", 'print("Hello, world!")'))),),
            ),
            DeleteFile("obsolete.txt"),
        )
    )
    add = patch.operations[0]
    assert isinstance(add, AddFile) and add.contents == "Hello world\n\n"
    assert patch.paths() == ["hello.txt", "src/app.py", "src/main.py", "obsolete.txt"]


def test_multiple_chunks_end_of_file_and_line_numbers() -> None:
    text = (
        "*** Begin Patch\n*** Update File: m.txt\n@@\n foo\n-bar\n+BAR\n@@ class C\n baz\n"
        "-qux\n+QUX\n@@\n+tail\n*** End of File\n*** End Patch"
    )
    patch = parse(text)
    operation = patch.operations[0]
    assert isinstance(operation, UpdateFile)
    first, second, third = operation.chunks
    assert first == Chunk(None, ((" ", "foo"), ("-", "bar"), ("+", "BAR")))
    assert first.old_lines == ["foo", "bar"] and first.new_lines == ["foo", "BAR"]
    assert second.context == "class C" and second.line == 8
    assert third == Chunk(None, (("+", "tail"),), end_of_file=True)
    assert operation.line == 2 and first.line == 4
    assert first.patch_line_of_old(1) == 5
    assert second.patch_line_of_old(1) == 9


def test_an_empty_line_in_a_chunk_is_empty_context() -> None:
    patch = parse(
        "*** Begin Patch\n*** Update File: f\n@@ ctx\n\n context\n-remove\n+add\n*** End Patch"
    )
    operation = patch.operations[0]
    assert isinstance(operation, UpdateFile)
    assert operation.chunks[0].lines == ((" ", ""), (" ", "context"), ("-", "remove"), ("+", "add"))


def test_chunk_followed_by_another_operation() -> None:
    patch = parse(
        "*** Begin Patch\n*** Update File: file.py\n@@\n+line\n*** Add File: other.py\n"
        "+content\n*** End Patch"
    )
    assert patch == Patch(
        (
            UpdateFile("file.py", None, (Chunk(None, (("+", "line"),)),)),
            AddFile("other.py", ("content",)),
        )
    )


def test_paths_are_kept_as_written_for_the_safety_check() -> None:
    patch = parse(
        "*** Begin Patch\n*** Delete File: /etc/passwd\n*** Add File: ../x\n+y\n*** End Patch"
    )
    assert patch.paths() == ["/etc/passwd", "../x"]


# Leniencies Codex has, one by one.


def test_leniency_whitespace_around_the_text_and_the_markers() -> None:
    text = "\n\n  *** Begin Patch \n  *** Update File: foo.txt\n@@\n-old\n+new\n *** End Patch \n\n"
    assert parse(text) == update("foo.txt", Chunk(None, (("-", "old"), ("+", "new"))))


def test_leniency_crlf_line_endings_in_the_patch() -> None:
    text = FULL.replace("\n", "\r\n")
    assert parse(text) == parse(FULL)


@pytest.mark.parametrize("opener", ["<<EOF", "<<'EOF'", '<<"EOF"'])
def test_leniency_heredoc_wrapper(opener: str) -> None:
    assert parse(f"{opener}\n{FULL}EOF\n") == parse(FULL)


def test_heredoc_with_mismatched_quotes_is_refused() -> None:
    with pytest.raises(PatchSyntaxError) as caught:
        parse(f"<<\"EOF'\n{FULL}EOF\n")
    assert caught.value.line == 1 and "'*** Begin Patch'" in caught.value.expected


def test_leniency_first_chunk_without_at_at() -> None:
    assert parse(
        "*** Begin Patch\n*** Update File: file2.py\n import foo\n+bar\n*** End Patch"
    ) == update("file2.py", Chunk(None, ((" ", "import foo"), ("+", "bar"))))


def test_leniency_blank_lines_before_the_first_chunk_are_skipped() -> None:
    assert parse("*** Begin Patch\n*** Update File: f\n\n   \n@@\n-a\n+b\n*** End Patch") == update(
        "f", Chunk(None, (("-", "a"), ("+", "b")))
    )


def test_leniency_add_file_with_no_lines_is_an_empty_file() -> None:
    patch = parse("*** Begin Patch\n*** Add File: empty.txt\n*** End Patch")
    assert patch == Patch((AddFile("empty.txt", ()),))
    add = patch.operations[0]
    assert isinstance(add, AddFile) and add.contents == ""


# Refusals: each names the line (counted in the text as given) and what was expected.


@pytest.mark.parametrize(
    ("text", "line", "expected"),
    [
        pytest.param("", 1, "'*** Begin Patch' as the first line", id="empty"),
        pytest.param("bad", 1, "'*** Begin Patch' as the first line", id="no-begin"),
        pytest.param("*** Begin Patch\nbad", 2, "'*** End Patch' as the last line", id="no-end"),
        pytest.param("*** Begin Patch", 1, "'*** End Patch' as the last line", id="begin-only"),
        pytest.param("\n\n*** Begin Patch\n*** End Patch", 4, "changes no file", id="no-operation"),
        pytest.param(
            "*** Begin Patch\n*** Frobnicate File: foo\n*** End Patch",
            2,
            "expected '*** Add File: <path>'",
            id="unknown-operation",
        ),
        pytest.param(
            "*** Begin Patch\n*** Add File: a\n+x\nnot-a-plus\n*** End Patch",
            4,
            "found 'not-a-plus'",
            id="add-line-without-plus",
        ),
        pytest.param(
            "*** Begin Patch\n*** Add File:\n*** End Patch",
            2,
            "expected '*** Add File: <path>'",
            id="add-without-path",
        ),
        pytest.param(
            "*** Begin Patch\n*** Update File: test.py\n*** End Patch",
            2,
            "the update of 'test.py' has no hunk",
            id="update-without-hunk",
        ),
        pytest.param(
            "*** Begin Patch\n*** Update File: f\n*** Move to: \n@@\n-a\n*** End Patch",
            3,
            "expected a path after '*** Move to: '",
            id="move-without-path",
        ),
        pytest.param(
            "*** Begin Patch\n*** Update File: f\n@@\n*** End Patch",
            4,
            "the hunk is empty",
            id="at-at-then-end",
        ),
        pytest.param(
            "*** Begin Patch\n*** Update File: f\n@@\nbad\n*** End Patch",
            4,
            "expected a line starting with ' ' (context), '-' (remove) or '+' (add), found 'bad'",
            id="bad-hunk-line",
        ),
        pytest.param(
            "*** Begin Patch\n*** Update File: f\n@@\n*** End of File\n*** End Patch",
            4,
            "the hunk is empty before '*** End of File'",
            id="empty-end-of-file",
        ),
        pytest.param(
            "*** Begin Patch\n*** Update File: f\n@@\n-a\n@@\n@@\n-b\n*** End Patch",
            6,
            "found '@@'",
            id="at-at-twice",
        ),
        pytest.param(
            "*** Begin Patch\n*** Update File: f\n@@\n-a\n+b\n*** End of File\nstray\n"
            "*** End Patch",
            7,
            "expected '@@' to start the next hunk, found 'stray'",
            id="line-after-end-of-file",
        ),
        pytest.param(
            "*** Begin Patch\n*** Update File: f\n@@\n-a\n*** Bogus\n*** End Patch",
            5,
            "found '*** Bogus'",
            id="star-line-in-update",
        ),
        pytest.param(
            "*** Begin Patch\n*** Add File: a\n+x\n\n*** End Patch",
            4,
            "expected '*** Add File: <path>'",
            id="blank-line-between-operations",
        ),
        pytest.param(
            "*** Begin Patch\n*** Update File: f\n@@@\n-a\n*** End Patch",
            3,
            "found '@@@'",
            id="three-at-signs",
        ),
        pytest.param(
            "*** Begin Patch\n*** Update File: f\n@@\n-a\n@@\t\n-b\n*** End Patch",
            5,
            "expected '@@' to start the next hunk",
            id="at-at-tab",
        ),
    ],
)
def test_malformed_patches_name_the_line(text: str, line: int, expected: str) -> None:
    with pytest.raises(PatchSyntaxError) as caught:
        parse(text)
    assert caught.value.line == line
    assert expected in caught.value.expected
    assert str(caught.value).startswith(f"The patch is malformed at line {line}: ")


def test_a_heredoc_whose_inside_is_malformed_reports_the_inside() -> None:
    with pytest.raises(PatchSyntaxError) as caught:
        parse("<<EOF\n*** Begin Patch\n*** Update File: file2.py\nEOF\n")
    assert "'*** End Patch' as the last line" in caught.value.expected


def test_a_long_bad_line_is_cut_in_the_message() -> None:
    with pytest.raises(PatchSyntaxError) as caught:
        parse("*** Begin Patch\n" + "x" * 500 + "\n*** End Patch")
    assert len(str(caught.value)) < 300


def test_render_is_canonical() -> None:
    spelled = (
        "<<'EOF'\n *** Begin Patch\r\n*** Update File: f\r\n a\r\n-b\r\n+c\r\n*** End Patch\nEOF"
    )
    assert render(parse(spelled)) == (
        "*** Begin Patch\n*** Update File: f\n@@\n a\n-b\n+c\n*** End Patch\n"
    )


TEXT = st.text(st.characters(blacklist_characters="\n\r", blacklist_categories=["Cs"]), max_size=12)
PATH = st.from_regex(r"[a-z0-9_][a-z0-9_./-]{0,15}", fullmatch=True).filter(
    lambda path: not path.endswith(" ")
)
KIND = st.sampled_from([" ", "-", "+"])
CHUNK = st.builds(
    Chunk,
    st.none() | TEXT,
    st.lists(st.tuples(KIND, TEXT), min_size=1, max_size=5).map(tuple),
    st.booleans(),
)
OPERATION = st.one_of(
    st.builds(AddFile, PATH, st.lists(TEXT, max_size=4).map(tuple)),
    st.builds(DeleteFile, PATH),
    st.builds(
        UpdateFile, PATH, st.none() | PATH, st.lists(CHUNK, min_size=1, max_size=3).map(tuple)
    ),
)


@given(st.lists(OPERATION, min_size=1, max_size=5).map(lambda ops: Patch(tuple(ops))))
def test_parse_of_render_is_the_patch(patch: Patch) -> None:
    assert parse(render(patch)) == patch


@given(st.text(max_size=200))
def test_any_text_parses_or_is_refused_with_a_line(text: str) -> None:
    try:
        parse(text)
    except PatchSyntaxError as error:
        assert 1 <= error.line <= text.count("\n") + 2
