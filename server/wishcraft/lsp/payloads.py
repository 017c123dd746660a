"""The shapes of our own protocol messages: the custom notification and the command results.

TypedDicts, because they travel as JSON objects as they are; the VS Code client declares the
same shapes as TypeScript interfaces, and `tests/unit/test_payloads.py` checks that each
interface has exactly these keys, with the same optional ones.
"""

from __future__ import annotations

from typing import NotRequired, TypedDict


class PlanUpdated(TypedDict):
    """`wishcraft/planUpdated`: the Markdown plan of a wish, rewritten as the stream advances."""

    uri: str
    """The wish's uri, as the client sent it."""
    planUri: str  # noqa: N815 - JSON field names are the protocol's camelCase
    """The Markdown plan's file uri."""
    markdown: str
    """The plan as it stands."""
    done: bool
    """Whether this is the last update of this plan."""


class PlanWishResult(TypedDict):
    """What `wishcraft.planWish` answers: at once, before the plan runs."""

    started: bool
    planUri: NotRequired[str]  # noqa: N815
    token: NotRequired[str]
    """The work-done progress token of the running plan (cancel with it)."""
    reason: NotRequired[str]
    """Why no plan started, in one sentence."""
    shown: NotRequired[bool]
    """Whether the server already showed that sentence (the client then shows nothing)."""


class PlanLocationResult(TypedDict):
    """What `wishcraft.planLocation` answers: where the wish's Markdown plan is."""

    planUri: str | None  # noqa: N815
    exists: bool
    reason: NotRequired[str]


class InsertStepsResult(TypedDict):
    """What `wishcraft.insertPlanSteps` answers."""

    applied: bool
    reason: NotRequired[str]
