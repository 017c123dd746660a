"""`wishcraft lint FOLDER` finds wishes as the editor does: `[files] globs` of wishcraft.toml
(the `wishcraft.files.globs` setting's twin), content sniffing, and a light start-up."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from testkit.paths import EXAMPLES
from wishcraft.cli import main

GOOD_WISH = (EXAMPLES / "data/wishes/lighthouse.wish.yaml").read_text(encoding="utf-8")


def lint_json(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, set[str], str]:
    """Run `wishcraft lint --format json`; return the status, the names of the files with
    findings, and stderr."""
    status = main(["lint", "--format", "json", *argv])
    captured = capsys.readouterr()
    findings: list[dict[str, str]] = json.loads(captured.out)["findings"] if captured.out else []
    named = {Path(finding["path"]).name for finding in findings}
    return status, named, captured.err


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    """A repository with a wish under `wishes/` that has no wish key (only the folder makes it a
    wish), a `.spell` file with a broken wish, and an unrelated YAML file."""
    (tmp_path / "data" / "wishes").mkdir(parents=True)
    (tmp_path / "data" / "wishes" / "notes.yaml").write_text("remark: not a wish\n")
    (tmp_path / "spells").mkdir()
    (tmp_path / "spells" / "fire.spell").write_text(GOOD_WISH.replace("tier: meso", "tier: mezo"))
    (tmp_path / "ci.yaml").write_text("name: ci\non: push\n")
    return tmp_path


def write_config(repo: Path, text: str) -> Path:
    config = repo / "data" / "config" / "wishcraft.toml"
    config.parent.mkdir(parents=True, exist_ok=True)
    config.write_text(text)
    return config


def test_default_globs_without_a_config(capsys: pytest.CaptureFixture[str], repo: Path) -> None:
    status, named, _ = lint_json(capsys, str(repo))
    # `notes.yaml` is a wish by its folder (and misses every key); the `.spell` file is not
    # walked; `ci.yaml` has no wish key.
    assert named == {"notes.yaml"} and status == 1


def test_files_globs_in_the_toml_decide_which_files_are_wishes(
    capsys: pytest.CaptureFixture[str], repo: Path
) -> None:
    write_config(repo, '[files]\nglobs = ["**/*.spell"]\n')
    status, named, _ = lint_json(capsys, str(repo))
    assert named == {"fire.spell"} and status == 1  # the `tier: mezo` error, nothing else


def test_files_globs_given_with_config(
    capsys: pytest.CaptureFixture[str], repo: Path, tmp_path_factory: pytest.TempPathFactory
) -> None:
    elsewhere = tmp_path_factory.mktemp("config") / "wishcraft.toml"
    elsewhere.write_text('[files]\nglobs = ["**/*.spell"]\n')
    _, named, _ = lint_json(capsys, "--config", str(elsewhere), str(repo))
    assert named == {"fire.spell"}


def test_content_sniffing_still_finds_wishes_outside_the_globs(
    capsys: pytest.CaptureFixture[str], repo: Path
) -> None:
    write_config(repo, '[files]\nglobs = ["**/*.spell"]\n')
    (repo / "meta-only.yaml").write_text("meta:\n  author_id: p-1\n")
    (repo / "tier-only.yaml").write_text("tier: micro\n")
    _, named, _ = lint_json(capsys, str(repo))
    assert named == {"fire.spell", "meta-only.yaml", "tier-only.yaml"}


def test_a_lint_table_alone_keeps_the_default_globs(
    capsys: pytest.CaptureFixture[str], repo: Path
) -> None:
    write_config(repo, "[lint]\nplan_max_steps = 7\n")
    _, named, _ = lint_json(capsys, str(repo))
    assert named == {"notes.yaml"}


@pytest.mark.parametrize(
    ("toml", "said"),
    [
        ('[files]\nglobs = ["data/[abc.yaml"]\n', "[files] globs: unclosed `[`"),
        ('[files]\nglobs = [""]\n', "[files] globs: a glob pattern is empty"),
        ('[files]\nglobs = "**/*.spell"\n', "[files] globs: must be a list"),
        ('[files]\nglob = ["**/*.spell"]\n', "[files] glob: unknown key"),
        ("files = 3\n", "[files] must be a table"),
    ],
    ids=["unclosed-bracket", "empty-pattern", "not-a-list", "unknown-key", "not-a-table"],
)
def test_bad_files_globs_are_a_usage_error(
    capsys: pytest.CaptureFixture[str], repo: Path, toml: str, said: str
) -> None:
    config = write_config(repo, toml)
    status = main(["lint", str(repo)])
    err = capsys.readouterr().err
    assert status == 2
    assert f"wishcraft: {config}: {said}" in err


def test_lint_does_not_load_the_conduit_or_httpx() -> None:
    probe = """
import contextlib, io, json, sys
from wishcraft.cli import main
with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
    status = main(["lint", sys.argv[1]])
print(json.dumps({"status": status, "modules": sorted(sys.modules)}))
"""
    result = subprocess.run(
        [sys.executable, "-c", probe, str(EXAMPLES / "data")],
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    )
    loaded = json.loads(result.stdout)
    assert loaded["status"] == 0 and "wishcraft.lint.engine" in loaded["modules"]
    heavy = [
        name
        for name in loaded["modules"]
        if name.split(".")[0] == "httpx" or name.startswith("wishcraft.conduit")
    ]
    assert heavy == []
