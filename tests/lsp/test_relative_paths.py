"""Messages and hovers name files relative to the workspace folder, not by absolute path."""

from __future__ import annotations

import pytest
from lsprotocol import types

from testkit.lsp_client import VALID_WISH, WishClient

pytestmark = pytest.mark.asyncio(loop_scope="module")


@pytest.fixture
def client(big_client: WishClient) -> WishClient:
    """This module's features are checked with 2,000 generated wishes indexed beside them."""
    return big_client


REGISTRY = "data/conduits/registry.yaml"


async def _hover(client: WishClient, name: str, text: str, needle: str) -> str:
    line = next(number for number, row in enumerate(text.split("\n")) if needle in row)
    hover = await client.text_document_hover_async(
        types.HoverParams(
            text_document=types.TextDocumentIdentifier(uri=client.uri(name)),
            position=types.Position(line=line, character=text.split("\n")[line].index(needle)),
        )
    )
    assert hover is not None and isinstance(hover.contents, types.MarkupContent)
    return hover.contents.value


async def test_diagnostics_and_hovers_name_the_registry_relative_to_the_workspace(
    client: WishClient,
) -> None:
    name = "data/wishes/relative.wish.yaml"
    text = VALID_WISH.replace('  - "cartographer.survey"', '  - "nope.tool"')
    published = await client.open(name, text)
    (unknown,) = [d for d in published.diagnostics if d.code == "unknown-conduit"]
    assert f"`nope.tool` is not a conduit of {REGISTRY}" in unknown.message
    shown = [
        unknown.message,
        await _hover(client, name, text, "nope.tool"),
        await _hover(client, name, text, "worldsmith.place"),
    ]
    assert f"is not a conduit of {REGISTRY}." in shown[1]
    assert f"from {REGISTRY}" in shown[2]
    for message in shown:
        assert str(client.root) not in message, message
    client.close(name)
