"""Diagnostics: every finding of the lint engine at its exact range, published as you type.

Typing → diagnostics: didChange → pygls applies the edit → `Diagnostics.schedule` (one task per
document; a newer edit cancels the older task) → after the debounce, the server's snapshot
parses and lints this version (cached) → diagnostics are published stamped with that version,
and dropped if the document moved on meanwhile. A document opened is published at once (after
the first settings); a closed one is cleared. When the server asks for a re-check (settings
changed, files on disk changed, a registry edited or closed), the open documents are scheduled
again. The pure part turns a snapshot's findings into LSP diagnostics.
"""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import TYPE_CHECKING

from lsprotocol import types
from pygls.uris import to_fs_path

from wishcraft.documents.positions import PositionMapper
from wishcraft.documents.yamltree import gc_paused
from wishcraft.findings import Finding, format_path
from wishcraft.lint import DocumentKind
from wishcraft.lsp.workspace import DocumentSnapshot
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


def to_diagnostics(
    snapshot: DocumentSnapshot, findings: list[Finding] | None = None
) -> list[types.Diagnostic]:
    """Every finding of a snapshot (or `findings`, when given) as a diagnostic, in order."""
    found = snapshot.analysis.findings if findings is None else findings
    return [to_diagnostic(finding, snapshot.positions) for finding in found]


def heard_findings(server: WishcraftLanguageServer, snapshot: DocumentSnapshot) -> list[Finding]:
    """A wish's findings with the court's hearing of its live calls (`gate_findings`), unless
    `wishcraft.diagnostics.gates` is off. Heard at publish time, not cached with the analysis:
    the ledger's counts move without the document changing."""
    if snapshot.kind is not DocumentKind.WISH or not server.settings.diagnostics.gates:
        return snapshot.analysis.findings
    from wishcraft.court.findings import gate_findings

    return gate_findings(
        snapshot.analysis,
        snapshot.path,
        snapshot.registry,
        server.lint_config_for(snapshot.path),
    )


class Diagnostics:
    """Debounced, versioned publishing for one server."""

    def __init__(self, server: WishcraftLanguageServer) -> None:
        """Publish for `server`; nothing is pending yet."""
        self.server = server
        self.pending: dict[str, asyncio.Task[None]] = {}
        """The debounced task of each document, by uri."""

    def publish(self, uri: str, version: int | None) -> None:
        """Analyse and publish one document's diagnostics, unless it moved past `version`.

        The cyclic collector waits until they are sent: an analysis makes thousands of objects
        (a 5,000-line wish's moved nodes), and the collection they call for (a few ms, tens on
        a busy machine) then runs while the editor shows them, not before.
        """
        with gc_paused():
            self._publish(uri, version)

    def _publish(self, uri: str, version: int | None) -> None:
        server = self.server
        document = server.open_document(uri)
        if document is None or document.version != version:
            return
        snapshot = server.snapshot(uri)
        if snapshot is None:
            return
        if snapshot.kind is DocumentKind.REGISTRY:
            server.project.registry_edited(snapshot)
        current = server.open_document(uri)
        if current is None or current.version != snapshot.version or server.pulls_diagnostics:
            return  # a client that pulls asks for them (features/workspace_diagnostics.py)
        server.text_document_publish_diagnostics(
            types.PublishDiagnosticsParams(
                uri=uri,
                diagnostics=to_diagnostics(snapshot, heard_findings(server, snapshot)),
                version=snapshot.version,
            )
        )

    def clear(self, uri: str) -> None:
        """Publish an empty list for a document (closed, or no longer one of ours)."""
        self.server.text_document_publish_diagnostics(
            types.PublishDiagnosticsParams(uri=uri, diagnostics=[])
        )

    def schedule(self, uri: str, *, delay_ms: int | None = None) -> None:
        """Publish a document's diagnostics after the debounce, replacing a pending run."""
        document = self.server.open_document(uri)
        if document is None:
            return
        previous = self.pending.pop(uri, None)
        if previous is not None:
            previous.cancel()
        delay = self.server.settings.diagnostics.debounce_ms if delay_ms is None else delay_ms
        self.pending[uri] = self.server.spawn(
            self._debounced(uri, document.version, delay / 1000), f"diagnostics {uri}"
        )

    async def _debounced(self, uri: str, version: int | None, delay: float) -> None:
        try:
            if delay > 0:
                await asyncio.sleep(delay)
            self.publish(uri, version)
        finally:
            if self.pending.get(uri) is asyncio.current_task():
                del self.pending[uri]

    async def opened(self, uri: str) -> None:
        """Publish a newly opened document at once (after the first settings); an opened
        registry re-checks the open wishes."""
        server = self.server
        server.project.opened()
        await server.wait_for_settings()
        document = server.open_document(uri)
        if document is None:
            return
        self.publish(uri, document.version)
        if server.document_kind(document) is DocumentKind.REGISTRY:
            self.server.request_recheck(kind=DocumentKind.WISH)

    def changed(self, uri: str) -> None:
        """Schedule after an edit; an edited registry re-checks the open wishes once its own
        diagnostics are out (its unsaved text is then the registry in use)."""
        self.schedule(uri)
        document = self.server.open_document(uri)
        if document is not None and self.server.document_kind(document) is DocumentKind.REGISTRY:
            self.server.spawn(
                self._recheck_after_registry_edit(uri, document.version), f"registry edit {uri}"
            )

    async def _recheck_after_registry_edit(self, uri: str, version: int | None) -> None:
        task = self.pending.get(uri)
        if task is not None:
            await asyncio.gather(task, return_exceptions=True)
        document = self.server.open_document(uri)
        if document is not None and document.version == version:
            self.server.request_recheck(kind=DocumentKind.WISH)

    def closed(self, uri: str) -> None:
        """Forget a closed document and clear its diagnostics; a closed registry re-checks
        the open wishes (they fall back to the file on disk)."""
        task = self.pending.pop(uri, None)
        if task is not None:
            task.cancel()
        path = to_fs_path(uri)
        registry_closed = self.server.project.closed(uri, Path(path) if path else None)
        self.clear(uri)  # after the snapshot is dropped: its memory is free when this arrives
        if registry_closed:
            self.server.request_recheck(kind=DocumentKind.WISH)

    def recheck(self, kind: DocumentKind | None, include_unmatched: bool) -> None:
        """Schedule every open document of `kind` (all if None); with `include_unmatched`,
        clear the ones that are no longer ours (the wish globs changed)."""
        server = self.server
        for document in server.open_documents():
            uri = document.uri  # as the client wrote it (the key is unquoted)
            document_kind = server.document_kind(document)
            if document_kind is None:
                if include_unmatched:
                    server.project.forget(uri)
                    self.clear(uri)
                continue
            if kind is None or document_kind is kind:
                self.schedule(uri)


def register(server: WishcraftLanguageServer) -> Diagnostics:
    """Wire the document lifecycle to diagnostics, and join the server's re-checks."""
    diagnostics = Diagnostics(server)
    server.recheck_listeners.append(diagnostics.recheck)

    @server.feature(types.TEXT_DOCUMENT_DID_OPEN)
    async def did_open(
        ls: WishcraftLanguageServer, params: types.DidOpenTextDocumentParams
    ) -> None:
        await diagnostics.opened(params.text_document.uri)

    @server.feature(types.TEXT_DOCUMENT_DID_CHANGE)
    def did_change(ls: WishcraftLanguageServer, params: types.DidChangeTextDocumentParams) -> None:
        diagnostics.changed(params.text_document.uri)

    @server.feature(types.TEXT_DOCUMENT_DID_CLOSE)
    def did_close(ls: WishcraftLanguageServer, params: types.DidCloseTextDocumentParams) -> None:
        diagnostics.closed(params.text_document.uri)

    return diagnostics
