"""The workspace index, references, rename and highlight of conduit ids, end to end, on a
generated workspace of 2,000 wishes and one registry (one per client profile)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml
from lsprotocol import types
from pygls.exceptions import JsonRpcException
from pygls.uris import from_fs_path, to_fs_path
from pytest_lsp import ClientServerConfig, client_capabilities

from testkit.big_workspace import (
    REGISTRY,
    WIDE_ID,
    build_workspace,
    expected_users,
    start_on,
    tools_of,
    wish_path,
    wish_text,
)
from testkit.edits import apply_workspace_edit, edits_by_uri, versions
from testkit.lsp_client import PROFILES, SERVER, WishClient, lsp_fixture, make_client

# One generated 2,000-wish workspace per profile, which some tests change on disk.
pytestmark = [pytest.mark.asyncio(loop_scope="module"), pytest.mark.in_order]

WISHES = 2_000


@lsp_fixture(
    config=ClientServerConfig(server_command=SERVER, client_factory=make_client),
    params=list(PROFILES),
    scope="module",
)
async def big(
    lsp_client: WishClient, request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Any:
    """A server for one client profile on a fresh workspace of 2,000 wishes."""
    root = build_workspace(tmp_path_factory.mktemp(f"big-{request.param}"), WISHES)
    capabilities = client_capabilities(PROFILES[request.param])
    await start_on(lsp_client, root, request.param, capabilities)
    yield
    await lsp_client.shutdown_session()


def _relative(client: WishClient, uri: str) -> str:
    path = to_fs_path(uri)
    assert path is not None
    return Path(path).relative_to(client.root).as_posix()


def _position_of(text: str, needle: str, occurrence: int = 0) -> types.Position:
    """Where the `occurrence`-th `needle` starts, in UTF-16 units (as the clients count)."""
    lines = text.split("\n")
    seen = 0
    for number, line in enumerate(lines):
        column = line.find(needle)
        while column != -1:
            if seen == occurrence:
                return types.Position(
                    line=number, character=len(line[:column].encode("utf-16-le")) // 2
                )
            seen += 1
            column = line.find(needle, column + 1)
    raise AssertionError(f"{needle!r} not in the text")


async def _references(
    client: WishClient, relative: str, position: types.Position, declaration: bool = True
) -> list[types.Location]:
    result = await client.text_document_references_async(
        types.ReferenceParams(
            text_document=types.TextDocumentIdentifier(uri=client.uri(relative)),
            position=position,
            context=types.ReferenceContext(include_declaration=declaration),
        )
    )
    assert result is not None
    return list(result)


async def _open_registry(client: WishClient) -> str:
    text = (client.root / REGISTRY).read_text()
    if client.uri(REGISTRY) not in client.versions:
        await client.open(REGISTRY, text)
    return text


async def test_references_from_the_registry_reach_every_wish_that_names_the_id(
    big: WishClient,
) -> None:
    text = await _open_registry(big)
    locations = await _references(big, REGISTRY, _position_of(text, "cartographer.survey"))
    files = sorted(_relative(big, location.uri) for location in locations)
    expected = expected_users(WISHES, "cartographer.survey")
    assert len(expected) == 1_000
    assert files == sorted([REGISTRY, *expected])
    # The index was built in the background with a progress that ended, before this answer.
    ends = [
        getattr(value, "message", None)  # pytest-lsp stores the values, typed as the params
        for values in big.progress_reports.values()
        for value in values
        if getattr(value, "kind", None) == "end"
    ]
    assert f"{WISHES + 1:,} files indexed" in ends
    (values,) = [
        values
        for values in big.progress_reports.values()
        if getattr(values[0], "title", None) == "Indexing wishes"
    ]
    kinds = [getattr(value, "kind", None) for value in values]
    assert kinds[0] == "begin" and kinds[-1] == "end" and set(kinds[1:-1]) == {"report"}
    percentages = [int(getattr(value, "percentage", -1)) for value in values[1:-1]]
    assert percentages == sorted(percentages) and percentages[-1] == 100


async def test_each_reference_is_the_id_itself_in_utf16_columns(big: WishClient) -> None:
    await _open_registry(big)
    text = (big.root / REGISTRY).read_text()
    locations = await _references(big, REGISTRY, _position_of(text, "worldsmith.place"))
    assert len(locations) == WISHES + 1
    wide = [loc for loc in locations if _relative(big, loc.uri) == wish_path(7)]
    assert len(wide) == 1
    wish = wish_text(7)
    assert WIDE_ID in wish
    line = wish.split("\n")[wide[0].range.start.line]
    as_utf16 = line.encode("utf-16-le")
    start, end = wide[0].range.start.character, wide[0].range.end.character
    assert as_utf16[start * 2 : end * 2].decode("utf-16-le").strip("'\"") == "worldsmith.place"


async def test_references_from_a_wish_without_the_declaration(big: WishClient) -> None:
    relative = wish_path(10)
    text = (big.root / relative).read_text()
    await big.open(relative, text)
    assert "openai.codex.v2025.plan" in tools_of(10)
    locations = await _references(
        big, relative, _position_of(text, "openai.codex.v2025.plan"), declaration=False
    )
    assert sorted(_relative(big, loc.uri) for loc in locations) == expected_users(
        WISHES, "openai.codex.v2025.plan"
    )
    off_id = await big.text_document_references_async(
        types.ReferenceParams(
            text_document=types.TextDocumentIdentifier(uri=big.uri(relative)),
            position=_position_of(text, "Repair"),
            context=types.ReferenceContext(include_declaration=True),
        )
    )
    assert off_id is None


async def test_prepare_rename_refuses_anything_but_an_id(big: WishClient) -> None:
    relative = wish_path(20)
    text = (big.root / relative).read_text()
    await big.open(relative, text)
    document = types.TextDocumentIdentifier(uri=big.uri(relative))
    with pytest.raises(JsonRpcException, match="Only a conduit id or a YAML anchor can be renamed"):
        await big.text_document_prepare_rename_async(
            types.PrepareRenameParams(text_document=document, position=_position_of(text, "Sunken"))
        )
    answer = await big.text_document_prepare_rename_async(
        types.PrepareRenameParams(
            text_document=document, position=_position_of(text, "cartographer.survey")
        )
    )
    assert isinstance(answer, types.PrepareRenamePlaceholder)
    assert answer.placeholder == "cartographer.survey"
    line = text.split("\n")[answer.range.start.line]
    assert line[answer.range.start.character : answer.range.end.character] == answer.placeholder


@pytest.mark.parametrize(
    ("new_name", "refusal"),
    [("openai.codex.v2025.apply", "already a conduit"), ("two words", "not a valid")],
)
async def test_rename_refuses_a_taken_or_invalid_id(
    big: WishClient, new_name: str, refusal: str
) -> None:
    text = await _open_registry(big)
    with pytest.raises(JsonRpcException, match=refusal):
        await big.text_document_rename_async(
            types.RenameParams(
                text_document=types.TextDocumentIdentifier(uri=big.uri(REGISTRY)),
                position=_position_of(text, "worldsmith.place"),
                new_name=new_name,
            )
        )


async def test_rename_is_one_edit_over_the_registry_and_every_wish(big: WishClient) -> None:
    registry_text = await _open_registry(big)
    # An open wish with unsaved edits: the rename follows its text and version, not the disk.
    edited = wish_path(2)
    unsaved = "# unsaved comment line\n" + (big.root / edited).read_text()
    await big.open(edited, (big.root / edited).read_text())
    version = big.change(edited, unsaved)
    edit = await big.text_document_rename_async(
        types.RenameParams(
            text_document=types.TextDocumentIdentifier(uri=big.uri(REGISTRY)),
            position=_position_of(registry_text, "cartographer.survey"),
            new_name="cartographer.map",
        )
    )
    assert edit is not None
    by_uri = edits_by_uri(edit)
    expected = expected_users(WISHES, "cartographer.survey")
    assert sorted(_relative(big, uri) for uri in by_uri) == sorted([REGISTRY, *expected])
    if big.profile == "vscode":  # documentChanges with a change annotation
        assert edit.change_annotations is not None
        (annotation,) = edit.change_annotations.values()
        assert annotation.label == (
            "Rename `cartographer.survey` to `cartographer.map` in 1001 files"
        )
        known = versions(edit)
        assert known[big.uri(edited)] == version
        assert known[big.uri(REGISTRY)] == 1
        assert known[big.uri(wish_path(4))] is None  # not open
    else:  # Neovim 0.7 takes `changes` only
        assert edit.document_changes is None

    def read(uri: str) -> str:
        return unsaved if uri == big.uri(edited) else (big.root / _relative(big, uri)).read_text()

    changed = apply_workspace_edit(edit, read)
    for uri, (before, after) in changed.items():
        old = yaml.load(before, Loader=yaml.CSafeLoader)
        new = yaml.load(after, Loader=yaml.CSafeLoader)
        if _relative(big, uri) == REGISTRY:
            assert [item["id"] for item in new] == [
                "cartographer.map" if item["id"] == "cartographer.survey" else item["id"]
                for item in old
            ]
            continue
        # Nothing but the id moved: same keys, same values, the tool replaced in place.
        assert {**new, "tools": None} == {**old, "tools": None}
        assert new["tools"] == [
            "cartographer.map" if tool == "cartographer.survey" else tool for tool in old["tools"]
        ]
        assert before.count("\n") == after.count("\n")
    assert changed[big.uri(edited)][1].startswith("# unsaved comment line\n")
    big.close(edited)


async def test_highlight_marks_the_id_everywhere_in_the_file(big: WishClient) -> None:
    relative = "data/wishes/highlight.wish.yaml"
    text = wish_text(1).replace(
        "tools:\n  - 'worldsmith.place'\n", "tools: [worldsmith.place, x.y, worldsmith.place]\n"
    )
    assert "tools: [worldsmith.place, x.y, worldsmith.place]" in text
    await big.open(relative, text)
    highlights = await big.text_document_document_highlight_async(
        types.DocumentHighlightParams(
            text_document=types.TextDocumentIdentifier(uri=big.uri(relative)),
            position=_position_of(text, "worldsmith.place", 1),
        )
    )
    assert highlights is not None
    line = text.split("\n")[highlights[0].range.start.line]
    assert [line[h.range.start.character : h.range.end.character] for h in highlights] == [
        "worldsmith.place",
        "worldsmith.place",
    ]
    big.close(relative)


async def test_a_wish_written_on_disk_joins_the_references(big: WishClient) -> None:
    relative = "data/wishes/late/added.wish.yaml"
    path = big.root / relative
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(wish_text(1).replace("worldsmith.place", "openai.codex.v2025.apply"))
    gone = big.root / wish_path(25)
    gone.unlink()
    uri = big.uri(relative)
    if big.profile == "vscode":  # a registered watcher reports both
        big.workspace_did_change_watched_files(
            types.DidChangeWatchedFilesParams(
                changes=[
                    types.FileEvent(uri=uri, type=types.FileChangeType.Created),
                    types.FileEvent(uri=big.uri(wish_path(25)), type=types.FileChangeType.Deleted),
                ]
            )
        )
    else:  # Neovim 0.7 cannot watch files: a save is what the server hears of
        big.text_document_did_save(
            types.DidSaveTextDocumentParams(text_document=types.TextDocumentIdentifier(uri=uri))
        )
        big.text_document_did_save(
            types.DidSaveTextDocumentParams(
                text_document=types.TextDocumentIdentifier(uri=big.uri(wish_path(25)))
            )
        )
    text = await _open_registry(big)
    locations = await _references(big, REGISTRY, _position_of(text, "openai.codex.v2025.apply"))
    assert [_relative(big, loc.uri) for loc in locations] == [REGISTRY, relative]
    survey = await _references(big, REGISTRY, _position_of(text, "cartographer.survey"))
    assert wish_path(25) not in {_relative(big, loc.uri) for loc in survey}  # 25 is odd: no
    place = await _references(big, REGISTRY, _position_of(text, "worldsmith.place"))
    names = {_relative(big, loc.uri) for loc in place}
    assert wish_path(25) not in names and wish_path(24) in names


def _lines_in(client: WishClient, locations: list[types.Location], relative: str) -> list[int]:
    return [loc.range.start.line for loc in locations if _relative(client, loc.uri) == relative]


def _said_changed(client: WishClient, relative: str) -> None:
    """Tell the server a file changed on disk, as each profile's editor does."""
    uri = client.uri(relative)
    if client.profile == "vscode":
        client.workspace_did_change_watched_files(
            types.DidChangeWatchedFilesParams(
                changes=[types.FileEvent(uri=uri, type=types.FileChangeType.Changed)]
            )
        )
    else:
        client.text_document_did_save(
            types.DidSaveTextDocumentParams(text_document=types.TextDocumentIdentifier(uri=uri))
        )


async def test_a_moved_id_is_answered_where_it_is_now_not_where_it_was(big: WishClient) -> None:
    # Each file's locations are made once per read of it and reused: a wish changed on disk
    # and an open wish's unsaved text must be answered at their new lines, and no other.
    text = await _open_registry(big)
    place = _position_of(text, "worldsmith.place")
    before = await _references(big, REGISTRY, place)
    await _references(big, REGISTRY, place)  # answered from the cached locations
    on_disk, unsaved = wish_path(33), wish_path(35)
    (big.root / on_disk).write_text("# moved\n# down\n" + wish_text(33))
    _said_changed(big, on_disk)
    await big.open(unsaved, wish_text(35))
    await _references(big, REGISTRY, place)  # the open wish is read, as it was opened
    big.change(unsaved, "# a\n# b\n# c\n" + wish_text(35))
    try:
        after = await _references(big, REGISTRY, place)
        assert _lines_in(big, after, on_disk) == [
            line + 2 for line in _lines_in(big, before, on_disk)
        ]
        assert _lines_in(big, after, unsaved) == [
            line + 3 for line in _lines_in(big, before, unsaved)
        ]
        moved = {on_disk, unsaved}
        assert [(loc.uri, loc.range) for loc in after if _relative(big, loc.uri) not in moved] == [
            (loc.uri, loc.range) for loc in before if _relative(big, loc.uri) not in moved
        ]
    finally:
        big.close(unsaved)
        (big.root / on_disk).write_text(wish_text(33))
        _said_changed(big, on_disk)


async def _symbols(client: WishClient, query: str) -> list[types.SymbolInformation]:
    """The symbols found (the client decodes them as SymbolInformation: same shape)."""
    result = await client.workspace_symbol_async(types.WorkspaceSymbolParams(query=query))
    assert result is not None
    assert all(isinstance(symbol, types.SymbolInformation) for symbol in result), result[:1]
    return [symbol for symbol in result if isinstance(symbol, types.SymbolInformation)]


async def test_workspace_symbols_find_a_wish_by_title_with_its_folder(big: WishClient) -> None:
    symbols = await _symbols(big, "repair number 1234")
    best = symbols[0]
    assert best.name == "Repair the granary number 1234"
    assert best.kind == types.SymbolKind.Object
    assert best.container_name == "data/wishes/area-14"
    assert isinstance(best.location, types.Location)
    assert _relative(big, best.location.uri) == wish_path(1234)
    line = wish_text(1234).split("\n")[best.location.range.start.line]
    assert line.startswith("title:")
    assert len(symbols) <= 200


async def test_workspace_symbols_find_a_wish_by_objective_and_file_name(big: WishClient) -> None:
    by_words = await _symbols(big, "district 777")
    assert by_words[0].name == "Repair the harbour number 777"  # "district" is in the objective
    by_file = await _symbols(big, "w1999.wish")
    assert by_file[0].name == "Repair the tower number 1999"


async def test_workspace_symbols_find_conduits_by_id_and_label_fuzzily(big: WishClient) -> None:
    by_label = await _symbols(big, "plan builder")
    assert by_label[0].name == "openai.codex.v2025.plan"
    assert by_label[0].kind == types.SymbolKind.Function
    assert by_label[0].container_name == REGISTRY
    fuzzy = await _symbols(big, "crtsrv")
    assert fuzzy[0].name == "cartographer.survey"
    assert await _symbols(big, "qqqzzz") == []


async def test_a_configured_registry_outside_the_workspace_is_renamed_too(
    big: WishClient, tmp_path: Path
) -> None:
    outside = tmp_path / "shared" / "registry.yaml"
    outside.parent.mkdir()
    outside.write_text((big.root / REGISTRY).read_text())
    settings = {"diagnostics": {"debounceMs": 10}, "registry": {"path": str(outside)}}
    relative = wish_path(30)
    text = (big.root / relative).read_text()
    await big.open(relative, text)
    after = big.published.count()
    try:
        big.set_configuration(settings, section="wishcraft")
        big.workspace_did_change_configuration(
            types.DidChangeConfigurationParams(
                settings=None if big.profile == "vscode" else {"wishcraft": settings}
            )
        )
        # Settings applied: the open wish is checked again against the new registry.
        await big.published.wait(big.uri(relative), after=after)
        edit = await big.text_document_rename_async(
            types.RenameParams(
                text_document=types.TextDocumentIdentifier(uri=big.uri(relative)),
                position=_position_of(text, "cartographer.survey"),
                new_name="cartographer.map",
            )
        )
        assert edit is not None
        uris = set(edits_by_uri(edit))
        assert from_fs_path(str(outside)) in uris
        assert big.uri(REGISTRY) not in uris  # the workspace's registry is not the one in use
        assert len(uris) == len(expected_users(WISHES, "cartographer.survey")) + 1
    finally:
        plain = {"diagnostics": {"debounceMs": 10}}
        big.set_configuration(plain, section="wishcraft")
        big.workspace_did_change_configuration(
            types.DidChangeConfigurationParams(
                settings=None if big.profile == "vscode" else {"wishcraft": plain}
            )
        )
        big.close(relative)
