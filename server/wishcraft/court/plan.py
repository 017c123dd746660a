"""The court before and the ledger after a conduit call: may it run, and the one line it leaves.

Every planning call, from `wishcraft plan` or the editor's "Plan this wish", in shadow or in
commit mode, goes through here twice:

- before: `hear` runs the gates (`wishcraft.court.gates`) with what they need found on disk: the
  ledger (`ledger.find_ledger`: `[ledger] path`, else `data/ledger/wishes.jsonl` beside the
  registry's `data/` folder), whether its line can be written (`ledger.probe`: opened from the
  root down without symbolic links, its lock taken; the Ledger gate refuses otherwise), its
  counts for this conduit and wish (`ledger.usage`, cached by size and mtime, so asking on
  every code action is cheap), and the repository
  (`repo.find_repo`, read from the git config file: no process). The paths the call touches
  are the wish's, relative to the repository root (outside git, relative to the ledger root).
- after: `record` appends the call's one line: its outcome (`complete`, `incomplete`,
  `failed`, or `refused` when a gate said no) with the reason, and the conduit's audit fields.
  A failure to write the ledger, or a torn last line the append found, is returned as one
  sentence for the caller to show (and logged); the call's own result is kept either way, and
  `Recorded.written` tells the caller to fail (exit 1) when the line is missing.

Nothing here touches the network or imports the conduit, so the editor asks it for every code
action and code lens without loading the planning stack.
"""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from wishcraft.court.gates import CallRequest, Verdict, WishFacts, evaluate
from wishcraft.ledger import (
    Action,
    LedgerEntry,
    LedgerError,
    LedgerLocation,
    Mode,
    Outcome,
    find_ledger,
    probe,
    usage,
)
from wishcraft.ledger import Recorded as Recorded  # re-exported: where callers meet it
from wishcraft.ledger import not_recorded as not_recorded
from wishcraft.ledger import record as record_line
from wishcraft.ledger.witness import problem as lost_tail
from wishcraft.lint.config import LintConfig
from wishcraft.model import ExecMode, Wish
from wishcraft.names import PLANNING_CONDUIT_ID
from wishcraft.redaction import protect_logger
from wishcraft.registry import Registry
from wishcraft.repo import RepoInfo, find_repo

logger = protect_logger(logging.getLogger(__name__))


@dataclass(frozen=True, slots=True)
class Hearing:
    """The gates' verdict on one call, and where its ledger line goes."""

    conduit: str
    action: Action
    mode: Mode
    wish_path: Path
    verdict: Verdict
    location: LedgerLocation | None
    """None when the ledger cannot be found (a broken `[ledger] path`): `ledger_problem`."""
    ledger_problem: str | None
    repo: RepoInfo | None

    @property
    def wish_key(self) -> str:
        """The wish's path as the ledger records it (relative to the ledger's root)."""
        if self.location is not None:
            return self.location.wish_key(self.wish_path)
        return self.wish_path.resolve().as_posix()

    @property
    def notes(self) -> list[str]:
        """What the gates want said even when they pass (the repository check skipped, a
        limit not enforced), once each."""
        found: list[str] = []
        for gate in self.verdict.gates:
            for note in _sentences(gate.note):
                if note not in found:
                    found.append(note)
        return found


def _sentences(note: str) -> list[str]:
    return [
        part.strip() + ("" if part.strip().endswith(".") else ".")
        for part in note.replace(". ", ".\n").splitlines()
        if part.strip()
    ]


def ledger_mode(mode: ExecMode) -> Mode:
    """The ledger's word for an execution mode: `shadow` or `commit`."""
    return "shadow" if mode is ExecMode.SHADOW_RUN else "commit"


def login_likely(env: dict[str, str] | os._Environ[str] | None = None) -> bool:
    """Whether a plan would run live: the cheap test the editor's code action uses, without
    importing the conduit (`plan.pipeline.has_login` is the full one, at plan time): a Codex
    login file in `$CODEX_HOME` (else `~/.codex`), or `OPENAI_API_KEY`."""
    env = os.environ if env is None else env
    home = env.get("CODEX_HOME")
    folder = Path(home).expanduser() if home else Path.home() / ".codex"
    return (folder / "auth.json").is_file() or bool(env.get("OPENAI_API_KEY"))


def hear(
    wish: Wish,
    wish_path: Path,
    mode: Mode,
    registry: Registry,
    config: LintConfig,
    *,
    conduit: str = PLANNING_CONDUIT_ID,
    action: Action = "plan",
    now: datetime | None = None,
    probe_ledger: bool = True,
) -> Hearing:
    """Run the gates for one call of `conduit` on the wish at `wish_path`.

    A ledger that cannot be found, read or written is not an exception: the Ledger gate
    refuses the call with its sentence. `probe_ledger` opens the ledger for appending and takes
    its lock, as the call's line will need (before a call); False only checks what exists
    (the editor's code actions and lenses, asked on every keystroke).
    """
    location: LedgerLocation | None = None
    problem: str | None = None
    try:
        location = find_ledger(wish_path)
        probe(location, create=probe_ledger, lock=probe_ledger)
        if mode == "commit":
            problem = lost_tail(location.path)  # a live call: the limits must count it all
    except LedgerError as error:
        problem = str(error)
    repo = find_repo(wish_path.parent)
    if repo is not None:
        paths: tuple[str, ...] = (repo.relative(wish_path),)
    elif location is not None:
        paths = (location.wish_key(wish_path),)
    else:
        paths = (wish_path.name,)
    counted = None
    if location is not None:
        try:
            counted = usage(location.path, conduit, location.wish_key(wish_path), now)
        except LedgerError as error:
            problem = problem or str(error)
    request = CallRequest(conduit, action, mode, WishFacts.from_wish(wish), paths, repo)
    verdict = evaluate(request, registry, config, counted, ledger_problem=problem)
    return Hearing(conduit, action, mode, wish_path, verdict, location, problem, repo)


@dataclass(frozen=True, slots=True)
class CallRecord:
    """What one call did, as its ledger line records it (the conduit's audit fields)."""

    outcome: Outcome
    reason: str | None = None
    wish_hash: str | None = None
    author_id: str | None = None
    prompt_hash: str | None = None
    model: str | None = None
    tokens_used: int | None = None
    request_id: str | None = None
    cf_ray: str | None = None
    summary: str | None = None


def author_of(wish: Wish) -> str | None:
    """The wish's `meta.author_id`, if it has one."""
    return wish.meta.author_id if wish.meta is not None else None


def record(hearing: Hearing, call: CallRecord, *, now: datetime | None = None) -> Recorded:
    """Append the call's one ledger line; return what the user must be told (one sentence
    each): the ledger could not be written (`written` False), or its last line was torn."""
    entry = LedgerEntry(
        conduit=hearing.conduit,
        action=hearing.action,
        mode=hearing.mode,
        wish=hearing.wish_key,
        outcome=call.outcome,
        reason=call.reason,
        wish_hash=call.wish_hash,
        author_id=call.author_id,
        prompt_hash=call.prompt_hash,
        model=call.model,
        tokens_used=call.tokens_used,
        request_id=call.request_id,
        cf_ray=call.cf_ray,
        summary=call.summary,
    )
    return record_line(hearing.location, entry, problem=hearing.ledger_problem, now=now)


def record_refusal(hearing: Hearing, wish: Wish, wish_hash: str) -> Recorded:
    """Append the `refused` line of a call the gates stopped (see `record`). A refusal by the
    Ledger gate has no ledger to go in: its sentence already says so, and nothing is added."""
    refusal = hearing.verdict.refusal
    if refusal is not None and refusal.name == "Ledger":
        return Recorded([], written=False)
    return record(
        hearing,
        CallRecord(
            "refused",
            hearing.verdict.reason,
            wish_hash=wish_hash,
            author_id=author_of(wish),
            summary=f"Refused by the {_refusing_gate(hearing)} gate.",
        ),
    )


def _refusing_gate(hearing: Hearing) -> str:
    refusal = hearing.verdict.refusal
    return refusal.name if refusal is not None else "court's"
