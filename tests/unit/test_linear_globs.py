"""Globs cost linear time: both dialects mean what `re` meant, and a hostile glob is cheap.

Each dialect of `wishcraft.globs` (SCOPE: scopes, the patch scope and `list_files`; FILE: wish
files) translates a glob into a regular expression; `wishcraft.linear_re` matches that
expression without backtracking. The differential tests hold the meaning: on
thousands of random small globs and paths, the automaton agrees with `re`. The CPU tests hold
the cost.
"""

from __future__ import annotations

import asyncio
import random
import re
import time
from pathlib import Path

import pytest

from wishcraft.apply import scope_from_globs
from wishcraft.apply.pipeline import WorkspaceTools
from wishcraft.conduit.apply_exchange import ToolRefused
from wishcraft.globs import file_expression, file_glob, scope_expression, scope_match
from wishcraft.kinds import check_globs
from wishcraft.linear_re import MAX_DFA_STATES, MAX_PATTERN_CHARS, LinearPattern

HOSTILE = (
    "**/**/**/**/**/**/**/**/**/*a*a*a*a*a*a*a*b",
    "*a*a*a*a*a*a*a*a*a*a*a*b",
    "**/a*/**/a*/**/a*/**/a*/**/a*/**/*a*a*a*b",
    "**/*[a-z]*[a-z]*[a-z]*[a-z]*[a-z]*[a-z]*c",
)
"""Globs that send a backtracking matcher through every split of a long name: the first took
`re` 100 s of CPU on one 40-character path. None of them matches the tree below."""

CPU_BOUND_S = 1.0
"""The CPU bound for matching the hostile globs against the tree in both dialects (the scope
one twice: one glob, and a scope predicate).

The linear matcher needs about 0.3 s on an idle core; one hostile glob on one path of the tree
took the backtracking one 100 s. The bound is `time.process_time()`, the CPU of this process
alone: other jobs on a loaded 2-core runner delay it in wall-clock time but do not add to it,
so the 3x margin absorbs cache and frequency effects while a backtracking matcher still
misses it by two orders of magnitude."""


def hostile_tree(count: int = 10_000) -> list[str]:
    """`count` paths, up to 8 folders deep, each ending in a long name of `a`s."""
    return [
        "/".join(["a" * (index % 5 + 1)] * (index % 8 + 1)) + "/" + "a" * (30 + index % 30)
        for index in range(count)
    ]


def test_hostile_globs_cost_linear_cpu_in_both_dialects() -> None:
    paths = hostile_tree()
    start = time.process_time()
    matched = 0
    for pattern in HOSTILE:
        wish = file_glob(pattern)
        scope = scope_from_globs([pattern])
        for path in paths:
            matched += scope_match(pattern, path) + wish.fullmatch(path) + scope(path)
    spent = time.process_time() - start
    assert matched == 0
    assert spent < CPU_BOUND_S, f"{spent:.2f} s of CPU for {len(paths)} paths"


def test_list_files_with_a_hostile_glob_answers_quickly(tmp_path: Path) -> None:
    names = hostile_tree(1_000)
    for name in names:
        target = tmp_path / name
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text("x")
    tools = WorkspaceTools(tmp_path, lambda path: True)
    start = time.process_time()
    answer = asyncio.run(tools.list_files(HOSTILE[0]))
    spent = time.process_time() - start
    assert answer == "(no file of the workspace's scope matches)"
    assert asyncio.run(tools.list_files("**/*a")).count("\n") > 100  # the tree is there
    assert spent < CPU_BOUND_S, f"{spent:.2f} s of CPU for one list_files"


def test_list_files_refuses_a_glob_it_cannot_compile(tmp_path: Path) -> None:
    tools = WorkspaceTools(tmp_path, lambda path: True)
    for glob in ("[z-a]", "a*" * (MAX_PATTERN_CHARS + 1)):
        with pytest.raises(ToolRefused, match="the glob cannot be used"):
            asyncio.run(tools.list_files(glob))


def random_glob(rng: random.Random, atoms: tuple[str, ...]) -> str:
    """A glob of up to six atoms."""
    return "".join(rng.choice(atoms) for _ in range(rng.randint(0, 6)))


def random_path(rng: random.Random) -> str:
    """A short path over a small alphabet, so random globs often match."""
    return "".join(rng.choice("ab/.c\n") for _ in range(rng.randint(0, 9)))


ATOMS = ("a", "b", "/", "*", "**", "**/", "?", "[ab]", "[!a]", ".", "c", "[]a]", "+")
CASES = 4_000


def agree(expression: str, flags: int, rng: random.Random, boundary: bool = False) -> None:
    """The automaton and `re` give the same answer on random paths."""
    try:
        reference = re.compile(expression, flags)
    except re.error:
        with pytest.raises(ValueError):
            LinearPattern(expression, dotall=bool(flags & re.DOTALL))
        return
    linear = LinearPattern(expression, dotall=bool(flags & re.DOTALL))
    for _ in range(8):
        path = random_path(rng)
        if boundary:
            parts = path.split("/")
            prefixes = ["/".join(parts[:count]) for count in range(len(parts), 0, -1)]
            expected = any(reference.fullmatch(prefix) for prefix in prefixes)
            assert linear.boundary_match(path) is expected, (expression, path)
        else:
            expected = reference.fullmatch(path) is not None
            assert linear.fullmatch(path) is expected, (expression, path)


def test_scope_globs_mean_what_re_meant() -> None:
    rng = random.Random(18)
    for _ in range(CASES):
        glob = random_glob(rng, ATOMS)
        agree(scope_expression(glob), re.DOTALL, rng)


def test_wish_globs_mean_what_re_meant() -> None:
    rng = random.Random(19)
    for _ in range(CASES):
        glob = random_glob(rng, (*ATOMS, "{a,b}", "{*,?/}", "{a,{b,c}}"))
        try:
            expression = file_expression(glob)
        except ValueError:
            continue
        agree(expression, 0, rng)


@pytest.mark.parametrize(
    ("expression", "reason"),
    [
        ("a{2}", "`{`"),
        (r"(a)\1", "`(`"),
        ("^a", "`^`"),
        (r"a\d", r"\d"),
        ("[a", "unclosed"),
        ("(?:a", "unclosed"),
        ("a)", "unbalanced"),
        ("a*?", "lazy"),
        ("[z-a]", "bad character class"),
        ("a" * (MAX_PATTERN_CHARS + 1), "over the cap"),
    ],
)
def test_outside_the_subset_is_a_value_error(expression: str, reason: str) -> None:
    with pytest.raises(ValueError, match=re.escape(reason)):
        LinearPattern(expression)


def test_a_pattern_with_many_states_stays_correct_past_the_cache_cap() -> None:
    # `(?:a|b)*a(?:a|b){11}`: the DFA needs 4,096 states, twice the cache's cap.
    expression = "[ab]*a" + "[ab]" * 11
    reference = re.compile(expression)
    linear = LinearPattern(expression)
    rng = random.Random(21)
    for _ in range(300):
        text = "".join(rng.choice("ab") for _ in range(rng.randint(10, 40)))
        assert linear.fullmatch(text) is (reference.fullmatch(text) is not None)
    assert len(linear._cache) <= MAX_DFA_STATES + 1


def test_a_wish_glob_re_would_refuse_is_a_value_error_naming_it() -> None:
    # `re` raised re.error here, which is not a ValueError: the settings check let it through.
    with pytest.raises(ValueError, match=r"the glob '\[z-a\]\.yaml' cannot be used"):
        check_globs(["[z-a].yaml"])
