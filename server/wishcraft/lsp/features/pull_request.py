"""The command "Open Pull Request": an applied change becomes a pull request, from the editor.

`wishcraft.openPullRequest` takes an anchor id (`A-…`, as "Apply plan" reported it), or a
wish's uri, for that wish's last applied change that was not undone (from the ledger). It runs
what `wishcraft pr ANCHOR` runs (`wishcraft.pr.find_applied`, `pr.inputs.load_inputs`,
`pr.open_pull_request`: the gates, the check, one commit, the push, the GitHub call, the ledger
line), with the lint rules and plan folder of the editor's settings.

The opener is synchronous (git subprocesses, one HTTP call), so it runs in a thread; each step's
label ("Running the check: …", "Pushing wish/… to origin") is reported as work-done progress.
The progress is not cancellable: stopping between the push and the GitHub call would leave a
pushed branch without its pull request, so the command reports each step and lets it finish.
The outcome is one message: the address (and, when the client can, `window/showDocument` with
`external` opens it in the browser), or the refusal's or failure's one sentence. The pull-
request stack (httpx, git) is imported on the first use, not when the server starts.
"""

from __future__ import annotations

import asyncio
import logging
import re
import weakref
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypedDict

from lsprotocol import types
from pygls.uris import to_fs_path

from wishcraft.lsp.progress import WorkProgress, new_token
from wishcraft.names import COMMAND_OPEN_PULL_REQUEST
from wishcraft.redaction import protect_logger, scrub

if TYPE_CHECKING:
    from wishcraft.lsp.server import WishcraftLanguageServer
    from wishcraft.pr import Applied, PrResult

logger = protect_logger(logging.getLogger(__name__))

ANCHOR_TARGET = re.compile(r"^A-[0-9A-Za-z]")
"""An argument that names an anchor, not a uri."""

_RUNNING: weakref.WeakKeyDictionary[WishcraftLanguageServer, set[str]] = weakref.WeakKeyDictionary()
"""The anchors whose pull request each server is opening now (one at a time per anchor)."""


class PullRequestResult(TypedDict, total=False):
    """The answer of `wishcraft.openPullRequest` (the message was shown already)."""

    outcome: str
    """complete, refused or failed."""
    message: str
    exitCode: int
    """As `wishcraft pr` would exit: 0, 1, 2 or 3."""
    gate: str
    anchorId: str
    prUrl: str
    branch: str
    otherChanges: list[str]


def _refused(
    server: WishcraftLanguageServer,
    message: str,
    *,
    gate: str | None = None,
    exit_code: int = 3,
    anchor_id: str | None = None,
) -> PullRequestResult:
    message = scrub(message)
    server.window_show_message(
        types.ShowMessageParams(type=types.MessageType.Warning, message=message)
    )
    result: PullRequestResult = {
        "outcome": "refused" if exit_code == 3 else "failed",
        "message": message,
        "exitCode": exit_code,
    }
    if gate:
        result["gate"] = gate
    if anchor_id:
        result["anchorId"] = anchor_id
    return result


def _workspace_root(server: WishcraftLanguageServer) -> Path:
    root = server.workspace.root_path
    return Path(root) if root else Path.cwd()


def find_target(server: WishcraftLanguageServer, target: str) -> Applied:
    """The applied change `target` names: an anchor id (found from the workspace's root), or a
    wish's uri (its last applied change). Raises `PrRefused` with one sentence."""
    from wishcraft.ledger import LedgerError, find_ledger
    from wishcraft.pr import PrRefused, find_applied
    from wishcraft.pr.inputs import last_applied_anchor

    if ANCHOR_TARGET.match(target):
        return find_applied(_workspace_root(server), target)
    path_text = to_fs_path(target) if "://" in target else None
    if not path_text:
        raise PrRefused(
            "Open Pull Request needs a wish's uri or an anchor id (A-…); run it "
            "from a wish, or give the anchor “Apply plan” reported.",
            gate="Ledger",
        )
    wish = Path(path_text)
    try:
        location = find_ledger(wish)
    except LedgerError as error:
        raise PrRefused(str(error), gate="Ledger") from None
    anchor_id = last_applied_anchor(location, location.wish_key(wish))
    return find_applied(wish.parent, anchor_id)


async def open_for(server: WishcraftLanguageServer, target: str) -> PullRequestResult:
    """Open the pull request of `target` (an anchor id or a wish's uri); show the outcome."""
    from wishcraft.pr import PrError
    from wishcraft.pr.inputs import load_inputs

    try:
        applied = find_target(server, target)
    except PrError as error:
        return _refused(
            server, str(error), gate=getattr(error, "gate", None), exit_code=error.exit_code
        )
    anchor_id = applied.entry.anchor_id or ""
    running = _RUNNING.setdefault(server, set())
    if anchor_id in running:
        return _refused(
            server,
            f"The pull request of {anchor_id} is being opened already; wait for its message.",
            anchor_id=anchor_id,
            gate="Ledger",
        )
    try:
        inputs = load_inputs(
            applied,
            lint_config=server.lint_config_for(applied.wish_path),
            artifact=_artifact(server, applied.wish_path),
        )
    except PrError as error:
        return _refused(server, str(error), exit_code=error.exit_code, anchor_id=anchor_id)
    running.add(anchor_id)
    task = server.spawn(
        _run(server, applied, inputs, anchor_id), name=f"open the pull request of {anchor_id}"
    )
    # Shielded: a client that gives up waiting (a cancelled request) does not stop the run
    # half-way; its outcome is still shown and recorded.
    result: PullRequestResult = await asyncio.shield(task)
    return result


def _artifact(server: WishcraftLanguageServer, wish_path: Path) -> Path | None:
    from wishcraft.plan.paths import PlanPathError

    try:
        return server.plan_paths_for(wish_path).artifact
    except PlanPathError:
        return None


async def _run(
    server: WishcraftLanguageServer, applied: Applied, inputs: Any, anchor_id: str
) -> PullRequestResult:
    from wishcraft.pr import open_pull_request

    progress = WorkProgress(
        server, f"Opening a pull request for “{scrub(inputs.wish.title)}”", new_token("pr")
    )
    await progress.begin("Checking the gates", say=False)
    loop = asyncio.get_running_loop()

    def step(label: str) -> None:  # called from the opener's thread
        loop.call_soon_threadsafe(progress.report, label)

    try:
        result = await asyncio.to_thread(
            open_pull_request,
            applied.workspace,
            anchor_id,
            wish=inputs.wish,
            plan_steps=inputs.plan_steps,
            registry=inputs.registry,
            lint_config=inputs.lint_config,
            ledger=applied.ledger,
            config_file=inputs.config_file,
            wish_key=applied.entry.wish,
            progress=step,
        )
    finally:
        _RUNNING.get(server, set()).discard(anchor_id)
    progress.end(result.message)
    await _show(server, result, applied.workspace)
    server.refresh_code_lenses()
    return _answer(result)


def _answer(result: PrResult) -> PullRequestResult:
    answer: PullRequestResult = {
        "outcome": result.outcome,
        "message": result.message,
        "exitCode": result.exit_code,
        "anchorId": result.anchor_id,
        "otherChanges": list(result.other_changes),
    }
    if result.gate:
        answer["gate"] = result.gate
    if result.pr_url:
        answer["prUrl"] = result.pr_url
    if result.branch:
        answer["branch"] = result.branch
    return answer


async def _show(server: WishcraftLanguageServer, result: PrResult, workspace: Path) -> None:
    """One message with the outcome; the address opened in the browser when the client can.
    A refusal because the repository is not trusted carries a "Review and trust…" button
    (`trusting.offer_after_refusal`), not awaited: the command answers now."""
    if result.outcome == "complete":
        kind = types.MessageType.Info
        message = result.message
        if result.other_changes:
            message += (
                f" Left uncommitted (not part of the apply): {', '.join(result.other_changes)}."
            )
    else:
        kind = types.MessageType.Warning if result.outcome == "refused" else types.MessageType.Error
        message = result.message
    untrusted = _untrusted_root(result, workspace)
    if untrusted is not None:
        from wishcraft.lsp.features.trusting import offer_after_refusal

        server.spawn(offer_after_refusal(server, scrub(message), untrusted), "offer to trust")
    else:
        server.window_show_message(types.ShowMessageParams(type=kind, message=scrub(message)))
    if result.ledger_problem:
        server.window_show_message(
            types.ShowMessageParams(
                type=types.MessageType.Warning, message=scrub(result.ledger_problem)
            )
        )
    window = server.client_capabilities.window
    if result.pr_url and window and window.show_document and window.show_document.support:
        try:
            await server.window_show_document_async(
                types.ShowDocumentParams(uri=result.pr_url, external=True)
            )
        except Exception as error:  # the message above already holds the address
            logger.info("showDocument of the pull request failed: %s", error)


def _untrusted_root(result: PrResult, workspace: Path) -> Path | None:
    """The repository's root when the Check gate refused because it is not trusted (as its
    wishcraft.toml is now); None for every other outcome."""
    if result.outcome != "refused" or result.gate != "Check":
        return None
    from wishcraft.trust import Trust, TrustError, repository_root, trust_of

    try:
        if trust_of(workspace) is Trust.TRUSTED:
            return None
        return repository_root(workspace)
    except TrustError:
        return None


def register(server: WishcraftLanguageServer) -> None:
    """Wire the command."""

    # pygls reads the handlers' hints at run time: the server parameter is typed `Any`.
    @server.command(COMMAND_OPEN_PULL_REQUEST)
    async def open_pull_request(ls: Any, target: str) -> dict[str, Any]:
        return dict(await open_for(server, target))
