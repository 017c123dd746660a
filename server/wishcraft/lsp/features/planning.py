"""The planning actions: "Plan this wish", "Insert plan steps into wish", and their commands.

The code actions are cheap (no network): "Plan this wish" is offered anywhere in a wish,
disabled with the reason while the wish has errors or a court gate refuses the call (the gates
of `plan.court`, with the ledger's counts cached by size and mtime; or titled with a warning for
clients that cannot show disabled actions); "Insert plan steps" appears when a complete plan
exists for exactly this text of the wish, and is refused once the wish has changed.

The planning stack (the plan runner, the conduit, httpx) and the plan artifact's models are
imported on the first plan or the first saved plan read, not when the server starts: a new
editor window waits for them before its first diagnostics otherwise.
"""

from __future__ import annotations

import hashlib
import json
import weakref
from typing import TYPE_CHECKING, Any

from lsprotocol import types
from pydantic import ValidationError

from wishcraft.documents import NodeKind
from wishcraft.lint import DocumentKind
from wishcraft.lsp.payloads import InsertStepsResult, PlanLocationResult, PlanWishResult
from wishcraft.lsp.workspace import DocumentSnapshot
from wishcraft.names import (
    COMMAND_CANCEL_PLAN,
    COMMAND_INSERT_PLAN_STEPS,
    COMMAND_PLAN_LOCATION,
    COMMAND_PLAN_WISH,
)
from wishcraft.plan.paths import PlanPathError

if TYPE_CHECKING:
    from wishcraft.lsp.plan_runner import PlanRunner
    from wishcraft.lsp.server import WishcraftLanguageServer
    from wishcraft.plan.artifact import PlanArtifact

PLAN_KIND = types.CodeActionKind.Source.value + ".wishcraft.plan"
INSERT_KIND = types.CodeActionKind.RefactorRewrite.value + ".wishcraft.insertPlanSteps"


_RUNNERS: weakref.WeakKeyDictionary[WishcraftLanguageServer, PlanRunner] = (
    weakref.WeakKeyDictionary()
)
"""The plan runner of each server, made on its first plan."""


def runner(server: WishcraftLanguageServer) -> PlanRunner:
    """The server's plan runner, importing the planning stack on first use."""
    found = _RUNNERS.get(server)
    if found is None:
        from wishcraft.lsp.plan_runner import PlanRunner

        found = _RUNNERS[server] = PlanRunner(server)
        server.shutdown_hooks.append(found.shutdown)  # stop running plans, close the HTTP pool
    return found


def is_running(server: WishcraftLanguageServer, uri: str) -> bool:
    """Whether a plan of the wish at `uri` is running (none is, before the first plan)."""
    found = _RUNNERS.get(server)
    return found is not None and uri in found.sessions


def cancel(
    server: WishcraftLanguageServer, *, uri: str | None = None, token: str | None = None
) -> bool:
    """Cancel the plan of `uri` (or with progress `token`); tell whether one was running."""
    found = _RUNNERS.get(server)
    return found is not None and found.cancel(uri=uri, token=token)


def load_artifact(
    server: WishcraftLanguageServer, snapshot: DocumentSnapshot
) -> PlanArtifact | None:
    """The saved plan artifact of this wish, if one can be read."""
    try:
        text = server.plan_paths_for(snapshot.path).artifact.read_text(encoding="utf-8")
    except (OSError, ValueError, PlanPathError):
        return None
    from wishcraft.plan.artifact import PlanArtifact

    try:
        return PlanArtifact.model_validate_json(text)
    except (ValueError, ValidationError):
        return None


def gate_refusal(server: WishcraftLanguageServer, snapshot: DocumentSnapshot) -> str | None:
    """The court's sentence when a plan of this wish would be refused now, else None.

    The mode is guessed as a plan would choose it (a Codex login: live) without importing
    the conduit; the plan itself runs the gates again with the mode it really uses.
    """
    wish = snapshot.analysis.wish
    if wish is None or snapshot.kind is not DocumentKind.WISH:
        return None
    from wishcraft.court.plan import hear, login_likely

    hearing = hear(
        wish,
        snapshot.path,
        "commit" if login_likely() else "shadow",
        snapshot.registry,
        server.lint_config_for(snapshot.path),
        probe_ledger=False,  # asked on every code action: nothing made or locked
    )
    return hearing.verdict.reason or None


def plan_actions(
    snapshot: DocumentSnapshot,
    *,
    supports_disabled: bool,
    running: bool,
    artifact: PlanArtifact | None,
    refusal: str | None = None,
) -> list[types.CodeAction]:
    """The planning code actions for a wish; `refusal` is the court's sentence, if any."""
    if snapshot.kind is not DocumentKind.WISH:
        return []
    errors = snapshot.analysis.error_count
    title = "Plan this wish"
    disabled = None
    if running:
        disabled = types.CodeActionDisabled(reason="A plan for this wish is already running.")
    elif errors:
        disabled = types.CodeActionDisabled(
            reason=f"The wish has {errors} error{'s' if errors != 1 else ''}; fix "
            f"{'them' if errors != 1 else 'it'} before planning."
        )
    elif refusal:
        disabled = types.CodeActionDisabled(reason=refusal)
    if disabled is not None and not supports_disabled:
        title = f"Plan this wish (warning: {disabled.reason.rstrip('.')})"
        disabled = None
    actions = [
        types.CodeAction(
            title=title,
            kind=PLAN_KIND,
            disabled=disabled,
            command=types.Command(
                title="Plan this wish", command=COMMAND_PLAN_WISH, arguments=[snapshot.uri]
            ),
        )
    ]
    if artifact is not None and _is_complete(artifact):
        current = hashlib.sha256(snapshot.analysis.parsed.text.encode("utf-8")).hexdigest()
        stale = current != artifact.wish_hash
        insert_disabled = None
        if stale:
            insert_disabled = types.CodeActionDisabled(
                reason="The wish changed since the plan was made; plan it again."
            )
        if stale and not supports_disabled:
            return actions
        edit = None if stale else insert_steps_edit(snapshot, artifact)
        if edit is not None or stale:
            actions.append(
                types.CodeAction(
                    title="Insert plan steps into wish",
                    kind=INSERT_KIND,
                    disabled=insert_disabled,
                    edit=edit,
                )
            )
    return actions


def _is_complete(artifact: PlanArtifact) -> bool:
    from wishcraft.plan.artifact import PlanStatus  # loaded already: `artifact` is one

    return artifact.status is PlanStatus.COMPLETE and bool(artifact.steps)


def insert_steps_edit(
    snapshot: DocumentSnapshot, artifact: PlanArtifact
) -> types.WorkspaceEdit | None:
    """Replace the `plan:` list with the plan's step titles (None when there is no list)."""
    located = snapshot.analysis.index.get(("plan",))
    if located is None:
        return None
    value = located.value
    titles = [step.title for step in artifact.steps]
    if value.kind is NodeKind.SEQUENCE and not value.flow and value.items:
        column = value.span.start.column
        indent = " " * column
        text = ("\n" + indent).join(
            "- " + json.dumps(title, ensure_ascii=False) for title in titles
        )
        end = value.items[-1].span.end
        span = type(value.span)(value.span.start, end)
    else:
        text = json.dumps(titles, ensure_ascii=False)
        span = value.span
    eol = "\r\n" if "\r\n" in snapshot.analysis.parsed.text else "\n"
    edit = types.TextEdit(range=snapshot.positions.to_range(span), new_text=text.replace("\n", eol))
    return types.WorkspaceEdit(changes={snapshot.uri: [edit]})


def supports_disabled(server: WishcraftLanguageServer) -> bool:
    """Whether the client shows `CodeAction.disabled`."""
    document = server.client_capabilities.text_document
    code_action = document.code_action if document else None
    return bool(code_action and code_action.disabled_support)


def actions_for(
    server: WishcraftLanguageServer, snapshot: DocumentSnapshot, only: list[str] | None
) -> list[types.CodeAction]:
    """The planning actions the client asked for (by `only` kinds)."""
    if only is not None and not any(
        PLAN_KIND.startswith(kind) or INSERT_KIND.startswith(kind) for kind in only
    ):
        return []
    artifact = load_artifact(server, snapshot)
    actions = plan_actions(
        snapshot,
        supports_disabled=supports_disabled(server),
        running=is_running(server, snapshot.uri),
        artifact=artifact,
        refusal=gate_refusal(server, snapshot),
    )
    if only is None:
        return actions
    return [a for a in actions if any(str(a.kind).startswith(kind) for kind in only)]


def register(server: WishcraftLanguageServer) -> None:
    """Wire the planning commands and progress cancellation."""

    # pygls reads command handlers' type hints at run time to convert the arguments, so the
    # server parameter is typed `Any` (the server class is only imported for type checking).
    @server.command(COMMAND_PLAN_WISH)
    def plan_wish(ls: Any, uri: str) -> PlanWishResult:
        return runner(server).start(uri)

    @server.command(COMMAND_CANCEL_PLAN)
    def cancel_plan(ls: Any, uri: str) -> bool:
        return cancel(server, uri=uri)

    @server.command(COMMAND_PLAN_LOCATION)
    def plan_location(ls: Any, uri: str) -> PlanLocationResult:
        """Where the plan of an open wish is (or would be) written, and whether it exists, so a
        client can open a plan made in an earlier session or from the terminal."""
        snapshot = ls.snapshot(uri)
        if snapshot is None or snapshot.kind is not DocumentKind.WISH:
            return {
                "planUri": None,
                "exists": False,
                "reason": "This document is not an open wish.",
            }
        try:
            paths = ls.plan_paths_for(snapshot.path)
        except PlanPathError as error:
            return {"planUri": None, "exists": False, "reason": str(error)}
        return {"planUri": paths.markdown.as_uri(), "exists": paths.markdown.is_file()}

    @server.command(COMMAND_INSERT_PLAN_STEPS)
    def insert_plan_steps(ls: Any, uri: str) -> InsertStepsResult:
        snapshot = ls.snapshot(uri)
        if snapshot is None or snapshot.kind is not DocumentKind.WISH:
            reason = "This document is not an open wish."
            ls.window_show_message(
                types.ShowMessageParams(type=types.MessageType.Warning, message=reason)
            )
            return {"applied": False, "reason": reason}
        artifact = load_artifact(ls, snapshot)
        actions = [
            a
            for a in plan_actions(
                snapshot, supports_disabled=True, running=False, artifact=artifact
            )
            if a.kind == INSERT_KIND
        ]
        if not actions or actions[0].edit is None:
            reason = (
                actions[0].disabled.reason
                if actions and actions[0].disabled
                else "There is no complete plan for this wish."
            )
            ls.window_show_message(
                types.ShowMessageParams(type=types.MessageType.Warning, message=reason)
            )
            return {"applied": False, "reason": reason}
        ls.workspace_apply_edit(
            types.ApplyWorkspaceEditParams(edit=actions[0].edit, label="Insert plan steps")
        )
        return {"applied": True}

    @server.feature(types.WINDOW_WORK_DONE_PROGRESS_CANCEL)
    def progress_cancelled(
        ls: WishcraftLanguageServer, params: types.WorkDoneProgressCancelParams
    ) -> None:
        from wishcraft.lsp.progress import cancel as cancel_run

        cancel_run(str(params.token))  # the one path: plan or apply, whichever owns the token
