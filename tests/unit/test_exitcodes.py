"""The exit statuses have one definition, `wishcraft.exitcodes.ExitCode`.

Eight modules once spelled them as their own integers (`EXIT_OK, EXIT_FAILED = 0, 1`); the
checker below reads the package with `ast` and fails on any module but `exitcodes` that binds an
`EXIT_*` name, or an `exit_code` attribute, to a number.
"""

from __future__ import annotations

import ast
import subprocess
import sys

from testkit.paths import ROOT
from wishcraft.cli.options import EXIT_FINDINGS, EXIT_OK, EXIT_USAGE
from wishcraft.exitcodes import ExitCode
from wishcraft.pr.errors import PrBadInput, PrFailed, PrRefused

PACKAGE = ROOT / "server" / "wishcraft"


def _names(target: ast.expr) -> list[str]:
    if isinstance(target, ast.Name):
        return [target.id]
    if isinstance(target, ast.Tuple):
        return [name for element in target.elts for name in _names(element)]
    return []


def _numbers(value: ast.expr) -> bool:
    if isinstance(value, ast.Constant):
        return type(value.value) is int
    if isinstance(value, ast.Tuple):
        return any(_numbers(element) for element in value.elts)
    return False


def exit_numbers(source: str) -> list[str]:
    """The `EXIT_*` (or `exit_code`) names that `source` binds to an integer literal."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Assign) and _numbers(node.value):
            for target in node.targets:
                found += [
                    name
                    for name in _names(target)
                    if name.startswith("EXIT_") or name == "exit_code"
                ]
    return found


def test_only_exitcodes_gives_exit_statuses_numbers() -> None:
    offenders = {
        str(path.relative_to(PACKAGE)): names
        for path in sorted(PACKAGE.rglob("*.py"))
        if path.name != "exitcodes.py" and (names := exit_numbers(path.read_text()))
    }
    assert offenders == {}


def test_the_checker_finds_a_number() -> None:
    source = "EXIT_OK, EXIT_FAILED = 0, 1\nclass E:\n    exit_code = 3\nEXIT_X = ExitCode.OK\n"
    assert exit_numbers(source) == ["EXIT_OK", "EXIT_FAILED", "exit_code"]


def test_the_numbers_are_the_documented_ones() -> None:
    """README's command table: 0 done, 1 failed, 2 bad input, 3 refused by a gate."""
    assert [int(code) for code in ExitCode] == [0, 1, 2, 3, 130]
    assert (EXIT_OK, EXIT_FINDINGS, EXIT_USAGE) == (0, 1, 2)
    assert (PrFailed.exit_code, PrBadInput.exit_code, PrRefused.exit_code) == (1, 2, 3)


def test_a_command_exits_with_the_number() -> None:
    """The real CLI: an enum member reaches the shell as its number (usage error: 2)."""
    done = subprocess.run(
        [sys.executable, "-m", "wishcraft", "lint", "no-such-wish.yaml"],
        capture_output=True,
        text=True,
        cwd=ROOT,
        check=False,
    )
    assert done.returncode == 2 and ExitCode(done.returncode) is ExitCode.USAGE, done.stderr
