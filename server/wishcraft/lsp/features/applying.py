"""The apply actions: "Apply plan" in a wish, and the commands "Apply plan" and "Undo apply".

The code action is cheap (no network, no planning stack): it is offered in a wish that names
the apply conduit in `tools`, disabled with the reason while the wish has errors, its plan is
missing, incomplete or stale ("plan again"), an apply is running, or a court gate refuses the
call (`apply.court`). The apply runner (`lsp.apply_runner`: the conduit, the exchange, the
edit) is imported on the first apply; "Undo apply" takes an anchor id, or a wish's uri for
its last applied change.
"""

from __future__ import annotations

import weakref
from typing import TYPE_CHECKING, Any

from lsprotocol import types

from wishcraft.lint import DocumentKind
from wishcraft.lsp.workspace import DocumentSnapshot
from wishcraft.names import APPLY_CONDUIT_ID, COMMAND_APPLY_PLAN, COMMAND_UNDO_APPLY
from wishcraft.plan.paths import PlanPathError

if TYPE_CHECKING:
    from wishcraft.lsp.apply_runner import ApplyRunner
    from wishcraft.lsp.server import WishcraftLanguageServer

APPLY_KIND = types.CodeActionKind.Source.value + ".wishcraft.apply"
UNDO_KIND = types.CodeActionKind.Source.value + ".wishcraft.undo"

_RUNNERS: weakref.WeakKeyDictionary[WishcraftLanguageServer, ApplyRunner] = (
    weakref.WeakKeyDictionary()
)


def runner(server: WishcraftLanguageServer) -> ApplyRunner:
    """The server's apply runner, importing the apply stack on first use."""
    found = _RUNNERS.get(server)
    if found is None:
        from wishcraft.lsp.apply_runner import ApplyRunner

        found = _RUNNERS[server] = ApplyRunner(server)
        server.shutdown_hooks.append(found.shutdown)
    return found


def refusal(server: WishcraftLanguageServer, snapshot: DocumentSnapshot) -> str | None:
    """Why "Apply plan" cannot run now (one sentence), or None."""
    errors = snapshot.analysis.error_count
    wish = snapshot.analysis.wish
    if errors or wish is None:
        return (
            f"The wish has {errors} error{'s' if errors != 1 else ''}; fix "
            f"{'them' if errors != 1 else 'it'} before applying its plan."
        )
    found = _RUNNERS.get(server)
    if found is not None and snapshot.uri in found.sessions:
        return "The plan of this wish is already being applied."
    from wishcraft.court.apply import find_place, hear_apply, plan_problem
    from wishcraft.court.plan import login_likely

    try:
        plan = server.plan_paths_for(snapshot.path).artifact
    except PlanPathError as error:
        return str(error)
    problem = plan_problem(plan, snapshot.analysis.parsed.text)
    if problem is not None:
        return problem
    hearing = hear_apply(
        wish,
        snapshot.path.resolve(),
        find_place(snapshot.path.resolve()),
        "commit" if login_likely() else "shadow",
        snapshot.registry,
        server.lint_config_for(snapshot.path),
        probe_ledger=False,  # asked on every code action: nothing made or locked
    )
    return hearing.verdict.reason or None


def apply_actions(
    server: WishcraftLanguageServer, snapshot: DocumentSnapshot, *, supports_disabled: bool
) -> list[types.CodeAction]:
    """ "Apply plan", disabled with the reason (or titled with it for clients that cannot show
    disabled actions)."""
    if snapshot.kind is not DocumentKind.WISH or not _binds_apply(snapshot):
        return []
    reason = refusal(server, snapshot)
    title = "Apply plan"
    disabled = types.CodeActionDisabled(reason=reason) if reason else None
    if disabled is not None and not supports_disabled:
        title = f"Apply plan (warning: {disabled.reason.rstrip('.')})"
        disabled = None
    return [
        types.CodeAction(
            title=title,
            kind=APPLY_KIND,
            disabled=disabled,
            command=types.Command(
                title="Apply plan", command=COMMAND_APPLY_PLAN, arguments=[snapshot.uri]
            ),
        )
    ]


def _binds_apply(snapshot: DocumentSnapshot) -> bool:
    """Whether the wish names the apply conduit in `tools` (read leniently: a wish with
    errors still gets the action, disabled with them)."""
    wish = snapshot.analysis.wish
    if wish is not None:
        return APPLY_CONDUIT_ID in wish.tools
    return APPLY_CONDUIT_ID in snapshot.analysis.parsed.text


def undo_actions(snapshot: DocumentSnapshot) -> list[types.CodeAction]:
    """ "Undo apply" on a wish whose last applied change is on the ledger and not undone.

    Read from the ledger each time (no cache to go stale); a ledger that cannot be read offers
    nothing here, and "Undo apply" run as a command then says why."""
    if snapshot.kind is not DocumentKind.WISH or not _binds_apply(snapshot):
        return []
    from wishcraft.ledger import LedgerError, find_ledger
    from wishcraft.lsp.apply_runner import last_anchor

    try:
        location = find_ledger(snapshot.path)
        if not location.path.is_file():
            return []
        anchor_id = last_anchor(location, location.wish_key(snapshot.path))
    except (LedgerError, OSError):
        return []
    if anchor_id is None:
        return []
    return [
        types.CodeAction(
            title="Undo apply",
            kind=UNDO_KIND,
            command=types.Command(
                title="Undo apply", command=COMMAND_UNDO_APPLY, arguments=[snapshot.uri]
            ),
        )
    ]


def actions_for(
    server: WishcraftLanguageServer, snapshot: DocumentSnapshot, only: list[str] | None
) -> list[types.CodeAction]:
    """The apply actions the client asked for (by `only` kinds)."""
    actions: list[types.CodeAction] = []
    if only is None or any(APPLY_KIND.startswith(kind) for kind in only):
        document = server.client_capabilities.text_document
        code_action = document.code_action if document else None
        actions += apply_actions(
            server, snapshot, supports_disabled=bool(code_action and code_action.disabled_support)
        )
    if only is None or any(UNDO_KIND.startswith(kind) for kind in only):
        actions += undo_actions(snapshot)
    return actions


def register(server: WishcraftLanguageServer) -> None:
    """Wire the apply commands."""

    # pygls reads the handlers' hints at run time: the server parameter is typed `Any`.
    @server.command(COMMAND_APPLY_PLAN)
    def apply_plan(ls: Any, uri: str) -> dict[str, Any]:
        return dict(runner(server).start(uri))

    @server.command(COMMAND_UNDO_APPLY)
    def undo_apply(ls: Any, target: str) -> dict[str, Any]:
        return dict(runner(server).undo(target))
