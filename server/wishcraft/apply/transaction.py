"""Apply a staged change all or none, with a journal so that a crash leaves the tree as it was.

Everything lives under `state_dir`, the workspace's folder in the user's state folder
(`undo_state.state_dir_for`; never in the repository, whose content anyone may have
written): the undo record of each change, `<anchor>.json`, and unfinished work,
`journal/<id>.json`. Each is sealed with the user's key (`undo_state.seal`). The steps:

1. Take the lock `state_dir/.lock`; finish any journal a killed process left (`recover`).
2. Check every path again (a symbolic link may have appeared) and that every file still
   holds what was staged (SHA-256); otherwise refuse with `StaleChange`. Nothing written yet.
3. Write the journal atomically: per file its path, the text to restore, the SHA-256 before
   and after, its mode and its temporary's name; the folders that will be created; the
   ledger line to complete (`LedgerNote`), when one is given.
4. Append the change's `pending` ledger line, so no applied change goes unrecorded.
5. Create those folders; write each new text to a temporary beside its target and fsync it.
6. Rename each temporary over its target, or unlink a deleted file; fsync the folders.
7. Write the commit marker atomically (for an apply: the undo record). This is the commit.
8. Append the `complete` ledger line; remove the journal.

Steps 2 to 6 and the undo go through one `fileio.Tree`: the workspace is opened once and each
folder from its parent's descriptor without following links, so a folder swapped for a link
after the check fails the change (and it is undone) instead of redirecting a write.

When a step from 4 to 7 fails, the journal is undone at once, the ledger line says `failed`,
and `TransactionFailed` says that nothing changed. When the process dies instead (SIGKILL,
power loss), the journal stays; `recover(state_dir, root)`, which every `wishcraft` command,
the language server's start, every apply and every rollback run first, finishes it: without
the marker, each file that holds its new text gets its old text back (or is removed),
temporaries and created folders are removed, and the ledger line says `failed` (rolled back);
with the marker the change had committed, and the `complete` line is written. A file that
holds neither text was changed by someone else: it is left alone, reported, and the journal
is kept as `journal/<id>.conflict.json`.

A journal is acted on only when its seal verifies, its `root` is the workspace being
recovered, its id names its file, and every path, temporary name, folder and mode passes the
apply checks (`safety.check_path`: inside the workspace, never `.git/`); the marker's place is
derived from the id, never read from the journal. Anything else is set aside, never acted on.

The undo record (`Anchor`) holds, per file, the path, the SHA-256 before and after (None for
an absent file) and the text before; it is written with mode 0600, since it copies workspace
files.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import secrets
import time
from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from wishcraft.apply.errors import ApplyError, StaleChange, TransactionFailed
from wishcraft.apply.journal import (
    JOURNAL_FOLDER,
    LedgerNote,
    anchor_path,
    cause_of,
    finish,
    locked,
    marker_of,
    read_text,
    recover_locked,
    sha256_text,
    sync_tree,
    undo,
    write_record,
)
from wishcraft.apply.safety import check_path
from wishcraft.apply.stage import StagedChange
from wishcraft.fileio import (
    TEMP_SUFFIX,
    NoDescriptorWrites,
    Tree,
    temporary_prefix,
)
from wishcraft.ledger import LedgerError

RECORD_VERSION = 1

logger = logging.getLogger(__name__)

StepHook = Callable[[int, str], None]
"""Called after each file is renamed into place or removed, with its index and path. For
tests: it lets a test kill the process between two files."""


@dataclass(frozen=True)
class Write:
    """One file to change: the text it must hold now and the text it gets (None: absent)."""

    path: str
    before: str | None
    after: str | None
    mode: int


@dataclass(frozen=True)
class AnchorFile:
    """One file of an undo record."""

    path: str
    before_sha256: str | None
    after_sha256: str | None
    before: str | None
    mode: int


@dataclass(frozen=True)
class Anchor:
    """The undo record of one applied change."""

    anchor_id: str
    created: str
    root: Path
    diff_hash: str
    files: tuple[AnchorFile, ...]
    created_dirs: tuple[str, ...] = ()
    meta: Mapping[str, str] = field(default_factory=dict)

    def to_json(self) -> str:
        """The record as written to `<anchor>.json`."""
        return (
            json.dumps(
                {
                    "version": RECORD_VERSION,
                    "anchor_id": self.anchor_id,
                    "created": self.created,
                    "root": str(self.root),
                    "diff_hash": self.diff_hash,
                    "files": [file.__dict__ for file in self.files],
                    "created_dirs": list(self.created_dirs),
                    "meta": dict(self.meta),
                },
                ensure_ascii=False,
                indent=1,
            )
            + "\n"
        )

    @classmethod
    def from_json(cls, text: str) -> Anchor:
        """Read a record written by `to_json`."""
        data = json.loads(text)
        return cls(
            anchor_id=data["anchor_id"],
            created=data["created"],
            root=Path(data["root"]),
            diff_hash=data["diff_hash"],
            files=tuple(AnchorFile(**item) for item in data["files"]),
            created_dirs=tuple(data.get("created_dirs", ())),
            meta=data.get("meta", {}),
        )


def new_anchor_id() -> str:
    """A new, sortable anchor id: `A-<UTC time>-<12 random hex digits>`."""
    return f"A-{time.strftime('%Y%m%dT%H%M%SZ', time.gmtime())}-{secrets.token_hex(6)}"


def apply_change(
    staged: StagedChange,
    *,
    state_dir: Path,
    meta: Mapping[str, str] | None = None,
    step_hook: StepHook | None = None,
    ledger: LedgerNote | None = None,
) -> Anchor:
    """Apply `staged` to its workspace all or none; return the undo record (the anchor).

    `meta` (e.g. the wish and the model) is kept in the record. `ledger`, when given, is the
    change's ledger line: written `pending` before the first file and completed after (see
    the module docstring). Raises `StaleChange` when a file changed since staging,
    `UnsafePath` when a path became unsafe, `TransactionFailed` when writing failed (the tree
    is then as it was).
    """
    writes = [
        Write(change.path, change.before, change.after, change.mode) for change in staged.files
    ]
    anchor_id = new_anchor_id()
    with locked(state_dir):
        recover_locked(state_dir, staged.root)
        created = tuple(_missing_folders(staged.root, writes))
        anchor = Anchor(
            anchor_id=anchor_id,
            created=time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
            root=staged.root,
            diff_hash=staged.diff_hash,
            files=tuple(
                AnchorFile(
                    write.path,
                    sha256_text(write.before),
                    sha256_text(write.after),
                    write.before,
                    write.mode,
                )
                for write in writes
            ),
            created_dirs=created,
            meta=dict(meta or {}),
        )
        commit(
            staged.root,
            writes,
            state_dir=state_dir,
            journal_id=anchor_id,
            marker_text=anchor.to_json(),
            step_hook=step_hook,
            ledger=ledger,
        )
    return anchor


def record_applied(
    staged: StagedChange,
    *,
    state_dir: Path,
    paths: Collection[str] | None = None,
    meta: Mapping[str, str] | None = None,
) -> Anchor:
    """Write the undo record of a change someone else applied; return the anchor.

    For the editor: the client applies the WorkspaceEdit (`workspace/applyEdit`) and reports
    which files it applied; only those (`paths`, default all) are recorded, each with the
    other half of its move. Nothing in the workspace is read or written here; `rollback`
    later checks that every file holds what was staged.
    """
    wanted = {change.path for change in staged.files} if paths is None else set(paths)
    for change in staged.files:
        partner = change.moved_to or change.moved_from
        if partner is not None and (change.path in wanted or partner in wanted):
            wanted |= {change.path, partner}
    chosen = [change for change in staged.files if change.path in wanted]
    if not chosen:
        raise ApplyError("No file of the change was applied, so there is nothing to record.")
    needed = {
        "/".join(change.path.split("/")[:count])
        for change in chosen
        if change.after is not None
        for count in range(1, change.path.count("/") + 1)
    }
    anchor_id = new_anchor_id()
    anchor = Anchor(
        anchor_id=anchor_id,
        created=time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        root=staged.root,
        diff_hash=staged.diff_hash,
        files=tuple(
            AnchorFile(
                change.path,
                sha256_text(change.before),
                sha256_text(change.after),
                change.before,
                change.mode,
            )
            for change in chosen
        ),
        created_dirs=tuple(folder for folder in staged.new_folders if folder in needed),
        meta=dict(meta or {}),
    )
    with locked(state_dir):
        write_record(anchor_path(state_dir, anchor_id), "anchor", anchor.to_json())
    return anchor


def commit(
    root: Path,
    writes: Sequence[Write],
    *,
    state_dir: Path,
    journal_id: str,
    marker_text: str,
    step_hook: StepHook | None = None,
    ledger: LedgerNote | None = None,
) -> None:
    """Write `writes` under `root` all or none, journalled; the marker is the commit point.

    The marker's place follows from `journal_id` (`marker_of`). The caller holds the lock.
    Every file must hold its `before` text now.
    """
    try:
        tree = Tree(root)
    except NoDescriptorWrites as error:
        raise TransactionFailed(
            None,
            "this system cannot write relative to a folder descriptor, so a write could "
            "follow a link; apply from WSL or through the editor",
            restored=True,
        ) from error
    except OSError as error:
        raise TransactionFailed(None, cause_of(error), restored=True) from error
    with tree:
        _commit(tree, writes, state_dir, journal_id, marker_text, step_hook, ledger)


def _commit(
    tree: Tree,
    writes: Sequence[Write],
    state_dir: Path,
    journal_id: str,
    marker_text: str,
    step_hook: StepHook | None,
    ledger: LedgerNote | None,
) -> None:
    """`commit`'s steps, every workspace file reached through `tree`."""
    _check_unchanged(tree, writes)
    journal, journal_file = _write_journal(tree.root, writes, state_dir, journal_id, ledger)
    current: list[str | None] = [None]
    try:
        _write_files(tree, writes, journal, step_hook, current)
        marker, marker_kind = marker_of(state_dir, journal_id)
        write_record(marker, marker_kind, marker_text)  # the commit point
    except BaseException as error:
        cause = (cause_of(error) if isinstance(error, OSError) else str(error)) or type(
            error
        ).__name__
        try:
            conflicts = undo(journal, tree)
        except Exception:  # the journal stays for `recover`
            logger.exception("undoing %s failed; the journal stays for recovery", journal_id)
            restored = False
        else:
            restored = not conflicts
            finish(journal_file, journal_id, ledger, "failed", f"not applied: {cause}", conflicts)
        if isinstance(error, Exception):
            raise TransactionFailed(
                current[0], cause, restored=restored, recorded=ledger is not None
            ) from error
        raise
    finish(journal_file, journal_id, ledger, "complete", None, [])


def _check_unchanged(tree: Tree, writes: Sequence[Write]) -> None:
    """Step 2: every path is still allowed and every file holds its `before` text."""
    for write in writes:
        check_path(tree.root, write.path)
        try:
            now = read_text(tree, write.path)
        except UnicodeDecodeError:
            raise StaleChange(write.path) from None
        except OSError as error:
            raise TransactionFailed(write.path, cause_of(error), restored=True) from error
        if sha256_text(now) != sha256_text(write.before):
            raise StaleChange(write.path)


def _write_journal(
    root: Path,
    writes: Sequence[Write],
    state_dir: Path,
    journal_id: str,
    ledger: LedgerNote | None,
) -> tuple[dict[str, Any], Path]:
    """Steps 3 and 4: the sealed journal, then the `pending` ledger line (fail closed: a
    change the ledger cannot record first is not made)."""
    token = secrets.token_hex(4)  # 8 characters, like fileio's temporaries
    entries = [
        {
            "path": write.path,
            "before": write.before,
            "mode": write.mode,
            "before_sha256": sha256_text(write.before),
            "after_sha256": sha256_text(write.after),
            "temp": None
            if write.after is None
            else (temporary_prefix(root / write.path) + token + TEMP_SUFFIX),
        }
        for write in writes
    ]
    journal = {
        "version": RECORD_VERSION,
        "id": journal_id,
        "root": os.path.realpath(root),
        "entries": entries,
        "created_dirs": _missing_folders(root, writes),
        "ledger": ledger.to_json() if ledger is not None else None,
    }
    journal_file = state_dir / JOURNAL_FOLDER / f"{journal_id}.json"
    try:
        write_record(journal_file, "journal", json.dumps(journal, ensure_ascii=False))
    except OSError as error:
        raise TransactionFailed(
            None, f"the journal could not be written: {error.strerror or error}", restored=True
        ) from error
    if ledger is not None:
        try:
            ledger.write(journal_id, "pending")
        except (LedgerError, OSError, ValueError) as error:
            with contextlib.suppress(OSError):
                journal_file.unlink()
            raise TransactionFailed(
                None, f"the ledger could not record it first: {error}", restored=True
            ) from error
    return journal, journal_file


def _write_files(
    tree: Tree,
    writes: Sequence[Write],
    journal: dict[str, Any],
    step_hook: StepHook | None,
    current: list[str | None],
) -> None:
    """Steps 5 and 6: folders, temporaries (fsynced), then each rename or removal; `current`
    holds the path being written, for the failure's sentence."""
    for folder in journal["created_dirs"]:
        current[0] = folder
        tree.mkdir(folder)
    entries = journal["entries"]
    for write, entry in zip(writes, entries, strict=True):
        if write.after is not None:
            current[0] = write.path
            tree.write_temporary(
                write.path, str(entry["temp"]), write.after.encode("utf-8"), write.mode
            )
    for index, (write, entry) in enumerate(zip(writes, entries, strict=True)):
        current[0] = write.path
        if write.after is None:
            tree.unlink(write.path)
        else:
            tree.replace(write.path, str(entry["temp"]))
        if step_hook is not None:
            step_hook(index, write.path)
    current[0] = None
    sync_tree(tree, (write.path for write in writes))


def _missing_folders(root: Path, writes: Iterable[Write]) -> list[str]:
    """The folders that must be created for the new files, parents first."""
    missing: dict[str, None] = {}
    for write in writes:
        if write.after is None:
            continue
        parts = write.path.split("/")[:-1]
        for count in range(1, len(parts) + 1):
            folder = "/".join(parts[:count])
            if folder not in missing and not os.path.lexists(root / folder):
                missing[folder] = None
    return list(missing)
