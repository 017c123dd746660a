"""One answer's stream folded into a `StreamState`: bytes in, the plan's text and facts out.

`StreamFold.feed(chunk)` takes the body's bytes split anywhere and folds every event it
completes; `finish()` ends the stream. Both are pure (no I/O, no clock), so the tests feed
byte lists cut at every position and compare the states. The fold stops the stream, as
incomplete and keeping what arrived, at the two limits counted in data: the bytes of one
stream (`max_stream_bytes`) and the characters of the answer (`max_response_chars`); a line
or event longer than the SSE decoder buffers is a `StreamOverflow`. A `response.failed` or an
SSE `error` event raises its `ConduitError` (`answers.py` classifies it).

`read_into` is the I/O around it: it reads an httpx response into a fold within the two
limits counted in time (the time between events, `stream_idle_timeout_seconds`, and the time
of one stream, `max_stream_seconds`). A stream that breaks off, idles or runs too long is an
incomplete answer, not an error: `state.incomplete_reason` says which, and what arrived stays.

The caller owns the `StreamState`, so a task cancelled mid-stream (the editor's Cancel
button) still has every character received.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Literal

import httpx

from wishcraft.conduit.answers import (
    error_event_error,
    failure_error,
    ids_of,
    metadata_headers,
    models_etag,
    rate_limits_from_headers,
    served_model,
    text_or_none,
    turn_state,
    usage_of,
)
from wishcraft.conduit.config import ConduitConfig
from wishcraft.conduit.errors import StreamOverflow
from wishcraft.conduit.sse import (
    SSEDecoder,
    SSEMessage,
    SSEOverflow,
    StreamEvent,
    loads,
    message_text,
    parse_event,
)
from wishcraft.conduit.usage import RateLimitSnapshot, TokenUsage

FEED_BYTES = 1024 * 1024
"""The decoder is fed at most this much at once, so a decompressed burst (a gzip bomb inflates
64 KiB into 64 MiB) hits the line limit after a few MiB instead of being decoded whole."""

Phase = Literal["connecting", "refreshing", "waiting", "thinking", "writing", "retrying"]


@dataclass(slots=True)
class PlanProgress:
    """One progress report: the phase, the new text, and the text so far on demand."""

    phase: Phase
    message: str
    delta: str = ""
    attempt: int = 1
    state: StreamState | None = field(default=None, repr=False, compare=False)

    @property
    def text(self) -> str:
        """The answer so far, joined only when asked for.

        Joining it for every delta made a stream of n deltas cost O(n²): an endless drip of
        tiny deltas pinned a core long before the character cap could stop it.
        """
        return self.state.text if self.state is not None else ""


ProgressCallback = Callable[[PlanProgress], None]


def no_progress(progress: PlanProgress) -> None:
    """The report of a caller that does not listen."""


@dataclass(slots=True)
class StreamState:
    """What a planning call has received so far; owned by the caller, filled by the client."""

    deltas: list[str] = field(default_factory=list)
    final_text: str | None = None
    response_id: str | None = None
    model: str | None = None
    usage: TokenUsage | None = None
    request_id: str | None = None
    cf_ray: str | None = None
    rate_limits: RateLimitSnapshot | None = None
    completed: bool = False
    incomplete_reason: str | None = None
    events: int = 0
    chars: int = 0
    requested_model: str | None = None
    model_source: str | None = None
    effort: str | None = None
    client_version: str | None = None
    catalog_source: str | None = None
    auth_mode: str | None = None
    instructions_sent: bool | None = None
    notes: list[str] = field(default_factory=list)
    output_items: list[dict[str, Any]] = field(default_factory=list)
    """Every item of `response.output_item.done`, in order (reasoning, messages, tool calls):
    a tool exchange replays them and answers the calls among them."""
    turn_state: str | None = None
    """The `x-codex-turn-state` the last answer handed back (header or `response.metadata`)."""
    models_etag: str | None = None
    """The `X-Models-Etag` of the last answer."""

    @property
    def text(self) -> str:
        """The answer: the authoritative final message, else the deltas joined."""
        return self.final_text if self.final_text is not None else "".join(self.deltas)

    def reset_text(self) -> None:
        """Forget the text of an attempt that will be retried."""
        self.deltas.clear()
        self.chars = 0
        self.final_text = None
        self.completed = False
        self.incomplete_reason = None
        self.output_items.clear()


def absorb_headers(state: StreamState, response: httpx.Response, *, chat: bool = False) -> None:
    """Keep what a 200 answer's headers say: its ids, the model that serves it, and (for the
    Responses API) the rate limits, the turn state and the catalog's ETag."""
    ids, headers = ids_of(response), response.headers
    state.request_id, state.cf_ray = ids["request_id"], ids["cf_ray"]
    state.model = served_model(headers) or state.model
    if chat:
        return
    state.rate_limits = rate_limits_from_headers(headers) or state.rate_limits
    state.turn_state = turn_state(headers) or state.turn_state
    state.models_etag = models_etag(headers) or state.models_etag


def fold_event(event: StreamEvent, state: StreamState, report: ProgressCallback, turn: int) -> bool:
    """Apply one Responses event to `state`; return True when the stream is finished."""
    kind = event.type
    if event.response:
        state.model = served_model(event.response.get("headers")) or state.model
    if kind == "response.output_text.delta":
        state.deltas.append(event.delta)
        state.chars += len(event.delta)
        report(
            PlanProgress(
                "writing", "Writing the plan", delta=event.delta, attempt=turn, state=state
            )
        )
    elif kind == "response.reasoning_summary_text.delta":
        report(PlanProgress("thinking", "The model is thinking", attempt=turn, state=state))
    elif kind == "response.created":
        state.response_id = text_or_none(event.response.get("id")) or state.response_id
    elif kind == "response.output_item.done":
        if event.item:
            state.output_items.append(event.item)
        text = message_text(event.item)
        if text is not None and (event.item.get("phase") in (None, "final_answer")):
            state.final_text = text
    elif kind == "response.completed":
        state.response_id = text_or_none(event.response.get("id")) or state.response_id
        state.usage = usage_of(event.response.get("usage")) or state.usage
        state.completed = True
        return True
    elif kind == "response.metadata":
        headers = metadata_headers(event)
        state.model = served_model(headers) or state.model
        state.turn_state = turn_state(headers) or state.turn_state
    elif kind == "response.failed":
        raise failure_error(event, state.request_id, state.cf_ray)
    elif kind == "error":
        raise error_event_error(event, state.request_id, state.cf_ray)
    elif kind == "response.incomplete":
        details = event.response.get("incomplete_details")
        reason = details.get("reason") if isinstance(details, dict) else None
        state.incomplete_reason = f"Codex returned an incomplete response ({reason})"
        return True
    return False


def fold_chat_message(message: SSEMessage, state: StreamState, report: ProgressCallback) -> bool:
    """Apply one chat-completions message (only with `wire_api = "chat"`); True at `[DONE]`."""
    if message.data.strip() == "[DONE]":
        state.completed = True
        return True
    data = loads(message.data)
    choices = data.get("choices") if isinstance(data, dict) else None
    for choice in choices if isinstance(choices, list) else []:
        part = choice.get("delta") if isinstance(choice, dict) else None
        delta = part.get("content") if isinstance(part, dict) else None
        if isinstance(delta, str) and delta:
            state.deltas.append(delta)
            state.chars += len(delta)
            report(PlanProgress("writing", "Writing the plan", delta=delta, state=state))
    return False


class StreamFold:
    """Fold one stream's bytes into `state`, chunk by chunk, within the limits counted in data."""

    def __init__(
        self,
        state: StreamState,
        report: ProgressCallback = no_progress,
        *,
        config: ConduitConfig | None = None,
        turn: int = 1,
        chat: bool = False,
    ) -> None:
        """Start an empty decoder; `chat` folds chat-completions messages instead of events."""
        self.state = state
        self.report = report
        self.config = config or ConduitConfig()
        self.turn = turn
        self.chat = chat
        self.received = 0
        """Bytes fed so far."""
        self.messages = 0
        """SSE messages dispatched so far (the idle clock restarts when this grows)."""
        self.done = False
        self._decoder = SSEDecoder()

    def feed(self, chunk: bytes) -> bool:
        """Fold the messages `chunk` completes; True when the stream is finished (completed,
        incomplete, or stopped at a limit: `state.incomplete_reason` then says which).

        Raises `StreamOverflow` for a line or event the decoder refuses, and the
        `ConduitError` of a `response.failed` or `error` event."""
        if self.done:
            return True
        self.received += len(chunk)
        limit = self.config.max_stream_bytes
        if self.received > limit:
            self.state.incomplete_reason = f"the stream passed {_size(limit)}"
            return self._stop()
        for start in range(0, len(chunk), FEED_BYTES):
            try:
                messages = self._decoder.feed(chunk[start : start + FEED_BYTES])
            except SSEOverflow as exc:
                raise StreamOverflow(
                    f"Codex sent {exc}; the stream was stopped (the server or a proxy is broken).",
                    detail=f"after {self.received:,} bytes",
                    request_id=self.state.request_id,
                    cf_ray=self.state.cf_ray,
                ) from None
            self.messages += len(messages)
            for message in messages:
                if self._fold(message):
                    return self._stop()
                if self.state.chars > self.config.max_response_chars:
                    self.state.incomplete_reason = (
                        f"the answer passed {self.config.max_response_chars:,} characters"
                    )
                    return self._stop()
        return False

    def finish(self) -> None:
        """End the stream: one that closed before its end event is incomplete."""
        state = self.state
        if not state.completed and state.incomplete_reason is None:
            end = "[DONE]" if self.chat else "response.completed"
            state.incomplete_reason = f"the stream closed before {end}"

    def _fold(self, message: SSEMessage) -> bool:
        if self.chat:
            return fold_chat_message(message, self.state, self.report)
        event = parse_event(message)
        if event is None:
            return False
        self.state.events += 1
        return fold_event(event, self.state, self.report, self.turn)

    def _stop(self) -> bool:
        self.done = True
        return True


async def read_into(fold: StreamFold, response: httpx.Response) -> None:
    """Read `response`'s body into `fold` within the limits counted in time, then finish it.

    A body that breaks off, idles past `stream_idle_timeout_seconds` or runs past
    `max_stream_seconds` ends the stream as incomplete; raises what `fold.feed` raises."""
    config, state = fold.config, fold.state
    last_event = time.monotonic()
    try:
        async with asyncio.timeout(config.max_stream_seconds):
            async for chunk in response.aiter_bytes():
                seen = fold.messages
                if fold.feed(chunk):
                    break
                if fold.messages > seen:
                    last_event = time.monotonic()
                elif time.monotonic() - last_event > config.stream_idle_timeout_seconds:
                    state.incomplete_reason = idle_reason(config)
                    break
    except TimeoutError:
        state.incomplete_reason = f"the stream took longer than {config.max_stream_seconds:g} s"
    except httpx.ReadTimeout:
        state.incomplete_reason = idle_reason(config)
    except httpx.HTTPError as exc:
        state.incomplete_reason = f"the stream broke off ({type(exc).__name__})"
    fold.finish()


def idle_reason(config: ConduitConfig) -> str:
    """Why a stream that went quiet was ended."""
    return f"no event for {config.stream_idle_timeout_seconds:g} s (idle timeout)"


def _size(count: int) -> str:
    """Bytes in words: `64 MiB`, `512 KiB`."""
    for unit, scale in (("MiB", 1024 * 1024), ("KiB", 1024)):
        if count >= scale:
            return f"{count / scale:g} {unit}"
    return f"{count} bytes"


__all__ = [
    "FEED_BYTES",
    "Phase",
    "PlanProgress",
    "ProgressCallback",
    "StreamFold",
    "StreamState",
    "absorb_headers",
    "fold_chat_message",
    "fold_event",
    "idle_reason",
    "no_progress",
    "read_into",
]
