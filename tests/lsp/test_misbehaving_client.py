"""A misbehaving client: whatever it sends, the server answers clearly and keeps serving.

Requests for documents that are not open, positions past the end, versions out of order,
changes to documents never opened, malformed settings, unknown methods, params that do not fit
their method, a body that is not JSON. Each answer is an empty result or a JSON-RPC error
with a message, never silence; and after each, a hover on a normal wish still works.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import json
import os
import shutil
import tempfile
import time
import uuid
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from lsprotocol import types
from pygls.exceptions import JsonRpcException, JsonRpcInvalidParams, JsonRpcMethodNotFound
from pygls.uris import from_fs_path
from pytest_lsp import ClientServerConfig, client_capabilities

from testkit.lsp_client import (
    PROFILES,
    SERVER,
    TYPOS_WISH,
    VALID_WISH,
    WORKSPACE,
    WishClient,
    lsp_fixture,
    make_client,
)
from wishcraft.lsp.server import SETTINGS_WAIT_SECONDS

pytestmark = pytest.mark.asyncio(loop_scope="module")

ANSWER_SECONDS = 5.0
"""The longest any answer may take; silence past this means the server dropped a request."""

NORMAL = "data/wishes/m-normal.wish.yaml"
FAR = 10**6
HOVER_LINE = VALID_WISH.splitlines().index("scope:") + 2  # `duration_days: 5`


def _doc(client: WishClient, name: str) -> types.TextDocumentIdentifier:
    return types.TextDocumentIdentifier(uri=client.uri(name))


async def _answer(request: Any) -> Any:
    """Await a request's answer, failing (not hanging) if the server never sends one."""
    return await asyncio.wait_for(request, ANSWER_SECONDS)


def _write(client: WishClient, body: bytes) -> None:
    """Put one framed message on the server's stdin, whatever the body holds."""
    writer = client.protocol.writer
    assert writer is not None, "the client is not connected"
    writer.write(b"Content-Length: %d\r\n\r\n%s" % (len(body), body))


async def _raw(client: WishClient, method: str, params: Any) -> Any:
    """Send a request exactly as given: the client's own types would refuse these params."""
    msg_id = f"raw-{uuid.uuid4()}"
    answered: concurrent.futures.Future[Any] = concurrent.futures.Future()
    client.protocol._request_futures[msg_id] = answered  # the client resolves it on answer
    _write(
        client,
        json.dumps({"jsonrpc": "2.0", "id": msg_id, "method": method, "params": params}).encode(),
    )
    return await _answer(asyncio.wrap_future(answered))


async def still_serving(client: WishClient) -> None:
    """A normal wish still gets its hover, and no error was shown to the user."""
    if client.uri(NORMAL) not in client.versions:
        await client.open(NORMAL, VALID_WISH)
    hover = await _answer(
        client.text_document_hover_async(
            types.HoverParams(
                text_document=_doc(client, NORMAL),
                position=types.Position(line=HOVER_LINE, character=5),
            )
        )
    )
    assert hover is not None and isinstance(hover.contents, types.MarkupContent)
    assert "duration_days" in hover.contents.value
    errors = [m.message for m in client.messages if m.type == types.MessageType.Error]
    assert errors == [], errors


async def _every_request(
    client: WishClient, uri: str, position: types.Position, end: types.Position | None = None
) -> dict[str, Any]:
    """Ask every document request at `uri` and `position`; return the answers by method."""
    document = types.TextDocumentIdentifier(uri=uri)
    where = types.Range(start=position, end=end or position)
    requests = {
        "hover": client.text_document_hover_async(
            types.HoverParams(text_document=document, position=position)
        ),
        "completion": client.text_document_completion_async(
            types.CompletionParams(text_document=document, position=position)
        ),
        "definition": client.text_document_definition_async(
            types.DefinitionParams(text_document=document, position=position)
        ),
        "codeAction": client.text_document_code_action_async(
            types.CodeActionParams(
                text_document=document, range=where, context=types.CodeActionContext(diagnostics=[])
            )
        ),
        "documentSymbol": client.text_document_document_symbol_async(
            types.DocumentSymbolParams(text_document=document)
        ),
        "foldingRange": client.text_document_folding_range_async(
            types.FoldingRangeParams(text_document=document)
        ),
        "codeLens": client.text_document_code_lens_async(
            types.CodeLensParams(text_document=document)
        ),
    }
    answers = await _answer(asyncio.gather(*requests.values()))
    return dict(zip(requests, answers, strict=True))


async def test_requests_for_a_document_never_opened_answer_empty(client: WishClient) -> None:
    answers = await _every_request(
        client, client.uri("data/wishes/m-never.wish.yaml"), types.Position(line=0, character=0)
    )
    assert answers == dict.fromkeys(answers), answers
    await still_serving(client)


async def test_requests_for_a_closed_document_answer_empty(client: WishClient) -> None:
    name = "data/wishes/m-closed.wish.yaml"
    await client.open(name, TYPOS_WISH)
    after = client.published.count()
    client.close(name)
    await client.published.wait(client.uri(name), after=after)
    answers = await _every_request(client, client.uri(name), types.Position(line=1, character=1))
    assert answers == dict.fromkeys(answers), answers
    await still_serving(client)


@pytest.mark.parametrize(
    "uri",
    ["file:///nowhere/ghost.wish.yaml", "not a uri", "", "untitled:Untitled-1"],
    ids=["absent-file", "not-a-uri", "empty", "untitled"],
)
async def test_plan_command_for_a_bogus_uri_is_refused_with_a_reason(
    client: WishClient, uri: str
) -> None:
    result = await _answer(
        client.workspace_execute_command_async(
            types.ExecuteCommandParams(command="wishcraft.planWish", arguments=[uri])
        )
    )
    assert result["started"] is False
    assert result["reason"] == "This document is not an open wish."
    inserted = await _answer(
        client.workspace_execute_command_async(
            types.ExecuteCommandParams(command="wishcraft.insertPlanSteps", arguments=[uri])
        )
    )
    assert inserted["applied"] is False
    cancelled = await _answer(
        client.workspace_execute_command_async(
            types.ExecuteCommandParams(command="wishcraft.cancelPlan", arguments=[uri])
        )
    )
    assert cancelled is False
    await still_serving(client)


@pytest.mark.parametrize(
    "arguments",
    [[], [42], [None], [{"uri": "x"}], ["a", "b", "c"]],
    ids=["none", "number", "null", "object", "too-many"],
)
async def test_plan_command_with_wrong_arguments_is_a_clear_error(
    client: WishClient, arguments: list[Any]
) -> None:
    try:
        result = await _answer(
            client.workspace_execute_command_async(
                types.ExecuteCommandParams(command="wishcraft.planWish", arguments=arguments)
            )
        )
    except JsonRpcException as error:
        assert error.message, "the error says what was wrong"
    else:
        assert result["started"] is False and result["reason"]
    await still_serving(client)


async def test_unknown_command_is_a_clear_error(client: WishClient) -> None:
    with pytest.raises(JsonRpcException, match="wishcraft.noSuchCommand"):
        await _answer(
            client.workspace_execute_command_async(
                types.ExecuteCommandParams(command="wishcraft.noSuchCommand", arguments=[])
            )
        )
    await still_serving(client)


async def test_positions_past_the_end_are_clamped(client: WishClient) -> None:
    name = "data/wishes/m-far.wish.yaml"
    await client.open(name, TYPOS_WISH)
    for position in (
        types.Position(line=FAR, character=FAR),
        types.Position(line=0, character=FAR),
        types.Position(line=FAR, character=0),
    ):
        answers = await _every_request(client, client.uri(name), position)
        assert isinstance(answers["completion"], types.CompletionList)
        assert answers["documentSymbol"] and answers["foldingRange"]
    reversed_range = await _every_request(
        client,
        client.uri(name),
        types.Position(line=FAR, character=FAR),
        end=types.Position(line=0, character=0),
    )
    assert reversed_range["documentSymbol"]
    await still_serving(client)


@pytest.mark.parametrize(
    "position",
    [
        {"line": -1, "character": 0},
        {"line": 0, "character": -5},
        {"line": 2**40, "character": 0},
        {"line": None, "character": 0},
    ],
    ids=["negative-line", "negative-character", "beyond-uinteger", "null-line"],
)
async def test_impossible_positions_get_an_invalid_params_error(
    client: WishClient, position: dict[str, Any]
) -> None:
    """Raw JSON: LSP positions are unsigned 32-bit integers, so these cannot be typed."""
    await client.open("data/wishes/m-raw.wish.yaml", VALID_WISH)
    params = {
        "textDocument": {"uri": client.uri("data/wishes/m-raw.wish.yaml")},
        "position": position,
    }
    with pytest.raises(JsonRpcInvalidParams) as raised:
        await _raw(client, types.TEXT_DOCUMENT_HOVER, params)
    assert "textDocument/hover" in raised.value.message
    assert "position" in raised.value.message
    await still_serving(client)


@pytest.mark.parametrize(
    ("method", "params", "words"),
    [
        (types.TEXT_DOCUMENT_HOVER, "garbage", "textDocument"),
        (
            types.TEXT_DOCUMENT_HOVER,
            {"textDocument": 5, "position": {"line": 0, "character": 0}},
            "textDocument",
        ),
        (
            types.TEXT_DOCUMENT_COMPLETION,
            {"textDocument": {"uri": "file:///x.wish.yaml"}},
            "required field missing at `position`",
        ),
        (
            types.TEXT_DOCUMENT_CODE_ACTION,
            {"textDocument": {"uri": "file:///x.wish.yaml"}, "range": [1, 2], "context": {}},
            "range.start",
        ),
        (types.TEXT_DOCUMENT_DOCUMENT_SYMBOL, [1, 2, 3], "textDocument"),
        (types.WORKSPACE_EXECUTE_COMMAND, {"command": 7}, "Command name '7' is not defined"),
    ],
    ids=["string", "wrong-field-type", "missing-field", "range-as-list", "list", "command-type"],
)
async def test_garbage_params_get_an_invalid_params_error(
    client: WishClient, method: str, params: Any, words: str
) -> None:
    with pytest.raises(JsonRpcInvalidParams) as raised:
        await _raw(client, method, params)
    assert words in raised.value.message
    await still_serving(client)


async def test_unknown_method_is_method_not_found(client: WishClient) -> None:
    with pytest.raises(JsonRpcMethodNotFound):
        await _raw(client, "wishcraft/noSuchMethod", {"x": 1})
    client.protocol.notify("wishcraft/noSuchNotification", {"x": 1})
    client.protocol.notify("$/noSuchNotification", None)
    await still_serving(client)


async def test_a_body_that_is_not_json_is_skipped(client: WishClient) -> None:
    for body in (
        b"{not json",
        b"[1, 2]",
        b'"just a string"',
        b"\xff\xfe",
        b"{}",
        b'{"jsonrpc": "2.0"}',
        b'{"jsonrpc": "2.0", "method": 5}',
    ):
        _write(client, body)
    await still_serving(client)


@pytest.mark.parametrize(
    ("method", "params"),
    [
        (types.TEXT_DOCUMENT_DID_OPEN, "garbage"),
        (types.TEXT_DOCUMENT_DID_CHANGE, {"textDocument": 5, "contentChanges": []}),
        (types.TEXT_DOCUMENT_DID_CLOSE, None),
        (types.WORKSPACE_DID_CHANGE_WATCHED_FILES, {"changes": [{"uri": 1, "type": 99}]}),
    ],
    ids=["open-string", "change-wrong-type", "close-null", "watched-bad-type"],
)
async def test_garbage_notification_params_are_logged_not_shown(
    logged: WishClient, method: str, params: Any
) -> None:
    logged_before = LOG.read_text(encoding="utf-8")
    shown_before = len(logged.messages)
    _write(logged, json.dumps({"jsonrpc": "2.0", "method": method, "params": params}).encode())
    await still_serving(logged)  # answered after the notification was read (stdio keeps order)
    log = LOG.read_text(encoding="utf-8").removeprefix(logged_before)
    assert log.count("Ignored a message from the client that cannot be read") == 1, log
    assert logged.messages[shown_before:] == [], "nothing is shown to the user"


LOG = Path(tempfile.gettempdir()) / f"wishcraft-misbehaving-client-{os.getpid()}.log"
"""The log of the `logged` server (a fixture's server command is fixed at import)."""


@lsp_fixture(
    config=ClientServerConfig(
        server_command=[*SERVER, "--log-file", str(LOG)], client_factory=make_client
    ),
    scope="module",
)
async def logged(
    lsp_client: WishClient, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[None]:
    """A server for a VS Code-like client that writes its log where the test can read it."""
    root = tmp_path_factory.mktemp("workspace-logged")
    shutil.copytree(WORKSPACE, root, dirs_exist_ok=True)
    lsp_client.profile = "vscode"
    lsp_client.root = root
    lsp_client.set_configuration({"diagnostics": {"debounceMs": 10}}, section="wishcraft")
    await lsp_client.initialize_session(
        types.InitializeParams(
            capabilities=client_capabilities(PROFILES["vscode"]), root_uri=from_fs_path(str(root))
        )
    )
    yield
    await lsp_client.shutdown_session()
    LOG.unlink(missing_ok=True)


async def test_a_change_to_a_document_never_opened_is_ignored(client: WishClient) -> None:
    uri = client.uri("data/wishes/m-unopened.wish.yaml")
    client.text_document_did_change(
        types.DidChangeTextDocumentParams(
            text_document=types.VersionedTextDocumentIdentifier(uri=uri, version=3),
            content_changes=[types.TextDocumentContentChangeWholeDocument(text=TYPOS_WISH)],
        )
    )
    client.text_document_did_change(
        types.DidChangeTextDocumentParams(
            text_document=types.VersionedTextDocumentIdentifier(uri=uri, version=4),
            content_changes=[
                types.TextDocumentContentChangePartial(
                    range=types.Range(
                        start=types.Position(line=0, character=0),
                        end=types.Position(line=0, character=0),
                    ),
                    text="x",
                )
            ],
        )
    )
    client.text_document_did_close(
        types.DidCloseTextDocumentParams(
            text_document=types.TextDocumentIdentifier(uri=client.uri("data/wishes/m-x.wish.yaml"))
        )
    )
    await still_serving(client)
    hover = await _answer(
        client.text_document_hover_async(
            types.HoverParams(
                text_document=types.TextDocumentIdentifier(uri=uri),
                position=types.Position(line=0, character=1),
            )
        )
    )
    assert hover is None, "a change does not open a document"


async def test_a_second_open_with_the_same_version_replaces_the_text(client: WishClient) -> None:
    name = "data/wishes/m-twice.wish.yaml"
    first = await client.open(name, TYPOS_WISH)
    assert first.diagnostics
    second = await client.open(name, VALID_WISH)
    assert list(second.diagnostics) == [], "the second text is analysed, not the cached first"
    await still_serving(client)


async def test_a_replayed_version_with_new_text_is_analysed_afresh(client: WishClient) -> None:
    name = "data/wishes/m-replay.wish.yaml"
    uri = client.uri(name)
    await client.open(name, VALID_WISH)
    after = client.published.count()
    version = client.change(name, TYPOS_WISH)
    published = await client.published.wait(uri, version=version, after=after)
    assert published.diagnostics
    after = client.published.count()
    client.versions[uri] = version - 1  # the client sends the same version number again
    client.change(name, VALID_WISH)
    published = await client.published.wait(uri, version=version, after=after)
    assert list(published.diagnostics) == [], "the new text is analysed, not the cached one"
    await still_serving(client)


async def test_out_of_order_versions_end_on_the_last_text_sent(client: WishClient) -> None:
    name = "data/wishes/m-order.wish.yaml"
    uri = client.uri(name)
    await client.open(name, VALID_WISH)
    for version, text in (
        (5, TYPOS_WISH),
        (3, VALID_WISH.replace("tier: meso", "tier: mega")),
        (4, VALID_WISH.replace("tier: meso", "tier: mesa")),
    ):
        client.versions[uri] = version - 1
        after = client.published.count()
        client.change(name, text)
        published = await client.published.wait(uri, version=version, after=after)
    assert [d.code for d in published.diagnostics] == ["invalid-tier"]
    assert "`mesa`" in published.diagnostics[0].message
    hover = await _answer(
        client.text_document_hover_async(
            types.HoverParams(
                text_document=_doc(client, name),
                position=types.Position(line=HOVER_LINE, character=5),
            )
        )
    )
    assert hover is not None
    await still_serving(client)


async def _push_settings(client: WishClient, settings: Any, *, whole: Any = None) -> None:
    """Change settings as each editor does (VS Code is asked, Neovim 0.7 pushes them)."""
    client.set_configuration(settings, section="wishcraft")
    pushed = (
        None
        if client.profile == "vscode"
        else (whole if whole is not None else {"wishcraft": settings})
    )
    client.workspace_did_change_configuration(types.DidChangeConfigurationParams(settings=pushed))


GOOD = {
    "diagnostics": {"debounceMs": 10},
    "lint": {"severity": {"objective-no-time-bound": "error"}},
}
"""Settings with a visible effect: a timeless objective becomes an error."""

BAD_SETTINGS = [
    ("string-for-object", {"diagnostics": "fast"}, "wishcraft.diagnostics"),
    ("null-for-number", {"diagnostics": {"debounceMs": None}}, "debounceMs"),
    ("string-for-list", {"files": {"globs": "*.wish.yaml"}}, "wishcraft.files.globs"),
    ("number-for-string", {"registry": {"path": 42}}, "wishcraft.registry.path"),
    ("whole-section-string", "fast please", "must be an object"),
    ("whole-section-list", ["a", "b"], "must be an object"),
    ("unknown-severity", {"lint": {"severity": {"objective-no-time-bound": "loud"}}}, "loud"),
]


@pytest.mark.parametrize(
    ("settings", "words"), [c[1:] for c in BAD_SETTINGS], ids=[c[0] for c in BAD_SETTINGS]
)
async def test_malformed_settings_keep_the_last_good_ones_with_one_message(
    client: WishClient, settings: Any, words: str
) -> None:
    name = "data/wishes/m-settings.wish.yaml"
    uri = client.uri(name)

    def timeless_is_an_error(published: types.PublishDiagnosticsParams) -> bool:
        return any(
            d.code == "objective-no-time-bound" and d.severity == types.DiagnosticSeverity.Error
            for d in published.diagnostics
        )

    await client.open(name, VALID_WISH.replace("within 5 days", "soon"))
    try:
        after = client.published.count()
        await _push_settings(client, GOOD)
        await client.published.wait(uri, after=after, until=timeless_is_an_error)
        messages = len(client.messages)
        shown = asyncio.ensure_future(client.wait_for_notification(types.WINDOW_SHOW_MESSAGE))
        await _push_settings(client, settings)
        await _answer(shown)
        await _push_settings(client, settings)  # the same mistake again: no second message
        after = client.published.count()
        version = client.change(name, VALID_WISH.replace("within 5 days", "later"))
        published = await client.published.wait(uri, version=version, after=after)
        assert timeless_is_an_error(published), "the last good settings stay in force"
        await still_serving(client)
        new = client.messages[messages:]
        assert len(new) == 1, [m.message for m in new]
        assert new[0].type == types.MessageType.Warning
        assert words in new[0].message
        assert "last valid settings" in new[0].message
    finally:
        # Back to the module's settings, and wait until they are in force: VS Code-like
        # clients are asked for settings, and a question answered late would otherwise be
        # answered with the next case's settings.
        after = client.published.count()
        await _push_settings(client, {"diagnostics": {"debounceMs": 10}})
        latest = [p for p in client.published.all if p.uri == uri][-1]
        if timeless_is_an_error(latest):
            await client.published.wait(
                uri, after=after, until=lambda p: not timeless_is_an_error(p)
            )


@pytest.mark.parametrize(
    "payload",
    [None, "garbage", 42, ["wishcraft"], {"other": {"x": 1}}],
    ids=["null", "string", "number", "list", "other-section"],
)
async def test_any_did_change_configuration_payload_is_survived(
    client: WishClient, payload: Any
) -> None:
    client.workspace_did_change_configuration(types.DidChangeConfigurationParams(settings=payload))
    await still_serving(client)


async def test_a_cancel_for_an_unknown_request_is_ignored(client: WishClient) -> None:
    client.protocol.notify(types.CANCEL_REQUEST, types.CancelParams(id=987654))
    client.protocol.notify(types.CANCEL_REQUEST, types.CancelParams(id="nope"))
    await still_serving(client)


async def test_a_path_with_spaces_and_percent_escapes_is_served(client: WishClient) -> None:
    name = "data/wishes/with space #1 %.wish.yaml"
    published = await client.open(name, TYPOS_WISH)
    assert published.uri == client.uri(name)
    assert "%20" in published.uri
    assert {d.code for d in published.diagnostics} >= {"invalid-tier", "unknown-key"}
    hover = await _answer(
        client.text_document_hover_async(
            types.HoverParams(
                text_document=_doc(client, name), position=types.Position(line=1, character=1)
            )
        )
    )
    assert hover is not None
    await still_serving(client)


class StubbornClient(WishClient):
    """A client that does not answer `workspace/configuration`, or answers garbage."""

    answer: str = "never"
    released: asyncio.Event
    """Set when the test is over, so the unanswered requests end (with garbage)."""


def make_stubborn_client() -> StubbornClient:
    """The test client, with a `workspace/configuration` handler that misbehaves."""
    client = make_client()
    client.__class__ = StubbornClient
    assert isinstance(client, StubbornClient)
    client.protocol.fm.features.pop(types.WORKSPACE_CONFIGURATION)

    async def configuration(ls: StubbornClient, params: types.ConfigurationParams) -> Any:
        if ls.answer == "never":
            await ls.released.wait()
        return 42  # not a list of settings

    client.feature(types.WORKSPACE_CONFIGURATION)(configuration)  # pygls' is untyped: no @
    return client


@lsp_fixture(
    config=ClientServerConfig(server_command=SERVER, client_factory=make_stubborn_client),
    loop_scope="module",
)
async def stubborn(lsp_client: StubbornClient, tmp_path_factory: pytest.TempPathFactory) -> Any:
    """The server for a VS Code-like client that never answers its settings request; one per
    test, since what is under test is the server's first wait for settings."""
    root = tmp_path_factory.mktemp("workspace-stubborn")
    shutil.copytree(WORKSPACE, root, dirs_exist_ok=True)
    lsp_client.profile = "vscode"
    lsp_client.root = root
    lsp_client.released = asyncio.Event()
    await lsp_client.initialize_session(
        types.InitializeParams(
            capabilities=client_capabilities(PROFILES["vscode"]), root_uri=from_fs_path(str(root))
        )
    )
    yield
    lsp_client.released.set()
    await lsp_client.shutdown_session()


async def test_a_client_that_never_sends_settings_delays_only_the_first_document(
    stubborn: StubbornClient,
) -> None:
    """The first document waits out `SETTINGS_WAIT_SECONDS` (a lower bound: a slow machine only
    waits longer); the second is published without that wait, so in less than half the
    first's time, two figures of the same machine at the same moment rather than a bound in
    seconds. The pure rule (wait once) is tested in test_features_settings.py."""
    start = time.perf_counter()
    await stubborn.open("data/wishes/s-first.wish.yaml", TYPOS_WISH)
    first = time.perf_counter() - start
    assert first >= SETTINGS_WAIT_SECONDS * 0.9, "the first waits for settings, then defaults"
    start = time.perf_counter()
    await stubborn.open("data/wishes/s-second.wish.yaml", TYPOS_WISH)
    assert time.perf_counter() - start < first / 2, "the second does not wait again"


async def test_a_settings_answer_that_is_not_settings_is_reported_once(
    stubborn: StubbornClient,
) -> None:
    stubborn.answer = "garbage"
    shown = asyncio.ensure_future(stubborn.wait_for_notification(types.WINDOW_SHOW_MESSAGE))
    for _ in range(2):
        stubborn.workspace_did_change_configuration(
            types.DidChangeConfigurationParams(settings=None)
        )
    message = await _answer(shown)
    assert message.type == types.MessageType.Warning
    assert "workspace/configuration" in message.message
    await still_serving(stubborn)
    assert len(stubborn.messages) == 1, [m.message for m in stubborn.messages]
