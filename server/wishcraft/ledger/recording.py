"""The one way a ledger line is written: `record`.

Every writer (a plan, an apply's lines, a rollback, a pull request, recovery ending a cut-short
apply) builds its `LedgerEntry` and hands it here. `record` decides the line's `counted`
(`counting.reached_model`), so the limits' rule lives in one place, appends it (`log.append`),
and turns what can go wrong into sentences: the line could not be written (`written` False: the
caller fails), or the ledger's last line was torn by a crash (written, and said). `append` is
the file's primitive; no module outside this package calls it (a test holds that).
"""

from __future__ import annotations

import logging
from datetime import datetime
from pathlib import Path

from wishcraft.ledger.counting import reached_model
from wishcraft.ledger.entry import LedgerEntry, LedgerError
from wishcraft.ledger.location import LedgerLocation
from wishcraft.ledger.log import append
from wishcraft.ledger.witness import witness_append

logger = logging.getLogger(__name__)


class Recorded(list[str]):
    """What `record` says (one sentence each, a list as before) and whether the line was
    written: when it was not, the caller fails (the CLI exits 1, the editor shows an error)."""

    def __init__(
        self,
        messages: list[str],
        *,
        written: bool,
        problem: str | None = None,
        entry: LedgerEntry | None = None,
    ) -> None:
        """The sentences to show; `written` is False when the ledger line is missing, and
        `problem` then holds the ledger's own sentence; `entry` is the line as written."""
        super().__init__(messages)
        self.written = written
        self.problem = problem
        self.entry = entry


def not_recorded(problem: str) -> Recorded:
    """The ledger line could not be written: one sentence, logged, and `written` False."""
    message = f"The ledger line of this call could not be written: {problem}"
    logger.error("%s", message)
    return Recorded([message], written=False, problem=problem)


def counted_entry(entry: LedgerEntry) -> LedgerEntry:
    """The entry with its `counted` decided (`counting.reached_model`)."""
    return entry.model_copy(update={"counted": reached_model(entry)})


def record(
    target: LedgerLocation | Path | None,
    entry: LedgerEntry,
    *,
    problem: str | None = None,
    now: datetime | None = None,
) -> Recorded:
    """Write one ledger line; never raises.

    `target` is the ledger (a `LedgerLocation` from `find_ledger`, opened from its root down;
    a bare path trusts its own folder), or None when none was found, `problem` then saying why.
    """
    if target is None:
        return not_recorded(problem or "no ledger was found.")
    try:
        result = append(target, counted_entry(entry), now=now)
    except LedgerError as error:
        return not_recorded(str(error))
    path = target.path if isinstance(target, LedgerLocation) else target
    witness_append(path, result.entry.hash)
    if result.torn_tail is not None:
        message = result.torn_tail.describe(path)
        logger.warning("%s", message)
        return Recorded([message], written=True, entry=result.entry)
    return Recorded([], written=True, entry=result.entry)
