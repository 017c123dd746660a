"""The exact request Codex sends to the Responses endpoint, built from a wish (pure functions).

Headers and body follow `codex-wire.md`: the current Codex headers plus the ones older Codex
and the seed system send (`OpenAI-Beta`, `conversation_id`); per model family, `reasoning`
only for reasoning models, `text.verbosity` only where the model accepts it, and a strict JSON
output schema in `text.format` so the plan comes back structured.
"""

from __future__ import annotations

import hashlib
import json
import platform
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..model import Wish
from .auth import CodexAuth
from .config import ConduitConfig


@dataclass(frozen=True, slots=True)
class ModelFamily:
    """What one model slug accepts (from Codex's bundled model catalog)."""

    prefix: str
    efforts: tuple[str, ...]
    verbosity: bool
    default_verbosity: str | None
    summary: str | None
    reasoning: bool = True


_ALL = ("low", "medium", "high", "xhigh")
MODEL_FAMILIES = (
    ModelFamily("gpt-5.4", _ALL, True, "low", None),
    ModelFamily("gpt-5.3-codex", _ALL, True, "low", None),
    ModelFamily("gpt-5.2-codex", _ALL, False, None, "auto"),
    ModelFamily("gpt-5.2", _ALL, True, "low", "auto"),
    ModelFamily("gpt-5.1-codex-max", _ALL, False, None, "auto"),
    ModelFamily("gpt-5.1-codex-mini", ("medium", "high"), False, None, "auto"),
    ModelFamily("gpt-5.1-codex", ("low", "medium", "high"), False, None, "auto"),
    ModelFamily("gpt-5.1", ("low", "medium", "high"), True, "low", "auto"),
    ModelFamily("gpt-5-codex-mini", ("medium", "high"), False, None, "auto"),
    ModelFamily("gpt-5-codex", ("low", "medium", "high"), False, None, "auto"),
    ModelFamily("gpt-5", ("minimal", "low", "medium", "high"), True, None, "auto"),
)
UNKNOWN_FAMILY = ModelFamily("", (), False, None, None, reasoning=False)


def model_family(slug: str) -> ModelFamily:
    """The family of a model slug: the longest matching prefix, else no reasoning/verbosity."""
    matches = [family for family in MODEL_FAMILIES if slug.startswith(family.prefix)]
    return max(matches, key=lambda family: len(family.prefix)) if matches else UNKNOWN_FAMILY


PLAN_SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {
        "steps": {
            "type": "array",
            "items": {
                "type": "object",
                "properties": {
                    "title": {"type": "string"},
                    "detail": {"type": "string"},
                    "acceptance": {"type": "string"},
                },
                "required": ["title", "detail", "acceptance"],
                "additionalProperties": False,
            },
        },
        "notes": {"type": "array", "items": {"type": "string"}},
    },
    "required": ["steps", "notes"],
    "additionalProperties": False,
}

PLANNER_INSTRUCTIONS = """\
You are the planning conduit of Wishcraft. You turn a wish (a YAML file with a title, an
objective, a scope, invariants, a budget, tools, draft plan steps, safety tests and rollback
steps) into an execution plan that a careful engineer can follow.

Rules:
- Produce at most 7 steps. Each step is concrete: a short imperative title, the detail of how
  to do it, and an acceptance check that proves it is done (a metric and a bound where you can).
- Respect every invariant; never propose a step that would break one.
- Stay inside the scope and the budget; use only the tools the wish names.
- Keep the draft plan's intent, but merge, split or reorder its steps where that makes the plan
  safer or clearer.
- Put assumptions, risks and open questions in `notes`.
- Never print secrets, tokens or credentials.
"""

DEVELOPER_MESSAGE = ("Produce an execution plan as JSON for the wish below: "
                     '{"steps": [{"title", "detail", "acceptance"}], "notes": [...]}.')


def build_prompt(wish: Wish, wish_text: str, wish_name: str) -> str:
    """The user message: the repository context upstream sends, then the wish itself."""
    lines = [
        f"Wish file: {wish_name}",
        f"Title: {wish.title}",
        f"Objective: {wish.objective}",
        f"Scope: region {wish.scope.region}, {wish.scope.duration_days} day(s)",
        "Invariants:",
        *[f"- {invariant}" for invariant in wish.invariants],
        "Allowed tools: " + (", ".join(wish.tools) or "none"),
        "",
        "Give a numbered plan with concrete steps and acceptance checks.",
        "",
        f"{wish_name}:",
        wish_text.rstrip("\n"),
    ]
    return "\n".join(lines)


def prompt_hash(instructions: str, prompt: str) -> str:
    """sha256 (hex) of what the model is asked: the instructions and the prompt."""
    return hashlib.sha256((instructions + "\n\n" + prompt).encode("utf-8")).hexdigest()


def load_instructions(config: ConduitConfig) -> tuple[str, bool]:
    """The base instructions, and whether they are a configured (official) prompt file.

    With a configured file (Codex's official prompt for the model), our planner text moves to
    a developer message, the workaround for backends that validate `instructions`.
    """
    if config.instructions_file is None:
        return PLANNER_INSTRUCTIONS, False
    path = Path(config.instructions_file)
    try:
        return path.read_text(encoding="utf-8"), True
    except OSError as exc:
        from .errors import ConduitConfigError

        raise ConduitConfigError(f"Cannot read model_instructions_file {path} "
                                 f"({exc.strerror}); fix the path or remove the setting.") from None


def build_body(wish: Wish, wish_text: str, wish_name: str, config: ConduitConfig, *,
               session_id: str) -> tuple[dict[str, Any], str]:
    """The JSON body of `POST /responses`, and the prompt hash."""
    instructions, official = load_instructions(config)
    prompt = build_prompt(wish, wish_text, wish_name)
    developer = DEVELOPER_MESSAGE if not official else PLANNER_INSTRUCTIONS + "\n" + \
        DEVELOPER_MESSAGE
    family = model_family(config.model)
    body: dict[str, Any] = {
        "model": config.model,
        "instructions": instructions,
        "input": [
            {"type": "message", "role": "developer",
             "content": [{"type": "input_text", "text": developer}]},
            {"type": "message", "role": "user",
             "content": [{"type": "input_text", "text": prompt}]},
        ],
        "tools": [],
        "tool_choice": "auto",
        "parallel_tool_calls": False,
        "reasoning": None,
        "store": False,
        "stream": True,
        "include": [],
        "prompt_cache_key": session_id,
    }
    if family.reasoning:
        effort = config.reasoning_effort or "medium"
        if family.efforts and effort not in family.efforts and effort != "none":
            effort = "medium" if "medium" in family.efforts else family.efforts[0]
        reasoning: dict[str, Any] = {"effort": effort}
        summary = config.reasoning_summary or family.summary
        if summary and summary != "none":
            reasoning["summary"] = summary
        body["reasoning"] = reasoning
        body["include"] = ["reasoning.encrypted_content"]
    text: dict[str, Any] = {"format": {"type": "json_schema", "strict": True,
                                       "name": "codex_output_schema", "schema": PLAN_SCHEMA}}
    verbosity = config.verbosity or family.default_verbosity
    if family.verbosity and verbosity:
        text["verbosity"] = verbosity
    body["text"] = text
    return body, prompt_hash(instructions, prompt)


def user_agent(config: ConduitConfig) -> str:
    """`codex_cli_rs/0.124.0 (Linux 6.1; x86_64) unknown`, as Codex writes it."""
    system = {"Darwin": "Mac OS"}.get(platform.system(), platform.system())
    return (f"{config.originator}/{config.client_version} ({system} {platform.release()}; "
            f"{platform.machine()}) unknown")


def build_headers(auth: CodexAuth, config: ConduitConfig, *, session_id: str) -> dict[str, str]:
    """Every header Codex sends with `POST /responses` (and the seed system's extras)."""
    headers = {
        "Authorization": f"Bearer {auth.access_token}",
        "originator": config.originator,
        "User-Agent": user_agent(config),
        "version": config.client_version,
        "Accept": "text/event-stream",
        "Content-Type": "application/json",
        "session_id": session_id,
        "x-client-request-id": session_id,
        "conversation_id": session_id,
        "OpenAI-Beta": "responses=experimental",
    }
    if auth.account_id:
        headers["ChatGPT-Account-ID"] = auth.account_id
    return headers


def new_session_id() -> str:
    """A UUID v7-like id (time-ordered), as Codex uses for conversations."""
    import os
    import time

    millis = int(time.time() * 1000)
    rand = int.from_bytes(os.urandom(10), "big")
    value = (millis << 80) | (0x7 << 76) | ((rand >> 68) & 0xFFF) << 64 | (0b10 << 62) | \
        (rand & ((1 << 62) - 1))
    return str(uuid.UUID(int=value))


def body_size(body: dict[str, Any]) -> int:
    """The encoded size of a body, for logs."""
    return len(json.dumps(body).encode("utf-8"))
