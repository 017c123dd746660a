"""End-to-end fixtures: a server per client profile, for one test module or for the session.

Starting a server costs about half a second (several under load). A module that changes the
server's state (its settings, the files it watches, a plan or an apply) gets its own server per
profile, `client`, on a fresh copy of `workspace/`. A module that only opens documents under
its own names and asks about them shares one server per profile for the whole session, as
esbonio's tests do: it declares

    pytestmark = pytest.mark.asyncio(loop_scope="session")

    @pytest.fixture
    def client(shared_client: WishClient) -> WishClient:
        return shared_client

A module whose features must hold on a whole workspace (issue 25: formatting, selection,
anchors, links, inlay hints, semantic tokens, quick fixes, relative paths) takes `big_client`
instead: the same test workspace with 2,000 generated wishes beside it, indexed by the server
before the first test, so every answer is given with the full index loaded:

    @pytest.fixture
    def client(big_client: WishClient) -> WishClient:
        return big_client

Either way each test opens documents under its own names (a prefix per module: `d-`, `p-`,
`s-`, `h-`, ...), so tests never read each other's documents.
"""

from __future__ import annotations

import asyncio
import shutil
from typing import Any

import pytest
from lsprotocol import types
from pygls.uris import from_fs_path
from pytest_lsp import ClientServerConfig, client_capabilities

from testkit.big_workspace import build_workspace
from testkit.lsp_client import PROFILES, SERVER, WORKSPACE, WishClient, lsp_fixture, make_client

CONFIG = ClientServerConfig(server_command=SERVER, client_factory=make_client)
BIG_WISHES = 2_000
INDEX_SECONDS = 60.0
"""The longest the big workspace's index may take to build (about 0.3 s when idle)."""


async def start(
    lsp_client: WishClient,
    profile: str,
    tmp_path_factory: pytest.TempPathFactory,
    generated_wishes: int = 0,
) -> None:
    """Initialize `lsp_client`'s server for `profile` on a fresh copy of the test workspace,
    with `generated_wishes` generated wishes beside its own (`testkit.big_workspace`)."""
    root = tmp_path_factory.mktemp(f"workspace-{profile}")
    shutil.copytree(WORKSPACE, root, dirs_exist_ok=True)
    if generated_wishes:
        await asyncio.to_thread(build_workspace, root, generated_wishes)
    lsp_client.profile = profile
    lsp_client.root = root
    lsp_client.set_configuration({"diagnostics": {"debounceMs": 10}}, section="wishcraft")
    capabilities = client_capabilities(PROFILES[profile])
    await lsp_client.initialize_session(
        types.InitializeParams(
            capabilities=capabilities,
            root_uri=from_fs_path(str(root)),
            workspace_folders=[
                types.WorkspaceFolder(uri=from_fs_path(str(root)) or "", name="workspace")
            ],
        )
    )


@lsp_fixture(config=CONFIG, params=list(PROFILES), scope="module")
async def client(
    lsp_client: WishClient, request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Any:
    """A server started for one client profile and one test module."""
    await start(lsp_client, request.param, tmp_path_factory)
    yield
    await lsp_client.shutdown_session()


@lsp_fixture(config=CONFIG, params=list(PROFILES), scope="module")
async def big_client(
    lsp_client: WishClient, request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Any:
    """A server for one client profile and one test module, on the test workspace with 2,000
    generated wishes, its index built before the first test."""
    await start(lsp_client, request.param, tmp_path_factory, generated_wishes=BIG_WISHES)
    await index_ready(lsp_client)
    yield
    await lsp_client.shutdown_session()


@lsp_fixture(config=CONFIG, params=list(PROFILES), scope="session")
async def shared_client(
    lsp_client: WishClient, request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Any:
    """A server started for one client profile, shared by the read-only modules."""
    await start(lsp_client, request.param, tmp_path_factory)
    yield
    await lsp_client.shutdown_session()


async def index_ready(client: WishClient) -> None:
    """Wait until the server's "Indexing wishes" progress has ended (every file indexed)."""

    def ended() -> bool:
        return any(
            getattr(values[0], "title", None) == "Indexing wishes"
            and getattr(values[-1], "kind", None) == "end"
            for values in client.progress_reports.values()
            if values
        )

    async def wait() -> None:
        while not ended():
            await client.wait_for_notification("$/progress")

    await asyncio.wait_for(wait(), INDEX_SECONDS)
