"""The language server in a real, headless Neovim with its stock LSP client, configured exactly
as README.md prints it: the 0.7 snippet (Debian 12's Neovim) starts the server; diagnostics
arrive, a quick fix applies, "Plan this wish" runs against the loopback Codex server, and only
wish and registry files get a server, one per project. The 0.11 form
(editors/nvim/lsp/wishcraft.lua with vim.lsp.enable) runs when a Neovim 0.11+ is at hand: an
`nvim` on PATH, or the one named by $WISHCRAFT_NVIM."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sysconfig
from pathlib import Path
from typing import Any

import pytest

from testkit.codex_home import write_codex_home
from testkit.loopback import LoopbackCodex, sse, success_transcript
from testkit.paths import ROOT
from testkit.samples import SAMPLE_PLAN, chunks

HERE = Path(__file__).parent
WORKSPACE = HERE.parent / "lsp" / "workspace"
README = ROOT / "README.md"

pytestmark = [
    pytest.mark.neovim,
    pytest.mark.skipif(shutil.which("nvim") is None, reason="Neovim is not installed"),
]


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


def run_neovim(
    script: str,
    wish: Path,
    tmp_path: Path,
    env: dict[str, str] | None = None,
    setup: list[str] | None = None,
    nvim: str = "nvim",
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
        "HELPERS": str(HERE / "helpers.lua"),
        "PATH": f"{scripts}{os.pathsep}{os.environ.get('PATH', '')}",
        "XDG_STATE_HOME": str(tmp_path / "state"),
        "XDG_DATA_HOME": str(tmp_path / "data"),
        "XDG_CONFIG_HOME": str(tmp_path / "cfg"),
    }
    commands = [arg for command in [*setup, f"luafile {HERE / script}"] for arg in ("-c", command)]
    completed = subprocess.run(
        [nvim, "--headless", "-u", "NONE", "-i", "NONE", *commands],
        env=full_env,
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=90,
    )
    assert result_file.exists(), completed.stderr
    result: dict[str, Any] = json.loads(result_file.read_text())
    assert "error" not in result, result
    return result


def test_open_a_wish_get_diagnostics_and_apply_a_quick_fix(tmp_path: Path) -> None:
    shutil.copytree(WORKSPACE, tmp_path / "workspace")
    wish = tmp_path / "workspace" / "data" / "wishes" / "typos.wish.yaml"
    result = run_neovim("quickfix.lua", wish, tmp_path)
    assert result["root_dir"] == str(tmp_path / "workspace")
    assert result["steps"] == ["started", "diagnostics", "code actions", "applied", "cleared"]
    assert result["before"] == [
        "invalid-tier",
        "missing-key",
        "missing-key",
        "unknown-conduit",
        "unknown-key",
    ]
    # Neovim 0.7 cannot show disabled actions: the plan action comes with its warning.
    assert result["actions"] == [
        "Replace with `cartographer.survey`",
        "Plan this wish (warning: The wish has 4 errors; fix them before planning)",
    ]
    assert result["fixed_line"] == '  - "cartographer.survey"'
    assert "unknown-conduit" not in result["after"]


def test_plan_this_wish_streams_progress_and_writes_the_plan_file(tmp_path: Path) -> None:
    shutil.copytree(WORKSPACE, tmp_path / "workspace")
    wish = tmp_path / "workspace" / "data" / "wishes" / "lighthouse.wish.yaml"
    home = write_codex_home(tmp_path / "codex-home")
    with LoopbackCodex() as codex:
        codex.enqueue(
            "responses", sse(success_transcript(chunks(SAMPLE_PLAN)), per_frame_delay=0.01)
        )
        result = run_neovim(
            "plan.lua",
            wish,
            tmp_path,
            {
                "CODEX_HOME": str(home),
                "CHATGPT_BASE_URL": codex.base_url,
                "CODEX_REFRESH_TOKEN_URL_OVERRIDE": codex.refresh_url,
            },
        )
        assert (
            len([request for request in codex.requests if request.path.endswith("/responses")]) == 1
        )

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


def attach_case(tmp_path: Path) -> tuple[list[Path], Path]:
    """Two projects and a stray YAML file: the files to open, and the wish to wait for."""
    shutil.copytree(WORKSPACE, tmp_path / "workspace")
    shutil.copytree(WORKSPACE, tmp_path / "other")
    (tmp_path / "workspace" / "notes.yaml").write_text("title: not a wish\n")
    data = tmp_path / "workspace" / "data"
    wish = data / "wishes" / "typos.wish.yaml"
    return [
        tmp_path / "workspace" / "notes.yaml",
        wish,
        data / "wishes" / "lighthouse.wish.yaml",
        data / "conduits" / "registry.yaml",
        tmp_path / "other" / "data" / "wishes" / "typos.wish.yaml",
    ], wish


def attach_env(files: list[Path]) -> dict[str, str]:
    """The files to open, and those (all but the first, the stray) that must get a server."""
    return {
        "FILES": "\n".join(str(path) for path in files),
        "SERVED": "\n".join(str(path) for path in files[1:]),
    }


def check_attachments(result: dict[str, Any], tmp_path: Path) -> None:
    """Wish and registry files share one server per project; other YAML gets none."""
    files = {Path(name): entry for name, entry in result["files"].items()}
    workspace, other = tmp_path / "workspace", tmp_path / "other"
    stray = files[workspace / "notes.yaml"]
    assert stray["clients"] == [], stray
    mine = [
        files[workspace / "data" / "wishes" / "typos.wish.yaml"],
        files[workspace / "data" / "wishes" / "lighthouse.wish.yaml"],
        files[workspace / "data" / "conduits" / "registry.yaml"],
    ]
    theirs = files[other / "data" / "wishes" / "typos.wish.yaml"]
    assert all(len(entry["clients"]) == 1 for entry in [*mine, theirs]), result
    assert {entry["clients"][0] for entry in mine} == {mine[0]["clients"][0]}
    assert theirs["clients"][0] != mine[0]["clients"][0]
    assert {entry["roots"][0] for entry in mine} == {str(workspace)}
    assert theirs["roots"] == [str(other)]
    assert mine[0]["diagnostics"] > 0
    assert result["servers"] == 2


def test_the_readme_snippet_serves_wish_and_registry_files_one_server_a_project(
    tmp_path: Path,
) -> None:
    files, wish = attach_case(tmp_path)
    result = run_neovim("attach.lua", wish, tmp_path, attach_env(files))
    check_attachments(result, tmp_path)


def newer_neovim() -> str | None:
    """A Neovim 0.11 or later: $WISHCRAFT_NVIM, else `nvim` on PATH when it is new enough."""
    for candidate in (os.environ.get("WISHCRAFT_NVIM"), shutil.which("nvim")):
        if candidate and nvim_version(candidate) >= (0, 11):
            return candidate
    return None


def test_the_0_11_config_file_serves_wish_and_registry_files_one_server_a_project(
    tmp_path: Path,
) -> None:
    nvim = newer_neovim()
    if nvim is None:
        pytest.skip("needs Neovim 0.11+ (set WISHCRAFT_NVIM to one); Debian 12 has 0.7")
    setup = readme_lua("neovim-0.11-snippet").replace("/path/to/wishcraft", str(ROOT))
    init = tmp_path / "init.lua"
    init.write_text(setup, encoding="utf-8")
    files, wish = attach_case(tmp_path)
    result = run_neovim(
        "attach.lua",
        wish,
        tmp_path,
        attach_env(files),
        setup=["filetype on", f"luafile {init}"],
        nvim=nvim,
    )
    assert tuple(int(part) for part in result["version"].split(".")) >= (0, 11)
    check_attachments(result, tmp_path)


def test_apply_plan_asks_first_then_changes_the_files_and_undo_restores_them(
    tmp_path: Path,
) -> None:
    from testkit.apply_ws import make_workspace, read_then_patch, tree

    root = tmp_path / "workspace"
    wish = make_workspace(root)
    before = tree(root)
    patch = (
        "*** Begin Patch\n*** Update File: src/lamps.py\n@@\n-lamps = 2\n+lamps = 3\n"
        " lit = False\n*** Add File: src/beacon.py\n+colour = 'amber'\n"
        "*** Delete File: src/old.py\n*** End Patch\n"
    )
    home = write_codex_home(tmp_path / "codex-home")
    with LoopbackCodex() as codex:
        codex.enqueue("responses", *read_then_patch(patch))
        result = run_neovim(
            "apply.lua",
            wish,
            tmp_path,
            {
                "CODEX_HOME": str(home),
                "CHATGPT_BASE_URL": codex.base_url,
                "CODEX_REFRESH_TOKEN_URL_OVERRIDE": codex.refresh_url,
                "WORKSPACE_ROOT": str(root),
            },
        )
    assert result["steps"] == ["started", "code actions", "executed", "applied", "saved", "undone"]
    assert "wishcraft.applyPlan" in result["commands"] and "Apply plan" in result["actions"]
    # Neovim 0.7 has no change annotations: the server asks first.
    (question,) = result["questions"]
    assert question["message"].startswith("Apply 3 files (+2 \u22122)?")
    assert question["actions"] == ["Apply", "Show diff", "Cancel"]
    assert result["after"] == {
        "lamps": "lamps = 3\nlit = False\n",
        "beacon": "colour = 'amber'\n",
        "old": None,
    }
    assert result["modified"] == []  # no unsaved buffer left behind (issue 22)
    assert result["undone"]["started"] is True, result["undone"]
    assert tree(root) == before
    lines = [
        json.loads(line)
        for line in (root / "data" / "ledger" / "wishes.jsonl").read_text().splitlines()
    ]
    # The server wrote the files through the transaction: pending before them, complete after.
    assert [(line["action"], line["outcome"]) for line in lines] == [
        ("apply", "pending"),
        ("apply", "complete"),
        ("rollback", "complete"),
    ]
    assert lines[0]["anchor_id"] and len({line["anchor_id"] for line in lines}) == 1
