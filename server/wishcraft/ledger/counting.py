"""Which ledger lines count against a conduit's limits: the calls that reached a model.

The rule is decided once, when a line is written: `record` stores `reached_model(entry)` as the
line's `counted: true/false`, so `wishcraft ledger` shows it and the gates count only counted
lines (`is_counted`). The README ("The wish ledger and the court's gates") says it for users and
the hover on a conduit repeats it.

`reached_model`:
- a rollback or an open_pr never counts: neither sends anything to a model;
- a shadow run never counts (offline), a refused call never left the machine, and a `pending`
  line is only the first half of an apply: its closing line (complete or failed) carries the
  call;
- a writer that knows whether its call reached a model sets `counted` itself, and it is kept;
- otherwise the line counts when it shows that a request went out and was answered: a
  `request_id`, a `cf_ray` or `tokens_used`, or, for a complete or incomplete call, the
  `prompt_hash` of the request sent (a server need not send ids). A failed call with none of
  these failed before any answer (no login, no network, a bad configuration) and does not count,
  so a broken login cannot use up a wish's calls.

So a dry run followed by the apply of its staged patch counts once: the apply that reuses the
patch makes no model request, and its line carries no request id, tokens or prompt hash.

Older lines, written before `counted` existed, keep the rule they were counted by
(`counts_toward_limits`), so upgrading changes no count and every hash still verifies.
"""

from __future__ import annotations

from typing import Any

from wishcraft.ledger.entry import LedgerEntry

RULE = (
    "Only calls that reached a model count: a rollback, a pull request, a shadow run, a "
    "refused call and the apply of a staged patch never do."
)
"""The rule in one sentence, as the hover on a conduit shows it beside the calls left."""
NEVER_COUNTED_ACTIONS = ("rollback", "open_pr")
"""Actions that make no model call, whatever their line says."""
ANSWERED_OUTCOMES = ("complete", "incomplete", "failed")
"""The outcomes of a call that went out; `refused` and `pending` lines never count."""


def reached_model(entry: LedgerEntry) -> bool:
    """Whether the call a line records reached a model, so it counts against the limits."""
    if (
        entry.mode != "commit"
        or entry.action in NEVER_COUNTED_ACTIONS
        or entry.outcome not in ANSWERED_OUTCOMES
    ):
        return False
    if entry.counted is not None:
        return entry.counted
    if entry.request_id or entry.cf_ray or entry.tokens_used is not None:
        return True
    return entry.outcome != "failed" and bool(entry.prompt_hash)


def is_counted(obj: dict[str, Any]) -> bool:
    """Whether a stored line counts against its conduit's limits: its `counted`, or the earlier
    rule for a line written before `counted` existed."""
    counted = obj.get("counted")
    if isinstance(counted, bool):
        return counted
    return counts_toward_limits(obj)


def counts_toward_limits(obj: dict[str, Any]) -> bool:
    """Whether a line without `counted` (an older line) counts against the limits.

    Only commit-mode calls count: shadow runs are offline and free. A `refused` call never left
    the machine. A `complete` or `incomplete` call reached the conduit. A `failed` call counts
    when it reached the conduit, which the line shows by carrying the response's `request_id` or
    `cf_ray` (Codex bills attempts that reached it); a failure before any answer (no login, no
    network, a bad configuration) does not count, so a broken login cannot use up a wish's calls.
    """
    if obj.get("mode") != "commit":
        return False
    outcome = obj.get("outcome")
    if outcome in ("complete", "incomplete"):
        return True
    return outcome == "failed" and bool(obj.get("request_id") or obj.get("cf_ray"))
