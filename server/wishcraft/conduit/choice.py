"""Which model a plan uses, with which effort, summary, verbosity and instructions.

Chosen as Codex chooses (pure functions over the configuration and the catalog):
- the model: the first that is set of `--model` or the editor setting, `OPENAI_MODEL`,
  `[conduit] model`, `model` in `$CODEX_HOME/config.toml`; else the catalog's default (the
  listed entry with the lowest priority; in API-key mode, among the models the API serves);
- the effort: the configured one when the model supports it, else the nearest supported one
  (said once, in `notes`); with none configured, the model's default;
- the summary and verbosity: configured, else the catalog's defaults; a summary of `none` is
  left out, verbosity only for models that support it;
- the instructions: `model_instructions_file` when configured, else the model's own from the
  catalog; none with the built-in catalog (the artifact then says they were not sent).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from wishcraft.conduit.catalog import Catalog, ModelInfo, builtin_catalog, nearest_effort
from wishcraft.conduit.config import ConduitConfig
from wishcraft.conduit.errors import ConduitConfigError

DEFAULT_SOURCE = "the catalog's default"


@dataclass(frozen=True, slots=True)
class ModelChoice:
    """The model of one plan and everything sent along with it."""

    slug: str
    source: str
    """Where the model was chosen, in words: `` `model` in ~/.codex/config.toml``."""
    info: ModelInfo | None
    catalog_source: str
    effort: str | None = None
    summary: str | None = None
    verbosity: str | None = None
    instructions: str | None = None
    instructions_source: str | None = None
    """`the catalog`, the configured file, or None when no model instructions are sent."""
    notes: tuple[str, ...] = field(default=())
    """What was changed from the configuration, one sentence each (shown once)."""
    offered: tuple[str, ...] = ()
    """The models the catalog offers, for error messages."""

    @property
    def lite(self) -> bool:
        """Whether the catalog asks for Codex's lite request shape for this model."""
        return self.info is not None and self.info.use_responses_lite


def _instructions_file(config: ConduitConfig) -> str:
    path = Path(config.instructions_file) if config.instructions_file else None
    assert path is not None
    try:
        return path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ConduitConfigError(
            f"Cannot read model_instructions_file {path} ({exc.strerror}); fix the path or "
            "remove the setting."
        ) from None


def choose_model(config: ConduitConfig, catalog: Catalog, *, api: bool = False) -> ModelChoice:
    """The model, effort, summary, verbosity and instructions of a plan."""
    default = catalog.default(api=api) or builtin_catalog().default(api=api)
    assert default is not None
    slug = config.model or default.slug
    source = (
        (config.source_of("model") or "the configuration")
        if config.model
        else f"{DEFAULT_SOURCE} ({catalog.source})"
    )
    info = catalog.get(slug)
    notes: list[str] = []
    if info is None and not catalog.builtin:
        notes.append(
            f"The model {slug!r} ({source}) is not in the Codex catalog "
            f"({catalog.source}); it is sent as configured, without the model's own "
            "instructions (`wishcraft models` lists the catalog)."
        )

    effort = config.reasoning_effort
    if info is not None and info.efforts:
        if effort is not None and effort not in info.efforts:
            nearest = nearest_effort(effort, info.efforts)
            notes.append(
                f"{slug} does not support reasoning effort {effort!r} "
                f"({config.source_of('reasoning_effort') or 'configured'}); "
                f"using {nearest!r} (it supports {', '.join(info.efforts)})."
            )
            effort = nearest
        effort = effort or info.default_effort
    summary = config.reasoning_summary or (info.default_summary if info else None) or "auto"
    verbosity = None
    if info is not None and info.supports_verbosity:
        verbosity = config.verbosity or info.default_verbosity
    elif config.verbosity is not None and info is not None:
        notes.append(f"{slug} does not support verbosity; model_verbosity is ignored.")

    if config.instructions_file is not None:
        instructions: str | None = _instructions_file(config)
        instructions_source: str | None = config.source_of("instructions_file") or str(
            config.instructions_file
        )
    else:
        instructions = info.instructions if info is not None else None
        instructions_source = "the catalog" if instructions else None
    return ModelChoice(
        slug=slug,
        source=source,
        info=info,
        catalog_source=catalog.source,
        effort=effort,
        summary=None if summary == "none" else summary,
        verbosity=verbosity,
        instructions=instructions,
        instructions_source=instructions_source,
        notes=tuple(notes),
        offered=tuple(catalog.listed_slugs(api=api)),
    )


def describe_choice(choice: ModelChoice, version: str | None = None) -> str:
    """One line for hover and logs: `gpt-6.1-sol (effort medium), the catalog's default …`."""
    effort = f" (effort {choice.effort})" if choice.effort else ""
    where = (
        f"set by {choice.source}" if not choice.source.startswith(DEFAULT_SOURCE) else choice.source
    )
    parts = [f"{choice.slug}{effort}, {where}"]
    if version:
        parts.append(f"presented as Codex {version}")
    if choice.instructions is None:
        parts.append("the model's own instructions are not known (built-in catalog)")
    return "; ".join(parts)
