"""The semantic rules of a wish: the upstream crate's lint rules and the design doc's.

Each rule reads the wish's plain data leniently (a field of the wrong type is skipped: the
schema check already reported it), so a half-finished wish still gets every useful finding.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from wishcraft.documents import Node, NodeKind, PathIndex
from wishcraft.findings import (
    Finding,
    InvariantData,
    Path,
    Position,
    ReplacementData,
    Severity,
    Span,
    format_path,
)
from wishcraft.lint.catalog import RULES
from wishcraft.lint.config import LintConfig, conduit_not_allowed_message
from wishcraft.model import Domain, Tier
from wishcraft.registry import Registry
from wishcraft.scores import CourtScores, court_scores

PRONOUNS = ("this", "that", "it", "they", "them")
"""The words upstream's lint warns about, in the order it tries them."""
NUMBER_WORDS = (
    r"one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|twenty|"
    r"thirty|fifty|hundred|thousand|million|dozen|single|double|half"
)
QUANTITY = re.compile(rf"\d|\b(?:{NUMBER_WORDS})\b|%|\bpercent\b", re.IGNORECASE)
TIME_UNITS = (
    r"(?:seconds?|minutes?|mins?|hours?|hrs?|days?|weeks?|months?|years?|sprints?|"
    r"turns?|ticks?|sessions?|h|d|w)"
)
TIME_BOUND = re.compile(
    rf"\b(?:within|in|by|before|under|after|for|over|inside|during)\s+"
    rf"(?:the\s+next\s+|a\s+|an\s+|\d+(?:\.\d+)?\s*|(?:{NUMBER_WORDS})\s+)?{TIME_UNITS}\b"
    rf"|\b\d+(?:\.\d+)?\s*{TIME_UNITS}\b"
    r"|\b(?:by|before|until|till)\s+(?:\d{4}-\d{2}-\d{2}|the\s+end\s+of|end\s+of|eod|noon|"
    r"midnight|monday|tuesday|wednesday|thursday|friday|saturday|sunday|tomorrow|"
    r"next\s+\w+|(?:jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)\w*)"
    r"|\b\d{4}-\d{2}-\d{2}\b|\bdeadline\b|\bper\s+(?:day|week|hour|month)\b",
    re.IGNORECASE,
)


@dataclass(slots=True)
class WishContext:
    """What every rule needs: the data, where things are, the registry, the config, the text."""

    data: dict[str, Any]
    index: PathIndex
    registry: Registry
    config: LintConfig
    lines: list[str]

    def finding(self, code: str, message: str, span: Span, path: Path, **data: Any) -> Finding:
        """Make a finding with the rule's default severity (config is applied later)."""
        return Finding(code, RULES[code].severity, message, span, path, dict(data))

    def strings(self, key: str) -> list[str] | None:
        """The list at `key` if it is a list (items that are not text are skipped)."""
        value = self.data.get(key)
        if not isinstance(value, list):
            return None
        return [item for item in value if isinstance(item, str)]

    def text(self, key: str) -> str | None:
        """The text at `key` if it is text."""
        value = self.data.get(key)
        return value if isinstance(value, str) else None

    def tier(self) -> Tier | None:
        """The wish's tier if it is a valid one."""
        return Tier.parse(self.data.get("tier")) if isinstance(self.data.get("tier"), str) else None  # type: ignore[return-value]

    def blame_span(self, path: Path) -> Span:
        """The span to blame for a list: the value when it has width, else the key."""
        located = self.index.get(path)
        if located is None:
            return self.index.nearest_span(path, prefer_key=True) or Span.at(0, 0, 0, 0)
        value = located.value
        if (
            value.span.start != value.span.end
            and value.kind is not NodeKind.MAPPING
            and not (value.kind is NodeKind.SEQUENCE and value.items)
        ):
            return value.span
        return (located.key or value).span

    def key_span(self, path: Path) -> Span:
        """The span of the key at `path` (or the closest thing that exists)."""
        return self.index.nearest_span(path, prefer_key=True) or Span.at(0, 0, 0, 0)

    def matches_in(self, node: Node, pattern: re.Pattern[str]) -> Iterator[Span]:
        """Yield the spans of each match of `pattern` in a scalar's source text."""
        span = node.span
        for line_number in range(span.start.line, span.end.line + 1):
            if line_number >= len(self.lines):
                break
            line = self.lines[line_number]
            begin = span.start.column if line_number == span.start.line else 0
            end = span.end.column if line_number == span.end.line else len(line)
            for match in pattern.finditer(line, begin, end):
                yield Span(Position(line_number, match.start()), Position(line_number, match.end()))


def objective_rules(ctx: WishContext) -> Iterator[Finding]:
    """Upstream: non-empty, no pronouns. Design doc: concrete quantities and a time bound."""
    objective = ctx.text("objective")
    located = ctx.index.get(("objective",))
    if objective is None or located is None:
        return
    path: Path = ("objective",)
    if not objective.strip():
        yield ctx.finding(
            "objective-empty",
            "The objective is empty; it must be non-empty and measurable.",
            ctx.blame_span(path),
            path,
        )
        return
    word = upstream_pronoun(objective)
    if word is not None:
        at_start = _ascii_lower(objective).startswith(word)
        pattern = re.compile(word if at_start else rf"(?<= ){word}(?= )", re.IGNORECASE | re.ASCII)
        span = next(ctx.matches_in(located.value, pattern), located.value.span)
        where = "starts with" if at_start else "contains"
        yield ctx.finding(
            "objective-pronoun",
            f'The objective {where} "{word}", which upstream\'s lint takes for an ambiguous '
            "pronoun; prefer explicit nouns.",
            span,
            path,
            word=word,
        )
    if not QUANTITY.search(objective):
        yield ctx.finding(
            "objective-no-quantity",
            "The objective names no concrete quantity; say how much or how many "
            '(e.g. "3 pages", "95% of requests").',
            located.value.span,
            path,
        )
    if not TIME_BOUND.search(objective):
        yield ctx.finding(
            "objective-no-time-bound",
            'The objective names no time bound; say by when (e.g. "within 2 days").',
            located.value.span,
            path,
        )


def _ascii_lower(text: str) -> str:
    return "".join(ch.lower() if ch.isascii() else ch for ch in text)


def upstream_pronoun(objective: str) -> str | None:
    """The word upstream's pronoun rule warns about (`lint.rs` at 550b404c9802), else None.

    It is the first of this, that, it, they, them that the ASCII-lower-cased objective holds
    between two spaces, or starts with, as a prefix: so "Itemize…" warns and "(This" or
    "…like this." do not. We follow it to the letter: the warning is upstream's own.
    """
    lowered = _ascii_lower(objective)
    for word in PRONOUNS:
        if f" {word} " in lowered or lowered.startswith(word):
            return word
    return None


def list_rules(ctx: WishContext) -> Iterator[Finding]:
    """Upstream: rollback must not be empty, invariants should not be. Design: plan ≤ 7."""
    rollback = ctx.data.get("rollback")
    if isinstance(rollback, list) and not rollback:
        yield ctx.finding(
            "rollback-empty",
            "The rollback list is empty; give at least one explicit revert action.",
            ctx.blame_span(("rollback",)),
            ("rollback",),
        )
    invariants = ctx.data.get("invariants")
    if isinstance(invariants, list) and not invariants:
        yield ctx.finding(
            "invariants-empty",
            "The invariants list is empty; state the world laws this wish must keep.",
            ctx.blame_span(("invariants",)),
            ("invariants",),
        )
    plan = ctx.data.get("plan")
    limit = ctx.config.plan_max_steps
    if isinstance(plan, list) and len(plan) > limit:
        first = ctx.index.get(("plan", limit))
        last = ctx.index.get(("plan", len(plan) - 1))
        span = (
            Span(first.value.span.start, last.value.span.end)
            if first and last
            else ctx.key_span(("plan",))
        )
        yield ctx.finding(
            "plan-too-long",
            f"The plan has {len(plan)} steps; the design doc allows at most {limit}, so "
            f"merge or drop {len(plan) - limit}.",
            span,
            ("plan",),
            count=len(plan),
            limit=limit,
        )


def tool_rules(ctx: WishContext) -> Iterator[Finding]:
    """Upstream: every tool must be a registered conduit. Design: allowed for the tier."""
    tools = ctx.data.get("tools")
    if not isinstance(tools, list):
        return
    known = list(ctx.registry.conduits)
    broken = next((f for f in ctx.registry.findings if f.severity is Severity.ERROR), None)
    tier = ctx.tier()
    for position, tool in enumerate(tools):
        if not isinstance(tool, str):
            continue
        path: Path = ("tools", position)
        span = ctx.index.value_span(path) or ctx.key_span(("tools",))
        conduit = ctx.registry.get(tool)
        if conduit is None:
            close = difflib.get_close_matches(tool, known, n=1, cutoff=0.5)
            hint = f"; did you mean `{close[0]}`?" if close else "."
            if not known and broken is not None:  # say why, or every tool looks misspelt
                hint = f"; the registry has no valid conduit: {broken.message}"
            yield ctx.finding(
                "unknown-conduit",
                f"`{tool}` is not a conduit of {ctx.registry.label}{hint}",
                span,
                path,
                **ReplacementData(replacement=close[0] if close else None, conduit=tool),
            )
            continue
        allowed = ctx.config.refused_risk(tier, conduit.risk_class)
        if tier is not None and allowed is not None:
            yield ctx.finding(
                "conduit-not-allowed",
                conduit_not_allowed_message(tool, conduit.risk_class, tier, allowed),
                span,
                path,
                conduit=tool,
            )


def acts_on_world(ctx: WishContext) -> bool:
    """Whether a wish's conduits may act on the game world, so its world invariants apply.

    False only when every tool is a known conduit working in the `Code` domain alone: a code
    change harms no civilians and mints no currency. A wish with no tools, an unknown tool, or
    a conduit with any other domain (or none listed) is held to them, as before.
    """
    tools = ctx.data.get("tools")
    if not isinstance(tools, list) or not tools:
        return True
    for tool in tools:
        conduit = ctx.registry.get(tool) if isinstance(tool, str) else None
        if conduit is None or not conduit.domains:
            return True
        if any(domain is not Domain.CODE for domain in conduit.domains):
            return True
    return False


def tier_rules(ctx: WishContext) -> Iterator[Finding]:
    """Design doc: per-tier maxima, required invariants and court thresholds."""
    tier = ctx.tier()
    if tier is None:
        return
    limits = ctx.config.tier_limits.get(tier)
    if limits is not None:
        checks = [
            (("scope", "duration_days"), limits.duration_days),
            (("budget", "chrono_sand"), limits.chrono_sand),
            (("budget", "genie_slots"), limits.genie_slots),
            (("budget", "gold_cap"), limits.gold_cap),
        ]
        for path, maximum in checks:
            section = ctx.data.get(str(path[0]))
            value = section.get(path[1]) if isinstance(section, dict) else None
            if isinstance(value, int) and not isinstance(value, bool) and value > maximum:
                yield ctx.finding(
                    "tier-limit",
                    f"`{format_path(path)}` is {value:,}, over the {tier.value} maximum of "
                    f"{maximum:,}; lower it or raise the tier.",
                    ctx.index.value_span(path) or ctx.key_span(path),
                    path,
                    maximum=maximum,
                )
    invariants = ctx.strings("invariants")
    if invariants is not None and acts_on_world(ctx):
        lowered = [invariant.lower() for invariant in invariants]
        for required in ctx.config.required_invariants:
            if tier not in required.tiers:
                continue
            if any(word.lower() in text for text in lowered for word in required.keywords):
                continue
            yield ctx.finding(
                "missing-invariant",
                f'A {tier.value} wish must state the invariant "{required.label}".',
                ctx.key_span(("invariants",)),
                ("invariants",),
                **InvariantData(suggestion=required.suggestion, label=required.label),
            )
    blamed_paths: dict[str, Path] = {
        "clarity": ("objective",),
        "safety": ("invariants",),
        "reversibility": ("rollback",),
    }
    for shortfall in ctx.config.court_shortfalls(tier, scores_of(ctx.data)):
        blamed = blamed_paths[shortfall.court]
        yield ctx.finding(
            "court-threshold",
            shortfall.message,
            ctx.key_span(blamed),
            blamed,
            score=shortfall.score,
            threshold=shortfall.threshold,
            court=shortfall.court,
        )


def meta_rules(ctx: WishContext) -> Iterator[Finding]:
    """Design: `meta.created_at` is an ISO 8601 timestamp."""
    meta = ctx.data.get("meta")
    created = meta.get("created_at") if isinstance(meta, dict) else None
    if not isinstance(created, str):
        return
    try:
        datetime.fromisoformat(created)
    except ValueError:
        path: Path = ("meta", "created_at")
        yield ctx.finding(
            "invalid-timestamp",
            f'`meta.created_at` is "{created}", not an ISO 8601 timestamp such as '
            "2025-10-16T17:32:23Z.",
            ctx.index.value_span(path) or ctx.key_span(path),
            path,
        )


def scores_of(data: dict[str, Any]) -> CourtScores:
    """Court scores of a wish's data, counting fields of the wrong type as empty."""

    def strings(key: str) -> list[str]:
        value = data.get(key)
        return [item for item in value if isinstance(item, str)] if isinstance(value, list) else []

    objective = data.get("objective")
    return court_scores(
        objective if isinstance(objective, str) else "",
        strings("plan"),
        strings("invariants"),
        strings("rollback"),
    )


WISH_RULES = (objective_rules, list_rules, tool_rules, tier_rules, meta_rules)
