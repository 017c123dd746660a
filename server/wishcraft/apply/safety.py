"""What a patch may touch and carry: paths inside the workspace and scope, text of bounded size.

A path is refused, by name, when it is empty, absolute (`/x`, `C:\\x`, `\\\\server`), starts
with `~`, has a `..` component, a backslash, a control character or padding whitespace, is too
long (a name over 255 bytes, a path over 1,024), is spelled in a way another file system reads
as a different name (`fold_path`), lies under a `.git` folder or names a policy file (at any
depth, in any case or spelling, also when reached through a symbolic link: `policy_reason`, and
the workspace's own `Protected` paths), leaves the workspace through a symbolic link (each
existing parent is resolved), is itself a symbolic link (a rename would replace the link, a
read would follow it), or falls outside the scope. The scope is a predicate on the
workspace-relative POSIX path, so the gates can pass theirs; `wishcraft.globs.scope_from_globs`
(the `SCOPE` dialect, exported by `wishcraft.apply`) builds one from globs.

Policy files decide what a wish may do, so no scope covers them: a change that could rewrite
them could raise its own limits, move its ledger or choose the command `[pr] check` runs. They
are the registry, `wishcraft.toml`, the ledger's folder, `.gitattributes` (its filters run
commands), `.git` and the hook folders (`.husky`, `core.hooksPath`); `apply.policy` adds the
ones a workspace places elsewhere (a configured ledger, the undo state, the hooks path, the
wish being applied and its plan files).

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

import errno
import os
import re
import stat
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from wishcraft.apply.errors import ContentRefused, UnsafePath
from wishcraft.apply.patch import WHITESPACE

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
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")

MAX_NAME_BYTES = 255
"""The longest file or folder name (UTF-8 bytes) on Linux, macOS and Windows file systems."""
MAX_PATH_BYTES = 1024
"""The longest workspace-relative path (UTF-8 bytes): macOS's PATH_MAX, and far beyond any
source tree's paths; a longer one could not be checked out on every system."""

_IGNORABLE = (
    (0x00AD, 0x00AD),
    (0x034F, 0x034F),
    (0x061C, 0x061C),
    (0x115F, 0x1160),
    (0x17B4, 0x17B5),
    (0x180B, 0x180F),
    (0x200B, 0x200F),
    (0x202A, 0x202E),
    (0x2060, 0x206F),
    (0x3164, 0x3164),
    (0xFE00, 0xFE0F),
    (0xFEFF, 0xFEFF),
    (0xFFA0, 0xFFA0),
    (0xFFF0, 0xFFF8),
    (0x1BCA0, 0x1BCA3),
    (0x1D173, 0x1D17A),
    (0xE0000, 0xE0FFF),
)
"""Unicode's Default_Ignorable_Code_Point ranges (DerivedCoreProperties.txt, Unicode 15):
characters a renderer does not show and macOS's HFS+ drops from names, so `.g\u200bit` is
`.git` there."""
_INVISIBLE = re.compile(
    "[" + "".join(f"\\U{low:08x}-\\U{high:08x}" for low, high in _IGNORABLE) + "]"
)
_SHORT_NAME = re.compile(r"~\d")


class SpellingError(ValueError):
    """A path spelled so that some file system reads it as another name; `args[0]` says how."""


def fold_path(path: str) -> str:
    """The key under which every file system we know compares `path` (`a/b`, POSIX).

    Each name is NFKC-normalised and case-folded (NTFS, APFS and HFS+ ignore case; HFS+ and
    APFS normalise; `ＧＩＴ` is `git` after NFKC). A name that another file system reads as a
    different one is refused (`SpellingError`) rather than folded, since which one it names
    depends on the disk: invisible (default-ignorable) or format characters, a trailing dot or
    space (Windows drops them: `.git.`), a `:` (an NTFS alternate data stream:
    `.git::$INDEX_ALLOCATION`), `~` and a digit (an 8.3 short name: `GIT~1`), and a name that
    normalises to `.`, `..` or one with a `/` or `\\`.
    """
    keys: list[str] = []
    for name in path.split("/"):
        invisible = _INVISIBLE.search(name) or next(
            (char for char in name if unicodedata.category(char) in ("Cf", "Cs", "Co")), None
        )
        if invisible is not None:
            char = invisible if isinstance(invisible, str) else invisible.group()
            raise SpellingError(
                f"it has the invisible character U+{ord(char):04X}, which some file systems drop"
            )
        key = unicodedata.normalize("NFKC", unicodedata.normalize("NFKC", name).casefold())
        if key in ("", ".", "..") or "/" in key or "\\" in key:
            raise SpellingError(f"the name '{name}' reads as '{key}' once Unicode-normalised")
        if _CONTROL.search(key):
            raise SpellingError("it has a control character once Unicode-normalised")
        if key.endswith((".", " ")):
            raise SpellingError(
                f"the name '{name}' ends with a dot or a space, which Windows drops"
            )
        if ":" in key:
            raise SpellingError(
                f"the name '{name}' has a ':', which names a data stream on Windows"
            )
        if _SHORT_NAME.search(key):
            raise SpellingError(
                f"the name '{name}' has '~' and a digit, like a Windows short name (GIT~1)"
            )
        keys.append(key)
    return "/".join(keys)


_POLICY_NAMES = {
    ".gitattributes": "git attributes, whose filters run commands",
    ".husky": "git hooks",
}
"""Names that are policy at any depth (folded)."""
_POLICY_TAILS = (
    (("data", "conduits", "registry.yaml"), "the conduit registry"),
    (("data", "conduits", "registry.yml"), "the conduit registry"),
    (("conduits", "registry.yaml"), "the conduit registry"),
    (("conduits", "registry.yml"), "the conduit registry"),
    (("data", "config", "wishcraft.toml"), "wishcraft's configuration"),
    (("data", "ledger"), "the wish ledger and the undo records"),
)
"""Runs of names that are policy wherever they start (folded): the file, or the folder and
everything under it."""


def policy_reason(key: str) -> str | None:
    """Why the folded path `key` (from `fold_path`) is a policy file, or None.

    These hold in every workspace; `Protected` adds the paths one workspace places elsewhere.
    """
    names = key.split("/")
    if ".git" in names:
        return "the path lies under .git/"
    for name in names:
        if name in _POLICY_NAMES:
            return _policy_sentence(_POLICY_NAMES[name])
    for start in range(len(names)):
        for tail, what in _POLICY_TAILS:
            if tuple(names[start : start + len(tail)]) == tail:
                return _policy_sentence(what)
    return None


def _policy_sentence(what: str) -> str:
    return f"it is a policy file no wish may change ({what})"


@dataclass(frozen=True)
class Protected:
    """The policy paths one workspace adds: (folded workspace-relative path, what it is).

    A path is protected when it is one of them or lies under one. `apply.policy` builds it."""

    paths: tuple[tuple[str, str], ...] = ()

    def reason(self, relative: str) -> str | None:
        """Why `relative` (workspace-relative, POSIX) may not change, or None."""
        try:
            key = fold_path(relative)
        except SpellingError as error:
            return str(error)
        found = policy_reason(key)
        if found is not None:
            return found
        for protected, what in self.paths:
            if key == protected or key.startswith(protected + "/"):
                return _policy_sentence(what)
        return None


NOTHING_MORE = Protected()
"""No workspace-specific policy paths: `policy_reason`'s hold anyway."""


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
    relative = "/".join(parts)
    long_name = next((part for part in parts if _bytes(part) > MAX_NAME_BYTES), None)
    if long_name is not None:
        raise UnsafePath(
            _shown(path),
            f"a name in it is {_bytes(long_name)} bytes long, over the limit of "
            f"{MAX_NAME_BYTES}; use a shorter name",
        )
    if _bytes(relative) > MAX_PATH_BYTES:
        raise UnsafePath(
            _shown(path),
            f"it is {_bytes(relative)} bytes long, over the limit of {MAX_PATH_BYTES}; "
            "use a shorter path",
        )
    try:
        key = fold_path(relative)
    except SpellingError as error:
        raise UnsafePath(path, str(error)) from None
    reason = policy_reason(key)
    if reason is not None:
        raise UnsafePath(path, reason)
    return relative


def _bytes(text: str) -> int:
    return len(text.encode("utf-8", "surrogatepass"))


def _shown(path: str) -> str:
    """A long path as a message names it: its start and end, so the sentence stays readable."""
    return path if len(path) <= 80 else f"{path[:40]}…{path[-30:]}"


def check_path(
    root: Path, path: str, *, scope: Scope | None = None, protected: Protected = NOTHING_MORE
) -> str:
    """Refuse `path` unless it is safe to write under `root`; return it normalised.

    Symbolic links: every existing parent is resolved and must stay inside the workspace
    and outside `.git` and the policy files; the path itself may not be a link. The policy
    paths (`protected`) and the scope, when given, must accept the path as written and as
    resolved. The check reads the tree by name; the writes (`fileio.Tree`) then open every
    folder again without following links, so a link swapped in after this check is refused.
    """
    relative = normalise(path)
    try:
        resolved_relative = _resolve(root, path, relative)
    except OSError as error:  # ENAMETOOLONG and the like: a refusal, never a traceback
        raise UnsafePath(_shown(path), f"it cannot be checked ({_reason(error)})") from None
    if resolved_relative != relative:
        normalise(resolved_relative)  # a link into .git/ is .git/
    for candidate in {relative, resolved_relative}:
        reason = protected.reason(candidate)
        if reason is not None:
            raise UnsafePath(path, reason)
    if scope is not None and not (scope(relative) and scope(resolved_relative)):
        raise UnsafePath(path, "it is outside the conduit's scope")
    return relative


def _resolve(root: Path, path: str, relative: str) -> str:
    """`relative` with its symbolic links resolved, refusing one that leaves the workspace."""
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
            raise UnsafePath(path, f"its folder cannot be read ({_reason(error)})") from error
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
    return resolved.relative_to(root_real).as_posix()


def _reason(error: OSError) -> str:
    if error.errno == errno.ENAMETOOLONG:
        return "the name is too long for this file system"
    return error.strerror or type(error).__name__


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


def _size(count: int) -> str:
    """A byte count as people read it."""
    if count >= MIB:
        return f"{count / MIB:.1f} MiB"
    if count >= 1024:
        return f"{count / 1024:.1f} KiB"
    return f"{count} bytes"
