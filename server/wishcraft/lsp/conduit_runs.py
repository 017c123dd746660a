"""What the editor's conduit runs share: the host they need, the running sessions, one HTTP
client per configuration, cancelling, messages and shutdown.

"Plan this wish" (`runner.py`) and "Apply plan" (`apply_runner.py`) are two runs of the same
kind: a tracked task per wish, a work-done progress token, a Codex client made on first use and
closed on shutdown. They differ in what they ask of Codex and what they do with the answer.
"""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine
from pathlib import Path
from typing import Any, Generic, Protocol, TypeVar

from lsprotocol import types
from pygls.progress import Progress

from wishcraft.conduit.client import CodexClient
from wishcraft.conduit.config import ConduitConfig, ignored_message, load_config
from wishcraft.conduit.errors import ConduitConfigError
from wishcraft.config import ConfigFileError, load_workspace_config
from wishcraft.lint import LintConfig
from wishcraft.lsp.settings import Settings
from wishcraft.lsp.workspace import DocumentSnapshot
from wishcraft.plan.paths import PlanPaths
from wishcraft.redaction import scrub


class ConduitHost(Protocol):
    """What a conduit run needs of the language server, and no more (the server is one).

    A small surface keeps the runs testable and the server free of conduit code."""

    @property
    def client_capabilities(self) -> types.ClientCapabilities:
        """What the client supports (progress, showDocument, workspace edits)."""

    @property
    def settings(self) -> Settings:
        """The settings in force (`wishcraft.plan.model`)."""

    @property
    def work_done_progress(self) -> Progress:
        """pygls' work-done progress helper."""

    def snapshot(self, uri: str) -> DocumentSnapshot | None:
        """The analysed open document."""

    def plan_paths_for(self, wish_path: Path) -> PlanPaths:
        """Where a wish's plan files go."""

    def lint_config_for(self, path: Path) -> LintConfig:
        """The lint rules (tier limits, court thresholds) the court's gates use."""

    def refresh_code_lenses(self) -> None:
        """Ask the client to fetch the code lenses again (the ledger's counts changed)."""

    def spawn(self, coroutine: Coroutine[Any, Any, Any], name: str) -> asyncio.Task[Any]:
        """Run a tracked background task."""

    def window_show_message(self, params: types.ShowMessageParams) -> None:
        """Show one sentence to the user."""

    def window_log_message(self, params: types.LogMessageParams) -> None:
        """Write to the client's log."""

    async def window_show_document_async(
        self, params: types.ShowDocumentParams
    ) -> types.ShowDocumentResult:
        """Ask the client to show a document."""


class RunningSession(Protocol):
    """A run in progress: its wish, progress token and task."""

    uri: str
    token: str
    task: asyncio.Task[Any] | None


_SAID_IGNORED: set[str] = set()
"""The ignored repository settings already shown this session (one server process is one
editor session; planning and applying share it, so a setting is shown once, not once each)."""

H = TypeVar("H", bound=ConduitHost)
S = TypeVar("S", bound=RunningSession)


class ConduitRuns(Generic[H, S]):
    """The sessions of one kind of run, by wish uri, and the Codex client they share."""

    what = "run"
    """How messages name a run of this kind."""

    def __init__(self, server: H) -> None:
        """Run for `server`; the HTTP client is made on first use and shared."""
        self.server: H = server
        self.sessions: dict[str, S] = {}
        self._client: CodexClient | None = None
        self._client_config: ConduitConfig | None = None

    def _show(self, kind: types.MessageType, message: str) -> None:
        self.server.window_show_message(types.ShowMessageParams(type=kind, message=scrub(message)))

    def _log(self, kind: types.MessageType, message: str) -> None:
        self.server.window_log_message(types.LogMessageParams(type=kind, message=scrub(message)))

    def cancel(self, uri: str | None = None, token: str | None = None) -> bool:
        """Cancel the run of `uri` (or with progress `token`); tell whether one was running."""
        for session in list(self.sessions.values()):
            if (uri is not None and session.uri == uri) or (
                token is not None and session.token == token
            ):
                if session.task is not None and not session.task.done():
                    session.task.cancel()
                    return True
        return False

    def _conduit_config(self, wish_path: Path) -> ConduitConfig:
        """The conduit's configuration for a wish; each repository setting the trust boundary
        ignored is said once a session (a window message), then only logged."""
        model = self.server.settings.plan.model
        try:
            repository = load_workspace_config(wish_path.parent)
        except ConfigFileError as error:
            raise ConduitConfigError(str(error)) from None
        config = load_config(
            repository,
            overrides={"model": model} if model else None,
            overrides_source="the wishcraft.plan.model setting",
        )
        for words in config.ignored:
            if words in _SAID_IGNORED:
                self._log(types.MessageType.Warning, ignored_message(words))
            else:
                _SAID_IGNORED.add(words)
                self._show(types.MessageType.Warning, ignored_message(words))
        return config

    def _client_for(self, config: ConduitConfig) -> CodexClient:
        """The shared client, made again when the configuration changed."""
        if self._client is None or self._client_config != config:
            if self._client is not None:
                self.server.spawn(self._client.aclose(), name="close codex client")
            self._client = CodexClient(config)
            self._client_config = config
        return self._client

    def shutdown(self) -> None:
        """Stop for a server shutdown without making the client wait: each running run is
        cancelled (a plan then writes what arrived, marked incomplete; an apply writes
        nothing) and the HTTP pool closes once they are done."""
        self.server.spawn(self.aclose(), name=f"close the {self.what} runner")

    async def aclose(self) -> None:
        """Cancel the running runs, wait for them to end, and close the HTTP client."""
        tasks = [session.task for session in self.sessions.values() if session.task is not None]
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        if self._client is not None:
            await self._client.aclose()
