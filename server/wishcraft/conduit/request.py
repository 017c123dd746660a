"""The request Codex 0.171.0 sends to the Responses endpoint, built from a wish (pure functions).

As measured from the real Codex CLI (`codex exec`) over HTTP (0.169.0 and 0.171.0 send the
same shape):
- no top-level `instructions`: the model's own instructions from the catalog are the first
  developer item of `input`; our planner text is a second developer item; the wish is the
  user message; every item has an id;
- `reasoning` and `text.verbosity` follow the catalog's entry for the model (`choice.py`);
  a strict JSON output schema in `text.format` brings the plan back structured, as
  `codex exec --output-schema` asks for it;
- headers `session-id`, `thread-id` and `x-client-request-id` carry one UUIDv7, which is also
  `prompt_cache_key`; `x-codex-window-id` is `<id>:0`; no `OpenAI-Beta`, `conversation_id` or
  `session_id` any more; `version`, the User-Agent and `originator` name the Codex version
  we present (`version.py`);
- a model whose catalog entry has `use_responses_lite: true` (the default of Codex's bundled
  catalogs since 0.169.0) gets the lite shape: no top-level `tools`; the tools in a first input
  item `{"type": "additional_tools", "id": "at_<uuidv7>", "role": "developer", "tools": [...]}`
  whose tools sit in namespaces (`functions` first, description ""); the header
  `x-openai-internal-codex-responses-lite: true` just before `x-codex-routing-hint`; and
  `reasoning.context: "all_turns"`. Measured with the fewest tools Codex can be configured to
  offer (three), it still sends the item first, so a plan, which offers none, sends it too, with
  an empty `tools` list: the lite request always starts with its tools item;
- `x-codex-turn-state`: the value an answer handed back, sent on every later request of the
  same turn (`TurnState`), never on a new turn.
"""

from __future__ import annotations

import hashlib
import json
import os
import platform
import re
import time
import uuid
from dataclasses import dataclass, field
from typing import Any

from wishcraft.conduit.auth import CodexAuth
from wishcraft.conduit.choice import ModelChoice
from wishcraft.conduit.config import ConduitConfig
from wishcraft.model import Wish

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

DEVELOPER_MESSAGE = (
    "Produce an execution plan as JSON for the wish below: "
    '{"steps": [{"title", "detail", "acceptance"}], "notes": [...]}.'
)


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
    """sha256 (hex) of what we ask: our planner text and the prompt.

    The model's own instructions are left out on purpose: they change with the catalog, and
    the same wish should keep the same hash on the ledger whichever model plans it."""
    return hashlib.sha256((instructions + "\n\n" + prompt).encode("utf-8")).hexdigest()


def wish_prompt_hash(wish: Wish, wish_text: str, wish_name: str) -> str:
    """The prompt hash of a wish: the same for live and editor plans of the same text."""
    return prompt_hash(PLANNER_INSTRUCTIONS, build_prompt(wish, wish_text, wish_name))


@dataclass(frozen=True, slots=True)
class TurnIds:
    """The ids of one planning turn. Codex's `exec` uses one UUIDv7 as session, thread,
    request and cache key; the window is the session's first (`<id>:0`). A lite request's
    tools item keeps one id (`at_<uuidv7>`) across the turn."""

    session_id: str
    turn_id: str
    tools_item_id: str = field(default_factory=lambda: f"at_{new_session_id()}")

    @property
    def window_id(self) -> str:
        """`<session id>:0`."""
        return f"{self.session_id}:0"

    @classmethod
    def new(cls) -> TurnIds:
        """Fresh ids for a new turn."""
        return cls(new_session_id(), new_session_id())


_INSTRUCTIONS_NAMESPACE = uuid.UUID("6f6b1d53-3d5e-4c2a-9a55-1b0f8f1c1e0a")


def message_item(role: str, text: str, item_id: str | None = None) -> dict[str, Any]:
    """An input `message` item with one `input_text` part and an id, as Codex sends them."""
    return {
        "type": "message",
        "id": item_id or f"msg_{new_session_id()}",
        "role": role,
        "content": [{"type": "input_text", "text": text}],
    }


def instructions_items(choice: ModelChoice) -> list[dict[str, Any]]:
    """The model's own instructions as the first developer item (none when unknown).

    As Codex: the instructions item's id is derived from its text (a UUIDv5), the others are
    time-ordered (UUIDv7); for a lite model it is time-ordered too (measured, 0.171.0)."""
    if not choice.instructions:
        return []
    item_id = (
        None if choice.lite else f"msg_{uuid.uuid5(_INSTRUCTIONS_NAMESPACE, choice.instructions)}"
    )
    return [message_item("developer", choice.instructions, item_id)]


def build_input(
    wish: Wish, wish_text: str, wish_name: str, choice: ModelChoice
) -> list[dict[str, Any]]:
    """The input items: the model's instructions, our planner text, then the wish."""
    items = instructions_items(choice)
    items.append(message_item("developer", PLANNER_INSTRUCTIONS + "\n" + DEVELOPER_MESSAGE))
    items.append(message_item("user", build_prompt(wish, wish_text, wish_name)))
    return items


def reasoning_param(choice: ModelChoice) -> dict[str, Any] | None:
    """`reasoning` as Codex sends it for the model: the effort and the summary it has, and
    `context: "all_turns"` for a lite model."""
    if choice.effort is None and choice.summary is None:
        return None
    reasoning: dict[str, Any] = {}
    if choice.effort is not None:
        reasoning["effort"] = choice.effort
    if choice.summary is not None:
        reasoning["summary"] = choice.summary
    if choice.lite:
        reasoning["context"] = "all_turns"
    return reasoning


def additional_tools_item(ids: TurnIds, tools: list[dict[str, Any]]) -> dict[str, Any]:
    """The lite request's first input item: the tools, in Codex's `functions` namespace
    (none for a plan: an empty list, see the module docstring)."""
    namespaces = (
        [{"type": "namespace", "name": "functions", "description": "", "tools": tools}]
        if tools
        else []
    )
    return {
        "type": "additional_tools",
        "id": ids.tools_item_id,
        "role": "developer",
        "tools": namespaces,
    }


def responses_body(
    choice: ModelChoice,
    ids: TurnIds,
    items: list[dict[str, Any]],
    *,
    tools: list[dict[str, Any]],
    text: dict[str, Any],
    parallel_tool_calls: bool = False,
) -> dict[str, Any]:
    """A `POST /responses` body with Codex's key order, for any input and tools (the lite
    shape for a lite model: the tools go in a first `additional_tools` item).

    `store` is false, as Codex sends it: nothing is kept on the server, so a conversation
    resends its whole history, and `reasoning.encrypted_content` is asked for (whenever
    reasoning is) so the model's reasoning can travel back with it."""
    reasoning = reasoning_param(choice)
    body: dict[str, Any] = {"model": choice.slug, "stream": True}
    if choice.lite:
        body["input"] = [additional_tools_item(ids, tools), *items]
    else:
        body["input"] = items
        body["tools"] = tools
    return body | {
        "tool_choice": "auto",
        "parallel_tool_calls": parallel_tool_calls,
        "reasoning": reasoning,
        "store": False,
        "include": ["reasoning.encrypted_content"] if reasoning is not None else [],
        "prompt_cache_key": ids.session_id,
        "text": text,
        "client_metadata": {
            "session_id": ids.session_id,
            "turn_id": ids.turn_id,
            "x-codex-window-id": ids.window_id,
            "thread_id": ids.session_id,
        },
    }


def text_param(choice: ModelChoice) -> dict[str, Any]:
    """`text`: the model's verbosity when it supports one."""
    return {"verbosity": choice.verbosity} if choice.verbosity is not None else {}


def build_body(
    wish: Wish, wish_text: str, wish_name: str, choice: ModelChoice, ids: TurnIds
) -> tuple[dict[str, Any], str]:
    """The JSON body of `POST /responses` with Codex's key order, and the prompt hash."""
    text = text_param(choice)
    text["format"] = {
        "type": "json_schema",
        "strict": True,
        "name": "codex_output_schema",
        "schema": PLAN_SCHEMA,
    }
    body = responses_body(
        choice, ids, build_input(wish, wish_text, wish_name, choice), tools=[], text=text
    )
    return body, wish_prompt_hash(wish, wish_text, wish_name)


def _os_description() -> str:
    """`Debian 12.0.0`, `Ubuntu 24.4.0`, `Mac OS 14.5.0`: the OS as Codex names it."""
    system = platform.system()
    if system == "Darwin":
        return f"Mac OS {_three_parts(platform.mac_ver()[0] or platform.release())}"
    if system == "Linux":
        try:
            release = platform.freedesktop_os_release()
        except OSError:
            release = {}
        name = release.get("NAME", "").replace(" GNU/Linux", "").replace(" Linux", "")
        if release.get("ID") == "arch":
            name = "Arch Linux"
        if name:
            return f"{name} {_three_parts(release.get('VERSION_ID', ''))}".strip()
    return f"{system} {_three_parts(platform.release())}".strip()


def _three_parts(version: str) -> str:
    """`12` → `12.0.0`, `24.04` → `24.4.0`; anything else as it is."""
    parts = version.split(".")
    if version and all(part.isdigit() for part in parts) and len(parts) <= 3:
        return ".".join(str(int(part)) for part in parts + ["0"] * (3 - len(parts)))
    return version


def _terminal() -> str:
    """The terminal as Codex's User-Agent names it: `TERM_PROGRAM[/version]`, else `TERM`."""
    program = os.environ.get("TERM_PROGRAM")
    if program:
        version = os.environ.get("TERM_PROGRAM_VERSION")
        value = f"{program}/{version}" if version else program
    else:
        value = os.environ.get("TERM") or "unknown"
    return re.sub(r"[^A-Za-z0-9._/+-]", "_", value)[:64] or "unknown"


def user_agent(config: ConduitConfig, version: str) -> str:
    """`codex_exec/0.169.0 (Debian 12.0.0; x86_64) xterm (codex_exec; 0.169.0)`."""
    origin = config.originator
    return (
        f"{origin}/{version} ({_os_description()}; {platform.machine()}) {_terminal()} "
        f"({origin}; {version})"
    )


def base_headers(auth: CodexAuth | None, config: ConduitConfig, version: str) -> dict[str, str]:
    """The headers of every Codex call: login, account, version, originator, User-Agent."""
    headers = {
        "version": version,
        "originator": config.originator,
        "user-agent": user_agent(config, version),
    }
    if auth is not None:
        headers["authorization"] = f"Bearer {auth.access_token}"
        if auth.account_id and not auth.is_api_key:
            headers["chatgpt-account-id"] = auth.account_id
    return headers


LITE_HEADER = "x-openai-internal-codex-responses-lite"
TURN_STATE_HEADER = "x-codex-turn-state"


def build_headers(
    auth: CodexAuth,
    config: ConduitConfig,
    *,
    version: str,
    ids: TurnIds,
    model: str,
    lite: bool = False,
    turn_state: str | None = None,
) -> dict[str, str]:
    """Every header Codex sends with `POST /responses`: the lite header for a lite model,
    and the turn state an earlier answer of the same turn handed back."""
    headers = {
        **base_headers(auth, config, version),
        "session-id": ids.session_id,
        "thread-id": ids.session_id,
        "x-client-request-id": ids.session_id,
        "x-codex-window-id": ids.window_id,
    }
    if turn_state is not None:
        headers[TURN_STATE_HEADER] = turn_state
    if lite:
        headers[LITE_HEADER] = "true"
    headers["x-codex-routing-hint"] = f"model={model}"
    headers["accept"] = "text/event-stream"
    headers["content-type"] = "application/json"
    return headers


def new_session_id() -> str:
    """A UUIDv7 (time-ordered), as Codex uses for sessions and threads."""
    millis = int(time.time() * 1000)
    rand = int.from_bytes(os.urandom(10), "big")
    value = (
        (millis << 80)
        | (0x7 << 76)
        | ((rand >> 68) & 0xFFF) << 64
        | (0b10 << 62)
        | (rand & ((1 << 62) - 1))
    )
    return str(uuid.UUID(int=value))


def body_size(body: dict[str, Any]) -> int:
    """The encoded size of a body, for logs."""
    return len(json.dumps(body).encode("utf-8"))
