"""Fixtures of the CLI tests that open pull requests."""

from __future__ import annotations

from pathlib import Path

import pytest

from testkit.github import LoopbackGitHub
from testkit.pr_repo import Scenario, make_scenario
from testkit.pr_wish import write_wish


@pytest.fixture
def scenario(tmp_path: Path, github: LoopbackGitHub) -> Scenario:
    """A clone of a bare remote holding an applied change of the scenario's wish."""
    found = make_scenario(tmp_path, github.base_url)
    write_wish(found)
    return found
