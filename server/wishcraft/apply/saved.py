"""A staged patch kept for its apply, like a saved Terraform plan: review once, apply that.

`wishcraft apply --dry-run` (and any apply that stops before the files: declined, no terminal)
keeps what it staged: `<wish>.patch`, the unified diff to review, beside the wish; and a record
of what that patch was made from, in the workspace's undo state folder (the user's, sealed with
the user's key like the undo records, so a record planted in the repository is never trusted):

- the sha256 of the wish's text, of the plan artifact's text and of the `.patch` file's text;
- the sha256 of every file the patch touches, as its bytes were on disk (absent: null);
- the patch itself in its canonical form (`patch.render`) and its `diff_hash`.

The next `wishcraft apply` (or the editor's "Apply plan") reuses it, with no model call, when
every hash is unchanged and the canonical patch, staged again against the workspace with
today's scope and policy, gives byte for byte the reviewed diff. Otherwise `check` says which
one changed first (the wish, the plan, the patch file, a file it touches) and the apply asks
Codex again. `--fresh` never reuses. An applied patch's record is removed (`forget`).
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import logging
import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from wishcraft.apply.errors import ApplyError
from wishcraft.apply.patch import render
from wishcraft.apply.stage import StagedChange
from wishcraft.fileio import write_atomically
from wishcraft.redaction import protect_logger
from wishcraft.undo_state import UntrustedRecord, ensure_private, seal, unseal

logger = protect_logger(logging.getLogger(__name__))

FORMAT = "wishcraft-staged-patch/1"
FOLDER = "staged"
"""The records' folder inside the workspace's undo state folder."""
KIND = "staged"
"""The seal's record kind: a staged record is never read as an undo record, nor the reverse."""


@dataclass(frozen=True, slots=True)
class Keys:
    """What a staged patch is tied to: the wish, its plan, where they are, and the state folder."""

    wish_path: Path
    wish_hash: str
    plan_hash: str
    patch_path: Path
    state_dir: Path


@dataclass(frozen=True, slots=True)
class Reuse:
    """`check`'s answer: the staged change to apply again, or why there is none to reuse.

    `changed` is None when there was no record at all (nothing to say), else the sentence part
    naming what changed ("the plan changed since the patch was staged")."""

    staged: StagedChange | None
    changed: str | None = None


def record_path(keys: Keys) -> Path:
    """The wish's record: `staged/<sha256 of the wish's path, 16 digits>.json`."""
    name = hashlib.sha256(str(keys.wish_path).encode("utf-8", "surrogateescape")).hexdigest()
    return keys.state_dir / FOLDER / f"{name[:16]}.json"


def file_hash(root: Path, path: str) -> str | None:
    """sha256 (hex) of a workspace file's bytes; None when it is absent."""
    try:
        return hashlib.sha256((root / path).read_bytes()).hexdigest()
    except FileNotFoundError:
        return None


def text_sha(text: str) -> str:
    """sha256 (hex) of a text's UTF-8 bytes."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def save(keys: Keys, staged: StagedChange) -> None:
    """Keep the record of `staged`, whose diff is the `.patch` just written; raises `OSError`.

    The file hashes are taken now: staging read these files a moment ago, and a file changed in
    between is caught by `check` restaging the patch (its diff would differ)."""
    body = {
        "format": FORMAT,
        "wish": str(keys.wish_path),
        "wish_hash": keys.wish_hash,
        "plan_hash": keys.plan_hash,
        "patch_sha256": text_sha(staged.diff),
        "diff_hash": staged.diff_hash,
        "files": {change.path: file_hash(staged.root, change.path) for change in staged.files},
        "patch": render(staged.patch),
    }
    path = record_path(keys)
    ensure_private(path.parent)
    text = json.dumps(body, ensure_ascii=False, indent=1) + "\n"
    write_atomically(path, seal(KIND, path.name, text), mode=0o600)


def forget(keys: Keys) -> None:
    """Remove the wish's record (its patch was applied, or a fresh one replaces it)."""
    with contextlib.suppress(OSError):
        os.unlink(record_path(keys))


def check(keys: Keys, root: Path, restage: Callable[[str], StagedChange]) -> Reuse:
    """The kept change to apply again, or which input changed since it was staged.

    `restage` stages the canonical patch text again against the workspace `root` with the
    apply's scope and policy (`pipeline.restage`); its refusal means "asks again" too."""
    body = _read(keys)
    if body is None:
        return Reuse(None)
    if body.get("wish") != str(keys.wish_path) or body.get("wish_hash") != keys.wish_hash:
        return Reuse(None, "the wish changed since its patch was staged")
    if body.get("plan_hash") != keys.plan_hash:
        return Reuse(None, "the plan changed since the patch was staged")
    try:
        reviewed = keys.patch_path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return Reuse(None, f"{keys.patch_path.name} is gone or unreadable")
    if text_sha(reviewed) != body.get("patch_sha256"):
        return Reuse(None, f"{keys.patch_path.name} was edited since it was staged")
    files = body.get("files")
    if not isinstance(files, dict) or not files:
        return Reuse(None, "the staged patch's record is incomplete")
    for path, digest in files.items():
        if not isinstance(path, str) or file_hash(root, path) != digest:
            return Reuse(None, f"{path} changed since the patch was staged")
    patch = body.get("patch")
    if not isinstance(patch, str):
        return Reuse(None, "the staged patch's record is incomplete")
    try:
        staged = restage(patch)
    except ApplyError as error:
        logger.info("the staged patch no longer stages: %s", error)
        return Reuse(None, f"the staged patch no longer applies ({error})")
    if staged.diff != reviewed or staged.diff_hash != body.get("diff_hash"):
        return Reuse(None, "the staged patch no longer gives the reviewed diff")
    return Reuse(staged)


def _read(keys: Keys) -> dict[str, Any] | None:
    """The record's body, or None when there is none or it cannot be trusted (logged)."""
    path = record_path(keys)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return None
    except (OSError, UnicodeDecodeError) as error:
        logger.info("staged record %s unreadable: %s", path, error)
        return None
    try:
        body = json.loads(unseal(KIND, path.name, text))
    except (UntrustedRecord, ValueError) as error:
        logger.warning("staged record %s is not trusted: %s", path, error)
        return None
    if not isinstance(body, dict) or body.get("format") != FORMAT:
        return None
    return body
