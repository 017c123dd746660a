"""Pydantic models of a wish and a conduit descriptor, exactly as upstream Wishcraft reads them.

These models are the single source of the JSON Schemas in `schemas/`, of hover text and of
completion snippets: every field carries a description and an example. Types follow the
upstream Rust crate: integers are range-checked (u8, u16, u64), strings are strict (a YAML
integer is not a title), unknown keys are ignored (the linter warns about them separately),
and enums accept both spellings case-insensitively (PascalCase in real files, kebab-case in the
Rust types).
"""

from __future__ import annotations

import re
from enum import StrEnum
from typing import Annotated, ClassVar

from pydantic import BaseModel, ConfigDict, Field, GetJsonSchemaHandler, RootModel, StrictStr
from pydantic.json_schema import JsonSchemaValue
from pydantic_core import core_schema

U8_MAX = 2**8 - 1
U16_MAX = 2**16 - 1
U32_MAX = 2**32 - 1
U64_MAX = 2**64 - 1

U8 = Annotated[int, Field(strict=True, ge=0, le=U8_MAX)]
U16 = Annotated[int, Field(strict=True, ge=0, le=U16_MAX)]
U32 = Annotated[int, Field(strict=True, ge=0, le=U32_MAX)]
U64 = Annotated[int, Field(strict=True, ge=0, le=U64_MAX)]

INTEGER_TYPE_NAMES: dict[tuple[int, int], str] = {
    (0, U8_MAX): "u8",
    (0, U16_MAX): "u16",
    (0, U32_MAX): "u32",
    (0, U64_MAX): "u64",
}


def _spelling_key(text: str) -> str:
    """Fold a spelling so that `WorldAuthoring`, `world-authoring` and `WORLD_AUTHORING` meet."""
    return re.sub(r"[-_\s]", "", text).lower()


def _kebab(text: str) -> str:
    """Spell a PascalCase value the way the Rust types do (`WorldAuthoring` → `world-authoring`)."""
    return re.sub(r"(?<!^)(?=[A-Z])", "-", text).lower()


class SpelledEnum(StrEnum):
    """A string enum with a description per member that accepts any spelling of a value.

    Members are declared as `NAME = ("CanonicalValue", "description")`.
    """

    description: str

    def __new__(cls, value: str, description: str = "") -> SpelledEnum:  # noqa: D102
        member = str.__new__(cls, value)
        member._value_ = value
        member.description = description
        return member

    @classmethod
    def _missing_(cls, value: object) -> SpelledEnum | None:
        if isinstance(value, str):
            key = _spelling_key(value)
            for member in cls:
                if _spelling_key(member.value) == key:
                    return member
        return None

    @classmethod
    def parse(cls, value: object) -> SpelledEnum | None:
        """Return the member for any accepted spelling of `value`, or None."""
        if not isinstance(value, str):
            return None
        try:
            return cls(value)
        except ValueError:
            return None

    @classmethod
    def spellings(cls) -> list[str]:
        """Every spelling the schema lists: canonical values first, then the alternatives."""
        seen: list[str] = [member.value for member in cls]
        for member in cls:
            for alternative in (
                _kebab(member.value),
                member.value.lower(),
                member.value[:1].upper() + member.value[1:],
            ):
                if alternative not in seen:
                    seen.append(alternative)
        return seen

    @classmethod
    def __get_pydantic_json_schema__(
        cls, schema: core_schema.CoreSchema, handler: GetJsonSchemaHandler
    ) -> JsonSchemaValue:
        json_schema = handler(schema)
        json_schema = handler.resolve_ref_schema(json_schema)
        spellings = cls.spellings()
        by_key = {_spelling_key(member.value): member for member in cls}
        json_schema["enum"] = spellings
        json_schema["type"] = "string"
        json_schema["enumDescriptions"] = [
            by_key[_spelling_key(spelling)].description for spelling in spellings
        ]
        json_schema["markdownEnumDescriptions"] = json_schema["enumDescriptions"]
        json_schema["description"] = (cls.__doc__ or "").strip().splitlines()[0]
        return json_schema


class Tier(SpelledEnum):
    """How big a wish is: it scales the heat and selects per-tier limits and thresholds."""

    MICRO = ("micro", "A small, local change (heat scope factor 0.5).")
    MESO = ("meso", "A change across a region or system (heat scope factor 1.0).")
    MACRO = ("macro", "A world-scale change (heat scope factor 2.0).")


class Disposition(SpelledEnum):
    """How a conduit interprets a wish."""

    LITERALIST = ("Literalist", "Does exactly what the wish says, nothing more.")
    MAXIMIZER = ("Maximizer", "Pushes the objective as far as it will go (heat × 1.1).")
    EGALITARIAN = ("Egalitarian", "Spreads effects evenly across those affected.")


class Domain(SpelledEnum):
    """A domain a conduit works in."""

    CODE = ("Code", "Source code and repositories.")
    CONTENT = ("Content", "Game content: text, items, quests.")
    CARTOGRAPHY = ("Cartography", "Maps and regions.")
    LOGISTICS = ("Logistics", "Moving resources and entities.")
    WORLD_AUTHORING = ("WorldAuthoring", "Placing and removing things in the world.")


class RiskClass(SpelledEnum):
    """How much harm a conduit's mistakes can do."""

    LOW = ("Low", "Mistakes are cheap and easy to undo (heat × 1.0).")
    MEDIUM = ("Medium", "Mistakes need review to undo (heat × 1.15).")
    HIGH = ("High", "Mistakes are costly or public (heat × 1.3).")


class Determinism(SpelledEnum):
    """Whether a conduit gives the same result for the same wish."""

    DETERMINISTIC = ("Deterministic", "Same input, same output.")
    STOCHASTIC = ("Stochastic", "Output varies between runs (heat × 1.2).")
    MOCKABLE = ("Mockable", "Varies live, but has a deterministic mock for shadow runs.")


class LatencyClass(SpelledEnum):
    """How long one call to a conduit takes."""

    INSTANT = ("Instant", "Under 250 ms.")
    SHORT = ("Short", "Seconds.")
    LONG = ("Long", "Tens of seconds or more.")


class ExecMode(SpelledEnum):
    """How a conduit call runs."""

    SHADOW_RUN = ("ShadowRun", "Offline and simulated: nothing leaves the machine.")
    COMMIT = ("Commit", "Live: the conduit really runs.")


class _Model(BaseModel):
    """Shared configuration: unknown keys are ignored as upstream (serde) does."""

    model_config = ConfigDict(extra="ignore", use_enum_values=False, populate_by_name=True)


class Scope(_Model):
    """Where and for how long a wish acts."""

    region: StrictStr = Field(
        description="The region of the world (or of the repository) the wish may touch.",
        examples=["repo/docs", "Sunken Quarter"],
    )
    duration_days: U16 = Field(
        description="How many days the wish may run (u16: 0 to 65535).",
        examples=[2],
    )


class Budget(_Model):
    """What a wish may spend."""

    chrono_sand: U16 = Field(
        description="Time budget in chrono-sand units (u16: 0 to 65535).",
        examples=[1],
    )
    genie_slots: U8 = Field(
        description="How many genie slots (parallel workers) the wish may hold (u8: 0 to 255).",
        examples=[1],
    )
    gold_cap: U64 = Field(
        description="The most gold the wish may spend (u64: 0 to 18446744073709551615).",
        examples=[0],
    )


class Meta(_Model):
    """Bookkeeping about who asked for the wish and when."""

    author_id: StrictStr | None = Field(
        default=None, description="Who wrote the wish.", examples=["player-4821"]
    )
    petition_id: StrictStr | None = Field(
        default=None, description="The petition this wish answers.", examples=["P-20251016-01"]
    )
    created_at: StrictStr | None = Field(
        default=None,
        description="When the wish was written, as an ISO 8601 timestamp.",
        examples=["2025-10-16T17:32:23Z"],
        json_schema_extra={"format": "date-time"},
    )


class Wish(_Model):
    """A Wishcraft wish (schema v0.1): what to achieve, within which limits, with which conduits."""

    model_config = ConfigDict(title="Wishcraft wish")

    title: StrictStr = Field(
        description="A short name for the wish.",
        examples=["Author Wishcraft Documentation Overview"],
    )
    objective: StrictStr = Field(
        description=(
            "The measurable target: concrete quantities and a time bound, explicit nouns "
            "rather than pronouns."
        ),
        examples=["Publish 1 documentation page at docs/wish.md within 2 days"],
    )
    scope: Scope = Field(description="Where and for how long the wish acts.")
    invariants: list[StrictStr] = Field(
        description="World-law constraints the wish must never break.",
        examples=[["No harm to civilians", "No currency duplication"]],
    )
    budget: Budget = Field(description="What the wish may spend.")
    tools: list[StrictStr] = Field(
        description="Conduit ids from the registry that the wish may call.",
        examples=[["openai.codex.v2025.plan"]],
    )
    plan: list[StrictStr] = Field(
        description="Concise steps, at most 7 by the design doc.",
        examples=[["Survey the code", "Write docs/wish.md"]],
    )
    safety_tests: list[StrictStr] = Field(
        description='Checks that prove the wish stayed safe, ideally "metric + bound".',
        examples=[["Zero tokens printed in the output"]],
    )
    rollback: list[StrictStr] = Field(
        description="Explicit actions that undo the wish.",
        examples=[["Remove docs/wish.md"]],
    )
    tier: Tier | None = Field(
        default=None,
        description="How big the wish is: micro, meso or macro. Optional; may be null.",
        examples=["micro"],
    )
    meta: Meta | None = Field(
        default=None, description="Bookkeeping: author, petition and creation time. Optional."
    )

    REQUIRED_KEYS: ClassVar[tuple[str, ...]] = (
        "title",
        "objective",
        "scope",
        "invariants",
        "budget",
        "tools",
        "plan",
        "safety_tests",
        "rollback",
    )


class ConduitScope(_Model):
    """Where a conduit may act."""

    repo: StrictStr | None = Field(
        default=None, description="The repository it may touch.", examples=["ruinsofatlantis"]
    )
    paths: list[StrictStr] | None = Field(
        default=None, description="Glob patterns of the paths it may touch.", examples=[["**"]]
    )
    actions: list[StrictStr] | None = Field(
        default=None, description="What it may do there.", examples=[["plan"]]
    )
    zone: StrictStr | None = Field(
        default=None, description="The world zone it may touch.", examples=["*"]
    )


class CostProfile(_Model):
    """What one call costs."""

    tokens_per_call: StrictStr | None = Field(
        default=None, description='Approximate tokens per call, e.g. "~3k".', examples=["~3k"]
    )
    rate_per_min: U32 | None = Field(
        default=None, description="The most calls a minute.", examples=[20]
    )


class Limits(_Model):
    """Hard limits on how much a conduit may be used."""

    per_wish_calls: U32 | None = Field(
        default=None, description="The most calls for one wish.", examples=[10]
    )
    per_day_calls: U32 | None = Field(
        default=None, description="The most calls a day.", examples=[200]
    )
    per_wish_entities: U32 | None = Field(
        default=None, description="The most entities one wish may touch.", examples=[500]
    )


class ConduitDescriptor(_Model):
    """One conduit of the registry: a tool a wish may name in `tools`."""

    model_config = ConfigDict(title="Conduit descriptor")

    id: StrictStr = Field(
        description="The conduit's id, named in a wish's `tools`.",
        examples=["openai.codex.v2025.plan"],
    )
    label: StrictStr = Field(
        description="A human name for the conduit.", examples=["OpenAI Codex (Plan Builder)"]
    )
    disposition: Disposition = Field(
        description="How the conduit interprets a wish.", examples=["Literalist"]
    )
    domains: list[Domain] = Field(
        default_factory=list, description="The domains it works in.", examples=[["Code"]]
    )
    scopes: list[ConduitScope] = Field(
        default_factory=list,
        description="Where it may act.",
        examples=[[{"repo": "ruinsofatlantis", "paths": ["**"], "actions": ["plan"]}]],
    )
    cost_profile: CostProfile = Field(
        default_factory=CostProfile,
        description="What one call costs.",
        examples=[{"tokens_per_call": "~3k", "rate_per_min": 20}],
    )
    risk_class: RiskClass = Field(
        description="How much harm its mistakes can do.", examples=["Medium"]
    )
    determinism: Determinism = Field(
        description="Whether it gives the same result for the same wish.", examples=["Stochastic"]
    )
    latency_class: LatencyClass = Field(description="How long one call takes.", examples=["Short"])
    permissions: list[StrictStr] = Field(
        default_factory=list, description="The permissions it needs.", examples=[["code.plan"]]
    )
    limits: Limits = Field(
        default_factory=Limits,
        description="Hard limits on its use.",
        examples=[{"per_wish_calls": 10, "per_day_calls": 200}],
    )
    audit_fields: list[StrictStr] = Field(
        default_factory=list,
        description="What each call records for audit.",
        examples=[["prompt_hash", "model", "tokens_used"]],
    )

    REQUIRED_KEYS: ClassVar[tuple[str, ...]] = (
        "id",
        "label",
        "disposition",
        "risk_class",
        "determinism",
        "latency_class",
    )


class ConduitRegistry(RootModel[list[ConduitDescriptor]]):
    """The conduit registry: a YAML list of conduit descriptors (`data/conduits/registry.yaml`)."""

    model_config = ConfigDict(title="Wishcraft conduit registry")
