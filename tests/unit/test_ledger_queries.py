"""The last applied change not undone: one query (`ledger.last_applied`), one rule, two users.

Each scenario is a ledger written through `ledger.record` as the CLI and the editor write it
(an apply's `pending` line, then `complete` or `failed`; the editor's one line; rollbacks
complete, refused or failed). "Undo apply" given a wish (`lsp.apply_runner.last_anchor`) and
"Open Pull Request" given a wish (`pr.inputs.last_applied_anchor`) must name the same change,
or both find none.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from wishcraft.ledger import LedgerEntry, LedgerLocation, last_applied, record
from wishcraft.lsp.apply_runner import last_anchor
from wishcraft.names import APPLY_CONDUIT_ID
from wishcraft.pr.errors import PrRefused
from wishcraft.pr.inputs import last_applied_anchor

NOW = datetime(2026, 3, 14, 12, 0, 0, tzinfo=UTC)
WISH = "data/wishes/lamps.wish.yaml"
A, B = "A-20260314T120000Z-00000000000a", "A-20260314T120100Z-00000000000b"


def step(action: str, outcome: str, anchor: str | None, wish: str = WISH) -> LedgerEntry:
    return LedgerEntry.model_validate(
        {
            "conduit": APPLY_CONDUIT_ID,
            "action": action,
            "mode": "commit",
            "wish": wish,
            "outcome": outcome,
            "anchor_id": anchor,
        }
    )


SCENARIOS: dict[str, tuple[list[LedgerEntry], str | None]] = {
    "nothing": ([], None),
    "dry-run-only": ([step("apply", "complete", None)], None),
    "pending-only": ([step("apply", "pending", A)], None),
    "pending-then-complete": ([step("apply", "pending", A), step("apply", "complete", A)], A),
    "pending-then-failed": ([step("apply", "pending", A), step("apply", "failed", A)], None),
    "editor-one-line": ([step("apply", "complete", A)], A),
    "undone": ([step("apply", "complete", A), step("rollback", "complete", A)], None),
    "undo-refused": ([step("apply", "complete", A), step("rollback", "refused", A)], A),
    "undo-failed": ([step("apply", "complete", A), step("rollback", "failed", A)], A),
    "newest-wins": ([step("apply", "complete", A), step("apply", "complete", B)], B),
    "newest-undone": (
        [
            step("apply", "complete", A),
            step("apply", "pending", B),
            step("apply", "complete", B),
            step("rollback", "complete", B),
        ],
        A,
    ),
    "newer-one-failed": (
        [step("apply", "complete", A), step("apply", "pending", B), step("apply", "failed", B)],
        A,
    ),
    "another-wish": ([step("apply", "complete", A, wish="data/wishes/other.wish.yaml")], None),
    "a-pull-request-line": ([step("apply", "complete", A), step("open_pr", "complete", A)], A),
}


@pytest.mark.parametrize(("lines", "expected"), SCENARIOS.values(), ids=SCENARIOS.keys())
def test_undo_and_pull_request_name_the_same_last_applied_change(
    tmp_path: Path, lines: list[LedgerEntry], expected: str | None
) -> None:
    location = LedgerLocation(tmp_path / "data/ledger/wishes.jsonl", tmp_path, "test")
    for number, entry in enumerate(lines):
        assert record(location, entry, now=NOW + timedelta(seconds=number)).written
    found = last_applied(location.path, WISH, APPLY_CONDUIT_ID)
    assert (found.anchor_id if found is not None else None) == expected
    assert last_anchor(location, WISH) == expected
    if expected is None:
        with pytest.raises(PrRefused) as refused:
            last_applied_anchor(location, WISH)
        assert refused.value.gate == "Ledger"
    else:
        assert last_applied_anchor(location, WISH) == expected
