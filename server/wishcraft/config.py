"""The one reader of `data/config/wishcraft.toml`: found upward once, parsed once, by table.

A repository pins its rules in one file, and every command and the language server must find
and read the same one, or a rule enforced in CI would be missed in the editor. So the file is
found here only (`find_config_file`: `start` or the first folder above it holding
`data/config/wishcraft.toml`), parsed here only (`read_config_file`), and its tables are
handed out to the modules that own them:

- `[lint]` and `[files]`: `wishcraft.lint.config` (the lint rules, the wish globs);
- `[conduit]`: the caller passes the table and its file to `wishcraft.conduit.config`, which
  reads no repository file itself (the conduit imports only `wishcraft.redaction`) and keeps
  the trust boundary: a repository's table may tune the call, never say where the login goes;
- `[ledger]`: `wishcraft.ledger` (`path`, which must stay inside the repository);
- `[pr]`: `wishcraft.pr.config` (its `check` runs only in a trusted repository,
  `wishcraft.trust`, which hashes the same file).

Each owner checks its own table and names the key and the fix; a file that cannot be read or
parsed is one sentence here (`ConfigFileError`), which each owner raises as its own error.
"""

from __future__ import annotations

import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

CONFIG_RELATIVE = Path("data") / "config" / "wishcraft.toml"
"""Where the file sits under a repository's root."""

TABLES = ("lint", "files", "conduit", "ledger", "pr")
"""The tables the file may hold, each owned by one module (see the module docstring)."""


class ConfigFileError(ValueError):
    """The file cannot be read or parsed; `str()` is one sentence naming it and the fix."""

    def __init__(self, path: Path, reason: str) -> None:
        """Keep the file and the reason; the sentence says both."""
        super().__init__(
            f"{path}: cannot read the configuration ({reason}); fix the file, which must be "
            "readable UTF-8 TOML."
        )
        self.path = path
        self.reason = reason


@dataclass(frozen=True, slots=True)
class ConfigFile:
    """One parsed wishcraft.toml (or none: `path` None and no tables)."""

    path: Path | None = None
    data: Mapping[str, Any] = field(default_factory=dict)

    def table(self, name: str) -> Any:
        """The top-level value `name` (`{}` when absent). Not checked: its owner says what a
        value that is not a table means, in its own words."""
        if name not in TABLES:
            raise KeyError(f"{name!r} is not one of wishcraft.toml's tables ({', '.join(TABLES)})")
        return self.data.get(name, {})

    @property
    def root(self) -> Path | None:
        """The repository root this file belongs to (see `config_root`), or None."""
        return config_root(self.path) if self.path is not None else None


NO_CONFIG = ConfigFile()
"""No wishcraft.toml: every table empty, every owner's defaults."""


def find_config_file(start: Path) -> Path | None:
    """`data/config/wishcraft.toml` in `start` (a folder, or a file's folder) or above it."""
    folder = start.parent if start.is_file() else start
    for candidate in (folder, *folder.parents):
        path = candidate / CONFIG_RELATIVE
        if path.is_file():
            return path
    return None


def config_root(config_file: Path) -> Path:
    """The folder holding `data/config/wishcraft.toml` (else the file's own folder): the root
    that `[ledger] path` and trust are relative to."""
    parents = config_file.parents
    if len(parents) >= 3 and parents[0].name == "config" and parents[1].name == "data":
        return parents[2]
    return config_file.parent


def read_config_file(path: Path | None) -> ConfigFile:
    """Parse one wishcraft.toml; `NO_CONFIG` for None or a file that is not there."""
    if path is None:
        return NO_CONFIG
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        return NO_CONFIG
    except OSError as exc:
        raise ConfigFileError(path, exc.strerror or type(exc).__name__) from None
    return config_from_bytes(path, raw)


def config_from_bytes(path: Path, raw: bytes) -> ConfigFile:
    """Parse a wishcraft.toml already read (`path` names it in messages): the editor's trust
    question quotes and hashes one read, so what it shows is what it trusts."""
    try:
        data = tomllib.loads(raw.decode("utf-8"))
    except UnicodeDecodeError as exc:
        raise ConfigFileError(
            path,
            f"it is not UTF-8: byte 0x{exc.object[exc.start]:02x} at offset {exc.start}",
        ) from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigFileError(path, str(exc)) from None
    return ConfigFile(path, data)


def load_workspace_config(start: Path | None) -> ConfigFile:
    """The wishcraft.toml that applies at `start`, parsed (`NO_CONFIG` when there is none)."""
    return read_config_file(find_config_file(start) if start is not None else None)
