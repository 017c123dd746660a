"""Benchmark the language server against yaml-language-server on the same wishes and schema.

Measures first the cold start: from spawning the server to `initialize` answered and to the
first publishDiagnostics of a wish opened right after, for both servers in turns (median and
p90 of 15 runs each), beside the floor, a fresh Python importing `pygls.lsp.server` and
`lsprotocol.types`, which no pygls server can start faster than. Then, for a typical wish and
a 5,000-line one: the time from didOpen and from didChange to publishDiagnostics, and
completion and hover latency (median and p99); then the memory of each server with 500 open
wishes. Prints the figures and our/their ratios (below 1 means we are faster or smaller)
against the targets of the language-server and setup issues:
- cold start to the first diagnostics at most 0.85× yaml-language-server's (median);
- every latency at or below yaml-language-server's;
- diagnostics after a change within 50 ms including the debounce (p99 over edits spread over the
  document: characters typed, plan lines added and removed), also with `--loaded`, where a CPU
  burner keeps the other core busy;
- completion and hover p99 under 10 ms;
- under 150 MB with 500 open wishes.

yaml-language-server comes from npm into `bench/.node/` (git-ignored); it is given
`schemas/wish.schema.json` for `*.wish.yaml` and uses its defaults otherwise, as we use ours.

    (cd bench/.node && npm install --no-save yaml-language-server@1)
    python3 bench/bench_lsp.py            # about two minutes; --quick for a smoke run
    python3 bench/bench_lsp.py --cold-only --cold-runs 30   # the cold start alone
    python3 bench/bench_lsp.py --quick --ours-only --loaded  # this server, the other core busy
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from lsprotocol import types
from pygls.lsp.client import LanguageClient

from benchkit import cpu_burner
from peer_probe import median_p99, percentile

ROOT = Path(__file__).resolve().parent.parent
TYPICAL = (ROOT / "examples" / "data" / "wishes" / "lighthouse.wish.yaml").read_text()
SCHEMA = ROOT / "schemas" / "wish.schema.json"
YAMLLS = (
    ROOT
    / "bench"
    / ".node"
    / "node_modules"
    / "yaml-language-server"
    / "bin"
    / "yaml-language-server"
)


def large_wish(lines: int) -> str:
    """A valid wish stretched to about `lines` lines with a long plan, as generated ones are."""
    head = TYPICAL.split("plan:")[0]
    items = lines - head.count("\n") - 12
    steps = "".join(
        f'  - "Step {n}: place beacon lamp {n} on tile {n * 7} 😀"\n' for n in range(items)
    )
    return head + "plan:\n" + steps + TYPICAL[TYPICAL.index("safety_tests:") :]


def _units(text: str) -> int:
    """A string's length in UTF-16 code units, as LSP columns count."""
    return len(text.encode("utf-16-le")) // 2


def spread_edits(text: str, count: int) -> list[tuple[types.Position, types.Position, str]]:
    """`count` edits spread over the document, as (start, end, new text) in LSP units.

    In turns: a character typed over one inside a quoted value (any line that has one: the
    first lines, the plan, the last lines); a plan item added as a new line; that line removed
    again. The places move through the document, start to end, so every part is edited.
    """
    lines = text.split("\n")
    quoted = [number for number, line in enumerate(lines) if line.count('"') >= 2]
    plan = [number for number, line in enumerate(lines) if line.startswith('  - "')]
    edits: list[tuple[types.Position, types.Position, str]] = []
    for n in range(count):
        turn, place = n % 3, n / max(count - 1, 1)
        if turn == 0:
            line = quoted[round(place * (len(quoted) - 1))]
            column = _units(lines[line][: lines[line].index('"') + 1])
            letter = "XY"[n // 3 % 2]
            at = types.Position(line=line, character=column)
            edits.append((at, types.Position(line=line, character=column + 1), letter))
        elif turn == 1:
            line = plan[round(place * (len(plan) - 1))]
            at = types.Position(line=line, character=0)
            edits.append((at, at, f'  - "Inserted step {n}: check the lamp"\n'))
        else:
            start = edits[-1][0]
            end = types.Position(line=start.line + 1, character=0)
            edits.append((start, end, ""))
    return edits


@dataclass
class Server:
    """One language server under test, driven by a pygls client over stdio."""

    name: str
    command: list[str]
    settings: dict[str, Any]
    client: LanguageClient = field(init=False)
    waiting: dict[str, asyncio.Future[None]] = field(default_factory=dict)

    async def start(self, root: Path) -> None:
        """Start the server and initialise it like an editor with snippets and markdown."""
        self.client = LanguageClient("bench", "1")

        def published(params: types.PublishDiagnosticsParams) -> None:
            future = self.waiting.pop(params.uri, None)
            if future is not None and not future.done():
                future.set_result(None)

        def configuration(params: types.ConfigurationParams) -> list[Any]:
            return [self.settings.get(item.section or "", None) for item in params.items]

        self.client.feature(types.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS)(published)
        self.client.feature(types.WORKSPACE_CONFIGURATION)(configuration)

        for method in (
            types.WINDOW_LOG_MESSAGE,
            types.WINDOW_SHOW_MESSAGE,
            types.CLIENT_REGISTER_CAPABILITY,
            types.WINDOW_WORK_DONE_PROGRESS_CREATE,
            types.TELEMETRY_EVENT,
        ):
            self.client.feature(method)(lambda *args: None)

        await self.client.start_io(*self.command)
        capabilities = types.ClientCapabilities(
            workspace=types.WorkspaceClientCapabilities(configuration=True),
            text_document=types.TextDocumentClientCapabilities(
                completion=types.CompletionClientCapabilities(
                    completion_item=types.ClientCompletionItemOptions(
                        snippet_support=True, documentation_format=[types.MarkupKind.Markdown]
                    )
                ),
                hover=types.HoverClientCapabilities(content_format=[types.MarkupKind.Markdown]),
                publish_diagnostics=types.PublishDiagnosticsClientCapabilities(
                    version_support=True
                ),
            ),
        )
        await self.client.initialize_async(
            types.InitializeParams(
                capabilities=capabilities,
                root_uri=root.as_uri(),
                process_id=None,
                workspace_folders=[types.WorkspaceFolder(uri=root.as_uri(), name="bench")],
            )
        )
        self.client.initialized(types.InitializedParams())
        self.client.workspace_did_change_configuration(
            types.DidChangeConfigurationParams(settings=self.settings)
        )

    def expect(self, uri: str) -> asyncio.Future[None]:
        """A future resolved by the next publishDiagnostics for `uri`."""
        future: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self.waiting[uri] = future
        return future

    def open(self, uri: str, text: str) -> None:
        """Send didOpen."""
        self.client.text_document_did_open(
            types.DidOpenTextDocumentParams(
                text_document=types.TextDocumentItem(
                    uri=uri, language_id="yaml", version=1, text=text
                )
            )
        )

    def rss_mb(self) -> float:
        """The server process's resident memory in MB (Linux)."""
        process = self.client._server  # noqa: SLF001 - the subprocess pygls started
        assert process is not None
        for line in Path(f"/proc/{process.pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
        raise RuntimeError("no VmRSS")

    async def stop(self) -> None:
        """Shut the server down."""
        await self.client.shutdown_async(None)
        self.client.exit(None)
        await self.client.stop()  # type: ignore[no-untyped-call]  # pygls leaves it untyped


async def timed(action: Callable[[], Awaitable[Any]]) -> float:
    """Run an awaitable action and return its duration in milliseconds."""
    start = time.perf_counter()
    await action()
    return (time.perf_counter() - start) * 1000


async def measure(
    server: Server, root: Path, label: str, text: str, runs: dict[str, int]
) -> dict[str, list[float]]:
    """Open, change, complete and hover on one document shape; return times per measure."""
    results: dict[str, list[float]] = {"open": [], "change": [], "completion": [], "hover": []}
    folder = root / "data" / "wishes"
    for run in range(runs["open"] + 1):
        uri = (folder / f"{label}-open-{run}.wish.yaml").as_uri()
        future = server.expect(uri)
        elapsed = await timed(
            lambda: _open_and_wait(server, uri, text, future)  # noqa: B023
        )
        if run:  # the first open warms caches on both sides
            results["open"].append(elapsed)
    uri = (folder / f"{label}-edit.wish.yaml").as_uri()
    future = server.expect(uri)
    server.open(uri, text)
    await asyncio.wait_for(future, 30)
    edits = spread_edits(text, runs["change"] + 1)
    for version, (start, end, new_text) in enumerate(edits, start=2):
        future = server.expect(uri)

        async def change(
            version: int = version,
            start: types.Position = start,
            end: types.Position = end,
            new_text: str = new_text,
            future: asyncio.Future[None] = future,
        ) -> None:
            server.client.text_document_did_change(
                types.DidChangeTextDocumentParams(
                    text_document=types.VersionedTextDocumentIdentifier(uri=uri, version=version),
                    content_changes=[
                        types.TextDocumentContentChangePartial(
                            range=types.Range(start=start, end=end), text=new_text
                        )
                    ],
                )
            )
            await asyncio.wait_for(future, 30)

        elapsed = await timed(change)
        if version > 2:  # the first change warms caches on both sides
            results["change"].append(elapsed)
    document = types.TextDocumentIdentifier(uri=uri)
    last_line = len(text.split("\n")) - 1
    for run in range(runs["requests"] + 5):
        elapsed = await timed(
            lambda: server.client.text_document_completion_async(
                types.CompletionParams(
                    text_document=document, position=types.Position(line=last_line, character=0)
                )
            )
        )
        if run >= 5:
            results["completion"].append(elapsed)
        elapsed = await timed(
            lambda: server.client.text_document_hover_async(
                types.HoverParams(
                    text_document=document, position=types.Position(line=5, character=5)
                )
            )
        )
        if run >= 5:
            results["hover"].append(elapsed)
    return results


async def _open_and_wait(server: Server, uri: str, text: str, future: asyncio.Future[None]) -> None:
    server.open(uri, text)
    await asyncio.wait_for(future, 30)


async def memory(server: Server, root: Path, count: int) -> float:
    """Open `count` typical wishes, wait for all their diagnostics, return the server's RSS."""
    folder = root / "data" / "wishes"
    futures = []
    for number in range(count):
        uri = (folder / f"memory-{number}.wish.yaml").as_uri()
        futures.append(server.expect(uri))
        server.open(uri, TYPICAL.replace("Relight", f"Relight {number}"))
    await asyncio.wait_for(asyncio.gather(*futures), 300)
    return server.rss_mb()


# Cold start -------------------------------------------------------------------------------
# A bare JSON-RPC client over the child's pipes, the same for both servers, so that what is
# timed is the server: nothing of pygls' client is in the way.

COLD_START_TARGET = 0.85
"""Our median spawn-to-first-diagnostics at most this fraction of yaml-language-server's."""


def _frame(message: dict[str, Any]) -> bytes:
    body = json.dumps(message).encode()
    return b"Content-Length: %d\r\n\r\n" % len(body) + body


async def _read_message(stream: asyncio.StreamReader) -> dict[str, Any]:
    length = 0
    while True:
        line = await stream.readline()
        if not line:
            raise EOFError("the server closed its stdout")
        if line in (b"\r\n", b"\n"):
            break
        name, _, value = line.decode("ascii").partition(":")
        if name.strip().lower() == "content-length":
            length = int(value)
    message: dict[str, Any] = json.loads(await stream.readexactly(length))
    return message


def _answer(message: dict[str, Any], settings: dict[str, Any]) -> bytes:
    """Answer a request of the server as an editor would: settings by section, else null."""
    result: Any = None
    if message["method"] == types.WORKSPACE_CONFIGURATION:
        result = [settings.get(item.get("section") or "") for item in message["params"]["items"]]
    return _frame({"jsonrpc": "2.0", "id": message["id"], "result": result})


def cpu_ms(pid: int) -> float:
    """The CPU time (user + system, all threads) a live process has used, in milliseconds
    (Linux; 10 ms steps). Unlike wall time, other work on the machine hardly changes it."""
    fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
    return (int(fields[11]) + int(fields[12])) * 1000 / os.sysconf("SC_CLK_TCK")


async def cold_start_once(
    server: Server, root: Path, uri: str, text: str
) -> tuple[float, float, float]:
    """Spawn a server, initialise it and open a wish as an editor does at once; return the
    milliseconds from the spawn to the initialize answer and to the wish's first diagnostics,
    and the CPU milliseconds the server used until then."""
    start = time.perf_counter()
    process = await asyncio.create_subprocess_exec(
        *server.command,
        stdin=asyncio.subprocess.PIPE,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.DEVNULL,
    )
    assert process.stdin is not None and process.stdout is not None
    send = process.stdin.write
    send(
        _frame(
            {
                "jsonrpc": "2.0",
                "id": 1,
                "method": types.INITIALIZE,
                "params": {
                    "processId": None,
                    "rootUri": root.as_uri(),
                    "workspaceFolders": [{"uri": root.as_uri(), "name": "bench"}],
                    "capabilities": {
                        "workspace": {"configuration": True},
                        "textDocument": {"publishDiagnostics": {"versionSupport": True}},
                    },
                },
            }
        )
    )
    initialized = diagnosed = cpu = 0.0
    try:
        while True:
            message = await asyncio.wait_for(_read_message(process.stdout), 60)
            if message.get("id") == 1 and "method" not in message:
                initialized = (time.perf_counter() - start) * 1000
                send(_frame({"jsonrpc": "2.0", "method": types.INITIALIZED, "params": {}}))
                send(
                    _frame(
                        {
                            "jsonrpc": "2.0",
                            "method": types.WORKSPACE_DID_CHANGE_CONFIGURATION,
                            "params": {"settings": server.settings},
                        }
                    )
                )
                send(
                    _frame(
                        {
                            "jsonrpc": "2.0",
                            "method": types.TEXT_DOCUMENT_DID_OPEN,
                            "params": {
                                "textDocument": {
                                    "uri": uri,
                                    "languageId": "yaml",
                                    "version": 1,
                                    "text": text,
                                }
                            },
                        }
                    )
                )
            elif "method" in message and "id" in message:
                send(_answer(message, server.settings))
            elif (
                message.get("method") == types.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS
                and message["params"]["uri"] == uri
            ):
                diagnosed = (time.perf_counter() - start) * 1000
                cpu = cpu_ms(process.pid)
                break
        send(_frame({"jsonrpc": "2.0", "id": 2, "method": types.SHUTDOWN}))
        while True:  # not timed: let the server end as it would in an editor
            message = await asyncio.wait_for(_read_message(process.stdout), 60)
            if message.get("id") == 2 and "method" not in message:
                break
            if "method" in message and "id" in message:
                send(_answer(message, server.settings))
        send(_frame({"jsonrpc": "2.0", "method": types.EXIT}))
        process.stdin.close()
        await asyncio.wait_for(process.wait(), 10)
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()
    return initialized, diagnosed, cpu


async def floor_once() -> tuple[float, float]:
    """Milliseconds for a fresh Python to import pygls' server and lsprotocol's types: what
    any pygls server pays before it can read a message. Wall time to the end of the imports
    (the child says when: its exit is not counted), and CPU time."""
    start = time.perf_counter()
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-c",
        "import os, sys, pygls.lsp.server, lsprotocol.types; print(flush=True); sys.stdin.read()",
        stdin=asyncio.subprocess.PIPE,
        stdout=asyncio.subprocess.PIPE,
    )
    assert process.stdin is not None and process.stdout is not None
    await process.stdout.readline()
    wall = (time.perf_counter() - start) * 1000
    cpu = cpu_ms(process.pid)
    process.stdin.close()
    if await process.wait():
        raise RuntimeError("importing pygls failed")
    return wall, cpu


async def cold_start(runs: int) -> None:
    """Time both servers' cold start in turns (same load for both), and the floor; print them."""
    ours, theirs = servers()
    ours.settings = editor_settings()
    compile_bytecode()
    times: dict[str, list[tuple[float, float, float]]] = {ours.name: [], theirs.name: []}
    floor: list[tuple[float, float]] = []
    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder)
        wish = make_workspace(root) / "cold.wish.yaml"
        wish.write_text(TYPICAL, encoding="utf-8")
        for run in range(runs + 1):  # the first round warms the disk cache, and is not kept
            for server in (ours, theirs):
                measured = await cold_start_once(server, root, wish.as_uri(), TYPICAL)
                if run:
                    times[server.name].append(measured)
            imported = await floor_once()
            if run:
                floor.append(imported)

    def cell(values: list[float]) -> str:
        return f"{statistics.median(values):7.0f} / {percentile(values, 0.9):5.0f}"

    print(
        f"cold start: spawn → initialize answered → first diagnostics of an opened wish, "
        f"{runs} runs each in turns (ms, median / p90)"
    )
    print(f"{'':22}{'initialize':>16}{'first diagnostics':>20}{'CPU to diagnostics':>21}")
    medians: dict[str, tuple[float, float]] = {}
    for name, measured_runs in times.items():
        initialize, diagnosed, cpu = (list(column) for column in zip(*measured_runs, strict=True))
        medians[name] = (statistics.median(diagnosed), statistics.median(cpu))
        print(f"{name:22}{cell(initialize):>16}{cell(diagnosed):>20}{cell(cpu):>21}")
    floor_wall, floor_cpu = (list(column) for column in zip(*floor, strict=True))
    print(f"{'floor: import pygls':22}{'':16}{cell(floor_wall):>20}{cell(floor_cpu):>21}")
    (ours_wall, ours_cpu), (their_wall, their_cpu) = medians[ours.name], medians[theirs.name]
    ratio = ours_wall / their_wall
    print(
        f"ratio ours/theirs, median to first diagnostics: {ratio:.2f} "
        f"(CPU {ours_cpu / their_cpu:.2f}); target ≤ {COLD_START_TARGET}: "
        f"{'met' if ratio <= COLD_START_TARGET else 'missed'}"
    )
    print(
        f"ours − floor: {ours_wall - statistics.median(floor_wall):.0f} ms "
        f"(CPU {ours_cpu - statistics.median(floor_cpu):.0f} ms); the floor is a fresh Python "
        f"importing pygls.lsp.server and lsprotocol.types\n",
        flush=True,
    )


def compile_bytecode() -> None:
    """Compile our package's bytecode as pip does when it installs the wheel, so that the
    server starts as installed even where PYTHONDONTWRITEBYTECODE keeps Python from caching
    it (every start would compile every module from source, which no user's start does)."""
    import compileall

    import wishcraft

    compileall.compile_dir(Path(wishcraft.__file__).parent, quiet=1)


def editor_settings() -> dict[str, Any]:
    """Our settings section as VS Code sends it by default (every key, default values)."""
    from wishcraft.lsp.settings import default_settings

    return {"wishcraft": default_settings().model_dump(mode="json", by_alias=True)}


def make_workspace(root: Path) -> Path:
    """A workspace with the example registry; return its wishes folder."""
    (root / "data" / "wishes").mkdir(parents=True)
    (root / "data" / "conduits").mkdir()
    shutil.copy(
        ROOT / "examples" / "data" / "conduits" / "registry.yaml",
        root / "data" / "conduits" / "registry.yaml",
    )
    return root / "data" / "wishes"


def servers() -> list[Server]:
    """Our server (default settings) and yaml-language-server with the wish schema."""
    ours = Server("wishcraft-lsp", [sys.executable, "-m", "wishcraft.lsp"], {"wishcraft": None})
    yaml_settings = {
        "validate": True,
        "hover": True,
        "completion": True,
        "schemas": {SCHEMA.as_uri(): ["*.wish.yaml"]},
        "schemaStore": {"enable": False},
    }
    theirs = Server(
        "yaml-language-server",
        ["node", str(YAMLLS), "--stdio"],
        {"yaml": yaml_settings, "[yaml]": {}, "editor": {}, "files": {}, "http": {}},
    )
    return [ours, theirs]


async def run(quick: bool, cold_runs: int, cold_only: bool, ours_only: bool) -> None:
    """Measure both servers (or ours alone) and print figures and ratios."""
    if not ours_only:
        await cold_start(cold_runs)
    if cold_only:
        return
    shapes = {"typical": TYPICAL, "large": large_wish(5_000)}
    titles = {"typical": "typical", "large": "5,000 lines"}
    runs = {
        "typical": {
            "open": 10 if quick else 30,
            "change": 30 if quick else 100,
            "requests": 50 if quick else 300,
        },
        "large": {
            "open": 3 if quick else 10,
            "change": 100 if quick else 300,
            "requests": 20 if quick else 100,
        },
    }
    figures: dict[str, dict[str, dict[str, list[float]]]] = {}
    rss: dict[str, float] = {}
    for server in servers()[:1] if ours_only else servers():
        with tempfile.TemporaryDirectory() as folder:
            root = Path(folder)
            make_workspace(root)
            await server.start(root)
            figures[server.name] = {}
            for label, text in shapes.items():
                figures[server.name][label] = await measure(server, root, label, text, runs[label])
            rss[server.name] = await memory(server, root, 100 if quick else 500)
            await server.stop()
    ours = figures["wishcraft-lsp"]
    theirs = figures.get("yaml-language-server")
    print(f"{'':34}{'wishcraft-lsp':>28}{'yaml-language-server':>28}{'ratio':>16}")
    print(f"{'':34}{'median / p90 / p99 ms':>28}{'median / p90 / p99 ms':>28}{'median / p99':>16}")
    names = {
        "open": "didOpen → diagnostics",
        "change": "didChange → diagnostics",
        "completion": "completion",
        "hover": "hover",
    }

    def cells(times: list[float]) -> str:
        return (
            f"{statistics.median(times):8.2f} / {percentile(times, 0.9):7.2f} / "
            f"{percentile(times, 0.99):7.2f}"
        )

    for label in shapes:
        for key, name in names.items():
            row = f"{titles[label] + ': ' + name:34}{cells(ours[label][key]):>28}"
            if theirs is not None:
                ours_median, ours_p99 = median_p99(ours[label][key])
                their_median, their_p99 = median_p99(theirs[label][key])
                row += (
                    f"{cells(theirs[label][key]):>28}"
                    f"{ours_median / their_median:9.2f} / {ours_p99 / their_p99:5.2f}"
                )
            print(row)
    count = 100 if quick else 500
    memory_row = (
        f"{'memory with ' + str(count) + ' open wishes (MB)':34}{rss['wishcraft-lsp']:28.1f}"
    )
    if theirs is not None:
        memory_row += (
            f"{rss['yaml-language-server']:28.1f}"
            f"{rss['wishcraft-lsp'] / rss['yaml-language-server']:16.2f}"
        )
    print(memory_row)
    changes = {label: len(ours[label]["change"]) for label in shapes}
    print(
        f"(didChange: {changes['typical']} and {changes['large']} edits spread over the typical "
        "and the 5,000-line wish: a character typed, a plan line added, that line removed)"
    )
    change_p99 = max(median_p99(ours[label]["change"])[1] for label in shapes)
    request_p99 = max(
        median_p99(ours[label][key])[1] for label in shapes for key in ("completion", "hover")
    )
    print(
        f"\ntargets: change → diagnostics p99 {change_p99:.1f} ms (≤ 50); completion and "
        f"hover p99 {request_p99:.2f} ms (< 10); memory {rss['wishcraft-lsp']:.0f} MB "
        f"(< 150)"
    )


def ensure_yaml_language_server() -> None:
    """Install yaml-language-server from npm into bench/.node on the first run."""
    if shutil.which("node") is None or shutil.which("npm") is None:
        raise SystemExit("Node.js and npm are needed to run yaml-language-server.")
    if not YAMLLS.exists():
        print("installing yaml-language-server from npm into bench/.node …", flush=True)
        YAMLLS.parents[2].mkdir(parents=True, exist_ok=True)
        subprocess.run(
            ["npm", "install", "--no-save", "--no-audit", "--no-fund", "yaml-language-server@1"],
            cwd=YAMLLS.parents[2],
            check=True,
        )


def main() -> None:
    """Parse the options and run the benchmark."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer runs, 100 open wishes")
    parser.add_argument(
        "--cold-runs",
        type=int,
        default=15,
        metavar="N",
        help="cold starts of each server (default 15)",
    )
    parser.add_argument("--cold-only", action="store_true", help="measure the cold start only")
    parser.add_argument(
        "--loaded",
        action="store_true",
        help="keep one core busy with a CPU burner while measuring (stopped afterwards)",
    )
    parser.add_argument(
        "--ours-only",
        action="store_true",
        help="measure this server alone (no yaml-language-server, no cold start)",
    )
    args = parser.parse_args()
    if not args.ours_only:
        ensure_yaml_language_server()
    if args.loaded:
        print("loaded: one core kept busy by a CPU burner while measuring\n", flush=True)
    with cpu_burner(args.loaded):
        asyncio.run(run(args.quick, max(1, args.cold_runs), args.cold_only, args.ours_only))


if __name__ == "__main__":
    main()
