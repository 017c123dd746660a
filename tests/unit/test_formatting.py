"""Formatting (`wishcraft.formatting`): a wish laid out untidily formats back to its tidy
form; comments, key order, quoting and block scalars stay; what cannot be formatted safely is
left alone. Every case parses the text before and after: the data must be the same."""

from __future__ import annotations

import re
from collections.abc import Callable

import pytest
import yaml

from testkit.big_workspace import wish_text
from testkit.paths import EXAMPLES, SHARED_EXAMPLES
from wishcraft.formatting import format_text, line_edits

TIDY = {
    "lighthouse": (EXAMPLES / "data/wishes/lighthouse.wish.yaml").read_text(),
    "registry": (EXAMPLES / "data/conduits/registry.yaml").read_text(),
    "generated-block": wish_text(2),
    "generated-flow": wish_text(7),
}


def _load(text: str) -> object:
    return yaml.load(text, Loader=yaml.CSafeLoader)


def _same_meaning(before: str, after: str) -> None:
    assert _load(after) == _load(before)
    comments = [line.strip() for line in before.splitlines() if line.strip().startswith("#")]
    assert [line.strip() for line in after.splitlines() if line.strip().startswith("#")] == comments


def _reindent(text: str) -> str:
    """Every indentation doubled (2 → 4 spaces a level)."""
    return "\n".join(re.sub(r"^( +)", lambda m: m.group(1) * 2, line) for line in text.split("\n"))


def _spaced(text: str) -> str:
    """Extra spaces after `key:` and `-`, trailing spaces, padded flow lists."""
    text = re.sub(r"^(\s*[\w]+):( )(?=\S)", r"\1:   ", text, flags=re.MULTILINE)
    text = re.sub(r"^(\s*)- ", r"\1-    ", text, flags=re.MULTILINE)
    text = re.sub(r"\[([^\]\n]*)\]", lambda m: "[ " + m.group(1).replace(", ", " ,") + " ]", text)
    return text.replace("\n", "   \n")


def _blank_lines(text: str) -> str:
    """Runs of blank lines, and more at the end; no final newline."""
    lines = text.rstrip("\n").split("\n")
    return "\n\n\n".join(lines[:3]) + "\n" + "\n".join(lines[3:]) + "\n\n\n\n"


MESSES: dict[str, Callable[[str], str]] = {
    "reindented": _reindent,
    "spaced": _spaced,
    "blank-lines": _blank_lines,
    "all-of-them": lambda text: _blank_lines(_spaced(_reindent(text))),
}


@pytest.mark.parametrize("name", sorted(TIDY))
def test_a_tidy_file_is_left_as_it_is(name: str) -> None:
    assert format_text(TIDY[name]) == TIDY[name]
    assert line_edits(TIDY[name]) == []


def _flow_padded(text: str) -> str:
    """Padded flow lists and trailing spaces only (a registry's `- id:` items cannot be
    reindented or respaced line by line without changing what they mean)."""
    text = re.sub(r"\[([^\]\n]*)\]", lambda m: "[ " + m.group(1).replace(", ", " ,") + " ]", text)
    return text.replace("\n", "  \n")


MESSES["flow-padded"] = _flow_padded
CASES = [
    (name, mess)
    for name in sorted(TIDY)
    for mess in sorted(MESSES)
    if name != "registry" or mess in ("blank-lines", "flow-padded")
]


@pytest.mark.parametrize(("name", "mess"), CASES)
def test_an_untidy_file_formats_back_to_the_tidy_one(name: str, mess: str) -> None:
    tidy = TIDY[name]
    untidy = MESSES[mess](tidy)
    assert untidy != tidy
    _same_meaning(tidy, untidy)  # the mess itself means the same
    formatted = format_text(untidy)
    _same_meaning(untidy, formatted)
    if mess == "blank-lines" or mess == "all-of-them":
        # One blank line stays where a run was.
        assert formatted.replace("\n\n", "\n") == tidy.replace("\n\n", "\n")
    else:
        assert formatted == tidy
    assert format_text(formatted) == formatted  # stable


def test_line_edits_give_the_formatted_text() -> None:
    untidy = _blank_lines(_spaced(_reindent(TIDY["lighthouse"])))
    lines = untidy.split("\n")
    ends = [line + "\n" for line in lines[:-1]] + ([lines[-1]] if lines[-1] else [])
    edits = line_edits(untidy)
    assert edits
    for edit in reversed(edits):
        ends[edit.start : edit.end] = [edit.text] if edit.text else []
    assert "".join(ends) == format_text(untidy)


def test_comments_and_block_scalars_keep_their_places_and_content() -> None:
    text = (
        "# top\n"
        "title:    'T'   # trailing comment\n"
        "plan:\n"
        "      # about the steps\n"
        "      - |\n"
        "          literal with trailing spaces   \n"
        "            and a deeper line\n"
        "      - >\n"
        "          folded\n"
        "          text\n"
        'objective: "x"\n'
    )
    formatted = format_text(text)
    assert formatted == (
        "# top\n"
        "title: 'T'   # trailing comment\n"
        "plan:\n"
        "  # about the steps\n"
        "  - |\n"
        "      literal with trailing spaces   \n"
        "        and a deeper line\n"
        "  - >\n"
        "      folded\n"
        "      text\n"
        'objective: "x"\n'
    )
    _same_meaning(text, formatted)


@pytest.mark.parametrize(
    "text",
    [
        "title: [unclosed\n",
        "a:\n\tb: 1\n",
        "title: x\r\nplan: []\r\n",
        "\ufefftitle: x\n",
        "",
        "# only a comment\n",
    ],
    ids=["broken", "tab", "crlf", "bom", "empty", "comment-only"],
)
def test_what_cannot_be_formatted_safely_is_left_alone(text: str) -> None:
    assert format_text(text) == text
    assert line_edits(text) == []


def test_the_upstream_files_format_to_the_same_meaning() -> None:
    for path in sorted(SHARED_EXAMPLES.glob("*.yaml")):
        text = path.read_text()
        formatted = format_text(text)
        _same_meaning(text, formatted)
        assert format_text(formatted) == formatted, path.name
