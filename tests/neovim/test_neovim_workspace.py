"""The plugin's workspace features in a real, headless Neovim (0.7.2 and 0.11+), set up by
README's lines and driven by keystrokes: references, rename, formatting, workspace symbols,
highlight and inlay hints; diagnostics of wishes that are not open after a registry edit; and
the repository's own wish globs (`[files] globs`), read as the server reads them."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from testkit.neovim import (
    WORKSPACE,
    binaries,
    no_absolute_paths,
    nvim_version,
    plugin_setup,
    run_neovim,
)
from testkit.paths import ROOT

pytestmark = pytest.mark.neovim


@pytest.mark.parametrize("nvim", binaries())
def test_workspace_keys_find_rename_format_and_reach_closed_wishes(
    nvim: str, tmp_path: Path
) -> None:
    """`grr`, `grn`, `:WishFormat`, `:WishFind`, and diagnostics for a wish never opened, on
    0.7 (the plugin's keys) and 0.11+ (Neovim's own `grr`/`grn`, kept)."""
    root = tmp_path / "workspace"
    shutil.copytree(WORKSPACE, root)
    wishes = root / "data" / "wishes"
    lighthouse = wishes / "lighthouse.wish.yaml"
    original = lighthouse.read_text(encoding="utf-8")
    (wishes / "beacon.wish.yaml").write_text(
        original.replace("Relight the Sunken Quarter lighthouse", "Beacon for the harbour"),
        encoding="utf-8",
    )
    (wishes / "untouched.wish.yaml").write_text(
        original.replace('  - "cartographer.survey"\n', ""), encoding="utf-8"
    )
    # Four-space indents and padded values: what :WishFormat normalises.
    lighthouse.write_text(
        original.replace("\n  ", "\n    ").replace('title: "', 'title:    "'), encoding="utf-8"
    )
    result = run_neovim(
        "plugin_workspace.lua", lighthouse, tmp_path, setup=plugin_setup(tmp_path), nvim=nvim
    )
    assert result["steps"] == [
        "started",
        "formatted",
        "references",
        "refused",
        "renamed",
        "found",
        "closed",
    ]
    # `gq` formats with the server (the plugin sets it on 0.7; 0.8+ sets it itself).
    assert result["formatexpr"].startswith("v:lua.vim.lsp.formatexpr("), result["formatexpr"]
    # Formatted: two-space indents, one space after the colon, the meaning kept.
    assert result["formatted"] == original.splitlines(), result["formatted"]
    # The registry entry and the two wishes that name the id (the typo'd `survy` is not a use).
    refs = result["references"]
    assert {ref.split(":")[0] for ref in refs} == {
        "registry.yaml",
        "lighthouse.wish.yaml",
        "beacon.wish.yaml",
    }, refs
    assert result["highlights"] >= 1  # the tool item (the plan's text is not a use)
    # Renamed on disk after :wall, in the registry and both wishes; the third wish untouched.
    for path in (
        root / "data" / "conduits" / "registry.yaml",
        lighthouse,
        wishes / "beacon.wish.yaml",
    ):
        text = path.read_text(encoding="utf-8")
        assert "cartographer.chart" in text and '"cartographer.survey"' not in text, path
    untouched = original.replace('  - "cartographer.survey"\n', "")
    assert (wishes / "untouched.wish.yaml").read_text(encoding="utf-8") == untouched
    if nvim_version(nvim) >= (0, 10):
        # Inlay hints shown: the calls left after a conduit id, the tier's limits.
        hints = result["inlay_hints"]
        assert any(hint.startswith("plan ") and "today" in hint for hint in hints), hints
        assert any(hint.endswith("(meso)") for hint in hints), hints
    if nvim_version(nvim) < (0, 11):
        assert result["rename_said"] == [
            "Wishcraft: Renamed `cartographer.survey` to `cartographer.chart` in 3 files; "
            ":wall saves them."
        ], result["messages"]
    assert any(ref.startswith("beacon.wish.yaml") for ref in result["found"]), result["found"]
    # The wish nobody opened has the registry's change, without being loaded.
    assert "worldsmith.place" in result["closed_diagnostic"]
    assert result["closed_loaded"] is False
    no_absolute_paths(result["messages"], tmp_path, ROOT)


@pytest.mark.parametrize("nvim", binaries())
def test_the_plugin_reads_wish_globs_as_the_server_does(nvim: str, tmp_path: Path) -> None:
    """One glob table, three readers: the server (`wishcraft.globs`), the VS Code client, and
    the Neovim plugin, which starts the server only for the files its reading names."""
    table = ROOT / "tests" / "fixtures" / "glob_dialects.json"
    env = {"GLOB_TABLE": str(table)}
    result = run_neovim(
        "globs.lua", tmp_path / "unused", tmp_path, env, setup=plugin_setup(tmp_path), nvim=nvim
    )
    rows = json.loads(table.read_text(encoding="utf-8"))["rows"]
    assert len(rows) > 10
    for row in rows:
        assert result["rows"][row["id"]] == row["file"], (row, result["rows"][row["id"]])


@pytest.mark.parametrize("nvim", binaries())
def test_a_wish_named_only_by_the_repository_globs_gets_the_server(
    nvim: str, tmp_path: Path
) -> None:
    root = tmp_path / "workspace"
    shutil.copytree(WORKSPACE, root)
    (root / "data" / "config").mkdir(parents=True, exist_ok=True)
    (root / "data" / "config" / "wishcraft.toml").write_text(
        '[files]\nglobs = ["**/*.spell"]\n', encoding="utf-8"
    )
    quests = root / "quests"
    quests.mkdir()
    lighthouse = (root / "data" / "wishes" / "lighthouse.wish.yaml").read_text(encoding="utf-8")
    spell = quests / "first.spell"
    spell.write_text(lighthouse.replace("tier: meso", "tier: meso\ncolour: amber"), "utf-8")
    (quests / "notes.txt").write_text("tier: meso\n", encoding="utf-8")
    result = run_neovim("spell.lua", spell, tmp_path, setup=plugin_setup(tmp_path), nvim=nvim)
    assert result["steps"] == ["spell", "other"]
    assert result["filetype"] == "yaml"
    assert any("colour" in message for message in result["diagnostics"]), result["diagnostics"]
    assert result["other_clients"] == 0 and result["other_filetype"] != "yaml"
