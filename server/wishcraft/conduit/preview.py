"""What a plan would use, said without a network call: for hover and `wishcraft models`.

The same choice as the plan itself (`choice.choose_model`) over the catalog at hand (fresh or
stale, in memory or in Codex's cache, else built in) and the version we would present,
without starting `codex --version` (a hover must not wait for a process).
"""

from __future__ import annotations

from dataclasses import dataclass

from wishcraft.conduit.auth import CodexAuth, load_login
from wishcraft.conduit.catalog import SHARED_STORE, Catalog
from wishcraft.conduit.choice import DEFAULT_SOURCE, ModelChoice, choose_model
from wishcraft.conduit.config import ConduitConfig
from wishcraft.conduit.errors import ConduitError
from wishcraft.conduit.version import ClientVersion, resolve_client_version


@dataclass(frozen=True, slots=True)
class PlanPreview:
    """The login, catalog, version and model choice a plan would start from."""

    login: CodexAuth | None
    catalog: Catalog
    version: ClientVersion
    choice: ModelChoice | None
    problem: str | None = None


def preview_plan(config: ConduitConfig) -> PlanPreview:
    """What a plan with `config` would use, now, offline."""
    try:
        login: CodexAuth | None = load_login(config.codex_home)
    except ConduitError:
        login = None
    catalog = SHARED_STORE.offline(config.codex_home)
    version = resolve_client_version(config, probe=False)
    try:
        choice: ModelChoice | None = choose_model(
            config, catalog, api=login is not None and login.is_api_key
        )
    except ConduitError as error:
        return PlanPreview(login, catalog, version, None, str(error))
    return PlanPreview(login, catalog, version, choice)


def preview_markdown(preview: PlanPreview) -> str:
    """Two lines for hover: the model and effort, then why, the version and the login."""
    if preview.choice is None:
        return f"**Plans** cannot start: {preview.problem}"
    choice = preview.choice
    effort = f" · effort {choice.effort}" if choice.effort else ""
    chosen = (
        choice.source if choice.source.startswith(DEFAULT_SOURCE) else f"set by {choice.source}"
    )
    if preview.login is None:
        login = "no Codex login: plans are offline shadow runs until `codex login`"
    elif preview.login.is_api_key:
        login = f"API key from {preview.login.source}"
    else:
        login = "ChatGPT login"
    lines = [
        f"**Plans use** `{choice.slug}`{effort}",
        f"{chosen} · as Codex {preview.version.version} ({preview.version.source}) · {login}",
    ]
    lines.extend(f"Note: {note}" for note in choice.notes)
    return "\n\n".join(lines)
