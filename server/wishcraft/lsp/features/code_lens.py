"""Code lenses on `title`: the court scores and the heat estimate, and the planning calls left
(`plan 3/10 · today 12/200`, from the ledger; Neovim shows them as virtual text).

The calls left are read on every code lens request (the ledger's counts are cached by size and
mtime, so a plan made from the terminal shows at the next request), and the server asks the
client to refresh its lenses after each plan made in the editor.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from lsprotocol import types

from wishcraft.lint import DocumentKind
from wishcraft.lsp.workspace import DocumentSnapshot
from wishcraft.names import PLANNING_CONDUIT_ID

if TYPE_CHECKING:
    from wishcraft.lsp.server import WishcraftLanguageServer


def lens_title(snapshot: DocumentSnapshot) -> str | None:
    """`Court C 65 · S 66 · R 70 · heat 2.33`, or None when the scores are unknown."""
    analysis = snapshot.analysis
    scores = analysis.scores
    if scores is None or analysis.heat is None:
        return None
    return (
        f"Court C {scores.clarity} · S {scores.safety} · R {scores.reversibility} · "
        f"heat {analysis.heat:.2f}"
    )


def calls_left_title(server: WishcraftLanguageServer, snapshot: DocumentSnapshot) -> str | None:
    """`plan 3/10 · today 12/200` for a valid wish that names the planning conduit in `tools`
    (None otherwise), with `· limit reached` when the Limits gate would refuse a live plan."""
    wish = snapshot.analysis.wish
    if wish is None or PLANNING_CONDUIT_ID not in wish.tools:
        return None
    from wishcraft.court.plan import hear  # the ledger and the gates: loaded on first lens

    hearing = hear(
        wish,
        snapshot.path,
        "commit",
        snapshot.registry,
        server.lint_config_for(snapshot.path),
        probe_ledger=False,  # a lens only shows: nothing made or locked
    )
    left = hearing.verdict.remaining
    if left is None:
        return (
            "plan: calls left unknown (the ledger cannot be read)"
            if hearing.ledger_problem
            else None
        )
    refusal = hearing.verdict.refusal
    if refusal is not None and refusal.name == "Ledger":
        return left.label() + " · the ledger cannot be written"
    limited = refusal is not None and refusal.name == "Limits"
    return left.label() + (" · limit reached" if limited else "")


def code_lenses(snapshot: DocumentSnapshot, calls_left: str | None = None) -> list[types.CodeLens]:
    """Lenses above `title` (or the first line) of a wish: the court's, then `calls_left`."""
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
    where = types.Range(
        start=types.Position(line=line, character=0), end=types.Position(line=line, character=0)
    )
    lenses = [types.CodeLens(range=where, command=types.Command(title=title, command=""))]
    if calls_left is not None:
        lenses.append(
            types.CodeLens(range=where, command=types.Command(title=calls_left, command=""))
        )
    return lenses


def register(server: WishcraftLanguageServer) -> None:
    """Wire `textDocument/codeLens`."""

    @server.feature(types.TEXT_DOCUMENT_CODE_LENS, types.CodeLensOptions(resolve_provider=False))
    def code_lens(
        ls: WishcraftLanguageServer, params: types.CodeLensParams
    ) -> list[types.CodeLens] | None:
        snapshot = ls.snapshot(params.text_document.uri)
        if snapshot is None:
            return None
        return code_lenses(snapshot, calls_left_title(ls, snapshot))
