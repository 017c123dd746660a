"""Atomic file writes: readers see the old file or the new one, never half of one.

The temporary file sits beside the target (a rename is only atomic within one file system),
is named `.<target name>.<random>.tmp`, is created exclusively (so it never follows a link),
and is removed when the write fails. A process killed between the write and the rename leaves
its temporary behind; `remove_stale_temporaries` clears such leftovers on the next write.

`Tree` writes inside a workspace the model's patch names, where a path checked by name may be
redirected before the write (a folder swapped for a symbolic link). It opens the workspace once
and every folder below it from its parent's descriptor with `O_NOFOLLOW`, so a link anywhere
on the way makes the operation fail (ELOOP) instead of following it; temporaries are created,
renamed and removed relative to their folder's descriptor. Where the system has no such calls
(Windows), `Tree` refuses to open (`NoDescriptorWrites`) rather than write by name.
"""

from __future__ import annotations

import contextlib
import errno
import os
import stat
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from types import TracebackType

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


_DIR_FLAGS = (
    os.O_RDONLY
    | getattr(os, "O_DIRECTORY", 0)
    | getattr(os, "O_NOFOLLOW", 0)
    | getattr(os, "O_CLOEXEC", 0)
)
_DIR_FD_CALLS: tuple[Callable[..., object], ...] = (
    os.open,
    os.mkdir,
    os.unlink,
    os.rmdir,
    os.rename,
    os.stat,
)
DESCRIPTOR_WRITES = (
    hasattr(os, "O_NOFOLLOW")
    and hasattr(os, "O_DIRECTORY")
    and all(call in os.supports_dir_fd for call in _DIR_FD_CALLS)
)
"""Whether this system can write relative to folder descriptors (Linux and macOS: yes;
Windows: no)."""
FOLDER_CACHE = 128
"""How many folder descriptors a `Tree` keeps open (a change touches at most 256 files; the
process's limit is often 1,024)."""


class NoDescriptorWrites(OSError):
    """This system cannot write relative to folder descriptors, so `Tree` will not write."""


class NotAFile(OSError):
    """The name holds something other than a regular file (a folder, a link, a device)."""


class Tree:
    """A folder tree written through descriptors, so that no link on the way is followed.

    The root is opened once. A folder's descriptor is opened from its parent's with
    `O_DIRECTORY|O_NOFOLLOW` and kept for the tree's life (up to `FOLDER_CACHE`), so every
    operation of one change in one folder lands in the same folder, and a link swapped in for
    a folder fails with ELOOP. Paths are workspace-relative POSIX strings, already checked
    (`apply.safety.check_path`): this class enforces only that nothing is followed.
    """

    def __init__(self, root: Path) -> None:
        """Open `root` (it is the user's workspace; it may itself be reached through a link)."""
        if not DESCRIPTOR_WRITES:
            raise NoDescriptorWrites(
                errno.ENOSYS, "this system cannot write relative to folder descriptors"
            )
        self.root = root
        self._root = os.open(root, os.O_RDONLY | os.O_DIRECTORY | getattr(os, "O_CLOEXEC", 0))
        self._folders: dict[str, int] = {}

    def __enter__(self) -> Tree:
        """The tree, open."""
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        """Close every descriptor."""
        self.close()

    def close(self) -> None:
        """Close every descriptor the tree holds."""
        self._forget()
        with contextlib.suppress(OSError):
            os.close(self._root)

    def _forget(self) -> None:
        for handle in self._folders.values():
            with contextlib.suppress(OSError):
                os.close(handle)
        self._folders.clear()

    def folder(self, relative: str, *, create: bool = False) -> int:
        """The descriptor of the folder `relative` ("" is the root), owned by the tree.

        `create` makes each missing folder (mode 0o777 less the umask) and opens it the same
        way. Raises OSError: ELOOP for a link, ENOTDIR for a file, ENOENT for a missing one.
        """
        if not relative:
            return self._root
        if relative in self._folders:
            return self._folders[relative]
        if len(self._folders) >= FOLDER_CACHE:
            self._forget()
        parent_path, _, name = relative.rpartition("/")
        parent = self.folder(parent_path, create=create)
        try:
            handle = self._open_folder(parent, name)
        except FileNotFoundError:
            if not create:
                raise
            with contextlib.suppress(FileExistsError):
                os.mkdir(name, 0o777, dir_fd=parent)
            handle = self._open_folder(parent, name)
        self._folders[relative] = handle
        return handle

    @staticmethod
    def _open_folder(parent: int, name: str) -> int:
        """Open the folder `name` in `parent`; a link is ELOOP (Linux may say ENOTDIR)."""
        try:
            return os.open(name, _DIR_FLAGS, dir_fd=parent)
        except NotADirectoryError:
            info = os.stat(name, dir_fd=parent, follow_symlinks=False)
            if stat.S_ISLNK(info.st_mode):
                raise OSError(
                    errno.ELOOP, "a folder on the path is a symbolic link", name
                ) from None
            raise

    def mkdir(self, relative: str) -> None:
        """Create the folder `relative` in its (existing) parent; FileExistsError if there."""
        parent_path, _, name = relative.rpartition("/")
        os.mkdir(name, 0o777, dir_fd=self.folder(parent_path))

    def rmdir(self, relative: str) -> None:
        """Remove the empty folder `relative`."""
        parent_path, _, name = relative.rpartition("/")
        handle = self._folders.pop(relative, None)
        if handle is not None:
            os.close(handle)
        os.rmdir(name, dir_fd=self.folder(parent_path))

    def read(self, relative: str) -> bytes | None:
        """The bytes of the regular file `relative`; None when it or a folder is missing.

        Raises `NotAFile` when the name holds a folder, a link or anything else."""
        parent_path, _, name = relative.rpartition("/")
        try:
            parent = self.folder(parent_path)
            info = os.stat(name, dir_fd=parent, follow_symlinks=False)
        except (FileNotFoundError, NotADirectoryError):
            return None
        if not stat.S_ISREG(info.st_mode):
            raise NotAFile(errno.EINVAL, "not a regular file", relative)
        flags = os.O_RDONLY | os.O_NOFOLLOW | getattr(os, "O_CLOEXEC", 0)
        flags |= getattr(os, "O_NONBLOCK", 0)  # a FIFO swapped in must not block the read
        handle = os.open(name, flags, dir_fd=parent)
        with os.fdopen(handle, "rb") as stream:
            if not stat.S_ISREG(os.fstat(stream.fileno()).st_mode):
                raise NotAFile(errno.EINVAL, "not a regular file", relative)
            return stream.read()

    def write_temporary(self, relative: str, name: str, data: bytes, mode: int) -> None:
        """Create the temporary `name` beside `relative` (exclusively), write, chmod, fsync."""
        parent = self.folder(relative.rpartition("/")[0])
        flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW
        handle = os.open(name, flags | getattr(os, "O_CLOEXEC", 0), 0o600, dir_fd=parent)
        with os.fdopen(handle, "wb") as stream:
            stream.write(data)
            stream.flush()
            os.fchmod(stream.fileno(), mode)
            os.fsync(stream.fileno())

    def replace(self, relative: str, temporary: str) -> None:
        """Rename the temporary beside `relative` over it, within the folder's descriptor."""
        parent_path, _, name = relative.rpartition("/")
        parent = self.folder(parent_path)
        os.replace(temporary, name, src_dir_fd=parent, dst_dir_fd=parent)

    def unlink(self, relative: str) -> None:
        """Remove the file `relative` (a link is removed, never followed)."""
        parent_path, _, name = relative.rpartition("/")
        os.unlink(name, dir_fd=self.folder(parent_path))

    def remove_temporary(self, relative: str, temporary: str) -> None:
        """Remove the temporary beside `relative` when it is there."""
        parent_path = relative.rpartition("/")[0]
        with contextlib.suppress(FileNotFoundError, NotADirectoryError):
            os.unlink(temporary, dir_fd=self.folder(parent_path))

    def write_atomically(self, relative: str, data: bytes, mode: int) -> None:
        """Write `relative` through a temporary beside it, renamed over it."""
        name = relative.rpartition("/")[2]
        encoded = name.encode("utf-8", "surrogateescape")[:TEMP_NAME_BYTES]
        temporary = "." + encoded.decode("utf-8", "ignore") + "." + os.urandom(4).hex() + ".tmp"
        try:
            self.write_temporary(relative, temporary, data, mode)
            self.replace(relative, temporary)
        except BaseException:
            with contextlib.suppress(OSError):
                self.remove_temporary(relative, temporary)
            raise

    def sync(self, relative: str) -> None:
        """fsync the folder `relative` ("" is the root), so renames in it are durable."""
        with contextlib.suppress(OSError):
            os.fsync(self.folder(relative))
