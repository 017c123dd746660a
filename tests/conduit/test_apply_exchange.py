"""The apply exchange against the loopback Codex server: tools declared, calls answered, a patch
staged for review, the bounds, and the plan client's error handling reused.

The loopback server answers with tool calls (a `read_file`, then an `apply_patch`, then a final
message), as issue 14 describes; the tool callbacks are a real workspace in a temporary folder,
checked and staged with the real patch library, so a staged patch here is one the editor and
the CLI would show.
"""

from __future__ import annotations

import asyncio
import json
import logging
from pathlib import Path
from typing import Any

import pytest

from testkit.catalog import LITE_SLUG, catalog_with_patch_tool
from testkit.loopback import (
    CATALOG_ETAG,
    CODEX_BODY_KEYS,
    LoopbackCodex,
    custom_tool_call_item,
    failed_transcript,
    function_call_item,
    json_response,
    metadata_frame,
    sse,
    success_transcript,
    tool_call_transcript,
)
from testkit.samples import LIGHTHOUSE, LIGHTHOUSE_PATH, LIGHTHOUSE_TEXT
from testkit.sleeps import Sleeps
from wishcraft.apply import LARK_GRAMMAR, ApplyError, StagedChange, scope_from_globs, stage
from wishcraft.apply.safety import check_path
from wishcraft.conduit.apply_exchange import (
    ALREADY_STAGED_ANSWER,
    APPLY_INSTRUCTIONS,
    MAX_READ_BYTES,
    STAGED_ANSWER,
    ApplyExchange,
    ApplyRequest,
    ApplyTools,
    ToolRefused,
    apply_prompt_hash,
    build_apply_prompt,
    declare_tools,
    replay_item,
    run_apply_exchange,
)
from wishcraft.conduit.catalog import CatalogStore
from wishcraft.conduit.client import CodexClient, PlanProgress, ProgressCallback
from wishcraft.conduit.config import ConduitConfig
from wishcraft.conduit.errors import ResponseFailed, UsageLimitReached

STEPS = [
    "Survey the lighthouse (acceptance: 12 tiles surveyed)",
    "Place 3 lamps (acceptance: 3 lamps lit)",
]
REQUEST = ApplyRequest(
    LIGHTHOUSE,
    LIGHTHOUSE_TEXT,
    LIGHTHOUSE_PATH.name,
    STEPS,
    paths=("src/**",),
    notes=("Test at night",),
)
LAMPS = "lamps = 2\nlit = False\n"
PATCH = (
    "*** Begin Patch\n*** Update File: src/lamps.py\n@@\n-lamps = 2\n+lamps = 3\n"
    " lit = False\n*** End Patch\n"
)
SUMMARY = "All three lamps are placed; src/lamps.py now counts 3."


class Workspace:
    """The caller's side: a folder on disk, the scope's globs, the real staging library."""

    def __init__(self, root: Path, globs: tuple[str, ...] = ("src/**",)) -> None:
        self.root = root
        self.scope = scope_from_globs(globs)
        self.staged: list[StagedChange] = []
        self.reads: list[str] = []
        (root / "src").mkdir(parents=True, exist_ok=True)
        (root / "src" / "lamps.py").write_text(LAMPS)
        (root / "secret.txt").write_text("outside the scope\n")

    async def read_file(self, path: str) -> str:
        self.reads.append(path)
        try:
            checked = check_path(self.root, path, scope=self.scope)
        except ApplyError as error:
            raise ToolRefused(f"error: {error}") from None
        target = self.root / checked
        if not target.is_file():
            raise ToolRefused(f"error: no such file: {checked}")
        return target.read_text(encoding="utf-8")

    async def list_files(self, glob: str) -> str:
        return "\n".join(
            sorted(
                str(path.relative_to(self.root))
                for path in self.root.glob(glob)
                if path.is_file() and self.scope(str(path.relative_to(self.root)))
            )
        )

    async def stage_patch(self, text: str) -> str:
        try:
            change = stage(text, self.root, scope=self.scope)
        except ApplyError as error:
            raise ToolRefused(f"The patch was refused: {error}") from None
        self.staged.append(change)
        return f"Staged: {change.summary.describe()}, diff_hash {change.diff_hash}"

    def tools(self) -> ApplyTools:
        return ApplyTools(self.read_file, self.list_files, self.stage_patch, LARK_GRAMMAR)


async def exchange(
    server: LoopbackCodex,
    home: Path,
    workspace: Workspace,
    *,
    state: ApplyExchange | None = None,
    sleeps: Sleeps | None = None,
    progress: list[PlanProgress] | None = None,
    on_progress: ProgressCallback | None = None,
    **config: Any,
) -> ApplyExchange:
    settings = ConduitConfig(
        base_url=server.base_url, refresh_url=server.refresh_url, codex_home=home, **config
    )
    async with CodexClient(settings, sleep=sleeps or Sleeps(), catalogs=CatalogStore()) as client:
        return await run_apply_exchange(
            client,
            REQUEST,
            workspace.tools(),
            state,
            on_progress=progress.append if progress is not None else on_progress,
            wish_id="lighthouse",
        )


def bodies(server: LoopbackCodex) -> list[dict[str, Any]]:
    return [request.json for request in server.route_requests("responses")]


def read_then_patch(patch_item: dict[str, Any]) -> list[list[str]]:
    """The scenario of issue 14: a read_file, then an apply_patch, then a final message."""
    return [
        tool_call_transcript(
            [function_call_item("call_read", "read_file", {"path": "src/lamps.py"})],
            response_id="resp_1",
        ),
        tool_call_transcript([patch_item], response_id="resp_2", text="Here is the change."),
        success_transcript([SUMMARY[:20], SUMMARY[20:]], response_id="resp_3"),
    ]


@pytest.fixture
def workspace(tmp_path: Path) -> Workspace:
    return Workspace(tmp_path / "workspace")


async def test_read_then_freeform_patch_then_summary(
    codex_server: LoopbackCodex, codex_home: Path, workspace: Workspace
) -> None:
    for transcript in read_then_patch(custom_tool_call_item("call_patch", "apply_patch", PATCH)):
        codex_server.enqueue("responses", sse(transcript))
    progress: list[PlanProgress] = []
    result = await exchange(codex_server, codex_home, workspace, progress=progress)

    assert (result.status, result.reason) == ("complete", None)
    assert result.patch == PATCH and result.staged
    assert result.final_text == SUMMARY
    assert result.turns == 3 and result.bytes_read == len(LAMPS)
    assert result.patch_tool_type == "freeform" and result.model == "gpt-6.1-sol"
    assert (result.auth_mode, result.catalog_source, result.effort) == (
        "chatgpt",
        "GET /models",
        "medium",
    )
    assert result.client_version and result.instructions_sent is True
    assert result.response_ids == ["resp_1", "resp_2", "resp_3"]
    assert result.request_ids == ["req_loopback_0001"] * 3
    assert result.usage is not None and result.usage.total == 1080 + 1080 + 4446
    assert result.usage.input == 1000 + 1000 + 4210
    assert result.prompt_hash == apply_prompt_hash(REQUEST)
    assert [(call.name, call.argument, call.outcome) for call in result.calls] == [
        ("read_file", "src/lamps.py", "answered"),
        ("apply_patch", f"<patch of {len(PATCH)} bytes>", "staged"),
    ]
    assert workspace.reads == ["src/lamps.py"]
    (change,) = workspace.staged
    assert change.summary.files == ("src/lamps.py",) and (
        change.summary.added,
        change.summary.removed,
    ) == (1, 1)
    assert (workspace.root / "src" / "lamps.py").read_text() == LAMPS  # staged, not applied
    assert result.patch_summary == f"Staged: 1 file (+1 \u22121), diff_hash {change.diff_hash}"
    assert any(p.message == "Codex reads src/lamps.py" for p in progress)
    assert any(p.message == "Staging Codex's patch for review" for p in progress)
    assert {p.message for p in progress if p.phase == "writing"} == {"Codex is writing its summary"}

    first, second, third = bodies(codex_server)
    # Every request: the same tools, Codex's body keys and ids, no output schema.
    for body in (first, second, third):
        assert list(body) == CODEX_BODY_KEYS
        assert body["store"] is False and body["include"] == ["reasoning.encrypted_content"]
        assert body["text"] == {"verbosity": "low"} and body["tool_choice"] == "auto"
        assert body["tools"] == first["tools"]
        assert body["prompt_cache_key"] == first["prompt_cache_key"]
    read_tool, list_tool, patch_tool = first["tools"]
    assert read_tool == {
        "type": "function",
        "name": "read_file",
        "description": read_tool["description"],
        "strict": True,
        "parameters": {
            "type": "object",
            "properties": {
                "path": {
                    "type": "string",
                    "description": read_tool["parameters"]["properties"]["path"]["description"],
                }
            },
            "required": ["path"],
            "additionalProperties": False,
        },
    }
    assert list_tool["name"] == "list_files" and list_tool["strict"] is True
    assert list_tool["parameters"]["required"] == ["glob"]
    assert patch_tool == {
        "type": "custom",
        "name": "apply_patch",
        "description": patch_tool["description"],
        "format": {"type": "grammar", "syntax": "lark", "definition": LARK_GRAMMAR},
    }
    assert "FREEFORM" in patch_tool["description"]

    # The first request: the model's instructions, ours, then the wish and its plan.
    instructions, ours, user = first["input"]
    assert (
        instructions["role"] == "developer" and "coding agent" in instructions["content"][0]["text"]
    )
    assert ours["content"][0]["text"] == APPLY_INSTRUCTIONS
    assert user["role"] == "user" and user["content"][0]["text"] == build_apply_prompt(REQUEST)
    assert "1. Survey the lighthouse (acceptance: 12 tiles surveyed)" in user["content"][0]["text"]
    assert "Files you may change: src/**" in user["content"][0]["text"]

    # The second: the history resent (store: false), the call replayed, answered by call_id.
    assert second["input"][:3] == first["input"]
    assert second["input"][3:] == [
        {
            "type": "reasoning",
            "summary": [{"type": "summary_text", "text": "**Looking at the files**"}],
            "encrypted_content": "gAAAAtoolblob==",
        },
        {
            "type": "function_call",
            "name": "read_file",
            "arguments": json.dumps({"path": "src/lamps.py"}),
            "call_id": "call_read",
        },
        {"type": "function_call_output", "call_id": "call_read", "output": LAMPS},
    ]
    # The third: the patch call replayed as a custom call and answered "staged".
    assert third["input"][: len(second["input"])] == second["input"]
    reasoning, message, call, answer = third["input"][len(second["input"]) :]
    assert reasoning["encrypted_content"] == "gAAAAtoolblob==" and "id" not in reasoning
    assert message == {
        "type": "message",
        "role": "assistant",
        "content": [{"type": "output_text", "text": "Here is the change."}],
    }
    assert call == {
        "type": "custom_tool_call",
        "status": "completed",
        "call_id": "call_patch",
        "name": "apply_patch",
        "input": PATCH,
    }
    assert answer["type"] == "custom_tool_call_output" and answer["call_id"] == "call_patch"
    assert answer["output"].startswith(STAGED_ANSWER) and change.diff_hash in answer["output"]


async def test_function_patch_tool_when_the_catalog_says_function(
    codex_server: LoopbackCodex, codex_home: Path, workspace: Workspace
) -> None:
    codex_server.enqueue(
        "models",
        json_response(
            200, catalog_with_patch_tool("gpt-5.5", "function"), headers={"etag": CATALOG_ETAG}
        ),
    )
    patch_call = function_call_item("call_patch", "apply_patch", {"input": PATCH})
    for transcript in read_then_patch(patch_call):
        codex_server.enqueue("responses", sse(transcript))
    result = await exchange(codex_server, codex_home, workspace, model="gpt-5.5")

    assert result.status == "complete" and result.patch == PATCH
    assert result.patch_tool_type == "function"
    first, _, third = bodies(codex_server)
    assert first["model"] == "gpt-5.5"
    patch_tool = first["tools"][2]
    assert patch_tool == {
        "type": "function",
        "name": "apply_patch",
        "description": patch_tool["description"],
        "strict": False,
        "parameters": {
            "type": "object",
            "properties": {
                "input": {
                    "type": "string",
                    "description": patch_tool["parameters"]["properties"]["input"]["description"],
                }
            },
            "required": ["input"],
            "additionalProperties": False,
        },
    }
    assert "*** Begin Patch" in patch_tool["description"]
    assert "format" not in patch_tool
    call, answer = third["input"][-2:]
    assert call == {
        "type": "function_call",
        "name": "apply_patch",
        "arguments": json.dumps({"input": PATCH}),
        "call_id": "call_patch",
    }
    assert answer["type"] == "function_call_output" and answer["call_id"] == "call_patch"
    assert answer["output"].startswith(STAGED_ANSWER)


async def test_a_second_patch_is_refused_and_a_refused_patch_does_not_count(
    codex_server: LoopbackCodex, codex_home: Path, workspace: Workspace
) -> None:
    outside = PATCH.replace("src/lamps.py", "secret.txt")
    codex_server.enqueue(
        "responses",
        *[
            sse(transcript)
            for transcript in [
                tool_call_transcript(
                    [custom_tool_call_item("call_bad", "apply_patch", outside)],
                    response_id="resp_1",
                ),
                tool_call_transcript(
                    [
                        custom_tool_call_item("call_good", "apply_patch", PATCH),
                        custom_tool_call_item("call_again", "apply_patch", PATCH),
                    ],
                    response_id="resp_2",
                ),
                success_transcript([SUMMARY], response_id="resp_3"),
            ]
        ],
    )
    result = await exchange(codex_server, codex_home, workspace)

    assert result.status == "complete" and result.patch == PATCH
    assert [call.outcome for call in result.calls] == ["refused", "staged", "ignored"]
    assert len(workspace.staged) == 1
    _, second, third = bodies(codex_server)
    refusal = second["input"][-1]
    assert refusal["call_id"] == "call_bad" and refusal["type"] == "custom_tool_call_output"
    assert (
        refusal["output"].startswith("The patch was refused:") and "secret.txt" in refusal["output"]
    )
    answers = {
        item["call_id"]: item["output"]
        for item in third["input"]
        if item["type"] == "custom_tool_call_output"
    }
    assert answers["call_good"].startswith(STAGED_ANSWER)
    assert answers["call_again"] == ALREADY_STAGED_ANSWER
    # Both calls of one answer are replayed before their outputs, in order.
    kinds = [(item["type"], item.get("call_id")) for item in third["input"][-4:]]
    assert kinds == [
        ("custom_tool_call", "call_good"),
        ("custom_tool_call", "call_again"),
        ("custom_tool_call_output", "call_good"),
        ("custom_tool_call_output", "call_again"),
    ]


async def test_refused_reads_and_unknown_tools_are_answered_not_fatal(
    codex_server: LoopbackCodex, codex_home: Path, workspace: Workspace
) -> None:
    codex_server.enqueue(
        "responses",
        *[
            sse(transcript)
            for transcript in [
                tool_call_transcript(
                    [
                        function_call_item("c1", "read_file", {"path": "../etc/passwd"}),
                        function_call_item("c2", "read_file", {"path": "secret.txt"}),
                        function_call_item("c3", "read_file", "{not json"),
                        function_call_item("c4", "shell", {"cmd": "rm -rf /"}),
                        function_call_item("c5", "list_files", {"glob": "**/*.py"}),
                    ]
                ),
                success_transcript(["Nothing to change."]),
            ]
        ],
    )
    result = await exchange(codex_server, codex_home, workspace)

    assert result.status == "complete" and result.patch is None
    assert result.final_text == "Nothing to change."
    answers = {
        item["call_id"]: item["output"]
        for item in bodies(codex_server)[1]["input"]
        if item["type"] == "function_call_output"
    }
    assert answers["c1"].startswith("error:") and "../etc/passwd" in answers["c1"]
    assert answers["c2"].startswith("error:") and "secret.txt" in answers["c2"]
    assert answers["c3"] == "error: read_file needs a JSON object with a string `path`."
    assert "no tool named 'shell'" in answers["c4"]
    assert answers["c5"] == "src/lamps.py"
    assert [call.outcome for call in result.calls] == ["refused"] * 4 + ["answered"]
    assert result.bytes_read == len("src/lamps.py")


async def test_thirteenth_turn_is_never_sent(
    codex_server: LoopbackCodex, codex_home: Path, workspace: Workspace
) -> None:
    codex_server.enqueue(
        "responses",
        sse(
            tool_call_transcript([function_call_item("call_list", "list_files", {"glob": "src/*"})])
        ),
    )  # repeats
    result = await exchange(codex_server, codex_home, workspace)

    assert result.status == "incomplete" and result.turns == 12
    assert result.reason == (
        "Codex was still calling tools after 12 turns; the exchange stopped there"
    )
    assert len(codex_server.route_requests("responses")) == 12
    assert len(result.calls) == 12 and result.patch is None


async def test_twelfth_turn_patch_is_kept_but_incomplete(
    codex_server: LoopbackCodex, codex_home: Path, workspace: Workspace
) -> None:
    looping = sse(tool_call_transcript([function_call_item("l", "list_files", {"glob": "*"})]))
    patching = sse(tool_call_transcript([custom_tool_call_item("p", "apply_patch", PATCH)]))
    codex_server.enqueue("responses", *[looping] * 11, patching)
    result = await exchange(codex_server, codex_home, workspace)
    assert result.status == "incomplete" and result.turns == 12 and result.patch == PATCH


async def test_reading_past_two_mebibytes_ends_incomplete(
    codex_server: LoopbackCodex, codex_home: Path, workspace: Workspace
) -> None:
    big = "x" * (1024 * 1024 + 1) + "\n"
    (workspace.root / "src" / "big.txt").write_text(big)
    codex_server.enqueue(
        "responses",
        sse(tool_call_transcript([function_call_item("r", "read_file", {"path": "src/big.txt"})])),
    )  # repeats
    result = await exchange(codex_server, codex_home, workspace)

    assert result.status == "incomplete"
    assert result.reason == (
        "Codex read more than 2 MiB through the tools "
        f"({result.bytes_read / (1024 * 1024):g} MiB); the exchange "
        "stopped there"
    )
    assert result.bytes_read == 2 * len(big) > MAX_READ_BYTES
    assert result.turns == 2 and len(codex_server.route_requests("responses")) == 2
    # The first read went to the model; the second, past the bound, never did.
    assert bodies(codex_server)[1]["input"][-1]["output"] == big


async def test_401_on_a_later_turn_recovers_and_keeps_the_new_login(
    codex_server: LoopbackCodex, codex_home: Path, workspace: Workspace
) -> None:
    first, second, third = read_then_patch(custom_tool_call_item("p", "apply_patch", PATCH))
    codex_server.enqueue(
        "responses",
        sse(first),
        json_response(401, {"error": {"message": "expired"}}),
        sse(second),
        sse(third),
    )
    codex_server.enqueue(
        "refresh",
        json_response(
            200, {"access_token": "fake-new-access-token", "refresh_token": "rt_fake_new_refresh"}
        ),
    )
    result = await exchange(codex_server, codex_home, workspace)

    assert result.status == "complete" and result.patch == PATCH and result.turns == 3
    requests = codex_server.route_requests("responses")
    assert len(requests) == 4
    assert requests[1].json == requests[2].json  # the same turn, resent
    assert [r.headers["authorization"] for r in requests[2:]] == [
        "Bearer fake-new-access-token"
    ] * 2
    assert len(codex_server.route_requests("refresh")) == 1


async def test_a_429_is_sent_again_after_its_delay(
    codex_server: LoopbackCodex, codex_home: Path, workspace: Workspace
) -> None:
    first, second, third = read_then_patch(custom_tool_call_item("p", "apply_patch", PATCH))
    codex_server.enqueue(
        "responses",
        sse(first),
        json_response(429, {"error": {"message": "slow down"}}, headers={"retry-after": "7"}),
        sse(second),
        sse(third),
    )
    sleeps = Sleeps()
    result = await exchange(codex_server, codex_home, workspace, sleeps=sleeps)
    assert result.status == "complete" and result.patch == PATCH
    assert sleeps.delays == [7.0]
    assert len(codex_server.route_requests("responses")) == 4


async def test_usage_limit_fails_with_the_plan_clients_sentence(
    codex_server: LoopbackCodex, codex_home: Path, workspace: Workspace
) -> None:
    codex_server.enqueue(
        "responses",
        json_response(
            429,
            {
                "error": {
                    "type": "usage_limit_reached",
                    "plan_type": "plus",
                    "resets_in_seconds": 60,
                }
            },
        ),
    )
    result = await exchange(codex_server, codex_home, workspace)
    assert result.status == "failed" and isinstance(result.error, UsageLimitReached)
    assert result.reason == str(result.error) and "usage limit" in result.reason
    assert result.turns == 1 and result.patch is None


async def test_response_failed_retried_then_fatal_after_a_staged_patch(
    codex_server: LoopbackCodex, codex_home: Path, workspace: Workspace
) -> None:
    first, second, _ = read_then_patch(custom_tool_call_item("p", "apply_patch", PATCH))
    codex_server.enqueue(
        "responses",
        sse(first),
        sse(failed_transcript("rate_limit_exceeded", "Try again in 20ms.")),
        sse(second),
        sse(failed_transcript("context_length_exceeded", "too long")),
    )
    sleeps = Sleeps()
    result = await exchange(codex_server, codex_home, workspace, sleeps=sleeps)

    assert sleeps.delays == [0.02]
    assert result.status == "failed" and isinstance(result.error, ResponseFailed)
    assert result.error.code == "context_length_exceeded"
    assert result.reason == (
        "Codex could not make the change: the wish is too long for the model's context window."
    )
    assert result.patch == PATCH and result.turns == 3  # what was staged is kept


async def test_a_cut_stream_ends_incomplete_without_acting(
    codex_server: LoopbackCodex, codex_home: Path, workspace: Workspace
) -> None:
    transcript = tool_call_transcript([custom_tool_call_item("p", "apply_patch", PATCH)])
    codex_server.enqueue(
        "responses",
        sse(transcript, cut_after=len(transcript) - 1),
        sse(transcript, cut_after=len(transcript) - 1),
    )
    result = await exchange(codex_server, codex_home, workspace)
    assert result.status == "incomplete" and result.patch is None
    assert result.reason == "the stream broke off (RemoteProtocolError)"
    assert result.turns == 1 and len(codex_server.route_requests("responses")) == 1
    assert workspace.staged == []


async def test_cancelling_closes_the_stream_and_keeps_what_arrived(
    codex_server: LoopbackCodex, codex_home: Path, workspace: Workspace
) -> None:
    first, _, _ = read_then_patch(custom_tool_call_item("p", "apply_patch", PATCH))
    # The second answer stalls after its reasoning delta (frame 5) until released.
    codex_server.enqueue("responses", sse(first), sse(success_transcript(["Half"]), stall_after=5))
    state = ApplyExchange()
    thinking_on_turn_two = asyncio.Event()

    def on_progress(progress: PlanProgress) -> None:
        if (
            progress.phase == "thinking"
            and state.turns == 2
            and progress.message == "The model is thinking"
        ):
            thinking_on_turn_two.set()

    task = asyncio.create_task(
        exchange(codex_server, codex_home, workspace, state=state, on_progress=on_progress)
    )
    await asyncio.wait_for(thinking_on_turn_two.wait(), 10)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert (state.status, state.reason) == ("incomplete", "cancelled")
    assert state.turns == 2 and state.bytes_read == len(LAMPS) and state.patch is None
    assert state.stream.response_id == "resp_68f0a1b2c3d4e5f6"  # the stalled answer's
    assert state.response_ids == ["resp_1"]
    codex_server.release_stalls()


async def test_a_broken_callback_fails_the_exchange_and_propagates(
    codex_server: LoopbackCodex, codex_home: Path, workspace: Workspace
) -> None:
    async def broken(text: str) -> str:
        raise RuntimeError("disk on fire")

    codex_server.enqueue(
        "responses", sse(tool_call_transcript([custom_tool_call_item("p", "apply_patch", PATCH)]))
    )
    state = ApplyExchange()
    settings = ConduitConfig(base_url=codex_server.base_url, codex_home=codex_home)
    tools = ApplyTools(workspace.read_file, workspace.list_files, broken, LARK_GRAMMAR)
    async with CodexClient(settings, catalogs=CatalogStore()) as client:
        with pytest.raises(RuntimeError, match="disk on fire"):
            await run_apply_exchange(client, REQUEST, tools, state)
    assert state.status == "failed" and state.patch is None
    assert state.reason == (
        "The apply exchange stopped on an internal error; the log has the details."
    )


async def test_chat_wire_is_refused_before_any_request(
    codex_server: LoopbackCodex, codex_home: Path, workspace: Workspace
) -> None:
    result = await exchange(codex_server, codex_home, workspace, wire_api="chat")
    assert result.status == "failed" and "wire_api" in (result.reason or "")
    assert codex_server.requests == []


async def test_no_token_in_any_output(
    codex_server: LoopbackCodex,
    codex_home: Path,
    workspace: Workspace,
    caplog: pytest.LogCaptureFixture,
) -> None:
    tokens = json.loads((codex_home / "auth.json").read_text())["tokens"]
    secrets = [
        tokens["access_token"],
        tokens["refresh_token"],
        tokens["id_token"],
        "fake-new-access-token",
        "rt_fake_new_refresh",
    ]
    caplog.set_level(logging.DEBUG)
    first, second, third = read_then_patch(custom_tool_call_item("p", "apply_patch", PATCH))
    outputs: list[str] = []
    scripts = [
        [sse(first), json_response(401, {"error": {"message": "bad"}}), sse(second), sse(third)],
        [json_response(500, {"error": {"message": tokens["access_token"]}})] * 3,
        [sse(first), sse(failed_transcript("invalid_prompt", tokens["access_token"]))],
    ]
    for script in scripts:
        codex_server.clear()
        codex_server.enqueue("responses", *script)
        codex_server.enqueue(
            "refresh",
            json_response(
                200,
                {"access_token": "fake-new-access-token", "refresh_token": "rt_fake_new_refresh"},
            ),
        )
        result = await exchange(codex_server, codex_home, workspace, request_max_retries=1)
        outputs += [
            repr(result),
            result.reason or "",
            result.final_text,
            json.dumps([repr(call) for call in result.calls]),
        ]
        if result.error is not None:
            outputs += [str(result.error), result.error.detail]
    outputs.append(caplog.text)
    assert [secret[:12] for secret in secrets for text in outputs if secret in text] == []
    assert result.status == "failed"


def test_replay_drops_server_ids_and_unknown_items() -> None:
    assert replay_item(
        {"type": "reasoning", "id": "rs_1", "summary": [], "encrypted_content": "blob"}
    ) == {"type": "reasoning", "summary": [], "encrypted_content": "blob"}
    assert replay_item({"type": "web_search_call", "id": "ws_1"}) is None
    assert replay_item(
        {
            "type": "function_call",
            "id": "fc_1",
            "status": "completed",
            "name": "read_file",
            "arguments": "{}",
            "call_id": "c",
        }
    ) == {"type": "function_call", "name": "read_file", "arguments": "{}", "call_id": "c"}


# Codex 0.171.0 (issue 19): the lite shape, and turn state across the follow-ups ----------------


async def test_an_apply_exchange_on_a_lite_model_sends_its_tools_in_codex_lite_item(
    codex_server: LoopbackCodex, codex_home: Path, workspace: Workspace
) -> None:
    for transcript in read_then_patch(custom_tool_call_item("call_patch", "apply_patch", PATCH)):
        codex_server.enqueue("responses", sse(transcript))
    result = await exchange(codex_server, codex_home, workspace, model=LITE_SLUG)
    assert result.status == "complete" and result.patch == PATCH
    requests = codex_server.route_requests("responses")
    assert len(requests) == 3
    expected_tools: list[dict[str, Any]] = [
        {
            "type": "namespace",
            "name": "functions",
            "description": "",
            "tools": declare_tools("freeform", LARK_GRAMMAR),
        }
    ]
    item_ids = set()
    for request in requests:
        body = request.json
        assert "tools" not in body and list(body) == [k for k in CODEX_BODY_KEYS if k != "tools"]
        first = body["input"][0]
        assert (first["type"], first["role"], first["tools"]) == (
            "additional_tools",
            "developer",
            expected_tools,
        )
        assert sum(item.get("type") == "additional_tools" for item in body["input"]) == 1
        item_ids.add(first["id"])
        assert body["reasoning"]["context"] == "all_turns"
        assert request.headers["x-openai-internal-codex-responses-lite"] == "true"
    assert len(item_ids) == 1  # one tools item for the whole turn
    names = [tool["name"] for tool in expected_tools[0]["tools"]]
    assert names == ["read_file", "list_files", "apply_patch"]


@pytest.mark.parametrize("where", ["header", "response.metadata"])
async def test_turn_state_goes_on_every_later_request_of_the_turn_and_no_other(
    codex_server: LoopbackCodex, codex_home: Path, workspace: Workspace, where: str
) -> None:
    first, second, third = read_then_patch(custom_tool_call_item("p", "apply_patch", PATCH))
    handed: dict[str, str] = {}
    if where == "header":
        handed = {"x-codex-turn-state": "ts-turn-1"}
    else:
        first = [first[0], metadata_frame({"X-Codex-Turn-State": "ts-turn-1"}), *first[1:]]
    codex_server.enqueue(
        "responses",
        sse(first, headers=handed),
        json_response(500, {"error": {"message": "boom"}}),  # retried within the turn
        sse(second),
        sse(third),
    )
    config = ConduitConfig(
        base_url=codex_server.base_url, refresh_url=codex_server.refresh_url, codex_home=codex_home
    )
    async with CodexClient(config, sleep=Sleeps(), catalogs=CatalogStore()) as client:
        done = await run_apply_exchange(client, REQUEST, workspace.tools())
        assert done.status == "complete"
        states = [
            r.headers.get("x-codex-turn-state") for r in codex_server.route_requests("responses")
        ]
        assert states == [None, "ts-turn-1", "ts-turn-1", "ts-turn-1"]
        # The next apply is another turn: it starts without the state, and so does a plan.
        codex_server.enqueue("responses", sse(success_transcript([SUMMARY])))
        again = await run_apply_exchange(
            client, REQUEST, Workspace(workspace.root.parent / "b").tools()
        )
        assert again.status == "complete"
    requests = codex_server.route_requests("responses")
    assert len(requests) == 5 and "x-codex-turn-state" not in requests[4].headers
