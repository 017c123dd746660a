"""Opening the ledger and its lock from the root down, never through a symbolic link.

The root is opened, then each folder below it with `O_DIRECTORY|O_NOFOLLOW` from its parent's
descriptor (missing ones made with `mkdir(dir_fd=)`), and the ledger and its lock with
`O_NOFOLLOW` in the last one; `log` appends and locks through those descriptors. A ledger that is
a symlink, has a symlink or a file on its path, has other names (hard links), is not a regular
file, or does not start like a ledger is refused with one sentence. On systems without `dir_fd`
(Windows) each part of the path is checked with `lstat` before the open, which leaves a window
between the check and the open.
"""

from __future__ import annotations

import contextlib
import errno
import os
import stat
import sys
from dataclasses import dataclass
from pathlib import Path

from wishcraft.ledger.entry import LedgerError
from wishcraft.ledger.location import LedgerLocation

_NOFOLLOW = getattr(os, "O_NOFOLLOW", 0)
_DIRECTORY = getattr(os, "O_DIRECTORY", 0)
_CLOEXEC = getattr(os, "O_CLOEXEC", 0)
_NONBLOCK = getattr(os, "O_NONBLOCK", 0)  # a FIFO planted as the ledger must not hang a reader


def not_a_ledger(path: Path | str, what: str) -> str:
    return (
        f"The ledger {path} {what}, but a ledger is only ever a regular file reached without "
        f"symbolic links; remove {path} (wishcraft creates it) or set `[ledger] path` in "
        "data/config/wishcraft.toml to another file inside the repository."
    )


def open_problem(path: Path | str, exc: OSError, verb: str) -> str:
    """One sentence for an `OSError` of opening the ledger (or its lock) at `path`."""
    if exc.errno == errno.ELOOP or (isinstance(path, Path) and path.is_symlink()):
        return not_a_ledger(path, "is a symbolic link")
    return f"Cannot {verb} the ledger {path}: {exc.strerror or exc}; check its permissions."


def checked_regular(fd: int, path: Path | str) -> os.stat_result:
    """The open file's status; `LedgerError` (and the descriptor closed) when it is not a
    regular file."""
    info = os.fstat(fd)
    if not stat.S_ISREG(info.st_mode):
        os.close(fd)
        raise LedgerError(not_a_ledger(path, "is not a regular file"))
    return info


def open_for_reading(path: Path) -> int | None:
    """A descriptor of the ledger at `path` to read, or None when there is none. The file is
    opened with `O_NOFOLLOW` (a symlinked ledger is refused, not followed) and must be a
    regular file."""
    try:
        fd = os.open(path, os.O_RDONLY | _NOFOLLOW | _NONBLOCK | _CLOEXEC)
    except FileNotFoundError:
        return None
    except OSError as exc:
        raise LedgerError(open_problem(path, exc, "read")) from None
    checked_regular(fd, path)
    return fd


_DIR_FD = (
    sys.platform != "win32"
    and os.open in os.supports_dir_fd
    and os.mkdir in os.supports_dir_fd
    and os.stat in os.supports_dir_fd
    and bool(_NOFOLLOW and _DIRECTORY)
)


@dataclass(slots=True)
class Folder:
    """The ledger's folder, open (`fd`), or only named where there is no `dir_fd`."""

    path: Path
    fd: int | None

    def close(self) -> None:
        if self.fd is not None:
            os.close(self.fd)
            self.fd = None


def location_of(target: Path | LedgerLocation) -> LedgerLocation:
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


def open_folder(location: LedgerLocation, *, create: bool) -> Folder | None:
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
        return walk_by_name(location, parts, create=create)
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
    return Folder(location.path.parent, fd)


def walk_by_name(location: LedgerLocation, parts: tuple[str, ...], *, create: bool) -> Folder:
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
    return Folder(folder, None)


def open_in(folder: Folder, name: str, flags: int, location: LedgerLocation) -> int:
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
            raise LedgerError(not_a_ledger(shown, "is a symbolic link")) from None
        if exc.errno == errno.EISDIR:
            raise LedgerError(not_a_ledger(shown, "is a folder")) from None
        raise LedgerError(
            f"The ledger {shown} cannot be written: {exc.strerror or exc}; make it writable, "
            "or set `[ledger] path` in data/config/wishcraft.toml to a writable place inside "
            "the repository."
        ) from None
    info = checked_regular(fd, shown)
    if info.st_nlink > 1:  # another name of the same file may be anywhere on the disk
        os.close(fd)
        raise LedgerError(not_a_ledger(shown, f"has {info.st_nlink} names (hard links)"))
    return fd


def open_ledger(folder: Folder, location: LedgerLocation, *, create: bool) -> int | None:
    """The ledger open for appending, or None when it is missing and not `create`. An existing
    file must start like a ledger (a JSON object), so no other file is ever appended to."""
    flags = os.O_RDWR | os.O_APPEND | (os.O_CREAT if create else 0)
    try:
        fd = open_in(folder, location.path.name, flags, location)
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
        raise LedgerError(open_problem(location.shown, exc, "read")) from None
    if first not in (b"", b"{", b"\n"):
        os.close(fd)
        raise LedgerError(
            f"The file at {location.shown} is not a ledger (its first line is not a JSON "
            "object), so nothing is appended to it; set `[ledger] path` in "
            "data/config/wishcraft.toml to a new .jsonl file."
        )
    return fd


def open_lock(folder: Folder, location: LedgerLocation) -> int:
    try:
        return open_in(folder, location.path.name + ".lock", os.O_RDWR | os.O_CREAT, location)
    except FileNotFoundError:  # the folder was removed or moved since it was opened
        raise LedgerError(
            f"Cannot create the lock {location.shown}.lock: its folder was moved or removed "
            "meanwhile; run again."
        ) from None
