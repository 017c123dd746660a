"""Where the ledger is: `find_ledger`, `[ledger] path` checked as untrusted input, and
`LedgerLocation`, the ledger with the root its wish paths are relative to.

The repository's `[ledger] path` is untrusted input: it must be a relative `.jsonl` path with no
`~`, `..` or leading `/`, outside `.git`, and it is resolved inside the folder holding `data/`
(the location's `root`), from which `files` opens it without following links.
"""

from __future__ import annotations

import json
import re
import unicodedata
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from wishcraft.config import ConfigFileError, find_config_file, read_config_file
from wishcraft.ledger.entry import (
    LEDGER_RELATIVE_PATH,
    LEDGER_SUFFIX,
    LedgerError,
)


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
