"""The server's lifecycle handlers: initialize, settings, and files changed on disk.

Thin: each hands over to the server (settings) or its workspace (files), and asks for the open
documents to be checked again where that changes what they mean.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from lsprotocol import types
from pygls.uris import to_fs_path

from wishcraft.lint import DocumentKind

if TYPE_CHECKING:
    from wishcraft.lsp.server import WishcraftLanguageServer


def register(server: WishcraftLanguageServer) -> None:
    """Wire initialize, initialized, configuration changes, watched files and shutdown."""

    @server.feature(types.INITIALIZE)
    def initialize(ls: WishcraftLanguageServer, params: types.InitializeParams) -> None:
        ls.initialization_options = params.initialization_options

    @server.feature(types.INITIALIZED)
    def initialized(ls: WishcraftLanguageServer, params: types.InitializedParams) -> None:
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
        # or a wishcraft.toml (a configured registry may have any name).
        rules = [path for path in paths if ls.project.kind_of(path) is not DocumentKind.WISH]
        if rules:
            ls.project.files_changed(rules)
            ls.request_recheck()
        for listener in ls.watched_files_listeners:
            listener(params.changes)

    @server.feature(types.SHUTDOWN)
    def shutdown(ls: WishcraftLanguageServer, params: None) -> None:
        # Synchronous, so the answer goes out at once: a client may send `exit` right after.
        for hook in list(ls.shutdown_hooks):
            hook()
