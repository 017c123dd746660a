"""'Apply plan' and 'Undo apply' through the real server, against the loopback Codex server.

Each test starts the server as a subprocess on a fresh workspace (`testkit.apply_ws`), with a
fake Codex login and the loopback server answering with a `read_file`, an `apply_patch` and a
final message. The test client plays the editor: a VS Code-like client gets the
`workspace/applyEdit` with change annotations needing confirmation (VS Code shows its refactor
preview), a Neovim-like client (no annotation support) is asked with `window/showMessageRequest`
first; the client then applies the edit to the files as an editor that saves would.
"""

from __future__ import annotations

import asyncio
import json
import os
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import pytest_asyncio
from lsprotocol import types
from pygls.uris import to_fs_path

from testkit.apply_ws import (
    ALL,
    APPLY_ID,
    UPDATE,
    WISH_NAME,
    WISH_TEXT,
    apply_text,
    make_workspace,
    read_then_patch,
    tree,
)
from testkit.codex_home import write_codex_home
from testkit.loopback import (
    LoopbackCodex,
    custom_tool_call_item,
    sse,
    tool_call_transcript,
)
from testkit.lsp_client import WAIT_SECONDS, WishClient
from testkit.lsp_planning import (
    plan_actions,
    start_client,
    supports_progress,
    wait_for_message,
    wait_for_progress_end,
)
from wishcraft.ledger import verify
from wishcraft.names import COMMAND_APPLY_PLAN, COMMAND_UNDO_APPLY
from wishcraft.undo_state import state_dir_for

pytestmark = pytest.mark.asyncio(loop_scope="module")

WISH = f"data/wishes/{WISH_NAME}"
TITLE = "Relight the Sunken Quarter lighthouse"


@dataclass
class Editor:
    """The client's side of an apply: what it was asked, and how it answers."""

    client: WishClient
    root: Path
    only: str | None = None
    """Apply only the changes of this path (as a user unticking the others in a preview)."""
    answers: list[str] = field(default_factory=list)
    """The choices to pick in order, then "Apply"."""
    apply: bool = True
    saves: bool = True
    """Whether the client saves what it applies (Neovim 0.7's stock handler does not)."""
    meddle: Callable[[], object] | None = None
    """Something else that happens to the files while the edit is applied."""
    edits: list[types.ApplyWorkspaceEditParams] = field(default_factory=list)
    questions: list[types.ShowMessageRequestParams] = field(default_factory=list)
    edited: asyncio.Event = field(default_factory=asyncio.Event)


def apply_to_disk(edit: types.WorkspaceEdit, only: str | None = None) -> None:
    """What an editor does with the edit, then saving every file (`only`: the one file the
    user kept ticked)."""

    def path(uri: str) -> Path:
        found = to_fs_path(uri)
        assert found is not None
        return Path(found)

    for change in edit.document_changes or []:
        uri = (
            change.text_document.uri
            if isinstance(change, types.TextDocumentEdit)
            else change.old_uri
            if isinstance(change, types.RenameFile)
            else change.uri
        )
        if only is not None and not uri.endswith(only):
            continue
        if isinstance(change, types.TextDocumentEdit):
            target = path(change.text_document.uri)
            before = target.read_text() if target.exists() else ""
            target.write_text(apply_text(before, list(change.edits)))
        elif isinstance(change, types.CreateFile):
            target = path(change.uri)
            target.parent.mkdir(parents=True, exist_ok=True)
            target.touch()
        elif isinstance(change, types.RenameFile):
            target = path(change.new_uri)
            target.parent.mkdir(parents=True, exist_ok=True)
            path(change.old_uri).rename(target)
        elif isinstance(change, types.DeleteFile):
            path(change.uri).unlink()
        else:
            raise AssertionError(f"unexpected change {change!r}")


async def start(profile: str, root: Path, codex: LoopbackCodex, home: Path) -> Editor:
    env = {
        **os.environ,
        "CODEX_HOME": str(home),
        "CHATGPT_BASE_URL": codex.base_url,
        "CODEX_REFRESH_TOKEN_URL_OVERRIDE": codex.refresh_url,
    }
    client = await start_client(profile, root, env)
    editor = Editor(client, root)

    def apply_edit(
        ls: Any, params: types.ApplyWorkspaceEditParams
    ) -> types.ApplyWorkspaceEditResult:
        editor.edits.append(params)
        if editor.apply and editor.saves:
            apply_to_disk(params.edit, editor.only)
        if editor.meddle is not None:
            editor.meddle()
        editor.edited.set()
        return types.ApplyWorkspaceEditResult(applied=editor.apply)

    def ask(ls: Any, params: types.ShowMessageRequestParams) -> types.MessageActionItem | None:
        editor.questions.append(params)
        return types.MessageActionItem(title=editor.answers.pop(0) if editor.answers else "Apply")

    client.feature(types.WORKSPACE_APPLY_EDIT)(apply_edit)
    client.feature(types.WINDOW_SHOW_MESSAGE_REQUEST)(ask)
    return editor


@pytest_asyncio.fixture(loop_scope="module")
async def codex() -> AsyncIterator[LoopbackCodex]:
    with LoopbackCodex() as server:
        yield server


@pytest.fixture()
def home(tmp_path: Path) -> Path:
    return write_codex_home(tmp_path / "home")


@pytest_asyncio.fixture(loop_scope="module", params=["vscode", "neovim"])
async def editor(
    request: pytest.FixtureRequest, tmp_path: Path, codex: LoopbackCodex, home: Path
) -> AsyncIterator[Editor]:
    root = tmp_path / "ws"
    make_workspace(root)
    found = await start(request.param, root, codex, home)
    yield found
    await found.client.shutdown_session()


def ledger(root: Path) -> list[dict[str, Any]]:
    path = root / "data" / "ledger" / "wishes.jsonl"
    return [json.loads(line) for line in path.read_text().splitlines()] if path.exists() else []


async def execute(client: WishClient, command: str, argument: str) -> dict[str, Any]:
    result = await client.workspace_execute_command_async(
        types.ExecuteCommandParams(command=command, arguments=[argument])
    )
    assert isinstance(result, dict), result
    return result


async def test_apply_plan_then_undo(editor: Editor, codex: LoopbackCodex) -> None:
    client, root = editor.client, editor.root
    before = tree(root)
    await client.open(WISH, WISH_TEXT)
    actions = [
        action
        for action in await plan_actions(client, WISH)
        if action.title.startswith("Apply plan")
    ]
    assert [(action.title, action.disabled) for action in actions] == [("Apply plan", None)]
    codex.enqueue("responses", *read_then_patch(ALL))

    started = await execute(client, COMMAND_APPLY_PLAN, client.uri(WISH))
    assert started["started"] is True, started
    message = await wait_for_message(client, "Applied 4 files")
    assert "Undo apply" in message.message

    if client.profile == "vscode":
        (params,) = editor.edits
        edit = params.edit
        kinds = [type(change).__name__ for change in edit.document_changes or []]
        assert kinds == [
            "TextDocumentEdit",
            "CreateFile",
            "TextDocumentEdit",
            "DeleteFile",
            "RenameFile",
            "TextDocumentEdit",
        ]
        assert editor.questions == []
        assert edit.change_annotations is not None
        (annotation,) = edit.change_annotations.values()
        assert annotation.label == TITLE and annotation.needs_confirmation is True
        for change in edit.document_changes or []:
            if isinstance(change, types.TextDocumentEdit):
                assert all(
                    isinstance(item, types.AnnotatedTextEdit)
                    and item.annotation_id in edit.change_annotations
                    for item in change.edits
                )
            else:
                assert change.annotation_id in edit.change_annotations
    else:
        (question,) = editor.questions
        assert question.message.startswith("Apply 4 files (+3 \u22123)?")
        assert [action.title for action in question.actions or []] == [
            "Apply",
            "Show diff",
            "Cancel",
        ]
        # Neovim 0.7 applies an edit to buffers and saves nothing: the server writes the files
        # through the transaction instead, and sends no edit.
        assert editor.edits == []
    after = tree(root)
    assert after["src/lamps.py"] == "lamps = 3\nlit = False\n"
    assert after["src/beacon.py"] == "colour = 'amber'\n"
    assert "src/old.py" not in after and "src/gallery.py" not in after
    assert after["src/lantern/gallery.py"] == "tiles = 13\n"
    assert "+lamps = 3" in (root / "data" / "wishes" / "lamps.wish.patch").read_text()

    *pending, line = ledger(root)
    if client.profile == "neovim":  # the transaction's line, pending before the files
        assert [(p["outcome"], p["anchor_id"]) for p in pending] == [("pending", line["anchor_id"])]
    else:
        assert pending == []
    assert (line["conduit"], line["action"], line["outcome"]) == (APPLY_ID, "apply", "complete")
    assert line["anchor_id"] and len(line["diff_hash"]) == 64
    assert line["model"] == "gpt-6.1-sol" and line["summary"] == (
        "Applied 4 files (+3 \u22123): src/lamps.py, src/beacon.py, src/old.py, "
        "src/gallery.py \u2192 src/lantern/gallery.py."
    )
    anchor = line["anchor_id"]
    assert (state_dir_for(root) / f"{anchor}.json").is_file()  # in the user's state folder
    assert not (root / "data" / "ledger" / "anchors").exists()  # never in the repository

    undone = await execute(client, COMMAND_UNDO_APPLY, client.uri(WISH))
    assert undone["started"] is True and undone["anchorId"] == anchor, undone
    assert tree(root) == before
    last = ledger(root)[-1]
    assert (last["action"], last["outcome"], last["anchor_id"]) == ("rollback", "complete", anchor)
    assert verify(root / "data" / "ledger" / "wishes.jsonl").ok
    again = await execute(client, COMMAND_UNDO_APPLY, client.uri(WISH))
    assert again["started"] is False


async def test_declined_or_unapplied_edits_leave_no_anchor(
    editor: Editor, codex: LoopbackCodex
) -> None:
    client, root = editor.client, editor.root
    before = tree(root)
    await client.open(WISH, WISH_TEXT)
    codex.enqueue("responses", *read_then_patch(UPDATE))
    if client.profile == "vscode":
        editor.apply = False  # the user cancelled the refactor preview
    else:
        editor.answers = ["Cancel"]
    started = await execute(client, COMMAND_APPLY_PLAN, client.uri(WISH))
    assert started["started"] is True
    await wait_for_message(client, "not applied")
    assert tree(root) == before
    (line,) = ledger(root)
    assert line["outcome"] == "complete" and line["anchor_id"] is None
    assert line["summary"].startswith("Not applied")
    if client.profile == "neovim":
        assert editor.edits == [] and len(editor.questions) == 1
    else:
        assert len(editor.edits) == 1
    assert not list(state_dir_for(root).glob("A-*.json"))


async def test_undo_refuses_an_unsaved_buffer_and_an_edited_file(
    editor: Editor, codex: LoopbackCodex
) -> None:
    client, root = editor.client, editor.root
    await client.open(WISH, WISH_TEXT)
    codex.enqueue("responses", *read_then_patch(UPDATE))
    await execute(client, COMMAND_APPLY_PLAN, client.uri(WISH))
    await wait_for_message(client, "Applied 1 file")
    lamps = root / "src" / "lamps.py"
    assert lamps.read_text() == "lamps = 3\nlit = False\n"
    # An unsaved edit in the editor: the undo checks the disk, so it asks to save first.
    client.text_document_did_open(
        types.DidOpenTextDocumentParams(
            text_document=types.TextDocumentItem(
                uri=client.uri("src/lamps.py"),
                language_id="python",
                version=1,
                text="lamps = 4\nlit = False\n",
            )
        )
    )
    refused = await execute(client, COMMAND_UNDO_APPLY, client.uri(WISH))
    assert refused["started"] is False
    assert (
        "'src/lamps.py' has unsaved changes in the editor; save that edit first"
        in refused["reason"]
    )
    # Saved: the file changed since the apply, so the undo names it.
    lamps.write_text("lamps = 4\nlit = False\n")
    refused = await execute(client, COMMAND_UNDO_APPLY, client.uri(WISH))
    assert refused["started"] is False
    assert "'src/lamps.py' changed after the change was applied" in refused["reason"]
    assert lamps.read_text() == "lamps = 4\nlit = False\n"
    outcomes = [(entry["action"], entry["outcome"]) for entry in ledger(root)]
    applied = [("apply", "pending")] if client.profile == "neovim" else []
    applied.append(("apply", "complete"))
    assert outcomes == [*applied, ("rollback", "refused"), ("rollback", "refused")]


async def test_apply_plan_is_disabled_with_the_reason(editor: Editor) -> None:
    client, root = editor.client, editor.root
    stale = WISH_TEXT.replace("within 5 days", "within 6 days")
    await client.open(WISH, stale)
    (action,) = [
        action
        for action in await plan_actions(client, WISH)
        if action.title.startswith("Apply plan")
    ]
    if client.profile == "vscode":
        assert action.disabled is not None
        assert (
            action.disabled.reason
            == "The wish changed since lamps.wish.plan.json was made; plan again."
        )
    else:  # Neovim 0.7 cannot show disabled actions: the title says why
        assert action.title == (
            "Apply plan (warning: The wish changed since lamps.wish.plan.json was made; plan again)"
        )
    refused = await execute(client, COMMAND_APPLY_PLAN, client.uri(WISH))
    assert refused["started"] is False and "plan again" in refused["reason"]
    assert ledger(root) == []
    # A wish that does not name the apply conduit is not offered the action at all.
    unbound = root / "data" / "wishes" / "unbound.wish.yaml"
    unbound.write_text(WISH_TEXT.replace(f'  - "{APPLY_ID}"\n', ""))
    await client.open("data/wishes/unbound.wish.yaml", unbound.read_text())
    titles = [
        action.title for action in await plan_actions(client, "data/wishes/unbound.wish.yaml")
    ]
    assert titles and not any(title.startswith("Apply plan") for title in titles)


async def test_cancel_stops_codex_and_writes_nothing(editor: Editor, codex: LoopbackCodex) -> None:
    client, root = editor.client, editor.root
    if not supports_progress(client):
        pytest.skip("this client shows no progress to cancel")
    before = tree(root)
    await client.open(WISH, WISH_TEXT)
    first, *_ = read_then_patch(ALL)
    codex.enqueue(
        "responses",
        first,
        sse(
            tool_call_transcript(
                [custom_tool_call_item("call_patch", "apply_patch", ALL)], response_id="resp_2"
            ),
            stall_after=1,
        ),
    )
    started = await execute(client, COMMAND_APPLY_PLAN, client.uri(WISH))
    token = started["token"]

    async def reading() -> None:
        while not any(
            "Codex reads src/lamps.py" in (getattr(value, "message", "") or "")
            for value in client.progress_reports.get(token, [])
        ):
            await client.wait_for_notification("$/progress")

    await asyncio.wait_for(reading(), WAIT_SECONDS)
    codex.wait_for_requests(2)
    client.window_work_done_progress_cancel(types.WorkDoneProgressCancelParams(token=token))
    values = await wait_for_progress_end(client, token)
    begin, end = values[0], values[-1]
    assert isinstance(begin, types.WorkDoneProgressBegin) and begin.cancellable is True
    assert TITLE in (begin.title or "")
    assert end.message == "Cancelled: nothing was written."
    codex.release_stalls()
    assert tree(root) == before and editor.edits == []
    (line,) = ledger(root)
    assert (line["outcome"], line["reason"], line["anchor_id"], line["diff_hash"]) == (
        "incomplete",
        "cancelled",
        None,
        None,
    )


async def test_show_diff_then_apply(editor: Editor, codex: LoopbackCodex) -> None:
    client, root = editor.client, editor.root
    if client.profile != "neovim":
        pytest.skip("only a client without change annotations is asked")
    await client.open(WISH, WISH_TEXT)
    codex.enqueue("responses", *read_then_patch(UPDATE))
    editor.answers = ["Show diff"]
    await execute(client, COMMAND_APPLY_PLAN, client.uri(WISH))
    shown = await wait_for_message(client, "The diff is in ")
    assert shown.message.endswith("lamps.wish.patch")
    await wait_for_message(client, "Applied 1 file")
    assert len(editor.questions) == 2 and editor.edits == []  # the server wrote the file
    assert (root / "src" / "lamps.py").read_text() == "lamps = 3\nlit = False\n"


async def test_files_unticked_in_the_preview_are_not_recorded(
    editor: Editor, codex: LoopbackCodex
) -> None:
    client, root = editor.client, editor.root
    if client.profile != "vscode":
        pytest.skip("only a refactor preview lets the user untick files")
    before = tree(root)
    await client.open(WISH, WISH_TEXT)
    codex.enqueue("responses", *read_then_patch(ALL))
    editor.only = "src/beacon.py"
    await execute(client, COMMAND_APPLY_PLAN, client.uri(WISH))
    message = await wait_for_message(client, "Applied 1 file")
    assert "left out in the review" in message.message
    (line,) = ledger(root)
    assert (
        line["anchor_id"]
        and line["summary"]
        == "Applied 1 of 4 files: src/beacon.py (the other files were left out in the review)."
    )
    undone = await execute(client, COMMAND_UNDO_APPLY, client.uri(WISH))
    assert undone["started"] is True and undone["files"] == ["src/beacon.py"]
    assert tree(root) == before


async def test_applied_is_said_only_once_the_files_on_disk_hold_the_new_text(
    editor: Editor, codex: LoopbackCodex
) -> None:
    """Issue 22: a client that applies edits to buffers and saves nothing (Neovim 0.7's stock
    handler; VS Code for a one-file edit without auto save) must not leave a ledger saying
    "applied" over unchanged files: when the server says Applied, the files on disk already
    hold the new text, because the server wrote them."""
    client, root = editor.client, editor.root
    editor.saves = False
    await client.open(WISH, WISH_TEXT)
    codex.enqueue("responses", *read_then_patch(UPDATE))
    await execute(client, COMMAND_APPLY_PLAN, client.uri(WISH))
    await wait_for_message(client, "Applied 1 file")
    # The client never writes a file here, so what the disk holds now it held when the server
    # said Applied: the server wrote it first.
    assert (root / "src" / "lamps.py").read_text() == "lamps = 3\nlit = False\n"
    # Neovim gets no edit; the edit a client left unsaved was written by the server.
    assert len(editor.edits) == (1 if client.profile == "vscode" else 0)
    pending, line = ledger(root)
    assert (pending["outcome"], line["outcome"]) == ("pending", "complete")
    assert line["anchor_id"] and pending["anchor_id"] == line["anchor_id"]


async def test_an_unsaved_multi_file_edit_is_not_recorded(
    editor: Editor, codex: LoopbackCodex
) -> None:
    """A client with a preview answered applied for a change of several files and saved none:
    unticked and unsaved files look alike on disk, so nothing is written or recorded."""
    client, root = editor.client, editor.root
    if client.profile != "vscode":
        pytest.skip("only a client with a refactor preview is sent the edit")
    before = tree(root)
    editor.saves = False
    await client.open(WISH, WISH_TEXT)
    codex.enqueue("responses", *read_then_patch(ALL))
    await execute(client, COMMAND_APPLY_PLAN, client.uri(WISH))
    message = await wait_for_message(client, "not applied")
    assert "saved none of the files" in message.message
    assert tree(root) == before
    (line,) = ledger(root)
    assert line["anchor_id"] is None and line["summary"].startswith("Not applied")
    assert not list(state_dir_for(root).glob("A-*.json"))
    assert editor.edits[0].metadata is not None and editor.edits[0].metadata.is_refactoring


async def test_an_unsaved_edit_over_changed_files_is_not_recorded(
    editor: Editor, codex: LoopbackCodex
) -> None:
    """The client answered applied, saved nothing, and a file changed on disk meanwhile: the
    server cannot write the change as staged, so nothing is recorded as applied."""
    client, root = editor.client, editor.root
    if client.profile != "vscode":
        pytest.skip("only a client with a refactor preview is sent the edit")
    editor.saves = False
    editor.meddle = lambda: (root / "src" / "lamps.py").write_text("lamps = 7\nlit = False\n")
    await client.open(WISH, WISH_TEXT)
    codex.enqueue("responses", *read_then_patch(UPDATE))
    await execute(client, COMMAND_APPLY_PLAN, client.uri(WISH))
    message = await wait_for_message(client, "not applied")
    assert "saved none of the files" in message.message
    assert (root / "src" / "lamps.py").read_text() == "lamps = 7\nlit = False\n"
    (line,) = ledger(root)
    assert line["anchor_id"] is None and line["summary"].startswith("Not applied")
    assert not list(state_dir_for(root).glob("A-*.json"))


async def test_apply_plan_reuses_the_staged_patch_with_no_model_call(
    editor: Editor, codex: LoopbackCodex
) -> None:
    """Issue 21 item 5 in the editor: a patch staged and not applied (declined) is applied as
    staged the next time, with no request to Codex."""
    client, root = editor.client, editor.root
    await client.open(WISH, WISH_TEXT)
    codex.clear()
    codex.enqueue("responses", *read_then_patch(UPDATE))
    if client.profile == "vscode":
        editor.apply = False
    else:
        editor.answers = ["Cancel"]
    await execute(client, COMMAND_APPLY_PLAN, client.uri(WISH))
    await wait_for_message(client, "not applied")
    reviewed = (root / "data" / "wishes" / "lamps.wish.patch").read_text()
    asked = len(codex.route_requests("responses"))
    editor.apply = True
    await execute(client, COMMAND_APPLY_PLAN, client.uri(WISH))
    await wait_for_message(client, "Reusing the staged patch lamps.wish.patch: no model call.")
    await wait_for_message(client, "Applied 1 file")
    assert len(codex.route_requests("responses")) == asked
    assert (root / "src" / "lamps.py").read_text() == "lamps = 3\nlit = False\n"
    assert (root / "data" / "wishes" / "lamps.wish.patch").read_text() == reviewed
    declined, *_, applied = [line for line in ledger(root) if line["action"] == "apply"]
    assert applied["diff_hash"] == declined["diff_hash"] and applied["request_id"] is None
