"""Shared test helpers: paths to the examples and the reference files."""

from __future__ import annotations

from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "examples"
SHARED_EXAMPLES = ROOT.parent / "shared" / "examples"


@pytest.fixture
def examples() -> Path:
    """The project's own example files."""
    return EXAMPLES
