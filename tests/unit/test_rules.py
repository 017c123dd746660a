"""Every lint rule: its code, severity, message and the exact text it underlines."""

from __future__ import annotations

import pytest

from testkit.lint import VALID_WISH, codes, findings_of, only, replace_line, underlined
from wishcraft.findings import Severity
from wishcraft.lint import RULES, LintConfig

E, W, INFO = Severity.ERROR, Severity.WARNING, Severity.INFORMATION


def test_valid_wish_has_no_findings() -> None:
    assert findings_of(VALID_WISH) == []


# (id, old line, new line, code, severity, underlined text, words in the message, quick-fix data)
LineCase = tuple[str, str, str, str, Severity, str, str, dict[str, object]]
LINE_CASES: list[LineCase] = [
    (
        "objective-empty",
        'objective: "Place 3 beacon lamps on the lighthouse within 5 days"',
        'objective: ""',
        "objective-empty",
        E,
        '""',
        "non-empty and measurable",
        {},
    ),
    (
        "objective-pronoun",
        'objective: "Place 3 beacon lamps on the lighthouse within 5 days"',
        'objective: "Place 3 lamps on it within 5 days"',
        "objective-pronoun",
        W,
        "it",
        "prefer explicit nouns",
        {"word": "it"},
    ),
    (
        "objective-no-quantity",
        'objective: "Place 3 beacon lamps on the lighthouse within 5 days"',
        'objective: "Place beacon lamps on the lighthouse by Friday"',
        "objective-no-quantity",
        INFO,
        '"Place beacon lamps on the lighthouse by Friday"',
        "concrete quantity",
        {},
    ),
    (
        "objective-no-time-bound",
        'objective: "Place 3 beacon lamps on the lighthouse within 5 days"',
        'objective: "Place 3 beacon lamps on the lighthouse"',
        "objective-no-time-bound",
        INFO,
        '"Place 3 beacon lamps on the lighthouse"',
        "time bound",
        {},
    ),
    (
        "out-of-range-u8",
        "  genie_slots: 2",
        "  genie_slots: 256",
        "out-of-range",
        E,
        "256",
        "u8 maximum 255",
        {"maximum": 255},
    ),
    (
        "out-of-range-negative",
        "  gold_cap: 1500",
        "  gold_cap: -1",
        "out-of-range",
        E,
        "-1",
        "cannot be negative",
        {},
    ),
    (
        "out-of-range-u16",
        "  duration_days: 5",
        "  duration_days: 65536",
        "out-of-range",
        E,
        "65536",
        "u16 maximum 65535",
        {},
    ),
    (
        "wrong-type-text-for-int",
        "  chrono_sand: 12",
        '  chrono_sand: "12"',
        "wrong-type",
        E,
        '"12"',
        "reads a quoted scalar as text whatever its tag, and text is not a u16",
        {},
    ),
    (
        "wrong-type-float",
        "  chrono_sand: 12",
        "  chrono_sand: 1.5",
        "wrong-type",
        E,
        "1.5",
        "not the number 1.5",
        {},
    ),
    (
        "scalar-as-string",
        'title: "Relight the lighthouse"',
        "title: 2025",
        "scalar-as-string",
        W,
        "2025",
        'reads it as the text "2025"',
        {},
    ),
    (
        "invalid-tier",
        "tier: meso",
        "tier: mezo",
        "invalid-tier",
        E,
        "mezo",
        "did you mean `meso`",
        {"replacement": "meso"},
    ),
    (
        "unknown-conduit",
        '  - "worldsmith.place"',
        '  - "worldsmith.plase"',
        "unknown-conduit",
        E,
        '"worldsmith.plase"',
        "did you mean `worldsmith.place`",
        {"replacement": "worldsmith.place"},
    ),
    (
        "unknown-key",
        "tier: meso",
        "tier: meso\ntiers: macro",
        "unknown-key",
        W,
        "tiers",
        "upstream ignores it",
        {"key": "tiers"},
    ),
    (
        "invalid-timestamp",
        "tier: meso",
        'tier: meso\nmeta: {created_at: "last tuesday"}',
        "invalid-timestamp",
        W,
        '"last tuesday"',
        "ISO 8601",
        {},
    ),
]


@pytest.mark.parametrize("case", LINE_CASES, ids=[case[0] for case in LINE_CASES])
def test_rule_on_one_line(case: LineCase) -> None:
    _, old, new, code, severity, text, words, data = case
    wish = replace_line(VALID_WISH, old, new)
    finding = only(wish, code)
    assert finding.severity is severity
    assert RULES[code].severity is severity
    assert underlined(wish, finding.span) == text
    assert words in finding.message
    for key, value in data.items():
        assert finding.data[key] == value


def test_unknown_key_suggests_the_missing_one() -> None:
    wish = VALID_WISH.replace("safety_tests:", "safety_test:")
    finding = only(wish, "unknown-key")
    assert finding.data["replacement"] == "safety_tests"
    assert "did you mean `safety_tests`" in finding.message


def test_missing_top_level_key_is_on_the_first_line() -> None:
    wish = VALID_WISH.replace(
        'rollback:\n  - "Remove the 3 lamps"\n  - "Restore the gallery '
        'tiles"\n  - "Reset the keeper schedule"\n  - "Refund the gold"\n',
        "",
    )
    finding = only(wish, "missing-key")
    assert (finding.span.start.line, finding.span.start.column) == (0, 0)
    assert underlined(wish, finding.span) == 'title: "Relight the lighthouse"'
    assert "`rollback`" in finding.message
    assert finding.data == {"missingKey": "rollback", "parentPath": ""}


def test_missing_nested_key_is_on_the_parent_key() -> None:
    wish = VALID_WISH.replace("  duration_days: 5\n", "")
    finding = only(wish, "missing-key")
    assert underlined(wish, finding.span) == "scope"
    assert finding.data == {"missingKey": "duration_days", "parentPath": "scope"}


def test_wrong_container_type() -> None:
    wish = replace_line(VALID_WISH, "scope:", "scope: [a]")
    wish = wish.replace('  region: "Sunken Quarter"\n  duration_days: 5\n', "")
    finding = only(wish, "wrong-type")
    assert underlined(wish, finding.span) == "[a]"
    assert "must be a mapping, not a list" in finding.message


def test_empty_rollback_and_invariants() -> None:
    wish = VALID_WISH.split("rollback:")[0] + "rollback: []\ntier: micro\n"
    wish = wish.split("invariants:")[0] + "invariants: []\n" + "budget:" + wish.split("budget:")[1]
    rollback = only(wish, "rollback-empty")
    assert rollback.severity is E and underlined(wish, rollback.span) == "[]"
    invariants = only(wish, "invariants-empty")
    assert invariants.severity is W and underlined(wish, invariants.span) == "[]"


def test_plan_too_long_underlines_the_extra_steps() -> None:
    steps = "".join(f'  - "Step {n}"\n' for n in range(1, 10))
    wish = VALID_WISH.replace('  - "Survey the lighthouse"\n  - "Place 3 beacon lamps"\n', steps)
    finding = only(wish, "plan-too-long")
    assert underlined(wish, finding.span) == '"Step 8"\n  - "Step 9"'
    assert "9 steps" in finding.message and "at most 7" in finding.message
    config = LintConfig.model_validate({"planMaxSteps": 9})
    assert "plan-too-long" not in codes(wish, config)


def test_tier_limit_uses_the_tier_maxima() -> None:
    wish = replace_line(VALID_WISH, "  genie_slots: 2", "  genie_slots: 9")
    finding = only(wish, "tier-limit")
    assert underlined(wish, finding.span) == "9"
    assert "meso maximum of 8" in finding.message
    assert "tier-limit" not in codes(replace_line(wish, "tier: meso", "tier: macro"))


def test_missing_invariant_for_the_tier() -> None:
    wish = replace_line(VALID_WISH, '  - "No currency duplication"', '  - "Lamps stay lit"')
    finding = only(wish, "missing-invariant")
    assert underlined(wish, finding.span) == "invariants"
    assert finding.data["suggestion"] == "No currency duplication"
    assert "missing-invariant" not in codes(replace_line(wish, "tier: meso", "tier: micro"))


def test_world_invariants_are_asked_only_of_wishes_that_act_on_the_world() -> None:
    """The game's invariants (civilians, agency, currency) are not asked of a code change:
    a wish whose every tool is a known Code-only conduit; any world conduit brings them back."""
    world = replace_line(VALID_WISH, '  - "No currency duplication"', '  - "Lamps stay lit"')
    assert codes(world).count("missing-invariant") == 1
    code_only = replace_line(world, '  - "worldsmith.place"', '  - "openai.codex.v2025.plan"')
    assert "missing-invariant" not in codes(code_only)
    both = replace_line(
        world, '  - "worldsmith.place"', '  - "openai.codex.v2025.plan"\n  - "worldsmith.place"'
    )
    assert codes(both).count("missing-invariant") == 1
    unknown = replace_line(world, '  - "worldsmith.place"', '  - "openai.codex.v2025.plann"')
    assert "missing-invariant" in codes(unknown)  # an unknown tool may act on anything


def test_conduit_not_allowed_for_the_tier() -> None:
    wish = replace_line(VALID_WISH, '  - "worldsmith.place"', '  - "openai.codex.v2025.apply"')
    wish = replace_line(wish, "tier: meso", "tier: micro")
    finding = only(wish, "conduit-not-allowed")
    assert underlined(wish, finding.span) == '"openai.codex.v2025.apply"'
    assert "High-risk" in finding.message


def test_court_thresholds_per_tier() -> None:
    wish = replace_line(VALID_WISH, "tier: meso", "tier: macro")
    found = {f.data["court"]: f for f in findings_of(wish) if f.code == "court-threshold"}
    assert set(found) == {"clarity", "safety", "reversibility"}
    assert underlined(wish, found["clarity"].span) == "objective"
    assert "75, below the macro threshold of 85" in found["clarity"].message
    assert underlined(wish, found["safety"].span) == "invariants"
    assert underlined(wish, found["reversibility"].span) == "rollback"


def test_tier_rules_are_skipped_without_a_tier() -> None:
    wish = VALID_WISH.replace("tier: meso\n", "").replace("  genie_slots: 2", "  genie_slots: 99")
    assert codes(wish) == []


def test_ranges_point_at_the_right_characters_in_non_ascii_text() -> None:
    old = 'objective: "Place 3 beacon lamps on the lighthouse within 5 days"'
    new = 'objective: "在灯塔 😀🏮 放置 3 盏灯 so that it shines within 5 days"'
    wish = replace_line(VALID_WISH, old, new)
    found = [f for f in findings_of(wish) if f.code == "objective-pronoun"]
    assert [underlined(wish, f.span) for f in found] == ["that"]  # upstream warns once
    wish = replace_line(VALID_WISH, '  - "worldsmith.place"', '  - "😀.place"')
    assert underlined(wish, only(wish, "unknown-conduit").span) == '"😀.place"'


def test_severity_overrides_and_turning_rules_off() -> None:
    wish = replace_line(VALID_WISH, "tier: meso", "tier: meso\ntiers: x")
    config = LintConfig.model_validate({"severity": {"unknown-key": "error"}})
    assert [f.severity for f in findings_of(wish, config)] == [E]
    config = LintConfig.model_validate({"severity": {"unknown-key": "off"}})
    assert findings_of(wish, config) == []
    with pytest.raises(ValueError, match="unknown rule code"):
        LintConfig.model_validate({"severity": {"no-such-rule": "error"}})


@pytest.mark.parametrize(
    ("text", "code"),
    [("- a\n- b\n", "not-a-mapping"), ("just text\n", "not-a-mapping"), ("", "yaml-empty")],
)
def test_a_wish_must_be_a_mapping(text: str, code: str) -> None:
    assert codes(text) == [code]


def test_every_rule_code_is_documented_in_the_readme() -> None:
    from testkit.paths import ROOT

    readme = (ROOT / "README.md").read_text()
    missing = [code for code in RULES if f"`{code}`" not in readme]
    assert missing == []


# How upstream's serde_yaml reads a value: (id, old line, new line, code or None for no finding
# at all, severity, underlined text, words in the message). Each verdict is upstream's, measured
# (tests/fixtures/upstream/verdicts.json); the message names upstream's rule and the fix.
UPSTREAM_CASES: list[tuple[str, str, str, str | None, Severity, str, str]] = [
    (
        "title-null",
        'title: "Relight the lighthouse"',
        "title: null",
        "scalar-as-string",
        W,
        "null",
        'reads it as the text "null", which is surely a mistake',
    ),
    (
        "title-empty",
        'title: "Relight the lighthouse"',
        "title:",
        "scalar-as-string",
        W,
        "",
        'empty text ""',
    ),
    (
        "tier-pascal",
        "tier: meso",
        "tier: Meso",
        "invalid-tier",
        E,
        "Meso",
        "upstream's Tier type reads only `micro`, `meso`, `macro`",
    ),
    ("tier-spaced", "tier: meso", 'tier: " meso"', "invalid-tier", E, '" meso"', "write `meso`"),
    (
        "leading-zero",
        "  duration_days: 5",
        "  duration_days: 005",
        "wrong-type",
        E,
        "005",
        "reads a number with a leading zero as text",
    ),
    (
        "quoted-int-tag",
        "  duration_days: 5",
        '  duration_days: !!int "5"',
        "wrong-type",
        E,
        '!!int "5"',
        "reads a quoted scalar as text whatever its tag",
    ),
    ("str-tag-int", "  duration_days: 5", "  duration_days: !!str 5", None, E, "", ""),
    ("hex-int", "  duration_days: 5", "  duration_days: 0x5", None, E, "", ""),
    ("meta-empty", "tier: meso", "tier: meso\nmeta:", None, E, "", ""),
    (
        "meta-null",
        "tier: meso",
        "tier: meso\nmeta: null",
        "wrong-type",
        E,
        "null",
        "leave `meta` out or write `meta: {}`",
    ),
    (
        "unknown-twice",
        "tier: meso",
        "tier: meso\nhue: 1\nhue: 2",
        "duplicate-unknown-key",
        W,
        "hue",
        "upstream ignores a key it does not know",
    ),
]


@pytest.mark.parametrize("case", UPSTREAM_CASES, ids=[case[0] for case in UPSTREAM_CASES])
def test_values_are_read_as_upstream_reads_them(
    case: tuple[str, str, str, str | None, Severity, str, str],
) -> None:
    _, old, new, code, severity, text, words = case
    wish = replace_line(VALID_WISH, old, new)
    if code is None:
        assert findings_of(wish) == []
        return
    finding = only(wish, code)
    assert finding.severity is severity
    assert underlined(wish, finding.span) == text
    assert words in finding.message
    assert [f.code for f in findings_of(wish) if f.severity is E] == (
        [code] if severity is E else []
    )


def test_a_key_with_no_value_is_an_empty_list_as_upstream_reads_it() -> None:
    """`invariants:` alone is an empty list upstream (a warning); `invariants: null` fails."""
    kept = VALID_WISH.split("invariants:\n")[1].split("budget:")[1]
    wish = VALID_WISH.split("invariants:\n")[0] + "invariants:\nbudget:" + kept
    found = findings_of(wish)
    assert "invariants-empty" in [f.code for f in found]
    assert [f for f in found if f.severity is E] == []
    nulled = wish.replace("invariants:\n", "invariants: null\n")
    assert [f.code for f in findings_of(nulled) if f.severity is E] == ["wrong-type"]


@pytest.mark.parametrize(
    ("objective", "word"),
    [
        ("Fix it within 3 days", "it"),
        ("It must place 3 lamps within 5 days", "it"),
        ("Itemize 3 lamps within 5 days", "it"),  # upstream's rule is a prefix at the start
        ("Place 3 lamps (This matters) within 5 days", None),
        ("Place 3 lamps within 5 days like this", None),
        ("Place 3 lamps, that is, within 5 days", "that"),
        ("Place 3 lamps THEY chose within 5 days", "they"),
    ],
)
def test_pronoun_rule_is_upstreams(objective: str, word: str | None) -> None:
    wish = replace_line(
        VALID_WISH,
        'objective: "Place 3 beacon lamps on the lighthouse within 5 days"',
        f'objective: "{objective}"',
    )
    found = [f for f in findings_of(wish) if f.code == "objective-pronoun"]
    assert [f.data["word"] for f in found] == ([word] if word else [])
    if word:
        assert underlined(wish, found[0].span).lower() == word
