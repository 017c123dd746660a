"""`gate_findings`, in process: which findings the court's hearing raises or adds, and which
it leaves alone (the CLI and editor tests hold the end-to-end property)."""

from __future__ import annotations

from pathlib import Path

from testkit.apply_ws import WISH_TEXT, make_workspace
from wishcraft.court.findings import gate_findings
from wishcraft.findings import Severity
from wishcraft.lint import LintConfig, analyse_wish
from wishcraft.lint.registries import RegistryCache


def one_invariant(text: str) -> str:
    start, end = text.index("invariants:\n"), text.index("budget:\n")
    first = text[start:end].splitlines()[1]
    return text[:start] + "invariants:\n" + first + "\n" + text[end:]


def heard(root: Path, text: str) -> tuple[list[tuple[str, Severity, str]], int]:
    wish = make_workspace(root, wish_text=text)
    registry = RegistryCache().for_document(wish.resolve(), None)
    analysis = analyse_wish(text, registry, LintConfig())
    found = gate_findings(analysis, wish, registry, LintConfig())
    return [(f.code, f.severity, f.message) for f in found], len(analysis.findings)


def test_a_court_shortfall_is_one_error_per_score_naming_every_live_call(tmp_path: Path) -> None:
    found, before = heard(tmp_path, one_invariant(WISH_TEXT))
    court = [item for item in found if item[0] == "court-threshold"]
    assert court and all(severity is Severity.ERROR for _, severity, _ in court)
    assert all(
        message.endswith("The Court gate refuses a live plan or live apply of this wish.")
        for _, _, message in court
    )
    assert len(found) == before  # raised in place, none added


def test_the_rule_alone_is_a_warning_and_a_passing_wish_is_unchanged(tmp_path: Path) -> None:
    found, before = heard(tmp_path, WISH_TEXT)
    assert len(found) == before
    assert not any(severity is Severity.ERROR for _, severity, _ in found)


def test_conduits_wishcraft_never_calls_are_not_heard(tmp_path: Path) -> None:
    """Without Wishcraft's own conduits in `tools`, a shortfall stays the rule's warning."""
    text = one_invariant(WISH_TEXT)
    for conduit in ("openai.codex.v2025.plan", "openai.codex.v2025.apply"):
        text = text.replace(f'  - "{conduit}"\n', "")
    found, _ = heard(tmp_path, text)
    court = [item for item in found if item[0] == "court-threshold"]
    assert court and all(severity is Severity.WARNING for _, severity, _ in court)


def test_a_wish_that_does_not_validate_is_left_as_it_is(tmp_path: Path) -> None:
    found, before = heard(tmp_path, WISH_TEXT.replace("tier: meso", "tier: mesa"))
    assert len(found) == before
    assert not any(code.startswith("gate-") for code, _, _ in found)
