"""Questions the rest of Wishcraft asks the ledger, each answered in one place.

`read_entries` and `recent_entries` list lines; `last_applied` is "the last applied change not
undone" of a wish, for "Undo apply" given a wish (the editor) and "Open Pull Request" given a
wish (the CLI and the editor).

The rule `last_applied` holds, decided once: an apply is applied when one of its lines has
`outcome: complete` and an `anchor_id`. The CLI writes an apply's `pending` line before its
files and a `complete` or `failed` one after; the editor writes one line once its client
applied the change. A `pending` line alone is a change under way, or cut short and ended by the
next start's recovery, and a `failed` one was put back: neither is a change to undo or to open a
pull request of. A `complete` rollback line with the same anchor undoes it; a refused or failed
rollback leaves it applied. The newest applied change not undone wins, so after apply A, apply
B and the undo of B, it is A.
"""

from __future__ import annotations

import json
from pathlib import Path

from pydantic import ValidationError

from wishcraft.ledger.entry import LedgerEntry
from wishcraft.ledger.lines import TornLine, backward_raw_of, iter_lines, parse_line

RECENT_SCAN_LINES = 10_000
"""How far back `recent_entries` looks by default (the hover's recent lines)."""


def read_entries(
    path: Path,
    *,
    wish: str | None = None,
    conduit: str | None = None,
) -> tuple[list[tuple[int, LedgerEntry]], list[TornLine]]:
    """The entries (with line numbers) matching the filters, and the torn lines met.

    A line that is JSON but not a valid entry (edited by hand) is skipped here; `verify`
    names it.
    """
    entries: list[tuple[int, LedgerEntry]] = []
    torn: list[TornLine] = []
    for number, item in iter_lines(path):
        if isinstance(item, TornLine):
            torn.append(item)
            continue
        if (wish is not None and item.get("wish") != wish) or (
            conduit is not None and item.get("conduit") != conduit
        ):
            continue
        try:
            entries.append((number, LedgerEntry.model_validate(item)))
        except ValidationError:
            continue
    return entries, torn


def recent_entries(
    path: Path,
    conduit: str | None = None,
    limit: int = 5,
    *,
    scan_lines: int | None = RECENT_SCAN_LINES,
) -> list[LedgerEntry]:
    """The last `limit` entries (of one conduit, or all), newest first, reading only the tail.

    At most `scan_lines` lines from the end are looked at (None: all), so a hover on a conduit
    that never ran does not read a large ledger whole. Lines are matched on their canonical
    `"conduit":"…"` text before they are parsed.
    """
    needle = (
        b'"conduit":' + json.dumps(conduit, ensure_ascii=False).encode("utf-8")
        if conduit is not None
        else b""
    )
    found: list[LedgerEntry] = []
    for scanned, (_, raw) in enumerate(backward_raw_of(path), start=1):
        if scan_lines is not None and scanned > scan_lines:
            break
        if needle not in raw:
            continue
        obj = parse_line(raw)
        if obj is None or (conduit is not None and obj.get("conduit") != conduit):
            continue
        try:
            found.append(LedgerEntry.model_validate(obj))
        except ValidationError:
            continue
        if len(found) >= limit:
            break
    return found


def is_applied(entry: LedgerEntry) -> bool:
    """Whether a line says its change was applied (see the module's rule)."""
    return entry.action == "apply" and entry.outcome == "complete" and bool(entry.anchor_id)


def is_undone(entry: LedgerEntry) -> bool:
    """Whether a line says its anchor's change was undone."""
    return entry.action == "rollback" and entry.outcome == "complete" and bool(entry.anchor_id)


def last_applied(path: Path, wish: str, conduit: str) -> LedgerEntry | None:
    """The `apply` line of the wish's last applied change that was not undone since, or None.

    `wish` is the ledger's key of the wish (`LedgerLocation.wish_key`); `conduit` the apply
    conduit. Raises `LedgerError` when the ledger cannot be read.
    """
    entries, _ = read_entries(path, wish=wish, conduit=conduit)
    undone = {entry.anchor_id for _, entry in entries if is_undone(entry)}
    for _, entry in reversed(entries):
        if is_applied(entry) and entry.anchor_id not in undone:
            return entry
    return None
