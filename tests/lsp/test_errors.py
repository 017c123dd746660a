"""A handler that raises is logged and answered with an error; the server keeps serving."""

from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path

import pytest
from lsprotocol import types
from pygls.exceptions import JsonRpcException
from pygls.uris import from_fs_path
from pytest_lsp import ClientServerConfig, client_capabilities

from testkit.lsp_client import TYPOS_WISH, WORKSPACE, WishClient, lsp_fixture, make_client
from testkit.paths import TESTKIT

pytestmark = pytest.mark.asyncio(loop_scope="module")

LOG = Path(tempfile.gettempdir()) / f"wishcraft-fault-server-{os.getpid()}.log"


@lsp_fixture(
    config=ClientServerConfig(
        server_command=[sys.executable, str(TESTKIT / "fault_server.py"), "--log-file", str(LOG)],
        client_factory=make_client,
    ),
    scope="module",
)
async def faulty(lsp_client: WishClient) -> object:
    """The server with a hover that raises, started for a VS Code-like client."""
    lsp_client.profile = "vscode"
    lsp_client.root = WORKSPACE
    await lsp_client.initialize_session(
        types.InitializeParams(
            capabilities=client_capabilities("visual-studio-code"),
            root_uri=from_fs_path(str(WORKSPACE)),
        )
    )
    yield
    await lsp_client.shutdown_session()
    LOG.unlink(missing_ok=True)


async def test_a_raising_handler_answers_an_error_and_the_server_carries_on(
    faulty: WishClient,
) -> None:
    name = "data/wishes/typos.wish.yaml"
    await faulty.open(name, TYPOS_WISH)
    document = types.TextDocumentIdentifier(uri=faulty.uri(name))
    with pytest.raises(JsonRpcException, match="hover broke"):
        await faulty.text_document_hover_async(
            types.HoverParams(text_document=document, position=types.Position(line=1, character=1))
        )
    assert "RuntimeError: hover broke" in LOG.read_text()
    symbols = await faulty.text_document_document_symbol_async(
        types.DocumentSymbolParams(text_document=document)
    )
    assert symbols
    after = faulty.published.count()
    version = faulty.change(name, TYPOS_WISH.replace("tier: mezo", "tier: meso"))
    published = await faulty.published.wait(faulty.uri(name), version=version, after=after)
    assert "invalid-tier" not in [d.code for d in published.diagnostics]
