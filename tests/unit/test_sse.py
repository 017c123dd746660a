"""The incremental SSE parser: canned frames in every chunking give the same events."""

from __future__ import annotations

import json
from typing import Any

import pytest

from wishcraft.conduit.sse import SSEDecoder, SSEMessage, message_text, parse_event

FRAMES: list[dict[str, Any]] = [
    {"type": "response.created", "response": {"id": "resp_1"}},
    {"type": "response.output_text.delta", "delta": '{"steps":[{"title":"Validate 😀"},'},
    {"type": "response.output_text.delta", "delta": '{"title":"中文"}]}'},
    {"type": "response.completed", "response": {"id": "resp_1", "usage": {"total_tokens": 9}}},
]


def transcript(line_end: str = "\n") -> bytes:
    text = "".join(
        f"event: {frame['type']}{line_end}data: {json.dumps(frame)}{line_end}{line_end}"
        for frame in FRAMES
    )
    return text.encode("utf-8")


def decode(chunks: list[bytes]) -> list[SSEMessage]:
    decoder = SSEDecoder()
    messages: list[SSEMessage] = []
    for chunk in chunks:
        messages.extend(decoder.feed(chunk))
    return messages


def expected() -> list[dict[str, Any]]:
    return FRAMES


@pytest.mark.parametrize("line_end", ["\n", "\r\n", "\r"], ids=["LF", "CRLF", "CR"])
def test_every_split_point_gives_the_same_events(line_end: str) -> None:
    data = transcript(line_end)
    whole = [json.loads(m.data) for m in decode([data])]
    assert whole == expected()
    for cut in range(1, len(data)):
        messages = decode([data[:cut], data[cut:]])
        assert [json.loads(m.data) for m in messages] == whole, f"split at byte {cut}"


@pytest.mark.parametrize("size", [1, 2, 3, 7, 64])
def test_small_chunks(size: int) -> None:
    data = transcript("\r\n")
    chunks = [data[i : i + size] for i in range(0, len(data), size)]
    messages = decode(chunks)
    assert [m.event for m in messages] == [frame["type"] for frame in FRAMES]
    assert [json.loads(m.data) for m in messages] == expected()


def test_three_way_splits_of_a_crlf_and_a_multibyte_character() -> None:
    data = "data: 😀\r\n\r\n".encode()
    for a in range(1, len(data)):
        for b in range(a + 1, len(data)):
            assert decode([data[:a], data[a:b], data[b:]]) == [SSEMessage("😀")]


def test_comments_multiline_data_fields_and_blank_events() -> None:
    text = (
        ": keep-alive\n\nid: 7\nevent: x\ndata: line one\ndata:line two\ndata\n"
        "retry: 10\nunknown: y\n\n\n\n"
    )
    (message,) = decode([text.encode()])
    assert message == SSEMessage("line one\nline two\n", "x", "7")


def test_a_byte_order_mark_at_the_start_is_ignored() -> None:
    assert decode([b"\xef\xbb\xbfdata: a\n\n"]) == [SSEMessage("a")]


def test_a_message_without_its_blank_line_is_not_dispatched() -> None:
    decoder = SSEDecoder()
    assert decoder.feed(b"data: cut") == []
    assert decoder.flush() == []


@pytest.mark.parametrize(
    ("data", "kind"),
    [
        ('{"type":"response.output_text.delta","delta":"x"}', "response.output_text.delta"),
        ("not json", None),
        ("[DONE]", None),
        ('{"no":"type"}', None),
        ("[1,2]", None),
        ('{"type":"response.something.new"}', "response.something.new"),
    ],
)
def test_parse_event(data: str, kind: str | None) -> None:
    event = parse_event(SSEMessage(data))
    assert (event.type if event else None) == kind


def test_message_text_joins_output_text_parts() -> None:
    item = {
        "type": "message",
        "role": "assistant",
        "content": [
            {"type": "output_text", "text": "a"},
            {"type": "refusal", "text": "no"},
            {"type": "output_text", "text": "b"},
        ],
    }
    assert message_text(item) == "ab"
    assert message_text({"type": "reasoning"}) is None
