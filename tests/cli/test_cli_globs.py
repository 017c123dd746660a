"""`wishcraft globs`: the wish globs in force for a folder and where they come from, as a user
reads them and as the Neovim plugin asks for them (`--format json`). Run as a subprocess."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

from testkit.cli_run import run_wishcraft
from wishcraft.kinds import DEFAULT_GLOBS


def globs(cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return run_wishcraft("globs", *args, cwd=cwd)


def repository(root: Path, toml: str | None) -> Path:
    (root / "data" / "wishes").mkdir(parents=True)
    if toml is not None:
        (root / "data" / "config").mkdir()
        (root / "data" / "config" / "wishcraft.toml").write_text(toml, encoding="utf-8")
    return root


def test_a_repository_s_globs_are_printed_with_their_file(tmp_path: Path) -> None:
    root = repository(tmp_path / "repo", '[files]\nglobs = ["**/*.spell", "quests/*.yaml"]\n')
    shown = globs(root / "data" / "wishes")
    assert shown.returncode == 0, shown.stderr
    assert shown.stdout.splitlines() == [
        f"Wish globs ([files] globs of {root / 'data' / 'config' / 'wishcraft.toml'}):",
        "  **/*.spell",
        "  quests/*.yaml",
    ]
    from_root = globs(root)
    assert from_root.stdout.splitlines()[0] == (
        "Wish globs ([files] globs of data/config/wishcraft.toml):"
    )
    report = json.loads(globs(tmp_path, str(root / "data" / "wishes"), "--format", "json").stdout)
    assert report == {
        "globs": ["**/*.spell", "quests/*.yaml"],
        "config": str(root / "data" / "config" / "wishcraft.toml"),
        "root": str(root),
        "source": "config",
    }


def test_without_globs_the_defaults_are_printed_and_why(tmp_path: Path) -> None:
    bare = repository(tmp_path / "bare", None)
    shown = globs(bare)
    assert shown.returncode == 0
    assert shown.stdout.splitlines()[0] == (
        "Wish globs (the defaults: no data/config/wishcraft.toml here or above):"
    )
    assert [line.strip() for line in shown.stdout.splitlines()[1:]] == list(DEFAULT_GLOBS)
    other = repository(tmp_path / "other", "[lint]\n")
    assert globs(other).stdout.splitlines()[0] == (
        "Wish globs (the defaults: data/config/wishcraft.toml has no [files] globs):"
    )
    report = json.loads(globs(other, "--format", "json").stdout)
    assert report["source"] == "defaults" and report["globs"] == list(DEFAULT_GLOBS)
    empty = repository(tmp_path / "empty", "[files]\nglobs = []\n")  # lint takes the defaults
    assert json.loads(globs(empty, "--format", "json").stdout)["source"] == "defaults"


def test_unusable_globs_and_missing_paths_are_usage_errors(tmp_path: Path) -> None:
    broken = repository(tmp_path / "broken", '[files]\nglobs = ["[oops"]\n')
    refused = globs(broken, "--format", "json")
    assert refused.returncode == 2 and refused.stdout == ""
    assert refused.stderr.startswith("wishcraft: ") and "unclosed `[`" in refused.stderr
    missing = globs(tmp_path, "nowhere")
    assert missing.returncode == 2
    assert missing.stderr == "wishcraft: nowhere: no such file or folder\n"
    not_toml = repository(tmp_path / "not-toml", "[files\n")
    assert globs(not_toml).returncode == 2
