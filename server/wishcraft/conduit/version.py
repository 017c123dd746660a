"""The Codex version we present: the newest Codex we can see on this machine.

The backend gates models on the client version (a `version` header below a model's
`minimal_client_version` gets "requires a newer version of Codex"), and Codex drops
`minimal_client_version` from the models cache it writes, so we cannot check that gate
ourselves: presenting the newest version the user has is what keeps the default model usable.
The same value goes in the `version` header, the User-Agent and the `client_version` query of
`/models`. In order:
1. `client_version` under `[conduit]` in data/config/wishcraft.toml (the user said so);
2. the installed `codex --version`, when it is newer than the cache's `client_version` (a
   cache written by an older Codex outlives its upgrade);
3. `client_version` in `$CODEX_HOME/models_cache.json` (the Codex that wrote it);
4. `BUILTIN_CLIENT_VERSION`.

`codex --version` is asked once per binary: the answer is kept by the binary's path and
modification time, so an upgrade is seen and the editor never waits on the same binary twice.
"""

from __future__ import annotations

import logging
import os
import re
import shutil
import subprocess
import threading
from dataclasses import dataclass

from wishcraft.conduit.catalog import read_cache_file, version_tuple
from wishcraft.conduit.config import ConduitConfig
from wishcraft.redaction import protect_logger

logger = protect_logger(logging.getLogger(__name__))

BUILTIN_CLIENT_VERSION = "0.171.0"
"""The newest Codex release when this was written (2026-12-05)."""
VERSION_SECONDS = 5.0
_VERSION = re.compile(r"\b(\d+\.\d+\.\d+)\b")
_ANSWERS: dict[tuple[str, int], str | None] = {}
"""`codex --version` by (the binary's real path, its mtime in ns): None when it gave none."""
_LOCK = threading.Lock()


@dataclass(frozen=True, slots=True)
class ClientVersion:
    """A version and where it came from, in words."""

    version: str
    source: str


def _binary_key(executable: str) -> tuple[str, int] | None:
    """(real path, mtime in ns) of an executable, or None when it cannot be read."""
    try:
        real = os.path.realpath(executable)
        return real, os.stat(real).st_mtime_ns
    except OSError:
        return None


def installed_codex_version(executable: str | None, *, probe: bool = True) -> str | None:
    """What `codex --version` prints (`codex-cli 0.171.0` → `0.171.0`), or None.

    Asked once per (path, modification time); `probe=False` only reads a kept answer."""
    if executable is None:
        return None
    key = _binary_key(executable)
    if key is None:
        return None
    with _LOCK:
        if key in _ANSWERS or not probe:
            return _ANSWERS.get(key)
    try:
        done = subprocess.run(
            [executable, "--version"],
            capture_output=True,
            text=True,
            timeout=VERSION_SECONDS,
            check=False,
        )
        match = _VERSION.search(done.stdout or "")
        answer = match.group(1) if done.returncode == 0 and match else None
    except (OSError, subprocess.SubprocessError) as exc:
        logger.info("cannot ask %s for its version: %s", executable, exc)
        answer = None
    with _LOCK:
        _ANSWERS[key] = answer
    return answer


def resolve_client_version(config: ConduitConfig, *, probe: bool = True) -> ClientVersion:
    """The version to present, and where it came from. `probe=False` runs no process (hover
    must not wait for one): it uses `codex --version` only when that binary was asked before."""
    if config.client_version:
        return ClientVersion(
            config.client_version, config.source_of("client_version") or "the configuration"
        )
    cached = read_cache_file(config.codex_home)
    from_cache = cached.client_version if cached is not None else None
    installed = installed_codex_version(shutil.which("codex"), probe=probe)
    if installed and (not from_cache or version_tuple(installed) > version_tuple(from_cache)):
        return ClientVersion(installed, "`codex --version`")
    if from_cache:
        return ClientVersion(from_cache, "the Codex model cache")
    return ClientVersion(BUILTIN_CLIENT_VERSION, "the built-in default")
