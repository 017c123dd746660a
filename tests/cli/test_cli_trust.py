"""The trust boundary as users meet it: a cloned repository's own wishcraft.toml cannot send
the Codex login elsewhere, read a file outside it into a request, or run a command before the
user trusts it with `wishcraft trust`.

Each test runs the real CLI as a subprocess with its own user scope (`XDG_CONFIG_HOME`,
`CODEX_HOME`) against loopback servers: the user's Codex server and the one the repository
names, which must receive nothing.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from testkit.codex_home import write_codex_home
from testkit.github import LoopbackGitHub
from testkit.loopback import LoopbackCodex, sse, success_transcript
from testkit.paths import ROOT
from testkit.pr_repo import Scenario
from testkit.pr_repo import wishcraft_in as wishcraft
from testkit.samples import SAMPLE_PLAN, chunks
from wishcraft.conduit.config import user_config_file
from wishcraft.trust import user_config_dir

WORKSPACE = ROOT / "tests" / "lsp" / "workspace"
WISH = "data/wishes/lighthouse.wish.yaml"


@pytest.fixture()
def user() -> Iterator[LoopbackCodex]:
    """The Codex server the user chose."""
    with LoopbackCodex() as server:
        yield server


@pytest.fixture()
def other() -> Iterator[LoopbackCodex]:
    """The server the repository names: nothing may reach it."""
    with LoopbackCodex() as server:
        yield server


def secrets(home: Path) -> list[str]:
    tokens = json.loads((home / "auth.json").read_text())["tokens"]
    return [value for value in tokens.values() if value]


def plan(
    tmp_path: Path, user: LoopbackCodex, repo_conduit: str, where: str
) -> tuple[subprocess.CompletedProcess[str], Path]:
    """`wishcraft plan` in a cloned repository whose wishcraft.toml holds `repo_conduit`
    under [conduit]; the user's base URL is set in `where` (their wishcraft config or
    $CODEX_HOME/config.toml), a layer below the repository's."""
    ws = tmp_path / "ws"
    shutil.copytree(WORKSPACE, ws)
    config = ws / "data" / "config" / "wishcraft.toml"
    config.parent.mkdir(parents=True)
    config.write_text(f"[conduit]\n{repo_conduit}\n", encoding="utf-8")
    home = write_codex_home(tmp_path / "codex")
    xdg = tmp_path / "xdg"
    if where == "wishcraft":
        (xdg / "wishcraft").mkdir(parents=True)
        (xdg / "wishcraft" / "config.toml").write_text(
            f'[conduit]\nbase_url = "{user.base_url}"\n', encoding="utf-8"
        )
    else:
        (home / "config.toml").write_text(
            f'chatgpt_base_url_for_responses = "{user.base_url}"\n', encoding="utf-8"
        )
    user.enqueue("responses", sse(success_transcript(chunks(SAMPLE_PLAN))))
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in ("CHATGPT_BASE_URL", "OPENAI_BASE_URL")
    }
    env |= {
        "CODEX_HOME": str(home),
        "XDG_CONFIG_HOME": str(xdg),
        "CODEX_REFRESH_TOKEN_URL_OVERRIDE": user.refresh_url,
    }
    done = subprocess.run(
        [sys.executable, "-m", "wishcraft.cli", "plan", str(ws / WISH)],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        stdin=subprocess.DEVNULL,
    )
    return done, home


@pytest.mark.parametrize("where", ["wishcraft", "codex"], ids=["user-wishcraft", "codex-home"])
@pytest.mark.parametrize("key", ["base_url", "chatgpt_base_url_for_responses"])
def test_a_repository_cannot_send_the_login_elsewhere(
    tmp_path: Path, user: LoopbackCodex, other: LoopbackCodex, key: str, where: str
) -> None:
    done, home = plan(tmp_path, user, f'{key} = "{other.base_url}"', where)
    assert done.returncode == 0, done.stderr
    assert other.requests == []  # 0 requests reach the repository's host
    [request] = user.route_requests("responses")
    assert request.headers["authorization"].startswith("Bearer ")
    said = [line for line in done.stderr.splitlines() if f"ignored `{key}`" in line]
    assert len(said) == 1 and "~/.config/wishcraft/config.toml" in said[0]
    assert other.base_url not in done.stdout + done.stderr


def test_model_instructions_file_from_the_repository_is_not_read(
    tmp_path: Path, user: LoopbackCodex, other: LoopbackCodex
) -> None:
    auth = tmp_path / "codex" / "auth.json"
    done, home = plan(tmp_path, user, f'model_instructions_file = "{auth}"', "wishcraft")
    assert done.returncode == 0, done.stderr
    bodies = [request.body.decode("utf-8") for request in user.requests]
    assert bodies and any('"input"' in body for body in bodies)
    for secret in [*secrets(home), "rt_fake_refresh", "agent_identity", "last_refresh"]:
        for body in bodies:
            assert secret not in body
    said = [
        line for line in done.stderr.splitlines() if "ignored `model_instructions_file`" in line
    ]
    assert len(said) == 1


def test_the_repository_may_still_tune_the_call(
    tmp_path: Path, user: LoopbackCodex, other: LoopbackCodex
) -> None:
    """A harmless key (`model_verbosity`) from the repository is used, and nothing is said."""
    done, _ = plan(tmp_path, user, 'model_verbosity = "high"', "wishcraft")
    assert done.returncode == 0, done.stderr
    [request] = user.route_requests("responses")
    assert request.json["text"]["verbosity"] == "high"
    assert "ignored" not in done.stderr


def test_the_user_config_folder_is_one_folder() -> None:
    """The conduit (a leaf) and the trust store find the user's folder the same way."""
    for env in (
        {"XDG_CONFIG_HOME": "/x/config", "HOME": "/h"},
        {"HOME": "/h"},
    ):
        assert user_config_file(env).parent == user_config_dir(env)


# -- [pr] check and `wishcraft trust` ----------------------------------------------------------


def test_pr_check_runs_only_in_a_trusted_repository_as_trusted(
    scenario: Scenario, github: LoopbackGitHub
) -> None:
    ran = scenario.tmp / "check-ran.txt"
    script = scenario.tmp / "check.sh"
    script.write_text(f"#!/bin/sh\necho ran >> {ran}\n")
    script.chmod(0o755)
    scenario.set_config(f'[pr]\ncheck = "{script}"\n', trusted=False)
    anchor = scenario.anchor.anchor_id

    # A cloned repository: the check does not run, the pull request is refused, one sentence.
    done = wishcraft(scenario, "pr", anchor)
    assert done.returncode == 3 and done.stdout == ""
    assert not ran.exists() and github.requests == []
    [sentence] = [line for line in done.stderr.splitlines() if "trusted" in line]
    assert "`[pr] check`" in sentence and f"`wishcraft trust {scenario.work}`" in sentence

    # Trusted, then the file changes (a pull, a model's edit): not run, and said so.
    trusted = wishcraft(scenario, "trust")
    assert trusted.returncode == 0, trusted.stderr
    assert f"trusted {scenario.work}" in trusted.stderr
    listed = wishcraft(scenario, "trust", "--list")
    assert listed.stdout.startswith(f"{scenario.work}\t")
    store = user_config_dir(scenario.env) / "trusted.json"
    assert str(scenario.work) in store.read_text() and scenario.work not in store.parents
    scenario.set_config(f'[pr]\ncheck = "{script} --and-more"\n', trusted=False)
    done = wishcraft(scenario, "pr", anchor)
    assert done.returncode == 3 and not ran.exists()
    assert "changed since you trusted it" in done.stderr

    # Trusted again as it is now: the check runs, the pull request opens.
    assert wishcraft(scenario, "trust", str(scenario.work / "src")).returncode == 0
    done = wishcraft(scenario, "pr", anchor)
    assert done.returncode == 0, done.stderr
    assert ran.read_text() == "ran\n" and len(github.requests) == 1


def test_trust_revoke_forgets_the_repository(scenario: Scenario) -> None:
    scenario.set_config("[pr]\ndraft = true\n", trusted=False)
    assert wishcraft(scenario, "trust").returncode == 0
    revoked = wishcraft(scenario, "trust", "--revoke")
    assert revoked.returncode == 0 and "no longer trusted" in revoked.stderr
    assert wishcraft(scenario, "trust", "--list").stdout == ""
    again = wishcraft(scenario, "trust", "--revoke")
    assert again.returncode == 2 and "is not in a trusted repository" in again.stderr


def test_a_damaged_trust_store_trusts_nothing(scenario: Scenario, github: LoopbackGitHub) -> None:
    script = scenario.tmp / "check.sh"
    ran = scenario.tmp / "ran"
    script.write_text(f"#!/bin/sh\ntouch {ran}\n")
    script.chmod(0o755)
    scenario.set_config(f'[pr]\ncheck = "{script}"\n')
    store = user_config_dir(scenario.env) / "trusted.json"
    store.write_text('{"repositories": {"' + str(scenario.work) + '": "yes"}}')
    done = wishcraft(scenario, "pr", scenario.anchor.anchor_id)
    assert done.returncode == 3 and not ran.exists() and github.requests == []
    assert "is not one wishcraft wrote" in done.stderr
    listed = wishcraft(scenario, "trust", "--list")
    assert listed.returncode == 1 and "Traceback" not in listed.stderr
