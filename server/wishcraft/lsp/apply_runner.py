"""Run "Apply plan" and "Undo apply" in the editor: progress, review, the client's edit, undo.

Flow of an apply: the command checks the plan (complete and current) and the court's gates as
`wishcraft apply` does (`apply.pipeline`), then starts a tracked task and returns → cancellable
work-done progress while Codex reads and stages its patch → `<wish>.patch` is written → a client
with change annotations gets `workspace/applyEdit` whose every edit carries an annotation
needing confirmation (VS Code shows its refactor preview); a client without them (Neovim 0.7)
is first asked with `window/showMessageRequest` "Apply N files (+a −d)?" (Apply, Show diff,
Cancel) → the ledger records only what the client reports as applied (`applied`,
`failedChange`), with an undo record (`record_applied`) and its `anchor_id`.

"Undo apply" reverses an anchor with `apply.rollback` on disk; a file whose editor buffer holds
unsaved changes is refused first ("save that edit first"), since the undo checks the disk.
One apply per wish at a time. Every message passes through `scrub`.
"""

from __future__ import annotations

import asyncio
import logging
import time
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol, TypedDict

from lsprotocol import types
from pygls.uris import from_fs_path, to_fs_path
from pygls.workspace import TextDocument

from wishcraft.apply.court import workspace_root
from wishcraft.apply.errors import ApplyError, RollbackRefused
from wishcraft.apply.pipeline import (
    ApplyJob,
    ApplyRefused,
    ApplyRun,
    anchor_meta,
    change_summary,
    hear_job,
    prepare,
    record_apply,
    record_rollback,
    run_apply,
    save_patch,
    scope_globs,
)
from wishcraft.apply.rollback import load_anchor, rollback
from wishcraft.apply.stage import StagedChange
from wishcraft.apply.transaction import record_applied
from wishcraft.conduit.apply_exchange import ApplyExchange
from wishcraft.conduit.client import PlanProgress
from wishcraft.conduit.config import ConduitConfig
from wishcraft.conduit.errors import ConduitError
from wishcraft.ledger import LedgerError, LedgerLocation, Outcome, find_ledger, read_entries
from wishcraft.lsp.conduit_runs import ConduitHost, ConduitRuns
from wishcraft.lsp.edits import applied_paths, held_paths, workspace_edit
from wishcraft.lsp.workspace import DocumentSnapshot
from wishcraft.names import APPLY_CONDUIT_ID
from wishcraft.plan.court import Hearing, ledger_mode
from wishcraft.plan.paths import PlanPathError
from wishcraft.plan.pipeline import resolve_mode
from wishcraft.redaction import protect_logger, scrub
from wishcraft.undo_state import state_dir_for

logger = protect_logger(logging.getLogger(__name__))

CHOICE_APPLY = "Apply"
CHOICE_SHOW_DIFF = "Show diff"
CHOICE_CANCEL = "Cancel"
ASK_ROUNDS = 3
"""How often the Neovim-like question is asked again after "Show diff"."""


class ApplyResult(TypedDict, total=False):
    """The answer of `wishcraft.applyPlan` and `wishcraft.undoApply`."""

    started: bool
    reason: str
    token: str
    anchorId: str
    files: list[str]


class ApplyHost(ConduitHost, Protocol):
    """What "Apply plan" needs of the server: a conduit run's host, the open documents (their
    versions go in the edit), and the client's answers to a question and to an edit."""

    def open_document(self, uri: str) -> TextDocument | None:
        """An open document (any kind), for its version and unsaved text."""

    async def window_show_message_request_async(
        self, params: types.ShowMessageRequestParams
    ) -> types.MessageActionItem | None:
        """Ask the user to choose."""

    async def workspace_apply_edit_async(
        self, params: types.ApplyWorkspaceEditParams
    ) -> types.ApplyWorkspaceEditResult:
        """Ask the client to apply an edit."""


@dataclass(slots=True)
class ApplySession:
    """One running apply: its task, progress token and job."""

    uri: str
    job: ApplyJob
    hearing: Hearing
    config: ConduitConfig
    globs: tuple[str, ...] | None
    token: str
    task: asyncio.Task[Any] | None = None
    state: ApplyExchange = field(default_factory=ApplyExchange)
    progress: bool = False
    started: float = field(default_factory=time.perf_counter)


def last_anchor(location: LedgerLocation, wish_key: str) -> str | None:
    """The wish's last applied anchor that was not undone since, from the ledger."""
    entries, _ = read_entries(location.path, wish=wish_key, conduit=APPLY_CONDUIT_ID)
    undone = {
        entry.anchor_id
        for _, entry in entries
        if entry.action == "rollback" and entry.outcome == "complete"
    }
    for _, entry in reversed(entries):
        if entry.action == "apply" and entry.anchor_id and entry.anchor_id not in undone:
            return entry.anchor_id
    return None


# The runner --------------------------------------------------------------------------------


class ApplyRunner(ConduitRuns[ApplyHost, ApplySession]):
    """Starts, tracks and cancels applies, and undoes them, for the language server."""

    what = "apply"

    # Capabilities -----------------------------------------------------------------------

    def _window(self) -> types.WindowClientCapabilities | None:
        return self.server.client_capabilities.window

    def _edit_capabilities(self) -> types.WorkspaceEditClientCapabilities | None:
        workspace = self.server.client_capabilities.workspace
        return workspace.workspace_edit if workspace else None

    def supports_annotations(self) -> bool:
        """Whether the client shows change annotations (and so asks before applying)."""
        edit = self._edit_capabilities()
        return bool(edit and edit.change_annotation_support is not None)

    def _encoding(self) -> str:
        workspace = getattr(self.server, "workspace", None)
        return str(getattr(workspace, "position_encoding", None) or "utf-16")

    # Starting ---------------------------------------------------------------------------

    def check(self, snapshot: DocumentSnapshot) -> ApplyJob:
        """The apply's job; `ApplyRefused` when the wish has errors or its plan is missing,
        stale or incomplete."""
        wish = snapshot.analysis.wish
        if wish is None:
            errors = snapshot.analysis.error_count
            raise ApplyRefused(
                f"Fix the wish's {errors} error{'s' if errors != 1 else ''} "
                "before applying its plan."
            )
        try:
            plan = self.server.plan_paths_for(snapshot.path).artifact
        except PlanPathError as error:
            raise ApplyRefused(str(error)) from None
        return prepare(wish, snapshot.analysis.parsed.text, snapshot.path, plan)

    def start(self, uri: str) -> ApplyResult:
        """Start applying the plan of the wish at `uri`; return at once."""
        snapshot = self.server.snapshot(uri)
        if snapshot is None:
            return self._refused("This document is not an open wish.")
        if uri in self.sessions:
            return self._refused("The plan of this wish is already being applied.")
        try:
            job = self.check(snapshot)
            config = self._conduit_config(snapshot.path)
        except (ApplyRefused, ConduitError) as error:
            return self._refused(str(error))
        mode = ledger_mode(resolve_mode("auto", config))
        hearing = hear_job(job, mode, snapshot.registry, self.server.lint_config_for(snapshot.path))
        if not hearing.verdict.allowed:
            for problem in record_apply(
                hearing, job, None, outcome="refused", summary="Refused by the court's gates."
            ):
                self._show(types.MessageType.Warning, problem)
            self.server.refresh_code_lenses()
            return self._refused(hearing.verdict.reason)
        session = ApplySession(
            uri,
            job,
            hearing,
            config,
            scope_globs(snapshot.registry, job.repo),
            token=f"wishcraft-apply-{uuid.uuid4()}",
        )
        self.sessions[uri] = session
        session.task = self.server.spawn(self._run(session), name=f"apply {uri}")
        return {"started": True, "token": session.token}

    def _refused(self, message: str) -> ApplyResult:
        self._show(types.MessageType.Warning, message)
        return {"started": False, "reason": scrub(message)}

    # The run ----------------------------------------------------------------------------

    async def _run(self, session: ApplySession) -> None:
        summary = "Stopped."
        job = session.job
        try:
            await self._begin(session)
            mode = session.hearing.mode
            try:
                run = await run_apply(
                    job,
                    mode,
                    self._client_for(session.config) if mode == "commit" else None,
                    session.globs,
                    on_progress=lambda p: self._on_progress(session, p),
                    state=session.state,
                )
            except asyncio.CancelledError:
                run = ApplyRun("commit", "incomplete", "cancelled", None, session.state)
                self._record(session, run, summary="Cancelled: nothing was written.")
                summary = "Cancelled: nothing was written."
                return
            summary = await self._after_run(session, run)
        except Exception as unexpected:  # keep serving; the log gets the traceback
            logger.exception("applying %s failed unexpectedly", session.uri)
            summary = f"Applying failed: {type(unexpected).__name__}; see the log."
            self._show(types.MessageType.Error, summary)
        finally:
            self.sessions.pop(session.uri, None)
            self._end(session, summary)
            self.server.refresh_code_lenses()

    async def _after_run(self, session: ApplySession, run: ApplyRun) -> str:
        job = session.job
        if run.mode == "shadow":
            files = ", ".join(run.named_files) or "none"
            self._record(
                session, run, summary=f"Shadow run: nothing staged; the plan names: {files}."
            )
            message = f"Shadow run (no Codex login): nothing was staged. The plan names: {files}."
            self._show(types.MessageType.Info, message)
            return "Shadow run: nothing staged."
        staged = run.staged
        if staged is None or run.outcome == "failed":
            reason = run.reason or "Codex staged no patch; nothing was written."
            self._record(session, run)
            self._show(types.MessageType.Error, reason)
            return f"Failed: {reason}"
        for problem in save_patch(job, staged):
            self._show(types.MessageType.Error, problem)
        described = change_summary(staged)
        self._end(session, f"Staged {staged.summary.describe()}; review the change.")
        session.progress = False
        unsaved = self._unsaved(staged.root, [change.path for change in staged.files])
        if unsaved is not None:
            message = (
                f"'{unsaved}' has unsaved changes in the editor; save it, then apply "
                "the plan again."
            )
            self._record(session, run, summary=f"Not applied (unsaved editor): {described}.")
            self._show(types.MessageType.Warning, message)
            return message
        if not self.supports_annotations() and not await self._ask(session, staged):
            self._record(session, run, summary=f"Not applied (declined): {described}.")
            self._show(
                types.MessageType.Info,
                f"The change was not applied; its diff is in {job.patch_path}.",
            )
            return "Not applied."
        return await self._send_edit(session, run, staged)

    async def _ask(self, session: ApplySession, staged: StagedChange) -> bool:
        """The Neovim-like question: Apply, Show diff (then ask again), Cancel."""
        question = f"Apply {staged.summary.describe()}? “{session.job.wish.title}”"
        for _ in range(ASK_ROUNDS):
            try:
                answer = await self.server.window_show_message_request_async(
                    types.ShowMessageRequestParams(
                        type=types.MessageType.Info,
                        message=scrub(question),
                        actions=[
                            types.MessageActionItem(title=CHOICE_APPLY),
                            types.MessageActionItem(title=CHOICE_SHOW_DIFF),
                            types.MessageActionItem(title=CHOICE_CANCEL),
                        ],
                    )
                )
            except Exception as error:
                logger.info("showMessageRequest failed: %s", error)
                return False
            choice = answer.title if answer is not None else CHOICE_CANCEL
            if choice == CHOICE_APPLY:
                return True
            if choice != CHOICE_SHOW_DIFF:
                return False
            await self._show_patch(session.job.patch_path)
        return False

    async def _show_patch(self, path: Path) -> None:
        window = self._window()
        if window and window.show_document and window.show_document.support:
            try:
                await self.server.window_show_document_async(
                    types.ShowDocumentParams(uri=path.as_uri(), take_focus=True)
                )
                return
            except Exception as error:
                logger.info("showDocument failed: %s", error)
        self._show(types.MessageType.Info, f"The diff is in {path}")

    async def _send_edit(self, session: ApplySession, run: ApplyRun, staged: StagedChange) -> str:
        job = session.job
        annotation = (
            types.ChangeAnnotation(
                label=job.wish.title,
                needs_confirmation=True,
                description=f"Apply plan: {staged.summary.describe()}",
            )
            if self.supports_annotations()
            else None
        )
        versions = {}
        for change in staged.files:
            document = self.server.open_document(from_fs_path(str(staged.root / change.path)) or "")
            if document is not None:
                versions[change.path] = document.version
        built = workspace_edit(
            staged, versions=versions, annotation=annotation, encoding=self._encoding()
        )
        result = await self.server.workspace_apply_edit_async(
            types.ApplyWorkspaceEditParams(edit=built.edit, label=f"Apply plan: {job.wish.title}")
        )
        capabilities = self._edit_capabilities()
        handling = capabilities.failure_handling if capabilities else None
        paths = applied_paths(built, result, handling)
        if result.applied and annotation is not None:
            # The refactor preview lets the user untick files and still answers `applied`;
            # VS Code saves what it applied, so when some files hold their new text on disk
            # and others do not, only those were accepted.
            held = held_paths(staged)
            if held and len(held) < len(paths):
                paths = held
        described = change_summary(staged)
        if not paths:
            reason = result.failure_reason or "the client did not apply the edit"
            self._record(session, run, summary=f"Not applied ({reason}): {described}.")
            self._show(types.MessageType.Warning, f"The change was not applied: {reason}.")
            return "Not applied."
        try:
            anchor = record_applied(
                staged, state_dir=job.state_dir, paths=paths, meta=anchor_meta(job, run)
            )
        except ApplyError as error:
            self._record(
                session,
                run,
                outcome="failed",
                reason=str(error),
                summary=f"Applied by the editor, but not recorded: {described}.",
            )
            self._show(types.MessageType.Error, str(error))
            return str(error)
        if len(anchor.files) == len(staged.files):
            applied = change_summary(staged)
            count = len(staged.summary.files)
            partial = ""
        else:
            shown = [file.path for file in anchor.files]
            applied = f"{len(shown)} of {len(staged.summary.files)} files: {', '.join(shown)}"
            count = len(shown)
            partial = (
                " (the other files were left out in the review)"
                if result.applied
                else " (partly: the client stopped at a failed change)"
            )
        self._record(session, run, anchor=anchor, summary=f"Applied {applied}{partial}.")
        self._show(
            types.MessageType.Info,
            f"Applied {count} file{'s' if count != 1 else ''}{partial}; "
            f"undo with “Undo apply” (anchor {anchor.anchor_id}).",
        )
        return f"Applied: anchor {anchor.anchor_id}"

    def _record(self, session: ApplySession, run: ApplyRun, **fields: Any) -> None:
        recorded = record_apply(session.hearing, session.job, run, **fields)
        kind = types.MessageType.Warning if recorded.written else types.MessageType.Error
        for problem in recorded:
            self._show(kind, problem)

    def _unsaved(self, root: Path, paths: Sequence[str]) -> str | None:
        """The first path whose open editor buffer differs from the file on disk."""
        for path in paths:
            document = self.server.open_document(from_fs_path(str(root / path)) or "")
            if document is None:
                continue
            try:
                disk = (root / path).read_text(encoding="utf-8")
            except (OSError, UnicodeDecodeError):
                disk = None
            if disk != document.source:
                return path
        return None

    # Progress ---------------------------------------------------------------------------

    async def _begin(self, session: ApplySession) -> None:
        title = f"Applying the plan of “{session.job.wish.title}”"
        first = (
            "Shadow run: no Codex login"
            if session.hearing.mode == "shadow"
            else "Connecting to Codex"
        )
        window = self._window()
        if window and window.work_done_progress:
            try:
                await self.server.work_done_progress.create_async(session.token)
            except Exception as error:
                logger.info("progress refused by the client: %s", error)
            else:
                session.progress = True
                self.server.work_done_progress.begin(
                    session.token,
                    types.WorkDoneProgressBegin(title=title, cancellable=True, message=first),
                )
                future = self.server.work_done_progress.tokens.get(session.token)
                if future is not None and session.task is not None:
                    task = session.task
                    future.add_done_callback(
                        lambda done: task.cancel() if done.cancelled() else None
                    )
                return
        self._show(types.MessageType.Info, f"{title}: {first}.")

    def _on_progress(self, session: ApplySession, progress: PlanProgress) -> None:
        if session.progress and progress.message:
            self.server.work_done_progress.report(
                session.token,
                types.WorkDoneProgressReport(message=scrub(progress.message), cancellable=True),
            )

    def _end(self, session: ApplySession, summary: str) -> None:
        if session.progress:
            session.progress = False
            self.server.work_done_progress.end(
                session.token, types.WorkDoneProgressEnd(message=scrub(summary))
            )
            self.server.work_done_progress.tokens.pop(session.token, None)

    # Undo -------------------------------------------------------------------------------

    def undo(self, target: str) -> ApplyResult:
        """Undo an anchor (`A-…`), or the last apply of the wish at the uri `target`."""
        location, anchor_id = self._anchor_for(target)
        if location is None or anchor_id is None:
            return {"started": False, "reason": anchor_id or "No apply of this wish to undo."}
        root = workspace_root(location.root)[0]
        state_dir = state_dir_for(root)
        try:
            anchor = load_anchor(anchor_id, state_dir=state_dir)
        except RollbackRefused as error:
            return self._refused(str(error))
        unsaved = self._unsaved(anchor.root, [file.path for file in anchor.files])
        if unsaved is not None:
            refusal = RollbackRefused(
                anchor_id,
                f"'{unsaved}' has unsaved changes in the editor; save that edit first",
                path=unsaved,
            )
            self._undo_refused(location, anchor, refusal)
            return {"started": False, "reason": scrub(str(refusal))}
        try:
            undone = rollback(anchor_id, state_dir=state_dir, root=root)
        except ApplyError as error:
            self._undo_refused(location, anchor, error)
            return {"started": False, "reason": scrub(str(error))}
        for problem in record_rollback(location, anchor, outcome="complete", files=undone.files):
            self._show(types.MessageType.Warning, problem)
        files = list(undone.files)
        self._show(
            types.MessageType.Info,
            f"Undid {anchor_id}: "
            f"{len(files)} file{'s' if len(files) != 1 else ''} "
            f"restored ({', '.join(files)}).",
        )
        self.server.refresh_code_lenses()
        return {"started": True, "anchorId": anchor_id, "files": files}

    def _undo_refused(self, location: LedgerLocation, anchor: Any, error: ApplyError) -> None:
        outcome: Outcome = "refused" if isinstance(error, RollbackRefused) else "failed"
        for problem in record_rollback(location, anchor, outcome=outcome, reason=str(error)):
            self._show(types.MessageType.Warning, problem)
        self._show(types.MessageType.Warning, str(error))

    def _anchor_for(self, target: str) -> tuple[LedgerLocation | None, str | None]:
        """The ledger and the anchor id to undo; (None, the reason) when there is none."""
        if target.startswith("A-"):
            start = self._any_root()
            anchor_id: str | None = target
        else:
            path = to_fs_path(target)
            if not path:
                return None, "This is not a wish's uri or an anchor id."
            start = Path(path)
            anchor_id = None
        try:
            location = find_ledger(start)
        except LedgerError as error:
            return None, str(error)
        if anchor_id is None:
            try:
                anchor_id = last_anchor(location, location.wish_key(start))
            except LedgerError as error:
                return None, str(error)
            if anchor_id is None:
                self._show(types.MessageType.Info, "This wish has no applied change to undo.")
                return None, "This wish has no applied change to undo."
        return location, anchor_id

    def _any_root(self) -> Path:
        workspace = getattr(self.server, "workspace", None)
        root = getattr(workspace, "root_path", None)
        return Path(root) if root else Path.cwd()
