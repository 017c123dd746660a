"""`[files] globs` of wishcraft.toml in the editor: the server honours it while the client leaves
`wishcraft.files.globs` unset, as `wishcraft lint` does, and the setting wins once set."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from lsprotocol import types

from testkit.lsp_client import VALID_WISH, WAIT_SECONDS, WishClient

pytestmark = pytest.mark.asyncio(loop_scope="module")

SPELL = "spells/data/spells/fire.spell"
UNTIMED = VALID_WISH.replace("within 5 days", "soon")
"""A wish with one finding (`objective-no-time-bound`), so a publication shows it was linted."""


def write_toml(client: WishClient, folder: str, text: str) -> None:
    """`folder`'s data/config/wishcraft.toml in this module's workspace copy: each test has its
    own, so none sees another's file."""
    path = client.root / folder / "data" / "config" / "wishcraft.toml"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")


async def said_since(client: WishClient, before: int, words: str) -> str:
    """The first window message after index `before` holding `words`, waiting for it if it has
    not come yet (no await between the check and the wait, so none slips through)."""
    while True:
        said = [m.message for m in client.messages[before:] if words in m.message]
        if said:
            assert len(said) == 1, said
            return said[0]
        await asyncio.wait_for(
            client.wait_for_notification(types.WINDOW_SHOW_MESSAGE), WAIT_SECONDS
        )


async def _configure(client: WishClient, settings: dict[str, Any]) -> None:
    """Change the settings as each editor does: VS Code is asked, Neovim 0.7 pushes them."""
    client.set_configuration(settings, section="wishcraft")
    pushed = None if client.profile == "vscode" else {"wishcraft": settings}
    client.workspace_did_change_configuration(types.DidChangeConfigurationParams(settings=pushed))


async def test_the_toml_globs_apply_while_the_setting_is_unset_and_the_setting_wins(
    client: WishClient,
) -> None:
    write_toml(client, "spells", '[files]\nglobs = ["**/*.spell"]\n')
    published = await client.open(SPELL, UNTIMED)
    assert [d.code for d in published.diagnostics] == ["objective-no-time-bound"]
    after = client.published.count()
    try:
        await _configure(
            client, {"diagnostics": {"debounceMs": 10}, "files": {"globs": ["**/*.wish.yaml"]}}
        )
        cleared = await client.published.wait(
            client.uri(SPELL), after=after, until=lambda p: not p.diagnostics
        )
        assert list(cleared.diagnostics) == []
    finally:
        await _configure(client, {"diagnostics": {"debounceMs": 10}})
        client.close(SPELL)


async def test_a_broken_files_table_is_said_once_and_the_defaults_apply(
    client: WishClient,
) -> None:
    write_toml(client, "broken", "[files]\nglobs = 3\n")
    before = len(client.messages)
    published = await client.open("broken/data/wishes/w.wish.yaml", UNTIMED)
    said = await said_since(client, before, "[files] globs")
    assert said.endswith("using the default wish globs.")
    assert [d.code for d in published.diagnostics] == ["objective-no-time-bound"]
    client.close("broken/data/wishes/w.wish.yaml")
