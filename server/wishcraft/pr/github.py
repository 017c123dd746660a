"""The GitHub side of a pull request: the token, and one REST call that opens the request.

The token comes from `GH_TOKEN`, else `GITHUB_TOKEN`, else `gh auth token` when the GitHub CLI
is installed (the same order `gh` itself uses). It is remembered by `redaction` as soon as it
is read, so every message, log line, commit and ledger line is scrubbed of it.

The request is `POST {GITHUB_API_URL or https://api.github.com}/repos/{owner}/{repo}/pulls`
with GitHub's media type and API version headers. Redirects are never followed: a redirect
would carry the `Authorization` header to wherever it points. Each failure is one sentence
(`PrFailed`): the token refused (401/403), a validation error (422, quoting GitHub's message
and each error's), another status, the network, or no answer within the deadline.

Bounded, whatever the server does: httpx's timeouts are per phase (a server that sends one
byte every few seconds never trips a read timeout), so the whole call (connect, send, the
answer's headers and body) runs under one total deadline, `DEADLINE_SECONDS`, and is
cancelled when it passes. The answer is read up to `MAX_ANSWER_BYTES` (a pull request's JSON
is tens of KB), and GitHub's words are quoted up to `redaction.ERROR_TEXT_CAP` characters.
"""

from __future__ import annotations

import asyncio
import json
import logging
import shutil
import subprocess
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import httpx

from wishcraft.pr.errors import PrFailed, PrRefused
from wishcraft.redaction import (
    cap_text,
    protect_http_loggers,
    protect_logger,
    redact,
    remember_secrets,
)

DEFAULT_API_URL = "https://api.github.com"
API_VERSION = "2022-11-28"
MEDIA_TYPE = "application/vnd.github+json"
TOKEN_VARIABLES = ("GH_TOKEN", "GITHUB_TOKEN")
GH_TIMEOUT_SECONDS = 10.0
DEADLINE_SECONDS = 30.0
"""The whole GitHub call, connect to the answer's last byte; the API answers in about 1 s."""
MAX_ANSWER_BYTES = 1024 * 1024
"""The most of an answer read: a pull request's JSON is tens of KB."""

log = protect_logger(logging.getLogger("wishcraft.pr"))


@dataclass(frozen=True, slots=True)
class Token:
    """A GitHub token and where it came from (`GH_TOKEN`, `GITHUB_TOKEN` or `gh auth token`)."""

    value: str
    source: str

    def __repr__(self) -> str:
        """Never the value."""
        return f"Token(source={self.source!r})"


def resolve_token(environ: Mapping[str, str]) -> Token:
    """The token to push and open the pull request with; refuses when there is none."""
    for name in TOKEN_VARIABLES:
        value = environ.get(name, "").strip()
        if value:
            remember_secrets(value)
            return Token(value, name)
    gh = shutil.which("gh", path=environ.get("PATH"))
    if gh is not None:
        try:
            done = subprocess.run(
                [gh, "auth", "token"],
                capture_output=True,
                text=True,
                timeout=GH_TIMEOUT_SECONDS,
                env=dict(environ),
                check=False,
            )
        except (OSError, subprocess.SubprocessError) as error:
            log.info("gh auth token failed: %s", error)
        else:
            value = done.stdout.strip()
            if done.returncode == 0 and value and "\n" not in value:
                remember_secrets(value)
                return Token(value, "gh auth token")
            log.info("gh auth token exited %d: %s", done.returncode, redact(done.stderr))
    raise PrRefused(
        "No GitHub token: set GH_TOKEN to a token that may push to the repository "
        "and open pull requests (or log in with `gh auth login`).",
        gate="Token",
    )


def api_url(environ: Mapping[str, str]) -> str:
    """The REST API's base URL: `GITHUB_API_URL` (GitHub Enterprise, tests) or github.com's."""
    return (environ.get("GITHUB_API_URL", "").strip() or DEFAULT_API_URL).rstrip("/")


@dataclass(frozen=True, slots=True)
class PullRequest:
    """What GitHub answered: the request's page and number."""

    html_url: str
    number: int | None


@dataclass(frozen=True, slots=True)
class PullRequestDraft:
    """What to open: the request body of `POST /repos/{owner}/{repo}/pulls`."""

    owner: str
    repo: str
    title: str
    body: str
    head: str
    base: str
    draft: bool

    def payload(self) -> dict[str, Any]:
        """The JSON body GitHub expects."""
        return {
            "title": self.title,
            "body": self.body,
            "head": self.head,
            "base": self.base,
            "draft": self.draft,
        }


def headers(token: str) -> dict[str, str]:
    """The request headers GitHub's REST API documents."""
    return {
        "Accept": MEDIA_TYPE,
        "X-GitHub-Api-Version": API_VERSION,
        "Authorization": f"Bearer {token}",
        "User-Agent": "wishcraft",
    }


def open_pull_request(
    draft: PullRequestDraft,
    token: Token,
    base_url: str,
    *,
    transport: httpx.AsyncBaseTransport | None = None,
    deadline: float = DEADLINE_SECONDS,
) -> PullRequest:
    """Open the pull request; return its page's URL, or raise `PrFailed` with one sentence.

    Synchronous for its callers (the CLI, the server's worker thread): it runs its own event
    loop, so the deadline cancels the request wherever it is blocked.
    """
    protect_http_loggers()
    remember_secrets(token.value)
    url = f"{base_url}/repos/{draft.owner}/{draft.repo}/pulls"
    where = f"{draft.owner}/{draft.repo}"
    try:
        status, body = asyncio.run(_post(url, draft, token, transport, deadline))
    except TimeoutError:
        log.info("GitHub: no whole answer to POST %s within %g s", url, deadline)
        raise PrFailed(
            f"The GitHub API at {base_url} did not answer within {deadline:g} seconds; "
            "check the network or GITHUB_API_URL, then try again."
        ) from None
    except httpx.HTTPError as error:
        raise PrFailed(
            f"Cannot reach the GitHub API at {base_url} "
            f"({cap_text(redact(str(error))) or type(error).__name__}); check the network or "
            "GITHUB_API_URL, then try again."
        ) from None
    data = _json(body)
    log.info("GitHub answered %d to POST %s", status, url)
    if status == 201:
        html_url = data.get("html_url") if isinstance(data, dict) else None
        if not isinstance(html_url, str) or not html_url:
            raise PrFailed(
                "GitHub answered 201 without the pull request's address "
                "(html_url); look for it on the repository's pull requests page."
            )
        number = data.get("number") if isinstance(data, dict) else None
        return PullRequest(html_url, number if isinstance(number, int) else None)
    message = _message(data)
    if status in (401, 403):
        raise PrFailed(
            f"GitHub refused the token from {token.source} (HTTP {status}"
            f"{': ' + message if message else ''}): it cannot push to or open pull "
            f"requests on {where}; give it the `repo` scope (or Contents and Pull "
            "requests: write) and try again."
        )
    if status == 422:
        raise PrFailed(
            f"GitHub did not open the pull request: {message or 'Validation Failed'}"
            "; fix what it names (an open pull request for the branch, a missing "
            "base) and try again."
        )
    if 300 <= status < 400:
        raise PrFailed(
            f"GitHub answered with a redirect (HTTP {status}), which is not "
            f"followed; set GITHUB_API_URL to the API's own address."
        )
    if status == 404:
        raise PrFailed(
            f"GitHub answered 404 for {where}: the repository does not exist or the "
            "token cannot see it; check the remote and the token's access."
        )
    raise PrFailed(
        f"GitHub answered HTTP {status}{': ' + message if message else ''}; try again later."
    )


async def _post(
    url: str,
    draft: PullRequestDraft,
    token: Token,
    transport: httpx.AsyncBaseTransport | None,
    deadline: float,
) -> tuple[int, bytes | None]:
    """POST the draft under one total deadline; the status and the body (None when too big)."""
    async with asyncio.timeout(deadline):
        async with httpx.AsyncClient(
            transport=transport,
            timeout=deadline,
            follow_redirects=False,
            trust_env=transport is None,
        ) as client:
            request = client.build_request(
                "POST", url, json=draft.payload(), headers=headers(token.value)
            )
            response = await client.send(request, stream=True)
            try:
                chunks: list[bytes] = []
                size = 0
                async for chunk in response.aiter_bytes():
                    size += len(chunk)
                    if size > MAX_ANSWER_BYTES:
                        log.info("GitHub's answer is over %d bytes; not read", MAX_ANSWER_BYTES)
                        return response.status_code, None
                    chunks.append(chunk)
                return response.status_code, b"".join(chunks)
            finally:
                await response.aclose()


def _json(body: bytes | None) -> Any:
    if body is None:
        return None
    try:
        return json.loads(body)
    except (ValueError, RecursionError):  # RecursionError: `[[[[…` nested past the stack
        return None


def _message(data: Any) -> str:
    """GitHub's `message` and each `errors[].message` (or code), joined, scrubbed."""
    if not isinstance(data, dict):
        return ""
    parts: list[str] = []
    message = data.get("message")
    if isinstance(message, str) and message.strip():
        parts.append(message.strip())
    details: list[str] = []
    errors = data.get("errors")
    for item in errors if isinstance(errors, list) else []:
        if isinstance(item, dict):
            text = item.get("message") or item.get("code")
            if isinstance(text, str) and text.strip():
                details.append(text.strip().rstrip("."))
        elif isinstance(item, str) and item.strip():
            details.append(item.strip().rstrip("."))
    text = "; ".join(parts)
    if details:
        text = f"{text} ({'; '.join(details)})" if text else "; ".join(details)
    return cap_text(redact(" ".join(text.split())).rstrip("."))
