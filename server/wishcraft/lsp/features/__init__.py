"""LSP features, one module each: pure functions over a `DocumentSnapshot`, thin handlers.

Each module exposes pure functions that take a snapshot (an analysed document version and its
position mapper) and return lsprotocol types, plus a `register(server)` that wires them to
their LSP method. Only `server.py` knows about documents, settings and caches.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from wishcraft.documents.positions import PositionMapper
from wishcraft.lint import Analysis, DocumentKind
from wishcraft.registry import Registry


@dataclass(frozen=True, slots=True)
class DocumentSnapshot:
    """One analysed version of one open document: everything a feature needs.

    `registry` is the registry a wish is checked against (for a registry file, the registry it
    defines); `positions` converts this version's positions to and from client units.
    """

    uri: str
    version: int | None
    path: Path
    analysis: Analysis
    positions: PositionMapper
    registry: Registry

    @property
    def kind(self) -> DocumentKind:
        """Whether the document is a wish or a registry."""
        return self.analysis.kind

    @property
    def lines(self) -> list[str]:
        """The document's lines, split as LSP splits them."""
        return self.analysis.parsed.lines
