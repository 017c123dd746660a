"""The unified diff writer: its hunks, applied to the old lines, give exactly the new lines."""

from __future__ import annotations

import difflib
import re

from hypothesis import given
from hypothesis import strategies as st

from wishcraft.apply.unidiff import opcodes, unified

HUNK = re.compile(r"^@@ -(\d+)(?:,(\d+))? \+(\d+)(?:,(\d+))? @@\n$")


def patch_lines(old: list[str], diff: list[str]) -> list[str]:
    """Apply a unified diff to `old`, checking every context and removed line on the way."""
    out: list[str] = []
    position = 0
    index = 2
    while index < len(diff):
        header = HUNK.match(diff[index])
        assert header, diff[index]
        start = int(header.group(1)) - (0 if header.group(2) == "0" else 1)
        old_count = int(header.group(2) or 1)
        new_count = int(header.group(4) or 1)
        out += old[position:start]
        position = start
        index += 1
        seen_old = seen_new = 0
        while index < len(diff) and not diff[index].startswith("@@"):
            kind, text = diff[index][0], diff[index][1:]
            if kind in " -":
                assert old[position] == text
                position += 1
                seen_old += 1
            if kind in " +":
                out.append(text)
                seen_new += 1
            index += 1
        assert (seen_old, seen_new) == (old_count, new_count)
    return out + old[position:]


LINES = st.lists(st.sampled_from(["a\n", "b\n", "c\n", "d\n", "e\n", "unique\n", "x"]), max_size=30)


@given(LINES, LINES)
def test_the_diff_turns_old_into_new(old: list[str], new: list[str]) -> None:
    diff = unified(old, new, old_name="a/f", new_name="b/f")
    if old == new:
        assert diff == []
        return
    assert diff[:2] == ["--- a/f\n", "+++ b/f\n"]
    assert patch_lines(old, diff) == new


@given(
    st.lists(st.integers(0, 50), max_size=40, unique=True),
    st.lists(st.integers(0, 50), max_size=40, unique=True),
)
def test_opcodes_cover_both_sides_in_order(old_ids: list[int], new_ids: list[int]) -> None:
    old = [f"{n}\n" for n in old_ids]
    new = [f"{n}\n" for n in new_ids]
    codes = opcodes(old, new)
    i = j = 0
    for tag, i1, i2, j1, j2 in codes:
        assert (i1, j1) == (i, j)
        if tag == "equal":
            assert old[i1:i2] == new[j1:j2]
        i, j = i2, j2
    assert (i, j) == (len(old), len(new))


def test_same_as_difflib_on_a_plain_change() -> None:
    old = [f"line {n}\n" for n in range(100)]
    new = old[:40] + ["changed\n"] + old[41:90] + old[91:] + ["tail\n"]
    assert unified(old, new, old_name="a", new_name="b") == list(
        difflib.unified_diff(old, new, "a", "b")
    )


def test_a_moved_block_is_a_valid_diff() -> None:
    old = [f"{n}\n" for n in range(20)]
    new = old[10:] + old[:10]
    assert patch_lines(old, unified(old, new, old_name="a", new_name="b")) == new
