"""Apply a wish's plan: the court's gates, the exchange with Codex, the staged change, the ledger.

The CLI (`wishcraft apply`) and the language server ("Apply plan") run the same steps:

1. `prepare`: the wish's plan must be complete and current (its `wish_hash` is the wish's text
   hash), else "plan again"; the workspace root (the git repository's, else the ledger's), the
   state folder of the undo records (in the user's state folder, `wishcraft.undo_state`), and
   the conduit scope's `paths` globs.
2. `hear_apply`: the gates (`wishcraft.court.gates`) with the action `apply` (the registry's
   `diff`).
   Before the exchange the paths are not known yet, so the Scopes gate checks that some scope
   lists the action; the files themselves are checked by the scope predicate when the patch
   is staged. A scope that does not list `diff` is refused with the line to add to the
   registry (`registry_line`).
3. `run_apply`: in commit mode the exchange (`conduit.apply_exchange`) with tools that see only
   the workspace and the scope (`WorkspaceTools`, size-capped; staging runs in a thread); in
   shadow mode (no login) nothing is staged and the files the plan names are reported.
4. `save_patch`: `<wish>.patch`, the staged change's unified diff, written atomically.
5. `record_apply`: the call's one ledger line (`apply`, the `diff_hash`, the files, the model,
   and the `anchor_id` only once the change is applied); `record_rollback` for an undo. A
   change applied by the CLI is recorded by the transaction itself (`apply_note`): a
   `pending` line before its files, and the `complete` (or `failed`) line after, which
   recovery writes when the process was killed in between.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import os
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from wishcraft.apply.errors import ApplyError
from wishcraft.apply.journal import LedgerNote
from wishcraft.apply.patch import LARK_GRAMMAR
from wishcraft.apply.policy import PolicyUnknown, protected_paths
from wishcraft.apply.safety import (
    DEFAULT_LIMITS,
    NOTHING_MORE,
    Limits,
    Protected,
    Scope,
    check_path,
    decode_content,
)
from wishcraft.apply.saved import Keys
from wishcraft.apply.stage import StagedChange, stage
from wishcraft.apply.transaction import Anchor
from wishcraft.conduit.apply_exchange import (
    ApplyExchange,
    ApplyRequest,
    ApplyTools,
    ToolRefused,
    run_apply_exchange,
)
from wishcraft.court.apply import (
    ANCHORS_FOLDER,
    Place,
    find_place,
    hear_apply,
    plan_problem,
    registry_line,
    scope_globs,
)
from wishcraft.court.plan import Hearing, author_of
from wishcraft.fileio import write_atomically
from wishcraft.globs import paths_allowed, scope_glob, scope_match
from wishcraft.ledger import (
    LedgerEntry,
    LedgerLocation,
    Mode,
    Outcome,
    Recorded,
    fold_name,
    record,
)
from wishcraft.lint.config import LintConfig
from wishcraft.model import Wish
from wishcraft.names import APPLY_CONDUIT_ID
from wishcraft.plan.artifact import PlanArtifact, PlanStatus
from wishcraft.plan.paths import plan_paths, plan_stem
from wishcraft.redaction import protect_logger, scrub
from wishcraft.registry import Registry
from wishcraft.repo import RepoInfo

__all__ = [
    "ANCHORS_FOLDER",
    "ApplyJob",
    "ApplyRefused",
    "ApplyRun",
    "WorkspaceTools",
    "anchor_meta",
    "apply_note",
    "change_summary",
    "hear_job",
    "load_plan",
    "named_files",
    "plan_problem",
    "prepare",
    "read_plan",
    "record_apply",
    "record_rollback",
    "registry_line",
    "restage",
    "run_apply",
    "save_patch",
    "saved_keys",
    "scope_globs",
    "shown_files",
]

if TYPE_CHECKING:
    from wishcraft.conduit.client import CodexClient, ProgressCallback

logger = protect_logger(logging.getLogger(__name__))

READ_CAP_BYTES = 256 * 1024
"""The most `read_file` hands the model of one file; a longer file is refused (a patch needs
its context, and half a file would mislead)."""
LIST_CAP = 500
"""The most paths one `list_files` answer lists."""


class ApplyRefused(Exception):
    """The apply cannot start: no plan, a stale or incomplete plan, an unreadable wish.

    The message is one sentence naming the fix ("plan again")."""


# Preparing --------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ApplyJob:
    """One apply's inputs: the wish, its current plan, and where the change may go."""

    wish: Wish
    wish_text: str
    wish_path: Path
    plan: PlanArtifact
    root: Path
    """The workspace root the patch's paths are relative to."""
    state_dir: Path
    """Where the undo records go (the workspace's folder in the user's state folder)."""
    patch_path: Path
    """`<wish>.patch`, beside the plan."""
    location: LedgerLocation | None
    ledger_problem: str | None
    repo: RepoInfo | None
    plan_path: Path | None = None
    """The plan artifact read (`<wish>.plan.json`, or the one given)."""
    plan_hash: str = ""
    """sha256 (hex) of the plan artifact's text as it was read."""

    @property
    def wish_name(self) -> str:
        """The wish's file name, as the prompt shows it."""
        return self.wish_path.name

    @property
    def wish_hash(self) -> str:
        """sha256 (hex) of the wish's text."""
        return text_hash(self.wish_text)


def text_hash(text: str) -> str:
    """sha256 (hex) of a text, as the plan artifact records the wish's."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def load_plan(wish_path: Path, wish_text: str, plan_path: Path | None = None) -> PlanArtifact:
    """The wish's plan, if it is complete and current; else `ApplyRefused` saying "plan again"."""
    return read_plan(wish_path, wish_text, plan_path)[0]


def read_plan(
    wish_path: Path, wish_text: str, plan_path: Path | None = None
) -> tuple[PlanArtifact, str]:
    """`load_plan`'s plan and the sha256 (hex) of the text it was read from (a staged patch
    names the plan it was made for by this hash)."""
    path = plan_path if plan_path is not None else plan_paths(wish_path).artifact
    try:
        text = path.read_text(encoding="utf-8")
        plan = PlanArtifact.model_validate_json(text)
    except FileNotFoundError:
        raise ApplyRefused(
            f"The wish has no plan at {path}; plan it first "
            f'(`wishcraft plan {wish_path.name}` or "Plan this wish").'
        ) from None
    except (OSError, UnicodeDecodeError, ValueError) as error:
        logger.info("plan %s unreadable: %s", path, error)
        raise ApplyRefused(f"The plan {path} cannot be read; plan again.") from None
    if plan.status is not PlanStatus.COMPLETE:
        raise ApplyRefused(
            f"The plan {path.name} is {plan.status.value}, not complete; plan again."
        )
    if plan.wish_hash != text_hash(wish_text):
        raise ApplyRefused(f"The wish changed since {path.name} was made; plan again.")
    if not plan.plan_steps:
        raise ApplyRefused(f"The plan {path.name} has no steps; plan again.")
    return plan, text_hash(text)


def prepare(wish: Wish, wish_text: str, wish_path: Path, plan_path: Path | None = None) -> ApplyJob:
    """Check the plan and find the workspace, the ledger and the undo folder."""
    wish_path = wish_path.resolve()
    plan, plan_hash = read_plan(wish_path, wish_text, plan_path)
    place = find_place(wish_path)
    patch_path = (
        plan_path.parent if plan_path is not None else plan_paths(wish_path).artifact.parent
    ) / f"{plan_stem(wish_path)}.patch"
    return ApplyJob(
        wish,
        wish_text,
        wish_path,
        plan,
        place.root,
        place.state_dir,
        patch_path,
        place.location,
        place.ledger_problem,
        place.repo,
        plan_path if plan_path is not None else plan_paths(wish_path).artifact,
        plan_hash,
    )


def hear_job(
    job: ApplyJob,
    mode: Mode,
    registry: Registry,
    config: LintConfig,
    *,
    paths: Sequence[str] = (),
    now: datetime | None = None,
) -> Hearing:
    """The court's gates for applying `job`'s plan (see `apply.court.hear_apply`)."""
    place = Place(job.root, job.state_dir, job.location, job.ledger_problem, job.repo)
    return hear_apply(job.wish, job.wish_path, place, mode, registry, config, paths=paths, now=now)


# The tools ---------------------------------------------------------------------------------


def make_scope(globs: Sequence[str] | None, excluded: Sequence[str] = ()) -> Scope:
    """The scope predicate: inside the globs (`!` negations included; None: any path), and
    never under an excluded folder (the ledger's, which holds the undo records)."""

    # Compared as a case-insensitive file system would: `data/LEDGER/x` is the ledger's folder.
    folded = [_folded(folder) for folder in excluded]

    def in_scope(path: str) -> bool:
        spelled = _folded(path)
        if any(spelled == folder or spelled.startswith(folder + "/") for folder in folded):
            return False
        return globs is None or paths_allowed(globs, path)

    return in_scope


def _folded(path: str) -> str:
    return "/".join(fold_name(part) for part in path.split("/") if part not in ("", "."))


def excluded_folders(job: ApplyJob) -> tuple[str, ...]:
    """The workspace-relative folders no patch may touch: the ledger's (and the old place of
    undo records, `anchors/` inside it)."""
    ledger_file = (
        job.location.path if job.location is not None else job.root / "data/ledger/wishes.jsonl"
    )
    try:
        folder = Path(os.path.realpath(ledger_file.parent)).relative_to(job.root)
    except ValueError:
        return ()
    return (folder.as_posix(),) if folder.parts else ()


def policy_of(job: ApplyJob) -> Protected:
    """The policy paths of `job`'s workspace: its ledger, undo records, hook folders, and the
    wish with its plan files (see `apply.policy`). Raises `PolicyUnknown`."""
    plan = plan_paths(job.wish_path)
    own = [
        (job.wish_path, "the wish being applied"),
        (job.patch_path, "the wish's patch"),
        (plan.artifact, "the wish's plan"),
        (plan.markdown, "the wish's plan"),
        *([(job.plan_path, "the wish's plan")] if job.plan_path is not None else []),
    ]
    return protected_paths(
        job.root,
        ledger=job.location.path if job.location is not None else None,
        state_dir=job.state_dir,
        own_files=own,
    )


@dataclass(slots=True)
class WorkspaceTools:
    """The exchange's callbacks: read, list and stage within the workspace and the scope."""

    root: Path
    scope: Scope
    limits: Limits = DEFAULT_LIMITS
    staged: list[StagedChange] = field(default_factory=list)
    protected: Protected = NOTHING_MORE
    """The workspace's own policy paths (`apply.policy`): never read, listed or staged."""

    def tools(self) -> ApplyTools:
        """The `ApplyTools` of the exchange."""
        return ApplyTools(self.read_file, self.list_files, self.stage_patch, LARK_GRAMMAR)

    async def read_file(self, path: str) -> str:
        """A text file of the workspace inside the scope, at most `READ_CAP_BYTES`."""
        return await asyncio.to_thread(self._read, path)

    def _read(self, path: str) -> str:
        try:
            checked = check_path(self.root, path, scope=self.scope, protected=self.protected)
        except ApplyError as error:
            raise ToolRefused(f"error: {error}") from None
        target = self.root / checked
        if not target.is_file():
            raise ToolRefused(f"error: no such file: {checked}")
        size = target.stat().st_size
        if size > READ_CAP_BYTES:
            raise ToolRefused(
                f"error: {checked} is {size} bytes, over the read cap of "
                f"{READ_CAP_BYTES}; change a smaller file."
            )
        try:
            return decode_content(checked, target.read_bytes(), self.limits)
        except ApplyError as error:
            raise ToolRefused(f"error: {error}") from None

    async def list_files(self, glob: str) -> str:
        """The workspace's files inside the scope that match `glob`, one a line, capped."""
        return await asyncio.to_thread(self._list, glob)

    def _list(self, glob: str) -> str:
        try:
            scope_glob(glob.lstrip("!"))
        except ValueError as error:
            raise ToolRefused(
                f"error: the glob cannot be used ({error}); send a simpler one."
            ) from None
        found: list[str] = []
        more = 0
        for folder, dirs, files in os.walk(self.root):
            relative = Path(folder).relative_to(self.root).as_posix()
            prefix = "" if relative == "." else relative + "/"
            dirs[:] = sorted(
                name
                for name in dirs
                if name != ".git" and not os.path.islink(os.path.join(folder, name))
            )
            for name in sorted(files):
                path = prefix + name
                if not scope_match(glob.lstrip("!"), path) or not self.scope(path):
                    continue
                if self.protected.reason(path) is not None:
                    continue
                if len(found) < LIST_CAP:
                    found.append(path)
                else:
                    more += 1
        if not found:
            return "(no file of the workspace's scope matches)"
        return "\n".join(found) + (f"\n({more} more not listed)" if more else "")

    async def stage_patch(self, text: str) -> str:
        """Stage the patch (in a thread: it reads files); refuse it with the reason."""
        try:
            change = await asyncio.to_thread(
                stage,
                text,
                self.root,
                scope=self.scope,
                limits=self.limits,
                protected=self.protected,
            )
        except ApplyError as error:
            raise ToolRefused(f"The patch was refused: {error}") from None
        self.staged.append(change)
        return f"Staged: {change.summary.describe()}, diff_hash {change.diff_hash}"


# Running -----------------------------------------------------------------------------------


@dataclass(slots=True)
class ApplyRun:
    """What an apply call produced: the staged change (commit mode), or the files the plan
    names (shadow mode), and the exchange's facts for the ledger."""

    mode: Mode
    outcome: Outcome
    reason: str | None = None
    staged: StagedChange | None = None
    exchange: ApplyExchange | None = None
    named_files: tuple[str, ...] = ()
    problems: list[str] = field(default_factory=list)

    @property
    def model(self) -> str | None:
        """The model that served the exchange ("shadow-run" in shadow mode)."""
        if self.mode == "shadow":
            return "shadow-run"
        return scrub(self.exchange.model) if self.exchange and self.exchange.model else None


_PATHLIKE = re.compile(r"[A-Za-z0-9_.\-]+(?:/[A-Za-z0-9_.\-]+)+|[A-Za-z0-9_\-]+\.[A-Za-z0-9]{1,8}")


def named_files(job: ApplyJob) -> tuple[str, ...]:
    """The workspace paths the plan's text names (for a shadow run): words that look like
    paths and are files of the workspace, or folders' globs; in order, once each."""
    texts = [
        *job.plan.plan_steps,
        *job.plan.notes,
        *(f"{step.title} {step.detail} {step.acceptance}" for step in job.plan.steps),
    ]
    found: dict[str, None] = {}
    for text in texts:
        for word in _PATHLIKE.findall(text):
            word = word.strip(".")
            if "/" in word or (job.root / word).is_file():
                found.setdefault(word, None)
    return tuple(found)


async def run_apply(
    job: ApplyJob,
    mode: Mode,
    client: CodexClient | None,
    globs: Sequence[str] | None,
    *,
    on_progress: ProgressCallback | None = None,
    state: ApplyExchange | None = None,
) -> ApplyRun:
    """Run the apply call; never raises for a Codex failure (the run is `failed`).

    Shadow mode calls nothing and stages nothing. In commit mode `client` must be given; the
    caller owns `state` (to keep what arrived when it cancels the task)."""
    if mode == "shadow":
        files = named_files(job)
        return ApplyRun(
            "shadow",
            "complete",
            "Shadow run: nothing was staged; Codex was not called.",
            named_files=files,
        )
    assert client is not None
    try:
        protected = await asyncio.to_thread(policy_of, job)
    except PolicyUnknown as error:
        return ApplyRun("commit", "failed", str(error))
    tools = WorkspaceTools(job.root, make_scope(globs, excluded_folders(job)), protected=protected)
    request = ApplyRequest(
        job.wish,
        job.wish_text,
        job.wish_name,
        job.plan.plan_steps,
        paths=tuple(globs) if globs is not None else (),
        notes=job.plan.notes,
    )
    state = state if state is not None else ApplyExchange()
    await run_apply_exchange(
        client, request, tools.tools(), state, on_progress, wish_id=job.wish_name
    )
    staged = tools.staged[0] if tools.staged else None
    if state.status == "failed":
        return ApplyRun("commit", "failed", state.reason, staged, state)
    if staged is None:
        refusals = [call for call in state.calls if call.name == "apply_patch"]
        reason = (
            "Codex sent no patch that could be staged"
            + (f" ({len(refusals)} refused; the log has the reasons)" if refusals else "")
            + "; nothing was written."
        )
        outcome: Outcome = "incomplete" if state.status == "incomplete" else "failed"
        return ApplyRun("commit", outcome, reason, None, state)
    if state.status == "incomplete":
        return ApplyRun("commit", "incomplete", state.reason, staged, state)
    return ApplyRun("commit", "complete", None, staged, state)


def restage(job: ApplyJob, globs: Sequence[str] | None, patch: str) -> StagedChange:
    """Stage a kept patch again, as the exchange's `apply_patch` would stage it now: the same
    scope, limits and policy paths. Raises `ApplyError` (a policy that cannot be read too)."""
    try:
        protected = policy_of(job)
    except PolicyUnknown as error:
        raise ApplyError(str(error)) from None
    return stage(
        patch, job.root, scope=make_scope(globs, excluded_folders(job)), protected=protected
    )


def saved_keys(job: ApplyJob) -> Keys:
    """What `job`'s staged patch is tied to (`apply.saved`)."""
    return Keys(job.wish_path, job.wish_hash, job.plan_hash, job.patch_path, job.state_dir)


def save_patch(job: ApplyJob, staged: StagedChange) -> list[str]:
    """Write `<wish>.patch` (the unified diff to review), atomically; return the problems."""
    try:
        write_atomically(job.patch_path, staged.diff)
    except OSError as error:
        return [f"Could not write the patch {job.patch_path}: {error.strerror or error}."]
    return []


def change_summary(staged: StagedChange, files: Sequence[str] | None = None) -> str:
    """`2 files (+3 −1): src/a.py, src/b.py`, of the whole change or of `files`."""
    names = list(files) if files is not None else shown_files(staged)
    shown = ", ".join(names[:10]) + (f" and {len(names) - 10} more" if len(names) > 10 else "")
    return f"{staged.summary.describe()}: {shown}"


def shown_files(staged: StagedChange) -> list[str]:
    """The change's files as a reader names them: a move is `old → new`, once."""
    names = []
    for change in staged.files:
        if change.moved_to is not None:
            continue
        names.append(
            f"{change.moved_from} \u2192 {change.path}" if change.moved_from else change.path
        )
    return names


def anchor_meta(job: ApplyJob, run: ApplyRun) -> dict[str, str]:
    """What the undo record keeps about the apply: the wish (its ledger key) and the model."""
    wish = (
        job.location.wish_key(job.wish_path)
        if job.location is not None
        else job.wish_path.as_posix()
    )
    return {
        "wish": wish,
        "wish_path": str(job.wish_path),
        "model": run.model or "",
        "conduit": APPLY_CONDUIT_ID,
    }


# The ledger --------------------------------------------------------------------------------


def _append(
    location: LedgerLocation | None,
    problem: str | None,
    entry: LedgerEntry,
    now: datetime | None = None,
) -> Recorded:
    return record(location, entry, problem=problem, now=now)


def record_apply(
    hearing: Hearing,
    job: ApplyJob,
    run: ApplyRun | None,
    *,
    outcome: Outcome | None = None,
    reason: str | None = None,
    anchor: Anchor | None = None,
    summary: str | None = None,
    now: datetime | None = None,
) -> Recorded:
    """Leave the apply call's one ledger line; return the problems to show (`written` False
    when the line is missing: the caller fails).

    The `anchor_id` is set only when `anchor` is given: the change was applied (by the CLI, or
    by the editor's client as it reported)."""
    if outcome is None:
        outcome = run.outcome if run is not None else "refused"
    if reason is None and run is not None:
        reason = run.reason if run.outcome != "complete" else None
    if outcome == "refused" and reason is None:
        reason = hearing.verdict.reason
    refusal = hearing.verdict.refusal
    if outcome == "refused" and refusal is not None and refusal.name == "Ledger":
        return Recorded([], written=False)  # no ledger to go in; the refusal says why
    entry = LedgerEntry(
        **_apply_fields(hearing, job, run),
        outcome=outcome,
        reason=scrub(reason) if reason else None,
        anchor_id=anchor.anchor_id if anchor else None,
        summary=scrub(summary) if summary else None,
    )
    return _append(hearing.location, hearing.ledger_problem, entry, now)


def _apply_fields(hearing: Hearing, job: ApplyJob, run: ApplyRun | None) -> dict[str, Any]:
    """The apply line's fields but its outcome, reason, summary and anchor."""
    exchange = run.exchange if run is not None else None
    staged = run.staged if run is not None else None
    usage_ = exchange.usage if exchange is not None else None
    return {
        "conduit": hearing.conduit,
        "action": "apply",
        "mode": hearing.mode,
        "wish": hearing.wish_key,
        "wish_hash": job.wish_hash,
        "diff_hash": staged.diff_hash if staged is not None else None,
        "author_id": author_of(job.wish),
        "prompt_hash": exchange.prompt_hash if exchange is not None else None,
        "model": run.model if run is not None else None,
        "tokens_used": usage_.total if usage_ is not None else None,
        "request_id": (
            scrub(exchange.request_ids[-1]) if exchange and exchange.request_ids else None
        ),
        "cf_ray": scrub(exchange.stream.cf_ray) if exchange and exchange.stream.cf_ray else None,
    }


def apply_note(hearing: Hearing, job: ApplyJob, run: ApplyRun, described: str) -> LedgerNote:
    """The ledger line that `apply_change` writes around the files of an applied change.

    Raises `ApplyRefused` when there is no ledger to write it to: a change the ledger cannot
    record is not applied (it fails closed)."""
    if hearing.location is None:
        raise ApplyRefused(
            "Not applied: the ledger cannot record the change "
            f"({hearing.ledger_problem or 'no ledger'}); fix the ledger and apply again."
        )
    described = scrub(described)
    return LedgerNote(
        hearing.location.path,
        _apply_fields(hearing, job, run),
        {
            "pending": f"Applying {described} (pending until a line with this anchor ends it).",
            "complete": f"Applied {described}.",
            "failed": f"Not applied: {described}.",
        },
    )


def record_rollback(
    location: LedgerLocation | None,
    anchor: Anchor,
    *,
    outcome: Outcome,
    reason: str | None = None,
    files: Sequence[str] = (),
    now: datetime | None = None,
) -> Recorded:
    """The `rollback` ledger line of an undo (done, or refused with the reason)."""
    wish = anchor.meta.get("wish") or "?"
    summary = (
        f"Undid {len(files)} file{'s' if len(files) != 1 else ''}: {', '.join(files)}"
        if outcome == "complete"
        else None
    )
    entry = LedgerEntry(
        conduit=anchor.meta.get("conduit") or APPLY_CONDUIT_ID,
        action="rollback",
        mode="commit",
        wish=wish,
        outcome=outcome,
        reason=reason,
        diff_hash=anchor.diff_hash,
        anchor_id=anchor.anchor_id,
        model=anchor.meta.get("model") or None,
        summary=summary,
    )
    return _append(location, None, entry, now)
