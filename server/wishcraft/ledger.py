"""The wish ledger: every conduit call on the record, append-only and hash-chained.

The file is JSON Lines at `data/ledger/wishes.jsonl` (or `[ledger] path` in
`data/config/wishcraft.toml`), created on first use. Each line is one conduit call
(`LedgerEntry`): upstream's fields (`wish_hash`, `diff_hash`, `author_id`, `timestamp`,
`anchor_id`, `summary`), what ran (`conduit`, `action`, `mode`, `wish`), the conduit's audit
fields, the response's ids, the `outcome` with its `reason`, and the chain: `prev`, the hash of
the previous entry (64 zeros for the first), and `hash`, the entry's own.

Canonical JSON and the hash. An entry is serialised as `json.dumps(obj, sort_keys=True,
separators=(",", ":"), ensure_ascii=False)` in UTF-8: keys sorted, no spaces, non-ASCII kept.
`hash` is the sha256 (hex) of the canonical JSON of the entry's object without its `hash` key
(`prev` included), so each line vouches for all history before it. The line written is the
canonical JSON of the whole object (`hash` included) plus `\\n`. `verify` recomputes the hash
from the parsed object, so any edit of a value, or removing, inserting or reordering lines,
breaks the chain at the first line concerned.

Writing. `append` takes `wishes.jsonl.lock` (filelock), reads only the file's tail to find the
last good entry's hash, then writes the whole line with one `os.write` on an `O_APPEND`
descriptor and flushes it to disk (`fdatasync`, else `fsync`). A crash mid-write leaves a
torn last line: bytes that are not a JSON object. It is never rewritten: the next append
starts with a newline, so the torn bytes stay on a line of their own, and every reader
reports and skips such lines (`TornLine`). A torn line never breaks the chain, because the
next entry chains to the last good one.

Counting. The gates count commit-mode calls (`counts_toward_limits` says which). A summary of
the file is cached per path, keyed by (device, inode, size, mtime); when the file grew, only the
appended tail is read. So the language server counts a 100,000-line ledger in well under a
millisecond after the first time, and sees lines the CLI appended. The summary also persists in
the user's cache folder, so a new CLI process reads it and the tail, not the whole file.

No secret goes in: every string is scrubbed of the login's tokens (`secrets.scrub`), and the
free-text fields (`reason`, `summary`) are also cleared of anything token-shaped (`redact`).
Lines stay small: each string is cut at `FIELD_CAP_BYTES` (8 KiB) and each list at
`LIST_CAP_ITEMS`, with a marker saying how much was cut, and a line over `LINE_CAP_BYTES`
has its strings cut shorter still, so 200,000 API errors in a reason stay one short line.

Inside the repository, and fail closed. The repository's `[ledger] path` is untrusted input:
it must be a relative `.jsonl` path with no `~`, `..` or leading `/`, outside `.git`, and it is
resolved inside the folder holding `data/` (the location's `root`). The file is never reached
through a symbolic link: the root is opened, then each folder below it with
`O_DIRECTORY|O_NOFOLLOW` from its parent's descriptor (missing ones made with `mkdir(dir_fd=)`),
and the ledger and its lock with `O_NOFOLLOW` in the last one; the append writes through that
descriptor. A ledger that is a symlink, has a symlink or a file on its path, has other names
(hard links), is not a regular file, or does not start like a ledger is refused with one
sentence. `probe` runs the same opening and takes the lock before a call, so a ledger that
cannot be written refuses the call before anything is sent (the `Ledger` gate), instead of
failing after it. On systems without `dir_fd` (Windows) each part of the path is checked with
`lstat` before the open, which leaves a window between the check and the open.

Reading streams. `iter_lines`, `verify`, the summary and the queries read the file a chunk at a
time (`READ_CHUNK_BYTES`), never whole; a line longer than `MAX_LINE_BYTES` is skipped unread
as torn, so memory stays bounded whatever the file holds.
"""

from __future__ import annotations

import contextlib
import errno
import hashlib
import json
import os
import re
import stat
import sys
import threading
import time
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path, PurePosixPath
from typing import Any, Literal

from filelock import FileLock, Timeout
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from wishcraft.config import ConfigFileError, find_config_file, read_config_file
from wishcraft.fileio import write_atomically
from wishcraft.redaction import redact, scrub
from wishcraft.timestamps import parse_rfc3339

if sys.platform != "win32":
    import fcntl

LEDGER_RELATIVE_PATH = Path("data/ledger/wishes.jsonl")
CONFIG_RELATIVE_PATH = Path("data/config/wishcraft.toml")
GENESIS = "0" * 64
"""The `prev` of the first entry."""
LEDGER_VERSION = 1
LOCK_TIMEOUT_SECONDS = 10.0
TAIL_CHUNK_BYTES = 16 * 1024
RECENT_SCAN_LINES = 10_000
"""How far back `recent_entries` looks by default (the hover's recent lines)."""
FIELD_CAP_BYTES = 8 * 1024
"""The most UTF-8 bytes one string of an entry keeps; the rest is cut, and the marker says how
much."""
LIST_CAP_ITEMS = 64
"""The most items one list of an entry keeps; a marker item says how many were left out."""
LINE_CAP_BYTES = 64 * 1024
"""A line over this, after the per-field caps, has its strings cut to `SHORT_FIELD_BYTES`."""
SHORT_FIELD_BYTES = 1024
READ_CHUNK_BYTES = 1024 * 1024
"""How much of the file a reader holds at a time."""
MAX_LINE_BYTES = 16 * 1024 * 1024
"""A line longer than this is no entry (`LINE_CAP_BYTES` bounds what `append` writes): readers
skip it unread, as torn, instead of holding it."""
LEDGER_SUFFIX = ".jsonl"

Action = Literal["plan", "apply", "open_pr", "rollback"]
Mode = Literal["shadow", "commit"]
Outcome = Literal["complete", "incomplete", "failed", "refused", "pending"]
ACTIONS: tuple[Action, ...] = ("plan", "apply", "open_pr", "rollback")
MODES: tuple[Mode, ...] = ("shadow", "commit")
OUTCOMES: tuple[Outcome, ...] = ("complete", "incomplete", "failed", "refused", "pending")
FREE_TEXT_FIELDS = ("reason", "summary")


class LedgerError(Exception):
    """The ledger cannot be found, read or written; `str()` is one sentence naming the fix."""


class LedgerEntry(BaseModel):
    """One conduit call, as one line of the ledger."""

    model_config = ConfigDict(frozen=True, extra="ignore")

    v: int = Field(default=LEDGER_VERSION, description="The line format's version.")
    timestamp: str = Field(
        default="", description="When the call ended: ISO 8601, UTC, ms. Set by `append`."
    )
    conduit: str = Field(description="The conduit's id.")
    action: Action = Field(description="plan, apply, open_pr or rollback.")
    mode: Mode = Field(description="shadow (offline, simulated) or commit (live).")
    wish: str = Field(description="The wish's path relative to the ledger's root, with `/`.")
    outcome: Outcome = Field(
        description="complete, incomplete, failed or refused; pending: an apply's line written "
        "before its files, which a later line with the same anchor_id completes."
    )
    reason: str | None = Field(
        default=None, description="Why it was incomplete, failed or refused."
    )
    wish_hash: str | None = Field(default=None, description="sha256 (hex) of the wish's text.")
    diff_hash: str | None = Field(default=None, description="sha256 (hex) of the diff applied.")
    author_id: str | None = Field(default=None, description="The wish's `meta.author_id`.")
    anchor_id: str | None = Field(default=None, description="The rollback anchor.")
    summary: str | None = Field(default=None, description="One line about what happened.")
    prompt_hash: str | None = Field(default=None, description="sha256 (hex) of the prompt.")
    model: str | None = Field(default=None, description="The model that served the call.")
    tokens_used: int | None = Field(default=None, description="Total tokens of the call.")
    pr_url: str | None = Field(default=None, description="The pull request opened.")
    request_id: str | None = Field(default=None, description="The x-request-id header.")
    cf_ray: str | None = Field(default=None, description="The cf-ray header.")
    prev: str = Field(default="", description="The previous entry's hash. Set by `append`.")
    hash: str = Field(default="", description="This entry's hash. Set by `append`.")


def canonical_json(obj: dict[str, Any]) -> str:
    """Serialise an object the one way the ledger hashes and writes it."""
    return json.dumps(obj, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def entry_hash(obj: dict[str, Any]) -> str:
    """The sha256 (hex) of an entry's canonical JSON without its `hash` key."""
    body = {key: value for key, value in obj.items() if key != "hash"}
    return hashlib.sha256(canonical_json(body).encode("utf-8")).hexdigest()


def utc_timestamp(moment: datetime) -> str:
    """ISO 8601 in UTC with milliseconds and `Z`: sortable as text, and what counts parse."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def counts_toward_limits(obj: dict[str, Any]) -> bool:
    """Whether a line counts against the conduit's limits.

    Only commit-mode calls count: shadow runs are offline and free. A `refused` call never left
    the machine. A `complete` or `incomplete` call reached the conduit. A `failed` call counts
    when it reached the conduit, which the line shows by carrying the response's `request_id` or
    `cf_ray` (Codex bills attempts that reached it); a failure before any answer (no login, no
    network, a bad configuration) does not count, so a broken login cannot use up a wish's calls.
    """
    if obj.get("mode") != "commit":
        return False
    outcome = obj.get("outcome")
    if outcome in ("complete", "incomplete"):
        return True
    return outcome == "failed" and bool(obj.get("request_id") or obj.get("cf_ray"))


# -- finding the file ----------------------------------------------------------------------


def fold_name(name: str) -> str:
    """One path component as case-insensitive file systems see it: NFC, case folded, trailing
    dots and spaces dropped (Windows ignores them). `apply.safety` adds the other spellings."""
    return unicodedata.normalize("NFC", name).casefold().rstrip(" .")


def _is_git_name(name: str) -> bool:
    folded = fold_name(name)
    return folded == ".git" or re.fullmatch(r"git~\d+", folded) is not None


@dataclass(frozen=True, slots=True)
class LedgerLocation:
    """Where the ledger is, the root that wish paths are relative to, and how it was found.

    `path` is inside `root` (`find_ledger` refuses a configuration that leaves it); the ledger
    is opened from `root` down, so `root` is where the check of symbolic links starts.
    """

    path: Path
    root: Path
    source: str
    """`found upward`, or the configuration file that set `[ledger] path`."""

    def wish_key(self, wish: Path) -> str:
        """The wish's path as the ledger records it: relative to the root, with `/`.

        A wish outside the root is recorded by its absolute path.
        """
        resolved = wish.resolve()
        try:
            return resolved.relative_to(self.root.resolve()).as_posix()
        except ValueError:
            return resolved.as_posix()

    @property
    def relative(self) -> PurePosixPath | None:
        """The ledger's path relative to the root (`data/ledger/wishes.jsonl`); None when it is
        not inside the root (only a `--ledger` given on the command line can be)."""
        try:
            return PurePosixPath(self.path.relative_to(self.root).as_posix())
        except ValueError:
            return None

    @property
    def folder(self) -> Path:
        """The ledger's folder: it holds the ledger, its lock and the undo records, and no
        patch may touch it."""
        return self.path.parent

    @property
    def shown(self) -> str:
        """The ledger's path as sentences name it: relative to the root when inside it."""
        relative = self.relative
        return relative.as_posix() if relative is not None else str(self.path)

    def covers(self, relative: str) -> bool:
        """Whether a root-relative path (with `/`) is the ledger's folder or inside it,
        compared as a case-insensitive file system would (`fold_name`): `DATA/Ledger/x` is."""
        own = self.relative
        if own is None:
            return False
        folder = [fold_name(part) for part in own.parent.parts]
        parts = [fold_name(part) for part in relative.split("/") if part not in ("", ".")]
        return bool(folder) and parts[: len(folder)] == folder


def configured_ledger_path(config_file: Path) -> Path | None:
    """`[ledger] path` of a wishcraft.toml, resolved against the folder holding `data/`.

    The file comes with the repository, so the value is untrusted: it must be a relative path
    to a `.jsonl` file inside the repository (no `~`, `..` or leading `/`, nothing in `.git`).
    Raises `LedgerError` naming the file, the key and the fix otherwise.
    """
    try:
        table = read_config_file(config_file).table("ledger")
    except ConfigFileError as exc:
        raise LedgerError(str(exc)) from None
    if not isinstance(table, dict):
        raise LedgerError(f"{config_file}: [ledger] must be a table.")
    value = table.get("path")
    if value is None:
        return None
    if not isinstance(value, str) or not value.strip():
        raise LedgerError(
            f"{config_file}: [ledger] path must be a non-empty string, such as "
            f'"data/ledger/wishes.jsonl".'
        )
    return _config_root(config_file).joinpath(*checked_ledger_setting(config_file, value).parts)


def checked_ledger_setting(config_file: Path, value: str) -> PurePosixPath:
    """The relative path a `[ledger] path` value names, or `LedgerError` saying why not."""
    shown = json.dumps(value[:200])  # quoted and escaped: the value is the repository's
    text = value.strip()
    parts = text.replace("\\", "/").split("/")
    if (
        text.startswith(("/", "~"))
        or re.match(r"^[A-Za-z]:", text)
        or ".." in parts
        or "\0" in text
    ):
        raise LedgerError(
            f"{config_file}: [ledger] path {shown} leaves the repository; set a relative "
            'path inside it, without ~, .. or a leading /, such as "data/ledger/wishes.jsonl".'
        )
    kept = [part for part in parts if part not in ("", ".")]
    if any(_is_git_name(part) for part in kept):
        raise LedgerError(
            f"{config_file}: [ledger] path {shown} is inside .git, which the ledger may "
            'not touch; set a path outside it, such as "data/ledger/wishes.jsonl".'
        )
    if not kept or text.endswith("/") or not fold_name(kept[-1]).endswith(LEDGER_SUFFIX):
        raise LedgerError(
            f"{config_file}: [ledger] path {shown} must name a {LEDGER_SUFFIX} file; set "
            'a path such as "data/ledger/wishes.jsonl".'
        )
    return PurePosixPath(*kept)


def _config_root(config_file: Path) -> Path:
    """The folder holding `data/config/wishcraft.toml` (else the file's own folder)."""
    parents = config_file.parents
    if len(parents) >= 3 and parents[0].name == "config" and parents[1].name == "data":
        return parents[2]
    return config_file.parent


def find_ledger(start: Path, config_file: Path | None = None) -> LedgerLocation:
    """Where the ledger of a wish at `start` is; the file may not exist yet.

    In order: `[ledger] path` of the configuration (the given `config_file`, else the
    `data/config/wishcraft.toml` found upward); from the wish's folder upward, the first folder
    with an existing ledger, else the first whose `data/` holds the registry
    (`data/conduits/registry.yaml`), wishes (`data/wishes/`) or the configuration (the folder
    the registry is found in); else the root of the git repository; else the wish's own folder.
    Raises `LedgerError` when the configuration cannot be read.
    """
    folder = start if start.is_dir() else start.parent
    chain = (folder, *folder.parents)
    if config_file is None:
        config_file = find_config_file(folder)
    if config_file is not None:
        configured = configured_ledger_path(config_file)
        if configured is not None:
            return LedgerLocation(configured, _config_root(config_file), str(config_file))
    for candidate in chain:
        if (candidate / LEDGER_RELATIVE_PATH).is_file():
            return LedgerLocation(candidate / LEDGER_RELATIVE_PATH, candidate, "found upward")
    for candidate in chain:
        data = candidate / "data"
        if (
            (data / "conduits" / "registry.yaml").is_file()
            or (data / "wishes").is_dir()
            or (data / "config" / "wishcraft.toml").is_file()
        ):
            return LedgerLocation(candidate / LEDGER_RELATIVE_PATH, candidate, "found upward")
    for candidate in chain:
        if (candidate / ".git").exists():
            return LedgerLocation(
                candidate / LEDGER_RELATIVE_PATH,
                candidate,
                "the git repository's root (no data/ folder was found)",
            )
    return LedgerLocation(
        folder / LEDGER_RELATIVE_PATH,
        folder,
        "beside the wish (no data/ folder or git repository was found)",
    )


# -- reading lines ------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class TornLine:
    """A line that is not a JSON object: a write cut short by a crash. Reported and skipped."""

    line: int
    """1-based line number (0 when only its byte offset is known)."""
    offset: int
    length: int
    terminated: bool
    """False when it is the file's last bytes, without a newline yet."""

    def describe(self, path: Path) -> str:
        """One sentence for the user."""
        where = f"line {self.line}" if self.line else f"the end (byte {self.offset})"
        return (
            f"{path}: {where} is a torn write of {self.length} bytes (a crash mid-append); "
            "it is skipped and kept as it is."
        )


def parse_line(raw: bytes) -> dict[str, Any] | None:
    """The JSON object on one line, or None when it is torn (not a JSON object)."""
    try:
        obj = json.loads(raw)
    except ValueError:  # JSONDecodeError and UnicodeDecodeError
        return None
    return obj if isinstance(obj, dict) else None


_NOFOLLOW = getattr(os, "O_NOFOLLOW", 0)
_DIRECTORY = getattr(os, "O_DIRECTORY", 0)
_CLOEXEC = getattr(os, "O_CLOEXEC", 0)
_NONBLOCK = getattr(os, "O_NONBLOCK", 0)  # a FIFO planted as the ledger must not hang a reader


def _scan(fd: int, start: int, end: int) -> Iterator[tuple[int, int, bytes | None, bool]]:
    """(offset, length, bytes or None, terminated) of each line between `start` and `end` of
    an open file, read a chunk at a time. A line longer than `MAX_LINE_BYTES` is skipped
    unread (None), so memory stays bounded by the longest line allowed plus one chunk."""
    position = start
    buffer = bytearray()  # grown and trimmed in place: no second copy of a long line
    buffer_start = start
    skip_from: int | None = None  # the start of an overlong line being skipped
    while position < end:
        chunk = os.pread(fd, min(READ_CHUNK_BYTES, end - position), position)
        if not chunk:
            break
        position += len(chunk)
        buffer += chunk
        del chunk
        cut = 0
        while (newline := buffer.find(b"\n", cut)) != -1:
            if skip_from is not None:
                yield skip_from, buffer_start + newline - skip_from, None, True
                skip_from = None
            else:
                yield buffer_start + cut, newline - cut, bytes(buffer[cut:newline]), True
            cut = newline + 1
        del buffer[:cut]
        buffer_start += cut
        if skip_from is not None or len(buffer) > MAX_LINE_BYTES:
            skip_from = buffer_start if skip_from is None else skip_from
            buffer_start += len(buffer)
            buffer.clear()
    if skip_from is not None:
        yield skip_from, buffer_start - skip_from, None, False
    elif buffer:
        yield buffer_start, len(buffer), bytes(buffer), False


def _split_lines(data: bytes, base_offset: int) -> Iterator[tuple[int, bytes]]:
    """(offset, line without newline) of each newline-terminated line in `data`."""
    start = 0
    while True:
        end = data.find(b"\n", start)
        if end == -1:
            return
        yield base_offset + start, data[start:end]
        start = end + 1


def _not_a_ledger(path: Path | str, what: str) -> str:
    return (
        f"The ledger {path} {what}, but a ledger is only ever a regular file reached without "
        f"symbolic links; remove {path} (wishcraft creates it) or set `[ledger] path` in "
        "data/config/wishcraft.toml to another file inside the repository."
    )


def _open_problem(path: Path | str, exc: OSError, verb: str) -> str:
    """One sentence for an `OSError` of opening the ledger (or its lock) at `path`."""
    if exc.errno == errno.ELOOP or (isinstance(path, Path) and path.is_symlink()):
        return _not_a_ledger(path, "is a symbolic link")
    return f"Cannot {verb} the ledger {path}: {exc.strerror or exc}; check its permissions."


def _checked_regular(fd: int, path: Path | str) -> os.stat_result:
    """The open file's status; `LedgerError` (and the descriptor closed) when it is not a
    regular file."""
    info = os.fstat(fd)
    if not stat.S_ISREG(info.st_mode):
        os.close(fd)
        raise LedgerError(_not_a_ledger(path, "is not a regular file"))
    return info


def _open_for_reading(path: Path) -> int | None:
    """A descriptor of the ledger at `path` to read, or None when there is none. The file is
    opened with `O_NOFOLLOW` (a symlinked ledger is refused, not followed) and must be a
    regular file."""
    try:
        fd = os.open(path, os.O_RDONLY | _NOFOLLOW | _NONBLOCK | _CLOEXEC)
    except FileNotFoundError:
        return None
    except OSError as exc:
        raise LedgerError(_open_problem(path, exc, "read")) from None
    _checked_regular(fd, path)
    return fd


def iter_lines(path: Path) -> Iterator[tuple[int, dict[str, Any] | TornLine]]:
    """(1-based line number, object or `TornLine`) of every line, the unterminated tail too.

    Blank lines are skipped. A missing file has no lines. The file is read a chunk at a time.
    """
    fd = _open_for_reading(path)
    if fd is None:
        return
    try:
        size = os.fstat(fd).st_size
        for number, (offset, length, raw, terminated) in enumerate(_scan(fd, 0, size), 1):
            if raw is not None and not raw.strip():
                continue
            obj = parse_line(raw) if raw is not None else None
            yield number, obj if obj is not None else TornLine(number, offset, length, terminated)
    finally:
        os.close(fd)


def read_entries(
    path: Path,
    *,
    wish: str | None = None,
    conduit: str | None = None,
) -> tuple[list[tuple[int, LedgerEntry]], list[TornLine]]:
    """The entries (with line numbers) matching the filters, and the torn lines met.

    A line that is JSON but not a valid entry (edited by hand) is skipped here; `verify`
    names it.
    """
    entries: list[tuple[int, LedgerEntry]] = []
    torn: list[TornLine] = []
    for number, item in iter_lines(path):
        if isinstance(item, TornLine):
            torn.append(item)
            continue
        if (wish is not None and item.get("wish") != wish) or (
            conduit is not None and item.get("conduit") != conduit
        ):
            continue
        try:
            entries.append((number, LedgerEntry.model_validate(item)))
        except ValidationError:
            continue
    return entries, torn


def recent_entries(
    path: Path,
    conduit: str | None = None,
    limit: int = 5,
    *,
    scan_lines: int | None = RECENT_SCAN_LINES,
) -> list[LedgerEntry]:
    """The last `limit` entries (of one conduit, or all), newest first, reading only the tail.

    At most `scan_lines` lines from the end are looked at (None: all), so a hover on a conduit
    that never ran does not read a large ledger whole. Lines are matched on their canonical
    `"conduit":"…"` text before they are parsed.
    """
    needle = (
        b'"conduit":' + json.dumps(conduit, ensure_ascii=False).encode("utf-8")
        if conduit is not None
        else b""
    )
    found: list[LedgerEntry] = []
    for scanned, (_, raw) in enumerate(_backward_raw_of(path), start=1):
        if scan_lines is not None and scanned > scan_lines:
            break
        if needle not in raw:
            continue
        obj = parse_line(raw)
        if obj is None or (conduit is not None and obj.get("conduit") != conduit):
            continue
        try:
            found.append(LedgerEntry.model_validate(obj))
        except ValidationError:
            continue
        if len(found) >= limit:
            break
    return found


def _backward_raw_of(path: Path) -> Iterator[tuple[int, bytes]]:
    """(offset, bytes) of the newline-terminated lines of a file from the end."""
    fd = _open_for_reading(path)
    if fd is None:
        return
    try:
        yield from _backward_raw(fd, os.fstat(fd).st_size)
    finally:
        os.close(fd)


def _backward_objects(path: Path) -> Iterator[tuple[int, dict[str, Any]]]:
    """(offset, object) of the newline-terminated lines from the end; torn ones skipped."""
    for offset, raw in _backward_raw_of(path):
        obj = parse_line(raw)
        if obj is not None:
            yield offset, obj


def _backward_from(fd: int, size: int) -> Iterator[tuple[int, dict[str, Any]]]:
    """(offset, object) of the lines before `size` of an open file, backwards; torn skipped."""
    for offset, raw in _backward_raw(fd, size):
        obj = parse_line(raw)
        if obj is not None:
            yield offset, obj


def _backward_raw(fd: int, size: int) -> Iterator[tuple[int, bytes]]:
    """Walk the complete, non-blank lines before `size` of an open file backwards, a chunk at
    a time. Bytes after the last newline are not a complete line and are not read as one; a
    line over `MAX_LINE_BYTES` is skipped, not held (no entry is that long)."""
    end = _tail_start(fd, size)
    if end == 0:
        return
    position = end - 1  # the newline that ends the last complete line
    pieces: list[bytes] = []  # the current line's bytes after `position`, rightmost first
    held = 0
    skipping = False
    while True:
        start = max(0, position - TAIL_CHUNK_BYTES)
        chunk = os.pread(fd, position - start, start) if position > start else b""
        cut = len(chunk)
        while (newline := chunk.rfind(b"\n", 0, cut)) != -1:
            if not skipping:
                raw = chunk[newline + 1 : cut] + b"".join(reversed(pieces))
                if raw.strip():
                    yield start + newline + 1, raw
            pieces, held, skipping = [], 0, False
            cut = newline
        if not skipping:
            pieces.append(chunk[:cut])
            held += cut
            if held > MAX_LINE_BYTES:
                pieces, held, skipping = [], 0, True
        position = start
        if start == 0:
            break
    if not skipping:
        raw = b"".join(reversed(pieces))
        if raw.strip():
            yield 0, raw


# -- appending ------------------------------------------------------------------------------


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
    for key, value in obj.items():
        if isinstance(value, str):
            obj[key] = redact(value) if key in FREE_TEXT_FIELDS else scrub(value)
    capped: dict[str, Any] = _capped(obj, FIELD_CAP_BYTES)
    if len(canonical_json(capped).encode("utf-8", "surrogatepass")) > LINE_CAP_BYTES - 256:
        capped = _capped(obj, SHORT_FIELD_BYTES)  # 256: room for timestamp, prev and hash
    return capped


def _last_hash(fd: int, size: int) -> str:
    """The hash of the last entry (torn lines skipped), or GENESIS for an empty ledger."""
    for _, obj in _backward_from(fd, size):
        value = obj.get("hash")
        if isinstance(value, str):
            return value
    return GENESIS


# The ledger's file and lock are reached from the root down, one descriptor at a time, never
# through a symbolic link. Where `dir_fd` is missing (Windows), each part is checked with lstat
# before it is opened by name.
_DIR_FD = (
    sys.platform != "win32"
    and os.open in os.supports_dir_fd
    and os.mkdir in os.supports_dir_fd
    and os.stat in os.supports_dir_fd
    and bool(_NOFOLLOW and _DIRECTORY)
)


@dataclass(slots=True)
class _Folder:
    """The ledger's folder, open (`fd`), or only named where there is no `dir_fd`."""

    path: Path
    fd: int | None

    def close(self) -> None:
        if self.fd is not None:
            os.close(self.fd)
            self.fd = None


def _location_of(target: Path | LedgerLocation) -> LedgerLocation:
    """A bare path is its own folder's ledger: only that folder is taken on trust."""
    if isinstance(target, LedgerLocation):
        return target
    return LedgerLocation(target, target.parent, "given path")


def _is_link(folder_fd: int | None, name: str | Path) -> bool:
    try:
        info = (
            os.stat(name, dir_fd=folder_fd, follow_symlinks=False)
            if folder_fd is not None
            else os.lstat(name)
        )
    except OSError:
        return False
    reparse = getattr(info, "st_file_attributes", 0) & getattr(
        stat, "FILE_ATTRIBUTE_REPARSE_POINT", 0
    )
    return stat.S_ISLNK(info.st_mode) or bool(reparse)


def _folder_problem(
    location: LedgerLocation, shown: str, exc: OSError, parent: int | None, name: str | Path
) -> str:
    if _is_link(parent, name):
        return (
            f"The ledger {location.shown} cannot be used: {shown} is a symbolic link, and the "
            f"ledger is never reached through one; make {shown} a real folder inside the "
            "repository."
        )
    if exc.errno in (errno.ENOTDIR, errno.EEXIST, errno.ELOOP):
        return (
            f"The ledger {location.shown} cannot be used: {shown} is not a folder; move it "
            "away, or set `[ledger] path` in data/config/wishcraft.toml elsewhere inside "
            "the repository."
        )
    return (
        f"Cannot create the folder {shown} for the ledger {location.shown}: "
        f"{exc.strerror or exc}; check its permissions."
    )


def _open_folder(location: LedgerLocation, *, create: bool) -> _Folder | None:
    """The ledger's folder, walked from the root down with `O_DIRECTORY|O_NOFOLLOW` (missing
    folders made on the way when `create`); None when one is missing and not `create`."""
    relative = location.relative
    if relative is None:
        raise LedgerError(
            f"The ledger {location.path} is not inside {location.root}; set `[ledger] path` "
            "in data/config/wishcraft.toml to a relative path inside the repository."
        )
    root = location.root
    if not root.is_dir():  # the root is where the user works: its own path is taken on trust
        if not create:
            return None
        try:
            root.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise LedgerError(
                f"Cannot create the ledger folder {root}: {exc.strerror}; check its permissions."
            ) from None
    parts = relative.parts[:-1]
    if not _DIR_FD:
        return _walk_by_name(location, parts, create=create)
    try:
        fd = os.open(root, os.O_RDONLY | _DIRECTORY | _CLOEXEC)
    except OSError as exc:
        raise LedgerError(
            f"Cannot open the ledger's root {root}: {exc.strerror}; check its permissions."
        ) from None
    flags = os.O_RDONLY | _DIRECTORY | _NOFOLLOW | _CLOEXEC
    for index, part in enumerate(parts):
        try:
            try:
                inner = os.open(part, flags, dir_fd=fd)
            except FileNotFoundError:
                if not create:
                    os.close(fd)
                    return None
                with contextlib.suppress(FileExistsError):
                    os.mkdir(part, 0o755, dir_fd=fd)
                inner = os.open(part, flags, dir_fd=fd)
        except OSError as exc:
            problem = _folder_problem(location, "/".join(parts[: index + 1]), exc, fd, part)
            os.close(fd)
            raise LedgerError(problem) from None
        os.close(fd)
        fd = inner
    return _Folder(location.path.parent, fd)


def _walk_by_name(location: LedgerLocation, parts: tuple[str, ...], *, create: bool) -> _Folder:
    """Without `dir_fd`: each folder checked with lstat (a link refused), then made if missing."""
    folder = location.root
    for index, part in enumerate(parts):
        folder = folder / part
        shown = "/".join(parts[: index + 1])
        try:
            if _is_link(None, folder) or (folder.exists() and not folder.is_dir()):
                raise NotADirectoryError(errno.ENOTDIR, "Not a directory")
            if create:
                folder.mkdir(exist_ok=True)
        except OSError as exc:
            raise LedgerError(_folder_problem(location, shown, exc, None, folder)) from None
    return _Folder(folder, None)


def _open_in(folder: _Folder, name: str, flags: int, location: LedgerLocation) -> int:
    """Open `name` in the ledger's folder without following a link, and check that it is one
    regular file with one name. FileNotFoundError passes through."""
    shown = f"{location.shown}.lock" if name.endswith(".lock") else location.shown
    flags |= _NOFOLLOW | _CLOEXEC | _NONBLOCK  # a FIFO must not hang the open
    try:
        if folder.fd is not None:
            fd = os.open(name, flags, 0o644, dir_fd=folder.fd)
        else:
            if _is_link(None, folder.path / name):
                raise OSError(errno.ELOOP, "Too many levels of symbolic links")
            fd = os.open(folder.path / name, flags, 0o644)
    except FileNotFoundError:
        raise
    except OSError as exc:
        if exc.errno == errno.ELOOP or _is_link(folder.fd, name):
            raise LedgerError(_not_a_ledger(shown, "is a symbolic link")) from None
        if exc.errno == errno.EISDIR:
            raise LedgerError(_not_a_ledger(shown, "is a folder")) from None
        raise LedgerError(
            f"The ledger {shown} cannot be written: {exc.strerror or exc}; make it writable, "
            "or set `[ledger] path` in data/config/wishcraft.toml to a writable place inside "
            "the repository."
        ) from None
    info = _checked_regular(fd, shown)
    if info.st_nlink > 1:  # another name of the same file may be anywhere on the disk
        os.close(fd)
        raise LedgerError(_not_a_ledger(shown, f"has {info.st_nlink} names (hard links)"))
    return fd


def _open_ledger(folder: _Folder, location: LedgerLocation, *, create: bool) -> int | None:
    """The ledger open for appending, or None when it is missing and not `create`. An existing
    file must start like a ledger (a JSON object), so no other file is ever appended to."""
    flags = os.O_RDWR | os.O_APPEND | (os.O_CREAT if create else 0)
    try:
        fd = _open_in(folder, location.path.name, flags, location)
    except FileNotFoundError:
        if create:
            raise LedgerError(
                f"Cannot create the ledger {location.shown}: its folder was moved or removed "
                "meanwhile; run again."
            ) from None
        return None
    try:
        first = os.pread(fd, 1, 0)
    except OSError as exc:
        os.close(fd)
        raise LedgerError(_open_problem(location.shown, exc, "read")) from None
    if first not in (b"", b"{", b"\n"):
        os.close(fd)
        raise LedgerError(
            f"The file at {location.shown} is not a ledger (its first line is not a JSON "
            "object), so nothing is appended to it; set `[ledger] path` in "
            "data/config/wishcraft.toml to a new .jsonl file."
        )
    return fd


def _open_lock(folder: _Folder, location: LedgerLocation) -> int:
    try:
        return _open_in(folder, location.path.name + ".lock", os.O_RDWR | os.O_CREAT, location)
    except FileNotFoundError:  # the folder was removed or moved since it was opened
        raise LedgerError(
            f"Cannot create the lock {location.shown}.lock: its folder was moved or removed "
            "meanwhile; run again."
        ) from None


@contextlib.contextmanager
def _locked(folder: _Folder, location: LedgerLocation, timeout: float) -> Iterator[None]:
    """Hold the ledger's lock (`<ledger>.lock` beside it, never through a link)."""
    held = LedgerError(
        f"The ledger {location.shown} stayed locked by another process for {timeout:g} "
        f"seconds; try again, or remove {location.shown}.lock if no wishcraft process is "
        "running."
    )
    if folder.fd is None or sys.platform == "win32":
        os.close(_open_lock(folder, location))  # the link check, then filelock by name
        try:
            lock = _lock_for(folder.path / location.path.name).acquire(timeout=timeout)
        except Timeout:
            raise held from None
        except OSError as exc:
            raise LedgerError(_open_problem(f"{location.shown}.lock", exc, "lock")) from None
        with lock:
            yield
        return
    fd = _open_lock(folder, location)
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
    location = _location_of(target)
    folder = _open_folder(location, create=create)
    if folder is None:
        return
    try:
        fd = _open_ledger(folder, location, create=create)
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
                os.close(_open_in(folder, location.path.name + ".lock", os.O_RDONLY, location))
    finally:
        folder.close()


MIN_FREE_BYTES = 1024 * 1024
"""`probe` refuses when the ledger's file system has less room than this for the user: a line
is at most `LINE_CAP_BYTES`, so a full disk is seen before the call, not after it."""


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
    location = _location_of(target)
    moment = now or datetime.now(UTC)
    obj = _clean(entry)  # before the lock: scrubbing a long text takes a while
    folder = _open_folder(location, create=True)
    assert folder is not None  # created
    try:
        with _locked(folder, location, lock_timeout):
            size_before = _size_in(folder, location)
            fd = _open_ledger(folder, location, create=True)
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


def _size_in(folder: _Folder, location: LedgerLocation) -> int | None:
    """The ledger's size, or None when it does not exist yet."""
    try:
        if folder.fd is not None:
            return os.stat(location.path.name, dir_fd=folder.fd, follow_symlinks=False).st_size
        return os.lstat(folder.path / location.path.name).st_size
    except OSError:
        return None


_locks: dict[str, FileLock] = {}
_locks_guard = threading.Lock()


def _lock_for(path: Path) -> FileLock:
    """One lock object per ledger for the process (where there is no `dir_fd`)."""
    name = str(path) + ".lock"
    with _locks_guard:
        lock = _locks.get(name)
        if lock is None:
            lock = _locks[name] = FileLock(name)
        return lock


def _append_locked(
    fd: int, location: LedgerLocation, obj: dict[str, Any], moment: datetime
) -> AppendResult:
    try:
        size = os.fstat(fd).st_size
        torn: TornLine | None = None
        needs_newline = bool(size) and os.pread(fd, 1, size - 1) != b"\n"
        if needs_newline:
            tail_start = _tail_start(fd, size)
            tail = (
                parse_line(os.pread(fd, size - tail_start, tail_start))
                if size - tail_start <= MAX_LINE_BYTES
                else None
            )
            if tail is not None and isinstance(tail.get("hash"), str):
                prev = str(tail["hash"])  # only the newline was lost: the entry is whole
            else:
                torn = TornLine(0, tail_start, size - tail_start, False)
                prev = _last_hash(fd, tail_start)
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


def _tail_start(fd: int, size: int) -> int:
    """The offset just after the last newline (0 when there is none)."""
    position = size
    while position > 0:
        start = max(0, position - TAIL_CHUNK_BYTES)
        cut = os.pread(fd, position - start, start).rfind(b"\n")
        if cut != -1:
            return start + cut + 1
        position = start
    return 0


_sync = getattr(os, "fdatasync", os.fsync)
"""fdatasync where there is one: it flushes the appended bytes and the new size, which is all
an append changes, and skips the timestamps' extra flush (a third of the time here)."""


# -- verifying ------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class VerifyResult:
    """What `verify` found: the chain holds (`ok`), or the first bad line and why."""

    ok: bool
    entries: int
    torn: list[TornLine]
    first_bad: int | None = None
    reason: str = ""

    def describe(self, path: Path) -> str:
        """One sentence for the user."""
        if not self.ok:
            return f"{path}: line {self.first_bad}: {self.reason}"
        torn = (
            (
                f"; {len(self.torn)} torn line(s) skipped: "
                + ", ".join(str(item.line) for item in self.torn)
            )
            if self.torn
            else ""
        )
        return f"{path}: the chain of {self.entries} entries verifies{torn}."


def verify(path: Path) -> VerifyResult:
    """Check the hash chain of the whole file and name the first bad line (1-based).

    A line is bad when it is JSON but its `hash` is not the hash of its content (it was
    edited), or its `prev` is not the hash of the entry before (a line was removed, inserted
    or moved). Torn lines (not JSON objects) are reported and skipped.
    """
    previous = GENESIS
    previous_line = 0
    entries = 0
    torn: list[TornLine] = []
    for number, item in iter_lines(path):
        if isinstance(item, TornLine):
            torn.append(item)
            continue
        stated = item.get("hash")
        if not isinstance(stated, str) or not isinstance(item.get("prev"), str):
            return VerifyResult(
                False,
                entries,
                torn,
                number,
                "the line has no `hash` or `prev`, so it is not a ledger entry.",
            )
        if entry_hash(item) != stated:
            return VerifyResult(
                False,
                entries,
                torn,
                number,
                "its hash does not match its content: the line was edited.",
            )
        if item["prev"] != previous:
            after = (
                f"the hash of line {previous_line}" if previous_line else "the start of the ledger"
            )
            return VerifyResult(
                False,
                entries,
                torn,
                number,
                f"its prev does not match {after}: a line was removed, inserted or moved.",
            )
        previous, previous_line = stated, number
        entries += 1
    return VerifyResult(True, entries, torn)


# -- counting -------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Usage:
    """How much of one conduit's limits a wish has used, as the gates need it."""

    wish_calls: int
    day_calls: int
    minute_calls: int
    retry_after_seconds: float
    """When `minute_calls` is at the rate, how long until the oldest of them leaves the
    minute (0 when there is no call in the minute)."""


@dataclass(slots=True)
class LedgerSummary:
    """Counts of the calls that count (`counts_toward_limits`), by conduit.

    Built once from the whole file, then extended from the bytes appended since. Treat it as
    read-only: the cache hands out a new one whenever the file changed.
    """

    key: tuple[int, int, int, int] = (0, 0, 0, 0)
    offset: int = 0
    """Where the next unread line starts (just after the last newline read)."""
    lines: int = 0
    entries: int = 0
    last_hash: str = GENESIS
    last_line_sha256: str = ""
    """The last entry's line, hashed, and where it starts: to check that the file was only
    appended to since, not replaced or rewritten."""
    last_line_offset: int = 0
    last_line_length: int = 0
    tail_bytes: int = 0
    """Bytes after the last newline: a torn write, or a write still under way."""
    torn: list[TornLine] = field(default_factory=list)
    wish_calls: dict[tuple[str, str], int] = field(default_factory=dict)
    day_calls: dict[tuple[str, str], int] = field(default_factory=dict)
    times: dict[str, list[float]] = field(default_factory=dict)
    """Each conduit's counted calls of the last `RECENT_SECONDS` before its newest, as POSIX
    times in file order (the rate limit looks back one minute)."""
    stored_offset: int = 0
    """The offset the persistent copy was written at (the cache's bookkeeping)."""

    def copy(self) -> LedgerSummary:
        """A copy to extend, so summaries handed out earlier never change."""
        return LedgerSummary(
            self.key,
            self.offset,
            self.lines,
            self.entries,
            self.last_hash,
            self.last_line_sha256,
            self.last_line_offset,
            self.last_line_length,
            self.tail_bytes,
            list(self.torn),
            dict(self.wish_calls),
            dict(self.day_calls),
            {conduit: list(times) for conduit, times in self.times.items()},
            self.stored_offset,
        )

    def feed(self, data: bytes, base_offset: int) -> None:
        """Count the complete lines of `data`, which starts at `base_offset` in the file."""
        self.feed_lines(
            (offset, len(raw), raw, True) for offset, raw in _split_lines(data, base_offset)
        )

    def feed_file(self, fd: int, start: int, end: int) -> None:
        """Count the complete lines between `start` and `end` of an open file, a chunk at a
        time."""
        self.feed_lines(item for item in _scan(fd, start, end) if item[3])

    def feed_lines(self, scanned: Iterator[tuple[int, int, bytes | None, bool]]) -> None:
        """Count complete lines given as `_scan` gives them."""
        last: tuple[int, bytes] | None = None
        for offset, length, raw, _ in scanned:
            self.lines += 1
            self.offset = offset + length + 1
            if raw is not None and not raw.strip():
                continue
            obj = parse_line(raw) if raw is not None and b'"hash"' in raw else None
            if obj is None or raw is None:  # no entry is without a hash
                self.torn.append(TornLine(self.lines, offset, length, True))
                continue
            self.entries += 1
            last = (offset, raw)
            if isinstance(obj.get("hash"), str):
                self.last_hash = obj["hash"]
            if counts_toward_limits(obj):
                self._count(obj)
        if last is not None:
            self.last_line_offset, self.last_line_length = last[0], len(last[1])
            self.last_line_sha256 = hashlib.sha256(last[1]).hexdigest()
        for conduit, times in self.times.items():
            if times and times[0] < times[-1] - RECENT_SECONDS:
                self.times[conduit] = [t for t in times if t >= times[-1] - RECENT_SECONDS]

    def _count(self, obj: dict[str, Any]) -> None:
        conduit, wish, stamp = obj.get("conduit"), obj.get("wish"), obj.get("timestamp")
        if not isinstance(conduit, str):
            return
        if isinstance(wish, str):
            key = (conduit, wish)
            self.wish_calls[key] = self.wish_calls.get(key, 0) + 1
        moment = parse_rfc3339(stamp)
        if moment is None:
            return
        day = (conduit, moment.astimezone(UTC).date().isoformat())
        self.day_calls[day] = self.day_calls.get(day, 0) + 1
        self.times.setdefault(conduit, []).append(moment.timestamp())

    def usage(self, conduit: str, wish: str, now: datetime) -> Usage:
        """The calls of `conduit` counted for `wish`, today (UTC) and in the last minute."""
        now = now if now.tzinfo else now.replace(tzinfo=UTC)
        day = now.astimezone(UTC).date().isoformat()
        times = self.times.get(conduit, [])
        since = (now - timedelta(minutes=1)).timestamp()
        # Lines are in append order; clocks of concurrent writers differ by a little, so
        # look back a minute more than the window and filter exactly.
        start = _first_at_or_after(times, since - 60.0)
        recent = sorted(moment for moment in times[start:] if since < moment <= now.timestamp())
        retry = (recent[0] + 60.0 - now.timestamp()) if recent else 0.0
        return Usage(
            self.wish_calls.get((conduit, wish), 0),
            self.day_calls.get((conduit, day), 0),
            len(recent),
            max(0.0, retry),
        )

    def to_json(self, ledger: Path) -> str:
        """The persistent copy's text (see `SummaryCache`)."""
        return json.dumps(
            {
                "format": SUMMARY_FORMAT,
                "ledger": str(ledger),
                "key": list(self.key),
                "offset": self.offset,
                "lines": self.lines,
                "entries": self.entries,
                "last_hash": self.last_hash,
                "last_line_sha256": self.last_line_sha256,
                "last_line_offset": self.last_line_offset,
                "last_line_length": self.last_line_length,
                "torn": [[item.line, item.offset, item.length] for item in self.torn],
                "wish_calls": [
                    [conduit, wish, count] for (conduit, wish), count in self.wish_calls.items()
                ],
                "day_calls": [
                    [conduit, day, count] for (conduit, day), count in self.day_calls.items()
                ],
                "times": self.times,
            },
            separators=(",", ":"),
        )

    @classmethod
    def from_json(cls, text: str | bytes, ledger: Path) -> LedgerSummary | None:
        """Read a persistent copy back; None when it is unreadable or of another ledger."""
        try:
            data = json.loads(text)
            if data["format"] != SUMMARY_FORMAT or data["ledger"] != str(ledger):
                return None
            key = tuple(int(part) for part in data["key"])
            summary = cls(
                (key[0], key[1], key[2], key[3]),
                int(data["offset"]),
                int(data["lines"]),
                int(data["entries"]),
                str(data["last_hash"]),
                str(data["last_line_sha256"]),
                int(data["last_line_offset"]),
                int(data["last_line_length"]),
                0,
                [
                    TornLine(int(line), int(offset), int(length), True)
                    for line, offset, length in data["torn"]
                ],
                {
                    (str(conduit), str(wish)): int(count)
                    for conduit, wish, count in data["wish_calls"]
                },
                {(str(conduit), str(day)): int(count) for conduit, day, count in data["day_calls"]},
                {
                    str(conduit): [float(moment) for moment in times]
                    for conduit, times in data["times"].items()
                },
            )
        except (ValueError, KeyError, TypeError, AttributeError, IndexError):
            return None
        summary.stored_offset = summary.offset
        return summary


RECENT_SECONDS = 3600.0
SUMMARY_FORMAT = 1
STORE_EVERY_BYTES = 256 * 1024
"""How much a ledger grows before the persistent summary is rewritten: a new process then
reads at most this much (some 350 lines) besides the summary."""


def _first_at_or_after(times: list[float], moment: float) -> int:
    """The index after the last time before `moment`, scanning back from the end (the
    times are in append order, so only the recent ones are looked at)."""
    index = len(times)
    while index > 0 and times[index - 1] >= moment:
        index -= 1
    return index


def _stat_key(stat: os.stat_result) -> tuple[int, int, int, int]:
    return (stat.st_dev, stat.st_ino, stat.st_size, stat.st_mtime_ns)


def default_store() -> Path:
    """Where persistent summaries live: `$XDG_CACHE_HOME/wishcraft/ledger` (or ~/.cache)."""
    base = os.environ.get("XDG_CACHE_HOME")
    return (Path(base) if base else Path.home() / ".cache") / "wishcraft" / "ledger"


class SummaryCache:
    """Summaries by ledger path, reused while the file is unchanged, extended when it grew.

    The key is (device, inode, size, mtime). When the file grew and its last counted entry is
    still where it was (checked by its bytes' hash), only the appended bytes are read; when the
    file was replaced, truncated or rewritten, it is read again from the start.

    With a `store` folder, the summary also persists between processes (one JSON file per
    ledger, named by the hash of its path, written atomically each time the ledger grew by
    `STORE_EVERY_BYTES`), so a new CLI process reads the summary and the tail, not the whole
    ledger. The persistent copy is only a cache: it is checked like the one in memory, and a
    missing, stale or unreadable one is ignored and rebuilt.
    """

    def __init__(self, store: Path | None = None) -> None:
        """Start empty; keep persistent summaries in `store` when given."""
        self._summaries: dict[Path, LedgerSummary] = {}
        self._lock = threading.Lock()
        self._store = store

    def summary(self, path: Path) -> LedgerSummary:
        """The summary of the ledger at `path` as it is now (empty when it does not exist)."""
        fd = _open_for_reading(path)
        if fd is None:
            with self._lock:
                self._summaries.pop(path, None)
            return LedgerSummary()
        try:
            key = _stat_key(os.fstat(fd))
            with self._lock:
                cached = self._summaries.get(path)
            if cached is not None and cached.key == key:
                return cached
            if cached is None:
                cached = self._load(path)
            summary = self._extend(fd, key, cached)
        finally:
            os.close(fd)
        if self._store is not None and summary.offset - summary.stored_offset >= STORE_EVERY_BYTES:
            self._save(path, summary)
        with self._lock:
            self._summaries[path] = summary
        return summary

    def _store_file(self, path: Path) -> Path | None:
        if self._store is None:
            return None
        name = hashlib.sha256(str(path.resolve()).encode("utf-8", "surrogateescape"))
        return self._store / f"{name.hexdigest()[:32]}.json"

    def _load(self, path: Path) -> LedgerSummary | None:
        store_file = self._store_file(path)
        if store_file is None:
            return None
        try:
            text = store_file.read_bytes()
        except OSError:
            return None
        return LedgerSummary.from_json(text, path.resolve())

    def _save(self, path: Path, summary: LedgerSummary) -> None:
        store_file = self._store_file(path)
        if store_file is None:
            return
        with contextlib.suppress(OSError):  # only a cache: the next process reads more
            write_atomically(store_file, summary.to_json(path.resolve()))
            summary.stored_offset = summary.offset

    def _extend(
        self, fd: int, key: tuple[int, int, int, int], cached: LedgerSummary | None
    ) -> LedgerSummary:
        size = key[2]
        if (
            cached is not None
            and cached.key[:2] == key[:2]
            and cached.offset <= size
            and self._still_there(fd, cached)
        ):
            summary = cached.copy()
        else:
            summary = LedgerSummary()
        summary.feed_file(fd, summary.offset, size)
        summary.key = key
        summary.tail_bytes = size - summary.offset
        return summary

    @staticmethod
    def _still_there(fd: int, cached: LedgerSummary) -> bool:
        """Whether the last entry read is still where it was (the file was only appended to)."""
        if not cached.last_line_sha256:
            return cached.offset == 0
        raw = os.pread(fd, cached.last_line_length, cached.last_line_offset)
        return hashlib.sha256(raw).hexdigest() == cached.last_line_sha256

    def invalidate(self, path: Path | None = None) -> None:
        """Forget one ledger's summary (or all) in memory."""
        with self._lock:
            if path is None:
                self._summaries.clear()
            else:
                self._summaries.pop(path, None)


DEFAULT_CACHE = SummaryCache(default_store())
"""The process's cache, persisted in the user's cache folder so the next process starts warm."""


def summarize(path: Path, cache: SummaryCache | None = None) -> LedgerSummary:
    """The counts of the ledger at `path`, from the cache when the file is unchanged."""
    return (cache or DEFAULT_CACHE).summary(path)


def usage(
    path: Path,
    conduit: str,
    wish: str,
    now: datetime | None = None,
    cache: SummaryCache | None = None,
) -> Usage:
    """How much of `conduit`'s limits `wish` has used, from the ledger at `path`."""
    return summarize(path, cache).usage(conduit, wish, now or datetime.now(UTC))
