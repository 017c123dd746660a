"""Fixtures for the conduit tests: a loopback Codex server and a fake Codex login."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from testkit.codex_home import write_codex_home
from testkit.loopback import LoopbackCodex


@pytest.fixture
def codex_server() -> Iterator[LoopbackCodex]:
    """A started loopback Codex server, stopped after the test."""
    with LoopbackCodex() as server:
        yield server


@pytest.fixture
def codex_home(tmp_path: Path) -> Path:
    """A CODEX_HOME holding a valid fake ChatGPT login."""
    return write_codex_home(tmp_path / "codex")
