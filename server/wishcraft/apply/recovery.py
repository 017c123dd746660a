"""Recovery at the next start: finish an apply or undo that a killed process left half-made.

Every `wishcraft` command (before its own work), the language server's start (`initialized`)
and `wishcraft recover` call `recover_at_start` with the folder they work in. It asks first
whether any journal waits at all (`undo_state.interrupted_state_dirs`, a few folder
listings), so a command in a clean state pays nothing more. A journal of this workspace is
finished (`transaction.recover`: rolled back, or completed when it had committed, with its
ledger line written); one of another workspace is only named, with the command that finishes
it, since a command run here should not write files elsewhere.

The sentences returned are the user's (stderr, a window message); the log gets the detail.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass, field
from pathlib import Path

from wishcraft.apply.errors import ApplyError
from wishcraft.apply.journal import JOURNAL_FOLDER, Recovery, read_record, recover
from wishcraft.court.apply import workspace_root
from wishcraft.undo_state import (
    interrupted_state_dirs,
    legacy_note,
    state_dir_for,
    workspace_key,
)

logger = logging.getLogger(__name__)

RECOVER_COMMAND = "wishcraft recover"


@dataclass(frozen=True)
class StartRecovery:
    """What recovery at start did in the workspace `root`, and what waits elsewhere."""

    root: Path | None = None
    recovery: Recovery = field(default_factory=Recovery)
    elsewhere: tuple[Path, ...] = ()
    problems: tuple[str, ...] = ()
    failed: bool = False
    """Recovery could not run, left a file alone that someone else changed, or set aside a
    journal that is not ours."""

    def sentences(self) -> list[str]:
        """One sentence per fact, for stderr or a window message."""
        said = describe(self.recovery, self.root) if self.root is not None else []
        said += [
            f"A change in {other} was interrupted; run `{RECOVER_COMMAND} --workspace "
            f"{other}` to finish it."
            for other in self.elsewhere
        ]
        return said + list(self.problems)


def describe(recovery: Recovery, root: Path | None) -> list[str]:
    """The sentences saying what `recovery` did in `root`."""
    where = f" in {root}" if root is not None else ""
    said = [
        f"Recovered an interrupted change{where}: {journal_id} was rolled back; every file "
        "holds what it held before."
        for journal_id in recovery.rolled_back
        if not journal_id.startswith("U")
    ]
    said += [
        f"Recovered an interrupted undo{where}: A{journal_id[1:]} is still applied; run "
        f"`wishcraft rollback A{journal_id[1:]}` again to undo it."
        for journal_id in recovery.rolled_back
        if journal_id.startswith("U")
    ]
    said += [
        f"Recovered an interrupted change{where}: {journal_id} had been "
        f"{'undone' if journal_id.startswith('U') else 'applied'} in full; its record is "
        "complete."
        for journal_id in recovery.completed
    ]
    # Journals set aside are absolute paths (said in `problems`); files are workspace-relative.
    files = [name for name in recovery.conflicts if not Path(name).is_absolute()]
    if files:
        said.append(
            f"Recovery left {len(files)} file{'s' if len(files) != 1 else ''} alone that "
            f"changed since ({', '.join(files)}); check {'them' if len(files) != 1 else 'it'} "
            "by hand."
        )
    return said + list(recovery.problems)


def recover_at_start(start: Path, *, note_legacy: bool = False) -> StartRecovery:
    """Finish this workspace's interrupted changes; name the other workspaces' (see above).

    `note_legacy` also says, once per workspace, that old in-tree undo records are ignored
    (it finds the ledger, so only commands that work with undo records ask for it)."""
    waiting = interrupted_state_dirs()
    if not waiting and not note_legacy:
        return StartRecovery()
    root, location, _problem, _repo = workspace_root(start)
    state_dir = state_dir_for(root)
    problems: list[str] = []
    recovery = Recovery()
    failed = False
    try:
        if state_dir in waiting:
            recovery = recover(state_dir, root)
    except (ApplyError, OSError) as error:
        logger.warning("recovery in %s failed: %s", state_dir, error)
        problems.append(f"Recovery could not run: {str(error).rstrip('.')}.")
        failed = True
    # A file left alone, or a journal set aside (never acted on): a person should look.
    failed = failed or bool(recovery.conflicts)
    if note_legacy and location is not None:
        note = legacy_note(location.path.parent, state_dir)
        if note is not None:
            problems.append(note[0].upper() + note[1:])
    elsewhere = tuple(
        other for folder in waiting if folder != state_dir if (other := _root_of(folder))
    )
    return StartRecovery(root, recovery, elsewhere, tuple(problems), failed)


def _root_of(state_dir: Path) -> Path | None:
    """The workspace of a state folder's first sealed journal, if it is that folder's own."""
    for journal_file in sorted((state_dir / JOURNAL_FOLDER).glob("*.json")):
        if journal_file.name.endswith(".conflict.json"):
            continue
        try:
            root = json.loads(read_record(journal_file, "journal"))["root"]
        except (OSError, ValueError, KeyError, TypeError):
            continue
        if isinstance(root, str) and workspace_key(Path(root)) == state_dir.name:
            return Path(root)
    return None
