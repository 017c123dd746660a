"""Trust a repository's own commands from the editor, as `wishcraft trust` does in a terminal.

`[pr] check` in `data/config/wishcraft.toml` is a command a cloned repository names, so it runs
only once the user trusts that file as it is (`wishcraft.trust`). Editor users should not need
a terminal for that, nor trust blindly: the command asks one question that quotes the command
the file runs and the first characters of its SHA-256, with "Open wishcraft.toml" to read it
first. Only the file the user was asked about is trusted: if it changed while the question was
open, nothing is recorded and they are told why.

The pull-request refusal for an untrusted repository offers the same question
(`offer_after_refusal`), so the sentence that names the fix also carries the button.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import TYPE_CHECKING, Any

from lsprotocol import types
from pygls.uris import from_fs_path

from wishcraft.config import CONFIG_RELATIVE
from wishcraft.lsp.features.setup import target_folder
from wishcraft.names import COMMAND_TRUST_REPOSITORY

if TYPE_CHECKING:
    from wishcraft.lsp.server import WishcraftLanguageServer

logger = logging.getLogger(__name__)

TRUST = "Trust"
OPEN = "Open wishcraft.toml"
CANCEL = "Cancel"
REVIEW = "Review and trust…"


def question(repo: str, check: str | None, digest: str, changed: bool) -> str:
    """The one question: what trusting lets run, and which file is trusted (`digest` is
    `trust.NO_CONFIG` when the repository has no wishcraft.toml)."""
    from wishcraft.trust import NO_CONFIG

    again = " It changed since you last trusted it." if changed else ""
    if digest == NO_CONFIG:
        return (
            f"Trust the repository {repo}? It has no {CONFIG_RELATIVE}, so nothing of its "
            "own runs now; a wishcraft.toml added later needs trusting again."
        )
    runs = (
        f"its `[pr] check` runs `{check}` before each pull request"
        if check
        else "it names no command today"
    )
    return (
        f"Trust {CONFIG_RELATIVE} of {repo} (sha256 {digest[:12]}…)? Once trusted, {runs}; "
        f"a change to that file needs trusting again.{again} Trust it only if you have read it."
    )


def _check_of(root: Path, raw: bytes | None) -> str | None:
    """The `[pr] check` command in the bytes of the repository's wishcraft.toml (None: no
    file, no check, or a file that does not parse, which the question then cannot quote: the
    user reads the file). The same bytes are hashed for the question, so what it quotes is
    what is trusted."""
    from wishcraft.config import ConfigFileError, config_from_bytes
    from wishcraft.pr.config import pr_config_from
    from wishcraft.pr.errors import PrBadInput

    if raw is None:
        return None
    try:
        return pr_config_from(config_from_bytes(root / CONFIG_RELATIVE, raw)).check
    except (ConfigFileError, PrBadInput) as error:
        logger.info("trust: %s", error)
        return None


def _say(server: WishcraftLanguageServer, kind: types.MessageType, message: str) -> None:
    server.window_show_message(types.ShowMessageParams(type=kind, message=message))


async def trust_repository(
    server: WishcraftLanguageServer, folder_uri: str | None
) -> dict[str, Any]:
    """Ask, then trust the repository of `folder_uri` (default: the first workspace folder)
    as its wishcraft.toml was when asked. The answer says what happened: `trusted`,
    `cancelled`, `opened` (the user chose to read the file first) or `failed`."""
    from wishcraft.trust import (
        NO_CONFIG,
        Trust,
        TrustError,
        config_bytes,
        digest_of,
        repository_root,
        trust,
        trust_of,
    )

    folder = target_folder(server, folder_uri)
    if folder is None:
        message = "Open a folder first: Wishcraft trusts the repository of a workspace folder."
        _say(server, types.MessageType.Warning, message)
        return {"outcome": "failed", "message": message}
    try:
        root = repository_root(folder)
        raw = config_bytes(root)
        digest = digest_of(raw)
        state = trust_of(root, digest=digest)
    except TrustError as error:
        _say(server, types.MessageType.Error, str(error))
        return {"outcome": "failed", "message": str(error)}
    if state is Trust.TRUSTED:
        message = f"{root.name} is already trusted with its {CONFIG_RELATIVE} as it is now."
        _say(server, types.MessageType.Info, message)
        return {"outcome": "trusted", "message": message}
    has_file = digest != NO_CONFIG
    actions = [TRUST, OPEN, CANCEL] if has_file else [TRUST, CANCEL]
    answer = await server.window_show_message_request_async(
        types.ShowMessageRequestParams(
            type=types.MessageType.Warning,
            message=question(root.name, _check_of(root, raw), digest, state is Trust.CHANGED),
            actions=[types.MessageActionItem(title=title) for title in actions],
        )
    )
    chosen = answer.title if answer is not None else CANCEL
    if chosen == OPEN:
        await _open_config(server, root)
        return {"outcome": "opened", "message": "Read the file, then trust the repository."}
    if chosen != TRUST:
        return {"outcome": "cancelled", "message": "Nothing was trusted."}
    try:
        entry = trust(root, shown_digest=digest)
    except TrustError as error:
        _say(server, types.MessageType.Warning, str(error))
        return {"outcome": "failed", "message": str(error)}
    message = (
        f"Trusted {root.name} with {CONFIG_RELATIVE} as it is now (sha256 {entry.digest[:12]}…)."
        if has_file
        else f"Trusted {root.name} (it has no {CONFIG_RELATIVE})."
    )
    _say(server, types.MessageType.Info, message)
    return {"outcome": "trusted", "message": message, "sha256": entry.digest}


async def _open_config(server: WishcraftLanguageServer, root: Path) -> None:
    """Show the wishcraft.toml in the editor when the client can; else say where it is."""
    path = root / CONFIG_RELATIVE
    window = server.client_capabilities.window
    if window and window.show_document and window.show_document.support:
        uri = from_fs_path(str(path)) or path.as_uri()
        try:
            await server.window_show_document_async(
                types.ShowDocumentParams(uri=uri, take_focus=True)
            )
            return
        except Exception as error:  # the message below names the file
            logger.info("showDocument of wishcraft.toml failed: %s", error)
    _say(
        server,
        types.MessageType.Info,
        f"Read {CONFIG_RELATIVE} of {root.name}, then trust the repository.",
    )


async def offer_after_refusal(server: WishcraftLanguageServer, message: str, root: Path) -> None:
    """A refusal because the repository is not trusted, with a button that asks the question
    (instead of a bare sentence that sends the user to a terminal)."""
    answer = await server.window_show_message_request_async(
        types.ShowMessageRequestParams(
            type=types.MessageType.Warning,
            message=message,
            actions=[types.MessageActionItem(title=REVIEW)],
        )
    )
    if answer is not None and answer.title == REVIEW:
        await trust_repository(server, from_fs_path(str(root)) or root.as_uri())


def register(server: WishcraftLanguageServer) -> None:
    """Wire the command."""

    # pygls reads the handlers' hints at run time: the server parameter is typed `Any`.
    @server.command(COMMAND_TRUST_REPOSITORY)
    async def trust_command(ls: Any, *folder_uri: str) -> dict[str, Any]:
        return await trust_repository(server, folder_uri[0] if folder_uri else None)
