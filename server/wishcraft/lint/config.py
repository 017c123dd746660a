"""Lint settings with documented defaults: severities, plan length, tier limits and thresholds.

The same model is read from `[lint]` in `data/config/wishcraft.toml` (CLI and server) and from
the editor's `wishcraft.lint` settings (server), so a team can pin its rules in the repository.
`[files] globs` of the same file says which files are wishes, as the `wishcraft.files.globs`
setting does in an editor (`wishcraft.kinds` applies them). The file is found and parsed by
`wishcraft.config` only; this module checks its two tables.

The models build their validators on the first configuration read, not at import, and the
defaults are made without validation (`default_lint_config`): a wish's first diagnostics in a
new editor window do not wait for validators that only a wishcraft.toml or a setting needs.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from wishcraft.config import ConfigFile, ConfigFileError, read_config_file
from wishcraft.config import find_config_file as find_config_file
from wishcraft.findings import Severity
from wishcraft.kinds import DEFAULT_GLOBS, check_globs
from wishcraft.lint.catalog import RULES
from wishcraft.model import RiskClass, Tier
from wishcraft.scores import CourtScores


class TierLimits(BaseModel):
    """The most a wish of one tier may ask for."""

    model_config = ConfigDict(extra="forbid", defer_build=True)

    duration_days: int = Field(ge=0, description="Most days `scope.duration_days` may be.")
    chrono_sand: int = Field(ge=0, description="Most `budget.chrono_sand`.")
    genie_slots: int = Field(ge=0, description="Most `budget.genie_slots`.")
    gold_cap: int = Field(ge=0, description="Most `budget.gold_cap`.")


class CourtThreshold(BaseModel):
    """The lowest court scores a wish of one tier may have."""

    model_config = ConfigDict(extra="forbid", defer_build=True)

    clarity: int = Field(ge=0, le=100)
    safety: int = Field(ge=0, le=100)
    reversibility: int = Field(ge=0, le=100)


class RequiredInvariant(BaseModel):
    """An invariant every wish of the listed tiers must state, recognised by any keyword."""

    model_config = ConfigDict(extra="forbid", defer_build=True)

    label: str = Field(description="How the finding names it, e.g. 'no harm to civilians'.")
    keywords: list[str] = Field(min_length=1, description="Words that show it is covered.")
    tiers: list[Tier] = Field(description="The tiers that must state it.")
    suggestion: str = Field(description="The invariant a quick fix adds.")


# The defaults below are made with `model_construct` (no validation: they are valid by
# construction, and test_lint_config_defaults_validate checks it), so that using them builds
# no validator.


def _default_tier_limits() -> dict[Tier, TierLimits]:
    limits = TierLimits.model_construct
    return {
        Tier.MICRO: limits(duration_days=7, chrono_sand=10, genie_slots=2, gold_cap=1_000),
        Tier.MESO: limits(duration_days=30, chrono_sand=100, genie_slots=8, gold_cap=100_000),
        Tier.MACRO: limits(
            duration_days=365, chrono_sand=1_000, genie_slots=32, gold_cap=10_000_000
        ),
    }


def _default_thresholds() -> dict[Tier, CourtThreshold]:
    threshold = CourtThreshold.model_construct
    return {
        Tier.MICRO: threshold(clarity=70, safety=60, reversibility=60),
        Tier.MESO: threshold(clarity=75, safety=70, reversibility=70),
        Tier.MACRO: threshold(clarity=85, safety=85, reversibility=80),
    }


def _default_required_invariants() -> list[RequiredInvariant]:
    invariant = RequiredInvariant.model_construct
    return [
        invariant(
            label="no harm to civilians",
            keywords=["civilian"],
            tiers=[Tier.MESO, Tier.MACRO],
            suggestion="No harm to civilians",
        ),
        invariant(
            label="no removal of player agency",
            keywords=["agency"],
            tiers=[Tier.MESO, Tier.MACRO],
            suggestion="No removal of player agency",
        ),
        invariant(
            label="no currency duplication",
            keywords=["currency", "duplication", "dupe"],
            tiers=[Tier.MESO, Tier.MACRO],
            suggestion="No currency duplication",
        ),
    ]


def _default_allowed_risk() -> dict[Tier, list[RiskClass]]:
    return {
        Tier.MICRO: [RiskClass.LOW, RiskClass.MEDIUM],
        Tier.MESO: [RiskClass.LOW, RiskClass.MEDIUM, RiskClass.HIGH],
        Tier.MACRO: [RiskClass.LOW, RiskClass.MEDIUM, RiskClass.HIGH],
    }


class LintConfig(BaseModel):
    """Every knob of the linter, with the defaults documented in README.md."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True, defer_build=True)

    severity: dict[str, Severity | None] = Field(
        default_factory=dict,
        description="Per-code severity overrides: error, warning, info, hint, or off.",
    )
    plan_max_steps: int = Field(
        default=7,
        ge=1,
        alias="planMaxSteps",
        description="The most plan steps (the design doc says 7).",
    )
    tier_limits: dict[Tier, TierLimits] = Field(
        default_factory=_default_tier_limits, alias="tierLimits"
    )
    court_thresholds: dict[Tier, CourtThreshold] = Field(
        default_factory=_default_thresholds, alias="courtThresholds"
    )
    required_invariants: list[RequiredInvariant] = Field(
        default_factory=_default_required_invariants, alias="requiredInvariants"
    )
    allowed_risk: dict[Tier, list[RiskClass]] = Field(
        default_factory=_default_allowed_risk, alias="allowedRisk"
    )

    @field_validator("severity", mode="before")
    @classmethod
    def _read_severities(cls, value: Any) -> Any:
        if not isinstance(value, dict):
            return value
        out: dict[str, Severity | None] = {}
        for code, level in value.items():
            if code not in RULES:
                raise ValueError(f"unknown rule code {code!r}")
            if isinstance(level, Severity) or level is None:
                out[code] = level
            elif isinstance(level, str) and level.strip().lower() in ("off", "none", "ignore"):
                out[code] = None
            elif isinstance(level, str):
                out[code] = Severity.parse(level)
            else:
                raise ValueError(f"severity of {code!r} must be a word like 'warning'")
        return out

    def severity_of(self, code: str) -> Severity | None:
        """The severity a finding of `code` gets, or None when the rule is turned off."""
        if code in self.severity:
            return self.severity[code]
        return RULES[code].severity

    def refused_risk(self, tier: Tier | None, risk: RiskClass) -> list[RiskClass] | None:
        """The risk classes a `tier` wish may use when `risk` is not one of them, else None.

        One source for the `conduit-not-allowed` rule and the court's Tier gate.
        """
        if tier is None:
            return None
        allowed = self.allowed_risk.get(tier)
        if allowed is None or risk in allowed:
            return None
        return allowed

    def court_shortfalls(self, tier: Tier | None, scores: CourtScores) -> list[CourtShortfall]:
        """Each court score below the `tier`'s threshold, in the order clarity, safety,
        reversibility. One source for the `court-threshold` rule and the court's Court gate."""
        threshold = self.court_thresholds.get(tier) if tier is not None else None
        if tier is None or threshold is None:
            return []
        checks = [
            ("clarity", scores.clarity, threshold.clarity),
            ("safety", scores.safety, threshold.safety),
            ("reversibility", scores.reversibility, threshold.reversibility),
        ]
        return [
            CourtShortfall(name, score, minimum, tier, COURT_REMEDIES[name])
            for name, score, minimum in checks
            if score < minimum
        ]


def conduit_not_allowed_message(
    conduit_id: str, risk: RiskClass, tier: Tier, allowed: list[RiskClass]
) -> str:
    """The sentence for a conduit whose risk class the wish's tier does not allow."""
    return (
        f"`{conduit_id}` is {risk.value}-risk, which a {tier.value} wish may not use "
        f"(allowed: {', '.join(r.value for r in allowed)})."
    )


COURT_REMEDIES = {
    "clarity": "a number in the objective, 2 or more plan steps, an objective under 120 characters",
    "safety": "more invariants (4 points each, up to 20), one about civilians",
    "reversibility": "more rollback steps (5 points each, up to 25)",
}
"""How to raise each court score, as the score's definition rewards it."""


@dataclass(frozen=True, slots=True)
class CourtShortfall:
    """One court score below its tier's threshold."""

    court: str
    score: int
    threshold: int
    tier: Tier
    remedy: str

    @property
    def message(self) -> str:
        """The sentence that says which score is short and how to raise it."""
        return (
            f"The {self.court} score is {self.score}, below the {self.tier.value} threshold "
            f"of {self.threshold}; raise it with {self.remedy}."
        )


@cache
def default_lint_config() -> LintConfig:
    """The default lint rules, made once and without validation (see the defaults above)."""
    return LintConfig.model_construct()


class ConfigError(ValueError):
    """A configuration file or setting is invalid; the message says where and how."""


def _config_of(path: Path | None) -> ConfigFile:
    """The parsed wishcraft.toml (`wishcraft.config`, the one reader), its errors as ours."""
    try:
        return read_config_file(path)
    except ConfigFileError as exc:
        raise ConfigError(str(exc)) from exc


def load_lint_config(path: Path | None) -> LintConfig:
    """Read `[lint]` from a wishcraft.toml, or return the defaults when there is no file."""
    return lint_config_from(_config_of(path))


def lint_config_from(config: ConfigFile) -> LintConfig:
    """The `[lint]` table of a parsed wishcraft.toml as rules (the defaults without a file)."""
    if config.path is None:
        return default_lint_config()
    try:
        return LintConfig.model_validate(config.table("lint"))
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(part) for part in first["loc"])
        raise ConfigError(f"{config.path}: [lint] {where}: {first['msg']}") from exc


def load_file_globs(path: Path | None) -> tuple[str, ...]:
    """Read `globs` under `[files]` of a wishcraft.toml (see `file_globs_from`)."""
    return file_globs_from(_config_of(path)) or DEFAULT_GLOBS


def file_globs_from(config: ConfigFile) -> tuple[str, ...] | None:
    """`globs` under `[files]` of a parsed wishcraft.toml: the wish globs, as the
    `wishcraft.files.globs` setting gives them to the server. None when there is no file, no
    `[files]` table or no `globs` in it (the caller's defaults apply)."""
    path = config.path
    table = config.table("files")
    if not isinstance(table, dict):
        raise ConfigError(
            f"{path}: [files] must be a table, such as [files] followed by "
            'globs = ["**/*.wish.yaml"]'
        )
    unknown = sorted(set(table) - {"globs"})
    if unknown:
        raise ConfigError(f"{path}: [files] {unknown[0]}: unknown key (the only key is globs)")
    if "globs" not in table:
        return None
    globs = table["globs"]
    if not isinstance(globs, list) or not all(isinstance(g, str) for g in globs):
        raise ConfigError(f"{path}: [files] globs: must be a list of glob patterns in quotes")
    try:
        return check_globs(globs)
    except ValueError as exc:
        raise ConfigError(f"{path}: [files] globs: {exc}") from exc
