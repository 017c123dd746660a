"""Run "Plan this wish" in the editor: progress, cancellation, the side document, messages.

Flow: the command starts a tracked task and returns → work-done progress begins (cancellable)
→ the conduit streams → throttled progress reports, `wishcraft/planUpdated` notifications and
side-document rewrites → on the end (complete, incomplete, failed or cancelled) the plan file
and the JSON artifact are written atomically, the call's ledger line is appended, the document
is shown beside the wish, the code lenses are refreshed (calls left), and the progress ends in
`finally` with a one-line summary. Before any of it, the court's gates run as for `wishcraft
plan` (`plan.pipeline.hear_plan`): a refusal is one message and a `refused` ledger line.
One plan per wish at a time; different wishes plan in parallel. No token is ever put in a
message, a log or a file: every message, notification and file passes through `secrets.scrub`
here, the one place they leave.
"""

from __future__ import annotations

import asyncio
import logging
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from lsprotocol import types
from pygls.protocol import LanguageServerProtocol

from wishcraft.conduit.client import PlanProgress
from wishcraft.conduit.config import ConduitConfig
from wishcraft.conduit.errors import ConduitError
from wishcraft.court.plan import Hearing
from wishcraft.fileio import write_atomically
from wishcraft.lsp.conduit_runs import ConduitHost, ConduitRuns
from wishcraft.lsp.payloads import PlanUpdated, PlanWishResult
from wishcraft.lsp.progress import WorkProgress, new_token
from wishcraft.model import ExecMode, Wish
from wishcraft.names import NOTIFICATION_PLAN_UPDATED
from wishcraft.plan.artifact import PlanArtifact, PlanStatus
from wishcraft.plan.paths import PlanPathError, PlanPaths
from wishcraft.plan.pipeline import (
    PlanJob,
    build_artifact,
    hear_plan,
    new_job,
    partial_artifact,
    plan_markdown,
    plan_wish,
    read_complete_plan,
    record_plan,
    refuse_plan,
    resolve_mode,
    save_plan,
)
from wishcraft.plan.render import render_plan
from wishcraft.plan.steps import count_steps_so_far, partial_steps
from wishcraft.redaction import protect_logger, scrub
from wishcraft.registry import Registry
from wishcraft.words import plural


class PlanHost(ConduitHost, Protocol):
    """What "Plan this wish" needs of the server: a conduit run's host, and the protocol to
    send `wishcraft/planUpdated`."""

    @property
    def protocol(self) -> LanguageServerProtocol:
        """The protocol, to send our own notification."""


logger = protect_logger(logging.getLogger(__name__))

REPORT_INTERVAL_SECONDS = 0.1
"""The least time between two progress reports (and side-document rewrites: × 2.5)."""


@dataclass(slots=True)
class PlanSession:
    """One running plan: its task, progress token and job."""

    uri: str
    wish: Wish
    paths: PlanPaths
    token: str
    task: asyncio.Task[Any] | None = None
    job: PlanJob | None = None
    registry: Registry | None = None
    hearing: Hearing | None = None
    config: ConduitConfig | None = None
    started: float = field(default_factory=time.perf_counter)
    last_report: float = 0.0
    last_write: float = 0.0
    last_phase: str = ""
    progress: WorkProgress | None = None


class PlanRunner(ConduitRuns[PlanHost, PlanSession]):
    """Starts, tracks and cancels plans for the language server."""

    what = "plan"

    def __init__(self, server: PlanHost) -> None:
        """Run plans for `server`; the HTTP client is made on first use and shared."""
        super().__init__(server)
        self._said: set[str] = set()
        """Conduit warnings already shown (an effort mapped, no catalog), each said once."""

    # Capabilities -----------------------------------------------------------------------

    def _supports_show_document(self) -> bool:
        window = self.server.client_capabilities.window
        return bool(window and window.show_document and window.show_document.support)

    # Starting and cancelling ------------------------------------------------------------

    def start(self, uri: str) -> PlanWishResult:
        """Start planning the wish at `uri`; return at once with what happened."""
        snapshot = self.server.snapshot(uri)
        if snapshot is None:
            message = "This document is not an open wish."
            self._show(types.MessageType.Warning, message)
            return {"started": False, "reason": message, "shown": True}
        if uri in self.sessions:
            message = "A plan for this wish is already running."
            self._show(types.MessageType.Info, message)
            return {"started": False, "reason": message, "shown": True}
        wish = snapshot.analysis.wish
        if wish is None:
            errors = snapshot.analysis.error_count
            message = (
                f"Fix the wish's {errors} error{'s' if errors != 1 else ''} before planning it."
            )
            self._show(types.MessageType.Warning, message)
            return {"started": False, "reason": message, "shown": True}
        try:
            paths = self.server.plan_paths_for(snapshot.path)
        except PlanPathError as error:
            self._show(types.MessageType.Error, str(error))
            return {"started": False, "reason": str(error), "shown": True}
        session = PlanSession(uri, wish, paths, token=new_token("plan"), registry=snapshot.registry)
        text = snapshot.analysis.parsed.text
        try:
            session.config = self._conduit_config(snapshot.path)
        except ConduitError:
            session.config = None  # said by the run, which stops before any call
        if session.config is not None:
            if not self._hear(session, text, snapshot.path, session.config).verdict.allowed:
                return self._refuse(session)
        self.sessions[uri] = session
        session.task = self.server.spawn(
            self._run(session, text, snapshot.path), name=f"plan {uri}"
        )
        return {"started": True, "planUri": paths.markdown.as_uri(), "token": session.token}

    def _hear(
        self, session: PlanSession, text: str, wish_path: Path, config: ConduitConfig
    ) -> Hearing:
        """The job in the mode the plan will run in, and the court's gates on it (as
        `wishcraft plan` hears them); the gates' notes go to the client's log."""
        session.job = new_job(session.wish, text, wish_path, resolve_mode("auto", config))
        assert session.registry is not None
        session.hearing = hear_plan(
            session.job, session.registry, self.server.lint_config_for(wish_path)
        )
        for note in session.hearing.notes:
            self._log(types.MessageType.Info, note)
        return session.hearing

    def _refuse(self, session: PlanSession) -> PlanWishResult:
        """Say the gate's sentence, leave the `refused` ledger line, refresh the lenses."""
        assert session.hearing is not None and session.job is not None
        message = session.hearing.verdict.reason
        self._show(types.MessageType.Warning, message)
        for problem in refuse_plan(session.hearing, session.job):
            self._show(types.MessageType.Warning, problem)
        self.server.refresh_code_lenses()
        return {"started": False, "reason": message, "shown": True}

    # The run ----------------------------------------------------------------------------

    async def _run(self, session: PlanSession, text: str, wish_path: Path) -> None:
        summary = "Stopped."
        try:
            try:
                config = session.config or self._conduit_config(wish_path)
            except ConduitError as config_error:
                summary = str(config_error)
                self._show(types.MessageType.Error, summary)
                return
            if session.hearing is None:  # the configuration could not be read at the start
                if not self._hear(session, text, wish_path, config).verdict.allowed:
                    summary = str(self._refuse(session)["reason"])
                    return
            assert session.job is not None
            job = session.job
            mode = job.mode
            await self._begin(session, mode)
            try:
                artifact, error = await plan_wish(
                    job,
                    config,
                    client=self._client_for(config) if mode is ExecMode.COMMIT else None,
                    on_progress=lambda p: self._on_progress(session, p),
                    wish_id=wish_path.name,
                )
            except asyncio.CancelledError:
                artifact, error = partial_artifact(job, "cancelled"), None
                summary = (
                    f"Cancelled: kept {plural(len(artifact.steps), 'step')}, marked incomplete."
                )
                self._finish_files(session, artifact)
                self._record(session, artifact)
                return
            self._finish_files(session, artifact)
            self._record(session, artifact)
            summary = self._summary(session, artifact, error)
            for warning in artifact.warnings:
                if warning not in self._said:  # said once per server, not on every plan
                    self._said.add(warning)
                    self._show(types.MessageType.Warning, warning)
            if error is not None:
                self._show(types.MessageType.Error, str(error))
                self._log(
                    types.MessageType.Error,
                    f"Planning {wish_path.name} failed: "
                    f"{error.detail or error} {error.ids()}".strip(),
                )
            elif artifact.status is not PlanStatus.COMPLETE:
                self._show(
                    types.MessageType.Warning,
                    f"The plan is incomplete ({artifact.status_reason}); what arrived is kept.",
                )
            await self._show_document(session)
        except Exception as unexpected:  # keep serving; the log gets the traceback
            logger.exception("planning %s failed unexpectedly", session.uri)
            summary = f"Planning failed: {type(unexpected).__name__}; see the log."
            self._show(types.MessageType.Error, summary)
        finally:
            self.sessions.pop(session.uri, None)
            self._end(session, summary)

    async def _begin(self, session: PlanSession, mode: ExecMode) -> None:
        title = f"Planning “{session.wish.title}”"
        first = (
            "Shadow run: no Codex login, planning offline"
            if mode is ExecMode.SHADOW_RUN
            else "Connecting to Codex"
        )
        session.progress = WorkProgress(self.server, title, session.token)
        await session.progress.begin(first, task=asyncio.current_task())

    def _on_progress(self, session: PlanSession, progress: PlanProgress) -> None:
        now = time.perf_counter()
        phase_changed = progress.phase != session.last_phase
        session.last_phase = progress.phase
        if (
            session.progress is not None
            and session.progress.active
            and (phase_changed or now - session.last_report >= REPORT_INTERVAL_SECONDS)
        ):
            session.last_report = now
            message = progress.message
            if progress.phase == "writing":
                steps = count_steps_so_far(progress.text)
                message = f"Writing the plan: {steps} step{'s' if steps != 1 else ''} so far"
            session.progress.report(message)
        if (
            progress.phase == "writing"
            and now - session.last_write >= REPORT_INTERVAL_SECONDS * 2.5
        ):
            session.last_write = now
            self._write_partial(session, progress.text)

    def _write_partial(self, session: PlanSession, text: str) -> None:
        """Rewrite the side document with the steps so far and tell the client."""
        if session.job is None:
            return
        artifact = build_artifact(session.job, PlanStatus.INCOMPLETE, "still writing")
        markdown = render_plan(session.wish, artifact, streaming=True, steps=partial_steps(text))
        self._write_markdown(session, markdown, done=False)

    def _write_markdown(self, session: PlanSession, markdown: str, *, done: bool) -> None:
        markdown = scrub(markdown)
        try:
            write_atomically(session.paths.markdown, markdown)
        except OSError as error:
            self._log(
                types.MessageType.Warning,
                f"Could not write {session.paths.markdown}: {error.strerror}",
            )
        self._notify(session, markdown, done=done)

    def _notify(self, session: PlanSession, markdown: str, *, done: bool) -> None:
        update: PlanUpdated = {
            "uri": session.uri,
            "planUri": session.paths.markdown.as_uri(),
            "markdown": markdown,
            "done": done,
        }
        self.server.protocol.notify(NOTIFICATION_PLAN_UPDATED, update)

    def _finish_files(self, session: PlanSession, artifact: PlanArtifact) -> None:
        """Save the plan as `wishcraft plan` does, then tell the client the last text."""
        assert session.job is not None
        saved = save_plan(session.job, artifact, session.paths)
        for problem in saved.problems:
            self._show(types.MessageType.Error, problem)
        for message in saved.messages(session.paths):
            self._show(types.MessageType.Warning, message)
        shown = artifact if saved.failed is None else read_complete_plan(session.paths.artifact)
        self._notify(session, plan_markdown(session.job, shown or artifact), done=True)

    def _record(self, session: PlanSession, artifact: PlanArtifact) -> None:
        """Leave the call's ledger line, as `wishcraft plan` does; refresh the calls left."""
        assert session.job is not None and session.hearing is not None
        recorded = record_plan(session.hearing, session.job, artifact)
        kind = types.MessageType.Warning if recorded.written else types.MessageType.Error
        for problem in recorded:
            self._show(kind, problem)
        self.server.refresh_code_lenses()

    async def _show_document(self, session: PlanSession) -> None:
        uri = session.paths.markdown.as_uri()
        if self._supports_show_document():
            try:
                await self.server.window_show_document_async(
                    types.ShowDocumentParams(uri=uri, external=False, take_focus=False)
                )
                return
            except Exception as error:
                logger.info("showDocument failed: %s", error)
        self._show(types.MessageType.Info, f"The plan is in {session.paths.markdown}")

    def _summary(
        self, session: PlanSession, artifact: PlanArtifact, error: ConduitError | None
    ) -> str:
        seconds = time.perf_counter() - session.started
        if error is not None:
            return f"Failed: {error}"
        parts = [
            f"{len(artifact.steps)} step{'s' if len(artifact.steps) != 1 else ''}",
            artifact.model or "no model",
        ]
        if artifact.tokens_used:
            parts.append(f"{artifact.tokens_used:,} tokens")
        parts.append(f"{seconds:.1f} s")
        status = (
            ""
            if artifact.status is PlanStatus.COMPLETE
            else f"Incomplete ({artifact.status_reason}): "
        )
        return status + " · ".join(parts)

    def _end(self, session: PlanSession, summary: str) -> None:
        fallback = f"Planning “{session.wish.title}”: {summary}"
        if session.progress is not None:
            session.progress.end(summary, fallback=fallback)
        else:
            self._show(types.MessageType.Info, fallback)
