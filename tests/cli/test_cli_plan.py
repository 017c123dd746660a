"""`wishcraft plan` as users run it: a subprocess, a real loopback Codex server, a fake login.

Each test checks the exit status, what the terminal shows (the numbered steps on stdout, one
clear sentence on stderr, never a traceback) and the artifact written next to the wish, and
that no token of the login appears anywhere.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from testkit.codex_home import write_codex_home
from testkit.loopback import LoopbackCodex, json_response, sse, success_transcript
from testkit.paths import ROOT
from testkit.samples import SAMPLE_PLAN, chunks
from testkit.signals import interruptible

WISH = ROOT / "tests" / "lsp" / "workspace" / "data" / "wishes" / "lighthouse.wish.yaml"
TYPOS = WISH.with_name("typos.wish.yaml")
PLAN = SAMPLE_PLAN
CHUNKS = chunks(PLAN)


@pytest.fixture()
def workspace(tmp_path: Path) -> Path:
    """A copy of the test workspace."""
    shutil.copytree(WISH.parents[2], tmp_path / "ws")
    return tmp_path / "ws"


def secrets(home: Path) -> list[str]:
    """Every token in the fake login, and the account id."""
    tokens = json.loads((home / "auth.json").read_text())["tokens"]
    return [value for value in tokens.values() if value]


def run_plan(
    workspace: Path, home: Path, codex: LoopbackCodex, *args: str, wish: Path = WISH
) -> subprocess.CompletedProcess[str]:
    target = workspace / "data" / "wishes" / wish.name
    env = {
        **os.environ,
        "CODEX_HOME": str(home),
        "CHATGPT_BASE_URL": codex.base_url,
        "CODEX_REFRESH_TOKEN_URL_OVERRIDE": codex.refresh_url,
    }
    return subprocess.run(
        [sys.executable, "-m", "wishcraft.cli", "plan", str(target), *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )


def artifact_of(workspace: Path, wish: Path = WISH) -> dict[str, Any]:
    name = wish.name.removesuffix(".yaml")
    path = workspace / "data" / "wishes" / f"{name}.plan.json"
    data: dict[str, Any] = json.loads(path.read_text())
    return data


def assert_no_secret(home: Path, *texts: str) -> None:
    for secret in secrets(home):
        for text in texts:
            assert secret not in text


def test_live_plan_prints_numbered_steps_and_writes_the_artifact(
    workspace: Path, codex: LoopbackCodex, tmp_path: Path
) -> None:
    home = write_codex_home(tmp_path / "home")
    codex.enqueue("responses", sse(success_transcript(CHUNKS)))
    completed = run_plan(workspace, home, codex)
    assert completed.returncode == 0, completed.stderr
    assert completed.stdout.splitlines() == [
        " 1. Survey the lighthouse",
        "    cartographer.survey",
        "    check: 12 tiles surveyed",
        " 2. Place 3 lamps",
        "    worldsmith.place",
        "    check: 3 lamps lit",
        "note: Test at night",
    ]
    assert "\x1b" not in completed.stdout  # not a terminal: no colour
    assert "planning with Codex" in completed.stderr
    assert "2 steps (complete" in completed.stderr and "Traceback" not in completed.stderr
    artifact = artifact_of(workspace)
    assert artifact["text"] == PLAN and [s["title"] for s in artifact["steps"]] == [
        "Survey the lighthouse",
        "Place 3 lamps",
    ]
    (request,) = codex.route_requests("responses")
    assert request.headers["authorization"].startswith("Bearer ")
    assert "Lighthouse" in json.dumps(request.json) or "lighthouse" in json.dumps(request.json)
    artifact_text = json.dumps(artifact)
    assert_no_secret(home, completed.stdout, completed.stderr, artifact_text)


def test_format_json_prints_the_artifact_as_saved(
    workspace: Path, codex: LoopbackCodex, tmp_path: Path
) -> None:
    home = write_codex_home(tmp_path / "home")
    codex.enqueue("responses", sse(success_transcript(CHUNKS)))
    completed = run_plan(workspace, home, codex, "--format", "json")
    assert completed.returncode == 0, completed.stderr
    assert json.loads(completed.stdout) == artifact_of(workspace)
    assert completed.stdout.isascii()
    assert_no_secret(home, completed.stdout, completed.stderr)


def test_without_a_login_the_shadow_plan_says_so(
    workspace: Path, codex: LoopbackCodex, tmp_path: Path
) -> None:
    home = tmp_path / "empty-home"
    home.mkdir()
    completed = run_plan(workspace, home, codex)
    assert completed.returncode == 0, completed.stderr
    assert "shadow run (no Codex login at" in completed.stderr
    assert codex.requests == []
    artifact = artifact_of(workspace)
    assert artifact["steps"], artifact
    assert "shadow" in json.dumps(artifact).lower()


def test_a_usage_limit_fails_with_one_clear_sentence(
    workspace: Path, codex: LoopbackCodex, tmp_path: Path
) -> None:
    home = write_codex_home(tmp_path / "home")
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
    completed = run_plan(workspace, home, codex)
    assert completed.returncode == 1
    errors = [line for line in completed.stderr.splitlines() if "usage limit" in line.lower()]
    assert len(errors) == 1 and "plus plan" in errors[0], completed.stderr
    assert "Traceback" not in completed.stderr
    assert_no_secret(home, completed.stdout, completed.stderr)


def test_an_invalid_wish_is_not_sent(workspace: Path, codex: LoopbackCodex, tmp_path: Path) -> None:
    home = write_codex_home(tmp_path / "home")
    completed = run_plan(workspace, home, codex, wish=TYPOS)
    assert completed.returncode == 2
    assert "is not a valid wish" in completed.stderr and "wishcraft lint" in completed.stderr
    assert codex.requests == []


def test_a_missing_file_is_a_usage_error(tmp_path: Path, codex: LoopbackCodex) -> None:
    completed = run_plan(tmp_path, tmp_path, codex, wish=tmp_path / "nope.wish.yaml")
    assert completed.returncode == 2
    assert "cannot read" in completed.stderr and "Traceback" not in completed.stderr


def test_ctrl_c_keeps_the_partial_plan_marked_incomplete(
    workspace: Path, codex: LoopbackCodex, tmp_path: Path
) -> None:
    home = write_codex_home(tmp_path / "home")
    codex.enqueue("responses", sse(success_transcript(CHUNKS), stall_after=11))
    target = workspace / "data" / "wishes" / WISH.name
    env = {
        **os.environ,
        "CODEX_HOME": str(home),
        "CHATGPT_BASE_URL": codex.base_url,
        "CODEX_REFRESH_TOKEN_URL_OVERRIDE": codex.refresh_url,
    }
    process = subprocess.Popen(
        [sys.executable, "-m", "wishcraft.cli", "plan", str(target)],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        preexec_fn=interruptible,  # SIGINT reaches it (testkit.signals)
    )
    try:
        codex.wait_for_requests(1)
        deadline = time.monotonic() + 10
        while len(codex.frames_sent_at[-1] if codex.frames_sent_at else []) < 11:
            assert time.monotonic() < deadline, "the stream did not start"
            time.sleep(0.02)
        time.sleep(0.2)
        process.send_signal(signal.SIGINT)
        stdout, stderr = process.communicate(timeout=20)
    finally:
        codex.release_stalls()
        if process.poll() is None:
            process.kill()
    assert process.returncode == 1, stderr
    assert "incomplete" in stderr and "Traceback" not in stderr
    artifact = artifact_of(workspace)
    assert artifact["status"] != "complete"
    assert artifact["text"] and PLAN.startswith(artifact["text"])
    assert_no_secret(home, stdout, stderr, json.dumps(artifact))


def test_a_failed_plan_keeps_the_last_complete_one(
    workspace: Path, codex: LoopbackCodex, tmp_path: Path
) -> None:
    """A live plan that fails after a complete one leaves the complete plan (JSON and
    Markdown) byte for byte, and writes the failed attempt beside it, named in a message."""
    home = write_codex_home(tmp_path / "home")
    codex.enqueue("responses", sse(success_transcript(CHUNKS)))
    assert run_plan(workspace, home, codex).returncode == 0
    folder = workspace / "data" / "wishes"
    stem = WISH.name.removesuffix(".yaml")
    good = {name: (folder / name).read_bytes() for name in (f"{stem}.plan.json", f"{stem}.plan.md")}
    codex.clear()  # the last queued answer repeats: replace it
    codex.enqueue(
        "responses",
        json_response(
            429, {"error": {"type": "usage_limit_reached", "message": "Usage limit reached."}}
        ),
    )
    failed = run_plan(workspace, home, codex)
    assert failed.returncode == 1, failed.stderr
    assert {name: (folder / name).read_bytes() for name in good} == good
    attempt = json.loads((folder / f"{stem}.plan.failed.json").read_text())
    assert attempt["status"] == "failed"
    assert f"kept in {stem}.plan.json and {stem}.plan.md" in failed.stderr
    assert f"{stem}.plan.failed.json" in failed.stderr
    assert artifact_of(workspace)["status"] == "complete"
    # A complete plan afterwards replaces the kept one as usual.
    codex.clear()
    codex.enqueue("responses", sse(success_transcript(CHUNKS)))
    assert run_plan(workspace, home, codex).returncode == 0
    assert artifact_of(workspace)["status"] == "complete"
