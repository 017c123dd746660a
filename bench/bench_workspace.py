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

    python3 bench/bench_workspace.py            # about a minute; --quick for fewer runs
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from lsprotocol import types
from pygls.lsp.client import LanguageClient
from pygls.uris import from_fs_path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))

from testkit.big_workspace import REGISTRY, build_workspace  # noqa: E402
from wishcraft.kinds import classify  # noqa: E402
from wishcraft.lsp.index import WorkspaceIndex  # noqa: E402

YAMLLS = ROOT / "bench/.node/node_modules/yaml-language-server/bin/yaml-language-server"
WISHES = 2_000


def percentile(values: list[float], share: float) -> float:
    """The value below which `share` of `values` lie (nearest rank)."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(share * len(ordered)) - 1))]


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
    client = LanguageClient("bench", "1")
    ended = asyncio.Event()

    @client.feature(types.WINDOW_WORK_DONE_PROGRESS_CREATE)
    def create(params: types.WorkDoneProgressCreateParams) -> None:
        return None

    @client.feature(types.PROGRESS)
    def progress(params: types.ProgressParams) -> None:
        if isinstance(params.value, dict) and params.value.get("kind") == "end":
            ended.set()

    @client.feature(types.WORKSPACE_CONFIGURATION)
    def configuration(params: types.ConfigurationParams) -> list[Any]:
        return [None for _ in params.items]

    for method in (
        types.WINDOW_LOG_MESSAGE,
        types.WINDOW_SHOW_MESSAGE,
        types.CLIENT_REGISTER_CAPABILITY,
        types.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS,
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

    references: list[float] = []
    survey = position_of(registry_text, "cartographer.survey")
    for _ in range(runs):
        start = time.perf_counter()
        found = await client.text_document_references_async(
            types.ReferenceParams(
                text_document=document,
                position=survey,
                context=types.ReferenceContext(include_declaration=True),
            )
        )
        references.append(time.perf_counter() - start)
    assert found is not None and len(found) == WISHES // 2 + 1, len(found or [])

    renames: list[float] = []
    place = position_of(registry_text, "worldsmith.place")
    for _ in range(max(3, runs // 10)):
        start = time.perf_counter()
        edit = await client.text_document_rename_async(
            types.RenameParams(text_document=document, position=place, new_name="worldsmith.put")
        )
        renames.append(time.perf_counter() - start)
    assert edit is not None and len(edit.document_changes or []) == WISHES + 1

    start = time.perf_counter()
    full = await client.workspace_diagnostic_async(
        types.WorkspaceDiagnosticParams(previous_result_ids=[])
    )
    first_diagnostics = time.perf_counter() - start
    previous = [
        types.PreviousResultId(uri=item.uri, value=item.result_id or "") for item in full.items
    ]
    unchanged: list[float] = []
    for _ in range(max(5, runs // 5)):
        start = time.perf_counter()
        again = await client.workspace_diagnostic_async(
            types.WorkspaceDiagnosticParams(previous_result_ids=previous)
        )
        unchanged.append(time.perf_counter() - start)
    assert all(item.kind == "unchanged" for item in again.items)

    symbols: list[float] = []
    for query in ("granary 1234", "district 77", "crtsrv", "w1999", "plan builder") * (
        max(1, runs // 5)
    ):
        start = time.perf_counter()
        await client.workspace_symbol_async(types.WorkspaceSymbolParams(query=query))
        symbols.append(time.perf_counter() - start)

    memory = rss_mb(pid)
    await client.shutdown_async(None)
    client.exit(None)
    await client.stop()
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
    await client.stop()
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


def main() -> None:
    """Build the workspace, measure, print."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer runs")
    parser.add_argument("--yamlls", action="store_true", help="print yaml-language-server's")
    args = parser.parse_args()
    runs = 20 if args.quick else 100
    with tempfile.TemporaryDirectory() as folder:
        root = build_workspace(Path(folder), WISHES)
        index = WorkspaceIndex()
        start = time.perf_counter()
        list(index.build([root], lambda path: classify(path)))
        in_process = time.perf_counter() - start
        figures = asyncio.run(run(root, runs))

    def ms(seconds: float) -> str:
        return f"{seconds * 1000:7.1f} ms"

    print(f"workspace: {WISHES:,} wishes and one registry")
    print(f"index build, in process          {ms(in_process)}   (target < 3,000 ms)")
    print(f"index build, server (to $/progress end) {ms(figures['server build'])}")
    for name, target in (
        ("references", 50),
        ("rename", 500),
        ("workspace diagnostic (unchanged)", 100),
        ("workspace symbols", None),
    ):
        values = figures[name]
        note = f"   (target p99 < {target} ms)" if target else ""
        print(
            f"{name:34} median {ms(statistics.median(values))}  "
            f"p99 {ms(percentile(values, 0.99))}  n={len(values)}{note}"
        )
    print(f"workspace diagnostic (first, full) {ms(figures['workspace diagnostic (first, full)'])}")
    print(f"server memory (RSS)               {figures['rss']:7.1f} MB   (target < 200 MB)")
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
