"""What `open_pull_request` needs besides the anchor, read from disk in one place.

`wishcraft pr ANCHOR`, `wishcraft apply --open-pr` and the editor's "Open Pull Request" all
start from an applied change (`find_applied`) and then need the same things: the wish as it is
now (title, objective, invariants, rollback for the commit and the body), its plan's steps (the
plan artifact beside the wish; the wish's own `plan` when there is none), the registry and lint
rules the court's gates read, and the `wishcraft.toml` holding `[pr]`. Reading them here keeps
the CLI and the editor from drifting apart. `last_applied_anchor` finds the anchor of a wish
when the editor is given only the wish's uri.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from wishcraft.ledger import LedgerError, LedgerLocation, last_applied
from wishcraft.lint import ConfigError, analyse_wish
from wishcraft.lint.config import LintConfig, find_config_file, load_lint_config
from wishcraft.lint.registries import RegistryCache
from wishcraft.model import Wish
from wishcraft.names import APPLY_CONDUIT_ID
from wishcraft.plan.paths import PlanPathError, plan_paths
from wishcraft.pr.errors import PrBadInput, PrRefused
from wishcraft.pr.opener import Applied
from wishcraft.registry import Registry
from wishcraft.words import plural


@dataclass(frozen=True, slots=True)
class PrInputs:
    """The wish, its plan's steps, the registry, the lint rules and the `[pr]` file."""

    wish: Wish
    plan_steps: tuple[str, ...]
    registry: Registry
    lint_config: LintConfig
    config_file: Path | None
    plan_source: str
    """Where the steps came from (the artifact's path, or the wish's own `plan`)."""


def load_inputs(
    applied: Applied,
    *,
    registries: RegistryCache | None = None,
    lint_config: LintConfig | None = None,
    artifact: Path | None = None,
) -> PrInputs:
    """Read the wish `applied` names and what the gates need; `PrBadInput` (exit code 2) with
    one sentence when the wish cannot be read, is not a valid wish, or the configuration is
    wrong.

    The editor passes what its settings decide: the lint rules (`wishcraft.lint`) and where
    the plan artifact is (`wishcraft.plan.folder`); the CLI reads both from disk.
    """
    path = applied.wish_path
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        reason = getattr(error, "strerror", None) or error
        raise PrBadInput(
            f"Cannot read the wish {path} ({reason}); restore it, since the pull "
            "request's title and body come from it."
        ) from None
    registry = (registries or RegistryCache()).for_document(path.resolve())
    config_file = find_config_file(path.resolve().parent)
    if lint_config is None:
        try:
            lint_config = load_lint_config(config_file)
        except ConfigError as error:
            # A file that cannot be read already ends with its fix (`wishcraft.config`).
            said = str(error)
            raise PrBadInput(
                said if said.endswith(".") else f"{said}; fix the configuration."
            ) from None
    analysis = analyse_wish(text, registry, lint_config)
    if analysis.wish is None:
        raise PrBadInput(
            f"The wish {path} has {plural(analysis.error_count, 'error')}; run "
            f"`wishcraft lint {path}` and fix them first."
        )
    steps, source = plan_steps(path, analysis.wish, artifact)
    return PrInputs(analysis.wish, steps, registry, lint_config, config_file, source)


def plan_steps(
    wish_path: Path, wish: Wish, artifact: Path | None = None
) -> tuple[tuple[str, ...], str]:
    """The steps of the wish's saved plan (`plan_steps` of `<wish>.plan.json`, or
    `artifact`), else the wish's own `plan`; and where they came from. Read as plain JSON: a
    plan written by an older or newer version still gives its steps."""
    try:
        artifact = artifact or plan_paths(wish_path).artifact
        data = json.loads(artifact.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, ValueError, PlanPathError):
        return tuple(wish.plan), "the wish's plan"
    steps = data.get("plan_steps") if isinstance(data, dict) else None
    if isinstance(steps, list) and steps and all(isinstance(step, str) for step in steps):
        return tuple(steps), str(artifact)
    return tuple(wish.plan), "the wish's plan"


def last_applied_anchor(location: LedgerLocation, wish_key: str) -> str:
    """The wish's last applied change that was not undone, for "Open Pull Request" given a
    wish: its anchor id. Refuses (gate `Ledger`) with one sentence when there is none."""
    try:
        applied = last_applied(location.path, wish_key, APPLY_CONDUIT_ID)
    except LedgerError as error:
        raise PrRefused(
            f"{str(error).rstrip('.')}; fix the ledger, then open the pull request.", gate="Ledger"
        ) from None
    if applied is not None and applied.anchor_id:
        return applied.anchor_id
    raise PrRefused(
        f"The ledger {location.path} holds no applied change of {wish_key}; apply "
        "its plan first, then open the pull request.",
        gate="Ledger",
    )


__all__ = ["PrInputs", "last_applied_anchor", "load_inputs", "plan_steps"]
