"""The ChatGPT login the Codex CLI keeps in `$CODEX_HOME/auth.json`, and its refresh.

Refresh tokens are single-use and the Codex CLI may refresh the same file at any time, so a
refresh takes a file lock (`auth.json.lock` beside it, `flock`), re-reads the file, adopts
tokens another process already refreshed, and only then calls the token endpoint. Before the
result is written back, the file is read once more: the Codex CLI does not take our lock, so
if the login changed during the call (a `codex login`), the newer login is kept and ours is
dropped. The write is atomic (temporary file, fsync, rename, mode 0600) and keeps every field
we do not own; a temporary left by a crash is removed by the next refresh, under the lock.
Every token read is remembered so that `secrets.scrub` keeps it out of messages and files.
"""

from __future__ import annotations

import asyncio
import base64
import json
import logging
import os
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import httpx
from filelock import AsyncFileLock, Timeout

from wishcraft.conduit.errors import LoginMissing, RefreshFailed, TransportError
from wishcraft.conduit.retry import REREAD_SCHEDULE, next_delay
from wishcraft.conduit.sse import loads
from wishcraft.fileio import remove_stale_temporaries, write_atomically
from wishcraft.redaction import protect_logger, redact, remember_secrets
from wishcraft.timestamps import codex_timestamp, parse_rfc3339

logger = protect_logger(logging.getLogger(__name__))

CLIENT_ID = "app_EMoamEEZ73f0CkXaXp7hrann"
DEFAULT_REFRESH_URL = "https://auth.openai.com/oauth/token"
AUTH_CLAIMS = "https://api.openai.com/auth"
PERMANENT_REFRESH_ERRORS = {
    "invalid_grant": "the token endpoint no longer accepts your Codex login",
    "refresh_token_expired": "your Codex login has expired",
    "refresh_token_reused": "your Codex login was refreshed elsewhere and is no longer valid",
    "refresh_token_invalidated": "your Codex login was revoked",
}
LOCK_TIMEOUT_SECONDS = 30.0

AuthMode = Literal["chatgpt", "apikey"]


def codex_home(env: dict[str, str] | os._Environ[str] | None = None) -> Path:
    """`$CODEX_HOME`, or `~/.codex`."""
    env = os.environ if env is None else env
    value = env.get("CODEX_HOME")
    return Path(value).expanduser() if value else Path.home() / ".codex"


def refresh_url(env: dict[str, str] | os._Environ[str] | None = None) -> str:
    """The token endpoint; `CODEX_REFRESH_TOKEN_URL_OVERRIDE` replaces it, as in Codex."""
    env = os.environ if env is None else env
    return env.get("CODEX_REFRESH_TOKEN_URL_OVERRIDE") or DEFAULT_REFRESH_URL


def jwt_claims(token: str | None) -> dict[str, Any]:
    """Decode a JWT's payload without verifying it; {} when it is not a JWT."""
    if not token:
        return {}
    parts = token.split(".")
    if len(parts) != 3 or not all(parts):
        return {}
    payload = parts[1] + "=" * (-len(parts[1]) % 4)
    try:
        claims = loads(base64.urlsafe_b64decode(payload))
    except ValueError:
        return {}
    return claims if isinstance(claims, dict) else {}


REFRESH_MARGIN_SECONDS = 300.0
"""Codex 0.169.0 refreshes when the access token expires within five minutes (measured: 120,
240 and 300 s ahead refreshed; 420 s did not)."""
REFRESH_AFTER_SECONDS = 8 * 24 * 3600.0
"""When the token's `exp` is unknown, Codex refreshes eight days after `last_refresh`."""


def token_expires_soon(token: str, now: float | None = None) -> bool | None:
    """Whether a JWT's `exp` falls within `REFRESH_MARGIN_SECONDS`; None when it has none."""
    exp = jwt_claims(token).get("exp")
    if isinstance(exp, bool) or not isinstance(exp, int | float):
        return None
    return exp - REFRESH_MARGIN_SECONDS <= (time.time() if now is None else now)


def parse_timestamp(value: object) -> float | None:
    """An RFC 3339 time as Codex writes it (nanoseconds allowed) in Unix seconds, or None."""
    parsed = parse_rfc3339(value)
    return parsed.timestamp() if parsed is not None else None


@dataclass(slots=True)
class CodexAuth:
    """The tokens of a ChatGPT login. `repr` never shows them."""

    path: Path
    access_token: str = field(repr=False)
    refresh_token: str | None = field(repr=False)
    id_token: str | None = field(repr=False)
    account_id: str | None
    last_refresh: float | None = None
    mode: AuthMode = "chatgpt"
    source: str = "auth.json"
    """Where the login came from, in words: `~/.codex/auth.json` or `OPENAI_API_KEY`."""

    @property
    def is_api_key(self) -> bool:
        """Whether this is an API key (the public Responses API) rather than a ChatGPT login."""
        return self.mode == "apikey"

    def needs_refresh(self, now: float | None = None) -> bool:
        """Whether to refresh before sending, as Codex decides: the access token expires
        within five minutes, or, its `exp` unknown, the last refresh is eight days old."""
        if self.is_api_key:
            return False
        soon = token_expires_soon(self.access_token, now)
        if soon is not None:
            return soon
        if self.last_refresh is None:
            return False
        return (time.time() if now is None else now) - self.last_refresh >= REFRESH_AFTER_SECONDS


LOGIN_HINT = "run `codex login`, or plan offline with --shadow"


def load_auth(home: Path) -> CodexAuth:
    """Read `auth.json` under `home`; a missing or broken file is one clear `LoginMissing`."""
    path = home / "auth.json"
    try:
        raw = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise LoginMissing(f"No Codex login found at {path}: {LOGIN_HINT}.") from None
    except OSError as exc:
        raise LoginMissing(
            f"Cannot read the Codex login at {path} ({exc.strerror}): {LOGIN_HINT}."
        ) from None
    return parse_auth(raw, path)


def parse_auth(raw: str, path: Path) -> CodexAuth:
    """Read the tokens out of auth.json text."""
    data = loads(raw)
    if data is None:
        raise LoginMissing(f"The Codex login at {path} is not valid JSON: {LOGIN_HINT}.")
    tokens = data.get("tokens") if isinstance(data, dict) else None
    if not isinstance(tokens, dict) or not isinstance(tokens.get("access_token"), str):
        mode = data.get("auth_mode") if isinstance(data, dict) else None
        extra = " (its API-key login holds no key)" if mode == "apikey" else ""
        raise LoginMissing(f"The Codex login at {path} has no ChatGPT tokens{extra}: {LOGIN_HINT}.")
    id_token = tokens.get("id_token") if isinstance(tokens.get("id_token"), str) else None
    account_id = tokens.get("account_id")
    if not isinstance(account_id, str) or not account_id:
        claims = jwt_claims(id_token).get(AUTH_CLAIMS)
        account_id = claims.get("chatgpt_account_id") if isinstance(claims, dict) else None
    refresh = tokens.get("refresh_token")
    remember_secrets(tokens.get("access_token"), refresh, id_token, account_id)
    return CodexAuth(
        path=path,
        access_token=tokens["access_token"],
        refresh_token=refresh if isinstance(refresh, str) else None,
        id_token=id_token,
        account_id=account_id if isinstance(account_id, str) else None,
        last_refresh=parse_timestamp(data.get("last_refresh")),
        source=str(path),
    )


def _api_key_of(data: Any) -> str | None:
    """The key of an API-key login in auth.json (what `codex login --with-api-key` writes):
    `auth_mode: "apikey"`, or no `auth_mode`, no tokens and a key, as Codex resolves it."""
    if not isinstance(data, dict):
        return None
    key = data.get("OPENAI_API_KEY")
    if not isinstance(key, str) or not key:
        return None
    mode = data.get("auth_mode")
    if mode == "apikey" or (mode is None and not isinstance(data.get("tokens"), dict)):
        return key
    return None


def load_login(home: Path, env: dict[str, str] | os._Environ[str] | None = None) -> CodexAuth:
    """The login to plan with: a ChatGPT login in auth.json, else its API key, else the
    `OPENAI_API_KEY` environment variable. A ChatGPT login wins over a key in the environment;
    with none of them, the `LoginMissing` of auth.json."""
    env = os.environ if env is None else env
    path = home / "auth.json"
    try:
        raw = path.read_text(encoding="utf-8")
    except OSError:
        raw = None
    data = loads(raw) if raw is not None else None
    stored_key = _api_key_of(data)
    if stored_key is not None:
        remember_secrets(stored_key)
        return CodexAuth(
            path=path,
            access_token=stored_key,
            refresh_token=None,
            id_token=None,
            account_id=None,
            mode="apikey",
            source=str(path),
        )
    try:
        return load_auth(home)
    except LoginMissing:
        key = env.get("OPENAI_API_KEY")
        if not key:
            raise
    remember_secrets(key)
    return CodexAuth(
        path=path,
        access_token=key,
        refresh_token=None,
        id_token=None,
        account_id=None,
        mode="apikey",
        source="OPENAI_API_KEY",
    )


TOKEN_KEYS = ("access_token", "refresh_token", "id_token", "account_id")
REFRESH_BODY_BYTES = 256 * 1024
"""The most of a token endpoint answer we read: three JWTs are a few KiB."""
REFRESH_SECONDS = 60.0
"""The longest a token refresh may take, answer included."""


def _read_json(path: Path) -> dict[str, Any] | None:
    """auth.json as a dict; None when it is missing; raise ValueError when it is not JSON."""
    try:
        raw = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return None
    data = loads(raw)
    if not isinstance(data, dict):
        raise ValueError("auth.json is not a JSON object")
    return data


def _tokens_of(data: dict[str, Any]) -> tuple[Any, ...]:
    tokens = data.get("tokens")
    return tuple(tokens.get(key) for key in TOKEN_KEYS) if isinstance(tokens, dict) else ()


def _merge_tokens(data: dict[str, Any], fresh: dict[str, Any]) -> dict[str, Any]:
    """`data` with the refreshed tokens and a new `last_refresh`; every other field is kept."""
    merged = dict(data)
    stored = data.get("tokens")
    tokens: dict[str, Any] = dict(stored) if isinstance(stored, dict) else {}
    for key in ("id_token", "access_token", "refresh_token"):
        if isinstance(fresh.get(key), str) and fresh[key]:
            tokens[key] = fresh[key]
    merged["tokens"] = tokens
    merged["last_refresh"] = codex_timestamp()
    return merged


async def _reread(path: Path) -> tuple[dict[str, Any] | None, bool]:
    """Read auth.json again, waiting out a writer that is half way; (data, readable)."""
    retry = 0
    while True:
        try:
            return _read_json(path), True
        except (OSError, ValueError):
            retry += 1
            pause = next_delay(REREAD_SCHEDULE, retry)
            if pause is None:
                return None, False
            await asyncio.sleep(pause)


async def _store_refreshed(
    stored: CodexAuth, snapshot: dict[str, Any], fresh: dict[str, Any]
) -> CodexAuth:
    """Write the refreshed tokens back, unless another program changed the login meanwhile.

    The file is read again just before the write: if its tokens are no longer the ones we
    refreshed (`codex login` ran, or the Codex CLI refreshed without our lock), the newer
    login wins and our tokens are dropped. If it is unreadable even after waiting, it is
    rebuilt from the snapshot read under the lock, so every field we do not own survives.
    """
    path = stored.path
    latest, readable = await _reread(path)
    if readable and latest is None:
        raise LoginMissing(
            f"The Codex login at {path} was removed while it was being refreshed: {LOGIN_HINT}."
        )
    if latest is not None and _tokens_of(latest) != _tokens_of(snapshot):
        logger.info("auth.json changed while refreshing; keeping the newer login")
        return parse_auth(json.dumps(latest), path)
    if latest is None:
        logger.warning(
            "auth.json became unreadable while refreshing; rewriting it from the "
            "copy read before the refresh"
        )
    merged = _merge_tokens(latest if latest is not None else snapshot, fresh)
    try:
        write_atomically(path, json.dumps(merged, indent=2) + "\n", mode=0o600)
    except OSError as exc:
        # The old refresh token is spent; the new tokens still serve this request.
        logger.warning(
            "could not save the refreshed Codex login to %s (%s); the next "
            "refresh will ask for `codex login`",
            path,
            exc.strerror or exc,
        )
    logger.info("refreshed the Codex login at %s", path)
    return parse_auth(json.dumps(merged), path)


def _refresh_error(status: int, text: str) -> RefreshFailed:
    text = redact(text)  # whole, before any cut: a token cut in two escapes the patterns
    body = loads(text)
    code = None
    if isinstance(body, dict):
        error = body.get("error")
        code = (
            error.get("code")
            if isinstance(error, dict)
            else error
            if isinstance(error, str)
            else body.get("code")
        )
    if 300 <= status < 400:
        return RefreshFailed(
            f"The Codex token endpoint answered with a redirect ({status}), which is not "
            "followed so the refresh token never leaves it; check "
            "CODEX_REFRESH_TOKEN_URL_OVERRIDE and any proxy.",
            reason=f"redirect {status}",
            permanent=False,
            detail=text[:500],
        )
    permanent = (
        status == 401
        or code in PERMANENT_REFRESH_ERRORS
        or (status == 400 and code == "invalid_grant")
    )
    reason = str(code or f"status {status}")
    if permanent:
        why = PERMANENT_REFRESH_ERRORS.get(str(code), "the Codex login was refused")
        return RefreshFailed(
            f"Could not refresh the Codex login: {why}; run `codex login`.",
            reason=reason,
            permanent=True,
            detail=f"token endpoint answered {status}: {reason}",
        )
    return RefreshFailed(
        f"Could not refresh the Codex login (the token endpoint answered "
        f"{status}); try again shortly.",
        reason=reason,
        permanent=False,
        detail=text[:500],
    )


async def _post_refresh(
    client: httpx.AsyncClient, url: str, body: dict[str, str], headers: dict[str, str]
) -> tuple[int, str]:
    """POST to the token endpoint; read at most `REFRESH_BODY_BYTES` of the answer."""
    try:
        async with asyncio.timeout(REFRESH_SECONDS):
            async with client.stream("POST", url, json=body, headers=headers) as response:
                data = bytearray()
                async for chunk in response.aiter_bytes():
                    data += chunk[: REFRESH_BODY_BYTES - len(data)]
                    if len(data) >= REFRESH_BODY_BYTES:
                        break
                return response.status_code, data.decode("utf-8", "replace")
    except (httpx.HTTPError, TimeoutError) as exc:
        raise TransportError(
            f"Could not reach the Codex token endpoint "
            f"({type(exc).__name__}); check the network and try again.",
            detail=repr(exc),
        ) from None


RefreshReason = Literal["proactive_expiry", "unauthorized_recovery"]


async def refresh_auth(
    current: CodexAuth,
    client: httpx.AsyncClient,
    *,
    url: str,
    headers: dict[str, str],
    reason: RefreshReason = "proactive_expiry",
) -> CodexAuth:
    """Refresh the login under a file lock; adopt tokens another process already refreshed.

    `reason` goes in the body as Codex sends it: `proactive_expiry` before a request,
    `unauthorized_recovery` after a 401."""
    lock = AsyncFileLock(str(current.path) + ".lock", timeout=LOCK_TIMEOUT_SECONDS)
    try:
        await lock.acquire()
    except Timeout:
        raise RefreshFailed(
            f"Another program has been refreshing the Codex login for "
            f"{LOCK_TIMEOUT_SECONDS:g} s (it holds {lock.lock_file}); try "
            "again in a moment.",
            reason="lock_timeout",
            permanent=False,
        ) from None
    except OSError as exc:
        raise RefreshFailed(
            f"Cannot lock the Codex login for its refresh ({lock.lock_file}: "
            f"{exc.strerror or exc}); check that folder's permissions.",
            reason="lock_failed",
            permanent=False,
        ) from None
    try:
        return await _refresh_locked(current, client, url=url, headers=headers, reason=reason)
    finally:
        await lock.release()


async def _refresh_locked(
    current: CodexAuth,
    client: httpx.AsyncClient,
    *,
    url: str,
    headers: dict[str, str],
    reason: RefreshReason,
) -> CodexAuth:
    # Under the lock nobody else writes auth.json through us: a temporary is a crash's leftover.
    remove_stale_temporaries(current.path)
    snapshot, _ = await _reread(current.path)
    if snapshot is None:
        load_auth(current.path.parent)  # raises the clear error: missing or broken
        raise LoginMissing(f"The Codex login at {current.path} cannot be read: {LOGIN_HINT}.")
    stored = parse_auth(json.dumps(snapshot), current.path)
    if stored.account_id and current.account_id and stored.account_id != current.account_id:
        raise RefreshFailed(
            "The Codex login changed to another account while planning; plan again.",
            reason="account_changed",
            permanent=True,
        )
    if stored.access_token != current.access_token and (
        reason == "unauthorized_recovery" or not stored.needs_refresh()
    ):
        logger.info("adopting the Codex tokens another process refreshed")
        return stored
    if not stored.refresh_token:
        raise RefreshFailed(
            f"The Codex login at {stored.path} has no refresh token; run `codex login`.",
            reason="no_refresh_token",
            permanent=True,
        )
    body = {
        "client_id": CLIENT_ID,
        "grant_type": "refresh_token",
        "refresh_reason": reason,
        "refresh_token": stored.refresh_token,
    }
    status, text = await _post_refresh(client, url, body, headers)
    if status != 200:
        raise _refresh_error(status, text)
    fresh = loads(text)
    if not isinstance(fresh, dict):
        raise RefreshFailed(
            "The Codex token endpoint sent an unreadable answer; try again.",
            reason="bad_json",
            permanent=False,
        )
    remember_secrets(*(fresh.get(key) for key in ("access_token", "refresh_token", "id_token")))
    return await _store_refreshed(stored, snapshot, fresh)
