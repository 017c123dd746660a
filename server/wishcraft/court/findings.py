"""Lint that predicts the gates: the court's hearing of a wish's live calls, as lint findings.

`wishcraft lint --gates` and the editor (setting `wishcraft.diagnostics.gates`, on by default)
hear each call Wishcraft itself would make for a wish, exactly as `wishcraft plan --live` and
`wishcraft apply` hear it before calling anything: the planning conduit's `plan` when the wish
names it in `tools`, the apply conduit's `apply` when it names that one. The hearing is the
court's own (`plan.court.hear`, `apply.court.hear_apply`, both over `gates.evaluate`), in
commit mode (a live call), with the ledger only read (`probe_ledger=False`: nothing is made or
locked). No conduit is imported and nothing is sent.

Every gate that would refuse becomes an error that names it, so lint fails where the call
would: the Tier gate raises the `conduit-not-allowed` finding of that conduit to an error, the
Court gate raises every `court-threshold` finding, and the other gates add their own codes
(`gate-permissions`, `gate-scopes`, `gate-ledger`, `gate-limits`) on the conduit in `tools`.
Conduits Wishcraft never calls (the game's) are not heard: their findings stay as the rules say.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from wishcraft.court.plan import Hearing, hear
from wishcraft.findings import Finding, Severity, Span
from wishcraft.lint import Analysis, LintConfig
from wishcraft.model import Wish
from wishcraft.names import APPLY_CONDUIT_ID, PLANNING_CONDUIT_ID
from wishcraft.registry import Registry

GATE_CODES = {
    "Binding": "gate-binding",
    "Tier": "conduit-not-allowed",
    "Permissions": "gate-permissions",
    "Scopes": "gate-scopes",
    "Ledger": "gate-ledger",
    "Limits": "gate-limits",
    "Court": "court-threshold",
}
"""The finding code of each gate's refusal: the rule that already says it, else `gate-…`."""

RAISED = ("conduit-not-allowed", "court-threshold")
"""The rules whose findings a refusal raises to errors instead of adding one."""


def hearings(wish: Wish, wish_path: Path, registry: Registry, config: LintConfig) -> list[Hearing]:
    """The court's hearing of each live call Wishcraft would make for this wish."""
    found: list[Hearing] = []
    if PLANNING_CONDUIT_ID in wish.tools and registry.get(PLANNING_CONDUIT_ID) is not None:
        found.append(hear(wish, wish_path, "commit", registry, config, probe_ledger=False))
    if APPLY_CONDUIT_ID in wish.tools and registry.get(APPLY_CONDUIT_ID) is not None:
        from wishcraft.court.apply import find_place, hear_apply  # only for an apply wish

        found.append(
            hear_apply(
                wish,
                wish_path,
                find_place(wish_path),
                "commit",
                registry,
                config,
                probe_ledger=False,
            )
        )
    return found


def _a(action: str) -> str:
    return ("an " if action[0] in "aeiou" else "a ") + action


def gate_findings(
    analysis: Analysis, wish_path: Path, registry: Registry, config: LintConfig
) -> list[Finding]:
    """The analysis's findings with every gate refusal of its live calls as a named error.

    A wish that does not validate is returned as it is: its errors come first, and the gates
    read only a valid wish.
    """
    wish = analysis.wish
    if wish is None:
        return analysis.findings
    findings = list(analysis.findings)
    refused: dict[tuple[str, str], list[str]] = {}  # (gate, conduit) → the actions refused
    added: list[Finding] = []
    for hearing in hearings(wish, wish_path.resolve(), registry, config):
        for gate in hearing.verdict.gates:
            if gate.passed:
                continue
            code = GATE_CODES[gate.name]
            # The court's thresholds are the wish's, not a conduit's: one list for every call.
            owner = "" if code == "court-threshold" else hearing.conduit
            actions = refused.setdefault((gate.name, owner), [])
            actions.append(hearing.action)
            if code in RAISED and _raise(findings, code, gate.name, hearing, actions):
                continue
            added.append(
                Finding(
                    code,
                    Severity.ERROR,
                    f"A live {hearing.action} would be refused by the {gate.name} gate: "
                    f"{gate.reason}",
                    _tool_span(analysis, wish, hearing.conduit),
                    _tool_path(wish, hearing.conduit),
                    {"gate": gate.name, "action": hearing.action, "conduit": hearing.conduit},
                )
            )
    if not added and not refused:
        return findings
    findings.extend(added)
    findings.sort(key=lambda f: (f.span.start.line, f.span.start.column, int(f.severity), f.code))
    return findings


def _raise(
    findings: list[Finding], code: str, gate: str, hearing: Hearing, actions: list[str]
) -> bool:
    """Raise the rule's findings that this refusal enforces to errors naming the gate; False
    when there is none (the rule turned off in the config): the caller adds one."""
    raised = False
    for position, finding in enumerate(findings):
        if finding.code != code:
            continue
        if code == "conduit-not-allowed" and finding.data.get("conduit") != hearing.conduit:
            continue
        base = finding.data.get("ruleMessage", finding.message)
        calls = " or ".join(f"live {action}" for action in dict.fromkeys(actions))
        findings[position] = replace(
            finding,
            severity=Severity.ERROR,
            message=f"{base} The {gate} gate refuses {_a(calls)} of this wish.",
            data={**finding.data, "gate": gate, "ruleMessage": base},
        )
        raised = True
    return raised


def _tool_path(wish: Wish, conduit: str) -> tuple[str | int, ...]:
    return ("tools", wish.tools.index(conduit)) if conduit in wish.tools else ("tools",)


def _tool_span(analysis: Analysis, wish: Wish, conduit: str) -> Span:
    index = analysis.index
    path = _tool_path(wish, conduit)
    return index.value_span(path) or index.nearest_span(path) or Span.at(0, 0, 0, 0)
