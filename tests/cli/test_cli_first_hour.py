"""The first hour on your own repository, as the README's quick start runs it (issue 21).

A new user's small project in git with a remote on GitHub: `wishcraft init`, then lint, plan
(the loopback Codex), apply, rollback, apply again and open the pull request (the loopback
GitHub), each as a subprocess, with no hand-written registry. Properties: no step is refused
(no exit 3), lint is clean before and after, the applied file holds the model's change and the
rollback restores it byte for byte, the pull request carries exactly the applied file, and no
token reaches any output.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from testkit.codex_home import write_codex_home
from testkit.github import LoopbackGitHub
from testkit.loopback import (
    LoopbackCodex,
    Response,
    custom_tool_call_item,
    function_call_item,
    sse,
    success_transcript,
    tool_call_transcript,
)
from testkit.pr_repo import TOKEN, real_git
from testkit.samples import SAMPLE_PLAN, chunks
from wishcraft.scaffold import WISH_PATH
from wishcraft.undo_state import STATE_ENV

README = "# Kelvin\n\nConverts temperatues betwen scales.\n"
FIXED = "# Kelvin\n\nConverts temperatures between scales.\n"
PATCH = (
    "*** Begin Patch\n*** Update File: README.md\n@@\n # Kelvin\n \n"
    "-Converts temperatues betwen scales.\n+Converts temperatures between scales.\n"
    "*** End Patch\n"
)
ORIGIN = "https://github.com/ada/kelvin.git"


def patch_answers() -> list[Response]:
    """The apply exchange: read the README, propose the patch, then a closing message."""
    return [
        sse(
            tool_call_transcript(
                [function_call_item("call_read", "read_file", {"path": "README.md"})],
                response_id="resp_1",
            )
        ),
        sse(
            tool_call_transcript(
                [custom_tool_call_item("call_patch", "apply_patch", PATCH)],
                response_id="resp_2",
                text="Two spelling mistakes fixed.",
            )
        ),
        sse(success_transcript(["Fixed 2 ", "misspellings."], response_id="resp_3")),
    ]


@pytest.fixture()
def project(
    tmp_path: Path, codex: LoopbackCodex, github: LoopbackGitHub
) -> tuple[Path, dict[str, str]]:
    """A fresh project with a remote on GitHub (a bare repository here, through the user's
    own `insteadOf`), a Codex login and a GitHub token, as a user has them."""
    home = tmp_path / "home"
    home.mkdir()
    env = {
        "PATH": os.environ["PATH"],
        "HOME": str(home),
        "GIT_CONFIG_NOSYSTEM": "1",
        "GIT_CONFIG_GLOBAL": str(home / "gitconfig"),
        "LANG": "C.UTF-8",
        "NO_COLOR": "1",
        "CODEX_HOME": str(write_codex_home(tmp_path / "codex")),
        "CHATGPT_BASE_URL": codex.base_url,
        "CODEX_REFRESH_TOKEN_URL_OVERRIDE": codex.refresh_url,
        "GH_TOKEN": TOKEN,
        "GITHUB_API_URL": github.base_url,
        "XDG_CACHE_HOME": str(tmp_path / "cache"),
        "XDG_CONFIG_HOME": str(tmp_path / "config"),
        STATE_ENV: os.environ[STATE_ENV],
    }
    remote = tmp_path / "remote" / "kelvin.git"
    remote.mkdir(parents=True)
    root = tmp_path / "kelvin"
    (root / "src" / "kelvin").mkdir(parents=True)
    (root / "README.md").write_text(README)
    (root / "src" / "kelvin" / "__init__.py").write_text("ZERO = 273.15\n")
    for cwd, args in (
        (tmp_path, ("init", "-q", "--bare", "-b", "main", str(remote))),
        (tmp_path, ("init", "-q", "-b", "main", str(root))),
        (root, ("config", "user.name", "Ada Lovelace")),
        (root, ("config", "user.email", "ada@example.org")),
        (root, ("remote", "add", "origin", ORIGIN)),
        (root, ("config", "--global", f"url.{remote}.insteadOf", ORIGIN)),
        (root, ("add", "-A")),
        (root, ("commit", "-q", "-m", "Kelvin")),
        (root, ("push", "-q", "origin", "main")),
    ):
        subprocess.run([real_git(), *args], cwd=cwd, env=env, check=True, capture_output=True)
    return root, env


def wishcraft(root: Path, env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    done = subprocess.run(
        [sys.executable, "-m", "wishcraft.cli", *args],
        cwd=root,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        stdin=subprocess.DEVNULL,
    )
    assert done.returncode != 3, f"refused: {done.stderr}"
    assert "Traceback" not in done.stderr, done.stderr
    assert TOKEN not in done.stdout + done.stderr
    return done


def lint_findings(root: Path, env: dict[str, str]) -> list[object]:
    done = wishcraft(root, env, "lint", "--gates", "--format", "json", ".")
    assert done.returncode == 0, done.stdout + done.stderr
    findings: list[object] = json.loads(done.stdout)["findings"]
    return findings


def anchor_of(done: subprocess.CompletedProcess[str]) -> str:
    words = done.stderr.replace("`", " ").replace(";", " ").split()
    return next(word for word in words if word.startswith("A-") and len(word) > 20)


def test_the_quick_start_runs_from_init_to_a_pull_request(
    project: tuple[Path, dict[str, str]], codex: LoopbackCodex, github: LoopbackGitHub
) -> None:
    root, env = project
    assert wishcraft(root, env, "init").returncode == 0
    subprocess.run([real_git(), "add", "-A"], cwd=root, env=env, check=True)
    subprocess.run([real_git(), "commit", "-q", "-m", "Wishcraft"], cwd=root, env=env, check=True)
    subprocess.run([real_git(), "push", "-q", "origin", "main"], cwd=root, env=env, check=True)
    assert lint_findings(root, env) == []

    codex.enqueue("responses", sse(success_transcript(chunks(SAMPLE_PLAN))))
    planned = wishcraft(root, env, "plan", WISH_PATH)
    assert planned.returncode == 0, planned.stderr
    assert len(codex.route_requests("responses")) == 1

    codex.clear()
    codex.enqueue("responses", *patch_answers())
    applied = wishcraft(root, env, "apply", WISH_PATH, "--yes")
    assert applied.returncode == 0, applied.stderr
    assert (root / "README.md").read_text() == FIXED
    first = anchor_of(applied)

    undone = wishcraft(root, env, "rollback", first)
    assert undone.returncode == 0, undone.stderr
    assert (root / "README.md").read_text() == README

    codex.clear()
    codex.enqueue("responses", *patch_answers())
    again = wishcraft(root, env, "apply", WISH_PATH, "--yes")
    assert again.returncode == 0, again.stderr
    assert (root / "README.md").read_text() == FIXED
    second = anchor_of(again)
    assert second != first

    opened = wishcraft(root, env, "pr", second)
    assert opened.returncode == 0, opened.stderr
    assert opened.stdout.strip().startswith("http")
    (request,) = github.requests
    assert request.json["head"].startswith("wish/")
    changed = subprocess.run(
        [real_git(), "diff", "--name-only", "main", request.json["head"]],
        cwd=root.parent / "remote" / "kelvin.git",
        env=env,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()
    assert changed == ["README.md"]
    assert lint_findings(root, env) == []
    verified = wishcraft(root, env, "ledger", "verify")
    assert verified.returncode == 0, verified.stderr
