"""Plan a wish, live or shadow, build the artifact and save the plan: the one planning pipeline.

The CLI (`wishcraft plan`) and the language server ("Plan this wish") both run the same steps:
`hear_plan` (the court's gates, `plan.court`; a refusal is recorded by `refuse_plan` and the call
never made), `plan_wish`, then `save_plan`, which writes the same two files (the Markdown plan
and the JSON artifact), then `record_plan`, which leaves the call's one ledger line.
`plan_wish` decides the mode (a Codex login means live unless told otherwise), streams progress
to a callback, and always returns a `PlanArtifact` (complete, incomplete or failed) together
with the error, if any, so the caller can both save what arrived and show one clear sentence.
Cancellation is the caller's: cancel the task, then call `partial_artifact` with the
`StreamState` to keep what arrived.
"""

from __future__ import annotations

import hashlib
import logging
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Literal

from wishcraft.conduit.auth import load_login
from wishcraft.conduit.client import CodexClient, PlanProgress, ProgressCallback, StreamState
from wishcraft.conduit.config import ConduitConfig
from wishcraft.conduit.errors import ConduitError, LoginMissing
from wishcraft.conduit.request import build_prompt, prompt_hash, wish_prompt_hash
from wishcraft.court.plan import (
    CallRecord,
    Hearing,
    Recorded,
    author_of,
    hear,
    ledger_mode,
    record,
    record_refusal,
)
from wishcraft.fileio import remove_stale_temporaries, write_atomically
from wishcraft.ledger import Outcome
from wishcraft.lint.config import LintConfig
from wishcraft.model import ExecMode, Wish
from wishcraft.plan.artifact import PlanArtifact, PlanStatus
from wishcraft.plan.paths import PlanPaths
from wishcraft.plan.render import render_plan
from wishcraft.plan.shadow import shadow_steps, shadow_text
from wishcraft.plan.steps import parse_plan_text, step_lines
from wishcraft.redaction import protect_logger, scrub
from wishcraft.registry import Registry

logger = protect_logger(logging.getLogger(__name__))

Mode = Literal["auto", "live", "shadow"]


@dataclass(slots=True)
class PlanJob:
    """One planning call's inputs and what is known so far."""

    wish: Wish
    wish_text: str
    wish_path: Path | None
    mode: ExecMode
    started_at: datetime
    state: StreamState
    prompt_hash: str = ""

    @property
    def wish_name(self) -> str:
        """The file name the prompt shows."""
        return self.wish_path.name if self.wish_path else "wish.yaml"


def has_login(config: ConduitConfig) -> bool:
    """Whether there is a login to plan with: a Codex login file (it may still be unusable),
    or an API key in the environment."""
    if (config.codex_home / "auth.json").is_file():
        return True
    try:
        load_login(config.codex_home)
    except LoginMissing:
        return False
    return True


def resolve_mode(mode: Mode, config: ConduitConfig) -> ExecMode:
    """`auto` is live with a login, shadow without."""
    if mode == "live" or (mode == "auto" and has_login(config)):
        return ExecMode.COMMIT
    return ExecMode.SHADOW_RUN


def new_job(wish: Wish, wish_text: str, wish_path: Path | None, mode: ExecMode) -> PlanJob:
    """Start a job record (the caller keeps it to rescue a cancelled plan)."""
    return PlanJob(wish, wish_text, wish_path, mode, datetime.now(UTC), StreamState())


def build_artifact(job: PlanJob, status: PlanStatus, reason: str | None = None) -> PlanArtifact:
    """The artifact of a job as it stands, with the login's tokens scrubbed from every field.

    A server (or a proxy) may echo a token into the answer or a header; the artifact ends up
    in files, the editor and often in git, so nothing from the wire goes in unscrubbed.
    """
    state = job.state
    text = scrub(state.text)
    steps, notes = parse_plan_text(text) if text else ([], [])
    if job.mode is ExecMode.SHADOW_RUN:
        steps, notes = shadow_steps(job.wish)

    def clean(value: str | None) -> str | None:
        return scrub(value) if value else value

    return PlanArtifact(
        plan_steps=step_lines(steps),
        notes=notes,
        model=clean(state.model),
        tokens_used=state.usage.total if state.usage else None,
        prompt_hash=job.prompt_hash,
        mode=job.mode,
        status=status,
        status_reason=clean(reason),
        wish_title=job.wish.title,
        wish_path=str(job.wish_path) if job.wish_path else None,
        wish_hash=hashlib.sha256(job.wish_text.encode("utf-8")).hexdigest(),
        steps=steps,
        text=text,
        usage=state.usage,
        response_id=clean(state.response_id),
        request_id=clean(state.request_id),
        cf_ray=clean(state.cf_ray),
        rate_limits=state.rate_limits,
        started_at=job.started_at,
        finished_at=datetime.now(UTC),
        requested_model=state.requested_model,
        rerouted=bool(
            state.model and state.requested_model and state.model != state.requested_model
        ),
        model_source=state.model_source,
        reasoning_effort=state.effort,
        client_version=state.client_version,
        catalog_source=state.catalog_source,
        auth_mode=state.auth_mode,
        model_instructions_sent=state.instructions_sent,
        warnings=[scrub(note) for note in state.notes],
    )


def partial_artifact(job: PlanJob, reason: str = "cancelled") -> PlanArtifact:
    """What a cancelled or broken job had received, marked incomplete."""
    return build_artifact(job, PlanStatus.INCOMPLETE, reason)


async def plan_wish(
    job: PlanJob,
    config: ConduitConfig,
    *,
    client: CodexClient | None = None,
    on_progress: ProgressCallback | None = None,
    wish_id: str = "",
) -> tuple[PlanArtifact, ConduitError | None]:
    """Run the job to its end; return the artifact and the error that ended it, if any."""
    report = on_progress or (lambda progress: None)
    if job.mode is ExecMode.SHADOW_RUN:
        return _shadow(job, report), None
    owned = client is None
    client = client or CodexClient(config)
    try:
        job.prompt_hash = wish_prompt_hash(job.wish, job.wish_text, job.wish_name)
        job.prompt_hash = await client.plan(
            job.wish, job.wish_text, job.wish_name, job.state, report, wish_id=wish_id
        )
    except ConduitError as error:
        logger.warning(
            "planning %s failed: %s %s",
            wish_id or job.wish_name,
            error.detail or error,
            error.ids(),
        )
        # The answer's ids, when the failure is an answer: the artifact and the ledger keep
        # them, and the ledger counts a failure that reached the conduit by them.
        job.state.request_id = job.state.request_id or error.request_id
        job.state.cf_ray = job.state.cf_ray or error.cf_ray
        return build_artifact(job, PlanStatus.FAILED, str(error)), error
    finally:
        if owned:
            await client.aclose()
    if job.state.completed:
        return build_artifact(job, PlanStatus.COMPLETE), None
    return build_artifact(job, PlanStatus.INCOMPLETE, job.state.incomplete_reason), None


def _shadow(job: PlanJob, report: ProgressCallback) -> PlanArtifact:
    steps, notes = shadow_steps(job.wish)
    text = shadow_text(steps, notes)
    job.prompt_hash = prompt_hash(
        "shadow-run", build_prompt(job.wish, job.wish_text, job.wish_name)
    )
    job.state.model = "shadow-run"
    for line in text.splitlines(keepends=True):
        job.state.deltas.append(line)
        report(PlanProgress("writing", "Writing the shadow plan", delta=line, state=job.state))
    job.state.completed = True
    return build_artifact(job, PlanStatus.COMPLETE)


STALE_TEMPORARY_SECONDS = 600.0
"""A plan file's temporary older than this was left by a crash: no write takes that long."""


def plan_markdown(job: PlanJob, artifact: PlanArtifact) -> str:
    """The Markdown plan of a job, as the side document and `<wish>.plan.md` show it."""
    return scrub(render_plan(job.wish, artifact))


@dataclass(frozen=True, slots=True)
class SavedPlan:
    """What `save_plan` wrote: its problems, and where a plan that did not complete went."""

    problems: list[str]
    """One sentence each (an unwritable folder, a full disk)."""
    failed: Path | None = None
    """Set when this attempt did not complete and a complete plan was kept: where the
    attempt was written instead (`<wish>.plan.failed.json`)."""

    def messages(self, paths: PlanPaths) -> list[str]:
        """What the user is told besides the problems: where the kept plan and the attempt are."""
        if self.failed is None:
            return []
        return [
            f"The last complete plan is kept in {paths.artifact.name} and "
            f"{paths.markdown.name}; this attempt is in {self.failed.name}."
        ]


def failed_path(paths: PlanPaths) -> Path:
    """Where an attempt that did not complete goes when a complete plan is kept."""
    return paths.artifact.with_name(
        paths.artifact.name.removesuffix(".plan.json") + ".plan.failed.json"
    )


def read_complete_plan(path: Path) -> PlanArtifact | None:
    """The complete plan saved at `path`, or None (none, unreadable, or not complete)."""
    try:
        kept = PlanArtifact.model_validate_json(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return kept if kept.status is PlanStatus.COMPLETE else None


def save_plan(job: PlanJob, artifact: PlanArtifact, paths: PlanPaths) -> SavedPlan:
    """Write the Markdown plan and the JSON artifact, each atomically and without any token.

    A plan is never lost: when this attempt did not complete (failed, cancelled, cut short)
    and a complete plan is saved, the complete one stays (its Markdown is written again from
    it, since the editor streams the attempt into that file), and the attempt goes to
    `<wish>.plan.failed.json` beside it. A failure to write one file does not stop the other,
    so what can be kept is kept.
    """
    problems = []
    for path in (paths.markdown, paths.artifact):
        remove_stale_temporaries(path, older_than=STALE_TEMPORARY_SECONDS)
    kept = None if artifact.status is PlanStatus.COMPLETE else read_complete_plan(paths.artifact)
    shown = artifact if kept is None else kept
    try:
        write_atomically(paths.markdown, plan_markdown(job, shown))
    except OSError as error:
        problems.append(f"Could not write the plan {paths.markdown}: {error.strerror or error}.")
    target = paths.artifact if kept is None else failed_path(paths)
    try:
        artifact.write(target)
    except OSError as error:
        problems.append(f"Could not write the plan artifact {target}: {error.strerror or error}.")
    return SavedPlan(problems, None if kept is None else target)


OUTCOMES: dict[PlanStatus, Outcome] = {
    PlanStatus.COMPLETE: "complete",
    PlanStatus.INCOMPLETE: "incomplete",
    PlanStatus.FAILED: "failed",
}
"""The ledger's outcome of each plan status (`refused` is the court's)."""


def wish_hash(job: PlanJob) -> str:
    """sha256 (hex) of the wish's text, as the artifact and the ledger record it."""
    return hashlib.sha256(job.wish_text.encode("utf-8")).hexdigest()


def hear_plan(job: PlanJob, registry: Registry, config: LintConfig) -> Hearing:
    """The court's gates for planning this job's wish in its mode (see `plan.court`)."""
    path = job.wish_path or Path("wish.yaml").resolve()
    return hear(job.wish, path, ledger_mode(job.mode), registry, config)


def refuse_plan(hearing: Hearing, job: PlanJob) -> Recorded:
    """Record the `refused` line of a plan the gates stopped; return the problems to show."""
    return record_refusal(hearing, job.wish, wish_hash(job))


def record_plan(hearing: Hearing, job: PlanJob, artifact: PlanArtifact) -> Recorded:
    """Leave the plan's one ledger line (complete, incomplete or failed, shadow or commit)
    with the planning conduit's audit fields; return the problems to show (one sentence each)
    and whether the line was written.
    """
    steps = len(artifact.steps)
    return record(
        hearing,
        CallRecord(
            outcome=OUTCOMES[artifact.status],
            reason=artifact.status_reason,
            wish_hash=artifact.wish_hash or wish_hash(job),
            author_id=author_of(job.wish),
            prompt_hash=artifact.prompt_hash or None,
            model=artifact.model,
            tokens_used=artifact.tokens_used,
            request_id=artifact.request_id,
            cf_ray=artifact.cf_ray,
            summary=f"{steps} step{'s' if steps != 1 else ''} planned.",
        ),
    )
