"""Go to definition: from a conduit id in `tools` to its entry in the registry file."""

from __future__ import annotations

from typing import TYPE_CHECKING

from lsprotocol import types
from pygls.uris import from_fs_path

from wishcraft.documents.positions import PositionMapper
from wishcraft.findings import Position, split_lines
from wishcraft.lint import DocumentKind
from wishcraft.lsp.features.anchors import anchor_definition
from wishcraft.lsp.workspace import DocumentSnapshot

if TYPE_CHECKING:
    from wishcraft.lsp.server import WishcraftLanguageServer


def definition_at(
    snapshot: DocumentSnapshot, position: Position, encoding: str | None = None
) -> types.Location | None:
    """The registry entry of the conduit id under the cursor, or None.

    The bundled registry has no file to go to, so its conduits have no definition.
    """
    if snapshot.kind is not DocumentKind.WISH:
        return None
    place = snapshot.analysis.index.place_at(position)
    path = place.path
    if place.node is None or place.on_key or len(path) != 2 or path[0] != "tools":
        return None
    conduit_id = place.node.value
    registry = snapshot.registry
    if not isinstance(conduit_id, str) or registry.source is None:
        return None
    span = registry.definitions.get(conduit_id)
    uri = from_fs_path(str(registry.source))
    if span is None or uri is None:
        return None
    mapper = PositionMapper(split_lines(registry.text), encoding)
    return types.Location(uri=uri, range=mapper.to_range(span))


def register(server: WishcraftLanguageServer) -> None:
    """Wire `textDocument/definition`."""

    @server.feature(types.TEXT_DOCUMENT_DEFINITION)
    def definition(
        ls: WishcraftLanguageServer, params: types.DefinitionParams
    ) -> types.Location | None:
        snapshot = ls.snapshot(params.text_document.uri)
        if snapshot is None:
            return None
        anchor = anchor_definition(snapshot, params.position)
        if anchor is not None:
            return anchor
        return definition_at(
            snapshot,
            snapshot.positions.from_client(params.position),
            ls.workspace.position_encoding,
        )
