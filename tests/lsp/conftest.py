"""End-to-end fixtures: one server per client profile for each test module.

Starting a server costs about half a second, so each test module gets one server per profile
and a fresh copy of `workspace/`; each test opens documents under its own names.
"""

from __future__ import annotations

import shutil
from typing import Any

import pytest
from lsprotocol import types
from pygls.uris import from_fs_path
from pytest_lsp import ClientServerConfig, client_capabilities

from testkit.lsp_client import PROFILES, SERVER, WORKSPACE, WishClient, lsp_fixture, make_client


@lsp_fixture(
    config=ClientServerConfig(server_command=SERVER, client_factory=make_client),
    params=list(PROFILES),
    scope="module",
)
async def client(
    lsp_client: WishClient, request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Any:
    """A server started for one client profile, on a fresh copy of the test workspace."""
    root = tmp_path_factory.mktemp(f"workspace-{request.param}")
    shutil.copytree(WORKSPACE, root, dirs_exist_ok=True)
    lsp_client.profile = request.param
    lsp_client.root = root
    lsp_client.set_configuration({"diagnostics": {"debounceMs": 10}}, section="wishcraft")
    capabilities = client_capabilities(PROFILES[request.param])
    await lsp_client.initialize_session(
        types.InitializeParams(
            capabilities=capabilities,
            root_uri=from_fs_path(str(root)),
            workspace_folders=[
                types.WorkspaceFolder(uri=from_fs_path(str(root)) or "", name="workspace")
            ],
        )
    )
    yield
    await lsp_client.shutdown_session()
