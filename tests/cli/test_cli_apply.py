"""`wishcraft apply` and `wishcraft rollback` as users run them: subprocesses, a real loopback
Codex server answering with tool calls (a `read_file`, an `apply_patch`, a final message), a fake
login, and a workspace on disk. Each test checks the exit status, the files, and the ledger.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from testkit.apply_ws import (
    ADD,
    ALL,
    APPLY_ID,
    DELETE,
    LAMPS,
    MOVE,
    UPDATE,
    WISH_TEXT,
    read_then_patch,
    tree,
    write_plan,
)
from testkit.loopback import LoopbackCodex
from wishcraft.ledger import verify


def wish_of(root: Path) -> Path:
    return root / "data" / "wishes" / "lamps.wish.yaml"


def run(
    root: Path, home: Path, codex: LoopbackCodex | None, *args: str, command: str = "apply"
) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "CODEX_HOME": str(home)}
    if codex is not None:
        env |= {
            "CHATGPT_BASE_URL": codex.base_url,
            "CODEX_REFRESH_TOKEN_URL_OVERRIDE": codex.refresh_url,
        }
    target = [str(wish_of(root))] if command == "apply" else []
    return subprocess.run(
        [sys.executable, "-m", "wishcraft.cli", command, *target, *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        cwd=root,
        stdin=subprocess.DEVNULL,
    )


def ledger(root: Path) -> list[dict[str, Any]]:
    path = root / "data" / "ledger" / "wishes.jsonl"
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text().splitlines()]


def anchor_of(stderr: str) -> str:
    word = next(word for word in stderr.split() if word.startswith("A-"))
    return word.rstrip(";.")


@pytest.mark.parametrize(
    ("patch", "expect"),
    [
        (UPDATE, {"src/lamps.py": "lamps = 3\nlit = False\n"}),
        (ADD, {"src/beacon.py": "colour = 'amber'\n"}),
        (DELETE, {"src/old.py": None}),
        (MOVE, {"src/gallery.py": None, "src/lantern/gallery.py": "tiles = 13\n"}),
    ],
    ids=["update", "add", "delete", "move"],
)
def test_apply_each_operation_end_to_end(
    ws: Path, home: Path, codex: LoopbackCodex, patch: str, expect: dict[str, str | None]
) -> None:
    before = tree(ws)
    codex.enqueue("responses", *read_then_patch(patch))
    done = run(ws, home, codex, "--yes")
    assert done.returncode == 0, done.stderr
    assert "+++ b/" in done.stdout or "deleted file" in done.stdout
    after = tree(ws)
    for path, text in expect.items():
        assert after.get(path) == text
    untouched = {path for path in before if path not in expect}
    assert {path: after[path] for path in untouched} == {path: before[path] for path in untouched}
    patch_file = ws / "data" / "wishes" / "lamps.wish.patch"
    assert patch_file.read_text() == done.stdout
    # Written before the files (pending), completed after: the same anchor on both lines.
    pending, line = [entry for entry in ledger(ws) if entry["action"] == "apply"]
    assert pending["outcome"] == "pending" and pending["anchor_id"] == line["anchor_id"]
    assert pending["diff_hash"] == line["diff_hash"] and pending["request_id"] == line["request_id"]
    assert line["conduit"] == APPLY_ID and line["outcome"] == "complete"
    assert line["mode"] == "commit" and line["model"] == "gpt-6.1-sol"
    assert len(line["diff_hash"]) == 64 and line["anchor_id"] == anchor_of(done.stderr)
    assert line["summary"].startswith("Applied ") and all(p in line["summary"] for p in expect)
    assert verify(ws / "data" / "ledger" / "wishes.jsonl").ok
    # The model read through the tool and was told the patch was staged.
    bodies = [request.json for request in codex.route_requests("responses")]
    assert len(bodies) == 3
    answered = [item for item in bodies[1]["input"] if item.get("type") == "function_call_output"]
    assert answered[0]["output"] == LAMPS


def test_apply_then_rollback_restores_every_file(
    ws: Path, home: Path, codex: LoopbackCodex
) -> None:
    before = tree(ws)
    codex.enqueue("responses", *read_then_patch(ALL))
    done = run(ws, home, codex, "--yes")
    assert done.returncode == 0, done.stderr
    assert tree(ws) != before
    anchor = anchor_of(done.stderr)
    undone = run(ws, home, None, anchor, command="rollback")
    assert undone.returncode == 0, undone.stderr
    assert "4 files restored" in undone.stderr or "5 files restored" in undone.stderr
    assert tree(ws) == before
    assert not (ws / "src" / "lantern").exists()
    last = ledger(ws)[-1]
    assert (last["action"], last["outcome"], last["anchor_id"]) == ("rollback", "complete", anchor)
    again = run(ws, home, None, anchor, command="rollback")
    assert again.returncode == 3 and "already undone" in again.stderr


def test_rollback_refused_after_an_edit_names_the_file(
    ws: Path, home: Path, codex: LoopbackCodex
) -> None:
    codex.enqueue("responses", *read_then_patch(UPDATE))
    done = run(ws, home, codex, "--yes")
    assert done.returncode == 0, done.stderr
    (ws / "src" / "lamps.py").write_text("lamps = 4\nlit = False\n")
    refused = run(ws, home, None, anchor_of(done.stderr), command="rollback")
    assert refused.returncode == 3
    assert "'src/lamps.py' changed after the change was applied" in refused.stderr
    assert (ws / "src" / "lamps.py").read_text() == "lamps = 4\nlit = False\n"
    last = ledger(ws)[-1]
    assert (last["action"], last["outcome"]) == ("rollback", "refused")
    assert "src/lamps.py" in last["reason"]
    unknown = run(ws, home, None, "A-20260101T000000Z-000000000000", command="rollback")
    assert unknown.returncode == 2 and "no such anchor" in unknown.stderr


def test_dry_run_writes_nothing_but_the_patch(ws: Path, home: Path, codex: LoopbackCodex) -> None:
    before = tree(ws)
    codex.enqueue("responses", *read_then_patch(ALL))
    done = run(ws, home, codex, "--dry-run")
    assert done.returncode == 0, done.stderr
    assert "dry run: nothing was applied" in done.stderr
    assert tree(ws) == before
    assert "+lamps = 3" in (ws / "data" / "wishes" / "lamps.wish.patch").read_text()
    (line,) = ledger(ws)
    assert line["outcome"] == "complete" and line["anchor_id"] is None
    assert line["diff_hash"] and line["summary"].startswith("Dry run, not applied")
    assert not (ws / "data" / "ledger" / "anchors").exists() or not list(
        (ws / "data" / "ledger" / "anchors").glob("A-*.json")
    )


def test_without_a_terminal_and_without_yes_it_refuses(
    ws: Path, home: Path, codex: LoopbackCodex
) -> None:
    before = tree(ws)
    codex.enqueue("responses", *read_then_patch(UPDATE))
    done = run(ws, home, codex)
    assert done.returncode == 2
    assert "no terminal to confirm on" in done.stderr and "--yes" in done.stderr
    assert tree(ws) == before
    (line,) = ledger(ws)
    assert line["anchor_id"] is None and "no terminal" in line["summary"]


def test_a_gate_refusal_exits_3_and_calls_nothing(
    ws: Path, home: Path, codex: LoopbackCodex
) -> None:
    wish = wish_of(ws)
    micro = WISH_TEXT.replace("tier: meso", "tier: micro")
    wish.write_text(micro)
    write_plan(wish, micro)
    done = run(ws, home, codex, "--yes")
    assert done.returncode == 3
    assert "refused by the court" in done.stderr and "High" in done.stderr
    assert codex.route_requests("responses") == []
    (line,) = ledger(ws)
    assert (line["action"], line["outcome"]) == ("apply", "refused")
    assert "Tier" in line["summary"]


def test_a_10_mb_patch_is_stopped_with_nothing_written(
    ws: Path, home: Path, codex: LoopbackCodex
) -> None:
    before = tree(ws)
    huge = (
        "*** Begin Patch\n*** Add File: src/huge.py\n"
        + ("+" + "x" * 1023 + "\n") * (10 * 1024)
        + "*** End Patch\n"
    )
    codex.enqueue("responses", *read_then_patch(huge))
    done = run(ws, home, codex, "--yes")
    assert done.returncode == 1
    assert "longer than 8,388,608 characters" in done.stderr
    assert tree(ws) == before
    (line,) = ledger(ws)
    assert line["outcome"] == "failed" and line["anchor_id"] is None


def test_the_bundled_scope_without_diff_names_the_registry_line(
    ws: Path, home: Path, codex: LoopbackCodex
) -> None:
    registry = ws / "data" / "conduits" / "registry.yaml"
    registry.write_text(
        registry.read_text().replace(
            'paths: ["src/**", "!src/private/**"]\n      actions: ["open_pr", "diff"]',
            'actions: ["open_pr"]',
        )
    )
    done = run(ws, home, codex, "--yes")
    assert done.returncode == 3
    assert 'add `actions: ["open_pr", "diff"]` to its scope in' in done.stderr
    assert str(registry) in done.stderr
    assert codex.route_requests("responses") == []


def test_a_stale_plan_says_plan_again(ws: Path, home: Path, codex: LoopbackCodex) -> None:
    wish = wish_of(ws)
    wish.write_text(WISH_TEXT + "# edited\n")
    done = run(ws, home, codex, "--yes")
    assert done.returncode == 2
    assert "plan again" in done.stderr
    assert codex.route_requests("responses") == [] and ledger(ws) == []


@pytest.mark.parametrize("mode", ["--dry-run", "--shadow"])
def test_open_pr_with_nothing_applied_is_bad_input(
    ws: Path, home: Path, codex: LoopbackCodex, mode: str
) -> None:
    before = tree(ws)
    done = run(ws, home, codex, mode, "--open-pr", "--yes")
    assert done.returncode == 2 and "--open-pr" in done.stderr and "Traceback" not in done.stderr
    assert codex.requests == [] and tree(ws) == before


def test_shadow_run_stages_nothing_and_names_the_plans_files(
    ws: Path, home: Path, codex: LoopbackCodex
) -> None:
    before = tree(ws)
    done = run(ws, home, codex, "--shadow", "--yes")
    assert done.returncode == 0, done.stderr
    assert "nothing was staged" in done.stderr
    assert "  src/lamps.py" in done.stderr and "  src/beacon.py" in done.stderr
    assert tree(ws) == before and codex.route_requests("responses") == []
    (line,) = ledger(ws)
    assert line["mode"] == "shadow" and line["anchor_id"] is None
    assert line["model"] == "shadow-run"


HOSTILE = {
    "outside the scope": "*** Begin Patch\n*** Add File: README.md\n+x\n*** End Patch\n",
    "negated glob": "*** Begin Patch\n*** Add File: src/private/b.py\n+x\n*** End Patch\n",
    "dot-dot": "*** Begin Patch\n*** Add File: src/../../escape.py\n+x\n*** End Patch\n",
    "absolute": "*** Begin Patch\n*** Add File: /tmp/wishcraft-evil.py\n+x\n*** End Patch\n",
    "git": "*** Begin Patch\n*** Add File: src/.git/config\n+x\n*** End Patch\n",
    "ledger": ("*** Begin Patch\n*** Add File: data/ledger/anchors/x.json\n+x\n*** End Patch\n"),
    "symlink": "*** Begin Patch\n*** Add File: src/link/evil.py\n+x\n*** End Patch\n",
    "malformed hunk": (
        "*** Begin Patch\n*** Update File: src/lamps.py\n@@\n?lamps = 2\n*** End Patch\n"
    ),
    "context mismatch": (
        "*** Begin Patch\n*** Update File: src/lamps.py\n@@\n-lamps = 7\n"
        "+lamps = 3\n*** End Patch\n"
    ),
    "binary": "*** Begin Patch\n*** Add File: src/blob.bin\n+\x00\x01\x02\n*** End Patch\n",
    "5 MB": (
        "*** Begin Patch\n*** Add File: src/huge.py\n"
        + ("+" + "x" * 1023 + "\n") * (5 * 1024)
        + "*** End Patch\n"
    ),
}
"""Each is refused by the staging library, its reason sent back to the model. (A 10 MB patch
does not even reach it: the stream reader stops a line over 8 MiB; see the test below.)"""


@pytest.mark.parametrize("name", list(HOSTILE))
def test_hostile_patches_are_refused_with_nothing_written(
    ws: Path, home: Path, codex: LoopbackCodex, tmp_path: Path, name: str
) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    (ws / "src" / "link").symlink_to(outside, target_is_directory=True)
    before = tree(ws)
    answers = read_then_patch(HOSTILE[name])
    codex.enqueue("responses", *answers)
    done = run(ws, home, codex, "--yes")
    assert done.returncode == 1, done.stderr
    assert "no patch that could be staged" in done.stderr
    assert tree(ws) == before
    assert list(outside.iterdir()) == []
    assert not Path("/tmp/wishcraft-evil.py").exists()
    assert not (ws / "data" / "wishes" / "lamps.wish.patch").exists()
    bodies = [request.json for request in codex.route_requests("responses")]
    answer = [item for item in bodies[2]["input"] if item.get("type") == "custom_tool_call_output"][
        0
    ]["output"]
    assert answer.startswith("The patch was refused:")
    (line,) = ledger(ws)
    assert line["outcome"] == "failed" and line["anchor_id"] is None
    assert line["diff_hash"] is None
