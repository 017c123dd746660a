"""Code lens on `title`: the court scores and the heat estimate (Neovim shows it as virtual
text)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from lsprotocol import types

from wishcraft.lint import DocumentKind
from wishcraft.lsp.workspace import DocumentSnapshot

if TYPE_CHECKING:
    from wishcraft.lsp.server import WishcraftLanguageServer


def lens_title(snapshot: DocumentSnapshot) -> str | None:
    """`Court C 65 · S 66 · R 70 · heat 2.33`, or None when the scores are unknown."""
    analysis = snapshot.analysis
    scores = analysis.scores
    if scores is None or analysis.heat is None:
        return None
    return (f"Court C {scores.clarity} · S {scores.safety} · R {scores.reversibility} · "
            f"heat {analysis.heat:.2f}")


def code_lenses(snapshot: DocumentSnapshot) -> list[types.CodeLens]:
    """One lens above `title` (or the first line) of a wish."""
    if snapshot.kind is not DocumentKind.WISH:
        return []
    title = lens_title(snapshot)
    if title is None:
        return []
    span = snapshot.analysis.index.key_span(("title",))
    if span is None:
        root = snapshot.analysis.parsed.root
        if root is None:
            return []
        span = root.span
    line = snapshot.positions.to_range(span).start.line
    where = types.Range(start=types.Position(line=line, character=0),
                        end=types.Position(line=line, character=0))
    return [types.CodeLens(range=where, command=types.Command(title=title, command=""))]


def register(server: WishcraftLanguageServer) -> None:
    """Wire `textDocument/codeLens`."""

    @server.feature(types.TEXT_DOCUMENT_CODE_LENS, types.CodeLensOptions(resolve_provider=False))
    def code_lens(ls: WishcraftLanguageServer,
                  params: types.CodeLensParams) -> list[types.CodeLens] | None:
        snapshot = ls.snapshot(params.text_document.uri)
        return code_lenses(snapshot) if snapshot is not None else None
