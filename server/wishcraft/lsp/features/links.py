"""Document links: a tool id to its registry entry, a scope path of the registry to the file
or folder it names, and a `docs/…` path written anywhere in a wish or registry to that file.

Only what exists is linked (a scope path with glob characters names no one file, and a
`docs/` path that is not there is left as text); paths are taken in the workspace folder that
holds the document, which is where wishes and scopes name them from.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import TYPE_CHECKING

from lsprotocol import types
from pygls.uris import from_fs_path

from wishcraft.documents import NodeKind
from wishcraft.findings import Position, Span
from wishcraft.kinds import DocumentKind
from wishcraft.lsp.workspace import DocumentSnapshot

if TYPE_CHECKING:
    from wishcraft.lsp.server import WishcraftLanguageServer

DOCS_PATH = re.compile(r"(?<![\w./-])docs/[\w./-]*\w")
GLOB_CHARACTERS = frozenset("*?[]{}!")
MAX_LINKS = 1_000
"""A wish has a handful; a generated file of thousands of paths gets the first thousand."""


def _inside(root: Path, relative: str) -> Path | None:
    """`relative` taken in `root`, if it stays inside it and exists."""
    candidate = (root / relative).resolve()
    try:
        candidate.relative_to(root.resolve())
    except ValueError:
        return None
    return candidate if candidate.exists() else None


def _link(span: Span, target: Path, tooltip: str) -> tuple[Span, str, str] | None:
    uri = from_fs_path(str(target))
    return (span, uri, tooltip) if uri is not None else None


def document_links(snapshot: DocumentSnapshot, root: Path | None) -> list[tuple[Span, str, str]]:
    """(span, target uri, tooltip) of every link in a document."""
    out: list[tuple[Span, str, str]] = []
    registry = snapshot.registry
    index = snapshot.analysis.index
    if snapshot.kind is DocumentKind.WISH and registry.source is not None:
        tools = index.get(("tools",))
        value = tools.value.resolved() if tools is not None else None
        if value is not None and value.kind is NodeKind.SEQUENCE:
            for item in value.items:
                span = registry.definitions.get(item.value) if isinstance(item.value, str) else None
                if span is None:
                    continue
                uri = from_fs_path(str(registry.source))
                if uri is not None:
                    out.append(
                        (
                            item.span,
                            f"{uri}#L{span.start.line + 1}",
                            f"{item.value} in the registry",
                        )
                    )
    if root is None:
        return out
    if snapshot.kind is DocumentKind.REGISTRY:
        for path in index.paths():
            if len(path) == 5 and path[1] == "scopes" and path[3] == "paths":
                located = index.get(path)
                node = located.value if located is not None else None
                if node is None or node.kind is not NodeKind.SCALAR:
                    continue
                text = node.value if isinstance(node.value, str) else None
                if not text or GLOB_CHARACTERS & set(text):
                    continue
                target = _inside(root, text)
                if target is not None and (link := _link(node.span, target, text)):
                    out.append(link)
    if "docs/" not in snapshot.analysis.parsed.text:
        return out  # one search of the text, not a loop over 5,000 lines
    for number, line in enumerate(snapshot.lines):
        if "docs/" not in line:
            continue
        for match in DOCS_PATH.finditer(line):
            target = _inside(root, match.group())
            if target is None or not target.is_file():
                continue
            span = Span(Position(number, match.start()), Position(number, match.end()))
            if any(known.contains(span.start) for known, _, _ in out):
                continue  # a scope path already linked whole
            if link := _link(span, target, match.group()):
                out.append(link)
        if len(out) >= MAX_LINKS:
            break
    return out[:MAX_LINKS]


def register(server: WishcraftLanguageServer) -> None:
    """Wire `textDocument/documentLink`."""

    @server.feature(types.TEXT_DOCUMENT_DOCUMENT_LINK)
    def document_link(
        ls: WishcraftLanguageServer, params: types.DocumentLinkParams
    ) -> list[types.DocumentLink] | None:
        snapshot = ls.snapshot(params.text_document.uri)
        if snapshot is None:
            return None
        root = ls.project.root_for(snapshot.path)
        document = ls.client_capabilities.text_document
        link_support = document.document_link if document else None
        tooltips = bool(link_support and link_support.tooltip_support)
        return [
            types.DocumentLink(
                range=snapshot.positions.to_range(span),
                target=target,
                tooltip=tooltip if tooltips else None,
            )
            for span, target, tooltip in document_links(snapshot, root)
        ]
