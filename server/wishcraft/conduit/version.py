"""The Codex version we present: the user's installed Codex when we know it.

The backend gates models on the client version (a `version` header below a model's
`minimal_client_version` gets "requires a newer version of Codex"), and the user's own Codex is
what the backend has seen from this machine. The same value goes in the `version` header, the
User-Agent and the `client_version` query of `/models`. First known wins:
1. `client_version` under `[conduit]` in data/config/wishcraft.toml;
2. `client_version` in `$CODEX_HOME/models_cache.json` (the Codex that wrote it);
3. `codex --version`, when `codex` is on PATH (asked once per process);
4. `BUILTIN_CLIENT_VERSION`.
"""

from __future__ import annotations

import functools
import logging
import re
import shutil
import subprocess
from dataclasses import dataclass

from wishcraft.conduit.catalog import read_cache_file
from wishcraft.conduit.config import ConduitConfig
from wishcraft.redaction import protect_logger

logger = protect_logger(logging.getLogger(__name__))

BUILTIN_CLIENT_VERSION = "0.169.0"
"""The newest Codex release when this was written (2026-11-30)."""
VERSION_SECONDS = 5.0
_VERSION = re.compile(r"\b(\d+\.\d+\.\d+)\b")
_ASKED: set[str] = set()
"""The executables asked for their version in this process (their answer is cached)."""


@dataclass(frozen=True, slots=True)
class ClientVersion:
    """A version and where it came from, in words."""

    version: str
    source: str


@functools.lru_cache(maxsize=4)
def installed_codex_version(executable: str | None) -> str | None:
    """What `codex --version` prints (`codex-cli 0.169.0` → `0.169.0`), or None."""
    if executable is None:
        return None
    _ASKED.add(executable)
    try:
        done = subprocess.run(
            [executable, "--version"],
            capture_output=True,
            text=True,
            timeout=VERSION_SECONDS,
            check=False,
        )
    except (OSError, subprocess.SubprocessError) as exc:
        logger.info("cannot ask %s for its version: %s", executable, exc)
        return None
    match = _VERSION.search(done.stdout or "")
    return match.group(1) if done.returncode == 0 and match else None


def resolve_client_version(config: ConduitConfig, *, probe: bool = True) -> ClientVersion:
    """The version to present, and where it came from. `probe=False` asks `codex --version`
    only if it was asked before (hover must not wait for a process)."""
    if config.client_version:
        return ClientVersion(
            config.client_version, config.source_of("client_version") or "the configuration"
        )
    cached = read_cache_file(config.codex_home)
    if cached is not None and cached.client_version:
        return ClientVersion(cached.client_version, "the Codex model cache")
    executable = shutil.which("codex")
    known = probe or executable in _ASKED
    installed = installed_codex_version(executable) if known else None
    if installed:
        return ClientVersion(installed, "`codex --version`")
    return ClientVersion(BUILTIN_CLIENT_VERSION, "the built-in default")
