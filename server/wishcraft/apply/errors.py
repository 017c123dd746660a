"""Every way staging, applying or undoing a patch can be refused, as one exception tree.

    ApplyError                one clear sentence for the user (`str(error)`); `path` names the
    │                         file concerned when there is one
    ├── PatchSyntaxError      the patch text is not Codex's format (`line`, 1-based)
    ├── UnsafePath            a path is absolute, has `..`, lies under `.git/`, is a policy
    │                         file, is too long or spelled for another file system, leaves
    │                         the workspace through a symbolic link, or is outside the scope
    ├── ContentRefused        binary content, text that is not UTF-8, or over a size cap
    ├── ContextMismatch       a hunk's lines are not in the file as it is now
    ├── FileStateError        the file is not what the patch needs (missing, a folder, ...)
    ├── StaleChange           a file changed between staging and applying
    ├── TransactionFailed     writing failed; what was there has been restored
    └── RollbackRefused       an anchor cannot be undone (unknown, undone, file changed since)

Nothing is written when any of these is raised, except `TransactionFailed` with
`restored=False`, whose message says to run `wishcraft recover`.
"""

from __future__ import annotations


class ApplyError(Exception):
    """Base of the tree: `str(error)` is the sentence to show; `path` the file, if any."""

    def __init__(self, message: str, *, path: str | None = None) -> None:
        """Keep the sentence and the path it concerns."""
        super().__init__(message)
        self.message = message
        self.path = path


class PatchSyntaxError(ApplyError):
    """The patch text breaks Codex's grammar at `line` (1-based, in the text as given)."""

    def __init__(self, line: int, expected: str) -> None:
        """Say where and what was expected."""
        super().__init__(f"The patch is malformed at line {line}: {expected}.")
        self.line = line
        self.expected = expected


class UnsafePath(ApplyError):
    """A path the patch may not touch."""

    def __init__(self, path: str, reason: str) -> None:
        """Name the path and why it is refused."""
        super().__init__(f"The patch may not touch '{path}': {reason}.", path=path)
        self.reason = reason


class ContentRefused(ApplyError):
    """Content that is binary, not UTF-8, or over a cap."""

    def __init__(self, path: str | None, reason: str) -> None:
        """Name the file (or the patch) and the reason."""
        where = f"'{path}'" if path is not None else "The patch"
        subject = f"The content of {where}" if path is not None else where
        super().__init__(f"{subject} is refused: {reason}.", path=path)
        self.reason = reason


class ContextMismatch(ApplyError):
    """A hunk does not fit the file: `missing` is the first line not found."""

    def __init__(self, path: str, missing: str, patch_line: int) -> None:
        """Name the file, the line of context not found and where it is in the patch."""
        super().__init__(
            f"The patch does not fit '{path}': the line {missing!r} (line {patch_line} of the "
            "patch) is not in the file as it is now; plan again to get a fresh patch.",
            path=path,
        )
        self.missing = missing
        self.patch_line = patch_line


class FileStateError(ApplyError):
    """The file is not in the state the operation needs."""

    def __init__(self, path: str, reason: str) -> None:
        """Name the file and what is wrong with it."""
        super().__init__(f"Cannot change '{path}': {reason}.", path=path)
        self.reason = reason


class StaleChange(ApplyError):
    """A file changed after the patch was staged."""

    def __init__(self, path: str) -> None:
        """Name the file that changed."""
        super().__init__(
            f"'{path}' changed after the patch was staged; stage the patch again.", path=path
        )


class TransactionFailed(ApplyError):
    """Writing the change failed part-way; `restored` says whether the tree is as before."""

    def __init__(
        self, path: str | None, cause: str, *, restored: bool, recorded: bool = False
    ) -> None:
        """Say what failed and whether the workspace was restored.

        `recorded`: the transaction already wrote the change's ledger line (it had written
        the pending one), so the caller must not write another."""
        where = f" while writing '{path}'" if path else ""
        outcome = (
            "every file was restored; nothing changed"
            if restored
            else "the workspace could not be fully restored; run `wishcraft recover` before editing"
        )
        super().__init__(f"The change failed{where} ({cause}); {outcome}.", path=path)
        self.restored = restored
        self.recorded = recorded


class RollbackRefused(ApplyError):
    """An anchor cannot be undone."""

    def __init__(self, anchor_id: str, reason: str, *, path: str | None = None) -> None:
        """Name the anchor and why."""
        super().__init__(f"Cannot undo {anchor_id}: {reason}.", path=path)
        self.anchor_id = anchor_id
        self.reason = reason
