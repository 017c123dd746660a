"""Positions in UTF-16 columns with tabs, CRLF line ends, emoji and CJK text."""

from __future__ import annotations

import pytest
from lsprotocol import types

from testkit.lsp_client import VALID_WISH, WishClient, diagnostic_data

pytestmark = pytest.mark.asyncio(loop_scope="session")


@pytest.fixture
def client(shared_client: WishClient) -> WishClient:
    """This module only opens its own documents: it shares the session's server per profile."""
    return shared_client


PREFIX = 'tools: ["🌊\t灯台", '
WISH = VALID_WISH.replace(
    'tools:\n  - "worldsmith.place"\n  - "cartographer.survey"\n',
    PREFIX + '"cartographer.survy"]\n',
).replace("\n", "\r\n")


def utf16(text: str) -> int:
    """The length of `text` in UTF-16 code units."""
    return len(text.encode("utf-16-le")) // 2


async def test_diagnostic_ranges_count_utf16_units_on_crlf_lines(client: WishClient) -> None:
    published = await client.open("data/wishes/p-diag.wish.yaml", WISH)
    line = WISH.split("\r\n").index(PREFIX + '"cartographer.survy"]')
    typo = next(
        d
        for d in published.diagnostics
        if d.code == "unknown-conduit" and diagnostic_data(d)["conduit"] == "cartographer.survy"
    )
    assert typo.range.start == types.Position(line=line, character=utf16(PREFIX))
    assert typo.range.end == types.Position(
        line=line, character=utf16(PREFIX + '"cartographer.survy"')
    )
    emoji = next(
        d
        for d in published.diagnostics
        if d.code == "unknown-conduit" and diagnostic_data(d)["conduit"] == "🌊\t灯台"
    )
    assert (emoji.range.start.character, emoji.range.end.character) == (8, 8 + utf16('"🌊\t灯台"'))


async def test_hover_and_fix_after_emoji_use_utf16_columns(client: WishClient) -> None:
    name = "data/wishes/p-hover.wish.yaml"
    await client.open(name, WISH)
    uri = client.uri(name)
    line = WISH.split("\r\n").index(PREFIX + '"cartographer.survy"]')
    hover = await client.text_document_hover_async(
        types.HoverParams(
            text_document=types.TextDocumentIdentifier(uri=uri),
            position=types.Position(line=line, character=utf16(PREFIX) + 3),
        )
    )
    assert hover is not None and isinstance(hover.contents, types.MarkupContent)
    assert "is not a conduit" in hover.contents.value
    assert hover.range is not None and hover.range.start.character == utf16(PREFIX)
    actions = await client.text_document_code_action_async(
        types.CodeActionParams(
            text_document=types.TextDocumentIdentifier(uri=uri),
            range=hover.range,
            context=types.CodeActionContext(diagnostics=[]),
        )
    )
    assert actions is not None
    action = next(a for a in actions if isinstance(a, types.CodeAction))
    assert action.edit is not None and action.edit.changes is not None
    edit = action.edit.changes[uri][0]
    assert edit.new_text == '"cartographer.survey"'
    assert edit.range == hover.range


async def test_incremental_edit_after_emoji_on_crlf_text(client: WishClient) -> None:
    name = "data/wishes/p-edit.wish.yaml"
    await client.open(name, WISH)
    line = WISH.split("\r\n").index(PREFIX + '"cartographer.survy"]')
    start = utf16(PREFIX + '"cartographer.surv')
    after = client.published.count()
    version = client.change(
        name,
        "ey",
        types.Range(
            start=types.Position(line=line, character=start),
            end=types.Position(line=line, character=start + 1),
        ),
    )
    published = await client.published.wait(client.uri(name), version=version, after=after)
    conduits = [
        diagnostic_data(d)["conduit"] for d in published.diagnostics if d.code == "unknown-conduit"
    ]
    assert conduits == ["🌊\t灯台"]


async def test_completion_range_after_cjk_text(client: WishClient) -> None:
    name = "data/wishes/p-complete.wish.yaml"
    text = 'title: "灯台 🌊"\r\ntools: ["🌊", cart'
    await client.open(name, text)
    result = await client.text_document_completion_async(
        types.CompletionParams(
            text_document=types.TextDocumentIdentifier(uri=client.uri(name)),
            position=types.Position(line=1, character=utf16('tools: ["🌊", cart')),
        )
    )
    assert isinstance(result, types.CompletionList)
    survey = next(i for i in result.items if i.label == "cartographer.survey")
    assert isinstance(survey.text_edit, types.TextEdit)
    assert survey.text_edit.range.start == types.Position(line=1, character=utf16('tools: ["🌊", '))
