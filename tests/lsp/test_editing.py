"""Completion, hover and quick fixes end to end, in both client profiles."""

from __future__ import annotations

import pytest
from lsprotocol import types

from testkit.lsp_client import TYPOS_WISH, VALID_WISH, WishClient

pytestmark = pytest.mark.asyncio(loop_scope="session")


@pytest.fixture
def client(shared_client: WishClient) -> WishClient:
    """This module only opens its own documents: it shares the session's server per profile."""
    return shared_client


def _doc(client: WishClient, name: str) -> types.TextDocumentIdentifier:
    return types.TextDocumentIdentifier(uri=client.uri(name))


async def _complete(
    client: WishClient, name: str, text: str, line: int, character: int
) -> list[types.CompletionItem]:
    await client.open(name, text)
    result = await client.text_document_completion_async(
        types.CompletionParams(
            text_document=_doc(client, name),
            position=types.Position(line=line, character=character),
        )
    )
    assert isinstance(result, types.CompletionList)
    return list(result.items)


async def test_completion_of_a_half_typed_key(client: WishClient) -> None:
    text = 'title: "Relight"\nti'
    items = await _complete(client, "data/wishes/c-key.wish.yaml", text, 1, 2)
    labels = [item.label for item in items]
    assert "title" not in labels
    assert labels[:3] == ["objective", "scope", "invariants"]
    scope = next(item for item in items if item.label == "scope")
    assert isinstance(scope.text_edit, types.TextEdit)
    assert scope.text_edit.range == types.Range(
        start=types.Position(line=1, character=0), end=types.Position(line=1, character=2)
    )
    if client.profile == "vscode":
        assert scope.insert_text_format == types.InsertTextFormat.Snippet
        assert scope.text_edit.new_text == (
            'scope:\n  region: ${1:"repo/docs"}\n  duration_days: ${2:2}'
        )
    else:
        assert scope.insert_text_format == types.InsertTextFormat.PlainText
        assert scope.text_edit.new_text == 'scope:\n  region: "repo/docs"\n  duration_days: 2'


async def test_completion_of_conduit_ids_after_a_bare_dash(client: WishClient) -> None:
    items = await _complete(client, "data/wishes/c-tools.wish.yaml", "tools:\n  - ", 1, 4)
    by_label = {item.label: item for item in items}
    assert set(by_label) == {
        "openai.codex.v2025.plan",
        "openai.codex.v2025.apply",
        "worldsmith.place",
        "cartographer.survey",
    }
    survey = by_label["cartographer.survey"]
    assert survey.detail == "Cartographer Survey · Low risk"
    assert isinstance(survey.documentation, types.MarkupContent)
    assert "map.read" in survey.documentation.value


async def test_completion_of_tier_values(client: WishClient) -> None:
    items = await _complete(client, "data/wishes/c-tier.wish.yaml", "tier: m", 0, 7)
    assert [item.label for item in items] == ["micro", "meso", "macro"]
    assert isinstance(items[0].text_edit, types.TextEdit)
    assert items[0].text_edit.range.start.character == 6


async def test_empty_document_offers_a_whole_wish(client: WishClient) -> None:
    """A snippet client completes the skeleton; a client without snippets (Neovim's omnifunc
    cannot insert several lines) gets no such item but the "Insert wish skeleton" action,
    whose edit is real lines that lint clean."""
    name = "data/wishes/c-empty.wish.yaml"
    items = await _complete(client, name, "", 0, 0)
    labels = [item.label for item in items]
    actions = await client.text_document_code_action_async(
        types.CodeActionParams(
            text_document=_doc(client, name),
            range=types.Range(start=types.Position(0, 0), end=types.Position(0, 0)),
            context=types.CodeActionContext(diagnostics=[]),
        )
    )
    inserts = [
        action
        for action in actions or []
        if isinstance(action, types.CodeAction) and action.title == "Insert wish skeleton"
    ]
    if client.profile == "vscode":
        skeleton = items[0]
        assert skeleton.label == "wish" and not inserts
        assert skeleton.text_edit is not None
        text = skeleton.text_edit.new_text
        assert "$" in text
    else:
        assert "wish" not in labels
        (action,) = inserts
        assert action.edit is not None and action.edit.changes is not None
        (edit,) = action.edit.changes[client.uri(name)]
        text = edit.new_text
        assert "$" not in text
        published = await client.open("data/wishes/c-skeleton.wish.yaml", text)
        # Valid YAML and a valid wish: no error but the gates' own (a skeleton's empty lists
        # score below a live call's court thresholds until the author fills them in).
        gates = ("court-threshold", "conduit-not-allowed")
        errors = [
            d.code
            for d in published.diagnostics
            if (d.severity == types.DiagnosticSeverity.Error or d.code in ("yaml-syntax",))
            and not (str(d.code) in gates or str(d.code).startswith("gate-"))
        ]
        assert errors == [], published.diagnostics
    for key in ("title:", "objective:", "scope:", "budget:", "tools:", "rollback:", "tier:"):
        assert key in text


async def test_hover_on_a_key(client: WishClient) -> None:
    name = "data/wishes/h-key.wish.yaml"
    await client.open(name, VALID_WISH)
    hover = await client.text_document_hover_async(
        types.HoverParams(
            text_document=_doc(client, name), position=types.Position(line=5, character=5)
        )
    )
    assert hover is not None and isinstance(hover.contents, types.MarkupContent)
    assert "duration_days" in hover.contents.value
    assert "0 to 65,535" in hover.contents.value
    assert "Example: `2`" in hover.contents.value


async def test_hover_on_a_conduit_id(client: WishClient) -> None:
    name = "data/wishes/h-conduit.wish.yaml"
    await client.open(name, VALID_WISH)
    line = VALID_WISH.splitlines().index('  - "worldsmith.place"')
    hover = await client.text_document_hover_async(
        types.HoverParams(
            text_document=_doc(client, name), position=types.Position(line=line, character=8)
        )
    )
    assert hover is not None and isinstance(hover.contents, types.MarkupContent)
    value = hover.contents.value
    for expected in (
        "Worldsmithing Placement",
        "Literalist",
        "Low",
        "Deterministic",
        "Instant",
        "`place`",
        "per wish entities 500",
        "`placements_count`",
    ):
        assert expected in value


async def test_hover_on_the_planning_conduit_shows_the_model_and_where_it_was_chosen(
    client: WishClient,
) -> None:
    config = client.root / "elsewhere" / "data" / "config" / "wishcraft.toml"
    config.parent.mkdir(parents=True)
    config.write_text('[conduit]\nmodel = "gpt-6-luna"\nclient_version = "0.160.0"\n')
    name = "elsewhere/data/wishes/h-plan.wish.yaml"
    text = VALID_WISH.replace('  - "worldsmith.place"', '  - "openai.codex.v2025.plan"')
    await client.open(name, text)
    line = text.splitlines().index('  - "openai.codex.v2025.plan"')
    hover = await client.text_document_hover_async(
        types.HoverParams(
            text_document=_doc(client, name), position=types.Position(line=line, character=8)
        )
    )
    assert hover is not None and isinstance(hover.contents, types.MarkupContent)
    value = hover.contents.value
    assert "OpenAI Codex (Plan Builder)" in value
    assert "**Plans use** `gpt-6-luna`" in value
    assert "set by `model` under [conduit] in " in value and "wishcraft.toml" in value
    assert "as Codex 0.160.0 (`client_version` under [conduit]" in value
    other = await client.text_document_hover_async(
        types.HoverParams(
            text_document=_doc(client, name), position=types.Position(line=line + 1, character=8)
        )
    )
    assert other is not None and isinstance(other.contents, types.MarkupContent)
    assert "Plans use" not in other.contents.value


async def test_hover_on_title_shows_court_and_heat(client: WishClient) -> None:
    name = "data/wishes/h-title.wish.yaml"
    await client.open(name, VALID_WISH)
    hover = await client.text_document_hover_async(
        types.HoverParams(
            text_document=_doc(client, name), position=types.Position(line=1, character=2)
        )
    )
    assert hover is not None and isinstance(hover.contents, types.MarkupContent)
    assert "clarity 75 · safety 75 · reversibility 70" in hover.contents.value
    assert "Heat" in hover.contents.value


async def _fixes(client: WishClient, name: str) -> dict[str, types.CodeAction]:
    published = await client.open(name, TYPOS_WISH)
    actions = {}
    for diagnostic in published.diagnostics:
        result = await client.text_document_code_action_async(
            types.CodeActionParams(
                text_document=_doc(client, name),
                range=diagnostic.range,
                context=types.CodeActionContext(
                    diagnostics=[diagnostic], only=[types.CodeActionKind.QuickFix]
                ),
            )
        )
        for action in result or []:
            assert isinstance(action, types.CodeAction)
            assert action.diagnostics is not None
            actions[str(action.diagnostics[0].code) + ":" + action.title] = action
    return actions


def _apply(text: str, action: types.CodeAction, uri: str) -> str:
    assert action.edit is not None and action.edit.changes is not None
    lines = text.split("\n")
    for edit in sorted(
        action.edit.changes[uri],
        key=lambda e: (e.range.start.line, e.range.start.character),
        reverse=True,
    ):
        start = (
            sum(len(line) + 1 for line in lines[: edit.range.start.line])
            + edit.range.start.character
        )
        end = sum(len(line) + 1 for line in lines[: edit.range.end.line]) + edit.range.end.character
        text = text[:start] + edit.new_text + text[end:]
        lines = text.split("\n")
    return text


async def test_quick_fixes_for_each_fixable_finding(client: WishClient) -> None:
    name = "data/wishes/a-fixes.wish.yaml"
    actions = await _fixes(client, name)
    assert sorted(actions) == [
        "invalid-tier:Replace with `meso`",
        "missing-key:Add `duration_days`",
        "missing-key:Add `safety_tests`",
        "unknown-conduit:Replace with `cartographer.survey`",
        "unknown-key:Replace with `safety_tests`",
    ]
    uri = client.uri(name)
    fixed = _apply(TYPOS_WISH, actions["missing-key:Add `duration_days`"], uri)
    assert '  region: "Sunken Quarter"\n  duration_days: 2\n' in fixed
    fixed = _apply(TYPOS_WISH, actions["unknown-conduit:Replace with `cartographer.survey`"], uri)
    assert '  - "cartographer.survey"\n' in fixed


async def test_applying_every_fix_leaves_a_clean_wish(client: WishClient) -> None:
    name = "data/wishes/a-clean.wish.yaml"
    actions = await _fixes(client, name)
    uri = client.uri(name)
    text = TYPOS_WISH
    chosen = [actions[key] for key in actions if key != "missing-key:Add `safety_tests`"]
    # Each fix was computed on the original text: apply them from the bottom up.
    for action in sorted(
        chosen,
        key=lambda a: a.edit.changes[uri][0].range.start.line,  # type: ignore[union-attr,index]
        reverse=True,
    ):
        text = _apply(text, action, uri)
    after = client.published.count()
    version = client.change(name, text)
    published = await client.published.wait(uri, version=version, after=after)
    assert [d.code for d in published.diagnostics if d.severity == 1] == []


async def test_duplicate_key_fix_removes_the_repeat(client: WishClient) -> None:
    name = "data/wishes/a-dup.wish.yaml"
    text = VALID_WISH.replace(
        "tier: meso\n", "tier: meso\nscope:\n  region: x\n  duration_days: 1\n"
    )
    published = await client.open(name, text)
    duplicate = next(d for d in published.diagnostics if d.code == "yaml-duplicate-key")
    result = await client.text_document_code_action_async(
        types.CodeActionParams(
            text_document=_doc(client, name),
            range=duplicate.range,
            context=types.CodeActionContext(diagnostics=[duplicate]),
        )
    )
    assert result is not None
    action = next(
        a
        for a in result
        if isinstance(a, types.CodeAction) and a.title == "Remove the duplicate `scope`"
    )
    assert _apply(text, action, client.uri(name)) == VALID_WISH
