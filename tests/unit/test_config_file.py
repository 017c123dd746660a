"""One wishcraft.toml reader (`wishcraft.config`): one upward finder and one parse, whose tables
`[lint]`, `[files]`, `[conduit]`, `[ledger]` and `[pr]` go to the modules that own them, with the
trust rules kept (the conduit reads no repository file; `[ledger] path` stays inside)."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from testkit.paths import ROOT
from wishcraft.conduit.config import load_config
from wishcraft.config import (
    ConfigFileError,
    find_config_file,
    load_workspace_config,
    read_config_file,
)
from wishcraft.ledger import LedgerError, find_ledger
from wishcraft.lint.config import ConfigError, file_globs_from, lint_config_from
from wishcraft.pr import PrBadInput
from wishcraft.pr.config import pr_config_from
from wishcraft.trust import repository_root

PACKAGE = ROOT / "server" / "wishcraft"
EVERY_TABLE = """\
[lint]
planMaxSteps = 4

[files]
globs = ["**/*.spell"]

[conduit]
model = "gpt-5-codex"
base_url = "https://elsewhere.example/codex"

[ledger]
path = "records/wishes.jsonl"

[pr]
remote = "upstream"
"""


def repository(tmp_path: Path, text: str) -> Path:
    """A repository whose data/config/wishcraft.toml holds `text`; its root."""
    root = tmp_path / "repo"
    (root / "data" / "config").mkdir(parents=True)
    (root / "data" / "config" / "wishcraft.toml").write_text(text, encoding="utf-8")
    (root / "src" / "deep").mkdir(parents=True)
    return root


def test_each_table_reaches_its_owner_from_one_parse(tmp_path: Path) -> None:
    root = repository(tmp_path, EVERY_TABLE)
    parsed = load_workspace_config(root / "src" / "deep")
    assert parsed.path == root / "data" / "config" / "wishcraft.toml"
    assert lint_config_from(parsed).plan_max_steps == 4
    assert file_globs_from(parsed) == ("**/*.spell",)
    assert pr_config_from(parsed).remote == "upstream"
    conduit = load_config(parsed, env={"CODEX_HOME": str(tmp_path / "codex")})
    assert conduit.model == "gpt-5-codex"
    # The trust boundary: a repository never says where the login goes.
    assert conduit.base_url == "https://chatgpt.com/backend-api/codex"
    assert [words.split(" under ")[0] for words in conduit.ignored] == ["`base_url`"]
    location = find_ledger(root / "src" / "deep" / "w.yaml")
    assert location.path == root / "records" / "wishes.jsonl"
    assert location.source == str(parsed.path)


def test_every_owner_finds_the_same_file_upward(tmp_path: Path) -> None:
    root = repository(tmp_path, "[pr]\nremote = 'origin'\n")
    start = root / "src" / "deep"
    found = find_config_file(start)
    assert found == root / "data" / "config" / "wishcraft.toml"
    assert find_config_file(start / "file.yaml") == found  # a file's folder, missing or not
    assert repository_root(start) == root.resolve()
    assert find_config_file(tmp_path) is None


def test_a_broken_file_is_one_sentence_whoever_reads_it(tmp_path: Path) -> None:
    root = repository(tmp_path, "[lint\n")
    config_file = root / "data" / "config" / "wishcraft.toml"
    with pytest.raises(ConfigFileError) as raised:
        read_config_file(config_file)
    sentence = str(raised.value)
    assert sentence.startswith(f"{config_file}: cannot read the configuration (")
    assert sentence.endswith("; fix the file, which must be readable UTF-8 TOML.")
    from wishcraft.lint.config import load_lint_config
    from wishcraft.pr.config import load_pr_config

    for owner, error in (
        (load_lint_config, ConfigError),
        (load_pr_config, PrBadInput),
        (lambda path: find_ledger(root / "src" / "w.yaml", path), LedgerError),
    ):
        with pytest.raises(error) as owned:
            owner(config_file)
        assert str(owned.value) == sentence


def test_a_file_that_is_not_utf8_names_the_byte(tmp_path: Path) -> None:
    root = repository(tmp_path, "")
    config_file = root / "data" / "config" / "wishcraft.toml"
    config_file.write_bytes(b"[lint]\nplanMaxSteps = 4 # \xff\n")
    with pytest.raises(ConfigFileError, match=r"not UTF-8: byte 0xff at offset 26"):
        read_config_file(config_file)


def test_no_file_is_every_default(tmp_path: Path) -> None:
    parsed = load_workspace_config(tmp_path)
    assert parsed.path is None and parsed.table("lint") == {}
    assert file_globs_from(parsed) is None and pr_config_from(parsed).remote == "origin"
    with pytest.raises(KeyError):
        parsed.table("lnt")


def tomllib_importers() -> set[str]:
    """The package modules that parse TOML themselves."""
    found = set()
    for path in PACKAGE.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            names = (
                [alias.name for alias in node.names]
                if isinstance(node, ast.Import)
                else [node.module or ""]
                if isinstance(node, ast.ImportFrom)
                else []
            )
            if "tomllib" in names:
                found.add(path.relative_to(PACKAGE).as_posix())
    return found


def test_only_the_config_module_parses_a_repositorys_toml() -> None:
    # conduit/config.py parses the user's own files only ($XDG_CONFIG_HOME, $CODEX_HOME): it
    # is handed the repository's file (`RepositoryConfig`).
    assert tomllib_importers() == {"config.py", "conduit/config.py"}
    conduit_source = (PACKAGE / "conduit" / "config.py").read_text(encoding="utf-8")
    assert "find_workspace_config" not in conduit_source
    assert '"data"' not in conduit_source and "CONFIG_RELATIVE" not in conduit_source


def test_the_sentence_is_in_the_troubleshooting_doc() -> None:
    doc = (ROOT / "docs" / "troubleshooting.md").read_text(encoding="utf-8")
    assert "cannot read the configuration (`<reason>`); fix the file, which must be" in doc
    assert "using the default rules and wish globs." in doc
    assert "using the default wish globs." in doc
