"""The ChatGPT login the Codex CLI keeps in `$CODEX_HOME/auth.json`, and its refresh.

Refresh tokens are single-use and the Codex CLI may refresh the same file at any time, so a
refresh takes a file lock, re-reads the file, adopts tokens another process already refreshed,
and only then calls the token endpoint; the result is written back atomically (temporary
file, fsync, rename, mode 0600), keeping every field we do not own.
"""

from __future__ import annotations

import base64
import json
import logging
import os
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
from filelock import AsyncFileLock

from ..fileio import write_atomically
from .errors import LoginMissing, RefreshFailed, TransportError

logger = logging.getLogger(__name__)

CLIENT_ID = "app_EMoamEEZ73f0CkXaXp7hrann"
DEFAULT_REFRESH_URL = "https://auth.openai.com/oauth/token"
AUTH_CLAIMS = "https://api.openai.com/auth"
PERMANENT_REFRESH_ERRORS = {
    "refresh_token_expired": "your Codex login has expired",
    "refresh_token_reused": "your Codex login was refreshed elsewhere and is no longer valid",
    "refresh_token_invalidated": "your Codex login was revoked",
}
LOCK_TIMEOUT_SECONDS = 30.0


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
        claims = json.loads(base64.urlsafe_b64decode(payload))
    except (ValueError, json.JSONDecodeError):
        return {}
    return claims if isinstance(claims, dict) else {}


def token_expired(token: str, now: float | None = None) -> bool:
    """Whether a JWT's `exp` has passed (no margin, as Codex since 2026-03)."""
    exp = jwt_claims(token).get("exp")
    if not isinstance(exp, int | float):
        return False
    return exp <= (time.time() if now is None else now)


@dataclass(slots=True)
class CodexAuth:
    """The tokens of a ChatGPT login. `repr` never shows them."""

    path: Path
    access_token: str = field(repr=False)
    refresh_token: str | None = field(repr=False)
    id_token: str | None = field(repr=False)
    account_id: str | None

    def needs_refresh(self, now: float | None = None) -> bool:
        """Whether the access token has expired."""
        return token_expired(self.access_token, now)


LOGIN_HINT = "run `codex login`, or plan offline with --shadow"


def load_auth(home: Path) -> CodexAuth:
    """Read `auth.json` under `home`; a missing or broken file is one clear `LoginMissing`."""
    path = home / "auth.json"
    try:
        raw = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise LoginMissing(f"No Codex login found at {path}: {LOGIN_HINT}.") from None
    except OSError as exc:
        raise LoginMissing(f"Cannot read the Codex login at {path} ({exc.strerror}): "
                           f"{LOGIN_HINT}.") from None
    return parse_auth(raw, path)


def parse_auth(raw: str, path: Path) -> CodexAuth:
    """Read the tokens out of auth.json text."""
    try:
        data = json.loads(raw)
    except json.JSONDecodeError:
        raise LoginMissing(f"The Codex login at {path} is not valid JSON: {LOGIN_HINT}.") from None
    tokens = data.get("tokens") if isinstance(data, dict) else None
    if not isinstance(tokens, dict) or not isinstance(tokens.get("access_token"), str):
        mode = data.get("auth_mode") if isinstance(data, dict) else None
        extra = " (it holds an API key login, not a ChatGPT one)" if mode == "apikey" else ""
        raise LoginMissing(f"The Codex login at {path} has no ChatGPT tokens{extra}: "
                           f"{LOGIN_HINT}.")
    id_token = tokens.get("id_token") if isinstance(tokens.get("id_token"), str) else None
    account_id = tokens.get("account_id")
    if not isinstance(account_id, str) or not account_id:
        claims = jwt_claims(id_token).get(AUTH_CLAIMS)
        account_id = claims.get("chatgpt_account_id") if isinstance(claims, dict) else None
    refresh = tokens.get("refresh_token")
    return CodexAuth(path=path, access_token=tokens["access_token"],
                     refresh_token=refresh if isinstance(refresh, str) else None,
                     id_token=id_token,
                     account_id=account_id if isinstance(account_id, str) else None)


def _write_tokens(path: Path, fresh: dict[str, Any]) -> None:
    """Merge refreshed tokens into auth.json, keeping every field we do not own."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError):
        data = {}
    if not isinstance(data, dict):
        data = {}
    stored = data.get("tokens")
    tokens: dict[str, Any] = stored if isinstance(stored, dict) else {}
    for key in ("id_token", "access_token", "refresh_token"):
        if isinstance(fresh.get(key), str) and fresh[key]:
            tokens[key] = fresh[key]
    data["tokens"] = tokens
    data["last_refresh"] = datetime.now(UTC).isoformat().replace("+00:00", "Z")
    write_atomically(path, json.dumps(data, indent=2) + "\n", mode=0o600)


def _refresh_error(response: httpx.Response) -> RefreshFailed:
    try:
        body = response.json()
    except ValueError:
        body = {}
    code = None
    if isinstance(body, dict):
        error = body.get("error")
        code = (error.get("code") if isinstance(error, dict) else error
                if isinstance(error, str) else body.get("code"))
    permanent = response.status_code == 401 or code in PERMANENT_REFRESH_ERRORS
    reason = str(code or f"status {response.status_code}")
    if permanent:
        why = PERMANENT_REFRESH_ERRORS.get(str(code), "the Codex login was refused")
        return RefreshFailed(f"Could not refresh the Codex login: {why}; run `codex login`.",
                             reason=reason, permanent=True,
                             detail=f"token endpoint answered {response.status_code}: {reason}")
    return RefreshFailed(
        f"Could not refresh the Codex login (the token endpoint answered "
        f"{response.status_code}); try again shortly.", reason=reason, permanent=False,
        detail=response.text[:500])


async def refresh_auth(current: CodexAuth, client: httpx.AsyncClient, *, url: str,
                       headers: dict[str, str]) -> CodexAuth:
    """Refresh the login under a file lock; adopt tokens another process already refreshed."""
    lock = AsyncFileLock(str(current.path) + ".lock", timeout=LOCK_TIMEOUT_SECONDS)
    async with lock:
        stored = load_auth(current.path.parent)
        if stored.account_id and current.account_id and stored.account_id != current.account_id:
            raise RefreshFailed("The Codex login changed to another account while planning; "
                                "plan again.", reason="account_changed", permanent=True)
        if stored.access_token != current.access_token and not stored.needs_refresh():
            logger.info("adopting the Codex tokens another process refreshed")
            return stored
        if not stored.refresh_token:
            raise RefreshFailed(f"The Codex login at {stored.path} has no refresh token; "
                                "run `codex login`.", reason="no_refresh_token", permanent=True)
        body = {"client_id": CLIENT_ID, "grant_type": "refresh_token",
                "refresh_token": stored.refresh_token}
        try:
            response = await client.post(url, json=body, headers=headers)
        except httpx.HTTPError as exc:
            raise TransportError(f"Could not reach the Codex token endpoint "
                                 f"({type(exc).__name__}); check the network and try again.",
                                 detail=repr(exc)) from None
        if response.status_code != 200:
            raise _refresh_error(response)
        try:
            fresh = response.json()
        except ValueError:
            raise RefreshFailed("The Codex token endpoint sent an unreadable answer; try again.",
                                reason="bad_json", permanent=False) from None
        if not isinstance(fresh, dict):
            fresh = {}
        _write_tokens(stored.path, fresh)
        logger.info("refreshed the Codex login at %s", stored.path)
        return load_auth(stored.path.parent)
