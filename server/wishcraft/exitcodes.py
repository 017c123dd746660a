"""The exit statuses of every `wishcraft` command, in one enum.

    0  OK           done (lint: no error found)
    1  FAILED       the work failed (lint and court: findings; ledger verify: a broken chain)
    2  USAGE        bad input: the command line, a file, the configuration; the sentence names
                    the fix
    3  REFUSED      refused before anything changed: a court gate (plan, apply, pr), or a
                    change that cannot be undone (rollback)
    130 INTERRUPTED Ctrl-C, as a shell reports it

Commands return these (an `IntEnum` is an `int`, so `sys.exit` and tests see the number). The
`EXIT_*` names are the same members under the names the commands used before the enum; they
stay so that code importing them keeps working.
"""

from __future__ import annotations

from enum import IntEnum


class ExitCode(IntEnum):
    """One exit status; aliases name the same number in a command's own words."""

    OK = 0
    FAILED = 1
    USAGE = 2
    REFUSED = 3
    INTERRUPTED = 130
    FINDINGS = 1
    """lint and court: the wish has findings at the failing severity (an alias of FAILED)."""
    BAD_INPUT = 2
    """The pull request's word for USAGE (an alias)."""


EXIT_OK = ExitCode.OK
EXIT_FAILED = ExitCode.FAILED
EXIT_FINDINGS = ExitCode.FINDINGS
EXIT_BAD = ExitCode.FAILED
EXIT_USAGE = ExitCode.USAGE
EXIT_BAD_INPUT = ExitCode.BAD_INPUT
EXIT_REFUSED = ExitCode.REFUSED
