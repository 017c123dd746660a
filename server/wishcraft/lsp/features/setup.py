""" "Set up Wishcraft here": `wishcraft init` from the editor, for a workspace folder.

The server writes what `wishcraft init` writes (`wishcraft.setup_repo`), keeps every file that
exists, says in one message what it wrote and kept (paths relative to the repository), and
opens the starter wish beside the user's editor when the client can show documents. The
registry it writes is then picked up like any edited registry (the file watcher re-checks the
open wishes).
"""

from __future__ import annotations

import asyncio
import logging
from pathlib import Path
from typing import TYPE_CHECKING, Any

from lsprotocol import types
from pygls.uris import from_fs_path, to_fs_path

from wishcraft.names import COMMAND_INIT_WORKSPACE
from wishcraft.scaffold import WISH_PATH

if TYPE_CHECKING:
    from wishcraft.lsp.server import WishcraftLanguageServer

logger = logging.getLogger(__name__)


def target_folder(server: WishcraftLanguageServer, folder_uri: str | None) -> Path | None:
    """The folder to set up: the given uri, else the first workspace folder."""
    if folder_uri:
        path = to_fs_path(folder_uri) if "://" in folder_uri else folder_uri
        return Path(path) if path else None
    folders = [
        Path(path)
        for folder in server.workspace.folders.values()
        if (path := to_fs_path(folder.uri)) is not None
    ]
    root = server.workspace.root_path
    if root:
        folders.append(Path(root))
    return folders[0] if folders else None


def summary(written: list[str], appended: list[str], kept: list[str], repo: str) -> str:
    """One sentence about what setting up did."""
    parts = []
    if written:
        parts.append("wrote " + ", ".join(written))
    if appended:
        parts.append("added lines to " + ", ".join(appended))
    if kept:
        parts.append("kept " + ", ".join(kept) + " (they exist)")
    return f"Wishcraft is set up for `{repo}`: " + "; ".join(parts) + "."


async def set_up(server: WishcraftLanguageServer, folder_uri: str | None) -> dict[str, Any]:
    """Set the folder's repository up; one message, and the starter wish opened."""
    from wishcraft.setup_repo import InitError, init_repository

    folder = target_folder(server, folder_uri)
    if folder is None:
        message = "Open a folder first: Wishcraft sets up the repository of a workspace folder."
        server.window_show_message(
            types.ShowMessageParams(type=types.MessageType.Warning, message=message)
        )
        return {"done": False, "reason": message}
    try:
        report = await asyncio.to_thread(init_repository, folder)
    except InitError as error:
        server.window_show_message(
            types.ShowMessageParams(type=types.MessageType.Error, message=str(error))
        )
        return {"done": False, "reason": str(error)}
    message = summary(report.written, report.appended, report.kept, report.facts.repo_name)
    server.window_show_message(
        types.ShowMessageParams(type=types.MessageType.Info, message=message)
    )
    wish = report.root / WISH_PATH
    wish_uri = from_fs_path(str(wish)) or wish.as_uri()
    window = server.client_capabilities.window
    if window and window.show_document and window.show_document.support:
        try:
            await server.window_show_document_async(
                types.ShowDocumentParams(uri=wish_uri, take_focus=True)
            )
        except Exception as error:  # the message above names the files
            logger.info("showDocument of the starter wish failed: %s", error)
    return {
        "done": True,
        "written": report.written,
        "appended": report.appended,
        "kept": report.kept,
        "wishUri": wish_uri,
    }


def register(server: WishcraftLanguageServer) -> None:
    """Wire the command."""

    # pygls reads the handlers' hints at run time: the server parameter is typed `Any`.
    @server.command(COMMAND_INIT_WORKSPACE)
    async def init_workspace(ls: Any, *folder_uri: str) -> dict[str, Any]:
        return await set_up(server, folder_uri[0] if folder_uri else None)
