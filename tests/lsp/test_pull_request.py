"""'Open Pull Request' through the real server, under the VS Code-like and Neovim-like profiles.

Each test starts the server as a subprocess in a clone of a bare remote holding an applied
change (`testkit.pr_repo`, with the real wish and its saved plan from `testkit.pr_wish`), with
the scenario's environment (its git, the token, `GITHUB_API_URL` pointing at the loopback
GitHub API). The client asks for the command with the wish's uri, or with an anchor id, and
the test reads what an editor would show: the work-done progress with each step's label, the
one message, and (VS Code, which supports it) `window/showDocument` opening the address in the
browser. Every message, log line and progress value is scanned for the token.
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import pytest_asyncio
from lsprotocol import types

from testkit.github import LoopbackGitHub
from testkit.lsp_client import WishClient
from testkit.lsp_planning import start_client, supports_show_document, wait_for_message
from testkit.pr_repo import Scenario, make_scenario
from testkit.pr_wish import PLAN_STEPS, TITLE, WISH_FILE, branch_of, token_leaks, write_wish
from wishcraft.names import COMMAND_OPEN_PULL_REQUEST

pytestmark = pytest.mark.asyncio(loop_scope="module")

URL = "https://github.example/acme/widgets/pull/1"


@dataclass
class Editor:
    """A client on the scenario's clone."""

    client: WishClient
    scenario: Scenario


@pytest_asyncio.fixture(loop_scope="module", params=["vscode", "neovim"])
async def editor(
    request: pytest.FixtureRequest, tmp_path: Path, github: LoopbackGitHub
) -> AsyncIterator[Editor]:
    scenario = make_scenario(tmp_path, github.base_url)
    write_wish(scenario)
    client = await start_client(request.param, scenario.work, {**os.environ, **scenario.env})
    yield Editor(client, scenario)
    await client.shutdown_session()


async def open_pull_request(client: WishClient, target: str) -> dict[str, Any]:
    result = await client.workspace_execute_command_async(
        types.ExecuteCommandParams(command=COMMAND_OPEN_PULL_REQUEST, arguments=[target])
    )
    assert isinstance(result, dict), result
    return result


def progress_of(client: WishClient) -> list[Any]:
    """The values of the pull request's work-done progress (the only one with its prefix)."""
    tokens = [token for token in client.progress_reports if str(token).startswith("wishcraft-pr-")]
    assert len(tokens) == 1, tokens
    return list(client.progress_reports[tokens[0]])


def assert_no_token(editor: Editor, github: LoopbackGitHub, result: dict[str, Any]) -> None:
    client = editor.client
    outputs = {
        "result": repr(result),
        "messages": "\n".join(message.message for message in client.messages),
        "log messages": "\n".join(message.message for message in client.log_messages),
        "progress": "\n".join(repr(values) for values in client.progress_reports.values()),
        "shown documents": repr(client.shown_documents),
        "ledger": editor.scenario.ledger.read_text(encoding="utf-8"),
        "pr bodies": "\n".join(request.body.decode() for request in github.requests),
    }
    assert token_leaks(outputs) == []


async def test_open_pull_request_from_the_wish_shows_the_address(
    editor: Editor, github: LoopbackGitHub
) -> None:
    client, scenario = editor.client, editor.scenario

    result = await open_pull_request(client, client.uri(WISH_FILE))

    assert result["outcome"] == "complete", result
    assert result["exitCode"] == 0 and result["prUrl"] == URL
    assert result["anchorId"] == scenario.anchor.anchor_id
    assert result["branch"] == branch_of(scenario)
    assert WISH_FILE in result["otherChanges"]  # the edited wish stays uncommitted
    message = await wait_for_message(client, URL)
    assert message.type == types.MessageType.Info
    assert message.message.startswith(f"Opened {URL} from {branch_of(scenario)} into main")
    assert WISH_FILE in message.message.split(" Left uncommitted (not part of the apply): ")[1]
    if supports_show_document(client):
        assert [(shown.uri, shown.external) for shown in client.shown_documents] == [(URL, True)]
    else:
        assert client.shown_documents == []

    values = progress_of(client)
    begin, *reports, end = values
    assert isinstance(begin, types.WorkDoneProgressBegin)
    assert begin.title == f"Opening a pull request for “{TITLE}”"
    assert begin.cancellable is False
    steps = [value.message for value in reports]
    assert steps == [
        "Reading the remote origin",
        f"Committing 3 files on {branch_of(scenario)}",
        f"Pushing {branch_of(scenario)} to origin",
        "Opening the pull request",
    ]
    assert isinstance(end, types.WorkDoneProgressEnd) and end.message == result["message"]

    [request] = github.requests
    body = request.json
    assert body["title"] == TITLE and body["draft"] is True
    assert all(f"{number}. {step}" in body["body"] for number, step in enumerate(PLAN_STEPS, 1))
    entry = scenario.ledger_lines()[-1]
    assert (entry.action, entry.outcome, entry.pr_url) == ("open_pr", "complete", URL)
    assert scenario.git(
        "rev-parse", "--verify", f"refs/heads/{branch_of(scenario)}", cwd=scenario.remote
    ).strip() == entry_commit(scenario)

    # By its anchor, a second time: the gate says where the first one is, and nothing is sent.
    again = await open_pull_request(client, scenario.anchor.anchor_id)
    assert (again["outcome"], again["exitCode"], again["gate"]) == ("refused", 3, "Ledger")
    refusal = await wait_for_message(client, "already opened")
    assert refusal.type == types.MessageType.Warning
    assert refusal.message == (
        f"A pull request was already opened for "
        f"{scenario.anchor.anchor_id}: {URL}; update that one instead."
    )
    assert len(github.requests) == 1
    assert_no_token(editor, github, result)


def entry_commit(scenario: Scenario) -> str:
    """The commit the opener made: the work clone's branch (never pushed elsewhere)."""
    return scenario.git("rev-parse", f"refs/heads/{branch_of(scenario)}").strip()


async def test_refusals_are_one_sentence(editor: Editor, github: LoopbackGitHub) -> None:
    client, scenario = editor.client, editor.scenario
    unknown = "A-20260101T120000Z-0123456789ab"

    result = await open_pull_request(client, unknown)

    sentence = (
        f"There is no applied change {unknown} in {scenario.state_dir}; apply the wish "
        "first, or give the anchor the apply printed."
    )
    assert result == {"outcome": "refused", "message": sentence, "exitCode": 3, "gate": "Ledger"}
    message = await wait_for_message(client, unknown)
    assert (message.type, message.message) == (types.MessageType.Warning, sentence)

    other = "data/wishes/other.wish.yaml"
    result = await open_pull_request(client, client.uri(other))
    assert result["outcome"] == "refused" and result["gate"] == "Ledger"
    assert result["message"] == (
        f"The ledger {scenario.ledger} holds no applied change of "
        f"{other}; apply its plan first, then open the pull request."
    )
    await wait_for_message(client, "holds no applied change")

    # A gate of the opener itself: the Scopes gate, with a `refused` line on the ledger.
    registry = scenario.work / "data/conduits/registry.yaml"
    registry.write_text(registry.read_text().replace('"diff", "open_pr"', '"diff"'))
    result = await open_pull_request(client, client.uri(WISH_FILE))
    assert (result["outcome"], result["gate"]) == ("refused", "Scopes"), result
    message = await wait_for_message(client, "open_pr")
    assert message.type == types.MessageType.Warning and message.message == result["message"]
    entry = scenario.ledger_lines()[-1]
    assert (entry.action, entry.outcome, entry.reason) == ("open_pr", "refused", result["message"])
    assert not github.requests and client.shown_documents == []
    assert not [
        token
        for token in client.progress_reports
        if str(token).startswith("wishcraft-pr-")
        and any(
            isinstance(value, types.WorkDoneProgressReport)
            for value in client.progress_reports[token]
        )
    ]
    assert_no_token(editor, github, result)


@pytest.mark.parametrize("profile", ["vscode", "neovim"])
async def test_an_untrusted_check_is_refused_with_a_button_that_trusts(
    tmp_path: Path, github: LoopbackGitHub, profile: str
) -> None:
    """`[pr] check` in an untrusted repository: the refusal comes as a question with
    "Review and trust…"; taking it asks the trust question, and after "Trust" the same
    command opens the pull request (the check ran: its marker file exists)."""
    scenario = make_scenario(tmp_path, github.base_url)
    write_wish(scenario)
    config = scenario.work / "data" / "config" / "wishcraft.toml"
    config.parent.mkdir(parents=True, exist_ok=True)
    marker = tmp_path / "check-ran"
    config.write_text(f"[pr]\ncheck = \"touch '{marker}'\"\n")
    env = {**os.environ, **scenario.env, "XDG_CONFIG_HOME": str(tmp_path / "user-config")}
    client = await start_client(profile, scenario.work, env)
    asked: list[types.ShowMessageRequestParams] = []
    answered = asyncio.Event()

    def ask(params: types.ShowMessageRequestParams) -> types.MessageActionItem:
        asked.append(params)
        titles = [action.title for action in params.actions or []]
        if "Trust" in titles:
            answered.set()
            return types.MessageActionItem(title="Trust")
        return types.MessageActionItem(title=titles[0])

    client.feature(types.WINDOW_SHOW_MESSAGE_REQUEST)(ask)

    try:
        refused = await open_pull_request(client, client.uri(WISH_FILE))
        assert (refused["outcome"], refused["gate"]) == ("refused", "Check"), refused
        await asyncio.wait_for(answered.wait(), 10)
        await wait_for_message(client, "Trusted ")  # recorded once the answer arrived
        first, second = asked
        assert "runs only in a trusted repository" in first.message
        assert [action.title for action in first.actions or []] == ["Review and trust…"]
        assert "touch" in second.message
        done = await open_pull_request(client, client.uri(WISH_FILE))
        assert done["outcome"] == "complete", done
        assert marker.exists()
    finally:
        await client.shutdown_session()
