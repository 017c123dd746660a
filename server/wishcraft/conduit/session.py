"""A session with Codex: what every request of one turn shares, and its login's recovery.

`Sessions.open` does everything a request needs before it is sent: the login
(`auth.load_login`: a ChatGPT login, else an API key), refreshed five minutes before it
expires; the version we present (`version.py`); the model catalog (`catalog.py`: Codex's
cache, `/models` or built in); the model and its effort (`choice.py`); fresh ids. A refresh
the token endpoint refuses for good asks for `codex login` at once; a passing failure sends
the old token, as Codex does (it may still be accepted).

`Sessions.recover` is the 401 recovery of one request, as codex-rs's `unauthorized_recovery`
runs it: first reload auth.json (another process may have logged in again) and resend with
the newer login; then refresh and resend; then stop with one sentence asking for
`codex login`. An API key is never recovered: a refused key is named at once.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass

import httpx

from wishcraft.conduit.answers import RequestContext, ids_of
from wishcraft.conduit.auth import CodexAuth, RefreshReason, load_login, refresh_auth
from wishcraft.conduit.catalog import Catalog, CatalogRequest, CatalogStore
from wishcraft.conduit.choice import ModelChoice, choose_model
from wishcraft.conduit.config import ConduitConfig
from wishcraft.conduit.errors import AuthError, RefreshFailed, TransportError
from wishcraft.conduit.request import TurnIds, base_headers
from wishcraft.conduit.stream import PlanProgress, ProgressCallback, StreamState, no_progress
from wishcraft.conduit.version import ClientVersion, resolve_client_version
from wishcraft.redaction import protect_logger

logger = protect_logger(logging.getLogger(__name__))

NO_CATALOG_NOTE = (
    "No model catalog could be read, so the model's own instructions were not sent; only the "
    "planner text was."
)


@dataclass(slots=True)
class Session:
    """One conversation with Codex: the login (replaced when a 401 recovers it), the version
    presented, the catalog, the model and the ids every request of the conversation shares."""

    auth: CodexAuth
    version: ClientVersion
    catalog: Catalog
    choice: ModelChoice
    ids: TurnIds
    context: RequestContext
    turn_state: str | None = None
    """What the backend handed back as `x-codex-turn-state` in this turn; sent on every later
    request of it. A session is one turn, so it never reaches another turn or wish."""


@dataclass(slots=True)
class Recovery:
    """How far one request's 401 recovery has gone: 0 nothing tried, 1 auth.json reloaded,
    2 refreshed (the last step)."""

    step: int = 0


def newer_login(current: CodexAuth, stored: CodexAuth) -> bool:
    """Whether auth.json now holds another login of the same account to resend with first."""
    return stored.access_token != current.access_token and (
        not current.account_id or stored.account_id == current.account_id
    )


def url_for(config: ConduitConfig, auth: CodexAuth) -> str:
    """Where the request goes: the ChatGPT backend with a login, the public API with a key."""
    base = config.api_base_url if auth.is_api_key else config.base_url
    return f"{base}/chat/completions" if config.wire_api == "chat" else f"{base}/responses"


class Sessions:
    """Opens sessions and recovers their login, over the client's connection pool."""

    def __init__(
        self, config: ConduitConfig, http: httpx.AsyncClient, catalogs: CatalogStore
    ) -> None:
        """Share the client's configuration, connection pool and catalog store."""
        self.config = config
        self.http = http
        self.catalogs = catalogs

    async def client_version(self) -> ClientVersion:
        """The Codex version we present (may run `codex --version` once, off the loop)."""
        return await asyncio.to_thread(resolve_client_version, self.config)

    async def catalog(self, auth: CodexAuth | None, version: ClientVersion) -> Catalog:
        """The model catalog: Codex's cache, `/models` with this login, or built in."""
        request = None
        if auth is not None and not auth.is_api_key:
            request = CatalogRequest(
                self.config.base_url,
                base_headers(auth, self.config, version.version),
                version.version,
            )
        return await self.catalogs.load(self.config.codex_home, self.http, request)

    async def open(self, state: StreamState, report: ProgressCallback = no_progress) -> Session:
        """Everything a request needs before it is sent; `state` learns which.

        Raises a `ConduitError` (no login, a bad configuration)."""
        report(PlanProgress("connecting", "Connecting to Codex"))
        auth = await self._login(report)
        version = await self.client_version()
        catalog = await self.catalog(auth, version)
        choice = choose_model(self.config, catalog, api=auth.is_api_key)
        state.requested_model, state.model_source = choice.slug, choice.source
        state.effort, state.client_version = choice.effort, version.version
        state.catalog_source, state.auth_mode = catalog.source, auth.mode
        state.instructions_sent = choice.instructions is not None
        for note in choice.notes:
            if note not in state.notes:
                state.notes.append(note)
                logger.warning("%s", note)
        if choice.instructions is None and catalog.builtin:
            state.notes.append(NO_CATALOG_NOTE)
        context = RequestContext.of(url_for(self.config, auth), choice, version, auth.is_api_key)
        return Session(auth, version, catalog, choice, TurnIds.new(), context)

    async def recover(
        self,
        auth: CodexAuth,
        recovery: Recovery,
        response: httpx.Response,
        text: str,
        report: ProgressCallback,
    ) -> CodexAuth:
        """The login to resend with after `response`, a 401 to `auth`; raises `AuthError`
        when the recovery is spent (or the login is an API key), `RefreshFailed` when the
        token endpoint refuses."""
        if auth.is_api_key:
            raise AuthError(
                f"The API key (from {auth.source}) was refused; check it, or "
                "run `codex login` to plan with ChatGPT.",
                detail=text[:500],
                **ids_of(response),
            )
        if recovery.step >= 2:
            raise AuthError(
                "Codex refused the login even after a refresh; run `codex login`.",
                detail=text[:500],
                **ids_of(response),
            )
        recovery.step += 1
        report(PlanProgress("refreshing", "Refreshing the Codex login"))
        stored = load_login(self.config.codex_home)
        if recovery.step == 1 and newer_login(auth, stored):
            return stored
        recovery.step = 2
        return await self.refresh(stored, "unauthorized_recovery")

    async def refresh(self, auth: CodexAuth, reason: RefreshReason) -> CodexAuth:
        """Refresh the login at the token endpoint, with the headers Codex sends there."""
        version = await self.client_version()
        headers = {
            "originator": self.config.originator,
            "accept": "*/*",
            "user-agent": base_headers(None, self.config, version.version)["user-agent"],
        }
        return await refresh_auth(
            auth, self.http, url=self.config.refresh_url, headers=headers, reason=reason
        )

    async def _login(self, report: ProgressCallback) -> CodexAuth:
        """The login, refreshed first when Codex would refresh it."""
        auth = load_login(self.config.codex_home)
        if not auth.needs_refresh():
            return auth
        report(PlanProgress("refreshing", "Refreshing the Codex login"))
        try:
            return await self.refresh(auth, "proactive_expiry")
        except RefreshFailed as exc:
            if exc.permanent:
                raise
            logger.warning("proactive refresh failed: %s", exc.detail or exc)
        except TransportError as exc:
            logger.warning("proactive refresh failed: %s", exc.detail or exc)
        return auth


__all__ = ["Recovery", "Session", "Sessions", "newer_login", "url_for"]
