"""The Codex client against a real HTTP server on 127.0.0.1 that speaks the Codex wire format.

Each test scripts the loopback server (status codes, headers, SSE frames, faults) and checks
what the client sent field by field, what it returned, and that no token leaked anywhere.
"""

from __future__ import annotations

import json
import logging
import os
import stat
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest

from testkit.loopback import (
    LoopbackCodex,
    drip_transcript,
    failed_transcript,
    frame,
    incomplete_transcript,
    json_response,
    reset,
    sse,
    success_transcript,
)
from testkit.samples import LIGHTHOUSE, LIGHTHOUSE_PATH, LIGHTHOUSE_TEXT
from testkit.sleeps import Sleeps
from wishcraft.conduit.client import CodexClient, PlanProgress
from wishcraft.conduit.config import ConduitConfig
from wishcraft.conduit.errors import (
    AuthError,
    ConduitError,
    EndpointNotFound,
    InstructionsRejected,
    RateLimited,
    RefreshFailed,
    ResponseFailed,
    ServerOverloaded,
    TransportError,
    UsageLimitReached,
)
from wishcraft.model import ExecMode
from wishcraft.plan.artifact import PlanStatus
from wishcraft.plan.pipeline import new_job, plan_wish

WISH_PATH, WISH_TEXT, WISH = LIGHTHOUSE_PATH, LIGHTHOUSE_TEXT, LIGHTHOUSE
PLAN_JSON = json.dumps(
    {
        "steps": [
            {
                "title": "Survey the lighthouse",
                "detail": "Use cartographer.survey",
                "acceptance": "12 tiles surveyed",
            },
            {
                "title": "Place 3 lamps",
                "detail": "With worldsmith.place",
                "acceptance": "3 lamps lit",
            },
        ],
        "notes": ["Night test needed"],
    }
)
CHUNKS = [PLAN_JSON[:40], PLAN_JSON[40:90], PLAN_JSON[90:]]


def auth_tokens(home: Path) -> dict[str, Any]:
    return json.loads((home / "auth.json").read_text())["tokens"]  # type: ignore[no-any-return]


async def run(
    server: LoopbackCodex,
    home: Path,
    *,
    sleeps: Sleeps | None = None,
    progress: list[PlanProgress] | None = None,
    **config: Any,
) -> tuple[Any, Any]:
    settings = ConduitConfig(
        base_url=server.base_url, refresh_url=server.refresh_url, codex_home=home, **config
    )
    job = new_job(WISH, WISH_TEXT, WISH_PATH, ExecMode.COMMIT)
    async with CodexClient(settings, sleep=sleeps or Sleeps()) as client:
        return await plan_wish(
            job,
            settings,
            client=client,
            on_progress=(progress.append if progress is not None else None),
        )


async def test_success_sends_what_codex_sends_and_builds_the_artifact(
    codex_server: LoopbackCodex, codex_home: Path
) -> None:
    codex_server.enqueue("responses", sse(success_transcript(CHUNKS)))
    progress: list[PlanProgress] = []
    artifact, error = await run(codex_server, codex_home, progress=progress)
    assert error is None
    assert artifact.status is PlanStatus.COMPLETE
    assert [step.title for step in artifact.steps] == ["Survey the lighthouse", "Place 3 lamps"]
    assert artifact.plan_steps[0] == "Survey the lighthouse (acceptance: 12 tiles surveyed)"
    assert artifact.notes == ["Night test needed"]
    assert artifact.usage is not None and artifact.usage.total == artifact.tokens_used > 0
    assert artifact.response_id and artifact.request_id and artifact.cf_ray
    assert artifact.model and artifact.rate_limits is not None
    assert [p.phase for p in progress][:2] == ["connecting", "waiting"]
    assert "".join(p.delta for p in progress) == PLAN_JSON
    catalog_request, request = codex_server.requests
    assert (catalog_request.method, catalog_request.path) == ("GET", "/backend-api/codex/models")
    assert (request.method, request.path) == ("POST", "/backend-api/codex/responses")
    tokens = auth_tokens(codex_home)
    assert request.headers["authorization"] == f"Bearer {tokens['access_token']}"
    assert request.headers["chatgpt-account-id"] == tokens["account_id"]
    assert request.headers["originator"] == "codex_exec"
    assert request.headers["accept"] == "text/event-stream"
    for gone in ("openai-beta", "session_id", "conversation_id"):
        assert gone not in request.headers
    assert (
        request.headers["session-id"]
        == request.headers["thread-id"]
        == request.headers["x-client-request-id"]
    )
    assert request.headers["user-agent"].startswith("codex_exec/")
    body = request.json
    assert body["model"] == "gpt-6.1-sol" and body["stream"] is True
    assert body["store"] is False and "instructions" not in body
    assert body["tools"] == [] and body["tool_choice"] == "auto"
    assert body["parallel_tool_calls"] is False
    assert body["reasoning"] == {"effort": "medium", "summary": "auto"}
    assert body["include"] == ["reasoning.encrypted_content"]
    assert body["prompt_cache_key"] == request.headers["session-id"]
    assert body["text"]["format"]["name"] == "codex_output_schema"
    assert artifact.requested_model == "gpt-6.1-sol" and artifact.auth_mode == "chatgpt"
    assert artifact.catalog_source == "GET /models" and artifact.model_instructions_sent


async def test_401_then_success_after_a_refresh_written_back_atomically(
    codex_server: LoopbackCodex, codex_home: Path
) -> None:
    before = json.loads((codex_home / "auth.json").read_text())
    codex_server.enqueue(
        "responses",
        json_response(401, {"error": {"message": "expired"}}),
        sse(success_transcript(CHUNKS)),
    )
    codex_server.enqueue(
        "refresh",
        json_response(
            200,
            {
                "access_token": "fake-new-access-token",
                "refresh_token": "rt_fake_new_refresh",
                "id_token": before["tokens"]["id_token"],
            },
        ),
    )
    artifact, error = await run(codex_server, codex_home)
    assert error is None and artifact.status is PlanStatus.COMPLETE
    refresh = [r for r in codex_server.requests if r.path.endswith("/oauth/token")]
    assert refresh[0].json == {
        "client_id": "app_EMoamEEZ73f0CkXaXp7hrann",
        "grant_type": "refresh_token",
        "refresh_reason": "unauthorized_recovery",
        "refresh_token": before["tokens"]["refresh_token"],
    }
    assert refresh[0].headers["content-type"] == "application/json"
    last = [r for r in codex_server.requests if r.path.endswith("/responses")][-1]
    assert last.headers["authorization"] == "Bearer fake-new-access-token"
    after = json.loads((codex_home / "auth.json").read_text())
    assert after["tokens"]["refresh_token"] == "rt_fake_new_refresh"
    assert after["tokens"]["account_id"] == before["tokens"]["account_id"]
    unknown = {key: value for key, value in before.items() if key not in ("tokens", "last_refresh")}
    assert {key: after[key] for key in unknown} == unknown
    assert after["last_refresh"] != before["last_refresh"]
    assert stat.S_IMODE(os.stat(codex_home / "auth.json").st_mode) == 0o600
    assert not [p for p in codex_home.iterdir() if p.name.endswith(".tmp")]


async def test_refresh_failure_says_to_log_in_again(
    codex_server: LoopbackCodex, codex_home: Path
) -> None:
    codex_server.enqueue("responses", json_response(401, {"error": {"message": "expired"}}))
    codex_server.enqueue(
        "refresh",
        json_response(401, {"error": {"code": "refresh_token_reused", "message": "reused"}}),
    )
    artifact, error = await run(codex_server, codex_home)
    assert isinstance(error, RefreshFailed) and error.permanent
    assert "codex login" in str(error)
    assert artifact.status is PlanStatus.FAILED and "codex login" in artifact.status_reason


@pytest.mark.parametrize(
    ("retry_after", "said"),
    [("3", "plan again in 3 s (its Retry-After)"), (None, "plan again in a moment")],
)
async def test_a_429_that_is_not_a_usage_limit_is_resent_by_turns_and_its_retry_after_said(
    codex_server: LoopbackCodex, codex_home: Path, retry_after: str | None, said: str
) -> None:
    limited = json_response(
        429,
        {"error": {"type": "rate_limit_exceeded"}},
        headers={"Retry-After": retry_after} if retry_after else None,
    )
    codex_server.enqueue("responses", *[limited] * 6, sse(success_transcript(CHUNKS)))
    sleeps = Sleeps()
    artifact, error = await run(codex_server, codex_home, sleeps=sleeps)
    assert isinstance(error, RateLimited) and artifact.status is PlanStatus.FAILED
    assert str(error) == f"Codex is rate-limiting requests (request id req_loopback_429); {said}."
    # As Codex 0.171.0 (measured): no request-layer resend, 5 turn-layer ones, each after the
    # Retry-After when there is one (Codex waited 1.01-1.04 s for `Retry-After: 1`), else
    # codex-rs's backoff.
    assert len(codex_server.route_requests("responses")) == 6 and len(sleeps.delays) == 5
    if retry_after is not None:
        assert sleeps.delays == [3.0] * 5
    else:
        assert all(0.18 <= delay < 3.6 for delay in sleeps.delays)


async def test_usage_limit_is_reported_with_its_reset_time(
    codex_server: LoopbackCodex, codex_home: Path
) -> None:
    import time

    codex_server.enqueue(
        "responses",
        json_response(
            429,
            {
                "error": {
                    "type": "usage_limit_reached",
                    "message": "Usage limit reached for this plan.",
                    "plan_type": "plus",
                    "resets_at": int(time.time()) + 5400,
                    "resets_in_seconds": 5400,
                }
            },
        ),
    )
    _, error = await run(codex_server, codex_home)
    assert isinstance(error, UsageLimitReached)
    assert (
        "plus plan" in str(error)
        and "resets in 1 hour 29 minutes" in str(error)
        or "resets in 1 hour 30 minutes" in str(error)
    )
    assert len(codex_server.route_requests("responses")) == 1


async def test_500_then_success_is_retried_with_backoff(
    codex_server: LoopbackCodex, codex_home: Path
) -> None:
    codex_server.enqueue(
        "responses",
        json_response(500, {"error": {"message": "boom"}}),
        sse(success_transcript(CHUNKS)),
    )
    sleeps = Sleeps()
    artifact, error = await run(codex_server, codex_home, sleeps=sleeps)
    assert error is None and artifact.status is PlanStatus.COMPLETE
    assert len(sleeps.delays) == 1 and 0.18 <= sleeps.delays[0] <= 0.22


@pytest.mark.parametrize("code", ["server_is_overloaded", "slow_down"])
async def test_overload_is_retried_with_backoff_then_fatal(
    codex_server: LoopbackCodex, codex_home: Path, code: str
) -> None:
    codex_server.enqueue("responses", json_response(503, {"error": {"code": code}}))
    sleeps = Sleeps()
    _, error = await run(codex_server, codex_home, sleeps=sleeps)
    assert isinstance(error, ServerOverloaded)
    # codex-rs: the request layer resends it (5 requests in all), the turn layer does not.
    assert len(codex_server.route_requests("responses")) == 5
    bases = [0.2 * 2**n for n in range(4)]  # 200 ms doubling, with codex-rs's 0.9–1.1 jitter
    assert len(sleeps.delays) == 4
    assert all(
        0.9 * base <= delay < 1.1 * base for base, delay in zip(bases, sleeps.delays, strict=True)
    )


@pytest.mark.parametrize(
    ("code", "fatal"),
    [
        ("context_length_exceeded", True),
        ("insufficient_quota", True),
        ("usage_not_included", True),
        ("invalid_prompt", True),
        ("server_is_overloaded", True),
        ("rate_limit_exceeded", False),
        ("server_error", False),
    ],
)
async def test_response_failed_codes(
    codex_server: LoopbackCodex, codex_home: Path, code: str, fatal: bool
) -> None:
    codex_server.enqueue(
        "responses",
        sse(failed_transcript(code, "Please try again in 2.5s.")),
        sse(success_transcript(CHUNKS)),
    )
    sleeps = Sleeps()
    artifact, error = await run(codex_server, codex_home, sleeps=sleeps)
    if fatal:
        assert isinstance(error, ResponseFailed) and error.code == code
        assert artifact.status is PlanStatus.FAILED
    else:
        assert error is None and artifact.status is PlanStatus.COMPLETE
        expected = [2.5] if code == "rate_limit_exceeded" else sleeps.delays
        assert sleeps.delays == expected


async def test_incomplete_event_keeps_the_text(
    codex_server: LoopbackCodex, codex_home: Path
) -> None:
    codex_server.enqueue("responses", sse(incomplete_transcript("max_output_tokens")))
    artifact, error = await run(codex_server, codex_home)
    assert error is None and artifact.status is PlanStatus.INCOMPLETE
    assert "max_output_tokens" in artifact.status_reason


async def test_stream_cut_before_completed_is_incomplete_with_the_text_so_far(
    codex_server: LoopbackCodex, codex_home: Path
) -> None:
    frames = success_transcript(CHUNKS)
    codex_server.enqueue("responses", sse(frames, cut_after=9))
    artifact, error = await run(codex_server, codex_home)
    assert error is None and artifact.status is PlanStatus.INCOMPLETE
    assert artifact.text and PLAN_JSON.startswith(artifact.text)


async def test_idle_stall_is_incomplete_after_the_timeout(
    codex_server: LoopbackCodex, codex_home: Path
) -> None:
    codex_server.enqueue("responses", sse(success_transcript(CHUNKS), stall_after=9))
    artifact, error = await run(codex_server, codex_home, stream_idle_timeout_seconds=0.3)
    assert error is None and artifact.status is PlanStatus.INCOMPLETE
    assert "idle timeout" in artifact.status_reason
    assert artifact.text == "".join(CHUNKS[:2]) or PLAN_JSON.startswith(artifact.text)
    codex_server.release_stalls()


async def test_malformed_frames_are_skipped(codex_server: LoopbackCodex, codex_home: Path) -> None:
    frames = success_transcript(CHUNKS)
    noisy = [
        frames[0],
        "data: {not json\n\n",
        ": keep-alive\n\n",
        frame("response.unknown_event", {"type": "response.unknown_event"}),
        *frames[1:],
    ]
    codex_server.enqueue("responses", sse(noisy))
    artifact, error = await run(codex_server, codex_home)
    assert error is None and artifact.status is PlanStatus.COMPLETE
    assert len(artifact.steps) == 2


async def test_slow_drip_of_2000_deltas(codex_server: LoopbackCodex, codex_home: Path) -> None:
    codex_server.enqueue("responses", sse(drip_transcript(2_000)))
    progress: list[PlanProgress] = []
    artifact, error = await run(codex_server, codex_home, progress=progress)
    assert error is None and artifact.status is PlanStatus.COMPLETE
    assert sum(1 for p in progress if p.delta) == 2_000
    assert "".join(p.delta for p in progress if p.delta) == artifact.text


async def test_connection_reset_is_retried_then_reported(
    codex_server: LoopbackCodex, codex_home: Path
) -> None:
    codex_server.enqueue("responses", reset())
    sleeps = Sleeps()
    _, error = await run(codex_server, codex_home, sleeps=sleeps, request_max_retries=2)
    assert isinstance(error, TransportError) and "check the network" in str(error)
    # codex-rs: 2 request retries in each of 6 turns (5 stream retries), 5 waits between turns.
    assert len(sleeps.delays) == 2 * 6 + 5
    assert len(codex_server.route_requests("responses")) == 3 * 6


async def test_rejected_instructions_say_what_to_set(
    codex_server: LoopbackCodex, codex_home: Path
) -> None:
    codex_server.enqueue("responses", json_response(400, {"detail": "Instructions are not valid"}))
    _, error = await run(codex_server, codex_home)
    assert isinstance(error, InstructionsRejected)
    assert "model_instructions_file" in str(error)


async def test_a_404_names_the_url_and_tries_nothing_else(
    codex_server: LoopbackCodex, codex_home: Path
) -> None:
    codex_server.enqueue("responses", json_response(404, {"detail": "Not Found"}))
    codex_server.enqueue("chat", sse(success_transcript(CHUNKS)))
    artifact, error = await run(codex_server, codex_home)
    assert isinstance(error, EndpointNotFound) and artifact.status is PlanStatus.FAILED
    assert f"{codex_server.base_url}/responses" in str(error)
    assert codex_server.route_requests("chat") == []
    assert len(codex_server.route_requests("responses")) == 1


async def test_chat_completions_only_when_configured(
    codex_server: LoopbackCodex, codex_home: Path
) -> None:
    chunks = [{"choices": [{"delta": {"content": part}}]} for part in CHUNKS]
    codex_server.enqueue(
        "chat", sse([f"data: {json.dumps(c)}\n\n" for c in chunks] + ["data: [DONE]\n\n"])
    )
    artifact, error = await run(codex_server, codex_home, wire_api="chat")
    assert error is None and artifact.status is PlanStatus.COMPLETE
    assert len(artifact.steps) == 2
    (chat,) = codex_server.route_requests("chat")
    assert chat.json["stream"] is True
    assert [m["role"] for m in chat.json["messages"]] == ["developer", "developer", "user"]
    assert codex_server.route_requests("responses") == []


async def test_no_login_is_one_clear_sentence(codex_server: LoopbackCodex, tmp_path: Path) -> None:
    _, error = await run(codex_server, tmp_path / "empty")
    assert isinstance(error, AuthError)
    assert str(error) == (
        f"No Codex login found at {tmp_path / 'empty' / 'auth.json'}: run "
        "`codex login`, or plan offline with --shadow."
    )


Scenario = Callable[[LoopbackCodex, Path], Awaitable[Any]]


async def test_no_token_reaches_logs_errors_or_artifacts(
    codex_server: LoopbackCodex, codex_home: Path, caplog: pytest.LogCaptureFixture
) -> None:
    tokens = auth_tokens(codex_home)
    secrets = [
        tokens["access_token"],
        tokens["refresh_token"],
        tokens["id_token"],
        "fake-new-access-token",
        "rt_fake_new_refresh",
    ]
    scripts = [
        [sse(success_transcript(CHUNKS))],
        [json_response(401, {"error": {"message": "bad"}}), sse(success_transcript(CHUNKS))],
        [json_response(429, {"error": {"type": "usage_limit_reached", "resets_at": 1}})],
        [json_response(500, {"error": {"message": tokens["access_token"]}})] * 6,
        [sse(failed_transcript("context_length_exceeded", "too long"))],
        [sse(success_transcript(CHUNKS), cut_after=5)],
        [reset()] * 6,
    ]
    outputs: list[str] = []
    caplog.set_level(logging.DEBUG)
    for script in scripts:
        codex_server.enqueue("responses", *script)
        codex_server.enqueue(
            "refresh",
            json_response(
                200,
                {"access_token": "fake-new-access-token", "refresh_token": "rt_fake_new_refresh"},
            ),
        )
        artifact, error = await run(
            codex_server, codex_home, request_max_retries=1, stream_max_retries=0
        )
        outputs.append(artifact.model_dump_json())
        if error is not None:
            outputs += [str(error), error.detail, repr(error)]
    outputs.append(caplog.text)
    leaks = [secret[:12] for secret in secrets for text in outputs if secret in text]
    assert leaks == []
    assert isinstance(error, ConduitError)
