"""Diagnostics end to end: on open, after a debounced change, versioned, cleared on close."""

from __future__ import annotations

import pytest
from lsprotocol import types

from testkit.lsp_client import TYPOS_WISH, VALID_WISH, WishClient, diagnostic_data

pytestmark = pytest.mark.asyncio(loop_scope="session")


@pytest.fixture
def client(shared_client: WishClient) -> WishClient:
    """This module only opens its own documents: it shares the session's server per profile."""
    return shared_client


async def test_open_publishes_every_finding_with_code_source_and_data(client: WishClient) -> None:
    published = await client.open("data/wishes/d-open.wish.yaml", TYPOS_WISH)
    codes = sorted(str(d.code) for d in published.diagnostics)
    assert codes == ["invalid-tier", "missing-key", "missing-key", "unknown-conduit", "unknown-key"]
    assert {d.source for d in published.diagnostics} == {"wishcraft"}
    assert published.version == 1
    conduit = next(d for d in published.diagnostics if d.code == "unknown-conduit")
    assert conduit.range == types.Range(
        start=types.Position(line=12, character=4), end=types.Position(line=12, character=24)
    )
    assert conduit.severity == types.DiagnosticSeverity.Error
    assert diagnostic_data(conduit)["replacement"] == "cartographer.survey"
    missing = [d.data for d in published.diagnostics if d.code == "missing-key"]
    assert {"missingKey": "duration_days", "parentPath": "scope", "path": "scope"} in missing


async def test_valid_wish_has_no_diagnostics(client: WishClient) -> None:
    published = await client.open("data/wishes/d-valid.wish.yaml", VALID_WISH)
    assert list(published.diagnostics) == []


async def test_change_is_published_for_the_latest_version_only(client: WishClient) -> None:
    name = "data/wishes/d-change.wish.yaml"
    await client.open(name, VALID_WISH)
    after = client.published.count()
    client.change(name, VALID_WISH.replace("tier: meso", "tier: mesa"))
    last = client.change(name, VALID_WISH.replace("tier: meso", "tier: mega"))
    published = await client.published.wait(client.uri(name), version=last, after=after)
    assert [d.code for d in published.diagnostics] == ["invalid-tier"]
    versions = [p.version for p in client.published.all[after:] if p.uri == client.uri(name)]
    assert versions == [last]


async def test_close_clears_diagnostics(client: WishClient) -> None:
    name = "data/wishes/d-close.wish.yaml"
    await client.open(name, TYPOS_WISH)
    after = client.published.count()
    client.close(name)
    published = await client.published.wait(client.uri(name), after=after)
    assert list(published.diagnostics) == []


async def test_files_outside_the_globs_are_not_served(client: WishClient) -> None:
    uri = client.uri("notes/other.yaml")
    client.text_document_did_open(
        types.DidOpenTextDocumentParams(
            text_document=types.TextDocumentItem(
                uri=uri, language_id="yaml", version=1, text="title: ["
            )
        )
    )
    hover = await client.text_document_hover_async(
        types.HoverParams(
            text_document=types.TextDocumentIdentifier(uri=uri),
            position=types.Position(line=0, character=1),
        )
    )
    assert hover is None
    assert uri not in client.diagnostics
