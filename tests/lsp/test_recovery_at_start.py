"""The language server's start finishes an apply a killed process left half-made, and says so.

A real apply is SIGKILLed between two renames (`testkit.crash`); the server is then started on
that workspace. Before it does anything else (`initialized`) the tree is all-old again, no
temporary is left, the ledger holds the change's `failed` line, and a window message says
what was recovered, as `wishcraft recover` would.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from testkit.crash import LEDGER, kill_apply, workspace
from testkit.lsp_planning import start_client, wait_for_message
from testkit.trees import snapshot
from wishcraft.ledger import read_entries
from wishcraft.undo_state import state_dir_for


@pytest.mark.parametrize("profile", ["vscode", "neovim"])
async def test_the_server_recovers_a_killed_apply_when_it_starts(
    tmp_path: Path, profile: str
) -> None:
    root = workspace(tmp_path / "ws")
    before = {path: entry for path, entry in snapshot(root).items() if not path.startswith(".git")}
    kill_apply(root, "rename2")
    client = await start_client(profile, root, dict(os.environ))
    try:
        message = await wait_for_message(client, "Recovered an interrupted change")
        assert "was rolled back" in message.message and str(root) in message.message
        after = {
            path: entry
            for path, entry in snapshot(root).items()
            if not path.startswith((".git", "data"))
        }
        assert after == before
        assert not [path for path in after if path.endswith(".tmp")]
        assert not list((state_dir_for(root) / "journal").glob("*.json"))
        entries = [entry for _, entry in read_entries(root / LEDGER)[0]]
        assert [entry.outcome for entry in entries] == ["pending", "failed"]
    finally:
        await client.shutdown_session()
