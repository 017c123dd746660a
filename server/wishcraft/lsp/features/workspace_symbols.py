"""Workspace symbols: find a wish by its title, objective or file name, a conduit by its id or
label, in every file of the workspace index (open documents with their unsaved text).

The container is where the symbol lives, relative to its workspace folder: a wish's folder, a
conduit's registry file. The ranking is `lsp/symbol_search.py`.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from lsprotocol import types

from wishcraft.findings import Position, Span
from wishcraft.kinds import DocumentKind
from wishcraft.lsp.features.indexing import Indexer
from wishcraft.lsp.features.references import entry_range
from wishcraft.lsp.symbol_search import search

if TYPE_CHECKING:
    from wishcraft.lsp.server import WishcraftLanguageServer

ORIGIN = Span(Position(0, 0), Position(0, 0))


def relative_to_workspace(path: Path, root: Path | None) -> str:
    """A path as the user reads it: relative to its workspace folder when inside one."""
    if root is not None and (path == root or root in path.parents):
        return path.relative_to(root).as_posix()
    return str(path)


def register(server: WishcraftLanguageServer, indexer: Indexer) -> None:
    """Wire `workspace/symbol`."""

    @server.feature(types.WORKSPACE_SYMBOL)
    async def workspace_symbol(
        ls: WishcraftLanguageServer, params: types.WorkspaceSymbolParams
    ) -> list[types.WorkspaceSymbol]:
        await indexer.wait()
        files = indexer.current()
        encoding = ls.workspace.position_encoding
        out: list[types.WorkspaceSymbol] = []
        for found in search(params.query, files.entries.values()):
            uri = files.uri(found.path)
            if uri is None:
                continue
            root = ls.project.root_for(found.path)
            if found.kind is DocumentKind.WISH:
                kind = types.SymbolKind.Object
                container = relative_to_workspace(found.path.parent, root)
            else:
                kind = types.SymbolKind.Function
                container = relative_to_workspace(found.path, root)
            out.append(
                types.WorkspaceSymbol(
                    name=found.name,
                    kind=kind,
                    location=types.Location(
                        uri=uri,
                        range=entry_range(
                            files.entries[found.path], found.span or ORIGIN, encoding
                        ),
                    ),
                    container_name=container,
                )
            )
        return out
