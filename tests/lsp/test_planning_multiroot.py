"""Planning in a multi-root workspace: a wish in the second folder plans beside itself, and its
plan is found again for "Insert plan steps into wish" (it once looked in the first folder) and
by `wishcraft.planLocation`."""

from __future__ import annotations

import asyncio
import os
import shutil
from pathlib import Path
from typing import Any

import pytest
from lsprotocol import types
from pygls.uris import from_fs_path
from pytest_lsp import ClientServerConfig, client_capabilities

from testkit.lsp_client import (
    PROFILES,
    SERVER,
    VALID_WISH,
    WORKSPACE,
    WishClient,
    make_client,
    start_wish_client,
)
from testkit.lsp_planning import plan_actions, wait_for_progress_end
from wishcraft.names import COMMAND_PLAN_LOCATION, COMMAND_PLAN_WISH

pytestmark = pytest.mark.asyncio(loop_scope="function")


async def location(client: WishClient, uri: str) -> Any:
    """The server's answer to `wishcraft.planLocation` for `uri`."""
    return await client.workspace_execute_command_async(
        types.ExecuteCommandParams(command=COMMAND_PLAN_LOCATION, arguments=[uri])
    )


async def test_a_wish_in_the_second_folder_plans_and_offers_its_steps(tmp_path: Path) -> None:
    first, second = tmp_path / "first", tmp_path / "second"
    for folder in (first, second):
        shutil.copytree(WORKSPACE, folder)
    home = tmp_path / "codex-home-empty"
    home.mkdir()
    env = {
        **os.environ,
        "CODEX_HOME": str(home),
        "CHATGPT_BASE_URL": "http://127.0.0.1:9/backend-api/codex",
    }
    config = ClientServerConfig(server_command=SERVER, client_factory=make_client, server_env=env)
    client = await start_wish_client(config)
    client.root = second
    try:
        client.set_configuration({"diagnostics": {"debounceMs": 10}}, section="wishcraft")
        await client.initialize_session(
            types.InitializeParams(
                capabilities=client_capabilities(PROFILES["vscode"]),
                root_uri=from_fs_path(str(first)),
                workspace_folders=[
                    types.WorkspaceFolder(uri=from_fs_path(str(first)) or "", name="first"),
                    types.WorkspaceFolder(uri=from_fs_path(str(second)) or "", name="second"),
                ],
            )
        )
        name = "data/wishes/multi.wish.yaml"
        await client.open(name, VALID_WISH)
        plan_uri = (second / "data/wishes/multi.wish.plan.md").as_uri()
        assert await location(client, client.uri(name)) == {"planUri": plan_uri, "exists": False}
        result = await client.workspace_execute_command_async(
            types.ExecuteCommandParams(command=COMMAND_PLAN_WISH, arguments=[client.uri(name)])
        )
        assert isinstance(result, dict), result
        assert result["started"] is True, result
        assert result["planUri"] == (second / "data/wishes/multi.wish.plan.md").as_uri()
        await wait_for_progress_end(client, result["token"])
        assert await asyncio.to_thread((second / "data/wishes/multi.wish.plan.json").is_file)
        actions = {action.title: action for action in await plan_actions(client, name)}
        insert = actions["Insert plan steps into wish"]
        assert insert.disabled is None and insert.edit is not None
        assert await location(client, client.uri(name)) == {"planUri": plan_uri, "exists": True}
        assert await location(client, client.uri("data/wishes/never-opened.wish.yaml")) == {
            "planUri": None,
            "exists": False,
            "reason": "This document is not an open wish.",
        }
    finally:
        await client.shutdown_session()
