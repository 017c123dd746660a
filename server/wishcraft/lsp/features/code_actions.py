"""Quick fixes: add a missing key, replace an unknown id or key, remove a duplicate key or a
stray copy of a key, add a required invariant, bring a number back into range, give an empty
rollback or invariants list its first item, add the rollback steps the reversibility court asks
for (one "Undo: …" per plan step, newest first).

Fixes are computed from the current version's findings that touch the requested range (not
from the client's copy of the diagnostics), so they always edit the text as it is now.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

from lsprotocol import types

from wishcraft.documents import Node, NodeKind, ParsedYaml
from wishcraft.findings import (
    FIX_DATA,
    DuplicateKeyData,
    Finding,
    InvariantData,
    MissingKeyData,
    NoData,
    Position,
    RangeData,
    ReplacementData,
    Span,
    ThresholdData,
    fix_data,
)
from wishcraft.lint import DocumentKind
from wishcraft.lsp.features.completion import is_blank
from wishcraft.lsp.features.diagnostics import to_diagnostic
from wishcraft.lsp.features.shapes import key_text, wish_skeleton
from wishcraft.lsp.workspace import DocumentSnapshot

if TYPE_CHECKING:
    from wishcraft.lsp.server import WishcraftLanguageServer

FIXABLE = (
    "missing-key",
    "unknown-conduit",
    "unknown-key",
    "invalid-tier",
    "invalid-enum",
    "yaml-duplicate-key",
    "duplicate-unknown-key",
    "missing-invariant",
    "out-of-range",
    "rollback-empty",
    "invariants-empty",
    "court-threshold",
)
"""The codes that have a quick fix."""


def _overlaps(span: Span, wanted: Span) -> bool:
    return span.start <= wanted.end and wanted.start <= span.end


def quick_fixes(
    snapshot: DocumentSnapshot, wanted: Span
) -> list[tuple[Finding, str, list[tuple[Span, str]]]]:
    """The fixes for findings touching `wanted`: (finding, title, [(span, new text)])."""
    fixes = []
    for finding in snapshot.analysis.findings:
        if finding.code not in FIXABLE or not _overlaps(finding.span, wanted):
            continue
        fix = fix_for(snapshot, finding)
        if fix is not None:
            fixes.append((finding, *fix))
    return fixes


def fix_for(
    snapshot: DocumentSnapshot, finding: Finding
) -> tuple[str, list[tuple[Span, str]]] | None:
    """The title and edits that fix one finding, or None when it has no safe fix."""
    shape = FIX_DATA.get(finding.code)
    if shape is MissingKeyData and (missing := fix_data(finding, MissingKeyData)):
        return _add_key(snapshot, finding.path, missing["missingKey"])
    if shape is ReplacementData and (wrong := fix_data(finding, ReplacementData)):
        existing, key = wrong.get("existing"), wrong.get("key")
        if finding.code == "unknown-key" and isinstance(existing, str) and key:
            return _remove_block(snapshot, finding, key, f"Remove the stray `{key}`")
        replacement = wrong["replacement"]
        if replacement is None:
            return None
        node = _node_at(snapshot, finding.span)
        return (f"Replace with `{replacement}`", [(finding.span, _quoted_like(node, replacement))])
    if shape is DuplicateKeyData and (repeated := fix_data(finding, DuplicateKeyData)):
        return _remove_block(snapshot, finding, repeated["key"])
    if shape is InvariantData and (invariant := fix_data(finding, InvariantData)):
        return _add_invariant(snapshot, invariant["suggestion"])
    if shape is RangeData and (bounds := fix_data(finding, RangeData)):
        return _into_range(snapshot, finding, bounds)
    if shape is NoData and fix_data(finding, NoData) is not None:
        return _first_item(snapshot, finding.code.removesuffix("-empty"))
    if shape is ThresholdData and (short := fix_data(finding, ThresholdData)):
        if short["court"] == "reversibility":
            return _add_rollback_steps(snapshot, short["score"], short["threshold"])
    return None


def _node_at(snapshot: DocumentSnapshot, span: Span) -> Node | None:
    place = snapshot.analysis.index.place_at(span.start)
    return place.node if place.node is not None and place.node.span == span else None


def _quoted_like(node: Node | None, text: str) -> str:
    """Write `text` in the quoting style of the scalar it replaces."""
    style = node.style if node is not None else None
    if style == '"':
        return json.dumps(text, ensure_ascii=False)
    if style == "'":
        return "'" + text.replace("'", "''") + "'"
    return text


def _end_of_block(parsed: ParsedYaml, line: int, indent: int) -> int:
    """The first line after `line` that is not deeper than `indent` (blank lines skipped).

    Blank and comment lines are jumped over with the parse's table, not read one by one:
    a file can hide a million blank lines after its last key.
    """
    lines = parsed.lines
    number = parsed.next_code_line(line + 1)
    last_content = line
    while number < len(lines):
        text = lines[number]
        if len(text) - len(text.lstrip(" ")) <= indent:
            break
        last_content = number
        number = parsed.next_code_line(number + 1)
    return last_content + 1


def _insert_at_line(lines: list[str], line: int) -> tuple[Position, str]:
    """Where to insert whole lines before `line`, and the prefix needed at the end of file."""
    if line < len(lines):
        return Position(line, 0), ""
    last = len(lines) - 1
    return Position(last, len(lines[last])), ("\n" if lines[last] else "")


def _add_key(
    snapshot: DocumentSnapshot, parent: tuple[str | int, ...], key: str
) -> tuple[str, list[tuple[Span, str]]] | None:
    lines = snapshot.lines
    located = snapshot.analysis.index.get(parent) if parent else None
    if parent and located is None:
        return None
    if not parent:
        root = snapshot.analysis.parsed.root
        if root is None or root.kind is not NodeKind.MAPPING or root.flow:
            return None
        pairs = root.pairs
        indent = pairs[0].key.span.start.column if pairs else 0
        after = (
            _end_of_block(snapshot.analysis.parsed, pairs[-1].key.span.start.line, indent)
            if pairs
            else len(lines)
        )
    else:
        assert located is not None
        value = located.value.resolved()
        if value.flow or value.kind not in (NodeKind.MAPPING, NodeKind.SCALAR):
            return None
        if value.kind is NodeKind.SCALAR and not value.is_null:
            return None
        if value.kind is NodeKind.MAPPING and value.pairs:
            indent = value.pairs[0].key.span.start.column
            after = _end_of_block(
                snapshot.analysis.parsed, value.pairs[-1].key.span.start.line, indent
            )
        else:
            anchor = (located.key or located.value).span.start
            indent = anchor.column + 2
            after = anchor.line + 1
    kind = snapshot.kind
    text = " " * indent + key_text(kind, (*parent, key), indent, snippets=False)
    position, prefix = _insert_at_line(lines, after)
    return f"Add `{key}`", [(Span(position, position), prefix + text + "\n")]


def _remove_block(
    snapshot: DocumentSnapshot, finding: Finding, key: str, title: str | None = None
) -> tuple[str, list[tuple[Span, str]]] | None:
    lines = snapshot.lines
    start = finding.span.start
    before = lines[start.line][: start.column]
    if before.strip():
        return None  # a flow mapping or `- key:`: not a whole-line block
    end = _end_of_block(snapshot.analysis.parsed, start.line, start.column)
    if end >= len(lines):
        span = Span(Position(start.line, 0), Position(len(lines) - 1, len(lines[-1])))
        if start.line > 0:
            span = Span(Position(start.line - 1, len(lines[start.line - 1])), span.end)
    else:
        span = Span(Position(start.line, 0), Position(end, 0))
    return title or f"Remove the duplicate `{key}`", [(span, "")]


def _add_invariant(
    snapshot: DocumentSnapshot, suggestion: str
) -> tuple[str, list[tuple[Span, str]]] | None:
    located = snapshot.analysis.index.get(("invariants",))
    if located is None:
        return None
    value = located.value.resolved()
    if value.kind is not NodeKind.SEQUENCE or value.flow or not value.items:
        return None
    last = value.items[-1]
    first = value.items[0]
    dash_column = max(first.span.start.column - 2, 0)
    line = snapshot.lines[first.span.start.line]
    if "-" in line:
        dash_column = line.index("-")
    after = _end_of_block(snapshot.analysis.parsed, last.span.start.line, dash_column)
    position, prefix = _insert_at_line(snapshot.lines, after)
    text = " " * dash_column + "- " + json.dumps(suggestion, ensure_ascii=False)
    return f'Add the invariant "{suggestion}"', [(Span(position, position), prefix + text + "\n")]


def _into_range(
    snapshot: DocumentSnapshot, finding: Finding, bounds: RangeData
) -> tuple[str, list[tuple[Span, str]]] | None:
    """Set a number to the nearest bound it broke (0 for a negative, the type's maximum)."""
    node = _node_at(snapshot, finding.span)
    if node is None or node.kind is not NodeKind.SCALAR:
        return None
    value = node.value
    minimum, maximum = bounds["minimum"], bounds["maximum"]
    if not isinstance(value, int) or isinstance(value, bool):
        return None
    if isinstance(minimum, int) and value < minimum:
        bound = minimum
    elif isinstance(maximum, int) and value > maximum:
        bound = maximum
    else:
        return None
    return f"Set to {bound}", [(node.span, str(bound))]


FIRST_ITEMS = {
    "invariants": "No harm to civilians",
    "rollback": "Revert every change this wish made",
}
"""What an empty list gets as its first item: a start the author edits, in the words of the
examples (docs/wish-format.md)."""


def _plan_steps(snapshot: DocumentSnapshot) -> list[str]:
    plan = snapshot.analysis.index.get(("plan",))
    if plan is None:
        return []
    value = plan.value.resolved()
    if value.kind is not NodeKind.SEQUENCE:
        return []
    return [
        " ".join(item.text.split())
        for item in value.items
        if item.kind is NodeKind.SCALAR and isinstance(item.value, str) and item.text.strip()
    ]


def _first_item(snapshot: DocumentSnapshot, key: str) -> tuple[str, list[tuple[Span, str]]] | None:
    """Give an empty flow list (`rollback: []`) one item to start from."""
    located = snapshot.analysis.index.get((key,))
    if located is None:
        return None
    value = located.value
    if value.kind is not NodeKind.SEQUENCE or not value.flow or value.items:
        return None
    steps = _plan_steps(snapshot)
    text = f"Undo: {steps[-1]}" if key == "rollback" and steps else FIRST_ITEMS[key]
    item = json.dumps(text, ensure_ascii=False)
    noun = "rollback step" if key == "rollback" else "invariant"
    return f"Add a first {noun}", [(value.span, f"[{item}]")]


COURT_BASE, COURT_STEP, COURT_MAX = 50, 5, 75
"""The reversibility court: 50 + 5 per rollback item, at most 75 (`court.reversibility_score`)."""


def _add_rollback_steps(
    snapshot: DocumentSnapshot, score: object, threshold: object
) -> tuple[str, list[tuple[Span, str]]] | None:
    """Add the rollback items that lift reversibility to the threshold: "Undo: <plan step>"
    for the plan's steps, last first (undoing goes backwards), then numbered ones."""
    if not isinstance(score, int) or not isinstance(threshold, int) or threshold > COURT_MAX:
        return None
    located = snapshot.analysis.index.get(("rollback",))
    if located is None:
        return None
    value = located.value.resolved()
    if value.kind is not NodeKind.SEQUENCE or value.flow or not value.items:
        return None
    needed = -(-(threshold - score) // COURT_STEP)
    if needed <= 0:
        return None
    existing = {" ".join(item.text.split()) for item in value.items}
    steps = [f"Undo: {step}" for step in reversed(_plan_steps(snapshot))]
    texts = [text for text in steps if text not in existing][:needed]
    number = 1
    while len(texts) < needed:
        candidate = f"Undo step {number}: describe how to revert it"
        if candidate not in existing and candidate not in texts:
            texts.append(candidate)
        number += 1
    first = value.items[0]
    line = snapshot.lines[first.span.start.line]
    dash_column = line.index("-") if "-" in line else max(first.span.start.column - 2, 0)
    after = _end_of_block(snapshot.analysis.parsed, value.items[-1].span.start.line, dash_column)
    position, prefix = _insert_at_line(snapshot.lines, after)
    body = "".join(
        " " * dash_column + "- " + json.dumps(text, ensure_ascii=False) + "\n" for text in texts
    )
    title = f"Add {needed} rollback step{'s' if needed != 1 else ''} (reversibility {threshold})"
    return title, [(Span(position, position), prefix + body)]


def code_actions(
    snapshot: DocumentSnapshot, wanted: Span, only: list[str] | None
) -> list[types.CodeAction]:
    """Quick-fix code actions for the findings touching `wanted`, in client units."""
    if only is not None and not any(
        types.CodeActionKind.QuickFix.value.startswith(kind) for kind in only
    ):
        return []
    positions = snapshot.positions
    eol = "\r\n" if "\r\n" in snapshot.analysis.parsed.text else "\n"
    actions = []
    for finding, title, edits in quick_fixes(snapshot, wanted):
        text_edits = [
            types.TextEdit(range=positions.to_range(span), new_text=text.replace("\n", eol))
            for span, text in edits
        ]
        actions.append(
            types.CodeAction(
                title=title,
                kind=types.CodeActionKind.QuickFix,
                diagnostics=[to_diagnostic(finding, positions)],
                is_preferred=True,
                edit=types.WorkspaceEdit(changes={snapshot.uri: text_edits}),
            )
        )
    return actions


def only_applicable(
    actions: list[types.CodeAction], only: list[str] | None
) -> list[types.CodeAction]:
    """Leave disabled actions out of the everyday list (no `only`): "Plan this wish" that
    cannot run is noise beside every quick fix. When the user asks for a kind (VS Code's
    Source Action and Refactor menus, a keybinding with `only`), it is shown with the reason.

    Clients that cannot show disabled actions get them enabled with the reason in the title
    (`planning.plan_actions`); those stay, as the only way such a user learns why.
    """
    if only is not None:
        return actions
    return [action for action in actions if action.disabled is None]


SKELETON_KIND = types.CodeActionKind.Source.value + ".wishcraft.skeleton"


def skeleton_edit(lines: list[str], eol: str = "\n") -> tuple[Span, str]:
    """Where the skeleton goes in a blank wish and the text to put there: after its last
    comment line (comments are kept), over the blank lines that follow."""
    text = wish_skeleton(snippets=False).replace("\n", eol)
    if not lines:
        return Span(Position(0, 0), Position(0, 0)), text
    end = Position(len(lines) - 1, len(lines[-1]))
    last = max((index for index, line in enumerate(lines) if line.strip()), default=-1)
    if last == -1:
        return Span(Position(0, 0), end), text
    if last + 1 < len(lines):
        return Span(Position(last + 1, 0), end), text
    return Span(Position(last, len(lines[last])), end), eol + text


def skeleton_actions(
    snapshot: DocumentSnapshot, only: list[str] | None, *, snippets: bool
) -> list[types.CodeAction]:
    """ "Insert wish skeleton" in a blank wish, for clients that cannot expand the completion
    snippet: it writes real lines (every required key and `tier`), keeping comment lines."""
    if snippets or snapshot.kind is not DocumentKind.WISH or not is_blank(snapshot.lines):
        return []
    if only is not None and not any(SKELETON_KIND.startswith(kind) for kind in only):
        return []
    eol = "\r\n" if "\r\n" in snapshot.analysis.parsed.text else "\n"
    span, text = skeleton_edit(snapshot.lines, eol)
    edit = types.TextEdit(range=snapshot.positions.to_range(span), new_text=text)
    return [
        types.CodeAction(
            title="Insert wish skeleton",
            kind=SKELETON_KIND,
            edit=types.WorkspaceEdit(changes={snapshot.uri: [edit]}),
        )
    ]


def register(server: WishcraftLanguageServer) -> None:
    """Wire `textDocument/codeAction`."""

    from wishcraft.lsp.features import applying, planning

    @server.feature(
        types.TEXT_DOCUMENT_CODE_ACTION,
        types.CodeActionOptions(
            code_action_kinds=[
                types.CodeActionKind.QuickFix,
                planning.PLAN_KIND,
                planning.INSERT_KIND,
                applying.APPLY_KIND,
                applying.UNDO_KIND,
                SKELETON_KIND,
            ]
        ),
    )
    def code_action(
        ls: WishcraftLanguageServer, params: types.CodeActionParams
    ) -> list[types.CodeAction] | None:
        snapshot = ls.snapshot(params.text_document.uri)
        if snapshot is None:
            return None
        wanted = snapshot.positions.from_range(params.range)
        only = [str(kind) for kind in params.context.only] if params.context.only else None
        commands = planning.actions_for(ls, snapshot, only) + applying.actions_for(
            ls, snapshot, only
        )
        return (
            code_actions(snapshot, wanted, only)
            + skeleton_actions(snapshot, only, snippets=ls.snippet_support)
            + only_applicable(commands, only)
        )
