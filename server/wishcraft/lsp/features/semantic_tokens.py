"""Semantic tokens: conduit ids (in `tools`, and a registry's `id`s), the tier, and keys that
upstream ignores, so a theme can colour what YAML highlighting cannot tell apart.

Standard token types, so every theme has a colour for them: a conduit id is a `function`
(`defaultLibrary` when it comes from the bundled registry), the tier an `enumMember`, an
unknown key a `property` marked `deprecated` (VS Code strikes it through: upstream drops it).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from lsprotocol import types

from wishcraft.documents import NodeKind
from wishcraft.findings import Span
from wishcraft.lint import DocumentKind
from wishcraft.lsp.workspace import DocumentSnapshot

if TYPE_CHECKING:
    from wishcraft.lsp.server import WishcraftLanguageServer

TOKEN_TYPES = [
    types.SemanticTokenTypes.Function,
    types.SemanticTokenTypes.EnumMember,
    types.SemanticTokenTypes.Property,
]
TOKEN_MODIFIERS = [
    types.SemanticTokenModifiers.DefaultLibrary,
    types.SemanticTokenModifiers.Deprecated,
]
LEGEND = types.SemanticTokensLegend(
    token_types=[str(t.value) for t in TOKEN_TYPES],
    token_modifiers=[str(m.value) for m in TOKEN_MODIFIERS],
)
CONDUIT, TIER, KEY = 0, 1, 2
BUNDLED, IGNORED = 1 << 0, 1 << 1
MAX_TOKENS = 20_000


def tokens_of(snapshot: DocumentSnapshot) -> list[tuple[Span, int, int]]:
    """(span, type, modifiers) of each token, in document order (one-line spans only)."""
    index = snapshot.analysis.index
    registry = snapshot.registry
    out: list[tuple[Span, int, int]] = []
    if snapshot.kind is DocumentKind.WISH:
        tools = index.get(("tools",))
        value = tools.value.resolved() if tools is not None else None
        if value is not None and value.kind is NodeKind.SEQUENCE:
            bundled = BUNDLED if registry.source is None else 0
            for item in value.items:
                if isinstance(item.value, str) and registry.get(item.value) is not None:
                    out.append((item.span, CONDUIT, bundled))
        tier = index.get(("tier",))
        if tier is not None and tier.value.kind is NodeKind.SCALAR and tier.value.text:
            out.append((tier.value.span, TIER, 0))
    else:
        for span in registry.definitions.values():
            out.append((span, CONDUIT, 0))
    for finding in snapshot.analysis.findings:
        if finding.code == "unknown-key":
            out.append((finding.span, KEY, IGNORED))
    out = [token for token in out if token[0].start.line == token[0].end.line]
    out.sort(key=lambda token: token[0].start)
    return out[:MAX_TOKENS]


def encode(snapshot: DocumentSnapshot, tokens: list[tuple[Span, int, int]]) -> list[int]:
    """LSP's relative encoding: (Δline, Δstart, length, type, modifiers) per token."""
    data: list[int] = []
    line = column = 0
    for span, token_type, modifiers in tokens:
        start = snapshot.positions.to_client(span.start)
        end = snapshot.positions.to_client(span.end)
        delta_line = start.line - line
        delta_start = start.character - column if delta_line == 0 else start.character
        data.extend(
            (delta_line, delta_start, end.character - start.character, token_type, modifiers)
        )
        line, column = start.line, start.character
    return data


def register(server: WishcraftLanguageServer) -> None:
    """Wire `textDocument/semanticTokens/full`."""

    @server.feature(types.TEXT_DOCUMENT_SEMANTIC_TOKENS_FULL, LEGEND)
    def semantic_tokens(
        ls: WishcraftLanguageServer, params: types.SemanticTokensParams
    ) -> types.SemanticTokens | None:
        snapshot = ls.snapshot(params.text_document.uri)
        if snapshot is None:
            return None
        return types.SemanticTokens(data=encode(snapshot, tokens_of(snapshot)))
