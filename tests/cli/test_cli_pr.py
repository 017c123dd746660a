"""`wishcraft pr ANCHOR` as users run it: a subprocess in a clone of a bare remote holding an
applied change (`testkit.pr_repo`), against the loopback GitHub API (`testkit.github`).

Each test checks the exit status, what went to stdout (the address alone) and stderr (the
steps, one sentence), the ledger's `open_pr` line and the remote; every output is scanned for
the token, as sent and as git sends it (HTTP Basic).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from testkit.apply_ws import UPDATE, make_workspace, read_then_patch
from testkit.codex_home import write_codex_home
from testkit.github import Answer, LoopbackGitHub
from testkit.loopback import LoopbackCodex
from testkit.pr_repo import TOKEN, WISH, Scenario, run_git
from testkit.pr_repo import wishcraft_in as wishcraft
from testkit.pr_wish import PLAN_STEPS, WISH_FILE, branch_of, token_leaks
from wishcraft.ledger import LedgerEntry, verify


def assert_no_token(
    scenario: Scenario, done: subprocess.CompletedProcess[str], github: LoopbackGitHub
) -> None:
    outputs = {
        "stdout": done.stdout,
        "stderr": done.stderr,
        "ledger": scenario.ledger.read_text(encoding="utf-8"),
        "argv": scenario.argv_log.read_text() if scenario.argv_log.exists() else "",
        "commits": scenario.git("log", "--all", "--format=%H%n%B", cwd=scenario.remote),
        "pr bodies": "\n".join(request.body.decode() for request in github.requests),
    }
    assert token_leaks(outputs) == []


def last_line(scenario: Scenario) -> LedgerEntry:
    return scenario.ledger_lines()[-1]


def test_wishcraft_pr_opens_a_draft_pull_request_and_prints_its_address(
    scenario: Scenario, github: LoopbackGitHub
) -> None:
    anchor = scenario.anchor.anchor_id
    done = wishcraft(scenario, "pr", anchor, "--verbose")

    assert done.returncode == 0, done.stderr
    url = "https://github.example/acme/widgets/pull/1"
    assert done.stdout == f"{url}\n"  # the address alone: `url=$(wishcraft pr …)`
    branch = branch_of(scenario)
    assert f"wishcraft: Opened {url} from {branch} into main (3 files)." in done.stderr
    for step in (
        "Reading the remote origin …",
        f"Committing 3 files on {branch} …",
        f"Pushing {branch} to origin …",
        "Opening the pull request …",
    ):
        assert f"wishcraft: {step}" in done.stderr, step
    # The real wish was edited after the stub was committed: listed, never committed.
    assert WISH_FILE in done.stderr.split("left uncommitted (not part of the apply): ")[1]

    entry = last_line(scenario)
    assert (entry.action, entry.outcome, entry.pr_url) == ("open_pr", "complete", url)
    assert entry.anchor_id == anchor and entry.wish == WISH_FILE
    assert entry.summary is not None and branch in entry.summary
    assert verify(scenario.ledger).ok

    changed = scenario.git("diff", "--name-only", "main", branch, cwd=scenario.remote)
    assert sorted(changed.split()) == ["src/cache.py", "src/old.py", "src/tiers.py"]
    [request] = github.requests
    body = request.json
    assert body["title"] == WISH["title"] and body["draft"] is True and body["base"] == "main"
    for number, step in enumerate(PLAN_STEPS, 1):  # the saved plan's steps, in order
        assert f"{number}. {step}" in body["body"]
    assert f"anchor: `{anchor}`" in body["body"]
    assert "INFO wishcraft.pr" in done.stderr  # --verbose logged the steps, and no token
    assert_no_token(scenario, done, github)

    again = wishcraft(scenario, "pr", anchor)
    assert again.returncode == 3 and again.stdout == ""
    assert f"A pull request was already opened for {anchor}: {url}" in again.stderr
    assert len(github.requests) == 1


def test_ready_opens_it_ready_for_review(scenario: Scenario, github: LoopbackGitHub) -> None:
    done = wishcraft(scenario, "pr", scenario.anchor.anchor_id, "--ready")
    assert done.returncode == 0, done.stderr
    assert github.requests[0].json["draft"] is False


def test_an_unknown_anchor_is_refused_with_exit_3_and_nothing_sent(
    scenario: Scenario, github: LoopbackGitHub
) -> None:
    done = wishcraft(scenario, "pr", "A-20260101T120000Z-0123456789ab")

    assert done.returncode == 3 and done.stdout == ""
    lines = done.stderr.strip().splitlines()
    assert lines == [
        "wishcraft: refused by the Ledger gate: There is no applied change "
        "A-20260101T120000Z-0123456789ab in "
        f"{scenario.state_dir}; apply the wish first, or give the anchor the apply "
        "printed."
    ]
    assert not github.requests
    assert scenario.git("ls-remote", "--heads", str(scenario.remote)).count("\n") == 1


def test_a_gate_refuses_with_exit_3_and_a_refused_line(
    scenario: Scenario, github: LoopbackGitHub
) -> None:
    registry = scenario.work / "data/conduits/registry.yaml"
    registry.write_text(registry.read_text().replace('"diff", "open_pr"', '"diff"'))

    done = wishcraft(scenario, "pr", scenario.anchor.anchor_id)

    assert done.returncode == 3, done.stderr
    assert done.stdout == ""
    [line] = done.stderr.strip().splitlines()  # one sentence, naming the gate
    assert line.startswith("wishcraft: refused by the Scopes gate: ")
    assert "open_pr" in line
    entry = last_line(scenario)
    assert (entry.action, entry.outcome) == ("open_pr", "refused")
    assert entry.reason is not None and entry.reason in line
    assert not github.requests
    assert_no_token(scenario, done, github)


def test_no_token_is_refused_naming_gh_token(scenario: Scenario, github: LoopbackGitHub) -> None:
    env = {key: value for key, value in scenario.env.items() if key != "GH_TOKEN"}
    done = wishcraft(scenario, "pr", scenario.anchor.anchor_id, env=env)

    assert done.returncode == 3
    assert "refused by the Token gate: No GitHub token: set GH_TOKEN" in done.stderr
    assert not github.requests
    assert last_line(scenario).outcome == "refused"


def test_a_422_fails_with_exit_1_quoting_github(scenario: Scenario, github: LoopbackGitHub) -> None:
    github.enqueue(
        Answer(
            422,
            {
                "message": "Validation Failed",
                "errors": [
                    {
                        "resource": "PullRequest",
                        "code": "custom",
                        "message": "A pull request already exists for acme:wish/tune.",
                    }
                ],
            },
        )
    )

    done = wishcraft(scenario, "pr", scenario.anchor.anchor_id)

    assert done.returncode == 1
    assert done.stdout == ""
    [line] = done.stderr.strip().splitlines()[-1:]
    assert line.startswith(
        "wishcraft: GitHub did not open the pull request: Validation Failed "
        "(A pull request already exists for acme:wish/tune)"
    )
    assert f"the branch {branch_of(scenario)} is on the remote" in line
    entry = last_line(scenario)
    assert (entry.action, entry.outcome, entry.pr_url) == ("open_pr", "failed", None)
    assert_no_token(scenario, done, github)


def test_a_wish_that_is_no_longer_valid_is_bad_input(
    scenario: Scenario, github: LoopbackGitHub
) -> None:
    (scenario.work / WISH_FILE).write_text("title: [unclosed\n", encoding="utf-8")

    done = wishcraft(scenario, "pr", scenario.anchor.anchor_id)

    assert done.returncode == 2
    assert f"run `wishcraft lint {scenario.work / WISH_FILE}`" in done.stderr
    assert not github.requests


def test_the_ledger_json_lists_the_pull_request(scenario: Scenario, github: LoopbackGitHub) -> None:
    assert wishcraft(scenario, "pr", scenario.anchor.anchor_id).returncode == 0
    done = wishcraft(scenario, "ledger", WISH_FILE, "--format", "json")
    assert done.returncode == 0, done.stderr
    lines = [json.loads(line) for line in done.stdout.splitlines()]  # JSON Lines
    assert [(line["action"], line.get("pr_url")) for line in lines] == [
        ("apply", None),
        ("open_pr", "https://github.example/acme/widgets/pull/1"),
    ]


# -- wishcraft apply --open-pr -----------------------------------------------------------------


def test_apply_open_pr_applies_then_opens_the_pull_request(
    tmp_path: Path, github: LoopbackGitHub
) -> None:
    """The apply workspace of issue 14 as a clone of a bare remote: `wishcraft apply --yes
    --open-pr` stages the patch with the loopback Codex, applies it, then opens the pull request
    with the new anchor."""
    work = tmp_path / "work"
    wish = make_workspace(work)
    remote = tmp_path / "remote" / "acme" / "lamps.git"
    remote.mkdir(parents=True)
    home = write_codex_home(tmp_path / "codex")
    env = {
        "PATH": os.environ["PATH"],
        "HOME": str(tmp_path),
        "LANG": "C.UTF-8",
        "GIT_CONFIG_NOSYSTEM": "1",
        "GIT_CONFIG_GLOBAL": str(tmp_path / "gitconfig"),
        "GH_TOKEN": TOKEN,
        "GITHUB_API_URL": github.base_url,
        "CODEX_HOME": str(home),
    }
    url = "https://github.com/acme/lamps.git"
    run_git(env, tmp_path, "init", "-q", "--bare", "-b", "main", str(remote))
    for args in (
        ("init", "-q", "-b", "main"),
        ("config", "user.name", "Ada Wisher"),
        ("config", "user.email", "ada@example.org"),
        ("remote", "add", "origin", url),
        ("config", "--global", f"url.{remote}.insteadOf", url),
        ("add", "-A"),
        ("commit", "-q", "-m", "Start"),
        ("push", "-q", "origin", "main"),
    ):
        run_git(env, work, *args)

    with LoopbackCodex() as codex:
        codex.enqueue("responses", *read_then_patch(UPDATE))
        done = subprocess.run(
            [sys.executable, "-m", "wishcraft.cli", "apply", str(wish), "--yes", "--open-pr"],
            env={
                **env,
                "CHATGPT_BASE_URL": codex.base_url,
                "CODEX_REFRESH_TOKEN_URL_OVERRIDE": codex.refresh_url,
            },
            cwd=work,
            capture_output=True,
            text=True,
            timeout=120,
            stdin=subprocess.DEVNULL,
        )

    assert done.returncode == 0, done.stderr
    address = "https://github.example/acme/lamps/pull/1"
    assert done.stdout.endswith(f"\n{address}\n")  # the diff, then the address
    assert "wishcraft: applied " in done.stderr and "wishcraft: Opened " in done.stderr
    entries = [
        json.loads(line) for line in (work / "data/ledger/wishes.jsonl").read_text().splitlines()
    ]
    apply_line, pr_line = entries[-2:]
    assert (apply_line["action"], pr_line["action"]) == ("apply", "open_pr")
    assert pr_line["outcome"] == "complete" and pr_line["pr_url"] == address
    assert pr_line["anchor_id"] == apply_line["anchor_id"]
    branch = github.requests[0].json["head"]
    assert branch.startswith("wish/relight-the-sunken-quarter-lighthouse-")
    changed = run_git(env, remote, "diff", "--name-only", "main", branch)
    assert changed.split() == ["src/lamps.py"]  # exactly the applied file
    assert run_git(env, remote, "show", f"{branch}:src/lamps.py") == "lamps = 3\nlit = False\n"
    leaks = token_leaks(
        {
            "stdout": done.stdout,
            "stderr": done.stderr,
            "ledger": (work / "data/ledger/wishes.jsonl").read_text(),
        }
    )
    assert leaks == []
