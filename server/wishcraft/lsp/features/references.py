"""References, rename and document highlight of conduit ids, across the workspace.

From a registry entry's `id` or any wish's `tools` item: every wish that names the id (open or
not, through the workspace index with open documents' unsaved text laid over it) and its entry
in the registry. `prepareRename` refuses anything but an id; a rename is one `WorkspaceEdit`
over the registry and every wish, versioned for open documents, with a change annotation that
says how many files it touches (where the client supports them). The pure part is
`lsp/conduit_ids.py`.
"""

from __future__ import annotations

from collections.abc import Container
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from lsprotocol import types

from wishcraft.documents.anchors import anchor_rename_reason
from wishcraft.documents.positions import code_units
from wishcraft.findings import Span
from wishcraft.kinds import DocumentKind
from wishcraft.lsp.conduit_ids import Target, Use, rename_refusal_reason, target_at, uses_of
from wishcraft.lsp.features.anchors import anchor_at, anchor_highlights, anchor_rename_edits
from wishcraft.lsp.features.indexing import Current, Indexer
from wishcraft.lsp.heap import settle_soon
from wishcraft.lsp.index import IndexedFile
from wishcraft.lsp.refusal import Refusal

if TYPE_CHECKING:
    from wishcraft.lsp.server import WishcraftLanguageServer

RENAME_ANNOTATION = "wishcraft.renameConduit"

SETTLE_AFTER = 500
"""Files whose client ranges were made after which the heap is settled (`RangeCache.settle`)."""


class RenameRefused(Refusal):
    """A rename that cannot be done; its message is the one sentence the user sees."""


def entry_range(entry: IndexedFile, span: Span, encoding: str | None) -> types.Range:
    """A span of an indexed file in client units (only lines that are not ASCII need its text)."""
    text = entry.wide_lines.get(span.start.line)
    start, end = span.start.column, span.end.column
    if text is not None:
        start = code_units(text[:start], encoding)
        end = (
            code_units(text[: span.end.column], encoding)
            if span.end.line == span.start.line
            else end
        )
    return types.Range(
        start=types.Position(line=span.start.line, character=start),
        end=types.Position(line=span.end.line, character=end),
    )


@dataclass(slots=True)
class _FileRanges:
    """One read of a file: its ids' ranges in client units, and their locations at one uri."""

    entry: IndexedFile
    encoding: str | None
    spans: list[types.Range]
    inner: list[types.Range]
    uri: str = ""
    locations: dict[int, types.Location] = field(default_factory=dict)


@dataclass(slots=True)
class RangeCache:
    """The client ranges of every indexed file's ids, made once per read of the file.

    An indexed file is never changed, only replaced (a new `IndexedFile` when it changed on
    disk or in the editor), so a cached entry is valid while it is the same object. References
    of an id named by 1,000 wishes then reuse 1,000 locations instead of making them again.
    """

    files: dict[Path, _FileRanges] = field(default_factory=dict)
    made: int = 0
    """Files whose ranges were made since the heap was last settled."""

    def of(self, entry: IndexedFile, encoding: str | None) -> _FileRanges:
        """The ranges of `entry`'s ids (made now if this read of the file has none yet)."""
        known = self.files.get(entry.path)
        if known is None or known.entry is not entry or known.encoding != encoding:
            self.made += 1
            known = _FileRanges(
                entry,
                encoding,
                [entry_range(entry, place.span, encoding) for place in entry.ids],
                [entry_range(entry, place.inner, encoding) for place in entry.ids],
            )
            self.files[entry.path] = known
        return known

    def location(
        self, entry: IndexedFile, at: int, uri: str, encoding: str | None
    ) -> types.Location:
        """Where `entry`'s id number `at` is, at `uri`."""
        ranges = self.of(entry, encoding)
        if ranges.uri != uri:
            ranges.uri = uri
            ranges.locations = {}
        found = ranges.locations.get(at)
        if found is None:
            found = ranges.locations[at] = types.Location(uri=uri, range=ranges.spans[at])
        return found

    def prune(self, known: Container[Path], count: int) -> None:
        """Forget files no longer indexed, once they outnumber the indexed ones."""
        if len(self.files) > 2 * count + 100:
            for path in [path for path in self.files if path not in known]:
                del self.files[path]

    def settle(self) -> None:
        """Once ranges for many files were made (about 25 objects a file), set them aside from
        the collector's full passes as the index is (`lsp/heap.py`)."""
        if self.made >= SETTLE_AFTER:
            self.made = 0
            settle_soon("the locations of many files were made")


class ConduitReferences:
    """The references, rename and highlight handlers' shared steps for one server."""

    def __init__(self, server: WishcraftLanguageServer, indexer: Indexer) -> None:
        """Answer for `server` from `indexer`'s workspace index."""
        self.server = server
        self.indexer = indexer
        self.ranges = RangeCache()

    def registry_of(self, path: Path) -> Path | None:
        """The registry file a wish is checked against (None: the bundled one)."""
        return self.server.project.registry_path_for(path)

    def target(self, uri: str, position: types.Position) -> Target | None:
        """The conduit id under the cursor of an open document, or None."""
        document = self.server.open_document(uri)
        if document is None:
            return None
        entry = self.indexer.open_entry(document)
        if entry is None:
            return None
        snapshot = self.server.snapshot(uri)
        if snapshot is None:
            return None
        return target_at(entry, snapshot.positions.from_client(position), self.registry_of)

    async def uses(self, target: Target) -> tuple[list[Use], Current]:
        """Every place of the target's id in the workspace, and the files they are in."""
        index = await self.indexer.wait()
        files = self.indexer.current()
        # Only files naming the id on disk, and open documents (their text may now name it).
        paths = index.naming(target.conduit_id) | files.opened.keys()
        if target.registry is not None:
            paths.add(target.registry)
            if target.registry not in files.entries:
                # A configured registry outside the workspace folders: read it too, or a
                # rename would leave its entry behind.
                outside = index.read(target.registry, DocumentKind.REGISTRY)
                if outside is not None:
                    files.entries[target.registry] = outside
        candidates = [files.entries[path] for path in paths if path in files.entries]
        uses = uses_of(target, candidates, self.registry_of)
        self.ranges.prune(files.entries, len(files.entries))
        return uses, files

    def locations(
        self, uses: list[Use], files: Current, include_declaration: bool
    ) -> list[types.Location]:
        """Where the uses are, for the client (a file's uri and entry looked up once)."""
        encoding = self.server.workspace.position_encoding
        out: list[types.Location] = []
        path: Path | None = None
        uri: str | None = None
        entry: IndexedFile | None = None
        for use in uses:
            if use.definition and not include_declaration:
                continue
            if use.path is not path:  # uses_of groups each file's uses together
                path, uri, entry = use.path, files.uri(use.path), files.entries[use.path]
            if uri is not None and entry is not None:
                out.append(self.ranges.location(entry, use.at, uri, encoding))
        return out

    def known_ids(self, target: Target, files: Current) -> set[str]:
        """The ids the target's registry defines (empty when it is not indexed)."""
        if target.registry is None or target.registry not in files.entries:
            return set()
        return {place.conduit_id for place in files.entries[target.registry].ids}

    def rename_edit(
        self, target: Target, new_id: str, uses: list[Use], files: Current
    ) -> types.WorkspaceEdit:
        """One edit over every file that names the id, as the client can take it."""
        encoding = self.server.workspace.position_encoding
        by_file: dict[Path, list[types.Range]] = {}
        for use in uses:
            by_file.setdefault(use.path, []).append(
                self.ranges.of(files.entries[use.path], encoding).inner[use.at]
            )
        capabilities = self.server.client_capabilities.workspace
        workspace_edit = capabilities.workspace_edit if capabilities else None
        count = len(by_file)
        label = f"Rename `{target.conduit_id}` to `{new_id}` in {count} file" + (
            "" if count == 1 else "s"
        )
        if not (workspace_edit and workspace_edit.document_changes):
            changes: dict[str, list[types.TextEdit]] = {}
            for path, ranges in by_file.items():
                uri = files.uri(path)
                if uri is not None:
                    changes[uri] = [types.TextEdit(range=r, new_text=new_id) for r in ranges]
            return types.WorkspaceEdit(changes=changes)
        annotated = workspace_edit.change_annotation_support is not None
        document_changes: list[types.TextDocumentEdit] = []
        for path, ranges in by_file.items():
            uri = files.uri(path)
            if uri is None:
                continue
            edits: list[types.TextEdit | types.AnnotatedTextEdit] = [
                types.AnnotatedTextEdit(range=r, new_text=new_id, annotation_id=RENAME_ANNOTATION)
                if annotated
                else types.TextEdit(range=r, new_text=new_id)
                for r in ranges
            ]
            document_changes.append(
                types.TextDocumentEdit(
                    text_document=types.OptionalVersionedTextDocumentIdentifier(
                        uri=uri, version=files.version(path)
                    ),
                    edits=edits,
                )
            )
        return types.WorkspaceEdit(
            document_changes=document_changes,
            change_annotations=(
                {
                    RENAME_ANNOTATION: types.ChangeAnnotation(
                        label=label, needs_confirmation=False, description=label
                    )
                }
                if annotated
                else None
            ),
        )


async def find_references(
    refs: ConduitReferences, params: types.ReferenceParams
) -> list[types.Location] | None:
    """Every use of the conduit id under the cursor (its registry entry when asked)."""
    target = refs.target(params.text_document.uri, params.position)
    if target is None:
        return None
    uses, files = await refs.uses(target)
    locations = refs.locations(uses, files, params.context.include_declaration)
    refs.ranges.settle()
    return locations


def prepare_rename(
    ls: WishcraftLanguageServer, refs: ConduitReferences, params: types.PrepareRenameParams
) -> types.PrepareRenamePlaceholder | None:
    """The range and text a rename starts from: an anchor's name, or a conduit id; anything
    else is refused with one sentence."""
    uri = params.text_document.uri
    snapshot = ls.snapshot(uri)
    anchor = anchor_at(snapshot, params.position) if snapshot is not None else None
    if snapshot is not None and anchor is not None:
        place = anchor[1]
        return types.PrepareRenamePlaceholder(
            range=snapshot.positions.to_range(place.span), placeholder=place.name
        )
    target = refs.target(uri, params.position)
    reason = rename_refusal_reason(target, None, set())
    if reason is not None or target is None:
        raise RenameRefused(reason)
    snapshot = ls.snapshot(uri)
    assert snapshot is not None  # the target was found in it
    return types.PrepareRenamePlaceholder(
        range=snapshot.positions.to_range(target.place.inner), placeholder=target.conduit_id
    )


async def rename(
    ls: WishcraftLanguageServer, refs: ConduitReferences, params: types.RenameParams
) -> types.WorkspaceEdit | None:
    """An anchor renamed with its aliases, or a conduit id across the registry and wishes."""
    snapshot = ls.snapshot(params.text_document.uri)
    new_id = params.new_name.strip()
    if snapshot is not None:
        edits = anchor_rename_edits(snapshot, params.position, new_id)
        if edits is not None:
            reason = anchor_rename_reason(new_id)
            if reason is not None:
                raise RenameRefused(reason)
            return types.WorkspaceEdit(changes={params.text_document.uri: edits})
    target = refs.target(params.text_document.uri, params.position)
    reason = rename_refusal_reason(target, new_id, set())
    if reason is not None or target is None:
        raise RenameRefused(reason)
    uses, files = await refs.uses(target)
    reason = rename_refusal_reason(target, new_id, refs.known_ids(target, files))
    if reason is not None:
        raise RenameRefused(reason)
    if new_id == target.conduit_id:
        return None
    edit = refs.rename_edit(target, new_id, uses, files)
    refs.ranges.settle()
    return edit


def highlight(
    ls: WishcraftLanguageServer,
    refs: ConduitReferences,
    indexer: Indexer,
    params: types.DocumentHighlightParams,
) -> list[types.DocumentHighlight] | None:
    """The anchor and its aliases, or the conduit id's other places, in this file."""
    uri = params.text_document.uri
    snapshot = ls.snapshot(uri)
    anchors = anchor_highlights(snapshot, params.position) if snapshot is not None else None
    if anchors is not None:
        return anchors
    target = refs.target(uri, params.position)
    document = ls.open_document(uri)
    if target is None or snapshot is None or document is None:
        return None
    entry = indexer.open_entry(document)
    if entry is None:
        return None
    kind = types.DocumentHighlightKind.Write if target.in_registry else None
    return [
        types.DocumentHighlight(
            range=snapshot.positions.to_range(place.span),
            kind=kind or types.DocumentHighlightKind.Read,
        )
        for place in entry.ids
        if place.conduit_id == target.conduit_id
    ]


def register(server: WishcraftLanguageServer, indexer: Indexer) -> ConduitReferences:
    """Wire references, prepareRename, rename and document highlight."""
    refs = ConduitReferences(server, indexer)

    @server.feature(types.TEXT_DOCUMENT_REFERENCES)
    async def references(
        ls: WishcraftLanguageServer, params: types.ReferenceParams
    ) -> list[types.Location] | None:
        return await find_references(refs, params)

    @server.feature(types.TEXT_DOCUMENT_PREPARE_RENAME)
    def prepare(
        ls: WishcraftLanguageServer, params: types.PrepareRenameParams
    ) -> types.PrepareRenamePlaceholder | None:
        return prepare_rename(ls, refs, params)

    @server.feature(types.TEXT_DOCUMENT_RENAME)
    async def renamed(
        ls: WishcraftLanguageServer, params: types.RenameParams
    ) -> types.WorkspaceEdit | None:
        return await rename(ls, refs, params)

    @server.feature(types.TEXT_DOCUMENT_DOCUMENT_HIGHLIGHT)
    def highlighted(
        ls: WishcraftLanguageServer, params: types.DocumentHighlightParams
    ) -> list[types.DocumentHighlight] | None:
        return highlight(ls, refs, indexer, params)

    return refs
