"""Outline, folding, go to definition and the court code lens, end to end."""

from __future__ import annotations

import pytest
from lsprotocol import types

from testkit.lsp_client import VALID_WISH, WishClient

pytestmark = pytest.mark.asyncio(loop_scope="session")


@pytest.fixture
def client(shared_client: WishClient) -> WishClient:
    """This module only opens its own documents: it shares the session's server per profile."""
    return shared_client


def _doc(client: WishClient, name: str) -> types.TextDocumentIdentifier:
    return types.TextDocumentIdentifier(uri=client.uri(name))


async def test_outline_lists_keys_with_their_children(client: WishClient) -> None:
    name = "data/wishes/s-outline.wish.yaml"
    await client.open(name, VALID_WISH)
    symbols = await client.text_document_document_symbol_async(
        types.DocumentSymbolParams(text_document=_doc(client, name))
    )
    assert symbols is not None
    top = [s for s in symbols if isinstance(s, types.DocumentSymbol)]
    assert [s.name for s in top] == [
        "title",
        "objective",
        "scope",
        "invariants",
        "budget",
        "tools",
        "plan",
        "safety_tests",
        "rollback",
        "tier",
        "meta",
    ]
    budget = top[4]
    assert budget.kind == types.SymbolKind.Object
    assert [c.name for c in budget.children or []] == ["chrono_sand", "genie_slots", "gold_cap"]
    assert budget.range.start.line == 12 and budget.range.end.line == 15
    tools = top[5]
    assert [c.name for c in tools.children or []] == [
        "worldsmith.place",
        "cartographer.survey",
        "openai.codex.v2025.plan",
    ]


async def test_folding_ranges_cover_each_block(client: WishClient) -> None:
    name = "data/wishes/s-fold.wish.yaml"
    await client.open(name, VALID_WISH)
    ranges = await client.text_document_folding_range_async(
        types.FoldingRangeParams(text_document=_doc(client, name))
    )
    assert ranges is not None
    spans = {(r.start_line, r.end_line) for r in ranges}
    assert (3, 5) in spans  # scope
    assert (12, 15) in spans  # budget
    assert (33, 36) in spans  # meta (after the three tools)


async def test_definition_goes_to_the_registry_entry(client: WishClient) -> None:
    name = "data/wishes/s-def.wish.yaml"
    await client.open(name, VALID_WISH)
    line = VALID_WISH.splitlines().index('  - "cartographer.survey"')
    result = await client.text_document_definition_async(
        types.DefinitionParams(
            text_document=_doc(client, name), position=types.Position(line=line, character=10)
        )
    )
    assert isinstance(result, types.Location)
    assert result.uri == client.uri("data/conduits/registry.yaml")
    registry = (client.root / "data/conduits/registry.yaml").read_text().splitlines()
    assert registry[result.range.start.line].startswith('- id: "cartographer.survey"')
    assert result.range.start.character == 6


async def test_code_lens_shows_scores_and_heat(client: WishClient) -> None:
    name = "data/wishes/s-lens.wish.yaml"
    await client.open(name, VALID_WISH)
    lenses = await client.text_document_code_lens_async(
        types.CodeLensParams(text_document=_doc(client, name))
    )
    assert lenses is not None and len(lenses) == 2  # the court's, then the calls left
    lens, calls = lenses
    assert lens.range.start.line == 1 and calls.range.start.line == 1
    assert lens.command is not None and calls.command is not None
    assert lens.command.title.startswith("Court C 75 · S 75 · R 70 · heat ")
    assert calls.command.title == "plan 10/10 · today 200/200"  # no plan made yet


async def test_the_outline_follows_every_edit_and_repeats_for_one_version(
    client: WishClient,
) -> None:
    """Editors ask for one version's outline several times (the outline view, breadcrumbs,
    sticky scroll): the same answer each time; after an edit (a renamed key, a new plan step)
    and after an edit undone, the outline is that of the new text, never the kept one."""
    name = "data/wishes/s-outline-edits.wish.yaml"
    await client.open(name, VALID_WISH)

    async def names() -> list[str]:
        symbols = await client.text_document_document_symbol_async(
            types.DocumentSymbolParams(text_document=_doc(client, name))
        )
        assert symbols is not None
        out = []
        for symbol in symbols:
            assert isinstance(symbol, types.DocumentSymbol)
            out.append(symbol.name)
            out.extend(f"{symbol.name}/{child.name}" for child in symbol.children or [])
        return out

    first = await names()
    assert await names() == first
    edited = VALID_WISH.replace("safety_tests:", "safety_checks:").replace(
        "plan:\n", 'plan:\n  - "Count the lamps first"\n'
    )
    client.change(name, edited)
    after = await names()
    assert "safety_checks" in after and "safety_tests" not in after
    assert "plan/Count the lamps first" in after
    assert after != first and await names() == after
    client.change(name, VALID_WISH)
    assert await names() == first
