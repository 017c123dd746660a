"""The court and the ledger in the editor, under both client profiles: "Plan this wish" disabled
with the gate's sentence, the code lens with the calls left before and after a plan, the hover
on a conduit id with its latest ledger lines, and the limits counted across `wishcraft plan` (a
subprocess) and the running language server sharing one ledger.

The server runs as a subprocess with a fake Codex login and talks to a loopback Codex server;
each test has its own copy of the test workspace (not a git repository).
"""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import subprocess
import sys
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import pytest
import pytest_asyncio
from lsprotocol import types
from pytest_lsp import client_capabilities

from testkit.codex_home import write_codex_home
from testkit.loopback import LoopbackCodex, sse, success_transcript
from testkit.lsp_client import PROFILES, VALID_WISH, WAIT_SECONDS, WORKSPACE, WishClient
from testkit.lsp_planning import (
    plan_actions,
    start_client,
    supports_progress,
    wait_for_message,
    wait_for_progress_end,
)
from testkit.samples import SAMPLE_PLAN, chunks
from wishcraft.ledger.counting import RULE as COUNTING_RULE
from wishcraft.names import COMMAND_PLAN_WISH

pytestmark = pytest.mark.asyncio(loop_scope="module")

PLANNER = "openai.codex.v2025.plan"
PLANNER_LINE = VALID_WISH.splitlines().index(f'  - "{PLANNER}"')
UNBOUND_WISH = VALID_WISH.replace(f'  - "{PLANNER}"\n', "")
BINDING_REFUSAL = (
    f"The wish does not name `{PLANNER}` in `tools`; add it to `tools` to allow this call."
)


@pytest.fixture(scope="module")
def codex() -> Iterator[LoopbackCodex]:
    with LoopbackCodex() as server:
        yield server


@pytest.fixture(autouse=True)
def fresh_script(codex: LoopbackCodex) -> None:
    codex.clear()


def environment(codex: LoopbackCodex, tmp: Path) -> dict[str, str]:
    home = write_codex_home(tmp / "codex-home")
    return {
        **os.environ,
        "CODEX_HOME": str(home),
        "CHATGPT_BASE_URL": codex.base_url,
        "CODEX_REFRESH_TOKEN_URL_OVERRIDE": codex.refresh_url,
        "XDG_CACHE_HOME": str(tmp / "cache"),
    }


@pytest_asyncio.fixture(loop_scope="module", params=["vscode", "neovim"])
async def client(
    request: pytest.FixtureRequest, codex: LoopbackCodex, tmp_path: Path
) -> AsyncIterator[WishClient]:
    """A server with a Codex login on a fresh copy of the workspace whose planner may be
    called twice per wish."""
    root = tmp_path / "ws"
    shutil.copytree(WORKSPACE, root)
    registry = root / "data" / "conduits" / "registry.yaml"
    text = registry.read_text(encoding="utf-8")
    assert "    per_wish_calls: 10\n" in text
    registry.write_text(
        text.replace("    per_wish_calls: 10\n", "    per_wish_calls: 2\n", 1), encoding="utf-8"
    )
    env = environment(codex, tmp_path)
    started = await start_client(str(request.param), root, env)
    started.env = env  # type: ignore[attr-defined]
    yield started
    codex.release_stalls()
    await started.shutdown_session()


def ledger_lines(client: WishClient) -> list[dict[str, Any]]:
    path = client.root / "data" / "ledger" / "wishes.jsonl"
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


async def lens_titles(client: WishClient, name: str) -> list[str]:
    lenses = await client.text_document_code_lens_async(
        types.CodeLensParams(text_document=types.TextDocumentIdentifier(uri=client.uri(name)))
    )
    return [lens.command.title for lens in lenses or [] if lens.command is not None]


async def hover_text(client: WishClient, name: str, line: int, character: int) -> str:
    hover = await client.text_document_hover_async(
        types.HoverParams(
            text_document=types.TextDocumentIdentifier(uri=client.uri(name)),
            position=types.Position(line=line, character=character),
        )
    )
    assert hover is not None and isinstance(hover.contents, types.MarkupContent)
    return hover.contents.value


async def plan_action(client: WishClient, name: str) -> types.CodeAction:
    (action,) = [
        action
        for action in await plan_actions(client, name)
        if action.title.startswith("Plan this wish")
    ]
    return action


async def execute(client: WishClient, name: str) -> dict[str, Any]:
    result = await client.workspace_execute_command_async(
        types.ExecuteCommandParams(command=COMMAND_PLAN_WISH, arguments=[client.uri(name)])
    )
    assert isinstance(result, dict), result
    return result


async def plan_live(client: WishClient, codex: LoopbackCodex, name: str) -> None:
    """Plan `name` in the editor against the loopback server, and wait for the end."""
    refreshes = client.lens_refreshes
    client.lens_refreshed.clear()
    codex.enqueue("responses", sse(success_transcript(chunks(SAMPLE_PLAN))))
    result = await execute(client, name)
    assert result["started"] is True, result
    if supports_progress(client):
        values = await wait_for_progress_end(client, result["token"])
        assert isinstance(values[-1], types.WorkDoneProgressEnd)
        assert values[-1].message and "gpt-6.1-sol" in values[-1].message
    else:
        await wait_for_message(client, "gpt-6.1-sol")
    if supports_lens_refresh(client):
        # The server asks for the lenses again once the ledger line is written.
        await asyncio.wait_for(client.lens_refreshed.wait(), WAIT_SECONDS)
        assert client.lens_refreshes > refreshes
    else:
        assert client.lens_refreshes == refreshes  # never sent to a client that cannot take it


def supports_lens_refresh(client: WishClient) -> bool:
    """Whether the client's profile can be asked to refresh its code lenses."""
    workspace = client_capabilities(PROFILES[client.profile]).workspace
    return bool(workspace and workspace.code_lens and workspace.code_lens.refresh_support)


def assert_audited(line: dict[str, Any], wish: str, artifact: dict[str, Any]) -> None:
    assert (line["conduit"], line["action"], line["mode"], line["outcome"]) == (
        PLANNER,
        "plan",
        "commit",
        "complete",
    )
    assert line["wish"] == wish and line["author_id"] == "player-4821"
    assert line["prompt_hash"] == artifact["prompt_hash"] and len(line["prompt_hash"]) == 64
    assert (line["model"], line["tokens_used"]) == ("gpt-6.1-sol", 4446)
    assert line["wish_hash"] == artifact["wish_hash"]
    assert (line["request_id"], line["cf_ray"]) == ("req_loopback_0001", "8f0a1b2c3d4e5f60-LHR")


async def test_plan_is_disabled_with_the_gates_reason_and_refused_when_run(
    client: WishClient, codex: LoopbackCodex
) -> None:
    name = "data/wishes/unbound.wish.yaml"
    sent = len(codex.requests)
    await client.open(name, UNBOUND_WISH)
    action = await plan_action(client, name)
    if client.profile == "vscode":  # shows disabled actions
        assert action.disabled is not None and action.disabled.reason == BINDING_REFUSAL
        assert action.title == "Plan this wish"
    else:
        assert action.disabled is None
        assert action.title == f"Plan this wish (warning: {BINDING_REFUSAL.rstrip('.')})"
    (court,) = await lens_titles(client, name)  # no calls left: it does not bind the planner
    assert court.startswith("Court ")
    result = await execute(client, name)
    assert result == {"started": False, "reason": BINDING_REFUSAL, "shown": True}
    shown = await wait_for_message(client, BINDING_REFUSAL)
    assert shown.type == types.MessageType.Warning
    assert len(codex.requests) == sent  # nothing left the machine
    (line,) = ledger_lines(client)
    assert (line["outcome"], line["reason"], line["wish"], line["mode"]) == (
        "refused",
        BINDING_REFUSAL,
        name,
        "commit",
    )


async def test_code_lens_and_hover_show_the_calls_left_before_and_after_a_plan(
    client: WishClient, codex: LoopbackCodex
) -> None:
    name = "data/wishes/lens.wish.yaml"
    await client.open(name, VALID_WISH)
    court, calls = await lens_titles(client, name)
    assert court.startswith("Court C 75") and calls == "plan 2/2 · today 200/200"
    before = await hover_text(client, name, PLANNER_LINE, 8)
    assert "**Calls left** · plan 2/2 · today 200/200" in before
    assert COUNTING_RULE in before  # the rule, where the calls left are shown
    assert f"no call of `{PLANNER}` yet" in before
    action = await plan_action(client, name)
    assert action.disabled is None and action.title == "Plan this wish"

    await plan_live(client, codex, name)
    assert (await lens_titles(client, name))[1] == "plan 1/2 · today 199/200"
    after = await hover_text(client, name, PLANNER_LINE, 8)
    assert "**Calls left** · plan 1/2 · today 199/200" in after
    assert f"the last call of `{PLANNER}`" in after
    (recent,) = [row for row in after.splitlines() if row.startswith("- ")]
    assert recent.endswith(f"· plan · commit · complete · gpt-6.1-sol · 4,446 tokens · `{name}`")
    artifact = json.loads((client.root / "data/wishes/lens.wish.plan.json").read_text())
    (line,) = ledger_lines(client)
    assert_audited(line, name, artifact)
    assert line["counted"] is True


async def test_limits_are_counted_across_the_cli_and_the_running_server(
    client: WishClient, codex: LoopbackCodex
) -> None:
    name = "data/wishes/shared.wish.yaml"
    wish = client.root / name
    wish.write_text(VALID_WISH, encoding="utf-8")  # on disk too, for the CLI
    sent = len(codex.route_requests("responses"))  # the server is shared by the module
    await client.open(name, VALID_WISH)
    env: dict[str, str] = client.env  # type: ignore[attr-defined]

    def cli_plan() -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "wishcraft.cli", "plan", "-q", str(wish)],
            env=env,
            capture_output=True,
            text=True,
            timeout=60,
        )

    codex.enqueue("responses", sse(success_transcript(chunks(SAMPLE_PLAN))))
    first = await asyncio.to_thread(cli_plan)
    assert first.returncode == 0, first.stderr
    # The server sees the CLI's line at the next request: the counts are read fresh.
    assert (await lens_titles(client, name))[1] == "plan 1/2 · today 199/200"

    await plan_live(client, codex, name)
    assert (await lens_titles(client, name))[1] == "plan 0/2 · today 198/200 · limit reached"
    # The editor names the registry relative to the workspace folder, the CLI by its path.
    reason, cli_reason = (
        f"This wish has used all 2 of its `{PLANNER}` calls (`per_wish_calls`); write a "
        f"new wish or raise the limit in {registry}."
        for registry in ("data/conduits/registry.yaml", client.root / "data/conduits/registry.yaml")
    )
    action = await plan_action(client, name)
    if client.profile == "vscode":
        assert action.disabled is not None and action.disabled.reason == reason
    else:
        assert action.title == f"Plan this wish (warning: {reason.rstrip('.')})"

    refused = await asyncio.to_thread(cli_plan)
    assert refused.returncode == 3 and f"refused by the court: {cli_reason}" in refused.stderr
    result = await execute(client, name)
    assert result == {"started": False, "reason": reason, "shown": True}
    assert len(codex.route_requests("responses")) - sent == 2  # the refused calls never left

    lines = ledger_lines(client)
    assert [(line["outcome"], line["mode"], line["wish"]) for line in lines] == [
        ("complete", "commit", name),
        ("complete", "commit", name),
        ("refused", "commit", name),
        ("refused", "commit", name),
    ]
    artifact = json.loads((client.root / "data/wishes/shared.wish.plan.json").read_text())
    assert_audited(lines[1], name, artifact)  # the editor's plan wrote the artifact last
    verified = await asyncio.to_thread(
        subprocess.run,
        [
            sys.executable,
            "-m",
            "wishcraft.cli",
            "ledger",
            "verify",
            "--ledger",
            str(client.root / "data/ledger/wishes.jsonl"),
        ],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert verified.returncode == 0 and "the chain of 4 entries verifies" in verified.stdout


async def test_a_torn_last_line_is_said_once_and_the_plan_still_recorded(
    client: WishClient, codex: LoopbackCodex
) -> None:
    name = "data/wishes/torn.wish.yaml"
    ledger = client.root / "data" / "ledger" / "wishes.jsonl"
    ledger.parent.mkdir(parents=True)
    ledger.write_bytes(b'{"v":1,"conduit":"openai.codex.v2')  # a crash mid-append
    await client.open(name, VALID_WISH)
    await plan_live(client, codex, name)
    shown = await wait_for_message(client, "torn write")
    assert shown.type == types.MessageType.Warning
    assert shown.message == (
        f"{ledger}: the end (byte 0) is a torn write of 33 bytes (a crash "
        "mid-append); it is skipped and kept as it is."
    )
    assert [m.message for m in client.messages].count(shown.message) == 1
    raw = ledger.read_text(encoding="utf-8").splitlines()
    assert raw[0] == '{"v":1,"conduit":"openai.codex.v2'  # kept as it was
    line = json.loads(raw[1])
    assert line["outcome"] == "complete" and line["prev"] == "0" * 64


async def test_a_symlinked_ledger_disables_plan_and_refuses_it_with_the_same_sentence(
    client: WishClient, codex: LoopbackCodex, tmp_path: Path
) -> None:
    """Issue 18: a ledger reached through a symbolic link is never written; the plan is
    refused before anything is sent, with one sentence, in the action and the message."""
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "victim").write_bytes(b"#!/bin/sh\n")
    folder = client.root / "data" / "ledger"
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "wishes.jsonl").symlink_to(outside / "victim")
    refusal = (
        "The ledger data/ledger/wishes.jsonl is a symbolic link, but a ledger is only ever a "
        "regular file reached without symbolic links; remove data/ledger/wishes.jsonl "
        "(wishcraft creates it) or set `[ledger] path` in data/config/wishcraft.toml to "
        "another file inside the repository."
    )
    name = "data/wishes/linked.wish.yaml"
    sent = len(codex.requests)
    await client.open(name, VALID_WISH)
    action = await plan_action(client, name)
    if client.profile == "vscode":
        assert action.disabled is not None and action.disabled.reason == refusal
    result = await execute(client, name)
    assert result == {"started": False, "reason": refusal, "shown": True}
    shown = await wait_for_message(client, refusal)
    assert shown.type == types.MessageType.Warning
    assert len(codex.requests) == sent  # 0 requests reached the loopback server
    assert (outside / "victim").read_bytes() == b"#!/bin/sh\n"
    assert sorted(path.name for path in outside.iterdir()) == ["victim"]
