"""Helpers for unit tests of the LSP features: a snapshot from text, and cursor markers."""

from __future__ import annotations

from pathlib import Path

from wishcraft.documents.positions import PositionMapper
from wishcraft.findings import Position, split_lines
from wishcraft.lint import analyse_registry, analyse_wish
from wishcraft.lint.registries import bundled_registry, registry_from_text
from wishcraft.lsp.workspace import DocumentSnapshot
from wishcraft.registry import Registry

REGISTRY = bundled_registry()
CURSOR = "‸"


def snapshot(
    text: str, *, registry: Registry | None = None, kind: str = "wish", encoding: str = "utf-16"
) -> DocumentSnapshot:
    """Analyse `text` as a wish (or a registry) and wrap it as the server would."""
    if kind == "wish":
        used = registry or REGISTRY
        analysis = analyse_wish(text, used)
        path = Path("/tmp/w/data/wishes/test.wish.yaml")
    else:
        analysis = analyse_registry(text)
        path = Path("/tmp/w/data/conduits/registry.yaml")
        used = registry_from_text(text, path)
    return DocumentSnapshot(
        "file://" + str(path),
        1,
        path,
        analysis,
        PositionMapper(analysis.parsed.lines, encoding),
        used,
    )


def with_cursor(marked: str) -> tuple[str, Position]:
    """Remove the cursor marker `‸` from a text and return the text and the marker's place."""
    index = marked.index(CURSOR)
    before = split_lines(marked[:index])
    return marked.replace(CURSOR, "", 1), Position(len(before) - 1, len(before[-1]))
