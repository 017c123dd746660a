"""The Codex client: the transport, and the two retry layers around one request.

`CodexClient` owns the connection pool and sends; the rest is along its seams: the session
(login, version, catalog, model, ids) and the 401 recovery in `session.py`, the stream fold in
`stream.py`, when to try again in `retry.py`, the answers' classification in `answers.py`.
`open_session` opens a session and `send` posts one body; `plan` is the two in a row, and the
apply exchange (`apply_exchange.py`) sends several bodies over one session.

This is where httpx's exceptions become `ConduitError`s: a network error before an answer is a
`TransportError` (`_post`), an error status goes through `answers.status_error`. A stream that
breaks off after a 200 is not an error but an incomplete answer (`stream.read_into`). The
caller owns a `StreamState`; the client fills it as events arrive, so a caller that cancels
the task (the editor's Cancel button) still has every character received. Cancelling the task
closes the HTTP stream at once: the response is closed in a `finally`.

One `POST /responses` shaped as Codex 0.171.0 sends it (`request.py`) goes to the ChatGPT
backend with a ChatGPT login or to the public API (`OPENAI_BASE_URL`) with a key.

Retries, as codex-rs classifies them (`answers.py` has the table, `retry.py` the schedules):
the request layer (`_turn`) resends 5xx answers (overloaded 503s included) and network errors
with exponential backoff and jitter, 5 requests in all, and runs the 401 recovery (reload
auth.json, then refresh); the turn layer (`send`) then sends the request again, up to
`stream_max_retries` times (5), for what Codex 0.171.0 sends again: other 5xx, network errors,
a 429 that is not a usage limit (after its `Retry-After`), an SSE `error` event, and a
`response.failed` with a code that is not fatal (after the delay a `rate_limit_exceeded`
message names). A stream that ends without `response.completed`, or idles past the timeout,
or a `response.incomplete`, is an incomplete result, not an error, and is not retried.

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
`ConduitConfig` for the reasons behind each limit, `stream.py` for where each is applied); an
error body is read up to `ERROR_BODY_BYTES`.
"""

from __future__ import annotations

import asyncio
import json
import logging
import ssl
import time
from collections.abc import Awaitable, Callable
from typing import Any

import certifi
import httpx

from wishcraft.conduit.answers import rate_limits_from_headers, status_error
from wishcraft.conduit.auth import CodexAuth
from wishcraft.conduit.catalog import SHARED_STORE, Catalog, CatalogStore
from wishcraft.conduit.config import ConduitConfig
from wishcraft.conduit.errors import (
    ConduitConfigError,
    ConduitError,
    HTTPStatusError,
    TransportError,
)
from wishcraft.conduit.request import build_body, build_headers
from wishcraft.conduit.retry import jitter, request_schedule, retry_delay, turn_schedule
from wishcraft.conduit.session import Recovery, Session, Sessions
from wishcraft.conduit.stream import (
    PlanProgress,
    ProgressCallback,
    StreamFold,
    StreamState,
    absorb_headers,
    no_progress,
    read_into,
)
from wishcraft.conduit.version import ClientVersion
from wishcraft.model import Wish
from wishcraft.redaction import protect_http_loggers, protect_logger, redact

logger = protect_logger(logging.getLogger(__name__))
protect_http_loggers()

ERROR_BODY_BYTES = 64 * 1024
"""The most of an error answer we read. Codex shows at most 1,000 bytes of one; JSON errors are
under 1 KiB and a Cloudflare block page about 10 KiB, so 64 KiB keeps every real one whole."""
ERROR_BODY_SECONDS = 30.0
"""The longest we wait for an error answer's body (a trickling one is cut here)."""


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
    """Sends requests to Codex; one instance per process, shared by all plans."""

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
        self.sessions = Sessions(config, self._http, self.catalogs)

    async def aclose(self) -> None:
        """Close the connection pool."""
        await self._http.aclose()

    async def __aenter__(self) -> CodexClient:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()

    async def client_version(self) -> ClientVersion:
        """The Codex version we present (may run `codex --version` once, off the loop)."""
        return await self.sessions.client_version()

    async def catalog(self, auth: CodexAuth | None, version: ClientVersion) -> Catalog:
        """The model catalog: Codex's cache, `/models` with this login, or built in."""
        return await self.sessions.catalog(auth, version)

    async def open_session(
        self, state: StreamState, report: ProgressCallback | None = None
    ) -> Session:
        """Everything a request needs before it is sent (`session.py`); `state` learns which.

        Raises a `ConduitError` (no login, a bad configuration)."""
        return await self.sessions.open(state, report or no_progress)

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
        report = on_progress or no_progress
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
        for every error codex-rs calls retryable (`retry.turn_schedule`). Raises a
        `ConduitError` on failure; a truncated stream is not one (`state.incomplete_reason`
        says why)."""
        report = report or no_progress
        started = time.perf_counter()
        payload = chat_body(body) if self.config.wire_api == "chat" else body
        schedule = turn_schedule(self.config)
        turn = 1
        while True:
            state.reset_text()
            try:
                session.auth = await self._turn(session, payload, state, report, turn)
            except ConduitError as exc:
                delay = retry_delay(exc, "turn", schedule, turn, jitter=jitter())
                if delay is None:
                    raise
                report(
                    PlanProgress(
                        "retrying",
                        f"Reconnecting in {delay:.1f} s ({turn}/{schedule.retries})",
                        attempt=turn + 1,
                    )
                )
                await self._sleep(delay)
                turn += 1
                continue
            finally:
                session.turn_state = state.turn_state or session.turn_state
                _log(wish_id, state, started, turn, what)
            if state.models_etag and state.models_etag != session.catalog.etag:
                self.catalogs.changed(state.models_etag)
            return

    async def _turn(
        self,
        session: Session,
        payload: dict[str, Any],
        state: StreamState,
        report: ProgressCallback,
        turn: int,
    ) -> CodexAuth:
        """One request with the request layer's retries and the 401 recovery, then its
        stream; returns the login the backend accepted."""
        auth, recovery, retry = session.auth, Recovery(), 0
        schedule = request_schedule(self.config)
        while True:
            first = turn == 1 and retry == 0 and recovery.step == 0
            try:
                response = await self._post(session, auth, payload, state, log=first)
            except TransportError as unreachable:
                error: ConduitError = unreachable
            else:
                try:
                    if response.status_code == 200:
                        await self._read(response, state, report, turn)
                        return auth
                    text = await _read_error_body(response)
                except httpx.HTTPError as exc:  # the body of an error response broke off
                    text = f"(unreadable body: {type(exc).__name__})"
                finally:
                    await response.aclose()
                logger.debug("codex answered %s: %s", response.status_code, redact(text[:500]))
                if response.status_code == 401:
                    auth = await self.sessions.recover(auth, recovery, response, text, report)
                    continue
                error = status_error(response, text, session.context)
            retry += 1
            delay = retry_delay(error, "request", schedule, retry, jitter=jitter())
            if delay is None:
                if not isinstance(error, TransportError):
                    session.auth = auth  # the backend answered this login: keep it
                raise error
            message = f"{_what_failed(error)}; retrying ({retry}/{schedule.retries})"
            report(PlanProgress("retrying", message, attempt=turn))
            await self._sleep(delay)

    async def _post(
        self,
        session: Session,
        auth: CodexAuth,
        payload: dict[str, Any],
        state: StreamState,
        *,
        log: bool,
    ) -> httpx.Response:
        """Send one request with `auth` and return its streaming response; a network error
        before the answer is a `TransportError` (the one place httpx's errors are translated)."""
        chat = self.config.wire_api == "chat"
        url = session.context.url
        headers = build_headers(
            auth,
            self.config,
            version=session.version.version,
            ids=session.ids,
            model=session.context.model,
            lite=session.choice.lite and not chat,
            turn_state=state.turn_state or session.turn_state,
        )
        if log:
            _log_request(url, headers, payload)
        request = self._http.build_request("POST", url, json=payload, headers=headers)
        try:
            return await self._http.send(request, stream=True)
        except httpx.HTTPError as exc:
            raise TransportError(
                f"Could not reach Codex at {url} ({type(exc).__name__}); check the "
                "network (and HTTPS_PROXY or NO_PROXY behind a proxy) and try again.",
                detail=redact(repr(exc)),
            ) from None

    async def _read(
        self, response: httpx.Response, state: StreamState, report: ProgressCallback, turn: int
    ) -> None:
        """Fold a 200 answer's stream into `state` (`stream.py`)."""
        chat = self.config.wire_api == "chat"
        absorb_headers(state, response, chat=chat)
        if not chat:
            report(PlanProgress("waiting", "Waiting for the model", attempt=turn, state=state))
        fold = StreamFold(state, report, config=self.config, turn=turn, chat=chat)
        await read_into(fold, response)


def _log(wish_id: str, state: StreamState, started: float, turn: int, what: str) -> None:
    """One structured log line per request sent: its ids, outcome, usage and time."""
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


def _what_failed(error: ConduitError) -> str:
    """The request layer's failure in a progress message: `Codex answered 502`."""
    if isinstance(error, HTTPStatusError):
        return f"Codex answered {error.status}"
    return "Network error"


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


__all__ = [
    "CodexClient",
    "PlanProgress",
    "ProgressCallback",
    "Session",
    "StreamState",
    "rate_limits_from_headers",
]
