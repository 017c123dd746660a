"""Court scores and heat, exactly as upstream's crate computes them."""

from __future__ import annotations

import pytest

from wishcraft.lint.registries import bundled_registry
from wishcraft.model import ConduitDescriptor, Tier
from wishcraft.scores import (
    CourtScores,
    clarity_score,
    court_scores,
    heat_estimate,
    reversibility_score,
    safety_score,
    tool_id_factor,
)


def conduit(name: str) -> ConduitDescriptor:
    """A conduit of the bundled registry (fails when it is not there)."""
    found = bundled_registry().get(name)
    assert found is not None, name
    return found


@pytest.mark.parametrize(
    ("objective", "plan_len", "expected"),
    [
        ("no digits", 0, 50),
        ("3 lamps", 0, 65),
        ("3 lamps", 2, 75),
        ("x" * 121, 1, 40),
        ("3" + "x" * 120, 5, 65),
        ("é" * 61, 0, 40),  # 61 characters, 122 bytes: upstream's `len` counts bytes
        ("é" * 60, 0, 50),
        ("١٢ lamps", 0, 50),  # Arabic-Indic digits are not ASCII digits
        ("１２ lamps", 0, 50),  # nor are full-width ones
    ],
)
def test_clarity(objective: str, plan_len: int, expected: int) -> None:
    assert clarity_score(objective, ["s"] * plan_len) == expected


@pytest.mark.parametrize(
    ("invariants", "expected"),
    [
        ([], 50),
        (["a"], 54),
        (["a"] * 5, 70),
        (["a"] * 9, 70),
        (["No harm to Civilians"], 59),
        (["civilian"] * 6, 75),
    ],
)
def test_safety(invariants: list[str], expected: int) -> None:
    assert safety_score(invariants) == expected


@pytest.mark.parametrize(("count", "expected"), [(0, 50), (1, 55), (5, 75), (9, 75)])
def test_reversibility(count: int, expected: int) -> None:
    assert reversibility_score(["r"] * count) == expected


def test_heat_of_the_real_example() -> None:
    scores = court_scores("no digits, " + "x" * 200, ["s"] * 9, ["i"] * 5, ["r"] * 2)
    assert scores == CourtScores(50, 70, 60)
    heat = heat_estimate(None, scores, 9, [conduit("openai.codex.v2025.plan")])
    # 10 × 0.5 × 1.0 (rev 60) × 1.2 (clarity 50) × 5/3 × 1.15 (the id holds "plan")
    # × (1.15 × 1.2) (Medium, Stochastic): 15.87, what upstream's build prints for it.
    assert heat == pytest.approx(10 * 0.5 * 1.0 * 1.2 * 5 / 3 * 1.15 * 1.15 * 1.2)


@pytest.mark.parametrize(
    ("tier", "scope"), [(None, 0.5), (Tier.MICRO, 0.5), (Tier.MESO, 1.0), (Tier.MACRO, 2.0)]
)
def test_heat_scope_and_penalties(tier: Tier | None, scope: float) -> None:
    good = CourtScores(80, 80, 80)
    assert heat_estimate(tier, good, 3, []) == pytest.approx(10 * scope * 0.85 * 0.8 * 1.0)
    assert heat_estimate(tier, CourtScores(60, 60, 60), 0, []) == pytest.approx(10 * scope / 3)


def test_heat_conduit_factors() -> None:
    base = CourtScores(60, 60, 60)
    apply = conduit("openai.codex.v2025.apply")  # High, Stochastic, Maximizer
    place = conduit("worldsmith.place")  # Low, Deterministic, Literalist
    # The apply conduit's factors, and × 1.3 more for "apply" in its id (upstream's newest heat).
    assert heat_estimate(None, base, 3, [apply, place]) == pytest.approx(5 * 1.3 * 1.2 * 1.1 * 1.3)


@pytest.mark.parametrize(
    ("tool_id", "factor"),
    [
        ("openai.codex.v2025.apply", 1.3),
        ("github.open_pr", 1.3),
        ("openai.codex.v2025.plan", 1.15),
        ("codex.review", 1.15),
        ("Planner.Tool", 1.15),
        ("worldsmith.place", 1.0),
        ("slow.lowkey", 1.0),
    ],
)
def test_tool_id_factor_follows_upstreams_newest_heat(tool_id: str, factor: float) -> None:
    """heat.rs at 818ba16: every tool, registered or not, by words in its lower-cased id."""
    base = CourtScores(60, 60, 60)
    assert tool_id_factor(tool_id) == factor
    assert heat_estimate(None, base, 3, [], tool_ids=[tool_id]) == pytest.approx(5 * factor)
