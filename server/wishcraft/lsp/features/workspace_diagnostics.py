"""Diagnostics for the whole workspace, not only the open documents.

Two ways, by what the client can do:
- **Pull** (the client announces `textDocument.diagnostic` and can be asked to pull again:
  `lsp.server.pulls_diagnostics`): `textDocument/diagnostic` answers one document with a
  result id, `workspace/diagnostic` every indexed wish and registry, and either answers
  "unchanged" for a file whose result id the client already holds. The server then stops
  pushing diagnostics for open documents (the client would show both), and asks the client to
  pull again (`workspace/diagnostic/refresh`) when a registry, the rules or the settings change.
- **Push** for closed files, to every client until it pulls the workspace once (a client may
  pull its open documents and never the workspace): when a registry or the rules change, the
  wishes that are not open and may read differently are checked again and published (those
  naming a conduit whose entry changed, or all of them when the rules changed, plus those
  already showing ours), at most `wishcraft.diagnostics.closedFiles` of them; 0 turns it off.
  What was pushed for a file is cleared when the client pulls it, so nothing shows twice.

Closed files are checked from disk by `lsp/file_checks.py`, open ones from their snapshot.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from lsprotocol import types
from pygls.uris import from_fs_path, to_fs_path

from wishcraft.documents.positions import PositionMapper
from wishcraft.lint import DocumentKind, LintConfig
from wishcraft.lsp.features.diagnostics import to_diagnostic, to_diagnostics
from wishcraft.lsp.features.indexing import Indexer
from wishcraft.lsp.file_checks import Checked, FileChecks, Lookups, result_id
from wishcraft.lsp.heap import settle_soon
from wishcraft.lsp.index import WorkspaceIndex
from wishcraft.model import ConduitDescriptor
from wishcraft.names import DIAGNOSTIC_SOURCE

if TYPE_CHECKING:
    from wishcraft.lsp.server import WishcraftLanguageServer

logger = logging.getLogger(__name__)

CHUNK = 25
"""Files checked between two yields to the event loop (a few tens of ms)."""

SETTLE_AFTER = 500
"""Files checked by pull passes after which their results are set aside from the garbage
collector's full passes (`lsp/heap.py`): 2,000 checks are about 20,000 objects."""

RECHECK_DELAY = 0.2
"""Quiet time after a registry or rules change before closed wishes are checked again (a
registry being typed in changes on every key)."""


@dataclass(slots=True)
class PassReports:
    """What one `workspace/diagnostic` pass reuses from the last (a client re-pulls every two
    seconds, and almost always nothing changed): the indexed paths in report order, sorted
    once per index change, and each closed file's "unchanged" report, made once per check of
    the file rather than 2,000 new objects a pass."""

    order: tuple[int, list[Path]] = (-1, [])
    """The indexed paths sorted, with the index generation they were sorted at."""
    reports: dict[str, tuple[Checked, types.WorkspaceUnchangedDocumentDiagnosticReport]] = field(
        default_factory=dict
    )
    """Closed files' "unchanged" reports, by uri, with the check they stand for."""

    def in_order(self, index: WorkspaceIndex) -> list[Path]:
        """The indexed paths in the order reports list them."""
        if self.order[0] != index.generation:
            self.order = (index.generation, sorted(index.files, key=str))
        return self.order[1]

    def unchanged(
        self, uri: str, checked: Checked
    ) -> types.WorkspaceUnchangedDocumentDiagnosticReport:
        """The "unchanged" report of a closed file for its current check."""
        known = self.reports.get(uri)
        if known is None or known[0] is not checked:
            known = self.reports[uri] = (
                checked,
                types.WorkspaceUnchangedDocumentDiagnosticReport(
                    uri=uri, version=None, result_id=checked.result_id
                ),
            )
        return known[1]

    def prune(self, index: WorkspaceIndex, uri_of: Callable[[Path], str | None]) -> None:
        """Drop the reports of files no longer indexed, once they outnumber the indexed ones."""
        if len(self.reports) > 2 * index.count() + 100:
            indexed = {uri_of(path) for path in index.files}
            for uri in [uri for uri in self.reports if uri not in indexed]:
                del self.reports[uri]


class WorkspaceDiagnostics:
    """Pull answers and closed-file publishing for one server."""

    def __init__(self, server: WishcraftLanguageServer, indexer: Indexer) -> None:
        """Check for `server` the files `indexer` knows."""
        self.server = server
        self.indexer = indexer
        self.checks = FileChecks(server.project)
        self.published: dict[str, str] = {}
        """Closed files we published diagnostics for, by uri, with their result id."""
        self.registries: dict[Path | None, dict[str, ConduitDescriptor]] = {}
        """The conduits of each registry when closed wishes were last considered."""
        self.configs: dict[Path, LintConfig] = {}
        """The rules each wish was last considered under."""
        self.pending: asyncio.Task[None] | None = None
        self.reports = PassReports()
        """What a pull pass reuses from the last: the paths' order, the "unchanged" reports."""
        self.checked_in_pass = 0
        """Files checked by pull passes since the heap was last settled (`lsp/heap.py`)."""
        self.workspace_pulled = False
        """Whether the client pulled the workspace: from then on closed files are its to pull."""

    @property
    def pull(self) -> bool:
        """Whether the client pulls diagnostics (then nothing is pushed)."""
        return self.server.pulls_diagnostics

    # Pull -----------------------------------------------------------------------------------

    def document_report(
        self, uri: str, previous: str | None
    ) -> types.RelatedFullDocumentDiagnosticReport | types.RelatedUnchangedDocumentDiagnosticReport:
        """One document's report: from its snapshot when open, else from disk."""
        self._unpublish(uri)
        snapshot = self.server.snapshot(uri)
        if snapshot is not None:
            if snapshot.kind is DocumentKind.REGISTRY:
                self.server.project.registry_edited(snapshot)
            rid = result_id(snapshot.analysis.findings)
            if rid == previous:
                return types.RelatedUnchangedDocumentDiagnosticReport(result_id=rid)
            return types.RelatedFullDocumentDiagnosticReport(
                items=to_diagnostics(snapshot), result_id=rid
            )
        checked = self._check_closed(uri)
        if checked is None:
            return types.RelatedFullDocumentDiagnosticReport(items=[])
        if checked.result_id == previous:
            return types.RelatedUnchangedDocumentDiagnosticReport(result_id=checked.result_id)
        return types.RelatedFullDocumentDiagnosticReport(
            items=self._diagnostics(checked), result_id=checked.result_id
        )

    def _check_closed(self, uri: str) -> Checked | None:
        path_text = to_fs_path(uri)
        if path_text is None:
            return None
        path = Path(path_text)
        kind = self.server.project.kind_of(path)
        if kind is None:
            return None
        entry = self.indexer.index.files.get(path)
        if entry is None:
            try:
                info = path.stat()
            except OSError:
                return None
            stamp = (info.st_mtime_ns, info.st_size)
        else:
            stamp = entry.stamp
        return self.checks.check(path, kind, stamp)

    def _diagnostics(self, checked: Checked) -> list[types.Diagnostic]:
        positions = PositionMapper(checked.lines, self.server.workspace.position_encoding)
        return [to_diagnostic(finding, positions) for finding in checked.findings]

    async def workspace_report(
        self, previous: Sequence[types.PreviousResultId]
    ) -> types.WorkspaceDiagnosticReport:
        """Every indexed file's report; "unchanged" where the client holds the same result."""
        index = await self.indexer.wait()
        if not self.workspace_pulled:
            self.workspace_pulled = True
            for pushed in list(self.published):
                self._unpublish(pushed)
        known = {item.uri: item.value for item in previous}
        items: list[
            types.WorkspaceFullDocumentDiagnosticReport
            | types.WorkspaceUnchangedDocumentDiagnosticReport
        ] = []
        open_uris = {document.uri: document for document in self.server.open_documents()}
        lookups = Lookups(self.checks)
        checked_since_yield = 0
        for path in self.reports.in_order(index):
            entry = index.files.get(path)
            uri = self.uri_of(path)
            if entry is None or uri is None:
                continue
            document = open_uris.get(uri)
            if document is not None:
                items.append(self._open_item(uri, document.version, known.get(uri)))
                continue
            inputs = lookups.inputs(path, entry.kind)
            checked = self.checks.cached(path, entry.stamp, inputs)
            if checked is None:
                checked = self.checks.check(path, entry.kind, entry.stamp, inputs)
                checked_since_yield += 1
                if checked is None:
                    continue
            if known.get(uri) == checked.result_id:
                items.append(self.reports.unchanged(uri, checked))
            else:
                items.append(
                    types.WorkspaceFullDocumentDiagnosticReport(
                        uri=uri,
                        version=None,
                        items=self._diagnostics(checked),
                        result_id=checked.result_id,
                    )
                )
            if checked_since_yield >= CHUNK:
                self.checked_in_pass += checked_since_yield
                checked_since_yield = 0
                await asyncio.sleep(0)  # let edits and requests in between
        self.checked_in_pass += checked_since_yield
        if self.checked_in_pass >= SETTLE_AFTER:
            self.checked_in_pass = 0
            settle_soon("closed files were checked")
        self.reports.prune(index, self.uri_of)
        return types.WorkspaceDiagnosticReport(items=items)

    def _open_item(
        self, uri: str, version: int | None, previous: str | None
    ) -> (
        types.WorkspaceFullDocumentDiagnosticReport
        | types.WorkspaceUnchangedDocumentDiagnosticReport
    ):
        report = self.document_report(uri, previous)
        if isinstance(report, types.RelatedUnchangedDocumentDiagnosticReport):
            return types.WorkspaceUnchangedDocumentDiagnosticReport(
                uri=uri, version=version, result_id=report.result_id
            )
        return types.WorkspaceFullDocumentDiagnosticReport(
            uri=uri, version=version, items=report.items, result_id=report.result_id
        )

    def uri_of(self, path: Path) -> str | None:
        """The uri of a file, made once (a pass over the workspace asks for every one)."""
        uri = self.indexer.uris.get(path)
        if uri is None:
            uri = from_fs_path(str(path))
            if uri is not None:
                self.indexer.uris[path] = uri
        return uri

    def refresh(self) -> None:
        """Ask a pulling client to pull again, when it can be asked."""
        workspace = self.server.client_capabilities.workspace
        support = workspace.diagnostics if workspace else None
        if support is None or not support.refresh_support:
            return
        future = self.server.protocol.send_request(types.WORKSPACE_DIAGNOSTIC_REFRESH, None)
        future.add_done_callback(_log_failure)

    # Push for closed files ------------------------------------------------------------------

    def rules_changed(self, kind: DocumentKind | None, _include_unmatched: bool) -> None:
        """A re-check listener: a registry, the rules or the settings changed."""
        if kind is DocumentKind.REGISTRY:
            return  # only registries are re-checked: no wish reads differently
        if self.pull:
            self.refresh()
        if self.workspace_pulled:
            return
        if self.server.settings.diagnostics.closed_files == 0 or not self.indexer.built.is_set():
            return
        if self.pending is not None and not self.pending.done():
            self.pending.cancel()
        self.pending = self.server.spawn(self._recheck_closed(), "check closed wishes")

    def baseline(self) -> None:
        """Remember the registries and rules in force (after the first index build), so the
        first change publishes what changed, not every warning of the workspace."""
        if self.configs:
            return  # a later build (new settings): the change is the re-check's to find
        for path, entry in self.indexer.index.files.items():
            if entry.kind is DocumentKind.WISH:
                self._changed_ids(path)
                self.configs[path] = self.server.project.lint_config_for(path)

    def _changed_ids(self, path: Path) -> set[str] | None:
        """The conduit ids whose entry differs from the last look at the wish's registry
        (None: every id, the registry was never looked at)."""
        project = self.server.project
        registry_path = project.registry_path_for(path)
        registry = project.registry_for(path)
        before = self.registries.get(registry_path)
        now = registry.conduits
        if before is now:
            return set()
        self.registries[registry_path] = now
        if before is None:
            return None
        return {
            conduit
            for conduit in before.keys() | now.keys()
            if before.get(conduit) != now.get(conduit)
        }

    async def _recheck_closed(self) -> None:
        await asyncio.sleep(RECHECK_DELAY)
        server = self.server
        limit = server.settings.diagnostics.closed_files
        open_uris = {document.uri for document in server.open_documents()}
        for uri in open_uris:
            # An open document's diagnostics are the editor feature's, and closing it clears
            # them: what we published before is no longer shown.
            self.published.pop(uri, None)
        changed_by_registry: dict[Path | None, set[str] | None] = {}
        candidates: list[Path] = []
        for path, entry in sorted(self.indexer.index.files.items(), key=lambda item: str(item[0])):
            if entry.kind is not DocumentKind.WISH:
                continue
            uri = from_fs_path(str(path))
            if uri is None or uri in open_uris:
                continue
            registry_path = server.project.registry_path_for(path)
            if registry_path not in changed_by_registry:
                changed_by_registry[registry_path] = self._changed_ids(path)
            changed = changed_by_registry[registry_path]
            config = server.project.lint_config_for(path)
            rules_moved = self.configs.get(path) is not config
            self.configs[path] = config
            names_changed = changed is None or any(
                place.conduit_id in changed for place in entry.ids
            )
            if uri in self.published or rules_moved or names_changed:
                candidates.append(path)
        if len(candidates) > limit:
            logger.info(
                "%d closed wishes may read differently; checking the first %d "
                "(wishcraft.diagnostics.closedFiles).",
                len(candidates),
                limit,
            )
        for done, path in enumerate(candidates[:limit], 1):
            self._publish_closed(path)
            if done % CHUNK == 0:
                await asyncio.sleep(0)

    def _publish_closed(self, path: Path) -> None:
        entry = self.indexer.index.files.get(path)
        uri = from_fs_path(str(path))
        if uri is None or self.server.open_document(uri) is not None:
            return
        checked = None if entry is None else self.checks.check(path, entry.kind, entry.stamp)
        before = self.published.get(uri)
        if checked is None or not checked.findings:
            if before is not None:
                del self.published[uri]
                self._send(uri, [])
            return
        if before == checked.result_id:
            return
        self.published[uri] = checked.result_id
        self._send(uri, self._diagnostics(checked))

    def _unpublish(self, uri: str) -> None:
        """Clear what was pushed for a file the client now pulls (it would show both)."""
        if self.published.pop(uri, None) is not None:
            self._send(uri, [])

    def _send(self, uri: str, diagnostics: list[types.Diagnostic]) -> None:
        self.server.text_document_publish_diagnostics(
            types.PublishDiagnosticsParams(uri=uri, diagnostics=diagnostics)
        )

    def file_changed(self, changes: Sequence[types.FileEvent]) -> None:
        """A watched-files listener: a closed wish showing ours changed on disk (or went)."""
        for change in changes:
            path = to_fs_path(change.uri)
            if path is None:
                continue
            self.checks.forget(Path(path))
            if change.uri in self.published and not self.workspace_pulled:
                self._publish_closed(Path(path))


def _log_failure(future: Any) -> None:
    error = None if future.cancelled() else future.exception()
    if error is not None:
        logger.info("The client did not refresh its diagnostics: %s", error)


def register(server: WishcraftLanguageServer, indexer: Indexer) -> WorkspaceDiagnostics:
    """Wire pull diagnostics, and closed-file publishing on registry and rule changes."""
    workspace = WorkspaceDiagnostics(server, indexer)
    server.recheck_listeners.append(workspace.rules_changed)
    server.watched_files_listeners.append(workspace.file_changed)
    indexer.built_hooks.append(workspace.baseline)

    @server.feature(
        types.TEXT_DOCUMENT_DIAGNOSTIC,
        types.DiagnosticOptions(
            identifier=DIAGNOSTIC_SOURCE, inter_file_dependencies=True, workspace_diagnostics=True
        ),
    )
    def document_diagnostic(
        ls: WishcraftLanguageServer, params: types.DocumentDiagnosticParams
    ) -> types.RelatedFullDocumentDiagnosticReport | types.RelatedUnchangedDocumentDiagnosticReport:
        return workspace.document_report(params.text_document.uri, params.previous_result_id)

    @server.feature(types.WORKSPACE_DIAGNOSTIC)
    async def workspace_diagnostic(
        ls: WishcraftLanguageServer, params: types.WorkspaceDiagnosticParams
    ) -> types.WorkspaceDiagnosticReport:
        return await workspace.workspace_report(params.previous_result_ids)

    return workspace
