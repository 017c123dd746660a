"""Benchmark glob matching on hostile globs: the linear matcher against `re`'s backtracking.

A `list_files` glob from the model took 20.8 s of CPU when the globs were matched by `re`. The
two glob dialects of `wishcraft.globs` translate into regular expressions and match them with
`wishcraft.linear_re` (a lazily built DFA). This prints:

- the CPU time of each hostile glob over a 10,000-path tree, in each dialect (the target: the
  whole set well under the test's 1 s bound);
- `re` on the same expression against one path whose last name grows, until one match takes
  over 2 s, and the ratio to the linear matcher on that path.

Run: `python3 bench/bench_globs.py` (about half a minute: most of it is `re` backtracking).
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from functools import partial

from wishcraft.globs import file_glob, scope_expression, scope_from_globs, scope_match
from wishcraft.linear_re import LinearPattern

HOSTILE = (
    "**/**/**/**/**/**/**/**/**/*a*a*a*a*a*a*a*b",
    "*a*a*a*a*a*a*a*a*a*a*a*b",
    "**/a*/**/a*/**/a*/**/a*/**/a*/**/*a*a*a*b",
)
TREE = 10_000
RE_CEILING_S = 2.0


def tree() -> list[str]:
    """Paths up to 8 folders deep, each ending in a long name of `a`s."""
    return [
        "/".join(["a" * (index % 5 + 1)] * (index % 8 + 1)) + "/" + "a" * (30 + index % 30)
        for index in range(TREE)
    ]


def cpu(action: Callable[[], object]) -> float:
    """CPU seconds of one call."""
    start = time.process_time()
    action()
    return time.process_time() - start


def each(match: Callable[[str], object], paths: list[str]) -> None:
    """Match every path."""
    for path in paths:
        match(path)


def main() -> None:
    """Time the dialects on the tree, then `re` on one growing path."""
    paths = tree()
    total = 0.0
    print(f"linear matcher, {TREE:,} paths, CPU seconds per glob:")
    for pattern in HOSTILE:
        wish = file_glob(pattern)
        scope = scope_from_globs([pattern])
        figures = (
            cpu(partial(each, partial(scope_match, pattern), paths)),
            cpu(partial(each, wish.fullmatch, paths)),
            cpu(partial(each, scope, paths)),
        )
        total += sum(figures)
        print(
            f"  {pattern:48} scope glob {figures[0]:.3f}  file {figures[1]:.3f}  "
            f"scope predicate {figures[2]:.3f}"
        )
    print(f"  all dialects, all globs: {total:.2f} s (test bound: 1 s)")
    expression = scope_expression(HOSTILE[0])
    backtracking = re.compile(expression, re.DOTALL)
    linear = LinearPattern(expression, dotall=True)
    print(f"re against the linear matcher on one path, {HOSTILE[0]}:")
    length = 8
    while True:
        path = "a/" * 10 + "a" * length
        slow = cpu(partial(backtracking.match, path))
        fast = cpu(partial(each, linear.fullmatch, [path] * 1_000)) / 1_000
        print(
            f"  name of {length:2} characters: re {slow:8.3f} s, linear {fast * 1e6:6.1f} µs, "
            f"ratio {slow / fast:,.0f}"
        )
        if slow > RE_CEILING_S:
            break
        length += 2


if __name__ == "__main__":
    main()
