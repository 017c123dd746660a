"""The apply exchange: Codex reads the workspace through tools and proposes one patch.

A plan becomes a change in a conversation over the Responses API, as Codex holds one:

- the request carries the model's own instructions, our apply instructions, and the wish with
  its plan steps (`build_apply_input`, pure); it declares three tools (`declare_tools`, pure):
  `read_file(path)` and `list_files(glob)`, read-only strict functions, and `apply_patch`,
  declared as the catalog's `apply_patch_tool_type` says: `freeform` (the default, as every
  model of Codex 0.169.0's catalog) is a `custom` tool whose input must follow a Lark grammar,
  `function` a function with one string argument `input`;
- each answer is folded by the plan client (`CodexClient.send`: the same login recovery,
  retries, limits and errors), which also keeps its output items; every tool call among them
  is answered by `call_id` (`function_call_output` or `custom_tool_call_output`), with what the
  caller's callbacks return;
- `store` is false, so nothing lives on the server between requests: the next request
  resends the whole conversation, the model's output items replayed as Codex serializes them
  (without their server ids, which a `store: false` backend refuses as "not found"; the
  reasoning with its `encrypted_content`), followed by the answers to the calls;
- the first `apply_patch` that the caller stages is answered "staged for review" (it is never
  applied here); a later one is answered that a patch is already staged; a patch the caller
  refuses is answered with the reason, so the model may send a corrected one;
- the exchange ends when the model ends its turn without a tool call (`complete`), at a
  bound (`incomplete`: more than `MAX_TURNS` requests needed, more than `MAX_READ_BYTES` read
  through the tools, a stream cut short, or a cancellation), or on an error (`failed`, with
  the `ConduitError`).

The conduit stays a leaf: the workspace, the scope checks, the size caps and the patch library
live with the caller, injected as `ApplyTools` (the grammar text too). The caller owns the
`ApplyExchange` it passes in, so a cancelled task still has every field filled so far.
"""

from __future__ import annotations

import asyncio
import dataclasses
import hashlib
import json
import logging
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from wishcraft.conduit.choice import ModelChoice
from wishcraft.conduit.client import (
    CodexClient,
    PlanProgress,
    ProgressCallback,
    StreamState,
)
from wishcraft.conduit.errors import ConduitConfigError, ConduitError
from wishcraft.conduit.request import (
    TurnIds,
    instructions_items,
    message_item,
    responses_body,
    text_param,
)
from wishcraft.conduit.sse import loads
from wishcraft.conduit.usage import TokenUsage
from wishcraft.model import Wish
from wishcraft.redaction import protect_logger, redact

logger = protect_logger(logging.getLogger(__name__))

MAX_TURNS = 12
"""The most requests one exchange sends. A plan of at most 7 steps needs a few reads and one
patch; a model still calling tools after 12 answers is looping, not working."""
MAX_READ_BYTES = 2 * 1024 * 1024
"""The most bytes the read-only tools may hand the model in one exchange (2 MiB): every byte
read is resent with each later request (`store: false`), so this bounds the conversation too."""

PatchToolType = Literal["freeform", "function"]
Status = Literal["running", "complete", "incomplete", "failed"]

APPLY_INSTRUCTIONS = """\
You are the apply conduit of Wishcraft. A plan was made for a wish (a YAML file with a title,
an objective, a scope, invariants, a budget, tools, plan steps, safety tests and rollback
steps); you carry it out by changing files in the workspace.

Tools:
- `read_file(path)` and `list_files(glob)` show the workspace. Paths are relative to its root,
  with forward slashes. They are read-only and size-limited.
- `apply_patch` takes one patch in the apply_patch format (*** Begin Patch ... *** End Patch)
  holding the whole change: every file added, updated, moved or deleted.

Rules:
- Read a file before you update it; hunks must match the file as it is.
- Call `apply_patch` once, with the whole change. The patch is staged for the user's review,
  not applied; do not send a second one.
- Change only files under the paths the user message allows; never absolute paths, `..`, or
  anything under `.git/`.
- Respect every invariant of the wish; stay inside its scope.
- Never print secrets, tokens or credentials.
- When the patch is staged, end your turn with a short summary: the files and why.
"""

READ_FILE_DESCRIPTION = (
    "Read one text file of the workspace. `path` is relative to the "
    "workspace root. Large files are cut and binary files refused."
)
LIST_FILES_DESCRIPTION = (
    "List the workspace files whose paths match a glob, relative to "
    "the workspace root (`*` stays within a folder, `**` crosses "
    "folders)."
)
FREEFORM_PATCH_DESCRIPTION = (
    "Stage a change to the workspace as one patch in the apply_patch format. This is a "
    "FREEFORM tool: send the patch text itself, never wrapped in JSON. The patch is staged "
    "for review, not applied."
)
FUNCTION_PATCH_DESCRIPTION = """\
Stage a change to the workspace as one patch in the apply_patch format; it is staged for
review, not applied. The patch is one envelope:

*** Begin Patch
[one or more file operations]
*** End Patch

Each operation starts with a header:
*** Add File: <path>       a new file; every line that follows starts with +
*** Delete File: <path>    removes a file; nothing follows
*** Update File: <path>    changes a file in place, optionally followed by
*** Move to: <new path>    to rename it

An update holds hunks that start with @@ (optionally followed by a line to find, such as a
function header); their lines start with a space (context), - (removed) or + (added). Give
three lines of context around each change. Paths are relative, never absolute.
"""

STAGED_ANSWER = (
    "The patch is staged for review; it is not applied yet. Do not send another "
    "patch: end your turn with a short summary of the change."
)
ALREADY_STAGED_ANSWER = (
    "A patch is already staged for review; only one patch is staged per "
    "apply, so this one was ignored. End your turn with a short summary."
)


class ToolRefused(Exception):
    """Raised by a tool callback to refuse a call; the message is the model's answer.

    One sentence the model can act on: "path outside the scope: src/x.py", "no such file",
    "the patch's context does not match line 12 of a.py". The exchange goes on."""


ReadCallback = Callable[[str], Awaitable[str]]


@dataclass(frozen=True, slots=True)
class ApplyTools:
    """The caller's side of the tools; the conduit never touches the workspace itself.

    - `read_file(path)`: the file's text (the caller checks the workspace, the scope's paths,
      and caps the size), or `ToolRefused`;
    - `list_files(glob)`: the matching paths, one a line (capped), or `ToolRefused`;
    - `stage_patch(text)`: stage the patch without applying it and return a summary for the
      model (files, lines added and removed), or `ToolRefused` with the reason (malformed,
      outside the scope, context mismatch, …);
    - `patch_grammar`: the Lark grammar of the patch format, for the freeform tool.
    """

    read_file: ReadCallback
    list_files: ReadCallback
    stage_patch: ReadCallback
    patch_grammar: str


@dataclass(frozen=True, slots=True)
class ApplyRequest:
    """What the exchange starts from: the wish as it is now and its current plan."""

    wish: Wish
    wish_text: str
    wish_name: str
    plan_steps: Sequence[str]
    """The plan's steps in order, one line each (`title (acceptance: …)`)."""
    paths: Sequence[str] = ()
    """The globs of the files the change may touch (the conduit's scope); empty: any file of
    the workspace."""
    notes: Sequence[str] = ()
    """The plan's notes (assumptions, risks), passed on as they are."""


@dataclass(frozen=True, slots=True)
class ToolCall:
    """One tool call of an answer: `function_call` (`arguments`, JSON text) or
    `custom_tool_call` (`input`, free text)."""

    type: Literal["function_call", "custom_tool_call"]
    call_id: str
    name: str
    payload: str


@dataclass(frozen=True, slots=True)
class CallRecord:
    """What one call asked and how it was answered (for logs and the result; no content)."""

    turn: int
    name: str
    argument: str
    """The path, the glob, or `<patch of N bytes>`."""
    outcome: Literal["answered", "refused", "staged", "ignored"]
    bytes: int = 0


@dataclass(slots=True)
class ApplyExchange:
    """The exchange's state while it runs and its result when it ends; owned by the caller.

    `status`: `running` until it ends; `complete` when the model ended its turn; `incomplete`
    past a bound or when cancelled (`reason` says which); `failed` on an error (`reason` is
    the error's sentence, `error` the `ConduitError`)."""

    status: Status = "running"
    reason: str | None = None
    patch: str | None = None
    """The text of the staged patch, exactly as the model sent it; None when none was."""
    patch_summary: str | None = None
    """What `stage_patch` returned for it."""
    final_text: str = ""
    """The model's last message (its summary of the change)."""
    turns: int = 0
    bytes_read: int = 0
    model: str | None = None
    """The model that served the last answer (the requested one when none was reported)."""
    requested_model: str | None = None
    model_source: str | None = None
    effort: str | None = None
    client_version: str | None = None
    catalog_source: str | None = None
    auth_mode: str | None = None
    instructions_sent: bool | None = None
    patch_tool_type: PatchToolType | None = None
    usage: TokenUsage | None = None
    request_ids: list[str] = field(default_factory=list)
    response_ids: list[str] = field(default_factory=list)
    calls: list[CallRecord] = field(default_factory=list)
    prompt_hash: str | None = None
    notes: list[str] = field(default_factory=list)
    error: ConduitError | None = field(default=None, repr=False)
    stream: StreamState = field(default_factory=StreamState, repr=False)
    """The state of the request in flight (its text so far, its ids)."""

    @property
    def staged(self) -> bool:
        """Whether a patch is staged."""
        return self.patch is not None


# Pure parts -------------------------------------------------------------------------------


def patch_tool_type(choice: ModelChoice) -> PatchToolType:
    """The catalog's `apply_patch_tool_type` for the model; `freeform` when it says nothing
    (a model missing from the catalog, the built-in table) or something unknown."""
    kind = choice.info.apply_patch_tool_type if choice.info is not None else None
    return "function" if kind == "function" else "freeform"


def _function_tool(
    name: str, description: str, properties: dict[str, Any], *, strict: bool
) -> dict[str, Any]:
    return {
        "type": "function",
        "name": name,
        "description": description,
        "strict": strict,
        "parameters": {
            "type": "object",
            "properties": properties,
            "required": list(properties),
            "additionalProperties": False,
        },
    }


def declare_tools(kind: PatchToolType, grammar: str) -> list[dict[str, Any]]:
    """The `tools` of every request: the two read-only functions, then `apply_patch`.

    Shaped as Codex 0.169.0 and 0.171.0 declare their own (measured by scripts/codex-parity.sh):
    a function is `{type, name, description, strict, parameters}`; the freeform patch tool is
    `{type: custom, name, description, format: {type: grammar, syntax: lark, definition}}`;
    the function form of `apply_patch` is not strict, as Codex's is not. For a lite model the
    same list goes in the request's first `additional_tools` item, in the `functions`
    namespace (`request.responses_body`), where Codex 0.171.0 puts its own."""
    tools = [
        _function_tool(
            "read_file",
            READ_FILE_DESCRIPTION,
            {
                "path": {
                    "type": "string",
                    "description": "The file's path, relative to the workspace root.",
                }
            },
            strict=True,
        ),
        _function_tool(
            "list_files",
            LIST_FILES_DESCRIPTION,
            {"glob": {"type": "string", "description": "A glob such as `src/**/*.py`."}},
            strict=True,
        ),
    ]
    if kind == "function":
        tools.append(
            _function_tool(
                "apply_patch",
                FUNCTION_PATCH_DESCRIPTION,
                {
                    "input": {
                        "type": "string",
                        "description": "The whole patch, from *** Begin Patch to *** End Patch.",
                    }
                },
                strict=False,
            )
        )
    else:
        tools.append(
            {
                "type": "custom",
                "name": "apply_patch",
                "description": FREEFORM_PATCH_DESCRIPTION,
                "format": {"type": "grammar", "syntax": "lark", "definition": grammar},
            }
        )
    return tools


def build_apply_prompt(request: ApplyRequest) -> str:
    """The user message: the wish, the paths it may change, its plan, then the wish file."""
    wish = request.wish
    lines = [
        f"Wish file: {request.wish_name}",
        f"Title: {wish.title}",
        f"Objective: {wish.objective}",
        "Invariants:",
        *[f"- {invariant}" for invariant in wish.invariants],
        "Files you may change: "
        + (", ".join(request.paths) if request.paths else "any file of the workspace"),
        "",
        "The plan to carry out:",
        *[f"{number}. {step}" for number, step in enumerate(request.plan_steps, 1)],
    ]
    if request.notes:
        lines += ["", "Notes of the plan:", *[f"- {note}" for note in request.notes]]
    lines += [
        "",
        "Read what you need, then send the whole change as one apply_patch call.",
        "",
        f"{request.wish_name}:",
        request.wish_text.rstrip("\n"),
    ]
    return "\n".join(lines)


def apply_prompt_hash(request: ApplyRequest) -> str:
    """sha256 (hex) of what we ask: our apply instructions and the prompt (the model's own
    instructions left out, as for plans, so the hash does not move with the catalog)."""
    text = APPLY_INSTRUCTIONS + "\n\n" + build_apply_prompt(request)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def build_apply_input(request: ApplyRequest, choice: ModelChoice) -> list[dict[str, Any]]:
    """The first input: the model's instructions, our apply instructions, the wish."""
    return [
        *instructions_items(choice),
        message_item("developer", APPLY_INSTRUCTIONS),
        message_item("user", build_apply_prompt(request)),
    ]


def build_apply_body(
    choice: ModelChoice, ids: TurnIds, items: list[dict[str, Any]], tools: list[dict[str, Any]]
) -> dict[str, Any]:
    """One request of the exchange: the conversation so far and the tools (no output schema:
    the final answer is a free-text summary)."""
    return responses_body(choice, ids, items, tools=tools, text=text_param(choice))


def tool_calls(items: Sequence[dict[str, Any]]) -> list[ToolCall]:
    """The tool calls among an answer's output items, in order; malformed ones skipped."""
    calls = []
    for item in items:
        kind = item.get("type")
        call_id, name = item.get("call_id"), item.get("name")
        if (
            kind not in ("function_call", "custom_tool_call")
            or not isinstance(call_id, str)
            or not call_id
            or not isinstance(name, str)
        ):
            continue
        payload = item.get("arguments" if kind == "function_call" else "input")
        calls.append(ToolCall(kind, call_id, name, payload if isinstance(payload, str) else ""))
    return calls


def replay_item(item: dict[str, Any]) -> dict[str, Any] | None:
    """An output item as the next request resends it, serialized as Codex does: without the
    server's `id` (a `store: false` backend keeps no items, and refuses ids it cannot find),
    reasoning with its summary and `encrypted_content`, a message with its text parts."""
    kind = item.get("type")
    if kind == "reasoning":
        summary = item.get("summary")
        replay: dict[str, Any] = {
            "type": "reasoning",
            "summary": summary if isinstance(summary, list) else [],
        }
        content = item.get("content")
        if isinstance(content, list) and any(
            isinstance(part, dict) and part.get("type") == "reasoning_text" for part in content
        ):
            replay["content"] = content
        replay["encrypted_content"] = item.get("encrypted_content")
        return replay
    if kind == "message":
        parts = item.get("content")
        return {
            "type": "message",
            "role": item.get("role", "assistant"),
            "content": [
                {"type": part.get("type"), "text": part.get("text", "")}
                for part in (parts if isinstance(parts, list) else [])
                if isinstance(part, dict)
            ],
        }
    if kind == "function_call":
        return {
            "type": "function_call",
            "name": item.get("name"),
            "arguments": item.get("arguments", ""),
            "call_id": item.get("call_id"),
        }
    if kind == "custom_tool_call":
        replay = {"type": "custom_tool_call"}
        if isinstance(item.get("status"), str):
            replay["status"] = item["status"]
        replay.update(
            {
                "call_id": item.get("call_id"),
                "name": item.get("name"),
                "input": item.get("input", ""),
            }
        )
        return replay
    return None


def output_item(call: ToolCall, text: str) -> dict[str, Any]:
    """The answer to a call, by `call_id`, of the type that matches the call's."""
    kind = "function_call_output" if call.type == "function_call" else "custom_tool_call_output"
    return {"type": kind, "call_id": call.call_id, "output": text}


def _argument(call: ToolCall, key: str) -> str:
    """A function call's string argument; `ToolRefused` when it is missing or malformed."""
    arguments = loads(call.payload) if call.payload else None
    value = arguments.get(key) if isinstance(arguments, dict) else None
    if not isinstance(value, str):
        raise ToolRefused(f"error: {call.name} needs a JSON object with a string `{key}`.")
    return value


def _patch_text(call: ToolCall) -> str:
    """The patch of an `apply_patch` call, custom (the input itself) or function (`input`)."""
    return call.payload if call.type == "custom_tool_call" else _argument(call, "input")


def _add_usage(total: TokenUsage | None, more: TokenUsage | None) -> TokenUsage | None:
    if more is None:
        return total
    if total is None:
        return more.model_copy()
    return TokenUsage(
        input=total.input + more.input,
        cached=total.cached + more.cached,
        output=total.output + more.output,
        reasoning=total.reasoning + more.reasoning,
        total=total.total + more.total,
    )


def _size(count: int) -> str:
    return f"{count / (1024 * 1024):g} MiB" if count >= 1024 * 1024 else f"{count:,} bytes"


# The loop -----------------------------------------------------------------------------------


async def run_apply_exchange(
    client: CodexClient,
    request: ApplyRequest,
    tools: ApplyTools,
    state: ApplyExchange | None = None,
    on_progress: ProgressCallback | None = None,
    *,
    wish_id: str = "",
    max_turns: int = MAX_TURNS,
    max_read_bytes: int = MAX_READ_BYTES,
) -> ApplyExchange:
    """Run the exchange to its end and return `state` (a new one when none is given).

    Never raises a `ConduitError`: a failure is `status == "failed"` with the error kept. A
    callback's own exception (anything but `ToolRefused`) ends it `failed` and goes on.
    Cancelling the task closes the request in flight at once; `state` is then `incomplete`
    (`cancelled`) with everything received so far, and the `CancelledError` goes on."""
    state = state if state is not None else ApplyExchange()
    report = _progress(on_progress)
    state.prompt_hash = apply_prompt_hash(request)
    try:
        await _run(client, request, tools, state, report, wish_id, max_turns, max_read_bytes)
    except asyncio.CancelledError:
        _end(state, "incomplete", "cancelled")
        raise
    except ConduitError as error:
        logger.warning(
            "apply exchange %s failed: %s %s",
            wish_id or request.wish_name,
            error.detail or error,
            error.ids(),
        )
        state.error = error
        _end(state, "failed", _failure_sentence(error))
    except Exception:
        _end(
            state,
            "failed",
            "The apply exchange stopped on an internal error; the log has the details.",
        )
        raise
    return state


def _failure_sentence(error: ConduitError) -> str:
    """The error's sentence, worded for an apply where the plan client's speaks of a plan."""
    return str(error).replace("Codex could not plan:", "Codex could not make the change:", 1)


def _progress(on_progress: ProgressCallback | None) -> ProgressCallback:
    """The plan client's progress, worded for an apply (it writes a summary, not a plan)."""
    if on_progress is None:
        return lambda progress: None
    callback = on_progress

    def report(progress: PlanProgress) -> None:
        if progress.phase == "writing":
            progress = dataclasses.replace(progress, message="Codex is writing its summary")
        callback(progress)

    return report


def _end(state: ApplyExchange, status: Status, reason: str | None) -> None:
    if state.status == "running":
        state.status, state.reason = status, reason


async def _run(
    client: CodexClient,
    request: ApplyRequest,
    tools: ApplyTools,
    state: ApplyExchange,
    report: ProgressCallback,
    wish_id: str,
    max_turns: int,
    max_read_bytes: int,
) -> None:
    if client.config.wire_api == "chat":
        raise ConduitConfigError(
            "Applying a plan needs the Responses API (tools); remove "
            '`wire_api = "chat"` from the configuration.'
        )
    session = await client.open_session(state.stream, report)
    choice = session.choice
    opened = state.stream
    state.requested_model = state.model = choice.slug
    state.model_source, state.effort = opened.model_source, opened.effort
    state.client_version, state.catalog_source = opened.client_version, opened.catalog_source
    state.auth_mode, state.instructions_sent = opened.auth_mode, opened.instructions_sent
    state.notes = list(opened.notes)
    kind = patch_tool_type(choice)
    state.patch_tool_type = kind
    declared = declare_tools(kind, tools.patch_grammar)
    conversation = build_apply_input(request, choice)
    for turn in range(1, max_turns + 1):
        stream = StreamState()
        state.stream = stream
        state.turns = turn
        body = build_apply_body(choice, session.ids, conversation, declared)
        await client.send(session, body, stream, report, wish_id=wish_id, what="apply")
        _absorb(state, stream)
        if not stream.completed:
            _end(state, "incomplete", stream.incomplete_reason or "the answer was cut short")
            return
        calls = tool_calls(stream.output_items)
        if not calls:
            state.final_text = stream.text
            _end(state, "complete", None)
            return
        conversation += [item for item in map(replay_item, stream.output_items) if item is not None]
        for call in calls:
            text = await _answer(call, tools, state, report, turn)
            if state.bytes_read > max_read_bytes:
                _end(
                    state,
                    "incomplete",
                    f"Codex read more than {_size(max_read_bytes)} through the tools "
                    f"({_size(state.bytes_read)}); the exchange stopped there",
                )
                return
            conversation.append(output_item(call, text))
        state.final_text = stream.text
        _log_turn(state, wish_id)
    _end(
        state,
        "incomplete",
        f"Codex was still calling tools after {max_turns} turns; the exchange stopped there",
    )


def _absorb(state: ApplyExchange, stream: StreamState) -> None:
    """Fold one answer's ids, model and usage into the exchange."""
    state.model = stream.model or state.model
    if stream.request_id:
        state.request_ids.append(stream.request_id)
    if stream.response_id:
        state.response_ids.append(stream.response_id)
    state.usage = _add_usage(state.usage, stream.usage)


async def _answer(
    call: ToolCall, tools: ApplyTools, state: ApplyExchange, report: ProgressCallback, turn: int
) -> str:
    """Run one call through the caller's callbacks and return the model's answer."""
    try:
        if call.name == "read_file":
            path = _argument(call, "path")
            report(PlanProgress("thinking", f"Codex reads {path}"))
            return _count(state, turn, call.name, path, await tools.read_file(path))
        if call.name == "list_files":
            glob = _argument(call, "glob")
            report(PlanProgress("thinking", f"Codex lists {glob}"))
            return _count(state, turn, call.name, glob, await tools.list_files(glob))
        if call.name == "apply_patch":
            return await _stage(call, tools, state, report, turn)
        raise ToolRefused(
            f"error: there is no tool named {call.name!r}; the tools are "
            "read_file, list_files and apply_patch."
        )
    except ToolRefused as refusal:
        answer = redact(str(refusal)) or "error: the call was refused."
        state.calls.append(CallRecord(turn, call.name, _shown(call), "refused"))
        logger.info("apply tool %s refused: %s", call.name, answer)
        return answer


def _shown(call: ToolCall) -> str:
    if call.name == "apply_patch":
        return f"<patch of {len(call.payload.encode('utf-8')):,} bytes>"
    arguments = loads(call.payload) if call.payload else None
    if isinstance(arguments, dict):
        value = arguments.get("path", arguments.get("glob"))
        if isinstance(value, str):
            return redact(value[:200])
    return "<malformed arguments>"


def _count(state: ApplyExchange, turn: int, name: str, argument: str, text: str) -> str:
    size = len(text.encode("utf-8"))
    state.bytes_read += size
    state.calls.append(CallRecord(turn, name, redact(argument[:200]), "answered", size))
    return text


async def _stage(
    call: ToolCall, tools: ApplyTools, state: ApplyExchange, report: ProgressCallback, turn: int
) -> str:
    """Stage the first acceptable patch; answer any later one that a patch is staged."""
    if state.patch is not None:
        state.calls.append(CallRecord(turn, call.name, _shown(call), "ignored"))
        return ALREADY_STAGED_ANSWER
    patch = _patch_text(call)
    report(PlanProgress("thinking", "Staging Codex's patch for review"))
    summary = await tools.stage_patch(patch)
    state.patch, state.patch_summary = patch, summary
    state.calls.append(CallRecord(turn, call.name, _shown(call), "staged"))
    return f"{STAGED_ANSWER}\n\n{summary}" if summary else STAGED_ANSWER


def _log_turn(state: ApplyExchange, wish_id: str) -> None:
    record = {
        "wish": wish_id,
        "turn": state.turns,
        "model": state.model,
        "bytes_read": state.bytes_read,
        "staged": state.staged,
        "calls": [
            f"{call.name} {call.argument} {call.outcome}"
            for call in state.calls
            if call.turn == state.turns
        ],
    }
    logger.info("codex apply turn %s", json.dumps(record), extra={"wishcraft": record})


__all__ = [
    "ALREADY_STAGED_ANSWER",
    "APPLY_INSTRUCTIONS",
    "MAX_READ_BYTES",
    "MAX_TURNS",
    "STAGED_ANSWER",
    "ApplyExchange",
    "ApplyRequest",
    "ApplyTools",
    "CallRecord",
    "ToolCall",
    "ToolRefused",
    "apply_prompt_hash",
    "build_apply_input",
    "build_apply_prompt",
    "declare_tools",
    "output_item",
    "patch_tool_type",
    "replay_item",
    "run_apply_exchange",
    "tool_calls",
]
