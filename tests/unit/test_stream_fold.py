"""The stream fold (`conduit/stream.py`): byte lists in every chunking fold into one state.

The fold is pure, so these feed it bytes directly: cut at every position, one byte at a time,
in fixed sizes and in arbitrary chunkings (hypothesis), and compare what it keeps and reports
with the fold of the whole body in one chunk.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from wishcraft.conduit.config import ConduitConfig
from wishcraft.conduit.errors import ResponseFailed, StreamErrorEvent, StreamOverflow
from wishcraft.conduit.sse import MAX_LINE_CHARS
from wishcraft.conduit.stream import PlanProgress, StreamFold, StreamState

FINAL = "Héllo wörld 🌍 中文"
USAGE = {"input_tokens": 10, "output_tokens": 5, "total_tokens": 15}


def event(payload: dict[str, Any], line_end: str = "\n", name: bool = True) -> str:
    """One frame; `name` adds the `event:` line the backend writes (the fold ignores it)."""
    head = f"event: {payload['type']}{line_end}" if name else ""
    return f"{head}data: {json.dumps(payload, ensure_ascii=False)}{line_end}{line_end}"


def delta(text: str) -> dict[str, Any]:
    return {"type": "response.output_text.delta", "delta": text}


def body() -> bytes:
    """A Responses stream using every spelling the fold must survive: a BOM, a comment, CRLF,
    CR alone, a JSON payload over two `data:` lines, multi-byte UTF-8, and bytes after the end."""
    split = json.dumps(delta("wörld 🌍 "), ensure_ascii=False)
    half = split.index('"delta"')
    frames = [
        "\ufeff: keep-alive\r\n\r\n",
        event({"type": "response.created", "response": {"id": "resp_1"}}, "\r\n"),
        event(delta("Héllo "), "\r"),
        f"data: {split[:half]}\ndata: {split[half:]}\n\n",
        event({"type": "response.reasoning_summary_text.delta", "delta": "hm"}, name=False),
        event(
            {
                "type": "response.metadata",
                "headers": {"x-codex-turn-state": "ts-1", "OpenAI-Model": "gpt-x"},
            }
        ),
        event(delta("中文")),
        event(
            {
                "type": "response.output_item.done",
                "item": {
                    "type": "message",
                    "role": "assistant",
                    "content": [{"type": "output_text", "text": FINAL}],
                },
            },
            "\r\n",
        ),
        event({"type": "response.completed", "response": {"id": "resp_1", "usage": USAGE}}),
        event(delta("after the end")),
    ]
    return "".join(frames).encode("utf-8")


def fold(
    chunks: list[bytes], config: ConduitConfig | None = None, *, chat: bool = False
) -> tuple[StreamState, list[tuple[str, str]], StreamFold]:
    """Fold `chunks` as `read_into` does (stop at the first True, then finish)."""
    state = StreamState()
    seen: list[PlanProgress] = []
    folder = StreamFold(state, seen.append, config=config, chat=chat)
    for chunk in chunks:
        if folder.feed(chunk):
            break
    folder.finish()
    return state, [(progress.phase, progress.delta) for progress in seen], folder


def kept(state: StreamState) -> dict[str, Any]:
    """Everything a state carries out of the fold."""
    return {
        "text": state.text,
        "deltas": list(state.deltas),
        "final_text": state.final_text,
        "response_id": state.response_id,
        "model": state.model,
        "usage": state.usage,
        "completed": state.completed,
        "incomplete_reason": state.incomplete_reason,
        "events": state.events,
        "chars": state.chars,
        "turn_state": state.turn_state,
        "output_items": list(state.output_items),
    }


def cuts(data: bytes, positions: list[int]) -> list[bytes]:
    edges = [0, *sorted(set(positions)), len(data)]
    return [data[start:end] for start, end in zip(edges, edges[1:], strict=False)]


def every_chunking(data: bytes) -> Iterator[tuple[str, list[bytes]]]:
    """Every single cut, one byte at a time, and every fixed size up to 16 bytes."""
    for position in range(1, len(data)):
        yield f"cut at {position}", cuts(data, [position])
    for size in range(1, 17):
        yield f"{size}-byte chunks", [data[i : i + size] for i in range(0, len(data), size)]


WHOLE = body()
EXPECTED, EXPECTED_REPORTS, _ = fold([WHOLE])


def test_the_whole_body_folds_into_the_answer() -> None:
    """The reference fold: what every chunking must reproduce."""
    assert (
        EXPECTED.completed
        and EXPECTED.text == FINAL
        and "".join(EXPECTED.deltas) == "Héllo wörld 🌍 中文"
    )
    assert EXPECTED.response_id == "resp_1" and EXPECTED.turn_state == "ts-1"
    assert EXPECTED.model == "gpt-x" and EXPECTED.usage is not None
    assert EXPECTED.usage.total == 15 and EXPECTED.incomplete_reason is None
    assert EXPECTED.events == 8 and len(EXPECTED.output_items) == 1
    assert [phase for phase, _ in EXPECTED_REPORTS] == ["writing", "writing", "thinking", "writing"]


def test_every_chunking_folds_into_the_same_state_and_reports() -> None:
    """Split anywhere (inside a CRLF, a UTF-8 character, a JSON payload): 0 differences."""
    differences = []
    count = 0
    for name, chunks in every_chunking(WHOLE):
        assert b"".join(chunks) == WHOLE
        state, reports, _ = fold(chunks)
        count += 1
        if kept(state) != kept(EXPECTED) or reports != EXPECTED_REPORTS:
            differences.append(name)
    assert count == len(WHOLE) - 1 + 16 and differences == []


@settings(max_examples=300, deadline=None)
@given(st.lists(st.integers(min_value=1, max_value=len(WHOLE) - 1), max_size=40))
def test_arbitrary_chunkings_fold_into_the_same_state(positions: list[int]) -> None:
    state, reports, _ = fold(cuts(WHOLE, positions))
    assert kept(state) == kept(EXPECTED) and reports == EXPECTED_REPORTS


def test_bytes_after_the_end_are_never_folded() -> None:
    state, _, folder = fold([WHOLE])
    assert folder.done and folder.feed(event(delta("more")).encode()) is True
    assert state.text == FINAL and "after the end" not in "".join(state.deltas)


@pytest.mark.parametrize("chat", [False, True], ids=["responses", "chat"])
def test_a_stream_that_closes_before_its_end_is_incomplete_in_every_chunking(chat: bool) -> None:
    if chat:
        data = b'data: {"choices":[{"delta":{"content":"H\xc3\xa9"}}]}\r\n\r\n'
        reason = "the stream closed before [DONE]"
    else:
        data = WHOLE[: WHOLE.index(b"event: response.completed")]
        reason = "the stream closed before response.completed"
    for name, chunks in every_chunking(data):
        state, _, _ = fold(chunks, chat=chat)
        assert not state.completed and state.incomplete_reason == reason, name
        assert state.text == (FINAL if not chat else "Hé"), name


def test_a_chat_stream_completes_at_done_in_every_chunking() -> None:
    data = (
        b'data: {"choices":[{"delta":{"content":"\xe4\xb8\xad"}}]}\n\n'
        b'data: {"choices":[{"delta":{"content":"\xe6\x96\x87"}}]}\n\n'
        b"data: [DONE]\n\n"
        b'data: {"choices":[{"delta":{"content":"late"}}]}\n\n'
    )
    for name, chunks in every_chunking(data):
        state, reports, _ = fold(chunks, chat=True)
        assert state.completed and state.text == "中文", name
        assert reports == [("writing", "中"), ("writing", "文")], name


def test_the_character_cap_stops_at_the_same_event_in_every_chunking() -> None:
    """The cap is counted per event, so where the stream stops does not depend on the cuts."""
    config = ConduitConfig(max_response_chars=8)
    whole, _, _ = fold([WHOLE], config)
    assert whole.incomplete_reason == "the answer passed 8 characters"
    assert whole.deltas == ["Héllo ", "wörld 🌍 "] and not whole.completed
    for name, chunks in every_chunking(WHOLE):
        state, _, _ = fold(chunks, config)
        assert kept(state) == kept(whole), name


def test_the_byte_cap_stops_the_stream_keeping_a_prefix_of_the_answer() -> None:
    """The byte cap is counted per chunk: the text kept is a prefix, never more than the cap."""
    config = ConduitConfig(max_stream_bytes=200)
    for name, chunks in every_chunking(WHOLE):
        state, _, folder = fold(chunks, config)
        assert state.incomplete_reason == "the stream passed 200 bytes", name
        assert not state.completed and folder.done, name
        assert "Héllo wörld 🌍 中文".startswith("".join(state.deltas)), name
        total = 0
        for chunk in chunks:  # it stops at the first chunk that passes the cap
            total += len(chunk)
            if total > 200:
                break
        assert folder.received == total, name


@pytest.mark.parametrize(
    ("payload", "error"),
    [
        (
            {"type": "response.failed", "response": {"error": {"code": "server_error"}}},
            ResponseFailed,
        ),
        ({"type": "error", "code": "internal", "message": "boom"}, StreamErrorEvent),
    ],
    ids=["response.failed", "error event"],
)
def test_a_failure_event_raises_at_every_cut_keeping_the_text_before_it(
    payload: dict[str, Any], error: type[Exception]
) -> None:
    data = (event(delta("Héllo ")) + event(payload) + event(delta("never"))).encode()
    for name, chunks in every_chunking(data):
        state = StreamState()
        folder = StreamFold(state)
        with pytest.raises(error):
            for chunk in chunks:
                folder.feed(chunk)
        assert state.deltas == ["Héllo "], name


def test_a_line_past_the_decoder_limit_is_one_stream_overflow_sentence() -> None:
    folder = StreamFold(StreamState())
    line = b"data: " + b"a" * (MAX_LINE_CHARS + 1)
    with pytest.raises(StreamOverflow) as caught:
        for start in range(0, len(line), 1 << 20):
            folder.feed(line[start : start + (1 << 20)])
    assert str(caught.value) == (
        "Codex sent a line longer than 8,388,608 characters; the stream was stopped (the "
        "server or a proxy is broken)."
    )


def test_an_incomplete_event_ends_the_stream_with_its_reason() -> None:
    data = (
        event(delta("Hé"))
        + event(
            {"type": "response.incomplete", "response": {"incomplete_details": {"reason": "x"}}}
        )
        + event(delta("never"))
    ).encode()
    for name, chunks in every_chunking(data):
        state, _, _ = fold(chunks)
        assert state.incomplete_reason == "Codex returned an incomplete response (x)", name
        assert state.deltas == ["Hé"], name
