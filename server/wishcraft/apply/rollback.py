"""Undo an applied change by its anchor, when every file still holds what was applied.

The undo record names each file with the SHA-256 of its text after the apply (None when the
apply removed it). If any file differs now, the undo is refused and the first such file is
named: undoing over later edits would lose them. Otherwise the old texts go back through the
same journalled, all-or-none commit as the apply (`transaction.commit`), whose commit marker
is `<anchor>.undone.json`; an anchor is undone once. Folders the apply created are removed
afterwards when they are empty.

Records are read only from the user's state folder and only when their seal verifies
(`undo_state`); their `root` must be the workspace, and every path is checked again as the
apply checks it (`safety.check_path`): an anchor cannot name a file outside the workspace or
under `.git/`.
"""

from __future__ import annotations

import json
import os
import time
from dataclasses import dataclass
from pathlib import Path

from wishcraft.apply.errors import ApplyError, RollbackRefused, UnsafePath
from wishcraft.apply.journal import (
    anchor_path,
    locked,
    read_record,
    read_text,
    recover_locked,
    remove_folders,
    sha256_text,
    undone_marker,
)
from wishcraft.apply.safety import check_path
from wishcraft.apply.transaction import Anchor, StepHook, Write, commit
from wishcraft.undo_state import UntrustedRecord


@dataclass(frozen=True)
class Undone:
    """What an undo did: the anchor, its files, and when."""

    anchor: Anchor
    undone_at: str
    files: tuple[str, ...]


def load_anchor(anchor_id: str, *, state_dir: Path) -> Anchor:
    """Read an anchor's undo record, or refuse with a sentence naming what is wrong."""
    record = anchor_path(state_dir, anchor_id)
    try:
        anchor = Anchor.from_json(read_record(record, "anchor"))
    except FileNotFoundError:
        raise RollbackRefused(anchor_id, f"there is no such anchor in {state_dir}") from None
    except UntrustedRecord as error:
        raise RollbackRefused(
            anchor_id, f"its record {record.name} is not trusted ({error}); it is never acted on"
        ) from error
    except (OSError, ValueError, KeyError, TypeError) as error:
        raise RollbackRefused(
            anchor_id, f"its record {record.name} is unreadable ({error})"
        ) from error
    if anchor.anchor_id != anchor_id:
        raise RollbackRefused(anchor_id, f"its record {record.name} names another anchor")
    return anchor


def _check_anchor(anchor: Anchor) -> None:
    """Refuse an anchor whose paths, folders or modes the apply itself would refuse."""
    parents: set[str] = set()
    for file in anchor.files:
        try:
            path = check_path(anchor.root, file.path)
        except UnsafePath as error:
            raise RollbackRefused(
                anchor.anchor_id,
                f"it names '{file.path}', which the apply would refuse ({error.reason})",
                path=file.path,
            ) from None
        if path != file.path or not 0 <= file.mode <= 0o777:
            raise RollbackRefused(anchor.anchor_id, f"its record of '{file.path}' is malformed")
        parts = path.split("/")
        parents |= {"/".join(parts[:count]) for count in range(1, len(parts))}
    for folder in anchor.created_dirs:
        if folder not in parents:
            raise RollbackRefused(
                anchor.anchor_id, f"its folder '{folder}' holds none of its files"
            )


def rollback(
    anchor_id: str, *, state_dir: Path, root: Path | None = None, step_hook: StepHook | None = None
) -> Undone:
    """Reverse exactly the change recorded as `anchor_id`, all or none.

    Refuses (`RollbackRefused`) an unknown, untrusted or already undone anchor, an anchor of
    another workspace than `root` (when given), an anchor naming a path the apply would
    refuse, and a change whose files do not all hold what was applied, naming the first file
    that changed since.
    """
    with locked(state_dir):
        anchor = load_anchor(anchor_id, state_dir=state_dir)
        if root is not None and Path(os.path.realpath(root)) != anchor.root:
            raise RollbackRefused(anchor_id, f"it belongs to the workspace {anchor.root}")
        recover_locked(state_dir, anchor.root)
        _check_anchor(anchor)
        marker = undone_marker(state_dir, anchor_id)
        if marker.exists():
            raise RollbackRefused(anchor_id, "it was already undone")
        writes: list[Write] = []
        for file in anchor.files:
            try:
                check_path(anchor.root, file.path)
                now = read_text(anchor.root, file.path)
            except (ApplyError, OSError, UnicodeDecodeError):
                now, changed = None, True
            else:
                changed = sha256_text(now) != file.after_sha256
            if changed:
                raise RollbackRefused(
                    anchor_id,
                    f"'{file.path}' changed after the change was "
                    "applied; undo or save that edit first",
                    path=file.path,
                )
            writes.append(Write(file.path, now, file.before, file.mode))
        undone_at = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
        commit(
            anchor.root,
            writes,
            state_dir=state_dir,
            journal_id=f"U{anchor_id[1:]}",
            step_hook=step_hook,
            marker_text=json.dumps({"anchor_id": anchor_id, "undone_at": undone_at}) + "\n",
        )
        remove_folders(anchor.root, anchor.created_dirs)
    return Undone(anchor, undone_at, tuple(file.path for file in anchor.files))
