"""A fast cold start: what the server imports before a wish's first diagnostics, and after.

Every module imported before the first diagnostics delays them in each new editor window, so
the planning stack (the plan runner, the conduit's HTTP client, httpx) and the plan artifact's
models load on the first plan, and the settings and lint-config models build their validators
only when there is something to validate. These tests check that without timing anything: a
fresh interpreter says which modules it loaded, and the real server, run over stdio, records
each module it imports (a Python audit hook writing to a file) while an editor opens a wish,
asks for its code actions, and then plans it.
"""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import subprocess
import sys
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
import pytest_asyncio
from lsprotocol import types
from pygls.uris import from_fs_path
from pytest_lsp import ClientServerConfig, client_capabilities

from testkit.lsp_client import (
    PROFILES,
    VALID_WISH,
    WAIT_SECONDS,
    WORKSPACE,
    WishClient,
    make_client,
    start_wish_client,
)
from wishcraft.lint.config import LintConfig, default_lint_config
from wishcraft.names import COMMAND_PLAN_WISH

PLANNING_STACK = (
    "httpx",
    "wishcraft.lsp.plan_runner",
    "wishcraft.conduit.client",
    "wishcraft.plan.pipeline",
    "wishcraft.plan.artifact",
)
"""Modules only a plan (or a saved plan) needs."""

RECORD_IMPORTS = """
import runpy, sys
record = open(sys.argv[1], "a", encoding="utf-8", buffering=1)
sys.addaudithook(lambda event, args: record.write(args[0] + "\\n") if event == "import" else None)
sys.argv = ["wishcraft-lsp", *sys.argv[2:]]
runpy.run_module("wishcraft.lsp", run_name="__main__", alter_sys=True)
"""
"""Run the server as `wishcraft-lsp` does, writing the name of each module it first imports to
the file named by the first argument (the `import` audit event fires once per module)."""


def test_starting_the_server_loads_neither_the_planning_stack_nor_config_validators() -> None:
    probe = """
import json, sys
from pathlib import Path
import wishcraft.lsp.__main__
from wishcraft.lsp.app import create_server
from wishcraft.lint.config import LintConfig
from wishcraft.lsp.settings import Settings
server = create_server()
server.apply_settings(None)  # a client that sends no settings
server.project.lint_config_for(Path("/nowhere/a.wish.yaml"))  # no wishcraft.toml: the defaults
print(json.dumps({"modules": sorted(sys.modules),
                  "built": {"LintConfig": LintConfig.__pydantic_complete__,
                            "Settings": Settings.__pydantic_complete__}}))
"""
    result = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True, timeout=60
    )
    loaded = json.loads(result.stdout)
    assert "wishcraft.lint.engine" in loaded["modules"]  # the probe sees real imports
    assert [name for name in PLANNING_STACK if name in loaded["modules"]] == []
    assert loaded["built"] == {"LintConfig": False, "Settings": False}


def test_the_default_lint_config_made_without_validation_is_a_valid_one() -> None:
    defaults = default_lint_config()
    assert LintConfig.model_validate(defaults.model_dump(by_alias=True)) == defaults
    assert LintConfig() == defaults
    assert default_lint_config() is defaults  # one object: cached analyses compare identity


@pytest_asyncio.fixture(loop_scope="module")
async def recorded(
    tmp_path_factory: pytest.TempPathFactory,
) -> AsyncIterator[tuple[WishClient, Path]]:
    """A VS Code-like client on a server that records its imports, with no Codex login (so
    a plan is the offline shadow run). One server per test: a test reads what that process
    imported, which another test's plan would change."""
    root = tmp_path_factory.mktemp("startup")
    shutil.copytree(WORKSPACE, root, dirs_exist_ok=True)
    record = tmp_path_factory.mktemp("imports") / "imports.txt"
    env = {
        **os.environ,
        "CODEX_HOME": str(tmp_path_factory.mktemp("codex-home-empty")),
        "CHATGPT_BASE_URL": "http://127.0.0.1:9/backend-api/codex",
    }
    config = ClientServerConfig(
        server_command=[sys.executable, "-c", RECORD_IMPORTS, str(record)],
        client_factory=make_client,
        server_env=env,
    )
    client = await start_wish_client(config)
    client.profile, client.root = "vscode", root
    client.set_configuration({"diagnostics": {"debounceMs": 10}}, section="wishcraft")
    await client.initialize_session(
        types.InitializeParams(
            capabilities=client_capabilities(PROFILES["vscode"]),
            root_uri=from_fs_path(str(root)),
            workspace_folders=[
                types.WorkspaceFolder(uri=from_fs_path(str(root)) or "", name="workspace")
            ],
        )
    )
    yield client, record
    await client.shutdown_session()


def imported(record: Path) -> set[str]:
    """The modules the server has imported so far."""
    return set(record.read_text(encoding="utf-8").split())


@pytest.mark.asyncio(loop_scope="module")
async def test_the_first_diagnostics_and_code_actions_do_not_load_the_planning_stack(
    recorded: tuple[WishClient, Path],
) -> None:
    client, record = recorded
    name = "data/wishes/startup.wish.yaml"
    published = await client.open(name, VALID_WISH)
    assert published.version == 1
    actions = await client.text_document_code_action_async(
        types.CodeActionParams(
            text_document=types.TextDocumentIdentifier(uri=client.uri(name)),
            range=types.Range(
                start=types.Position(line=3, character=0), end=types.Position(line=3, character=0)
            ),
            context=types.CodeActionContext(diagnostics=[]),
        )
    )
    assert "Plan this wish" in [action.title for action in actions or []]
    loaded = await asyncio.to_thread(imported, record)
    assert {"wishcraft.lsp.server", "wishcraft.lint.engine"} <= loaded
    assert [module for module in PLANNING_STACK if module in loaded] == []


@pytest.mark.asyncio(loop_scope="module")
async def test_planning_loads_the_planning_stack_and_the_plan_is_written(
    recorded: tuple[WishClient, Path],
) -> None:
    client, record = recorded
    name = "data/wishes/startup-plan.wish.yaml"
    await client.open(name, VALID_WISH)
    result = await client.workspace_execute_command_async(
        types.ExecuteCommandParams(command=COMMAND_PLAN_WISH, arguments=[client.uri(name)])
    )
    assert isinstance(result, dict), result
    assert result["started"] is True
    plan = client.root / "data/wishes/startup-plan.wish.plan.md"

    async def written() -> None:
        while not plan.is_file() or "# Plan: " not in plan.read_text(encoding="utf-8"):
            await client.wait_for_notification("$/progress")

    await asyncio.wait_for(written(), WAIT_SECONDS)
    loaded = await asyncio.to_thread(imported, record)
    assert {"wishcraft.lsp.plan_runner", "wishcraft.conduit.client"} <= loaded
