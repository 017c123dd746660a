"""The plan side document: a wish's plan rendered as Markdown (a pure function).

It shows what a reviewer needs beside the wish: the title and objective, the steps with their
acceptance checks, the invariants to respect, the rollback, and an audit table (conduit, mode,
model, tokens, prompt hash, request id, rate limits). While the plan streams, the steps that
have arrived are shown under a "writing…" banner.
"""

from __future__ import annotations

from datetime import datetime

from wishcraft.conduit.usage import RateLimitSnapshot, TokenUsage
from wishcraft.model import ExecMode, Wish
from wishcraft.plan.artifact import PlanArtifact, PlanStatus, PlanStep


def _cell(text: str) -> str:
    """Text safe inside a Markdown table cell."""
    return text.replace("|", "\\|").replace("\n", " ")


def _tokens(usage: TokenUsage | None) -> str:
    if usage is None:
        return "—"
    return (
        f"{usage.total:,} (input {usage.input:,}, cached {usage.cached:,}; output "
        f"{usage.output:,}, reasoning {usage.reasoning:,})"
    )


def _limits(limits: RateLimitSnapshot | None) -> str:
    if limits is None:
        return "—"
    parts = []
    for name, window in (("primary", limits.primary), ("secondary", limits.secondary)):
        if window is None:
            continue
        text = f"{name} {window.used_percent:g}% used"
        if window.window_minutes:
            text += f" of {window.window_minutes} min"
        if window.resets_at:
            text += f", resets {window.resets_at.strftime('%Y-%m-%d %H:%M UTC')}"
        parts.append(text)
    if limits.credits_balance is not None:
        parts.append(f"credits {limits.credits_balance}")
    return "; ".join(parts) or "—"


def _time(moment: datetime | None) -> str:
    return moment.strftime("%Y-%m-%d %H:%M:%S UTC") if moment else "—"


def render_plan(
    wish: Wish,
    artifact: PlanArtifact,
    *,
    streaming: bool = False,
    steps: list[PlanStep] | None = None,
) -> str:
    """Render the plan document; `steps` overrides the artifact's while streaming."""
    shown = steps if steps is not None else artifact.steps
    lines = [f"# Plan: {wish.title}", "", f"> {wish.objective}", ""]
    if artifact.mode is ExecMode.SHADOW_RUN:
        lines += [
            "**Shadow run**: planned offline from the wish's own fields; no model was "
            "called. Log in with `codex login` for a Codex plan.",
            "",
        ]
    if streaming:
        lines += [
            f"_Writing the plan… {len(shown)} step{'s' if len(shown) != 1 else ''} so far._",
            "",
        ]
    elif artifact.status is not PlanStatus.COMPLETE:
        lines += [
            f"**{artifact.status.value.capitalize()}**: "
            f"{artifact.status_reason or 'the plan did not finish'}.",
            "",
        ]
    lines += ["## Steps", ""]
    if not shown:
        lines.append("_No steps yet._" if streaming else "_No steps._")
    for number, step in enumerate(shown, start=1):
        lines.append(f"{number}. **{step.title}**" + (f": {step.detail}" if step.detail else ""))
        if step.acceptance:
            lines.append(f"   - Acceptance: {step.acceptance}")
    lines.append("")
    if artifact.notes and not streaming:
        lines += ["## Notes", "", *[f"- {note}" for note in artifact.notes], ""]
    for heading, items in (("Invariants to respect", wish.invariants), ("Rollback", wish.rollback)):
        lines += [f"## {heading}", "", *([f"- {item}" for item in items] or ["_None stated._"]), ""]
    rows = [
        ("conduit", f"`{artifact.conduit}`"),
        ("mode", artifact.mode.value),
        ("status", "streaming" if streaming else artifact.status.value),
        ("model", artifact.model or "—"),
        ("tokens", _tokens(artifact.usage)),
        ("prompt hash", f"`{artifact.prompt_hash}`" if artifact.prompt_hash else "—"),
        ("response id", artifact.response_id or "—"),
        ("request id", artifact.request_id or "—"),
        ("cf-ray", artifact.cf_ray or "—"),
        ("rate limits", _limits(artifact.rate_limits)),
        ("started", _time(artifact.started_at)),
        ("finished", "—" if streaming else _time(artifact.finished_at)),
    ]
    lines += [
        "## Audit",
        "",
        "| field | value |",
        "|---|---|",
        *[f"| {name} | {_cell(value)} |" for name, value in rows],
        "",
    ]
    return "\n".join(lines)
