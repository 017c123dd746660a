"""Quick fixes, hover, outline, folding, definition and code lens as pure functions."""

from __future__ import annotations

from pathlib import Path

from testkit.features import snapshot, with_cursor
from wishcraft.findings import Position, Span
from wishcraft.lint.registries import load_registry_file
from wishcraft.lsp.features.code_actions import (
    code_actions,
    quick_fixes,
    skeleton_actions,
    skeleton_edit,
)
from wishcraft.lsp.features.code_lens import code_lenses
from wishcraft.lsp.features.definition import definition_at
from wishcraft.lsp.features.folding import folding_ranges
from wishcraft.lsp.features.hover import hover_at
from wishcraft.lsp.features.symbols import document_symbols

ROOT = Path(__file__).resolve().parents[2]
VALID = (ROOT / "examples/data/wishes/lighthouse.wish.yaml").read_text()
REGISTRY = load_registry_file(ROOT / "examples/data/conduits/registry.yaml")
EVERYTHING = Span(Position(0, 0), Position(10_000, 0))


def _apply(text: str, edits: list[tuple[Span, str]]) -> str:
    lines = text.split("\n")

    def offset(position: Position) -> int:
        return sum(len(line) + 1 for line in lines[: position.line]) + position.column

    for span, new in sorted(edits, key=lambda e: e[0].start, reverse=True):
        text = text[: offset(span.start)] + new + text[offset(span.end) :]
    return text


def _fix(text: str, code: str) -> str:
    fixes = [
        fix
        for fix in quick_fixes(snapshot(text, registry=REGISTRY), EVERYTHING)
        if fix[0].code == code
    ]
    assert len(fixes) == 1, fixes
    return _apply(text, fixes[0][2])


def test_missing_nested_key_is_added_inside_its_mapping() -> None:
    text = VALID.replace("  duration_days: 5\n", "")
    assert _fix(text, "missing-key") == VALID.replace(
        "  duration_days: 5\n", "  duration_days: 2\n"
    )


def test_missing_top_level_key_is_appended_after_the_last_block() -> None:
    text = VALID.replace("rollback:\n", "rollbock:\n")
    fixed = _fix(text, "missing-key")
    assert fixed.endswith('rollback:\n  - "Remove docs/wish.md"\n')


def test_missing_key_of_a_registry_item_is_added_to_that_item() -> None:
    text = (
        '- id: "a"\n  disposition: Literalist\n  risk_class: Low\n'
        '  determinism: Deterministic\n  latency_class: Instant\n- id: "b"\n'
    )
    fixes = quick_fixes(snapshot(text, kind="registry"), EVERYTHING)
    first = next(fix for fix in fixes if fix[1] == "Add `label`")
    fixed = _apply(text, first[2])
    assert fixed.split("\n")[5] == '  label: "OpenAI Codex (Plan Builder)"'


def test_duplicate_key_at_the_end_is_removed_with_its_block() -> None:
    text = VALID + "tier: macro\n"
    assert _fix(text, "yaml-duplicate-key") == VALID


def test_a_repeated_unknown_key_is_removed_with_its_block() -> None:
    """Upstream ignores it (a warning), and the repeat goes as a known one does."""
    text = VALID + "hue: 1\nhue:\n  - 2\n"
    assert _fix(text, "duplicate-unknown-key") == VALID + "hue: 1\n"


def test_missing_invariant_is_appended_to_the_list() -> None:
    text = VALID.replace('  - "No currency duplication through lamp salvage"\n', "")
    fixed = _fix(text, "missing-invariant")
    assert '  - "Tide simulation untouched"\n  - "No currency duplication"\n' in fixed


def test_replacement_keeps_single_quotes() -> None:
    text = VALID.replace('  - "cartographer.survey"', "  - 'cartographer.survy'")
    assert "  - 'cartographer.survey'\n" in _fix(text, "unknown-conduit")


def test_no_action_when_only_refactorings_are_asked_for() -> None:
    text = VALID.replace("tier: meso", "tier: mezo")
    assert code_actions(snapshot(text), EVERYTHING, ["refactor"]) == []
    assert len(code_actions(snapshot(text), EVERYTHING, ["quickfix"])) == 1


def test_crlf_documents_get_crlf_fixes() -> None:
    text = VALID.replace("  duration_days: 5\n", "").replace("\n", "\r\n")
    (action,) = code_actions(snapshot(text), EVERYTHING, None)
    assert action.edit is not None and action.edit.changes is not None
    (edit,) = next(iter(action.edit.changes.values()))
    assert edit.new_text == "  duration_days: 2\r\n"


def test_hover_on_an_enum_value_and_nowhere() -> None:
    text, position = with_cursor(VALID.replace("tier: meso", "tier: me‸so"))
    found = hover_at(snapshot(text), position)
    assert found is not None and found[0].startswith("**meso** · A change across a region")
    assert hover_at(snapshot(VALID), Position(0, 3)) is None


def test_hover_on_a_registry_id() -> None:
    text = (ROOT / "examples/data/conduits/registry.yaml").read_text()
    line = text.split("\n").index('- id: "worldsmith.place"')
    found = hover_at(snapshot(text, kind="registry"), Position(line, 10))
    assert found is not None and "Worldsmithing Placement" in found[0]


def test_outline_names_registry_items_by_id() -> None:
    text = (ROOT / "examples/data/conduits/registry.yaml").read_text()
    names = [symbol.name for symbol in document_symbols(snapshot(text, kind="registry"))]
    assert names == [
        "openai.codex.v2025.plan",
        "openai.codex.v2025.apply",
        "worldsmith.place",
        "cartographer.survey",
    ]


def test_folding_ignores_single_lines_and_trailing_blank_lines() -> None:
    text = "title: x\nplan:\n  - a\n  - b\n\n\ntier: meso\n"
    assert [(r.start_line, r.end_line) for r in folding_ranges(snapshot(text))] == [(1, 3)]


def test_definition_needs_a_registry_file() -> None:
    line = VALID.split("\n").index('  - "worldsmith.place"')
    bundled = snapshot(VALID)
    assert definition_at(bundled, Position(line, 8)) is None
    located = definition_at(snapshot(VALID, registry=REGISTRY), Position(line, 8))
    assert located is not None and located.uri.endswith("examples/data/conduits/registry.yaml")


def test_code_lens_on_a_broken_wish_sits_on_title() -> None:
    text = "# note\ntitle: x\nplan: [\n"
    (lens,) = code_lenses(snapshot(text))
    assert lens.range.start.line == 1
    assert lens.command is not None and lens.command.title.startswith("Court C 50")


def test_the_skeleton_action_only_in_a_blank_wish_for_clients_without_snippets() -> None:
    assert [a.title for a in skeleton_actions(snapshot(""), None, snippets=False)] == [
        "Insert wish skeleton"
    ]
    assert [a.title for a in skeleton_actions(snapshot("# notes\n\n"), None, snippets=False)]
    assert skeleton_actions(snapshot(""), None, snippets=True) == []
    assert skeleton_actions(snapshot("title: x\n"), None, snippets=False) == []
    assert skeleton_actions(snapshot("", kind="registry"), None, snippets=False) == []
    assert skeleton_actions(snapshot(""), ["quickfix"], snippets=False) == []


def test_the_skeleton_keeps_comment_lines_and_lints_without_errors() -> None:
    for text in ("", "\n\n", "# my wish", "# my wish\n", "# a\n\n# b\n\n\n"):
        span, new = skeleton_edit(text.split("\n"))
        result = _apply(text, [(span, new)])
        comments = [line for line in text.split("\n") if line.strip()]
        assert [line for line in result.split("\n") if line.startswith("#")] == comments
        assert result.startswith(text.rstrip("\n")), (text, result)
        findings = snapshot(result).analysis.findings
        assert [f.code for f in findings if f.severity.name == "ERROR"] == [], (text, result)
        assert "\x00" not in result and result.endswith("tier: micro\n")
