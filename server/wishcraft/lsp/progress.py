"""Work-done progress for the editor's long runs (plan, apply, pull request), and the one way
they are cancelled.

Each run makes a `WorkProgress`: `begin` asks the client for a token (a client that shows no
progress, or refuses, gets one window message instead), `report` sends a step, `end` closes it
and is safe to call twice (runs call it in `finally`). A cancellable progress registers the
running task under its token; `cancel` (the `window/workDoneProgress/cancel` handler, and the
"cancel" commands through the runs' tokens) cancels that task, whichever kind of run owns it.
pygls' own token future is watched too, so a cancellation pygls hears first ends the task the
same way. Every message passes through `scrub`.
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from typing import Any, Protocol

from lsprotocol import types
from pygls.progress import Progress

from wishcraft.redaction import protect_logger, scrub

logger = protect_logger(logging.getLogger(__name__))

_RUNNING: dict[str, asyncio.Task[Any]] = {}
"""The cancellable runs' tasks by progress token (one server per process)."""


class ProgressHost(Protocol):
    """What progress needs of the language server."""

    @property
    def client_capabilities(self) -> types.ClientCapabilities:
        """Whether the client shows work-done progress."""

    @property
    def work_done_progress(self) -> Progress:
        """pygls' work-done progress helper."""

    def window_show_message(self, params: types.ShowMessageParams) -> None:
        """Show one sentence (the fallback when there is no progress)."""


def new_token(kind: str) -> str:
    """A fresh progress token, `wishcraft-<kind>-<uuid>`."""
    return f"wishcraft-{kind}-{uuid.uuid4()}"


def cancel(token: str) -> bool:
    """Cancel the run that owns the progress `token`; whether one was running."""
    task = _RUNNING.get(token)
    if task is None or task.done():
        return False
    task.cancel()
    return True


class WorkProgress:
    """One run's work-done progress: begin, report, end (always), and its cancellation."""

    def __init__(self, server: ProgressHost, title: str, token: str) -> None:
        """Progress titled `title` under `token` (see `new_token`)."""
        self.server = server
        self.title = title
        self.token = token
        self.active = False
        self.cancellable = False
        self.ended = False

    def shown(self) -> bool:
        """Whether the client shows work-done progress at all."""
        window = self.server.client_capabilities.window
        return bool(window and window.work_done_progress)

    async def begin(
        self, message: str, *, task: asyncio.Task[Any] | None = None, say: bool = True
    ) -> bool:
        """Begin, cancellable when `task` is given (it is then cancelled by `cancel`); whether
        the client shows it (if not, and `say`, `title: message.` is shown as a message)."""
        if task is not None:
            _RUNNING[self.token] = task
            self.cancellable = True
        if self.shown():
            try:
                await self.server.work_done_progress.create_async(self.token)
            except Exception as error:  # a client may refuse; fall back to a message
                logger.info("progress refused by the client: %s", error)
            else:
                self.active = True
                self.server.work_done_progress.begin(
                    self.token,
                    types.WorkDoneProgressBegin(
                        title=scrub(self.title),
                        cancellable=self.cancellable,
                        message=scrub(message),
                    ),
                )
                future = self.server.work_done_progress.tokens.get(self.token)
                if future is not None and task is not None:
                    future.add_done_callback(
                        lambda done: cancel(self.token) if done.cancelled() else None
                    )
                return True
        if not say:
            return False
        self.server.window_show_message(
            types.ShowMessageParams(
                type=types.MessageType.Info, message=scrub(f"{self.title}: {message}.")
            )
        )
        return False

    def report(self, message: str) -> None:
        """One step's message (nothing when the progress is not shown)."""
        if self.active:
            self.server.work_done_progress.report(
                self.token,
                types.WorkDoneProgressReport(message=scrub(message), cancellable=self.cancellable),
            )

    def end(self, message: str, *, fallback: str | None = None) -> None:
        """End with `message`; once (a second call does nothing). The token is released.
        Without shown progress, `fallback` (when given) is shown as a message instead."""
        _RUNNING.pop(self.token, None)
        if self.ended:
            return
        self.ended = True
        if self.active:
            self.active = False
            self.server.work_done_progress.end(
                self.token, types.WorkDoneProgressEnd(message=scrub(message))
            )
            self.server.work_done_progress.tokens.pop(self.token, None)
        elif fallback is not None:
            self.server.window_show_message(
                types.ShowMessageParams(type=types.MessageType.Info, message=scrub(fallback))
            )
