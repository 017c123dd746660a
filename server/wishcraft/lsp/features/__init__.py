"""LSP features, one module each: pure functions over a `DocumentSnapshot`, thin handlers.

Each module exposes pure functions that take a snapshot (an analysed document version and its
position mapper, `wishcraft.lsp.workspace`) and return lsprotocol types, plus a
`register(server)` that wires them to their LSP method. Features import the server's type; the
server never imports a feature: `wishcraft.lsp.app.create_server` composes them.
"""
