"""A 5,000-line wish edited in many places gets the diagnostics of the same text opened fresh.

The server parses each version of an edited document from the one before (incremental
reparsing, `documents.incremental`); a document opened fresh is parsed whole. After every edit
(characters typed, lines added and removed, at the start, in the middle and at the end; edits
that make findings, a syntax error, an anchor, a tab, a duplicate key, and undo them) the
edited document's diagnostics equal, field by field, those of its text opened under another
name, in both client profiles.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import pytest
from lsprotocol import types

from testkit.large import large_wish
from testkit.lsp_client import WishClient

pytestmark = pytest.mark.asyncio(loop_scope="session")

EDITED = "data/wishes/big-edited.wish.yaml"


@pytest.fixture
def client(shared_client: WishClient) -> WishClient:
    """This module only opens its own documents: it shares the session's server per profile."""
    return shared_client


def units(text: str) -> int:
    """A string's length in UTF-16 code units, as LSP columns count (the steps end in 😀)."""
    return len(text.encode("utf-16-le")) // 2


@dataclass
class Document:
    """The client's copy of the edited text, to place edits in LSP units."""

    lines: list[str]

    def line_of(self, starting: str) -> int:
        return next(n for n, line in enumerate(self.lines) if line.startswith(starting))

    def replace(self, line: int, old: str, new: str) -> tuple[types.Range, str]:
        """Replace the first `old` on a line."""
        text = self.lines[line]
        column = text.index(old)
        self.lines[line] = text[:column] + new + text[column + len(old) :]
        start = types.Position(line=line, character=units(text[:column]))
        end = types.Position(line=line, character=units(text[: column + len(old)]))
        return types.Range(start=start, end=end), new

    def insert(self, line: int, text: str) -> tuple[types.Range, str]:
        """Insert whole lines before `line`."""
        self.lines[line:line] = text.split("\n")
        at = types.Position(line=line, character=0)
        return types.Range(start=at, end=at), text + "\n"

    def delete(self, line: int) -> tuple[types.Range, str]:
        """Delete a whole line."""
        del self.lines[line]
        start = types.Position(line=line, character=0)
        return types.Range(start=start, end=types.Position(line=line + 1, character=0)), ""

    @property
    def text(self) -> str:
        return "\n".join(self.lines)


def edits(document: Document) -> list[tuple[str, tuple[types.Range, str], str]]:
    """The edits, each made on the text the ones before left, with the text it leaves."""
    step = document.line_of
    plan = step("plan:")
    made: list[tuple[str, tuple[types.Range, str], str]] = []

    def add(name: str, make: Callable[[], tuple[types.Range, str]]) -> None:
        made.append((name, make(), document.text))

    add("a character of the objective", lambda: document.replace(2, "Place 3", "Place 4"))
    add("the objective's time bound removed", lambda: document.replace(2, " within 5 days", ""))
    add("a step at the start", lambda: document.replace(plan + 1, "Step 0", "Step zero"))
    add(
        "a step in the middle made a number",
        lambda: document.replace(
            step('  - "Step 2500:'), document.lines[step('  - "Step 2500:')][4:], "42"
        ),
    )
    add("a step added in the middle", lambda: document.insert(plan + 2000, '  - "A new step"'))
    add("a step removed near the end", lambda: document.delete(plan + 4500))
    add("a step's quote left open", lambda: document.replace(step('  - "Step 3000:'), '- "', "- '"))
    add("the quote closed again", lambda: document.replace(step("  - 'Step 3000:"), "- '", '- "'))
    add("an anchor on a step", lambda: document.replace(step('  - "Step 10:'), '- "', '- &ten "'))
    add("an alias as a step", lambda: document.insert(plan + 12, "  - *ten"))
    add("the alias removed", lambda: document.delete(plan + 12))
    add("the anchor removed", lambda: document.replace(step('  - &ten "Step 10:'), "&ten ", ""))
    add("a tab in a step", lambda: document.replace(step('  - "Step 20:'), "- ", "-\t"))
    add("the tab removed", lambda: document.replace(step('  -\t"Step 20:'), "-\t", "- "))
    add(
        "a step turned into a mapping", lambda: document.insert(plan + 40, "  - title: x\n    a: 1")
    )
    add("a key repeated in it", lambda: document.insert(plan + 42, "    a: 2"))
    add("the repeat removed", lambda: document.delete(plan + 42))
    add("the tier at the end changed", lambda: document.replace(step("tier:"), "meso", "micro"))
    add("a top-level key repeated", lambda: document.insert(step("tier:") + 1, "tier: macro"))
    add("the repeat removed again", lambda: document.delete(step("tier:") + 1))
    add("a line at the very end", lambda: document.insert(len(document.lines) - 1, "extra: 1"))
    add("a step at the end", lambda: document.replace(step("safety_tests:") - 1, "Step", "Stop"))
    add("a comment among the steps", lambda: document.insert(plan + 3000, "# a note"))
    add("a typo in a key", lambda: document.replace(step("rollback:"), "rollback", "rolback"))
    return made


async def test_edits_of_a_5000_line_wish_give_the_diagnostics_of_a_fresh_open(
    client: WishClient,
) -> None:
    text = large_wish(5_000)
    document = Document(text.split("\n"))
    uri = client.uri(EDITED)
    opened = await client.open(EDITED, text)
    assert [d.code for d in opened.diagnostics] == [
        d.code for d in (await fresh(client, text, "start")).diagnostics
    ]
    codes: set[str] = set()
    for number, (name, (edit_range, new_text), expected_text) in enumerate(edits(document)):
        after = client.published.count()
        version = client.change(EDITED, new_text, edit_range)
        edited = await client.published.wait(uri, version=version, after=after)
        expected = await fresh(client, expected_text, str(number))
        assert edited.diagnostics == expected.diagnostics, name
        codes.update(str(d.code) for d in edited.diagnostics)
    # The edits made findings of the YAML layer and of the rules, not only clean versions.
    assert {"yaml-syntax", "yaml-tab", "yaml-duplicate-key", "scalar-as-string"} <= codes, codes
    client.close(EDITED)


async def fresh(client: WishClient, text: str, name: str) -> types.PublishDiagnosticsParams:
    """The diagnostics of `text` opened under a new name (then closed)."""
    relative = f"data/wishes/big-fresh-{name}.wish.yaml"
    published = await client.open(relative, text)
    client.close(relative)
    return published
