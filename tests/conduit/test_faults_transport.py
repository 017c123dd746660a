"""Network faults against the loopback Codex server: refused connections, resets, redirects,
endless error bodies and hostile headers. Each ends in one clear `ConduitError` (or an
incomplete plan that keeps what arrived), never a stray exception, and never sends the login
anywhere but where it was configured to go.
"""

from __future__ import annotations

import json
import socket
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from testkit.loopback import (
    LoopbackCodex,
    Response,
    frame,
    json_response,
    redirect,
    reset,
    sse,
    success_transcript,
)
from testkit.samples import LIGHTHOUSE, LIGHTHOUSE_PATH, LIGHTHOUSE_TEXT
from testkit.sleeps import Sleeps
from wishcraft.conduit.client import CodexClient
from wishcraft.conduit.config import ConduitConfig
from wishcraft.conduit.errors import (
    ConduitError,
    HTTPStatusError,
    RedirectRefused,
    RefreshFailed,
    TransportError,
    UsageLimitReached,
)
from wishcraft.model import ExecMode
from wishcraft.plan.artifact import PlanStatus
from wishcraft.plan.pipeline import new_job, plan_wish

WISH_PATH, WISH_TEXT, WISH = LIGHTHOUSE_PATH, LIGHTHOUSE_TEXT, LIGHTHOUSE
PLAN = json.dumps(
    {
        "steps": [
            {"title": "Survey", "detail": "d", "acceptance": "a"},
            {"title": "Place", "detail": "d", "acceptance": "a"},
        ]
    }
)
CHUNKS = [PLAN[:30], PLAN[30:60], PLAN[60:]]


async def run(
    base_url: str, refresh_url: str, home: Path, *, sleeps: Sleeps | None = None, **config: Any
) -> tuple[Any, ConduitError | None]:
    settings = ConduitConfig(base_url=base_url, refresh_url=refresh_url, codex_home=home, **config)
    job = new_job(WISH, WISH_TEXT, WISH_PATH, ExecMode.COMMIT)
    async with CodexClient(settings, sleep=sleeps or Sleeps()) as client:
        return await plan_wish(job, settings, client=client)


def closed_port() -> int:
    """A port on 127.0.0.1 that nothing listens on (bound, then released)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture
def elsewhere() -> Iterator[LoopbackCodex]:
    """A second server on another port: another origin, where nothing must ever arrive."""
    with LoopbackCodex() as server:
        yield server


async def test_connection_refused_is_retried_then_one_clear_sentence(codex_home: Path) -> None:
    port = closed_port()
    sleeps = Sleeps()
    artifact, error = await run(
        f"http://127.0.0.1:{port}/backend-api/codex",
        f"http://127.0.0.1:{port}/oauth/token",
        codex_home,
        sleeps=sleeps,
        request_max_retries=3,
    )
    assert isinstance(error, TransportError)
    assert str(error) == (
        f"Could not reach Codex at http://127.0.0.1:{port}/backend-api/codex"
        "/responses (ConnectError); check the network (and HTTPS_PROXY or "
        "NO_PROXY behind a proxy) and try again."
    )
    # As codex-rs: 4 requests per turn (3 request retries), and the turn sent 6 times (5 stream
    # retries): 3 sleeps in each of 6 turns, and 5 between turns.
    assert len(sleeps.delays) == 3 * 6 + 5
    assert artifact.status is PlanStatus.FAILED


async def test_refused_token_endpoint_during_401_recovery(
    codex_server: LoopbackCodex, codex_home: Path
) -> None:
    codex_server.enqueue("responses", json_response(401, {"error": {"message": "expired"}}))
    port = closed_port()
    _, error = await run(codex_server.base_url, f"http://127.0.0.1:{port}/oauth/token", codex_home)
    assert isinstance(error, TransportError)
    assert str(error).startswith("Could not reach the Codex token endpoint (ConnectError)")


async def test_reset_mid_stream_keeps_the_text_so_far(
    codex_server: LoopbackCodex, codex_home: Path
) -> None:
    frames = success_transcript(CHUNKS)
    codex_server.enqueue("responses", sse(frames, reset_after=10))
    artifact, error = await run(codex_server.base_url, codex_server.refresh_url, codex_home)
    assert error is None and artifact.status is PlanStatus.INCOMPLETE
    assert artifact.status_reason.startswith("the stream broke off (")
    assert artifact.text == "".join(CHUNKS[:2])


async def test_reset_before_the_answer_is_retried(
    codex_server: LoopbackCodex, codex_home: Path
) -> None:
    codex_server.enqueue("responses", reset(), sse(success_transcript(CHUNKS)))
    sleeps = Sleeps()
    artifact, error = await run(
        codex_server.base_url, codex_server.refresh_url, codex_home, sleeps=sleeps
    )
    assert error is None and artifact.status is PlanStatus.COMPLETE
    assert len(sleeps.delays) == 1


@pytest.mark.parametrize("status", [301, 302, 303, 307, 308])
async def test_a_redirect_to_another_origin_is_not_followed(
    codex_server: LoopbackCodex, elsewhere: LoopbackCodex, codex_home: Path, status: int
) -> None:
    codex_server.enqueue("responses", redirect(status, f"{elsewhere.base_url}/responses?x=1"))
    elsewhere.enqueue("responses", sse(success_transcript(CHUNKS)))
    sleeps = Sleeps()
    artifact, error = await run(
        codex_server.base_url, codex_server.refresh_url, codex_home, sleeps=sleeps
    )
    assert isinstance(error, RedirectRefused) and error.status == status
    assert str(error).startswith(
        f"Codex answered with a redirect ({status}) to {elsewhere.base_url}/responses; "
    )
    assert "it is not followed, so the login is never sent elsewhere" in str(error)
    assert elsewhere.requests == []
    # One plan request (the model catalog's GET, asked first, is no redirect), not resent.
    assert len(codex_server.route_requests("responses")) == 1 and sleeps.delays == []
    assert artifact.status is PlanStatus.FAILED


async def test_a_redirect_to_the_same_origin_is_not_followed_either(
    codex_server: LoopbackCodex, codex_home: Path
) -> None:
    codex_server.enqueue("responses", redirect(307, "/elsewhere/responses"))
    codex_server.enqueue("/elsewhere/responses", sse(success_transcript(CHUNKS)))
    _, error = await run(codex_server.base_url, codex_server.refresh_url, codex_home)
    assert isinstance(error, RedirectRefused)
    assert "redirect (307) to /elsewhere/responses" in str(error)
    asked = [r.path for r in codex_server.requests if r.path != "/backend-api/codex/models"]
    assert asked == ["/backend-api/codex/responses"]


async def test_a_redirected_token_endpoint_keeps_the_refresh_token(
    codex_server: LoopbackCodex, elsewhere: LoopbackCodex, codex_home: Path
) -> None:
    codex_server.enqueue("responses", json_response(401, {"error": {"message": "expired"}}))
    codex_server.enqueue("refresh", redirect(307, elsewhere.refresh_url))
    elsewhere.enqueue("refresh", json_response(200, {"access_token": "stolen"}))
    before = (codex_home / "auth.json").read_text()
    _, error = await run(codex_server.base_url, codex_server.refresh_url, codex_home)
    assert isinstance(error, RefreshFailed) and not error.permanent
    assert str(error).startswith("The Codex token endpoint answered with a redirect (307)")
    assert elsewhere.requests == []
    assert (codex_home / "auth.json").read_text() == before


class Endless:
    """An endless body that counts the chunks the server sent."""

    def __init__(self, piece: bytes) -> None:
        self.piece, self.sent = piece, 0

    def __iter__(self) -> Iterator[bytes]:
        while True:
            self.sent += 1
            yield self.piece


async def test_an_endless_error_body_is_read_only_in_part(
    codex_server: LoopbackCodex, codex_home: Path
) -> None:
    chunks = Endless(b"x" * 65536)
    codex_server.enqueue("responses", Response(500, {"content-type": "text/plain"}, chunks=chunks))
    _, error = await run(
        codex_server.base_url, codex_server.refresh_url, codex_home, request_max_retries=1
    )
    assert isinstance(error, HTTPStatusError) and error.status == 500
    assert len(error.body) <= 1000
    # Each time (the 500 is retried) the client hung up after its first 64 KiB: the server sent
    # what the socket buffers held (a few MiB), not the endless rest.
    requests = len(codex_server.route_requests("responses"))
    assert chunks.sent < 128 * requests, f"{chunks.sent} chunks of 64 KiB for {requests} requests"


async def test_an_endless_token_endpoint_answer_is_read_only_in_part(
    codex_server: LoopbackCodex, codex_home: Path
) -> None:
    codex_server.enqueue("responses", json_response(401, {"error": {"message": "expired"}}))
    chunks = Endless(b"[" * 65536)
    codex_server.enqueue(
        "refresh", Response(200, {"content-type": "application/json"}, chunks=chunks)
    )
    _, error = await run(codex_server.base_url, codex_server.refresh_url, codex_home)
    assert isinstance(error, RefreshFailed) and error.reason == "bad_json"
    assert chunks.sent < 256, f"{chunks.sent} chunks of 64 KiB were read"


HOSTILE_HEADERS = [
    {"x-codex-primary-used-percent": "nan", "x-codex-primary-window-minutes": "inf"},
    {"x-codex-primary-used-percent": "50", "x-codex-primary-reset-at": "1e300"},
    {"x-codex-secondary-used-percent": "1e999", "x-codex-secondary-window-minutes": "-inf"},
]


@pytest.mark.parametrize("headers", HOSTILE_HEADERS, ids=["nan-inf", "far-future", "overflow"])
async def test_hostile_rate_limit_headers_are_ignored(
    codex_server: LoopbackCodex, codex_home: Path, headers: dict[str, str]
) -> None:
    codex_server.enqueue("responses", sse(success_transcript(CHUNKS), headers=headers))
    artifact, error = await run(codex_server.base_url, codex_server.refresh_url, codex_home)
    assert error is None and artifact.status is PlanStatus.COMPLETE


@pytest.mark.parametrize(
    "limit",
    [
        {"resets_at": 1e300},
        {"resets_at": -1e300},
        {"resets_in_seconds": float("1e308")},
        {"resets_at": "tomorrow", "plan_type": {"nested": True}},
    ],
    ids=["far-future", "far-past", "overflowing-delay", "wrong-types"],
)
async def test_hostile_usage_limit_bodies_still_give_one_sentence(
    codex_server: LoopbackCodex, codex_home: Path, limit: dict[str, Any]
) -> None:
    codex_server.enqueue(
        "responses", json_response(429, {"error": {"type": "usage_limit_reached", **limit}})
    )
    _, error = await run(codex_server.base_url, codex_server.refresh_url, codex_home)
    assert isinstance(error, UsageLimitReached)
    assert str(error).startswith("The Codex usage limit of this ChatGPT plan is reached")


HOSTILE_EVENTS = [
    {"type": "response.created", "response": {"id": {"not": "a string"}}},
    {
        "type": "response.completed",
        "response": {"id": 7, "usage": "lots", "headers": {"openai-model": ["x"]}},
    },
    {"type": "response.output_item.done", "item": {"type": "message", "content": "text"}},
    {"type": "response.output_text.delta", "delta": {"text": "not a string"}},
    {"type": "response.failed", "response": {"error": {"code": ["x"], "message": None}}},
    {"type": "response.incomplete", "response": {"incomplete_details": "max"}},
]


@pytest.mark.parametrize("event", HOSTILE_EVENTS, ids=lambda e: e["type"].split(".", 1)[1])
async def test_hostile_event_shapes_never_escape_the_error_tree(
    codex_server: LoopbackCodex, codex_home: Path, event: dict[str, Any]
) -> None:
    frames = success_transcript(CHUNKS)
    hostile = frame(event["type"], event)
    codex_server.enqueue("responses", sse([frames[0], hostile, *frames[1:]]))
    artifact, error = await run(
        codex_server.base_url, codex_server.refresh_url, codex_home, stream_max_retries=0
    )
    assert error is None or isinstance(error, ConduitError)
    assert artifact.status in (PlanStatus.COMPLETE, PlanStatus.INCOMPLETE, PlanStatus.FAILED)
    json.loads(artifact.model_dump_json())
