"""'Plan this wish' against the loopback Codex server: streaming, cancellation, errors.

The server runs as a subprocess with `CODEX_HOME` holding a fake login and `CHATGPT_BASE_URL`
pointing at a real HTTP server on 127.0.0.1 that this test scripts.
"""

from __future__ import annotations

import asyncio
import json
import os
import shutil
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import pytest
import pytest_asyncio
from lsprotocol import types

from testkit.codex_home import write_codex_home  # noqa: E402
from testkit.loopback import LoopbackCodex, json_response, sse, success_transcript  # noqa: E402
from testkit.lsp_client import TYPOS_WISH, VALID_WISH, WAIT_SECONDS, WORKSPACE, WishClient
from testkit.lsp_planning import start_client, wait_for_message, wait_for_progress_end
from testkit.samples import SAMPLE_PLAN, chunks  # noqa: E402
from wishcraft.names import COMMAND_PLAN_WISH

pytestmark = pytest.mark.asyncio(loop_scope="module")

PLAN = SAMPLE_PLAN
CHUNKS = chunks(PLAN, 25)


@pytest.fixture(scope="module")
def codex() -> Iterator[LoopbackCodex]:
    """One loopback Codex server for the module."""
    with LoopbackCodex() as server:
        yield server


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def client(
    codex: LoopbackCodex,
    tmp_path_factory: pytest.TempPathFactory,
) -> AsyncIterator[WishClient]:
    """A VS Code-like client; the server has a Codex login and talks to the loopback server."""
    root = tmp_path_factory.mktemp("plan-live")
    shutil.copytree(WORKSPACE, root, dirs_exist_ok=True)
    home = write_codex_home(tmp_path_factory.mktemp("codex-home"))
    env = {
        **os.environ,
        "CODEX_HOME": str(home),
        "CHATGPT_BASE_URL": codex.base_url,
        "CODEX_REFRESH_TOKEN_URL_OVERRIDE": codex.refresh_url,
    }
    client = await start_client("vscode", root, env)
    client.codex_home = home  # type: ignore[attr-defined]
    yield client
    codex.release_stalls()
    await client.shutdown_session()


@pytest.fixture(autouse=True)
def fresh_script(codex: LoopbackCodex) -> None:
    """Each test scripts its own answers on the shared server."""
    codex.clear()


async def execute_plan(client: WishClient, name: str, text: str = VALID_WISH) -> dict[str, Any]:
    await client.open(name, text)
    result = await client.workspace_execute_command_async(
        types.ExecuteCommandParams(command=COMMAND_PLAN_WISH, arguments=[client.uri(name)])
    )
    assert isinstance(result, dict), result
    assert result["started"] is True
    return result


async def wait_for_report(client: WishClient, token: str, words: str) -> None:
    async def seen() -> None:
        while not any(
            words in (getattr(value, "message", "") or "")
            for value in client.progress_reports.get(token, [])
        ):
            await client.wait_for_notification("$/progress")

    await asyncio.wait_for(seen(), WAIT_SECONDS)


def secrets(client: WishClient) -> list[str]:
    home: Path = client.codex_home  # type: ignore[attr-defined]
    tokens = json.loads((home / "auth.json").read_text())["tokens"]
    return [value for key, value in tokens.items() if key != "account_id" and value]


def leaked(client: WishClient, *texts: str) -> list[str]:
    everything = (
        [m.message for m in client.messages]
        + [m.message for m in client.log_messages]
        + list(texts)
        + [
            json.dumps(getattr(v, "message", ""))
            for values in client.progress_reports.values()
            for v in values
        ]
    )
    return [secret[:10] for secret in secrets(client) for text in everything if secret in text]


async def test_live_plan_streams_into_the_side_document(
    codex: LoopbackCodex, client: WishClient
) -> None:
    codex.enqueue("responses", sse(success_transcript(CHUNKS), per_frame_delay=0.03))
    result = await execute_plan(client, "data/wishes/l-live.wish.yaml")
    values = await wait_for_progress_end(client, result["token"])
    begin, *reports, end = values
    assert begin.message == "Connecting to Codex" and begin.cancellable
    messages = [report.message for report in reports]
    assert "Waiting for the model" in messages
    assert any(message.startswith("Writing the plan: ") for message in messages)
    assert end.message.startswith("2 steps · ") and " tokens · " in end.message
    plan_file = client.root / "data/wishes/l-live.wish.plan.md"
    text = await asyncio.to_thread(plan_file.read_text)
    assert "1. **Survey the lighthouse**: cartographer.survey\n   - Acceptance: 12 tiles" in text
    assert "| mode | Commit |" in text and "| request id | " in text
    partial = [u for u in client.plan_updates if not u.done]
    assert partial and "_Writing the plan…" in partial[0].markdown
    assert client.shown_documents[-1].uri == plan_file.as_uri()
    assert client.shown_documents[-1].take_focus is False
    assert leaked(client, text) == []


async def test_cancel_closes_the_stream_and_keeps_the_partial_plan(
    codex: LoopbackCodex, client: WishClient
) -> None:
    codex.enqueue("responses", sse(success_transcript(CHUNKS), stall_after=10))
    result = await execute_plan(client, "data/wishes/l-cancel.wish.yaml")
    await wait_for_report(client, result["token"], "Writing the plan")
    hover = await asyncio.wait_for(
        client.text_document_hover_async(
            types.HoverParams(
                text_document=types.TextDocumentIdentifier(
                    uri=client.uri("data/wishes/l-cancel.wish.yaml")
                ),
                position=types.Position(line=1, character=2),
            )
        ),
        WAIT_SECONDS,
    )
    assert hover is not None  # the server answers while the plan streams
    again = await client.workspace_execute_command_async(
        types.ExecuteCommandParams(
            command=COMMAND_PLAN_WISH, arguments=[client.uri("data/wishes/l-cancel.wish.yaml")]
        )
    )
    assert again == {
        "started": False,
        "reason": "A plan for this wish is already running.",
        "shown": True,
    }
    client.window_work_done_progress_cancel(
        types.WorkDoneProgressCancelParams(token=result["token"])
    )
    *_, end = await wait_for_progress_end(client, result["token"])
    assert end.message.startswith("Cancelled: kept ")
    artifact = json.loads(
        await asyncio.to_thread((client.root / "data/wishes/l-cancel.wish.plan.json").read_text)
    )
    assert (artifact["status"], artifact["status_reason"]) == ("incomplete", "cancelled")
    assert artifact["text"] and PLAN.startswith(artifact["text"])
    codex.release_stalls()


async def test_a_cancelled_plan_keeps_the_last_complete_one(
    codex: LoopbackCodex, client: WishClient
) -> None:
    """The editor streams an attempt into the plan's Markdown; a cancelled attempt puts the
    complete plan back, byte for byte, and goes beside it as `.plan.failed.json`."""
    name = "data/wishes/l-keep.wish.yaml"
    codex.enqueue("responses", sse(success_transcript(CHUNKS)))
    result = await execute_plan(client, name)
    await wait_for_progress_end(client, result["token"])
    folder = client.root / "data" / "wishes"
    names = ("l-keep.wish.plan.json", "l-keep.wish.plan.md")
    good = {n: await asyncio.to_thread((folder / n).read_bytes) for n in names}
    codex.clear()
    codex.enqueue("responses", sse(success_transcript(CHUNKS), stall_after=10))
    again = await client.workspace_execute_command_async(
        types.ExecuteCommandParams(command=COMMAND_PLAN_WISH, arguments=[client.uri(name)])
    )
    assert isinstance(again, dict) and again["started"] is True
    await wait_for_report(client, again["token"], "Writing the plan")
    client.window_work_done_progress_cancel(
        types.WorkDoneProgressCancelParams(token=again["token"])
    )
    await wait_for_progress_end(client, again["token"])
    codex.release_stalls()
    after = {n: await asyncio.to_thread((folder / n).read_bytes) for n in names}
    assert after == good
    attempt = json.loads(
        await asyncio.to_thread((folder / "l-keep.wish.plan.failed.json").read_text)
    )
    assert (attempt["status"], attempt["status_reason"]) == ("incomplete", "cancelled")
    message = await wait_for_message(client, "l-keep.wish.plan.failed.json")
    assert "The last complete plan is kept in l-keep.wish.plan.json" in message.message
    assert client.plan_updates[-1].done and "_Writing the plan…" not in (
        client.plan_updates[-1].markdown
    )


async def test_usage_limit_ends_the_progress_with_one_clear_message(
    codex: LoopbackCodex, client: WishClient
) -> None:
    codex.enqueue(
        "responses",
        json_response(
            429,
            {
                "error": {
                    "type": "usage_limit_reached",
                    "plan_type": "plus",
                    "resets_at": 4_102_444_800,
                }
            },
        ),
    )
    result = await execute_plan(client, "data/wishes/l-limit.wish.yaml")
    *_, end = await wait_for_progress_end(client, result["token"])
    assert end.message.startswith("Failed: The Codex usage limit of this ChatGPT plus plan")
    message = await wait_for_message(client, "usage limit")
    assert message.type == types.MessageType.Error
    assert leaked(client) == []


async def test_a_wish_with_errors_is_not_sent(codex: LoopbackCodex, client: WishClient) -> None:
    before = len(codex.requests)
    name = "data/wishes/l-errors.wish.yaml"
    await client.open(name, TYPOS_WISH)
    result = await client.workspace_execute_command_async(
        types.ExecuteCommandParams(command=COMMAND_PLAN_WISH, arguments=[client.uri(name)])
    )
    assert isinstance(result, dict), result
    assert result["started"] is False
    assert len(codex.requests) == before


async def test_the_editor_sends_what_the_cli_sends_and_says_a_mapped_effort_once(
    codex: LoopbackCodex, client: WishClient
) -> None:
    """The same pipeline as `wishcraft plan`: the catalog's model and instructions, no
    top-level instructions, and a configured effort the model lacks mapped and said once."""
    config = client.root / "effort" / "data" / "config" / "wishcraft.toml"
    config.parent.mkdir(parents=True)
    config.write_text('[conduit]\nmodel = "gpt-6-luna"\nmodel_reasoning_effort = "xhigh"\n')
    codex.enqueue("responses", sse(success_transcript(CHUNKS, model="gpt-6-luna")))
    for attempt in range(2):
        result = await execute_plan(client, f"effort/data/wishes/e{attempt}.wish.yaml")
        *_, end = await wait_for_progress_end(client, result["token"])
        assert end.message and "steps" in end.message
    posted = codex.route_requests("responses")[-2:]
    for request in posted:
        body = request.json
        assert body["model"] == "gpt-6-luna" and "instructions" not in body
        assert body["reasoning"] == {"effort": "medium"}
        assert [item["role"] for item in body["input"]] == ["developer", "developer", "user"]
        assert request.headers["originator"] == "codex_exec"
    warning = await wait_for_message(client, "does not support reasoning effort 'xhigh'")
    assert warning.type == types.MessageType.Warning
    assert sum("'xhigh'" in message.message for message in client.messages) == 1
    artifact = json.loads((client.root / "effort/data/wishes/e1.wish.plan.json").read_text())
    assert artifact["requested_model"] == "gpt-6-luna" and artifact["reasoning_effort"] == "medium"


async def test_a_repository_base_url_reaches_nothing_and_is_said_once(
    codex: LoopbackCodex, client: WishClient
) -> None:
    """The trust boundary in the editor: a workspace's `[conduit] base_url` is ignored (0
    requests reach its host), and a window message says so once a session, not once a plan."""
    before = len(codex.route_requests("responses"))
    with LoopbackCodex() as other:
        config = client.root / "cloned" / "data" / "config" / "wishcraft.toml"
        config.parent.mkdir(parents=True)
        config.write_text(f'[conduit]\nbase_url = "{other.base_url}"\n')
        for attempt in range(2):
            codex.enqueue("responses", sse(success_transcript(CHUNKS)))
            result = await execute_plan(client, f"cloned/data/wishes/c{attempt}.wish.yaml")
            *_, end = await wait_for_progress_end(client, result["token"])
            assert end.message and "steps" in end.message
        assert other.requests == []
    assert len(codex.route_requests("responses")) == before + 2
    warning = await wait_for_message(client, "ignored `base_url`")
    assert warning.type == types.MessageType.Warning
    assert "~/.config/wishcraft/config.toml" in warning.message
    assert sum("ignored `base_url`" in message.message for message in client.messages) == 1
