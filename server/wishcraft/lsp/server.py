"""The Wishcraft language server: the pygls server subclass that holds the shared state, and
its protocol.

The server owns the settings, the pygls-free `Workspace` (`workspace.py`: which documents are
ours, their registry and lint rules, the analysed snapshots) and the background tasks. What it
does with documents lives in the features (`features/`), composed in `app.create_server`;
diagnostics own their debounce and publishing (`features/diagnostics.py`), the lifecycle
handlers (initialize, settings, watched files) are in `lifecycle.py`.
"""

from __future__ import annotations

import asyncio
import logging
import os
import sys
import threading
from collections.abc import Awaitable, Callable, Coroutine, Generator, Sequence
from pathlib import Path
from typing import Any, BinaryIO
from urllib.parse import unquote

import cattrs
from lsprotocol import types
from pygls.exceptions import JsonRpcException, JsonRpcInvalidParams
from pygls.io_ import StdoutWriter
from pygls.lsp.server import LanguageServer
from pygls.protocol import LanguageServerProtocol, lsp_method
from pygls.uris import to_fs_path
from pygls.workspace import TextDocument

from wishcraft import __version__
from wishcraft.lint import DocumentKind, LintConfig
from wishcraft.lsp import framing, pipes
from wishcraft.lsp.refusal import Refusal, quiet_refusals
from wishcraft.lsp.settings import Settings, read_settings
from wishcraft.lsp.workspace import DocumentSnapshot, Workspace
from wishcraft.names import DIAGNOSTIC_SOURCE, SERVER_NAME, SETTINGS_SECTION
from wishcraft.plan.paths import PlanPaths

logger = logging.getLogger(__name__)

SETTINGS_WAIT_SECONDS = 2.0
"""How long the first diagnostics wait for the client's settings before using the defaults."""

SETTINGS_ANSWER_SECONDS = 10.0
"""How long a settings request waits for the client's answer before it is given up."""

WATCHED_FILES = ("**/*.{yaml,yml}", "**/data/config/wishcraft.toml")
"""Files whose change on disk the server hears of: registries and wishcraft.toml re-check the
open wishes, and every wish and registry keeps the workspace index current."""


_ANSWERED = object()
"""What `WishcraftProtocol.structure_message` returns for a request it has already answered."""

_NOT_PUSHED = object()
"""`load_settings` was not given settings (start-up), as opposed to given None."""

Recheck = Callable[[DocumentKind | None, bool], None]
"""A listener for `request_recheck`: (the kind of documents, include the ones no longer ours)."""


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
        path = ".".join(_camel(part) for part in where.removeprefix(".params").split(".") if part)
        problems.append(f"{why} at `{path}`" if path else why)
    return "; ".join(problems)


def pulls_diagnostics(capabilities: types.ClientCapabilities) -> bool:
    """Whether a client is served pull diagnostics: it pulls them (`textDocument/diagnostic`)
    and can be asked to pull again (`workspace/diagnostic/refresh`).

    A wish's findings depend on other files (its registry, the rules): a client that pulls
    only when its own document changes (Neovim 0.10 and 0.11) would keep an open wish's
    findings from before a registry edit until the wish itself is edited. Such a client is
    not offered pull, and gets the pushed diagnostics every client without pull gets.
    """
    document = capabilities.text_document
    workspace = capabilities.workspace
    refresh = workspace.diagnostics if workspace else None
    return (
        document is not None
        and document.diagnostic is not None
        and refresh is not None
        and bool(refresh.refresh_support)
    )


class WishcraftProtocol(LanguageServerProtocol):
    """pygls' protocol, answering where pygls stays silent or alarms the user.

    - A request whose params do not fit its method (a negative line, a string for an object)
      gets an InvalidParams error naming the field; pygls only logs it, and the client waits
      for an answer that never comes.
    - A change to a document that is not open is ignored with a warning; pygls raises a
      KeyError that reaches the user as "Error in server: 'file:///…'".
    - An answer of the client that does not fit its request fails that request; pygls only
      logs it, and the server waits for the answer forever.
    - After `exit` nothing more is sent. pygls closes stdout and exits; the background tasks
      then cancelled (an index build, a plan) end their progress in `finally`, and each send
      to the closed stdout failed, was reported to the client by another send, which failed
      in turn: a thousand nested tracebacks in the log, and a server that took minutes to go.
    """

    closed = False
    """Whether the connection is over (`exit` was received): nothing more is sent."""

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
                waiting.set_exception(
                    JsonRpcException(f"The client's answer is not what was asked for: {why}.")
                )
                return _ANSWERED
            message = f"Invalid params for {method}: {why}."
            logger.warning("%s", message)
            self._send_response(data["id"], None, JsonRpcInvalidParams(message).to_response_error())
            return _ANSWERED

    @lsp_method(types.EXIT)
    def lsp_exit(self, *args: Any) -> Generator[Any, Any, None]:
        """pygls' exit, after which nothing more is sent."""
        self.closed = True
        yield from super().lsp_exit(*args)

    def _send_data(self, data: Any) -> None:
        """Send a message, unless the connection is over (then it is dropped, at debug)."""
        if self.closed:
            logger.debug("Not sent, the client has gone: %s", getattr(data, "method", "an answer"))
            return
        super()._send_data(data)

    @lsp_method(types.INITIALIZE)
    def lsp_initialize(
        self, params: types.InitializeParams
    ) -> Generator[Any, Any, types.InitializeResult]:
        """pygls' initialize, without the pull-diagnostics provider for a client that could
        not be asked to pull again (`pulls_diagnostics`): it would show each finding twice,
        once pulled and once pushed, or keep stale ones."""
        result = yield from super().lsp_initialize(params)
        if not pulls_diagnostics(params.capabilities):
            result.capabilities.diagnostic_provider = None
        return result

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
            logger.warning(
                "Version %s of %s follows version %s; applied as the latest.",
                sent.version,
                sent.uri,
                document.version,
            )
        yield from super().lsp_text_document__did_change(params)


class WishcraftLanguageServer(LanguageServer):
    """The language server for Wishcraft wishes and conduit registries.

    It holds the state every feature shares: the settings, the pygls-free `Workspace`
    (documents, registries, lint rules, snapshots) and the running background tasks. Features
    are composed onto it by `wishcraft.lsp.app.create_server`; it never imports them. When
    something changes what open documents mean (settings, files on disk, a registry edited),
    it calls `recheck_listeners`, which the diagnostics feature joins.
    """

    def __init__(self) -> None:
        """Create the server with default settings and empty caches; features register later."""
        quiet_refusals()
        super().__init__(
            SERVER_NAME,
            __version__,
            text_document_sync_kind=types.TextDocumentSyncKind.Incremental,
            protocol_cls=WishcraftProtocol,
        )
        self.project: Workspace = Workspace(folders=self._folders, on_problem=self._show_problem)
        """Documents, registries, lint rules and snapshots (no pygls in there)."""
        self.settings_error: str | None = None
        """The last settings problem shown to the user, so it is shown once, not per edit.
        While there is one, the last valid settings stay in force."""
        self.initialization_options: Any = None
        """What the client sent as `initializationOptions` (settings for clients that cannot
        answer `workspace/configuration`)."""
        self.tasks: set[asyncio.Task[Any]] = set()
        """Every background task still running: referenced so none is collected or lost."""
        self.settings_loaded: asyncio.Event = asyncio.Event()
        """Set once the first settings were read (or could not be), before first diagnostics."""
        self.recheck_listeners: list[Recheck] = []
        """Called when open documents must be checked again (see `request_recheck`)."""
        self.shutdown_hooks: list[Callable[[], None]] = []
        """Called on `shutdown`: running plans are stopped and the HTTP pool is closed."""
        self.stream_error: str | None = None
        """Why the client's stream was abandoned (`framing.StreamUnusable`); the process then
        exits with status 1 so that the editor restarts it."""
        self.initialized_hooks: list[Callable[[], None]] = []
        """Called on `initialized`: the workspace index starts its background build."""
        self.watched_files_listeners: list[Callable[[Sequence[types.FileEvent]], None]] = []
        """Called with every batch of files changed on disk (the workspace index)."""
        self.reporting_error = False
        """Whether an error is being shown to the user (`report_server_error`)."""

    @property
    def settings(self) -> Settings:
        """The `wishcraft` settings in force (defaults until the client answers)."""
        return self.project.settings

    def folders(self) -> list[Path]:
        """The workspace's folders (the root first), as file-system paths."""
        return self._folders()

    def _folders(self) -> list[Path]:
        folders = [
            Path(root)
            for folder in self.workspace.folders.values()
            if (root := to_fs_path(folder.uri))
        ]
        root = self.workspace.root_path
        if root and Path(root) not in folders:
            folders.insert(0, Path(root))
        return folders

    def _show_problem(self, message: str) -> None:
        logger.warning("%s", message)
        self.window_show_message(
            types.ShowMessageParams(type=types.MessageType.Warning, message=message)
        )

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
        """Log an error outside a request with its traceback, then tell the user as pygls does;
        a `Refusal` is an answer, already logged in one line (`lsp/refusal.py`).

        An error met while telling the user (the message itself could not be sent) is only
        logged: reporting it by sending again would recurse for as long as sends fail."""
        if isinstance(error, Refusal):
            return
        logger.error("Server error (%s)", getattr(source, "__name__", source), exc_info=error)
        if self.reporting_error:
            return
        self.reporting_error = True
        try:
            super().report_server_error(error, source)
        finally:
            self.reporting_error = False

    def start_io(self, stdin: BinaryIO | None = None, stdout: BinaryIO | None = None) -> None:
        """Serve over stdin/stdout, reading stdin with asyncio.

        pygls reads each header line and body in a worker thread, three thread hops per
        message; an asyncio pipe reader takes none, which roughly halves request latency.
        """
        if stdin is not None or stdout is not None:
            super().start_io(stdin, stdout)
            return
        self._stop_event = threading.Event()
        pipes.widen(sys.stdin, sys.stdout)  # a large answer crosses in one write (pipes.py)
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
        """Read stdin through the bounded framing (`framing.py`) instead of pygls' loop."""
        assert self._stop_event is not None
        self.stream_error = await serve_stdin(
            self.protocol, self._stop_event, self.thread_pool, self.unreadable_message
        )

    def unreadable_message(self, error: Exception, source: Any) -> None:
        """Log a message that could not be read or dispatched, and carry on.

        Such a message is not JSON, not a JSON-RPC object, or a notification whose params do
        not fit (a request is answered with InvalidParams before this). There is no request to
        answer and nothing the user can do, so no pop-up; the traceback is logged at DEBUG.
        """
        logger.error(
            "Ignored a message from the client that cannot be read: %s: %s",
            type(error).__name__,
            error,
        )

    # Settings -----------------------------------------------------------------------------

    async def load_settings(self, pushed: Any = _NOT_PUSHED) -> None:
        """Pull the `wishcraft` section (or read what the client pushed), then apply it
        (`client_settings` says where they come from)."""
        try:
            raw = await client_settings(self, pushed)
        finally:
            # Set before: a document was published with the settings in force (a later load,
            # or one that came after `wait_for_settings` gave up), so it is checked again.
            # Not set: every open document is still waiting in `Diagnostics.opened` and is
            # published once, with these settings, as soon as the event is set; checking it
            # again too would publish the same version twice.
            published_before = self.settings_loaded.is_set()
            self.settings_loaded.set()
        if raw is not _KEEP:
            self.apply_settings(raw, recheck=published_before)

    def apply_settings(self, raw: Any, *, recheck: bool = True) -> None:
        """Validate and adopt new settings; on a bad value keep the last valid ones and show
        one message saying what was wrong. With `recheck`, open documents are checked again
        when the settings changed."""
        settings, error = read_settings(raw)
        if error is not None:
            self.settings_problem(error)  # the server keeps what it had, not the defaults
            return
        self.settings_error = None
        if self.project.use_settings(settings) and recheck:
            self.request_recheck(include_unmatched=True)

    def settings_problem(self, problem: str) -> None:
        """Keep the settings in force and say why, once for each distinct problem."""
        message = (
            f"{problem}; the last valid settings (at start-up, the defaults) stay in "
            "force until it is fixed."
        )
        if message != self.settings_error:
            logger.warning("%s", message)
            self.window_show_message(
                types.ShowMessageParams(type=types.MessageType.Warning, message=message)
            )
        self.settings_error = message

    # Documents ----------------------------------------------------------------------------

    def open_document(self, uri: str) -> TextDocument | None:
        """The open document at `uri`, or None (pygls keys documents by unquoted uri)."""
        document: TextDocument | None = self.workspace.text_documents.get(unquote(uri))
        return document

    def open_documents(self) -> list[TextDocument]:
        """Every open document."""
        return list(self.workspace.text_documents.values())

    def document_kind(self, document: TextDocument) -> DocumentKind | None:
        """Whether a document is a wish, a registry, or none of ours (None)."""
        return self.project.kind_of(document_path(document))

    def snapshot(self, uri: str) -> DocumentSnapshot | None:
        """The analysed current version of an open document of ours, computed at most once."""
        document = self.open_document(uri)
        if document is None:
            return None
        return self.project.snapshot(
            uri,
            document.version,
            document_path(document),
            document.source,
            self.workspace.position_encoding,
        )

    def plan_paths_for(self, wish_path: Path) -> PlanPaths:
        """Where the plan files of a wish go under the settings in force (or PlanPathError)."""
        return self.project.plan_paths_for(wish_path)

    def lint_config_for(self, path: Path) -> LintConfig:
        """The lint rules of a file (the `wishcraft.lint` setting, else wishcraft.toml)."""
        return self.project.lint_config_for(path)

    def refresh_code_lenses(self) -> None:
        """Ask the client to ask for code lenses again, when it can be asked (the calls left
        on a wish changed after a plan). Fire and forget: a client that fails it keeps its
        lenses until the next edit."""
        workspace = self.client_capabilities.workspace
        lens = workspace.code_lens if workspace else None
        if not (lens and lens.refresh_support):
            return
        future = self.protocol.send_request(types.WORKSPACE_CODE_LENS_REFRESH, None)
        future.add_done_callback(_log_refresh_failure)

    def request_recheck(
        self, *, kind: DocumentKind | None = None, include_unmatched: bool = False
    ) -> None:
        """Ask for the open documents of `kind` (all if None) to be checked again; with
        `include_unmatched`, documents no longer ours lose their diagnostics."""
        for listener in self.recheck_listeners:
            listener(kind, include_unmatched)

    async def wait_for_settings(self) -> None:
        """Wait for the first settings (once, at most `SETTINGS_WAIT_SECONDS`)."""
        if self.settings_loaded.is_set():
            return
        try:
            await asyncio.wait_for(self.settings_loaded.wait(), SETTINGS_WAIT_SECONDS)
        except TimeoutError:
            logger.warning("No settings from the client yet; using the defaults.")
            self.settings_loaded.set()  # wait once, not for every document opened

    # Client features ----------------------------------------------------------------------

    @property
    def snippet_support(self) -> bool:
        """Whether the client expands snippets in completion items."""
        document = self.client_capabilities.text_document
        completion = document.completion if document else None
        item = completion.completion_item if completion else None
        return bool(item and item.snippet_support)

    @property
    def pulls_diagnostics(self) -> bool:
        """Whether the client pulls the open documents' diagnostics (`pulls_diagnostics`):
        then the server publishes none of them itself, or the client would show each twice."""
        return pulls_diagnostics(self.client_capabilities)

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
        await self.client_register_capability_async(
            types.RegistrationParams(
                registrations=[
                    types.Registration(
                        id=f"{DIAGNOSTIC_SOURCE}-watched-files",
                        method=types.WORKSPACE_DID_CHANGE_WATCHED_FILES,
                        register_options=types.DidChangeWatchedFilesRegistrationOptions(
                            watchers=[
                                types.FileSystemWatcher(glob_pattern=pattern)
                                for pattern in WATCHED_FILES
                            ]
                        ),
                    )
                ]
            )
        )


def _log_refresh_failure(future: Any) -> None:
    error = None if future.cancelled() else future.exception()
    if error is not None:
        logger.info("The client did not refresh its code lenses: %s", error)


def document_path(document: TextDocument) -> Path | None:
    """The file path of a document, or None for a uri that is not a file."""
    path = to_fs_path(document.uri)
    return Path(path) if path else None


_KEEP = object()
"""`client_settings`' answer when the settings in force stay (no answer, a bare change)."""


async def client_settings(server: WishcraftLanguageServer, pushed: Any) -> Any:
    """The raw `wishcraft` settings, or `_KEEP`.

    `pushed` is the payload of didChangeConfiguration: a client that can answer
    `workspace/configuration` is asked instead; for one that cannot, a payload without our
    section falls back to `initializationOptions`, and a null payload (a bare "settings
    changed") keeps the settings in force.
    """
    capabilities = server.client_capabilities.workspace
    if capabilities is not None and capabilities.configuration:
        # asyncio.timeout, not wait_for: no extra task, so the client is asked before the
        # next message is handled, and answers with the settings of that moment.
        try:
            async with asyncio.timeout(SETTINGS_ANSWER_SECONDS):
                result = await server.workspace_configuration_async(
                    types.ConfigurationParams(
                        items=[types.ConfigurationItem(section=SETTINGS_SECTION)]
                    )
                )
        except TimeoutError:
            logger.warning(
                "The client did not answer workspace/configuration; the settings in force stay."
            )
            return _KEEP
        except JsonRpcException as error:
            server.settings_problem(
                f"The client's answer to workspace/configuration "
                f"could not be read ({error.message})"
            )
            return _KEEP
        return result[0] if result else None
    if isinstance(pushed, dict) and SETTINGS_SECTION in pushed:
        return pushed[SETTINGS_SECTION]
    if pushed is _NOT_PUSHED or isinstance(pushed, dict):
        options = server.initialization_options
        return options.get(SETTINGS_SECTION, options) if isinstance(options, dict) else None
    if pushed is None:
        return _KEEP
    return pushed  # not an object: read_settings says so


async def serve_stdin(
    protocol: Any,
    stop_event: threading.Event,
    thread_pool: Any,
    unreadable: Callable[[Exception, Any], None],
) -> str | None:
    """Serve stdin through `framing`; why the stream was abandoned, if it was (the process
    then exits with status 1 so that the editor restarts it)."""
    loop = asyncio.get_running_loop()
    stream = asyncio.StreamReader(limit=framing.CHUNK)
    read_some: framing.ReadSome
    try:
        await loop.connect_read_pipe(lambda: asyncio.StreamReaderProtocol(stream), sys.stdin.buffer)
        read_some = stream.read
    except ValueError:  # stdin is a regular file: no pipe transport for it
        descriptor = sys.stdin.buffer.fileno()

        def read_some(size: int) -> Awaitable[bytes]:
            return loop.run_in_executor(thread_pool, os.read, descriptor, size)

    try:
        await framing.serve(
            framing.FrameReader(read_some), protocol, stop_event, logger, unreadable
        )
    except asyncio.IncompleteReadError:
        logger.error("The client closed stdin in the middle of a message.")
    except framing.StreamUnusable as error:
        logger.error(
            "The client's messages cannot be read any further: %s; the server stops so "
            "that the editor can start it again.",
            error,
        )
        return str(error)
    return None
