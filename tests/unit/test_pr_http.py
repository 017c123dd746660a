"""The token's way to an https remote, for real: a loopback smart-HTTP git server.

The scenario's remote is served by `git http-backend` behind Basic authentication
(`testkit.git_http`), as GitHub serves https remotes. The opener must authenticate every
request (`ls-remote` and the push) with the token, through git's environment only; a wrong
token is refused by the server and ends in one sentence, with no prompt and no token shown.
"""

from __future__ import annotations

import base64
import logging
from collections.abc import Iterator
from pathlib import Path

import pytest

from testkit.git_http import GitHttpServer
from testkit.github import LoopbackGitHub
from testkit.pr_repo import HOST_URL, TOKEN, Scenario, make_scenario


@pytest.fixture
def served(tmp_path: Path, github: LoopbackGitHub) -> Iterator[tuple[Scenario, GitHttpServer]]:
    scenario = make_scenario(tmp_path, github.base_url)
    with GitHttpServer(tmp_path / "remote", password=TOKEN) as server:
        # origin stays github.com; the user's own git config sends it to the loopback server.
        scenario.git("config", "--global", "--unset", f"url.{scenario.remote}.insteadOf")
        scenario.git(
            "config", "--global", f"url.{server.base_url}/.insteadOf", "https://github.com/"
        )
        yield scenario, server


def test_every_request_to_an_https_remote_carries_the_token(
    served: tuple[Scenario, GitHttpServer], github: LoopbackGitHub, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    scenario, server = served
    result = scenario.open()
    assert result.outcome == "complete", result.message
    expected = "Basic " + base64.b64encode(f"x-access-token:{TOKEN}".encode()).decode()
    assert server.authorizations and set(server.authorizations) == {expected}
    assert any("git-receive-pack" in path for path in server.paths)  # the push went over HTTP
    assert result.branch is not None
    assert (
        scenario.git("rev-parse", f"refs/heads/{result.branch}", cwd=scenario.remote).strip()
        == result.commit
    )
    assert github.requests[0].path == "/repos/acme/widgets/pulls"
    for text in (
        caplog.text,
        scenario.argv_log.read_text(),
        repr(result),
        scenario.ledger.read_text(),
    ):
        assert TOKEN not in text and expected[6:] not in text


def test_a_token_the_remote_refuses_is_one_sentence(
    served: tuple[Scenario, GitHttpServer], github: LoopbackGitHub, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    scenario, server = served
    wrong = "ghp_" + "N0tTh3R1ghtT0k3nAtA11x" * 2
    result = scenario.open(env={**scenario.env, "GH_TOKEN": wrong})
    assert (result.outcome, result.exit_code) == ("failed", 1)
    assert result.message.startswith("The remote `origin` refused the credentials (")
    assert "GH_TOKEN" in result.message and result.message.count(". ") == 0
    assert None not in server.authorizations  # the token was offered, never nothing
    assert github.requests == []
    assert scenario.git("for-each-ref", "refs/heads/wish", cwd=scenario.remote) == ""
    for text in (caplog.text, scenario.argv_log.read_text(), repr(result)):
        assert wrong not in text


def test_the_configured_url_names_the_repository(
    served: tuple[Scenario, GitHttpServer], github: LoopbackGitHub
) -> None:
    """owner/repo come from `remote.origin.url`, even when `insteadOf` rewrites it."""
    scenario, server = served
    scenario.git("remote", "set-url", "origin", HOST_URL.replace("acme", "octo"))
    scenario.git(
        "config", "--global", f"url.{server.base_url}/acme/.insteadOf", "https://github.com/octo/"
    )
    result = scenario.open()
    assert result.outcome == "complete", result.message
    assert github.requests[0].path == "/repos/octo/widgets/pulls"
    assert len(set(server.authorizations)) == 1 and None not in server.authorizations
