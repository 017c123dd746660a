"""Lint settings with documented defaults: severities, plan length, tier limits and thresholds.

The same model is read from `[lint]` in `data/config/wishcraft.toml` (CLI and server) and from
the editor's `wishcraft.lint` settings (server), so a team can pin its rules in the repository.
"""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from ..findings import Severity
from ..model import RiskClass, Tier
from .catalog import RULES


class TierLimits(BaseModel):
    """The most a wish of one tier may ask for."""

    model_config = ConfigDict(extra="forbid")

    duration_days: int = Field(ge=0, description="Most days `scope.duration_days` may be.")
    chrono_sand: int = Field(ge=0, description="Most `budget.chrono_sand`.")
    genie_slots: int = Field(ge=0, description="Most `budget.genie_slots`.")
    gold_cap: int = Field(ge=0, description="Most `budget.gold_cap`.")


class CourtThreshold(BaseModel):
    """The lowest court scores a wish of one tier may have."""

    model_config = ConfigDict(extra="forbid")

    clarity: int = Field(ge=0, le=100)
    safety: int = Field(ge=0, le=100)
    reversibility: int = Field(ge=0, le=100)


class RequiredInvariant(BaseModel):
    """An invariant every wish of the listed tiers must state, recognised by any keyword."""

    model_config = ConfigDict(extra="forbid")

    label: str = Field(description="How the finding names it, e.g. 'no harm to civilians'.")
    keywords: list[str] = Field(min_length=1, description="Words that show it is covered.")
    tiers: list[Tier] = Field(description="The tiers that must state it.")
    suggestion: str = Field(description="The invariant a quick fix adds.")


def _default_tier_limits() -> dict[Tier, TierLimits]:
    return {
        Tier.MICRO: TierLimits(duration_days=7, chrono_sand=10, genie_slots=2, gold_cap=1_000),
        Tier.MESO: TierLimits(duration_days=30, chrono_sand=100, genie_slots=8,
                              gold_cap=100_000),
        Tier.MACRO: TierLimits(duration_days=365, chrono_sand=1_000, genie_slots=32,
                               gold_cap=10_000_000),
    }


def _default_thresholds() -> dict[Tier, CourtThreshold]:
    return {
        Tier.MICRO: CourtThreshold(clarity=70, safety=60, reversibility=60),
        Tier.MESO: CourtThreshold(clarity=75, safety=70, reversibility=70),
        Tier.MACRO: CourtThreshold(clarity=85, safety=85, reversibility=80),
    }


def _default_required_invariants() -> list[RequiredInvariant]:
    world_tiers = [Tier.MESO, Tier.MACRO]
    return [
        RequiredInvariant(label="no harm to civilians", keywords=["civilian"], tiers=world_tiers,
                          suggestion="No harm to civilians"),
        RequiredInvariant(label="no removal of player agency", keywords=["agency"],
                          tiers=world_tiers, suggestion="No removal of player agency"),
        RequiredInvariant(label="no currency duplication",
                          keywords=["currency", "duplication", "dupe"], tiers=world_tiers,
                          suggestion="No currency duplication"),
    ]


def _default_allowed_risk() -> dict[Tier, list[RiskClass]]:
    return {
        Tier.MICRO: [RiskClass.LOW, RiskClass.MEDIUM],
        Tier.MESO: [RiskClass.LOW, RiskClass.MEDIUM, RiskClass.HIGH],
        Tier.MACRO: [RiskClass.LOW, RiskClass.MEDIUM, RiskClass.HIGH],
    }


class LintConfig(BaseModel):
    """Every knob of the linter, with the defaults documented in README.md."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    severity: dict[str, Severity | None] = Field(
        default_factory=dict,
        description="Per-code severity overrides: error, warning, info, hint, or off.",
    )
    plan_max_steps: int = Field(default=7, ge=1, alias="planMaxSteps",
                                description="The most plan steps (the design doc says 7).")
    tier_limits: dict[Tier, TierLimits] = Field(default_factory=_default_tier_limits,
                                                alias="tierLimits")
    court_thresholds: dict[Tier, CourtThreshold] = Field(default_factory=_default_thresholds,
                                                         alias="courtThresholds")
    required_invariants: list[RequiredInvariant] = Field(
        default_factory=_default_required_invariants, alias="requiredInvariants")
    allowed_risk: dict[Tier, list[RiskClass]] = Field(default_factory=_default_allowed_risk,
                                                      alias="allowedRisk")

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


class ConfigError(ValueError):
    """A configuration file or setting is invalid; the message says where and how."""


def load_lint_config(path: Path | None) -> LintConfig:
    """Read `[lint]` from a wishcraft.toml, or return the defaults when there is no file."""
    if path is None or not path.is_file():
        return LintConfig()
    try:
        with path.open("rb") as handle:
            table = tomllib.load(handle).get("lint", {})
        return LintConfig.model_validate(table)
    except UnicodeDecodeError as exc:  # tomllib decodes the bytes itself
        raise ConfigError(f"{path}: cannot read the configuration: it is not UTF-8 (byte "
                          f"0x{exc.object[exc.start]:02x} at offset {exc.start})") from exc
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise ConfigError(f"{path}: cannot read the configuration: {exc}") from exc
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(part) for part in first["loc"])
        raise ConfigError(f"{path}: [lint] {where}: {first['msg']}") from exc


def find_config_file(start: Path) -> Path | None:
    """Find `data/config/wishcraft.toml` in `start` or a folder above it."""
    for folder in (start, *start.parents):
        candidate = folder / "data" / "config" / "wishcraft.toml"
        if candidate.is_file():
            return candidate
    return None
