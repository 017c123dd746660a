"""Compare our requests with the real Codex CLI's, field by field (pure functions, plus a CLI).

`scripts/codex-parity.sh` records both clients against one loopback server and runs
`python -m testkit.parity requests.jsonl`: it prints a table (field, codex, ours, verdict) and
exits 1 on any difference that is not in `ALLOWED`. The unit tests run the same comparison on
a saved capture of Codex 0.169.0 (`tests/fixtures/codex/`), so the comparer is itself tested.

A request here is a dict: `method`, `path`, `query` (name → list of values), `headers` (a list
of `[name, value]` pairs as they arrived) and `body` (decoded JSON, or None).

What is compared is the shape the backend can see, not values that differ on every run: ids
become `<uuidv7>`, tokens `<jwt>`, the OS in the User-Agent `<os>`. Values that must be equal
to each other in one request (session-id, thread-id, x-client-request-id, prompt_cache_key and
the window id's prefix) get their own rows.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

ABSENT = "(absent)"
LITE_PREFIX = "lite: "

# Each entry: a row's field and why a difference there is fine. Keep it short and honest.
ALLOWED: dict[str, str] = {
    "header content-encoding": (
        "Codex zstd-compresses its body; compression is optional for a client"
    ),
    "header accept-encoding": (
        "Codex offers zstd,gzip for the answer (since 0.171.0), httpx gzip, deflate (zstd "
        "would need another library); the backend may compress the event stream with either"
    ),
    "header x-codex-turn-metadata": (
        "Codex-internal turn telemetry (sandbox, agent name, installation id)"
    ),
    "header x-codex-beta-features": (
        "Codex-internal feature flags of the agent (e.g. remote compaction)"
    ),
    "tools declared": (
        "Codex declares its agent tools (shell, patch, ...); a planner declares none"
    ),
    "additional_tools namespaces": (
        "a lite request's tools item: Codex fills its `functions` namespace with its agent "
        "tools; a planner offers none, and still sends the item first, as Codex always does"
    ),
    "parallel_tool_calls": (
        "Codex follows the catalog's supports_parallel_tool_calls; with no tools declared "
        "there is nothing to call in parallel"
    ),
    "input item count": (
        "Codex adds agent context (skills and permissions as developer text, the environment "
        "as user text); the order of roles is checked separately"
    ),
    "input item metadata passthrough": (
        "Codex's internal_chat_message_metadata_passthrough: its own bookkeeping per item "
        "(turn id, time, which kind of context each part is)"
    ),
    "client_metadata extra keys": (
        "Codex-internal telemetry keys (turn metadata, installation id, attribution)"
    ),
    "models header user-agent": (
        "Codex sends /models with and without the `(codex_exec; V)` suffix (both seen in one "
        "run); ours always adds it"
    ),
}

TRANSPORT_HEADERS = {"host", "content-length", "connection", "transfer-encoding"}
"""Set by the HTTP library, not by the client's logic."""

CODEX_ONLY_METADATA = {
    "x-codex-turn-metadata",
    "root_turn_id",
    "guardian_credits_requested",
    "x-codex-installation-id",
    "mcp_attribution",
}
"""client_metadata keys that only an agent has (checked as one allowed row)."""

_UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-([0-9a-f])[0-9a-f]{3}-[0-9a-f]{4}-[0-9a-f]{12}")
_HEX32 = re.compile(r"(?<![0-9a-f])[0-9a-f]{32}(?![0-9a-f])")
_JWT = re.compile(r"[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+")
_USER_AGENT = re.compile(
    r"^(?P<head>[^/ ]+/\S+) \((?P<os>.+); (?P<arch>[^;)]+)\) "
    r"(?P<terminal>\S+)(?P<suffix> \(.*\))?$"
)


@dataclass(frozen=True)
class Row:
    """One compared field: both sides as shown, and the verdict."""

    field: str
    codex: str
    ours: str
    verdict: str  # "same", "allowed" or "DIFF"
    reason: str = ""


def shape(text: str) -> str:
    """A value with its run-specific parts replaced: ids, tokens."""
    text = _JWT.sub("<jwt>", text) if text.startswith("Bearer ") else text
    text = _UUID.sub(lambda match: f"<uuidv{match.group(1)}>", text)
    return _HEX32.sub("<hex32>", text)


def user_agent_shape(value: str) -> str:
    """`codex_exec/0.169.0 (<os>; <arch>) <terminal> (codex_exec; 0.169.0)`: the parts that do
    not depend on the machine kept, the OS, architecture and terminal named."""
    match = _USER_AGENT.match(value)
    if match is None:
        return f"unparsed: {value}"
    return f"{match['head']} (<os>; <arch>) <terminal>{match['suffix'] or ''}"


def header_shape(name: str, value: str | None) -> str:
    """What of a header's value is compared."""
    if value is None:
        return ABSENT
    if name == "user-agent":
        return user_agent_shape(value)
    if name == "x-codex-turn-metadata":
        try:
            return f"<json, {len(json.loads(value))} keys>"
        except ValueError:
            return "<not json>"
    return shape(value)


def headers_of(request: dict[str, Any]) -> dict[str, str]:
    """Headers by lower-case name (the last one wins), transport headers left out."""
    return {
        name.lower(): value
        for name, value in request.get("headers", [])
        if name.lower() not in TRANSPORT_HEADERS
    }


def _show(value: Any) -> str:
    if value is _MISSING:
        return ABSENT
    if isinstance(value, str):
        return shape(value)
    return shape(json.dumps(value, sort_keys=False))


_MISSING = object()


def _row(field: str, codex: str, ours: str) -> Row:
    if codex == ours:
        return Row(field, codex, ours, "same")
    reason = (
        ALLOWED.get(field)
        or ALLOWED.get(field.removeprefix("models "))
        or ALLOWED.get(field.removeprefix(LITE_PREFIX))
    )
    if reason:
        return Row(field, codex, ours, "allowed", reason)
    return Row(field, codex, ours, "DIFF")


def _ids_agree(request: dict[str, Any]) -> str:
    """Whether session-id, thread-id, x-client-request-id, prompt_cache_key, the window id's
    prefix and client_metadata's session and thread ids are one id."""
    headers = headers_of(request)
    body = request.get("body") or {}
    metadata = body.get("client_metadata") or {}
    window = headers.get("x-codex-window-id", "")
    values = {
        "session-id": headers.get("session-id"),
        "thread-id": headers.get("thread-id"),
        "x-client-request-id": headers.get("x-client-request-id"),
        "prompt_cache_key": body.get("prompt_cache_key"),
        "x-codex-window-id prefix": window.rsplit(":", 1)[0] if ":" in window else None,
        "client_metadata.session_id": metadata.get("session_id"),
        "client_metadata.thread_id": metadata.get("thread_id"),
    }
    first = values["session-id"]
    differing = sorted(name for name, value in values.items() if value != first or not value)
    return "one id" if not differing else "differ: " + ", ".join(differing)


def _items(body: dict[str, Any]) -> list[dict[str, Any]]:
    items = body.get("input")
    return [item for item in items if isinstance(item, dict)] if isinstance(items, list) else []


TOOLS_ITEM = "additional_tools"


def _messages(items: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The items after a lite request's leading tools item (all of them otherwise)."""
    return items[1:] if items and items[0].get("type") == TOOLS_ITEM else items


def _tools_item(items: list[dict[str, Any]]) -> str:
    """A lite request's first item: its keys, id shape and role (the tools apart)."""
    if not items or items[0].get("type") != TOOLS_ITEM:
        return ABSENT
    item = items[0]
    return (
        f"first; keys {', '.join(item)}; id {shape(str(item.get('id')))}; role {item.get('role')}"
    )


def _namespaces(items: list[dict[str, Any]]) -> str:
    if not items or items[0].get("type") != TOOLS_ITEM:
        return ABSENT
    tools = items[0].get("tools")
    spaces = (
        [
            f"{tool.get('name')} ({', '.join(key for key in tool if key != 'tools')})"
            for tool in tools
            if isinstance(tool, dict) and tool.get("type") == "namespace"
        ]
        if isinstance(tools, list)
        else []
    )
    return "; ".join(spaces) or "(none)"


def _declared(body: dict[str, Any]) -> list[Any] | None:
    """Every tool a request offers: top-level `tools`, or those in a lite tools item."""
    tools = body.get("tools")
    if isinstance(tools, list):
        return tools
    items = _items(body)
    if items and items[0].get("type") == TOOLS_ITEM and isinstance(items[0].get("tools"), list):
        return [
            tool
            for space in items[0]["tools"]
            if isinstance(space, dict)
            for tool in (space.get("tools") or [])
        ]
    return None


def _role_runs(items: list[dict[str, Any]]) -> str:
    """The roles in order with repeats folded: `developer, user`."""
    runs: list[str] = []
    for item in items:
        label = str(item.get("role") or item.get("type"))
        if not runs or runs[-1] != label:
            runs.append(label)
    return ", ".join(runs)


def _first_item(items: list[dict[str, Any]]) -> str:
    if not items:
        return ABSENT
    item = items[0]
    parts = [part.get("type") for part in item.get("content") or [] if isinstance(part, dict)]
    return f"{item.get('type')}/{item.get('role')} [{', '.join(map(str, parts))}]"


def instructions_of(model: dict[str, Any]) -> tuple[str | None, str | None]:
    """A catalog entry's instructions: the template as it is, and with `{{ personality }}`
    filled from `instructions_variables.personality_default` (else None)."""
    messages = model.get("model_messages") or {}
    template = messages.get("instructions_template")
    if isinstance(template, str):
        variables = messages.get("instructions_variables") or {}
        personality = variables.get("personality_default") if isinstance(variables, dict) else None
        filled = (
            template.replace("{{ personality }}", personality)
            if isinstance(personality, str)
            else None
        )
        return template, filled
    base = model.get("base_instructions")
    return (base, None) if isinstance(base, str) else (None, None)


def _first_text(items: list[dict[str, Any]], catalog: dict[str, Any] | None, slug: str) -> str:
    """How the first item's text relates to the catalog's instructions for `slug`."""
    if not items:
        return ABSENT
    parts = [part.get("text") for part in items[0].get("content") or [] if isinstance(part, dict)]
    text = "".join(part for part in parts if isinstance(part, str))
    entry = next(
        (
            model
            for model in (catalog or {}).get("models", [])
            if isinstance(model, dict) and model.get("slug") == slug
        ),
        None,
    )
    if entry is None:
        return f"{len(text)} chars; {slug!r} not in the catalog"
    template, filled = instructions_of(entry)
    if text == template:
        return "catalog template, verbatim"
    if filled is not None and text == filled:
        return "catalog template, {{ personality }} filled"
    return f"not the catalog's instructions ({len(text)} chars)"


def _id_shapes(items: list[dict[str, Any]]) -> str:
    shapes = sorted({shape(str(item.get("id", ABSENT))) for item in items})
    return ", ".join(shapes)


PASSTHROUGH = "internal_chat_message_metadata_passthrough"


def _item_keys(items: list[dict[str, Any]]) -> str:
    return " | ".join(
        sorted({", ".join(key for key in item if key != PASSTHROUGH) for item in items})
    )


def _passthrough(items: list[dict[str, Any]]) -> str:
    keys = sorted(
        {
            key
            for item in items
            if isinstance(item.get(PASSTHROUGH), dict)
            for key in item[PASSTHROUGH]
        }
    )
    count = sum(PASSTHROUGH in item for item in items)
    return f"on {count} items: {', '.join(keys) or 'null'}" if count else ABSENT


def _metadata_keys(body: dict[str, Any], *, extra: bool) -> str:
    metadata = body.get("client_metadata")
    if not isinstance(metadata, dict):
        return ABSENT
    keys = sorted(key for key in metadata if (key in CODEX_ONLY_METADATA) == extra)
    return ", ".join(keys) or "(none)"


def _metadata_shape(body: dict[str, Any], key: str) -> str:
    metadata = body.get("client_metadata")
    if not isinstance(metadata, dict) or key not in metadata:
        return ABSENT
    return shape(str(metadata[key]))


def _tools(body: dict[str, Any]) -> str:
    tools = _declared(body)
    if tools is None:
        return ABSENT if "tools" not in body else "not a list"
    return f"{len(tools)} tools"


def _text(body: dict[str, Any], key: str) -> str:
    text = body.get("text")
    if not isinstance(text, dict):
        return ABSENT
    value = text.get(key, _MISSING)
    if key == "format" and isinstance(value, dict):
        schema = value.get("schema")
        rest = {name: value[name] for name in sorted(value) if name != "schema"}
        return json.dumps(rest) + (f" + schema sha {_digest(schema)}" if schema else "")
    return _show(value)


def _digest(value: Any) -> str:
    import hashlib

    return hashlib.sha256(json.dumps(value, sort_keys=True).encode()).hexdigest()[:12]


def compare_responses(
    codex: dict[str, Any], ours: dict[str, Any], catalog: dict[str, Any] | None = None
) -> list[Row]:
    """Rows for the two `POST /responses` requests (`catalog`: the `/models` answer served)."""
    rows: list[Row] = []
    codex_headers, our_headers = headers_of(codex), headers_of(ours)
    codex_body: dict[str, Any] = codex.get("body") or {}
    our_body: dict[str, Any] = ours.get("body") or {}

    def body_row(field: str, get: Callable[[dict[str, Any]], str]) -> None:
        rows.append(_row(field, get(codex_body), get(our_body)))

    body_row("model", lambda body: _show(body.get("model", _MISSING)))
    rows.append(
        _row(
            "header version",
            header_shape("version", codex_headers.get("version")),
            header_shape("version", our_headers.get("version")),
        )
    )
    names = sorted(set(codex_headers) | set(our_headers))
    header_rows = [
        _row(
            f"header {name}",
            header_shape(name, codex_headers.get(name)),
            header_shape(name, our_headers.get(name)),
        )
        for name in names
        if name != "version"
    ]
    only_codex = sorted(set(codex_headers) - set(our_headers))
    only_ours = sorted(set(our_headers) - set(codex_headers))
    listed = (
        ", ".join(
            [f"codex only: {name}" for name in only_codex]
            + [f"ours only: {name}" for name in only_ours]
        )
        or "same set"
    )
    name_rows = [
        row
        for row in header_rows
        if row.field[len("header ") :] in set(only_codex) | set(only_ours)
    ]
    summary = (
        "same"
        if listed == "same set"
        else "allowed"
        if all(row.verdict == "allowed" for row in name_rows)
        else "DIFF"
    )
    rows.append(
        Row(
            "header names",
            f"{len(codex_headers)} names",
            f"{len(our_headers)} names",
            summary,
            "" if summary == "same" else listed,
        )
    )
    rows += header_rows
    rows.append(
        _row(
            "one id: session/thread/request/cache key/window/metadata",
            _ids_agree(codex),
            _ids_agree(ours),
        )
    )
    body_row("body key order", lambda body: ", ".join(body))
    body_row("top-level instructions", lambda body: "present" if "instructions" in body else ABSENT)
    codex_items, our_items = _items(codex_body), _items(our_body)
    rows.append(_row("input roles in order", _role_runs(codex_items), _role_runs(our_items)))
    rows.append(
        _row(
            "input item types",
            ", ".join(sorted({str(item.get("type")) for item in codex_items})),
            ", ".join(sorted({str(item.get("type")) for item in our_items})),
        )
    )
    rows.append(_row("input item count", str(len(codex_items)), str(len(our_items))))
    rows.append(_row("additional_tools item", _tools_item(codex_items), _tools_item(our_items)))
    rows.append(
        _row("additional_tools namespaces", _namespaces(codex_items), _namespaces(our_items))
    )
    codex_messages, our_messages = _messages(codex_items), _messages(our_items)
    rows.append(_row("first input item", _first_item(codex_messages), _first_item(our_messages)))
    rows.append(
        _row(
            "first item text",
            _first_text(codex_messages, catalog, str(codex_body.get("model"))),
            _first_text(our_messages, catalog, str(our_body.get("model"))),
        )
    )
    rows.append(_row("input item ids", _id_shapes(codex_items), _id_shapes(our_items)))
    rows.append(_row("input item keys", _item_keys(codex_items), _item_keys(our_items)))
    rows.append(
        _row("input item metadata passthrough", _passthrough(codex_items), _passthrough(our_items))
    )
    body_row(
        "tools",
        lambda body: (
            "a list"
            if isinstance(body.get("tools"), list)
            else (ABSENT if "tools" not in body else "not a list")
        ),
    )
    body_row("tools declared", _tools)
    for key in (
        "tool_choice",
        "parallel_tool_calls",
        "reasoning",
        "store",
        "stream",
        "include",
        "prompt_cache_key",
    ):
        rows.append(
            _row(key, _show(codex_body.get(key, _MISSING)), _show(our_body.get(key, _MISSING)))
        )
    body_row(
        "text keys",
        lambda body: ", ".join(body["text"]) if isinstance(body.get("text"), dict) else ABSENT,
    )
    body_row("text.verbosity", lambda body: _text(body, "verbosity"))
    body_row("text.format", lambda body: _text(body, "format"))
    body_row("client_metadata keys", lambda body: _metadata_keys(body, extra=False))
    body_row("client_metadata extra keys", lambda body: _metadata_keys(body, extra=True))
    for key in ("turn_id", "x-codex-window-id"):
        rows.append(
            _row(
                f"client_metadata {key}",
                _metadata_shape(codex_body, key),
                _metadata_shape(our_body, key),
            )
        )
    return rows


def compare_models(codex: dict[str, Any], ours: dict[str, Any]) -> list[Row]:
    """Rows for the two `GET /models` requests."""
    rows = [
        _row("models path", codex.get("path", ABSENT), ours.get("path", ABSENT)),
        _row("models query", json.dumps(codex.get("query")), json.dumps(ours.get("query"))),
    ]
    codex_headers, our_headers = headers_of(codex), headers_of(ours)
    for name in sorted(set(codex_headers) | set(our_headers)):
        rows.append(
            _row(
                f"models header {name}",
                header_shape(name, codex_headers.get(name)),
                header_shape(name, our_headers.get(name)),
            )
        )
    return rows


def find(
    records: Iterable[dict[str, Any]], phase: str, method: str, suffix: str
) -> dict[str, Any] | None:
    """The first request of `phase` with `method` whose path ends with `suffix`."""
    for record in records:
        if (
            record.get("phase") == phase
            and record.get("method") == method
            and str(record.get("path", "")).endswith(suffix)
        ):
            return record
    return None


def compare_recording(records: list[dict[str, Any]], catalog: dict[str, Any] | None) -> list[Row]:
    """Every row for a recording of both clients (phases "codex" and "ours")."""
    rows: list[Row] = []
    for label, method, suffix in (
        ("POST /responses", "POST", "/responses"),
        ("GET /models", "GET", "/models"),
    ):
        codex, ours = find(records, "codex", method, suffix), find(records, "ours", method, suffix)
        if codex is None or ours is None:
            rows.append(
                Row(
                    f"{label} recorded",
                    "yes" if codex else "no",
                    "yes" if ours else "no",
                    "DIFF",
                    "a client did not send it",
                )
            )
        elif method == "POST":
            rows += compare_responses(codex, ours, catalog)
        else:
            rows += compare_models(codex, ours)
    if any(record.get("phase") == CACHED_PHASE for record in records):
        rows.append(cache_row(records))
    if any(record.get("phase") in LITE_PHASES for record in records):
        rows += lite_rows(records, catalog)
    if any(record.get("phase") in TURN_PHASES for record in records):
        rows += turn_rows(records)
    rows += retry_rows(records)
    return rows


LITE_PHASES = ("codex-lite", "ours-lite")
"""Both clients asked for the catalog's `use_responses_lite` model (a second request)."""
TURN_PHASES = ("codex-turn", "ours-turn")
"""A turn whose first answer calls a tool and sets `x-codex-turn-state`."""
RETRY_MARK = "-retry:"
"""`codex-retry:CASE` and `ours-retry:CASE`: the scripted retry table."""


def posts(records: Iterable[dict[str, Any]], phase: str) -> list[dict[str, Any]]:
    """The `POST /responses` requests of one phase, in order."""
    return [
        record
        for record in records
        if record.get("phase") == phase
        and record.get("method") == "POST"
        and str(record.get("path", "")).endswith("/responses")
    ]


def lite_rows(records: list[dict[str, Any]], catalog: dict[str, Any] | None) -> list[Row]:
    """Every row of the lite request, each field named `lite: …`."""
    codex, ours = (find(records, phase, "POST", "/responses") for phase in LITE_PHASES)
    if codex is None or ours is None:
        return [
            Row(
                f"{LITE_PREFIX}POST /responses recorded",
                "yes" if codex else "no",
                "yes" if ours else "no",
                "DIFF",
                "a client did not send it",
            )
        ]
    return [
        replace(row, field=LITE_PREFIX + row.field)
        for row in compare_responses(codex, ours, catalog)
    ]


def turn_rows(records: list[dict[str, Any]]) -> list[Row]:
    """The turn state on the first request of the turn (none) and on the follow-up (the value
    the first answer set), and that there was a follow-up."""
    rows = []
    sent = {phase: posts(records, phase) for phase in TURN_PHASES}
    for label, index in (("first request", 0), ("follow-up request", 1)):
        values = []
        for phase in TURN_PHASES:
            requests = sent[phase]
            values.append(
                header_shape("x", headers_of(requests[index]).get("x-codex-turn-state"))
                if len(requests) > index
                else "(no such request)"
            )
        rows.append(_row(f"turn: x-codex-turn-state on the {label}", *values))
    return rows


def retry_rows(records: list[dict[str, Any]]) -> list[Row]:
    """For each scripted retry case, how many `POST /responses` each client made."""
    cases: list[str] = []
    for record in records:
        phase = str(record.get("phase", ""))
        if phase.startswith("codex" + RETRY_MARK):
            case = phase.split(RETRY_MARK, 1)[1]
            if case not in cases:
                cases.append(case)

    def requests(count: int) -> str:
        return f"{count} request" if count == 1 else f"{count} requests"

    return [
        _row(
            f"retries: {case}",
            requests(len(posts(records, "codex" + RETRY_MARK + case))),
            requests(len(posts(records, "ours" + RETRY_MARK + case))),
        )
        for case in cases
    ]


def moved_rows(fixture: dict[str, Any], records: list[dict[str, Any]]) -> list[Row]:
    """What Codex itself changed since the pinned capture: its requests then (the `codex`
    column) against its requests now (the `ours` column), rows that differ only."""
    post, models = (
        find(records, "codex", "POST", "/responses"),
        find(records, "codex", "GET", "/models"),
    )
    rows: list[Row] = []
    if post is not None:
        rows += compare_responses(fixture["responses_request"], post)
    if models is not None:
        rows += compare_models(fixture["models_request"], models)
    return [row for row in rows if row.codex != row.ours]


CACHED_PHASE = "ours-after-codex"
"""The script's third run: ours again, once Codex has written `models_cache.json`."""


def cache_row(records: list[dict[str, Any]]) -> Row:
    """Ours, run after Codex wrote a fresh models_cache.json, must read it: no `GET /models`,
    and the model Codex chose."""
    codex = find(records, "codex", "POST", "/responses")
    ours = find(records, CACHED_PHASE, "POST", "/responses")
    fetches = sum(
        1
        for record in records
        if record.get("phase") == CACHED_PHASE
        and record.get("method") == "GET"
        and str(record.get("path", "")).endswith("/models")
    )
    codex_model = (codex or {}).get("body", {}).get("model") if codex else None
    our_model = (ours or {}).get("body", {}).get("model") if ours else None
    good = ours is not None and fetches == 0 and our_model == codex_model
    return Row(
        "ours after Codex wrote models_cache.json",
        f"model {codex_model}",
        f"{fetches} GET /models; model {our_model}",
        "same" if good else "DIFF",
        "" if good else "ours must read the fresh cache and choose the same model",
    )


def failed(rows: Iterable[Row]) -> list[Row]:
    """The rows that fail the comparison."""
    return [row for row in rows if row.verdict == "DIFF"]


def table(rows: list[Row], width: int = 60) -> str:
    """The rows as a plain-text table (long cells cut to `width`)."""

    def cut(text: str) -> str:
        return text if len(text) <= width else text[: width - 1] + "…"

    header = ("field", "codex", "ours", "verdict")
    cells = [header] + [
        (
            row.field,
            cut(row.codex),
            cut(row.ours),
            row.verdict + (f": {row.reason}" if row.reason else ""),
        )
        for row in rows
    ]
    widths = [max(len(cell[i]) for cell in cells) for i in range(3)]
    lines = [" | ".join([*(cell[i].ljust(widths[i]) for i in range(3)), cell[3]]) for cell in cells]
    lines.insert(1, "-+-".join("-" * w for w in widths) + "-+--------")
    return "\n".join(lines)


def plan_schema() -> dict[str, Any]:
    """The plan's JSON schema, the one ours sends; Codex gets it as `--output-schema`."""
    from wishcraft.conduit.request import PLAN_SCHEMA

    return PLAN_SCHEMA


REDACTED_TOKEN = "Bearer redacted-fake.access-token.fake-signature"


def redact(record: dict[str, Any]) -> dict[str, Any]:
    """A recorded Codex request fit to keep in the repository.

    The (fake) token is replaced; Codex's own texts (its developer context, tool descriptions
    and schemas, the environment with local paths) are cut to their length, so no Codex prompt
    text is kept. The first item (the catalog's instructions, our stand-in text) and the last
    (our prompt) are kept: the comparison reads them.
    """
    out: dict[str, Any] = json.loads(json.dumps(record))
    out["headers"] = [
        [name, REDACTED_TOKEN if name.lower() == "authorization" else value]
        for name, value in out.get("headers", [])
    ]
    body = out.get("body")
    if isinstance(body, dict):
        items = _items(body)
        for item in items[1:-1]:
            for part in item.get("content") or []:
                if isinstance(part, dict) and isinstance(part.get("text"), str):
                    part["text"] = f"<Codex text left out: {len(part['text'])} chars>"
        if isinstance(body.get("tools"), list):
            body["tools"] = [
                {
                    "type": tool.get("type"),
                    "name": tool.get("name"),
                    "left_out": "description and parameters",
                }
                for tool in body["tools"]
                if isinstance(tool, dict)
            ]
    return out


def save_fixture(records: list[dict[str, Any]], path: Path, codex_version: str) -> None:
    """Keep Codex's `POST /responses` and `GET /models` of a recording, redacted."""
    post = find(records, "codex", "POST", "/responses")
    models = find(records, "codex", "GET", "/models")
    if post is None or models is None:
        raise SystemExit("parity: the recording has no Codex request to keep")
    data = {
        "about": f"Requests of the real Codex CLI {codex_version} (`codex exec --output-schema`) "
        "to the parity recorder with testkit.catalog's catalog; fake login; redacted "
        "by testkit.parity.redact (Codex's own texts cut to their length).",
        "codex_version": codex_version,
        "responses_request": redact(post),
        "models_request": redact(models),
    }
    path.write_text(json.dumps(data, indent=1) + "\n", encoding="utf-8")


def load_records(path: Path) -> list[dict[str, Any]]:
    """The recorder's JSON lines."""
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line]


def main(argv: list[str] | None = None) -> int:
    """Print the table for a recording; 1 when a difference is not allowed."""
    parser = argparse.ArgumentParser(description="Compare Codex's requests with ours.")
    parser.add_argument("recording", type=Path)
    parser.add_argument("--codex-version", default="?")
    parser.add_argument(
        "--moved-from",
        type=Path,
        default=None,
        help="a saved capture of the pinned Codex: also say what moved in Codex's requests",
    )
    parser.add_argument(
        "--save-fixture",
        type=Path,
        default=None,
        help="also keep Codex's requests, redacted, in this file",
    )
    args = parser.parse_args(argv)
    from testkit.catalog import catalog

    records = load_records(args.recording)
    if args.save_fixture is not None:
        save_fixture(records, args.save_fixture, args.codex_version)
    rows = compare_recording(records, catalog())
    print(table(rows))
    bad = failed(rows)
    allowed = [row for row in rows if row.verdict == "allowed"]
    print(
        f"\nparity with Codex {args.codex_version}: {len(rows)} fields, "
        f"{len(rows) - len(bad) - len(allowed)} same, {len(allowed)} allowed, {len(bad)} DIFF"
    )
    for row in bad:
        print(f"  DIFF {row.field}: codex {row.codex!r}, ours {row.ours!r}")
    if args.moved_from is not None:
        fixture = json.loads(args.moved_from.read_text(encoding="utf-8"))
        moved = moved_rows(fixture, records)
        print(
            f"\nwhat moved in Codex's own requests from {fixture.get('codex_version')} to "
            f"{args.codex_version}: {len(moved) or 'nothing'}"
        )
        for row in moved:
            print(f"  {row.field}: {row.codex!r} -> {row.ours!r}")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
