"""The court and the ledger from the terminal: `wishcraft plan` refuses with the gate's sentence
and exit 3, records every call as one ledger line, and `wishcraft ledger` lists and verifies
the ledger. Each test runs the CLI as a subprocess against a real loopback Codex server with a
fake login, on a copy of the test workspace (not a git repository: the repository check is
skipped, and the CLI says so).
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from testkit.loopback import LoopbackCodex, json_response, sse, success_transcript
from testkit.paths import LSP_WORKSPACE
from testkit.samples import SAMPLE_PLAN, chunks

PLANNER = "openai.codex.v2025.plan"
WISH_KEY = "data/wishes/lighthouse.wish.yaml"
AUDIT_FIELDS = ("prompt_hash", "model", "tokens_used")


@pytest.fixture()
def workspace(tmp_path: Path) -> Path:
    shutil.copytree(LSP_WORKSPACE, tmp_path / "ws")
    return tmp_path / "ws"


def wishcraft(
    *args: str | Path, home: Path, codex: LoopbackCodex, cwd: Path | None = None
) -> subprocess.CompletedProcess[str]:
    env = {
        **os.environ,
        "CODEX_HOME": str(home),
        "CHATGPT_BASE_URL": codex.base_url,
        "CODEX_REFRESH_TOKEN_URL_OVERRIDE": codex.refresh_url,
        "XDG_CACHE_HOME": str(home.parent / "cache"),
    }
    return subprocess.run(
        [sys.executable, "-m", "wishcraft.cli", *map(str, args)],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        cwd=cwd,
    )


def plan(
    workspace: Path,
    home: Path,
    codex: LoopbackCodex,
    *args: str,
    name: str = "lighthouse.wish.yaml",
) -> subprocess.CompletedProcess[str]:
    return wishcraft(
        "plan", "-q", workspace / "data" / "wishes" / name, *args, home=home, codex=codex
    )


def lines(workspace: Path) -> list[dict[str, Any]]:
    path = workspace / "data" / "ledger" / "wishes.jsonl"
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


def set_limits(workspace: Path, per_wish: int) -> None:
    registry = workspace / "data" / "conduits" / "registry.yaml"
    text = registry.read_text(encoding="utf-8")
    assert "    per_wish_calls: 10\n" in text
    registry.write_text(
        text.replace("    per_wish_calls: 10\n", f"    per_wish_calls: {per_wish}\n", 1),
        encoding="utf-8",
    )


def unbound(workspace: Path) -> str:
    """A copy of the lighthouse wish that does not name the planner in `tools`."""
    wish = workspace / "data" / "wishes" / "lighthouse.wish.yaml"
    text = wish.read_text(encoding="utf-8")
    assert f'  - "{PLANNER}"\n' in text
    (wish.parent / "unbound.wish.yaml").write_text(
        text.replace(f'  - "{PLANNER}"\n', ""), encoding="utf-8"
    )
    return "unbound.wish.yaml"


def answer(codex: LoopbackCodex, times: int = 1) -> None:
    for _ in range(times):
        codex.enqueue("responses", sse(success_transcript(chunks(SAMPLE_PLAN))))


def test_a_wish_that_does_not_bind_the_planner_is_refused_with_exit_3_and_a_refused_line(
    workspace: Path, home: Path, codex: LoopbackCodex
) -> None:
    name = unbound(workspace)
    done = plan(workspace, home, codex, name=name)
    assert done.returncode == 3, done.stderr
    refusal = [line for line in done.stderr.splitlines() if "refused by the court" in line]
    assert refusal == [
        f"wishcraft: refused by the court: The wish does not name `{PLANNER}` "
        "in `tools`; add it to `tools` to allow this call."
    ]
    assert "Traceback" not in done.stderr
    assert codex.requests == []  # nothing left the machine
    assert not (workspace / "data" / "wishes" / "unbound.wish.plan.json").exists()
    (line,) = lines(workspace)
    assert line["outcome"] == "refused" and line["reason"] in refusal[0]
    assert line["wish"] == "data/wishes/unbound.wish.yaml" and line["mode"] == "commit"
    assert line["action"] == "plan" and line["conduit"] == PLANNER
    assert line["model"] is None and line["tokens_used"] is None


def test_an_allowed_live_plan_leaves_one_line_with_the_audit_fields(
    workspace: Path, home: Path, codex: LoopbackCodex
) -> None:
    answer(codex)
    done = plan(workspace, home, codex)
    assert done.returncode == 0, done.stderr
    assert (
        "wishcraft: note: Not in a git repository, so the repository check is skipped."
        in done.stderr.splitlines()
    )
    artifact = json.loads((workspace / "data/wishes/lighthouse.wish.plan.json").read_text())
    (line,) = lines(workspace)
    text = (workspace / "data/wishes/lighthouse.wish.yaml").read_bytes()
    assert line["outcome"] == "complete" and line["reason"] is None
    assert (line["conduit"], line["action"], line["mode"], line["wish"]) == (
        PLANNER,
        "plan",
        "commit",
        WISH_KEY,
    )
    assert line["wish_hash"] == hashlib.sha256(text).hexdigest() == artifact["wish_hash"]
    assert line["author_id"] == "player-4821"
    assert {field: line[field] for field in AUDIT_FIELDS} == {
        "prompt_hash": artifact["prompt_hash"],
        "model": "gpt-6.1-sol",
        "tokens_used": 4446,
    }
    assert len(line["prompt_hash"]) == 64
    assert (line["request_id"], line["cf_ray"]) == ("req_loopback_0001", "8f0a1b2c3d4e5f60-LHR")
    assert line["prev"] == "0" * 64 and len(line["hash"]) == 64
    assert line["timestamp"].endswith("Z")


def test_a_failed_call_is_recorded_with_its_reason_and_ids(
    workspace: Path, home: Path, codex: LoopbackCodex
) -> None:
    codex.enqueue(
        "responses",
        json_response(
            429,
            {
                "error": {
                    "type": "usage_limit_reached",
                    "message": "Usage limit reached.",
                    "plan_type": "plus",
                    "resets_in_seconds": 600,
                }
            },
        ),
    )
    done = plan(workspace, home, codex)
    assert done.returncode == 1, done.stderr
    (line,) = lines(workspace)
    assert line["outcome"] == "failed" and "usage limit" in line["reason"].lower()
    assert line["request_id"] == "req_loopback_429"  # it reached Codex: it counts


def test_per_wish_calls_refuses_the_call_after_the_limit(
    workspace: Path, home: Path, codex: LoopbackCodex
) -> None:
    set_limits(workspace, per_wish=2)
    answer(codex, 2)
    for _ in range(2):
        done = plan(workspace, home, codex)
        assert done.returncode == 0, done.stderr
    planned = len(codex.route_requests("responses"))
    done = plan(workspace, home, codex)
    assert done.returncode == 3, done.stderr
    assert (
        f"wishcraft: refused by the court: This wish has used all 2 of its `{PLANNER}` "
        "calls (`per_wish_calls`); write a new wish or raise the limit in " in done.stderr
    )
    assert len(codex.route_requests("responses")) == planned == 2  # the third never left
    assert [line["outcome"] for line in lines(workspace)] == ["complete", "complete", "refused"]
    # Another wish has its own count.
    other = workspace / "data" / "wishes" / "second.wish.yaml"
    shutil.copy(workspace / "data" / "wishes" / "lighthouse.wish.yaml", other)
    answer(codex)
    assert plan(workspace, home, codex, name=other.name).returncode == 0


def test_shadow_runs_are_recorded_but_not_counted(
    workspace: Path, home: Path, codex: LoopbackCodex
) -> None:
    set_limits(workspace, per_wish=1)
    for _ in range(3):
        done = plan(workspace, home, codex, "--shadow")
        assert done.returncode == 0, done.stderr
        assert (
            "wishcraft: note: Shadow runs are recorded but do not count against the "
            "limits." in done.stderr.splitlines()
        )
    answer(codex)
    assert plan(workspace, home, codex).returncode == 0  # the one live call allowed
    refused = plan(workspace, home, codex)
    assert refused.returncode == 3 and "used all 1 of its" in refused.stderr
    recorded = [(line["mode"], line["outcome"], line["model"]) for line in lines(workspace)]
    assert recorded == [("shadow", "complete", "shadow-run")] * 3 + [
        ("commit", "complete", "gpt-6.1-sol"),
        ("commit", "refused", None),
    ]


def test_ledger_lists_the_calls_as_a_table_or_json_and_by_wish(
    workspace: Path, home: Path, codex: LoopbackCodex
) -> None:
    answer(codex)
    assert plan(workspace, home, codex).returncode == 0
    assert plan(workspace, home, codex, name=unbound(workspace)).returncode == 3
    table = wishcraft("ledger", home=home, codex=codex, cwd=workspace)
    assert table.returncode == 0, table.stderr
    header, *rows = table.stdout.splitlines()
    assert header.split() == [
        "time",
        "conduit",
        "action",
        "mode",
        "outcome",
        "counted",
        "anchor",
        "pr",
        "model",
        "tokens",
        "wish",
    ]
    assert [row.split()[1:] for row in rows] == [
        [PLANNER, "plan", "commit", "complete", "yes", "-", "-", "gpt-6.1-sol", "4,446", WISH_KEY],
        [
            PLANNER,
            "plan",
            "commit",
            "refused",
            "no",
            "-",
            "-",
            "-",
            "-",
            "data/wishes/unbound.wish.yaml",
        ],
    ]
    assert "2 calls in" in table.stderr
    stored = (workspace / "data/ledger/wishes.jsonl").read_text(encoding="utf-8").splitlines()
    as_json = wishcraft("ledger", "--format", "json", home=home, codex=codex, cwd=workspace)
    assert as_json.stdout.splitlines() == stored
    one = wishcraft(
        "ledger",
        workspace / "data/wishes/unbound.wish.yaml",
        "--format",
        "json",
        home=home,
        codex=codex,
    )
    assert one.stdout.splitlines() == stored[1:]


def test_ledger_verify_passes_then_names_a_tampered_line(
    workspace: Path, home: Path, codex: LoopbackCodex
) -> None:
    for _ in range(3):
        assert plan(workspace, home, codex, "--shadow").returncode == 0
    ledger = workspace / "data" / "ledger" / "wishes.jsonl"
    ok = wishcraft("ledger", "verify", "--ledger", ledger, home=home, codex=codex)
    assert ok.returncode == 0, ok.stderr
    assert ok.stdout.strip() == f"{ledger}: the chain of 3 entries verifies."
    found = wishcraft("ledger", "verify", home=home, codex=codex, cwd=workspace / "data")
    assert found.returncode == 0 and "3 entries verifies" in found.stdout
    stored = ledger.read_text(encoding="utf-8").splitlines()
    stored[1] = stored[1].replace('"author_id":"player-4821"', '"author_id":"player-0001"')
    ledger.write_text("\n".join(stored) + "\n", encoding="utf-8")
    bad = wishcraft("ledger", "verify", "--ledger", ledger, home=home, codex=codex)
    assert bad.returncode == 1
    assert bad.stderr.strip() == (
        f"{ledger}: line 2: its hash does not match its content: the line was edited."
    )
    del stored[1]  # a removed line is named too
    ledger.write_text("\n".join(stored) + "\n", encoding="utf-8")
    removed = wishcraft("ledger", "verify", "--ledger", ledger, home=home, codex=codex)
    assert (
        removed.returncode == 1
        and "line 2: its prev does not match the hash of line 1" in removed.stderr
    )


def test_a_torn_last_line_is_reported_once_and_the_next_call_still_chains(
    workspace: Path, home: Path, codex: LoopbackCodex
) -> None:
    assert plan(workspace, home, codex, "--shadow").returncode == 0
    ledger = workspace / "data" / "ledger" / "wishes.jsonl"
    with ledger.open("ab") as handle:
        handle.write(b'{"v":1,"conduit":"openai.co')  # a crash mid-append
    done = plan(workspace, home, codex, "--shadow")
    assert done.returncode == 0, done.stderr
    torn = [line for line in done.stderr.splitlines() if "torn write" in line]
    assert len(torn) == 1 and "it is skipped and kept as it is" in torn[0]
    verified = wishcraft("ledger", "verify", "--ledger", ledger, home=home, codex=codex)
    assert verified.returncode == 0, verified.stderr
    assert "the chain of 2 entries verifies; 1 torn line(s) skipped: 2" in verified.stdout


def test_ledger_without_a_ledger_says_where_it_will_be(
    workspace: Path, home: Path, codex: LoopbackCodex
) -> None:
    done = wishcraft("ledger", home=home, codex=codex, cwd=workspace)
    assert done.returncode == 0 and done.stdout == ""
    assert done.stderr.strip() == (
        f"wishcraft: there is no ledger at "
        f"{workspace / 'data/ledger/wishes.jsonl'} yet; the first "
        "conduit call creates it."
    )
