"""Codex patches, from the tool call's text to a change on disk and back by its anchor.

One module per step, each a pure core that the CLI and the language server wrap:

- `patch`: parse Codex's `apply_patch` format strictly; render it canonically;
- `match`: apply an update's hunks to a file's text, with Codex's tolerances only;
- `safety`: which paths and contents a patch may touch, and the size caps;
- `stage`: from a patch and the workspace, the change to review (texts, diff, summary, hash);
- `transaction`: apply a staged change all or none, journalled; `recover` after a crash;
- `rollback`: undo a change by its anchor when its files still hold what was applied.

Errors form one tree under `ApplyError` (see `errors`); each says one sentence to the user.
"""

from __future__ import annotations

from wishcraft.apply.errors import (
    ApplyError,
    ContentRefused,
    ContextMismatch,
    FileStateError,
    PatchSyntaxError,
    RollbackRefused,
    StaleChange,
    TransactionFailed,
    UnsafePath,
)
from wishcraft.apply.journal import Recovery, recover
from wishcraft.apply.match import Tolerance
from wishcraft.apply.patch import LARK_GRAMMAR, Patch, parse, render
from wishcraft.apply.rollback import Undone, load_anchor, rollback
from wishcraft.apply.safety import DEFAULT_LIMITS, Limits, Scope
from wishcraft.apply.stage import FileChange, StagedChange, Summary, stage
from wishcraft.apply.transaction import Anchor, apply_change, record_applied
from wishcraft.globs import scope_from_globs

__all__ = [
    "DEFAULT_LIMITS",
    "LARK_GRAMMAR",
    "Anchor",
    "ApplyError",
    "ContentRefused",
    "ContextMismatch",
    "FileChange",
    "FileStateError",
    "Limits",
    "Patch",
    "PatchSyntaxError",
    "Recovery",
    "RollbackRefused",
    "Scope",
    "StaleChange",
    "StagedChange",
    "Summary",
    "Tolerance",
    "TransactionFailed",
    "Undone",
    "UnsafePath",
    "apply_change",
    "load_anchor",
    "parse",
    "record_applied",
    "recover",
    "render",
    "rollback",
    "scope_from_globs",
    "stage",
]
