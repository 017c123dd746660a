"""Where the project's files and the upstream reference examples are."""

from __future__ import annotations

from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = ROOT / "examples"
SHARED_EXAMPLES = ROOT / "tests" / "fixtures" / "upstream"
"""Byte-for-byte copies of upstream's real wish and registry (from the Ruins of Atlantis
repository), kept here so that every test run checks against them."""
TESTKIT = ROOT / "tests" / "testkit"
"""This package: its helper processes (`fault_server.py`, `refresh_worker.py`) run as scripts."""
LSP_WORKSPACE = ROOT / "tests" / "lsp" / "workspace"
"""The small project the end-to-end language-server tests open (each module copies it)."""
CODEX_FIXTURES = ROOT / "tests" / "fixtures" / "codex"
"""What the real Codex CLI sent or holds, measured (its own texts left out)."""
