"""The apply conduit's court, without the planning stack: where a change may go, and may it run.

The editor asks this for every code action ("Apply plan", disabled with the reason), so it reads
only small files (the plan artifact as plain JSON, the git config, the ledger's cached counts)
and imports neither the conduit nor the plan artifact's models; `apply.pipeline` builds on it.

- `find_place`: the workspace root (the git repository's, else the ledger's root), the ledger,
  and the undo folder (in the user's state folder, keyed by the workspace: `undo_state`);
- `plan_problem`: why the wish's plan cannot be applied (missing, not complete, stale: "plan
  again"), or None;
- `hear_apply`: the gates with the action `apply` (the registry's `diff`). A scope that does
  not list `diff` is refused with the line to add to the registry (`registry_line`);
- `scope_globs`: the scope's `paths`, which the tools and the staging check.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from wishcraft.court.gates import (
    SCOPE_ACTIONS,
    CallRequest,
    GateResult,
    Verdict,
    WishFacts,
    evaluate,
)
from wishcraft.court.plan import Hearing
from wishcraft.ledger import LedgerError, LedgerLocation, Mode, find_ledger, probe, usage
from wishcraft.ledger.witness import problem as lost_tail
from wishcraft.lint.config import LintConfig
from wishcraft.model import Wish
from wishcraft.names import APPLY_CONDUIT_ID
from wishcraft.registry import Registry
from wishcraft.repo import RepoInfo, find_repo
from wishcraft.undo_state import state_dir_for

ANCHORS_FOLDER = "anchors"
"""Where undo records lived before, beside the ledger file (`data/ledger/anchors`); they are
no longer read from there (see `undo_state`)."""


@dataclass(frozen=True, slots=True)
class Place:
    """Where an apply works: the workspace root, the undo folder, the ledger, the repository."""

    root: Path
    state_dir: Path
    location: LedgerLocation | None
    ledger_problem: str | None
    repo: RepoInfo | None


def workspace_root(start: Path) -> tuple[Path, LedgerLocation | None, str | None, RepoInfo | None]:
    """The workspace of a wish or folder: the git repository's root, else the ledger's root,
    else the folder itself (a real path); with the ledger (or why not) and the repository."""
    location: LedgerLocation | None = None
    problem: str | None = None
    try:
        location = find_ledger(start)
    except LedgerError as error:
        problem = str(error)
    folder = start if start.is_dir() else start.parent
    repo = find_repo(folder)
    if repo is not None:
        root = repo.root
    elif location is not None:
        root = location.root
    else:
        root = folder
    return Path(os.path.realpath(root)), location, problem, repo


def find_place(wish_path: Path) -> Place:
    """The workspace, ledger and undo folder of the wish at `wish_path`."""
    root, location, problem, repo = workspace_root(wish_path)
    return Place(root, state_dir_for(root), location, problem, repo)


def plan_problem(plan_path: Path, wish_text: str) -> str | None:
    """Why the plan at `plan_path` cannot be applied to this text of the wish, or None.

    Reads the artifact as plain JSON (the code action must stay cheap); `apply.pipeline`'s
    `load_plan` reads it with its model and says the same sentences."""
    try:
        data = json.loads(plan_path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return "The wish has no plan yet; plan it first."
    except (OSError, UnicodeDecodeError, ValueError):
        return f"The plan {plan_path.name} cannot be read; plan again."
    if not isinstance(data, dict) or data.get("status") != "complete":
        status = data.get("status") if isinstance(data, dict) else None
        return f"The plan {plan_path.name} is {status or 'unreadable'}, not complete; plan again."
    if data.get("wish_hash") != hashlib.sha256(wish_text.encode("utf-8")).hexdigest():
        return f"The wish changed since {plan_path.name} was made; plan again."
    if not data.get("plan_steps"):
        return f"The plan {plan_path.name} has no steps; plan again."
    return None


def scope_globs(
    registry: Registry, repo: RepoInfo | None, conduit_id: str = APPLY_CONDUIT_ID
) -> tuple[str, ...] | None:
    """The `paths` globs of the apply conduit's scopes that list the action and match the
    repository; None when one of them has no `paths` (any path)."""
    conduit = registry.get(conduit_id)
    if conduit is None:
        return ()
    found: list[str] = []
    for scope in conduit.scopes:
        if not any(action in SCOPE_ACTIONS["apply"] for action in scope.actions or []):
            continue
        wanted = (scope.repo or "*").strip().removesuffix(".git").lower()
        if (
            repo is not None
            and registry.source is not None
            and wanted != "*"
            and wanted not in {repo.name.lower(), (repo.full_name or "").lower()}
        ):
            continue
        if scope.paths is None:
            return None
        found.extend(scope.paths)
    return tuple(found)


def registry_line(registry: Registry, conduit_id: str = APPLY_CONDUIT_ID) -> str:
    """The sentence of a Scopes refusal when no scope lists `diff`: the line to add, and where."""
    conduit = registry.get(conduit_id)
    actions = [
        action for scope in (conduit.scopes if conduit else []) for action in scope.actions or []
    ]
    listed = ", ".join(f'"{action}"' for action in [*dict.fromkeys(actions), "diff"])
    if registry.source is None:
        return (
            f"The bundled registry's `{conduit_id}` lists no `diff` in its scopes' `actions`, "
            "so it may not change files here; run `wishcraft init` to write "
            "data/conduits/registry.yaml scoped to this repository."
        )
    return (
        f"No scope of `{conduit_id}` lists `diff` in `actions`, so it may not change "
        f"files here; add `actions: [{listed}]` to its scope in {registry.source}."
    )


def hear_apply(
    wish: Wish,
    wish_path: Path,
    place: Place,
    mode: Mode,
    registry: Registry,
    config: LintConfig,
    *,
    paths: Sequence[str] = (),
    now: datetime | None = None,
    conduit_id: str = APPLY_CONDUIT_ID,
    probe_ledger: bool = True,
) -> Hearing:
    """The court's gates for applying the wish's plan.

    Before the exchange the files are not known (`paths` empty): the Scopes gate then checks
    that a scope lists the action, and the staging checks each file against the scope. The
    Ledger gate refuses when the apply's line could not be written (`ledger.probe`; with
    `probe_ledger` False, as for a code action, only what exists is checked)."""
    location = place.location
    problem = place.ledger_problem
    counted = None
    if location is not None:
        try:
            probe(location, create=probe_ledger, lock=probe_ledger)
            if mode == "commit":
                problem = problem or lost_tail(location.path)
        except LedgerError as error:
            problem = problem or str(error)
        try:
            counted = usage(location.path, conduit_id, location.wish_key(wish_path), now)
        except LedgerError as error:
            problem = problem or str(error)
    request = CallRequest(
        conduit_id, "apply", mode, WishFacts.from_wish(wish), tuple(paths), place.repo
    )
    verdict = evaluate(request, registry, config, counted, ledger_problem=problem)
    refusal = verdict.refusal
    if refusal is not None and refusal.name == "Scopes" and "in `actions`" in refusal.reason:
        gates = tuple(
            GateResult(gate.name, False, registry_line(registry, conduit_id), gate.note)
            if gate is refusal
            else gate
            for gate in verdict.gates
        )
        verdict = Verdict(gates, verdict.remaining)
    return Hearing(conduit_id, "apply", mode, wish_path, verdict, location, problem, place.repo)
