"""Diagnostics: every finding of the lint engine at its exact range, with code, source and data.

The pure part turns a snapshot's findings into LSP diagnostics; the handlers follow the
document lifecycle (open at once, change after the debounce, close clears) and re-check open
wishes when registry or config files change on disk.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from lsprotocol import types
from pygls.uris import to_fs_path

from wishcraft.documents.positions import PositionMapper
from wishcraft.findings import Finding, format_path
from wishcraft.lsp.features import DocumentSnapshot
from wishcraft.names import DIAGNOSTIC_SOURCE

if TYPE_CHECKING:
    from wishcraft.lsp.server import WishcraftLanguageServer


def to_diagnostic(finding: Finding, positions: PositionMapper) -> types.Diagnostic:
    """Turn one finding into a diagnostic; `data` carries the quick-fix details and the path."""
    return types.Diagnostic(
        range=positions.to_range(finding.span),
        severity=types.DiagnosticSeverity(int(finding.severity)),
        code=finding.code,
        source=DIAGNOSTIC_SOURCE,
        message=finding.message,
        data={"path": format_path(finding.path), **finding.data},
    )


def to_diagnostics(snapshot: DocumentSnapshot) -> list[types.Diagnostic]:
    """Every finding of a snapshot as a diagnostic, in document order."""
    return [to_diagnostic(finding, snapshot.positions) for finding in snapshot.analysis.findings]


def register(server: WishcraftLanguageServer) -> None:
    """Wire the document lifecycle and configuration notifications to the server."""

    @server.feature(types.INITIALIZE)
    def initialize(ls: WishcraftLanguageServer, params: types.InitializeParams) -> None:
        ls.initialization_options = params.initialization_options

    @server.feature(types.INITIALIZED)
    def initialized(ls: WishcraftLanguageServer, params: types.InitializedParams) -> None:
        ls.spawn(ls.load_settings(), "load settings")
        ls.spawn(ls.watch_files(), "watch registry files")

    @server.feature(types.WORKSPACE_DID_CHANGE_CONFIGURATION)
    def did_change_configuration(ls: WishcraftLanguageServer,
                                 params: types.DidChangeConfigurationParams) -> None:
        ls.spawn(ls.load_settings(params.settings), "reload settings")

    @server.feature(types.TEXT_DOCUMENT_DID_OPEN)
    async def did_open(ls: WishcraftLanguageServer,
                       params: types.DidOpenTextDocumentParams) -> None:
        await ls.on_open(params.text_document.uri)

    @server.feature(types.TEXT_DOCUMENT_DID_CHANGE)
    def did_change(ls: WishcraftLanguageServer,
                   params: types.DidChangeTextDocumentParams) -> None:
        ls.on_change(params.text_document.uri)

    @server.feature(types.TEXT_DOCUMENT_DID_CLOSE)
    def did_close(ls: WishcraftLanguageServer,
                  params: types.DidCloseTextDocumentParams) -> None:
        ls.on_close(params.text_document.uri)

    @server.feature(types.WORKSPACE_DID_CHANGE_WATCHED_FILES)
    def did_change_watched_files(ls: WishcraftLanguageServer,
                                 params: types.DidChangeWatchedFilesParams) -> None:
        paths = [Path(path) for change in params.changes
                 if (path := to_fs_path(change.uri)) is not None]
        ls.on_files_changed(paths)
