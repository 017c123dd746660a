"""Checking the hash chain of the whole file: `verify` names the first bad line.

A line is bad when it is JSON but its `hash` is not the hash of its content (it was edited), or
its `prev` is not the hash of the entry before (a line was removed, inserted or moved). Torn
lines (not JSON objects) are reported and skipped.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from wishcraft.ledger.entry import GENESIS, entry_hash, original_hash_ok
from wishcraft.ledger.lines import TornLine, iter_lines


@dataclass(frozen=True, slots=True)
class VerifyResult:
    """What `verify` found: the chain holds (`ok`), or the first bad line and why."""

    ok: bool
    entries: int
    torn: list[TornLine]
    first_bad: int | None = None
    reason: str = ""

    def describe(self, path: Path) -> str:
        """One sentence for the user."""
        if not self.ok:
            return f"{path}: line {self.first_bad}: {self.reason}"
        torn = (
            (
                f"; {len(self.torn)} torn line(s) skipped: "
                + ", ".join(str(item.line) for item in self.torn)
            )
            if self.torn
            else ""
        )
        return f"{path}: the chain of {self.entries} entries verifies{torn}."


def verify(path: Path) -> VerifyResult:
    """Check the hash chain of the whole file and name the first bad line (1-based).

    A line is bad when it is JSON but its `hash` is not the hash of its content (it was
    edited), or its `prev` is not the hash of the entry before (a line was removed, inserted
    or moved). Torn lines (not JSON objects) are reported and skipped.
    """
    previous = GENESIS
    previous_line = 0
    entries = 0
    torn: list[TornLine] = []
    for number, item in iter_lines(path):
        if isinstance(item, TornLine):
            if item.marker:
                return VerifyResult(
                    False,
                    entries,
                    torn,
                    number,
                    "a git conflict marker: a merge of the ledger was left unresolved; run "
                    f"`wishcraft ledger merge --fix {path}` (and `wishcraft ledger "
                    "install-merge-driver` so the next merge needs no fixing).",
                )
            torn.append(item)
            continue
        stated = item.get("hash")
        if not isinstance(stated, str) or not isinstance(item.get("prev"), str):
            return VerifyResult(
                False,
                entries,
                torn,
                number,
                "the line has no `hash` or `prev`, so it is not a ledger entry.",
            )
        if entry_hash(item) != stated:
            return VerifyResult(
                False,
                entries,
                torn,
                number,
                "its hash does not match its content: the line was edited.",
            )
        if not original_hash_ok(item):
            return VerifyResult(
                False,
                entries,
                torn,
                number,
                "its orig_hash does not match its content: a merged line was edited.",
            )
        if item["prev"] != previous:
            after = (
                f"the hash of line {previous_line}" if previous_line else "the start of the ledger"
            )
            return VerifyResult(
                False,
                entries,
                torn,
                number,
                f"its prev does not match {after}: a line was removed, inserted or moved.",
            )
        previous, previous_line = stated, number
        entries += 1
    return VerifyResult(True, entries, torn)
