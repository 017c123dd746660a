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

Either way each test opens documents under its own names (a prefix per module: `d-`, `p-`,
`s-`, `h-`, ...), so tests never read each other's documents.
"""

from __future__ import annotations

import shutil
from typing import Any

import pytest
from lsprotocol import types
from pygls.uris import from_fs_path
from pytest_lsp import ClientServerConfig, client_capabilities

from testkit.lsp_client import PROFILES, SERVER, WORKSPACE, WishClient, lsp_fixture, make_client

CONFIG = ClientServerConfig(server_command=SERVER, client_factory=make_client)


async def start(
    lsp_client: WishClient, profile: str, tmp_path_factory: pytest.TempPathFactory
) -> None:
    """Initialize `lsp_client`'s server for `profile` on a fresh copy of the test workspace."""
    root = tmp_path_factory.mktemp(f"workspace-{profile}")
    shutil.copytree(WORKSPACE, root, dirs_exist_ok=True)
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


@lsp_fixture(config=CONFIG, params=list(PROFILES), scope="session")
async def shared_client(
    lsp_client: WishClient, request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Any:
    """A server started for one client profile, shared by the read-only modules."""
    await start(lsp_client, request.param, tmp_path_factory)
    yield
    await lsp_client.shutdown_session()
