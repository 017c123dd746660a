"""Document and range formatting, end to end: the edits, applied as the client does, give the
formatted wish, which means what the untidy one meant."""

from __future__ import annotations

import pytest
import yaml
from lsprotocol import types

from testkit.edits import apply_text_edits
from testkit.lsp_client import VALID_WISH, WishClient

pytestmark = pytest.mark.asyncio(loop_scope="module")


@pytest.fixture
def client(big_client: WishClient) -> WishClient:
    """This module's features are checked with 2,000 generated wishes indexed beside them."""
    return big_client


UNTIDY = (
    VALID_WISH.replace("  region:", "      region:")
    .replace("  duration_days: 5", "      duration_days:    5")
    .replace("tools:\n", "tools:   \n\n\n")
    .replace('  - "worldsmith.place"', '  -     "worldsmith.place"')
    + "\n\n\n"
)
OPTIONS = types.FormattingOptions(tab_size=2, insert_spaces=True)


def _load(text: str) -> object:
    return yaml.load(text, Loader=yaml.CSafeLoader)


async def test_document_formatting_tidies_and_keeps_the_meaning(client: WishClient) -> None:
    name = "data/wishes/f-doc.wish.yaml"
    await client.open(name, UNTIDY)
    uri = client.uri(name)
    edits = await client.text_document_formatting_async(
        types.DocumentFormattingParams(
            text_document=types.TextDocumentIdentifier(uri=uri), options=OPTIONS
        )
    )
    assert edits
    formatted = apply_text_edits(uri, UNTIDY, edits)
    assert formatted == VALID_WISH.replace("tools:\n", "tools:\n\n")
    assert _load(formatted) == _load(UNTIDY)
    version = client.change(name, formatted)
    again = await client.text_document_formatting_async(
        types.DocumentFormattingParams(
            text_document=types.TextDocumentIdentifier(uri=uri), options=OPTIONS
        )
    )
    assert not again, f"formatting twice changes nothing (version {version})"
    client.close(name)


async def test_range_formatting_touches_only_the_selected_lines(client: WishClient) -> None:
    name = "data/wishes/f-range.wish.yaml"
    await client.open(name, UNTIDY)
    uri = client.uri(name)
    lines = UNTIDY.split("\n")
    scope = lines.index("scope:")
    edits = await client.text_document_range_formatting_async(
        types.DocumentRangeFormattingParams(
            text_document=types.TextDocumentIdentifier(uri=uri),
            range=types.Range(
                start=types.Position(line=scope, character=0),
                end=types.Position(line=scope + 2, character=0),
            ),
            options=OPTIONS,
        )
    )
    assert edits
    assert all(scope <= e.range.start.line <= scope + 2 for e in edits)
    formatted = apply_text_edits(uri, UNTIDY, edits)
    assert '\nscope:\n  region: "Sunken Quarter"\n  duration_days: 5\n' in formatted
    assert '  -     "worldsmith.place"' in formatted  # outside the range: left as it was
    assert _load(formatted) == _load(UNTIDY)
    client.close(name)
