"""The pull-request opener's parts, one by one: `[pr]` config, names, URLs, the commit message,
git's environment, the status listing, the GitHub client's sentences and the token's order."""

from __future__ import annotations

import base64
import subprocess
from pathlib import Path

import httpx
import pytest

from testkit.pr_repo import real_git
from wishcraft.pr import PrBadInput, PrRefused, load_pr_config
from wishcraft.pr import git as gitops
from wishcraft.pr.errors import PrFailed
from wishcraft.pr.github import (
    PullRequestDraft,
    Token,
    api_url,
    open_pull_request,
    resolve_token,
)
from wishcraft.redaction import scrub

# -- [pr] ---------------------------------------------------------------------------------


def write_config(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "wishcraft.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_pr_config_defaults_and_values(tmp_path: Path) -> None:
    assert load_pr_config(None).remote == "origin"
    defaults = load_pr_config(write_config(tmp_path, "[lint]\nplanMaxSteps = 5\n"))
    assert (defaults.remote, defaults.draft, defaults.check, defaults.check_timeout) == (
        "origin",
        True,
        None,
        600.0,
    )
    assert defaults.check_argv() is None
    config = load_pr_config(
        write_config(
            tmp_path,
            '[pr]\nremote = "up"\ndraft = false\n'
            "check = \"pytest -q -k 'not slow'\"\n"
            "check_timeout = 90\n",
        )
    )
    assert (config.remote, config.draft, config.check_timeout) == ("up", False, 90.0)
    assert config.check_argv() == ["pytest", "-q", "-k", "not slow"]


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ('[pr]\nbranch = "x"\n', "[pr] branch is not a known key"),
        ('[pr]\nremote = ""\n', "[pr] remote must be a remote's name"),
        ('[pr]\nremote = "--upload-pack=x"\n', "[pr] remote must be a remote's name"),
        ("[pr]\ndraft = 1\n", "[pr] draft must be true or false"),
        ('[pr]\ncheck = "  "\n', "[pr] check must be a command in quotes"),
        ('[pr]\ncheck = "pytest \'oops"\n', "[pr] check cannot be split into words"),
        ("[pr]\ncheck_timeout = 0\n", "[pr] check_timeout must be a number of seconds above 0"),
        ("[pr]\ncheck_timeout = true\n", "[pr] check_timeout must be a number"),
        ("pr = 3\n", "[pr] must be a table"),
        ("[pr\n", "cannot read the configuration"),
    ],
)
def test_pr_config_errors_are_one_sentence(tmp_path: Path, text: str, words: str) -> None:
    with pytest.raises(PrBadInput) as caught:
        load_pr_config(write_config(tmp_path, text))
    assert words in str(caught.value)
    assert caught.value.exit_code == 2


# -- names and URLs -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("https://github.com/acme/widgets.git", ("acme", "widgets")),
        ("https://github.com/acme/widgets", ("acme", "widgets")),
        ("https://user:secret@github.com/acme/widgets.git", ("acme", "widgets")),
        ("ssh://git@github.com/acme/widgets.git", ("acme", "widgets")),
        ("ssh://git@github.com:22/acme/widgets.git", ("acme", "widgets")),
        ("git@github.com:acme/widgets.git", ("acme", "widgets")),
        ("/srv/git/acme/widgets.git", ("acme", "widgets")),
    ],
)
def test_owner_and_repo_from_remote_urls(url: str, expected: tuple[str, str]) -> None:
    assert gitops.owner_repo(url) == expected


def test_a_url_without_an_owner_is_refused_without_its_password() -> None:
    with pytest.raises(PrRefused) as caught:
        gitops.owner_repo("https://user:hunter2hunter2@github.com/widgets.git")
    assert "names no owner/repository" in str(caught.value)
    assert "hunter2" not in str(caught.value)
    assert caught.value.gate == "Repository" and caught.value.exit_code == 3


def test_branch_names() -> None:
    anchor = "A-20261130T075610Z-0ef996a07f37"
    assert (
        gitops.branch_name("Tune the widget cache: 2 tiers", anchor)
        == "wish/tune-the-widget-cache-2-tiers-0ef996a0"
    )
    assert gitops.branch_name("¡¿", anchor) == "wish/wish-0ef996a0"
    long = gitops.branch_name("A " * 60, anchor)
    assert long == "wish/" + "-".join("a" * 20) + "-0ef996a0"
    for title in ("..lock", "a..b", "x@{y}", "~^:?*[\\"):
        name = gitops.branch_name(title, anchor)
        done = subprocess.run([real_git(), "check-ref-format", f"refs/heads/{name}"], check=False)
        assert done.returncode == 0, name


def test_commit_message_trailers_parse_as_git_trailers(tmp_path: Path) -> None:
    message = gitops.commit_message(
        "Title",
        "Do 2 things\nacross lines",
        ["a", "b"],
        ["undo"],
        "A-20261130T075610Z-0ef996a07f37",
        "f" * 64,
    )
    assert message.startswith("Title\n\nObjective: Do 2 things across lines\n\n")
    done = subprocess.run(
        [real_git(), "interpret-trailers", "--parse"],
        input=message,
        capture_output=True,
        text=True,
        check=True,
        cwd=tmp_path,
    )
    assert done.stdout == (f"Wish-Anchor: A-20261130T075610Z-0ef996a07f37\nWish-Hash: {'f' * 64}\n")


# -- git's environment -----------------------------------------------------------------------


def test_credentials_only_for_http_remotes_scoped_to_the_host() -> None:
    token = "ghp_CredentialTest0123456789abcdef"
    assert gitops.credentials(["git@github.com:a/b.git", "/srv/a/b.git"], token) == ()
    pairs = gitops.credentials(["https://me@github.com/a/b.git", "https://github.com/a/c"], token)
    assert pairs[0] == ("credential.helper", "")
    assert len(pairs) == 2 and pairs[1][0] == "http.https://github.com/.extraHeader"
    value = pairs[1][1].removeprefix("Authorization: Basic ")
    assert base64.b64decode(value).decode() == f"x-access-token:{token}"
    assert scrub(f"x {token} {value}") == "x [redacted] [redacted]"


def test_git_environment_keeps_the_users_settings(tmp_path: Path) -> None:
    git = gitops.Git(
        tmp_path,
        {
            "GIT_CONFIG_COUNT": "1",
            "GIT_CONFIG_KEY_0": "core.x",
            "GIT_CONFIG_VALUE_0": "y",
            "SSH_ASKPASS": "/usr/bin/ask",
        },
    )
    env = git.with_config(("a.b", "c"), ("d.e", "f")).env()
    assert env["GIT_CONFIG_COUNT"] == "3"
    assert (env["GIT_CONFIG_KEY_0"], env["GIT_CONFIG_KEY_1"], env["GIT_CONFIG_VALUE_2"]) == (
        "core.x",
        "a.b",
        "f",
    )
    assert env["GIT_TERMINAL_PROMPT"] == "0" and env["GIT_ASKPASS"] == ""
    assert env["GIT_SSH_COMMAND"] == "ssh -o BatchMode=yes"
    assert gitops.Git(tmp_path, {"GIT_SSH_COMMAND": "mine"}).env()["GIT_SSH_COMMAND"] == "mine"


def test_changed_paths_lists_renames_spaces_and_untracked(tmp_path: Path) -> None:
    env = {"GIT_CONFIG_NOSYSTEM": "1", "HOME": str(tmp_path), "PATH": "/usr/bin:/bin"}
    git = gitops.Git(tmp_path, env)
    assert git.run("init", "-q").returncode == 0
    (tmp_path / "old name.txt").write_text("x\n")
    (tmp_path / "kept.txt").write_text("k\n")
    git.run("add", "-A")
    git.run("-c", "user.name=a", "-c", "user.email=a@b", "commit", "-q", "-m", "one")
    git.run("mv", "old name.txt", "new\nname.txt")
    (tmp_path / "dir").mkdir()
    (tmp_path / "dir" / "fresh.txt").write_text("f\n")
    assert sorted(gitops.changed_paths(git)) == ["dir/fresh.txt", "new\nname.txt", "old name.txt"]


def test_push_refuses_the_default_branch_and_foreign_branches(tmp_path: Path) -> None:
    git = gitops.Git(tmp_path, {"PATH": str(tmp_path)})  # no git on PATH: nothing may run
    for branch, default in (("main", "main"), ("wish/x", "wish/x"), ("feature", "main")):
        with pytest.raises(PrRefused) as caught:
            gitops.push(git, "origin", branch, default)
        assert "never pushes there" in str(caught.value)


def test_git_missing_is_one_sentence(tmp_path: Path) -> None:
    with pytest.raises(PrFailed, match="git is not installed or not on PATH; install git"):
        gitops.Git(tmp_path, {"PATH": str(tmp_path)}).run("status")


# -- GitHub ------------------------------------------------------------------------------------


def test_token_order_and_gh(tmp_path: Path) -> None:
    assert resolve_token({"GH_TOKEN": "first-token", "GITHUB_TOKEN": "second-token"}) == Token(
        "first-token", "GH_TOKEN"
    )
    assert resolve_token({"GH_TOKEN": " ", "GITHUB_TOKEN": "second-token"}).source == "GITHUB_TOKEN"
    gh = tmp_path / "gh"
    gh.write_text("#!/bin/sh\necho gh-token-value-1234\n")
    gh.chmod(0o755)
    token = resolve_token({"PATH": str(tmp_path)})
    assert token == Token("gh-token-value-1234", "gh auth token")
    assert "gh-token-value" not in repr(token)
    gh.write_text("#!/bin/sh\necho not logged in >&2\nexit 1\n")
    with pytest.raises(PrRefused, match="No GitHub token: set GH_TOKEN"):
        resolve_token({"PATH": str(tmp_path)})
    with pytest.raises(PrRefused, match="No GitHub token: set GH_TOKEN"):
        resolve_token({"PATH": str(tmp_path / "none")})


def test_api_url() -> None:
    assert api_url({}) == "https://api.github.com"
    assert (
        api_url({"GITHUB_API_URL": "https://ghe.example/api/v3/"}) == "https://ghe.example/api/v3"
    )


DRAFT = PullRequestDraft("acme", "widgets", "T", "B", "wish/x-1", "main", True)
TOKEN = Token("ghp_PartsTestToken0123456789abcdefgh", "GH_TOKEN")


def answer(status: int, body: object) -> httpx.MockTransport:
    return httpx.MockTransport(lambda request: httpx.Response(status, json=body))


@pytest.mark.parametrize(
    ("status", "body", "words"),
    [
        (
            422,
            {
                "message": "Validation Failed",
                "errors": [
                    {"code": "missing_field", "field": "base"},
                    {"message": "No commits between."},
                ],
            },
            "GitHub did not open the pull request: Validation Failed (missing_field; No commits "
            "between)",
        ),
        (422, {"errors": ["head is invalid"]}, "the pull request: head is invalid;"),
        (401, {"message": "Bad credentials"}, "(HTTP 401: Bad credentials): it cannot push"),
        (403, {"message": "Resource not accessible by integration"}, "HTTP 403: Resource not"),
        (404, {"message": "Not Found"}, "GitHub answered 404 for acme/widgets"),
        (500, {"message": "boom"}, "GitHub answered HTTP 500: boom; try again later."),
        (201, {"number": 3}, "without the pull request's address"),
        (301, None, "redirect (HTTP 301), which is not followed"),
    ],
)
def test_github_answers_become_sentences(status: int, body: object, words: str) -> None:
    with pytest.raises(PrFailed) as caught:
        open_pull_request(DRAFT, TOKEN, "https://api.example", transport=answer(status, body))
    assert words in str(caught.value)
    assert str(caught.value).count(". ") == 0


def test_a_token_echoed_by_github_is_not_shown() -> None:
    with pytest.raises(PrFailed) as caught:
        open_pull_request(
            DRAFT,
            TOKEN,
            "https://api.example",
            transport=answer(422, {"message": f"token {TOKEN.value} is odd"}),
        )
    assert TOKEN.value not in str(caught.value) and "[redacted]" in str(caught.value)


def test_github_token_shapes_are_redacted_even_when_never_read() -> None:
    from wishcraft.redaction import redact

    text = (
        "old ghp_0123456789abcdefghijABCDEFGHIJ and github_pat_11ABCDEFG0123456789_abcdefghij"
        " but not ghost_writer or gh_pages"
    )
    assert redact(text) == "old [redacted] and [redacted] but not ghost_writer or gh_pages"
