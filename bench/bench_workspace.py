"""Benchmark the workspace features on a generated workspace of 2,000 wishes and one registry.

Measures, against the targets of issue 25:
- the index build, in process (`WorkspaceIndex.build`) and in the server (from `initialized`
  to the end of its `$/progress`): under 3 s;
- references of a conduit id named by 1,000 wishes: p99 under 50 ms;
- a rename across 2,000 files (the id every wish names): under 500 ms;
- `workspace/diagnostic` answering "unchanged" for every file: under 100 ms (the first, full
  answer is reported too);
- workspace symbols: median and p99;
- the server's memory (RSS) with the 2,000 wishes indexed and checked: under 200 MB.

yaml-language-server has none of these features (no references, no workspace symbols, no
workspace diagnostics; its rename is for anchors): `--yamlls`, when it is installed in
`bench/.node/` (see bench_lsp.py), prints the capabilities it announces, so the claim is
checked rather than assumed, then times the features both servers have (formatting,
selection ranges, document links) on the same wishes, with our/their ratios.

Each series prints its median, p90 and p99, and the CPU time per request of the server (read
from /proc) and of the bench's client: unlike wall times, they barely move with the machine's
load. The timed requests are sent by a client
that reads their answers as JSON only, as an editor's client does: pygls' typed client spends
as long turning 1,000 locations into lsprotocol objects as the server takes to answer, and
that is the bench's cost, not the editor's. Every answer is still checked (counts, kinds).

`--loaded` measures everything a second time with a process busy on another core
(`while 1: pass`, started and stopped by the bench), as when a build or a test run shares the
machine, and prints both.

    python3 bench/bench_workspace.py            # about a minute; --quick for fewer runs
    python3 bench/bench_workspace.py --loaded   # quiet, then with a busy core: about two
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import os
import statistics
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import attrs
from lsprotocol import types
from pygls.lsp.client import LanguageClient
from pygls.protocol import LanguageServerProtocol
from pygls.uris import from_fs_path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))

from benchkit import cpu_burner  # noqa: E402
from peer_probe import percentile  # noqa: E402
from testkit.big_workspace import REGISTRY, build_workspace  # noqa: E402
from wishcraft.kinds import classify  # noqa: E402
from wishcraft.lsp.index import WorkspaceIndex  # noqa: E402

YAMLLS = ROOT / "bench/.node/node_modules/yaml-language-server/bin/yaml-language-server"
WISHES = 2_000


RAW_ANSWERS = frozenset(
    {
        types.TEXT_DOCUMENT_REFERENCES,
        types.TEXT_DOCUMENT_RENAME,
        types.WORKSPACE_DIAGNOSTIC,
        types.WORKSPACE_SYMBOL,
    }
)
"""The timed requests, whose answers the bench reads as parsed JSON (see the docstring)."""


@attrs.define
class RawResponse:
    """An answer whose result is left as `json.loads` made it."""

    id: int | str
    jsonrpc: str
    result: Any = None


class RawAnswers(LanguageServerProtocol):
    """pygls' client protocol, leaving the answers to `RAW_ANSWERS` as parsed JSON.

    (pygls' own untyped answer, `JsonRPCResponseMessage`, turns every JSON object into a new
    named-tuple class: slower still than the typed answer.)
    """

    def __init__(self, server: Any, converter: Any) -> None:
        """pygls' protocol, with `RawResponse` passed through as it is."""
        super().__init__(server, converter)
        converter.register_structure_hook(RawResponse, lambda data, _: RawResponse(**data))

    def get_result_type(self, method: str) -> type[Any] | None:  # type: ignore[override]
        """No lsprotocol type for the timed requests' answers: they stay dicts and lists."""
        if method in RAW_ANSWERS:
            return RawResponse
        return super().get_result_type(method)


def cpu_seconds(pid: int) -> float:
    """The CPU time a process used so far, user and system (Linux)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


class Series:
    """The wall times of one kind of request, and the server's CPU time over them."""

    def __init__(self, pid: int) -> None:
        """Time requests to the server process `pid`."""
        self.pid = pid
        self.times: list[float] = []
        self.cpu = 0.0
        self.client_cpu = 0.0

    async def run(self, count: int, request: Callable[[], Awaitable[Any]]) -> Any:
        """Send `request` `count` times, one after the other; the last answer."""
        answer = None
        cpu, client_cpu = cpu_seconds(self.pid), time.process_time()
        for _ in range(count):
            start = time.perf_counter()
            answer = await request()
            self.times.append(time.perf_counter() - start)
        self.cpu += cpu_seconds(self.pid) - cpu
        self.client_cpu += time.process_time() - client_cpu
        return answer


def rss_mb(pid: int) -> float:
    """The resident memory of a process, in MB (Linux)."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def position_of(text: str, needle: str) -> types.Position:
    """Where `needle` first starts in an ASCII text."""
    for number, line in enumerate(text.split("\n")):
        column = line.find(needle)
        if column != -1:
            return types.Position(line=number, character=column)
    raise ValueError(needle)


async def run(root: Path, runs: int) -> dict[str, Any]:
    """Drive the server over stdio and return the figures."""
    client = LanguageClient("bench", "1", protocol_cls=RawAnswers)
    ended = asyncio.Event()

    def create(params: types.WorkDoneProgressCreateParams) -> None:
        return None

    def progress(params: types.ProgressParams) -> None:
        if isinstance(params.value, dict) and params.value.get("kind") == "end":
            ended.set()

    def configuration(params: types.ConfigurationParams) -> list[Any]:
        return [None for _ in params.items]

    client.feature(types.WINDOW_WORK_DONE_PROGRESS_CREATE)(create)
    client.feature(types.PROGRESS)(progress)
    client.feature(types.WORKSPACE_CONFIGURATION)(configuration)

    for method in (
        types.WINDOW_LOG_MESSAGE,
        types.WINDOW_SHOW_MESSAGE,
        types.CLIENT_REGISTER_CAPABILITY,
        types.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS,
        types.WORKSPACE_DIAGNOSTIC_REFRESH,
    ):
        client.feature(method)(lambda *args: None)

    await client.start_io(sys.executable, "-m", "wishcraft.lsp")
    assert client._server is not None
    pid = client._server.pid
    uri = from_fs_path(str(root)) or ""
    await client.initialize_async(
        types.InitializeParams(
            capabilities=types.ClientCapabilities(
                window=types.WindowClientCapabilities(work_done_progress=True),
                workspace=types.WorkspaceClientCapabilities(
                    configuration=True,
                    workspace_edit=types.WorkspaceEditClientCapabilities(
                        document_changes=True,
                        change_annotation_support=types.ChangeAnnotationsSupportOptions(),
                    ),
                    # A pulling client as VS Code is one: it can be asked to pull again.
                    diagnostics=types.DiagnosticWorkspaceClientCapabilities(refresh_support=True),
                ),
                text_document=types.TextDocumentClientCapabilities(
                    diagnostic=types.DiagnosticClientCapabilities()
                ),
            ),
            root_uri=uri,
            workspace_folders=[types.WorkspaceFolder(uri=uri, name="bench")],
        )
    )
    started = time.perf_counter()
    client.initialized(types.InitializedParams())
    await asyncio.wait_for(ended.wait(), 60)
    build_seconds = time.perf_counter() - started

    registry_uri = from_fs_path(str(root / REGISTRY)) or ""
    registry_text = (root / REGISTRY).read_text()
    client.text_document_did_open(
        types.DidOpenTextDocumentParams(
            text_document=types.TextDocumentItem(
                uri=registry_uri, language_id="yaml", version=1, text=registry_text
            )
        )
    )
    document = types.TextDocumentIdentifier(uri=registry_uri)

    def send(method: str, params: Any) -> Callable[[], Awaitable[Any]]:
        return lambda: client.protocol.send_request_async(method, params)

    references = Series(pid)
    found = await references.run(
        runs,
        send(
            types.TEXT_DOCUMENT_REFERENCES,
            types.ReferenceParams(
                text_document=document,
                position=position_of(registry_text, "cartographer.survey"),
                context=types.ReferenceContext(include_declaration=True),
            ),
        ),
    )
    assert len(found) == WISHES // 2 + 1, len(found)

    renames = Series(pid)
    edit = await renames.run(
        max(10, runs // 10),
        send(
            types.TEXT_DOCUMENT_RENAME,
            types.RenameParams(
                text_document=document,
                position=position_of(registry_text, "worldsmith.place"),
                new_name="worldsmith.put",
            ),
        ),
    )
    assert len(edit["documentChanges"]) == WISHES + 1

    start = time.perf_counter()
    full = await client.protocol.send_request_async(
        types.WORKSPACE_DIAGNOSTIC, types.WorkspaceDiagnosticParams(previous_result_ids=[])
    )
    first_diagnostics = time.perf_counter() - start
    previous = [
        types.PreviousResultId(uri=item["uri"], value=item["resultId"]) for item in full["items"]
    ]
    assert len(previous) == WISHES + 1
    unchanged = Series(pid)
    again = await unchanged.run(
        max(30, runs // 3),
        send(
            types.WORKSPACE_DIAGNOSTIC,
            types.WorkspaceDiagnosticParams(previous_result_ids=previous),
        ),
    )
    assert len(again["items"]) == WISHES + 1
    assert all(item["kind"] == "unchanged" for item in again["items"])

    symbols = Series(pid)
    for query in ("granary 1234", "district 77", "crtsrv", "w1999", "plan builder") * (
        max(5, runs // 15)
    ):
        await symbols.run(
            1,
            send(types.WORKSPACE_SYMBOL, types.WorkspaceSymbolParams(query=query)),
        )

    memory = rss_mb(pid)
    await client.shutdown_async(None)
    client.exit(None)
    await client.stop()  # type: ignore[no-untyped-call]  # pygls leaves it untyped
    return {
        "server build": build_seconds,
        "references": references,
        "rename": renames,
        "workspace diagnostic (first, full)": first_diagnostics,
        "workspace diagnostic (unchanged)": unchanged,
        "workspace symbols": symbols,
        "rss": memory,
    }


def _requests(client: LanguageClient, document: types.TextDocumentIdentifier) -> dict[str, Any]:
    """The requests both servers answer, each a callable returning an awaitable."""
    middle = types.Position(line=6, character=8)
    return {
        "formatting": lambda: client.text_document_formatting_async(
            types.DocumentFormattingParams(
                text_document=document,
                options=types.FormattingOptions(tab_size=2, insert_spaces=True),
            )
        ),
        "selection range": lambda: client.text_document_selection_range_async(
            types.SelectionRangeParams(text_document=document, positions=[middle])
        ),
        "document links": lambda: client.text_document_document_link_async(
            types.DocumentLinkParams(text_document=document)
        ),
    }


async def beside_yamlls(runs: int) -> dict[str, dict[str, list[float]]]:
    """Formatting, selection ranges and document links on the same wishes (a typical one laid
    out untidily, and a 5,000-line one), for our server and yaml-language-server: the features
    both have. Milliseconds per request."""
    sys.path.insert(0, str(ROOT / "bench"))
    from bench_lsp import TYPICAL, large_wish, servers

    untidy = TYPICAL.replace("  region:", "      region:").replace(
        "  duration_days: 5", "      duration_days:    5"
    )
    shapes = {"typical": untidy, "5,000 lines": large_wish(5_000)}
    out: dict[str, dict[str, list[float]]] = {}
    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder)
        (root / "data" / "wishes").mkdir(parents=True)
        for server in servers():
            await server.start(root)
            figures: dict[str, list[float]] = {}
            for shape, text in shapes.items():
                uri = (root / "data" / "wishes" / f"{shape[:3]}.wish.yaml").as_uri()
                future = server.expect(uri)
                server.open(uri, text)
                await asyncio.wait_for(future, 60)
                requests = _requests(server.client, types.TextDocumentIdentifier(uri=uri))
                for name, request in requests.items():
                    times = []
                    for run in range(runs + 3):
                        start = time.perf_counter()
                        await request()
                        if run >= 3:  # warm-up
                            times.append((time.perf_counter() - start) * 1000)
                    figures[f"{name} ({shape})"] = times
            out[server.name] = figures
            await server.stop()
    return out


async def yamlls_capabilities() -> dict[str, Any]:
    """What yaml-language-server announces for the features measured here."""
    client = LanguageClient("bench", "1")
    for method in (types.WINDOW_LOG_MESSAGE, types.CLIENT_REGISTER_CAPABILITY):
        client.feature(method)(lambda *args: None)
    await client.start_io("node", str(YAMLLS), "--stdio")
    result = await client.initialize_async(
        types.InitializeParams(capabilities=types.ClientCapabilities())
    )
    capabilities = result.capabilities
    await client.shutdown_async(None)
    client.exit(None)
    await client.stop()  # type: ignore[no-untyped-call]  # pygls leaves it untyped
    return {
        "references": capabilities.references_provider,
        "rename": capabilities.rename_provider,
        "workspace symbols": capabilities.workspace_symbol_provider,
        "pull diagnostics": capabilities.diagnostic_provider,
        "document highlight": capabilities.document_highlight_provider,
        "formatting": capabilities.document_formatting_provider,
        "selection ranges": capabilities.selection_range_provider,
        "document links": capabilities.document_link_provider,
    }


def ms(seconds: float) -> str:
    """Seconds as milliseconds, aligned."""
    return f"{seconds * 1000:7.1f} ms"


def report(figures: dict[str, Any], in_process: float) -> None:
    """Print one run's figures against the targets."""
    print(f"index build, in process          {ms(in_process)}   (target < 3,000 ms)")
    print(f"index build, server (to $/progress end) {ms(figures['server build'])}")
    for name, target in (
        ("references", 50),
        ("rename", 500),
        ("workspace diagnostic (unchanged)", 100),
        ("workspace symbols", None),
    ):
        series: Series = figures[name]
        values = series.times
        note = f"   (target p99 < {target} ms)" if target else ""
        print(
            f"{name:33} median {ms(statistics.median(values))}  "
            f"p90 {ms(percentile(values, 0.90))}  p99 {ms(percentile(values, 0.99))}  "
            f"n={len(values)}  CPU a request: server {ms(series.cpu / len(values))}, "
            f"bench {ms(series.client_cpu / len(values))}{note}"
        )
    print(f"workspace diagnostic (first, full) {ms(figures['workspace diagnostic (first, full)'])}")
    print(f"server memory (RSS)               {figures['rss']:7.1f} MB   (target < 200 MB)")


def measure(root: Path, runs: int) -> tuple[dict[str, Any], float]:
    """The in-process index build, then the server's figures."""
    index = WorkspaceIndex()
    start = time.perf_counter()
    list(index.build([root], lambda path: classify(path)))
    in_process = time.perf_counter() - start
    del index
    # The bench's own full collections would land in the timings: they are the client's
    # pauses, not the server's (an editor is not this process).
    gc.collect()
    gc.freeze()
    try:
        return asyncio.run(run(root, runs)), in_process
    finally:
        gc.unfreeze()


def main() -> None:
    """Build the workspace, measure, print."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer runs")
    parser.add_argument(
        "--loaded", action="store_true", help="measure again with another core busy"
    )
    parser.add_argument("--yamlls", action="store_true", help="print yaml-language-server's")
    args = parser.parse_args()
    runs = 100 if args.quick else 300
    print(f"workspace: {WISHES:,} wishes and one registry")
    with tempfile.TemporaryDirectory() as folder:
        root = build_workspace(Path(folder), WISHES)
        for loaded in (False, True) if args.loaded else (False,):
            with cpu_burner(loaded):
                figures, in_process = measure(root, runs)
            if args.loaded:
                print("with another core busy:" if loaded else "quiet:")
            report(figures, in_process)
    if args.yamlls:
        if not YAMLLS.exists():
            print("yaml-language-server is not installed in bench/.node (see bench_lsp.py)")
        else:
            for name, value in asyncio.run(yamlls_capabilities()).items():
                print(f"yaml-language-server {name:20} {value!r}")
            both = asyncio.run(beside_yamlls(max(10, runs // 5)))
            ours, theirs = both["wishcraft-lsp"], both["yaml-language-server"]
            print("beside yaml-language-server (median ms, ours / theirs = ratio):")
            for name in ours:
                mine, other = statistics.median(ours[name]), statistics.median(theirs[name])
                print(f"  {name:32} {mine:7.2f} / {other:7.2f} = {mine / other:5.2f}x")


if __name__ == "__main__":
    main()
