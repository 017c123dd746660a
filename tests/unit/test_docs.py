"""The project's own docs stay true and self-contained.

docs/wish-format.md lists every lint rule with its default severity and origin, and its
defaults table matches the lint configuration's defaults; no tracked file points to a folder
outside the repository (the docs once linked to a sibling checkout that users do not have).
"""

from __future__ import annotations

import re
import subprocess

from testkit.paths import ROOT
from wishcraft.lint.catalog import RULES
from wishcraft.lint.config import LintConfig
from wishcraft.model import Tier

DOC = (ROOT / "docs" / "wish-format.md").read_text(encoding="utf-8")


def doc_rules() -> dict[str, tuple[str, str]]:
    """The lint rules table of the doc: code → (default severity, origin)."""
    rows = re.findall(
        r"^\| `([a-z0-9-]+)` \| (error|warning|info|hint) \| (\w+) \|", DOC, re.MULTILINE
    )
    return {code: (default, origin.lower()) for code, default, origin in rows}


def test_every_lint_rule_is_documented_with_its_default_and_origin() -> None:
    assert doc_rules() == {code: (rule.severity.label, rule.origin) for code, rule in RULES.items()}


def test_the_documented_tier_defaults_are_the_configuration_defaults() -> None:
    config = LintConfig()
    for tier in Tier:
        limits, court = config.tier_limits[tier], config.court_thresholds[tier]
        numbers = [
            limits.duration_days,
            limits.chrono_sand,
            limits.genie_slots,
            limits.gold_cap,
            court.clarity,
            court.safety,
            court.reversibility,
        ]
        row = "| " + " | ".join([tier.value, *(f"{n:,}" for n in numbers)]) + " |"
        assert row in DOC, row
    assert f"| `plan_max_steps` | {config.plan_max_steps} |" in DOC


def test_no_tracked_file_points_outside_the_repository() -> None:
    tracked = (
        subprocess.run(["git", "ls-files", "-z"], cwd=ROOT, capture_output=True, check=True)
        .stdout.decode()
        .split("\0")
    )
    outside = re.compile(r"\.\./shared\b|/work/(shared|main)\b")
    offenders = [
        name
        for name in tracked
        if name
        and (ROOT / name).is_file()
        and not name.endswith((".png", ".vsix"))
        and outside.search((ROOT / name).read_text(encoding="utf-8", errors="replace"))
    ]
    assert offenders == []
