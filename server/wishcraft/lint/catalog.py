"""Every rule the linter knows: its stable code, default severity, origin and meaning.

The codes are public: settings override severities by code, quick fixes key on them, and CI
output prints them. Never rename one; add a new code instead.
"""

from __future__ import annotations

from dataclasses import dataclass

from wishcraft.findings import Severity

E, W, INFO, H = Severity.ERROR, Severity.WARNING, Severity.INFORMATION, Severity.HINT


@dataclass(frozen=True, slots=True)
class Rule:
    """A lint rule's identity: code, default severity, where it comes from, what it checks."""

    code: str
    severity: Severity
    origin: str
    summary: str


RULES: dict[str, Rule] = {
    rule.code: rule
    for rule in [
        # The YAML layer.
        Rule("yaml-syntax", E, "yaml", "The text is not valid YAML."),
        Rule("yaml-tab", E, "yaml", "A tab is used where YAML needs spaces."),
        Rule("yaml-duplicate-key", E, "upstream", "A key appears twice in one mapping."),
        Rule(
            "duplicate-unknown-key",
            W,
            "upstream",
            "A key the format does not define appears twice; upstream ignores it.",
        ),
        Rule("yaml-multiple-documents", E, "upstream", "The file holds more than one document."),
        Rule("yaml-bad-alias", E, "yaml", "An alias names no anchor, or itself."),
        Rule("yaml-alias-bomb", E, "yaml", "Aliases expand to more nodes than we allow."),
        Rule("yaml-too-deep", E, "yaml", "Nesting is deeper than we read."),
        Rule("yaml-too-large", E, "yaml", "The file is larger than we check."),
        Rule("yaml-empty", E, "upstream", "The file is empty."),
        Rule("yaml-bom", E, "upstream", "The file starts with a byte order mark."),
        Rule("too-many-findings", INFO, "wishcraft", "More findings than one document shows."),
        Rule("not-a-mapping", E, "upstream", "A wish (or descriptor) is not a mapping."),
        Rule("not-a-list", E, "upstream", "The registry is not a list of descriptors."),
        # The schema (what upstream's parser rejects).
        Rule("missing-key", E, "upstream", "A required key is missing."),
        Rule("wrong-type", E, "upstream", "A value has the wrong type."),
        Rule(
            "scalar-as-string",
            W,
            "upstream",
            "A number, boolean or null stands where text is expected; upstream reads it as text.",
        ),
        Rule("out-of-range", E, "upstream", "An integer is negative or too large for its type."),
        Rule("invalid-tier", E, "upstream", "`tier` is not micro, meso or macro."),
        Rule("invalid-enum", E, "upstream", "A descriptor field has a value outside its enum."),
        Rule(
            "upstream-spelling",
            INFO,
            "upstream",
            "A registry value in PascalCase, as upstream's data writes it and its crate refuses.",
        ),
        Rule(
            "unknown-key",
            W,
            "wishcraft",
            "A key the format does not define; upstream silently ignores it.",
        ),
        Rule("invalid-timestamp", W, "design", "`meta.created_at` is not ISO 8601."),
        # Upstream lint rules (the wishcraft crate).
        Rule("objective-empty", E, "upstream", "The objective is empty."),
        Rule("rollback-empty", E, "upstream", "The rollback list is empty."),
        Rule("unknown-conduit", E, "upstream", "A tool names no conduit of the registry."),
        Rule("invariants-empty", W, "upstream", "The invariants list is empty."),
        Rule("objective-pronoun", W, "upstream", "The objective uses a pronoun."),
        # Design-doc rules (not yet upstream: warnings or information by default).
        Rule("objective-no-quantity", INFO, "design", "The objective names no concrete quantity."),
        Rule("objective-no-time-bound", INFO, "design", "The objective names no time bound."),
        Rule("plan-too-long", W, "design", "The plan has more steps than allowed."),
        Rule("tier-limit", W, "design", "A duration or budget exceeds the tier's maximum."),
        Rule("missing-invariant", W, "design", "A required invariant is not covered."),
        Rule(
            "conduit-not-allowed",
            W,
            "design",
            "A conduit's risk class is not allowed for the tier.",
        ),
        Rule("court-threshold", W, "design", "A court score is below the tier's threshold."),
        # The court's gates, heard by `wishcraft lint --gates` and the editor (`gate_findings`).
        Rule("gate-binding", E, "court", "A live call's conduit is not bound to the wish."),
        Rule("gate-permissions", E, "court", "A live call's conduit lacks the permission."),
        Rule("gate-scopes", E, "court", "No scope lets the conduit act on this repository."),
        Rule("gate-ledger", E, "court", "The ledger cannot record the call."),
        Rule("gate-limits", E, "court", "The conduit's call limits are already spent."),
        # Registry rules.
        Rule("duplicate-conduit-id", W, "wishcraft", "Two descriptors share one id."),
        Rule("registry-empty", W, "wishcraft", "The registry holds no conduit."),
    ]
}
