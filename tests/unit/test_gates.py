"""The court's gates: each one refused and allowed, their order, notes and the calls left."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from pathlib import Path

import pytest

from wishcraft.court.gates import (
    GATE_NAMES,
    CallRequest,
    Remaining,
    Verdict,
    WishFacts,
    evaluate,
    normalise_action,
    remaining,
)
from wishcraft.ledger import Action, Mode, Usage
from wishcraft.lint import LintConfig
from wishcraft.lint.registries import bundled_registry, registry_from_text
from wishcraft.model import RiskClass, Tier, Wish
from wishcraft.registry import Registry
from wishcraft.repo import RepoInfo
from wishcraft.scores import CourtScores

PLANNER = "openai.codex.v2025.plan"
APPLY = "openai.codex.v2025.apply"

REGISTRY_TEXT = """\
- id: "openai.codex.v2025.plan"
  label: "Planner"
  disposition: Literalist
  scopes:
    - repo: "ruinsofatlantis"
      paths: ["**"]
      actions: ["plan"]
  cost_profile: {tokens_per_call: "~3k", rate_per_min: 20}
  risk_class: Medium
  determinism: Stochastic
  latency_class: Short
  permissions: ["code.plan"]
  limits: {per_wish_calls: 10, per_day_calls: 200}
- id: "openai.codex.v2025.apply"
  label: "Apply"
  disposition: Maximizer
  scopes:
    - repo: "OpenAgentsInc/ruinsofatlantis"
      paths: ["src/**", "docs/", "!src/secrets/**"]
      actions: ["diff", "open_pr"]
  risk_class: High
  determinism: Stochastic
  latency_class: Short
  permissions: ["code.diff", "code.open_pr"]
  limits: {per_wish_calls: 3}
- id: "any.repo"
  label: "Any repository, no limits but entities"
  disposition: Literalist
  scopes:
    - repo: "*"
      actions: ["plan", "apply"]
  risk_class: Low
  determinism: Deterministic
  latency_class: Instant
  permissions: ["code.plan", "code.diff"]
  limits: {per_wish_entities: 500}
- id: "no.scopes"
  label: "No scopes"
  disposition: Literalist
  risk_class: Low
  determinism: Deterministic
  latency_class: Instant
  permissions: ["code.plan"]
- id: "plan.scope.only"
  label: "Scopes list plans only"
  disposition: Literalist
  scopes: [{repo: "*", actions: ["plan"]}]
  risk_class: Low
  determinism: Deterministic
  latency_class: Instant
  permissions: ["code.plan", "code.diff"]
- id: "no.permission"
  label: "Maps only"
  disposition: Literalist
  scopes: [{repo: "*", actions: ["plan"]}]
  risk_class: Low
  determinism: Deterministic
  latency_class: Instant
  permissions: ["map.read"]
"""
REGISTRY = registry_from_text(REGISTRY_TEXT, Path("/repo/data/conduits/registry.yaml"))
CONFIG = LintConfig()
GOOD = CourtScores(clarity=90, safety=90, reversibility=90)
POOR = CourtScores(clarity=50, safety=74, reversibility=90)
HOME = RepoInfo("ruinsofatlantis", "OpenAgentsInc/ruinsofatlantis", Path("/repo"), "remote origin")
FRESH = Usage(0, 0, 0, 0.0)
ALL_TOOLS = (
    PLANNER,
    APPLY,
    "any.repo",
    "no.scopes",
    "plan.scope.only",
    "no.permission",
    "missing.conduit",
)


@dataclass(frozen=True)
class Case:
    """One row of the gate table: the call, the ledger's usage, and what the court says."""

    conduit: str = PLANNER
    action: Action = "plan"
    mode: Mode = "commit"
    tools: tuple[str, ...] = ALL_TOOLS
    tier: Tier | None = Tier.MESO
    scores: CourtScores = GOOD
    paths: tuple[str, ...] = ("data/wishes/a.yaml",)
    repo: RepoInfo | None = HOME
    usage: Usage | None = FRESH
    registry: Registry | None = None
    """None: the test registry above."""
    ledger_problem: str | None = None
    refused_by: str | None = None
    words: tuple[str, ...] = ()
    note: tuple[str, ...] = field(default=())
    """Words the note of the deciding gate (the refusing one, else `note_of`) must hold."""
    note_of: str = "Scopes"

    def verdict(self) -> Verdict:
        """Evaluate the gates for this row."""
        request = CallRequest(
            self.conduit,
            self.action,
            self.mode,
            WishFacts(self.tools, self.tier, self.scores),
            self.paths,
            self.repo,
        )
        return evaluate(
            request,
            self.registry or REGISTRY,
            CONFIG,
            self.usage,
            ledger_problem=self.ledger_problem,
        )


CASES: dict[str, Case] = {
    # Binding
    "binding-allowed": Case(),
    "binding-not-in-tools": Case(
        tools=("any.repo",),
        refused_by="Binding",
        words=("does not name `openai.codex.v2025.plan` in `tools`", "add it to `tools`"),
    ),
    "binding-unknown-conduit": Case(
        conduit="missing.conduit",
        refused_by="Binding",
        words=("not a conduit of /repo/data/conduits/registry.yaml", "fix the id"),
    ),
    # Tier
    "tier-refused-high-risk-for-micro": Case(
        conduit=APPLY,
        action="apply",
        tier=Tier.MICRO,
        paths=("src/a.rs",),
        refused_by="Tier",
        words=("High-risk", "micro wish may not use", "raise the wish's tier"),
    ),
    "tier-allowed-high-risk-for-meso": Case(conduit=APPLY, action="apply", paths=("src/a.rs",)),
    "tier-allowed-without-a-tier": Case(
        conduit=APPLY, action="apply", tier=None, paths=("src/a.rs",)
    ),
    # Permissions
    "permissions-refused-plan": Case(
        conduit="no.permission",
        refused_by="Permissions",
        words=(
            "lacks the permission `code.plan` that a plan needs",
            "it has `map.read`",
            "add `code.plan`",
        ),
    ),
    "permissions-refused-apply": Case(
        action="apply", refused_by="Permissions", words=("`code.diff` that an apply needs",)
    ),
    "permissions-refused-open-pr": Case(
        action="open_pr", refused_by="Permissions", words=("`code.open_pr` that an open_pr needs",)
    ),
    "permissions-allowed-open-pr": Case(conduit=APPLY, action="open_pr", paths=("docs/x.md",)),
    "permissions-allowed-rollback-as-diff": Case(
        conduit=APPLY, action="rollback", paths=("src/a.rs",)
    ),
    # Scopes: actions
    "scopes-refused-no-scopes": Case(
        conduit="no.scopes",
        refused_by="Scopes",
        words=("No scope of `no.scopes` lists `plan`", "add it to a scope's `actions`"),
    ),
    "scopes-refused-action-not-listed": Case(
        conduit="plan.scope.only",
        action="apply",
        refused_by="Scopes",
        words=("No scope of `plan.scope.only` lists `apply`",),
    ),
    "scopes-allowed-apply-as-diff": Case(conduit=APPLY, action="apply", paths=("src/a.rs",)),
    "scopes-allowed-apply-listed-as-apply": Case(
        conduit="any.repo", action="apply", paths=("anything/at/all",)
    ),
    # Scopes: repository
    "scopes-refused-other-repo": Case(
        repo=RepoInfo("elsewhere", "me/elsewhere", Path("/e"), "remote origin"),
        refused_by="Scopes",
        words=(
            "may plan only in `ruinsofatlantis`",
            "this workspace is `elsewhere` (from its remote origin)",
            "add a scope for `elsewhere`",
        ),
    ),
    "scopes-refused-folder-name": Case(
        repo=RepoInfo("scratch", None, Path("/s"), "folder name"),
        refused_by="Scopes",
        words=("from its folder name",),
    ),
    "scopes-allowed-owner-and-name": Case(conduit=APPLY, action="apply", paths=("src/a.rs",)),
    "scopes-refused-owner-differs": Case(
        conduit=APPLY,
        action="apply",
        paths=("src/a.rs",),
        repo=RepoInfo("ruinsofatlantis", "fork/ruinsofatlantis", Path("/f"), "remote origin"),
        refused_by="Scopes",
        words=("`OpenAgentsInc/ruinsofatlantis`",),
    ),
    "scopes-allowed-star": Case(
        conduit="any.repo", repo=RepoInfo("x", None, Path("/x"), "folder name")
    ),
    "scopes-allowed-outside-git": Case(
        repo=None, note=("Not in a git repository", "repository check is skipped")
    ),
    "scopes-allowed-bundled-registry-any-repo": Case(
        registry=bundled_registry(),
        repo=RepoInfo("mine", "me/mine", Path("/m"), "remote origin"),
        note=("bundled registry is upstream's own", "matches any repository"),
    ),
    # Scopes: paths
    "scopes-allowed-paths-inside": Case(
        conduit=APPLY, action="apply", paths=("src/a.rs", "src/deep/b.rs", "docs/x/y.md")
    ),
    "scopes-refused-path-outside": Case(
        conduit=APPLY,
        action="apply",
        paths=("src/a.rs", "README.md"),
        refused_by="Scopes",
        words=(
            "`README.md` is outside the paths",
            "`src/**`, `docs/`, `!src/secrets/**`",
            "widen the scope's `paths`",
        ),
    ),
    "scopes-refused-negated-path": Case(
        conduit=APPLY,
        action="apply",
        paths=("src/secrets/key.rs",),
        refused_by="Scopes",
        words=("`src/secrets/key.rs` is outside",),
    ),
    "scopes-allowed-no-paths-given": Case(conduit=APPLY, action="apply", paths=()),
    # Limits
    "limits-allowed-under": Case(usage=Usage(9, 199, 19, 0.0), note_of="Limits"),
    "limits-refused-per-wish": Case(
        usage=Usage(10, 10, 0, 0.0),
        refused_by="Limits",
        words=("used all 10 of its", "`per_wish_calls`", "write a new wish or raise the limit"),
    ),
    "limits-refused-per-day": Case(
        usage=Usage(2, 200, 0, 0.0),
        refused_by="Limits",
        words=("all 200 of today's calls", "after midnight UTC"),
    ),
    "limits-refused-rate": Case(
        usage=Usage(2, 30, 20, 12.2),
        refused_by="Limits",
        words=("20 calls in the last minute", "`rate_per_min` of 20", "try again in 13 seconds"),
    ),
    "limits-allowed-shadow-past-every-limit": Case(
        mode="shadow",
        usage=Usage(50, 500, 90, 1.0),
        note_of="Limits",
        note=("Shadow runs are recorded but do not count",),
    ),
    "ledger-refused-unreadable": Case(
        usage=None,
        ledger_problem="Cannot read the ledger /r/l.jsonl: Permission denied.",
        refused_by="Ledger",
        words=("Cannot read the ledger /r/l.jsonl: Permission denied.",),
    ),
    "ledger-refused-unwritable-in-shadow-too": Case(
        mode="shadow",
        usage=Usage(0, 0, 0, 0.0),
        ledger_problem="The ledger data/ledger/wishes.jsonl is a symbolic link, but a ledger.",
        refused_by="Ledger",
        words=("is a symbolic link",),
    ),
    "ledger-refused-for-a-conduit-without-limits": Case(
        conduit="any.repo",
        usage=None,
        ledger_problem="The ledger l.jsonl cannot be written: Permission denied; make it so.",
        refused_by="Ledger",
    ),
    "limits-refused-usage-unknown": Case(
        usage=None,
        refused_by="Limits",
        words=("The ledger cannot be read, so the limits", "set `[ledger] path`"),
    ),
    "limits-allowed-ledger-unreadable-in-shadow": Case(mode="shadow", usage=None),
    "limits-allowed-no-limits-without-ledger": Case(
        conduit="any.repo",
        usage=None,
        note_of="Limits",
        note=("`per_wish_entities` is not enforced", "does not count entities"),
    ),
    "limits-allowed-apply-without-day-limit": Case(
        conduit=APPLY, action="apply", paths=("src/a.rs",), usage=Usage(2, 10_000, 500, 0.0)
    ),
    "limits-refused-apply-per-wish": Case(
        conduit=APPLY,
        action="apply",
        paths=("src/a.rs",),
        usage=Usage(3, 3, 0, 0.0),
        refused_by="Limits",
        words=("all 3 of its",),
    ),
    # Court
    "court-refused-in-commit": Case(
        scores=POOR,
        refused_by="Court",
        words=("The clarity score is 50, below the meso threshold of 75", "raise it with"),
    ),
    "court-allowed-in-shadow": Case(
        scores=POOR,
        mode="shadow",
        note_of="Court",
        note=("In commit mode: The clarity score is 50",),
    ),
    "court-allowed-without-tier": Case(scores=POOR, tier=None),
    "court-allowed-rollback-whatever-the-scores": Case(
        conduit=APPLY,
        action="rollback",
        paths=("src/a.rs",),
        scores=POOR,
        note_of="Court",
        words=("A rollback is not held",),
    ),
    "court-allowed-meeting-macro": Case(tier=Tier.MACRO, scores=CourtScores(85, 85, 80)),
    "court-refused-macro-by-one": Case(
        tier=Tier.MACRO,
        scores=CourtScores(85, 85, 79),
        refused_by="Court",
        words=("reversibility score is 79", "of 80"),
    ),
}


@pytest.mark.parametrize("case", list(CASES.values()), ids=list(CASES))
def test_gate(case: Case) -> None:
    verdict = case.verdict()
    assert [gate.name for gate in verdict.gates] == list(GATE_NAMES)
    refusal = verdict.refusal
    if case.refused_by is None:
        assert verdict.allowed, verdict.reason
        assert verdict.reason == ""
        assert all(gate.passed and gate.reason for gate in verdict.gates)
        deciding = next(gate for gate in verdict.gates if gate.name == case.note_of)
    else:
        assert refusal is not None and refusal.name == case.refused_by
        assert verdict.reason == refusal.reason
        assert refusal.reason.endswith(".") and refusal.reason.count(". ") == 0
        gates_before = verdict.gates[: GATE_NAMES.index(case.refused_by)]
        assert all(gate.passed for gate in gates_before)
        deciding = refusal
    for words in case.words:
        assert words in deciding.reason
    for words in case.note:
        assert words in deciding.note


def test_the_first_refusal_decides_when_several_gates_refuse() -> None:
    verdict = Case(tools=(), usage=Usage(10, 200, 20, 5.0), scores=POOR).verdict()
    assert verdict.refusal is not None and verdict.refusal.name == "Binding"
    assert [gate.name for gate in verdict.gates if not gate.passed] == [
        "Binding",
        "Limits",
        "Court",
    ]


def test_an_unknown_conduit_leaves_the_other_gates_unchecked() -> None:
    verdict = Case(conduit="missing.conduit").verdict()
    assert [gate.passed for gate in verdict.gates] == [False] * len(GATE_NAMES)
    assert all(
        gate.reason.startswith("Not checked: `missing.conduit` is not in")
        for gate in verdict.gates[1:]
    )
    assert verdict.remaining is None


def test_a_scope_without_repo_matches_any_repository() -> None:
    text = REGISTRY_TEXT.replace('    - repo: "ruinsofatlantis"\n', '    - paths: ["**"]\n', 1)
    registry = registry_from_text(text, Path("/r/registry.yaml"))
    assert (
        replace(Case(), registry=registry, repo=RepoInfo("other", None, Path("/o"), "folder name"))
        .verdict()
        .allowed
    )


# -- the calls left ------------------------------------------------------------------------


def test_the_code_lens_shows_the_calls_left() -> None:
    verdict = Case(usage=Usage(7, 188, 1, 0.0)).verdict()
    assert verdict.remaining == Remaining("plan", 3, 10, 12, 200)
    assert verdict.remaining.label() == "plan 3/10 · today 12/200"
    assert verdict.remaining.tooltip() == (
        "3 of 10 plan calls left for this wish; 12 of 200 left today (UTC)."
    )
    limits = next(gate for gate in verdict.gates if gate.name == "Limits")
    assert limits.reason == (
        "Within the limits: 3 of 10 plan calls left for this wish; 12 of "
        "200 left today (UTC); 1 of 20 calls in the last minute."
    )


@pytest.mark.parametrize(
    ("conduit", "usage", "label"),
    [
        (PLANNER, Usage(12, 250, 0, 0.0), "plan 0/10 · today 0/200"),
        (APPLY, Usage(1, 0, 0, 0.0), "plan 2/3"),
        ("any.repo", Usage(5, 5, 0, 0.0), "plan: no limits"),
    ],
    ids=["overdrawn-shows-zero", "per-wish-only", "no-limits"],
)
def test_remaining_labels(conduit: str, usage: Usage, label: str) -> None:
    descriptor = REGISTRY.get(conduit)
    assert descriptor is not None
    assert remaining(descriptor, "plan", usage).label() == label


# -- inputs ----------------------------------------------------------------------------------


def test_wish_facts_from_a_valid_wish_and_from_lenient_data() -> None:
    data = {
        "title": "t",
        "objective": "Place 3 lamps within 5 days",
        "scope": {"region": "r", "duration_days": 1},
        "invariants": ["No harm to civilians"],
        "budget": {"chrono_sand": 1, "genie_slots": 1, "gold_cap": 0},
        "tools": [PLANNER],
        "plan": ["a", "b"],
        "safety_tests": [],
        "rollback": ["undo"],
        "tier": "MESO",
    }
    strict = WishFacts.from_wish(Wish.model_validate(data))
    lenient = WishFacts.from_data({**data, "tools": [PLANNER, 3], "tier": "Meso"})
    assert strict == lenient == WishFacts((PLANNER,), Tier.MESO, CourtScores(75, 59, 55))
    assert WishFacts.from_data({"tools": "x", "tier": 5}) == WishFacts(
        (), None, CourtScores(50, 50, 50)
    )


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("plan", "plan"),
        ("apply", "apply"),
        ("diff", "apply"),
        ("open_pr", "open_pr"),
        ("rollback", "rollback"),
    ],
)
def test_normalise_action(given: str, expected: str) -> None:
    assert normalise_action(given) == expected


def test_normalise_action_refuses_unknown_actions() -> None:
    with pytest.raises(ValueError, match="unknown conduit action 'place'"):
        normalise_action("place")


# -- the logic shared with the lint rules ------------------------------------------------------


def test_the_tier_gate_and_the_lint_rule_share_the_allowed_risk_setting() -> None:
    config = LintConfig.model_validate({"allowedRisk": {"meso": ["Low"]}})
    assert config.refused_risk(Tier.MESO, RiskClass.MEDIUM) == [RiskClass.LOW]
    assert config.refused_risk(Tier.MESO, RiskClass.LOW) is None
    assert config.refused_risk(None, RiskClass.HIGH) is None
    request = CallRequest(
        PLANNER, "plan", "commit", WishFacts((PLANNER,), Tier.MESO, GOOD), (), HOME
    )
    verdict = evaluate(request, REGISTRY, config, FRESH)
    assert verdict.refusal is not None and verdict.refusal.name == "Tier"
    assert verdict.reason.startswith(
        "`openai.codex.v2025.plan` is Medium-risk, which a meso wish may not use (allowed: Low)"
    )


def test_the_court_gate_and_the_lint_rule_share_the_thresholds() -> None:
    config = LintConfig.model_validate(
        {"courtThresholds": {"meso": {"clarity": 10, "safety": 95, "reversibility": 10}}}
    )
    shortfalls = config.court_shortfalls(Tier.MESO, GOOD)
    assert [(item.court, item.score, item.threshold) for item in shortfalls] == [("safety", 90, 95)]
    request = CallRequest(
        PLANNER, "plan", "commit", WishFacts((PLANNER,), Tier.MESO, GOOD), (), HOME
    )
    assert evaluate(request, REGISTRY, config, FRESH).reason == shortfalls[0].message
