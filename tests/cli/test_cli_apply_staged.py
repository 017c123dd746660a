"""One reviewed patch from dry run to apply (issue 21 item 5), as users run it: subprocesses of
`wishcraft apply` against the loopback Codex server, which counts every request it gets.

Properties held:
- after `--dry-run`, `wishcraft apply` makes 0 model requests and writes byte for byte the
  staged patch: `git apply` of the reviewed `<wish>.patch` on a copy of the tree gives the same
  files, and the ledger names the same `diff_hash`;
- a changed file, wish or plan (or an edited `.patch`, or `--fresh`) forces a fresh exchange,
  and the message names which one changed;
- a record whose seal does not verify is never reused;
- `--format json` prints one JSON object on stdout and nothing else.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from testkit.apply_ws import (
    ALL,
    UPDATE,
    WISH_TEXT,
    read_then_patch,
    tree,
    write_plan,
)
from testkit.loopback import LoopbackCodex, custom_tool_call_item, sse, tool_call_transcript
from testkit.signals import interruptible
from wishcraft.undo_state import state_dir_for


def wish_of(root: Path) -> Path:
    return root / "data" / "wishes" / "lamps.wish.yaml"


def run(
    root: Path, home: Path, codex: LoopbackCodex, *args: str
) -> subprocess.CompletedProcess[str]:
    env = {
        **os.environ,
        "CODEX_HOME": str(home),
        "CHATGPT_BASE_URL": codex.base_url,
        "CODEX_REFRESH_TOKEN_URL_OVERRIDE": codex.refresh_url,
    }
    return subprocess.run(
        [sys.executable, "-m", "wishcraft.cli", "apply", str(wish_of(root)), *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        cwd=root,
        stdin=subprocess.DEVNULL,
    )


def ledger(root: Path) -> list[dict[str, Any]]:
    path = root / "data" / "ledger" / "wishes.jsonl"
    return [json.loads(line) for line in path.read_text().splitlines()] if path.exists() else []


EXCHANGE_REQUESTS = 3
"""`read_then_patch` is three responses: a read, the patch, the final message."""


def requests(codex: LoopbackCodex) -> int:
    return len(codex.route_requests("responses"))


def patch_file(root: Path) -> Path:
    return root / "data" / "wishes" / "lamps.wish.patch"


def dry_run(ws: Path, home: Path, codex: LoopbackCodex, patch: str = ALL) -> str:
    """Stage `patch` with a dry run; return the reviewed diff."""
    codex.enqueue("responses", *read_then_patch(patch))
    done = run(ws, home, codex, "--dry-run")
    assert done.returncode == 0, done.stderr
    assert "dry run: nothing was applied" in done.stderr
    assert requests(codex) == EXCHANGE_REQUESTS
    codex.clear()  # the loopback repeats its last answer; a fresh exchange gets its own
    return patch_file(ws).read_text()


def git_applied(root: Path, before: Path, diff: str) -> dict[str, str]:
    """The tree `git apply` makes of `before` (a copy) with the reviewed diff."""
    copy = root.parent / "by-git"
    shutil.copytree(before, copy)
    subprocess.run(["git", "init", "-q", str(copy)], check=True)
    subprocess.run(["git", "apply", "-"], input=diff, text=True, cwd=copy, check=True)
    shutil.rmtree(copy / ".git")
    return tree(copy)


def test_apply_after_a_dry_run_makes_no_model_call_and_writes_the_staged_patch(
    ws: Path, home: Path, codex: LoopbackCodex, tmp_path: Path
) -> None:
    pristine = tmp_path / "pristine"
    shutil.copytree(ws, pristine)
    reviewed = dry_run(ws, home, codex)
    staged_line = ledger(ws)[-1]

    done = run(ws, home, codex, "--yes")
    assert done.returncode == 0, done.stderr
    assert requests(codex) == EXCHANGE_REQUESTS  # 0 more: the staged patch was applied
    assert "Reusing the staged patch lamps.wish.patch: no model call." in done.stderr
    assert done.stdout == reviewed and patch_file(ws).read_text() == reviewed
    assert tree(ws) == git_applied(ws, pristine, reviewed)
    pending, applied = [line for line in ledger(ws) if line["anchor_id"]]
    assert applied["outcome"] == "complete" and applied["diff_hash"] == staged_line["diff_hash"]
    assert applied["request_id"] is None and applied["tokens_used"] is None  # no call made
    assert applied["summary"].endswith("(the staged patch, reused: no model call).")
    # Applied: the record is spent; the next apply asks again (here: refused files, no reuse).
    assert not list((state_dir_for(ws) / "staged").glob("*.json"))


def change_lamps_neighbour(ws: Path) -> str:
    (ws / "src" / "old.py").write_text("unused = False\n")
    return "src/old.py changed since the patch was staged"


def change_wish(ws: Path) -> str:
    text = WISH_TEXT + "# reviewed once more\n"
    wish_of(ws).write_text(text)
    write_plan(wish_of(ws), text)
    return "the wish changed since its patch was staged"


def change_plan(ws: Path) -> str:
    plan = ws / "data" / "wishes" / "lamps.wish.plan.json"
    data = json.loads(plan.read_text())
    data["notes"] = [*data.get("notes", []), "Planned again."]
    plan.write_text(json.dumps(data))
    return "the plan changed since the patch was staged"


def edit_patch(ws: Path) -> str:
    patch_file(ws).write_text(patch_file(ws).read_text().replace("+lamps = 3", "+lamps = 30"))
    return "lamps.wish.patch was edited since it was staged"


@pytest.mark.parametrize(
    "change",
    [change_lamps_neighbour, change_wish, change_plan, edit_patch],
    ids=["file", "wish", "plan", "patch"],
)
def test_a_changed_input_forces_a_fresh_exchange_naming_it(
    ws: Path, home: Path, codex: LoopbackCodex, change: Any
) -> None:
    dry_run(ws, home, codex)
    said = change(ws)
    codex.enqueue("responses", *read_then_patch(ALL))
    done = run(ws, home, codex, "--yes")
    assert done.returncode == 0, done.stderr
    assert f"Not reusing the staged patch: {said}; asking again." in done.stderr
    assert requests(codex) == 2 * EXCHANGE_REQUESTS
    assert (ws / "src" / "lamps.py").read_text() == "lamps = 3\nlit = False\n"


def test_fresh_always_asks_again(ws: Path, home: Path, codex: LoopbackCodex) -> None:
    dry_run(ws, home, codex)
    codex.enqueue("responses", *read_then_patch(ALL))
    done = run(ws, home, codex, "--yes", "--fresh")
    assert done.returncode == 0, done.stderr
    assert requests(codex) == 2 * EXCHANGE_REQUESTS
    assert "Reusing" not in done.stderr


def test_a_record_whose_seal_fails_is_never_reused(
    ws: Path, home: Path, codex: LoopbackCodex
) -> None:
    dry_run(ws, home, codex, UPDATE)
    (record,) = (state_dir_for(ws) / "staged").glob("*.json")
    record.write_text(record.read_text().replace("+lamps = 3", "+lamps = 9"))
    codex.enqueue("responses", *read_then_patch(UPDATE))
    done = run(ws, home, codex, "--yes")
    assert done.returncode == 0, done.stderr
    assert requests(codex) == 2 * EXCHANGE_REQUESTS
    assert (ws / "src" / "lamps.py").read_text() == "lamps = 3\nlit = False\n"


def test_no_terminal_then_yes_applies_the_patch_that_was_shown(
    ws: Path, home: Path, codex: LoopbackCodex
) -> None:
    codex.enqueue("responses", *read_then_patch(UPDATE))
    shown = run(ws, home, codex)
    assert shown.returncode == 2 and "run again with --yes" in shown.stderr
    codex.clear()
    done = run(ws, home, codex, "--yes")
    assert done.returncode == 0, done.stderr
    assert requests(codex) == EXCHANGE_REQUESTS and done.stdout == shown.stdout


def test_format_json_is_one_object_on_stdout(ws: Path, home: Path, codex: LoopbackCodex) -> None:
    codex.enqueue("responses", *read_then_patch(UPDATE))
    staged = run(ws, home, codex, "--dry-run", "--format", "json")
    assert staged.returncode == 0, staged.stderr
    first = json.loads(staged.stdout)
    assert first["outcome"] == "dry-run" and first["staged"] is True and first["reused"] is False
    assert first["anchor"] is None and len(first["diff_hash"]) == 64
    done = run(ws, home, codex, "--yes", "--format", "json")
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout)
    assert (result["outcome"], result["reused"], result["files"]) == (
        "applied",
        True,
        ["src/lamps.py"],
    )
    assert result["anchor"].startswith("A-") and result["diff_hash"] == first["diff_hash"]
    assert result["anchor"] == ledger(ws)[-1]["anchor_id"]


def test_ctrl_c_during_the_exchange_writes_nothing_and_records_it(
    ws: Path, home: Path, codex: LoopbackCodex
) -> None:
    before = tree(ws)
    first, *_ = read_then_patch(UPDATE)
    codex.enqueue(
        "responses",
        first,
        sse(
            tool_call_transcript(
                [custom_tool_call_item("call_patch", "apply_patch", UPDATE)], response_id="resp_2"
            ),
            stall_after=1,
        ),
    )
    env = {
        **os.environ,
        "CODEX_HOME": str(home),
        "CHATGPT_BASE_URL": codex.base_url,
        "CODEX_REFRESH_TOKEN_URL_OVERRIDE": codex.refresh_url,
    }
    process = subprocess.Popen(
        [sys.executable, "-m", "wishcraft.cli", "apply", str(wish_of(ws)), "--yes"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        stdin=subprocess.DEVNULL,
        text=True,
        preexec_fn=interruptible,  # SIGINT reaches it (testkit.signals)
    )
    try:
        codex.wait_for_requests(2)  # the patch's answer is stalled after its first frame
        process.send_signal(signal.SIGINT)
        _, stderr = process.communicate(timeout=30)
    finally:
        codex.release_stalls()
        if process.poll() is None:
            process.kill()
    assert process.returncode == 1, stderr
    assert "Cancelled: nothing was written." in stderr and "Traceback" not in stderr
    assert tree(ws) == before
    (line,) = ledger(ws)
    assert (line["outcome"], line["reason"], line["anchor_id"]) == ("incomplete", "cancelled", None)
