"""The one retry policy (`conduit/retry.py`): attempt → delay or stop, for every retry site.

A table per layer of the errors `answers.py` makes and what each layer does with them, the
schedules' waits, and a structural check that every wait in the conduit comes from the policy.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from wishcraft.conduit.config import ConduitConfig
from wishcraft.conduit.errors import (
    AuthError,
    ConduitError,
    CyberPolicyRefused,
    HTTPStatusError,
    RateLimited,
    ResponseFailed,
    ResponseIncomplete,
    ServerOverloaded,
    StreamErrorEvent,
    TransportError,
    UsageLimitReached,
)
from wishcraft.conduit.retry import (
    REREAD_SCHEDULE,
    Layer,
    Schedule,
    jitter,
    next_delay,
    request_schedule,
    retry_delay,
    turn_schedule,
)

CONDUIT = Path(__file__).resolve().parents[2] / "server" / "wishcraft" / "conduit"
CONFIG = ConduitConfig()
REQUEST = request_schedule(CONFIG)
TURN = turn_schedule(CONFIG)

ERRORS: dict[str, ConduitError] = {
    "network": TransportError("x."),
    "500": HTTPStatusError("x.", status=500),
    "503 overloaded": ServerOverloaded("x.", status=503),
    "429 Retry-After 3": RateLimited("x.", retry_after=3.0, status=429),
    "429 no Retry-After": RateLimited("x.", retry_after=None, status=429),
    "429 usage limit": UsageLimitReached("x.", resets_at=None, plan_type=None, status=429),
    "400 cyber_policy": CyberPolicyRefused("x.", status=400),
    "404": HTTPStatusError("x.", status=404),
    "failed, retryable, try again in 1.5 s": ResponseFailed(
        "x.", code="rate_limit_exceeded", retry_after=1.5, retryable=True
    ),
    "failed, fatal": ResponseFailed("x.", code="context_length_exceeded"),
    "error event": StreamErrorEvent("x.", code=None),
    "incomplete": ResponseIncomplete("x.", reason="max_output_tokens"),
    "auth": AuthError("x."),
}

# (error, request layer's first wait, turn layer's first wait) with jitter 1; None: no retry.
TABLE: list[tuple[str, float | None, float | None]] = [
    ("network", 0.2, 0.2),
    ("500", 0.2, 0.2),
    ("503 overloaded", 0.2, None),
    ("429 Retry-After 3", None, 3.0),
    ("429 no Retry-After", None, 0.2),
    ("429 usage limit", None, None),
    ("400 cyber_policy", None, None),
    ("404", None, None),
    ("failed, retryable, try again in 1.5 s", None, 1.5),
    ("failed, fatal", None, None),
    ("error event", None, 0.2),
    ("incomplete", None, None),
    ("auth", None, None),
]


@pytest.mark.parametrize(("name", "request_wait", "turn_wait"), TABLE, ids=[t[0] for t in TABLE])
def test_each_layer_retries_what_codex_rs_retries(
    name: str, request_wait: float | None, turn_wait: float | None
) -> None:
    error = ERRORS[name]
    assert retry_delay(error, "request", REQUEST, 1) == request_wait
    assert retry_delay(error, "turn", TURN, 1) == turn_wait


def test_the_table_covers_every_error_made() -> None:
    assert sorted(name for name, _, _ in TABLE) == sorted(ERRORS)


@pytest.mark.parametrize(
    ("layer", "schedule", "requests"),
    [("request", REQUEST, 5), ("turn", TURN, 6)],
    ids=["request layer: 5 requests", "turn layer: 6 turns"],
)
def test_the_counts_are_codex_s(layer: Layer, schedule: Schedule, requests: int) -> None:
    """Retried until the policy says stop: as many tries in all as Codex 0.171.0 sends."""
    tries = 1
    while retry_delay(TransportError("x."), layer, schedule, tries) is not None:
        tries += 1
    assert tries == requests


def test_the_backoff_doubles_from_the_base_and_jitter_scales_it() -> None:
    waits = [next_delay(REQUEST, retry) for retry in range(1, 6)]
    assert waits == [0.2, 0.4, 0.8, 1.6, None]
    assert next_delay(REQUEST, 3, jitter=0.9) == pytest.approx(0.72)
    assert next_delay(REQUEST, 3, jitter=1.1) == pytest.approx(0.88)
    assert next_delay(REQUEST, 0) is None


def test_a_delay_the_backend_asked_for_replaces_the_backoff_and_is_capped() -> None:
    assert next_delay(TURN, 4, asked=3.0) == 3.0
    assert next_delay(TURN, 1, asked=3600.0) == CONFIG.max_retry_after_seconds == 60.0
    assert next_delay(TURN, 6, asked=3.0) is None
    hour = RateLimited("x.", retry_after=3600.0, status=429)
    assert retry_delay(hour, "turn", TURN, 1) == 60.0


def test_the_schedules_follow_the_configuration() -> None:
    config = ConduitConfig(
        request_max_retries=1,
        stream_max_retries=0,
        retry_base_seconds=1.0,
        max_retry_after_seconds=2.0,
    )
    assert [next_delay(request_schedule(config), n) for n in (1, 2)] == [1.0, None]
    assert retry_delay(TransportError("x."), "turn", turn_schedule(config), 1) is None
    assert next_delay(turn_schedule(config), 1) is None


def test_auth_json_is_read_again_four_times_20_ms_apart() -> None:
    assert [next_delay(REREAD_SCHEDULE, n) for n in range(1, 6)] == [0.02] * 4 + [None]


def test_jitter_stays_within_codex_s_ten_percent() -> None:
    draws = [jitter() for _ in range(2_000)]
    assert all(0.9 <= draw <= 1.1 for draw in draws) and len(set(draws)) > 1


def _called(call: ast.Call) -> str:
    """The name a call calls: `sleep` for `asyncio.sleep(…)`, `self._sleep(…)` or `sleep(…)`."""
    func = call.func
    return (
        func.attr
        if isinstance(func, ast.Attribute)
        else func.id
        if isinstance(func, ast.Name)
        else ""
    )


def _sleeps(tree: ast.AST) -> list[tuple[ast.FunctionDef | ast.AsyncFunctionDef, ast.Call]]:
    return [
        (function, node)
        for function in ast.walk(tree)
        if isinstance(function, ast.FunctionDef | ast.AsyncFunctionDef)
        for node in ast.walk(function)
        if isinstance(node, ast.Call) and _called(node).endswith("sleep")
    ]


def test_every_wait_in_the_conduit_is_one_the_policy_gave() -> None:
    """Each `sleep` waits a name assigned from `next_delay` or `retry_delay` in its function,
    and only retry.py draws randomness: no site keeps its own backoff."""
    sleeps = 0
    for path in sorted(CONDUIT.glob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        if path.name != "retry.py":
            assert "random" not in {
                alias.name
                for node in ast.walk(tree)
                if isinstance(node, ast.Import | ast.ImportFrom)
                for alias in node.names
            } | {node.module for node in ast.walk(tree) if isinstance(node, ast.ImportFrom)}, path
        for function, call in _sleeps(tree):
            sleeps += 1
            assert len(call.args) == 1 and isinstance(call.args[0], ast.Name), path
            waited = call.args[0].id
            sources = {
                node.value.func.id
                for node in ast.walk(function)
                if isinstance(node, ast.Assign)
                and any(isinstance(t, ast.Name) and t.id == waited for t in node.targets)
                and isinstance(node.value, ast.Call)
                and isinstance(node.value.func, ast.Name)
            }
            assert sources and sources <= {"next_delay", "retry_delay"}, (path, function.name)
    assert sleeps == 3  # the request layer, the turn layer, auth.json's re-read
