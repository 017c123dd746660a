"""The conduit's pure parts: config layers, auth.json reading,
step parsing, the shadow plan, the side document, error sentences and redaction."""

from __future__ import annotations

import base64
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import yaml

from testkit.paths import EXAMPLES
from wishcraft.conduit.auth import jwt_claims, load_auth
from wishcraft.conduit.config import load_config
from wishcraft.conduit.errors import (
    ConduitConfigError,
    LoginMissing,
    describe_reset,
)
from wishcraft.conduit.request import new_session_id
from wishcraft.conduit.usage import TokenUsage
from wishcraft.config import load_workspace_config
from wishcraft.model import ExecMode, Wish
from wishcraft.plan.artifact import PlanArtifact, PlanStatus, PlanStep
from wishcraft.plan.render import render_plan
from wishcraft.plan.shadow import shadow_steps
from wishcraft.plan.steps import count_steps_so_far, parse_plan_text, partial_steps
from wishcraft.redaction import redact

WISH_TEXT = (EXAMPLES / "data/wishes/lighthouse.wish.yaml").read_text()
WISH = Wish.model_validate(yaml.safe_load(WISH_TEXT))


def b64(data: dict[str, object]) -> str:
    return base64.urlsafe_b64encode(json.dumps(data).encode()).decode().rstrip("=")


def fake_jwt(payload: dict[str, object]) -> str:
    return f"{b64({'alg': 'none'})}.{b64(payload)}.fake-signature"


def write_auth(home: Path, **tokens: object) -> Path:
    home.mkdir(parents=True, exist_ok=True)
    path = home / "auth.json"
    path.write_text(
        json.dumps(
            {
                "auth_mode": "chatgpt",
                "OPENAI_API_KEY": None,
                "tokens": tokens,
                "last_refresh": "2026-01-01T00:00:00Z",
            }
        )
    )
    return path


def test_session_ids_are_uuid_v7() -> None:
    first, second = new_session_id(), new_session_id()
    assert first != second and first[14] == "7" and first[19] in "89ab"


def test_account_id_falls_back_to_the_id_token_claim(tmp_path: Path) -> None:
    id_token = fake_jwt({"https://api.openai.com/auth": {"chatgpt_account_id": "from-claim"}})
    write_auth(tmp_path, access_token=fake_jwt({}), id_token=id_token, account_id=None)
    assert load_auth(tmp_path).account_id == "from-claim"


@pytest.mark.parametrize(
    ("content", "words"),
    [
        (None, "No Codex login found"),
        ("{not json", "is not valid JSON"),
        (json.dumps({"auth_mode": "apikey", "OPENAI_API_KEY": "sk-fake"}), "holds no key"),
    ],
)
def test_missing_or_broken_login_says_run_codex_login(
    tmp_path: Path, content: str | None, words: str
) -> None:
    if content is not None:
        (tmp_path / "auth.json").write_text(content)
    with pytest.raises(LoginMissing, match=words) as caught:
        load_auth(tmp_path)
    assert "codex login" in str(caught.value)
    assert "sk-fake" not in str(caught.value)


def test_jwt_claims_of_a_non_jwt_are_empty() -> None:
    assert jwt_claims("a.b") == {}
    assert jwt_claims("opaque-token") == {}


def test_config_layers(tmp_path: Path) -> None:
    home = tmp_path / "codex"
    home.mkdir()
    (home / "config.toml").write_text(
        'model = "gpt-5-codex"\nmodel_reasoning_effort = "high"\nmodel_verbosity = "low"\n'
    )
    workspace = tmp_path / "ws"
    (workspace / "data" / "config").mkdir(parents=True)
    (workspace / "data" / "config" / "wishcraft.toml").write_text(
        '[conduit]\nmodel_reasoning_effort = "low"\n'
    )
    config = load_config(load_workspace_config(workspace), env={"CODEX_HOME": str(home)})
    assert (config.model, config.reasoning_effort, config.verbosity) == (
        "gpt-5-codex",
        "low",
        "low",
    )
    config = load_config(
        load_workspace_config(workspace),
        env={
            "CODEX_HOME": str(home),
            "OPENAI_MODEL": "gpt-5.1",
            "CHATGPT_BASE_URL": "http://127.0.0.1:1/x/",
        },
    )
    assert (config.model, config.base_url) == ("gpt-5.1", "http://127.0.0.1:1/x")
    assert load_config(None, env={"CODEX_HOME": str(tmp_path / "none")}).model is None
    (home / "config.toml").write_text('model_reasoning_effort = "extreme"\n')
    with pytest.raises(ConduitConfigError, match="model_reasoning_effort|reasoning_effort"):
        load_config(None, env={"CODEX_HOME": str(home)})


def test_refresh_url_override() -> None:
    config = load_config(
        None,
        env={
            "CODEX_HOME": "/nonexistent",
            "CODEX_REFRESH_TOKEN_URL_OVERRIDE": "http://127.0.0.1:5/t",
        },
    )
    assert config.refresh_url == "http://127.0.0.1:5/t"


def test_steps_from_json_and_from_numbered_text() -> None:
    steps, notes = parse_plan_text(
        '{"steps":[{"title":"A","detail":"d","acceptance":"c"}],"notes":["n"]}'
    )
    assert steps == [PlanStep(title="A", detail="d", acceptance="c")] and notes == ["n"]
    steps, notes = parse_plan_text(
        "Plan:\n1. Survey the code (acceptance: notes written)\n"
        "2) Write docs/wish.md — check: headings present\n"
    )
    assert [(s.title, s.acceptance) for s in steps] == [
        ("Survey the code", "notes written"),
        ("Write docs/wish.md", "headings present"),
    ]
    assert count_steps_so_far('{"steps":[{"title":"A"},{"title":"B') == 2
    assert [s.title for s in partial_steps('{"steps":[{"title":"A"},{"title":"B')] == ["A"]


def test_shadow_plan_is_deterministic_and_keeps_to_seven_steps() -> None:
    assert shadow_steps(WISH) == shadow_steps(WISH)
    long = WISH.model_copy(update={"plan": [f"step {n}" for n in range(9)]})
    steps, notes = shadow_steps(long)
    assert len(steps) == 7 and "step 8" in steps[-1].detail
    assert notes[0].startswith("Shadow run")


def test_side_document() -> None:
    artifact = PlanArtifact(
        plan_steps=["A"],
        prompt_hash="abc",
        mode=ExecMode.COMMIT,
        status=PlanStatus.INCOMPLETE,
        status_reason="cancelled",
        steps=[PlanStep(title="A | B", acceptance="c")],
        usage=TokenUsage(input=10, cached=3, output=5, reasoning=2, total=15),
        model="gpt-5",
        started_at=datetime(2026, 1, 1, tzinfo=UTC),
        request_id="req-1",
    )
    text = render_plan(WISH, artifact)
    assert text.startswith("# Plan: Relight the Sunken Quarter lighthouse\n\n> Place 3")
    assert "**Incomplete**: cancelled." in text
    assert "1. **A | B**\n   - Acceptance: c" in text
    assert "| tokens | 15 (input 10, cached 3; output 5, reasoning 2) |" in text
    assert "| request id | req-1 |" in text
    assert "## Invariants to respect\n\n- No harm to civilians" in text
    assert "## Rollback\n\n- Remove the 3 beacon lamps" in text
    streaming = render_plan(WISH, artifact, streaming=True, steps=[])
    assert "_Writing the plan… 0 steps so far._" in streaming


def test_redact_and_reset_words() -> None:
    token = fake_jwt({"sub": "x" * 20})
    assert token not in redact(f"Authorization: Bearer {token}")
    assert "rt_fake_abcdefgh" not in redact("refresh rt_fake_abcdefgh123")
    now = datetime(2026, 3, 27, 10, 30, tzinfo=UTC)
    assert (
        describe_reset(now + timedelta(minutes=90), now)
        == "in 1 hour 30 minutes (at 2026-03-27 12:00 UTC)"
    )
