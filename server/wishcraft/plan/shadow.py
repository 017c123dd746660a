"""The offline shadow-run planner: a plan made from the wish's own fields, with no network.

Upstream's `xtask wish codex plan` without `--live` is a shadow run; so is ours. It is
deterministic (the same wish gives the same plan), so it is also what tests and the editor
use when there is no Codex login.
"""

from __future__ import annotations

from wishcraft.model import Wish
from wishcraft.plan.artifact import PlanStep

SHADOW_NOTE = "Shadow run: planned offline from the wish's own fields; no model was called."


def shadow_steps(wish: Wish) -> tuple[list[PlanStep], list[str]]:
    """Steps from the wish's draft plan, each checked by the safety test that fits it best."""
    tests = list(wish.safety_tests)
    steps = []
    for number, draft in enumerate(wish.plan[:7], start=1):
        words = _words(draft)
        overlap, best = max(((len(words & _words(test)), test) for test in tests), default=(0, ""))
        acceptance = (
            best
            if overlap
            else (f"Step {number} is done within {wish.scope.region} and every safety test holds")
        )
        steps.append(
            PlanStep(
                title=draft.strip(),
                detail=f"Within {wish.scope.region}; keep every invariant "
                f"({len(wish.invariants)}).",
                acceptance=acceptance,
            )
        )
    if len(wish.plan) > 7:
        merged = "; ".join(step.strip() for step in wish.plan[7:])
        steps[-1] = PlanStep(
            title=steps[-1].title,
            detail=steps[-1].detail + f" Then: {merged}.",
            acceptance=steps[-1].acceptance,
        )
    notes = [SHADOW_NOTE]
    if wish.rollback:
        notes.append("Rollback: " + "; ".join(wish.rollback))
    if wish.tools:
        notes.append("Tools: " + ", ".join(wish.tools))
    return steps, notes


def _words(text: str) -> set[str]:
    return {word.lower().strip(".,:;()") for word in text.split() if len(word) > 3}


def shadow_text(steps: list[PlanStep], notes: list[str]) -> str:
    """The shadow plan as numbered text, as a model would stream it."""
    lines = [
        f"{number}. {step.title} (acceptance: {step.acceptance})"
        for number, step in enumerate(steps, start=1)
    ]
    return "\n".join(lines + [""] + [f"Note: {note}" for note in notes]) + "\n"
