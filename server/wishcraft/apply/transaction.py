"""Apply a staged change all or none, with a journal so that a crash leaves the tree as it was.

Everything lives under `state_dir` (a parameter: the ledger's `anchors` folder): the undo
record of each change, `<anchor>.json`, and unfinished work, `journal/<id>.json`. The steps:

1. Take the lock `state_dir/.lock`; finish any journal a killed process left (`recover`).
2. Check every path again (a symbolic link may have appeared) and that every file still
   holds what was staged (SHA-256); otherwise refuse with `StaleChange`. Nothing written yet.
3. Write the journal atomically: per file its path, the text to restore, the SHA-256 before
   and after, its mode and its temporary's name; the folders that will be created.
4. Create those folders; write each new text to a temporary beside its target and fsync it.
5. Rename each temporary over its target, or unlink a deleted file; fsync the folders.
6. Write the commit marker atomically (for an apply: the undo record). This is the commit.
7. Remove the journal.

Steps 2 to 5 and the undo go through one `fileio.Tree`: the workspace is opened once and each
folder from its parent's descriptor without following links, so a folder swapped for a link
after the check fails the change (and it is undone) instead of redirecting a write.

When a step from 4 to 6 fails, the journal is undone at once and `TransactionFailed` says
that nothing changed. When the process dies instead (SIGKILL, power loss), the journal stays;
`recover(state_dir)`, which every apply and rollback runs first, undoes it: each file that
holds its new text gets its old text back (or is removed), temporaries and created folders
are removed. A journal whose marker exists had committed: it is only removed. A file that
holds neither text was changed by someone else: it is left alone, reported, and the journal
is kept as `journal/<id>.conflict.json`.

The undo record (`Anchor`) holds, per file, the path, the SHA-256 before and after (None for
an absent file) and the text before; it is written with mode 0600, since it copies workspace
files.
"""

from __future__ import annotations

import contextlib
import errno
import hashlib
import json
import os
import re
import secrets
import time
from collections.abc import Callable, Collection, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import filelock

from wishcraft.apply.errors import ApplyError, RollbackRefused, StaleChange, TransactionFailed
from wishcraft.apply.safety import check_path
from wishcraft.apply.stage import StagedChange
from wishcraft.fileio import (
    TEMP_SUFFIX,
    NoDescriptorWrites,
    NotAFile,
    Tree,
    temporary_prefix,
    write_atomically,
)

RECORD_VERSION = 1
JOURNAL_FOLDER = "journal"
LOCK_NAME = ".lock"
LOCK_TIMEOUT_SECONDS = 60.0
ANCHOR_ID = re.compile(r"^A-\d{8}T\d{6}Z-[0-9a-f]{12}$")

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


@dataclass(frozen=True)
class Recovery:
    """What `recover` did: journals undone, journals found committed, files left alone."""

    rolled_back: tuple[str, ...] = ()
    completed: tuple[str, ...] = ()
    conflicts: tuple[str, ...] = ()


def sha256_text(text: str | None) -> str | None:
    """SHA-256 (hex) of a text's UTF-8 bytes; None for an absent file."""
    return None if text is None else hashlib.sha256(text.encode("utf-8")).hexdigest()


def new_anchor_id() -> str:
    """A new, sortable anchor id: `A-<UTC time>-<12 random hex digits>`."""
    return f"A-{time.strftime('%Y%m%dT%H%M%SZ', time.gmtime())}-{secrets.token_hex(6)}"


def anchor_path(state_dir: Path, anchor_id: str) -> Path:
    """The undo record's file; refuses anything that is not an anchor id (it names a file)."""
    if not ANCHOR_ID.match(anchor_id):
        raise RollbackRefused(
            anchor_id, "this is not an anchor id (like A-20260101T120000Z-0123456789ab)"
        )
    return state_dir / f"{anchor_id}.json"


def undone_marker(state_dir: Path, anchor_id: str) -> Path:
    """The file whose presence says that an anchor was undone."""
    return state_dir / f"{anchor_id}.undone.json"


def state_lock(state_dir: Path) -> filelock.FileLock:
    """The lock that serialises applies, rollbacks and recovery on one state folder."""
    state_dir.mkdir(parents=True, exist_ok=True)
    return filelock.FileLock(str(state_dir / LOCK_NAME), timeout=LOCK_TIMEOUT_SECONDS)


def apply_change(
    staged: StagedChange,
    *,
    state_dir: Path,
    meta: Mapping[str, str] | None = None,
    step_hook: StepHook | None = None,
) -> Anchor:
    """Apply `staged` to its workspace all or none; return the undo record (the anchor).

    `meta` (e.g. the wish and the model) is kept in the record. Raises `StaleChange` when a
    file changed since staging, `UnsafePath` when a path became unsafe, `TransactionFailed`
    when writing failed (the tree is then as it was).
    """
    writes = [
        Write(change.path, change.before, change.after, change.mode) for change in staged.files
    ]
    anchor_id = new_anchor_id()
    with locked(state_dir):
        recover_locked(state_dir)
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
            marker=anchor_path(state_dir, anchor_id),
            marker_text=anchor.to_json(),
            step_hook=step_hook,
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
        write_atomically(anchor_path(state_dir, anchor_id), anchor.to_json(), mode=0o600)
    return anchor


def recover(state_dir: Path) -> Recovery:
    """Undo every change a killed process left half-made under `state_dir` (see above)."""
    if not (state_dir / JOURNAL_FOLDER).is_dir():
        return Recovery()
    with locked(state_dir):
        return recover_locked(state_dir)


@contextlib.contextmanager
def locked(state_dir: Path) -> Iterator[None]:
    """Hold the state folder's lock, turning a timeout into one clear sentence."""
    try:
        with state_lock(state_dir):
            yield
    except filelock.Timeout as error:
        raise ApplyError(
            f"Another apply or undo is running (lock {error.lock_file}); "
            "wait for it to finish and try again."
        ) from error


def commit(
    root: Path,
    writes: Sequence[Write],
    *,
    state_dir: Path,
    journal_id: str,
    marker: Path,
    marker_text: str,
    step_hook: StepHook | None = None,
) -> None:
    """Write `writes` under `root` all or none, journalled; `marker` is the commit point.

    The caller holds the lock. Every file must hold its `before` text now.
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
        raise TransactionFailed(None, _cause(error), restored=True) from error
    with tree:
        _commit(tree, writes, state_dir, journal_id, marker, marker_text, step_hook)


def _commit(
    tree: Tree,
    writes: Sequence[Write],
    state_dir: Path,
    journal_id: str,
    marker: Path,
    marker_text: str,
    step_hook: StepHook | None,
) -> None:
    """`commit`'s steps, every workspace file reached through `tree`."""
    root = tree.root
    for write in writes:
        check_path(root, write.path)
        try:
            now = read_text(tree, write.path)
        except UnicodeDecodeError:
            raise StaleChange(write.path) from None
        except OSError as error:
            raise TransactionFailed(write.path, _cause(error), restored=True) from error
        if sha256_text(now) != sha256_text(write.before):
            raise StaleChange(write.path)
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
    created_dirs = _missing_folders(root, writes)
    journal = {
        "version": RECORD_VERSION,
        "id": journal_id,
        "root": str(root),
        "marker": str(marker),
        "entries": entries,
        "created_dirs": created_dirs,
    }
    journal_file = state_dir / JOURNAL_FOLDER / f"{journal_id}.json"
    try:
        write_atomically(journal_file, json.dumps(journal, ensure_ascii=False), mode=0o600)
    except OSError as error:
        raise TransactionFailed(
            None, f"the journal could not be written: {error.strerror or error}", restored=True
        ) from error

    current: str | None = None
    try:
        for folder in created_dirs:
            current = folder
            tree.mkdir(folder)
        for write, entry in zip(writes, entries, strict=True):
            if write.after is not None:
                current = write.path
                tree.write_temporary(
                    write.path, str(entry["temp"]), write.after.encode("utf-8"), write.mode
                )
        for index, (write, entry) in enumerate(zip(writes, entries, strict=True)):
            current = write.path
            if write.after is None:
                tree.unlink(write.path)
            else:
                tree.replace(write.path, str(entry["temp"]))
            if step_hook is not None:
                step_hook(index, write.path)
        current = None
        _sync_tree(tree, (write.path for write in writes))
        write_atomically(marker, marker_text, mode=0o600)
    except BaseException as error:
        try:
            conflicts = _undo(journal, journal_file, tree)
        except Exception:  # the journal stays for `recover`
            restored = False
        else:
            restored = not conflicts
        if isinstance(error, Exception):
            cause = _cause(error) if isinstance(error, OSError) else str(error)
            raise TransactionFailed(
                current, cause or type(error).__name__, restored=restored
            ) from error
        raise
    with contextlib.suppress(OSError):
        journal_file.unlink()
        _sync_folders([journal_file])


def recover_locked(state_dir: Path) -> Recovery:
    """`recover`, for a caller that holds the lock."""
    folder = state_dir / JOURNAL_FOLDER
    if not folder.is_dir():
        return Recovery()
    rolled_back: list[str] = []
    completed: list[str] = []
    conflicts: list[str] = []
    for journal_file in sorted(folder.glob("*.json")):
        if journal_file.name.endswith(".conflict.json"):
            continue
        try:
            journal = json.loads(journal_file.read_text(encoding="utf-8"))
            marker = Path(journal["marker"])
        except (OSError, ValueError, KeyError, TypeError):
            # Not ours or damaged by hand: keep it aside for a person, never act on it.
            os.replace(journal_file, journal_file.with_suffix(".conflict.json"))
            conflicts.append(str(journal_file))
            continue
        if marker.exists():
            with contextlib.suppress(OSError), Tree(Path(journal["root"])) as tree:
                _remove_temporaries(journal, tree)
            journal_file.unlink()
            completed.append(journal["id"])
            continue
        conflicts += _undo(journal, journal_file)
        rolled_back.append(journal["id"])
    return Recovery(tuple(rolled_back), tuple(completed), tuple(conflicts))


def _undo(journal: dict[str, Any], journal_file: Path, tree: Tree | None = None) -> list[str]:
    """Put every file of `journal` back as it was; return the files left alone (conflicts).

    `tree` is the commit's own (its folders already open); recovery opens one."""
    if tree is None:
        try:
            opened = Tree(Path(journal["root"]))
        except OSError:  # the workspace is gone or unreachable: keep the journal for a person
            os.replace(journal_file, journal_file.with_suffix(".conflict.json"))
            return [entry["path"] for entry in journal["entries"]]
        with opened:
            return _undo(journal, journal_file, opened)
    root = tree.root
    conflicts: list[str] = []
    for entry in reversed(journal["entries"]):
        path = entry["path"]
        try:
            check_path(root, path)
            now = sha256_text(read_text(tree, path))
        except (ApplyError, OSError, UnicodeDecodeError):
            conflicts.append(path)
            continue
        if now == entry["before_sha256"]:
            continue
        if now != entry["after_sha256"]:
            conflicts.append(path)
            continue
        if entry["before"] is None:
            tree.unlink(path)
        else:
            tree.write_atomically(path, entry["before"].encode("utf-8"), entry["mode"])
    _remove_temporaries(journal, tree)
    _remove_folders(tree, journal["created_dirs"])
    _sync_tree(tree, (entry["path"] for entry in journal["entries"]))
    if conflicts:
        os.replace(journal_file, journal_file.with_suffix(".conflict.json"))
    else:
        journal_file.unlink()
    _sync_folders([journal_file])
    return conflicts


def read_text(root: Path | Tree, path: str) -> str | None:
    """A file's text, None when absent; a folder or a link counts as a change.

    Read through a `Tree` (one is opened for a `Path`): no link on the way is followed."""
    if not isinstance(root, Tree):
        with Tree(root) as tree:
            return read_text(tree, path)
    try:
        data = root.read(path)
    except NotAFile:
        raise StaleChange(path) from None
    return None if data is None else data.decode("utf-8")


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


def _remove_temporaries(journal: Mapping[str, Any], tree: Tree) -> None:
    """Remove the journal's temporaries that are still there (not through a link)."""
    for entry in journal["entries"]:
        if entry["temp"]:
            with contextlib.suppress(OSError):
                tree.remove_temporary(entry["path"], entry["temp"])


def remove_folders(root: Path, folders: Iterable[str]) -> None:
    """Remove the folders a change created, deepest first, when they are empty."""
    with contextlib.suppress(OSError), Tree(root) as tree:
        _remove_folders(tree, folders)


def _remove_folders(tree: Tree, folders: Iterable[str]) -> None:
    for folder in sorted(folders, key=lambda item: item.count("/"), reverse=True):
        with contextlib.suppress(OSError):
            tree.rmdir(folder)


def _sync_tree(tree: Tree, paths: Iterable[str]) -> None:
    """fsync the workspace folders holding `paths` (through the tree's descriptors)."""
    for folder in {path.rpartition("/")[0] for path in paths}:
        tree.sync(folder)


def _cause(error: OSError) -> str:
    """An OSError as the user reads it; a link or file swapped in for a folder says so."""
    if error.errno in (errno.ELOOP, errno.ENOTDIR):
        return "a folder on its path was replaced by a symbolic link or a file"
    if error.errno == errno.ENAMETOOLONG:
        return "the name is too long for this file system"
    return error.strerror or str(error)


def _sync_folders(paths: Iterable[Path]) -> None:
    """fsync the folders holding `paths`, so the renames and unlinks are durable."""
    for folder in {path.parent for path in paths}:
        with contextlib.suppress(OSError):
            handle = os.open(folder, os.O_RDONLY)
            try:
                os.fsync(handle)
            finally:
                os.close(handle)
