"""`wishcraft fmt` as a subprocess: `--check` lists what would change and exits 1, a run
writes the formatted files (same meaning), a second check passes; files that are not wishes
or registries, and broken ones, are left as they are."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import yaml

from testkit.cli_run import run_wishcraft
from testkit.paths import LSP_WORKSPACE


def _fmt(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return run_wishcraft("fmt", *args, cwd=cwd)


def test_fmt_checks_then_formats_a_folder(tmp_path: Path) -> None:
    root = tmp_path / "ws"
    shutil.copytree(LSP_WORKSPACE, root)
    wish = root / "data/wishes/lighthouse.wish.yaml"
    tidy = wish.read_text()
    untidy = tidy.replace("  region:", "      region:").replace(
        "  duration_days: 5", "      duration_days:    5"
    )
    wish.write_text(untidy)
    notes = root / "data/notes.yaml"
    notes.write_text("just:    notes\n")  # YAML, but neither a wish nor a registry
    broken = root / "data/wishes/broken.wish.yaml"
    broken.write_text("title: [unclosed\n")

    checked = _fmt("--check", "data", cwd=root)
    assert checked.returncode == 1, checked.stderr
    assert checked.stdout == "data/wishes/lighthouse.wish.yaml: would be reformatted\n"
    assert wish.read_text() == untidy  # --check writes nothing

    ran = _fmt("data", cwd=root)
    assert ran.returncode == 0, ran.stderr
    assert ran.stdout == "data/wishes/lighthouse.wish.yaml: reformatted\n"
    assert wish.read_text() == tidy
    assert yaml.safe_load(tidy) == yaml.safe_load(untidy)
    assert notes.read_text() == "just:    notes\n"
    assert broken.read_text() == "title: [unclosed\n"

    again = _fmt("--check", "data", cwd=root)
    assert again.returncode == 0 and again.stdout == "", again.stderr
    assert "0 of the" in again.stderr


def test_fmt_of_a_missing_path_is_bad_input(tmp_path: Path) -> None:
    result = _fmt("nowhere", cwd=tmp_path)
    assert result.returncode == 2
    assert result.stderr == "wishcraft: nowhere: no such file or folder\n"
