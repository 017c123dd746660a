"""The witness of a ledger's head: catches a tail cut off the file since this machine wrote.

The hash chain catches a line edited, inserted or removed in the middle, but not lines removed
from the end: the shorter file still chains. So every process that appends keeps, outside the
file (beside the summary cache, in the user's cache folder), the number of entries and the
identity of the last one it wrote (its `orig_hash` when a merge re-chained it, else its `hash`:
what survives a merge). `wishcraft ledger verify` and the gates of a live call then report a
ledger that is shorter than its witness, or that no longer holds the witnessed entry, by name;
the gates refuse live calls until `wishcraft ledger verify --accept` says, on purpose, that the
ledger as it is now is the one to go on from.

What it proves, plainly: the witness is a file of the user's; it stops accidents (a bad merge
or checkout, a hand edit) and casual resets of the limits, not a determined user, who can
delete the witness too.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
from dataclasses import dataclass
from pathlib import Path

from wishcraft.fileio import write_atomically
from wishcraft.ledger.cache import default_store
from wishcraft.ledger.entry import identity
from wishcraft.ledger.lines import TornLine, iter_lines

logger = logging.getLogger(__name__)

TAIL_BYTES = 16 * 1024 * 1024
"""The most of a file's end read to find its last line (a ledger line is capped far below)."""


@dataclass(frozen=True, slots=True)
class Head:
    """How many entries a ledger holds, and the identity of its last one; `end` and `line`
    (the byte offset after that entry's line, and the line's sha256) let a check that finds
    the same bytes there skip reading the file."""

    entries: int
    last: str | None
    end: int = 0
    line: str = ""


def witness_path(ledger: Path) -> Path:
    """Where the witness of the ledger at `ledger` is kept (one per ledger, by its real path)."""
    key = hashlib.sha256(os.path.realpath(ledger).encode("utf-8", "surrogateescape")).hexdigest()
    return default_store().parent / "witness" / f"{key[:32]}.json"


def head_of(ledger: Path) -> tuple[Head, set[str]]:
    """The ledger's head as it is now, and every entry's identity (one streamed read)."""
    entries, last, seen = 0, None, set()
    for _, item in iter_lines(ledger):
        if isinstance(item, TornLine):
            continue
        last = identity(item)
        seen.add(last)
        entries += 1
    return Head(entries, last), seen


def read(ledger: Path) -> Head | None:
    """The witnessed head, or None (none kept yet, or unreadable: it is only a witness)."""
    try:
        data = json.loads(witness_path(ledger).read_text(encoding="utf-8"))
        return Head(
            int(data["entries"]), data["last"], int(data.get("end", 0)), str(data.get("line", ""))
        )
    except (OSError, ValueError, KeyError, TypeError):
        return None


def write(ledger: Path, head: Head) -> None:
    """Keep `head` as the witness (atomically; a failure is logged, never raised)."""
    try:
        path = witness_path(ledger)
        path.parent.mkdir(parents=True, exist_ok=True)
        data = {"entries": head.entries, "last": head.last, "end": head.end, "line": head.line}
        write_atomically(path, json.dumps(data))
    except OSError as error:
        logger.info("the ledger's witness was not kept: %s", error)


def _last_line(ledger: Path) -> tuple[int, str]:
    """The byte offset after the file's last line, and that line's sha256 ("" when empty)."""
    try:
        with ledger.open("rb") as handle:
            size = handle.seek(0, os.SEEK_END)
            start = max(0, size - TAIL_BYTES)
            handle.seek(start)
            tail = handle.read()
    except OSError:
        return 0, ""
    body = tail.rstrip(b"\n")
    line = body.rsplit(b"\n", 1)[-1]
    return start + len(body) + 1, hashlib.sha256(line).hexdigest()


def _unchanged_since(ledger: Path, kept: Head) -> bool:
    """Whether the witnessed line is still where it was (the file only grew after it)."""
    if not kept.end or not kept.line:
        return False
    try:
        with ledger.open("rb") as handle:
            start = max(0, kept.end - TAIL_BYTES)
            handle.seek(start)
            chunk = handle.read(kept.end - start)
    except OSError:
        return False
    if len(chunk) != kept.end - start or not chunk.endswith(b"\n"):
        return False
    line = chunk[:-1].rsplit(b"\n", 1)[-1]
    return hashlib.sha256(line).hexdigest() == kept.line


def witness_append(ledger: Path, last: str) -> None:
    """After an append: witness the new head. The count moves on by one when the witnessed
    line is still in place; otherwise (a first append, a merge moved lines) the file is
    counted again in one streamed read."""
    kept = read(ledger)
    end, line = _last_line(ledger)
    if kept is not None and _unchanged_since(ledger, kept):
        write(ledger, Head(kept.entries + 1, last, end, line))
        return
    head, _ = head_of(ledger)
    write(ledger, Head(head.entries, last or head.last, end, line))


def problem(ledger: Path) -> str | None:
    """One sentence when the ledger lost its witnessed tail, else None. Cheap when the
    witnessed line is still in place (one read of its bytes); else one streamed read."""
    kept = read(ledger)
    if kept is None or kept.entries == 0 or _unchanged_since(ledger, kept):
        return None
    head, seen = head_of(ledger)
    if head.entries < kept.entries:
        removed = kept.entries - head.entries
        entries = "entry was" if removed == 1 else "entries were"
        return (
            f"{removed} {entries} removed from the end of the ledger since this machine last "
            "wrote it; restore them (git history), or run `wishcraft ledger verify --accept` "
            "to go on from the ledger as it is."
        )
    if kept.last is not None and kept.last not in seen:
        return (
            "The ledger no longer holds the entry this machine last wrote; restore it (git "
            "history), or run `wishcraft ledger verify --accept` to go on from the ledger as it is."
        )
    return None


def accept(ledger: Path) -> Head:
    """Witness the ledger as it is now (`wishcraft ledger verify --accept`)."""
    head, _ = head_of(ledger)
    end, line = _last_line(ledger)
    head = Head(head.entries, head.last, end, line)
    write(ledger, head)
    return head
