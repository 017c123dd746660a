"""Incremental reparsing gives exactly what a full parse gives (`documents.incremental`).

The property: after any edit, and after each edit of a chain parsed from the version before,
`reparse` yields the same tree (kinds, values, spans, styles, sizes, duplicate flags), data,
findings and lines as `parse_yaml` on the new text, the previous version's tree is left as it
was, and the lint engine finds the same. The edits are random (characters and lines inserted,
deleted and replaced, YAML's own characters among them) on every wish and registry under
examples/ and tests/fixtures/, and on a 5,000-line wish. Then two tables: edits the rule must
take without a full parse (so the property is not met by always parsing whole), and edits it
must leave to the full parse.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from testkit.large import large_wish
from testkit.lint import REGISTRY, VALID_WISH
from testkit.paths import EXAMPLES, ROOT
from wishcraft.documents import Node, ParsedYaml, parse_yaml
from wishcraft.documents.incremental import reparse, reuse
from wishcraft.lint import Analysis, analyse_wish

CORPUS = [VALID_WISH] + [
    path.read_text(encoding="utf-8")
    for folder in (EXAMPLES, ROOT / "tests" / "fixtures")
    for path in sorted(folder.rglob("*.yaml"))
]
LARGE = large_wish(5_000)

SNIPPETS = [
    "x",
    "7",
    " ",
    "  ",
    "\n",
    "\n\n",
    ":",
    ": ",
    "-",
    "- ",
    "#",
    " # note",
    '"',
    "'",
    "&a ",
    "*a",
    "|",
    ">",
    "|\n    block\n",
    "[",
    "]",
    "{",
    "}",
    ", ",
    "? ",
    "!",
    "!!str ",
    "\t",
    "---\n",
    "...\n",
    "%YAML 1.2\n",
    "😀",
    "中",
    "\n  - step\n",
    '\n  - "quoted step"\n',
    "\n  - a: 1\n    b: 2\n",
    "\nnew_key: value\n",
    "\ntitle: again\n",
    "  nested: 1\n",
    "\r\n",
    "~",
    "null",
]
Edit = tuple[str, float, int, str]
EDITS = st.tuples(
    st.sampled_from(["insert", "delete", "replace", "insert line", "delete lines"]),
    st.floats(0, 1),
    st.integers(1, 12),
    st.sampled_from(SNIPPETS),
)


def edited(text: str, edit: Edit) -> str:
    """Apply one edit: at a place given as a fraction of the text (a line's start for the line
    edits), insert, delete or replace characters, or insert or delete whole lines."""
    operation, where, size, snippet = edit
    at = round(where * len(text))
    if operation.endswith(("line", "lines")):
        at = text.rfind("\n", 0, at) + 1
    if operation == "insert":
        return text[:at] + snippet + text[at:]
    if operation == "delete":
        return text[:at] + text[at + size :]
    if operation == "replace":
        return text[:at] + snippet + text[at + size :]
    if operation == "insert line":
        return text[:at] + snippet.strip("\n") + "\n" + text[at:]
    end = at
    for _ in range(size % 3 + 1):
        end = text.find("\n", end) + 1 or len(text)
    return text[:at] + text[end:]


def dump(parsed: ParsedYaml) -> tuple[Any, ...]:
    """Everything a parse says, as plain comparable values."""
    nodes: list[Any] = []

    def walk(node: Node, depth: int) -> None:
        target = node.target.span if node.target is not None else None
        nodes.append(
            (depth, node.kind, node.span, node.tag, node.anchor, node.style, repr(node.value))
            + (node.text, node.size, node.flow, target)
        )
        for item in node.items:
            walk(item, depth + 1)
        for pair in node.pairs:
            nodes.append(pair.duplicate)
            walk(pair.key, depth + 1)
            walk(pair.value, depth + 1)

    if parsed.root is not None:
        walk(parsed.root, 0)
    findings = [(f.code, f.severity, f.message, f.span, f.path, f.data) for f in parsed.findings]
    return (
        nodes,
        repr(parsed.data),
        findings,
        parsed.complete,
        parsed.lines,
        parsed.text,
        parsed.node_count,
        parsed.anchored,
    )


def findings_of(analysis: Analysis) -> tuple[Any, ...]:
    """What the lint engine concludes, as plain comparable values."""
    return (
        [(f.code, f.severity, f.message, f.span, f.path, f.data) for f in analysis.findings],
        repr(analysis.data),
        analysis.scores,
        analysis.heat,
        analysis.conduit_ids,
        analysis.wish,
    )


def check_chain(text: str, edits: list[Edit]) -> None:
    """Edit step by step; each version is reparsed from the one before and must equal a full
    parse, and the version before must be left as it was."""
    previous = parse_yaml(text)
    for edit in edits:
        text = edited(text, edit)
        before = dump(previous)
        parsed = reparse(previous, text)
        assert dump(parsed) == dump(parse_yaml(text)), (edit, text)
        assert dump(previous) == before
        previous = parsed


@given(st.sampled_from(CORPUS), st.lists(EDITS, min_size=1, max_size=5))
def test_any_chain_of_edits_reparses_as_a_full_parse(text: str, edits: list[Edit]) -> None:
    check_chain(text, edits)


@settings(max_examples=max(25, settings().max_examples // 10))
@given(st.lists(EDITS, min_size=1, max_size=3))
def test_edits_of_a_5000_line_wish_reparse_as_a_full_parse(edits: list[Edit]) -> None:
    check_chain(LARGE, edits)


@given(st.sampled_from(CORPUS), st.lists(EDITS, min_size=1, max_size=3))
def test_the_lint_engine_finds_the_same_from_a_reparse(text: str, edits: list[Edit]) -> None:
    previous = analyse_wish(text, REGISTRY).parsed
    for edit in edits:
        text = edited(text, edit)
        analysis = analyse_wish(text, REGISTRY, previous=previous)
        assert findings_of(analysis) == findings_of(analyse_wish(text, REGISTRY)), (edit, text)
        previous = analysis.parsed


def replace_line(text: str, number: int, line: str) -> str:
    lines = text.split("\n")
    lines[number] = line
    return "\n".join(lines)


def insert_line(text: str, number: int, line: str) -> str:
    lines = text.split("\n")
    lines.insert(number, line)
    return "\n".join(lines)


def delete_line(text: str, number: int) -> str:
    lines = text.split("\n")
    del lines[number]
    return "\n".join(lines)


PLAN = LARGE.split("\n").index("plan:")
LAST_STEP = LARGE.split("\n").index("safety_tests:") - 1
TAKEN: dict[str, tuple[str, Callable[[str], str]]] = {
    "a character in a plan step": (LARGE, lambda t: t.replace("Step 2500:", "Step 25O0:")),
    "a step added": (LARGE, lambda t: insert_line(t, PLAN + 100, '  - "A new step"')),
    "a step removed": (LARGE, lambda t: delete_line(t, PLAN + 4000)),
    "two steps made one": (LARGE, lambda t: t.replace('😀"\n  - "Step 9:', "😀 then step 9:")),
    "the first step": (LARGE, lambda t: t.replace("Step 0:", "Step zero:")),
    "the last step": (LARGE, lambda t: replace_line(t, LAST_STEP, '  - "The end"')),
    "a step becomes a mapping": (
        LARGE,
        lambda t: replace_line(t, PLAN + 7, "  - title: seven\n    detail: more"),
    ),
    "a comment line among the steps": (LARGE, lambda t: insert_line(t, PLAN + 9, "# note")),
    "a block scalar in a step": (
        LARGE,
        lambda t: replace_line(t, PLAN + 30, "  - |\n     text\n\n     more"),
    ),
    "a step's text on two lines": (
        LARGE,
        lambda t: replace_line(t, PLAN + 31, "  - Step 31\n    and more"),
    ),
    "the objective": (LARGE, lambda t: t.replace("within 5 days", "within 6 days")),
    "a line added to the scope": (
        LARGE,
        lambda t: t.replace("scope:\n", "scope:\n  zone: harbour\n", 1),
    ),
    "a new top-level key": (VALID_WISH, lambda t: t.replace("plan:", "extra: 1\nplan:", 1)),
    "the last key, no final line break": (
        VALID_WISH.rstrip("\n"),
        lambda t: t[:-1] + "X",
    ),
    "an invariant": (VALID_WISH, lambda t: t.replace("Tides untouched", "Tides kept")),
}
LEFT: dict[str, tuple[str, Callable[[str], str]]] = {
    "an anchor": (LARGE, lambda t: t.replace('  - "Step 10:', '  - &ten "Step 10:')),
    "an alias": (VALID_WISH, lambda t: t.replace('  - "Tides untouched"', "  - *x")),
    "a tab": (LARGE, lambda t: t.replace('  - "Step 11:', '  - "Step\t11:')),
    "a quote left open": (LARGE, lambda t: t.replace('  - "Step 12:', "  - 'Step 12:")),
    "a quote that runs on": (LARGE, lambda t: t.replace('13 😀"\n', "13 😀\n")),
    "a bracket left open": (LARGE, lambda t: t.replace('  - "Step 14:', '  - ["Step 14:')),
    "a document marker": (LARGE, lambda t: insert_line(t, PLAN + 20, "---")),
    "a directive": (VALID_WISH, lambda t: "%YAML 1.2\n---\n" + t),
    "a step indented off the list": (LARGE, lambda t: t.replace('  - "Step 15:', '   - "Step 15:')),
    "the step's dash removed": (LARGE, lambda t: t.replace('  - "Step 16:', '    "Step 16:')),
    "a repeated top-level key": (VALID_WISH, lambda t: t.replace("plan:", "title: 2\nplan:", 1)),
    "a comment before the first key": (LARGE, lambda t: "# hello\n" + t),
    "a carriage return": (LARGE, lambda t: t.replace("Step 17:", "Step\r17:")),
    "a syntax error": (LARGE, lambda t: t.replace('  - "Step 18:', '  - "Step": 18: "')),
    "a key repeated in a step": (
        LARGE,
        lambda t: replace_line(t, PLAN + 30, "  - a: 1\n    a: 2"),
    ),
    "a tag before the first key": (VALID_WISH, lambda t: "!\n" + t),
}


@pytest.mark.parametrize("name", list(TAKEN))
def test_an_ordinary_edit_reuses_the_previous_tree(name: str) -> None:
    text, edit = TAKEN[name]
    previous = parse_yaml(text)
    new_text = edit(text)
    assert new_text != text
    reused = reuse(previous, new_text)
    assert reused is not None, "a full parse was needed"
    assert dump(reused) == dump(parse_yaml(new_text))
    assert reused.root is not None and previous.root is not None
    shared = sum(
        1 for old, new in zip(previous.root.pairs, reused.root.pairs, strict=False) if old is new
    )
    assert shared >= 1  # the pairs before the edit are the previous tree's own


@pytest.mark.parametrize("name", list(LEFT))
def test_an_edit_the_rule_cannot_vouch_for_is_parsed_whole(name: str) -> None:
    text, edit = LEFT[name]
    previous = parse_yaml(text)
    new_text = edit(text)
    assert new_text != text
    assert reuse(previous, new_text) is None
    assert dump(reparse(previous, new_text)) == dump(parse_yaml(new_text))


def test_a_reparse_from_an_unclean_version_is_a_full_parse() -> None:
    broken = parse_yaml(LARGE.replace('  - "Step 5:', '  - "Step": 5: "'))
    assert broken.findings
    assert reuse(broken, LARGE) is None
    assert dump(reparse(broken, LARGE)) == dump(parse_yaml(LARGE))


def test_the_same_text_is_the_same_parse() -> None:
    previous = parse_yaml(LARGE)
    assert reparse(previous, LARGE) is previous
