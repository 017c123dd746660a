"""Quick fixes: add a missing key, replace an unknown id or key, remove a duplicate key,
add a required invariant.

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
    Position,
    ReplacementData,
    Span,
    fix_data,
)
from wishcraft.lsp.features.diagnostics import to_diagnostic
from wishcraft.lsp.features.shapes import key_text
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
        replacement = wrong["replacement"]
        if replacement is None:
            return None
        node = _node_at(snapshot, finding.span)
        return (f"Replace with `{replacement}`", [(finding.span, _quoted_like(node, replacement))])
    if shape is DuplicateKeyData and (repeated := fix_data(finding, DuplicateKeyData)):
        return _remove_block(snapshot, finding, repeated["key"])
    if shape is InvariantData and (invariant := fix_data(finding, InvariantData)):
        return _add_invariant(snapshot, invariant["suggestion"])
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
    snapshot: DocumentSnapshot, finding: Finding, key: str
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
    return f"Remove the duplicate `{key}`", [(span, "")]


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
        return (
            code_actions(snapshot, wanted, only)
            + planning.actions_for(ls, snapshot, only)
            + applying.actions_for(ls, snapshot, only)
        )
