"""Fixtures the CLI tests share: a Codex login, a workspace to apply in, a pull-request clone."""

from __future__ import annotations

from pathlib import Path

import pytest

from testkit.apply_ws import make_workspace
from testkit.codex_home import write_codex_home
from testkit.github import LoopbackGitHub
from testkit.pr_repo import Scenario, make_scenario
from testkit.pr_wish import write_wish


@pytest.fixture
def scenario(tmp_path: Path, github: LoopbackGitHub) -> Scenario:
    """A clone of a bare remote holding an applied change of the scenario's wish."""
    found = make_scenario(tmp_path, github.base_url)
    write_wish(found)
    return found


@pytest.fixture
def home(tmp_path: Path) -> Path:
    """A Codex home with a fake login (`CODEX_HOME`)."""
    return write_codex_home(tmp_path / "home")


@pytest.fixture
def ws(tmp_path: Path) -> Path:
    """The apply tests' workspace (`testkit.apply_ws`): a wish, its plan, a registry, files."""
    root = tmp_path / "ws"
    make_workspace(root)
    return root
