"""Court scores and the heat estimate, exactly as upstream's `wishcraft` crate computes them.

Pure functions over plain values, so the linter, hover, code lenses and the CLI agree, and so
they work on a wish that does not yet validate (missing lists count as empty). Each formula
follows one upstream commit of OpenAgentsInc/ruinsofatlantis, checked against a build of it
(`scripts/upstream-verdicts.sh`; `tests/unit/test_upstream_verdicts.py` compares every case):

- the scores: `crates/wishcraft/src/score.rs` at f957247461feba602057f74107efbabee6c125bc;
- the heat: `crates/wishcraft/src/heat.rs` at 818ba1646697745071a6d7d62e4831d745401443, the
  newest, which adds a factor by tool id (`TOOL_ID_FACTORS`) to the formula of 550b404c9802.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from wishcraft.model import ConduitDescriptor, Determinism, Disposition, RiskClass, Tier


@dataclass(frozen=True, slots=True)
class CourtScores:
    """The three court scores, each 0..100."""

    clarity: int
    safety: int
    reversibility: int


def _clamp(value: int, low: int = 0, high: int = 100) -> int:
    return max(low, min(high, value))


ASCII_DIGITS = frozenset("0123456789")


def clarity_score(objective: str, plan: Sequence[str]) -> int:
    """Score how clear a wish is: 50, +15 for an ASCII digit in the objective, +10 for ≥ 2
    plan steps, −10 for an objective longer than 120 bytes of UTF-8.

    Upstream counts `is_ascii_digit` (so "١٢" is no digit) and `str::len`, which is bytes.
    """
    score = 50
    if any(ch in ASCII_DIGITS for ch in objective):
        score += 15
    if len(plan) >= 2:
        score += 10
    if len(objective.encode("utf-8", "surrogatepass")) > 120:
        score -= 10
    return _clamp(score)


def _ascii_lower(text: str) -> str:
    """Rust's `to_ascii_lowercase`: only A to Z change."""
    return text.translate(_ASCII_LOWER)


_ASCII_LOWER = {code: code + 32 for code in range(ord("A"), ord("Z") + 1)}


def safety_score(invariants: Sequence[str]) -> int:
    """Score how safe a wish is: 50 + min(4 × invariants, 20), +5 if one mentions civilians."""
    score = 50 + min(4 * len(invariants), 20)
    if any("civilian" in _ascii_lower(invariant) for invariant in invariants):
        score += 5
    return _clamp(score)


def reversibility_score(rollback: Sequence[str]) -> int:
    """Score how reversible a wish is: 50 + min(5 × rollback items, 25)."""
    return _clamp(50 + min(5 * len(rollback), 25))


def court_scores(
    objective: str, plan: Sequence[str], invariants: Sequence[str], rollback: Sequence[str]
) -> CourtScores:
    """Compute all three court scores."""
    return CourtScores(
        clarity=clarity_score(objective, plan),
        safety=safety_score(invariants),
        reversibility=reversibility_score(rollback),
    )


SCOPE_FACTOR = {None: 0.5, Tier.MICRO: 0.5, Tier.MESO: 1.0, Tier.MACRO: 2.0}
RISK_FACTOR = {RiskClass.LOW: 1.0, RiskClass.MEDIUM: 1.15, RiskClass.HIGH: 1.3}


def _penalty(score: int, reward: float) -> float:
    """A score's heat penalty: `reward` at ≥ 80, 1.0 at ≥ 60, else 1.2.

    The design gives clarity a reward of 0.8 and reversibility one of 0.85.
    """
    if score >= 80:
        return reward
    if score >= 60:
        return 1.0
    return 1.2


def conduit_factor(conduit: ConduitDescriptor) -> float:
    """The heat multiplier of one conduit: risk × determinism × disposition."""
    factor = RISK_FACTOR[conduit.risk_class]
    if conduit.determinism is Determinism.STOCHASTIC:
        factor *= 1.2
    if conduit.disposition is Disposition.MAXIMIZER:
        factor *= 1.1
    return factor


TOOL_ID_FACTORS = (
    (("apply", "open_pr"), 1.3),
    (("plan", "codex"), 1.15),
)
"""Upstream's heuristic factor by tool id (heat.rs at 818ba16): the first row whose words the
lower-cased id contains; any other id counts 1.0. It applies to every tool, registered or not,
on top of the registered conduit's own factor."""


def tool_id_factor(tool_id: str) -> float:
    """The heat factor upstream gives a tool by its id alone (×1.3 apply, ×1.15 plan/codex)."""
    lowered = _ascii_lower(tool_id)
    for words, factor in TOOL_ID_FACTORS:
        if any(word in lowered for word in words):
            return factor
    return 1.0


def heat_estimate(
    tier: Tier | None,
    scores: CourtScores,
    plan_length: int,
    conduits: Iterable[ConduitDescriptor],
    *,
    tool_ids: Iterable[str] | None = None,
    novelty: float = 1.0,
    speed: float = 1.0,
) -> float:
    """Estimate a wish's heat.

    heat = 10 × scope × novelty × speed × reversibility penalty × clarity penalty × chain
    length × each tool's id factor (`tool_id_factor`), times each registered conduit's factor;
    chain length = clamp(plan, 1, 5) / 3. `tool_ids` are the wish's `tools` (default: the ids
    of `conduits`).
    """
    conduits = list(conduits)
    ids = [conduit.id for conduit in conduits] if tool_ids is None else list(tool_ids)
    chain_len = max(1, min(plan_length, 5)) / 3
    heat = (
        10
        * SCOPE_FACTOR[tier]
        * novelty
        * speed
        * _penalty(scores.reversibility, 0.85)
        * _penalty(scores.clarity, 0.8)
        * chain_len
    )
    for tool_id in ids:
        heat *= tool_id_factor(tool_id)
    for conduit in conduits:
        heat *= conduit_factor(conduit)
    return heat
