"""The language server in a real, headless Neovim: diagnostics arrive, a quick fix applies."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

HERE = Path(__file__).parent
WORKSPACE = HERE.parent / "lsp" / "workspace"

pytestmark = [
    pytest.mark.neovim,
    pytest.mark.skipif(shutil.which("nvim") is None, reason="Neovim is not installed"),
]


def test_open_a_wish_get_diagnostics_and_apply_a_quick_fix(tmp_path: Path) -> None:
    shutil.copytree(WORKSPACE, tmp_path / "workspace")
    wish = tmp_path / "workspace" / "data" / "wishes" / "typos.wish.yaml"
    result_file = tmp_path / "result.json"
    env = {**os.environ, "WISH_FILE": str(wish), "RESULT_FILE": str(result_file),
           "PYTHON": sys.executable, "XDG_STATE_HOME": str(tmp_path / "state"),
           "XDG_DATA_HOME": str(tmp_path / "data"), "XDG_CONFIG_HOME": str(tmp_path / "cfg")}
    completed = subprocess.run(
        ["nvim", "--headless", "-u", "NONE", "-i", "NONE", "-c",
         f"luafile {HERE / 'quickfix.lua'}"],
        env=env, cwd=tmp_path, capture_output=True, text=True, timeout=90)
    assert result_file.exists(), completed.stderr
    result = json.loads(result_file.read_text())
    assert "error" not in result, result
    assert result["steps"] == ["started", "diagnostics", "code actions", "applied", "cleared"]
    assert result["before"] == ["invalid-tier", "missing-key", "missing-key", "unknown-conduit",
                                "unknown-key"]
    # Neovim 0.7 cannot show disabled actions: the plan action comes with its warning.
    assert result["actions"] == [
        "Replace with `cartographer.survey`",
        "Plan this wish (warning: The wish has 4 errors; fix them before planning)"]
    assert result["fixed_line"] == '  - "cartographer.survey"'
    assert "unknown-conduit" not in result["after"]
