"""The GitHub token goes only to git's HTTPS transport for GitHub's host, never to a hook.

Against real git, a bare remote served by the loopback smart-HTTP server (which records the
Authorization header of every request) and the loopback GitHub API. `origin` is a github.com
URL that the user's own global git config rewrites to the loopback server, as in every
pull-request test.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from testkit.git_http import GitHttpServer
from testkit.github import LoopbackGitHub
from testkit.pr_repo import BASIC, TOKEN, Scenario, make_scenario
from testkit.pr_wish import write_wish
from wishcraft.pr import git as gitops
from wishcraft.pr.errors import PrRefused


@pytest.fixture
def served(tmp_path: Path, github: LoopbackGitHub) -> Iterator[tuple[Scenario, GitHttpServer]]:
    scenario = make_scenario(tmp_path, github.base_url)
    with GitHttpServer(tmp_path / "remote", password=TOKEN) as server:
        scenario.git("config", "--global", "--unset", f"url.{scenario.remote}.insteadOf")
        scenario.git(
            "config", "--global", f"url.{server.base_url}/.insteadOf", "https://github.com/"
        )
        yield scenario, server


def carried_token(server: GitHttpServer) -> list[str]:
    return [header for header in server.authorizations if header and BASIC in header]


@pytest.mark.parametrize(
    "url",
    [
        "https://gitlab.example/acme/widgets.git",
        "https://github.com.evil.example/acme/widgets.git",
        "http://github.com/acme/widgets.git",
    ],
    ids=["other-host", "lookalike-host", "plain-http"],
)
def test_an_origin_off_github_gets_no_token(
    served: tuple[Scenario, GitHttpServer], github: LoopbackGitHub, url: str
) -> None:
    scenario, server = served
    scenario.git("remote", "set-url", "origin", url)
    base = url.rsplit("/acme/", 1)[0] + "/"
    scenario.git("config", "--global", f"url.{server.base_url}/.insteadOf", base)
    result = scenario.open()
    assert (result.outcome, result.exit_code, result.gate) == ("refused", 3, "Token")
    assert result.message.count(". ") == 0 and "GH_HOST" in result.message
    assert server.authorizations == [] and carried_token(server) == []  # 0 requests
    assert github.requests == []


def test_a_push_url_off_github_gets_no_token(
    served: tuple[Scenario, GitHttpServer], github: LoopbackGitHub
) -> None:
    """`remote.origin.pushurl` sends the push elsewhere while `url` still says github.com."""
    scenario, server = served
    scenario.git("config", "remote.origin.pushurl", "https://gitlab.example/acme/widgets.git")
    scenario.git(
        "config",
        "--global",
        "--add",
        f"url.{server.base_url}/.insteadOf",
        "https://gitlab.example/",
    )
    result = scenario.open()
    assert (result.outcome, result.gate) == ("refused", "Token")
    assert "gitlab.example" in result.message
    assert server.authorizations == [] and github.requests == []


def test_gh_host_names_a_github_enterprise_host(
    served: tuple[Scenario, GitHttpServer], github: LoopbackGitHub
) -> None:
    scenario, server = served
    scenario.git("remote", "set-url", "origin", "https://ghe.example/acme/widgets.git")
    scenario.git("config", "--global", f"url.{server.base_url}/.insteadOf", "https://ghe.example/")
    result = scenario.open(env={**scenario.env, "GH_HOST": "GHE.example"})
    assert result.outcome == "complete", result.message
    assert carried_token(server)  # the push went with the token to the user's rewrite


def test_the_repositorys_own_rewrite_of_origin_gets_no_token(
    served: tuple[Scenario, GitHttpServer], github: LoopbackGitHub
) -> None:
    """`url.<x>.insteadOf` in .git/config could send github.com's token anywhere."""
    scenario, server = served
    scenario.git("config", "--global", "--unset", f"url.{server.base_url}/.insteadOf")
    scenario.git("config", f"url.{server.base_url}/.insteadOf", "https://github.com/acme/")
    result = scenario.open()
    assert (result.outcome, result.gate) == ("refused", "Token")
    assert "decides where the token for the remote `origin` goes" in result.message
    assert server.authorizations == [] and github.requests == []


@pytest.mark.parametrize(
    ("key", "value"),
    [
        ("http.proxy", "{trap}"),
        ("http.https://github.com/.proxy", "{trap}"),
        ("remote.origin.proxy", "{trap}"),
        ("http.sslVerify", "false"),
        ("http.https://github.com.sslVerify", "0"),
        ("http.sslCAInfo", "/tmp/attacker-ca.pem"),
        ("http.curloptResolve", "github.com:443:{trap_host}"),
        ("http.followRedirects", "true"),
    ],
)
def test_the_repositorys_own_proxy_or_tls_settings_get_no_token(
    served: tuple[Scenario, GitHttpServer], github: LoopbackGitHub, key: str, value: str
) -> None:
    """A proxy, a resolve, a CA file or TLS checks off in .git/config would let another host
    see github.com's token: refused at the Token gate, 0 connections reach the trap (a
    listening socket standing for the attacker's proxy), 0 requests anywhere."""
    scenario, server = served
    with socket.socket() as trap:
        trap.bind(("127.0.0.1", 0))
        trap.listen()
        trap.setblocking(False)
        host, port = trap.getsockname()
        scenario.git("config", key, value.format(trap=f"http://{host}:{port}", trap_host=host))
        result = scenario.open()
        with pytest.raises(BlockingIOError):
            trap.accept()
    assert (result.outcome, result.gate) == ("refused", "Token")
    assert "decides where the token for the remote `origin` goes" in result.message
    assert server.authorizations == [] and github.requests == []


def test_the_repositorys_harmless_http_settings_still_push(
    served: tuple[Scenario, GitHttpServer], github: LoopbackGitHub
) -> None:
    """TLS checks left on and an unrelated buffer size in .git/config: the pull request opens
    with the token (the refusal above is about where the token goes, not any `http.*`)."""
    scenario, server = served
    scenario.git("config", "http.sslVerify", "true")
    scenario.git("config", "http.postBuffer", "1048576")
    result = scenario.open()
    assert result.outcome == "complete", result.message
    assert carried_token(server)


HOOK = """#!/bin/sh
{{
  echo "hook $0"
  env
  git config --list --show-origin
  printf 'protocol=https\\nhost=github.com\\n\\n' | git credential fill
}} >> '{dump}' 2>&1
exit 0
"""


def test_in_tree_hooks_never_see_the_token(
    served: tuple[Scenario, GitHttpServer], github: LoopbackGitHub
) -> None:
    """Husky style: `core.hooksPath = .husky`, hooks a model may have edited. The hooks that
    run (reference-transaction, on the local branch) dump their environment, git's config and
    any credential they can get: the dump never holds the token; pre-push does not run."""
    scenario, server = served
    write_wish(scenario)
    dump = scenario.tmp / "hook-dump.txt"
    hooks = scenario.work / ".husky"
    hooks.mkdir()
    for name in ("pre-push", "reference-transaction", "post-commit", "push-to-checkout"):
        hook = hooks / name
        hook.write_text(HOOK.format(dump=dump))
        hook.chmod(0o755)
    scenario.git("config", "core.hooksPath", ".husky")
    done = subprocess.run(
        [sys.executable, "-m", "wishcraft.cli", "pr", scenario.anchor.anchor_id, "--verbose"],
        env=scenario.env,
        cwd=scenario.work,
        capture_output=True,
        text=True,
        timeout=120,
        stdin=subprocess.DEVNULL,
    )
    assert done.returncode == 0, done.stderr
    assert carried_token(server) and len(github.requests) == 1  # the push itself had it
    text = dump.read_text()
    assert "hook " in text and "reference-transaction" in text  # local hooks did run
    assert "pre-push" not in text
    assert TOKEN not in text and BASIC not in text and TOKEN[4:20] not in text
    assert "Pushed without running the repository's pre-push hook" in done.stderr
    assert TOKEN not in done.stderr + done.stdout


def test_no_hook_no_note(served: tuple[Scenario, GitHttpServer], github: LoopbackGitHub) -> None:
    scenario, _ = served
    result = scenario.open()
    assert result.outcome == "complete", result.message
    assert "pre-push" not in result.message


@pytest.mark.parametrize(
    ("url", "env", "allowed"),
    [
        ("https://github.com/a/b.git", {}, True),
        ("https://GitHub.com/a/b.git", {}, True),
        ("https://x-access-token:t@github.com/a/b.git", {}, True),
        ("git@evil.example:a/b.git", {}, True),  # ssh: git gets no token
        ("/srv/a/b.git", {}, True),
        ("https://ghe.example:8443/a/b.git", {"GH_HOST": "ghe.example:8443"}, True),
        ("https://ghe.example/a/b.git", {"GH_HOST": "ghe.example"}, True),
        ("https://ghe.example/a/b.git", {}, False),
        ("https://github.com@evil.example/a/b.git", {}, False),
        ("https://evil.example/github.com/a/b.git", {}, False),
        ("http://github.com/a/b.git", {}, False),
    ],
)
def test_check_token_host(url: str, env: dict[str, str], allowed: bool) -> None:
    if allowed:
        gitops.check_token_host(url, "origin", env)
    else:
        with pytest.raises(PrRefused) as caught:
            gitops.check_token_host(url, "origin", env)
        assert caught.value.gate == "Token"
        assert os.linesep not in caught.value.message
