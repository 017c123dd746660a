"""The contract between the lint rules and their readers: `data` has one shape per code.

`findings.FIX_DATA` names a TypedDict per code; the rules build their data with it and the quick
fixes read it back through `fix_data`, which checks the shape. These tests lint real documents
that raise every code of the table and check each finding's data against its shape, so a rule
that renames a key breaks here, not silently in the editor (a quick fix that no longer appears).
"""

from __future__ import annotations

import pytest

from testkit.lint import REGISTRY, VALID_WISH
from wishcraft.findings import (
    FIX_DATA,
    DuplicateKeyData,
    Finding,
    MissingKeyData,
    ReplacementData,
    Severity,
    Span,
    conforms,
    fix_data,
)
from wishcraft.lint import analyse_wish
from wishcraft.lint.engine import analyse_registry
from wishcraft.lsp.features.code_actions import FIXABLE

WISHES = {
    "missing-key": VALID_WISH.replace("  duration_days: 5\n", ""),
    "unknown-conduit": VALID_WISH.replace("worldsmith.place", "worldsmith.plaec"),
    "unknown-key": VALID_WISH.replace("rollback:\n", "rollbakc:\n"),
    "invalid-tier": VALID_WISH.replace("tier: meso", "tier: mezo"),
    "invalid-tier-upstream-spelling": VALID_WISH.replace("tier: meso", "tier: Meso"),
    "yaml-duplicate-key": VALID_WISH + "tier: micro\n",
    "duplicate-unknown-key": VALID_WISH + "extra: 1\nextra: 2\n",
    "missing-invariant": VALID_WISH.replace('  - "No harm to civilians"\n', ""),
    "too-many-findings": VALID_WISH + "".join(f"k{i}: 1\n" for i in range(600)),
    "out-of-range": VALID_WISH.replace("duration_days: 5", "duration_days: 70000"),
    "rollback-empty": VALID_WISH.split("rollback:")[0] + "rollback: []\ntier: meso\n",
    "invariants-empty": VALID_WISH.replace("invariants:", "invariants: []\nformer_invariants:"),
    "court-threshold": VALID_WISH.replace("tier: meso", "tier: macro"),
}
REGISTRIES = {
    "invalid-enum": '- id: "a"\n  label: "A"\n  disposition: Literalist\n  risk_class: Loww\n'
    "  determinism: Deterministic\n  latency_class: Instant\n",
}


def all_findings() -> list[Finding]:
    found = [f for text in WISHES.values() for f in analyse_wish(text, REGISTRY).findings]
    return found + [f for text in REGISTRIES.values() for f in analyse_registry(text).findings]


FINDINGS = all_findings()


def test_every_code_of_the_table_is_raised_here() -> None:
    """The check below is not vacuous: each shape is met at least once."""
    assert set(FIX_DATA) <= {finding.code for finding in FINDINGS}


@pytest.mark.parametrize("code", sorted(FIX_DATA))
def test_each_finding_carries_its_codes_shape(code: str) -> None:
    mine = [finding for finding in FINDINGS if finding.code == code]
    assert mine and all(conforms(finding.data, FIX_DATA[code]) for finding in mine), [
        finding.data for finding in mine
    ]
    assert all(fix_data(finding, FIX_DATA[code]) is finding.data for finding in mine)


def test_every_quick_fix_code_has_a_shape() -> None:
    assert set(FIXABLE) <= set(FIX_DATA)


def finding(code: str, data: dict[str, object]) -> Finding:
    return Finding(code, Severity.ERROR, "m", Span.at(0, 0, 0, 1), (), dict(data))


@pytest.mark.parametrize(
    ("code", "data", "shape"),
    [
        ("missing-key", {"key": "rollback"}, MissingKeyData),  # the old spelling
        ("missing-key", {"missingKey": 3, "parentPath": ""}, MissingKeyData),
        ("unknown-key", {"replacement": ["tools"]}, ReplacementData),
        ("unknown-key", {"replacement": "tools", "allowed": [1]}, ReplacementData),
        ("yaml-duplicate-key", {"key": "tier", "firstLine": True}, DuplicateKeyData),
        ("unknown-key", {"missingKey": "a", "parentPath": ""}, MissingKeyData),  # wrong code
    ],
    ids=["renamed", "wrong-type", "not-a-string", "list-item", "bool-line", "other-code"],
)
def test_data_of_the_wrong_shape_gives_no_fix(
    code: str, data: dict[str, object], shape: type[object]
) -> None:
    """A quick fix never edits from data it cannot trust: `fix_data` answers None."""
    assert fix_data(finding(code, data), shape) is None


def test_data_of_the_right_shape_is_read() -> None:
    data: dict[str, object] = {"replacement": None, "key": "extra"}
    assert fix_data(finding("unknown-key", data), ReplacementData) == data
