"""What a patch may touch and carry: paths inside the workspace and scope, text of bounded size.

A path is refused, by name, when it is empty, absolute (`/x`, `C:\\x`, `\\\\server`), starts
with `~`, has a `..` component, a backslash, a control character or padding whitespace, lies
under a `.git` folder (any case, at any depth, also when reached through a symbolic link), leaves
the workspace through a symbolic link (each existing parent is resolved), is itself a
symbolic link (a rename would replace the link, a read would follow it), or falls outside the
scope. The scope is a predicate on the workspace-relative POSIX path, so the gates can pass
theirs; `scope_from_globs` builds one from globs.

Caps (`Limits`), chosen so that a runaway or hostile patch is refused before it costs much:

- the patch text: 4 MiB. A model's tool call holds far less (a turn's output is on the order
  of 100k tokens, under 1 MiB), and the conduit's read budget is 2 MB;
- each file, before or after: 8 MiB. It is read whole, diffed with difflib and kept whole in
  the undo record; source files are far smaller, and a 10 MB file is refused;
- all files together, before and after: 32 MiB, which bounds the undo record;
- 256 files in one patch.

Content with a NUL byte is binary and refused; so is content that is not UTF-8.
"""

from __future__ import annotations

import os
import re
import stat
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

from wishcraft.apply.errors import ContentRefused, UnsafePath
from wishcraft.apply.patch import WHITESPACE
from wishcraft.linear_re import LinearPattern

Scope = Callable[[str], bool]
"""Whether a workspace-relative POSIX path may be changed."""

MIB = 1024 * 1024


@dataclass(frozen=True)
class Limits:
    """Size caps; see the module docstring for why each value."""

    max_patch_bytes: int = 4 * MIB
    max_file_bytes: int = 8 * MIB
    max_total_bytes: int = 32 * MIB
    max_files: int = 256


DEFAULT_LIMITS = Limits()

_DRIVE = re.compile(r"^[A-Za-z]:")
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


def normalise(path: str) -> str:
    """Check a path's spelling and return it workspace-relative, POSIX, without `.` parts."""
    if not path:
        raise UnsafePath(path, "the path is empty")
    if _CONTROL.search(path):
        raise UnsafePath(path, "the path has a control character")
    if path != path.strip(WHITESPACE):
        raise UnsafePath(path, "the path starts or ends with whitespace")
    if path.startswith(("/", "\\")) or _DRIVE.match(path):
        raise UnsafePath(path, "the path is absolute; use a path relative to the workspace")
    if "\\" in path:
        raise UnsafePath(path, "the path has a backslash; use '/' between folders")
    parts = [part for part in path.split("/") if part not in ("", ".")]
    if not parts:
        raise UnsafePath(path, "the path names no file")
    if parts[0].startswith("~"):
        raise UnsafePath(path, "the path starts with '~'; use a path relative to the workspace")
    if ".." in parts:
        raise UnsafePath(path, "the path has a '..' component")
    if any(part.casefold() == ".git" for part in parts):
        raise UnsafePath(path, "the path lies under .git/")
    return "/".join(parts)


def check_path(root: Path, path: str, *, scope: Scope | None = None) -> str:
    """Refuse `path` unless it is safe to write under `root`; return it normalised.

    Symbolic links: every existing parent is resolved and must stay inside the workspace
    and outside `.git`; the path itself may not be a link. The scope, when given, must accept
    the path as written and as resolved.
    """
    relative = normalise(path)
    root_real = Path(os.path.realpath(root))
    parts = relative.split("/")
    current = root_real
    for part in parts[:-1]:
        current = current / part
        try:
            mode = os.lstat(current).st_mode
        except FileNotFoundError:
            break  # the rest will be created, inside the last existing folder
        except OSError as error:
            raise UnsafePath(path, f"its folder cannot be read ({error.strerror})") from error
        if stat.S_ISLNK(mode):
            current = Path(os.path.realpath(current))
            if not current.is_relative_to(root_real):
                raise UnsafePath(path, "it leaves the workspace through a symbolic link")
    target = root_real.joinpath(*parts)
    if os.path.islink(target):
        raise UnsafePath(path, "it is a symbolic link")
    resolved = Path(os.path.realpath(target))
    if not resolved.is_relative_to(root_real):
        raise UnsafePath(path, "it leaves the workspace through a symbolic link")
    resolved_relative = resolved.relative_to(root_real).as_posix()
    if resolved_relative != relative:
        normalise(resolved_relative)  # a link into .git/ is .git/
    if scope is not None and not (scope(relative) and scope(resolved_relative)):
        raise UnsafePath(path, "it is outside the conduit's scope")
    return relative


def check_patch_size(text: str, limits: Limits = DEFAULT_LIMITS) -> None:
    """Refuse a patch text over the cap, before parsing it."""
    size = len(text.encode("utf-8", "surrogatepass"))
    if size > limits.max_patch_bytes:
        raise ContentRefused(
            None, f"it is {_size(size)}, over the cap of {_size(limits.max_patch_bytes)}"
        )


def check_file_size(path: str, size: int, limits: Limits = DEFAULT_LIMITS) -> None:
    """Refuse a file over the per-file cap (before reading it)."""
    if size > limits.max_file_bytes:
        raise ContentRefused(
            path, f"it is {_size(size)}, over the cap of {_size(limits.max_file_bytes)} per file"
        )


def decode_content(path: str, data: bytes, limits: Limits = DEFAULT_LIMITS) -> str:
    """Return a file's bytes as text, refusing binary, non-UTF-8 or oversized content."""
    check_file_size(path, len(data), limits)
    if b"\0" in data:
        raise ContentRefused(path, "it is binary (it has a NUL byte)")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as error:
        raise ContentRefused(path, f"it is not UTF-8 text (byte {error.start})") from error


def check_text(path: str, text: str, limits: Limits = DEFAULT_LIMITS) -> int:
    """Refuse new content that is binary or oversized; return its size in bytes."""
    if "\0" in text:
        raise ContentRefused(path, "it is binary (it has a NUL character)")
    try:
        size = len(text.encode("utf-8"))
    except UnicodeEncodeError as error:
        raise ContentRefused(path, "it is not valid Unicode text") from error
    if size > limits.max_file_bytes:
        raise ContentRefused(
            path,
            f"it would be {_size(size)}, over the cap of {_size(limits.max_file_bytes)} per file",
        )
    return size


def scope_from_globs(globs: Iterable[str]) -> Scope:
    """A scope accepting paths matched by any glob, or lying under a folder one matches.

    `*` and `?` stay within one folder, `**` crosses folders (`**/` may match none),
    `[abc]`/`[!abc]` are classes. `src` and `src/**` both cover everything under `src/`.
    The globs are matched without backtracking (`wishcraft.linear_re`), in one pass over the
    path for the path and all its folders.
    """
    patterns = [LinearPattern(_translate(glob.strip("/"))) for glob in globs if glob.strip("/")]

    def in_scope(path: str) -> bool:
        return any(pattern.boundary_match(path) for pattern in patterns)

    return in_scope


def _translate(glob: str) -> str:
    """A glob as a regular expression over POSIX paths."""
    out: list[str] = []
    index = 0
    while index < len(glob):
        char = glob[index]
        if glob.startswith("**/", index):
            out.append("(?:.*/)?")
            index += 3
        elif glob.startswith("**", index):
            out.append(".*")
            index += 2
        elif char == "*":
            out.append("[^/]*")
            index += 1
        elif char == "?":
            out.append("[^/]")
            index += 1
        elif char == "[" and glob.find("]", index + 2) != -1:
            close = glob.find("]", index + 2)  # a "]" right after "[" is part of the class
            body = glob[index + 1 : close]
            negate = body.startswith("!")
            body = body[1:] if negate else body
            out.append("[" + ("^/" if negate else "") + body.replace("\\", "\\\\") + "]")
            index = close + 1
        else:
            out.append(re.escape(char))
            index += 1
    return "".join(out)


def _size(count: int) -> str:
    """A byte count as people read it."""
    if count >= MIB:
        return f"{count / MIB:.1f} MiB"
    if count >= 1024:
        return f"{count / 1024:.1f} KiB"
    return f"{count} bytes"
