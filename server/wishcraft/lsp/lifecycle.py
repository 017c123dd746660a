"""The server's lifecycle handlers: initialize, settings, and files changed on disk.

Thin: each hands over to the server (settings) or its workspace (files), and asks for the open
documents to be checked again where that changes what they mean. `initialized` first finishes
any apply a killed process left half-made in the workspace folders (`apply.recovery`), and
says so in a window message, as every `wishcraft` command does on stderr.
"""

from __future__ import annotations

import logging
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING

from lsprotocol import types
from pygls.uris import to_fs_path

from wishcraft.lint import DocumentKind

if TYPE_CHECKING:
    from wishcraft.lsp.server import WishcraftLanguageServer

logger = logging.getLogger(__name__)


def register(server: WishcraftLanguageServer) -> None:
    """Wire initialize, initialized, configuration changes, watched files and shutdown."""

    @server.feature(types.INITIALIZE)
    def initialize(ls: WishcraftLanguageServer, params: types.InitializeParams) -> None:
        ls.initialization_options = params.initialization_options

    @server.feature(types.INITIALIZED)
    def initialized(ls: WishcraftLanguageServer, params: types.InitializedParams) -> None:
        recover_interrupted(ls)
        ls.spawn(ls.load_settings(), "load settings")
        ls.spawn(ls.watch_files(), "watch registry files")
        for hook in ls.initialized_hooks:
            hook()

    @server.feature(types.WORKSPACE_DID_CHANGE_CONFIGURATION)
    def did_change_configuration(
        ls: WishcraftLanguageServer, params: types.DidChangeConfigurationParams
    ) -> None:
        ls.spawn(ls.load_settings(params.settings), "reload settings")

    @server.feature(types.WORKSPACE_DID_CHANGE_WATCHED_FILES)
    def did_change_watched_files(
        ls: WishcraftLanguageServer, params: types.DidChangeWatchedFilesParams
    ) -> None:
        paths = [
            Path(path) for change in params.changes if (path := to_fs_path(change.uri)) is not None
        ]
        # A wish changed on disk changes no other document; anything else may be a registry
        # or a wishcraft.toml (a configured registry may have any name), and `[files] globs`
        # may have changed: a document may have stopped being a wish.
        rules = [path for path in paths if ls.project.kind_of(path) is not DocumentKind.WISH]
        if rules:
            ls.project.files_changed(rules)
            ls.request_recheck(include_unmatched=True)
        for listener in ls.watched_files_listeners:
            listener(params.changes)

    @server.feature(types.SHUTDOWN)
    def shutdown(ls: WishcraftLanguageServer, params: None) -> None:
        # Synchronous, so the answer goes out at once: a client may send `exit` right after.
        for hook in list(ls.shutdown_hooks):
            hook()


def recover_interrupted(ls: WishcraftLanguageServer) -> None:
    """Finish the interrupted applies of the workspace folders; one window message a fact.

    Cheap when nothing waits: a folder listing, and finding each folder's ledger."""
    from wishcraft.apply.recovery import recover_at_start

    # Also says, once per workspace, that old undo records in the repository are ignored.
    reports = [recover_at_start(folder, note_legacy=True) for folder in ls.folders()]
    roots = {report.root for report in reports}
    said: dict[str, None] = {}
    for report in reports:
        others = tuple(other for other in report.elsewhere if other not in roots)
        for sentence in replace(report, elsewhere=others).sentences():
            said.setdefault(sentence, None)
    for sentence in said:
        logger.warning("%s", sentence)
        ls.window_show_message(
            types.ShowMessageParams(type=types.MessageType.Warning, message=sentence)
        )
