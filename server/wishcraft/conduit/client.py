"""The Codex client: send the plan request, recover auth, retry, and fold the SSE stream.

This is the one place where httpx exceptions become `ConduitError`s. The caller owns a
`StreamState`; the client fills it as events arrive, so a caller that cancels the task (the
editor's Cancel button) still has every character received. Cancelling the task closes the
HTTP stream at once: the `async with` around the response exits on `CancelledError`.

Before the request: the login (`auth.load_login`: a ChatGPT login, else an API key), refreshed
five minutes before it expires; the version we present (`version.py`); the model catalog
(`catalog.py`, from Codex's cache, `/models` or built in); the model and its effort
(`choice.py`). Then one `POST /responses` shaped as Codex 0.171.0 sends it (`request.py`), to
the ChatGPT backend with a ChatGPT login or to the public API (`OPENAI_BASE_URL`) with a key.
`open_session` does the first part and `send` posts one body; `plan` is the two in a row, and
the apply exchange (`apply_exchange.py`) sends several bodies over one session.

Retries, as codex-rs classifies them (`answers.py` has the table): the request layer resends
5xx answers (overloaded 503s included) and network errors with exponential backoff and jitter,
5 requests in all; the turn layer then sends the request again, up to `stream_max_retries`
times (5), for what Codex 0.171.0 sends again: other 5xx, network errors, a 429 that is not a
usage limit (after its `Retry-After`), an SSE `error` event, and a `response.failed` with a code
that is not fatal (after the delay a `rate_limit_exceeded` message names). A 401 first reloads
auth.json (another process may have logged in again) and resends, then refreshes
(`unauthorized_recovery`) and resends. A stream that ends without `response.completed`, or
idles past the timeout, or a `response.incomplete`, is an incomplete result, not an error, and
is not retried.

Turn state: an `x-codex-turn-state` answer header, or one inside a `response.metadata` event, is
kept on the `Session` (one turn: a plan, or one apply exchange) and sent on every later request
of it; a new session starts without one. An `X-Models-Etag` other than the held catalog's makes
the next session fetch `/models` again.

A 404 names the URL; no other endpoint is ever tried (Codex removed the chat-completions wire;
`wire_api = "chat"` asks for it explicitly).

Proxies and CAs: `HTTPS_PROXY`, `HTTP_PROXY`, `ALL_PROXY` and `NO_PROXY` are honoured (httpx
reads them), and `CODEX_CA_CERTIFICATE`, else `SSL_CERT_FILE`, adds a CA to the system's, for
the backend and the token endpoint alike.

Redirects are never followed: the request carries the login, and the backend never redirects
a `POST /responses`; a 3xx means a proxy, a captive portal or a wrong `base_url`, reported as
`RedirectRefused` naming where it pointed. Everything the server sends is bounded (see
`ConduitConfig` for the reasons behind each limit): a line or event longer than 8 Mi characters
is a `StreamOverflow`; the answer's text, the bytes of one stream, the time between events and
the time of one stream each end the stream as incomplete, keeping what arrived; an error
body is read up to `ERROR_BODY_BYTES`.
"""

from __future__ import annotations

import asyncio
import json
import logging
import random
import ssl
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any, Literal

import certifi
import httpx

from wishcraft.conduit.answers import (
    RequestContext,
    error_event_error,
    failure_error,
    ids_of,
    metadata_headers,
    models_etag,
    rate_limits_from_headers,
    served_model,
    status_error,
    text_or_none,
    turn_state,
    usage_of,
)
from wishcraft.conduit.auth import CodexAuth, load_login, refresh_auth
from wishcraft.conduit.catalog import SHARED_STORE, Catalog, CatalogRequest, CatalogStore
from wishcraft.conduit.choice import ModelChoice, choose_model
from wishcraft.conduit.config import ConduitConfig
from wishcraft.conduit.errors import (
    AuthError,
    ConduitConfigError,
    ConduitError,
    RefreshFailed,
    StreamOverflow,
    TransportError,
)
from wishcraft.conduit.request import TurnIds, base_headers, build_body, build_headers
from wishcraft.conduit.sse import (
    SSEDecoder,
    SSEMessage,
    SSEOverflow,
    StreamEvent,
    loads,
    message_text,
    parse_event,
)
from wishcraft.conduit.usage import RateLimitSnapshot, TokenUsage
from wishcraft.conduit.version import ClientVersion, resolve_client_version
from wishcraft.model import Wish
from wishcraft.redaction import protect_http_loggers, protect_logger, redact

logger = protect_logger(logging.getLogger(__name__))
protect_http_loggers()

ERROR_BODY_BYTES = 64 * 1024
"""The most of an error answer we read. Codex shows at most 1,000 bytes of one; JSON errors are
under 1 KiB and a Cloudflare block page about 10 KiB, so 64 KiB keeps every real one whole."""
ERROR_BODY_SECONDS = 30.0
"""The longest we wait for an error answer's body (a trickling one is cut here)."""
FEED_BYTES = 1024 * 1024
"""The decoder is fed at most this much at once, so a decompressed burst (a gzip bomb inflates
64 KiB into 64 MiB) hits the line limit after a few MiB instead of being decoded whole."""

Phase = Literal["connecting", "refreshing", "waiting", "thinking", "writing", "retrying"]


@dataclass(slots=True)
class PlanProgress:
    """One progress report: the phase, the new text, and the text so far on demand."""

    phase: Phase
    message: str
    delta: str = ""
    attempt: int = 1
    state: StreamState | None = field(default=None, repr=False, compare=False)

    @property
    def text(self) -> str:
        """The answer so far, joined only when asked for.

        Joining it for every delta made a stream of n deltas cost O(n²): an endless drip of
        tiny deltas pinned a core long before the character cap could stop it.
        """
        return self.state.text if self.state is not None else ""


@dataclass(slots=True)
class StreamState:
    """What a planning call has received so far; owned by the caller, filled by the client."""

    deltas: list[str] = field(default_factory=list)
    final_text: str | None = None
    response_id: str | None = None
    model: str | None = None
    usage: TokenUsage | None = None
    request_id: str | None = None
    cf_ray: str | None = None
    rate_limits: RateLimitSnapshot | None = None
    completed: bool = False
    incomplete_reason: str | None = None
    events: int = 0
    chars: int = 0
    requested_model: str | None = None
    model_source: str | None = None
    effort: str | None = None
    client_version: str | None = None
    catalog_source: str | None = None
    auth_mode: str | None = None
    instructions_sent: bool | None = None
    notes: list[str] = field(default_factory=list)
    output_items: list[dict[str, Any]] = field(default_factory=list)
    """Every item of `response.output_item.done`, in order (reasoning, messages, tool calls):
    a tool exchange replays them and answers the calls among them."""
    turn_state: str | None = None
    """The `x-codex-turn-state` the last answer handed back (header or `response.metadata`)."""
    models_etag: str | None = None
    """The `X-Models-Etag` of the last answer."""

    @property
    def text(self) -> str:
        """The answer: the authoritative final message, else the deltas joined."""
        return self.final_text if self.final_text is not None else "".join(self.deltas)

    def reset_text(self) -> None:
        """Forget the text of an attempt that will be retried."""
        self.deltas.clear()
        self.chars = 0
        self.final_text = None
        self.completed = False
        self.incomplete_reason = None
        self.output_items.clear()


ProgressCallback = Callable[[PlanProgress], None]


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


def ssl_context(config: ConduitConfig) -> ssl.SSLContext:
    """The system's CAs (certifi's, as httpx uses) plus `CODEX_CA_CERTIFICATE`/`SSL_CERT_FILE`."""
    context = ssl.create_default_context(cafile=certifi.where())
    if config.ca_certificate is not None:
        try:
            context.load_verify_locations(cafile=str(config.ca_certificate))
        except (OSError, ssl.SSLError) as exc:
            raise ConduitConfigError(
                f"Cannot use the CA certificate {config.ca_certificate} (from "
                f"CODEX_CA_CERTIFICATE or SSL_CERT_FILE): {exc}; fix the path or unset the "
                "variable."
            ) from None
    return context


class CodexClient:
    """Sends plan requests to Codex; one instance per process, shared by all plans."""

    def __init__(
        self,
        config: ConduitConfig,
        *,
        transport: httpx.AsyncBaseTransport | None = None,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
        catalogs: CatalogStore | None = None,
    ) -> None:
        """Create the HTTP client; `transport` lets tests swap the network.

        The environment's proxies are honoured (httpx reads them when no transport is
        given); redirects never are followed."""
        self.config = config
        self._sleep = sleep
        self.catalogs = catalogs or SHARED_STORE
        timeout = httpx.Timeout(
            connect=config.connect_timeout_seconds,
            read=config.stream_idle_timeout_seconds,
            write=30.0,
            pool=30.0,
        )
        self._http = httpx.AsyncClient(
            timeout=timeout,
            transport=transport,
            follow_redirects=False,
            trust_env=True,
            verify=ssl_context(config),
        )

    async def aclose(self) -> None:
        """Close the connection pool."""
        await self._http.aclose()

    async def __aenter__(self) -> CodexClient:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()

    def _backoff(self, attempt: int) -> float:
        return float(self.config.retry_base_seconds * 2 ** (attempt - 1) * random.uniform(0.9, 1.1))

    async def _auth(self, report: ProgressCallback) -> CodexAuth:
        """The login, refreshed first when Codex would refresh it.

        A refresh the token endpoint refuses for good asks for `codex login` now, once; a
        passing failure sends the old token, as Codex does (it may still be accepted)."""
        auth = load_login(self.config.codex_home)
        if auth.needs_refresh():
            report(PlanProgress("refreshing", "Refreshing the Codex login"))
            try:
                auth = await self._refresh(auth, "proactive_expiry")
            except RefreshFailed as exc:
                if exc.permanent:
                    raise
                logger.warning("proactive refresh failed: %s", exc.detail or exc)
            except TransportError as exc:
                logger.warning("proactive refresh failed: %s", exc.detail or exc)
        return auth

    async def _refresh(
        self, auth: CodexAuth, reason: Literal["proactive_expiry", "unauthorized_recovery"]
    ) -> CodexAuth:
        version = await self.client_version()
        headers = {
            "originator": self.config.originator,
            "accept": "*/*",
            "user-agent": base_headers(None, self.config, version.version)["user-agent"],
        }
        return await refresh_auth(
            auth, self._http, url=self.config.refresh_url, headers=headers, reason=reason
        )

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
        return await self.catalogs.load(self.config.codex_home, self._http, request)

    def _url(self, auth: CodexAuth) -> str:
        base = self.config.api_base_url if auth.is_api_key else self.config.base_url
        return f"{base}/chat/completions" if self.config.wire_api == "chat" else f"{base}/responses"

    async def open_session(
        self, state: StreamState, report: ProgressCallback | None = None
    ) -> Session:
        """Everything a request needs before it is sent: the login (refreshed when due), the
        version presented, the catalog, the model and fresh ids; `state` learns which.

        Raises a `ConduitError` (no login, a bad configuration)."""
        report = report or (lambda progress: None)
        report(PlanProgress("connecting", "Connecting to Codex"))
        auth = await self._auth(report)
        version = await self.client_version()
        catalog = await self.catalog(auth, version)
        choice = choose_model(self.config, catalog, api=auth.is_api_key)
        ids = TurnIds.new()
        state.requested_model, state.model_source = choice.slug, choice.source
        state.effort, state.client_version = choice.effort, version.version
        state.catalog_source, state.auth_mode = catalog.source, auth.mode
        state.instructions_sent = choice.instructions is not None
        for note in choice.notes:
            if note not in state.notes:
                state.notes.append(note)
                logger.warning("%s", note)
        if choice.instructions is None and catalog.builtin:
            state.notes.append(
                "No model catalog could be read, so the model's own "
                "instructions were not sent; only the planner text was."
            )
        context = RequestContext.of(self._url(auth), choice, version, auth.is_api_key)
        return Session(auth, version, catalog, choice, ids, context)

    async def plan(
        self,
        wish: Wish,
        wish_text: str,
        wish_name: str,
        state: StreamState,
        on_progress: ProgressCallback | None = None,
        *,
        wish_id: str = "",
    ) -> str:
        """Ask Codex for a plan; fill `state` as events arrive; return the prompt hash.

        Raises a `ConduitError` on failure. A truncated stream is not an error: `state`
        then has `completed` False and `incomplete_reason` set.
        """
        report = on_progress or (lambda progress: None)
        session = await self.open_session(state, report)
        body, digest = build_body(wish, wish_text, wish_name, session.choice, session.ids)
        await self.send(session, body, state, report, wish_id=wish_id)
        return digest

    async def send(
        self,
        session: Session,
        body: dict[str, Any],
        state: StreamState,
        report: ProgressCallback | None = None,
        *,
        wish_id: str = "",
        what: str = "plan",
    ) -> None:
        """POST one body and fold its stream into `state`, with every retry Codex makes.

        The request layer is `_turn` (5xx and network errors resent at once; a 401 recovers
        the login there, and `session.auth` keeps the recovered one for the next request);
        this is the turn layer: the same body sent again, up to `stream_max_retries` times,
        for every error codex-rs calls retryable (`ConduitError.retryable`). Raises a
        `ConduitError` on failure; a truncated stream is not one (`state.incomplete_reason`
        says why)."""
        report = report or (lambda progress: None)
        started = time.perf_counter()
        retries = self.config.stream_max_retries
        for turn in range(1, retries + 2):
            state.reset_text()
            try:
                session.auth = await self._turn(session, body, state, report, turn)
            except ConduitError as exc:
                if not exc.retryable or turn > retries:
                    raise
                # As Codex 0.171.0 waits (measured): the delay the backend named (a 429's
                # Retry-After, a rate_limit_exceeded message), else the backoff; capped.
                asked = getattr(exc, "retry_after", None)
                delay = min(
                    asked if asked is not None else self._backoff(turn),
                    self.config.max_retry_after_seconds,
                )
                report(
                    PlanProgress(
                        "retrying",
                        f"Reconnecting in {delay:.1f} s ({turn}/{retries})",
                        attempt=turn + 1,
                    )
                )
                await self._sleep(delay)
                continue
            finally:
                session.turn_state = state.turn_state or session.turn_state
                self._log(wish_id, state, started, turn, what)
            if state.models_etag and state.models_etag != session.catalog.etag:
                self.catalogs.changed(state.models_etag)
            return

    def _log(
        self, wish_id: str, state: StreamState, started: float, turn: int, what: str = "plan"
    ) -> None:
        record = {
            "wish": wish_id,
            "request_id": state.request_id,
            "cf_ray": state.cf_ray,
            "response_id": state.response_id,
            "model": state.model,
            "status": "complete"
            if state.completed
            else f"incomplete: {state.incomplete_reason}"
            if state.incomplete_reason
            else "failed",
            "usage": state.usage.model_dump() if state.usage else None,
            "rate_limits": state.rate_limits.model_dump(mode="json", exclude_none=True)
            if state.rate_limits
            else None,
            "events": state.events,
            "attempt": turn,
            "seconds": round(time.perf_counter() - started, 3),
        }
        logger.info(
            "codex %s request %s",
            what,
            json.dumps(record, default=str),
            extra={"wishcraft": record},
        )

    async def _turn(
        self,
        session: Session,
        body: dict[str, Any],
        state: StreamState,
        report: ProgressCallback,
        turn: int,
    ) -> CodexAuth:
        """One request with the request layer's retries and auth recovery, then its stream."""
        auth, context = session.auth, session.context
        url = context.url
        chat = self.config.wire_api == "chat"
        payload = chat_body(body) if chat else body
        request_retries = 0
        limit = self.config.request_max_retries
        auth_step = 0
        while True:
            headers = build_headers(
                auth,
                self.config,
                version=session.version.version,
                ids=session.ids,
                model=context.model,
                lite=session.choice.lite and not chat,
                turn_state=state.turn_state or session.turn_state,
            )
            if request_retries == 0 and auth_step == 0 and turn == 1:
                _log_request(url, headers, payload)
            request = self._http.build_request("POST", url, json=payload, headers=headers)
            try:
                response = await self._http.send(request, stream=True)
            except httpx.HTTPError as exc:
                unreachable = TransportError(
                    f"Could not reach Codex at {url} ({type(exc).__name__}); check the "
                    "network (and HTTPS_PROXY or NO_PROXY behind a proxy) and try again.",
                    detail=redact(repr(exc)),
                )
                if request_retries >= limit:
                    raise unreachable from None
                request_retries += 1
                report(
                    PlanProgress(
                        "retrying",
                        f"Network error; retrying ({request_retries}/{limit})",
                        attempt=turn,
                    )
                )
                await self._sleep(self._backoff(request_retries))
                continue
            try:
                if response.status_code == 200:
                    if chat:
                        await self._read_chat_stream(response, state, report)
                    else:
                        await self._read_stream(response, state, report, turn)
                    return auth
                text = await _read_error_body(response)
            except httpx.HTTPError as exc:  # the body of an error response broke off
                text = f"(unreadable body: {type(exc).__name__})"
            finally:
                await response.aclose()
            status = response.status_code
            logger.debug("codex answered %s: %s", status, redact(text[:500]))
            if status == 401 and auth.is_api_key:
                raise AuthError(
                    f"The API key (from {auth.source}) was refused; check it, or "
                    "run `codex login` to plan with ChatGPT.",
                    detail=text[:500],
                    **ids_of(response),
                )
            if status == 401 and auth_step < 2:
                auth_step += 1
                report(PlanProgress("refreshing", "Refreshing the Codex login"))
                stored = load_login(self.config.codex_home)
                if (
                    auth_step == 1
                    and stored.access_token != auth.access_token
                    and (not auth.account_id or stored.account_id == auth.account_id)
                ):
                    auth = stored  # a newer login is on disk: resend with it first
                    continue
                auth_step = 2
                auth = await self._refresh(stored, "unauthorized_recovery")
                continue
            if status == 401:
                raise AuthError(
                    "Codex refused the login even after a refresh; run `codex login`.",
                    detail=text[:500],
                    **ids_of(response),
                )
            error = status_error(response, text, context)
            if error.request_retryable and request_retries < limit:
                request_retries += 1
                report(
                    PlanProgress(
                        "retrying",
                        f"Codex answered {status}; retrying ({request_retries}/{limit})",
                        attempt=turn,
                    )
                )
                await self._sleep(self._backoff(request_retries))
                continue
            session.auth = auth
            raise error

    async def _read_stream(
        self, response: httpx.Response, state: StreamState, report: ProgressCallback, turn: int
    ) -> None:
        """Fold the SSE events of one response into `state`."""
        ids = ids_of(response)
        state.request_id, state.cf_ray = ids["request_id"], ids["cf_ray"]
        state.model = served_model(response.headers) or state.model
        state.rate_limits = rate_limits_from_headers(response.headers) or state.rate_limits
        state.turn_state = turn_state(response.headers) or state.turn_state
        state.models_etag = models_etag(response.headers) or state.models_etag
        report(PlanProgress("waiting", "Waiting for the model", attempt=turn, state=state))

        def on_message(message: SSEMessage) -> bool:
            event = parse_event(message)
            if event is None:
                return False
            state.events += 1
            return self._fold(event, state, report, turn)

        await self._pump(response, state, on_message)
        if not state.completed and state.incomplete_reason is None:
            state.incomplete_reason = "the stream closed before response.completed"

    async def _pump(
        self, response: httpx.Response, state: StreamState, on_message: Callable[[SSEMessage], bool]
    ) -> None:
        """Feed the body through the SSE decoder into `on_message`, within every limit.

        Returns when `on_message` says the stream is finished, the body ends, or a limit
        stops it (then `state.incomplete_reason` says which). Raises `StreamOverflow` for a
        line or event the decoder refuses, and whatever `on_message` raises.
        """
        config = self.config
        decoder = SSEDecoder()
        received = 0
        last_event = time.monotonic()
        try:
            async with asyncio.timeout(config.max_stream_seconds):
                async for chunk in response.aiter_bytes():
                    received += len(chunk)
                    if received > config.max_stream_bytes:
                        state.incomplete_reason = (
                            f"the stream passed {_size(config.max_stream_bytes)}"
                        )
                        return
                    for start in range(0, len(chunk), FEED_BYTES):
                        messages = decoder.feed(chunk[start : start + FEED_BYTES])
                        if messages:
                            last_event = time.monotonic()
                        for message in messages:
                            if on_message(message):
                                return
                            if state.chars > config.max_response_chars:
                                state.incomplete_reason = (
                                    f"the answer passed {config.max_response_chars:,} characters"
                                )
                                return
                    if time.monotonic() - last_event > config.stream_idle_timeout_seconds:
                        state.incomplete_reason = self._idle_reason()
                        return
        except TimeoutError:
            state.incomplete_reason = f"the stream took longer than {config.max_stream_seconds:g} s"
        except httpx.ReadTimeout:
            state.incomplete_reason = self._idle_reason()
        except SSEOverflow as exc:
            raise StreamOverflow(
                f"Codex sent {exc}; the stream was stopped (the server or a proxy is broken).",
                detail=f"after {received:,} bytes",
                request_id=state.request_id,
                cf_ray=state.cf_ray,
            ) from None
        except httpx.HTTPError as exc:
            state.incomplete_reason = f"the stream broke off ({type(exc).__name__})"

    def _idle_reason(self) -> str:
        return f"no event for {self.config.stream_idle_timeout_seconds:g} s (idle timeout)"

    def _fold(
        self, event: StreamEvent, state: StreamState, report: ProgressCallback, turn: int
    ) -> bool:
        """Apply one event; return True when the stream is finished."""
        kind = event.type
        response_of_event = event.response
        if response_of_event:
            state.model = served_model(response_of_event.get("headers")) or state.model
        if kind == "response.output_text.delta":
            state.deltas.append(event.delta)
            state.chars += len(event.delta)
            report(
                PlanProgress(
                    "writing", "Writing the plan", delta=event.delta, attempt=turn, state=state
                )
            )
        elif kind == "response.reasoning_summary_text.delta":
            report(PlanProgress("thinking", "The model is thinking", attempt=turn, state=state))
        elif kind == "response.created":
            state.response_id = text_or_none(event.response.get("id")) or state.response_id
        elif kind == "response.output_item.done":
            if event.item:
                state.output_items.append(event.item)
            text = message_text(event.item)
            if text is not None and (event.item.get("phase") in (None, "final_answer")):
                state.final_text = text
        elif kind == "response.completed":
            response = event.response
            state.response_id = text_or_none(response.get("id")) or state.response_id
            state.usage = usage_of(response.get("usage")) or state.usage
            state.completed = True
            return True
        elif kind == "response.metadata":
            headers = metadata_headers(event)
            state.model = served_model(headers) or state.model
            state.turn_state = turn_state(headers) or state.turn_state
        elif kind == "response.failed":
            raise failure_error(event, state.request_id, state.cf_ray)
        elif kind == "error":
            raise error_event_error(event, state.request_id, state.cf_ray)
        elif kind == "response.incomplete":
            details = event.response.get("incomplete_details")
            reason = details.get("reason") if isinstance(details, dict) else None
            state.incomplete_reason = f"Codex returned an incomplete response ({reason})"
            return True
        return False

    async def _read_chat_stream(
        self, response: httpx.Response, state: StreamState, report: ProgressCallback
    ) -> None:
        """Fold a chat-completions stream (only with `wire_api = "chat"`) into `state`."""
        ids = ids_of(response)
        state.request_id, state.cf_ray = ids["request_id"], ids["cf_ray"]
        state.model = served_model(response.headers) or state.model

        def on_message(message: SSEMessage) -> bool:
            if message.data.strip() == "[DONE]":
                state.completed = True
                return True
            data = loads(message.data)
            choices = data.get("choices") if isinstance(data, dict) else None
            for choice in choices if isinstance(choices, list) else []:
                part = choice.get("delta") if isinstance(choice, dict) else None
                delta = part.get("content") if isinstance(part, dict) else None
                if isinstance(delta, str) and delta:
                    state.deltas.append(delta)
                    state.chars += len(delta)
                    report(PlanProgress("writing", "Writing the plan", delta=delta, state=state))
            return False

        await self._pump(response, state, on_message)
        if not state.completed and state.incomplete_reason is None:
            state.incomplete_reason = "the stream closed before [DONE]"


def _log_request(url: str, headers: dict[str, str], body: dict[str, Any]) -> None:
    """The request as sent, with the login redacted (what `wishcraft plan -v` shows)."""
    if not logger.isEnabledFor(logging.INFO):
        return
    shown = {
        name: "Bearer [redacted]" if name == "authorization" else value
        for name, value in headers.items()
    }
    logger.info(
        "codex request: POST %s\nheaders: %s\nbody: %s",
        url,
        redact(json.dumps(shown, indent=2)),
        redact(json.dumps(body, indent=2)),
    )


def chat_body(body: dict[str, Any]) -> dict[str, Any]:
    """The Responses body as a chat-completions one (`wire_api = "chat"` only): developer
    items become `developer` messages, as the chat API names them."""
    messages = []
    for item in body["input"]:
        text = "".join(part["text"] for part in item["content"])
        messages.append({"role": item["role"], "content": text})
    return {"model": body["model"], "messages": messages, "stream": True}


async def _read_error_body(response: httpx.Response) -> str:
    """The start of an error answer's body (at most `ERROR_BODY_BYTES`, within a time limit),
    redacted whole: cut first and a token echoed across the cut would survive in part."""
    data = bytearray()
    try:
        async with asyncio.timeout(ERROR_BODY_SECONDS):
            async for chunk in response.aiter_bytes():
                data += chunk[: ERROR_BODY_BYTES - len(data)]
                if len(data) >= ERROR_BODY_BYTES:
                    break
    except TimeoutError:
        pass
    return redact(data.decode("utf-8", "replace"))


def _size(count: int) -> str:
    """Bytes in words: `64 MiB`, `512 KiB`."""
    for unit, scale in (("MiB", 1024 * 1024), ("KiB", 1024)):
        if count >= scale:
            return f"{count / scale:g} {unit}"
    return f"{count} bytes"


__all__ = ["CodexClient", "PlanProgress", "Session", "StreamState", "rate_limits_from_headers"]
