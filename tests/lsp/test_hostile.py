"""Hostile documents through the real server: whatever is typed, it keeps serving.

Each document gets a clear diagnostic or a bounded analysis; every request on it answers; the
server's memory stays bounded (read from /proc); and a normal wish is served normally after
it. Nothing here is a bound in seconds: the work is bounded by counts (the last tests), and
`HANG_SECONDS` only tells a lost answer from a slow one. The times are figures, printed with
`-v`; `bench/bench_hostile.py` runs this module that way.
"""

from __future__ import annotations

import asyncio
import gc
import shutil
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from lsprotocol import types
from pygls.uris import from_fs_path
from pytest_lsp import ClientServerConfig, client_capabilities

from testkit.lsp_client import (
    PROFILES,
    SERVER,
    VALID_WISH,
    WORKSPACE,
    WishClient,
    lsp_fixture,
    make_client,
)
from wishcraft.documents.positions import PositionMapper
from wishcraft.documents.yamltree import (
    MAX_DEPTH,
    MAX_DOCUMENT_CHARS,
    MAX_EXPANDED_NODES,
    MAX_NODES,
    gc_paused,
    parse_yaml,
)
from wishcraft.findings import Position, Span
from wishcraft.lint import analyse_wish
from wishcraft.lint.engine import MAX_FINDINGS
from wishcraft.lint.registries import bundled_registry
from wishcraft.lsp.features.code_actions import code_actions
from wishcraft.lsp.features.completion import MAX_SCAN_LINES, complete
from wishcraft.lsp.features.folding import MAX_FOLDING_RANGES, folding_ranges
from wishcraft.lsp.features.symbols import MAX_SYMBOLS, document_symbols
from wishcraft.lsp.workspace import DocumentSnapshot

pytestmark = pytest.mark.asyncio(loop_scope="module")

HANG_SECONDS = 60.0
"""An answer not back by then is lost, not slow: a hang guard, not a speed claim (the aim, and
the figures `bench/bench_hostile.py` prints, is < 1 s)."""

PEAK_RSS_MB = 400
"""The most the server may hold while reading a hostile document (it starts at about 60 MB;
the 50 MB document costs its text several times over while it is decoded)."""

SETTLED_RSS_MB = 200
"""What the server may hold once a hostile document is closed; measured 64 to 140 MB, as the
allocator keeps some freed arenas."""

NORMAL = "data/wishes/x-normal.wish.yaml"
DURATION_LINE = VALID_WISH.splitlines().index("scope:") + 2


@dataclass
class Figures:
    """What one hostile document cost: seconds to diagnostics and per request, memory."""

    chars: int
    diagnostics_s: float = 0.0
    slowest_request_s: float = 0.0
    slowest_request: str = ""
    edit_s: float = 0.0
    peak_mb: float = 0.0
    after_close_mb: float = 0.0
    note: str = ""


FIGURES: dict[str, Figures] = {}


def memory_mb(client: WishClient, field: str = "VmRSS") -> float:
    """A memory figure of the server process from /proc (VmRSS now, VmHWM the peak)."""
    status = Path(f"/proc/{client._server.pid}/status").read_text()  # type: ignore[union-attr]
    line = next(line for line in status.splitlines() if line.startswith(field + ":"))
    return int(line.split()[1]) / 1024


def reset_peak(client: WishClient) -> None:
    """Start measuring the server's peak memory afresh (Linux: "5" clears VmHWM)."""
    Path(f"/proc/{client._server.pid}/clear_refs").write_text("5")  # type: ignore[union-attr]


@lsp_fixture(
    config=ClientServerConfig(server_command=SERVER, client_factory=make_client), scope="module"
)
async def client(
    lsp_client: WishClient, tmp_path_factory: pytest.TempPathFactory, request: pytest.FixtureRequest
) -> Any:
    """One server (VS Code profile) for every hostile document, on a fresh workspace copy."""
    if not Path("/proc/self/status").exists():
        pytest.skip("reads the server's memory from /proc")
    root = tmp_path_factory.mktemp("workspace-hostile")
    shutil.copytree(WORKSPACE, root, dirs_exist_ok=True)
    lsp_client.profile = "vscode"
    lsp_client.root = root
    lsp_client.set_configuration({"diagnostics": {"debounceMs": 10}}, section="wishcraft")
    await lsp_client.initialize_session(
        types.InitializeParams(
            capabilities=client_capabilities(PROFILES["vscode"]),
            root_uri=from_fs_path(str(root)),
            workspace_folders=[
                types.WorkspaceFolder(uri=from_fs_path(str(root)) or "", name="workspace")
            ],
        )
    )
    await lsp_client.open(NORMAL, VALID_WISH)
    yield
    await lsp_client.shutdown_session()
    if request.config.get_verbosity() > 0 and FIGURES:
        report = request.config.pluginmanager.get_plugin("terminalreporter")
        capture = request.config.pluginmanager.get_plugin("capturemanager")
        assert capture is not None
        with capture.global_and_fixture_disabled():
            _print_figures(report)


def _print_figures(report: Any) -> None:
    """Write the measured figures under the test results."""
    report.write_line("")
    report.write_line(
        f"{'hostile document':26} {'chars':>11} {'diags s':>8} "
        f"{'slowest request s':>30} {'edit s':>7} {'peak MB':>8} {'closed MB':>9}"
    )
    for name, f in FIGURES.items():
        slowest = f"{f.slowest_request} {f.slowest_request_s:.3f}" if f.slowest_request else ""
        report.write_line(
            f"{name:26} {f.chars:>11,} {f.diagnostics_s:>8.3f} {slowest:>30} "
            f"{f.edit_s:>7.3f} {f.peak_mb:>8.0f} {f.after_close_mb:>9.0f} {f.note}"
        )


async def timed(request: Any) -> tuple[Any, float]:
    """Await a request's answer (a lost one fails); return it with the seconds it took."""
    start = time.perf_counter()
    answer = await asyncio.wait_for(request, HANG_SECONDS)
    return answer, time.perf_counter() - start


async def still_serving(client: WishClient) -> None:
    """A normal wish still gets its hover and completion."""
    document = types.TextDocumentIdentifier(uri=client.uri(NORMAL))
    hover, _ = await timed(
        client.text_document_hover_async(
            types.HoverParams(
                text_document=document, position=types.Position(line=DURATION_LINE, character=5)
            )
        )
    )
    assert hover is not None and "duration_days" in hover.contents.value
    completion, _ = await timed(
        client.text_document_completion_async(
            types.CompletionParams(
                text_document=document, position=types.Position(line=DURATION_LINE + 1, character=0)
            )
        )
    )
    assert completion is not None and completion.items
    assert not [m for m in client.messages if m.type == types.MessageType.Error]


async def every_request(client: WishClient, uri: str, lines: int) -> tuple[float, str]:
    """Ask every document request at a few places; return the slowest answer's seconds and
    method."""
    document = types.TextDocumentIdentifier(uri=uri)
    requests: list[tuple[str, Any]] = []
    for line in sorted({0, 1, lines // 2, max(lines - 1, 0)}):
        position = types.Position(line=line, character=3)
        requests += [
            (
                "hover",
                client.text_document_hover_async(
                    types.HoverParams(text_document=document, position=position)
                ),
            ),
            (
                "completion",
                client.text_document_completion_async(
                    types.CompletionParams(text_document=document, position=position)
                ),
            ),
            (
                "definition",
                client.text_document_definition_async(
                    types.DefinitionParams(text_document=document, position=position)
                ),
            ),
            (
                "codeAction",
                client.text_document_code_action_async(
                    types.CodeActionParams(
                        text_document=document,
                        range=types.Range(start=position, end=position),
                        context=types.CodeActionContext(diagnostics=[]),
                    )
                ),
            ),
        ]
    requests += [
        (
            "documentSymbol",
            client.text_document_document_symbol_async(
                types.DocumentSymbolParams(text_document=document)
            ),
        ),
        (
            "foldingRange",
            client.text_document_folding_range_async(
                types.FoldingRangeParams(text_document=document)
            ),
        ),
        (
            "codeLens",
            client.text_document_code_lens_async(types.CodeLensParams(text_document=document)),
        ),
    ]
    slowest, which = 0.0, ""
    for method, request in requests:  # one at a time, so each time is that request's own
        seconds = (await timed(request))[1]
        if seconds > slowest:
            slowest, which = seconds, method
    return slowest, which


def alias_bomb() -> str:
    """Billion laughs: nine levels of nine aliases each, 387 million nodes if expanded."""
    lines = ['a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    for previous, name in zip("abcdefgh", "bcdefghi", strict=True):
        lines.append(f"{name}: &{name} [" + ",".join([f"*{previous}"] * 9) + "]")
    return "\n".join(lines) + "\n"


def indented_mappings(depth: int) -> str:
    """`k0:\\n k1:\\n  k2:` … one space deeper per level (quadratic size: 10,000 is 50 MB)."""
    return "".join(" " * level + f"k{level}:\n" for level in range(depth))


def nested_then_blank(depth: int, blank: int) -> str:
    """Mappings nested `depth` deep, then `blank` empty lines: every block ends past them."""
    return indented_mappings(depth) + " " * depth + "x: 1\n" + "\n" * blank


def ten_megabytes() -> str:
    """The valid wish with invariants added until the file is 10 MB."""
    line = '  - "No harm to civilians in the Sunken Quarter, not even a little"\n'
    return VALID_WISH.replace(
        "invariants:\n", "invariants:\n" + line * (10_000_000 // len(line)), 1
    )


def with_title(title: str) -> str:
    """The valid wish with another title."""
    return VALID_WISH.replace('"Relight the Sunken Quarter lighthouse"', title, 1)


def exactly(code: str) -> Callable[[list[types.Diagnostic]], None]:
    """Expect one diagnostic, with this code."""

    def check(diagnostics: list[types.Diagnostic]) -> None:
        assert [d.code for d in diagnostics] == [code], diagnostics

    return check


def refused(limit: int) -> Callable[[list[types.Diagnostic]], None]:
    """Expect one diagnostic saying the file is too large, and the limit it passed."""

    def check(diagnostics: list[types.Diagnostic]) -> None:
        assert [d.code for d in diagnostics] == ["yaml-too-large"], diagnostics
        assert f"{limit:,}" in diagnostics[0].message
        assert diagnostics[0].severity == types.DiagnosticSeverity.Error

    return check


def including(*codes: str) -> Callable[[list[types.Diagnostic]], None]:
    """Expect these codes among the diagnostics, and no more diagnostics than the cap."""

    def check(diagnostics: list[types.Diagnostic]) -> None:
        assert set(codes) <= {str(d.code) for d in diagnostics}, diagnostics
        assert len(diagnostics) <= MAX_FINDINGS + 1

    return check


def capped(unknown: int) -> Callable[[list[types.Diagnostic]], None]:
    """Thousands of unknown keys: the cap, then one line counting the rest."""

    def check(diagnostics: list[types.Diagnostic]) -> None:
        assert len(diagnostics) == MAX_FINDINGS + 1
        last = next(d for d in diagnostics if d.code == "too-many-findings")
        assert last.message.startswith(f"{unknown - MAX_FINDINGS:,} more findings")

    return check


def nothing_wrong(diagnostics: list[types.Diagnostic]) -> None:
    """A long but valid document has no diagnostics."""
    assert list(diagnostics) == []


def conduits(count: int) -> str:
    """A registry of `count` valid conduits (36 nodes each), spelt as upstream's types read
    them (PascalCase, as upstream's own registry, gets an info per value)."""
    return "".join(
        f"""- id: "worldsmith.place{number}"
  label: "Worldsmithing Placement {number}"
  disposition: literalist
  domains: [world-authoring]
  scopes:
    - zone: "*"
      actions: ["place", "remove"]
  risk_class: low
  determinism: deterministic
  latency_class: instant
  permissions: ["place", "remove"]
  limits:
    per_wish_entities: 500
  audit_fields: ["placements_count"]
"""
        for number in range(count)
    )


REGISTRY_DOCUMENTS = {"registry-1380-conduits", "registry-alias-bomb", "registry-dense-60000-nodes"}
"""Opened as `conduits/registry.yaml` (analysed as a registry), not as wishes."""

HOSTILE: dict[str, tuple[Callable[[], str], Callable[[list[types.Diagnostic]], None]]] = {
    "alias-bomb": (alias_bomb, including("yaml-alias-bomb")),
    "flow-nesting-10000": (
        lambda: "plan: " + "[" * 10_000 + "]" * 10_000 + "\n",
        including("yaml-too-deep"),
    ),
    "block-sequences-10000": (
        lambda: "plan:\n" + "- " * 10_000 + "x\n",
        including("yaml-too-deep"),
    ),
    "block-keys-10000": (lambda: "? " * 10_000 + "x\n", including("yaml-too-deep")),
    "indented-mappings-1900": (lambda: indented_mappings(1_900), including("yaml-too-deep")),
    "indented-mappings-10000": (lambda: indented_mappings(10_000), refused(MAX_DOCUMENT_CHARS)),
    "ten-megabytes": (ten_megabytes, refused(MAX_DOCUMENT_CHARS)),
    "dense-flow-60000-nodes": (
        lambda: "plan: [" + ",".join(["1"] * 60_000) + "]\n",
        refused(MAX_NODES),
    ),
    "line-of-200000-chars": (lambda: with_title('"' + "x" * 200_000 + '"'), nothing_wrong),
    "nul-byte": (lambda: with_title('"Relight\x00 the lighthouse"'), exactly("yaml-syntax")),
    "lone-surrogate": (
        lambda: with_title('"Relight \ud800 the lighthouse"'),
        including("yaml-syntax"),
    ),
    "keys-20000": (
        lambda: VALID_WISH + "".join(f"key_{i}: {i}\n" for i in range(20_000)),
        capped(20_000),
    ),
    "keys-30000": (
        lambda: VALID_WISH + "".join(f"key_{i}: {i}\n" for i in range(30_000)),
        refused(MAX_NODES),
    ),
    "blank-lines-1900000": (
        lambda: nested_then_blank(90, 1_900_000),
        including("missing-key", "unknown-key"),
    ),
    "registry-1380-conduits": (lambda: conduits(1_380), nothing_wrong),
    "registry-alias-bomb": (
        lambda: "- " + alias_bomb().replace("\n", "\n  "),
        including("yaml-alias-bomb"),
    ),
    "registry-dense-60000-nodes": (
        lambda: "[" + ",".join(["{}"] * 60_000) + "]\n",
        refused(MAX_NODES),
    ),
}


async def test_the_limits_are_the_documented_ones() -> None:
    """The figures the diagnostics quote (and this module's documents are built around)."""
    assert (MAX_DEPTH, MAX_NODES, MAX_EXPANDED_NODES, MAX_DOCUMENT_CHARS) == (
        100,
        50_000,
        100_000,
        2_000_000,
    )
    assert len(indented_mappings(1_900)) < MAX_DOCUMENT_CHARS < len(indented_mappings(10_000))


@pytest.mark.parametrize("name", list(HOSTILE))
async def test_hostile_document(client: WishClient, name: str) -> None:
    make, check = HOSTILE[name]
    text = make()
    figures = FIGURES[name] = Figures(chars=len(text))
    relative = (
        f"hostile/{name}/conduits/registry.yaml"
        if name in REGISTRY_DOCUMENTS
        else f"data/wishes/x-{name}.wish.yaml"
    )
    uri = client.uri(relative)
    reset_peak(client)

    published, figures.diagnostics_s = await timed(client.open(relative, text))
    check(list(published.diagnostics))
    for diagnostic in published.diagnostics:
        assert diagnostic.source == "wishcraft" and diagnostic.message
    figures.slowest_request_s, figures.slowest_request = await every_request(
        client, uri, text.count("\n") + 1
    )

    after = client.published.count()
    start = time.perf_counter()
    version = client.change(
        relative,
        "# edited\n",
        types.Range(
            start=types.Position(line=0, character=0), end=types.Position(line=0, character=0)
        ),
    )
    await asyncio.wait_for(client.published.wait(uri, version=version, after=after), HANG_SECONDS)
    figures.edit_s = time.perf_counter() - start

    await still_serving(client)
    figures.peak_mb = memory_mb(client, "VmHWM")
    after = client.published.count()
    client.close(relative)
    await client.published.wait(uri, after=after)
    figures.after_close_mb = memory_mb(client)
    assert figures.peak_mb < PEAK_RSS_MB
    assert figures.after_close_mb < SETTLED_RSS_MB


async def test_a_burst_of_1000_edits_publishes_the_last_version(client: WishClient) -> None:
    """Versions 2…1001 sent without waiting: diagnostics end on the final text, none stale."""
    name = "data/wishes/x-burst.wish.yaml"
    uri = client.uri(name)
    await client.open(name, VALID_WISH)
    line = VALID_WISH.splitlines().index("tier: meso")
    tier = types.Range(
        start=types.Position(line=line, character=6), end=types.Position(line=line, character=10)
    )
    after = client.published.count()
    start = time.perf_counter()
    for edit in range(1_000):  # typing over the tier: mezo, meso, mezo, … then mega
        version = client.change(name, "mega" if edit == 999 else ("mezo", "meso")[edit % 2], tier)
    assert version == 1_001
    final = await asyncio.wait_for(
        client.published.wait(uri, version=version, after=after), HANG_SECONDS
    )
    figures = FIGURES["burst-1000-edits"] = Figures(
        chars=len(VALID_WISH), diagnostics_s=time.perf_counter() - start
    )
    fresh = await client.open(
        "data/wishes/x-burst-final.wish.yaml", VALID_WISH.replace("tier: meso", "tier: mega")
    )
    assert [(d.code, d.range, d.message) for d in final.diagnostics] == [
        (d.code, d.range, d.message) for d in fresh.diagnostics
    ]
    assert [d.code for d in final.diagnostics] == ["invalid-tier"]
    mine = [p for p in client.published.all[after:] if p.uri == uri]
    versions = [p.version for p in mine if p.version is not None]
    assert len(versions) == len(mine), "every publication names its version"
    assert versions == sorted(versions), "never an older version after a newer one"
    assert versions[-1] == version
    figures.note = f"{len(versions)} publications: versions {versions}"
    assert len(versions) < 100, f"the burst is debounced, not analysed {len(versions)} times"
    await still_serving(client)


async def test_a_registry_that_is_not_utf8_is_named_in_the_diagnostics(client: WishClient) -> None:
    """A registry on disk with invalid UTF-8: the wish says why no tool is known."""
    registry = client.root / "latin1" / "data" / "conduits" / "registry.yaml"
    registry.parent.mkdir(parents=True)
    original = (WORKSPACE / "data" / "conduits" / "registry.yaml").read_text()
    registry.write_bytes(original.replace("Worldsmithing", "Worldsm\xefthing").encode("latin-1"))
    published, seconds = await timed(client.open("latin1/data/wishes/w.wish.yaml", VALID_WISH))
    unknown = [d for d in published.diagnostics if d.code == "unknown-conduit"]
    assert len(unknown) == 3  # every tool of the wish
    assert all("not UTF-8" in d.message or "utf-8" in d.message for d in unknown), unknown
    assert str(registry) in unknown[0].message
    FIGURES["registry-not-utf8"] = Figures(chars=len(original), diagnostics_s=seconds)
    await still_serving(client)


async def test_a_config_file_that_is_not_utf8_gives_one_message_and_default_rules(
    client: WishClient,
) -> None:
    """wishcraft.toml with invalid UTF-8: one warning, then the default rules apply."""
    config = client.root / "bad-toml" / "data" / "config" / "wishcraft.toml"
    config.parent.mkdir(parents=True)
    config.write_bytes(b"[lint]\n# caf\xe9\nseverity = {}\n")
    shown = asyncio.ensure_future(client.wait_for_notification(types.WINDOW_SHOW_MESSAGE))
    published, seconds = await timed(
        client.open(
            "bad-toml/data/wishes/w.wish.yaml", VALID_WISH.replace("tier: meso", "tier: mezo")
        )
    )
    message = await asyncio.wait_for(shown, HANG_SECONDS)
    assert message.type == types.MessageType.Warning
    # Named relative to the workspace folder, as every message of the server names files.
    assert "bad-toml/data/config/wishcraft.toml:" in message.message
    assert str(config) not in message.message and "not UTF-8" in message.message
    assert [d.code for d in published.diagnostics] == ["invalid-tier"]
    FIGURES["config-not-utf8"] = Figures(chars=config.stat().st_size, diagnostics_s=seconds)
    await still_serving(client)


# The bounds, counted: deterministic checks that the work on a hostile document stops at its
# limit, whatever the speed of the machine.


class CountingLines(list[str]):
    """A document's lines that count how many are read one by one."""

    reads = 0

    def __getitem__(self, index: Any) -> Any:
        CountingLines.reads += 1
        return super().__getitem__(index)


def wish_snapshot(text: str) -> DocumentSnapshot:
    """Analyse a wish as the server does, its lines counting their reads."""
    analysis = analyse_wish(text, bundled_registry())
    analysis.parsed.lines = CountingLines(analysis.parsed.lines)
    path = Path("/w/data/wishes/w.wish.yaml")
    return DocumentSnapshot(
        path.as_uri(), 1, path, analysis, PositionMapper(analysis.parsed.lines), bundled_registry()
    )


async def test_blocks_ending_in_a_million_blank_lines_read_each_line_once() -> None:
    """Folding, outline and quick fixes find a block's last line from one table, not by
    walking back over the blank lines once per node (16 s, 1.4 s and 3 s before)."""
    snapshot = wish_snapshot(nested_then_blank(90, 1_000_000))
    CountingLines.reads = 0
    folds = folding_ranges(snapshot)
    symbols = document_symbols(snapshot)
    start = Position(0, 0)
    fixes = code_actions(snapshot, Span(start, start), None)
    assert folds[0].end_line == 90 and symbols[0].range.end.line == 90
    assert [action.title for action in fixes].count("Add `title`") == 1
    assert CountingLines.reads < 10_000


async def test_completion_reads_a_bounded_window_of_lines() -> None:
    """Completion reads parent and sibling keys from the text when the tree is cut short;
    it reads at most `MAX_SCAN_LINES` lines each way, not the whole file."""
    text = "plan:\n" + "  - step\n" * 300_000 + "  - [\n"  # a syntax error at the end
    snapshot = wish_snapshot(text)
    CountingLines.reads = 0
    complete(snapshot, Position(150_000, 4), snippets=True)
    assert CountingLines.reads <= 2 * MAX_SCAN_LINES + 10


async def test_folding_sends_the_first_ranges_up_to_its_cap() -> None:
    text = "plan:\n" + "".join(f"  - a: {i}\n    b: {i}\n" for i in range(MAX_FOLDING_RANGES))
    ranges = folding_ranges(wish_snapshot(text))
    assert len(ranges) == MAX_FOLDING_RANGES
    assert (ranges[0].start_line, ranges[0].end_line) == (0, 2 * MAX_FOLDING_RANGES)
    assert ranges[-1].start_line == 2 * (MAX_FOLDING_RANGES - 2) + 1  # the list, then items


async def test_a_list_item_folds_without_the_next_items_first_line() -> None:
    """A block ends where the next token starts: for an item, at the next dash's column."""
    ranges = folding_ranges(wish_snapshot("plan:\n  - a: 0\n    b: 0\n  - a: 1\n    b: 1\n"))
    assert [(r.start_line, r.end_line) for r in ranges] == [(0, 4), (1, 2), (3, 4)]


async def test_an_alias_bomb_outline_does_not_follow_aliases() -> None:
    symbols = document_symbols(wish_snapshot(alias_bomb()))
    assert [symbol.name for symbol in symbols] == list("abcdefghi")
    items = [item for symbol in symbols for item in symbol.children or []]
    assert len(items) == 81, "nine lists of nine items"
    assert all(not item.children for item in items), "an alias is a leaf, not its target"


async def test_an_outline_stops_at_its_cap_and_says_so() -> None:
    text = "".join(f"key_{i}: {i}\n" for i in range(MAX_SYMBOLS + 100))
    symbols = document_symbols(wish_snapshot(text))
    assert len(symbols) == MAX_SYMBOLS + 1
    assert symbols[-1].name == "…" and f"{MAX_SYMBOLS:,}" in (symbols[-1].detail or "")
    assert symbols[-1].range.start.line == MAX_SYMBOLS


@pytest.mark.parametrize(
    ("text", "expensive"),
    [
        ("plan: [" + ",".join(["{a: 1}"] * 5_000) + "]\n", "_error_finding"),
        ("tools: [" + ",".join([f"tool.{i}" for i in range(10_000)]) + "]\n", "get_close_matches"),
        ("".join(f"key_{i}: {i}\n" for i in range(10_000)), "_finding"),
    ],
    ids=["wrong-items", "unknown-tools", "unknown-keys"],
)
async def test_findings_past_the_cap_are_not_computed(
    monkeypatch: pytest.MonkeyPatch, text: str, expensive: str
) -> None:
    """Thousands of wrong items: the first `MAX_FINDINGS` are placed and worded, the rest
    only counted or cut, and one last finding says more are not shown."""
    import difflib

    from wishcraft.lint import schema, wish_rules

    calls = 0
    for module in (schema, wish_rules, difflib):
        original = getattr(module, expensive, None)
        if original is None:
            continue

        def counted(*args: Any, _original: Any = original, **kwargs: Any) -> Any:
            nonlocal calls
            calls += 1
            return _original(*args, **kwargs)

        monkeypatch.setattr(module, expensive, counted)
    findings = analyse_wish(text, bundled_registry()).findings
    assert 0 < calls <= MAX_FINDINGS + 20  # + the wish's own few findings
    assert len(findings) == MAX_FINDINGS + 1
    (more,) = [finding for finding in findings if finding.code == "too-many-findings"]
    assert more.message.lower().endswith("more findings are not shown; fix the ones above first.")


async def test_a_document_past_the_node_limit_is_refused_before_it_is_built() -> None:
    parsed = parse_yaml("[" + ",".join(["1"] * (MAX_NODES * 3)) + "]")
    assert parsed.root is None and parsed.data is None
    assert [f.code for f in parsed.findings] == ["yaml-too-large"]
    assert f"{MAX_NODES:,}" in parsed.findings[0].message


async def test_the_collector_is_paused_while_parsing_and_restored_after() -> None:
    seen: list[bool] = []
    gc.callbacks.append(lambda phase, info: seen.append(phase == "start"))
    try:
        with gc_paused():
            parse_yaml("[" + ",".join(["{a: [1]}"] * 20_000) + "]")
            assert not gc.isenabled()
        assert gc.isenabled()
    finally:
        gc.callbacks.pop()
    with gc_paused():
        gc.disable()
    gc.enable()
