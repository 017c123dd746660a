"""The model's answer → plan steps: the JSON the output schema asks for, or numbered text.

The JSON shape is `{"steps": [{"title", "detail", "acceptance"}], "notes": [...]}`. When the
answer is not that JSON (a backend without structured output, a cut stream), numbered lines
become steps, with "Acceptance:"/"Check:" tails split off, as upstream splits lines.
"""

from __future__ import annotations

import re

from wishcraft.conduit.sse import loads
from wishcraft.plan.artifact import PlanStep

_NUMBERED = re.compile(r"^\s*(?:\d+[.)]|[-*•])\s+(.*\S)\s*$")
_ACCEPTANCE = re.compile(
    r"\s*(?:[—–-]\s*)?\(?(?:acceptance(?: check)?|check|verify)\s*:\s*", re.IGNORECASE
)
_TITLE_FIELD = re.compile(r'"title"\s*:\s*"')


def parse_plan_text(text: str) -> tuple[list[PlanStep], list[str]]:
    """Read steps and notes from the model's answer."""
    stripped = text.strip()
    if stripped.startswith("```"):
        stripped = stripped.strip("`").removeprefix("json").strip()
    data = loads(stripped)
    if isinstance(data, dict) and isinstance(data.get("steps"), list):
        steps = []
        for item in data["steps"]:
            if isinstance(item, dict) and isinstance(item.get("title"), str):
                steps.append(
                    PlanStep(
                        title=item["title"].strip(),
                        detail=str(item.get("detail") or "").strip(),
                        acceptance=str(item.get("acceptance") or "").strip(),
                    )
                )
            elif isinstance(item, str) and item.strip():
                steps.append(PlanStep(title=item.strip()))
        notes = [str(note).strip() for note in data.get("notes") or [] if str(note).strip()]
        return steps, notes
    return _steps_from_lines(text), []


def _steps_from_lines(text: str) -> list[PlanStep]:
    lines = [line for line in text.splitlines() if line.strip()]
    numbered = [match.group(1) for line in lines if (match := _NUMBERED.match(line))]
    steps = []
    for line in numbered or [line.strip() for line in lines]:
        parts = _ACCEPTANCE.split(line, maxsplit=1)
        title = parts[0].strip().rstrip("(").strip()
        acceptance = parts[1].strip().rstrip(")") if len(parts) > 1 else ""
        if title:
            steps.append(PlanStep(title=title, acceptance=acceptance))
    return steps


def partial_steps(partial: str) -> list[PlanStep]:
    """The steps already complete in a partly streamed answer (JSON or numbered text).

    For JSON, every `{...}` object inside the `steps` array that has closed is parsed; the one
    still streaming is left out. Numbered text gives every line but a possibly cut last one.
    """
    stripped = partial.lstrip()
    if not stripped.startswith(("{", "```")):
        lines = partial.splitlines()
        if lines and not partial.endswith("\n"):
            lines = lines[:-1]
        return _steps_from_lines("\n".join(lines))
    start = partial.find("[", partial.find('"steps"'))
    if start == -1:
        return []
    steps: list[PlanStep] = []
    depth, in_string, escaped, begin = 0, False, False, -1
    for index in range(start + 1, len(partial)):
        char = partial[index]
        if in_string:
            if escaped:
                escaped = False
            elif char == "\\":
                escaped = True
            elif char == '"':
                in_string = False
        elif char == '"':
            in_string = True
        elif char == "{":
            depth += 1
            if depth == 1:
                begin = index
        elif char == "}":
            depth -= 1
            if depth == 0 and begin >= 0:
                item = loads(partial[begin : index + 1])
                if isinstance(item, dict) and isinstance(item.get("title"), str):
                    steps.append(
                        PlanStep(
                            title=item["title"],
                            detail=str(item.get("detail") or ""),
                            acceptance=str(item.get("acceptance") or ""),
                        )
                    )
        elif char == "]" and depth == 0:
            break
    return steps


def count_steps_so_far(partial: str) -> int:
    """How many steps a partly streamed answer holds (for progress reports)."""
    if partial.lstrip().startswith(("{", "```")):
        return len(_TITLE_FIELD.findall(partial))
    return sum(1 for line in partial.splitlines() if _NUMBERED.match(line))


def step_lines(steps: list[PlanStep]) -> list[str]:
    """Steps as upstream's `plan_steps` strings: the title, then the acceptance check."""
    return [
        f"{step.title} (acceptance: {step.acceptance})" if step.acceptance else step.title
        for step in steps
    ]
