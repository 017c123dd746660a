"""What Codex answers besides the text, read in one place: error statuses, failure and error
events as `ConduitError`s with one sentence each, the request ids, the rate-limit headers, the
token usage, the model that served, the turn state and the catalog's ETag.

The classification is codex-rs's, as the real Codex 0.171.0 behaved against scripted answers
(`scripts/codex-parity.sh` counts its requests): where that differs from codex-wire §0.2's
reading, the measurement wins (a plain 429 and an SSE `error` event are resent at the turn
layer, 6 requests in all):

| answer | error | retried |
|---|---|---|
| 503 `server_is_overloaded` / `slow_down` | `ServerOverloaded` | request layer only (5 in all) |
| 429 `usage_limit_reached` / `usage_not_included` | `UsageLimitReached` | no |
| any other 429 | `RateLimited`, its `Retry-After` said | turn layer (6 in all) |
| 400 `cyber_policy` | `CyberPolicyRefused` | no |
| 500 and other 5xx | `HTTPStatusError` | request layer, then turn layer |
| `response.failed`, a fatal code (`FATAL_FAILURE_CODES`, `cyber_policy`) | `ResponseFailed` | no |
| `response.failed`, any other code | `ResponseFailed`, retryable | turn layer (6 in all) |
| an SSE `error` event | `StreamErrorEvent` (`cyber_policy`: fatal) | turn layer (6 in all) |
| `response.incomplete` | an incomplete answer (the reason kept) | no |

Pure functions over httpx responses, headers and events (no I/O): the client (`client.py`)
reads a body and hands it here. Every sentence names its fix; `docs/troubleshooting.md` lists
them all (a test keeps the two in step).
"""

from __future__ import annotations

import base64
import math
import re
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any
from urllib.parse import urlsplit

import httpx

from wishcraft.conduit.choice import ModelChoice
from wishcraft.conduit.errors import (
    ClientTooOld,
    ConduitError,
    CyberPolicyRefused,
    EffortNotSupported,
    EndpointNotFound,
    HTTPStatusError,
    InstructionsRejected,
    ModelNotSupported,
    RateLimited,
    RedirectRefused,
    RequestIds,
    ResponseFailed,
    ServerOverloaded,
    StreamErrorEvent,
    UsageLimitReached,
    describe_reset,
)
from wishcraft.conduit.sse import StreamEvent, loads
from wishcraft.conduit.usage import RateLimitSnapshot, RateLimitWindow, TokenUsage
from wishcraft.conduit.version import ClientVersion
from wishcraft.redaction import redact

FATAL_FAILURE_CODES = {
    "context_length_exceeded": "the wish is too long for the model's context window",
    "insufficient_quota": "the account's quota is used up",
    "usage_not_included": "this ChatGPT plan does not include Codex",
    "invalid_prompt": "the backend refused the prompt",
    "server_is_overloaded": "the model is at capacity",
    "slow_down": "the model is at capacity",
}
CYBER_POLICY = "cyber_policy"
TURN_STATE_HEADER = "x-codex-turn-state"
MODELS_ETAG_HEADER = "x-models-etag"

_TRY_AGAIN = re.compile(r"try again in\s*(\d+(?:\.\d+)?)\s*(ms|s|seconds?)", re.IGNORECASE)


def parse_retry_after(value: str | None, now: datetime | None = None) -> float | None:
    """`Retry-After` as seconds: a number, or an HTTP date."""
    if not value:
        return None
    value = value.strip()
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - (now or datetime.now(UTC))).total_seconds())


def _header_float(headers: httpx.Headers, name: str) -> float | None:
    try:
        value = float(headers[name]) if name in headers else None
    except ValueError:
        return None
    return value if value is not None and math.isfinite(value) else None


def _timestamp(value: Any) -> datetime | None:
    """Unix seconds as a UTC datetime; None for anything that is not a plausible time."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    try:
        return datetime.fromtimestamp(value, UTC)
    except (OverflowError, OSError, ValueError):
        return None


def text_or_none(value: Any) -> str | None:
    """A string field of the stream, or None when the server sent something else."""
    return value if isinstance(value, str) and value else None


def _header_bool(headers: httpx.Headers, name: str) -> bool | None:
    value = headers.get(name)
    return None if value is None else value.strip().lower() in ("true", "1")


def rate_limits_from_headers(headers: httpx.Headers) -> RateLimitSnapshot | None:
    """The `x-codex-*` rate-limit snapshot; a window is kept only when something is non-zero."""
    windows: dict[str, RateLimitWindow | None] = {}
    for name in ("primary", "secondary"):
        used = _header_float(headers, f"x-codex-{name}-used-percent")
        minutes = _header_float(headers, f"x-codex-{name}-window-minutes")
        reset = _header_float(headers, f"x-codex-{name}-reset-at")
        if used is None or not any((used, minutes, reset)):
            windows[name] = None
            continue
        windows[name] = RateLimitWindow(
            used_percent=used,
            window_minutes=int(minutes) if minutes is not None else None,
            resets_at=_timestamp(reset) if reset else None,
        )
    snapshot = RateLimitSnapshot(
        primary=windows["primary"],
        secondary=windows["secondary"],
        has_credits=_header_bool(headers, "x-codex-credits-has-credits"),
        unlimited_credits=_header_bool(headers, "x-codex-credits-unlimited"),
        credits_balance=headers.get("x-codex-credits-balance"),
    )
    return snapshot if snapshot.model_dump(exclude_none=True) else None


def usage_of(payload: Any) -> TokenUsage | None:
    if not isinstance(payload, dict):
        return None

    def number(value: Any) -> int:
        return value if isinstance(value, int) and value >= 0 else 0

    input_details = payload.get("input_tokens_details") or {}
    output_details = payload.get("output_tokens_details") or {}
    return TokenUsage(
        input=number(payload.get("input_tokens")),
        cached=number(input_details.get("cached_tokens") if isinstance(input_details, dict) else 0),
        output=number(payload.get("output_tokens")),
        reasoning=number(
            output_details.get("reasoning_tokens") if isinstance(output_details, dict) else 0
        ),
        total=number(payload.get("total_tokens")),
    )


def ids_of(response: httpx.Response) -> RequestIds:
    """The answer's request id and Cloudflare ray id, when it carries them."""
    return {
        "request_id": response.headers.get("x-request-id")
        or response.headers.get("x-oai-request-id"),
        "cf_ray": response.headers.get("cf-ray"),
    }


def _error_json(response: httpx.Response, body: str) -> dict[str, Any]:
    data = loads(body)
    if not isinstance(data, dict):
        data = {}
    encoded = response.headers.get("x-error-json")
    if encoded and not data:
        try:
            decoded = loads(base64.b64decode(encoded))
        except ValueError:
            decoded = None
        data = decoded if isinstance(decoded, dict) else {}
    return data


@dataclass(frozen=True, slots=True)
class RequestContext:
    """What an error sentence may name: the URL, the model and where it was chosen, the
    version presented and where it came from, the effort, the models on offer."""

    url: str
    model: str
    model_source: str = "the configuration"
    version: str = ""
    version_source: str = ""
    effort: str | None = None
    offered: tuple[str, ...] = ()
    api_key: bool = False

    @classmethod
    def of(
        cls, url: str, choice: ModelChoice, version: ClientVersion, api_key: bool = False
    ) -> RequestContext:
        """The context of one request."""
        return cls(
            url,
            choice.slug,
            choice.source,
            version.version,
            version.source,
            choice.effort,
            choice.offered,
            api_key,
        )


def _base_setting(context: RequestContext) -> str:
    """The setting that decides where requests go, in the words users set it."""
    return (
        "OPENAI_BASE_URL" if context.api_key else "`base_url` under [conduit] (or CHATGPT_BASE_URL)"
    )


def _chosen(context: RequestContext) -> str:
    """`set by `model` in ~/.codex/config.toml`, or `the catalog's default`."""
    return (
        "the catalog's default"
        if context.model_source.startswith("the catalog's default")
        else f"set by {context.model_source}"
    )


def _offered(context: RequestContext) -> str:
    shown = list(context.offered[:6])
    return (
        ", ".join(shown) + (" …" if len(context.offered) > 6 else "")
        if shown
        else "see `wishcraft models`"
    )


def _detail(data: dict[str, Any], error: dict[str, Any], body: str) -> str:
    return str(error.get("message") or data.get("detail") or body or "")


@dataclass(frozen=True, slots=True)
class _Answer:
    """An error answer as read once: its status, body, JSON, `error` object and ids."""

    status: int
    body: str
    data: dict[str, Any]
    error: dict[str, Any]
    ids: RequestIds

    @property
    def where(self) -> str:
        """` (request id …)` for sentences, or nothing."""
        request_id = self.ids["request_id"]
        return f" (request id {request_id})" if request_id else ""

    @property
    def detail(self) -> str:
        """The backend's own words, lower-cased, for matching."""
        return _detail(self.data, self.error, self.body).lower()


def status_error(
    response: httpx.Response, body: str, context: RequestContext | str
) -> ConduitError:
    """Translate an error status into the right `ConduitError`, with its ids."""
    if isinstance(context, str):
        context = RequestContext(url=str(response.request.url), model=context)
    data = _error_json(response, body)
    raw_error = data.get("error")
    answer = _Answer(
        response.status_code,
        body,
        data,
        raw_error if isinstance(raw_error, dict) else {},
        ids_of(response),
    )
    status, ids, where = answer.status, answer.ids, answer.where
    if 300 <= status < 400:
        return _redirect_error(response, answer, context)
    if status == 429:
        return _too_many_error(response, answer)
    if status == 404:
        return EndpointNotFound(
            f"Codex answered 404 Not Found for {context.url}{where}: check "
            f"{_base_setting(context)}; nothing was sent anywhere else.",
            status=status,
            body=body,
            detail=body[:1000],
            **ids,
        )
    if status == 400 and answer.error.get("code") == CYBER_POLICY:
        return CyberPolicyRefused(
            f"OpenAI flagged this request for possible cybersecurity risk{where}; reword the "
            "wish (sending the same request again will not help).",
            status=status,
            body=body,
            detail=body[:1000],
            **ids,
        )
    if status == 400:
        refused = _bad_request_error(answer, context)
        if refused is not None:
            return refused
    if status == 503 and answer.error.get("code") in ("server_is_overloaded", "slow_down"):
        return ServerOverloaded(
            f"The Codex model is at capacity{where}; try again later.",
            status=status,
            body=body,
            **ids,
        )
    if status == 403 and "cloudflare" in body.lower() and "blocked" in body.lower():
        return HTTPStatusError(
            "Access to Codex was blocked by Cloudflare; check the network or VPN.",
            status=status,
            body=body,
            **ids,
        )
    if status >= 500:
        return HTTPStatusError(
            f"Codex had a server error ({status}){where}; try again later.",
            status=status,
            body=body,
            detail=body[:1000],
            **ids,
        )
    message = str(answer.error.get("message") or data.get("detail") or body or "no details")
    return HTTPStatusError(
        f"Codex answered {status}: {message[:200]}{where}; try again, and if it "
        "persists look at the request with `wishcraft plan -v`.",
        status=status,
        body=body,
        detail=body[:1000],
        **ids,
    )


def _redirect_error(
    response: httpx.Response, answer: _Answer, context: RequestContext
) -> RedirectRefused:
    """A 3xx: never followed, so the login never leaves the origin; say where it pointed."""
    location = response.headers.get("location", "")
    target = urlsplit(location)
    place = (
        f"{target.scheme}://{target.netloc}{target.path}"
        if target.netloc
        else (target.path or "nowhere")
    )
    return RedirectRefused(
        f"Codex answered with a redirect ({answer.status}) to {redact(place)}{answer.where}; "
        f"it is not followed, so the login is never sent elsewhere: check "
        f"{_base_setting(context)} and any proxy or captive portal.",
        location=location,
        status=answer.status,
        body=answer.body,
        detail=f"Location: {location}",
        **answer.ids,
    )


def _too_many_error(response: httpx.Response, answer: _Answer) -> ConduitError:
    """A 429: the plan's usage limit (fatal, with its reset time) or a rate limit (retried)."""
    error, status, ids = answer.error, answer.status, answer.ids
    kind = error.get("type") or error.get("code")
    if kind not in ("usage_limit_reached", "usage_not_included"):
        retry_after = parse_retry_after(response.headers.get("retry-after"))
        when = (
            f"in {math.ceil(retry_after):,} s (its Retry-After)"
            if retry_after is not None
            else "in a moment"
        )
        return RateLimited(
            f"Codex is rate-limiting requests{answer.where}; plan again {when}.",
            retry_after=retry_after,
            status=status,
            body=answer.body,
            detail=answer.body[:1000],
            **ids,
        )
    resets_at = _timestamp(error.get("resets_at"))
    resets_in = error.get("resets_in_seconds")
    if resets_at is None and isinstance(resets_in, int | float) and not isinstance(resets_in, bool):
        resets_at = _timestamp(time.time() + resets_in) if math.isfinite(resets_in) else None
    plan = text_or_none(error.get("plan_type"))
    if kind == "usage_not_included":
        message = (
            "This ChatGPT plan does not include Codex; upgrade the plan or plan "
            "offline with --shadow."
        )
    else:
        message = (
            f"The Codex usage limit of this ChatGPT {plan or ''} plan is reached; "
            f"it resets {describe_reset(resets_at)}: wait until then, or plan "
            "offline with --shadow."
        ).replace("  ", " ")
    return UsageLimitReached(
        message,
        resets_at=resets_at,
        plan_type=plan,
        status=status,
        body=answer.body,
        detail=answer.body[:1000],
        **ids,
    )


def _bad_request_error(answer: _Answer, context: RequestContext) -> ConduitError | None:
    """A 400 today's backend is known to send (an old client, a retired model, an effort, the
    instructions), or None for any other."""
    detail, model = answer.detail, context.model
    status, body, ids = answer.status, answer.body, answer.ids
    if "requires a newer version" in detail:
        configured = "client_version" in context.version_source
        fix = (
            "raise `client_version` under [conduit] in data/config/wishcraft.toml"
            if configured
            else "update the Codex CLI (npm install -g @openai/codex), or set "
            "`client_version` under [conduit] in data/config/wishcraft.toml to a newer "
            "release"
        )
        return ClientTooOld(
            f"The model {model!r} requires a newer Codex than version {context.version}, the "
            f"version sent (from {context.version_source or 'the built-in default'}): {fix}.",
            status=status,
            body=body,
            detail=body[:1000],
            **ids,
        )
    if "model" in detail and "not supported" in detail and "effort" not in detail:
        login = "an API key" if context.api_key else "a ChatGPT login"
        return ModelNotSupported(
            f"The model {model!r} ({_chosen(context)}) is not available with {login}: "
            f"choose one the catalog offers ({_offered(context)}).",
            status=status,
            body=body,
            detail=body[:1000],
            **ids,
        )
    if "effort" in detail and any(
        words in detail for words in ("not supported", "unsupported", "invalid")
    ):
        return EffortNotSupported(
            f"The model {model!r} does not accept reasoning effort {context.effort!r}: set "
            "`model_reasoning_effort` to one the model supports (`wishcraft models` lists "
            "them).",
            status=status,
            body=body,
            detail=body[:1000],
            **ids,
        )
    if "instructions are not valid" in answer.body.lower():
        return InstructionsRejected(
            f"The Codex backend rejected the instructions sent for {model}: set "
            "`model_instructions_file` under [conduit] in ~/.config/wishcraft/config.toml (or in "
            "$CODEX_HOME/config.toml) to Codex's official prompt for this model.",
            status=status,
            body=body,
            detail=body[:1000],
            **ids,
        )
    return None


def header_value(headers: Any, *names: str) -> str | None:
    """The first of `names` in response headers or an event's `headers` object, in any case
    (an event may carry a list of values: the first counts)."""
    if isinstance(headers, httpx.Headers):
        for name in names:
            value = text_or_none(headers.get(name))
            if value is not None:
                return value
        return None
    if isinstance(headers, dict):
        for name, value in headers.items():
            if isinstance(name, str) and name.lower() in names:
                if isinstance(value, list) and value:
                    value = value[0]
                return text_or_none(value)
    return None


def served_model(headers: Any) -> str | None:
    """`OpenAI-Model` from response headers, an event's `response.headers` or a
    `response.metadata` event's `headers`, in any case."""
    return header_value(headers, "openai-model", "x-openai-model")


def turn_state(headers: Any) -> str | None:
    """`x-codex-turn-state` from response headers or a `response.metadata` event's `headers`:
    the backend's sticky routing for the rest of the turn."""
    return header_value(headers, TURN_STATE_HEADER)


def models_etag(headers: httpx.Headers) -> str | None:
    """`X-Models-Etag`: the catalog the backend serves now (a different one means refetch)."""
    value = headers.get(MODELS_ETAG_HEADER)
    return value.strip() or None if isinstance(value, str) else None


def metadata_headers(event: StreamEvent) -> dict[str, Any]:
    """The `headers` object of a `response.metadata` event (or of its `response`)."""
    for holder in (event.payload, event.response):
        headers = holder.get("headers")
        if isinstance(headers, dict):
            return headers
    return {}


def failure_error(event: StreamEvent, request_id: str | None, cf_ray: str | None) -> ResponseFailed:
    """Classify a `response.failed` event as Codex does."""
    error = event.response.get("error")
    if not isinstance(error, dict):
        return ResponseFailed(
            "Codex ended the response with a failure; try again.",
            code=None,
            retryable=True,
            request_id=request_id,
            cf_ray=cf_ray,
        )
    code = error.get("code") if isinstance(error.get("code"), str) else None
    text = redact(str(error.get("message") or ""))  # before any cut, see _read_error_body
    if code == CYBER_POLICY:
        return ResponseFailed(
            "OpenAI flagged this request for possible cybersecurity risk; reword the wish "
            "(sending the same request again will not help).",
            code=code,
            detail=text,
            request_id=request_id,
            cf_ray=cf_ray,
        )
    if code in FATAL_FAILURE_CODES:
        return ResponseFailed(
            f"Codex could not plan: {FATAL_FAILURE_CODES[code]}.",
            code=code,
            detail=text,
            request_id=request_id,
            cf_ray=cf_ray,
        )
    delay = None
    if code == "rate_limit_exceeded":
        match = _TRY_AGAIN.search(text)
        if match:
            amount = float(match.group(1))
            delay = amount / 1000 if match.group(2).lower() == "ms" else amount
    return ResponseFailed(
        f"Codex stopped the response ({code or 'no code'}): {text[:200]}; try again later.",
        code=code,
        retry_after=delay,
        retryable=True,
        detail=text,
        request_id=request_id,
        cf_ray=cf_ray,
    )


def error_event_error(
    event: StreamEvent, request_id: str | None, cf_ray: str | None
) -> ConduitError:
    """An SSE `error` event: an error that ends the response, resent at the turn layer (a
    `cyber_policy` one is fatal). Its fields are at the top (`code`, `message`) or in an
    `error` object (the WebSocket shape)."""
    nested = event.payload.get("error")
    source = nested if isinstance(nested, dict) else event.payload
    code = text_or_none(source.get("code")) or text_or_none(source.get("type"))
    if code == "error":
        code = None
    text = redact(str(source.get("message") or ""))
    if code == CYBER_POLICY:
        return ResponseFailed(
            "OpenAI flagged this request for possible cybersecurity risk; reword the wish "
            "(sending the same request again will not help).",
            code=code,
            detail=text,
            request_id=request_id,
            cf_ray=cf_ray,
        )
    if code in FATAL_FAILURE_CODES:
        return ResponseFailed(
            f"Codex could not plan: {FATAL_FAILURE_CODES[code]}.",
            code=code,
            detail=text,
            request_id=request_id,
            cf_ray=cf_ray,
        )
    return StreamErrorEvent(
        f"Codex sent an error in the stream ({code or 'no code'}): {text[:200] or 'no message'}; "
        "try again, and if it persists look at the request with `wishcraft plan -v`.",
        code=code,
        detail=text,
        request_id=request_id,
        cf_ray=cf_ray,
    )
