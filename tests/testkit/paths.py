"""Where the project's files and the upstream reference examples are."""

from __future__ import annotations

from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = ROOT / "examples"
SHARED_EXAMPLES = ROOT / "tests" / "fixtures" / "upstream"
"""Byte-for-byte copies of upstream's real wish and registry (from the Ruins of Atlantis
repository), kept here so that every test run checks against them."""
