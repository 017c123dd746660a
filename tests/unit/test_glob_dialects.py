"""The two glob dialects (`wishcraft.globs`): one table of where they agree and deliberately
differ, shared with the VS Code client's vitest (`tests/fixtures/glob_dialects.json`), and the
rule that only `wishcraft.globs` turns a glob into a matcher."""

from __future__ import annotations

import ast
import json
from typing import Any

import pytest

from testkit.paths import ROOT
from wishcraft.globs import Dialect, check_file_globs, matches

TABLE = ROOT / "tests" / "fixtures" / "glob_dialects.json"
ROWS: list[dict[str, Any]] = json.loads(TABLE.read_text(encoding="utf-8"))["rows"]
PACKAGE = ROOT / "server" / "wishcraft"


def answer(dialect: Dialect, globs: list[str], path: str) -> bool | str:
    """What a dialect says of `path`: matched or not, or "refused" for a glob it refuses."""
    if dialect is Dialect.FILE:
        try:
            check_file_globs(globs)
        except ValueError:
            return "refused"
    return matches(dialect, globs, path)


@pytest.mark.parametrize("row", ROWS, ids=[row["id"] for row in ROWS])
def test_each_dialect_gives_the_table_answer(row: dict[str, Any]) -> None:
    assert answer(Dialect.FILE, row["globs"], row["path"]) == row["file"]
    assert answer(Dialect.SCOPE, row["globs"], row["path"]) == row["scope"]


def test_the_table_holds_each_deliberate_difference() -> None:
    """Every difference the module docstring lists has a row where the answers differ."""
    differing = {row["id"] for row in ROWS if row["file"] != row["scope"]}
    for needed in (
        "name-only-matches-at-any-depth-as-a-file-glob",
        "relative-pattern-matches-at-any-depth-as-a-file-glob",
        "braces-are-alternatives-in-a-file-glob",
        "braces-are-literal-in-a-scope",
        "bang-excludes-in-a-scope",
        "trailing-slash-is-a-folder-in-a-scope",
        "plain-name-covers-its-folder-in-a-scope",
        "unclosed-bracket-is-refused-as-a-file-glob",
        "backslash-is-a-separator-in-a-file-glob",
    ):
        assert needed in differing
    assert len({row["id"] for row in ROWS}) == len(ROWS)


GLOB_ENGINES = {"wishcraft.linear_re", "fnmatch", "glob"}
"""Modules that turn a pattern into a matcher: only `wishcraft.globs` may import them."""


def glob_engine_imports(source: str) -> set[str]:
    """The glob engines one module's source imports, and `PurePath.match`/`full_match` calls."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names if alias.name in GLOB_ENGINES)
        elif isinstance(node, ast.ImportFrom) and node.module in GLOB_ENGINES:
            found.add(node.module)
        elif (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and node.func.attr == "full_match"
        ):
            found.add("PurePath.full_match")
    return found


def test_only_the_globs_module_defines_a_glob_matcher() -> None:
    definers = {
        path.relative_to(PACKAGE).as_posix()
        for path in PACKAGE.rglob("*.py")
        if glob_engine_imports(path.read_text(encoding="utf-8"))
    }
    assert definers == {"globs.py"}


def test_the_matcher_check_sees_a_second_matcher() -> None:
    assert glob_engine_imports("from wishcraft.linear_re import LinearPattern\n")
    assert glob_engine_imports("import fnmatch\n")
    assert glob_engine_imports("p.full_match('*.md')\n")
    assert not glob_engine_imports("from wishcraft.globs import paths_allowed\n")


def test_the_vscode_client_reads_the_same_table() -> None:
    vitest = ROOT / "client-vscode" / "test" / "globs.test.ts"
    assert '"tests", "fixtures", "glob_dialects.json"' in vitest.read_text(encoding="utf-8")
