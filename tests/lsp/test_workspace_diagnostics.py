"""Diagnostics for wishes that are not open, end to end on 2,000 generated wishes: pull
(`textDocument/diagnostic`, `workspace/diagnostic`) for a client that announces it, and
publishing for closed wishes when the registry changes for the VS Code and Neovim profiles."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from lsprotocol import types
from pygls.uris import to_fs_path
from pytest_lsp import ClientServerConfig, client_capabilities

from testkit.big_workspace import (
    REGISTRY,
    build_workspace,
    expected_users,
    start_on,
    wish_path,
    wish_text,
)
from testkit.lsp_client import PROFILES, SERVER, WAIT_SECONDS, WishClient, lsp_fixture, make_client

# One generated 2,000-wish workspace per profile, which some tests change on disk.
pytestmark = [pytest.mark.asyncio(loop_scope="module"), pytest.mark.in_order]

WISHES = 2_000
CONFIG = ClientServerConfig(server_command=SERVER, client_factory=make_client)


def _pull_capabilities() -> types.ClientCapabilities:
    """VS Code's capabilities, plus pull diagnostics with refresh (VS Code 1.65 predates it)."""
    capabilities = client_capabilities(PROFILES["vscode"])
    assert capabilities.text_document is not None and capabilities.workspace is not None
    capabilities.text_document.diagnostic = types.DiagnosticClientCapabilities(
        related_document_support=True
    )
    capabilities.workspace.diagnostics = types.DiagnosticWorkspaceClientCapabilities(
        refresh_support=True
    )
    return capabilities


async def _session(
    client: WishClient,
    tmp_path_factory: pytest.TempPathFactory,
    name: str,
    profile: str,
    capabilities: types.ClientCapabilities,
) -> AsyncIterator[None]:
    """Start `client` (of `profile`, announcing `capabilities`) on a workspace of its own of
    2,000 wishes; shut it down when the module is done with it."""
    root = build_workspace(tmp_path_factory.mktemp(name), WISHES)
    await start_on(client, root, profile, capabilities)
    yield
    await client.shutdown_session()


@lsp_fixture(config=CONFIG, params=list(PROFILES), scope="module")
async def push(
    lsp_client: WishClient, request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Any:
    """A client that does not pull (VS Code 1.65, Neovim 0.7) on 2,000 wishes."""
    async for _ in _session(
        lsp_client,
        tmp_path_factory,
        f"push-{request.param}",
        request.param,
        client_capabilities(PROFILES[request.param]),
    ):
        yield


@lsp_fixture(config=CONFIG, scope="module")
async def pull(lsp_client: WishClient, tmp_path_factory: pytest.TempPathFactory) -> Any:
    """A client that pulls diagnostics, on 2,000 wishes."""
    async for _ in _session(lsp_client, tmp_path_factory, "pull", "vscode", _pull_capabilities()):
        yield


def _documents_only_capabilities() -> types.ClientCapabilities:
    """Neovim 0.11's kind: pulls an open document's diagnostics when it changes, and cannot be
    asked to pull again (no `workspace.diagnostics.refreshSupport`)."""
    capabilities = client_capabilities(PROFILES["neovim"])
    assert capabilities.text_document is not None
    capabilities.text_document.diagnostic = types.DiagnosticClientCapabilities(
        dynamic_registration=False
    )
    return capabilities


@lsp_fixture(config=CONFIG, scope="module")
async def documents_only(lsp_client: WishClient, tmp_path_factory: pytest.TempPathFactory) -> Any:
    """A client that pulls documents but cannot be asked to pull again, on 2,000 wishes."""
    async for _ in _session(
        lsp_client, tmp_path_factory, "documents-only", "neovim", _documents_only_capabilities()
    ):
        yield


@lsp_fixture(config=CONFIG, scope="module")
async def pull_later(lsp_client: WishClient, tmp_path_factory: pytest.TempPathFactory) -> Any:
    """A client that pulls, and has not pulled the workspace yet, on 2,000 wishes."""
    async for _ in _session(
        lsp_client, tmp_path_factory, "pull-later", "vscode", _pull_capabilities()
    ):
        yield


def _relative(client: WishClient, uri: str) -> str:
    path = to_fs_path(uri)
    assert path is not None
    return Path(path).relative_to(client.root).as_posix()


async def _configure(client: WishClient, settings: dict[str, Any]) -> None:
    client.set_configuration(settings, section="wishcraft")
    pushed = None if client.profile == "vscode" else {"wishcraft": settings}
    client.workspace_did_change_configuration(types.DidChangeConfigurationParams(settings=pushed))


async def _workspace(
    client: WishClient, previous: dict[str, str] | None = None
) -> dict[str, types.WorkspaceDocumentDiagnosticReport]:
    report = await client.workspace_diagnostic_async(
        types.WorkspaceDiagnosticParams(
            previous_result_ids=[
                types.PreviousResultId(uri=uri, value=value)
                for uri, value in (previous or {}).items()
            ]
        )
    )
    return {item.uri: item for item in report.items}


def _result_ids(reports: dict[str, types.WorkspaceDocumentDiagnosticReport]) -> dict[str, str]:
    return {uri: report.result_id or "" for uri, report in reports.items()}


def _codes(report: Any) -> list[Any]:
    return [diagnostic.code for diagnostic in report.items]


async def test_workspace_diagnostics_cover_every_file_then_answer_unchanged(
    pull: WishClient,
) -> None:
    first = await _workspace(pull)
    assert len(first) == WISHES + 1
    assert all(isinstance(r, types.WorkspaceFullDocumentDiagnosticReport) for r in first.values())
    survey = pull.uri(wish_path(14))  # the 🌊.tide id is not in the registry
    assert "unknown-conduit" in _codes(first[survey])
    again = await _workspace(pull, _result_ids(first))
    assert len(again) == WISHES + 1
    assert all(
        isinstance(r, types.WorkspaceUnchangedDocumentDiagnosticReport) for r in again.values()
    )
    # One file changed on disk: that one is reported in full, the others stay unchanged.
    changed = pull.root / wish_path(3)
    changed.write_text(wish_text(3).replace("tier: micro", "tier: gigantic"))
    _changed_on_disk(pull, wish_path(3))
    third = await _workspace(pull, _result_ids(first))
    full = [
        uri
        for uri, r in third.items()
        if isinstance(r, types.WorkspaceFullDocumentDiagnosticReport)
    ]
    assert [_relative(pull, uri) for uri in full] == [wish_path(3)]
    report = third[full[0]]
    assert isinstance(report, types.WorkspaceFullDocumentDiagnosticReport)
    assert any("gigantic" in d.message for d in report.items)
    changed.write_text(wish_text(3))
    _changed_on_disk(pull, wish_path(3))


def _changed_on_disk(client: WishClient, relative: str) -> None:
    client.workspace_did_change_watched_files(
        types.DidChangeWatchedFilesParams(
            changes=[types.FileEvent(uri=client.uri(relative), type=types.FileChangeType.Changed)]
        )
    )


async def test_a_document_pull_has_a_result_id_and_unchanged_answers(pull: WishClient) -> None:
    relative = "data/wishes/pull-one.wish.yaml"
    uri = pull.uri(relative)
    text = wish_text(14)
    pull.versions[uri] = 1
    pull.text_document_did_open(
        types.DidOpenTextDocumentParams(
            text_document=types.TextDocumentItem(uri=uri, language_id="yaml", version=1, text=text)
        )
    )
    document = types.TextDocumentIdentifier(uri=uri)
    first = await pull.text_document_diagnostic_async(
        types.DocumentDiagnosticParams(text_document=document)
    )
    assert isinstance(first, types.RelatedFullDocumentDiagnosticReport)
    assert "unknown-conduit" in _codes(first) and first.result_id
    same = await pull.text_document_diagnostic_async(
        types.DocumentDiagnosticParams(text_document=document, previous_result_id=first.result_id)
    )
    assert isinstance(same, types.RelatedUnchangedDocumentDiagnosticReport)
    assert same.result_id == first.result_id
    pull.change(relative, text.replace("🌊.tide", "worldsmith.place"))
    fixed = await pull.text_document_diagnostic_async(
        types.DocumentDiagnosticParams(text_document=document, previous_result_id=first.result_id)
    )
    assert isinstance(fixed, types.RelatedFullDocumentDiagnosticReport)
    assert "unknown-conduit" not in _codes(fixed) and fixed.result_id != first.result_id
    # A client that pulls is never pushed diagnostics as well (it would show them twice).
    await _workspace(pull)
    assert [p for p in pull.published.all if p.uri == uri] == []
    pull.close(relative)


async def test_a_closed_file_can_be_pulled_too(pull: WishClient) -> None:
    report = await pull.text_document_diagnostic_async(
        types.DocumentDiagnosticParams(
            text_document=types.TextDocumentIdentifier(uri=pull.uri(wish_path(28)))
        )
    )
    assert isinstance(report, types.RelatedFullDocumentDiagnosticReport)
    assert "unknown-conduit" in _codes(report)  # 28 names 🌊.tide


async def test_a_registry_edit_asks_a_pulling_client_to_pull_again(pull: WishClient) -> None:
    before = await _workspace(pull)
    text = (pull.root / REGISTRY).read_text()
    await asyncio.wait_for(_open_quietly(pull, REGISTRY, text), WAIT_SECONDS)
    pull.diagnostic_refreshed.clear()
    pull.change(REGISTRY, text.replace('id: "openai.codex.v2025.plan"', 'id: "openai.plan"'))
    await asyncio.wait_for(pull.diagnostic_refreshed.wait(), WAIT_SECONDS)
    after = await _workspace(pull, _result_ids(before))
    full = sorted(
        _relative(pull, uri)
        for uri, r in after.items()
        if isinstance(r, types.WorkspaceFullDocumentDiagnosticReport)
    )
    # Exactly the wishes naming the id (the registry's own findings did not change).
    assert full == expected_users(WISHES, "openai.codex.v2025.plan")
    pull.close(REGISTRY)


async def _open_quietly(client: WishClient, relative: str, text: str) -> None:
    """Open a document without waiting for a publication (a pulling client gets none)."""
    uri = client.uri(relative)
    client.versions[uri] = 1
    client.text_document_did_open(
        types.DidOpenTextDocumentParams(
            text_document=types.TextDocumentItem(uri=uri, language_id="yaml", version=1, text=text)
        )
    )
    await client.text_document_diagnostic_async(
        types.DocumentDiagnosticParams(text_document=types.TextDocumentIdentifier(uri=uri))
    )


async def _closed_publications(
    client: WishClient, after: int, count: int, until: Any
) -> dict[str, types.PublishDiagnosticsParams]:
    """Wait until `count` distinct closed files got a publication matching `until`."""
    found: dict[str, types.PublishDiagnosticsParams] = {}

    async def collect() -> None:
        seen = after
        while True:
            for params in client.published.all[seen:]:
                if params.version is None and until(params):
                    found[params.uri] = params
            seen = len(client.published.all)
            if len(found) >= count:
                return
            client.published.changed.clear()
            await client.published.changed.wait()

    await asyncio.wait_for(collect(), WAIT_SECONDS * 2)
    return found


async def test_a_registry_edit_publishes_the_closed_wishes_it_breaks_bounded(
    push: WishClient,
) -> None:
    limit = 40
    await _configure(push, {"diagnostics": {"debounceMs": 10, "closedFiles": limit}})
    # Workspace symbols answer once the index is built (the closed wishes' baseline).
    assert await push.workspace_symbol_async(types.WorkspaceSymbolParams(query="survey"))
    text = (push.root / REGISTRY).read_text()
    await push.open(REGISTRY, text)
    start = push.published.count()
    push.change(REGISTRY, text.replace('- id: "cartographer.survey"', '- id: "cartographer.map"'))

    def broken(params: types.PublishDiagnosticsParams) -> bool:
        return any(
            d.code == "unknown-conduit" and "cartographer.survey" in d.message
            for d in params.diagnostics
        )

    found = await _closed_publications(push, start, limit, broken)
    users = expected_users(WISHES, "cartographer.survey")
    assert sorted(_relative(push, uri) for uri in found) == users[:limit]
    middle = push.published.count()
    push.change(REGISTRY, text)  # back as it was: the same wishes lose the error

    def mended(params: types.PublishDiagnosticsParams) -> bool:
        return not broken(params)

    cleared = await _closed_publications(push, middle, limit, mended)
    assert set(cleared) == set(found)
    closed = {p.uri for p in push.published.all[start:] if p.version is None}
    assert closed == set(found), "no more closed files than the setting allows"
    push.close(REGISTRY)
    await _configure(push, {"diagnostics": {"debounceMs": 10}})


async def _break_survey(
    client: WishClient, limit: int
) -> dict[str, types.PublishDiagnosticsParams]:
    """Rename `cartographer.survey` in the open registry; wait for the first `limit` closed
    wishes naming it to be published with the unknown id."""
    await _configure(client, {"diagnostics": {"debounceMs": 10, "closedFiles": limit}})
    assert await client.workspace_symbol_async(types.WorkspaceSymbolParams(query="survey"))
    text = (client.root / REGISTRY).read_text()
    await asyncio.wait_for(_open_quietly(client, REGISTRY, text), WAIT_SECONDS)
    start = client.published.count()
    client.change(REGISTRY, text.replace('- id: "cartographer.survey"', '- id: "cartographer.map"'))

    def broken(params: types.PublishDiagnosticsParams) -> bool:
        return any("cartographer.survey" in d.message for d in params.diagnostics)

    found = await _closed_publications(client, start, limit, broken)
    assert (
        sorted(_relative(client, uri) for uri in found)
        == expected_users(WISHES, "cartographer.survey")[:limit]
    )
    return found


async def test_a_client_that_cannot_be_asked_to_pull_again_is_pushed_diagnostics(
    documents_only: WishClient,
) -> None:
    """Offered pull, Neovim 0.11 would keep an open wish's findings from before a registry
    edit (it pulls only when the wish itself changes): it is not offered pull, and gets the
    diagnostics of open and closed wishes pushed."""
    assert documents_only.server_capabilities.diagnostic_provider is None
    opened = await documents_only.open(wish_path(14), wish_text(14))
    assert any(d.code == "unknown-conduit" for d in opened.diagnostics)
    documents_only.close(wish_path(14))
    await _break_survey(documents_only, 10)


async def test_closed_wishes_are_pushed_until_the_client_pulls_them(pull_later: WishClient) -> None:
    """A pulling client that has not pulled the workspace gets closed wishes pushed; what it
    then pulls (one document, then the workspace) is cleared from the pushed, never shown
    twice."""
    assert pull_later.server_capabilities.diagnostic_provider is not None
    found = await _break_survey(pull_later, 5)
    first, *rest = sorted(found)
    start = pull_later.published.count()
    report = await pull_later.text_document_diagnostic_async(
        types.DocumentDiagnosticParams(text_document=types.TextDocumentIdentifier(uri=first))
    )
    assert isinstance(report, types.RelatedFullDocumentDiagnosticReport)
    assert any("cartographer.survey" in d.message for d in report.items)
    cleared = [p for p in pull_later.published.all[start:] if not p.diagnostics]
    assert [p.uri for p in cleared] == [first]
    start = pull_later.published.count()
    await _workspace(pull_later)
    cleared = [p for p in pull_later.published.all[start:] if not p.diagnostics]
    assert sorted(p.uri for p in cleared) == rest
    # From now on the workspace is the client's to pull: a registry change pushes nothing.
    text = (pull_later.root / REGISTRY).read_text()
    pull_later.diagnostic_refreshed.clear()
    start = pull_later.published.count()
    pull_later.change(REGISTRY, text)
    await asyncio.wait_for(pull_later.diagnostic_refreshed.wait(), WAIT_SECONDS)
    await asyncio.sleep(0.5)  # past the closed files' re-check delay (0.2 s)
    assert [p.uri for p in pull_later.published.all[start:] if p.version is None] == []
