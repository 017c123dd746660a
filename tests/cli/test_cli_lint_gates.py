"""`wishcraft lint --gates` predicts the court: a wish that a live plan would refuse fails lint,
and lint names the very gate that refuses the plan.

Each case changes the test workspace (a copy, not a git repository) so that one gate refuses,
then runs the real CLI twice as subprocesses: `wishcraft plan --live` against a loopback Codex
with a fake login (it must exit 3 and send nothing; its ledger line names the refusing gate),
and `wishcraft lint --gates --format json` (it must exit 1 with an error naming that gate).
The apply's hearing is held the same way against `wishcraft apply` (`testkit.apply_ws`).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from testkit.apply_ws import APPLY_ID, make_workspace
from testkit.codex_home import write_codex_home
from testkit.loopback import LoopbackCodex, sse, success_transcript
from testkit.paths import LSP_WORKSPACE
from testkit.samples import SAMPLE_PLAN, chunks
from wishcraft.court.findings import GATE_CODES

PLANNER = "openai.codex.v2025.plan"
WISH = Path("data/wishes/lighthouse.wish.yaml")
REGISTRY = Path("data/conduits/registry.yaml")


@pytest.fixture()
def workspace(tmp_path: Path) -> Path:
    shutil.copytree(LSP_WORKSPACE, tmp_path / "ws")
    return tmp_path / "ws"


def wishcraft(
    *args: str | Path, workspace: Path, codex: LoopbackCodex
) -> subprocess.CompletedProcess[str]:
    home = write_codex_home(workspace.parent / "home")
    env = {
        **os.environ,
        "CODEX_HOME": str(home),
        "CHATGPT_BASE_URL": codex.base_url,
        "CODEX_REFRESH_TOKEN_URL_OVERRIDE": codex.refresh_url,
        "XDG_CACHE_HOME": str(workspace.parent / "cache"),
    }
    return subprocess.run(
        [sys.executable, "-m", "wishcraft.cli", *map(str, args)],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        cwd=workspace,
    )


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text, old
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def planner_line(workspace: Path, old: str, new: str) -> None:
    """Change one line of the planning conduit's descriptor (the one before the apply's)."""
    registry = workspace / REGISTRY
    head, sep, rest = registry.read_text(encoding="utf-8").partition(
        '- id: "openai.codex.v2025.apply"'
    )
    assert old in head, old
    registry.write_text(head.replace(old, new, 1) + sep + rest, encoding="utf-8")


def tier(workspace: Path) -> None:
    planner_line(workspace, "risk_class: Medium", "risk_class: High")
    edit(workspace / WISH, "tier: meso", "tier: micro")
    edit(workspace / WISH, "chrono_sand: 12", "chrono_sand: 8")


def permissions(workspace: Path) -> None:
    planner_line(workspace, 'permissions: ["code.plan"]', 'permissions: ["code.review"]')


def scopes(workspace: Path) -> None:
    planner_line(workspace, 'actions: ["plan"]', 'actions: ["review"]')


def ledger(workspace: Path) -> None:
    (workspace / "data" / "ledger").write_text("a file where the ledger's folder goes\n")


def court(workspace: Path) -> None:
    wish = workspace / WISH
    text = wish.read_text(encoding="utf-8")
    start = text.index("invariants:\n")
    end = text.index("budget:\n")
    kept = 'invariants:\n  - "No harm to civilians in the Sunken Quarter"\n'
    wish.write_text(text[:start] + kept + text[end:], encoding="utf-8")


def limits(workspace: Path, codex: LoopbackCodex) -> None:
    """Spend the wish's only call for real: one live plan that reaches Codex."""
    planner_line(workspace, "per_wish_calls: 10", "per_wish_calls: 1")
    codex.enqueue("responses", sse(success_transcript(chunks(SAMPLE_PLAN))))
    done = wishcraft("plan", "-q", "--live", WISH, workspace=workspace, codex=codex)
    assert done.returncode == 0, done.stderr
    assert len(codex.route_requests("responses")) == 1


CASES: dict[str, Callable[[Path], None]] = {
    "Tier": tier,
    "Permissions": permissions,
    "Scopes": scopes,
    "Ledger": ledger,
    "Court": court,
}


def lint_errors(workspace: Path, codex: LoopbackCodex, *flags: str) -> tuple[int, list[Any]]:
    done = wishcraft("lint", *flags, "--format", "json", WISH, workspace=workspace, codex=codex)
    assert "Traceback" not in done.stderr
    records = json.loads(done.stdout)["findings"]
    return done.returncode, [record for record in records if record["severity"] == "error"]


def refusing_gate(workspace: Path, codex: LoopbackCodex) -> str:
    """Run the live plan; check it is refused before any request; return the refusing gate."""
    sent = len(codex.requests)
    done = wishcraft("plan", "-q", "--live", WISH, workspace=workspace, codex=codex)
    assert done.returncode == 3, done.stderr
    assert "wishcraft: refused by the court: " in done.stderr
    assert len(codex.requests) == sent  # 0 requests reached Codex
    ledger_file = workspace / "data" / "ledger" / "wishes.jsonl"
    if not ledger_file.is_file():
        return "Ledger"  # a refusal by the Ledger gate has no ledger to go in
    last = json.loads(ledger_file.read_text(encoding="utf-8").splitlines()[-1])
    assert last["outcome"] == "refused"
    summary: str = last["summary"]
    return summary.removeprefix("Refused by the ").removesuffix(" gate.")


def assert_lint_names(workspace: Path, codex: LoopbackCodex, gate: str) -> None:
    status, errors = lint_errors(workspace, codex, "--gates")
    assert status == 1
    named = [error for error in errors if error["data"].get("gate") == gate]
    assert named, errors
    assert all(error["code"] == GATE_CODES[gate] for error in named)
    assert all(f"{gate} gate" in error["message"] for error in named)


def test_the_unchanged_wish_passes_both_the_plan_gates_and_lint(
    workspace: Path, codex: LoopbackCodex
) -> None:
    status, errors = lint_errors(workspace, codex, "--gates")
    assert (status, errors) == (0, [])


@pytest.mark.parametrize("gate", sorted(CASES))
def test_lint_gates_names_the_gate_that_refuses_the_live_plan(
    gate: str, workspace: Path, codex: LoopbackCodex
) -> None:
    CASES[gate](workspace)
    assert refusing_gate(workspace, codex) == gate
    assert_lint_names(workspace, codex, gate)


@pytest.mark.parametrize("gate", ["Tier", "Court", "Scopes", "Permissions"])
def test_without_gates_lint_does_not_fail_on_what_only_the_court_enforces(
    gate: str, workspace: Path, codex: LoopbackCodex
) -> None:
    """The issue's complaint: plain lint says ok. `--gates` is what predicts the refusal."""
    CASES[gate](workspace)
    status, errors = lint_errors(workspace, codex)
    assert (status, errors) == (0, [])


def test_limits_already_spent_fail_lint_as_the_next_plan_is_refused(
    workspace: Path, codex: LoopbackCodex
) -> None:
    limits(workspace, codex)
    assert_lint_names(workspace, codex, "Limits")
    assert refusing_gate(workspace, codex) == "Limits"


APPLY_CASES = {
    "Scopes": ('      actions: ["open_pr", "diff"]', '      actions: ["open_pr"]'),
    "Permissions": (
        '  permissions: ["code.diff", "code.open_pr"]',
        '  permissions: ["code.open_pr"]',
    ),
}


@pytest.mark.parametrize("gate", sorted(APPLY_CASES))
def test_lint_gates_names_the_gate_that_refuses_the_apply(
    gate: str, tmp_path: Path, codex: LoopbackCodex
) -> None:
    """The apply's hearing too: a wish whose apply a gate refuses (exit 3, 0 requests) fails
    `wishcraft lint --gates` with that gate named on the apply conduit."""
    root = tmp_path / "ws"
    wish = make_workspace(root)
    edit(root / REGISTRY, *APPLY_CASES[gate])
    done = wishcraft("apply", "--yes", wish, workspace=root, codex=codex)
    assert done.returncode == 3, done.stderr
    assert codex.requests == []
    last = json.loads((root / "data/ledger/wishes.jsonl").read_text().splitlines()[-1])
    assert (last["action"], last["outcome"]) == ("apply", "refused")
    assert last["summary"] == f"Refused by the {gate} gate."
    linted = wishcraft("lint", "--gates", "--format", "json", wish, workspace=root, codex=codex)
    assert linted.returncode == 1, linted.stderr
    named = [
        record
        for record in json.loads(linted.stdout)["findings"]
        if record["severity"] == "error" and record["data"].get("gate") == gate
    ]
    assert [(r["code"], r["data"]["action"], r["data"]["conduit"]) for r in named] == [
        (GATE_CODES[gate], "apply", APPLY_ID)
    ]
    assert f"A live apply would be refused by the {gate} gate: " in named[0]["message"]
