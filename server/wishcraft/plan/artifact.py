"""The plan artifact: what a planning call produced, written as JSON next to the wish.

It holds everything upstream's `xtask wish codex plan` writes (`plan_steps`, `notes`, `model`,
`tokens_used`, `prompt_hash`) so upstream tools read it unchanged, and more: structured steps,
the mode and status, token usage in detail, the request's ids, the rate-limit snapshot and
timings. It never holds a token: `write` scrubs the login's tokens from the JSON, whatever a
server echoed into the text or the headers.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field

from wishcraft.conduit.usage import RateLimitSnapshot, TokenUsage
from wishcraft.fileio import write_atomically
from wishcraft.model import ExecMode
from wishcraft.names import PLANNING_CONDUIT_ID
from wishcraft.redaction import scrub

ARTIFACT_VERSION = 1


class PlanStatus(StrEnum):
    """How a planning call ended."""

    COMPLETE = "complete"
    INCOMPLETE = "incomplete"
    FAILED = "failed"


class PlanStep(BaseModel):
    """One step of a plan."""

    model_config = ConfigDict(extra="ignore")

    title: str = Field(
        description="What to do, in a short imperative sentence.",
        examples=["Survey crates/wishcraft"],
    )
    detail: str = Field(
        default="",
        description="How to do it, concretely.",
        examples=["Read schema.rs, lint.rs and heat.rs"],
    )
    acceptance: str = Field(
        default="",
        description="The check that proves the step is done.",
        examples=["docs/wish.md lists every lint rule"],
    )


class PlanArtifact(BaseModel):
    """A plan for one wish, as the planning conduit produced it."""

    model_config = ConfigDict(title="Wishcraft plan artifact", extra="ignore")

    plan_steps: list[str] = Field(description="The steps as text (upstream's field).")
    notes: list[str] = Field(default_factory=list, description="Notes about the plan.")
    model: str | None = Field(default=None, description="The model that served the plan.")
    tokens_used: int | None = Field(default=None, description="Total tokens (upstream's field).")
    prompt_hash: str = Field(description="sha256 (hex) of the prompt sent.")

    artifact_version: int = Field(default=ARTIFACT_VERSION, description="This format's version.")
    conduit: str = Field(default=PLANNING_CONDUIT_ID, description="The conduit that planned.")
    mode: ExecMode = Field(description="ShadowRun (offline) or Commit (live).")
    status: PlanStatus = Field(description="complete, incomplete or failed.")
    status_reason: str | None = Field(
        default=None, description="Why the plan is incomplete or failed."
    )
    wish_title: str = Field(default="", description="The wish's title.")
    wish_path: str | None = Field(default=None, description="The wish file.")
    wish_hash: str = Field(default="", description="sha256 (hex) of the wish file's text.")
    steps: list[PlanStep] = Field(default_factory=list, description="The structured steps.")
    text: str = Field(default="", description="The model's answer as it arrived.")
    usage: TokenUsage | None = Field(default=None, description="Token usage in detail.")
    response_id: str | None = Field(default=None, description="The Responses API id.")
    request_id: str | None = Field(default=None, description="The x-request-id header.")
    cf_ray: str | None = Field(default=None, description="The cf-ray header.")
    rate_limits: RateLimitSnapshot | None = Field(
        default=None, description="The rate-limit snapshot."
    )
    requested_model: str | None = Field(default=None, description="The model asked for.")
    rerouted: bool = Field(
        default=False,
        description="Whether the backend served another "
        "model than the one asked for (`OpenAI-Model`).",
    )
    model_source: str | None = Field(
        default=None, description="Where the model was chosen, in words."
    )
    reasoning_effort: str | None = Field(default=None, description="The effort sent.")
    client_version: str | None = Field(default=None, description="The Codex version presented.")
    catalog_source: str | None = Field(
        default=None, description="Where the model catalog came from."
    )
    auth_mode: str | None = Field(
        default=None, description="chatgpt (a ChatGPT login) or apikey (an OpenAI API key)."
    )
    model_instructions_sent: bool | None = Field(
        default=None,
        description="Whether the model's own instructions were sent (not when "
        "no catalog could be read).",
    )
    warnings: list[str] = Field(
        default_factory=list, description="What the conduit changed or could not do."
    )
    started_at: datetime = Field(description="When planning started (UTC).")
    finished_at: datetime | None = Field(default=None, description="When it ended (UTC).")

    def write(self, path: Path) -> None:
        """Write the artifact as pretty JSON, atomically, without any token of the login."""
        write_atomically(path, scrub(self.model_dump_json(indent=2)) + "\n")
