"""Atomic file writes: readers see the old file or the new one, never half of one.

The temporary file sits beside the target (a rename is only atomic within one file system),
is named `.<target name>.<random>.tmp`, is created exclusively (so it never follows a link),
and is removed when the write fails. A process killed between the write and the rename leaves
its temporary behind; `remove_stale_temporaries` clears such leftovers on the next write.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
import time
from pathlib import Path

TEMP_SUFFIX = ".tmp"
TEMP_NAME_BYTES = 100
"""How much of the target's name goes into the temporary's name (in UTF-8 bytes), so that a
long target name (up to the usual 255-byte limit) still leaves room for the random part."""


def temporary_prefix(path: Path) -> str:
    """The name prefix of `path`'s temporaries: `.` + its name, shortened, + `.`."""
    name = path.name.encode("utf-8", "surrogateescape")[:TEMP_NAME_BYTES]
    return "." + name.decode("utf-8", "ignore") + "."


def write_atomically(path: Path, data: str | bytes, *, mode: int | None = None) -> None:
    """Write `data` to a temporary file beside `path`, fsync it, then rename it over `path`.

    `mode` sets the permissions before the rename (auth.json gets 0600), so the secret is
    never readable under the final name with looser permissions. `mkstemp` creates the
    temporary with mode 0600 too, so a leftover from a crash is not readable by others.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(
        prefix=temporary_prefix(path), suffix=TEMP_SUFFIX, dir=path.parent
    )
    try:
        with os.fdopen(handle, "wb") as stream:
            stream.write(data.encode("utf-8") if isinstance(data, str) else data)
            stream.flush()
            os.fsync(stream.fileno())
        if mode is not None:
            os.chmod(temporary, mode)
        os.replace(temporary, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(temporary)
        raise
    with contextlib.suppress(OSError):  # make the rename itself durable where we can
        directory = os.open(path.parent, os.O_RDONLY)
        try:
            os.fsync(directory)
        finally:
            os.close(directory)


def remove_stale_temporaries(path: Path, *, older_than: float = 0.0) -> int:
    """Remove temporaries of `path` left by a crashed writer; return how many were removed.

    Only files named like our temporaries of exactly this target are touched. `older_than`
    (seconds) spares a temporary another live process may be writing right now; pass 0 only
    when a lock guarantees that nobody else writes `path`.
    """
    prefix = temporary_prefix(path)
    now = time.time()
    removed = 0
    try:
        entries = list(os.scandir(path.parent))
    except OSError:
        return 0
    for entry in entries:
        if not (entry.name.startswith(prefix) and entry.name.endswith(TEMP_SUFFIX)):
            continue
        if len(entry.name) != len(prefix) + 8 + len(TEMP_SUFFIX):  # mkstemp's 8 characters
            continue
        try:
            if not entry.is_file(follow_symlinks=False):
                continue
            if older_than and now - entry.stat(follow_symlinks=False).st_mtime < older_than:
                continue
            os.unlink(entry.path)
            removed += 1
        except OSError:
            continue
    return removed
