"""Limits count the calls that reached a model (issue 21, item 6).

`ledger.record` decides each line's `counted` once; the gates' counts (`usage`) add up only
`counted: true` lines; older lines without the field keep the rule they were counted by, and a
ledger mixing both still verifies. Real files in `tmp_path`, written through the real `record`.
"""

from __future__ import annotations

import dataclasses
import json
from datetime import UTC, datetime, timedelta
from itertools import product
from pathlib import Path
from typing import Any

import pytest

from wishcraft.ledger import (
    ACTIONS,
    MODES,
    OUTCOMES,
    LedgerEntry,
    LedgerSummary,
    SummaryCache,
    append,
    counts_toward_limits,
    is_counted,
    reached_model,
    record,
    usage,
    verify,
)

NOW = datetime(2026, 3, 14, 12, 0, 0, tzinfo=UTC)
APPLY = "openai.codex.v2025.apply"
WISH = "data/wishes/lamps.wish.yaml"
REQUEST: dict[str, Any] = {"request_id": "req_1", "prompt_hash": "a" * 64, "tokens_used": 812}
"""What a line of a call that was answered carries."""


def line(action: str = "apply", outcome: str = "complete", **fields: Any) -> LedgerEntry:
    return LedgerEntry.model_validate(
        {"conduit": APPLY, "action": action, "mode": "commit", "wish": WISH, "outcome": outcome}
        | fields
    )


@pytest.mark.parametrize(
    ("entry", "counted"),
    [
        pytest.param(line("plan", **REQUEST), True, id="plan-answered"),
        pytest.param(line(**REQUEST), True, id="apply-answered"),
        pytest.param(line(outcome="incomplete", prompt_hash="a" * 64), True, id="cut-short"),
        pytest.param(line(prompt_hash="a" * 64), True, id="answered-without-ids"),
        pytest.param(line(outcome="failed", cf_ray="ray-1"), True, id="failed-after-an-answer"),
        pytest.param(line(outcome="failed", prompt_hash="a" * 64), False, id="failed-unanswered"),
        pytest.param(line(outcome="pending", **REQUEST), False, id="pending-half"),
        pytest.param(line(outcome="refused"), False, id="refused"),
        pytest.param(line("rollback", diff_hash="d" * 64), False, id="rollback"),
        pytest.param(line("rollback", **REQUEST), False, id="rollback-carrying-ids"),
        pytest.param(line("open_pr", pr_url="https://x/pull/1"), False, id="open-pr"),
        pytest.param(line(mode="shadow", **REQUEST), False, id="shadow"),
        pytest.param(line(), False, id="staged-patch-applied-no-request"),
        pytest.param(line(counted=False, **REQUEST), False, id="writer-says-no"),
        pytest.param(line("rollback", counted=True), False, id="writer-cannot-count-a-rollback"),
    ],
)
def test_a_line_counts_only_when_its_call_reached_a_model(
    tmp_path: Path, entry: LedgerEntry, counted: bool
) -> None:
    assert reached_model(entry) is counted
    written = record(tmp_path / "wishes.jsonl", entry, now=NOW)
    assert written.written and written.entry is not None
    stored = json.loads((tmp_path / "wishes.jsonl").read_text())
    assert stored["counted"] is counted  # on the line itself, as `wishcraft ledger` shows it
    assert is_counted(stored) is counted


def test_no_line_of_a_never_counted_action_or_outcome_counts() -> None:
    """Every action × mode × outcome × evidence: a rollback, an open_pr, a shadow run, a refused
    or pending line never counts, whatever the line carries."""
    evidence: list[dict[str, Any]] = [{}, REQUEST, {"counted": True}]
    for action, mode, outcome, extra in product(ACTIONS, MODES, OUTCOMES, evidence):
        entry = line(action, outcome, mode=mode, **extra)
        never = (
            action in ("rollback", "open_pr")
            or mode == "shadow"
            or outcome in ("refused", "pending")
        )
        if never:
            assert not reached_model(entry), (action, mode, outcome, extra)


def test_dry_run_then_the_staged_patch_then_a_rollback_spend_one_call(tmp_path: Path) -> None:
    """Issue 21's scenario: dry run (a model call), the apply of its staged patch (no call:
    its pending and closing lines carry no request), then the undo: one call spent."""
    path = tmp_path / "wishes.jsonl"
    anchor = {"anchor_id": "A-20260314T120000Z-0123456789ab", "diff_hash": "d" * 64}
    for step, entry in enumerate(
        [
            line(summary="Dry run, not applied: 1 file.", **REQUEST),
            line(outcome="pending", **anchor),
            line(**anchor),
            line("rollback", **anchor),
        ]
    ):
        assert record(path, entry, now=NOW + timedelta(seconds=step)).written
    assert usage(path, APPLY, WISH, NOW + timedelta(seconds=5), SummaryCache()).wish_calls == 1
    assert verify(path).ok


def test_older_lines_keep_their_rule_and_the_chain_still_verifies(tmp_path: Path) -> None:
    """Lines written before `counted` (plain `append`) count as they did; lines written after
    count by `counted`; the counts are the sum of both and the chain holds across them."""
    path = tmp_path / "wishes.jsonl"
    older = [line(), line("rollback"), line(outcome="failed"), line(outcome="refused")]
    newer = [line(**REQUEST), line("rollback"), line(outcome="pending", **REQUEST)]
    for step, entry in enumerate(older):
        append(path, entry, now=NOW + timedelta(seconds=step))
    for step, entry in enumerate(newer, start=len(older)):
        record(path, entry, now=NOW + timedelta(seconds=step))
    stored = [json.loads(text) for text in path.read_text().splitlines()]
    assert ["counted" in obj for obj in stored] == [False] * 4 + [True] * 3
    expected = sum(counts_toward_limits(obj) for obj in stored[:4]) + 1
    assert expected == 3  # the older apply and rollback, as before; the newer apply only
    assert [is_counted(obj) for obj in stored] == [True, True, False, False, True, False, False]
    counted = usage(path, APPLY, WISH, NOW + timedelta(seconds=10), SummaryCache())
    assert counted.wish_calls == expected
    assert verify(path).ok


def test_the_summary_store_counts_what_a_fresh_read_counts(tmp_path: Path) -> None:
    """The cached summary (in memory, then stored and read back by a new cache) agrees with a
    count made from the lines, for a ledger mixing counted and uncounted lines."""
    path = tmp_path / "wishes.jsonl"
    store = tmp_path / "cache"
    kinds = [line(**REQUEST), line("rollback"), line(outcome="refused"), line(mode="shadow")]
    for step in range(40):
        record(path, kinds[step % len(kinds)], now=NOW + timedelta(seconds=step))
    first = SummaryCache(store).summary(path)
    stored = [json.loads(text) for text in path.read_text().splitlines()]
    assert sum(first.wish_calls.values()) == sum(map(is_counted, stored)) == 10
    again = LedgerSummary.from_json(first.to_json(path.resolve()), path.resolve())
    assert again is not None
    assert dataclasses.replace(again, stored_offset=first.stored_offset) == first
    assert SummaryCache(store).summary(path).wish_calls == first.wish_calls


@pytest.mark.parametrize(
    "change",
    [
        pytest.param({"format": 1}, id="the-older-format"),
        pytest.param({"ledger": "/else/wishes.jsonl"}, id="another-ledger"),
        pytest.param({"offset": "12"}, id="a-number-as-text"),
        pytest.param({"wish_calls": [["c", "w"]]}, id="a-short-row"),
        pytest.param({"extra": 1}, id="an-unknown-key"),
        pytest.param({"key": [1, 2, 3]}, id="a-short-key"),
    ],
)
def test_a_stored_summary_of_another_shape_is_refused(
    tmp_path: Path, change: dict[str, Any]
) -> None:
    """The persistent copy goes through one strict model: anything else is not read (the cache
    then counts from the file), never half-read."""
    path = tmp_path / "wishes.jsonl"
    record(path, line(**REQUEST), now=NOW)
    text = SummaryCache().summary(path).to_json(path)
    assert LedgerSummary.from_json(text, path) is not None
    assert LedgerSummary.from_json(json.dumps(json.loads(text) | change), path) is None
