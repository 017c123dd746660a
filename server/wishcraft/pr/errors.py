"""Every way opening a pull request can stop, as one exception tree with its exit code.

    PrError          one sentence for the user (`str(error)`), naming the fix
    ├── PrRefused    a gate refused before anything left the machine: exit code 3, and a
    │                `refused` line on the ledger (`gate` names the gate)
    ├── PrFailed     a step failed (git, the push, the GitHub API): exit code 1, and a `failed`
    │                line on the ledger
    └── PrBadInput   the configuration (`[pr]` of wishcraft.toml) is invalid: exit code 2

The sentences never hold a token: they are built from our own words and git's or GitHub's
answers, and `opener` passes each through `redaction.redact` before showing or recording it.
They are bounded: GitHub's words are quoted up to 2 KiB (`github`), and every sentence and
detail is capped here (8 KiB, 2 KiB) whatever git or the network put in it.
"""

from __future__ import annotations

from wishcraft.exitcodes import EXIT_BAD_INPUT, EXIT_FAILED, EXIT_REFUSED
from wishcraft.redaction import ERROR_TEXT_CAP, cap_text, redact


class PrError(Exception):
    """Base of the tree: `str(error)` is the sentence; `detail` goes to the log only."""

    exit_code = EXIT_FAILED

    def __init__(self, message: str, *, detail: str = "") -> None:
        """Keep the sentence and the detail for the log, each redacted and capped."""
        message = cap_text(redact(message), 4 * ERROR_TEXT_CAP)
        super().__init__(message)
        self.message = message
        self.detail = cap_text(redact(detail))


class PrRefused(PrError):
    """A gate refused; `gate` names it (Permissions, Scopes, Ledger, Files, Limits, ...)."""

    exit_code = EXIT_REFUSED

    def __init__(self, message: str, *, gate: str, detail: str = "") -> None:
        """Keep the sentence and the gate that refused."""
        super().__init__(message, detail=detail)
        self.gate = gate


class PrFailed(PrError):
    """A step failed after the gates passed (or could not be checked)."""


class PrBadInput(PrError):
    """The `[pr]` configuration cannot be used as written."""

    exit_code = EXIT_BAD_INPUT
