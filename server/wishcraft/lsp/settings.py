"""The language server's settings (section `wishcraft`), with the defaults clients must match.

Keys are camelCase as the VS Code extension contributes them (`wishcraft.files.globs`,
`wishcraft.diagnostics.debounceMs`, …); the defaults here are the single source that
`client-vscode/package.json` copies. Unknown keys are ignored (editors send their own), and a
bad value makes `read_settings` return the defaults and say what was wrong.

The models are built (pydantic's validators made) on the first settings to validate, not at
import: a client that sends no settings never pays for them, and start-up does not wait.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from wishcraft.globs import check_file_globs
from wishcraft.kinds import DEFAULT_GLOBS, is_wish_path
from wishcraft.lint import LintConfig

DEFAULT_DEBOUNCE_MS = 15
DEFAULT_CLOSED_FILES = 500


class _Section(BaseModel):
    model_config = ConfigDict(extra="ignore", populate_by_name=True, frozen=True, defer_build=True)


class FilesSettings(_Section):
    """Which files are wishes."""

    globs: tuple[str, ...] = Field(
        default=DEFAULT_GLOBS,
        description="Glob patterns of wish files; a pattern without `/` matches the file name.",
    )

    @field_validator("globs")
    @classmethod
    def _valid_globs(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        return check_file_globs(value)

    @property
    def configured_globs(self) -> tuple[str, ...] | None:
        """The globs when the client set them, else None: then `[files] globs` of the
        repository's wishcraft.toml applies (`Workspace.wish_globs_for`), as in the CLI."""
        return self.globs if "globs" in self.model_fields_set else None


class DiagnosticsSettings(_Section):
    """When diagnostics are published."""

    debounce_ms: int = Field(
        default=DEFAULT_DEBOUNCE_MS,
        ge=0,
        le=5_000,
        alias="debounceMs",
        description="Quiet time after an edit before the wish is checked.",
    )
    gates: bool = Field(
        default=True,
        description="Hear the court's gates for the wish's live calls as you type (nothing "
        "is called), so a call the gates would refuse is an error naming the gate.",
    )
    closed_files: int = Field(
        default=DEFAULT_CLOSED_FILES,
        ge=0,
        le=100_000,
        alias="closedFiles",
        description="How many wishes that are not open are checked again and published when "
        "a registry or wishcraft.toml changes (for editors that do not pull diagnostics); "
        "0 turns it off.",
    )


class RegistrySettings(_Section):
    """Which conduit registry wishes are checked against."""

    path: str | None = Field(
        default=None,
        description="A registry file (absolute, or relative to the workspace folder); empty "
        "means `data/conduits/registry.yaml` found from the wish upward, else the "
        "bundled registry.",
    )


class InlayHintSettings(_Section):
    """Which inlay hints a wish shows."""

    calls_left: bool = Field(
        default=True,
        alias="callsLeft",
        description="The calls a conduit has left (from the ledger) after its id in `tools`.",
    )
    tier_limits: bool = Field(
        default=True,
        alias="tierLimits",
        description="The tier's limit after `scope.duration_days` and each budget value.",
    )


class PlanSettings(_Section):
    """How the planning command (a later feature) runs."""

    folder: str = Field(default="", description="Where plan files go; empty: next to the wish.")
    model: str = Field(default="", description="The Codex model; empty: the conduit's default.")


class Settings(_Section):
    """Everything under the `wishcraft` settings section."""

    files: FilesSettings = Field(default_factory=FilesSettings)
    diagnostics: DiagnosticsSettings = Field(default_factory=DiagnosticsSettings)
    registry: RegistrySettings = Field(default_factory=RegistrySettings)
    lint: LintConfig | None = Field(
        default=None,
        description="Lint rules, as `[lint]` of wishcraft.toml; when unset the repository's "
        "data/config/wishcraft.toml applies.",
    )
    plan: PlanSettings = Field(default_factory=PlanSettings)
    inlay_hints: InlayHintSettings = Field(default_factory=InlayHintSettings, alias="inlayHints")

    @field_validator("lint", mode="before")
    @classmethod
    def _empty_lint_is_unset(cls, value: Any) -> Any:
        return None if value == {} else value

    def is_wish_path(self, path: str) -> bool:
        """Tell whether a file path matches one of the wish globs (`wishcraft.kinds` rules)."""
        return is_wish_path(path, self.files.globs)


@lru_cache(maxsize=1)
def default_settings() -> Settings:
    """The defaults, made without validating anything (they are the models' own defaults),
    so that no pydantic validator is built for a client that sends no settings."""
    return Settings.model_construct(
        files=FilesSettings.model_construct(),
        diagnostics=DiagnosticsSettings.model_construct(),
        registry=RegistrySettings.model_construct(),
        plan=PlanSettings.model_construct(),
        inlay_hints=InlayHintSettings.model_construct(),
    )


def read_settings(raw: Any) -> tuple[Settings, str | None]:
    """Read the `wishcraft` section; on a bad value return the defaults and the problem.

    The problem is a clause without a full stop: the caller says what it does instead (the
    server keeps the last valid settings).
    """
    if raw is None or raw == "":
        return default_settings(), None
    if not isinstance(raw, dict):
        return default_settings(), (
            f"Wishcraft settings must be an object, not {type(raw).__name__}"
        )
    try:
        return Settings.model_validate(raw), None
    except ValidationError as exc:
        error = exc.errors(include_url=False)[0]
        where = ".".join(
            str(part)
            for part in error["loc"]
            if not str(part).startswith(("function-", "constrained-"))
        )
        message = str(error["msg"]).removeprefix("Value error, ")
        return default_settings(), f"The setting `wishcraft.{where}` is invalid ({message})"
