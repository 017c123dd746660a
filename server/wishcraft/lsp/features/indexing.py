"""Keep the workspace index (`lsp/index.py`) built and current for the workspace features.

Flow: `initialized` → the first settings (they decide which files are wishes) → a background
build in chunks of files, with a work-done progress where the client shows one (begin →
report → end, always ended) → `ready`. Afterwards one file at a time: a watched file changed on
disk (the watcher is registered dynamically, `WishcraftLanguageServer.watch_files`), or a
document saved (for clients that cannot watch files, such as Neovim 0.7). New settings rebuild
the index, since the wish globs may have changed.

Features that need the whole workspace (`await Indexer.wait()`) get the index as it stands
once the first build is done; `current()` lays the open documents' unsaved text over it.
"""

from __future__ import annotations

import asyncio
import itertools
import logging
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from lsprotocol import types
from pygls.uris import from_fs_path, to_fs_path

from wishcraft.lint import DocumentKind
from wishcraft.lsp.heap import settle
from wishcraft.lsp.index import IndexedFile, WorkspaceIndex, read_entry

if TYPE_CHECKING:
    from pygls.workspace import TextDocument

    from wishcraft.lsp.server import WishcraftLanguageServer

logger = logging.getLogger(__name__)

CHUNK = 25
"""Files read between two yields to the event loop (under 10 ms of work), so a wish opened
while the index is built gets its diagnostics at most that much later."""

REPORT_EVERY = 100
"""Files between two progress reports (a report per chunk would be chatty)."""

_TOKENS = itertools.count(1)
"""Progress tokens, unique within the session."""

READY_WAIT_SECONDS = 20.0
"""The longest a request waits for the first build before answering from what is indexed."""


@dataclass(frozen=True, slots=True)
class Current:
    """The files as the workspace features see them: every indexed entry with the open
    documents' unsaved text laid over it, and the uri and version of those open documents."""

    entries: dict[Path, IndexedFile]
    opened: dict[Path, tuple[str, int | None]]
    uris: dict[Path, str]
    """The indexer's cache of uris made from paths (shared, so each is made once)."""

    def uri(self, path: Path) -> str | None:
        """The uri of a file: as the client wrote it when open, else made from the path."""
        known = self.opened.get(path)
        if known is not None:
            return known[0]
        uri = self.uris.get(path)
        if uri is None:
            uri = from_fs_path(str(path))
            if uri is not None:
                self.uris[path] = uri
        return uri

    def version(self, path: Path) -> int | None:
        """The version of an open document (None for a file that is not open)."""
        known = self.opened.get(path)
        return known[1] if known is not None else None


class Indexer:
    """The workspace index of one server, its background build and its updates."""

    def __init__(self, server: WishcraftLanguageServer) -> None:
        """Index for `server`; nothing is built until `start`."""
        self.server = server
        self.index = WorkspaceIndex()
        self.built = asyncio.Event()
        """Set when the first build finished (or failed): requests stop waiting then."""
        self.task: asyncio.Task[None] | None = None
        self.last_build_seconds: float | None = None
        self.uris: dict[Path, str] = {}
        """Uris made from indexed paths (pygls makes one in about 15 µs: 2,000 add up)."""
        self.built_hooks: list[Callable[[], None]] = []
        """Called after each build that finished (workspace diagnostics take a baseline)."""
        self.open_entries: dict[str, tuple[str, IndexedFile]] = {}
        """Open documents read as the index reads files, by uri, with the text they were read
        from: every workspace request lays them over the index, and re-reading each one each
        time would cost a YAML parse per open document per request."""

    def classify(self, path: Path) -> DocumentKind | None:
        """What a file is, by the rules open documents follow (`Workspace.kind_of`)."""
        return self.server.project.kind_of(path)

    def start(self) -> None:
        """(Re)build the index in the background, replacing a build still running."""
        if self.task is not None and not self.task.done():
            self.task.cancel()
        self.task = self.server.spawn(self._build(), "build the workspace index")

    async def _build(self) -> None:
        server = self.server
        await server.wait_for_settings()
        await asyncio.sleep(0)  # documents opened at start-up are published first
        folders = server.project.folders()
        token = await self._progress_token()
        started = time.perf_counter()
        try:
            if token is not None:
                server.work_done_progress.begin(
                    token,
                    types.WorkDoneProgressBegin(
                        title="Indexing wishes", message="Finding files", percentage=0
                    ),
                )
            steps = self.index.build(folders, self.classify, CHUNK)
            for done in steps:
                if token is not None and (done % REPORT_EVERY == 0 or done == self.index.total):
                    server.work_done_progress.report(
                        token,
                        types.WorkDoneProgressReport(
                            message=f"{done:,} of {self.index.total:,} files",
                            percentage=min(100, done * 100 // max(self.index.total, 1)),
                        ),
                    )
                await asyncio.sleep(0)  # let requests and edits run between chunks
        finally:
            self.last_build_seconds = time.perf_counter() - started
            self.built.set()
            if token is not None:
                server.work_done_progress.end(
                    token,
                    types.WorkDoneProgressEnd(message=f"{self.index.count():,} files indexed"),
                )
                server.work_done_progress.tokens.pop(token, None)
        logger.info(
            "Indexed %d files in %.2f s", self.index.count(), self.last_build_seconds or 0.0
        )
        for hook in self.built_hooks:
            hook()
        settle("the workspace index was built")

    async def _progress_token(self) -> str | None:
        window = self.server.client_capabilities.window
        if not (window and window.work_done_progress):
            return None
        token = f"wishcraft-index-{next(_TOKENS)}"
        try:
            await self.server.work_done_progress.create_async(token)
        except Exception as error:  # a client may refuse: index without progress
            logger.info("index progress refused by the client: %s", error)
            return None
        return token

    async def wait(self) -> WorkspaceIndex:
        """The index once its first build is done (or after `READY_WAIT_SECONDS`)."""
        if not self.built.is_set():
            try:
                await asyncio.wait_for(self.built.wait(), READY_WAIT_SECONDS)
            except TimeoutError:
                logger.warning("The workspace index is still being built; answering from part.")
        return self.index

    def file_changed(self, path: Path) -> bool:
        """Re-read one file (or drop it); True when the index changed."""
        return self.index.update(path, self.classify)

    def settings_changed(self, _kind: DocumentKind | None, include_unmatched: bool) -> None:
        """A re-check listener: new settings (the only re-check that includes documents no
        longer ours) may change which files are wishes, so the index is built again."""
        if include_unmatched and self.built.is_set():
            self.start()

    def open_entry(self, document: TextDocument) -> IndexedFile | None:
        """An open document of ours read as the index reads files (its unsaved text)."""
        path_text = to_fs_path(document.uri)
        if path_text is None:
            return None
        path = Path(path_text)
        kind = self.classify(path)
        if kind is None:
            return None
        text = document.source
        known = self.open_entries.get(document.uri)
        # The very text object, not its version: a client that numbers versions wrong still
        # has its edits applied, and pygls makes a new string for every change.
        if (
            known is not None
            and known[0] is text
            and known[1].kind is kind
            and known[1].path == path
        ):
            return known[1]
        entry = read_entry(path, kind, text)
        self.open_entries[document.uri] = (text, entry)
        return entry

    def current(self) -> Current:
        """Every indexed file, with open documents' unsaved text laid over the disk's."""
        entries = dict(self.index.files)
        opened: dict[Path, tuple[str, int | None]] = {}
        documents = self.server.open_documents()
        if len(self.open_entries) > len(documents):
            still_open = {document.uri for document in documents}
            for uri in [uri for uri in self.open_entries if uri not in still_open]:
                del self.open_entries[uri]
        for document in documents:
            entry = self.open_entry(document)
            if entry is not None:
                entries[entry.path] = entry
                opened[entry.path] = (document.uri, document.version)
        if len(self.uris) > 4 * len(entries) + 1000:
            self.uris.clear()  # files came and went: do not grow without bound
        return Current(entries, opened, self.uris)


def register(server: WishcraftLanguageServer) -> Indexer:
    """Build the index after `initialized`, and keep it current from watched files and saves."""
    indexer = Indexer(server)
    server.recheck_listeners.append(indexer.settings_changed)
    server.initialized_hooks.append(indexer.start)

    def watched(changes: Sequence[types.FileEvent]) -> None:
        for change in changes:
            path = to_fs_path(change.uri)
            if path is not None:
                indexer.file_changed(Path(path))

    server.watched_files_listeners.append(watched)

    @server.feature(types.TEXT_DOCUMENT_DID_SAVE)
    def did_save(ls: WishcraftLanguageServer, params: types.DidSaveTextDocumentParams) -> None:
        path = to_fs_path(params.text_document.uri)
        if path is not None:
            indexer.file_changed(Path(path))

    return indexer
