"""Where undo state lives, and why it can be believed: the user's own folder, sealed records.

Undo records (anchors) and journals say which files to write and with what. Anything in the
repository can be written by whoever wrote the repository (a clone, a pull request, a model's
patch), so none of it is read from there. They live in the user's state folder, keyed by the
workspace:

    <state home>/repos/<first 16 hex digits of sha256(the workspace's real path)>/
        <anchor>.json, <anchor>.undone.json, journal/<id>.json, .lock

`<state home>` is `$WISHCRAFT_STATE_DIR` when set (tests), else platformdirs'
`user_state_dir("wishcraft")` (`~/.local/state/wishcraft` on Linux, `~/Library/Application
Support/wishcraft` on macOS, `%LOCALAPPDATA%\\wishcraft` on Windows). Folders are made 0700.

Every record is sealed: its first line is `wishcraft-undo-v1 <HMAC-SHA256>` over its kind
(`anchor`, `undone`, `journal`), its file name and its text, with a 32-byte key made once per
user (`<state home>/key`, 0600). A record that another process edited, or one copied from
elsewhere or renamed, does not verify and is never acted on (`UntrustedRecord`).

Records under the ledger's `anchors/` folder in the repository (where they lived before) are
ignored: they were not migrated, because nothing says who wrote them. `legacy_note` says so,
once per workspace.
"""

from __future__ import annotations

import contextlib
import hashlib
import hmac
import os
import secrets
import stat
from pathlib import Path

import platformdirs

STATE_ENV = "WISHCRAFT_STATE_DIR"
"""Overrides the state home (for tests, or a user who wants it elsewhere)."""
SEAL_TAG = "wishcraft-undo-v1"
KEY_NAME = "key"
KEY_BYTES = 32
REPOS_FOLDER = "repos"
REPO_KEY_DIGITS = 16
LEGACY_NOTED = "legacy-noted"
"""Present in a workspace's state folder once the old in-tree records have been mentioned."""


class UntrustedRecord(ValueError):
    """A record that is not sealed by this user's key for this name: never acted on."""


class StateFolderError(OSError):
    """The state folder or its key is not private to this user; `str()` names the fix."""


def state_home() -> Path:
    """The folder of all undo state: `$WISHCRAFT_STATE_DIR`, else the user's state folder."""
    configured = os.environ.get(STATE_ENV)
    if configured:
        return Path(configured).expanduser()
    return Path(platformdirs.user_state_dir("wishcraft", appauthor=False))


def workspace_key(root: Path) -> str:
    """The workspace's folder name under `repos/`: a prefix of its real path's SHA-256."""
    real = os.path.realpath(root)
    return hashlib.sha256(real.encode("utf-8", "surrogateescape")).hexdigest()[:REPO_KEY_DIGITS]


def state_dir_for(root: Path) -> Path:
    """The undo state folder of the workspace at `root` (not created here)."""
    return state_home() / REPOS_FOLDER / workspace_key(root)


def ensure_private(folder: Path) -> None:
    """Create `folder` (and its parents) as needed, and make sure it is this user's alone.

    A folder that is a symbolic link, or owned by someone else, is refused
    (`StateFolderError`); one that others may read is narrowed to 0700, since it is ours.
    """
    folder.mkdir(mode=0o700, parents=True, exist_ok=True)
    info = os.lstat(folder)
    if stat.S_ISLNK(info.st_mode) or not stat.S_ISDIR(info.st_mode):
        raise StateFolderError(
            f"The undo state folder {folder} is not a plain folder; remove it and run again."
        )
    if hasattr(os, "getuid") and info.st_uid != os.getuid():
        raise StateFolderError(
            f"The undo state folder {folder} belongs to another user; set {STATE_ENV} to a "
            "folder of your own."
        )
    if os.name == "posix" and info.st_mode & 0o077:
        os.chmod(folder, 0o700)


def _key() -> bytes:
    """This user's sealing key, made on first use (0600, never through a link)."""
    home = state_home()
    ensure_private(home)
    path = home / KEY_NAME
    nofollow = getattr(os, "O_NOFOLLOW", 0)
    try:
        handle = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | nofollow, 0o600)
    except FileExistsError:
        pass
    else:
        with os.fdopen(handle, "wb") as stream:
            stream.write(secrets.token_hex(KEY_BYTES).encode("ascii"))
            stream.flush()
            os.fsync(stream.fileno())
    try:
        handle = os.open(path, os.O_RDONLY | nofollow)
    except OSError as error:
        raise StateFolderError(
            f"The undo state key {path} cannot be read ({error.strerror}); remove it and run again."
        ) from error
    with os.fdopen(handle, "rb") as stream:
        info = os.fstat(stream.fileno())
        private = not hasattr(os, "getuid") or (
            info.st_uid == os.getuid() and not info.st_mode & 0o077
        )
        if not stat.S_ISREG(info.st_mode) or not private:
            raise StateFolderError(
                f"The undo state key {path} may be read or written by others; remove it and "
                "run again (a new key is made; records sealed with the old one are then "
                "ignored)."
            )
        text = stream.read(KEY_BYTES * 2 + 1).decode("ascii", "replace").strip()
    if len(text) != KEY_BYTES * 2:
        raise StateFolderError(
            f"The undo state key {path} is damaged; remove it and run again (records sealed "
            "with the old one are then ignored)."
        )
    return bytes.fromhex(text)


def _mac(kind: str, name: str, body: str) -> str:
    message = f"{kind}\0{name}\0".encode() + body.encode("utf-8", "surrogateescape")
    return hmac.new(_key(), message, hashlib.sha256).hexdigest()


def seal(kind: str, name: str, body: str) -> str:
    """The text to store for the record `name` of `kind`: the seal line, then `body`."""
    return f"{SEAL_TAG} {_mac(kind, name, body)}\n{body}"


def unseal(kind: str, name: str, text: str) -> str:
    """The body of a sealed record, or `UntrustedRecord` when its seal does not verify."""
    head, newline, body = text.partition("\n")
    tag, _, mac = head.partition(" ")
    if not newline or tag != SEAL_TAG:
        raise UntrustedRecord(f"{name} is not sealed by wishcraft")
    if not hmac.compare_digest(mac.encode("ascii", "replace"), _mac(kind, name, body).encode()):
        raise UntrustedRecord(f"{name}'s seal does not match this user's key")
    return body


def legacy_records(ledger_folder: Path) -> Path | None:
    """The old in-tree undo folder (`anchors/` beside the ledger) when it holds records."""
    folder = ledger_folder / "anchors"
    with contextlib.suppress(OSError):
        if folder.is_dir() and not folder.is_symlink():
            if any(folder.glob("*.json")) or any((folder / "journal").glob("*.json")):
                return folder
    return None


def legacy_note(ledger_folder: Path, state_dir: Path) -> str | None:
    """Once per workspace: the sentence saying that old in-tree records are no longer read."""
    old = legacy_records(ledger_folder)
    if old is None:
        return None
    marker = state_dir / LEGACY_NOTED
    if marker.exists():
        return None
    with contextlib.suppress(OSError):
        ensure_private(state_dir)
        marker.touch()
    return (
        f"undo records under {old} are no longer read (anyone who can write the repository "
        f"could have written them); this workspace's undo state now lives in {state_dir}."
    )


def interrupted_state_dirs() -> list[Path]:
    """The workspaces' state folders holding a journal to finish: an apply or undo that was
    killed. Cheap (a few folder listings, nothing read), so every command can ask first."""
    found: list[Path] = []
    with contextlib.suppress(OSError):
        for repo in os.scandir(state_home() / REPOS_FOLDER):
            with contextlib.suppress(OSError):
                if any(
                    entry.name.endswith(".json") and not entry.name.endswith(".conflict.json")
                    for entry in os.scandir(Path(repo.path) / "journal")
                ):
                    found.append(Path(repo.path))
    return sorted(found)
