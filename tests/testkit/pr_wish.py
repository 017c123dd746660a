"""The pull-request scenario as the CLI and the editor see it: the real wish and its saved plan.

`testkit.pr_repo.make_scenario` commits a stub at `data/wishes/cache.wish.yaml` (the opener's
own tests pass the wish in); `wishcraft pr` and "Open Pull Request" read the wish from disk,
so `write_wish` writes the real one (left uncommitted, as a user's edit would be) and a
complete plan artifact beside it whose steps differ from the wish's own `plan`.
`token_leaks` scans named outputs for the scenario's token, as sent and as git sends it.
"""

from __future__ import annotations

from datetime import UTC, datetime

import yaml

from testkit.pr_repo import BASIC, TOKEN, WISH, Scenario
from wishcraft.model import ExecMode
from wishcraft.plan.artifact import PlanArtifact, PlanStatus

WISH_FILE = "data/wishes/cache.wish.yaml"
PLAN_STEPS = [
    "Read src/cache.py and count its callers",
    "Split SIZE into a hot and a cold tier in src/tiers.py",
]
"""The saved plan's steps: the pull request's body must quote these, not the wish's `plan`."""
TITLE = str(WISH["title"])


def write_wish(scenario: Scenario) -> None:
    """Write the real wish over the committed stub, and its complete plan artifact."""
    wish = scenario.work / WISH_FILE
    wish.write_text(yaml.safe_dump(WISH, sort_keys=False), encoding="utf-8")
    PlanArtifact(
        plan_steps=PLAN_STEPS,
        prompt_hash="0" * 64,
        mode=ExecMode.COMMIT,
        status=PlanStatus.COMPLETE,
        wish_title=TITLE,
        wish_path=str(wish),
        started_at=datetime.now(UTC),
    ).write(wish.with_name("cache.wish.plan.json"))


def branch_of(scenario: Scenario) -> str:
    """The branch the opener makes for the scenario's anchor."""
    return f"wish/tune-the-widget-cache-2-tiers-{scenario.anchor.anchor_id[-12:-4]}"


def token_leaks(outputs: dict[str, str]) -> list[str]:
    """The names of the outputs that hold the token (whole, in part, or base64 in Basic)."""
    return [
        name
        for name, text in outputs.items()
        if TOKEN in text or TOKEN[4:20] in text or BASIC in text
    ]
