"""Codex today, against the loopback server: the catalog, a strict backend that rejects what
today's backend rejects, the version, the errors, the 401 recovery, proxies and CAs, API-key
logins and the served model. Each numbered point of issue 10 has a test here."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from testkit import catalog as loopback_catalog
from testkit.codex_home import fake_jwt, write_codex_home
from testkit.loopback import (
    CATALOG_ETAG,
    LoopbackCodex,
    LoopbackProxy,
    failed_transcript,
    frame,
    json_response,
    sse,
    success_transcript,
)
from testkit.samples import LIGHTHOUSE, LIGHTHOUSE_PATH, LIGHTHOUSE_TEXT
from testkit.tls import have_openssl, make_authority
from wishcraft.conduit.catalog import CatalogStore
from wishcraft.conduit.client import CodexClient
from wishcraft.conduit.config import ConduitConfig, load_config
from wishcraft.conduit.errors import (
    AuthError,
    ClientTooOld,
    ConduitConfigError,
    ConduitError,
    EffortNotSupported,
    ModelNotSupported,
    RefreshFailed,
    ResponseFailed,
    TransportError,
)
from wishcraft.model import ExecMode
from wishcraft.plan.artifact import PlanArtifact, PlanStatus
from wishcraft.plan.pipeline import new_job, plan_wish

PLAN_JSON = json.dumps(
    {"steps": [{"title": "Survey", "detail": "d", "acceptance": "a"}], "notes": []}
)


@pytest.fixture
def strict() -> Iterator[LoopbackCodex]:
    """A loopback server that answers as today's backend: 400s for what it rejects."""
    with LoopbackCodex(strict=True) as server:
        yield server


class NoSleep:
    async def __call__(self, seconds: float) -> None:
        return None


async def plan(
    server: LoopbackCodex, home: Path, *, store: CatalogStore | None = None, **settings: Any
) -> tuple[PlanArtifact, ConduitError | None]:
    settings.setdefault("base_url", server.base_url)
    config = ConduitConfig(
        refresh_url=server.refresh_url,
        codex_home=home,
        client_version=settings.pop("client_version", "0.169.0"),
        **settings,
    )
    job = new_job(LIGHTHOUSE, LIGHTHOUSE_TEXT, LIGHTHOUSE_PATH, ExecMode.COMMIT)
    async with CodexClient(config, sleep=NoSleep(), catalogs=store or CatalogStore()) as client:
        return await plan_wish(job, config, client=client)


def write_models_cache(home: Path, *, age_seconds: float, slug_suffix: str = "") -> Path:
    fetched = datetime.now(UTC) - timedelta(seconds=age_seconds)
    data = loopback_catalog.catalog()
    for entry in data["models"]:
        entry["slug"] += slug_suffix
    path = home / "models_cache.json"
    path.write_text(
        json.dumps(
            {
                "fetched_at": fetched.isoformat().replace("+00:00", "Z"),
                "etag": '"cached"',
                "client_version": "0.169.0",
                **data,
            }
        )
    )
    return path


# 1. The model catalog -----------------------------------------------------------------------


async def test_the_catalog_is_fetched_with_the_login_and_the_version(
    strict: LoopbackCodex, tmp_path: Path
) -> None:
    home = write_codex_home(tmp_path / "codex")
    strict.enqueue("responses", sse(success_transcript([PLAN_JSON], model="gpt-6.1-sol")))
    artifact, error = await plan(strict, home)
    assert error is None and artifact.status is PlanStatus.COMPLETE
    (models,) = strict.route_requests("models")
    assert models.method == "GET" and models.query == "client_version=0.169.0"
    assert models.headers["version"] == "0.169.0" and models.body == b""
    assert models.headers["authorization"].startswith("Bearer ")
    assert models.headers["chatgpt-account-id"] and models.headers["accept"] == "*/*"
    assert artifact.catalog_source == "GET /models"
    assert artifact.model == artifact.requested_model == "gpt-6.1-sol"


async def test_a_fresh_models_cache_is_used_without_asking(
    strict: LoopbackCodex, tmp_path: Path
) -> None:
    home = write_codex_home(tmp_path / "codex")
    cache = write_models_cache(home, age_seconds=60)
    before = cache.stat().st_mtime_ns
    strict.enqueue("responses", sse(success_transcript([PLAN_JSON])))
    artifact, error = await plan(strict, home)
    assert error is None and artifact.catalog_source == "models_cache.json"
    assert strict.route_requests("models") == []
    assert cache.stat().st_mtime_ns == before  # Codex's file is never written


async def test_the_catalog_in_memory_is_asked_again_with_its_etag(
    strict: LoopbackCodex, tmp_path: Path
) -> None:
    home = write_codex_home(tmp_path / "codex")
    store = CatalogStore()
    strict.enqueue("responses", sse(success_transcript([PLAN_JSON])))
    await plan(strict, home, store=store)
    await plan(strict, home, store=store)  # fresh in memory: not asked again
    assert len(strict.route_requests("models")) == 1
    memory = store._memory  # noqa: SLF001 - age the copy in memory as five minutes would
    assert memory is not None and memory.fetched_at is not None
    store._memory = type(memory)(
        memory.models,
        memory.source,  # noqa: SLF001
        memory.fetched_at - timedelta(minutes=6),
        memory.etag,
    )
    artifact, error = await plan(strict, home, store=store)
    first, second = strict.route_requests("models")
    assert "if-none-match" not in first.headers
    assert second.headers["if-none-match"] == CATALOG_ETAG  # answered 304
    assert error is None and artifact.catalog_source == "GET /models"


async def test_an_unreachable_catalog_falls_back_to_a_stale_cache(
    strict: LoopbackCodex, tmp_path: Path
) -> None:
    home = write_codex_home(tmp_path / "codex")
    write_models_cache(home, age_seconds=3600)
    strict.enqueue("models", json_response(503, {"detail": "down"}))
    strict.enqueue("responses", sse(success_transcript([PLAN_JSON])))
    artifact, error = await plan(strict, home)
    assert error is None and artifact.catalog_source == "stale models_cache.json"
    assert artifact.model_instructions_sent is True


async def test_no_catalog_at_all_uses_the_builtin_table_and_says_so(
    codex_server: LoopbackCodex, tmp_path: Path
) -> None:
    home = write_codex_home(tmp_path / "codex")
    codex_server.enqueue("models", json_response(404, {"detail": "no"}))
    codex_server.enqueue("responses", sse(success_transcript([PLAN_JSON])))
    artifact, error = await plan(codex_server, home)
    assert error is None and artifact.catalog_source == "built-in"
    assert artifact.requested_model == "gpt-6.2-sol"
    assert artifact.model_instructions_sent is False
    assert any("instructions were not sent" in warning for warning in artifact.warnings)
    (posted,) = codex_server.route_requests("responses")
    tools_item, *messages = posted.json["input"]
    assert tools_item["type"] == "additional_tools"
    assert [item["role"] for item in messages] == ["developer", "user"]


# 2. Model and effort; 4. the request shape, accepted by a strict backend ----------------------


async def test_a_strict_backend_accepts_the_request_as_codex_sends_it(
    strict: LoopbackCodex, tmp_path: Path
) -> None:
    home = write_codex_home(tmp_path / "codex")
    strict.enqueue("responses", sse(success_transcript([PLAN_JSON])))
    artifact, error = await plan(strict, home)
    assert error is None and artifact.status is PlanStatus.COMPLETE
    (posted,) = strict.route_requests("responses")
    body = posted.json
    assert "instructions" not in body
    assert body["input"][0]["content"][0]["text"].startswith("You are a coding agent")
    headers = posted.headers
    assert headers["x-codex-window-id"] == f"{headers['session-id']}:0"
    assert body["prompt_cache_key"] == headers["session-id"] == headers["thread-id"]


async def test_a_retired_model_names_where_it_was_set_and_what_is_offered(
    strict: LoopbackCodex, tmp_path: Path
) -> None:
    home = write_codex_home(tmp_path / "codex")
    (home / "config.toml").write_text('model = "gpt-5"\n')
    config = load_config(None, env={"CODEX_HOME": str(home)})
    artifact, error = await plan(strict, home, model=config.model, sources=config.sources)
    assert isinstance(error, ModelNotSupported)
    message = str(error)
    assert "'gpt-5'" in message and "`model` in " in message and "config.toml" in message
    assert "gpt-6.1-sol" in message and "codex-auto-review" not in message
    assert artifact.status is PlanStatus.FAILED
    assert len(strict.route_requests("responses")) == 1  # a 400 is never retried


async def test_an_unsupported_effort_is_mapped_before_sending(
    strict: LoopbackCodex, tmp_path: Path
) -> None:
    home = write_codex_home(tmp_path / "codex")
    strict.enqueue("responses", sse(success_transcript([PLAN_JSON])))
    artifact, error = await plan(strict, home, model="gpt-6-luna", reasoning_effort="xhigh")
    assert error is None and artifact.reasoning_effort == "medium"
    (posted,) = strict.route_requests("responses")
    assert posted.json["reasoning"] == {"effort": "medium"}  # luna's default summary: none
    assert "text" in posted.json and "verbosity" not in posted.json["text"]
    assert len(artifact.warnings) == 1 and "'xhigh'" in artifact.warnings[0]


async def test_an_effort_the_backend_refuses_is_one_sentence(
    codex_server: LoopbackCodex, tmp_path: Path
) -> None:
    home = write_codex_home(tmp_path / "codex")
    codex_server.enqueue(
        "responses",
        json_response(
            400,
            {
                "error": {
                    "message": (
                        "Unsupported value: 'reasoning.effort' does not support 'high' with "
                        "this model."
                    ),
                    "param": "reasoning.effort",
                    "code": "unsupported_value",
                }
            },
        ),
    )
    _, error = await plan(codex_server, home, model="gpt-6.1-sol", reasoning_effort="high")
    assert isinstance(error, EffortNotSupported)
    assert "'high'" in str(error) and "model_reasoning_effort" in str(error)


# 3. The version -------------------------------------------------------------------------------


async def test_an_old_version_is_named_with_how_to_set_it(
    strict: LoopbackCodex, tmp_path: Path
) -> None:
    home = write_codex_home(tmp_path / "codex")
    artifact, error = await plan(
        strict,
        home,
        client_version="0.124.0",
        sources=(
            ("client_version", "`client_version` under [conduit] in data/config/wishcraft.toml"),
        ),
    )
    assert isinstance(error, ClientTooOld)
    message = str(error)
    assert "0.124.0" in message and "client_version" in message and "'gpt-6.1-sol'" in message
    (posted,) = strict.route_requests("responses")
    assert posted.headers["version"] == "0.124.0"
    assert posted.headers["user-agent"].startswith("codex_exec/0.124.0 ")
    assert strict.route_requests("models")[0].query == "client_version=0.124.0"


# 5. Errors: 404, cyber_policy, refresh, 401 -------------------------------------------------


async def test_cyber_policy_is_fatal(codex_server: LoopbackCodex, tmp_path: Path) -> None:
    home = write_codex_home(tmp_path / "codex")
    codex_server.enqueue(
        "responses",
        sse(failed_transcript("cyber_policy", "blocked")),
        sse(success_transcript([PLAN_JSON])),
    )
    _, error = await plan(codex_server, home)
    assert isinstance(error, ResponseFailed) and not error.retryable
    assert str(error) == (
        "OpenAI flagged this request for possible cybersecurity risk; reword the wish "
        "(sending the same request again will not help)."
    )
    assert len(codex_server.route_requests("responses")) == 1


@pytest.mark.parametrize(
    ("status", "body"),
    [
        (400, {"error": "invalid_grant", "error_description": "refresh token is invalid"}),
        (401, {"error": {"code": "token_expired"}}),
        (400, {"error": {"code": "refresh_token_reused"}}),
        (401, {"error": {"code": "refresh_token_invalidated"}}),
    ],
    ids=["invalid_grant", "401", "reused", "invalidated"],
)
async def test_a_refused_refresh_asks_for_codex_login_once(
    codex_server: LoopbackCodex, tmp_path: Path, status: int, body: dict[str, Any]
) -> None:
    home = write_codex_home(tmp_path / "codex", expires_in=120)  # within Codex's 5 minutes
    codex_server.enqueue("refresh", json_response(status, body))
    _, error = await plan(codex_server, home)
    assert isinstance(error, RefreshFailed) and error.permanent
    assert "codex login" in str(error)
    (refresh,) = codex_server.route_requests("refresh")
    assert refresh.json["refresh_reason"] == "proactive_expiry"
    assert codex_server.route_requests("responses") == []  # nothing sent with a dead login


async def test_refresh_headers_and_body_are_codexs(
    codex_server: LoopbackCodex, tmp_path: Path
) -> None:
    home = write_codex_home(tmp_path / "codex", expires_in=200)
    before = json.loads((home / "auth.json").read_text())
    codex_server.enqueue(
        "refresh",
        json_response(
            200,
            {
                "access_token": fake_jwt({"exp": int(time.time()) + 3600, "fake": 2}),
                "refresh_token": "rt_fake_rotated_000000",
                "id_token": before["tokens"]["id_token"],
            },
        ),
    )
    codex_server.enqueue("responses", sse(success_transcript([PLAN_JSON])))
    _, error = await plan(codex_server, home)
    assert error is None
    (refresh,) = codex_server.route_requests("refresh")
    assert list(refresh.json) == ["client_id", "grant_type", "refresh_reason", "refresh_token"]
    assert "authorization" not in refresh.headers
    assert refresh.headers["originator"] == "codex_exec"
    after = json.loads((home / "auth.json").read_text())
    assert list(after) == list(before)  # the same keys in the same order
    assert len(after["last_refresh"].split(".")[1]) == 10  # nanoseconds and Z


async def test_a_401_rereads_auth_json_and_resends_before_refreshing(
    codex_server: LoopbackCodex, tmp_path: Path
) -> None:
    home = write_codex_home(tmp_path / "codex")
    newer = fake_jwt({"exp": int(time.time()) + 7200, "fake": "newer-login"})

    def log_in_again(_request: Any) -> None:
        data = json.loads((home / "auth.json").read_text())
        data["tokens"]["access_token"] = newer
        (home / "auth.json").write_text(json.dumps(data))

    codex_server.enqueue(
        "responses",
        json_response(401, {"error": {"message": "expired"}}).__class__(
            **{**json_response(401, {"detail": "expired"}).__dict__, "hook": log_in_again}
        ),
        sse(success_transcript([PLAN_JSON])),
    )
    artifact, error = await plan(codex_server, home)
    assert error is None and artifact.status is PlanStatus.COMPLETE
    first, second = codex_server.route_requests("responses")
    assert second.headers["authorization"] == f"Bearer {newer}"
    assert codex_server.route_requests("refresh") == []


# 7. Proxies and CAs ---------------------------------------------------------------------------


async def test_the_proxy_from_the_environment_carries_every_call(
    codex_server: LoopbackCodex, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    home = write_codex_home(tmp_path / "codex", expires_in=100)
    before = json.loads((home / "auth.json").read_text())
    codex_server.enqueue(
        "refresh",
        json_response(
            200,
            {
                "access_token": fake_jwt({"exp": int(time.time()) + 3600}),
                "refresh_token": "rt_fake_via_proxy_00000",
                "id_token": before["tokens"]["id_token"],
            },
        ),
    )
    codex_server.enqueue("responses", sse(success_transcript([PLAN_JSON])))
    for name in ("NO_PROXY", "no_proxy", "ALL_PROXY", "all_proxy", "HTTPS_PROXY", "https_proxy"):
        monkeypatch.delenv(name, raising=False)
    with LoopbackProxy() as proxy:
        monkeypatch.setenv("HTTP_PROXY", proxy.url)
        artifact, error = await plan(codex_server, home)
    assert error is None and artifact.status is PlanStatus.COMPLETE
    assert [line.split(" ")[0] for line in proxy.seen] == ["POST", "GET", "POST"]
    assert proxy.seen[0].endswith("/oauth/token") and proxy.seen[2].endswith("/responses")


async def test_no_proxy_bypasses_the_proxy(
    codex_server: LoopbackCodex, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    home = write_codex_home(tmp_path / "codex")
    codex_server.enqueue("responses", sse(success_transcript([PLAN_JSON])))
    with LoopbackProxy() as proxy:
        monkeypatch.setenv("HTTP_PROXY", proxy.url)
        monkeypatch.setenv("NO_PROXY", "127.0.0.1,localhost")
        _, error = await plan(codex_server, home)
    assert error is None and proxy.seen == []


@pytest.mark.skipif(not have_openssl(), reason="openssl makes the throwaway CA")
async def test_codex_ca_certificate_is_trusted_and_redirects_still_refused(tmp_path: Path) -> None:
    authority = make_authority(tmp_path / "ca")
    home = write_codex_home(tmp_path / "codex")
    with LoopbackCodex(tls=authority.server_context()) as server:
        server.enqueue("responses", sse(success_transcript([PLAN_JSON])))
        _, untrusted = await plan(server, home)
        assert isinstance(untrusted, TransportError)
        env = {"CODEX_HOME": str(home), "CODEX_CA_CERTIFICATE": str(authority.ca_cert)}
        config = load_config(None, env=env)
        assert config.ca_certificate == authority.ca_cert
        artifact, error = await plan(server, home, ca_certificate=config.ca_certificate)
        assert error is None and artifact.status is PlanStatus.COMPLETE
        assert server.origin.startswith("https://")


async def test_an_unreadable_ca_certificate_is_one_sentence(tmp_path: Path) -> None:
    config = load_config(
        None, env={"CODEX_HOME": str(tmp_path), "SSL_CERT_FILE": str(tmp_path / "missing.pem")}
    )
    with pytest.raises(ConduitConfigError, match="SSL_CERT_FILE"):
        CodexClient(config)


# 8. API-key mode ------------------------------------------------------------------------------


def write_api_key_login(home: Path, key: str) -> None:
    home.mkdir(parents=True, exist_ok=True)
    (home / "auth.json").write_text(json.dumps({"auth_mode": "apikey", "OPENAI_API_KEY": key}))


async def test_an_api_key_login_posts_to_the_public_api(
    codex_server: LoopbackCodex, tmp_path: Path
) -> None:
    key = "sk-fake-api-key-0123456789abcdef"
    write_api_key_login(tmp_path / "codex", key)
    codex_server.enqueue("api", sse(success_transcript([PLAN_JSON])))
    artifact, error = await plan(
        codex_server, tmp_path / "codex", api_base_url=codex_server.api_base_url
    )
    assert error is None and artifact.auth_mode == "apikey"
    (posted,) = codex_server.route_requests("api")
    assert posted.headers["authorization"] == f"Bearer {key}"
    assert "chatgpt-account-id" not in posted.headers
    assert codex_server.route_requests("responses") == []
    assert codex_server.route_requests("models") == []  # no ChatGPT catalog with a key
    assert key not in artifact.model_dump_json()


async def test_a_chatgpt_login_wins_over_an_environment_key(
    codex_server: LoopbackCodex, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", "sk-fake-env-key-0123456789abcd")
    home = write_codex_home(tmp_path / "codex")
    codex_server.enqueue("responses", sse(success_transcript([PLAN_JSON])))
    artifact, error = await plan(codex_server, home, api_base_url=codex_server.api_base_url)
    assert error is None and artifact.auth_mode == "chatgpt"
    assert codex_server.route_requests("api") == []


async def test_an_environment_key_serves_without_a_login(
    codex_server: LoopbackCodex, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    key = "sk-fake-env-key-abcdef0123456789"
    monkeypatch.setenv("OPENAI_API_KEY", key)
    codex_server.enqueue("api", json_response(401, {"error": {"message": f"bad key {key}"}}))
    artifact, error = await plan(
        codex_server, tmp_path / "nologin", api_base_url=codex_server.api_base_url
    )
    assert isinstance(error, AuthError)
    assert "OPENAI_API_KEY" in str(error) and key not in str(error)
    assert key not in artifact.model_dump_json() and key not in error.detail


# 9. The served model ------------------------------------------------------------------------


async def test_a_reroute_in_the_headers_is_recorded(
    codex_server: LoopbackCodex, tmp_path: Path
) -> None:
    home = write_codex_home(tmp_path / "codex")
    codex_server.enqueue(
        "responses", sse(success_transcript([PLAN_JSON]), headers={"openai-model": "gpt-5.5"})
    )
    artifact, error = await plan(codex_server, home)
    assert error is None
    assert (artifact.requested_model, artifact.model, artifact.rerouted) == (
        "gpt-6.1-sol",
        "gpt-5.5",
        True,
    )


async def test_the_served_model_in_an_events_headers_in_any_case(
    codex_server: LoopbackCodex, tmp_path: Path
) -> None:
    home = write_codex_home(tmp_path / "codex")
    frames = success_transcript([PLAN_JSON])
    created = frame(
        "response.created",
        {
            "type": "response.created",
            "response": {"id": "resp_1", "headers": {"OPENAI-MODEL": "gpt-6-luna"}},
        },
    )
    codex_server.enqueue(
        "responses", sse([created, *frames[1:]], headers={"openai-model": "gpt-6.1-sol"})
    )
    artifact, error = await plan(codex_server, home)
    assert error is None and artifact.model == "gpt-6-luna" and artifact.rerouted
