"""Where the project's files and the upstream reference examples are."""

from __future__ import annotations

from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = ROOT / "examples"
SHARED_EXAMPLES = ROOT / "tests" / "fixtures" / "upstream"
"""Byte-for-byte copies of `../shared/examples/` (the real wish and registry of upstream), kept
in the repository so that CI, which has no `../shared`, tests against them too."""
