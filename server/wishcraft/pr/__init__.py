"""Open a pull request from an applied wish, behind strict gates (issue 15).

- `config`: the `[pr]` table of wishcraft.toml (remote, draft, check, check_timeout);
- `git`: the git steps through the `git` command (remote, default branch, a branch made with
  a temporary index, one commit, the push; the token only in the environment);
- `github`: the token (`GH_TOKEN`, `GITHUB_TOKEN`, `gh auth token`) and the REST call;
- `check`: the `[pr] check` command, with a timeout, its output to the log;
- `opener`: the whole flow, `open_pull_request`, returning a `PrResult`.

Errors form one tree under `PrError` (see `errors`): refusals exit 3, failures 1.
"""

from __future__ import annotations

from wishcraft.pr.config import PrConfig, load_pr_config
from wishcraft.pr.errors import PrBadInput, PrError, PrFailed, PrRefused
from wishcraft.pr.opener import (
    Applied,
    LedgerPlace,
    PrResult,
    find_applied,
    find_apply_entry,
    open_pull_request,
    pull_request_body,
)

__all__ = [
    "Applied",
    "LedgerPlace",
    "PrBadInput",
    "PrConfig",
    "PrError",
    "PrFailed",
    "PrRefused",
    "PrResult",
    "find_applied",
    "find_apply_entry",
    "load_pr_config",
    "open_pull_request",
    "pull_request_body",
]
