"""Helpers for the planning tests through the real server: start one with its own environment,
wait for a progress to end or a message to be shown, and ask for the planning code actions."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

from lsprotocol import types
from pygls.uris import from_fs_path
from pytest_lsp import ClientServerConfig, client_capabilities

from .lsp_client import PROFILES, SERVER, WAIT_SECONDS, WishClient, make_client, start_wish_client


async def start_client(profile: str, root: Path, env: dict[str, str]) -> WishClient:
    """Start the server with `env` and initialise it as `profile` on the workspace `root`."""
    config = ClientServerConfig(server_command=SERVER, client_factory=make_client, server_env=env)
    client = await start_wish_client(config)
    client.profile, client.root = profile, root
    client.follow_plan_updates()

    client.set_configuration({"diagnostics": {"debounceMs": 10}}, section="wishcraft")
    await client.initialize_session(
        types.InitializeParams(
            capabilities=client_capabilities(PROFILES[profile]),
            root_uri=from_fs_path(str(root)),
            workspace_folders=[
                types.WorkspaceFolder(uri=from_fs_path(str(root)) or "", name="workspace")
            ],
        )
    )
    return client


async def wait_for_progress_end(client: WishClient, token: str) -> list[Any]:
    """Wait until the progress `token` has ended; return its values in order."""

    async def ended() -> list[Any]:
        while True:
            values = list(client.progress_reports.get(token, []))
            if values and isinstance(values[-1], types.WorkDoneProgressEnd):
                return values
            await client.wait_for_notification("$/progress")

    return await asyncio.wait_for(ended(), WAIT_SECONDS)


async def wait_for_message(client: WishClient, words: str) -> types.ShowMessageParams:
    """Wait for a `window/showMessage` containing `words`."""

    async def found() -> types.ShowMessageParams:
        while True:
            for message in client.messages:
                if words in message.message:
                    return message
            await client.wait_for_notification("window/showMessage")

    return await asyncio.wait_for(found(), WAIT_SECONDS)


def supports_progress(client: WishClient) -> bool:
    """Whether the client's profile shows work-done progress."""
    window = client_capabilities(PROFILES[client.profile]).window
    return bool(window and window.work_done_progress)


def supports_show_document(client: WishClient) -> bool:
    """Whether the client's profile can open a document the server asks it to show."""
    window = client_capabilities(PROFILES[client.profile]).window
    return bool(window and window.show_document and window.show_document.support)


async def plan_actions(
    client: WishClient, name: str, *, asked: bool = True
) -> list[types.CodeAction]:
    """The planning code actions the server offers in the wish `name`: `asked` for their
    kinds (as VS Code's Source Action menu does; disabled ones come with their reason), or
    in the everyday list (no `only`; disabled ones are left out)."""
    only = [types.CodeActionKind.Source, types.CodeActionKind.RefactorRewrite] if asked else None
    result = await client.text_document_code_action_async(
        types.CodeActionParams(
            text_document=types.TextDocumentIdentifier(uri=client.uri(name)),
            range=types.Range(
                start=types.Position(line=3, character=0), end=types.Position(line=3, character=0)
            ),
            context=types.CodeActionContext(diagnostics=[], only=only),
        )
    )
    return [
        action
        for action in result or []
        if isinstance(action, types.CodeAction)
        and action.kind is not None
        and "wishcraft" in str(action.kind)
    ]
