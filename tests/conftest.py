"""Shared test helpers: paths to the examples and the reference files, a fresh user state
folder per test, a loopback GitHub API (`github`) and Codex backend (`codex`), the hypothesis
profiles, and the random order's seed printed under the results.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from testkit.github import LoopbackGitHub
from testkit.loopback import LoopbackCodex
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


def pytest_terminal_summary(
    terminalreporter: pytest.TerminalReporter, config: pytest.Config
) -> None:
    """Print the seed of the random order (pytest-randomly) last, where a failure is read, so a
    failing order can be replayed: its own header line is hidden by `-q`."""
    seed = getattr(config.option, "randomly_seed", None)
    if config.pluginmanager.has_plugin("randomly") and isinstance(seed, int):
        terminalreporter.write_line(
            f"random order: seed {seed}; replay it with -p randomly --randomly-seed={seed}"
        )


@pytest.fixture(autouse=True)
def fresh_model_catalog(monkeypatch: pytest.MonkeyPatch) -> None:
    """Forget the model catalog held in memory (`conduit.catalog.SHARED_STORE`: one per
    process, as Codex keeps it) before each test, so whether a test's client asks `/models`
    does not depend on which test ran before it in this process (the order is random)."""
    from wishcraft.conduit.catalog import SHARED_STORE

    monkeypatch.setattr(SHARED_STORE, "_memory", None)
    monkeypatch.setattr(SHARED_STORE, "_wanted_etag", None)


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


@pytest.hookimpl(trylast=True)
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Put the tests of an `in_order` module back in the order they are written, in the slots
    the random order gave that module (pytest-randomly keeps a module's tests together): the
    modules still run in a random order, and every other module's tests too."""
    slots: dict[str, list[int]] = {}
    for index, item in enumerate(items):
        if item.get_closest_marker("in_order") is not None:
            slots.setdefault(item.nodeid.split("::", 1)[0], []).append(index)
    for indexes in slots.values():
        # By parameter first (one client profile's server, then the other's), then as written.
        ordered = sorted((items[i] for i in indexes), key=_written_order)
        for index, item in zip(indexes, ordered, strict=True):
            items[index] = item


def _written_order(item: pytest.Item) -> tuple[str, int]:
    callspec = getattr(item, "callspec", None)
    return (callspec.id if callspec is not None else "", item.location[1] or 0)


@pytest.fixture
def github() -> Iterator[LoopbackGitHub]:
    """A loopback GitHub REST API for one test (the pull-request tests point GITHUB_API_URL
    at it)."""
    with LoopbackGitHub() as server:
        yield server


@pytest.fixture
def codex() -> Iterator[LoopbackCodex]:
    """A loopback Codex backend for one test (modules that share one define their own)."""
    with LoopbackCodex() as server:
        yield server
