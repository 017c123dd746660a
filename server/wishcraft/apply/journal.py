"""The journal of a change being written, its sealed records, and recovery after a crash.

`transaction.commit` writes a journal before the first file and removes it after the commit
marker; this module holds what both it and recovery need: the sealed record files (journals,
anchors, commit markers: `write_record`/`read_record`, sealed by `undo_state`), the state
folder's lock, undoing a journal through a `fileio.Tree`, the ledger line written around the
files (`LedgerNote`), and `recover`, which every `wishcraft` command and the server's start run
first. `transaction`'s docstring has the steps, and what a journal must pass to be acted on.
"""

from __future__ import annotations

import contextlib
import errno
import hashlib
import json
import logging
import os
import re
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import filelock

from wishcraft.apply.errors import ApplyError, RollbackRefused, StaleChange
from wishcraft.apply.safety import check_path
from wishcraft.fileio import TEMP_SUFFIX, NotAFile, Tree, temporary_prefix, write_atomically
from wishcraft.ledger import LedgerEntry, LedgerError, Outcome, recent_entries, record
from wishcraft.undo_state import UntrustedRecord, ensure_private, seal, unseal

logger = logging.getLogger(__name__)

JOURNAL_FOLDER = "journal"
LOCK_NAME = ".lock"
LOCK_TIMEOUT_SECONDS = 60.0
ANCHOR_ID = re.compile(r"^A-\d{8}T\d{6}Z-[0-9a-f]{12}$")
JOURNAL_ID = re.compile(r"^[AU]-\d{8}T\d{6}Z-[0-9a-f]{12}$")
"""An apply's journal is named by its anchor (`A-…`), an undo's by `U-…` and the same rest."""
TEMP_TOKEN = re.compile(r"^[0-9a-f]{8}$")
INTERRUPTED = "interrupted while writing; `wishcraft recover` put every file back"
RECENT_LINES = 1000
"""How far back recovery looks for a change's last line (others append in between)."""


@dataclass(frozen=True)
class LedgerNote:
    """The ledger line of an applied change, which the transaction writes around the files.

    `entry` holds the line's fields but `outcome`, `reason`, `summary` and `anchor_id`;
    `summaries` the summary per outcome (`pending`, `complete`, `failed`)."""

    path: Path
    entry: Mapping[str, Any]
    summaries: Mapping[str, str]

    def to_json(self) -> dict[str, Any]:
        """As kept in the journal, so that recovery writes the line a killed process did not."""
        return {
            "path": str(self.path),
            "entry": dict(self.entry),
            "summaries": dict(self.summaries),
        }

    @classmethod
    def from_json(cls, data: Any) -> LedgerNote | None:
        """Read `to_json`'s form (None stays None)."""
        if data is None:
            return None
        if not isinstance(data, dict):
            raise UntrustedRecord("the journal's ledger note is not an object")
        return cls(Path(data["path"]), dict(data["entry"]), dict(data["summaries"]))

    def write(self, journal_id: str, outcome: Outcome, reason: str | None = None) -> None:
        """Append the line with `outcome`; raises `LedgerError` when it cannot be written."""
        anchor_id = "A" + journal_id[1:]
        fields = {
            **self.entry,
            "outcome": outcome,
            "reason": reason,
            "summary": self.summaries.get(outcome),
            "anchor_id": anchor_id,
        }
        recorded = record(self.path, LedgerEntry.model_validate(fields))
        if not recorded.written:
            raise LedgerError(recorded.problem or "the ledger line could not be written.")

    def ended(self, journal_id: str) -> bool:
        """Whether the ledger's tail already ends this change (a line with its anchor that is
        not `pending`): a process killed after that line but before removing its journal."""
        anchor_id = "A" + journal_id[1:]
        conduit = str(self.entry.get("conduit"))
        try:
            recent = recent_entries(self.path, conduit, limit=20, scan_lines=RECENT_LINES)
        except (LedgerError, OSError):
            return False
        for entry in recent:
            if entry.anchor_id == anchor_id and entry.action == self.entry.get("action"):
                return entry.outcome != "pending"
        return False


@dataclass(frozen=True)
class Recovery:
    """What `recover` did: journals undone, journals found committed, files left alone."""

    rolled_back: tuple[str, ...] = ()
    completed: tuple[str, ...] = ()
    conflicts: tuple[str, ...] = ()
    problems: tuple[str, ...] = ()
    """Sentences to show: a journal set aside, a ledger line that could not be written."""

    @property
    def anything(self) -> bool:
        """Whether there was anything to recover or report."""
        return bool(self.rolled_back or self.completed or self.conflicts or self.problems)


def sha256_text(text: str | None) -> str | None:
    """SHA-256 (hex) of a text's UTF-8 bytes; None for an absent file."""
    return None if text is None else hashlib.sha256(text.encode("utf-8")).hexdigest()


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


def marker_of(state_dir: Path, journal_id: str) -> tuple[Path, str]:
    """The commit marker of a journal and its record kind, derived from the journal's id."""
    if journal_id.startswith("U"):
        return undone_marker(state_dir, "A" + journal_id[1:]), "undone"
    return anchor_path(state_dir, journal_id), "anchor"


def write_record(path: Path, kind: str, text: str) -> None:
    """Write a sealed record (0600), atomically."""
    write_atomically(path, seal(kind, path.name, text), mode=0o600)


def read_record(path: Path, kind: str) -> str:
    """A sealed record's text; `UntrustedRecord` when its seal does not verify."""
    return unseal(kind, path.name, path.read_text(encoding="utf-8"))


def state_lock(state_dir: Path) -> filelock.FileLock:
    """The lock that serialises applies, rollbacks and recovery on one state folder."""
    ensure_private(state_dir)
    ensure_private(state_dir / JOURNAL_FOLDER)
    return filelock.FileLock(str(state_dir / LOCK_NAME), timeout=LOCK_TIMEOUT_SECONDS)


def pending_journals(state_dir: Path) -> bool:
    """Whether `state_dir` holds a journal to finish (cheap: one folder listing, no lock)."""
    try:
        return any(
            entry.name.endswith(".json") and not entry.name.endswith(".conflict.json")
            for entry in os.scandir(state_dir / JOURNAL_FOLDER)
        )
    except OSError:
        return False


def recover(state_dir: Path, root: Path) -> Recovery:
    """Finish every change a killed process left half-made in the workspace `root` (see above).

    Only journals under `state_dir` whose seal verifies and whose root is `root` are acted on.
    """
    if not pending_journals(state_dir):
        return Recovery()
    with locked(state_dir):
        return recover_locked(state_dir, root)


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


def recover_locked(state_dir: Path, root: Path) -> Recovery:
    """`recover`, for a caller that holds the lock."""
    folder = state_dir / JOURNAL_FOLDER
    if not folder.is_dir():
        return Recovery()
    root = Path(os.path.realpath(root))
    rolled_back: list[str] = []
    completed: list[str] = []
    conflicts: list[str] = []
    problems: list[str] = []
    for journal_file in sorted(folder.glob("*.json")):
        if journal_file.name.endswith(".conflict.json"):
            continue
        try:
            journal = _checked_journal(journal_file, root)
            ledger = LedgerNote.from_json(journal.get("ledger"))
        except (OSError, ValueError, KeyError, TypeError, ApplyError) as error:
            # Not ours, of another workspace, or damaged: set aside for a person, never acted on.
            logger.warning("journal %s set aside: %s", journal_file, error)
            with contextlib.suppress(OSError):
                os.replace(journal_file, journal_file.with_suffix(".conflict.json"))
            conflicts.append(str(journal_file))
            problems.append(
                f"The journal {journal_file.name} was set aside, not acted on: "
                f"{str(error).rstrip('.')}."
            )
            continue
        journal_id = journal["id"]
        try:
            tree = Tree(root)
        except OSError as error:  # the workspace is gone or unreachable: keep it for a person
            logger.warning(
                "journal %s kept: the workspace cannot be opened: %s", journal_file, error
            )
            with contextlib.suppress(OSError):
                os.replace(journal_file, journal_file.with_suffix(".conflict.json"))
            conflicts.append(str(journal_file))
            problems.append(
                f"The journal {journal_file.name} was set aside, not acted on: "
                f"the workspace cannot be opened ({cause_of(error)})."
            )
            continue
        with tree:
            if _committed(state_dir, journal_id):
                with contextlib.suppress(OSError):
                    _remove_temporaries(journal, tree)
                problems += finish(
                    journal_file, journal_id, ledger, "complete", None, [], recovering=True
                )
                completed.append(journal_id)
                continue
            left = undo(journal, tree)
        problems += finish(
            journal_file, journal_id, ledger, "failed", INTERRUPTED, left, recovering=True
        )
        conflicts += left
        rolled_back.append(journal_id)
    return Recovery(tuple(rolled_back), tuple(completed), tuple(conflicts), tuple(problems))


def _committed(state_dir: Path, journal_id: str) -> bool:
    """Whether the journal's commit marker exists and is ours (its seal verifies)."""
    marker, kind = marker_of(state_dir, journal_id)
    try:
        read_record(marker, kind)
    except FileNotFoundError:
        return False
    except (OSError, ValueError):
        logger.warning("commit marker %s is not ours; the change is rolled back", marker)
        return False
    return True


def _checked_journal(journal_file: Path, root: Path) -> dict[str, Any]:
    """The journal in `journal_file`, when it can be acted on in the workspace `root`.

    Raises `UntrustedRecord` (a `ValueError`) or `UnsafePath` otherwise: a bad seal, another
    root, an id that does not name the file, a path, temporary or folder the apply would
    refuse, a mode with more than permission bits."""
    journal_id = journal_file.name.removesuffix(".json")
    if not JOURNAL_ID.match(journal_id):
        raise UntrustedRecord(f"{journal_file.name} is not named like a journal")
    journal = json.loads(read_record(journal_file, "journal"))
    if not isinstance(journal, dict) or journal.get("id") != journal_id:
        raise UntrustedRecord("its id does not name its file")
    if journal.get("root") != str(root):
        raise UntrustedRecord(f"it belongs to the workspace {journal.get('root')!r}")
    entries = journal["entries"]
    if not isinstance(entries, list):
        raise UntrustedRecord("its entries are not a list")
    parents: set[str] = set()
    for entry in entries:
        path = check_path(root, entry["path"])
        if path != entry["path"]:
            raise UntrustedRecord(f"{entry['path']!r} is not written as the apply writes it")
        mode = entry["mode"]
        if not isinstance(mode, int) or isinstance(mode, bool) or not 0 <= mode <= 0o777:
            raise UntrustedRecord(f"the mode of {path!r} is not a permission")
        temp = entry["temp"]
        if temp is not None:
            prefix = temporary_prefix(root / path)
            token = str(temp)[len(prefix) : -len(TEMP_SUFFIX)]
            if not (
                isinstance(temp, str)
                and temp.startswith(prefix)
                and temp.endswith(TEMP_SUFFIX)
                and TEMP_TOKEN.match(token)
            ):
                raise UntrustedRecord(f"the temporary of {path!r} is not one of ours")
        for name in ("before", "before_sha256", "after_sha256"):
            if not isinstance(entry[name], str | None):
                raise UntrustedRecord(f"the {name} of {path!r} is not text")
        parts = path.split("/")
        parents |= {"/".join(parts[:count]) for count in range(1, len(parts))}
    for folder in journal["created_dirs"]:
        if not isinstance(folder, str) or folder not in parents:
            raise UntrustedRecord(f"the folder {folder!r} is not a parent of its files")
        check_path(root, folder)
    return journal


def finish(
    journal_file: Path,
    journal_id: str,
    ledger: LedgerNote | None,
    outcome: Outcome,
    reason: str | None,
    conflicts: Sequence[str],
    *,
    recovering: bool = False,
) -> list[str]:
    """Write the change's last ledger line, then remove the journal (or set it aside).

    When the ledger cannot be written the journal stays, so the next recovery writes the line
    (finishing a journal twice is harmless: its files already hold the right text). Recovery
    writes no line when the tail already holds one (killed between the line and the unlink).
    """
    if ledger is not None and not (recovering and ledger.ended(journal_id)):
        if conflicts:
            reason = f"{reason}; left alone, changed by someone else: {', '.join(conflicts)}"
        try:
            ledger.write(journal_id, outcome, reason)
        except (LedgerError, OSError, ValueError) as error:
            logger.warning("ledger line of %s not written: %s", journal_id, error)
            return [
                f"The ledger line of {'A' + journal_id[1:]} could not be written ({error}); "
                "`wishcraft recover` writes it once the ledger can be written."
            ]
    with contextlib.suppress(OSError):
        if conflicts:
            os.replace(journal_file, journal_file.with_suffix(".conflict.json"))
        else:
            journal_file.unlink()
        _sync_folders([journal_file])
    return []


def undo(journal: dict[str, Any], tree: Tree) -> list[str]:
    """Put every file of `journal` back as it was; return the files left alone (conflicts).

    `tree` is the commit's own (its folders already open), or the one recovery opened."""
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
    sync_tree(tree, (entry["path"] for entry in journal["entries"]))
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


def sync_tree(tree: Tree, paths: Iterable[str]) -> None:
    """fsync the workspace folders holding `paths` (through the tree's descriptors)."""
    for folder in {path.rpartition("/")[0] for path in paths}:
        tree.sync(folder)


def cause_of(error: OSError) -> str:
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
