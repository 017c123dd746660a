"""Appending to the ledger under its lock, and `probe`, which checks before a call that its line
can be written.

`append` takes `wishes.jsonl.lock`, reads only the file's tail to find the last good entry's
hash, then writes the whole line with one `os.write` on an `O_APPEND` descriptor and flushes it
to disk (`fdatasync`, else `fsync`). A crash mid-write leaves a torn last line: bytes that are
not a JSON object. It is never rewritten: the next append starts with a newline, so the torn
bytes stay on a line of their own, and every reader reports and skips such lines (`TornLine`).
A torn line never breaks the chain, because the next entry chains to the last good one.

The lock is an `flock` on `wishes.jsonl.lock`, opened through the ledger folder's descriptor
(`files`), so it is never reached through a link either; where there is no `dir_fd` (Windows)
it is filelock's lock object for that path, one per process (`is_singleton`).

No secret goes in: every string is scrubbed of the login's tokens (`scrub`), and the free-text
fields (`reason`, `summary`) are also cleared of anything token-shaped (`redact`). Lines stay
small: each string is cut at `FIELD_CAP_BYTES` and each list at `LIST_CAP_ITEMS`, with a marker
saying how much was cut, and a line over `LINE_CAP_BYTES` has its strings cut shorter still.

Writers do not call `append` directly: they go through `record`, which decides `counted`.
"""

from __future__ import annotations

import contextlib
import errno
import os
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from filelock import FileLock, Timeout

from wishcraft.ledger.entry import (
    FREE_TEXT_FIELDS,
    GENESIS,
    LedgerEntry,
    LedgerError,
    canonical_json,
    entry_hash,
    utc_timestamp,
)
from wishcraft.ledger.files import (
    Folder,
    location_of,
    open_folder,
    open_in,
    open_ledger,
    open_lock,
    open_problem,
)
from wishcraft.ledger.lines import MAX_LINE_BYTES, TornLine, backward_from, parse_line, tail_start
from wishcraft.ledger.location import LedgerLocation
from wishcraft.redaction import redact, scrub

if sys.platform != "win32":
    import fcntl

LOCK_TIMEOUT_SECONDS = 10.0
FIELD_CAP_BYTES = 8 * 1024
"""The most UTF-8 bytes one string of an entry keeps; the rest is cut, and the marker says how
much."""
LIST_CAP_ITEMS = 64
"""The most items one list of an entry keeps; a marker item says how many were left out."""
LINE_CAP_BYTES = 64 * 1024
"""A line over this, after the per-field caps, has its strings cut to `SHORT_FIELD_BYTES`."""
SHORT_FIELD_BYTES = 1024
MIN_FREE_BYTES = 1024 * 1024
"""`probe` refuses when the ledger's file system has less room than this for the user: a line
is at most `LINE_CAP_BYTES`, so a full disk is seen before the call, not after it."""


@dataclass(frozen=True, slots=True)
class AppendResult:
    """The entry as written (timestamp, prev and hash set) and any torn tail it isolated."""

    entry: LedgerEntry
    offset: int
    torn_tail: TornLine | None = None


def _cut(text: str, cap: int) -> str:
    """`text` in at most about `cap` UTF-8 bytes, with a marker saying how much was cut."""
    data = text.encode("utf-8", "surrogatepass")
    if len(data) <= cap:
        return text
    kept = data[: max(0, cap - 48)].decode("utf-8", "ignore")
    cut = len(data) - len(kept.encode("utf-8", "surrogatepass"))
    return f"{kept}… [{cut:,} of {len(data):,} bytes cut]"


def _capped(value: Any, cap: int) -> Any:
    """Strings cut at `cap` bytes and lists at `LIST_CAP_ITEMS` items, however deep."""
    if isinstance(value, str):
        return _cut(value, cap)
    if isinstance(value, list):
        kept = [_capped(item, cap) for item in value[:LIST_CAP_ITEMS]]
        if len(value) > LIST_CAP_ITEMS:
            kept.append(f"… [{len(value) - LIST_CAP_ITEMS:,} more items cut]")
        return kept
    if isinstance(value, dict):
        return {key: _capped(item, cap) for key, item in value.items()}
    return value


def _clean(entry: LedgerEntry) -> dict[str, Any]:
    """The entry's object with every string scrubbed of secrets, then capped in size.

    Scrubbed before it is cut, so a token split by the cut cannot survive as a prefix.
    """
    obj = entry.model_dump(mode="json")
    if obj.get("counted") is None:  # written without the rule (`record` sets it): as before
        obj.pop("counted", None)
    for key, value in obj.items():
        if isinstance(value, str):
            obj[key] = redact(value) if key in FREE_TEXT_FIELDS else scrub(value)
    capped: dict[str, Any] = _capped(obj, FIELD_CAP_BYTES)
    if len(canonical_json(capped).encode("utf-8", "surrogatepass")) > LINE_CAP_BYTES - 256:
        capped = _capped(obj, SHORT_FIELD_BYTES)  # 256: room for timestamp, prev and hash
    return capped


def _last_hash(fd: int, size: int) -> str:
    """The hash of the last entry (torn lines skipped), or GENESIS for an empty ledger."""
    for _, obj in backward_from(fd, size):
        value = obj.get("hash")
        if isinstance(value, str):
            return value
    return GENESIS


# The ledger's file and lock are reached from the root down, one descriptor at a time, never
# through a symbolic link. Where `dir_fd` is missing (Windows), each part is checked with lstat


@contextlib.contextmanager
def _locked(folder: Folder, location: LedgerLocation, timeout: float) -> Iterator[None]:
    """Hold the ledger's lock (`<ledger>.lock` beside it, never through a link)."""
    held = LedgerError(
        f"The ledger {location.shown} stayed locked by another process for {timeout:g} "
        f"seconds; try again, or remove {location.shown}.lock if no wishcraft process is "
        "running."
    )
    if folder.fd is None or sys.platform == "win32":
        os.close(open_lock(folder, location))  # the link check, then filelock by name
        try:
            lock = FileLock(f"{folder.path / location.path.name}.lock", is_singleton=True).acquire(
                timeout=timeout
            )
        except Timeout:
            raise held from None
        except OSError as exc:
            raise LedgerError(open_problem(f"{location.shown}.lock", exc, "lock")) from None
        with lock:
            yield
        return
    fd = open_lock(folder, location)
    try:
        deadline = time.monotonic() + timeout
        pause = 0.001
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    raise held from None
                time.sleep(pause)  # flock has no timeout; filelock polls the same way
                pause = min(pause * 2, 0.05)
        yield
    finally:
        os.close(fd)  # closing the descriptor releases the lock


def probe(
    target: Path | LedgerLocation,
    *,
    create: bool = True,
    lock: bool = True,
    lock_timeout: float = LOCK_TIMEOUT_SECONDS,
) -> None:
    """Check that a ledger line can be written, before the call it will record.

    Opens the ledger as `append` does (folders from the root down without links, the file for
    appending, created when missing), checks that its disk has room (`MIN_FREE_BYTES`) and
    takes its lock, then lets go: the `Ledger` gate
    refuses the call with the `LedgerError` sentence when any of it fails, so nothing is sent
    that could not be recorded. With `create=False, lock=False` (the editor's code actions)
    nothing is made or locked: only what exists is checked.
    """
    location = location_of(target)
    folder = open_folder(location, create=create)
    if folder is None:
        return
    try:
        fd = open_ledger(folder, location, create=create)
        if fd is not None:
            try:
                _check_room(fd, location)
            finally:
                os.close(fd)
        if lock:
            with _locked(folder, location, lock_timeout):
                pass
        else:
            with contextlib.suppress(FileNotFoundError):
                os.close(open_in(folder, location.path.name + ".lock", os.O_RDONLY, location))
    finally:
        folder.close()


def _check_room(fd: int, location: LedgerLocation) -> None:
    statvfs = getattr(os, "fstatvfs", None)
    if statvfs is None:
        return
    try:
        info = statvfs(fd)
    except OSError:
        return  # not every file system answers; the append still reports a failed write
    free = info.f_bavail * info.f_frsize
    if free < MIN_FREE_BYTES:
        raise LedgerError(
            f"The disk holding the ledger {location.shown} is full ({free:,} bytes left); "
            "free some space, then run again."
        )


def append(
    target: Path | LedgerLocation,
    entry: LedgerEntry,
    *,
    now: datetime | None = None,
    lock_timeout: float = LOCK_TIMEOUT_SECONDS,
) -> AppendResult:
    """Append one entry to the ledger (created on first use), chained and durable.

    Give the `LedgerLocation` (from `find_ledger`): the ledger is then opened from its root
    down, and no symbolic link on the way is followed. A bare path trusts its own folder.
    Under the lock: read the tail for the last entry's hash; if the file does not end with a
    newline (a torn write), start the line with one, so the torn bytes keep a line of their
    own; write the line in one `os.write` with `O_APPEND`; flush it to disk. Raises
    `LedgerError` with one sentence when the folder cannot be created, the file is not a
    ledger or is reached through a link, the lock is held too long, or the write fails.
    """
    location = location_of(target)
    moment = now or datetime.now(UTC)
    obj = _clean(entry)  # before the lock: scrubbing a long text takes a while
    folder = open_folder(location, create=True)
    assert folder is not None  # created
    try:
        with _locked(folder, location, lock_timeout):
            size_before = _size_in(folder, location)
            fd = open_ledger(folder, location, create=True)
            assert fd is not None  # created
            try:
                result = _append_locked(fd, location, obj, moment)
            finally:
                os.close(fd)
        if size_before is None and folder.fd is not None:
            with contextlib.suppress(OSError):  # the new name, durable too
                os.fsync(folder.fd)
    finally:
        folder.close()
    return result


def _size_in(folder: Folder, location: LedgerLocation) -> int | None:
    """The ledger's size, or None when it does not exist yet."""
    try:
        if folder.fd is not None:
            return os.stat(location.path.name, dir_fd=folder.fd, follow_symlinks=False).st_size
        return os.lstat(folder.path / location.path.name).st_size
    except OSError:
        return None


def _append_locked(
    fd: int, location: LedgerLocation, obj: dict[str, Any], moment: datetime
) -> AppendResult:
    try:
        size = os.fstat(fd).st_size
        torn: TornLine | None = None
        needs_newline = bool(size) and os.pread(fd, 1, size - 1) != b"\n"
        if needs_newline:
            line_start = tail_start(fd, size)
            tail = (
                parse_line(os.pread(fd, size - line_start, line_start))
                if size - line_start <= MAX_LINE_BYTES
                else None
            )
            if tail is not None and isinstance(tail.get("hash"), str):
                prev = str(tail["hash"])  # only the newline was lost: the entry is whole
            else:
                torn = TornLine(0, line_start, size - line_start, False)
                prev = _last_hash(fd, line_start)
        else:
            prev = _last_hash(fd, size)
        obj = dict(obj)
        obj["timestamp"] = utc_timestamp(moment)
        obj["prev"] = prev
        obj["hash"] = entry_hash(obj)
        data = (b"\n" if needs_newline else b"") + canonical_json(obj).encode("utf-8") + b"\n"
        written = os.write(fd, data)
        while written < len(data):  # a short write (disk full); still under the lock
            step = os.write(fd, data[written:])
            if step <= 0:
                raise OSError(errno.ENOSPC, "No space left on device")
            written += step
        _sync(fd)
    except OSError as exc:
        raise LedgerError(
            f"Cannot write the ledger {location.shown}: {exc.strerror}; check the disk and "
            "its permissions."
        ) from None
    return AppendResult(LedgerEntry.model_validate(obj), size + needs_newline, torn)


_sync = getattr(os, "fdatasync", os.fsync)
"""fdatasync where there is one: it flushes the appended bytes and the new size, which is all
an append changes, and skips the timestamps' extra flush (a third of the time here)."""
