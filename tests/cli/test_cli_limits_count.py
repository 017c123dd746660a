"""Limits count the calls that reached a model, from the terminal (issue 21, item 6).

The apply conduit of the test registry allows 3 calls per wish (`per_wish_calls: 3`), as the
user's did. Subprocesses of the real CLI, a loopback Codex answering each apply with a read and a
patch, a workspace on disk: apply and undo three times, then a fourth apply. Before, the undos
counted too and the second apply's rollback used up the wish.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

from testkit.apply_ws import APPLY_ID, UPDATE, make_workspace, read_then_patch, tree
from testkit.codex_home import write_codex_home
from testkit.loopback import LoopbackCodex
from wishcraft.ledger import verify

WISH_KEY = "data/wishes/lamps.wish.yaml"


def wishcraft(root: Path, codex: LoopbackCodex, *args: str) -> subprocess.CompletedProcess[str]:
    env = {
        **os.environ,
        "CODEX_HOME": str(write_codex_home(root.parent / "home")),
        "CHATGPT_BASE_URL": codex.base_url,
        "CODEX_REFRESH_TOKEN_URL_OVERRIDE": codex.refresh_url,
        "XDG_CACHE_HOME": str(root.parent / "cache"),
    }
    return subprocess.run(
        [sys.executable, "-m", "wishcraft.cli", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        cwd=root,
        stdin=subprocess.DEVNULL,
    )


def exchanges(codex: LoopbackCodex) -> int:
    """The model calls the loopback answered: each starts with a request that answers no tool."""
    return sum(
        1
        for request in codex.route_requests("responses")
        if not any(item.get("type") == "function_call_output" for item in request.json["input"])
    )


def stored(root: Path) -> list[dict[str, Any]]:
    path = root / "data" / "ledger" / "wishes.jsonl"
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


def test_rollbacks_never_count_so_three_calls_make_three_applies(
    tmp_path: Path, codex: LoopbackCodex
) -> None:
    root = tmp_path / "ws"
    make_workspace(root)
    before = tree(root)
    for _ in range(3):
        codex.clear()  # the loopback repeats its last answer: queue each apply's own three
        codex.enqueue("responses", *read_then_patch(UPDATE))
        done = wishcraft(root, codex, "apply", str(root / WISH_KEY), "--yes")
        assert done.returncode == 0, done.stderr
        anchor = next(word for word in done.stderr.split() if word.startswith("A-")).rstrip(";.")
        undone = wishcraft(root, codex, "rollback", anchor)
        assert undone.returncode == 0, undone.stderr
        assert tree(root) == before
    assert exchanges(codex) == 3
    refused = wishcraft(root, codex, "apply", str(root / WISH_KEY), "--yes")
    assert refused.returncode == 3, refused.stderr
    assert "used all 3 of its" in refused.stderr
    assert exchanges(codex) == 3  # 0 requests reach Codex once the wish's calls are spent
    lines = stored(root)
    counted = [line for line in lines if line["counted"]]
    assert len(counted) == exchanges(codex) == 3
    assert {(line["action"], line["outcome"]) for line in counted} == {("apply", "complete")}
    assert all(not line["counted"] for line in lines if line["action"] == "rollback")
    assert verify(root / "data" / "ledger" / "wishes.jsonl").ok
    table = wishcraft(root, codex, "ledger")
    header, *rows = table.stdout.splitlines()
    column = header.split().index("counted")
    shown = [(row.split()[2], row.split()[4], row.split()[column]) for row in rows]
    assert shown.count(("apply", "complete", "yes")) == 3
    assert shown.count(("rollback", "complete", "no")) == 3
    assert shown.count(("apply", "pending", "no")) == 3
    assert all(row.split()[1] == APPLY_ID for row in rows)


def test_a_dry_run_then_an_apply_count_the_model_calls_made(
    tmp_path: Path, codex: LoopbackCodex
) -> None:
    """Whatever the apply after a dry run does (a fresh exchange, or the staged patch reused
    with no model call), the counted lines equal the model calls Codex answered."""
    root = tmp_path / "ws"
    make_workspace(root)
    codex.enqueue("responses", *read_then_patch(UPDATE), *read_then_patch(UPDATE))
    dry = wishcraft(root, codex, "apply", str(root / WISH_KEY), "--dry-run")
    assert dry.returncode == 0, dry.stderr
    done = wishcraft(root, codex, "apply", str(root / WISH_KEY), "--yes")
    assert done.returncode == 0, done.stderr
    counted = [line for line in stored(root) if line["counted"]]
    assert len(counted) == exchanges(codex) >= 1
    as_json = wishcraft(root, codex, "ledger", "--format", "json")
    assert [json.loads(line)["counted"] for line in as_json.stdout.splitlines()] == [
        line["counted"] for line in stored(root)
    ]
