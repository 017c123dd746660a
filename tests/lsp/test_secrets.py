"""No token of the Codex login ever leaves the process: every path, every output, scanned.

The language server (DEBUG log on) and `wishcraft plan` (as subprocesses, `-v`) run every path
against the loopback Codex server: success, a refresh, each fault (HTTP errors, a failed
response, a cut or reset stream, a redirect, a refused refresh, an overflowing line) and
cancellation. The server is hostile on purpose: it echoes the tokens into error bodies (placed
across the points where messages are cut), headers, event messages and the answer itself.
Then everything produced is scanned for every token: the server's stderr, each showMessage
and logMessage, each progress value, planUpdated notification and diagnostics publication,
every file in the workspace, and the CLI's stdout, stderr and artifacts. Fragments of 16
characters are searched too, so a token cut in half is found. The wishes carry hostile titles
(`../../etc/passwd`, NUL, 3,000 characters, …): their plans must land next to them.
"""

from __future__ import annotations

import asyncio
import json
import os
import secrets as random_secrets
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from lsprotocol import types
from pygls.uris import from_fs_path
from pytest_lsp import ClientServerConfig, client_capabilities

from testkit.codex_home import write_codex_home
from testkit.loopback import (
    LoopbackCodex,
    Response,
    failed_transcript,
    frame,
    json_response,
    redirect,
    reset,
    sse,
    stream,
    success_transcript,
)
from testkit.lsp_client import (
    PROFILES,
    VALID_WISH,
    WAIT_SECONDS,
    WORKSPACE,
    WishClient,
    make_client,
    start_wish_client,
)
from testkit.lsp_planning import wait_for_progress_end
from testkit.signals import interruptible

STARTUP_SECONDS = 60.0
"""How long the CLI subprocesses, started side by side, may take to reach the server."""
FRAGMENT = 16
"""Scan for every 16-character piece of a token (every 8 characters), not just the whole."""
TITLES = [
    "../../etc/passwd",
    "a/b\\c\\d",
    "nul\x00byte",
    "..",
    "x" * 3000,
    "CON",
    "\u202egnp.exe",
    "wish.plan.md",
]
PLAN = json.dumps({"steps": [{"title": "Survey the lighthouse", "detail": "d", "acceptance": "a"}]})


def opaque(label: str) -> str:
    """A token of no known shape: only the exact-value scrubbing can catch it."""
    return f"fake{label}{random_secrets.token_hex(12)}"


def login_secrets(home: Path) -> set[str]:
    tokens = json.loads((home / "auth.json").read_text())["tokens"]
    return {value for value in tokens.values() if isinstance(value, str) and value}


def pad_to(offset: int, *tokens: str) -> str:
    """The tokens, starting at `offset` characters: across the cuts at 200, 500 and 1,000."""
    return "x" * offset + " ".join(tokens)


@dataclass
class Ledger:
    """Every text produced, by name, and the tokens to look for."""

    texts: dict[str, str] = field(default_factory=dict)
    tokens: set[str] = field(default_factory=set)

    def add(self, name: str, text: str) -> None:
        self.texts[name] = text

    def fragments(self) -> set[str]:
        pieces = set(self.tokens)
        for token in self.tokens:
            pieces.update(token[i : i + FRAGMENT] for i in range(0, len(token) - FRAGMENT + 1, 8))
        return pieces

    def scan(self) -> tuple[int, list[str]]:
        fragments = self.fragments()
        hits = [
            f"{name}: {piece[:8]}… in …{text[max(0, text.find(piece) - 80) :][:160]!r}"
            for name, text in self.texts.items()
            for piece in fragments
            if piece in text
        ]
        return len(fragments) * len(self.texts), hits


def hostile_wish(title: str) -> str:
    return VALID_WISH.replace(
        'title: "Relight the Sunken Quarter lighthouse"', f"title: {json.dumps(title)}"
    )


def echoing_success(tokens: list[str]) -> Response:
    """A complete answer whose headers and text carry the tokens."""
    chunks = [PLAN[:20], f"\n{' '.join(tokens)}\n", PLAN[20:]]
    return sse(
        success_transcript(chunks),
        headers={
            "x-request-id": tokens[0],
            "cf-ray": tokens[-1],
            "openai-model": tokens[1],
            "x-codex-credits-balance": tokens[0],
        },
    )


def refreshed_tokens(ledger: Ledger) -> dict[str, str]:
    """What the token endpoint hands out (opaque tokens), added to the tokens to look for."""
    tokens = {
        "access_token": opaque("access"),
        "refresh_token": opaque("refresh"),
        "id_token": opaque("id"),
    }
    ledger.tokens |= set(tokens.values())
    return tokens


def scenario(
    name: str, tokens: list[str], elsewhere: LoopbackCodex, refreshed: dict[str, str]
) -> dict[str, list[Response]]:
    """The answers per route for one path; `tokens` are the login's current ones."""
    huge = [b"data: " + b"q" * (1024 * 1024)] * 10
    return dict(
        [
            ("success", {"responses": [sse(success_transcript([PLAN]))]}),
            (
                "refresh",
                {
                    "responses": [
                        json_response(401, {"error": {"message": "expired"}}),
                        sse(success_transcript([PLAN])),
                    ],
                    "refresh": [json_response(200, refreshed)],
                },
            ),
            ("echo-in-answer", {"responses": [echoing_success(tokens)]}),
            (
                "echo-400",
                {
                    "responses": [
                        json_response(
                            400,
                            {
                                "error": {"message": pad_to(185, *tokens)},
                                "detail": pad_to(990, *tokens),
                            },
                        )
                    ]
                },
            ),
            (
                "echo-500-then-403",
                {
                    "responses": [
                        json_response(500, {"error": {"message": pad_to(990, *tokens)}}),
                        json_response(
                            403,
                            {"error": {"message": pad_to(185, *tokens)}},
                            headers={"x-request-id": tokens[0]},
                        ),
                    ]
                },
            ),
            (
                "usage-limit",
                {
                    "responses": [
                        json_response(
                            429,
                            {
                                "error": {
                                    "type": "usage_limit_reached",
                                    "message": pad_to(10, *tokens),
                                    "plan_type": tokens[0],
                                    "resets_at": 4_102_444_800,
                                }
                            },
                        )
                    ]
                },
            ),
            (
                "failed",
                {
                    "responses": [
                        sse(failed_transcript("context_length_exceeded", pad_to(190, *tokens)))
                    ]
                },
            ),
            (
                "rate-limited-failure",
                {"responses": [sse(failed_transcript("server_error", pad_to(150, *tokens)))] * 3},
            ),
            ("cut", {"responses": [sse(success_transcript([PLAN[:30], PLAN[30:]]), cut_after=9)]}),
            ("reset", {"responses": [reset(), sse(success_transcript([PLAN]))]}),
            (
                "redirect",
                {
                    "responses": [
                        redirect(
                            302,
                            f"{elsewhere.base_url}/responses?"
                            f"token={tokens[0]}&account={tokens[-1]}",
                        )
                    ]
                },
            ),
            (
                "refresh-refused",
                {
                    "responses": [json_response(401, {"error": {"message": "x"}})],
                    "refresh": [
                        json_response(
                            401,
                            {
                                "error": {
                                    "code": "refresh_token_reused",
                                    "message": pad_to(480, *tokens),
                                }
                            },
                        )
                    ],
                },
            ),
            (
                "overflow",
                {
                    "responses": [
                        stream(
                            [
                                frame(
                                    "response.created",
                                    {"type": "response.created", "response": {"id": tokens[0]}},
                                ).encode(),
                                *huge,
                            ]
                        )
                    ]
                },
            ),
            (
                "cancel",
                {"responses": [sse(success_transcript([PLAN[:20], PLAN[20:]]), stall_after=9)]},
            ),
        ]
    )[name]


EDITOR_PATHS = [
    "success",
    "refresh",
    "echo-in-answer",
    "echo-400",
    "echo-500-then-403",
    "usage-limit",
    "failed",
    "rate-limited-failure",
    "cut",
    "reset",
    "redirect",
    "refresh-refused",
    "overflow",
    "cancel",
]
CLI_PATHS = {
    "echo-in-answer": 0,
    "refresh": 0,
    "echo-400": 1,
    "usage-limit": 1,
    "redirect": 1,
    "cut": 1,
    "refresh-refused": 1,
    "cancel": 1,
}
"""The CLI's paths and their exit status (`cancel` is Ctrl-C)."""


def server_command(log: Path) -> list[str]:
    """The server with its DEBUG log, stderr captured at the file descriptor."""
    return ["sh", "-c", f'exec "{sys.executable}" -m wishcraft.lsp --log-level DEBUG 2>>"{log}"']


async def start(root: Path, env: dict[str, str], log: Path) -> WishClient:
    config = ClientServerConfig(
        server_command=server_command(log), client_factory=make_client, server_env=env
    )
    client = await start_wish_client(config)
    client.profile, client.root = "vscode", root
    client.follow_plan_updates()

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
    return client


async def wait_for_writing(client: WishClient, token: str) -> None:
    """Wait until the plan's progress says text is arriving."""

    async def seen() -> None:
        while not any(
            "Writing the plan" in (getattr(value, "message", "") or "")
            for value in client.progress_reports.get(token, [])
        ):
            await client.wait_for_notification("$/progress")

    await asyncio.wait_for(seen(), WAIT_SECONDS)


def dump(value: Any) -> str:
    return json.dumps(value, default=lambda o: getattr(o, "__dict__", repr(o)), ensure_ascii=False)


async def run_editor(tmp: Path, ledger: Ledger) -> list[str]:
    """Every path through the language server; return the wish files it planned."""
    root = tmp / "editor" / "ws"
    shutil.copytree(WORKSPACE, root)
    home = write_codex_home(tmp / "editor" / "codex")
    log = tmp / "editor" / "server.stderr"
    wishes: list[str] = []
    with LoopbackCodex() as codex, LoopbackCodex() as elsewhere:
        env = {
            **os.environ,
            "CODEX_HOME": str(home),
            "CHATGPT_BASE_URL": codex.base_url,
            "CODEX_REFRESH_TOKEN_URL_OVERRIDE": codex.refresh_url,
        }
        client: WishClient = await start(root, env, log)
        try:
            ledger.tokens |= login_secrets(home)
            for number, name in enumerate(EDITOR_PATHS):
                codex.clear()
                tokens = sorted(login_secrets(home))
                script = scenario(name, tokens, elsewhere, refreshed_tokens(ledger))
                for route, answers in script.items():
                    codex.enqueue(route, *answers)
                before = len(codex.requests)
                wish = f"data/wishes/s{number:02d}-{name}.wish.yaml"
                wishes.append(wish)
                await client.open(wish, hostile_wish(TITLES[number % len(TITLES)]))
                result = await client.workspace_execute_command_async(
                    types.ExecuteCommandParams(
                        command="wishcraft.planWish", arguments=[client.uri(wish)]
                    )
                )
                assert isinstance(result, dict), result
                assert result["started"] is True, result
                ledger.add(f"editor {name}: executeCommand", dump(result))
                if name == "cancel":
                    await asyncio.to_thread(codex.wait_for_requests, before + 1)
                    await wait_for_writing(client, result["token"])
                    client.window_work_done_progress_cancel(
                        types.WorkDoneProgressCancelParams(token=result["token"])
                    )
                *_, end = await wait_for_progress_end(client, result["token"])
                assert end.message, name
                ledger.tokens |= login_secrets(home)
            codex.release_stalls()
            assert elsewhere.requests == []
        finally:
            await client.shutdown_session()
    for index, message in enumerate(client.messages):
        ledger.add(f"editor showMessage {index}", message.message)
    for index, entry in enumerate(client.log_messages):
        ledger.add(f"editor logMessage {index}", entry.message)
    for token, values in client.progress_reports.items():
        ledger.add(f"editor progress {token}", dump([v for v in values]))
    for index, update in enumerate(client.plan_updates):
        ledger.add(f"editor planUpdated {index}", dump(update))
    for index, published in enumerate(client.published.all):
        ledger.add(f"editor diagnostics {index}", dump(published))
    ledger.add("editor shown documents", dump(client.shown_documents))
    ledger.add("editor server stderr", log.read_text(errors="replace"))
    for path in sorted(root.rglob("*")):
        if path.is_file():
            ledger.add(f"editor file {path.relative_to(root)}", path.read_text(errors="replace"))
    for path in home.iterdir():
        if path.name not in ("auth.json", "auth.json.lock"):
            ledger.add(f"editor codex home {path.name}", path.read_text(errors="replace"))
    return wishes


@dataclass
class CliRun:
    """One `wishcraft plan` subprocess with its own server, login and workspace."""

    name: str
    folder: Path
    codex: LoopbackCodex
    process: subprocess.Popen[str] | None = None
    out: str = ""
    err: str = ""


def cli_runs(tmp: Path, stack: list[LoopbackCodex], ledger: Ledger) -> Iterator[CliRun]:
    elsewhere = LoopbackCodex().start()
    stack.append(elsewhere)
    for number, name in enumerate(CLI_PATHS):
        codex = LoopbackCodex().start()
        stack.append(codex)
        folder = tmp / "cli" / name
        (folder / "ws").mkdir(parents=True)
        home = write_codex_home(folder / "codex")
        tokens = sorted(login_secrets(home))
        for route, answers in scenario(name, tokens, elsewhere, refreshed_tokens(ledger)).items():
            codex.enqueue(route, *answers)
        (folder / "ws" / "w.wish.yaml").write_text(hostile_wish(TITLES[number % len(TITLES)]))
        yield CliRun(name, folder, codex)


def start_cli(run: CliRun) -> None:
    env = {
        **os.environ,
        "CODEX_HOME": str(run.folder / "codex"),
        "CHATGPT_BASE_URL": run.codex.base_url,
        "CODEX_REFRESH_TOKEN_URL_OVERRIDE": run.codex.refresh_url,
    }
    run.process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "wishcraft.cli",
            "plan",
            "-v",
            str(run.folder / "ws" / "w.wish.yaml"),
        ],
        env=env,
        text=True,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        preexec_fn=interruptible,  # SIGINT reaches it (testkit.signals)
    )


def run_cli(tmp: Path, ledger: Ledger) -> None:
    """Every CLI path, the subprocesses side by side; Ctrl-C for the interrupted one."""
    stack: list[LoopbackCodex] = []
    try:
        runs = list(cli_runs(tmp, stack, ledger))
        for run in runs:
            start_cli(run)
        interrupted = next(run for run in runs if run.name == "cancel")
        # Eight interpreters start at once on a shared machine: allow for a slow start.
        # The model catalog is asked first, then the plan is posted.
        interrupted.codex.wait_for_requests(2, timeout=STARTUP_SECONDS)
        deadline = time.monotonic() + WAIT_SECONDS
        while len(interrupted.codex.frames_sent_at[1]) < 9:
            assert time.monotonic() < deadline, "the interrupted run never streamed"
            time.sleep(0.02)
        time.sleep(0.2)
        assert interrupted.process is not None
        interrupted.process.send_signal(signal.SIGINT)
        for run in runs:
            assert run.process is not None
            run.out, run.err = run.process.communicate(timeout=60)
            assert "Traceback" not in run.err, (run.name, run.err)
            assert run.process.returncode == CLI_PATHS[run.name], (run.name, run.err)
            home = run.folder / "codex"
            ledger.tokens |= login_secrets(home)
            ledger.add(f"cli {run.name} stdout", run.out)
            ledger.add(f"cli {run.name} stderr", run.err)
            files = sorted(p.name for p in (run.folder / "ws").iterdir())
            # The plan files, and the ledger (no data/ folder above: it is made beside the wish).
            assert files == ["data", "w.wish.plan.json", "w.wish.plan.md", "w.wish.yaml"], (
                run.name,
                files,
            )
            ledger.add(
                f"cli {run.name} ledger",
                (run.folder / "ws" / "data" / "ledger" / "wishes.jsonl").read_text(),
            )
            ledger.add(
                f"cli {run.name} artifact", (run.folder / "ws" / "w.wish.plan.json").read_text()
            )
            ledger.add(f"cli {run.name} plan", (run.folder / "ws" / "w.wish.plan.md").read_text())
        assert stack[0].requests == []  # the redirect target never heard from anyone
    finally:
        for server in stack:
            server.release_stalls()
            server.stop()


@pytest.mark.asyncio
async def test_no_token_leaves_through_any_path(tmp_path: Path) -> None:
    ledger = Ledger()
    cli = asyncio.create_task(asyncio.to_thread(run_cli, tmp_path, ledger))
    wishes = await run_editor(tmp_path, ledger)
    await cli
    root = tmp_path / "editor" / "ws"
    for wish in wishes:  # the hostile titles did not steer the plans anywhere
        stem = wish.removesuffix(".yaml")
        assert (root / f"{stem}.plan.md").is_file() and (root / f"{stem}.plan.json").is_file()
    written = {str(p.relative_to(root)) for p in root.rglob("*.plan.*")}
    assert written == {
        f"{w.removesuffix('.yaml')}.plan.{kind}" for w in wishes for kind in ("md", "json")
    }
    assert sorted(p.name for p in tmp_path.iterdir()) == ["cli", "editor"]
    scans, hits = ledger.scan()
    assert len(ledger.tokens) >= 12, "the scan needs the login's and the refreshed tokens"
    print(
        f"\nsecret scan: {len(ledger.tokens)} tokens ({len(ledger.fragments())} fragments) "
        f"× {len(ledger.texts)} outputs = {scans:,} scans; {len(wishes)} editor paths, "
        f"{len(CLI_PATHS)} CLI paths; hits: {len(hits)}"
    )
    assert hits == []
