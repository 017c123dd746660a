"""The lint engine: text → `Analysis` (tree, index, findings, model, scores, heat).

One engine with two faces: `wishcraft lint` prints these findings, and the language server
publishes the same findings as diagnostics. Order of checks: the YAML layer; then, only if the
YAML is sound, the schema (pydantic) and unknown keys; then the semantic rules, which read the
data leniently so a half-written wish still gets useful findings.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from itertools import islice
from typing import Any

from pydantic import ValidationError

from wishcraft.documents import NodeKind, ParsedYaml, PathIndex
from wishcraft.documents.incremental import reparse
from wishcraft.documents.yamltree import gc_paused
from wishcraft.findings import DuplicateKeyData, Finding, OmittedData, Severity, Span, fix_data
from wishcraft.kinds import DocumentKind
from wishcraft.lint.catalog import RULES
from wishcraft.lint.config import LintConfig
from wishcraft.lint.schema import (
    OMITTED,
    first_line_span,
    omitted_finding,
    unknown_key_findings,
    validation_findings,
)
from wishcraft.lint.upstream import Reading, read_as_upstream
from wishcraft.lint.wish_rules import WISH_RULES, WishContext, scores_of
from wishcraft.model import ConduitRegistry, Tier, Wish
from wishcraft.registry import Registry
from wishcraft.scores import CourtScores, heat_estimate

MAX_FINDINGS = 500
"""The most findings one document reports: editors slow down with thousands of squiggles."""


@dataclass(slots=True)
class Analysis:
    """Everything known about one version of one document.

    `wish` is set when the document validates; `scores` and `heat` whenever the top level is a
    mapping (computed leniently), so hover and code lenses work on unfinished wishes.
    """

    kind: DocumentKind
    parsed: ParsedYaml
    index: PathIndex
    findings: list[Finding]
    wish: Wish | None = None
    scores: CourtScores | None = None
    heat: float | None = None
    conduit_ids: list[str] = field(default_factory=list)
    data: Any = None
    """The document as upstream's types read it (`lint.upstream`): what rules and the
    registry loader use."""

    @property
    def error_count(self) -> int:
        """How many findings are errors."""
        return sum(1 for finding in self.findings if finding.severity == 1)


def apply_config(findings: list[Finding], config: LintConfig) -> list[Finding]:
    """Give each finding its configured severity, drop turned-off rules, sort by position.

    Past `MAX_FINDINGS` the rest is one information finding that counts them, with the
    findings producers only counted past their own limit (`omitted_finding`).
    """
    out: list[Finding] = []
    omitted: int | None = 0
    for finding in findings:
        if finding.code == OMITTED:
            placeholder = fix_data(finding, OmittedData)
            count = placeholder["omitted"] if placeholder is not None else None
            omitted = omitted + count if omitted is not None and count is not None else None
            continue
        severity = config.severity_of(finding.code)
        if severity is None:
            continue
        if severity != finding.severity:
            finding = Finding(
                finding.code, severity, finding.message, finding.span, finding.path, finding.data
            )
        out.append(finding)
    if len(out) > MAX_FINDINGS or omitted != 0:
        out.sort(key=lambda f: (int(f.severity), f.span.start.line, f.span.start.column))
        shown_past = max(len(out) - MAX_FINDINGS, 0)
        hidden = shown_past + omitted if omitted is not None else None
        what = f"{hidden:,} more findings are" if hidden is not None else "More findings are"
        out = out[:MAX_FINDINGS]
        out.append(
            Finding(
                OMITTED,
                Severity.INFORMATION,
                f"{what} not shown; fix the ones above first.",
                Span.at(0, 0, 0, 0),
                (),
                dict(OmittedData(omitted=hidden)),
            )
        )
    out.sort(key=lambda f: (f.span.start.line, f.span.start.column, int(f.severity), f.code))
    return out


@gc_paused()
def analyse_wish(
    text: str,
    registry: Registry,
    config: LintConfig | None = None,
    previous: ParsedYaml | None = None,
) -> Analysis:
    """Parse and lint a wish; never raises on any text.

    `previous`, the parse of an earlier version, lets the parser re-read only what changed
    (`documents.incremental`: the same tree as a full parse); every rule still sees the whole
    tree, since the required keys, duplicates and budget-against-tier rules are not local.
    """
    config = config or LintConfig()
    parsed = reparse(previous, text)
    index = PathIndex(parsed.root)
    findings = list(parsed.findings)
    analysis = Analysis(DocumentKind.WISH, parsed, index, findings)
    data = parsed.data
    if parsed.root is None or parsed.root.resolved().kind is not NodeKind.MAPPING:
        if parsed.root is not None:
            findings.append(
                _not_mapping(
                    parsed,
                    "A wish must be a mapping of keys (title, "
                    "objective, …), not " + _kind_words(parsed),
                )
            )
        analysis.findings = apply_config(findings, config)
        return analysis
    reading = read_as_upstream(Wish, parsed.root, MAX_FINDINGS)
    data = reading.data if isinstance(reading.data, dict) else data
    assert isinstance(data, dict)
    analysis.data = data
    findings = _downgrade_repeats(findings, reading)
    syntax_ok = not any(_blocks_schema(f) for f in findings)
    findings.extend(reading.findings)
    analysis.findings = findings
    if syntax_ok:
        findings.extend(
            f
            for f in validation_findings(Wish, data, index, text, MAX_FINDINGS)
            if f.path not in reading.explained
        )
    findings.extend(unknown_key_findings(Wish, index, MAX_FINDINGS))
    context = WishContext(data, index, registry, config, parsed.lines)
    for rule in WISH_RULES:
        # Rules yield per item: past the limit, stop asking (a list of 50,000 tools).
        found = list(islice(rule(context), MAX_FINDINGS + 1))
        if len(found) > MAX_FINDINGS:
            found[-1] = omitted_finding(None)
        findings.extend(found)
    analysis.findings = apply_config(findings, config)
    analysis.scores = scores_of(data)
    tools = data.get("tools")
    analysis.conduit_ids = (
        [t for t in tools if isinstance(t, str)] if isinstance(tools, list) else []
    )
    tier_value = data.get("tier")
    tier = Tier.parse(tier_value) if isinstance(tier_value, str) else None
    plan = data.get("plan")
    analysis.heat = heat_estimate(
        tier if isinstance(tier, Tier) else None,
        analysis.scores,
        len(plan) if isinstance(plan, list) else 0,
        [c for c in (registry.get(i) for i in analysis.conduit_ids) if c is not None],
        tool_ids=analysis.conduit_ids,
    )
    if syntax_ok:
        try:
            analysis.wish = Wish.model_validate(data)
        except ValidationError:
            analysis.wish = None
    return analysis


def _blocks_schema(finding: Finding) -> bool:
    """Whether a YAML-level finding makes the tree unfit for the schema check.

    A byte order mark is an error (upstream rejects the file) but the tree is whole.
    """
    return finding.severity is Severity.ERROR and finding.code != "yaml-bom"


def _downgrade_repeats(findings: list[Finding], reading: Reading) -> list[Finding]:
    """A repeated key that upstream's types do not know becomes a warning.

    The YAML layer flags every repeated key as an error, which upstream's serde types give
    only for the keys they know (`duplicate field`); a repeated unknown key is ignored twice.
    """
    repeats = set(reading.unknown_repeats)
    out: list[Finding] = []
    for finding in findings:
        if finding.code == "yaml-duplicate-key" and finding.span in repeats:
            repeated = fix_data(finding, DuplicateKeyData)
            key = repeated["key"] if repeated is not None else ""
            finding = Finding(
                "duplicate-unknown-key",
                RULES["duplicate-unknown-key"].severity,
                f"The key `{key}` appears twice in this mapping; upstream ignores a key it does "
                "not know, repeated or not, so remove one (or both).",
                finding.span,
                finding.path,
                finding.data,
            )
        out.append(finding)
    return out


def _kind_words(parsed: ParsedYaml) -> str:
    root = parsed.root.resolved() if parsed.root else None
    if root is None:
        return "nothing."
    if root.kind is NodeKind.SEQUENCE:
        return "a list."
    return f"the single value `{root.text[:40]}`."


def _not_mapping(parsed: ParsedYaml, message: str) -> Finding:
    span = parsed.root.span if parsed.root else first_line_span(parsed.text)
    return Finding("not-a-mapping", RULES["not-a-mapping"].severity, message, span)


@gc_paused()
def registry_reading(parsed: ParsedYaml, index: PathIndex) -> tuple[list[Finding], Any]:
    """Lint a parsed registry and read it as upstream does: the findings and the data."""
    findings = list(parsed.findings)
    root = parsed.root.resolved() if parsed.root else None
    if root is None:
        if any(f.code == "yaml-empty" for f in findings):  # upstream reads no conduits
            findings = [f for f in findings if f.code != "yaml-empty"]
            findings.append(
                Finding(
                    "registry-empty",
                    RULES["registry-empty"].severity,
                    "The registry is empty; upstream reads it as no conduits, so every "
                    "wish that names a tool fails. Add the conduits the wishes use.",
                    first_line_span(parsed.text),
                )
            )
        return findings, []
    if root.kind is not NodeKind.SEQUENCE:
        findings.append(
            Finding(
                "not-a-list",
                RULES["not-a-list"].severity,
                "A conduit registry must be a YAML list of conduit descriptors.",
                root.span,
            )
        )
        return findings, parsed.data
    reading = read_as_upstream(ConduitRegistry, root, MAX_FINDINGS)
    data = reading.data if isinstance(reading.data, list) else parsed.data
    findings = _downgrade_repeats(findings, reading)
    syntax_ok = not any(_blocks_schema(f) for f in findings)
    findings.extend(reading.findings)
    if syntax_ok:
        findings.extend(
            f
            for f in validation_findings(ConduitRegistry, data, index, parsed.text, MAX_FINDINGS)
            if f.path not in reading.explained
        )
    findings.extend(unknown_key_findings(ConduitRegistry, index, MAX_FINDINGS))
    findings.extend(_duplicate_ids(data, index))
    return findings, data


def _duplicate_ids(data: Any, index: PathIndex) -> list[Finding]:
    seen: dict[str, int] = {}
    findings: list[Finding] = []
    if not isinstance(data, list):
        return findings
    for position, item in enumerate(data):
        conduit_id = item.get("id") if isinstance(item, dict) else None
        if not isinstance(conduit_id, str):
            continue
        if conduit_id in seen:
            first = index.value_span((seen[conduit_id], "id"))
            line = first.start.line + 1 if first else 0
            span = index.value_span((position, "id")) or Span.at(0, 0, 0, 0)
            findings.append(
                Finding(
                    "duplicate-conduit-id",
                    RULES["duplicate-conduit-id"].severity,
                    f"The conduit id `{conduit_id}` is already defined on line {line}; upstream "
                    "uses the first and never this one, so remove or rename it.",
                    span,
                    (position, "id"),
                    {"conduit": conduit_id},
                )
            )
        else:
            seen[conduit_id] = position
    return findings


@gc_paused()
def analyse_registry(
    text: str, config: LintConfig | None = None, previous: ParsedYaml | None = None
) -> Analysis:
    """Parse and lint a conduit registry file (re-reading only what changed since `previous`,
    as `analyse_wish` does); never raises on any text."""
    parsed = reparse(previous, text)
    index = PathIndex(parsed.root)
    found, data = registry_reading(parsed, index)
    findings = apply_config(found, config or LintConfig())
    return Analysis(DocumentKind.REGISTRY, parsed, index, findings, data=data)
