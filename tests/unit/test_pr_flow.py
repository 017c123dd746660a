"""The pull-request opener end to end (issue 15): real git, a bare remote, a loopback GitHub.

Each test builds a clone of a bare repository with a change applied by `wishcraft.apply`, its
undo record and its `apply` ledger line (`testkit.pr_repo`), then runs `open_pull_request`
against the loopback GitHub API (`testkit.github`). The full path checks the branch on the
bare remote, the commit, the request GitHub got and the ledger line; then every gate refuses
with its reason and a `refused` line, and the failures (a 422, 401/403, a push rejected by a
hook, the network) end with a `failed` line. The token is scanned for in every output.
"""

from __future__ import annotations

import logging
import os
from pathlib import Path

import pytest

from testkit.github import Answer, LoopbackGitHub
from testkit.pr_repo import APPLIED, BASIC, CONDUIT, REGISTRY, TOKEN, Scenario, make_scenario
from wishcraft.apply import rollback
from wishcraft.ledger import LedgerEntry, append, verify
from wishcraft.pr import LedgerPlace, PrRefused, PrResult, find_applied


@pytest.fixture
def scenario(tmp_path: Path, github: LoopbackGitHub) -> Scenario:
    return make_scenario(tmp_path, github.base_url)


@pytest.fixture(autouse=True)
def pr_log(caplog: pytest.LogCaptureFixture) -> pytest.LogCaptureFixture:
    """Capture everything the opener and the HTTP stack log, down to DEBUG."""
    caplog.set_level(logging.DEBUG)
    return caplog


def branch_of(scenario: Scenario) -> str:
    return f"wish/tune-the-widget-cache-2-tiers-{scenario.anchor.anchor_id[-12:-4]}"


def assert_no_token(
    scenario: Scenario, result: PrResult, caplog: pytest.LogCaptureFixture, github: LoopbackGitHub
) -> None:
    """The token appears nowhere: result, log, git's argv, commits, ledger, PR bodies."""
    outputs = {
        "result": repr(result),
        "log": "\n".join(record.getMessage() for record in caplog.records) + caplog.text,
        "argv": scenario.argv_log.read_text() if scenario.argv_log.exists() else "",
        "commits": scenario.git("log", "--all", "--format=%H%n%B", cwd=scenario.remote),
        "ledger": scenario.ledger.read_text(encoding="utf-8"),
        "pr bodies": "\n".join(request.body.decode() for request in github.requests),
        "refs": scenario.git("for-each-ref", cwd=scenario.remote),
        "git config": (scenario.work / ".git" / "config").read_text(),
    }
    for name, text in outputs.items():
        assert TOKEN not in text, f"the token leaked into the {name}"
        assert TOKEN[4:20] not in text, f"part of the token leaked into the {name}"
        assert BASIC not in text, f"the token, base64-encoded, leaked into the {name}"


def last_line(scenario: Scenario) -> LedgerEntry:
    return scenario.ledger_lines()[-1]


# -- the full path ---------------------------------------------------------------------------


def test_an_applied_wish_becomes_a_draft_pull_request(
    scenario: Scenario, github: LoopbackGitHub, pr_log: pytest.LogCaptureFixture
) -> None:
    # Changes the opener must leave alone: a tracked edit, a staged edit, an untracked file.
    (scenario.work / "src/other.py").write_text("OTHER = 2\n")
    (scenario.work / "README.md").write_text("# widgets, staged\n")
    scenario.git("add", "README.md")
    (scenario.work / "notes.txt").write_text("mine\n")
    index_before = scenario.git("diff", "--cached", "--name-only")
    head_before = scenario.git("rev-parse", "HEAD").strip()
    steps: list[str] = []

    result = scenario.open(progress=steps.append)

    branch = branch_of(scenario)
    assert result.outcome == "complete", result.message
    assert result.exit_code == 0
    assert result.pr_url == "https://github.example/acme/widgets/pull/1"
    assert result.branch == branch and result.base == "main" and result.pushed
    assert result.message == (f"Opened {result.pr_url} from {branch} into main (3 files).")
    assert set(result.files) == set(APPLIED)
    assert {"src/other.py", "README.md", "notes.txt"} <= set(result.other_changes)
    assert not set(result.other_changes) & set(APPLIED)
    # The undo record lives outside the repository, so it can never be committed.
    assert not any(scenario.anchor.anchor_id in path for path in result.other_changes)
    assert steps[-1] == "Opening the pull request" and any("Pushing" in s for s in steps)

    # The bare remote's branch: HEAD plus exactly the applied files.
    tip = scenario.git("rev-parse", f"refs/heads/{branch}", cwd=scenario.remote).strip()
    assert tip == result.commit
    changed = scenario.git("diff", "--name-status", "main", branch, cwd=scenario.remote)
    assert sorted(changed.splitlines()) == ["A\tsrc/tiers.py", "D\tsrc/old.py", "M\tsrc/cache.py"]
    assert (
        scenario.git("show", f"{branch}:src/cache.py", cwd=scenario.remote)
        == (scenario.work / "src/cache.py").read_text()
    )
    assert scenario.git("rev-parse", f"{branch}^", cwd=scenario.remote).strip() == head_before
    assert scenario.git("rev-list", "--count", f"main..{branch}", cwd=scenario.remote) == "1\n"

    # The commit: author from git's config, the wish in the message, the trailers.
    author = scenario.git("log", "-1", "--format=%an <%ae>", branch, cwd=scenario.remote)
    assert author.strip() == "Ada Wisher <ada@example.org>"
    message = scenario.git("log", "-1", "--format=%B", branch, cwd=scenario.remote)
    assert message.startswith("Tune the widget cache: 2 tiers\n\nObjective: Split the widget")
    assert "Invariants:\n- No change to the public API\n" in message
    assert "Rollback:\n- wishcraft rollback the anchor\n" in message
    trailers = scenario.git("log", "-1", "--format=%(trailers)", branch, cwd=scenario.remote)
    assert f"Wish-Anchor: {scenario.anchor.anchor_id}" in trailers
    assert f"Wish-Hash: {'ab' * 32}" in trailers

    # The work tree, the index and HEAD are as they were; the other changes stay uncommitted.
    assert scenario.git("rev-parse", "HEAD").strip() == head_before
    assert scenario.git("diff", "--cached", "--name-only") == index_before
    assert (scenario.work / "src/other.py").read_text() == "OTHER = 2\n"
    assert (scenario.work / "notes.txt").read_text() == "mine\n"
    assert scenario.git("show", f"{branch}:src/other.py", cwd=scenario.remote) == "OTHER = 1\n"

    # What GitHub got.
    [request] = github.requests
    assert request.method == "POST" and request.path == "/repos/acme/widgets/pulls"
    assert request.headers["accept"] == "application/vnd.github+json"
    assert request.headers["x-github-api-version"] == "2022-11-28"
    assert request.headers["authorization"] == f"Bearer {TOKEN}"
    body = request.json
    assert body["title"] == "Tune the widget cache: 2 tiers"
    assert body["head"] == branch and body["base"] == "main" and body["draft"] is True
    text = body["body"]
    for expected in (
        "1. Read the cache module",
        "2. Split it in two tiers",
        "| 75 | 75 | 70 |",
        "| meso |",
        "- No change to the public API",
        "- Revert the pull request",
        f"`{scenario.anchor.anchor_id}`",
        f"`{scenario.anchor.diff_hash}`",
        "- `src/tiers.py`",
    ):
        assert expected in text, expected

    # The ledger: one open_pr line with the pull request and the branch; the chain holds.
    entry = last_line(scenario)
    assert (entry.action, entry.outcome, entry.mode) == ("open_pr", "complete", "commit")
    assert entry.conduit == CONDUIT and entry.anchor_id == scenario.anchor.anchor_id
    assert entry.pr_url == result.pr_url
    assert entry.wish == "data/wishes/cache.wish.yaml"
    assert entry.summary is not None and branch in entry.summary
    assert entry.diff_hash == scenario.anchor.diff_hash
    assert verify(scenario.ledger).ok

    # No token in any output; none in git's command lines, but in its environment.
    assert_no_token(scenario, result, pr_log, github)
    argv = scenario.argv_lines()
    assert any(line.startswith("push ") for line in argv)
    assert not any("--force" in line or " -f " in line or "+refs" in line for line in argv)
    env_keys = scenario.argv_log.read_text()
    assert "GIT_CONFIG_KEY_1=http.https://github.com/.extraHeader" in env_keys


def test_draft_false_and_a_second_pull_request_is_refused(
    scenario: Scenario, github: LoopbackGitHub
) -> None:
    scenario.set_config("[pr]\ndraft = false\n")
    assert scenario.open().outcome == "complete"
    assert github.requests[0].json["draft"] is False
    again = scenario.open()
    assert (again.outcome, again.exit_code, again.gate) == ("refused", 3, "Ledger")
    assert "already opened" in again.message and "pull/1" in again.message
    assert len(github.requests) == 1


def test_a_workspace_below_the_repository_root(tmp_path: Path, github: LoopbackGitHub) -> None:
    scenario = make_scenario(tmp_path, github.base_url, subdir="pkg")
    result = scenario.open()
    assert result.outcome == "complete", result.message
    assert set(result.files) == {f"pkg/{path}" for path in APPLIED}
    changed = scenario.git("diff", "--name-only", "main", str(result.branch), cwd=scenario.remote)
    assert sorted(changed.split()) == sorted(f"pkg/{path}" for path in APPLIED)
    assert "- `pkg/src/tiers.py`" in github.requests[0].json["body"]


def test_refused_when_head_already_holds_the_change(
    scenario: Scenario, github: LoopbackGitHub
) -> None:
    scenario.git("add", "-A", "src")
    scenario.git("commit", "-q", "-m", "Committed by hand")
    result = scenario.open()
    refused(result, "Repository", "HEAD already holds every applied file")
    assert_nothing_pushed(scenario, github)


def test_an_executable_file_keeps_its_mode(scenario: Scenario, github: LoopbackGitHub) -> None:
    os.chmod(scenario.work / "src/tiers.py", 0o755)
    result = scenario.open()
    assert result.outcome == "complete", result.message
    tree = scenario.git("ls-tree", "-r", str(result.branch), "src/", cwd=scenario.remote)
    modes = {line.split("\t")[1]: line.split()[0] for line in tree.splitlines()}
    assert modes == {"src/cache.py": "100644", "src/other.py": "100644", "src/tiers.py": "100755"}


def test_the_token_may_come_from_gh(
    scenario: Scenario, github: LoopbackGitHub, pr_log: pytest.LogCaptureFixture
) -> None:
    gh = scenario.tmp / "bin" / "gh"
    gh.write_text(f"#!/bin/sh\n[ \"$1 $2\" = 'auth token' ] && echo {TOKEN}\n")
    gh.chmod(0o755)
    env = {key: value for key, value in scenario.env.items() if key != "GH_TOKEN"}
    result = scenario.open(env=env)
    assert result.outcome == "complete", result.message
    assert github.requests[0].headers["authorization"] == f"Bearer {TOKEN}"
    assert_no_token(scenario, result, pr_log, github)


def test_github_token_is_the_second_choice(scenario: Scenario, github: LoopbackGitHub) -> None:
    env = {key: value for key, value in scenario.env.items() if key != "GH_TOKEN"}
    env["GITHUB_TOKEN"] = TOKEN[::-1]
    assert scenario.open(env=env).outcome == "complete"
    assert github.requests[0].headers["authorization"] == f"Bearer {TOKEN[::-1]}"


def test_find_applied_leads_from_an_anchor_to_its_wish(scenario: Scenario) -> None:
    """`wishcraft pr ANCHOR` starts here: from the working directory to the ledger, the
    undo folder, the apply line and the wish's file."""
    applied = find_applied(scenario.work / "src", scenario.anchor.anchor_id)
    assert applied.ledger == LedgerPlace(scenario.ledger, scenario.state_dir)
    assert applied.wish_path == scenario.work / "data/wishes/cache.wish.yaml"
    assert applied.entry.diff_hash == scenario.anchor.diff_hash
    assert applied.workspace == scenario.work.resolve()
    with pytest.raises(PrRefused, match="no applied change A-20260101T000000Z-000000000000"):
        find_applied(scenario.work, "A-20260101T000000Z-000000000000")
    with pytest.raises(PrRefused, match="is not an anchor id"):
        find_applied(scenario.work, "../../etc/passwd")
    scenario.ledger.write_text("")
    with pytest.raises(PrRefused, match="holds no apply of"):
        find_applied(scenario.work, scenario.anchor.anchor_id)


# -- the gates -----------------------------------------------------------------------------


def refused(result: PrResult, gate: str, *words: str) -> None:
    assert (result.outcome, result.exit_code, result.gate) == ("refused", 3, gate), result
    assert result.message.endswith("."), result.message
    assert result.message.count(". ") == 0 or "e.g." in result.message, result.message
    for word in words:
        assert word in result.message, (word, result.message)


def assert_refused_line(scenario: Scenario, result: PrResult) -> None:
    entry = last_line(scenario)
    assert (entry.action, entry.outcome) == ("open_pr", "refused")
    assert entry.reason == result.message and entry.anchor_id == scenario.anchor.anchor_id
    assert entry.pr_url is None


def assert_nothing_pushed(scenario: Scenario, github: LoopbackGitHub) -> None:
    heads = scenario.git("for-each-ref", "--format=%(refname)", cwd=scenario.remote)
    assert heads.split() == ["refs/heads/main"]
    assert scenario.git("for-each-ref", "--format=%(refname)", "refs/heads/wish") == ""
    assert github.requests == []


def test_refused_without_the_open_pr_permission(scenario: Scenario, github: LoopbackGitHub) -> None:
    scenario.registry_text = REGISTRY.replace('"code.diff", "code.open_pr"', '"code.diff"')
    result = scenario.open()
    refused(result, "Permissions", "code.open_pr")
    assert_refused_line(scenario, result)
    assert_nothing_pushed(scenario, github)


def test_refused_without_a_scope_listing_open_pr(
    scenario: Scenario, github: LoopbackGitHub
) -> None:
    scenario.registry_text = REGISTRY.replace('["diff", "open_pr"]', '["diff"]')
    result = scenario.open()
    refused(result, "Scopes", "open_pr", "actions")
    assert_refused_line(scenario, result)
    assert_nothing_pushed(scenario, github)


def test_refused_when_the_scope_is_for_another_repository(
    scenario: Scenario, github: LoopbackGitHub
) -> None:
    scenario.registry_text = REGISTRY.replace('repo: "widgets"', 'repo: "gadgets"')
    result = scenario.open()
    refused(result, "Scopes", "gadgets", "widgets")
    assert_nothing_pushed(scenario, github)


def test_refused_when_per_wish_calls_are_used_up(
    scenario: Scenario, github: LoopbackGitHub
) -> None:
    for _ in range(2):  # the apply was the first call; limit 3
        append(
            scenario.ledger,
            LedgerEntry(
                conduit=CONDUIT,
                action="apply",
                mode="commit",
                wish="data/wishes/cache.wish.yaml",
                outcome="complete",
                anchor_id="A-20260101T000000Z-000000000000",
            ),
        )
    result = scenario.open()
    refused(result, "Limits", "per_wish_calls", "3")
    assert_refused_line(scenario, result)
    assert_nothing_pushed(scenario, github)


def test_refused_when_the_ledger_holds_no_apply(scenario: Scenario, github: LoopbackGitHub) -> None:
    scenario.ledger.unlink()
    result = scenario.open(wish_key="data/wishes/cache.wish.yaml")
    refused(result, "Ledger", "holds no apply", scenario.anchor.anchor_id)
    assert_refused_line(scenario, result)
    assert last_line(scenario).wish == "data/wishes/cache.wish.yaml"
    assert_nothing_pushed(scenario, github)


def test_refused_when_the_anchor_is_unknown_or_undone(
    scenario: Scenario, github: LoopbackGitHub
) -> None:
    result = scenario.open(ledger=LedgerPlace(scenario.ledger, scenario.tmp / "elsewhere"))
    refused(result, "Ledger", "no applied change")
    rollback(scenario.anchor.anchor_id, state_dir=scenario.state_dir)
    result = scenario.open()
    refused(result, "Ledger", "was undone")
    assert_nothing_pushed(scenario, github)


def test_refused_when_an_applied_file_changed_since(
    scenario: Scenario, github: LoopbackGitHub
) -> None:
    (scenario.work / "src/cache.py").write_text("SIZE = 3\n")
    result = scenario.open()
    refused(result, "Files", "'src/cache.py' changed after the change was applied")
    assert_refused_line(scenario, result)
    assert_nothing_pushed(scenario, github)


def test_refused_when_a_removed_file_came_back(scenario: Scenario, github: LoopbackGitHub) -> None:
    (scenario.work / "src/old.py").write_text("OLD = True\n")
    refused(scenario.open(), "Files", "'src/old.py'")
    assert_nothing_pushed(scenario, github)


def test_refused_without_the_remote(scenario: Scenario, github: LoopbackGitHub) -> None:
    scenario.set_config('[pr]\nremote = "upstream"\n')
    result = scenario.open()
    refused(result, "Repository", "no remote `upstream`", "git remote add upstream")
    assert_refused_line(scenario, result)
    scenario.set_config("")
    scenario.git("remote", "remove", "origin")
    scenario.registry_text = REGISTRY.replace('repo: "widgets"', 'repo: "*"')  # no name now
    refused(scenario.open(), "Repository", "no remote `origin`", "[pr] remote")
    assert github.requests == []


def test_the_pr_remote_names_the_repository_for_the_scopes(
    scenario: Scenario, github: LoopbackGitHub
) -> None:
    """`[pr] remote = "upstream"`: the scope's `repo` is matched against upstream's name."""
    url = scenario.git("config", "--get", "remote.origin.url").strip()
    scenario.git("remote", "rename", "origin", "upstream")
    scenario.git("remote", "add", "origin", "https://github.com/acme/gadgets.git")
    refused(scenario.open(), "Scopes", "`gadgets`")
    scenario.set_config('[pr]\nremote = "upstream"\n')
    result = scenario.open()
    assert result.outcome == "complete", result.message
    assert url.endswith("acme/widgets.git")
    assert github.requests[0].path == "/repos/acme/widgets/pulls"
    assert (
        scenario.git(
            "for-each-ref", "--format=%(refname)", "refs/heads/wish", cwd=scenario.remote
        ).strip()
        == f"refs/heads/{result.branch}"
    )


def test_refused_outside_a_git_repository(scenario: Scenario, github: LoopbackGitHub) -> None:
    os.rename(scenario.work / ".git", scenario.tmp / "git-aside")
    result = scenario.open()
    refused(result, "Repository", "is not in a git repository")
    assert github.requests == []


def test_refused_without_a_token(scenario: Scenario, github: LoopbackGitHub) -> None:
    env = {key: value for key, value in scenario.env.items() if key != "GH_TOKEN"}
    result = scenario.open(env=env)
    refused(result, "Token", "GH_TOKEN")
    assert_refused_line(scenario, result)
    assert_nothing_pushed(scenario, github)


def test_refused_when_the_branch_exists(scenario: Scenario, github: LoopbackGitHub) -> None:
    branch = branch_of(scenario)
    scenario.git("branch", branch)
    result = scenario.open()
    refused(result, "Branch", branch, "exists already in this repository")
    scenario.git("push", "-q", "origin", f"{branch}:refs/heads/{branch}")
    scenario.git("branch", "-D", branch)
    refused(scenario.open(), "Branch", "exists already on the remote")
    assert github.requests == []


def test_never_pushes_to_the_default_branch(scenario: Scenario, github: LoopbackGitHub) -> None:
    branch = branch_of(scenario)
    scenario.git("branch", branch, "main", cwd=scenario.remote)
    scenario.git("symbolic-ref", "HEAD", f"refs/heads/{branch}", cwd=scenario.remote)
    before = scenario.git("for-each-ref", cwd=scenario.remote)
    refused(scenario.open(), "Branch", "is the remote's default branch", "never pushes there")
    assert scenario.git("for-each-ref", cwd=scenario.remote) == before
    assert github.requests == []


def test_refused_when_the_check_fails(
    scenario: Scenario, github: LoopbackGitHub, pr_log: pytest.LogCaptureFixture
) -> None:
    script = scenario.tmp / "check.sh"
    script.write_text(
        "#!/bin/sh\necho running 12 tests\necho FAILED test_cache - SIZE is 2\nexit 1\n"
    )
    script.chmod(0o755)
    scenario.set_config(f'[pr]\ncheck = "{script} --quick"\n')
    result = scenario.open()
    refused(result, "Check", f"`{script} --quick` failed (exit 1)", "FAILED test_cache - SIZE is 2")
    assert_refused_line(scenario, result)
    assert "check| running 12 tests" in pr_log.text
    assert_nothing_pushed(scenario, github)


def test_the_check_runs_without_the_token_and_passes(
    scenario: Scenario, github: LoopbackGitHub
) -> None:
    seen = scenario.tmp / "seen.txt"
    script = scenario.tmp / "check.sh"
    script.write_text(f'#!/bin/sh\npwd > {seen}\necho "[$GH_TOKEN]" >> {seen}\n')
    script.chmod(0o755)
    scenario.set_config(f'[pr]\ncheck = "{script}"\n')
    assert scenario.open().outcome == "complete"
    assert seen.read_text() == f"{scenario.work}\n[]\n"


def test_refused_when_the_check_times_out(scenario: Scenario, github: LoopbackGitHub) -> None:
    scenario.set_config('[pr]\ncheck = "sleep 30"\ncheck_timeout = 0.5\n')
    result = scenario.open()
    refused(result, "Check", "`sleep 30` did not finish within 0.5 seconds", "check_timeout")
    assert_nothing_pushed(scenario, github)


def test_a_bad_pr_table_is_bad_input(scenario: Scenario, github: LoopbackGitHub) -> None:
    scenario.set_config('[pr]\ndraft = "yes"\n')
    result = scenario.open()
    assert (result.outcome, result.exit_code) == ("failed", 2)
    assert "[pr] draft must be true or false" in result.message
    assert last_line(scenario).action == "apply"  # bad input is not a conduit call
    assert github.requests == []


# -- failures after the gates ---------------------------------------------------------------


def assert_failed_line(scenario: Scenario, result: PrResult) -> None:
    entry = last_line(scenario)
    assert (entry.action, entry.outcome) == ("open_pr", "failed")
    assert entry.reason == result.message and entry.pr_url is None


def test_a_422_quotes_github(
    scenario: Scenario, github: LoopbackGitHub, pr_log: pytest.LogCaptureFixture
) -> None:
    github.enqueue(
        Answer(
            422,
            {
                "message": "Validation Failed",
                "errors": [
                    {
                        "resource": "PullRequest",
                        "code": "custom",
                        "message": "A pull request already exists for acme:wish/x.",
                    }
                ],
            },
        )
    )
    result = scenario.open()
    assert (result.outcome, result.exit_code, result.pushed) == ("failed", 1, True)
    assert (
        "GitHub did not open the pull request: Validation Failed (A pull request already "
        "exists for acme:wish/x)"
    ) in result.message
    assert f"(the branch {branch_of(scenario)} is on the remote: open" in result.message
    assert result.message.count(". ") == 0
    assert_failed_line(scenario, result)
    assert branch_of(scenario) in (last_line(scenario).summary or "")
    assert_no_token(scenario, result, pr_log, github)


@pytest.mark.parametrize("status", [401, 403])
def test_a_token_that_cannot_open_pull_requests(
    scenario: Scenario, github: LoopbackGitHub, pr_log: pytest.LogCaptureFixture, status: int
) -> None:
    github.enqueue(Answer(status, {"message": "Bad credentials"}))
    result = scenario.open()
    assert (result.outcome, result.exit_code) == ("failed", 1)
    assert (
        f"GitHub refused the token from GH_TOKEN (HTTP {status}: Bad credentials)" in result.message
    )
    assert "cannot push to or open pull requests on acme/widgets" in result.message
    assert_failed_line(scenario, result)
    assert_no_token(scenario, result, pr_log, github)


def test_a_redirect_is_not_followed(scenario: Scenario, github: LoopbackGitHub) -> None:
    github.enqueue(Answer(307, None, {"Location": f"{github.base_url}/repos/acme/widgets/pulls"}))
    result = scenario.open()
    assert result.outcome == "failed" and "redirect" in result.message
    assert len(github.requests) == 1


def test_the_network_failing(scenario: Scenario, github: LoopbackGitHub) -> None:
    closed = LoopbackGitHub().start()
    url = closed.base_url
    closed.stop()
    env = {**scenario.env, "GITHUB_API_URL": url}
    result = scenario.open(env=env)
    assert result.outcome == "failed"
    assert result.message.startswith(f"Cannot reach the GitHub API at {url}")
    assert "GITHUB_API_URL" in result.message


def test_a_push_rejected_by_a_hook(
    scenario: Scenario, github: LoopbackGitHub, pr_log: pytest.LogCaptureFixture
) -> None:
    hook = scenario.remote / "hooks" / "pre-receive"
    hook.write_text("#!/bin/sh\necho 'wish branches are frozen' >&2\nexit 1\n")
    hook.chmod(0o755)
    result = scenario.open()
    assert (result.outcome, result.exit_code, result.pushed) == ("failed", 1, False)
    assert result.message.startswith(
        f"The remote `origin` rejected the push of "
        f"{branch_of(scenario)} (pre-receive hook declined)"
    )
    assert_failed_line(scenario, result)
    assert github.requests == []
    # The local branch is gone again, so a second try after the fix starts clean.
    assert scenario.git("for-each-ref", "refs/heads/wish") == ""
    hook.unlink()
    assert scenario.open().outcome == "complete"
    assert_no_token(scenario, result, pr_log, github)
