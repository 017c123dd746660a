"""Which repositories the user trusts to run the commands their own configuration names.

A repository is somebody else's input until its user says otherwise. Its
`data/config/wishcraft.toml` may name commands (`[pr] check`), and those run only in a
repository the user has trusted with `wishcraft trust`. Trust is kept in the user's own scope
(`user_config_dir() / "trusted.json"`), never in the repository, and is bound to the content
of wishcraft.toml at the time, as `direnv allow` binds to the `.envrc`'s hash: a changed
wishcraft.toml (a pull, a model's edit) needs trusting again.

The store is one JSON object, written whole to a temporary file and renamed over the old one:

    {"version": 1, "repositories": {"/abs/root": {"wishcraft_toml_sha256": "…",
                                                 "trusted_at": "2026-12-05T11:00:00Z"}}}

A store that cannot be read trusts nothing (fail closed); the sentence says what to fix.
Settings that decide where credentials go are never taken from a repository, trusted or not
(`wishcraft.conduit.config.REPOSITORY_KEYS`).
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import Enum
from pathlib import Path
from typing import Any

from wishcraft.config import CONFIG_RELATIVE, config_root, find_config_file

STORE_NAME = "trusted.json"
STORE_VERSION = 1
NO_CONFIG = "none"
"""The digest recorded for a repository with no wishcraft.toml (adding one needs trust again)."""


class TrustError(ValueError):
    """The trust store cannot be read or written; the message says what to fix."""


class Trust(Enum):
    """Whether the user trusts a repository's configuration as it is now."""

    TRUSTED = "trusted"
    UNTRUSTED = "untrusted"
    CHANGED = "changed"
    """Trusted once, but wishcraft.toml changed since."""


@dataclass(frozen=True, slots=True)
class TrustedRepository:
    """One entry of the store."""

    root: Path
    digest: str
    trusted_at: str


def user_config_dir(env: Mapping[str, str] | None = None) -> Path:
    """The user's own wishcraft folder: `$XDG_CONFIG_HOME/wishcraft`, else
    `~/.config/wishcraft` (`%APPDATA%\\wishcraft` on Windows).

    The same folder as `wishcraft.conduit.config.user_config_file`'s (a test checks it)."""
    env = os.environ if env is None else env
    base = env.get("XDG_CONFIG_HOME")
    if not base and os.name == "nt" and env.get("APPDATA"):
        base = env["APPDATA"]
    if not base:
        home = env.get("HOME") or env.get("USERPROFILE")
        base = str(Path(home) / ".config") if home else str(Path.home() / ".config")
    return Path(base).expanduser() / "wishcraft"


def store_path(env: Mapping[str, str] | None = None) -> Path:
    """Where trust is recorded."""
    return user_config_dir(env) / STORE_NAME


def repository_root(start: Path) -> Path:
    """The root a trust entry names: the folder holding `data/config/wishcraft.toml`, found from
    `start` upward as every command finds it, else `start` itself; symlinks resolved."""
    folder = Path(os.path.realpath(start))
    if not folder.is_dir():
        folder = folder.parent
    found = find_config_file(folder)
    return config_root(found) if found is not None else folder


def config_bytes(root: Path) -> bytes | None:
    """The bytes of the repository's wishcraft.toml, or None when it has none."""
    try:
        return (root / CONFIG_RELATIVE).read_bytes()
    except FileNotFoundError:
        return None
    except OSError as error:
        raise TrustError(
            f"Cannot read {root / CONFIG_RELATIVE} ({error.strerror or error}); fix its "
            "permissions, then run `wishcraft trust` again."
        ) from None


def digest_of(data: bytes | None) -> str:
    """The digest trust records for a wishcraft.toml's bytes (`NO_CONFIG` for none)."""
    return NO_CONFIG if data is None else hashlib.sha256(data).hexdigest()


def config_digest(root: Path) -> str:
    """The SHA-256 of the repository's wishcraft.toml, or `NO_CONFIG` when it has none."""
    return digest_of(config_bytes(root))


def _load(path: Path) -> dict[str, Any]:
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return {}
    except (OSError, UnicodeDecodeError) as error:
        raise TrustError(
            f"Cannot read the trust store {path} ({getattr(error, 'strerror', None) or error}); "
            "fix its permissions or delete it and trust your repositories again."
        ) from None
    try:
        data = json.loads(text)
    except json.JSONDecodeError:
        data = None
    repositories = data.get("repositories") if isinstance(data, dict) else None
    if not isinstance(repositories, dict) or not all(
        isinstance(entry, dict) and isinstance(entry.get("wishcraft_toml_sha256"), str)
        for entry in repositories.values()
    ):
        raise TrustError(
            f"The trust store {path} is not one wishcraft wrote; delete it and trust your "
            "repositories again with `wishcraft trust`."
        )
    return repositories


def _save(path: Path, repositories: Mapping[str, Any]) -> None:
    text = json.dumps(
        {"version": STORE_VERSION, "repositories": dict(sorted(repositories.items()))}, indent=2
    )
    try:
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        handle, temporary = tempfile.mkstemp(prefix=".trusted-", dir=path.parent)
        try:
            with os.fdopen(handle, "w", encoding="utf-8") as stream:
                stream.write(text + "\n")
                stream.flush()
                os.fsync(stream.fileno())
            os.replace(temporary, path)
        except BaseException:
            with contextlib.suppress(OSError):
                os.unlink(temporary)
            raise
    except OSError as error:
        raise TrustError(
            f"Cannot write the trust store {path} ({error.strerror or error}); make its "
            "folder writable and try again."
        ) from None


def trust(
    start: Path, env: Mapping[str, str] | None = None, *, shown_digest: str | None = None
) -> TrustedRepository:
    """Trust the repository holding `start`, as its wishcraft.toml is now.

    `shown_digest` is the digest of the file the user was shown when they said yes (the
    editor's question): a file that changed while the question was open is not trusted, since
    the user never saw what it now runs."""
    root = repository_root(start)
    digest = config_digest(root)
    if shown_digest is not None and digest != shown_digest:
        raise TrustError(
            f"{CONFIG_RELATIVE} of {root.name} changed while you were asked, so it is not "
            "trusted; read it again, then trust the repository again."
        )
    path = store_path(env)
    repositories = _load(path)
    entry = {
        "wishcraft_toml_sha256": digest,
        "trusted_at": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
    }
    repositories[str(root)] = entry
    _save(path, repositories)
    return TrustedRepository(root, digest, entry["trusted_at"])


def revoke(start: Path, env: Mapping[str, str] | None = None) -> Path | None:
    """Forget the repository holding `start`; its root, or None when it was not trusted."""
    root = repository_root(start)
    path = store_path(env)
    repositories = _load(path)
    if repositories.pop(str(root), None) is None:
        return None
    _save(path, repositories)
    return root


def trusted_repositories(env: Mapping[str, str] | None = None) -> list[TrustedRepository]:
    """Every trusted repository, by path."""
    return [
        TrustedRepository(Path(root), entry["wishcraft_toml_sha256"], str(entry.get("trusted_at")))
        for root, entry in sorted(_load(store_path(env)).items())
    ]


def trust_of(
    start: Path, env: Mapping[str, str] | None = None, *, digest: str | None = None
) -> Trust:
    """Whether the repository holding `start` is trusted with its wishcraft.toml as it is now
    (or as `digest` says it is, when the caller has just read it).

    A store or a wishcraft.toml that cannot be read raises `TrustError`: the caller refuses.
    """
    root = repository_root(start)
    entry = _load(store_path(env)).get(str(root))
    if entry is None:
        return Trust.UNTRUSTED
    if entry["wishcraft_toml_sha256"] != (digest if digest is not None else config_digest(root)):
        return Trust.CHANGED
    return Trust.TRUSTED


def untrusted_message(setting: str, state: Trust, root: Path) -> str:
    """The sentence for a repository setting that needs trust the repository lacks."""
    if state is Trust.CHANGED:
        why = "its data/config/wishcraft.toml changed since you trusted it"
    else:
        why = "the repository is not trusted"
    return (
        f"{setting} in data/config/wishcraft.toml runs only in a trusted repository, and {why}; "
        f"read that file, then run `wishcraft trust {root}`."
    )
