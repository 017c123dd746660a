"""Measure our server beside its peers, feature by feature, with one client: issue 25's table.

The peers: redhat's yaml-language-server (with our wish schema), GitHub's Actions language
server, tombi (TOML) and pyright. Each is installed on the first run if missing (npm into
`bench/.node/`, PyPI into `bench/.pyvenv/`, see peer_servers.py), started over stdio and
driven by the same pygls LanguageClient, on its own kind of file from `bench/peers/`.

1. Features: for issue 25's twelve features and the seven we already led on, whether the
   server announces it (in its initialize answer, or by a dynamic client/registerCapability,
   which the client answers and records) and, separately, whether it answers with a non-empty
   result where the file should give one. A request is sent whatever was announced, so a claim
   is checked, not assumed. This probe's client supports pull diagnostics.
2. Figures, on the ~40-line file and one of ~5,000 lines: didOpen → first diagnostics,
   didChange → diagnostics, completion, hover, document symbols, formatting and references
   (each where the server announces it), median / p99 in ms with our median over theirs; the
   server's memory (RSS, its process tree) with the large file open; the cold start, spawn to
   `initialize` answered. These runs' client has push diagnostics only, as bench_lsp.py's.

Every server runs under a time budget; one that cannot be installed or started is reported as
"unavailable: <reason>" and the others still run. Prints a Markdown report (and writes it with
`--markdown FILE`); docs/peers.md holds one from this machine.

    .venv/bin/python bench/bench_peers.py --markdown /tmp/peers.md   # about four minutes
    .venv/bin/python bench/bench_peers.py --quick --only tombi        # one server, briefly
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from lsprotocol import types
from pygls.lsp.client import LanguageClient

sys.path.insert(0, str(Path(__file__).resolve().parent))

from peer_probe import (  # noqa: E402
    FEATURES,
    announced,
    cell,
    figure,
    markdown_table,
    non_empty,
    percentile,
    ratio,
    section,
)
from peer_servers import OURS, Kind, Peer, Spot, peers, position  # noqa: E402

REQUEST_TIMEOUT = 15.0
"""Seconds for one request or one expected notification."""


class Unavailable(Exception):
    """A server that could not be started; its message is the table's reason."""


PARTIAL = "bench-peers-workspace-diagnostic"
"""The partial-result token of the workspace/diagnostic probe."""


def client_capabilities(pull: bool) -> types.ClientCapabilities:
    """What the client says it supports, the same for every server: about what VS Code says,
    dynamic registration included; pull diagnostics only when `pull`."""
    return types.ClientCapabilities(
        window=types.WindowClientCapabilities(
            work_done_progress=True,
            show_document=types.ShowDocumentClientCapabilities(support=True),
        ),
        workspace=types.WorkspaceClientCapabilities(
            apply_edit=True,
            configuration=True,
            workspace_folders=True,
            workspace_edit=types.WorkspaceEditClientCapabilities(
                document_changes=True,
                change_annotation_support=types.ChangeAnnotationsSupportOptions(),
            ),
            did_change_configuration=types.DidChangeConfigurationClientCapabilities(
                dynamic_registration=True
            ),
            did_change_watched_files=types.DidChangeWatchedFilesClientCapabilities(
                dynamic_registration=True
            ),
            symbol=types.WorkspaceSymbolClientCapabilities(dynamic_registration=True),
            execute_command=types.ExecuteCommandClientCapabilities(dynamic_registration=True),
            semantic_tokens=types.SemanticTokensWorkspaceClientCapabilities(refresh_support=True),
            inlay_hint=types.InlayHintWorkspaceClientCapabilities(refresh_support=True),
            code_lens=types.CodeLensWorkspaceClientCapabilities(refresh_support=True),
            diagnostics=(
                types.DiagnosticWorkspaceClientCapabilities(refresh_support=True) if pull else None
            ),
        ),
        text_document=types.TextDocumentClientCapabilities(
            synchronization=types.TextDocumentSyncClientCapabilities(dynamic_registration=True),
            completion=types.CompletionClientCapabilities(
                dynamic_registration=True,
                completion_item=types.ClientCompletionItemOptions(
                    snippet_support=True, documentation_format=[types.MarkupKind.Markdown]
                ),
            ),
            hover=types.HoverClientCapabilities(
                dynamic_registration=True, content_format=[types.MarkupKind.Markdown]
            ),
            definition=types.DefinitionClientCapabilities(dynamic_registration=True),
            references=types.ReferenceClientCapabilities(dynamic_registration=True),
            document_highlight=types.DocumentHighlightClientCapabilities(dynamic_registration=True),
            document_symbol=types.DocumentSymbolClientCapabilities(
                dynamic_registration=True, hierarchical_document_symbol_support=True
            ),
            code_action=types.CodeActionClientCapabilities(
                dynamic_registration=True,
                code_action_literal_support=types.ClientCodeActionLiteralOptions(
                    code_action_kind=types.ClientCodeActionKindOptions(
                        value_set=list(types.CodeActionKind)
                    )
                ),
            ),
            code_lens=types.CodeLensClientCapabilities(dynamic_registration=True),
            document_link=types.DocumentLinkClientCapabilities(dynamic_registration=True),
            formatting=types.DocumentFormattingClientCapabilities(dynamic_registration=True),
            range_formatting=types.DocumentRangeFormattingClientCapabilities(
                dynamic_registration=True
            ),
            rename=types.RenameClientCapabilities(dynamic_registration=True, prepare_support=True),
            publish_diagnostics=types.PublishDiagnosticsClientCapabilities(version_support=True),
            folding_range=types.FoldingRangeClientCapabilities(dynamic_registration=True),
            selection_range=types.SelectionRangeClientCapabilities(dynamic_registration=True),
            semantic_tokens=types.SemanticTokensClientCapabilities(
                dynamic_registration=True,
                requests=types.ClientSemanticTokensRequestOptions(full=True),
                token_types=[str(kind.value) for kind in types.SemanticTokenTypes],
                token_modifiers=[str(kind.value) for kind in types.SemanticTokenModifiers],
                formats=[types.TokenFormat.Relative],
            ),
            inlay_hint=types.InlayHintClientCapabilities(dynamic_registration=True),
            diagnostic=types.DiagnosticClientCapabilities(dynamic_registration=True)
            if pull
            else None,
        ),
    )


class Session:
    """One running server and the client driving it: what it registered, published and said
    on stderr, and requests under a timeout with their answers as the JSON that was sent."""

    def __init__(self, peer: Peer, root: Path, probing: bool) -> None:
        self.peer = peer
        self.root = root
        self.settings = peer.settings_for(probing)
        self.pull = probing
        self.client = LanguageClient("bench-peers", "1")
        self.capabilities: dict[str, Any] = {}
        self.registrations: list[dict[str, Any]] = []
        self.published: dict[str, list[tuple[int | None, int]]] = {}
        self.last_diagnostics: dict[str, list[Any]] = {}
        self.partial_items: list[dict[str, Any]] = []
        self.waiting: list[tuple[str, int | None, asyncio.Future[None]]] = []
        self.progress: set[str] = set()
        self.idle = asyncio.Event()
        self.idle.set()
        self.stderr: list[str] = []
        self.versions: dict[str, int] = {}
        self._handlers()

    def _handlers(self) -> None:
        # pygls' decorators are untyped, and mark the function they get: each handler is
        # registered through a lambda of its own.
        feature = self.client.feature
        feature(types.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS)(lambda params: self._published(params))
        feature(types.WORKSPACE_CONFIGURATION)(lambda params: self._configuration(params))
        feature(types.CLIENT_REGISTER_CAPABILITY)(lambda params: self._register(params))
        feature(types.PROGRESS)(lambda params: self._progress(params))
        feature(types.WORKSPACE_WORKSPACE_FOLDERS)(lambda params: self._folders(params))
        for method in (
            types.CLIENT_UNREGISTER_CAPABILITY,
            types.WINDOW_WORK_DONE_PROGRESS_CREATE,
            types.WINDOW_LOG_MESSAGE,
            types.WINDOW_SHOW_MESSAGE,
            types.WINDOW_SHOW_MESSAGE_REQUEST,
            types.WINDOW_SHOW_DOCUMENT,
            types.TELEMETRY_EVENT,
            types.WORKSPACE_SEMANTIC_TOKENS_REFRESH,
            types.WORKSPACE_INLAY_HINT_REFRESH,
            types.WORKSPACE_CODE_LENS_REFRESH,
            types.WORKSPACE_DIAGNOSTIC_REFRESH,
            "yaml/resultLimitReached",
        ):
            feature(method)(lambda *args: None)

    def _published(self, params: types.PublishDiagnosticsParams) -> None:
        self.published.setdefault(params.uri, []).append((params.version, len(params.diagnostics)))
        self.last_diagnostics[params.uri] = self.json(params.diagnostics)
        for item in list(self.waiting):
            uri, version, future = item
            if uri == params.uri and (version is None or params.version in (None, version)):
                self.waiting.remove(item)
                if not future.done():
                    future.set_result(None)

    def _configuration(self, params: types.ConfigurationParams) -> list[Any]:
        return [section(self.settings, item.section) for item in params.items]

    def _register(self, params: types.RegistrationParams) -> None:
        for registration in params.registrations:
            self.registrations.append(self.json(registration))

    def _progress(self, params: types.ProgressParams) -> None:
        if params.token == PARTIAL and isinstance(params.value, dict):
            self.partial_items.extend(params.value.get("items", []))
            return
        kind = params.value.get("kind") if isinstance(params.value, dict) else None
        if kind == "begin":
            self.progress.add(str(params.token))
            self.idle.clear()
        elif kind == "end":
            self.progress.discard(str(params.token))
            if not self.progress:
                self.idle.set()

    def _folders(self, params: None) -> list[types.WorkspaceFolder]:
        return [types.WorkspaceFolder(uri=self.root.as_uri(), name="bench")]

    def json(self, value: Any) -> Any:
        """A typed value back to the JSON it came as."""
        return self.client.protocol._converter.unstructure(value)

    @property
    def pid(self) -> int:
        """The server's process id."""
        process = self.client._server
        assert process is not None
        return process.pid

    async def start(self) -> float:
        """Spawn and initialise the server; return the milliseconds to `initialize` answered.
        A server that exits first, or stays silent for a minute, raises `Unavailable` with the
        end of what it wrote on stderr."""
        started = time.perf_counter()
        await self.client.start_io(*self.peer.command, cwd=str(self.root))
        process = self.client._server
        assert process is not None and process.stderr is not None
        drain = asyncio.create_task(self._drain(process.stderr))
        self.client._async_tasks.append(drain)
        initialize = asyncio.ensure_future(
            self.client.initialize_async(
                types.InitializeParams(
                    capabilities=client_capabilities(self.pull),
                    process_id=os.getpid(),
                    root_uri=self.root.as_uri(),
                    root_path=str(self.root),
                    workspace_folders=[types.WorkspaceFolder(uri=self.root.as_uri(), name="bench")],
                    initialization_options=self.peer.initialization_options,
                )
            )
        )
        exited = asyncio.ensure_future(process.wait())
        try:
            await asyncio.wait(
                {initialize, exited}, timeout=60, return_when=asyncio.FIRST_COMPLETED
            )
        finally:
            exited.cancel()
        failed = initialize.done() and initialize.exception() is not None
        if not initialize.done() or (failed and process.returncode is not None):
            initialize.cancel()  # pygls fails it with its own words when the server exits
            if process.returncode is None:
                raise Unavailable("no answer to initialize in 60 s")
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(drain, 2)  # what it said before it went
            said = next((line for line in reversed(self.stderr) if line.strip()), "")
            raise Unavailable(
                f"exited with status {process.returncode} before answering initialize"
                + (f": {said[:200]}" if said else "")
            )
        result = initialize.result()
        elapsed = (time.perf_counter() - started) * 1000
        self.capabilities = self.json(result.capabilities)
        self.client.initialized(types.InitializedParams())
        self.client.workspace_did_change_configuration(
            types.DidChangeConfigurationParams(settings=self.settings)
        )
        return elapsed

    async def _drain(self, stream: asyncio.StreamReader) -> None:
        """Read the server's stderr so that it never blocks on a full pipe; keep the end."""
        while line := await stream.readline():
            self.stderr = [*self.stderr[-20:], line.decode(errors="replace").rstrip()]

    async def quiet(self, limit: float = 30.0) -> None:
        """Wait until every work-done progress the server began has ended (its indexing), at
        most `limit` seconds; a moment first, as a first `begin` may still be on its way."""
        await asyncio.sleep(0.3)
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self.idle.wait(), limit)

    def uri(self, relative: str) -> str:
        """The URI of a file of the workspace."""
        return (self.root / relative).as_uri()

    def expect(self, uri: str, version: int | None = None) -> asyncio.Future[None]:
        """A future resolved by the next publishDiagnostics for `uri` (for `version`, when the
        server stamps one)."""
        future: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self.waiting.append((uri, version, future))
        return future

    def open(self, uri: str, text: str) -> None:
        """Send didOpen at version 1."""
        self.versions[uri] = 1
        self.client.text_document_did_open(
            types.DidOpenTextDocumentParams(
                text_document=types.TextDocumentItem(
                    uri=uri, language_id=self.peer.kind.language_id, version=1, text=text
                )
            )
        )

    def close(self, uri: str) -> None:
        """Send didClose."""
        self.versions.pop(uri, None)
        self.client.text_document_did_close(
            types.DidCloseTextDocumentParams(text_document=types.TextDocumentIdentifier(uri=uri))
        )

    def change(self, uri: str, at: tuple[int, int], character: str) -> int:
        """Replace one character at `at`; return the new version."""
        version = self.versions[uri] + 1
        self.versions[uri] = version
        line, column = at
        self.client.text_document_did_change(
            types.DidChangeTextDocumentParams(
                text_document=types.VersionedTextDocumentIdentifier(uri=uri, version=version),
                content_changes=[
                    types.TextDocumentContentChangePartial(
                        range=types.Range(
                            start=types.Position(line=line, character=column),
                            end=types.Position(line=line, character=column + 1),
                        ),
                        text=character,
                    )
                ],
            )
        )
        return version

    async def request(self, method: str, params: Any, seconds: float = REQUEST_TIMEOUT) -> Any:
        """Send a request and return its answer as JSON (within `seconds`)."""
        answer = await asyncio.wait_for(
            self.client.protocol.send_request_async(method, params), seconds
        )
        return self.json(answer)

    def rss_mb(self) -> float:
        """The resident memory of the server and every process under it, in MB (Linux)."""
        children: dict[int, list[int]] = {}
        for entry in Path("/proc").iterdir():
            if entry.name.isdigit():
                with contextlib.suppress(OSError):
                    fields = (entry / "stat").read_text().rpartition(")")[2].split()
                    children.setdefault(int(fields[1]), []).append(int(entry.name))
        total, todo = 0.0, [self.pid]
        while todo:
            pid = todo.pop()
            todo.extend(children.get(pid, []))
            with contextlib.suppress(OSError):
                for line in Path(f"/proc/{pid}/status").read_text().splitlines():
                    if line.startswith("VmRSS:"):
                        total += int(line.split()[1]) / 1024
        return total

    async def stop(self) -> None:
        """Shut the server down politely, then for sure: one that does not answer `shutdown`
        in 3 s, or stay down 3 s after `exit`, is killed."""
        process = self.client._server
        if process is not None and process.returncode is None:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(self.client.shutdown_async(None), 3)
                self.client.exit(None)
                await asyncio.wait_for(process.wait(), 3)
            if process.returncode is None:
                process.kill()
                await process.wait()
        with contextlib.suppress(Exception):
            await asyncio.wait_for(self.client.stop(), 5)  # type: ignore[no-untyped-call]


@dataclass
class Report:
    """What was learnt of one server; filled as the run goes, so a timeout keeps the rest."""

    peer: Peer
    version: str = "?"
    unavailable: str | None = None
    note: str = ""
    features: dict[str, tuple[str, str]] = field(default_factory=dict)
    registrations: list[str] = field(default_factory=list)
    times: dict[str, list[float]] = field(default_factory=dict)
    skipped: dict[str, str] = field(default_factory=dict)
    rss_mb: float | None = None
    cold: list[float] = field(default_factory=list)


def workspace(kind: Kind, folder: Path) -> Path:
    """A copy of the kind's fixture tree in a fresh folder; return its root."""
    root = folder / kind.folder
    shutil.copytree(Path(__file__).resolve().parent / "peers" / kind.folder, root)
    return Path(root)


def _where(text: str, spot: Spot) -> types.Position:
    line, column = position(text, spot)
    return types.Position(line=line, character=column)


def _document(uri: str) -> types.TextDocumentIdentifier:
    return types.TextDocumentIdentifier(uri=uri)


def _whole(text: str) -> types.Range:
    lines = text.split("\n")
    return types.Range(
        start=types.Position(line=0, character=0),
        end=types.Position(line=len(lines) - 1, character=len(lines[-1])),
    )


FORMAT = types.FormattingOptions(tab_size=2, insert_spaces=True)


async def probe_features(session: Session, report: Report) -> None:
    """Open the kind's file and ask for each feature; record announced and answered."""
    kind = session.peer.kind
    text = kind.text()
    uri = session.uri(kind.path)
    closed = session.uri(kind.closed)
    first = session.expect(uri)
    await session.quiet()
    session.open(uri, text)
    with contextlib.suppress(TimeoutError):  # a server that only answers pulls sends none
        await asyncio.wait_for(first, 5)
    await session.quiet()
    spots = kind.spots
    at = {name: _where(text, spot) for name, spot in spots.items()}
    target = at["target"]
    document = _document(uri)

    async def pulled() -> Any:
        return await session.request(
            types.TEXT_DOCUMENT_DIAGNOSTIC, types.DocumentDiagnosticParams(text_document=document)
        )

    async def not_open() -> Any:
        # A server may hold workspace/diagnostic open (a long poll) and stream its reports
        # as partial results: those count as its answer too.
        answer: dict[str, Any] = {}
        with contextlib.suppress(TimeoutError):
            answer = await session.request(
                types.WORKSPACE_DIAGNOSTIC,
                types.WorkspaceDiagnosticParams(
                    previous_result_ids=[], partial_result_token=PARTIAL
                ),
                seconds=5,
            )
        reports = [*answer.get("items", []), *session.partial_items]
        if not answer and not reports:
            raise TimeoutError
        # A streamed report may come first empty, then full: any full one is the answer.
        return [item for item in reports if item.get("uri") == closed and non_empty(item)]

    async def code_actions() -> Any:
        diagnostics: list[Any] = []
        with contextlib.suppress(Exception):
            diagnostics = (await pulled()).get("items", [])
        if not diagnostics:
            diagnostics = session.last_diagnostics.get(uri, [])
        typed = session.client.protocol._converter.structure(
            diagnostics[:1], list[types.Diagnostic]
        )
        return await session.request(
            types.TEXT_DOCUMENT_CODE_ACTION,
            types.CodeActionParams(
                text_document=document,
                range=typed[0].range if typed else _whole(text),
                context=types.CodeActionContext(diagnostics=typed),
            ),
        )

    async def anchors() -> Any:
        if "alias" not in at:
            return None
        went = await session.request(
            types.TEXT_DOCUMENT_DEFINITION,
            types.DefinitionParams(text_document=document, position=at["alias"]),
        )
        renamed = await session.request(
            types.TEXT_DOCUMENT_RENAME,
            types.RenameParams(text_document=document, position=at["anchor"], new_name="renamed"),
        )
        return [went] if non_empty(went) and non_empty(renamed) else None

    requests: dict[str, Callable[[], Awaitable[Any]]] = {
        "references": lambda: session.request(
            types.TEXT_DOCUMENT_REFERENCES,
            types.ReferenceParams(
                text_document=document,
                position=target,
                context=types.ReferenceContext(include_declaration=True),
            ),
        ),
        "rename": lambda: session.request(
            types.TEXT_DOCUMENT_RENAME,
            types.RenameParams(text_document=document, position=target, new_name=kind.rename_to),
        ),
        "diagnostics for files not open": not_open,
        "formatting": lambda: session.request(
            types.TEXT_DOCUMENT_FORMATTING,
            types.DocumentFormattingParams(text_document=document, options=FORMAT),
        ),
        "workspace symbols": lambda: session.request(
            types.WORKSPACE_SYMBOL, types.WorkspaceSymbolParams(query=kind.symbol_query)
        ),
        "pull diagnostics": pulled,
        "selection ranges": lambda: session.request(
            types.TEXT_DOCUMENT_SELECTION_RANGE,
            types.SelectionRangeParams(text_document=document, positions=[at["select"]]),
        ),
        "anchors: definition and rename": anchors,
        "document highlight": lambda: session.request(
            types.TEXT_DOCUMENT_DOCUMENT_HIGHLIGHT,
            types.DocumentHighlightParams(text_document=document, position=target),
        ),
        "document links": lambda: session.request(
            types.TEXT_DOCUMENT_DOCUMENT_LINK, types.DocumentLinkParams(text_document=document)
        ),
        "inlay hints": lambda: session.request(
            types.TEXT_DOCUMENT_INLAY_HINT,
            types.InlayHintParams(text_document=document, range=_whole(text)),
        ),
        "semantic tokens": lambda: session.request(
            types.TEXT_DOCUMENT_SEMANTIC_TOKENS_FULL,
            types.SemanticTokensParams(text_document=document),
        ),
        "definition": lambda: session.request(
            types.TEXT_DOCUMENT_DEFINITION,
            types.DefinitionParams(text_document=document, position=at.get("definition", target)),
        ),
        "code lens": lambda: session.request(
            types.TEXT_DOCUMENT_CODE_LENS, types.CodeLensParams(text_document=document)
        ),
        "code actions": code_actions,
        "completion": lambda: session.request(
            types.TEXT_DOCUMENT_COMPLETION,
            types.CompletionParams(text_document=document, position=at["completion"]),
        ),
        "hover": lambda: session.request(
            types.TEXT_DOCUMENT_HOVER,
            types.HoverParams(text_document=document, position=at["hover"]),
        ),
        "document symbols": lambda: session.request(
            types.TEXT_DOCUMENT_DOCUMENT_SYMBOL,
            types.DocumentSymbolParams(text_document=document),
        ),
        "folding": lambda: session.request(
            types.TEXT_DOCUMENT_FOLDING_RANGE, types.FoldingRangeParams(text_document=document)
        ),
    }
    # Formatting last: after a formatting request (its edits not applied) tombi 1.9.6 answers
    # definition and completion at the same places differently (definition null), so the
    # answers would depend on the order.
    for feature in sorted(FEATURES, key=lambda feature: feature.name == "formatting"):
        claim = announced(feature, session.capabilities, session.registrations)
        if feature.yaml_only and not kind.yaml:
            report.features[feature.name] = ("n/a", "n/a")
            continue
        answered = await _answer(requests[feature.name])
        if feature.name == "diagnostics for files not open" and answered != "yes":
            answered = await _pushed(session, closed, answered)
        report.features[feature.name] = (claim, answered)
    report.registrations = sorted({str(item.get("method")) for item in session.registrations})


async def _answer(request: Callable[[], Awaitable[Any]]) -> str:
    """`yes` for a non-empty answer, `empty`, `error` (the method unknown or failed) or
    `timeout`."""
    try:
        return "yes" if non_empty(await request()) else "empty"
    except TimeoutError:
        return "timeout"
    except Exception:  # noqa: BLE001 - any failure of a peer is a mark, not a crash
        return "error"


async def _pushed(session: Session, closed: str, pulled: str) -> str:
    """Whether the server published non-empty diagnostics for the file never opened (the
    way a server without workspace pull shows them), waiting a few seconds for it."""
    deadline = time.perf_counter() + 5
    while time.perf_counter() < deadline:
        if any(count for _, count in session.published.get(closed, [])):
            return "yes (pushed)"
        await asyncio.sleep(0.1)
    return pulled


# The timed runs ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Runs:
    """How many times each figure is taken, per file size."""

    opens: int
    changes: int
    requests: int


async def timed(action: Callable[[], Awaitable[Any]]) -> float:
    """Milliseconds an awaitable action took."""
    start = time.perf_counter()
    await action()
    return (time.perf_counter() - start) * 1000


async def measure(session: Session, report: Report, size: str, text: str, runs: Runs) -> None:
    """The figures on one file: open, change, then the shared requests."""
    kind = session.peer.kind
    opened: list[str] = []
    if report.skipped.get("diagnostics") is None:
        times: list[float] = []
        for run in range(runs.opens + 1):
            uri = session.uri(kind.variant.format(n=f"{size}-{run}"))
            future = session.expect(uri)
            try:
                elapsed = await timed(lambda: _open(session, uri, text, future))  # noqa: B023
            except TimeoutError:
                report.skipped["diagnostics"] = "no diagnostics published after didOpen"
                break
            opened.append(uri)
            if run:  # the first warms the server's caches
                times.append(elapsed)
        report.times[f"{size}: didOpen → diagnostics"] = times
    uri = session.uri(kind.variant.format(n=f"{size}-edit"))
    future = session.expect(uri)
    session.open(uri, text)
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(future, REQUEST_TIMEOUT)
    where = position(text, kind.spots["change"])
    if report.skipped.get("diagnostics") is None:
        times = []
        for run in range(runs.changes + 1):
            digit = str(run % 8 + 1)
            try:
                elapsed = await timed(lambda: _change(session, uri, where, digit))  # noqa: B023
            except TimeoutError:
                report.skipped["didChange"] = "no diagnostics published after didChange"
                break
            if run:
                times.append(elapsed)
        report.times[f"{size}: didChange → diagnostics"] = times
    for name, request in _shared(session, kind, uri, text).items():
        feature = next(item for item in FEATURES if item.name == name)
        if announced(feature, session.capabilities, session.registrations) == "no":
            continue
        times = []
        try:
            if not non_empty(await request()):  # the answer timed should be a real one
                report.skipped[f"{name} ({size})"] = "answered empty here (timed all the same)"
            for run in range(runs.requests + 2):
                elapsed = await timed(request)
                if run >= 2:  # warm-up, with the first request above
                    times.append(elapsed)
        except Exception as error:  # noqa: BLE001 - a failing peer request is reported
            report.skipped[f"{name} ({size})"] = f"{type(error).__name__}"
        report.times[f"{size}: {name}"] = times
    for other in opened:
        session.close(other)
    if size == "large":
        await asyncio.sleep(0.5)  # let the closes be handled before the memory is read
        report.rss_mb = session.rss_mb()
    session.close(uri)


async def _open(session: Session, uri: str, text: str, future: asyncio.Future[None]) -> None:
    session.open(uri, text)
    await asyncio.wait_for(future, REQUEST_TIMEOUT)


async def _change(session: Session, uri: str, where: tuple[int, int], digit: str) -> None:
    version = session.versions[uri] + 1
    future = session.expect(uri, version)
    session.change(uri, where, digit)
    await asyncio.wait_for(future, REQUEST_TIMEOUT)


def _shared(
    session: Session, kind: Kind, uri: str, text: str
) -> dict[str, Callable[[], Awaitable[Any]]]:
    """The requests timed on every server that announces them, in the order they are timed."""
    document = _document(uri)
    return {
        "completion": lambda: session.request(
            types.TEXT_DOCUMENT_COMPLETION,
            types.CompletionParams(
                text_document=document, position=_where(text, kind.spots["completion"])
            ),
        ),
        "hover": lambda: session.request(
            types.TEXT_DOCUMENT_HOVER,
            types.HoverParams(text_document=document, position=_where(text, kind.spots["hover"])),
        ),
        "document symbols": lambda: session.request(
            types.TEXT_DOCUMENT_DOCUMENT_SYMBOL, types.DocumentSymbolParams(text_document=document)
        ),
        "references": lambda: session.request(
            types.TEXT_DOCUMENT_REFERENCES,
            types.ReferenceParams(
                text_document=document,
                position=_where(text, kind.spots["target"]),
                context=types.ReferenceContext(include_declaration=True),
            ),
        ),
        # Last: see probe_features.
        "formatting": lambda: session.request(
            types.TEXT_DOCUMENT_FORMATTING,
            types.DocumentFormattingParams(text_document=document, options=FORMAT),
        ),
    }


# One server, all of it --------------------------------------------------------------------


async def run_peer(report: Report, runs: dict[str, Runs], cold_runs: int) -> None:
    """Cold starts, the features probe, then the timed runs, each in a fresh workspace."""
    peer = report.peer
    with tempfile.TemporaryDirectory() as folder:
        root = workspace(peer.kind, Path(folder))
        for _ in range(cold_runs + 1):
            session = Session(peer, root, probing=False)
            try:
                report.cold.append(await session.start())
            finally:
                await session.stop()
        report.cold = report.cold[1:]  # the first warms the disk cache
        session = Session(peer, root, probing=True)
        try:
            await session.start()
            await probe_features(session, report)
        finally:
            await session.stop()
    with tempfile.TemporaryDirectory() as folder:
        root = workspace(peer.kind, Path(folder))
        session = Session(peer, root, probing=False)
        try:
            await session.start()
            await session.quiet()
            await measure(session, report, "typical", peer.kind.text(), runs["typical"])
            await measure(session, report, "large", peer.kind.large(), runs["large"])
        finally:
            await session.stop()


async def run_all(
    chosen: list[Peer], runs: dict[str, Runs], cold_runs: int, budget: float
) -> list[Report]:
    """Each server in turn under its time budget; a failure is that server's report only."""
    reports = []
    for peer in chosen:
        report = Report(peer)
        reports.append(report)
        reason = await asyncio.to_thread(peer.install)
        if reason is not None:
            report.unavailable = reason
            print(f"{peer.name}: unavailable: {reason}", flush=True)
            continue
        try:
            report.version = peer.version()
        except Exception as error:  # noqa: BLE001
            report.unavailable = f"no version: {error}"
            continue
        print(f"{peer.name} {report.version} …", flush=True)
        started = time.perf_counter()
        try:
            await asyncio.wait_for(run_peer(report, runs, cold_runs), budget)
        except TimeoutError:
            if not report.features:
                report.unavailable = f"nothing measured within its {budget:.0f} s budget"
            else:
                report.note = f"stopped after {budget:.0f} s; figures after that point are missing"
        except Exception as error:  # noqa: BLE001 - one server's failure is reported, not fatal
            reason = (
                str(error) if isinstance(error, Unavailable) else f"{type(error).__name__}: {error}"
            )
            reason = (reason.strip().splitlines() or [type(error).__name__])[0][:300]
            if not report.features:
                report.unavailable = reason
            else:
                report.note = f"stopped by {reason}"
        print(f"{peer.name}: {time.perf_counter() - started:.0f} s", flush=True)
    return reports


# The report -------------------------------------------------------------------------------


def machine() -> str:
    """One line on this machine: CPU model, cores, memory, OS."""
    model = "unknown CPU"
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.partition(":")[2].strip()
                break
    memory = ""
    with contextlib.suppress(OSError):
        kilobytes = int(Path("/proc/meminfo").read_text().split()[1])
        memory = f", {kilobytes / 1024 / 1024:.0f} GB"
    return f"{model}, {os.cpu_count()} cores{memory}, {platform.system()} {platform.release()}"


SHARED = (
    "didOpen → diagnostics",
    "didChange → diagnostics",
    "completion",
    "hover",
    "document symbols",
    "formatting",
    "references",
)
"""The rows of the figures table, for each file size."""


def render(reports: list[Report], runs: dict[str, Runs], cold_runs: int) -> str:
    """The whole report in Markdown: servers, features, figures."""
    node = shutil.which("node")
    out = [
        f"Run {datetime.now(UTC):%Y-%m-%d %H:%M} UTC on {machine()}; Python "
        f"{platform.python_version()}" + (f", Node.js {_node_version()}" if node else "") + ".",
        "",
        markdown_table(
            ["server", "version", "file measured", "state"],
            [
                [
                    report.peer.name,
                    report.version,
                    f"{report.peer.kind.name} (`bench/peers/{report.peer.kind.folder}/"
                    f"{report.peer.kind.path}`)",
                    f"unavailable: {report.unavailable}"
                    if report.unavailable
                    else (report.note or "measured"),
                ]
                for report in reports
            ],
        ),
        "",
        "### Features: announced · answers",
        "",
        "First mark: `static` (in the initialize answer), `dynamic` (by "
        "client/registerCapability) or `no`. Second: `yes` (a non-empty answer on the file), "
        "`empty`, `error` (refused or failed), `timeout`; `n/a` where the feature does not "
        "apply to the file kind.",
        "",
    ]
    available = [report for report in reports if not report.unavailable]
    rows = []
    for feature in FEATURES:
        label = f"{feature.issue}. {feature.name}" if feature.issue else feature.name
        row = [label]
        for report in available:
            marks = report.features.get(feature.name)
            row.append(cell(*marks) if marks else "—")
        rows.append(row)
    out.append(markdown_table(["feature", *(report.peer.name for report in available)], rows))
    out += ["", "Dynamic registrations answered and recorded:", ""]
    for report in available:
        out.append(f"- {report.peer.name}: {', '.join(report.registrations) or 'none'}")
    out += ["", *_figures(available, runs, cold_runs)]
    return "\n".join(out) + "\n"


def _figures(available: list[Report], runs: dict[str, Runs], cold_runs: int) -> list[str]:
    if not available:
        return []
    ours = next((report for report in available if report.peer.name == OURS), None)
    if ours is None:  # no ratios without ours
        ours = Report(available[0].peer)
    out = [
        "### Figures: median / p99 ms (our median ÷ theirs)",
        "",
        f"Typical file (~40 lines): {runs['typical'].opens} opens, {runs['typical'].changes} "
        f"changes, {runs['typical'].requests} of each request; large (~5,000 lines): "
        f"{runs['large'].opens}, {runs['large'].changes}, {runs['large'].requests}. A blank "
        "cell: the server does not announce the feature, or publishes no diagnostics.",
        "",
    ]
    rows = []
    for size, title in (("typical", "~40 lines"), ("large", "~5,000 lines")):
        for measure_name in SHARED:
            key = f"{size}: {measure_name}"
            row = [f"{title}: {measure_name}"]
            for report in available:
                values = report.times.get(key, [])
                text = figure(values)
                if report is not ours and values and ours.times.get(key):
                    text += f" ({ratio(ours.times[key], values)})"
                row.append(text if values else "")
            rows.append(row)
    memory = ["RSS with the large file open, MB (ours ÷ theirs)"]
    cold = [f"cold start to initialize answered, median / p90 ms ({cold_runs} runs)"]
    for report in available:
        value = report.rss_mb
        text = f"{value:.0f}" if value is not None else ""
        if report is not ours and value and ours.rss_mb:
            text += f" ({ours.rss_mb / value:.2f}×)"
        memory.append(text)
        cold.append(_cold(report, ours))
    rows += [memory, cold]
    out.append(markdown_table(["", *(report.peer.name for report in available)], rows))
    skipped = [
        f"- {report.peer.name}: {name}: {why}"
        for report in available
        for name, why in report.skipped.items()
    ]
    if skipped:
        out += ["", "Figures not taken, or taken on an empty answer:", "", *skipped]
    return out


def _cold(report: Report, ours: Report) -> str:
    if not report.cold:
        return ""
    text = f"{statistics.median(report.cold):.0f} / {percentile(report.cold, 0.9):.0f}"
    if report is not ours and ours.cold:
        text += f" ({ratio(ours.cold, report.cold)})"
    return text


def _node_version() -> str:
    done = subprocess.run(
        ["node", "--version"], capture_output=True, text=True, timeout=30, check=False
    )
    return done.stdout.strip().lstrip("v")


def main() -> None:
    """Parse the options, run every server, print the report."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer runs: a smoke run")
    parser.add_argument("--markdown", type=Path, metavar="FILE", help="also write the report")
    parser.add_argument(
        "--only", action="append", metavar="NAME", help="only these servers (repeatable)"
    )
    parser.add_argument("--cold-runs", type=int, default=10, metavar="N")
    parser.add_argument("--budget", type=float, default=600, metavar="S", help="seconds per server")
    args = parser.parse_args()
    # pygls logs a traceback for each answer that arrives after its request timed out here.
    logging.getLogger("pygls").setLevel(logging.CRITICAL)
    runs = {
        "typical": Runs(5, 10, 20) if args.quick else Runs(20, 30, 100),
        "large": Runs(2, 3, 5) if args.quick else Runs(5, 10, 20),
    }
    cold_runs = 2 if args.quick else max(1, args.cold_runs)
    chosen = [
        peer
        for peer in peers()
        if not args.only or any(name.lower() in peer.name.lower() for name in args.only)
    ]
    reports = asyncio.run(run_all(chosen, runs, cold_runs, args.budget))
    text = render(reports, runs, cold_runs)
    print("\n" + text)
    if args.markdown:
        args.markdown.write_text(text, encoding="utf-8")


if __name__ == "__main__":
    main()
