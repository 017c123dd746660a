"""The parity comparer (testkit.parity) on a real capture of Codex 0.171.0, and ours against it.

The capture (tests/fixtures/codex/) is what `codex exec --output-schema` sent to the parity
recorder (scripts/codex-parity.sh), redacted. The comparer must pass Codex against itself,
pass each allowed difference with its reason, and fail every other difference; and the request
our client really sends (to the loopback server, same catalog) must match the capture.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs

import pytest

from testkit import parity
from testkit.catalog import catalog
from testkit.codex_home import write_codex_home
from testkit.loopback import LoopbackCodex, Recorded, sse, success_transcript
from testkit.samples import LIGHTHOUSE, LIGHTHOUSE_PATH, LIGHTHOUSE_TEXT

FIXTURE = Path(__file__).parents[1] / "fixtures" / "codex" / "codex-exec-0.171.0-request.json"
OTHER_ID = "01a22b54-ffff-7fff-bfff-ffffffffffff"


def capture() -> dict[str, Any]:
    """The saved Codex capture (a fresh copy)."""
    data: dict[str, Any] = json.loads(FIXTURE.read_text(encoding="utf-8"))
    return data


def post() -> dict[str, Any]:
    return copy.deepcopy(capture()["responses_request"])


def models() -> dict[str, Any]:
    return copy.deepcopy(capture()["models_request"])


def set_header(request: dict[str, Any], name: str, value: str | None) -> None:
    """Replace (or with None remove) a header, any case."""
    headers = [pair for pair in request["headers"] if pair[0].lower() != name.lower()]
    if value is not None:
        headers.append([name, value])
    request["headers"] = headers


def verdicts(rows: list[parity.Row]) -> dict[str, str]:
    return {row.field: row.verdict for row in rows}


def test_codex_against_itself_is_the_same_in_every_field() -> None:
    rows = parity.compare_responses(post(), post(), catalog())
    rows += parity.compare_models(models(), models())
    assert len(rows) > 40
    assert {row.verdict for row in rows} == {"same"}


def test_the_capture_is_what_the_comparison_expects_of_codex() -> None:
    """Facts of the capture the allow-list and the conduit rely on."""
    request = post()
    body = request["body"]
    headers = parity.headers_of(request)
    assert "instructions" not in body
    assert list(body)[:3] == ["model", "stream", "input"]
    assert body["input"][0]["role"] == "developer"
    template = catalog()["models"][1]["model_messages"]["instructions_template"]
    assert body["input"][0]["content"][0]["text"] == template
    assert (
        headers["session-id"]
        == headers["thread-id"]
        == headers["x-client-request-id"]
        == body["prompt_cache_key"]
    )
    assert headers["x-codex-window-id"] == headers["session-id"] + ":0"
    assert headers["version"] == "0.171.0"
    assert "openai-beta" not in headers
    assert models()["query"] == {"client_version": ["0.171.0"]}


def allowed_variant() -> dict[str, Any]:
    """Codex's request with every allowed difference applied (what a planner may send)."""
    request = post()
    for name in ("content-encoding", "x-codex-turn-metadata", "x-codex-beta-features"):
        set_header(request, name, None)
    set_header(request, "accept-encoding", "gzip, deflate")
    body = request["body"]
    body["tools"] = []
    body["parallel_tool_calls"] = False
    body["input"] = [body["input"][0], body["input"][-1]]
    for item in body["input"]:
        item.pop("internal_chat_message_metadata_passthrough", None)
    body["client_metadata"] = {
        key: value
        for key, value in body["client_metadata"].items()
        if key not in parity.CODEX_ONLY_METADATA
    }
    return request


def test_allowed_differences_pass_each_with_its_reason() -> None:
    rows = parity.compare_responses(post(), allowed_variant(), catalog())
    assert parity.failed(rows) == []
    allowed = {row.field: row.reason for row in rows if row.verdict == "allowed"}
    assert set(allowed) == {
        "header names",
        "header content-encoding",
        "header accept-encoding",
        "header x-codex-turn-metadata",
        "header x-codex-beta-features",
        "tools declared",
        "parallel_tool_calls",
        "input item count",
        "input item metadata passthrough",
        "client_metadata extra keys",
    }
    assert all(allowed.values())


Change = Callable[[dict[str, Any]], object]


def _body(change: Change) -> Change:
    return lambda request: change(request["body"])


def _reorder(body: dict[str, Any]) -> None:
    items = list(body.items())
    items[1], items[2] = items[2], items[1]
    body.clear()
    body.update(items)


def _first_text(body: dict[str, Any], text: str) -> None:
    body["input"][0]["content"][0]["text"] = text


def _underscore_session(request: dict[str, Any]) -> None:
    set_header(request, "session_id", parity.headers_of(request)["session-id"])
    set_header(request, "session-id", None)


MUTATIONS: dict[str, tuple[Change, set[str]]] = {
    "top-level instructions": (
        _body(lambda b: b.update(instructions="You are a planner.")),
        {"top-level instructions", "body key order"},
    ),
    "another model": (_body(lambda b: b.update(model="gpt-5")), {"model", "first item text"}),
    "an old version": (lambda r: set_header(r, "version", "0.124.0"), {"header version"}),
    "OpenAI-Beta sent": (
        lambda r: set_header(r, "OpenAI-Beta", "responses=experimental"),
        {"header openai-beta", "header names"},
    ),
    "session_id with an underscore": (
        _underscore_session,
        {
            "header session-id",
            "header session_id",
            "header names",
            "one id: session/thread/request/cache key/window/metadata",
        },
    ),
    "thread-id not the session id": (
        lambda r: set_header(r, "thread-id", OTHER_ID),
        {"one id: session/thread/request/cache key/window/metadata"},
    ),
    "window id without :0": (
        lambda r: set_header(r, "x-codex-window-id", parity.headers_of(r)["session-id"]),
        {"header x-codex-window-id", "one id: session/thread/request/cache key/window/metadata"},
    ),
    "body keys reordered": (_body(_reorder), {"body key order"}),
    "first item a user message": (
        _body(lambda b: b["input"][0].update(role="user")),
        {"first input item", "input roles in order"},
    ),
    "user before developer": (
        _body(lambda b: b["input"].insert(0, b["input"].pop())),
        {"first input item", "first item text", "input roles in order"},
    ),
    "first item text not the catalog's": (
        _body(lambda b: _first_text(b, "You are the planning conduit.")),
        {"first item text"},
    ),
    "template filled when Codex sends it as is": (
        _body(
            lambda b: _first_text(
                b,
                b["input"][0]["content"][0]["text"].replace(
                    "{{ personality }}", "You are pragmatic and precise."
                ),
            )
        ),
        {"first item text"},
    ),
    "an item of another type": (
        _body(
            lambda b: b["input"].insert(
                0, {"type": "additional_tools", "role": "developer", "id": "at_1", "tools": []}
            )
        ),
        {"input item types", "additional_tools item", "input item ids", "input item keys"},
    ),
    "item ids of another shape": (
        _body(lambda b: [item.update(id=f"item_{n}") for n, item in enumerate(b["input"])]),
        {"input item ids"},
    ),
    "another effort": (_body(lambda b: b["reasoning"].update(effort="high")), {"reasoning"}),
    "no summary": (_body(lambda b: b["reasoning"].pop("summary")), {"reasoning"}),
    "no output schema": (_body(lambda b: b["text"].pop("format")), {"text.format", "text keys"}),
    "no verbosity": (_body(lambda b: b["text"].pop("verbosity")), {"text.verbosity", "text keys"}),
    "stored": (_body(lambda b: b.update(store=True)), {"store"}),
    "not streamed": (_body(lambda b: b.update(stream=False)), {"stream"}),
    "nothing included": (_body(lambda b: b.update(include=[])), {"include"}),
    "tool_choice none": (_body(lambda b: b.update(tool_choice="none")), {"tool_choice"}),
    "no tools key": (_body(lambda b: b.pop("tools")), {"tools", "body key order"}),
    "window_id in client_metadata": (
        _body(
            lambda b: b["client_metadata"].update(
                window_id=b["client_metadata"].pop("x-codex-window-id")
            )
        ),
        {"client_metadata keys", "client_metadata x-codex-window-id"},
    ),
    "another originator": (
        lambda r: set_header(r, "originator", "codex_cli_rs"),
        {"header originator"},
    ),
    "a user agent of another shape": (
        lambda r: set_header(r, "user-agent", "wishcraft/1.0"),
        {"header user-agent"},
    ),
}


@pytest.mark.parametrize("name", sorted(MUTATIONS))
def test_a_difference_not_allowed_fails(name: str) -> None:
    mutate, expected = MUTATIONS[name]
    ours = post()
    mutate(ours)
    rows = parity.compare_responses(post(), ours, catalog())
    assert {row.field for row in parity.failed(rows)} == expected


@pytest.mark.parametrize(
    ("change", "field"),
    [
        (lambda r: r.update(query={"client_version": ["0.124.0"]}), "models query"),
        (lambda r: r.update(query={}), "models query"),
        (lambda r: r.update(path="/backend-api/models"), "models path"),
        (lambda r: set_header(r, "version", "0.124.0"), "models header version"),
        (lambda r: set_header(r, "chatgpt-account-id", None), "models header chatgpt-account-id"),
    ],
)
def test_the_models_request_is_compared(change: Change, field: str) -> None:
    ours = models()
    change(ours)
    assert [row.field for row in parity.failed(parity.compare_models(models(), ours))] == [field]


def write_recording(path: Path, ours_post: dict[str, Any]) -> Path:
    lines = [
        {**models(), "phase": "ours"},
        {**ours_post, "phase": "ours"},
        {**models(), "phase": "codex"},
        {**post(), "phase": "codex"},
    ]
    path.write_text("".join(json.dumps(line) + "\n" for line in lines), encoding="utf-8")
    return path


def test_main_prints_the_table_and_fails_on_a_difference(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert parity.main([str(write_recording(tmp_path / "same.jsonl", allowed_variant()))]) == 0
    out = capsys.readouterr().out
    assert "| allowed: Codex declares its agent tools" in out
    assert "0 DIFF" in out
    worse = allowed_variant()
    worse["body"]["instructions"] = "You are a planner."
    assert parity.main([str(write_recording(tmp_path / "worse.jsonl", worse))]) == 1
    out = capsys.readouterr().out
    assert "DIFF top-level instructions: codex '(absent)', ours 'present'" in out


def test_a_client_that_sent_nothing_fails(tmp_path: Path) -> None:
    path = tmp_path / "half.jsonl"
    path.write_text(json.dumps({**post(), "phase": "codex"}) + "\n", encoding="utf-8")
    rows = parity.compare_recording(parity.load_records(path), catalog())
    assert [(row.field, row.verdict) for row in parity.failed(rows)] == [
        ("POST /responses recorded", "DIFF"),
        ("GET /models recorded", "DIFF"),
    ]


def test_redaction_keeps_no_token_and_no_codex_text() -> None:
    record = {
        "method": "POST",
        "path": "/backend-api/codex/responses",
        "query": {},
        "headers": [["Authorization", "Bearer aaa.bbb.ccc"]],
        "body": {
            "input": [
                {
                    "type": "message",
                    "role": "developer",
                    "content": [{"type": "input_text", "text": "catalog text"}],
                },
                {
                    "type": "message",
                    "role": "developer",
                    "content": [{"type": "input_text", "text": "Codex's own words"}],
                },
                {
                    "type": "message",
                    "role": "user",
                    "content": [{"type": "input_text", "text": "our prompt"}],
                },
            ],
            "tools": [
                {
                    "type": "function",
                    "name": "shell",
                    "description": "secret sauce",
                    "parameters": {"type": "object"},
                }
            ],
        },
    }
    text = json.dumps(parity.redact(record))
    assert "aaa.bbb.ccc" not in text and "Codex's own words" not in text
    assert "secret sauce" not in text and '"name": "shell"' in text
    assert "catalog text" in text and "our prompt" in text
    assert parity.REDACTED_TOKEN in text


def test_the_saved_capture_is_redacted() -> None:
    data = capture()
    for request in (data["responses_request"], data["models_request"]):
        assert parity.headers_of(request)["authorization"] == parity.REDACTED_TOKEN
    items = data["responses_request"]["body"]["input"]
    for item in items[1:-1]:
        assert all(part["text"].startswith("<Codex text left out") for part in item["content"])
    assert all(
        set(tool) == {"type", "name", "left_out"}
        for tool in data["responses_request"]["body"]["tools"]
    )


def as_capture(request: Recorded) -> dict[str, Any]:
    """A request the loopback server received, in the comparer's form."""
    return {
        "method": request.method,
        "path": request.path,
        "query": parse_qs(request.query, keep_blank_values=True),
        "headers": [[name, value] for name, value in request.headers.items()],
        "body": request.json,
    }


async def test_ours_matches_the_real_codex_capture(tmp_path: Path) -> None:
    """Our client's real requests (loopback server, same catalog) against Codex's capture."""
    from wishcraft.conduit.catalog import CatalogStore
    from wishcraft.conduit.client import CodexClient
    from wishcraft.conduit.config import ConduitConfig
    from wishcraft.model import ExecMode
    from wishcraft.plan.pipeline import new_job, plan_wish

    home = write_codex_home(tmp_path / "codex-home")
    answer = json.dumps({"steps": [{"title": "t", "detail": "d", "acceptance": "a"}], "notes": []})
    with LoopbackCodex() as server:
        server.enqueue("responses", sse(success_transcript([answer])))
        config = ConduitConfig(
            base_url=server.base_url, refresh_url=server.refresh_url, codex_home=home
        )
        job = new_job(LIGHTHOUSE, LIGHTHOUSE_TEXT, LIGHTHOUSE_PATH, ExecMode.COMMIT)
        async with CodexClient(config, catalogs=CatalogStore()) as client:
            artifact, error = await plan_wish(job, config, client=client)
        assert error is None, error
        ours_post = next(as_capture(r) for r in server.requests if r.method == "POST")
        ours_models = next(
            as_capture(r)
            for r in server.requests
            if r.method == "GET" and r.path.endswith("/models")
        )
    rows = parity.compare_responses(post(), ours_post, catalog())
    rows += parity.compare_models(models(), ours_models)
    assert parity.failed(rows) == [], parity.table(parity.failed(rows))


def test_ours_after_codex_must_read_the_cache_codex_wrote() -> None:
    """The script's third run: a `GET /models` there, or another model, fails."""
    base = [
        {**models(), "phase": "ours"},
        {**post(), "phase": "ours"},
        {**models(), "phase": "codex"},
        {**post(), "phase": "codex"},
    ]
    again = {**post(), "phase": parity.CACHED_PHASE}
    fetched = {**models(), "phase": parity.CACHED_PHASE}
    other = copy.deepcopy(again)
    other["body"]["model"] = "gpt-5.5"
    assert parity.cache_row(base + [again]).verdict == "same"
    assert parity.cache_row(base + [fetched, again]).verdict == "DIFF"
    assert parity.cache_row(base + [other]).verdict == "DIFF"
    assert parity.cache_row(base).verdict == "DIFF"
    rows = parity.compare_recording(base + [fetched, again], catalog())
    assert [row.field for row in parity.failed(rows)] == [
        "ours after Codex wrote models_cache.json"
    ]


# Issue 19: the lite request, the turn-state follow-up, the retry table, what moved ------------


def in_phase(request: dict[str, Any], phase: str) -> dict[str, Any]:
    return {**copy.deepcopy(request), "phase": phase}


def lite(request: dict[str, Any]) -> dict[str, Any]:
    """The captured request reshaped as a lite one (what Codex sends for a lite model)."""
    body = request["body"]
    tools = body.pop("tools")
    tools_item = {
        "type": "additional_tools",
        "id": f"at_{OTHER_ID}",
        "role": "developer",
        "tools": [{"type": "namespace", "name": "functions", "description": "", "tools": tools}],
    }
    body["input"].insert(0, tools_item)
    set_header(request, "x-openai-internal-codex-responses-lite", "true")
    return request


def test_the_lite_rows_compare_the_tools_item_and_allow_only_its_tools() -> None:
    codex = in_phase(lite(post()), "codex-lite")
    ours = in_phase(lite(post()), "ours-lite")
    ours["body"]["input"][0]["tools"] = []  # a planner offers none
    rows = parity.lite_rows([codex, ours], catalog())
    assert all(row.field.startswith("lite: ") for row in rows)
    found = verdicts(rows)
    assert found["lite: additional_tools namespaces"] == "allowed"
    assert found["lite: tools declared"] == "allowed"
    assert found["lite: first item text"] == "same"  # read after the tools item
    assert parity.failed(rows) == []
    set_header(ours, "x-openai-internal-codex-responses-lite", None)
    ours["body"]["input"].pop(0)
    failing = {row.field for row in parity.failed(parity.lite_rows([codex, ours], catalog()))}
    assert {
        "lite: header x-openai-internal-codex-responses-lite",
        "lite: additional_tools item",
    } <= failing
    missing = parity.lite_rows([codex], catalog())
    assert [(row.field, row.verdict) for row in missing] == [
        ("lite: POST /responses recorded", "DIFF")
    ]


def test_the_turn_rows_want_the_state_on_the_follow_up_only() -> None:
    def turn(phase: str, follow_up_state: str | None) -> list[dict[str, Any]]:
        first, second = in_phase(post(), phase), in_phase(post(), phase)
        set_header(second, "x-codex-turn-state", follow_up_state)
        return [first, second]

    good = turn("codex-turn", "ts_1") + turn("ours-turn", "ts_1")
    assert parity.failed(parity.turn_rows(good)) == []
    dropped = turn("codex-turn", "ts_1") + turn("ours-turn", None)
    assert [row.field for row in parity.failed(parity.turn_rows(dropped))] == [
        "turn: x-codex-turn-state on the follow-up request"
    ]
    alone = turn("codex-turn", "ts_1") + turn("ours-turn", "ts_1")[:1]
    assert parity.failed(parity.turn_rows(alone))[0].ours == "(no such request)"


def test_the_retry_rows_count_requests_per_case() -> None:
    records = [in_phase(post(), "codex-retry:503") for _ in range(5)]
    records += [in_phase(post(), "ours-retry:503") for _ in range(5)]
    records += [in_phase(post(), "codex-retry:429") for _ in range(6)]
    records += [in_phase(post(), "ours-retry:429")]
    rows = parity.retry_rows(records)
    assert [(row.field, row.codex, row.ours, row.verdict) for row in rows] == [
        ("retries: 503", "5 requests", "5 requests", "same"),
        ("retries: 429", "6 requests", "1 request", "DIFF"),
    ]


def test_what_moved_names_only_what_codex_changed() -> None:
    newer = in_phase(post(), "codex")
    set_header(newer, "version", "0.172.0")
    newer_models = in_phase(models(), "codex")
    moved = parity.moved_rows(capture(), [newer, newer_models])
    assert [(row.field, row.codex, row.ours) for row in moved] == [
        ("header version", "0.171.0", "0.172.0")
    ]
