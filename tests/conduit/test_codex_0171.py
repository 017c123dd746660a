"""Codex 0.171.0 against the loopback server (issue 19): the lite request shape of a plan, the
served model and the turn state from `response.metadata`, the catalog refetched on a new
`X-Models-Etag`, and errors and retries counted request by request as codex-rs counts them.

The apply exchange's side (its lite tools item, turn state across its follow-ups) is in
test_apply_exchange.py, beside its helpers.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest

from testkit.catalog import DEFAULT_SLUG, LITE_SLUG, TEMPLATE_INSTRUCTIONS
from testkit.loopback import (
    CODEX_BODY_KEYS,
    LoopbackCodex,
    Response,
    error_frame,
    failed_transcript,
    frame,
    incomplete_transcript,
    json_response,
    metadata_frame,
    sse,
    success_transcript,
)
from testkit.samples import LIGHTHOUSE, LIGHTHOUSE_PATH, LIGHTHOUSE_TEXT
from testkit.sleeps import Sleeps
from wishcraft.conduit.catalog import CatalogStore
from wishcraft.conduit.client import CodexClient
from wishcraft.conduit.config import ConduitConfig
from wishcraft.conduit.errors import (
    ConduitError,
    CyberPolicyRefused,
    RateLimited,
    ResponseFailed,
    ServerOverloaded,
    StreamErrorEvent,
)
from wishcraft.model import ExecMode
from wishcraft.plan.artifact import PlanArtifact, PlanStatus
from wishcraft.plan.pipeline import new_job, plan_wish

PLAN_JSON = json.dumps(
    {"steps": [{"title": "Survey", "detail": "d", "acceptance": "a"}], "notes": []}
)
LITE_BODY_KEYS = [key for key in CODEX_BODY_KEYS if key != "tools"]
"""Codex 0.171.0's body for a lite model: no top-level `tools` (measured)."""
CYBER_SENTENCE = (
    "OpenAI flagged this request for possible cybersecurity risk; reword the wish "
    "(sending the same request again will not help)."
)


def settings(server: LoopbackCodex, home: Path, **values: Any) -> ConduitConfig:
    return ConduitConfig(
        base_url=server.base_url, refresh_url=server.refresh_url, codex_home=home, **values
    )


async def plan(
    server: LoopbackCodex,
    home: Path,
    *,
    client: CodexClient | None = None,
    sleeps: Sleeps | None = None,
    **values: Any,
) -> tuple[PlanArtifact, ConduitError | None]:
    config = settings(server, home, **values)
    job = new_job(LIGHTHOUSE, LIGHTHOUSE_TEXT, LIGHTHOUSE_PATH, ExecMode.COMMIT)
    if client is not None:
        return await plan_wish(job, config, client=client)
    async with CodexClient(config, sleep=sleeps or Sleeps(), catalogs=CatalogStore()) as own:
        return await plan_wish(job, config, client=own)


# 1. The lite request shape ------------------------------------------------------------------


async def test_a_plan_on_a_lite_model_has_codex_lite_shape(
    codex_server: LoopbackCodex, codex_home: Path
) -> None:
    codex_server.enqueue("responses", sse(success_transcript([PLAN_JSON], model=LITE_SLUG)))
    artifact, error = await plan(codex_server, codex_home, model=LITE_SLUG)
    assert error is None and artifact.status is PlanStatus.COMPLETE
    (posted,) = codex_server.route_requests("responses")
    body = posted.json
    assert list(body) == LITE_BODY_KEYS
    tools_item, instructions, planner, user = body["input"]
    assert list(tools_item) == ["type", "id", "role", "tools"]
    assert tools_item["type"] == "additional_tools" and tools_item["role"] == "developer"
    assert tools_item["id"].startswith("at_") and tools_item["id"][3:][14] == "7"  # UUIDv7
    assert tools_item["tools"] == []  # a plan offers no tool
    assert instructions["content"][0]["text"] == TEMPLATE_INSTRUCTIONS
    assert instructions["id"][4:][14] == "7"  # time-ordered for a lite model (measured)
    assert [planner["role"], user["role"]] == ["developer", "user"]
    assert body["reasoning"] == {"effort": "low", "context": "all_turns"}
    assert body["parallel_tool_calls"] is False and body["tool_choice"] == "auto"
    names = list(posted.headers)
    assert posted.headers["x-openai-internal-codex-responses-lite"] == "true"
    lite_at = names.index("x-openai-internal-codex-responses-lite")
    assert names[lite_at + 1] == "x-codex-routing-hint"  # where Codex puts it
    assert "x-codex-turn-state" not in posted.headers


async def test_an_ordinary_model_keeps_the_ordinary_shape(
    codex_server: LoopbackCodex, codex_home: Path
) -> None:
    codex_server.enqueue("responses", sse(success_transcript([PLAN_JSON])))
    _, error = await plan(codex_server, codex_home, model=DEFAULT_SLUG)
    assert error is None
    (posted,) = codex_server.route_requests("responses")
    assert list(posted.json) == CODEX_BODY_KEYS and posted.json["tools"] == []
    assert all(item["type"] == "message" for item in posted.json["input"])
    assert "context" not in posted.json["reasoning"]
    assert "x-openai-internal-codex-responses-lite" not in posted.headers


# 2. What response.metadata and the answer's headers hand back ---------------------------------


async def test_the_served_model_is_read_from_response_metadata(
    codex_server: LoopbackCodex, codex_home: Path
) -> None:
    frames = success_transcript([PLAN_JSON])
    frames.insert(1, metadata_frame({"OpenAI-Model": "gpt-6-luna"}))
    codex_server.enqueue("responses", sse(frames, headers={"openai-model": ""}))
    artifact, error = await plan(codex_server, codex_home, model=DEFAULT_SLUG)
    assert error is None
    assert (artifact.requested_model, artifact.model, artifact.rerouted) == (
        DEFAULT_SLUG,
        "gpt-6-luna",
        True,
    )


async def test_a_plan_never_sends_a_turn_state_it_was_handed_in_an_earlier_plan(
    codex_server: LoopbackCodex, codex_home: Path
) -> None:
    first = success_transcript([PLAN_JSON])
    first.insert(1, metadata_frame({"x-codex-turn-state": "ts-from-plan-1"}))
    codex_server.enqueue(
        "responses",
        sse(first, headers={"x-codex-turn-state": "ts-header-plan-1"}),
        sse(success_transcript([PLAN_JSON])),
    )
    config = settings(codex_server, codex_home)
    async with CodexClient(config, sleep=Sleeps(), catalogs=CatalogStore()) as client:
        for _ in range(2):
            _, error = await plan(codex_server, codex_home, client=client)
            assert error is None
    requests = codex_server.route_requests("responses")
    assert len(requests) == 2
    assert all("x-codex-turn-state" not in request.headers for request in requests)


async def test_a_new_models_etag_makes_the_next_plan_fetch_the_catalog(
    codex_server: LoopbackCodex, codex_home: Path
) -> None:
    codex_server.enqueue(
        "responses",
        sse(success_transcript([PLAN_JSON])),  # the catalog's own ETag: nothing to do
        sse(success_transcript([PLAN_JSON]), headers={"x-models-etag": '"catalog-etag-2"'}),
        sse(success_transcript([PLAN_JSON])),
        sse(success_transcript([PLAN_JSON])),
    )
    config = settings(codex_server, codex_home)
    fetches = []
    async with CodexClient(config, sleep=Sleeps(), catalogs=CatalogStore()) as client:
        for _ in range(4):
            _, error = await plan(codex_server, codex_home, client=client)
            assert error is None
            fetches.append(len(codex_server.route_requests("models")))
    # Plan 1 fetches; plan 2 uses the fresh copy; its answer names another catalog, so plan 3
    # fetches again; plan 4 holds a fresh copy again.
    assert fetches == [1, 1, 2, 2]


# 3. Errors and retries, request by request ----------------------------------------------------


def overloaded() -> Response:
    return json_response(503, {"error": {"code": "server_is_overloaded", "message": "busy"}})


def server_error() -> Response:
    return json_response(500, {"error": {"message": "boom"}})


Outcome = type[ConduitError] | PlanStatus
RETRY_TABLE: list[tuple[str, list[Response], int, Outcome]] = [
    ("503 server_is_overloaded", [overloaded()], 5, ServerOverloaded),
    (
        "429 rate limit",
        [json_response(429, {"error": {"type": "rate_limit_exceeded"}})],
        6,
        RateLimited,
    ),
    (
        "400 cyber_policy",
        [json_response(400, {"error": {"code": "cyber_policy", "message": "flagged"}})],
        1,
        CyberPolicyRefused,
    ),
    ("500 eight times, then a plan", [*[server_error()] * 8], 9, PlanStatus.COMPLETE),
    (
        "response.failed cyber_policy",
        [sse(failed_transcript("cyber_policy", "flagged"))],
        1,
        ResponseFailed,
    ),
    (
        "response.failed server_error",
        [sse(failed_transcript("server_error", "oops"))],
        6,
        ResponseFailed,
    ),
    (
        "response.incomplete",
        [sse(incomplete_transcript("max_output_tokens"))],
        1,
        PlanStatus.INCOMPLETE,
    ),
    ("SSE error event", [sse([error_frame("server_error", "it broke")])], 6, StreamErrorEvent),
]


@pytest.mark.parametrize(
    ("answers", "requests", "outcome"),
    [
        pytest.param(answers, count, outcome, id=name)
        for name, answers, count, outcome in RETRY_TABLE
    ],
)
async def test_retries_as_codex_rs_counts_them(
    codex_server: LoopbackCodex,
    codex_home: Path,
    answers: list[Response],
    requests: int,
    outcome: Outcome,
) -> None:
    # The scripted answers (each failing one 40 times over), then a plan: a client that sends
    # more requests than Codex gets the plan, and the count shows it.
    scripted = answers if len(answers) > 1 else answers * 40
    codex_server.enqueue("responses", *scripted, sse(success_transcript([PLAN_JSON])))
    artifact, error = await plan(codex_server, codex_home)
    assert len(codex_server.route_requests("responses")) == requests
    if isinstance(outcome, PlanStatus):
        assert error is None and artifact.status is outcome
    else:
        assert isinstance(error, outcome) and artifact.status is PlanStatus.FAILED


async def test_cyber_policy_is_one_sentence_whether_a_400_or_a_failed_response(
    codex_server: LoopbackCodex, codex_home: Path
) -> None:
    codex_server.enqueue(
        "responses",
        json_response(400, {"error": {"code": "cyber_policy", "message": "flagged"}}),
        sse(failed_transcript("cyber_policy", "flagged")),
    )
    sentences = []
    for _ in range(2):
        _, error = await plan(codex_server, codex_home)
        assert error is not None and not error.retryable
        sentences.append(re.sub(r" \(request id \w+\)", "", str(error)))
    assert sentences == [CYBER_SENTENCE] * 2


async def test_an_error_event_ends_the_plan_with_its_code_and_message(
    codex_server: LoopbackCodex, codex_home: Path
) -> None:
    frames = success_transcript([PLAN_JSON])
    codex_server.enqueue("responses", sse([*frames[:3], error_frame("server_error", "it broke")]))
    artifact, error = await plan(codex_server, codex_home, stream_max_retries=0)
    assert isinstance(error, StreamErrorEvent) and error.code == "server_error"
    assert str(error).startswith("Codex sent an error in the stream (server_error): it broke;")
    assert artifact.status is PlanStatus.FAILED


async def test_turn_retries_wait_as_codex_rs_backs_off(
    codex_server: LoopbackCodex, codex_home: Path
) -> None:
    codex_server.enqueue("responses", sse(failed_transcript("server_error", "oops")))
    sleeps = Sleeps()
    _, error = await plan(codex_server, codex_home, sleeps=sleeps)
    assert isinstance(error, ResponseFailed) and error.retryable
    bases = [0.2 * 2**n for n in range(5)]  # 200 ms doubling, 0.9–1.1 jitter
    assert len(sleeps.delays) == 5
    assert all(
        0.9 * base <= delay < 1.1 * base for base, delay in zip(bases, sleeps.delays, strict=True)
    )


@pytest.mark.parametrize(
    "event",
    [
        {"type": "error", "code": "cyber_policy", "message": "flagged"},
        {"type": "error", "status": 400, "error": {"code": "cyber_policy", "message": "flagged"}},
    ],
    ids=["top-level fields", "an error object"],
)
async def test_a_cyber_policy_error_event_is_final_in_either_shape(
    codex_server: LoopbackCodex, codex_home: Path, event: dict[str, Any]
) -> None:
    codex_server.enqueue("responses", sse([frame("error", event)]))
    _, error = await plan(codex_server, codex_home)
    assert isinstance(error, ResponseFailed) and str(error) == CYBER_SENTENCE
    assert len(codex_server.route_requests("responses")) == 1
