"""Every way a call to Codex can fail, as one exception tree.

    ConduitError                  one clear sentence for the user (`str(error)`), details for
    ├── ConduitConfigError        the log (`error.detail`), and the request's ids when known
    ├── AuthError
    │   ├── LoginMissing          no, unreadable or malformed auth.json
    │   └── RefreshFailed         the refresh token was refused (expired, reused, revoked)
    ├── TransportError            network error or timeout before a response (retried)
    ├── HTTPStatusError           the backend answered with an error status
    │   ├── RedirectRefused       3xx: never followed, so the login never leaves the origin
    │   ├── EndpointNotFound      404: the URL is named; nothing is sent anywhere else
    │   ├── InstructionsRejected  400 "Instructions are not valid"
    │   ├── ModelNotSupported     400: a retired model, or one the login may not use
    │   ├── ClientTooOld          400: the model needs a newer Codex than the version sent
    │   ├── EffortNotSupported    400: the model refuses the reasoning effort
    │   ├── CyberPolicyRefused    400 cyber_policy (fatal)
    │   ├── RateLimited           429 other than a usage limit (turn retries; Retry-After said)
    │   ├── UsageLimitReached     429 usage_limit_reached / usage_not_included (fatal)
    │   └── ServerOverloaded      503 server_is_overloaded / slow_down (request retries only)
    └── StreamError               the SSE stream itself went wrong
        ├── StreamOverflow        a line or event longer than the parser buffers
        ├── ResponseFailed        a `response.failed` event, with its code
        ├── StreamErrorEvent      an SSE `error` event, with its code (turn retries)
        └── ResponseIncomplete    a `response.incomplete` event, with its reason

Which of them are retried is codex-rs's classification (`answers.py`), and how often and after
how long is `retry.py`'s one policy: `request_retryable` errors are resent by the request
layer (5 requests in all), `retryable` ones by the turn layer (each turn again with its
request retries).

Every constructor takes the sentence first and everything else by keyword, as httpx's
exceptions do (`HTTPStatusError(message, *, status=…, body=…)`), so a raise site names each
field it fills and a type checker sees them all.

httpx exceptions become this tree where a request is sent and nowhere else: `client.py` for
Codex, `auth.py` for the token endpoint (a stream that breaks off once its answer has begun is
an incomplete answer, not an error: `stream.py`). No message
or detail ever holds a token: `redact` removes the tokens this process has read and anything
that looks like one. Neither is unbounded: the backend's text is capped (`cap_text`), the
detail at 2 KiB and the sentence at 8 KiB.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import TypedDict

from wishcraft.redaction import ERROR_TEXT_CAP, cap_text, redact


class RequestIds(TypedDict):
    """The ids of one answer, for the log and the bug report (`**ids` fills both fields)."""

    request_id: str | None
    cf_ray: str | None


class ConduitError(Exception):
    """A planning call failed; `str()` is one sentence that names the fix."""

    retryable = False
    """Whether the turn layer sends the request again (codex-rs `is_retryable`)."""
    request_retryable = False
    """Whether the request layer resends at once (5xx and network errors, as codex-rs)."""

    def __init__(
        self,
        message: str,
        *,
        detail: str = "",
        request_id: str | None = None,
        cf_ray: str | None = None,
    ) -> None:
        """Keep the sentence for the user and the detail (redacted, capped) for the log."""
        super().__init__(cap_text(redact(message), 4 * ERROR_TEXT_CAP))
        self.detail = cap_text(redact(detail))
        self.request_id = request_id
        self.cf_ray = cf_ray

    def ids(self) -> str:
        """`request id …, cf-ray …` for logs, or an empty string."""
        parts = []
        if self.request_id:
            parts.append(f"request id {self.request_id}")
        if self.cf_ray:
            parts.append(f"cf-ray {self.cf_ray}")
        return ", ".join(parts)


class ConduitConfigError(ConduitError):
    """A configuration value is invalid."""


class AuthError(ConduitError):
    """The Codex login cannot be used."""


class LoginMissing(AuthError):
    """There is no usable `auth.json`."""


class RefreshFailed(AuthError):
    """The refresh token was refused; only `codex login` helps."""

    def __init__(self, message: str, *, reason: str, permanent: bool, detail: str = "") -> None:
        """Remember why the refresh failed and whether retrying can help."""
        super().__init__(message, detail=detail)
        self.reason = reason
        self.permanent = permanent


class TransportError(ConduitError):
    """The network failed before a response arrived."""

    retryable = True
    request_retryable = True


class HTTPStatusError(ConduitError):
    """The backend answered with an error status."""

    def __init__(
        self,
        message: str,
        *,
        status: int,
        body: str = "",
        detail: str = "",
        request_id: str | None = None,
        cf_ray: str | None = None,
    ) -> None:
        """Keep the status and (redacted, shortened) body."""
        super().__init__(message, detail=detail, request_id=request_id, cf_ray=cf_ray)
        self.status = status
        self.body = redact(body[:1000])
        self.request_retryable = status >= 500
        self.retryable = status >= 500 and not isinstance(self, ServerOverloaded)


class RedirectRefused(HTTPStatusError):
    """The backend answered with a redirect, which we never follow."""

    def __init__(
        self,
        message: str,
        *,
        location: str,
        status: int,
        body: str = "",
        detail: str = "",
        request_id: str | None = None,
        cf_ray: str | None = None,
    ) -> None:
        """Remember where the redirect pointed (redacted)."""
        super().__init__(
            message,
            status=status,
            body=body,
            detail=detail,
            request_id=request_id,
            cf_ray=cf_ray,
        )
        self.location = redact(location)


class EndpointNotFound(HTTPStatusError):
    """404: the base URL is wrong (no other endpoint is tried)."""


class InstructionsRejected(HTTPStatusError):
    """The backend refused the instructions sent."""


class ModelNotSupported(HTTPStatusError):
    """The model is retired, or not served to this kind of login."""


class ClientTooOld(HTTPStatusError):
    """The model needs a newer Codex client version than the one presented."""


class EffortNotSupported(HTTPStatusError):
    """The model refuses the reasoning effort sent."""


class CyberPolicyRefused(HTTPStatusError):
    """The request was flagged for possible cybersecurity risk; resending it cannot help."""


class RateLimited(HTTPStatusError):
    """Too many requests (not a usage limit). Codex 0.171.0 resends it at the turn layer only
    (5 times, each after the `Retry-After`; measured); `retry_after` seconds is what the backend
    asked for, waited for between turns and said in the sentence."""

    def __init__(
        self,
        message: str,
        *,
        retry_after: float | None,
        status: int,
        body: str = "",
        detail: str = "",
        request_id: str | None = None,
        cf_ray: str | None = None,
    ) -> None:
        """Remember how long the backend asked us to wait."""
        super().__init__(
            message,
            status=status,
            body=body,
            detail=detail,
            request_id=request_id,
            cf_ray=cf_ray,
        )
        self.retry_after = retry_after
        self.retryable = True


class UsageLimitReached(HTTPStatusError):
    """The ChatGPT plan's Codex usage is used up until `resets_at`."""

    def __init__(
        self,
        message: str,
        *,
        resets_at: datetime | None,
        plan_type: str | None,
        status: int,
        body: str = "",
        detail: str = "",
        request_id: str | None = None,
        cf_ray: str | None = None,
    ) -> None:
        """Remember when the limit resets and on which plan."""
        super().__init__(
            message,
            status=status,
            body=body,
            detail=detail,
            request_id=request_id,
            cf_ray=cf_ray,
        )
        self.resets_at = resets_at
        self.plan_type = plan_type


class ServerOverloaded(HTTPStatusError):
    """The model is at capacity."""


class StreamError(ConduitError):
    """The event stream broke its protocol."""


class StreamOverflow(StreamError):
    """A line or an event of the stream passed the parser's limit; the stream was stopped."""


class ResponseFailed(StreamError):
    """The backend ended the response with `response.failed`."""

    def __init__(
        self,
        message: str,
        *,
        code: str | None,
        retry_after: float | None = None,
        retryable: bool = False,
        detail: str = "",
        request_id: str | None = None,
        cf_ray: str | None = None,
    ) -> None:
        """Remember the error code and whether a retry may help."""
        super().__init__(message, detail=detail, request_id=request_id, cf_ray=cf_ray)
        self.code = code
        self.retry_after = retry_after
        self.retryable = retryable


class StreamErrorEvent(StreamError):
    """The stream carried an `error` event: the response ends there. Sent again at the turn
    layer, as Codex 0.171.0 does (to it the stream closed before `response.completed`)."""

    retryable = True

    def __init__(
        self,
        message: str,
        *,
        code: str | None,
        detail: str = "",
        request_id: str | None = None,
        cf_ray: str | None = None,
    ) -> None:
        """Remember the event's error code."""
        super().__init__(message, detail=detail, request_id=request_id, cf_ray=cf_ray)
        self.code = code


class ResponseIncomplete(StreamError):
    """The backend ended the response with `response.incomplete`."""

    def __init__(
        self,
        message: str,
        *,
        reason: str | None,
        detail: str = "",
        request_id: str | None = None,
        cf_ray: str | None = None,
    ) -> None:
        """Remember why the response is incomplete."""
        super().__init__(message, detail=detail, request_id=request_id, cf_ray=cf_ray)
        self.reason = reason


def describe_reset(resets_at: datetime | None, now: datetime | None = None) -> str:
    """Say when a usage limit resets, in words: `in 1 hour 30 minutes (at 14:00 UTC)`."""
    if resets_at is None:
        return "later"
    now = now or datetime.now(UTC)
    seconds = max(0, int((resets_at - now).total_seconds()))
    hours, rest = divmod(seconds, 3600)
    minutes = rest // 60
    parts = []
    if hours:
        parts.append(f"{hours} hour{'s' if hours != 1 else ''}")
    if minutes or not hours:
        parts.append(f"{minutes} minute{'s' if minutes != 1 else ''}")
    return f"in {' '.join(parts)} (at {resets_at.strftime('%Y-%m-%d %H:%M UTC')})"
