"""Settings (pulled or pushed, bad ones rejected) and registry edits re-checking open wishes."""

from __future__ import annotations

from typing import Any

import pytest
from lsprotocol import types

from testkit.lsp_client import VALID_WISH, WishClient, diagnostic_data

pytestmark = pytest.mark.asyncio(loop_scope="module")

REGISTRY = "data/conduits/registry.yaml"


async def _configure(client: WishClient, settings: dict[str, Any]) -> None:
    """Change the `wishcraft` settings the way each editor does: VS Code is asked for them
    (workspace/configuration), Neovim 0.7 pushes them with the notification."""
    client.set_configuration(settings, section="wishcraft")
    pushed = None if client.profile == "vscode" else {"wishcraft": settings}
    client.workspace_did_change_configuration(types.DidChangeConfigurationParams(settings=pushed))


async def test_lint_settings_change_severities(client: WishClient) -> None:
    name = "data/wishes/w-settings.wish.yaml"
    text = VALID_WISH.replace("within 5 days", "soon")
    published = await client.open(name, text)
    before = {d.code: d.severity for d in published.diagnostics}
    assert before["objective-no-time-bound"] == types.DiagnosticSeverity.Information
    after = client.published.count()
    try:
        await _configure(
            client,
            {
                "diagnostics": {"debounceMs": 10},
                "lint": {"severity": {"objective-no-time-bound": "error"}},
            },
        )
        published = await client.published.wait(
            client.uri(name),
            after=after,
            until=lambda p: any(d.severity == 1 for d in p.diagnostics),
        )
        codes = {d.code: d.severity for d in published.diagnostics}
        assert codes["objective-no-time-bound"] == types.DiagnosticSeverity.Error
    finally:
        await _configure(client, {"diagnostics": {"debounceMs": 10}})


async def test_bad_settings_give_one_message_and_the_defaults(client: WishClient) -> None:
    shown = client.wait_for_notification(types.WINDOW_SHOW_MESSAGE)
    try:
        await _configure(client, {"diagnostics": {"debounceMs": "fast"}})
        message = await shown
        assert message.type == types.MessageType.Warning
        assert "wishcraft.diagnostics.debounceMs" in message.message
        assert "default" in message.message
        published = await client.open("data/wishes/w-bad.wish.yaml", VALID_WISH)
        assert list(published.diagnostics) == []
    finally:
        await _configure(client, {"diagnostics": {"debounceMs": 10}})


async def test_editing_an_open_registry_rechecks_open_wishes(client: WishClient) -> None:
    wish = "data/wishes/w-registry.wish.yaml"
    await client.open(wish, VALID_WISH)
    registry_text = (client.root / REGISTRY).read_text()
    await client.open(REGISTRY, registry_text)
    after = client.published.count()
    without = registry_text.replace('- id: "cartographer.survey"', '- id: "cartographer.map"')
    client.change(REGISTRY, without)
    published = await client.published.wait(
        client.uri(wish),
        after=after,
        until=lambda p: any(d.code == "unknown-conduit" for d in p.diagnostics),
    )
    assert [
        diagnostic_data(d)["replacement"]
        for d in published.diagnostics
        if d.code == "unknown-conduit"
    ] == ["cartographer.map"]
    after = client.published.count()
    client.close(REGISTRY)
    published = await client.published.wait(
        client.uri(wish),
        after=after,
        until=lambda p: not any(d.code == "unknown-conduit" for d in p.diagnostics),
    )
    assert list(published.diagnostics) == []


async def test_a_registry_changed_on_disk_rechecks_open_wishes(client: WishClient) -> None:
    wish = "data/wishes/w-disk.wish.yaml"
    await client.open(wish, VALID_WISH)
    path = client.root / REGISTRY
    original = path.read_text()
    after = client.published.count()
    try:
        path.write_text(original.replace('- id: "worldsmith.place"', '- id: "worldsmith.put"'))
        if client.profile == "vscode":
            watchers = [
                r
                for r in client.registrations
                if r.method == types.WORKSPACE_DID_CHANGE_WATCHED_FILES
            ]
            assert watchers, "the server registers file watchers where the client can"
            client.workspace_did_change_watched_files(
                types.DidChangeWatchedFilesParams(
                    changes=[
                        types.FileEvent(uri=client.uri(REGISTRY), type=types.FileChangeType.Changed)
                    ]
                )
            )
        else:
            # Neovim 0.7 cannot watch files: the next edit reads the newer registry.
            client.change(wish, VALID_WISH + "\n")
        published = await client.published.wait(
            client.uri(wish),
            after=after,
            until=lambda p: any(d.code == "unknown-conduit" for d in p.diagnostics),
        )
        assert [
            diagnostic_data(d)["conduit"]
            for d in published.diagnostics
            if d.code == "unknown-conduit"
        ] == ["worldsmith.place"]
    finally:
        path.write_text(original)


def _one_invariant(text: str) -> str:
    """The valid wish with only its first invariant: its safety score falls below meso's."""
    start, end = text.index("invariants:\n"), text.index("budget:\n")
    first = text[start:end].splitlines()[1]
    return text[:start] + "invariants:\n" + first + "\n" + text[end:]


async def test_the_gates_are_heard_by_default_and_a_setting_turns_them_off(
    client: WishClient,
) -> None:
    """A wish the Court gate would refuse live: an error naming the gate, as `wishcraft lint
    --gates` says it; with `wishcraft.diagnostics.gates` off, the rule's warning only."""
    name = "data/wishes/w-gates.wish.yaml"
    assert "openai.codex.v2025.plan" in VALID_WISH
    published = await client.open(name, _one_invariant(VALID_WISH))
    court = [d for d in published.diagnostics if d.code == "court-threshold"]
    assert court and all(d.severity == types.DiagnosticSeverity.Error for d in court)
    assert all("The Court gate refuses a live plan" in d.message for d in court)
    after = client.published.count()
    try:
        await _configure(client, {"diagnostics": {"debounceMs": 10, "gates": False}})
        published = await client.published.wait(
            client.uri(name),
            after=after,
            until=lambda p: not any(d.severity == 1 for d in p.diagnostics),
        )
        court = [d for d in published.diagnostics if d.code == "court-threshold"]
        assert court and all(d.severity == types.DiagnosticSeverity.Warning for d in court)
        assert not any("gate" in d.message for d in court)
    finally:
        await _configure(client, {"diagnostics": {"debounceMs": 10}})
