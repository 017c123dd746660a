""" "Set up Wishcraft here" (`wishcraft.initWorkspace`) under both client profiles.

A fresh repository opened in the editor: the command writes what `wishcraft init` writes,
says so in one message with paths relative to the repository, opens the starter wish where the
client can show documents, and the starter wish then has no diagnostic at all. Run again, it
keeps every file.
"""

from __future__ import annotations

import asyncio
import os
import subprocess
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
import pytest_asyncio
from lsprotocol import types

from testkit.lsp_client import PROFILES, WishClient
from testkit.lsp_planning import start_client, supports_show_document
from wishcraft.names import COMMAND_INIT_WORKSPACE
from wishcraft.scaffold import CONFIG_PATH, REGISTRY_PATH, WISH_PATH

pytestmark = pytest.mark.asyncio(loop_scope="function")


def make_repository(root: Path) -> Path:
    """A fresh repository with a remote, as a user opens one in the editor."""
    (root / "src").mkdir(parents=True)
    (root / "README.md").write_text("# Thermo\n")
    subprocess.run(["git", "init", "-q"], cwd=root, check=True, timeout=30)
    subprocess.run(
        ["git", "remote", "add", "origin", "https://github.com/ada/thermo.git"],
        cwd=root,
        check=True,
        timeout=30,
    )
    return root


@pytest_asyncio.fixture(params=list(PROFILES))
async def client(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[WishClient]:
    root = await asyncio.to_thread(make_repository, tmp_path / "thermo")
    env = {**os.environ, "CODEX_HOME": str(tmp_path / "no-login")}
    client = await start_client(request.param, root, env)
    yield client
    await client.shutdown_session()


async def init(client: WishClient) -> dict[str, object]:
    result = await client.workspace_execute_command_async(
        types.ExecuteCommandParams(command=COMMAND_INIT_WORKSPACE, arguments=[])
    )
    assert isinstance(result, dict), result
    return result


async def test_set_up_writes_the_files_and_opens_a_clean_starter_wish(client: WishClient) -> None:
    result = await init(client)
    assert result["done"] is True
    assert result["written"] == [REGISTRY_PATH, WISH_PATH, CONFIG_PATH, ".gitignore"]
    for path in (REGISTRY_PATH, WISH_PATH, CONFIG_PATH):
        assert (client.root / path).is_file()
    registry = await asyncio.to_thread((client.root / REGISTRY_PATH).read_text)
    assert 'repo: "thermo"' in registry
    (message,) = [m for m in client.messages if "Wishcraft is set up" in m.message]
    assert message.type == types.MessageType.Info
    assert f"wrote {REGISTRY_PATH}, {WISH_PATH}" in message.message
    assert str(client.root) not in message.message  # paths relative to the repository
    if supports_show_document(client):
        assert client.shown_documents[-1].uri == (client.root / WISH_PATH).as_uri()
    text = await asyncio.to_thread((client.root / WISH_PATH).read_text)
    published = await client.open(WISH_PATH, text)
    assert list(published.diagnostics) == []


async def test_set_up_twice_keeps_every_file(client: WishClient) -> None:
    await init(client)
    wish = client.root / WISH_PATH
    await asyncio.to_thread(wish.write_text, "title: mine\n")
    again = await init(client)
    assert again["written"] == [] and again["appended"] == []
    assert again["kept"] == [REGISTRY_PATH, WISH_PATH, CONFIG_PATH]
    assert await asyncio.to_thread(wish.read_text) == "title: mine\n"
    assert any("kept" in m.message and "(they exist)" in m.message for m in client.messages)
