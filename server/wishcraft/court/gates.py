"""The court's gates: may this conduit call run, and if not, the one sentence that says why.

Before every conduit call (CLI or editor, shadow or commit) the gates run in this order, and the
first refusal decides:

1. **Binding**: the wish names the conduit in `tools`, and the registry knows it.
2. **Tier**: the wish's tier allows the conduit's `risk_class` (the `conduit-not-allowed` rule's
   logic: `LintConfig.refused_risk`).
3. **Permissions**: the conduit's `permissions` hold the action's permission (`ACTION_PERMISSIONS`).
4. **Scopes**: some scope lists the action in `actions` (`SCOPE_ACTIONS`); its `repo` is the
   workspace's repository (`*` or no `repo`: any); every path the action touches is inside its
   `paths` globs (`globs.py`; no `paths`: any). Outside a git repository the repository check
   is skipped, and with the bundled registry (upstream's own, written for upstream's
   repository) any repository matches; the gate's note says so.
5. **Ledger**: the call's ledger line can be written (`ledger.probe`, run by the caller: the
   file opened from the repository down without symbolic links, its lock taken). In every mode:
   a call that cannot be recorded does not run, so nothing is sent that the ledger would miss
   and no limit is passed unseen. `ledger_problem` is the probe's sentence.
6. **Limits**: in commit mode, the ledger's counts are under `limits.per_wish_calls` (this wish),
   `limits.per_day_calls` (this UTC day, all wishes) and `cost_profile.rate_per_min` (the last
   60 seconds). Only lines that count are counted: calls that reached a model
   (`ledger.counting`); a rollback, a pull request, a refused call or a shadow run never does.
   Shadow runs are never limited. A limit the ledger cannot count (`per_wish_entities`) is shown
   as not enforced.
7. **Court**: in commit mode, the wish's court scores meet its tier's thresholds (the
   `court-threshold` rule's logic: `LintConfig.court_shortfalls`). A rollback is exempt:
   undoing a wish must stay possible whatever its scores.

Everything here is pure: the caller passes the wish's facts, the registry, the lint config, the
repository (`repo.find_repo`) and the ledger's usage (`ledger.usage`), and shows the result.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from wishcraft.globs import first_path_outside
from wishcraft.ledger import Action, Mode, Usage
from wishcraft.lint.config import LintConfig, conduit_not_allowed_message
from wishcraft.lint.wish_rules import scores_of
from wishcraft.model import ConduitDescriptor, ConduitScope, Tier, Wish
from wishcraft.registry import Registry
from wishcraft.repo import RepoInfo
from wishcraft.scores import CourtScores, court_scores
from wishcraft.words import plural

GATE_NAMES = ("Binding", "Tier", "Permissions", "Scopes", "Ledger", "Limits", "Court")

ACTION_PERMISSIONS: dict[Action, str] = {
    "plan": "code.plan",
    "apply": "code.diff",
    "open_pr": "code.open_pr",
    "rollback": "code.diff",  # a rollback writes a diff that undoes an earlier one
}
"""The permission each action needs."""

SCOPE_ACTIONS: dict[Action, tuple[str, ...]] = {
    "plan": ("plan",),
    "apply": ("apply", "diff"),
    "open_pr": ("open_pr",),
    "rollback": ("rollback", "apply", "diff"),
}
"""The names a scope's `actions` may give each action (`diff` is the registry's word for
applying a patch; a scope that may apply one may also undo it)."""


def normalise_action(action: str) -> Action:
    """The ledger's name of an action: `diff` is `apply`. Raises ValueError on others."""
    name = "apply" if action == "diff" else action
    if name not in ACTION_PERMISSIONS:
        raise ValueError(f"unknown conduit action {action!r}")
    return name


@dataclass(frozen=True, slots=True)
class WishFacts:
    """What the gates read from a wish: its tools, tier and court scores."""

    tools: tuple[str, ...]
    tier: Tier | None
    scores: CourtScores

    @classmethod
    def from_wish(cls, wish: Wish) -> WishFacts:
        """The facts of a wish that validates."""
        return cls(
            tuple(wish.tools),
            wish.tier,
            court_scores(wish.objective, wish.plan, wish.invariants, wish.rollback),
        )

    @classmethod
    def from_data(cls, data: Mapping[str, Any]) -> WishFacts:
        """The facts of a wish's plain data, read leniently as the lint rules read it."""
        tools = data.get("tools")
        tier = data.get("tier")
        return cls(
            tuple(item for item in tools if isinstance(item, str))
            if isinstance(tools, list)
            else (),
            Tier.parse(tier) if isinstance(tier, str) else None,  # type: ignore[arg-type]
            scores_of(dict(data)),
        )


@dataclass(frozen=True, slots=True)
class CallRequest:
    """One conduit call about to run."""

    conduit: str
    action: Action
    mode: Mode
    wish: WishFacts
    paths: tuple[str, ...] = ()
    """The paths the action will touch, relative to the repository root with `/`
    (`RepoInfo.relative`). A plan reads the wish and writes its plan beside it: pass the
    wish's path."""
    repo: RepoInfo | None = None
    """The workspace's repository, or None outside a git repository."""


@dataclass(frozen=True, slots=True)
class GateResult:
    """One gate's answer: a sentence that names the fix when refused, and a note."""

    name: str
    passed: bool
    reason: str
    note: str = ""


@dataclass(frozen=True, slots=True)
class Remaining:
    """The calls left for a code lens: `plan 3/10 · today 12/200` (left / limit)."""

    action: str
    wish_left: int | None
    wish_limit: int | None
    day_left: int | None
    day_limit: int | None

    def label(self) -> str:
        """The code lens's text; `plan: no limits` when the conduit has none."""
        parts = []
        if self.wish_limit is not None:
            parts.append(f"{self.action} {self.wish_left}/{self.wish_limit}")
        if self.day_limit is not None:
            parts.append(f"today {self.day_left}/{self.day_limit}")
        return " · ".join(parts) if parts else f"{self.action}: no limits"

    def tooltip(self) -> str:
        """The same counts in words."""
        parts = []
        if self.wish_limit is not None:
            parts.append(
                f"{self.wish_left} of {self.wish_limit} {self.action} calls left for this wish"
            )
        if self.day_limit is not None:
            parts.append(f"{self.day_left} of {self.day_limit} left today (UTC)")
        return "; ".join(parts) + "." if parts else "No call limits for this conduit."


def remaining(conduit: ConduitDescriptor, action: str, usage: Usage) -> Remaining:
    """The calls left under the conduit's per-wish and per-day limits."""
    wish_limit = conduit.limits.per_wish_calls
    day_limit = conduit.limits.per_day_calls
    return Remaining(
        action,
        max(0, wish_limit - usage.wish_calls) if wish_limit is not None else None,
        wish_limit,
        max(0, day_limit - usage.day_calls) if day_limit is not None else None,
        day_limit,
    )


@dataclass(frozen=True, slots=True)
class Verdict:
    """Every gate's result in order, and the calls left (when the ledger could be counted)."""

    gates: tuple[GateResult, ...]
    remaining: Remaining | None = None

    @property
    def refusal(self) -> GateResult | None:
        """The first gate that refused, or None."""
        return next((gate for gate in self.gates if not gate.passed), None)

    @property
    def allowed(self) -> bool:
        """Whether every gate passed."""
        return self.refusal is None

    @property
    def reason(self) -> str:
        """The first refusal's sentence (empty when allowed): the CLI prints it and exits 3,
        the editor disables "Plan this wish" with it, the ledger records it."""
        refusal = self.refusal
        return refusal.reason if refusal is not None else ""


def evaluate(
    request: CallRequest,
    registry: Registry,
    config: LintConfig,
    usage: Usage | None,
    *,
    ledger_problem: str | None = None,
) -> Verdict:
    """Run the seven gates for `request` and return them in order.

    `usage` is the ledger's count for this conduit and wish (`ledger.usage`). `ledger_problem`
    is one sentence when the ledger cannot be found, read or written (`ledger.probe`): the
    Ledger gate then refuses the call in any mode, and a missing `usage` refuses a limited
    conduit's live call too, since its limits cannot be checked.
    """
    conduit = registry.get(request.conduit)
    binding = _binding(request, registry, conduit)
    if conduit is None:
        skipped = tuple(
            GateResult(name, False, f"Not checked: `{request.conduit}` is not in {registry.label}.")
            for name in GATE_NAMES[1:]
        )
        return Verdict((binding, *skipped))
    gates = (
        binding,
        _tier(request, conduit, config),
        _permissions(request, conduit, registry),
        _scopes(request, conduit, registry),
        _ledger(ledger_problem),
        _limits(request, conduit, registry, usage, ledger_problem),
        _court(request, config),
    )
    left = remaining(conduit, request.action, usage) if usage is not None else None
    return Verdict(gates, left)


def _binding(
    request: CallRequest, registry: Registry, conduit: ConduitDescriptor | None
) -> GateResult:
    name = request.conduit
    if name not in request.wish.tools:
        return GateResult(
            "Binding",
            False,
            f"The wish does not name `{name}` in `tools`; add it to `tools` to allow this call.",
        )
    if conduit is None:
        return GateResult(
            "Binding",
            False,
            f"`{name}` is not a conduit of {registry.label}; "
            "fix the id in `tools` or add it to the registry.",
        )
    return GateResult("Binding", True, f"The wish names `{name}` in `tools`.")


def _tier(request: CallRequest, conduit: ConduitDescriptor, config: LintConfig) -> GateResult:
    tier = request.wish.tier
    allowed = config.refused_risk(tier, conduit.risk_class)
    if tier is not None and allowed is not None:
        sentence = conduit_not_allowed_message(conduit.id, conduit.risk_class, tier, allowed)
        return GateResult(
            "Tier",
            False,
            sentence.removesuffix(".") + "; use a conduit of an "
            "allowed risk class or raise the wish's tier.",
        )
    if tier is None:
        return GateResult("Tier", True, "The wish has no tier, so any risk class is allowed.")
    return GateResult(
        "Tier", True, f"A {tier.value} wish may use a {conduit.risk_class.value}-risk conduit."
    )


def _permissions(
    request: CallRequest, conduit: ConduitDescriptor, registry: Registry
) -> GateResult:
    needed = ACTION_PERMISSIONS[request.action]
    if needed not in conduit.permissions:
        held = ", ".join(f"`{item}`" for item in conduit.permissions) or "none"
        return GateResult(
            "Permissions",
            False,
            f"`{conduit.id}` lacks the permission `{needed}` that {_a(request)} "
            f"needs (it has {held}); add `{needed}` to its `permissions` in "
            f"{registry.label}{_init_hint(registry)}.",
        )
    return GateResult("Permissions", True, f"`{conduit.id}` holds `{needed}`.")


def _a(request: CallRequest) -> str:
    """`a plan`, `an apply`, `an open_pr`, `a rollback`."""
    return ("an " if request.action[0] in "aeiou" else "a ") + request.action


def _repo_matches(scope: ConduitScope, repo: RepoInfo | None, any_repo: bool) -> bool:
    wanted = scope.repo
    if wanted is None or wanted.strip() == "*" or repo is None or any_repo:
        return True
    wanted = wanted.strip().removesuffix(".git").lower()
    names = {repo.name.lower()} | ({repo.full_name.lower()} if repo.full_name else set())
    return wanted in names


def _init_hint(registry: Registry) -> str:
    """What a refusal by the bundled registry adds: the command that writes one's own."""
    if registry.source is not None:
        return ""
    return " (`wishcraft init` writes a registry scoped to this repository)"


def _scopes(request: CallRequest, conduit: ConduitDescriptor, registry: Registry) -> GateResult:
    names = SCOPE_ACTIONS[request.action]
    listing = [
        scope for scope in conduit.scopes if any(action in names for action in scope.actions or [])
    ]
    if not listing:
        return GateResult(
            "Scopes",
            False,
            f"No scope of `{conduit.id}` lists `{request.action}` in `actions`; "
            f"add it to a scope's `actions` in {registry.label}{_init_hint(registry)}.",
        )
    bundled = registry.source is None
    notes = []
    if request.repo is None:
        notes.append("Not in a git repository, so the repository check is skipped.")
    elif bundled:
        notes.append(
            "The bundled registry is upstream's own, written for its repository, so "
            "its `repo` matches any repository."
        )
    in_repo = [scope for scope in listing if _repo_matches(scope, request.repo, bundled)]
    if not in_repo:
        repo = request.repo
        assert repo is not None  # _repo_matches accepts every scope without a repository
        wanted = ", ".join(sorted({f"`{scope.repo}`" for scope in listing if scope.repo}))
        return GateResult(
            "Scopes",
            False,
            f"`{conduit.id}` may {request.action} only in {wanted}, and this "
            f"workspace is `{repo.name}` (from its {repo.source}); add a scope "
            f"for `{repo.name}` in {registry.label}{_init_hint(registry)}.",
        )
    outside: str | None = None
    for scope in in_repo:
        if scope.paths is None:
            return GateResult("Scopes", True, _scope_pass(conduit, request, scope), " ".join(notes))
        outside = first_path_outside(scope.paths, request.paths)
        if outside is None:
            return GateResult("Scopes", True, _scope_pass(conduit, request, scope), " ".join(notes))
    globs = ", ".join(f"`{glob}`" for scope in in_repo for glob in scope.paths or [])
    return GateResult(
        "Scopes",
        False,
        f"`{outside}` is outside the paths `{conduit.id}` may touch ({globs}); "
        f"leave it out of the {request.action} or widen the scope's `paths` in "
        f"{registry.label}{_init_hint(registry)}.",
        " ".join(notes),
    )


def _scope_pass(conduit: ConduitDescriptor, request: CallRequest, scope: ConduitScope) -> str:
    where = f"repository `{scope.repo}`" if scope.repo else "any repository"
    paths = (
        f"{plural(len(request.paths), 'path')} inside {', '.join(scope.paths)}"
        if scope.paths
        else "any path"
    )
    return f"A scope of `{conduit.id}` allows {request.action} in {where}, {paths}."


def _ledger(ledger_problem: str | None) -> GateResult:
    if ledger_problem:
        return GateResult("Ledger", False, ledger_problem)
    return GateResult("Ledger", True, "The ledger can record this call.")


def _limits(
    request: CallRequest,
    conduit: ConduitDescriptor,
    registry: Registry,
    usage: Usage | None,
    ledger_problem: str | None,
) -> GateResult:
    limits = conduit.limits
    counted = [
        (limit, name)
        for limit, name in (
            (limits.per_wish_calls, "per_wish_calls"),
            (limits.per_day_calls, "per_day_calls"),
            (conduit.cost_profile.rate_per_min, "rate_per_min"),
        )
        if limit is not None
    ]
    notes = []
    if limits.per_wish_entities is not None:
        notes.append("`per_wish_entities` is not enforced: the ledger does not count entities.")
    if request.mode == "shadow":
        notes.insert(0, "Shadow runs are recorded but do not count against the limits.")
        return GateResult("Limits", True, "A shadow run is never limited.", " ".join(notes))
    if not counted:
        return GateResult("Limits", True, f"`{conduit.id}` has no call limits.", " ".join(notes))
    if usage is None:
        problem = (ledger_problem or "The ledger cannot be read.").rstrip(".")
        return GateResult(
            "Limits",
            False,
            f"{problem}, so the limits of `{conduit.id}` cannot be checked; fix "
            "the ledger or set `[ledger] path` in data/config/wishcraft.toml.",
            " ".join(notes),
        )
    where = f"in {registry.label}"
    if limits.per_wish_calls is not None and usage.wish_calls >= limits.per_wish_calls:
        return GateResult(
            "Limits",
            False,
            f"This wish has used all {limits.per_wish_calls} of its "
            f"`{conduit.id}` calls (`per_wish_calls`); write a new wish or raise "
            f"the limit {where}.",
            " ".join(notes),
        )
    if limits.per_day_calls is not None and usage.day_calls >= limits.per_day_calls:
        return GateResult(
            "Limits",
            False,
            f"`{conduit.id}` has made all {limits.per_day_calls} of today's calls "
            f"(`per_day_calls`, UTC); try again after midnight UTC or raise the "
            f"limit {where}.",
            " ".join(notes),
        )
    rate = conduit.cost_profile.rate_per_min
    if rate is not None and usage.minute_calls >= rate:
        wait = max(1, int(usage.retry_after_seconds + 0.999))
        return GateResult(
            "Limits",
            False,
            f"`{conduit.id}` made {usage.minute_calls} calls in the last minute, "
            f"its `rate_per_min` of {rate}; try again in {wait} seconds.",
            " ".join(notes),
        )
    left = remaining(conduit, request.action, usage)
    parts = [left.tooltip().removesuffix(".")]
    if rate is not None:
        parts.append(f"{usage.minute_calls} of {rate} calls in the last minute")
    return GateResult(
        "Limits", True, "Within the limits: " + "; ".join(parts) + ".", " ".join(notes)
    )


def _court(request: CallRequest, config: LintConfig) -> GateResult:
    if request.action == "rollback":
        return GateResult(
            "Court",
            True,
            "A rollback is not held to the court thresholds: undoing a wish must stay possible.",
        )
    tier = request.wish.tier
    if tier is None:
        return GateResult("Court", True, "The wish has no tier, so no court thresholds apply.")
    shortfalls = config.court_shortfalls(tier, request.wish.scores)
    if not shortfalls:
        return GateResult("Court", True, f"The court scores meet the {tier.value} thresholds.")
    if request.mode == "shadow":
        return GateResult(
            "Court",
            True,
            "A shadow run is not held to the court thresholds.",
            f"In commit mode: {shortfalls[0].message}",
        )
    return GateResult("Court", False, shortfalls[0].message)


__all__ = [
    "ACTION_PERMISSIONS",
    "GATE_NAMES",
    "SCOPE_ACTIONS",
    "CallRequest",
    "GateResult",
    "Remaining",
    "Verdict",
    "WishFacts",
    "evaluate",
    "normalise_action",
    "remaining",
]
