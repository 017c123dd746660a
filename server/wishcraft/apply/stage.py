"""Stage a patch: check it, compute every file's text before and after, and describe the change.

Staging reads and never writes. The operations run in order against a view of the workspace,
as Codex runs them, so a patch may add a file and then update it. Codex's semantics are kept:
`Add File` replaces an existing file, `Move to` replaces an existing target, `Delete` and
`Update` need an existing file. Files that end up as they were are left out.

The result carries:

- `files`: one `FileChange` per path, with its text before (None: absent) and after (None:
  deleted), and `moved_from`/`moved_to` for a move, so an editor can show a rename;
- `diff`: a git-style unified diff of the whole change (`unidiff`) (the `<wish>.patch` to read; `git
  apply` accepts it);
- `summary`: the files and the lines added and removed;
- `diff_hash`: the SHA-256 (hex) of the patch's canonical rendering (`patch.render`: LF line
  endings, no heredoc wrapper or marker padding, an explicit `@@` on every chunk), so two
  spellings of one patch hash alike and the ledger can name the patch that was reviewed.
"""

from __future__ import annotations

import hashlib
import os
import stat
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Literal

from wishcraft.apply.errors import ApplyError, ContentRefused, FileStateError
from wishcraft.apply.match import Tolerance, apply_chunks
from wishcraft.apply.patch import AddFile, DeleteFile, Patch, parse, render
from wishcraft.apply.safety import (
    DEFAULT_LIMITS,
    NOTHING_MORE,
    Limits,
    Protected,
    Scope,
    check_file_size,
    check_patch_size,
    check_path,
    check_text,
    decode_content,
)
from wishcraft.apply.unidiff import unified

NEW_FILE_MODE = 0o644


@dataclass(frozen=True)
class FileChange:
    """One file's change: text before and after (None when absent), and its mode."""

    path: str
    before: str | None
    after: str | None
    mode: int
    """Permission bits to keep (the file's own, or 0o644 for a new file)."""
    moved_from: str | None = None
    moved_to: str | None = None

    @property
    def kind(self) -> Literal["add", "update", "delete"]:
        """Whether the file is created, changed or removed."""
        if self.before is None:
            return "add"
        return "delete" if self.after is None else "update"


@dataclass(frozen=True)
class Summary:
    """What a reviewer reads first: the files and the line counts."""

    files: tuple[str, ...]
    added: int
    removed: int

    def describe(self) -> str:
        """E.g. `3 files (+10 −2)`."""
        noun = "file" if len(self.files) == 1 else "files"
        return f"{len(self.files)} {noun} (+{self.added} \u2212{self.removed})"


@dataclass(frozen=True)
class StagedChange:
    """A checked change, ready to review and to apply with `transaction.apply_change`."""

    root: Path
    patch: Patch
    files: tuple[FileChange, ...]
    diff: str
    summary: Summary
    diff_hash: str
    loosest: Tolerance
    """The loosest tolerance any hunk needed (EXACT when every line matched as written)."""
    new_folders: tuple[str, ...] = ()
    """Folders the change creates (they did not exist when it was staged), parents first."""


def diff_hash(patch: Patch) -> str:
    """SHA-256 (hex) of the patch's canonical rendering."""
    return hashlib.sha256(render(patch).encode("utf-8")).hexdigest()


def stage(
    patch: Patch | str,
    root: Path,
    *,
    scope: Scope | None = None,
    limits: Limits = DEFAULT_LIMITS,
    protected: Protected = NOTHING_MORE,
) -> StagedChange:
    """Check `patch` against the workspace at `root` and compute the change; write nothing.

    `protected` names the workspace's own policy paths (`apply.policy`), refused like `.git`."""
    if isinstance(patch, str):
        check_patch_size(patch, limits)
        patch = parse(patch)
    root = Path(os.path.realpath(root))
    if len(patch.paths()) > limits.max_files:
        raise ContentRefused(
            None, f"it names {len(patch.paths())} files, over the cap of {limits.max_files}"
        )
    checked = {
        path: check_path(root, path, scope=scope, protected=protected) for path in patch.paths()
    }
    view = _View(root, limits)
    loosest = Tolerance.EXACT
    moves: dict[str, str] = {}
    for operation in patch.operations:
        path = checked[operation.path]
        if isinstance(operation, AddFile):
            view.write(path, operation.contents)
        elif isinstance(operation, DeleteFile):
            if view.current(path) is None:
                raise FileStateError(path, "the patch deletes it, but there is no such file")
            view.write(path, None)
        else:
            text = view.current(path)
            if text is None:
                raise FileStateError(path, "the patch updates it, but there is no such file")
            applied = apply_chunks(path, text, operation.chunks)
            loosest = max(loosest, applied.loosest)
            target = checked[operation.move_to] if operation.move_to is not None else path
            view.write(target, applied.text)
            if target != path:
                view.write(path, None)
                moves[target] = path
    files = view.changes(moves)
    if not files:
        raise ApplyError("The patch changes nothing: every file it names would stay as it is.")
    total = sum(
        check_text(change.path, change.after, limits)
        for change in files
        if change.after is not None
    )
    total += sum(
        len(change.before.encode("utf-8")) for change in files if change.before is not None
    )
    if total > limits.max_total_bytes:
        raise ContentRefused(
            None, f"its files come to {total} bytes, over the cap of {limits.max_total_bytes}"
        )
    diff, summary = render_diff(files)
    new_folders = tuple(_missing_folders(root, files))
    return StagedChange(root, patch, files, diff, summary, diff_hash(patch), loosest, new_folders)


def _missing_folders(root: Path, files: tuple[FileChange, ...]) -> list[str]:
    """The folders the new files need that do not exist yet, parents first."""
    missing: dict[str, None] = {}
    for change in files:
        if change.after is None:
            continue
        parts = change.path.split("/")[:-1]
        for count in range(1, len(parts) + 1):
            folder = "/".join(parts[:count])
            if folder not in missing and not os.path.lexists(root / folder):
                missing[folder] = None
    return list(missing)


class _View:
    """The workspace as the operations so far have left it (nothing is written)."""

    def __init__(self, root: Path, limits: Limits) -> None:
        self.root = root
        self.limits = limits
        self.original: dict[str, tuple[str | None, int]] = {}
        self.pending: dict[str, str | None] = {}

    def _read(self, path: str) -> tuple[str | None, int]:
        """The file on disk: its text (None when absent) and its permission bits."""
        if path not in self.original:
            target = self.root / path
            try:
                info = os.lstat(target)
            except FileNotFoundError:
                self.original[path] = (None, NEW_FILE_MODE)
                return self.original[path]
            except NotADirectoryError:
                raise FileStateError(path, "one of its folders is a file") from None
            except OSError as error:
                raise FileStateError(path, f"it cannot be read ({error.strerror})") from None
            if stat.S_ISDIR(info.st_mode):
                raise FileStateError(path, "it is a folder")
            if not stat.S_ISREG(info.st_mode):
                raise FileStateError(path, "it is not a regular file")
            check_file_size(path, info.st_size, self.limits)  # before reading it
            text = decode_content(path, target.read_bytes(), self.limits)
            self.original[path] = (text, stat.S_IMODE(info.st_mode))
        return self.original[path]

    def current(self, path: str) -> str | None:
        """The file's text now, in the view."""
        if path in self.pending:
            return self.pending[path]
        return self._read(path)[0]

    def write(self, path: str, text: str | None) -> None:
        """Record the file's new text (None: removed), checking it can be created."""
        if text is not None:
            self._check_folders(path)
        self._read(path)
        self.pending[path] = text

    def _check_folders(self, path: str) -> None:
        """Refuse a file whose folder would have to be where a file is."""
        parts = path.split("/")
        for count in range(1, len(parts)):
            folder = "/".join(parts[:count])
            if self.pending.get(folder) is not None:
                raise FileStateError(path, f"'{folder}' is a file in this patch, not a folder")
            try:
                info = os.lstat(self.root / folder)
            except FileNotFoundError:
                return
            except NotADirectoryError:
                raise FileStateError(path, f"'{folder}' is not a folder") from None
            except OSError as error:
                raise FileStateError(
                    path, f"'{folder}' cannot be read ({error.strerror})"
                ) from None
            if not stat.S_ISDIR(info.st_mode):
                raise FileStateError(path, f"'{folder}' is a file, not a folder")

    def changes(self, moves: dict[str, str]) -> tuple[FileChange, ...]:
        """Every file whose text differs from the disk, in the order first touched."""
        out: dict[str, FileChange] = {}
        for path, after in self.pending.items():
            before, mode = self.original[path]
            if before != after:
                out[path] = FileChange(path, before, after, mode)
        for target, source in moves.items():
            if target in out and source in out and out[source].after is None:
                out[target] = replace(out[target], moved_from=source)
                out[source] = replace(out[source], moved_to=target)
                if out[target].before is None:
                    out[target] = replace(out[target], mode=out[source].mode)
        return tuple(out.values())


def render_diff(files: tuple[FileChange, ...]) -> tuple[str, Summary]:
    """A git-style unified diff of `files`, and its summary (files, lines added and removed).

    A clean move (the source removed, the target new) is one section with `rename from/to`,
    counted as one file under its new name.
    """
    sections: list[str] = []
    shown: list[str] = []
    added = removed = 0
    by_path = {change.path: change for change in files}
    for change in files:
        source = change
        if change.moved_to is not None and by_path[change.moved_to].before is None:
            continue  # shown with its target
        if change.moved_from is not None and change.before is None:
            source = by_path[change.moved_from]
        old_name, new_name = source.path, change.path
        header = [f"diff --git a/{old_name} b/{new_name}"]
        if source.before is None:
            header.append(f"new file mode {_git_mode(change.mode)}")
        elif change.after is None:
            header.append(f"deleted file mode {_git_mode(change.mode)}")
        elif old_name != new_name:
            header += [f"rename from {old_name}", f"rename to {new_name}"]
        old_lines = _lines(source.before)
        new_lines = _lines(change.after)
        body = unified(
            old_lines,
            new_lines,
            old_name="/dev/null" if source.before is None else f"a/{old_name}",
            new_name="/dev/null" if change.after is None else f"b/{new_name}",
        )
        for line in body[2:]:
            if line.startswith("+"):
                added += 1
            elif line.startswith("-"):
                removed += 1
        sections.append("\n".join(header) + "\n" + "".join(_terminated(body)))
        shown.append(change.path)
    return "".join(sections), Summary(tuple(shown), added, removed)


def _git_mode(mode: int) -> str:
    """Git's spelling of a file mode: it knows only plain and executable files."""
    return "100755" if mode & 0o111 else "100644"


def _lines(text: str | None) -> list[str]:
    """A text's lines with their endings (only `\\n` splits, as git does)."""
    if not text:
        return []
    return [line + "\n" for line in text.split("\n")[:-1]] + (
        [text.rsplit("\n", 1)[-1]] if not text.endswith("\n") else []
    )


def _terminated(lines: list[str]) -> list[str]:
    """Diff lines with git's marker after a last line that has no newline."""
    out: list[str] = []
    for line in lines:
        if line.endswith("\n"):
            out.append(line)
        else:
            out.append(line + "\n\\ No newline at end of file\n")
    return out
