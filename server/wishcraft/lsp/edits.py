"""The WorkspaceEdit of a staged change (pure): line edits, file operations, and the paths the
client's answer says it applied.

"Apply plan" sends a client that reviews edits (VS Code's refactor preview) the staged change as
one `workspace/applyEdit`: `CreateFile`, `RenameFile`, `DeleteFile` and versioned
`TextDocumentEdit`s, each carrying a change annotation that needs confirmation. Nothing here
talks to a client; `lsp.apply_runner` sends the edit and reads the answer.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from lsprotocol import types
from pygls.uris import from_fs_path

from wishcraft.apply.stage import FileChange, StagedChange
from wishcraft.apply.unidiff import opcodes


def _units(text: str, encoding: str) -> int:
    if encoding == types.PositionEncodingKind.Utf8:
        return len(text.encode("utf-8"))
    if encoding == types.PositionEncodingKind.Utf32:
        return len(text)
    return len(text.encode("utf-16-le")) // 2


def _end_of(lines: Sequence[str], index: int, encoding: str) -> types.Position:
    """The position just after line `index - 1`'s end of line (or the document's end)."""
    if index < len(lines) or not lines or lines[-1].endswith(("\n", "\r")):
        return types.Position(line=index, character=0)
    last = lines[-1]
    return types.Position(line=len(lines) - 1, character=_units(last, encoding))


def text_edits(before: str, after: str, encoding: str = "utf-16") -> list[types.TextEdit]:
    """Line-based edits turning `before` into `after` (each hunk one edit)."""
    old = before.splitlines(keepends=True)
    new = after.splitlines(keepends=True)
    edits = []
    for tag, i1, i2, j1, j2 in opcodes(old, new):
        if tag == "equal":
            continue
        start = (
            _end_of(old, i1, encoding)
            if i1 == len(old) and old
            else types.Position(line=i1, character=0)
        )
        end = _end_of(old, i2, encoding)
        edits.append(
            types.TextEdit(range=types.Range(start=start, end=end), new_text="".join(new[j1:j2]))
        )
    return edits


@dataclass(frozen=True, slots=True)
class BuiltEdit:
    """The WorkspaceEdit of a staged change, and the path each operation changes (the
    index of `documentChanges`, for `failedChange`)."""

    edit: types.WorkspaceEdit
    paths: tuple[str, ...]


@dataclass
class _EditBuilder:
    """The operations of one WorkspaceEdit as they are added, and the paths they touch."""

    root: Path
    versions: dict[str, int | None]
    annotation_id: str | None
    encoding: str
    operations: list[Any] = field(default_factory=list)
    paths: list[str] = field(default_factory=list)

    def uri(self, path: str) -> str:
        found: str | None = from_fs_path(str(self.root / path))
        assert found is not None
        return found

    def text_edit(self, path: str, before: str | None, after: str) -> None:
        """A versioned `TextDocumentEdit` turning `before` into `after` (None: a new file)."""
        if before is None:
            # A new file: replace its whole (empty) text, ending past its one line, so a
            # client that keeps a last empty line (Neovim) drops it and saves `after` as is.
            whole = types.Range(
                start=types.Position(line=0, character=0), end=types.Position(line=1, character=0)
            )
            plain = [types.TextEdit(range=whole, new_text=after)] if after else []
        else:
            plain = text_edits(before, after, self.encoding)
        edits: list[Any] = [
            types.AnnotatedTextEdit(
                range=edit.range, new_text=edit.new_text, annotation_id=self.annotation_id
            )
            if self.annotation_id
            else edit
            for edit in plain
        ]
        if edits:
            document = types.OptionalVersionedTextDocumentIdentifier(
                uri=self.uri(path), version=self.versions.get(path)
            )
            self.operations.append(types.TextDocumentEdit(text_document=document, edits=edits))
            self.paths.append(path)

    def add(self, change: FileChange, by_path: dict[str, FileChange]) -> None:
        """One file's operations: a rename with its text, a creation, a deletion or an edit."""
        annotation_id = self.annotation_id
        if change.moved_from is not None:
            source = by_path[change.moved_from]
            self.operations.append(
                types.RenameFile(
                    old_uri=self.uri(change.moved_from),
                    new_uri=self.uri(change.path),
                    options=types.RenameFileOptions(overwrite=change.before is not None),
                    annotation_id=annotation_id,
                )
            )
            self.paths.append(change.moved_from)
            self.text_edit(change.path, source.before, change.after or "")
        elif change.before is None:
            self.operations.append(
                types.CreateFile(
                    uri=self.uri(change.path),
                    options=types.CreateFileOptions(overwrite=False),
                    annotation_id=annotation_id,
                )
            )
            self.paths.append(change.path)
            self.text_edit(change.path, None, change.after or "")
        elif change.after is None:
            self.operations.append(
                types.DeleteFile(uri=self.uri(change.path), annotation_id=annotation_id)
            )
            self.paths.append(change.path)
        else:
            self.text_edit(change.path, change.before, change.after)


def workspace_edit(
    staged: StagedChange,
    *,
    versions: dict[str, int | None],
    annotation: types.ChangeAnnotation | None,
    encoding: str = "utf-16",
) -> BuiltEdit:
    """The WorkspaceEdit of `staged`: `CreateFile`, `RenameFile`, `DeleteFile` and versioned
    `TextDocumentEdit`s (`versions`: the open documents' versions by path), every one with
    the annotation `wishcraft-apply` when `annotation` is given."""
    annotation_id = "wishcraft-apply" if annotation is not None else None
    builder = _EditBuilder(staged.root, versions, annotation_id, encoding)
    by_path = {change.path: change for change in staged.files}
    for change in staged.files:
        if change.moved_to is None:  # the source of a move is renamed with its target
            builder.add(change, by_path)
    annotations = {annotation_id: annotation} if annotation_id and annotation else None
    return BuiltEdit(
        types.WorkspaceEdit(document_changes=builder.operations, change_annotations=annotations),
        tuple(builder.paths),
    )


def applied_paths(
    built: BuiltEdit,
    result: types.ApplyWorkspaceEditResult,
    failure_handling: types.FailureHandlingKind | None,
) -> list[str]:
    """The paths the client changed, by its answer: all when applied; on a failure with the
    `abort` handling (or none declared), those of the operations before `failedChange`."""
    if result.applied:
        return list(dict.fromkeys(built.paths))
    if result.failed_change is None or failure_handling not in (
        None,
        types.FailureHandlingKind.Abort,
    ):
        return []
    return list(dict.fromkeys(built.paths[: result.failed_change]))


def held_paths(staged: StagedChange) -> list[str]:
    """The staged files whose text on disk is now their new text (absent when deleted)."""
    held = []
    for change in staged.files:
        target = staged.root / change.path
        try:
            now: str | None = target.read_text(encoding="utf-8")
        except FileNotFoundError:
            now = None
        except (OSError, UnicodeDecodeError):
            continue
        if now == change.after:
            held.append(change.path)
    return held


def all_before(staged: StagedChange) -> bool:
    """Whether every staged file still holds its text from before the change (absent when it
    was absent): a client that changed only its buffers, and saved nothing, left them so."""
    for change in staged.files:
        try:
            now: str | None = (staged.root / change.path).read_text(encoding="utf-8")
        except FileNotFoundError:
            now = None
        except (OSError, UnicodeDecodeError):
            return False
        if now != change.before:
            return False
    return True
