"""The `[pr]` table of `data/config/wishcraft.toml` (read by `wishcraft.config`): which remote,
draft or not, the check.

    [pr]
    remote = "origin"          # the remote to push to and read owner/repo from
    draft = true               # open the pull request as a draft (the default)
    check = "pytest -q"        # a command that must pass before anything is pushed
    check_timeout = 600        # seconds the check may run

Every key is optional. `check` is split like a shell would split it (`shlex`) and run without
a shell; write `sh -c '…'` for pipes or `&&`. A wrong type or an unknown key is one sentence
naming the key and the fix (`PrBadInput`, exit code 2).
"""

from __future__ import annotations

import shlex
from dataclasses import dataclass
from pathlib import Path

from wishcraft.config import ConfigFile, ConfigFileError, read_config_file
from wishcraft.pr.errors import PrBadInput

DEFAULT_REMOTE = "origin"
DEFAULT_CHECK_TIMEOUT_SECONDS = 600.0
KEYS = ("remote", "draft", "check", "check_timeout")


@dataclass(frozen=True, slots=True)
class PrConfig:
    """The settings of the pull-request opener."""

    remote: str = DEFAULT_REMOTE
    draft: bool = True
    check: str | None = None
    check_timeout: float = DEFAULT_CHECK_TIMEOUT_SECONDS
    source: Path | None = None
    """The file read, or None for the defaults."""

    def check_argv(self) -> list[str] | None:
        """The check command as an argument list (None when no check is set)."""
        return shlex.split(self.check) if self.check else None


def load_pr_config(path: Path | None) -> PrConfig:
    """Read `[pr]` from a wishcraft.toml; the defaults when there is no file or no table."""
    try:
        config = read_config_file(path)
    except ConfigFileError as error:
        raise PrBadInput(str(error)) from None
    return pr_config_from(config)


def pr_config_from(config: ConfigFile) -> PrConfig:
    """The `[pr]` table of a parsed wishcraft.toml (`wishcraft.config`, the one reader)."""
    path = config.path
    if path is None:
        return PrConfig()
    table = config.table("pr")
    if not isinstance(table, dict):
        raise PrBadInput(
            f'{path}: [pr] must be a table, such as [pr] followed by remote = "origin".'
        )
    unknown = sorted(set(table) - set(KEYS))
    if unknown:
        raise PrBadInput(f"{path}: [pr] {unknown[0]} is not a known key; use {', '.join(KEYS)}.")
    remote = table.get("remote", DEFAULT_REMOTE)
    if not isinstance(remote, str) or not remote.strip() or remote.startswith("-"):
        raise PrBadInput(f'{path}: [pr] remote must be a remote\'s name, such as "origin".')
    draft = table.get("draft", True)
    if not isinstance(draft, bool):
        raise PrBadInput(f"{path}: [pr] draft must be true or false.")
    check = table.get("check")
    if check is not None:
        if not isinstance(check, str) or not check.strip():
            raise PrBadInput(
                f'{path}: [pr] check must be a command in quotes, such as "pytest -q".'
            )
        try:
            shlex.split(check)
        except ValueError as error:
            raise PrBadInput(
                f"{path}: [pr] check cannot be split into words ({error}); close its quotes."
            ) from None
    timeout = table.get("check_timeout", DEFAULT_CHECK_TIMEOUT_SECONDS)
    if isinstance(timeout, bool) or not isinstance(timeout, int | float) or timeout <= 0:
        raise PrBadInput(
            f"{path}: [pr] check_timeout must be a number of seconds above 0, such as 600."
        )
    return PrConfig(remote.strip(), draft, check, float(timeout), path)
