"""'Plan this wish' end to end: the real server, its progress, files, messages and edits.

Without a Codex login the action makes the shadow-run plan; the live path against the loopback
Codex server is in `test_planning_live.py`.
"""

from __future__ import annotations

import asyncio
import json
import shutil
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
import pytest_asyncio
from lsprotocol import types

from testkit.lsp_client import (
    PROFILES,
    TYPOS_WISH,
    VALID_WISH,
    WAIT_SECONDS,
    WORKSPACE,
    WishClient,
)
from testkit.lsp_planning import (
    plan_actions,
    start_client,
    supports_progress,
    supports_show_document,
    wait_for_message,
    wait_for_progress_end,
)
from wishcraft.names import COMMAND_PLAN_WISH

pytestmark = pytest.mark.asyncio(loop_scope="module")


@pytest_asyncio.fixture(scope="module", loop_scope="module", params=list(PROFILES))
async def client(
    request: pytest.FixtureRequest,
    tmp_path_factory: pytest.TempPathFactory,
) -> AsyncIterator[WishClient]:
    """A server with no Codex login (CODEX_HOME is an empty folder)."""
    root = tmp_path_factory.mktemp(f"plan-{request.param}")
    shutil.copytree(WORKSPACE, root, dirs_exist_ok=True)
    home = tmp_path_factory.mktemp("codex-home-empty")
    import os

    env = {
        **os.environ,
        "CODEX_HOME": str(home),
        "CHATGPT_BASE_URL": "http://127.0.0.1:9/backend-api/codex",
    }
    client = await start_client(request.param, root, env)
    yield client
    await client.shutdown_session()


async def test_shadow_plan_streams_progress_writes_files_and_opens_the_plan(
    client: WishClient,
) -> None:
    name = "data/wishes/p-shadow.wish.yaml"
    await client.open(name, VALID_WISH)
    (action,) = [a for a in await plan_actions(client, name) if a.title == "Plan this wish"]
    assert action.disabled is None and action.command is not None
    assert action.command.command == COMMAND_PLAN_WISH
    result = await client.workspace_execute_command_async(
        types.ExecuteCommandParams(
            command=action.command.command, arguments=action.command.arguments
        )
    )
    assert isinstance(result, dict), result
    assert result["started"] is True
    plan_file = Path(client.root / "data/wishes/p-shadow.wish.plan.md")
    assert result["planUri"] == plan_file.as_uri()
    if supports_progress(client):
        values = await wait_for_progress_end(client, result["token"])
        begin, *reports, end = values
        assert isinstance(begin, types.WorkDoneProgressBegin)
        assert begin.title == "Planning “Relight the Sunken Quarter lighthouse”"
        assert begin.cancellable is True
        assert begin.message == "Shadow run: no Codex login, planning offline"
        assert all(isinstance(report, types.WorkDoneProgressReport) for report in reports)
        assert any("Writing the plan" in (report.message or "") for report in reports)
        assert end.message is not None and end.message.startswith("3 steps · shadow-run · ")
    else:
        await wait_for_message(client, "3 steps · shadow-run")
    text = await asyncio.to_thread(plan_file.read_text)
    assert text.startswith("# Plan: Relight the Sunken Quarter lighthouse\n")
    assert "**Shadow run**" in text
    assert "1. **Survey the lighthouse tiles with cartographer.survey**" in text
    assert "- No harm to civilians in the Sunken Quarter" in text
    assert "| mode | ShadowRun |" in text
    artifact_file = client.root / "data/wishes/p-shadow.wish.plan.json"
    artifact = json.loads(await asyncio.to_thread(artifact_file.read_text))
    assert (artifact["mode"], artifact["status"], len(artifact["plan_steps"])) == (
        "ShadowRun",
        "complete",
        3,
    )
    if supports_show_document(client):
        shown = client.shown_documents[-1]
        assert shown.uri == plan_file.as_uri() and shown.take_focus is False
    else:
        await wait_for_message(client, f"The plan is in {plan_file}")
    await asyncio.wait_for(client.plan_updated.wait(), WAIT_SECONDS)
    final = [update for update in client.plan_updates if update.done][-1]
    assert final.planUri == plan_file.as_uri() and final.markdown == text


async def test_plan_action_is_disabled_with_the_reason_when_the_wish_has_errors(
    client: WishClient,
) -> None:
    name = "data/wishes/p-errors.wish.yaml"
    await client.open(name, TYPOS_WISH)
    (action,) = await plan_actions(client, name)
    reason = "The wish has 4 errors; fix them before planning."
    if client.profile == "vscode":
        assert action.title == "Plan this wish"
        assert action.disabled is not None and action.disabled.reason == reason
    else:  # Neovim 0.7 cannot show disabled actions: offered with the warning instead
        assert action.title == f"Plan this wish (warning: {reason.rstrip('.')})"
        assert action.disabled is None
    # In the everyday list (no kind asked for), a disabled action is left out; a client that
    # cannot show disabled actions keeps the one that says why.
    everyday = await plan_actions(client, name, asked=False)
    if client.profile == "vscode":
        assert everyday == []
    else:
        assert [a.title for a in everyday] == [action.title]
    assert action.command is not None
    result = await client.workspace_execute_command_async(
        types.ExecuteCommandParams(command=COMMAND_PLAN_WISH, arguments=[client.uri(name)])
    )
    assert isinstance(result, dict), result
    assert result["started"] is False and "4 errors" in result["reason"]
    message = await wait_for_message(client, "Fix the wish's 4 errors")
    assert message.type == types.MessageType.Warning


async def test_insert_plan_steps_replaces_the_plan_list_and_is_refused_after_an_edit(
    client: WishClient,
) -> None:
    name = "data/wishes/p-insert.wish.yaml"
    await client.open(name, VALID_WISH)
    result = await client.workspace_execute_command_async(
        types.ExecuteCommandParams(command=COMMAND_PLAN_WISH, arguments=[client.uri(name)])
    )
    assert isinstance(result, dict), result
    artifact_path = client.root / "data/wishes/p-insert.wish.plan.json"
    if supports_progress(client):
        await wait_for_progress_end(client, result["token"])
    else:
        await wait_for_message(client, "p-insert.wish.plan.md")
    assert await asyncio.to_thread(artifact_path.is_file)
    actions = {a.title: a for a in await plan_actions(client, name)}
    insert = actions["Insert plan steps into wish"]
    assert insert.disabled is None and insert.edit is not None
    (edit,) = insert.edit.changes[client.uri(name)]  # type: ignore[index]
    first_step = '- "Survey the lighthouse tiles with cartographer.survey"'
    assert edit.new_text.splitlines()[0] == first_step
    assert edit.range.start.line == VALID_WISH.split("\n").index("plan:") + 1
    version = client.change(name, VALID_WISH.replace("Relight", "Rekindle"))
    await client.published.wait(client.uri(name), version=version)
    actions = {a.title: a for a in await plan_actions(client, name)}
    if client.profile == "vscode":
        stale = actions["Insert plan steps into wish"]
        assert stale.edit is None and stale.disabled is not None
        assert "changed since the plan was made" in stale.disabled.reason
    else:
        assert "Insert plan steps into wish" not in actions
