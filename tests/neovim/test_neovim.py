"""The language server in a real, headless Neovim (the stock LSP client of 0.7+): diagnostics
arrive, a quick fix applies, and "Plan this wish" runs against the loopback Codex server."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from testkit.codex_home import write_codex_home
from testkit.loopback import LoopbackCodex, sse, success_transcript
from testkit.samples import SAMPLE_PLAN, chunks

HERE = Path(__file__).parent
WORKSPACE = HERE.parent / "lsp" / "workspace"

pytestmark = [
    pytest.mark.neovim,
    pytest.mark.skipif(shutil.which("nvim") is None, reason="Neovim is not installed"),
]


def run_neovim(script: str, wish: Path, tmp_path: Path,
               env: dict[str, str] | None = None) -> dict[str, Any]:
    """Run `script` in a headless Neovim on `wish`; return the JSON result it wrote."""
    result_file = tmp_path / "result.json"
    full_env = {**os.environ, **(env or {}), "WISH_FILE": str(wish),
                "RESULT_FILE": str(result_file), "PYTHON": sys.executable,
                "XDG_STATE_HOME": str(tmp_path / "state"), "XDG_DATA_HOME": str(tmp_path / "data"),
                "XDG_CONFIG_HOME": str(tmp_path / "cfg")}
    completed = subprocess.run(
        ["nvim", "--headless", "-u", "NONE", "-i", "NONE", "-c", f"luafile {HERE / script}"],
        env=full_env, cwd=tmp_path, capture_output=True, text=True, timeout=90)
    assert result_file.exists(), completed.stderr
    result: dict[str, Any] = json.loads(result_file.read_text())
    assert "error" not in result, result
    return result


def test_open_a_wish_get_diagnostics_and_apply_a_quick_fix(tmp_path: Path) -> None:
    shutil.copytree(WORKSPACE, tmp_path / "workspace")
    wish = tmp_path / "workspace" / "data" / "wishes" / "typos.wish.yaml"
    result = run_neovim("quickfix.lua", wish, tmp_path)
    assert result["steps"] == ["started", "diagnostics", "code actions", "applied", "cleared"]
    assert result["before"] == ["invalid-tier", "missing-key", "missing-key", "unknown-conduit",
                                "unknown-key"]
    # Neovim 0.7 cannot show disabled actions: the plan action comes with its warning.
    assert result["actions"] == [
        "Replace with `cartographer.survey`",
        "Plan this wish (warning: The wish has 4 errors; fix them before planning)"]
    assert result["fixed_line"] == '  - "cartographer.survey"'
    assert "unknown-conduit" not in result["after"]




def test_plan_this_wish_streams_progress_and_writes_the_plan_file(tmp_path: Path) -> None:
    shutil.copytree(WORKSPACE, tmp_path / "workspace")
    wish = tmp_path / "workspace" / "data" / "wishes" / "lighthouse.wish.yaml"
    home = write_codex_home(tmp_path / "codex-home")
    with LoopbackCodex() as codex:
        codex.enqueue("responses", sse(success_transcript(
            chunks(SAMPLE_PLAN)), per_frame_delay=0.01))
        result = run_neovim("plan.lua", wish, tmp_path, {
            "CODEX_HOME": str(home), "CHATGPT_BASE_URL": codex.base_url,
            "CODEX_REFRESH_TOKEN_URL_OVERRIDE": codex.refresh_url})
        assert len(codex.requests) == 1

    assert result["steps"] == ["started", "code actions", "executed", "ended"]
    assert "wishcraft.planWish" in result["commands"]
    assert "Plan this wish" in result["actions"]
    assert result["started"]["started"] is True
    kinds = [value["kind"] for value in result["progress"]]
    assert kinds[0] == "begin" and kinds[-1] == "end" and "report" in kinds
    begin, end = result["progress"][0], result["progress"][-1]
    assert begin["cancellable"] is True and "lighthouse" in begin["title"].lower()
    assert "2 steps" in end["message"], end

    plan_file = Path(result["started"]["planUri"].removeprefix("file://"))
    text = plan_file.read_text()
    assert "Survey the lighthouse" in text and "12 tiles surveyed" in text
    artifact = json.loads(plan_file.with_suffix(".json").read_text())
    assert artifact["text"] == SAMPLE_PLAN
    # Neovim 0.7 has no window/showDocument: the server names the plan file in a message.
    assert any(plan_file.name in message for message in result["messages"]), result["messages"]
