"""The test client for end-to-end tests: the real server as a subprocess, driven by a
VS Code-like and a Neovim-like client (capabilities recorded from the real editors by pytest-lsp).
"""

from __future__ import annotations

import asyncio
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

import pytest_lsp
from lsprotocol import types
from pygls.protocol import default_converter
from pygls.uris import from_fs_path
from pytest_lsp import ClientServerConfig, LanguageClient
from pytest_lsp.client import DEFAULT_CLIENT_FEATURES, register_lsp_features

from wishcraft.names import NOTIFICATION_PLAN_UPDATED

from .paths import LSP_WORKSPACE

WORKSPACE = LSP_WORKSPACE
SERVER = [sys.executable, "-m", "wishcraft.lsp"]
WAIT_SECONDS = 10.0
"""The longest a test waits for a notification before it fails."""
PROFILES = {
    "vscode": "visual-studio-code",
    "neovim": "neovim@v0.7.0",
}

VALID_WISH = (WORKSPACE / "data" / "wishes" / "lighthouse.wish.yaml").read_text()
TYPOS_WISH = (WORKSPACE / "data" / "wishes" / "typos.wish.yaml").read_text()


def diagnostic_data(diagnostic: types.Diagnostic) -> dict[str, Any]:
    """The `data` object our server attaches to every diagnostic (fails when there is none)."""
    assert isinstance(diagnostic.data, dict), diagnostic
    return diagnostic.data


def _converter() -> Any:
    """pygls' converter, decoding a code action that carries a command as a CodeAction."""
    converter = default_converter()  # type: ignore[no-untyped-call]  # pygls leaves it untyped

    def command_or_action(obj: Any, _: type) -> types.Command | types.CodeAction:
        if isinstance(obj.get("command"), str):
            return converter.structure(obj, types.Command)  # type: ignore[no-any-return]
        return converter.structure(obj, types.CodeAction)  # type: ignore[no-any-return]

    converter.register_structure_hook(types.Command | types.CodeAction, command_or_action)
    return converter


@dataclass
class Published:
    """Every publishDiagnostics the client received, in order, with a way to wait for one."""

    all: list[types.PublishDiagnosticsParams] = field(default_factory=list)
    changed: asyncio.Event = field(default_factory=asyncio.Event)

    def add(self, params: types.PublishDiagnosticsParams) -> None:
        self.all.append(params)
        self.changed.set()

    async def wait(
        self,
        uri: str,
        *,
        version: int | None = None,
        after: int = 0,
        until: Callable[[types.PublishDiagnosticsParams], bool] | None = None,
    ) -> types.PublishDiagnosticsParams:
        """Wait for a publication for `uri` (of `version`) received after index `after`."""

        async def find() -> types.PublishDiagnosticsParams:
            seen = after
            while True:
                for params in self.all[seen:]:
                    if (
                        params.uri == uri
                        and (version is None or params.version == version)
                        and (until is None or until(params))
                    ):
                        return params
                seen = len(self.all)
                self.changed.clear()
                await self.changed.wait()

        return await asyncio.wait_for(find(), WAIT_SECONDS)

    def count(self) -> int:
        """How many publications so far (pass as `after` to wait for a newer one)."""
        return len(self.all)


class WishClient(LanguageClient):
    """The pytest-lsp client with a log of published diagnostics and document helpers."""

    published: Published
    profile: str
    root: Path
    versions: dict[str, int]
    registrations: list[types.Registration]
    lens_refreshes: int
    """How many `workspace/codeLens/refresh` requests the server sent."""
    lens_refreshed: asyncio.Event
    diagnostic_refreshes: int
    """How many `workspace/diagnostic/refresh` requests the server sent."""
    diagnostic_refreshed: asyncio.Event
    plan_updates: list[Any]
    """Every `wishcraft/planUpdated` notification, once `follow_plan_updates` was called."""
    plan_updated: asyncio.Event
    server_capabilities: types.ServerCapabilities
    """What the server offered at initialize (set by `big_workspace.start_on`)."""

    def follow_plan_updates(self) -> None:
        """Record the server's `wishcraft/planUpdated` notifications in `plan_updates`."""
        self.plan_updates = []
        self.plan_updated = asyncio.Event()

        def plan_updated(params: Any) -> None:
            self.plan_updates.append(params)
            self.plan_updated.set()

        # pygls' client-side `feature` is untyped: called, not used as a decorator.
        self.feature(NOTIFICATION_PLAN_UPDATED)(plan_updated)

    def uri(self, relative: str) -> str:
        """The uri of a file in this module's workspace copy."""
        uri = from_fs_path(str(self.root / relative))
        assert isinstance(uri, str)
        return uri

    async def open(self, relative: str, text: str) -> types.PublishDiagnosticsParams:
        """Open a document and wait for its first diagnostics."""
        uri = self.uri(relative)
        self.versions[uri] = 1
        after = self.published.count()
        self.text_document_did_open(
            types.DidOpenTextDocumentParams(
                text_document=types.TextDocumentItem(
                    uri=uri, language_id="yaml", version=1, text=text
                )
            )
        )
        return await self.published.wait(uri, version=1, after=after)

    def change(self, relative: str, text: str, edit_range: types.Range | None = None) -> int:
        """Send one edit (whole text, or `text` replacing `edit_range`); return the version."""
        uri = self.uri(relative)
        self.versions[uri] += 1
        change: Any = (
            types.TextDocumentContentChangeWholeDocument(text=text)
            if edit_range is None
            else types.TextDocumentContentChangePartial(range=edit_range, text=text)
        )
        self.text_document_did_change(
            types.DidChangeTextDocumentParams(
                text_document=types.VersionedTextDocumentIdentifier(
                    uri=uri, version=self.versions[uri]
                ),
                content_changes=[change],
            )
        )
        return self.versions[uri]

    def close(self, relative: str) -> None:
        """Close a document."""
        self.text_document_did_close(
            types.DidCloseTextDocumentParams(
                text_document=types.TextDocumentIdentifier(uri=self.uri(relative))
            )
        )


def make_client() -> WishClient:
    """A pytest-lsp client that records every diagnostics publication."""
    client = WishClient(converter_factory=_converter)
    client.published = Published()
    client.versions = {}
    client.registrations = []
    client.lens_refreshes = 0
    client.lens_refreshed = asyncio.Event()
    client.diagnostic_refreshes = 0
    client.diagnostic_refreshed = asyncio.Event()

    def publish(ls: WishClient, params: types.PublishDiagnosticsParams) -> None:
        ls.diagnostics[params.uri] = params.diagnostics
        ls.published.add(params)

    def register_capability(ls: WishClient, params: types.RegistrationParams) -> None:
        ls.registrations.extend(params.registrations)

    def code_lens_refresh(ls: WishClient, params: None) -> None:
        ls.lens_refreshes += 1
        ls.lens_refreshed.set()

    def diagnostic_refresh(ls: WishClient, params: None) -> None:
        ls.diagnostic_refreshes += 1
        ls.diagnostic_refreshed.set()

    features = {
        **DEFAULT_CLIENT_FEATURES,
        types.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS: publish,
        types.CLIENT_REGISTER_CAPABILITY: register_capability,
        types.WORKSPACE_CODE_LENS_REFRESH: code_lens_refresh,
        types.WORKSPACE_DIAGNOSTIC_REFRESH: diagnostic_refresh,
    }
    register_lsp_features(client, features)
    return client


async def start_wish_client(config: ClientServerConfig) -> WishClient:
    """Start the server `config` names, with a `make_client` client (typed: pytest-lsp's
    `start` answers its base client class)."""
    client = await config.start()
    assert isinstance(client, WishClient), "the config's client_factory is not make_client"
    return client


Fixture = TypeVar("Fixture", bound=Callable[..., Any])


def lsp_fixture(*, config: ClientServerConfig, **kwargs: Any) -> Callable[[Fixture], Fixture]:
    """`pytest_lsp.fixture`, typed: pytest-lsp declares no return type, which strict mypy
    reports on every fixture it decorates. The arguments are pytest-lsp's (and pytest's)."""
    decorator: Callable[[Fixture], Fixture] = pytest_lsp.fixture(config=config, **kwargs)
    return decorator
