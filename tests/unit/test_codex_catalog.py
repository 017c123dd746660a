"""Codex today, the pure parts: the catalog, the model and effort choice, the version we
present, the request shape and headers of Codex 0.169.0, and the refresh schedule."""

from __future__ import annotations

import json
import os
import shutil
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from testkit import catalog as loopback_catalog
from testkit.codex_home import fake_jwt, write_codex_home
from testkit.loopback import CODEX_BODY_KEYS
from testkit.paths import CODEX_FIXTURES
from testkit.samples import LIGHTHOUSE, LIGHTHOUSE_TEXT
from wishcraft.conduit import version as version_module
from wishcraft.conduit.auth import CodexAuth, load_auth, load_login
from wishcraft.conduit.catalog import (
    BUILTIN_MODELS,
    Catalog,
    CatalogStore,
    nearest_effort,
    parse_model,
    parse_models,
    read_cache_file,
    version_below,
)
from wishcraft.conduit.choice import choose_model, describe_choice
from wishcraft.conduit.config import ConduitConfig, load_config
from wishcraft.conduit.errors import LoginMissing
from wishcraft.conduit.request import (
    PLAN_SCHEMA,
    PLANNER_INSTRUCTIONS,
    TurnIds,
    build_body,
    build_headers,
    user_agent,
)
from wishcraft.conduit.version import BUILTIN_CLIENT_VERSION, resolve_client_version
from wishcraft.config import load_workspace_config
from wishcraft.timestamps import codex_timestamp

CATALOG = Catalog(parse_models(loopback_catalog.catalog()), "GET /models")


def write_cache(home: Path, *, age_seconds: float, client_version: str = "0.168.0") -> Path:
    home.mkdir(parents=True, exist_ok=True)
    fetched = datetime.now(UTC) - timedelta(seconds=age_seconds)
    stamp = fetched.strftime("%Y-%m-%dT%H:%M:%S.%f") + "123Z"  # nanoseconds, as Codex
    path = home / "models_cache.json"
    path.write_text(
        json.dumps(
            {
                "fetched_at": stamp,
                "etag": '"e1"',
                "client_version": client_version,
                "identity": "ab12",
                **loopback_catalog.catalog(),
            }
        )
    )
    return path


# The catalog --------------------------------------------------------------------------------


def test_the_template_goes_verbatim_and_plain_entries_their_base_instructions() -> None:
    """As measured from Codex 0.169.0: the `{{ personality }}` placeholder is not filled."""
    sol = CATALOG.get("gpt-6.1-sol")
    luna = CATALOG.get("gpt-6-luna")
    assert sol is not None and luna is not None
    assert sol.instructions == loopback_catalog.TEMPLATE_INSTRUCTIONS
    assert luna.instructions == loopback_catalog.BASE_INSTRUCTIONS
    assert luna.efforts == ("minimal", "low", "medium") and not luna.supports_verbosity


def test_the_default_is_the_listed_entry_with_the_lowest_priority_never_a_hidden_one() -> None:
    hidden = CATALOG.get("codex-auto-review")
    assert hidden is not None and hidden.priority == 0 and not hidden.listed
    default = CATALOG.default()
    assert default is not None and default.slug == loopback_catalog.DEFAULT_SLUG
    assert "codex-auto-review" not in CATALOG.listed_slugs()


def test_api_key_mode_offers_only_models_the_api_serves() -> None:
    assert "gpt-5.6-terra" in CATALOG.listed_slugs()
    assert "gpt-5.6-terra" not in CATALOG.listed_slugs(api=True)


def test_the_builtin_table_holds_facts_only_and_defaults_to_gpt_6_2_sol() -> None:
    catalog = Catalog(BUILTIN_MODELS, "built-in")
    default = catalog.default()
    assert default is not None and default.slug == "gpt-6.2-sol" and default.use_responses_lite
    assert all(info.instructions is None for info in BUILTIN_MODELS)
    assert "gpt-5" not in {info.slug for info in BUILTIN_MODELS}


def test_the_builtin_table_is_codex_0_171_0s_bundled_catalog() -> None:
    """Every fact of §0.2's table, entry by entry and in priority order (issue 19)."""
    facts = json.loads(
        (CODEX_FIXTURES / "bundled-catalog-0.171.0.json").read_text(encoding="utf-8")
    )
    every = facts["every_entry"]
    table = [
        {
            "slug": info.slug,
            "priority": info.priority,
            "visibility": info.visibility,
            "minimal_client_version": info.minimal_client_version,
            "default_reasoning_level": info.default_effort,
            "supported_reasoning_levels": list(info.efforts),
            "use_responses_lite": info.use_responses_lite,
            "default_verbosity": info.default_verbosity,
        }
        for info in sorted(BUILTIN_MODELS, key=lambda info: info.priority)
    ]
    assert table == facts["models"]
    assert [info.slug for info in BUILTIN_MODELS] == [row["slug"] for row in facts["models"]]
    for info in BUILTIN_MODELS:
        assert info.apply_patch_tool_type == every["apply_patch_tool_type"]
        assert info.supports_verbosity is every["support_verbosity"]
        assert info.default_summary == every["default_reasoning_summary"]
        assert info.supported_in_api is every["supported_in_api"]
    default = Catalog(BUILTIN_MODELS, "built-in").default()
    assert default is not None and default.slug == facts["default"]


def test_a_slug_matches_exactly_else_by_its_longest_prefix() -> None:
    found = CATALOG.get("gpt-6.1-sol-2026-11-01")
    assert found is not None and found.slug == "gpt-6.1-sol"
    assert CATALOG.get("gpt-5") is None


@pytest.mark.parametrize(
    ("entry", "slug"),
    [
        ({"slug": "x", "priority": "high", "supported_reasoning_levels": "no"}, "x"),
        ({"display_name": "no slug"}, None),
        ("not a mapping", None),
    ],
)
def test_odd_catalog_entries_are_read_or_skipped_never_raised(
    entry: object, slug: str | None
) -> None:
    parsed = parse_model(entry)
    assert (parsed.slug if parsed else None) == slug
    if parsed:
        assert parsed.priority == 1000 and parsed.efforts == ()


def test_a_fresh_models_cache_is_read_with_its_nanoseconds_and_version(tmp_path: Path) -> None:
    write_cache(tmp_path, age_seconds=30)
    cached = read_cache_file(tmp_path)
    assert cached is not None and cached.is_fresh() and cached.client_version == "0.168.0"
    write_cache(tmp_path, age_seconds=600)
    stale = read_cache_file(tmp_path)
    assert stale is not None and not stale.is_fresh()


def test_offline_prefers_fresh_then_stale_then_builtin(tmp_path: Path) -> None:
    store = CatalogStore()
    assert store.offline(tmp_path).source == "built-in"
    write_cache(tmp_path, age_seconds=600)
    assert store.offline(tmp_path).source == "stale models_cache.json"
    write_cache(tmp_path, age_seconds=10)
    assert store.offline(tmp_path).source == "models_cache.json"


def test_reading_the_catalog_never_writes_codex_files(tmp_path: Path) -> None:
    path = write_cache(tmp_path, age_seconds=600)
    before = (path.read_bytes(), path.stat().st_mtime_ns)
    CatalogStore().offline(tmp_path)
    assert (path.read_bytes(), path.stat().st_mtime_ns) == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["models_cache.json"]


@pytest.mark.parametrize(
    ("wanted", "supported", "expected"),
    [
        ("medium", ("low", "medium", "high"), "medium"),
        ("minimal", ("low", "medium", "high"), "low"),
        ("xhigh", ("low", "medium", "high"), "high"),
        ("high", ("minimal", "low", "medium"), "medium"),
        ("none", ("low", "high"), "low"),
        ("ultra", ("low", "medium", "high", "xhigh", "max"), "max"),
    ],
)
def test_the_nearest_supported_effort(
    wanted: str, supported: tuple[str, ...], expected: str
) -> None:
    assert nearest_effort(wanted, supported) == expected


@pytest.mark.parametrize(
    ("version", "minimal", "below"),
    [
        ("0.124.0", "0.142.2", True),
        ("0.169.0", "0.155.0", False),
        ("0.155.0", "0.155.0", False),
        ("0.99.9", "0.142.2", True),
        ("1.0.0", None, False),
    ],
)
def test_version_comparison(version: str, minimal: str | None, below: bool) -> None:
    assert version_below(version, minimal) is below


# The choice ---------------------------------------------------------------------------------


def config_with(
    tmp_path: Path,
    *,
    codex_toml: str = "",
    workspace_toml: str = "",
    env: dict[str, str] | None = None,
    model: str | None = None,
) -> ConduitConfig:
    home = tmp_path / "codex"
    home.mkdir(exist_ok=True)
    (home / "config.toml").write_text(codex_toml)
    workspace = tmp_path / "ws"
    (workspace / "data" / "config").mkdir(parents=True, exist_ok=True)
    (workspace / "data" / "config" / "wishcraft.toml").write_text(workspace_toml)
    return load_config(
        load_workspace_config(workspace),
        env={"CODEX_HOME": str(home), **(env or {})},
        overrides={"model": model},
        overrides_source="--model",
    )


@pytest.mark.parametrize(
    ("setup", "slug", "source"),
    [
        ({}, "gpt-6.1-sol", "the catalog's default (GET /models)"),
        ({"codex_toml": 'model = "gpt-5.5"\n'}, "gpt-5.5", "`model` in "),
        (
            {
                "codex_toml": 'model = "gpt-5.5"\n',
                "workspace_toml": '[conduit]\nmodel = "gpt-6-luna"\n',
            },
            "gpt-6-luna",
            "`model` under [conduit] in ",
        ),
        (
            {
                "workspace_toml": '[conduit]\nmodel = "gpt-6-luna"\n',
                "env": {"OPENAI_MODEL": "gpt-5.5"},
            },
            "gpt-5.5",
            "the environment variable OPENAI_MODEL",
        ),
        ({"env": {"OPENAI_MODEL": "gpt-5.5"}, "model": "gpt-6-luna"}, "gpt-6-luna", "--model"),
    ],
    ids=[
        "catalog-default",
        "codex-config",
        "workspace-over-codex",
        "env-over-workspace",
        "flag-over-env",
    ],
)
def test_the_first_model_that_is_set_wins_and_says_where(
    tmp_path: Path, setup: dict[str, object], slug: str, source: str
) -> None:
    config = config_with(tmp_path, **setup)  # type: ignore[arg-type]
    choice = choose_model(config, CATALOG)
    assert choice.slug == slug and choice.source.startswith(source)


def test_an_unsupported_effort_becomes_the_nearest_and_is_said_once(tmp_path: Path) -> None:
    config = config_with(
        tmp_path, codex_toml='model = "gpt-6-luna"\nmodel_reasoning_effort = "xhigh"\n'
    )
    choice = choose_model(config, CATALOG)
    assert choice.effort == "medium"
    (note,) = choice.notes
    assert "'xhigh'" in note and "'medium'" in note and "config.toml" in note


def test_summary_and_verbosity_follow_the_catalog(tmp_path: Path) -> None:
    sol = choose_model(ConduitConfig(model="gpt-6.1-sol"), CATALOG)
    assert (sol.effort, sol.summary, sol.verbosity) == ("medium", "auto", "low")
    luna = choose_model(ConduitConfig(model="gpt-6-luna"), CATALOG)
    assert (luna.effort, luna.summary, luna.verbosity) == ("low", None, None)
    unknown = choose_model(ConduitConfig(model="my-local-model"), CATALOG)
    assert (unknown.info, unknown.effort, unknown.summary, unknown.instructions) == (
        None,
        None,
        "auto",
        None,
    )


def test_model_instructions_file_replaces_the_catalogs_instructions(tmp_path: Path) -> None:
    prompt = tmp_path / "official.md"
    prompt.write_text("OFFICIAL PROMPT")
    choice = choose_model(ConduitConfig(model="gpt-6.1-sol", instructions_file=prompt), CATALOG)
    assert choice.instructions == "OFFICIAL PROMPT"


def test_describe_choice_names_the_model_and_where_it_came_from(tmp_path: Path) -> None:
    config = config_with(tmp_path, codex_toml='model = "gpt-5.5"\n')
    text = describe_choice(choose_model(config, CATALOG), "0.169.0")
    assert text.startswith("gpt-5.5 (effort medium), set by `model` in ")
    assert "presented as Codex 0.169.0" in text


# The version --------------------------------------------------------------------------------


def test_version_order(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    home = tmp_path / "codex"
    home.mkdir()
    monkeypatch.setattr(shutil, "which", lambda name: None)
    assert (
        resolve_client_version(ConduitConfig(codex_home=home)).version
        == BUILTIN_CLIENT_VERSION
        == "0.171.0"
    )
    fake = tmp_path / "codex-bin"
    fake.write_text("#!/bin/sh\necho 'codex-cli 0.171.2'\n")
    fake.chmod(0o755)
    monkeypatch.setattr(shutil, "which", lambda name: str(fake))
    found = resolve_client_version(ConduitConfig(codex_home=home))
    assert (found.version, found.source) == ("0.171.2", "`codex --version`")
    # A cache written by an older Codex does not hide the newer installed one (issue 19).
    write_cache(home, age_seconds=9999, client_version="0.170.0")
    assert resolve_client_version(ConduitConfig(codex_home=home)).version == "0.171.2"
    write_cache(home, age_seconds=9999, client_version="0.172.0")
    found = resolve_client_version(ConduitConfig(codex_home=home))
    assert (found.version, found.source) == ("0.172.0", "the Codex model cache")
    configured = ConduitConfig(
        codex_home=home,
        client_version="0.160.1",
        sources=(("client_version", "`client_version` under [conduit]"),),
    )
    assert resolve_client_version(configured) == version_module.ClientVersion(
        "0.160.1", "`client_version` under [conduit]"
    )


def test_codex_version_is_asked_once_per_binary_path_and_mtime(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    home = tmp_path / "codex"
    home.mkdir()
    calls = tmp_path / "calls"
    fake = tmp_path / "codex-bin"
    fake.write_text(f"#!/bin/sh\necho run >> {calls}\necho 'codex-cli 0.172.0'\n")
    fake.chmod(0o755)
    monkeypatch.setattr(shutil, "which", lambda name: str(fake))
    config = ConduitConfig(codex_home=home)
    # Not asked yet: hover (probe=False) runs no process and falls back.
    assert resolve_client_version(config, probe=False).version == BUILTIN_CLIENT_VERSION
    assert not calls.exists()
    for _ in range(3):
        assert resolve_client_version(config).version == "0.172.0"
        assert resolve_client_version(config, probe=False).version == "0.172.0"
    assert calls.read_text().count("run") == 1
    # An upgrade in place (new mtime) is asked again, once.
    fake.write_text(f"#!/bin/sh\necho run >> {calls}\necho 'codex-cli 0.173.0'\n")
    stat = fake.stat()
    os.utime(fake, ns=(stat.st_atime_ns, stat.st_mtime_ns + 10**9))
    assert resolve_client_version(config).version == "0.173.0"
    assert resolve_client_version(config).version == "0.173.0"
    assert calls.read_text().count("run") == 2


# The request --------------------------------------------------------------------------------


def test_the_body_has_codex_key_order_no_instructions_and_model_instructions_first() -> None:
    choice = choose_model(ConduitConfig(model="gpt-6.1-sol"), CATALOG)
    ids = TurnIds.new()
    body, digest = build_body(LIGHTHOUSE, LIGHTHOUSE_TEXT, "lighthouse.wish.yaml", choice, ids)
    assert list(body) == CODEX_BODY_KEYS
    assert "instructions" not in body
    first, planner, user = body["input"]
    assert [item["role"] for item in body["input"]] == ["developer", "developer", "user"]
    assert first["content"][0]["text"] == CATALOG.get("gpt-6.1-sol").instructions  # type: ignore[union-attr]
    assert PLANNER_INSTRUCTIONS in planner["content"][0]["text"]
    assert "Objective: Place 3 beacon lamps" in user["content"][0]["text"]
    assert all(item["id"].startswith("msg_") for item in body["input"])
    assert [item["id"][18] for item in body["input"]] == ["5", "7", "7"]  # UUID versions
    assert len({item["id"] for item in body["input"]}) == 3
    assert body["reasoning"] == {"effort": "medium", "summary": "auto"}
    assert body["text"] == {
        "verbosity": "low",
        "format": {
            "type": "json_schema",
            "strict": True,
            "name": "codex_output_schema",
            "schema": PLAN_SCHEMA,
        },
    }
    assert body["prompt_cache_key"] == ids.session_id and len(digest) == 64


def test_without_a_catalog_only_the_planner_text_is_sent() -> None:
    choice = choose_model(ConduitConfig(), Catalog(BUILTIN_MODELS, "built-in"))
    body, _ = build_body(LIGHTHOUSE, LIGHTHOUSE_TEXT, "w.yaml", choice, TurnIds.new())
    # The built-in default is lite: its (empty) tools item first, then no model instructions.
    assert [item["type"] for item in body["input"]] == ["additional_tools", "message", "message"]
    assert [item["role"] for item in body["input"][1:]] == ["developer", "user"]
    assert body["model"] == "gpt-6.2-sol"


def test_the_prompt_hash_does_not_change_with_the_model() -> None:
    ids = TurnIds.new()
    hashes = {
        build_body(
            LIGHTHOUSE,
            LIGHTHOUSE_TEXT,
            "w.yaml",
            choose_model(ConduitConfig(model=slug), CATALOG),
            ids,
        )[1]
        for slug in ("gpt-6.1-sol", "gpt-6-luna")
    }
    assert len(hashes) == 1


def test_headers_are_codex_0_169_0s(tmp_path: Path) -> None:
    home = write_codex_home(tmp_path / "codex")
    auth = load_auth(home)
    ids = TurnIds.new()
    headers = build_headers(auth, ConduitConfig(), version="0.169.0", ids=ids, model="gpt-6.1-sol")
    assert (
        headers["session-id"]
        == headers["thread-id"]
        == headers["x-client-request-id"]
        == ids.session_id
    )
    assert ids.session_id[14] == "7"  # a UUIDv7
    assert headers["x-codex-window-id"] == f"{ids.session_id}:0"
    assert headers["version"] == "0.169.0" and headers["originator"] == "codex_exec"
    assert headers["chatgpt-account-id"] == auth.account_id
    for gone in ("openai-beta", "session_id", "conversation_id", "OpenAI-Beta"):
        assert gone not in headers


def test_the_user_agent_has_codex_shape(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TERM", "xterm")
    monkeypatch.delenv("TERM_PROGRAM", raising=False)
    agent = user_agent(ConduitConfig(), "0.169.0")
    assert agent.startswith("codex_exec/0.169.0 (")
    assert agent.endswith(") xterm (codex_exec; 0.169.0)")


# Logins and the refresh schedule --------------------------------------------------------------


def test_refresh_five_minutes_before_exp() -> None:
    now = time.time()

    def auth(token: str, last_refresh: float | None = None) -> CodexAuth:
        return CodexAuth(Path("auth.json"), token, "rt", None, None, last_refresh)

    assert auth(fake_jwt({"exp": now + 240})).needs_refresh(now)
    assert auth(fake_jwt({"exp": now + 300})).needs_refresh(now)
    assert not auth(fake_jwt({"exp": now + 420})).needs_refresh(now)
    assert not auth("opaque", last_refresh=now - 7 * 86400).needs_refresh(now)
    assert auth("opaque", last_refresh=now - 8 * 86400).needs_refresh(now)


def test_last_refresh_is_written_with_nanoseconds() -> None:
    stamp = codex_timestamp(1_764_486_000_123_456_789)
    assert stamp == "2025-11-30T07:00:00.123456789Z"


def test_api_key_logins(tmp_path: Path) -> None:
    home = tmp_path / "codex"
    home.mkdir()
    (home / "auth.json").write_text(
        json.dumps({"auth_mode": "apikey", "OPENAI_API_KEY": "sk-fake-key-from-file-0001"})
    )
    login = load_login(home, env={})
    assert login.is_api_key and login.access_token == "sk-fake-key-from-file-0001"
    assert "sk-fake" not in repr(login)
    (home / "auth.json").unlink()
    with pytest.raises(LoginMissing):
        load_login(home, env={})
    login = load_login(home, env={"OPENAI_API_KEY": "sk-fake-key-from-env-00002"})
    assert login.is_api_key and login.source == "OPENAI_API_KEY"
    write_codex_home(home)
    chatgpt = load_login(home, env={"OPENAI_API_KEY": "sk-fake-key-from-env-00002"})
    assert not chatgpt.is_api_key and chatgpt.mode == "chatgpt"


def test_a_chatgpt_login_with_an_exchanged_key_stays_a_chatgpt_login(tmp_path: Path) -> None:
    home = write_codex_home(tmp_path / "codex")
    data = json.loads((home / "auth.json").read_text())
    data["OPENAI_API_KEY"] = "sk-fake-exchanged-key-0003"
    (home / "auth.json").write_text(json.dumps(data))
    assert load_login(home, env={}).mode == "chatgpt"


def test_env_does_not_leak_between_tests() -> None:
    assert "sk-fake" not in os.environ.get("OPENAI_API_KEY", "")
