"""Build the language server: the server, its lifecycle handlers and every feature.

The one place that knows all the features, so the server never imports them (as esbonio
composes its features): adding a feature is a module with `register(server)` and a line here.
"""

from __future__ import annotations

from wishcraft.lsp import lifecycle
from wishcraft.lsp.features import (
    applying,
    code_actions,
    code_lens,
    completion,
    definition,
    diagnostics,
    folding,
    formatting,
    hover,
    indexing,
    inlay_hints,
    links,
    planning,
    pull_request,
    references,
    selection,
    semantic_tokens,
    setup,
    symbols,
    trusting,
    workspace_diagnostics,
    workspace_symbols,
)
from wishcraft.lsp.server import WishcraftLanguageServer


def create_server() -> WishcraftLanguageServer:
    """The server with its lifecycle handlers and every feature registered."""
    server = WishcraftLanguageServer()
    lifecycle.register(server)
    diagnostics.register(server)
    for module in (
        completion,
        hover,
        code_actions,
        symbols,
        folding,
        definition,
        code_lens,
        planning,
        applying,
        pull_request,
        setup,
        trusting,
        selection,
        links,
        inlay_hints,
        semantic_tokens,
        formatting,
    ):
        module.register(server)
    indexer = indexing.register(server)
    references.register(server, indexer)
    workspace_symbols.register(server, indexer)
    workspace_diagnostics.register(server, indexer)
    return server
