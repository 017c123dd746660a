"""Apply a server's `WorkspaceEdit` the way an editor does, to check what it would change."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from lsprotocol import types
from pygls.workspace import TextDocument


def apply_text_edits(uri: str, text: str, edits: Sequence[types.TextEdit]) -> str:
    """`text` after `edits` (UTF-16 ranges, as the client counts them; last edit first)."""
    document = TextDocument(uri, text)
    for edit in sorted(
        edits, key=lambda e: (e.range.start.line, e.range.start.character), reverse=True
    ):
        document.apply_change(
            types.TextDocumentContentChangePartial(range=edit.range, text=edit.new_text)
        )
    return document.source


def edits_by_uri(edit: types.WorkspaceEdit) -> dict[str, list[types.TextEdit]]:
    """Every text edit of a workspace edit by uri, from `changes` or `documentChanges`."""
    out: dict[str, list[types.TextEdit]] = {}
    for uri, edits in (edit.changes or {}).items():
        out.setdefault(uri, []).extend(edits)
    for change in edit.document_changes or []:
        assert isinstance(change, types.TextDocumentEdit), change
        for text_edit in change.edits:
            assert isinstance(text_edit, types.TextEdit | types.AnnotatedTextEdit), text_edit
            out.setdefault(change.text_document.uri, []).append(
                types.TextEdit(range=text_edit.range, new_text=text_edit.new_text)
            )
    return out


def apply_workspace_edit(
    edit: types.WorkspaceEdit, read: Callable[[str], str]
) -> dict[str, tuple[str, str]]:
    """Each touched uri's (text before, text after); `read` gives a uri's current text."""
    out: dict[str, tuple[str, str]] = {}
    for uri, edits in edits_by_uri(edit).items():
        before = read(uri)
        out[uri] = (before, apply_text_edits(uri, before, edits))
    return out


def versions(edit: types.WorkspaceEdit) -> dict[str, Any]:
    """The version each `documentChanges` entry names (None for a file that is not open)."""
    return {
        change.text_document.uri: change.text_document.version
        for change in edit.document_changes or []
        if isinstance(change, types.TextDocumentEdit)
    }
