"""The conduit stays cut along its seams: no class over 300 lines, no function over 80,
`CodexClient._turn` at most 50, and each seam in its one module."""

from __future__ import annotations

import ast
from pathlib import Path

CONDUIT = Path(__file__).resolve().parents[2] / "server" / "wishcraft" / "conduit"
MAX_CLASS_LINES = 300
MAX_FUNCTION_LINES = 80
MAX_TURN_LINES = 50


def measure(folder: Path) -> dict[str, tuple[int, bool]]:
    """`module.py:Class.method` → (lines, is a class), for every class and function."""
    found: dict[str, tuple[int, bool]] = {}

    def visit(node: ast.AST, path: Path, prefix: str) -> None:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef):
                name = f"{prefix}{child.name}"
                assert child.end_lineno is not None
                lines = child.end_lineno - child.lineno + 1
                found[f"{path.name}:{name}"] = (lines, isinstance(child, ast.ClassDef))
                visit(child, path, f"{name}.")

    for path in sorted(folder.glob("*.py")):
        visit(ast.parse(path.read_text(encoding="utf-8")), path, "")
    return found


def too_big(folder: Path) -> dict[str, int]:
    """The classes over 300 lines and the functions over 80."""
    return {
        name: lines
        for name, (lines, is_class) in measure(folder).items()
        if lines > (MAX_CLASS_LINES if is_class else MAX_FUNCTION_LINES)
    }


def test_no_class_over_300_lines_and_no_function_over_80() -> None:
    assert measure(CONDUIT)["client.py:CodexClient"][1] and too_big(CONDUIT) == {}


def test_the_turn_is_at_most_50_lines() -> None:
    assert 0 < measure(CONDUIT)["client.py:CodexClient._turn"][0] <= MAX_TURN_LINES


def test_the_size_check_finds_a_big_class_and_a_long_method(tmp_path: Path) -> None:
    body = "    x = 1\n" * 300
    method = "    def long(self) -> None:\n" + "        pass\n" * 80
    (tmp_path / "big.py").write_text(f"class Big:\n{body}\n\nclass Fine:\n{method}")
    assert too_big(tmp_path) == {"big.py:Big": 301, "big.py:Fine.long": 81}


def test_each_seam_lives_in_its_module() -> None:
    """The fold, the policy and the recovery are defined once, where CONTRIBUTING says."""
    homes: dict[str, set[str]] = {}
    for name in measure(CONDUIT):
        module, qualified = name.split(":", 1)
        homes.setdefault(qualified, set()).add(module)
    assert homes["StreamFold"] == homes["fold_event"] == {"stream.py"}
    assert homes["retry_delay"] == homes["next_delay"] == {"retry.py"}
    assert homes["Sessions.recover"] == homes["Sessions.open"] == {"session.py"}
    assert not {name for name in homes if name.startswith("CodexClient._fold")}
