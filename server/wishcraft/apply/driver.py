"""One apply from a prepared job to the files on disk, shared by the CLI and the editor.

The steps, in order (each front end prepares the job its own way first: the CLI from the wish
file, the editor from its open document; `pipeline.prepare` does both):

    mode → hear → record a refusal → reuse the staged patch, or run the exchange → stage the
    patch (`<wish>.patch` and its record, `apply.saved`) → review → apply → record

What differs between the front ends is only how a person follows the run, sees the change and
says yes: the `Reviewer`. The CLI prints to the terminal and asks there (or takes `--yes`); the
editor reports work-done progress, then asks with a message request or its refactor preview.

Applying is done in one of two ways, both recorded here:
- the driver writes the files through the all-or-none transaction (`apply_change`), whose
  ledger line is written `pending` before the files and completed after: the CLI, and editors
  that would apply an edit to buffers without saving them (Neovim 0.7), which then reload;
- a client that reviews and saves the edit itself (VS Code's refactor preview) applies it, and
  only the files whose text on disk is then the new text are recorded as applied.

Either way nothing is said to be applied, and no anchor is written, before the files on disk
hold the new text. Every ledger line of an apply goes through `_record` (one place).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal, Protocol

from wishcraft.apply import saved
from wishcraft.apply.errors import ApplyError, TransactionFailed
from wishcraft.apply.pipeline import (
    ApplyJob,
    ApplyRefused,
    ApplyRun,
    anchor_meta,
    apply_note,
    change_summary,
    hear_job,
    record_apply,
    restage,
    run_apply,
    save_patch,
    saved_keys,
)
from wishcraft.apply.transaction import Anchor, apply_change, record_applied
from wishcraft.court.plan import Hearing, ledger_mode
from wishcraft.plan.pipeline import resolve_mode
from wishcraft.redaction import protect_logger

if TYPE_CHECKING:
    from wishcraft.apply.stage import StagedChange
    from wishcraft.conduit.client import CodexClient, PlanProgress
    from wishcraft.conduit.config import ConduitConfig
    from wishcraft.lint.config import LintConfig
    from wishcraft.plan.pipeline import Mode as AskedMode
    from wishcraft.registry import Registry

logger = protect_logger(logging.getLogger(__name__))

Level = Literal["info", "note", "warning", "error"]
Ending = Literal[
    "applied", "dry-run", "shadow", "refused", "failed", "not-applied", "no-terminal", "cancelled"
]


@dataclass(frozen=True, slots=True)
class Decision:
    """The reviewer's answer: apply, or not, and why not (in the ledger's summary)."""

    apply: bool
    why: str = ""
    """Why not, for the ledger's `Not applied (<why>): …` ("declined", "no terminal")."""
    ending: Ending = "not-applied"
    message: str = ""
    """The sentence to show (default: `Not applied (<why>).`)."""


APPROVED = Decision(True)


@dataclass(frozen=True, slots=True)
class ClientApplied:
    """What a client that applies the edit itself did: the files it applied whose new text is
    on disk, and why the others are not recorded (empty when there are none)."""

    paths: tuple[str, ...]
    left_out: str = ""
    """` (the other files were left out in the review)` and the like, or ""."""
    reason: str = ""
    """Why nothing was applied, when `paths` is empty."""
    write: bool = False
    """The client changed its buffers and saved nothing (every file on disk is as before):
    the driver writes the files through the transaction, as for a client without a preview."""


class Reviewer(Protocol):
    """How a person follows an apply, sees the staged change and says yes."""

    def say(self, level: Level, message: str) -> None:
        """Show one sentence."""

    def progress(self, progress: PlanProgress) -> None:
        """What Codex is doing now."""

    def staged(self, job: ApplyJob, change: StagedChange, *, reused: bool) -> None:
        """The change is staged and `<wish>.patch` written: show it (the exchange is over)."""

    async def decide(self, job: ApplyJob, change: StagedChange) -> Decision:
        """Whether to apply the staged change."""

    async def client_apply(self, job: ApplyJob, change: StagedChange) -> ClientApplied | None:
        """Apply through the client and report it; None: the driver writes the files."""


@dataclass(frozen=True, slots=True)
class Request:
    """One apply's settings: the job, the registry and rules the court reads, the conduit."""

    job: ApplyJob
    registry: Registry
    lint_config: LintConfig
    config: ConduitConfig
    globs: Sequence[str] | None
    client: Callable[[], CodexClient]
    """The Codex client to use (made on first use: a reused patch calls nothing)."""
    asked: AskedMode = "auto"
    dry_run: bool = False
    fresh: bool = False
    """Ask Codex again even when the staged patch could be reused."""


@dataclass(slots=True)
class Result:
    """How the apply ended, for the front end's last sentence, exit status and JSON."""

    ending: Ending
    message: str
    job: ApplyJob
    hearing: Hearing
    staged: StagedChange | None = None
    reused: bool = False
    anchor: Anchor | None = None
    files: tuple[str, ...] = ()
    """The files applied (or, for a shadow run, the files the plan names)."""
    recorded: bool = True
    """Whether the apply's ledger line was written."""
    left_out: str = ""
    """Why some files of the change were not applied (a client's partial apply), or ""."""
    problems: list[str] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        """The machine form: outcome, anchor, files, diff hash, staged and reused."""
        return {
            "outcome": self.ending,
            "message": self.message,
            "anchor": self.anchor.anchor_id if self.anchor is not None else None,
            "files": list(self.files),
            "diff_hash": self.staged.diff_hash if self.staged is not None else None,
            "staged": self.staged is not None,
            "reused": self.reused,
            "recorded": self.recorded,
        }


async def drive(request: Request, reviewer: Reviewer) -> Result:
    """Run one apply to its end; never raises for a refusal, a failure or a cancellation."""
    hearing = hear(request)
    for note in hearing.notes:
        reviewer.say("note", note)
    if not hearing.verdict.allowed:
        return refuse(request, hearing, reviewer)
    return await proceed(request, hearing, reviewer)


def hear(request: Request) -> Hearing:
    """The mode (live with a login, else shadow, unless asked) and the court's gates."""
    exec_mode = resolve_mode(request.asked, request.config)
    return hear_job(request.job, ledger_mode(exec_mode), request.registry, request.lint_config)


def refuse(request: Request, hearing: Hearing, reviewer: Reviewer) -> Result:
    """Record the court's refusal (nothing was called)."""
    refusal = hearing.verdict.refusal
    gate = refusal.name if refusal is not None else "court's"
    result = Result("refused", hearing.verdict.reason, request.job, hearing)
    _record(result, reviewer, None, outcome="refused", summary=f"Refused by the {gate} gate.")
    return result


async def proceed(request: Request, hearing: Hearing, reviewer: Reviewer) -> Result:
    """The apply after a hearing that allowed it: reuse or run, stage, review, apply, record."""
    job = request.job
    if hearing.mode == "shadow":
        return await _shadow(hearing, job, reviewer)
    keys = saved_keys(job)
    reuse = (
        saved.Reuse(None)
        if request.fresh
        else await asyncio.to_thread(
            saved.check, keys, job.root, lambda text: restage(job, request.globs, text)
        )
    )
    if reuse.staged is not None:
        run = ApplyRun("commit", "complete", staged=reuse.staged)
        reviewer.say("info", f"Reusing the staged patch {job.patch_path.name}: no model call.")
    else:
        if reuse.changed is not None:
            reviewer.say("info", f"Not reusing the staged patch: {reuse.changed}; asking again.")
        got = await _exchange(request, hearing, reviewer)
        if isinstance(got, Result):
            return got
        run = got
    return await _review_and_apply(request, hearing, run, reviewer, reused=reuse.staged is not None)


async def _exchange(request: Request, hearing: Hearing, reviewer: Reviewer) -> ApplyRun | Result:
    """Run the exchange; a `Result` when it staged nothing (failed or cancelled)."""
    job = request.job
    run = ApplyRun("commit", "incomplete", "cancelled")
    try:
        run = await run_apply(
            job, "commit", request.client(), request.globs, on_progress=reviewer.progress
        )
    except asyncio.CancelledError:
        result = Result("cancelled", "Cancelled: nothing was written.", job, hearing)
        _record(result, reviewer, run, summary="Cancelled: nothing was written.")
        return result
    if run.staged is None or run.outcome == "failed":
        reason = run.reason or "Codex staged no patch; nothing was written."
        result = Result("failed", reason, job, hearing)
        _record(result, reviewer, run)
        return result
    for problem in save_patch(job, run.staged):
        reviewer.say("error", problem)
    try:
        await asyncio.to_thread(saved.save, saved_keys(job), run.staged)
    except OSError as error:
        logger.info("the staged patch's record was not kept: %s", error)
        reviewer.say("warning", "The staged patch's record was not kept; an apply asks again.")
    if run.outcome != "complete":
        reviewer.say(
            "note", f"The exchange ended early ({run.reason}); the patch was staged before that."
        )
    return run


async def _review_and_apply(
    request: Request, hearing: Hearing, run: ApplyRun, reviewer: Reviewer, *, reused: bool
) -> Result:
    """Show the staged change, ask, apply it and record the outcome."""
    job, staged = request.job, run.staged
    assert staged is not None
    described = change_summary(staged)
    reviewer.staged(job, staged, reused=reused)
    base = Result("dry-run", "", job, hearing, staged, reused)
    if request.dry_run:
        base.message = "Dry run: nothing was written; apply to write this patch."
        _record(base, reviewer, run, summary=f"Dry run, not applied: {described}.")
        return base
    decision = await reviewer.decide(job, staged)
    if not decision.apply:
        base.ending = decision.ending
        base.message = decision.message or f"Not applied ({decision.why})."
        _record(base, reviewer, run, summary=f"Not applied ({decision.why}): {described}.")
        return base
    edit = await reviewer.client_apply(job, staged)
    if edit is None or edit.write:
        return await _write(base, run, reviewer, described)
    return await _record_client_apply(base, run, reviewer, edit)


async def _record_client_apply(
    base: Result, run: ApplyRun, reviewer: Reviewer, edit: ClientApplied
) -> Result:
    """Record what a client applied and saved: its undo record, then the ledger line."""
    job, staged = base.job, run.staged
    assert staged is not None
    described = change_summary(staged)
    if not edit.paths:
        base.ending, base.message = "not-applied", f"The change was not applied: {edit.reason}."
        _record(base, reviewer, run, summary=f"Not applied ({edit.reason}): {described}.")
        return base
    try:
        anchor = await asyncio.to_thread(
            record_applied,
            staged,
            state_dir=job.state_dir,
            paths=edit.paths,
            meta=anchor_meta(job, run),
        )
    except ApplyError as error:
        base.ending, base.message = "failed", str(error)
        _record(
            base,
            reviewer,
            run,
            outcome="failed",
            reason=str(error),
            summary=f"Applied by the editor, but not recorded: {described}.",
        )
        return base
    base.ending, base.anchor = "applied", anchor
    base.files = tuple(file.path for file in anchor.files)
    if len(anchor.files) == len(staged.files):
        applied = described
    else:
        applied = f"{len(base.files)} of {len(staged.summary.files)} files: {', '.join(base.files)}"
    base.left_out = edit.left_out
    base.message = f"Applied {applied}{edit.left_out}."
    _record(base, reviewer, run, anchor=anchor, summary=base.message[:-1] + _reused(base) + ".")
    _forget(job)
    return base


def _reused(result: Result) -> str:
    """What the ledger's summary adds for a staged patch applied again: no model call."""
    return " (the staged patch, reused: no model call)" if result.reused else ""


async def _write(base: Result, run: ApplyRun, reviewer: Reviewer, described: str) -> Result:
    """Write the files through the transaction (its ledger line around them)."""
    job, staged = base.job, run.staged
    assert staged is not None
    try:
        note = apply_note(base.hearing, job, run, described + _reused(base))
    except ApplyRefused as error:
        base.ending, base.message, base.recorded = "failed", str(error), False
        return base
    try:
        anchor = await asyncio.to_thread(
            apply_change, staged, state_dir=job.state_dir, meta=anchor_meta(job, run), ledger=note
        )
    except ApplyError as error:
        base.ending, base.message = "failed", str(error)
        if not (isinstance(error, TransactionFailed) and error.recorded):
            _record(
                base,
                reviewer,
                run,
                outcome="failed",
                reason=str(error),
                summary=f"Not applied: {described}.",
            )
        return base
    base.ending, base.anchor = "applied", anchor
    base.files = tuple(file.path for file in anchor.files)
    base.message = f"Applied {described}."
    _forget(job)
    return base


async def _shadow(hearing: Hearing, job: ApplyJob, reviewer: Reviewer) -> Result:
    """Shadow mode: nothing staged or called; the files the plan names."""
    run = await run_apply(job, "shadow", None, None)
    files = ", ".join(run.named_files) or "none"
    result = Result("shadow", "Shadow run: nothing staged.", job, hearing, files=run.named_files)
    _record(result, reviewer, run, summary=f"Shadow run: nothing staged; the plan names: {files}.")
    return result


def _forget(job: ApplyJob) -> None:
    """The patch is applied: its record is no longer one to reuse."""
    saved.forget(saved_keys(job))


def _record(result: Result, reviewer: Reviewer, run: ApplyRun | None, **fields: Any) -> None:
    """Leave the apply's ledger line (the one place); say its problems; note if it is missing."""
    recorded = record_apply(result.hearing, result.job, run, **fields)
    for problem in recorded:
        reviewer.say("warning" if recorded.written else "error", problem)
    result.recorded = result.recorded and recorded.written
