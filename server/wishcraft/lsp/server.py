"""The Wishcraft language server: one pygls server subclass that holds all state.

Data flow while typing: didChange → pygls applies the edit → `schedule_diagnostics` (one task
per document; a newer edit cancels the older task) → after the debounce, `snapshot` parses and
lints this version (cached by uri and version) → diagnostics are published stamped with that
version, and dropped if the document moved on meanwhile. Features (completion, hover, …) ask
for the same cached snapshot, so a version is analysed once however many requests it serves.
"""

from __future__ import annotations

import asyncio
import logging
import sys
import threading
from collections import OrderedDict
from collections.abc import Coroutine
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO
from urllib.parse import unquote

import cattrs
from lsprotocol import types
from pygls.exceptions import JsonRpcException, JsonRpcInvalidParams
from pygls.io_ import StdinAsyncReader, StdoutWriter, run_async
from pygls.lsp.server import LanguageServer
from pygls.protocol import LanguageServerProtocol, lsp_method
from pygls.uris import to_fs_path
from pygls.workspace import TextDocument

from wishcraft import __version__
from wishcraft.documents.positions import PositionMapper
from wishcraft.lint import ConfigError, DocumentKind, LintConfig, analyse_registry, analyse_wish
from wishcraft.lint.config import default_lint_config, find_config_file, load_lint_config
from wishcraft.lint.registries import RegistryCache
from wishcraft.lsp.features import DocumentSnapshot
from wishcraft.lsp.settings import Settings, default_settings, read_settings
from wishcraft.names import DIAGNOSTIC_SOURCE, SERVER_NAME, SETTINGS_SECTION
from wishcraft.plan.paths import PlanPaths, plan_paths
from wishcraft.registry import Registry, find_registry_file, is_registry_path, registry_from_parsed

logger = logging.getLogger(__name__)

SETTINGS_WAIT_SECONDS = 2.0
"""How long the first diagnostics wait for the client's settings before using the defaults."""

SETTINGS_ANSWER_SECONDS = 10.0
"""How long a settings request waits for the client's answer before it is given up."""

MAX_CACHED_SNAPSHOTS = 32
"""Analysed versions kept in memory: the documents being edited. Others are re-analysed on
demand (a typical wish takes about a millisecond), which keeps 500 open wishes small."""

WATCHED_FILES = ("**/conduits/registry.{yaml,yml}", "**/data/config/wishcraft.toml")
"""Files whose change on disk re-checks the open wishes."""


_ANSWERED = object()
"""What `WishcraftProtocol.structure_message` returns for a request it has already answered."""

_NOT_PUSHED = object()
"""`load_settings` was not given settings (start-up), as opposed to given None."""


def _camel(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(part.title() for part in rest)


def _why(error: BaseException, expected: Any) -> str:
    if isinstance(error, ValueError):  # lsprotocol's range checks say exactly what is wrong
        return str(error)
    return cattrs.v.format_exception(error, expected)


def describe_bad_params(error: BaseException | None) -> str:
    """Say which fields of a message did not fit its method, with JSON names."""
    if not isinstance(error, cattrs.BaseValidationError):
        return str(error) if error is not None else "they do not fit the method"
    problems = []
    for line in cattrs.transform_error(error, path="", format_exception=_why)[:3]:
        why, _, where = line.rpartition(" @ ")
        path = ".".join(_camel(part) for part in where.removeprefix(".params").split(".")
                        if part)
        problems.append(f"{why} at `{path}`" if path else why)
    return "; ".join(problems)


class WishcraftProtocol(LanguageServerProtocol):
    """pygls' protocol, answering where pygls stays silent or alarms the user.

    - A request whose params do not fit its method (a negative line, a string for an object)
      gets an InvalidParams error naming the field; pygls only logs it, and the client waits
      for an answer that never comes.
    - A change to a document that is not open is ignored with a warning; pygls raises a
      KeyError that reaches the user as "Error in server: 'file:///…'".
    - An answer of the client that does not fit its request fails that request; pygls only
      logs it, and the server waits for the answer forever.
    """

    def structure_message(self, data: dict[str, Any]) -> Any:
        """Read a message; answer a request whose params do not fit at once, and fail our
        request whose answer does not fit."""
        try:
            return super().structure_message(data)
        except JsonRpcException as error:
            if "id" not in data:
                raise  # a notification: nothing to answer
            why = describe_bad_params(error.__cause__)
            method = data.get("method")
            if method is None:  # the client's answer to one of our requests
                waiting = self._request_futures.pop(data["id"], None)
                if waiting is None or waiting.done():
                    raise
                waiting.set_exception(JsonRpcException(f"The client's answer is not what was "
                                                       f"asked for: {why}."))
                return _ANSWERED
            message = f"Invalid params for {method}: {why}."
            logger.warning("%s", message)
            self._send_response(data["id"], None,
                                JsonRpcInvalidParams(message).to_response_error())
            return _ANSWERED

    def handle_message(self, message: Any) -> None:
        """Dispatch a message, skipping requests already answered while being read."""
        if message is not _ANSWERED:
            super().handle_message(message)

    @lsp_method(types.TEXT_DOCUMENT_DID_CHANGE)
    def lsp_text_document__did_change(self, params: types.DidChangeTextDocumentParams) -> Any:
        """Apply a change to an open document; ignore one to a document that is not open."""
        sent = params.text_document
        document = self.workspace.text_documents.get(unquote(sent.uri))
        if document is None:
            logger.warning("Ignored a change to %s, which is not open.", sent.uri)
            return
        if document.version is not None and sent.version <= document.version:
            # Over stdio messages arrive in order, so the client numbered them wrong; its
            # text is still the truth (its next edits are made against it), so apply it.
            logger.warning("Version %s of %s follows version %s; applied as the latest.",
                           sent.version, sent.uri, document.version)
        yield from super().lsp_text_document__did_change(params)


@dataclass(frozen=True, slots=True)
class _Cached:
    """A snapshot and the inputs it was computed from (besides the text version)."""

    snapshot: DocumentSnapshot
    config: LintConfig


class WishcraftLanguageServer(LanguageServer):
    """The language server for Wishcraft wishes and conduit registries."""

    def __init__(self) -> None:
        """Create the server with default settings and empty caches; features register later."""
        super().__init__(SERVER_NAME, __version__,
                         text_document_sync_kind=types.TextDocumentSyncKind.Incremental,
                         protocol_cls=WishcraftProtocol)
        self.settings: Settings = default_settings()
        """The `wishcraft` settings section in force (defaults until the client answers)."""
        self.settings_error: str | None = None
        """The last settings problem shown to the user, so it is shown once, not per edit.
        While there is one, the last valid settings stay in force."""
        self.initialization_options: Any = None
        """What the client sent as `initializationOptions` (settings for clients that cannot
        answer `workspace/configuration`)."""
        self.registries: RegistryCache = RegistryCache()
        """Registry files read from disk, reloaded when their modification time changes."""
        self.open_registries: dict[Path, Registry] = {}
        """Registry files open in the editor, built from their unsaved text, by path."""
        self.lint_configs: dict[Path, tuple[float, LintConfig]] = {}
        """`data/config/wishcraft.toml` files read, by path, with their modification time."""
        self.discovered: dict[Path, tuple[Path | None, Path | None]] = {}
        """The registry and wishcraft.toml found upward from each folder, so requests skip the
        directory walk; forgotten when a document opens or watched files change."""
        self.reported_config_errors: set[str] = set()
        """Configuration-file problems already shown to the user."""
        self.cache: OrderedDict[str, _Cached] = OrderedDict()
        """The latest analysed snapshot of recently used documents, by uri, least recent first
        (checked by version, registry and lint config on every read)."""
        self.pending_diagnostics: dict[str, asyncio.Task[None]] = {}
        """The debounced diagnostics task of each document, by uri."""
        self.tasks: set[asyncio.Task[Any]] = set()
        """Every background task still running: referenced so none is collected or lost."""
        self.settings_loaded: asyncio.Event = asyncio.Event()
        """Set once the first settings were read (or could not be), before first diagnostics."""

    def spawn(self, coroutine: Coroutine[Any, Any, Any], name: str) -> asyncio.Task[Any]:
        """Run a coroutine as a tracked background task whose failure is logged."""
        task = asyncio.get_running_loop().create_task(coroutine, name=name)
        self.tasks.add(task)
        task.add_done_callback(self._task_done)
        return task

    def _task_done(self, task: asyncio.Task[Any]) -> None:
        self.tasks.discard(task)
        if task.cancelled():
            return
        error = task.exception()
        if error is not None:
            logger.error("Background task %s failed", task.get_name(), exc_info=error)

    def report_server_error(self, error: Exception, source: Any) -> None:
        """Log an error outside a request with its traceback, then tell the user as pygls does."""
        logger.error("Server error (%s)", getattr(source, "__name__", source), exc_info=error)
        super().report_server_error(error, source)

    def start_io(self, stdin: BinaryIO | None = None, stdout: BinaryIO | None = None) -> None:
        """Serve over stdin/stdout, reading stdin with asyncio.

        pygls reads each header line and body in a worker thread, three thread hops per
        message; an asyncio pipe reader takes none, which roughly halves request latency.
        """
        if stdin is not None or stdout is not None:
            super().start_io(stdin, stdout)
            return
        self._stop_event = threading.Event()
        self.protocol.set_writer(StdoutWriter(sys.stdout.buffer))
        try:
            asyncio.run(self._serve_stdin())
        except BrokenPipeError:
            logger.error("The connection to the client is lost; shutting down.")
        except (KeyboardInterrupt, SystemExit):
            pass
        finally:
            self.shutdown()  # type: ignore[no-untyped-call]

    async def _serve_stdin(self) -> None:
        loop = asyncio.get_running_loop()
        reader: Any = asyncio.StreamReader()
        try:
            await loop.connect_read_pipe(lambda: asyncio.StreamReaderProtocol(reader),
                                         sys.stdin.buffer)
        except ValueError:  # stdin is a regular file: no pipe transport for it
            reader = StdinAsyncReader(sys.stdin.buffer, self.thread_pool)
        assert self._stop_event is not None
        try:
            await run_async(stop_event=self._stop_event, reader=reader, protocol=self.protocol,
                            logger=logger, error_handler=self.unreadable_message)
        except asyncio.IncompleteReadError:
            logger.error("The client closed stdin in the middle of a message.")

    def unreadable_message(self, error: Exception, source: Any) -> None:
        """Log a message that could not be read or dispatched, and carry on.

        Such a message is not JSON, not a JSON-RPC object, or a notification whose params do
        not fit (a request is answered with InvalidParams before this). There is no request to
        answer and nothing the user can do, so no pop-up; pygls logged the traceback already.
        """
        logger.error("Ignored a message from the client that cannot be read: %s: %s",
                     type(error).__name__, error)

    # Settings -----------------------------------------------------------------------------

    async def load_settings(self, pushed: Any = _NOT_PUSHED) -> None:
        """Pull the `wishcraft` section (or read what the client pushed), then apply it.

        `pushed` is the payload of didChangeConfiguration: a client that can answer
        `workspace/configuration` is asked instead; for one that cannot, a payload without
        our section falls back to `initializationOptions`, and a null payload (a bare "settings
        changed") keeps the settings in force.
        """
        try:
            capabilities = self.client_capabilities.workspace
            if capabilities is not None and capabilities.configuration:
                # asyncio.timeout, not wait_for: no extra task, so the client is asked before
                # the next message is handled, and answers with the settings of that moment.
                try:
                    async with asyncio.timeout(SETTINGS_ANSWER_SECONDS):
                        result = await self.workspace_configuration_async(
                            types.ConfigurationParams(items=[
                                types.ConfigurationItem(section=SETTINGS_SECTION)]))
                except TimeoutError:
                    logger.warning("The client did not answer workspace/configuration; "
                                   "the settings in force stay.")
                    return
                except JsonRpcException as error:
                    self.settings_problem(f"The client's answer to workspace/configuration "
                                          f"could not be read ({error.message})")
                    return
                raw = result[0] if result else None
            elif isinstance(pushed, dict) and SETTINGS_SECTION in pushed:
                raw = pushed[SETTINGS_SECTION]
            elif pushed is _NOT_PUSHED or isinstance(pushed, dict):
                options = self.initialization_options
                raw = options.get(SETTINGS_SECTION, options) if isinstance(options, dict) \
                    else None
            elif pushed is None:
                return
            else:
                raw = pushed  # not an object: read_settings says so
        finally:
            self.settings_loaded.set()
        self.apply_settings(raw)

    def apply_settings(self, raw: Any) -> None:
        """Validate and adopt new settings; on a bad value keep the last valid ones and show
        one message saying what was wrong."""
        settings, error = read_settings(raw)
        if error is not None:
            self.settings_problem(error)  # the server keeps what it had, not the defaults
            return
        self.settings_error = None
        if settings == self.settings:
            return
        self.settings = settings
        self.discovered.clear()
        self.cache.clear()
        self.recheck_open_documents(include_unmatched=True)

    def settings_problem(self, problem: str) -> None:
        """Keep the settings in force and say why, once for each distinct problem."""
        message = (f"{problem}; the last valid settings (at start-up, the defaults) stay in "
                   "force until it is fixed.")
        if message != self.settings_error:
            logger.warning("%s", message)
            self.window_show_message(types.ShowMessageParams(
                type=types.MessageType.Warning, message=message))
        self.settings_error = message

    # Documents ----------------------------------------------------------------------------

    def document_kind(self, document: TextDocument) -> DocumentKind | None:
        """Whether a document is a wish, a registry, or none of ours (None)."""
        path = document_path(document)
        if path is None:
            return None
        if is_registry_path(path):
            return DocumentKind.REGISTRY
        if self.settings.is_wish_path(str(path)):
            return DocumentKind.WISH
        return None

    def workspace_root(self) -> Path | None:
        """The first workspace folder as a path, if there is one."""
        root = self.workspace.root_path
        return Path(root) if root else None

    def workspace_root_for(self, path: Path) -> Path | None:
        """The workspace folder holding `path` (multi-root aware), else the first one."""
        for folder in self.workspace.folders.values():
            root = to_fs_path(folder.uri)
            if root and Path(root) in path.parents:
                return Path(root)
        return self.workspace_root()

    def plan_paths_for(self, wish_path: Path) -> PlanPaths:
        """Where the plan files of a wish go under the settings in force (or PlanPathError)."""
        return plan_paths(wish_path, folder=self.settings.plan.folder or None,
                          workspace_root=self.workspace_root_for(wish_path))

    def _discover(self, folder: Path) -> tuple[Path | None, Path | None]:
        found = self.discovered.get(folder)
        if found is None:
            found = self.discovered[folder] = (find_registry_file(folder),
                                               find_config_file(folder))
        return found

    def registry_path_for(self, path: Path) -> Path | None:
        """The registry file a wish uses: the configured one, else found upward, else None."""
        configured = self.settings.registry.path
        if configured:
            candidate = Path(configured).expanduser()
            if not candidate.is_absolute():
                candidate = (self.workspace_root() or path.parent) / candidate
            return candidate
        return self._discover(path.parent)[0]

    def registry_for(self, path: Path) -> Registry:
        """The registry a wish at `path` is checked against (an open registry's unsaved text
        wins over the file on disk)."""
        registry_path = self.registry_path_for(path)
        if registry_path is None:
            return self.registries.bundled()
        opened = self.open_registries.get(registry_path)
        return opened if opened is not None else self.registries.load(registry_path)

    def lint_config_for(self, path: Path) -> LintConfig:
        """The lint rules for a file: the `wishcraft.lint` setting, else wishcraft.toml."""
        if self.settings.lint is not None:
            return self.settings.lint
        config_path = self._discover(path.parent)[1]
        if config_path is None:
            return default_lint_config()
        try:
            mtime = config_path.stat().st_mtime
        except OSError:
            return default_lint_config()
        cached = self.lint_configs.get(config_path)
        if cached is not None and cached[0] == mtime:
            return cached[1]
        try:
            config = load_lint_config(config_path)
        except ConfigError as exc:
            message = f"{exc}; using the default lint rules."
            if message not in self.reported_config_errors:
                self.reported_config_errors.add(message)
                logger.warning("%s", message)
                self.window_show_message(types.ShowMessageParams(
                    type=types.MessageType.Warning, message=message))
            config = default_lint_config()
        self.lint_configs[config_path] = (mtime, config)
        return config

    def open_document(self, uri: str) -> TextDocument | None:
        """The open document at `uri`, or None (pygls keys documents by unquoted uri)."""
        document: TextDocument | None = self.workspace.text_documents.get(unquote(uri))
        return document

    def snapshot(self, uri: str) -> DocumentSnapshot | None:
        """The analysed current version of an open document of ours, computed at most once.

        A cached analysis is reused only for the same text, not only the same version
        number: a client that reopens a document or repeats a version sends new text under
        an old number.
        """
        document = self.open_document(uri)
        if document is None:
            return None
        kind = self.document_kind(document)
        path = document_path(document)
        if kind is None or path is None:
            return None
        config = self.lint_config_for(path)
        text = document.source
        cached = self.cache.get(uri)
        if cached is not None:
            self.cache.move_to_end(uri)
            if (cached.snapshot.version != document.version or cached.config is not config
                    or cached.snapshot.analysis.parsed.text != text):
                cached = None
        if kind is DocumentKind.WISH:
            registry = self.registry_for(path)
            if cached is not None and cached.snapshot.registry is registry:
                return cached.snapshot
            analysis = analyse_wish(text, registry, config)
        else:
            if cached is not None and cached.snapshot.kind is kind:
                return cached.snapshot
            analysis = analyse_registry(text, config)
            registry = registry_from_parsed(analysis.parsed, analysis.index,
                                            analysis.findings, path)
        positions = PositionMapper(analysis.parsed.lines, self.workspace.position_encoding)
        snapshot = DocumentSnapshot(uri, document.version, path, analysis, positions, registry)
        self.cache[uri] = _Cached(snapshot, config)
        while len(self.cache) > MAX_CACHED_SNAPSHOTS:
            self.cache.popitem(last=False)
        return snapshot

    # Diagnostics --------------------------------------------------------------------------

    def publish_diagnostics(self, uri: str, version: int | None) -> None:
        """Analyse and publish one document's diagnostics, unless it moved past `version`."""
        from wishcraft.lsp.features.diagnostics import to_diagnostics

        document = self.open_document(uri)
        if document is None or document.version != version:
            return
        snapshot = self.snapshot(uri)
        if snapshot is None:
            return
        if snapshot.kind is DocumentKind.REGISTRY:
            self._remember_open_registry(snapshot)
        current = self.open_document(uri)
        if current is None or current.version != snapshot.version:
            return
        self.text_document_publish_diagnostics(types.PublishDiagnosticsParams(
            uri=uri, diagnostics=to_diagnostics(snapshot), version=snapshot.version))

    def clear_diagnostics(self, uri: str) -> None:
        """Publish an empty list for a document (closed, or no longer one of ours)."""
        self.text_document_publish_diagnostics(types.PublishDiagnosticsParams(
            uri=uri, diagnostics=[]))

    def schedule_diagnostics(self, uri: str, *, delay_ms: int | None = None) -> None:
        """Publish a document's diagnostics after the debounce, replacing a pending run."""
        document = self.open_document(uri)
        if document is None:
            return
        previous = self.pending_diagnostics.pop(uri, None)
        if previous is not None:
            previous.cancel()
        delay = self.settings.diagnostics.debounce_ms if delay_ms is None else delay_ms
        task = self.spawn(self._debounced(uri, document.version, delay / 1000),
                          f"diagnostics {uri}")
        self.pending_diagnostics[uri] = task

    async def _debounced(self, uri: str, version: int | None, delay: float) -> None:
        try:
            if delay > 0:
                await asyncio.sleep(delay)
            self.publish_diagnostics(uri, version)
        finally:
            if self.pending_diagnostics.get(uri) is asyncio.current_task():
                del self.pending_diagnostics[uri]

    async def on_open(self, uri: str) -> None:
        """Publish a newly opened document's diagnostics at once (after the first settings)."""
        self.discovered.clear()
        if not self.settings_loaded.is_set():
            try:
                await asyncio.wait_for(self.settings_loaded.wait(), SETTINGS_WAIT_SECONDS)
            except TimeoutError:
                logger.warning("No settings from the client yet; using the defaults.")
                self.settings_loaded.set()  # wait once, not for every document opened
        document = self.open_document(uri)
        if document is None:
            return
        self.publish_diagnostics(uri, document.version)
        if self.document_kind(document) is DocumentKind.REGISTRY:
            self.recheck_open_documents(kind=DocumentKind.WISH)

    def on_change(self, uri: str) -> None:
        """Schedule diagnostics after an edit; an edited registry re-checks the open wishes."""
        self.schedule_diagnostics(uri)
        document = self.open_document(uri)
        if document is not None and self.document_kind(document) is DocumentKind.REGISTRY:
            self.spawn(self._recheck_after_registry_edit(uri, document.version),
                       f"registry edit {uri}")

    async def _recheck_after_registry_edit(self, uri: str, version: int | None) -> None:
        task = self.pending_diagnostics.get(uri)
        if task is not None:
            await asyncio.gather(task, return_exceptions=True)
        document = self.open_document(uri)
        if document is not None and document.version == version:
            self.recheck_open_documents(kind=DocumentKind.WISH)

    def on_close(self, uri: str) -> None:
        """Forget a closed document, clear its diagnostics; a closed registry re-checks wishes."""
        task = self.pending_diagnostics.pop(uri, None)
        if task is not None:
            task.cancel()
        self.cache.pop(uri, None)
        self.clear_diagnostics(uri)
        path = to_fs_path(uri)
        if path is not None and self.open_registries.pop(Path(path), None) is not None:
            self.recheck_open_documents(kind=DocumentKind.WISH)

    def on_files_changed(self, paths: list[Path]) -> None:
        """Registry or config files changed on disk: reload them and re-check open documents."""
        for path in paths:
            self.registries.invalidate(path)
            self.lint_configs.pop(path, None)
        self.discovered.clear()
        self.cache.clear()
        self.recheck_open_documents()

    def _remember_open_registry(self, snapshot: DocumentSnapshot) -> None:
        self.open_registries[snapshot.path] = snapshot.registry

    def recheck_open_documents(self, *, kind: DocumentKind | None = None,
                               include_unmatched: bool = False) -> None:
        """Re-publish the diagnostics of every open document of `kind` (all kinds if None).

        With `include_unmatched`, documents that are no longer ours get their diagnostics
        cleared (the wish globs changed).
        """
        for document in list(self.workspace.text_documents.values()):
            uri = document.uri  # as the client wrote it (the key is unquoted)
            document_kind = self.document_kind(document)
            if document_kind is None:
                if include_unmatched:
                    self.cache.pop(uri, None)
                    self.clear_diagnostics(uri)
                continue
            if kind is None or document_kind is kind:
                self.schedule_diagnostics(uri)

    # Client features ----------------------------------------------------------------------

    @property
    def snippet_support(self) -> bool:
        """Whether the client expands snippets in completion items."""
        document = self.client_capabilities.text_document
        completion = document.completion if document else None
        item = completion.completion_item if completion else None
        return bool(item and item.snippet_support)

    def markup_kind(self, formats: Any) -> types.MarkupKind:
        """Markdown when the client lists it among `formats`, else plain text."""
        if formats is None or types.MarkupKind.Markdown in formats:
            return types.MarkupKind.Markdown
        return types.MarkupKind.PlainText

    async def watch_files(self) -> None:
        """Ask the client to report changes of registry and config files, if it can."""
        workspace = self.client_capabilities.workspace
        watched = workspace.did_change_watched_files if workspace else None
        if watched is None or not watched.dynamic_registration:
            return
        await self.client_register_capability_async(types.RegistrationParams(registrations=[
            types.Registration(
                id=f"{DIAGNOSTIC_SOURCE}-watched-files",
                method=types.WORKSPACE_DID_CHANGE_WATCHED_FILES,
                register_options=types.DidChangeWatchedFilesRegistrationOptions(watchers=[
                    types.FileSystemWatcher(glob_pattern=pattern) for pattern in WATCHED_FILES
                ]),
            )
        ]))


def document_path(document: TextDocument) -> Path | None:
    """The file path of a document, or None for a uri that is not a file."""
    path = to_fs_path(document.uri)
    return Path(path) if path else None


def create_server() -> WishcraftLanguageServer:
    """Build the server and register every feature."""
    from wishcraft.lsp.features import (
        code_actions,
        code_lens,
        completion,
        definition,
        diagnostics,
        folding,
        hover,
        planning,
        symbols,
    )

    server = WishcraftLanguageServer()
    for module in (diagnostics, completion, hover, code_actions, symbols, folding, definition,
                   code_lens, planning):
        module.register(server)
    return server
