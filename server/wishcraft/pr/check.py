"""The `[pr] check` gate: a command (the project's tests) that must pass before a push.

It runs in the repository's root, without a shell, in its own process group with a timeout;
on timeout the whole group is killed, so a test runner's children do not linger. Its output
goes to the log (scrubbed of tokens), never to the user; a failure is one sentence naming the
command and the last line it printed.
"""

from __future__ import annotations

import contextlib
import logging
import os
import signal
import subprocess
from collections.abc import Mapping, Sequence
from pathlib import Path

from wishcraft.pr.errors import PrRefused
from wishcraft.pr.git import TOKEN_ENVIRONMENT, last_line
from wishcraft.redaction import protect_logger, redact

log = protect_logger(logging.getLogger("wishcraft.pr"))
CHECK_ENV_DROPPED = TOKEN_ENVIRONMENT
"""The check runs the project's code: it gets no GitHub token."""


def run_check(
    argv: Sequence[str], command: str, *, cwd: Path, timeout: float, environ: Mapping[str, str]
) -> None:
    """Run the check; return when it exits 0, else refuse with one sentence."""
    env = {key: value for key, value in environ.items() if key not in CHECK_ENV_DROPPED}
    log.info("check: running %s in %s (timeout %gs)", command, cwd, timeout)
    try:
        process = subprocess.Popen(
            list(argv),
            cwd=cwd,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    except OSError as error:
        raise PrRefused(
            f"The check `{command}` could not start ({error.strerror or error}); "
            "fix `[pr] check` in data/config/wishcraft.toml.",
            gate="Check",
        ) from None
    try:
        output, _ = process.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        _kill_group(process)
        output, _ = process.communicate()
        _log_output(output)
        raise PrRefused(
            f"The check `{command}` did not finish within {timeout:g} seconds; "
            "make it faster or raise `[pr] check_timeout`.",
            gate="Check",
        ) from None
    text = _log_output(output)
    if process.returncode != 0:
        line = last_line(text) or "no output"
        raise PrRefused(
            f"The check `{command}` failed (exit {process.returncode}): {line}; "
            "fix it and try again.",
            gate="Check",
        )
    log.info("check: %s passed", command)


def _kill_group(process: subprocess.Popen[bytes]) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(process.pid, signal.SIGKILL)
    with contextlib.suppress(ProcessLookupError):
        process.kill()


def _log_output(output: bytes | None) -> str:
    text = redact((output or b"").decode("utf-8", "replace"))
    for line in text.splitlines():
        log.info("check| %s", line)
    return text
