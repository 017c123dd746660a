"""Run "Apply plan" and "Undo apply" in the editor, through the apply driver (`apply.driver`).

Flow of an apply: the command checks the plan (complete and current) and the court's gates
(`driver.hear`), then starts a tracked task and returns → the driver runs: the staged patch of
an earlier run is reused when nothing changed since (no model call), else cancellable work-done
progress while Codex reads and stages its patch → `<wish>.patch` is written → the review:

- a client with change annotations gets `workspace/applyEdit` whose every edit needs
  confirmation (VS Code shows its refactor preview and saves what it applies); only the files
  whose text on disk is then the new text are recorded as applied, with an undo record;
- a client without them (Neovim 0.7, whose stock handler applies an edit to buffers and saves
  nothing) is asked with `window/showMessageRequest` "Apply N files (+a −d)?" (Apply, Show diff,
  Cancel); on Apply the server writes the files through the same all-or-none transaction as
  `wishcraft apply` (the ledger line `pending` before the files, completed after), and the
  client reloads them.

"Applied" is said, and the anchor written, only once the files on disk hold the new text.
"Undo apply" reverses an anchor with `apply.rollback` on disk; a file whose editor buffer holds
unsaved changes is refused first ("save that edit first"), since the undo checks the disk.
One apply per wish at a time. Every message passes through `scrub`.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol, TypedDict

from lsprotocol import types
from pygls.uris import from_fs_path, to_fs_path
from pygls.workspace import TextDocument

from wishcraft.apply.driver import (
    APPROVED,
    ClientApplied,
    Decision,
    Level,
    Request,
    Result,
    hear,
    proceed,
    refuse,
)
from wishcraft.apply.errors import ApplyError, RollbackRefused
from wishcraft.apply.pipeline import (
    ApplyJob,
    ApplyRefused,
    prepare,
    record_rollback,
    scope_globs,
)
from wishcraft.apply.rollback import load_anchor, rollback
from wishcraft.apply.stage import StagedChange
from wishcraft.conduit.client import PlanProgress
from wishcraft.conduit.errors import ConduitError
from wishcraft.court.apply import workspace_root
from wishcraft.court.plan import Hearing
from wishcraft.ledger import LedgerError, LedgerLocation, Outcome, find_ledger, last_applied
from wishcraft.lsp.conduit_runs import ConduitHost, ConduitRuns
from wishcraft.lsp.edits import all_before, applied_paths, held_paths, workspace_edit
from wishcraft.lsp.progress import WorkProgress, new_token
from wishcraft.lsp.workspace import DocumentSnapshot
from wishcraft.names import APPLY_CONDUIT_ID
from wishcraft.plan.paths import PlanPathError
from wishcraft.redaction import protect_logger, scrub
from wishcraft.undo_state import state_dir_for

logger = protect_logger(logging.getLogger(__name__))

CHOICE_APPLY = "Apply"
CHOICE_SHOW_DIFF = "Show diff"
CHOICE_CANCEL = "Cancel"
ASK_ROUNDS = 3
"""How often the Neovim-like question is asked again after "Show diff"."""
LEVELS = {
    "info": types.MessageType.Info,
    "warning": types.MessageType.Warning,
    "error": types.MessageType.Error,
}


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
    """One running apply: its task, progress and the driver's request."""

    uri: str
    request: Request
    hearing: Hearing
    progress: WorkProgress
    token: str
    task: asyncio.Task[Any] | None = None


def last_anchor(location: LedgerLocation, wish_key: str) -> str | None:
    """The wish's last applied anchor that was not undone since (`ledger.last_applied`)."""
    applied = last_applied(location.path, wish_key, APPLY_CONDUIT_ID)
    return applied.anchor_id if applied is not None else None


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
        request = Request(
            job,
            snapshot.registry,
            self.server.lint_config_for(snapshot.path),
            config,
            scope_globs(snapshot.registry, job.repo),
            lambda: self._client_for(config),
        )
        hearing = hear(request)
        token = new_token("apply")
        title = f"Applying the plan of “{job.wish.title}”"
        session = ApplySession(
            uri, request, hearing, WorkProgress(self.server, title, token), token
        )
        if not hearing.verdict.allowed:
            refuse(request, hearing, EditorReviewer(self, session))
            self.server.refresh_code_lenses()
            return self._refused(hearing.verdict.reason)
        self.sessions[uri] = session
        session.task = self.server.spawn(self._run(session), name=f"apply {uri}")
        return {"started": True, "token": token}

    def _refused(self, message: str) -> ApplyResult:
        self._show(types.MessageType.Warning, message)
        return {"started": False, "reason": scrub(message)}

    # The run ----------------------------------------------------------------------------

    async def _run(self, session: ApplySession) -> None:
        summary = "Stopped."
        try:
            first = (
                "Shadow run: no Codex login"
                if session.hearing.mode == "shadow"
                else "Connecting to Codex"
            )
            await session.progress.begin(first, task=asyncio.current_task())
            result = await proceed(session.request, session.hearing, EditorReviewer(self, session))
            summary = self._finish(result)
        except asyncio.CancelledError:
            summary = "Cancelled: nothing was written."
        except Exception as unexpected:  # keep serving; the log gets the traceback
            logger.exception("applying %s failed unexpectedly", session.uri)
            summary = f"Applying failed: {type(unexpected).__name__}; see the log."
            self._show(types.MessageType.Error, summary)
        finally:
            self.sessions.pop(session.uri, None)
            session.progress.end(summary)
            self.server.refresh_code_lenses()

    def _finish(self, result: Result) -> str:
        """Say how the apply ended; the progress's last message."""
        if result.ending == "shadow":
            files = ", ".join(result.files) or "none"
            message = f"Shadow run (no Codex login): nothing was staged. The plan names: {files}."
            self._show(types.MessageType.Info, message)
            return result.message
        if result.ending == "cancelled":
            return result.message
        if result.ending == "failed":
            self._show(types.MessageType.Error, result.message)
            return f"Failed: {result.message}"
        if result.ending == "applied" and result.anchor is not None and result.staged:
            anchor = result.anchor
            whole = len(anchor.files) == len(result.staged.files)
            count = len(result.staged.summary.files) if whole else len(anchor.files)
            self._show(
                types.MessageType.Info,
                f"Applied {count} file{'s' if count != 1 else ''}{result.left_out}; "
                f"undo with “Undo apply” (anchor {anchor.anchor_id}).",
            )
            return f"Applied: anchor {anchor.anchor_id}"
        self._show(types.MessageType.Warning, result.message)
        return "Not applied."

    async def ask(self, session: ApplySession, staged: StagedChange) -> bool:
        """The Neovim-like question: Apply, Show diff (then ask again), Cancel."""
        job = session.request.job
        question = f"Apply {staged.summary.describe()}? “{job.wish.title}”"
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
            await self._show_patch(job.patch_path)
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

    async def send_edit(self, job: ApplyJob, staged: StagedChange) -> ClientApplied:
        """Send the change as one annotated `workspace/applyEdit`; the files the client applied
        whose new text is on disk (a file the client changed but did not save is not)."""
        annotation = types.ChangeAnnotation(
            label=job.wish.title,
            needs_confirmation=True,
            description=f"Apply plan: {staged.summary.describe()}",
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
            types.ApplyWorkspaceEditParams(
                edit=built.edit,
                label=f"Apply plan: {job.wish.title}",
                # A refactoring: VS Code then saves the files of a multi-file edit before it
                # answers (`files.refactoring.autoSave`).
                metadata=types.WorkspaceEditMetadata(is_refactoring=True),
            )
        )
        capabilities = self._edit_capabilities()
        handling = capabilities.failure_handling if capabilities else None
        paths = applied_paths(built, result, handling)
        if not paths:
            reason = result.failure_reason or "the client did not apply the edit"
            return ClientApplied((), reason=reason)
        held = set(await asyncio.to_thread(held_paths, staged))
        on_disk = tuple(path for path in paths if path in held)
        if not on_disk:
            if (
                result.applied
                and len(staged.files) == 1
                and await asyncio.to_thread(all_before, staged)
            ):
                # The one file was accepted, changed in its buffer and not saved (VS Code saves
                # a one-file edit only with its auto save): the server writes it, so the disk
                # holds what the editor shows. With more files, one left unticked and one left
                # unsaved look alike on disk: nothing is written or recorded.
                return ClientApplied((), write=True)
            return ClientApplied(
                (), reason="the editor saved none of the files it changed, so none is applied"
            )
        left_out = ""
        if len(on_disk) < len(paths) or not result.applied:
            left_out = (
                " (the other files were left out in the review)"
                if result.applied
                else " (partly: the client stopped at a failed change)"
            )
        return ClientApplied(on_disk, left_out)

    def unsaved(self, root: Path, paths: Sequence[str]) -> str | None:
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

    # Undo -------------------------------------------------------------------------------

    def undo(self, target: str) -> ApplyResult:
        """Undo an anchor (`A-…`), or the last apply of the wish at the uri `target`."""
        workspace = getattr(self.server, "workspace", None)
        folder = getattr(workspace, "root_path", None)
        location, anchor_id = anchor_for(target, Path(folder) if folder else Path.cwd())
        if location is None and anchor_id == NOTHING_TO_UNDO:
            self._show(types.MessageType.Info, NOTHING_TO_UNDO)
        if location is None or anchor_id is None:
            return {"started": False, "reason": anchor_id or "No apply of this wish to undo."}
        root = workspace_root(location.root)[0]
        state_dir = state_dir_for(root)
        try:
            anchor = load_anchor(anchor_id, state_dir=state_dir)
        except RollbackRefused as error:
            return self._refused(str(error))
        unsaved = self.unsaved(anchor.root, [file.path for file in anchor.files])
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


def anchor_for(target: str, workspace_root: Path) -> tuple[LedgerLocation | None, str | None]:
    """The ledger and the anchor id to undo: `target` is an anchor id (found from the
    workspace's root) or a wish's uri (its last applied change not undone); (None, the
    reason) when there is none."""
    if target.startswith("A-"):
        start = workspace_root
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
            return None, NOTHING_TO_UNDO
    return location, anchor_id


NOTHING_TO_UNDO = "This wish has no applied change to undo."


class EditorReviewer:
    """The driver's `Reviewer` in the editor: window messages, work-done progress, the
    client's question or refactor preview."""

    def __init__(self, runner: ApplyRunner, session: ApplySession) -> None:
        """Review for `runner`'s `session`."""
        self.runner, self.session = runner, session

    def say(self, level: Level, message: str) -> None:
        """A window message; the court's notes go to the log."""
        if level == "note":
            self.runner._log(types.MessageType.Info, message)
        else:
            self.runner._show(LEVELS[level], message)

    def progress(self, progress: PlanProgress) -> None:
        """Report what Codex does."""
        if progress.message:
            self.session.progress.report(progress.message)

    def staged(self, job: ApplyJob, change: StagedChange, *, reused: bool) -> None:
        """End the progress: the review is the user's now."""
        how = "Reused the staged patch" if reused else "Staged"
        self.session.progress.end(f"{how} {change.summary.describe()}; review the change.")

    async def decide(self, job: ApplyJob, change: StagedChange) -> Decision:
        """Refuse over unsaved buffers; ask a client without a refactor preview."""
        unsaved = self.runner.unsaved(change.root, [file.path for file in change.files])
        if unsaved is not None:
            return Decision(
                False,
                "unsaved editor",
                message=f"'{unsaved}' has unsaved changes in the editor; save it, then apply "
                "the plan again.",
            )
        if self.runner.supports_annotations() or await self.runner.ask(self.session, change):
            return APPROVED
        return Decision(
            False,
            "declined",
            message=f"The change was not applied; its diff is in {job.patch_path}.",
        )

    async def client_apply(self, job: ApplyJob, change: StagedChange) -> ClientApplied | None:
        """A refactor preview applies (and saves) the edit; otherwise the server writes."""
        if not self.runner.supports_annotations():
            return None
        return await self.runner.send_edit(job, change)
