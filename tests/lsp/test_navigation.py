"""Selection ranges, document links, and YAML anchors and aliases, end to end."""

from __future__ import annotations

import pytest
import yaml
from lsprotocol import types
from pygls.exceptions import JsonRpcException
from pygls.uris import to_fs_path

from testkit.edits import apply_text_edits
from testkit.lsp_client import VALID_WISH, WishClient

pytestmark = pytest.mark.asyncio(loop_scope="module")


@pytest.fixture
def client(big_client: WishClient) -> WishClient:
    """This module's features are checked with 2,000 generated wishes indexed beside them."""
    return big_client


def _doc(client: WishClient, name: str) -> types.TextDocumentIdentifier:
    return types.TextDocumentIdentifier(uri=client.uri(name))


def _text_of(text: str, selected: types.Range) -> str:
    """The text of an ASCII document under a range."""
    lines = text.split("\n")
    start, end = selected.start, selected.end
    if start.line == end.line:
        return lines[start.line][start.character : end.character]
    return "\n".join(
        [lines[start.line][start.character :], *lines[start.line + 1 : end.line]]
        + [lines[end.line][: end.character]]
    )


def _contains(outer: types.Range, inner: types.Range) -> bool:
    def key(p: types.Position) -> tuple[int, int]:
        return (p.line, p.character)

    return key(outer.start) <= key(inner.start) and key(inner.end) <= key(outer.end)


async def test_selection_grows_from_an_id_to_the_whole_wish(client: WishClient) -> None:
    name = "data/wishes/n-select.wish.yaml"
    await client.open(name, VALID_WISH)
    line = VALID_WISH.split("\n").index('  - "worldsmith.place"')
    result = await client.text_document_selection_range_async(
        types.SelectionRangeParams(
            text_document=_doc(client, name),
            positions=[types.Position(line=line, character=10)],
        )
    )
    assert result is not None and len(result) == 1
    chain = []
    selection: types.SelectionRange | None = result[0]
    while selection is not None:
        chain.append(selection.range)
        selection = selection.parent
    texts = [_text_of(VALID_WISH, r) for r in chain]
    assert texts[0] == "worldsmith.place"
    assert texts[1] == '"worldsmith.place"'
    assert texts[2].startswith('- "worldsmith.place"\n  - "cartographer.survey"')
    assert texts[3].startswith("tools:\n")
    assert texts[-1].startswith("title:") and texts[-1].endswith('"2025-10-16T17:32:23Z"')
    for inner, outer in zip(chain, chain[1:], strict=False):
        assert _contains(outer, inner) and inner != outer


async def test_links_to_the_registry_entry_and_to_docs_files(client: WishClient) -> None:
    (client.root / "docs").mkdir(exist_ok=True)
    (client.root / "docs" / "wish.md").write_text("# The wish\n")
    name = "data/wishes/n-links.wish.yaml"
    text = VALID_WISH.replace(
        '  - "Place 3 beacon lamps on the lantern gallery"',
        '  - "Write docs/wish.md, not docs/missing.md"',
    )
    await client.open(name, text)
    links = await client.text_document_document_link_async(
        types.DocumentLinkParams(text_document=_doc(client, name))
    )
    assert links is not None
    found = {_text_of(text, link.range): link.target for link in links}
    registry_uri = client.uri("data/conduits/registry.yaml")
    registry_lines = (client.root / "data/conduits/registry.yaml").read_text().split("\n")
    place_line = registry_lines.index('- id: "worldsmith.place"') + 1
    assert found['"worldsmith.place"'] == f"{registry_uri}#L{place_line}"
    assert (found['"cartographer.survey"'] or "").startswith(f"{registry_uri}#L")
    docs_target = found["docs/wish.md"]
    assert docs_target is not None
    assert to_fs_path(docs_target) == str((client.root / "docs" / "wish.md").resolve())
    assert "docs/missing.md" not in found  # not there: no link
    assert len(found) == 4  # three tools, one document


async def test_a_registry_links_scope_paths_that_exist(client: WishClient) -> None:
    (client.root / "docs").mkdir(exist_ok=True)
    (client.root / "docs" / "wish.md").write_text("# The wish\n")
    name = "other/conduits/registry.yaml"
    text = (
        '- id: "docs.writer"\n'
        '  label: "Docs writer"\n'
        "  disposition: Literalist\n"
        "  scopes:\n"
        '    - paths: ["docs/wish.md", "docs/**", "../outside.md", "nope/file.md"]\n'
        "  risk_class: Low\n"
        "  determinism: Deterministic\n"
        "  latency_class: Instant\n"
    )
    (client.root / "other" / "conduits").mkdir(parents=True, exist_ok=True)
    await client.open(name, text)
    links = await client.text_document_document_link_async(
        types.DocumentLinkParams(text_document=_doc(client, name))
    )
    assert links is not None
    assert [_text_of(text, link.range) for link in links] == ['"docs/wish.md"']


ANCHORED = VALID_WISH.replace(
    'invariants:\n  - "No harm to civilians in the Sunken Quarter"',
    'invariants: &laws\n  - "No harm to civilians in the Sunken Quarter"',
).replace("safety_tests:\n", "extra_laws: *laws\nsafety_tests:\n")


def _position(text: str, needle: str) -> types.Position:
    line = next(n for n, row in enumerate(text.split("\n")) if needle in row)
    return types.Position(line=line, character=text.split("\n")[line].index(needle) + 1)


async def test_an_alias_goes_to_its_anchor(client: WishClient) -> None:
    name = "data/wishes/n-anchor.wish.yaml"
    assert "&laws" in ANCHORED and "*laws" in ANCHORED
    await client.open(name, ANCHORED)
    found = await client.text_document_definition_async(
        types.DefinitionParams(
            text_document=_doc(client, name), position=_position(ANCHORED, "*laws")
        )
    )
    assert isinstance(found, types.Location)
    assert _text_of(ANCHORED, found.range) == "laws"
    assert found.range.start == types.Position(
        line=ANCHORED.split("\n").index("invariants: &laws"), character=13
    )


async def test_renaming_an_anchor_renames_its_aliases(client: WishClient) -> None:
    name = "data/wishes/n-anchor-rename.wish.yaml"
    await client.open(name, ANCHORED)
    document = _doc(client, name)
    prepared = await client.text_document_prepare_rename_async(
        types.PrepareRenameParams(text_document=document, position=_position(ANCHORED, "*laws"))
    )
    assert isinstance(prepared, types.PrepareRenamePlaceholder) and prepared.placeholder == "laws"
    edit = await client.text_document_rename_async(
        types.RenameParams(
            text_document=document, position=_position(ANCHORED, "&laws"), new_name="rules"
        )
    )
    assert edit is not None and edit.changes is not None
    renamed = apply_text_edits(client.uri(name), ANCHORED, edit.changes[client.uri(name)])
    assert renamed == ANCHORED.replace("&laws", "&rules").replace("*laws", "*rules")
    load = yaml.load(renamed, Loader=yaml.CSafeLoader)
    assert load == yaml.load(ANCHORED, Loader=yaml.CSafeLoader)  # the same meaning
    with pytest.raises(JsonRpcException, match="not a valid anchor name"):
        await client.text_document_rename_async(
            types.RenameParams(
                text_document=document, position=_position(ANCHORED, "&laws"), new_name="a b"
            )
        )
    highlights = await client.text_document_document_highlight_async(
        types.DocumentHighlightParams(text_document=document, position=_position(ANCHORED, "*laws"))
    )
    assert highlights is not None
    assert [(h.kind, _text_of(ANCHORED, h.range)) for h in highlights] == [
        (types.DocumentHighlightKind.Write, "laws"),
        (types.DocumentHighlightKind.Read, "laws"),
    ]


async def _hints(client: WishClient, name: str, text: str) -> list[tuple[str, str]]:
    lines = text.split("\n")
    hints = await client.text_document_inlay_hint_async(
        types.InlayHintParams(
            text_document=_doc(client, name),
            range=types.Range(
                start=types.Position(line=0, character=0),
                end=types.Position(line=len(lines) - 1, character=0),
            ),
        )
    )
    assert hints is not None
    out = []
    for hint in hints:
        assert isinstance(hint.label, str)
        before = lines[hint.position.line][: hint.position.character]
        out.append((before.strip(), hint.label))
    return out


async def _configure(client: WishClient, name: str, settings: dict[str, object]) -> None:
    """Change the settings as each editor does, and wait until the server applied them (it
    checks the open documents again then)."""
    after = client.published.count()
    client.set_configuration(settings, section="wishcraft")
    pushed = None if client.profile == "vscode" else {"wishcraft": settings}
    client.workspace_did_change_configuration(types.DidChangeConfigurationParams(settings=pushed))
    await client.published.wait(client.uri(name), after=after)


async def test_inlay_hints_show_tier_limits_and_calls_left(client: WishClient) -> None:
    name = "data/wishes/n-hints.wish.yaml"
    await client.open(name, VALID_WISH)
    hints = await _hints(client, name, VALID_WISH)
    assert hints[:4] == [
        ("duration_days: 5", "≤ 30 (meso)"),
        ("chrono_sand: 12", "≤ 100 (meso)"),
        ("genie_slots: 2", "≤ 8 (meso)"),
        ("gold_cap: 1500", "≤ 100,000 (meso)"),
    ]
    # Only conduits with call limits: worldsmith.place limits entities, not calls.
    assert hints[4:] == [('- "openai.codex.v2025.plan"', "plan 10/10 · today 200/200")]
    try:
        await _configure(
            client, name, {"diagnostics": {"debounceMs": 10}, "inlayHints": {"tierLimits": False}}
        )
        assert await _hints(client, name, VALID_WISH) == hints[4:]
        await _configure(
            client, name, {"diagnostics": {"debounceMs": 10}, "inlayHints": {"callsLeft": False}}
        )
        assert await _hints(client, name, VALID_WISH) == hints[:4]
    finally:
        await _configure(client, name, {"diagnostics": {"debounceMs": 10}})


async def test_semantic_tokens_mark_conduits_the_tier_and_ignored_keys(client: WishClient) -> None:
    name = "data/wishes/n-tokens.wish.yaml"
    text = VALID_WISH.replace("tier: meso\n", "tier: meso\ncolour: red\n").replace(
        '  - "cartographer.survey"', '  - "nope.tool"'
    )
    await client.open(name, text)
    result = await client.text_document_semantic_tokens_full_async(
        types.SemanticTokensParams(text_document=_doc(client, name))
    )
    assert result is not None
    legend = types.SemanticTokensLegend(
        token_types=["function", "enumMember", "property"],
        token_modifiers=["defaultLibrary", "deprecated"],
    )
    lines = text.split("\n")
    decoded = []
    line = column = 0
    data = list(result.data)
    for index in range(0, len(data), 5):
        delta_line, delta_start, length, token_type, modifiers = data[index : index + 5]
        line += delta_line
        column = column + delta_start if delta_line == 0 else delta_start
        names = [m for bit, m in enumerate(legend.token_modifiers) if modifiers & (1 << bit)]
        decoded.append(
            (lines[line][column : column + length], legend.token_types[token_type], names)
        )
    assert decoded == [
        ('"worldsmith.place"', "function", []),
        ('"openai.codex.v2025.plan"', "function", []),
        ("meso", "enumMember", []),
        ("colour", "property", ["deprecated"]),
    ]
