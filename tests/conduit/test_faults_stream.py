"""Gigantic, endless and hostile streams: every one ends, in bounded memory and time.

Limits under test (see `ConduitConfig` for the reasons): a line or event over 8 Mi characters
is a `StreamOverflow` error; the answer's characters, the bytes of a stream, the time between
events and the time of a whole stream each end the stream as incomplete, keeping the text.
The server's generators count what they produced, which proves the client stopped reading.
"""

from __future__ import annotations

import asyncio
import gzip
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from testkit.loopback import LoopbackCodex, frame, stream
from testkit.samples import LIGHTHOUSE, LIGHTHOUSE_PATH, LIGHTHOUSE_TEXT
from wishcraft.conduit.client import CodexClient, PlanProgress, StreamState
from wishcraft.conduit.config import ConduitConfig
from wishcraft.conduit.errors import ConduitError, StreamOverflow
from wishcraft.conduit.sse import MAX_LINE_CHARS, StreamEvent
from wishcraft.conduit.stream import fold_event
from wishcraft.model import ExecMode
from wishcraft.plan.artifact import PlanStatus
from wishcraft.plan.pipeline import new_job, plan_wish

WISH_PATH, WISH_TEXT, WISH = LIGHTHOUSE_PATH, LIGHTHOUSE_TEXT, LIGHTHOUSE
MIB = 1024 * 1024
GUARD_SECONDS = 10.0
"""A test that has not ended by then failed: the limit under test did not stop the stream."""

CREATED = frame("response.created", {"type": "response.created", "response": {"id": "r1"}})


def delta(text: str) -> bytes:
    return frame(
        "response.output_text.delta", {"type": "response.output_text.delta", "delta": text}
    ).encode()


def in_flight() -> int:
    """The most bytes the kernel may hold between the loopback server and the client: TCP's
    largest send and receive buffers (Linux grows them as a connection is used; 4 + 32 MiB on
    a stock kernel). What the server produced past the client's cap is at most this."""
    try:
        sizes = [
            int(Path(f"/proc/sys/net/ipv4/tcp_{kind}").read_text().split()[2])
            for kind in ("rmem", "wmem")
        ]
    except (OSError, ValueError, IndexError):
        return 16 * MIB
    return sum(sizes)


def read_at_most(cap: int) -> int:
    """What the server may have produced when the client stopped at `cap` bytes read: a count
    that holds on any machine, where a fixed figure (8 MiB) depended on the buffers' growth."""
    return cap + in_flight() + MIB


DRIP_PIECES = 300
"""A drip's length in pieces: 6 s at 0.02 s a piece, 12 times the longest limit tested with it
and within `GUARD_SECONDS`. A client that ignored its limit would read to the end; one that
obeys stops far before, whatever the machine's speed (a slow machine only drips fewer pieces
before the limit fires). The count says so, not a clock."""


class Counted:
    """An endless (or long) generator of chunks that counts how many bytes it produced."""

    def __init__(self, first: list[bytes], piece: bytes, limit: int | None = None) -> None:
        self.first, self.piece, self.limit, self.produced = first, piece, limit, 0

    def __iter__(self) -> Iterator[bytes]:
        for chunk in self.first:
            self.produced += len(chunk)
            yield chunk
        while self.limit is None or self.produced < self.limit:
            self.produced += len(self.piece)
            yield self.piece


async def run(
    server: LoopbackCodex, home: Path, *, progress: list[PlanProgress] | None = None, **config: Any
) -> tuple[Any, ConduitError | None]:
    settings = ConduitConfig(
        base_url=server.base_url, refresh_url=server.refresh_url, codex_home=home, **config
    )
    job = new_job(WISH, WISH_TEXT, WISH_PATH, ExecMode.COMMIT)

    async def sleep(seconds: float) -> None:
        return None

    async with CodexClient(settings, sleep=sleep) as client:
        return await asyncio.wait_for(
            plan_wish(
                job,
                settings,
                client=client,
                on_progress=progress.append if progress is not None else None,
            ),
            GUARD_SECONDS,
        )


async def test_a_50_mb_line_without_a_line_end_fails_cleanly(
    codex_server: LoopbackCodex, codex_home: Path
) -> None:
    body = Counted([CREATED.encode(), b"data: "], b"x" * MIB, limit=50 * MIB)
    codex_server.enqueue("responses", stream(body))
    artifact, error = await run(codex_server, codex_home)
    assert isinstance(error, StreamOverflow)
    assert str(error) == (
        "Codex sent a line longer than 8,388,608 characters; the stream was "
        "stopped (the server or a proxy is broken)."
    )
    assert artifact.status is PlanStatus.FAILED
    assert body.produced < read_at_most(8 * MIB) < 50 * MIB  # stopped near the 8 Mi limit


async def test_an_event_of_endless_short_data_lines_fails_cleanly(
    codex_server: LoopbackCodex, codex_home: Path
) -> None:
    body = Counted([CREATED.encode()], b"data: " + b"y" * 8000 + b"\n", limit=50 * MIB)
    codex_server.enqueue("responses", stream(body))
    _, error = await run(codex_server, codex_home)
    assert isinstance(error, StreamOverflow)
    assert str(error).startswith("Codex sent an event longer than 8,388,608 characters;")
    assert body.produced < read_at_most(8 * MIB) < 50 * MIB


async def test_a_gzip_bomb_is_stopped_at_the_line_limit(
    codex_server: LoopbackCodex, codex_home: Path
) -> None:
    bomb = gzip.compress(CREATED.encode() + b"data: " + b"z" * (50 * MIB), compresslevel=9)
    assert len(bomb) < 100 * 1024
    codex_server.enqueue(
        "responses",
        stream(
            [bomb[i : i + 16384] for i in range(0, len(bomb), 16384)],
            headers={"content-encoding": "gzip"},
        ),
    )
    _, error = await run(codex_server, codex_home)
    assert isinstance(error, StreamOverflow)


async def test_endless_deltas_stop_at_the_character_cap(
    codex_server: LoopbackCodex, codex_home: Path
) -> None:
    body = Counted([CREATED.encode()], delta("0123456789" * 10))
    codex_server.enqueue("responses", stream(body))
    progress: list[PlanProgress] = []
    artifact, error = await run(
        codex_server, codex_home, progress=progress, max_response_chars=200_000
    )
    assert error is None and artifact.status is PlanStatus.INCOMPLETE
    assert artifact.status_reason == "the answer passed 200,000 characters"
    assert 200_000 < len(artifact.text) <= 200_100
    assert body.produced < read_at_most(2 * MIB)  # 200,000 characters: under 1 MiB of frames


async def test_endless_events_without_text_stop_at_the_byte_cap(
    codex_server: LoopbackCodex, codex_home: Path
) -> None:
    noise = frame(
        "response.in_progress",
        {"type": "response.in_progress", "response": {"id": "r1", "pad": "p" * 2000}},
    )
    body = Counted([CREATED.encode(), delta("1. Survey\n")], noise.encode())
    codex_server.enqueue("responses", stream(body))
    artifact, error = await run(codex_server, codex_home, max_stream_bytes=2 * MIB)
    assert error is None and artifact.status is PlanStatus.INCOMPLETE
    assert artifact.status_reason == "the stream passed 2 MiB"
    assert artifact.text == "1. Survey\n"
    assert body.produced < read_at_most(2 * MIB)


async def test_keep_alive_comments_do_not_count_as_activity(
    codex_server: LoopbackCodex, codex_home: Path
) -> None:
    first = [CREATED.encode(), delta("1. Survey\n")]
    piece = b": keep-alive\n\n"
    limit = DRIP_PIECES * len(piece) + sum(map(len, first))
    body = Counted(first, piece, limit=limit)
    codex_server.enqueue("responses", stream(body, per_chunk_delay=0.02))
    artifact, error = await run(codex_server, codex_home, stream_idle_timeout_seconds=0.3)
    assert error is None and artifact.status is PlanStatus.INCOMPLETE
    assert artifact.status_reason == "no event for 0.3 s (idle timeout)"
    assert body.produced < limit, "the client stopped before the server ran out"
    assert len(codex_server.route_requests("responses")) == 1, "and did not send it again"


async def test_a_slow_endless_drip_stops_at_the_stream_time_limit(
    codex_server: LoopbackCodex, codex_home: Path
) -> None:
    piece = delta("step ")
    limit = DRIP_PIECES * len(piece) + len(CREATED)
    body = Counted([CREATED.encode()], piece, limit=limit)
    codex_server.enqueue("responses", stream(body, per_chunk_delay=0.02))
    artifact, error = await run(codex_server, codex_home, max_stream_seconds=0.5)
    assert error is None and artifact.status is PlanStatus.INCOMPLETE
    assert artifact.status_reason == "the stream took longer than 0.5 s"
    assert artifact.text.startswith("step step ")
    assert body.produced < limit, "the client stopped before the server ran out"
    assert len(codex_server.route_requests("responses")) == 1, "and did not send it again"


async def test_the_chat_wire_has_the_same_limits(
    codex_server: LoopbackCodex, codex_home: Path
) -> None:
    chunk = json.dumps({"choices": [{"delta": {"content": "x" * 100}}]})
    codex_server.enqueue("chat", stream(Counted([], f"data: {chunk}\n\n".encode())))
    artifact, error = await run(
        codex_server, codex_home, max_response_chars=50_000, wire_api="chat"
    )
    assert error is None and artifact.status is PlanStatus.INCOMPLETE
    assert artifact.status_reason == "the answer passed 50,000 characters"


@pytest.mark.parametrize("where", ["event", "answer"])
async def test_json_nested_too_deep_is_skipped_not_a_crash(
    codex_server: LoopbackCodex, codex_home: Path, where: str
) -> None:
    deep = "[" * 100_000
    frames = [CREATED.encode()]
    if where == "event":
        frames += [f"data: {deep}\n\n".encode(), delta("1. Survey\n")]
    else:
        frames += [delta(deep)]
    frames.append(
        frame(
            "response.completed", {"type": "response.completed", "response": {"id": "r1"}}
        ).encode()
    )
    codex_server.enqueue("responses", stream(frames))
    artifact, error = await run(codex_server, codex_home)
    assert error is None and artifact.status is PlanStatus.COMPLETE


def test_progress_does_not_join_the_text_for_every_delta() -> None:
    """A stream of n deltas costs O(n): the text so far is joined only when asked for."""

    class Counting(StreamState):
        joins = 0

        @property
        def text(self) -> str:
            Counting.joins += 1
            return super().text

    state = Counting()
    seen: list[PlanProgress] = []
    for index in range(5_000):
        event = StreamEvent(
            "response.output_text.delta",
            {"type": "response.output_text.delta", "delta": f"{index} "},
        )
        fold_event(event, state, seen.append, 1)
    assert Counting.joins == 0 and len(seen) == 5_000
    assert seen[-1].text.endswith("4999 ") and Counting.joins == 1


def test_the_line_limit_is_the_documented_one() -> None:
    assert MAX_LINE_CHARS == 8 * MIB
