"""Completion on half-typed YAML: where the cursor is, and what is offered there."""

from __future__ import annotations

import pytest
from lsprotocol import types

from testkit.features import snapshot, with_cursor
from wishcraft.lsp.features.completion import Slot, complete, cursor_context

CONTEXTS = [
    ("bare-key", "ti‸", Slot.KEY, (), "ti"),
    ("nested-key", "scope:\n  region: x\n  du‸", Slot.KEY, ("scope",), "du"),
    ("blank-nested", "scope:\n  ‸", Slot.KEY, ("scope",), ""),
    ("dash-at-key-indent", "tools:\n- ‸", Slot.ITEM, ("tools", 0), ""),
    ("dash-indented", "tools:\n  - a\n  - ‸", Slot.ITEM, ("tools", 0), ""),
    ("quoted-item", 'tools:\n  - "wor‸"', Slot.ITEM, ("tools", 0), "wor"),
    ("flow-item", "tools: [a, wo‸", Slot.ITEM, ("tools", 0), "wo"),
    ("value", "tier: me‸", Slot.VALUE, ("tier",), "me"),
    ("registry-item-key", "- id: x\n  ri‸", Slot.KEY, (0,), "ri"),
    ("registry-value", "- id: x\n  risk_class: ‸", Slot.VALUE, (0, "risk_class"), ""),
    ("after-list", "tools:\n  - a\nti‸", Slot.KEY, (), "ti"),
]


@pytest.mark.parametrize(
    ("marked", "slot", "path", "prefix"),
    [case[1:] for case in CONTEXTS],
    ids=[case[0] for case in CONTEXTS],
)
def test_cursor_context(marked: str, slot: Slot, path: tuple[object, ...], prefix: str) -> None:
    text, position = with_cursor(marked)
    context = cursor_context(snapshot(text).lines, position)
    assert context is not None
    assert (context.slot, context.path, context.prefix) == (slot, path, prefix)


def test_no_completion_inside_a_comment_or_free_text() -> None:
    for marked in ("title: x\n# ti‸", 'objective: "Place 3 lamps ‸'):
        text, position = with_cursor(marked)
        assert complete(snapshot(text), position, snippets=True) == []


def _labels(marked: str, **kwargs: object) -> list[str]:
    text, position = with_cursor(marked)
    kind = str(kwargs.get("kind", "wish"))
    return [item.label for item in complete(snapshot(text, kind=kind), position, snippets=True)]


def test_keys_already_present_are_not_offered() -> None:
    labels = _labels('title: "a"\nobjective: "b"\n‸\nplan:\n  - x\n')
    assert labels[:4] == ["scope", "invariants", "budget", "tools"]
    assert "title" not in labels and "plan" not in labels and "tier" in labels


def test_present_keys_are_read_from_text_after_a_syntax_error() -> None:
    labels = _labels('title: "a"\nscope: [\n‸\nplan:\n  - x\n')
    assert "title" not in labels and "plan" not in labels


def test_blank_line_under_a_list_offers_items_with_a_dash() -> None:
    text, position = with_cursor("tools:\n  ‸")
    items = complete(snapshot(text), position, snippets=True)
    assert items[0].text_edit is not None
    assert items[0].text_edit.new_text == "- openai.codex.v2025.apply"


def test_quoted_item_replaces_the_closing_quote() -> None:
    text, position = with_cursor('tools:\n  - "wor‸"')
    items = complete(snapshot(text), position, snippets=True)
    edit = items[-1].text_edit
    assert isinstance(edit, types.TextEdit)
    assert edit.new_text == '"worldsmith.place"'
    assert (edit.range.start.character, edit.range.end.character) == (4, 9)


def test_registry_enum_values_are_pascal_case() -> None:
    assert _labels("- id: x\n  risk_class: ‸", kind="registry") == ["Low", "Medium", "High"]


def test_plain_text_for_clients_without_snippets() -> None:
    items = complete(snapshot(""), with_cursor("‸")[1], snippets=False)
    # The whole-wish skeleton is multi-line: without snippets it is a code action instead.
    assert items and "wish" not in [item.label for item in items]
    assert all("$" not in (item.text_edit.new_text if item.text_edit else "") for item in items)
    assert all(item.insert_text_format == types.InsertTextFormat.PlainText for item in items)
