"""A wish stretched to thousands of lines, as the editor benchmark's (bench/bench_lsp.py)."""

from __future__ import annotations

from .paths import EXAMPLES

LIGHTHOUSE = (EXAMPLES / "data" / "wishes" / "lighthouse.wish.yaml").read_text(encoding="utf-8")


def large_wish(lines: int) -> str:
    """The lighthouse wish with a plan long enough for about `lines` lines: every step a
    quoted line that ends in an emoji (a character of two UTF-16 units)."""
    head = LIGHTHOUSE.split("plan:")[0]
    items = lines - head.count("\n") - 12
    steps = "".join(
        f'  - "Step {n}: place beacon lamp {n} on tile {n * 7} 😀"\n' for n in range(items)
    )
    return head + "plan:\n" + steps + LIGHTHOUSE[LIGHTHOUSE.index("safety_tests:") :]
