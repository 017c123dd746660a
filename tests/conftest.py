"""Shared test helpers: paths to the examples and the reference files."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from testkit.paths import EXAMPLES


@pytest.fixture(autouse=True)
def undo_state_home(
    tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch
) -> Path:
    """A fresh user state folder per test (`WISHCRAFT_STATE_DIR`): undo records and the
    sealing key never go to the real user's folder, and tests never share them. Subprocesses
    started with `os.environ` inherit it."""
    folder = tmp_path_factory.mktemp("state-home")
    monkeypatch.setenv("WISHCRAFT_STATE_DIR", str(folder))
    return folder


@pytest.fixture
def examples() -> Path:
    """The project's own example files."""
    return EXAMPLES


# Fuzzing depth: 300 cases a property in CI; `HYPOTHESIS_PROFILE=deep` runs 5,000.
from hypothesis import HealthCheck, settings  # noqa: E402

settings.register_profile(
    "ci", max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)
settings.register_profile(
    "deep", max_examples=5_000, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))
