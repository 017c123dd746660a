"""A loopback Codex server: a real HTTP/1.1 server on 127.0.0.1 that speaks the Codex wire format.

Tests script it per route and read back what the client sent:

    with LoopbackCodex() as server:           # started on an ephemeral port
        server.enqueue("responses", json_response(401, {...}), sse(success_transcript([...])))
        server.enqueue("refresh", json_response(200, {"access_token": ...}))
        ... point the client at server.base_url and server.refresh_url ...
        server.requests[0].headers["authorization"], server.requests[0].json

Routes: "responses" (`/backend-api/codex/responses`), "chat"
(`/backend-api/codex/chat/completions`), "models" (`/backend-api/codex/models`), "refresh"
(`/oauth/token`) and "api" (`/v1/responses`, the public API of API-key mode). Each request
takes the next queued response of its route; the last one repeats when the queue runs dry.
With nothing queued, "models" answers today's catalog (`testkit.catalog`) with an ETag, and a
304 to a matching `If-None-Match`. `LoopbackCodex(strict=True)` answers `POST /responses` as
today's backend is reported to: a 400 for a model the catalog lacks (retired), for a `version`
header below the model's `minimal_client_version`, for a reasoning effort the model does not
support, and for top-level `instructions`. `route_requests("responses")` lists the requests of
one route; `LoopbackProxy` is a forward proxy (absolute-form HTTP and CONNECT) that records
what went through it. Responses:
`sse(frames, delay=, per_frame_delay=, cut_after=, stall_after=)` streams frames with chunked
encoding, one flush per frame; `cut_after=N` drops the connection after N frames;
`stall_after=N` writes N frames and waits for `release_stalls()` (or `stop()`).
`json_response(status, body, headers=)`, `redirect(status, location)` and `reset()` (a TCP reset
instead of an answer) make faults; `sse(..., reset_after=N)` resets the connection mid-stream;
`tool_call_transcript([function_call_item(...), custom_tool_call_item(...)])` is an answer
that calls tools (what a tool exchange answers between requests);
`stream(chunks)` sends any bytes (a generator may be endless: it stops when the client goes);
`hook=` on an answer runs in the server thread once its request has arrived and before the
answer goes out (e.g. to rewrite auth.json while a refresh is in flight).
The server runs in its own thread and event loop, so sync tests, async tests and subprocesses
(a language server given `CHATGPT_BASE_URL`) can all use it. `frames_sent_at[i]` lists when
each frame of request i was flushed (`time.perf_counter()`), for latency benchmarks.
"""

from __future__ import annotations

import asyncio
import json
import socket
import ssl
import struct
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

BASE_PATH = "/backend-api/codex"
API_PATH = "/v1"
ROUTES = {
    "responses": f"{BASE_PATH}/responses",
    "chat": f"{BASE_PATH}/chat/completions",
    "models": f"{BASE_PATH}/models",
    "refresh": "/oauth/token",
    "api": f"{API_PATH}/responses",
}
CODEX_BODY_KEYS = [
    "model",
    "stream",
    "input",
    "tools",
    "tool_choice",
    "parallel_tool_calls",
    "reasoning",
    "store",
    "include",
    "prompt_cache_key",
    "text",
    "client_metadata",
]
"""The keys of Codex's `POST /responses` body, in its order (measured, 0.169.0 and 0.171.0; a lite
model's body has no `tools`)."""
CATALOG_ETAG = '"catalog-etag-1"'

DEFAULT_HEADERS = {
    "openai-model": "gpt-6.1-sol",
    "x-request-id": "req_loopback_0001",
    "cf-ray": "8f0a1b2c3d4e5f60-LHR",
    "x-codex-primary-used-percent": "12.5",
    "x-codex-primary-window-minutes": "300",
    "x-codex-primary-reset-at": "1774612800",
    "x-codex-secondary-used-percent": "3.0",
    "x-codex-secondary-window-minutes": "10080",
    "x-codex-secondary-reset-at": "1775000000",
}
WAIT_SECONDS = 5.0


@dataclass
class Recorded:
    """One request the server received."""

    method: str
    path: str
    headers: dict[str, str]
    body: bytes
    query: str = ""

    @property
    def json(self) -> Any:
        """The body parsed as JSON (None when it is not JSON)."""
        try:
            return json.loads(self.body)
        except ValueError:
            return None


@dataclass
class Response:
    """A scripted answer: a status and headers, then a whole body or SSE frames."""

    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes = b""
    frames: list[str] | None = None
    delay: float = 0.0
    per_frame_delay: float = 0.0
    cut_after: int | None = None
    stall_after: int | None = None
    reset: bool = False
    reset_after: int | None = None
    chunks: Iterable[bytes] | None = None
    per_chunk_delay: float = 0.0
    hook: Callable[[Recorded], None] | None = None


def frame(event_type: str, data: dict[str, Any], line_end: str = "\n") -> str:
    """One SSE frame as the backend writes it: `event:`, `data:` and a blank line."""
    return f"event: {event_type}{line_end}data: {json.dumps(data)}{line_end}{line_end}"


def sse(
    frames: list[str],
    *,
    headers: dict[str, str] | None = None,
    delay: float = 0.0,
    per_frame_delay: float = 0.0,
    cut_after: int | None = None,
    stall_after: int | None = None,
    reset_after: int | None = None,
) -> Response:
    """A 200 `text/event-stream` answer streaming `frames`."""
    return Response(
        200,
        {**DEFAULT_HEADERS, "content-type": "text/event-stream", **(headers or {})},
        frames=list(frames),
        delay=delay,
        per_frame_delay=per_frame_delay,
        cut_after=cut_after,
        stall_after=stall_after,
        reset_after=reset_after,
    )


def stream(
    chunks: Iterable[bytes], *, headers: dict[str, str] | None = None, per_chunk_delay: float = 0.0
) -> Response:
    """A 200 `text/event-stream` answer sending `chunks` as they are (one flush each).

    `chunks` may be an endless generator: the server stops when the client disconnects.
    """
    return Response(
        200,
        {**DEFAULT_HEADERS, "content-type": "text/event-stream", **(headers or {})},
        chunks=chunks,
        per_chunk_delay=per_chunk_delay,
    )


def redirect(status: int, location: str) -> Response:
    """A redirect to `location` (which the client must not follow)."""
    return Response(status, {"location": location, "content-type": "text/plain"}, b"moved")


def json_response(status: int, body: Any, *, headers: dict[str, str] | None = None) -> Response:
    """A JSON answer, e.g. an error with `Retry-After`."""
    return Response(
        status,
        {
            "content-type": "application/json",
            "x-request-id": f"req_loopback_{status}",
            "cf-ray": "8f0a1b2c3d4e5f61-LHR",
            **(headers or {}),
        },
        json.dumps(body).encode(),
    )


def raw(status: int, body: bytes, headers: dict[str, str] | None = None) -> Response:
    """Any answer, byte for byte."""
    return Response(status, dict(headers or {}), body)


def reset() -> Response:
    """Reset the connection (TCP RST) without answering."""
    return Response(reset=True)


def _abort_with_reset(writer: asyncio.StreamWriter) -> None:
    """Drop the connection with a TCP RST (SO_LINGER 0), not an orderly FIN."""
    sock = writer.get_extra_info("socket")
    if sock is not None:
        try:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        except OSError:
            pass
    writer.transport.abort()


def created_frame(response_id: str, model: str) -> str:
    """`response.created` of a response in progress."""
    return frame(
        "response.created",
        {
            "type": "response.created",
            "response": {"id": response_id, "status": "in_progress", "model": model},
        },
    )


def completed_frame(response_id: str, model: str, usage: dict[str, Any]) -> str:
    """`response.completed` with the model and the token usage."""
    return frame(
        "response.completed",
        {
            "type": "response.completed",
            "response": {
                "id": response_id,
                "status": "completed",
                "model": model,
                "usage": usage,
            },
        },
    )


def metadata_frame(headers: dict[str, str]) -> str:
    """A `response.metadata` event: headers the backend hands over inside the stream (the
    served model, the turn state)."""
    return frame("response.metadata", {"type": "response.metadata", "headers": headers})


def error_frame(code: str, message: str) -> str:
    """An SSE `error` event, as the Responses API streams one."""
    return frame("error", {"type": "error", "code": code, "message": message, "param": None})


def success_transcript(
    text_chunks: list[str],
    *,
    model: str = "gpt-6.1-sol",
    response_id: str = "resp_68f0a1b2c3d4e5f6",
    usage: dict[str, Any] | None = None,
) -> list[str]:
    """The reference's success transcript with `text_chunks` as the output text deltas."""
    text = "".join(text_chunks)
    usage = usage or {
        "input_tokens": 4210,
        "input_tokens_details": {"cached_tokens": 3072},
        "output_tokens": 236,
        "output_tokens_details": {"reasoning_tokens": 128},
        "total_tokens": 4446,
    }
    message = {"type": "message", "id": "msg_68f0a1b2bb02", "role": "assistant"}
    frames = [
        created_frame(response_id, model),
        frame(
            "response.in_progress",
            {
                "type": "response.in_progress",
                "response": {"id": response_id, "status": "in_progress"},
            },
        ),
        frame(
            "response.output_item.added",
            {
                "type": "response.output_item.added",
                "item": {"type": "reasoning", "id": "rs_1", "summary": []},
            },
        ),
        frame(
            "response.reasoning_summary_part.added",
            {
                "type": "response.reasoning_summary_part.added",
                "summary_index": 0,
                "part": {"type": "summary_text", "text": ""},
            },
        ),
        frame(
            "response.reasoning_summary_text.delta",
            {
                "type": "response.reasoning_summary_text.delta",
                "summary_index": 0,
                "delta": "**Mapping the wish to steps**",
            },
        ),
        frame(
            "response.output_item.done",
            {
                "type": "response.output_item.done",
                "item": {"type": "reasoning", "id": "rs_1", "encrypted_content": "gAAAAfakeblob=="},
            },
        ),
        frame(
            "response.output_item.added",
            {"type": "response.output_item.added", "item": {**message, "content": []}},
        ),
        frame(
            "response.content_part.added",
            {"type": "response.content_part.added", "part": {"type": "output_text", "text": ""}},
        ),
        *[
            frame(
                "response.output_text.delta", {"type": "response.output_text.delta", "delta": chunk}
            )
            for chunk in text_chunks
        ],
        frame("response.output_text.done", {"type": "response.output_text.done", "text": text}),
        frame(
            "response.output_item.done",
            {
                "type": "response.output_item.done",
                "item": {
                    **message,
                    "status": "completed",
                    "content": [{"type": "output_text", "text": text, "annotations": []}],
                },
            },
        ),
        completed_frame(response_id, model, usage),
    ]
    return frames


def function_call_item(
    call_id: str, name: str, arguments: dict[str, Any] | str, *, item_id: str | None = None
) -> dict[str, Any]:
    """A finished `function_call` output item (`arguments` is JSON text, as on the wire)."""
    text = arguments if isinstance(arguments, str) else json.dumps(arguments)
    return {
        "type": "function_call",
        "id": item_id or f"fc_{call_id}",
        "status": "completed",
        "arguments": text,
        "call_id": call_id,
        "name": name,
    }


def custom_tool_call_item(
    call_id: str, name: str, text: str, *, item_id: str | None = None
) -> dict[str, Any]:
    """A finished `custom_tool_call` output item (a freeform tool's raw `input`)."""
    return {
        "type": "custom_tool_call",
        "id": item_id or f"ctc_{call_id}",
        "status": "completed",
        "call_id": call_id,
        "name": name,
        "input": text,
    }


def tool_call_transcript(
    calls: list[dict[str, Any]],
    *,
    text: str = "",
    response_id: str = "resp_tools_1",
    model: str = "gpt-6.1-sol",
    reasoning: str | None = "gAAAAtoolblob==",
    usage: dict[str, Any] | None = None,
) -> list[str]:
    """An answer that calls tools: created, a reasoning item (with `encrypted_content`, as
    `include: reasoning.encrypted_content` asks), an optional message, then each call as the
    backend streams it (`output_item.added`, the argument or input deltas,
    `output_item.done` with the whole item), then `response.completed` with `usage`.

    Build `calls` with `function_call_item` and `custom_tool_call_item`."""
    usage = usage or {
        "input_tokens": 1000,
        "input_tokens_details": {"cached_tokens": 512},
        "output_tokens": 80,
        "output_tokens_details": {"reasoning_tokens": 40},
        "total_tokens": 1080,
    }
    frames = [created_frame(response_id, model)]
    index = 0
    if reasoning is not None:
        frames += [
            frame(
                "response.output_item.added",
                {
                    "type": "response.output_item.added",
                    "output_index": index,
                    "item": {"type": "reasoning", "id": f"rs_{response_id}", "summary": []},
                },
            ),
            frame(
                "response.output_item.done",
                {
                    "type": "response.output_item.done",
                    "output_index": index,
                    "item": {
                        "type": "reasoning",
                        "id": f"rs_{response_id}",
                        "summary": [{"type": "summary_text", "text": "**Looking at the files**"}],
                        "encrypted_content": reasoning,
                    },
                },
            ),
        ]
        index += 1
    if text:
        message = {"type": "message", "id": f"msg_{response_id}", "role": "assistant"}
        frames += [
            frame(
                "response.output_text.delta",
                {"type": "response.output_text.delta", "output_index": index, "delta": text},
            ),
            frame(
                "response.output_item.done",
                {
                    "type": "response.output_item.done",
                    "output_index": index,
                    "item": {
                        **message,
                        "status": "completed",
                        "content": [{"type": "output_text", "text": text, "annotations": []}],
                    },
                },
            ),
        ]
        index += 1
    for call in calls:
        custom = call["type"] == "custom_tool_call"
        started = {**call, "status": "in_progress", "input" if custom else "arguments": ""}
        payload = call["input"] if custom else call["arguments"]
        delta_type = (
            "response.custom_tool_call_input.delta"
            if custom
            else "response.function_call_arguments.delta"
        )
        frames += [
            frame(
                "response.output_item.added",
                {"type": "response.output_item.added", "output_index": index, "item": started},
            ),
            frame(
                delta_type,
                {
                    "type": delta_type,
                    "output_index": index,
                    "item_id": call["id"],
                    "delta": payload,
                },
            ),
            frame(
                "response.output_item.done",
                {"type": "response.output_item.done", "output_index": index, "item": call},
            ),
        ]
        index += 1
    frames.append(completed_frame(response_id, model, usage))
    return frames


def failed_transcript(code: str, message: str) -> list[str]:
    """created, in_progress, then `response.failed` with `code`."""
    return [
        frame("response.created", {"type": "response.created", "response": {"id": "resp_failed"}}),
        frame(
            "response.in_progress",
            {"type": "response.in_progress", "response": {"id": "resp_failed"}},
        ),
        frame(
            "response.failed",
            {
                "type": "response.failed",
                "response": {
                    "id": "resp_failed",
                    "status": "failed",
                    "error": {"code": code, "message": message},
                },
            },
        ),
    ]


def incomplete_transcript(reason: str) -> list[str]:
    """A little text, then `response.incomplete` with `reason`."""
    return [
        frame(
            "response.created", {"type": "response.created", "response": {"id": "resp_incomplete"}}
        ),
        frame(
            "response.output_text.delta",
            {"type": "response.output_text.delta", "delta": "1. Survey"},
        ),
        frame(
            "response.incomplete",
            {
                "type": "response.incomplete",
                "response": {"id": "resp_incomplete", "incomplete_details": {"reason": reason}},
            },
        ),
    ]


def drip_transcript(n_deltas: int) -> list[str]:
    """`n_deltas` small deltas (numbered plan lines), then completion."""
    deltas = [
        f"{n // 10 + 1}. step part {n}\n" if n % 10 == 9 else f"part {n} " for n in range(n_deltas)
    ]
    return [
        frame("response.created", {"type": "response.created", "response": {"id": "resp_drip"}}),
        *[
            frame(
                "response.output_text.delta", {"type": "response.output_text.delta", "delta": delta}
            )
            for delta in deltas
        ],
        frame(
            "response.completed",
            {
                "type": "response.completed",
                "response": {
                    "id": "resp_drip",
                    "usage": {
                        "input_tokens": 10,
                        "output_tokens": n_deltas,
                        "total_tokens": 10 + n_deltas,
                    },
                },
            },
        ),
    ]


class LoopbackCodex:
    """The scriptable server; see the module docstring."""

    def __init__(self, *, strict: bool = False, tls: ssl.SSLContext | None = None) -> None:
        """Prepare (not start) the server; `strict` rejects what today's backend rejects;
        `tls` serves HTTPS with that context (see `testkit.tls`)."""
        self.strict = strict
        self.tls = tls
        self.requests: list[Recorded] = []
        self.frames_sent_at: list[list[float]] = []
        self._queues: dict[str, list[Response]] = {}
        self._condition = threading.Condition()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._server: asyncio.base_events.Server | None = None
        self._stalls: asyncio.Event | None = None
        self._writers: set[asyncio.StreamWriter] = set()
        self.port = 0

    @property
    def base_url(self) -> str:
        """The Codex base URL to configure (`…/backend-api/codex`)."""
        return f"{self.origin}{BASE_PATH}"

    @property
    def origin(self) -> str:
        """`http://127.0.0.1:PORT`, or https with `tls`."""
        return f"{'https' if self.tls else 'http'}://127.0.0.1:{self.port}"

    @property
    def api_base_url(self) -> str:
        """The public API base URL to configure in API-key mode (`OPENAI_BASE_URL`)."""
        return f"{self.origin}{API_PATH}"

    def route_requests(self, route: str) -> list[Recorded]:
        """The requests that reached one route ("responses", "models", … or a path)."""
        path = ROUTES.get(route, route)
        with self._condition:
            return [request for request in self.requests if request.path == path]

    @property
    def refresh_url(self) -> str:
        """The token endpoint to configure (`CODEX_REFRESH_TOKEN_URL_OVERRIDE`)."""
        return f"{self.origin}{ROUTES['refresh']}"

    def enqueue(self, route: str, *responses: Response) -> None:
        """Queue answers for a route ("responses", "chat", "refresh" or a path)."""
        path = ROUTES.get(route, route)
        with self._condition:
            self._queues.setdefault(path, []).extend(responses)

    def clear(self) -> None:
        """Forget every queued answer and release stalls (between tests sharing a server)."""
        with self._condition:
            self._queues.clear()
        self.release_stalls()

    def wait_for_requests(self, count: int, timeout: float = WAIT_SECONDS) -> None:
        """Block until `count` requests have arrived (fails after `timeout`)."""
        with self._condition:
            if not self._condition.wait_for(lambda: len(self.requests) >= count, timeout):
                raise TimeoutError(f"{len(self.requests)} requests, expected {count}")

    def release_stalls(self) -> None:
        """Let every stream stalled so far go on (later stalls wait again)."""
        if self._loop is not None:
            self._loop.call_soon_threadsafe(self._release)

    def _release(self) -> None:
        released, self._stalls = self._stalls, asyncio.Event()
        if released is not None:
            released.set()

    # Life cycle -------------------------------------------------------------------------

    def start(self) -> LoopbackCodex:
        """Start serving on 127.0.0.1 in a background thread."""
        started = threading.Event()

        def serve() -> None:
            loop = asyncio.new_event_loop()
            self._loop = loop
            asyncio.set_event_loop(loop)
            self._stalls = asyncio.Event()
            self._server = loop.run_until_complete(
                asyncio.start_server(self._handle, "127.0.0.1", 0, ssl=self.tls)
            )
            self.port = self._server.sockets[0].getsockname()[1]
            started.set()
            loop.run_forever()
            loop.run_until_complete(loop.shutdown_asyncgens())
            loop.close()

        self._thread = threading.Thread(target=serve, name="loopback-codex", daemon=True)
        self._thread.start()
        if not started.wait(WAIT_SECONDS):
            raise RuntimeError("the loopback Codex server did not start")
        return self

    def stop(self) -> None:
        """Stop serving and close every open connection."""
        loop = self._loop
        if loop is None or self._thread is None:
            return

        async def shutdown() -> None:
            assert self._server is not None and self._stalls is not None
            self._stalls.set()
            self._server.close()
            for writer in list(self._writers):
                writer.close()
            loop.stop()

        asyncio.run_coroutine_threadsafe(shutdown(), loop)
        self._thread.join(WAIT_SECONDS)
        self._loop = None

    def __enter__(self) -> LoopbackCodex:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # Serving ----------------------------------------------------------------------------

    def _next(self, request: Recorded) -> Response:
        path = request.path
        if self.strict and request.method == "POST" and path == ROUTES["responses"]:
            refusal = strict_refusal(request)
            if refusal is not None:
                return refusal
        with self._condition:
            queue = self._queues.get(path)
            if not queue:
                if path == ROUTES["models"]:
                    return catalog_response(request)
                return json_response(404, {"detail": f"nothing queued for {path}"})
            return queue.pop(0) if len(queue) > 1 else queue[0]

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self._writers.add(writer)
        try:
            while True:
                request = await self._read_request(reader)
                if request is None:
                    return
                response = self._next(request)
                with self._condition:
                    self.requests.append(request)
                    self.frames_sent_at.append([])
                    index = len(self.frames_sent_at) - 1
                    self._condition.notify_all()
                if response.hook is not None:
                    await asyncio.to_thread(response.hook, request)
                if (
                    not await self._respond(writer, response, index)
                    or request.headers.get("connection", "").lower() == "close"
                ):
                    return
        except (ConnectionError, asyncio.IncompleteReadError):
            return
        finally:
            self._writers.discard(writer)
            writer.close()

    async def _read_request(self, reader: asyncio.StreamReader) -> Recorded | None:
        try:
            head = await reader.readuntil(b"\r\n\r\n")
        except (asyncio.IncompleteReadError, asyncio.LimitOverrunError, ConnectionError):
            return None
        lines = head.decode("latin-1").split("\r\n")
        method, target, _ = lines[0].split(" ", 2)
        path, _, query = target.partition("?")
        headers: dict[str, str] = {}
        for line in lines[1:]:
            if ":" in line:
                name, value = line.split(":", 1)
                headers[name.strip().lower()] = value.strip()
        body = b""
        if "content-length" in headers:
            body = await reader.readexactly(int(headers["content-length"]))
        return Recorded(method, path, headers, body, query)

    async def _respond(self, writer: asyncio.StreamWriter, response: Response, index: int) -> bool:
        """Write one answer; return whether the connection may serve another request."""
        if response.reset:
            _abort_with_reset(writer)
            return False
        if response.delay:
            await asyncio.sleep(response.delay)
        reason = {
            200: "OK",
            301: "Moved Permanently",
            302: "Found",
            303: "See Other",
            304: "Not Modified",
            400: "Bad Request",
            307: "Temporary Redirect",
            308: "Permanent Redirect",
            401: "Unauthorized",
            404: "Not Found",
            429: "Too Many Requests",
            500: "Internal Server Error",
            503: "Service Unavailable",
        }.get(response.status, "Status")
        head = [f"HTTP/1.1 {response.status} {reason}"]
        headers = dict(response.headers)
        if response.frames is None and response.chunks is None:
            headers["content-length"] = str(len(response.body))
            head += [f"{name}: {value}" for name, value in headers.items()]
            writer.write(("\r\n".join(head) + "\r\n\r\n").encode("latin-1") + response.body)
            await writer.drain()
            return True
        headers["transfer-encoding"] = "chunked"
        head += [f"{name}: {value}" for name, value in headers.items()]
        writer.write(("\r\n".join(head) + "\r\n\r\n").encode("latin-1"))
        await writer.drain()
        if response.chunks is not None:
            for number, data in enumerate(response.chunks):
                if response.per_chunk_delay and number:
                    await asyncio.sleep(response.per_chunk_delay)
                writer.write(f"{len(data):x}\r\n".encode() + data + b"\r\n")
                await writer.drain()
            writer.write(b"0\r\n\r\n")
            await writer.drain()
            return True
        assert response.frames is not None
        for number, text in enumerate(response.frames):
            if response.cut_after is not None and number >= response.cut_after:
                writer.transport.abort()
                return False
            if response.reset_after is not None and number >= response.reset_after:
                _abort_with_reset(writer)
                return False
            if response.stall_after is not None and number >= response.stall_after:
                assert self._stalls is not None
                await self._stalls.wait()
                return False
            if response.per_frame_delay and number:
                await asyncio.sleep(response.per_frame_delay)
            data = text.encode("utf-8")
            writer.write(f"{len(data):x}\r\n".encode() + data + b"\r\n")
            await writer.drain()
            self.frames_sent_at[index].append(time.perf_counter())
        writer.write(b"0\r\n\r\n")
        await writer.drain()
        return True


def iter_frames(frames: list[str]) -> Iterator[dict[str, Any]]:
    """The JSON payloads of frames (for assertions)."""
    for text in frames:
        for line in text.splitlines():
            if line.startswith("data: "):
                yield json.loads(line[6:])


def catalog_response(request: Recorded) -> Response:
    """Today's catalog, or a 304 when the client already holds this ETag."""
    from .catalog import catalog

    if request.headers.get("if-none-match") == CATALOG_ETAG:
        return Response(304, {"etag": CATALOG_ETAG})
    return json_response(200, catalog(), headers={"etag": CATALOG_ETAG})


def _version(text: str) -> tuple[int, ...]:
    return tuple(int(part) for part in text.split(".")[:3] if part.isdigit())


def strict_refusal(request: Recorded) -> Response | None:
    """The 400 today's backend is reported to send for this request, or None."""
    from .catalog import MODELS

    body = request.json if isinstance(request.json, dict) else {}
    slug = body.get("model")
    if "instructions" in body:
        return json_response(400, {"detail": "Instructions are not valid"})
    entry = next((model for model in MODELS if model["slug"] == slug), None)
    if entry is None:
        return json_response(
            400,
            {
                "detail": f"The '{slug}' model is not supported when using "
                "Codex with a ChatGPT account."
            },
        )
    if _version(request.headers.get("version", "0")) < _version(entry["minimal_client_version"]):
        return json_response(
            400,
            {
                "detail": f"The '{slug}' model requires a newer version of "
                "Codex. Please upgrade to the latest app or CLI and "
                "try again."
            },
        )
    reasoning = body.get("reasoning") or {}
    efforts = [level["effort"] for level in entry["supported_reasoning_levels"]]
    effort = reasoning.get("effort") if isinstance(reasoning, dict) else None
    if effort is not None and effort not in efforts:
        return json_response(
            400,
            {
                "error": {
                    "message": f"Unsupported value: 'reasoning.effort' does not support '{effort}' "
                    f"with this model. Supported values are: {', '.join(efforts)}.",
                    "type": "invalid_request_error",
                    "param": "reasoning.effort",
                    "code": "unsupported_value",
                }
            },
        )
    return None


class LoopbackProxy:
    """A forward proxy on 127.0.0.1: absolute-form HTTP requests and CONNECT tunnels.

    `seen` lists each request line (`POST http://127.0.0.1:…/responses`, `CONNECT host:port`),
    so a test can prove a call went through the proxy."""

    def __init__(self) -> None:
        """Prepare (not start) the proxy."""
        self.seen: list[str] = []
        self.port = 0
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        """The proxy's URL, for `HTTP_PROXY`/`HTTPS_PROXY`."""
        return f"http://127.0.0.1:{self.port}"

    def __enter__(self) -> LoopbackProxy:
        started = threading.Event()

        def serve() -> None:
            loop = asyncio.new_event_loop()
            self._loop = loop
            server = loop.run_until_complete(asyncio.start_server(self._handle, "127.0.0.1", 0))
            self.port = server.sockets[0].getsockname()[1]
            started.set()
            loop.run_forever()
            server.close()
            loop.close()

        self._thread = threading.Thread(target=serve, name="loopback-proxy", daemon=True)
        self._thread.start()
        if not started.wait(WAIT_SECONDS):
            raise RuntimeError("the loopback proxy did not start")
        return self

    def __exit__(self, *exc: object) -> None:
        if self._loop is not None:
            self._loop.call_soon_threadsafe(self._loop.stop)
        if self._thread is not None:
            self._thread.join(WAIT_SECONDS)

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        """One request per client connection: a CONNECT tunnel, or one forwarded request
        (with `connection: close`, so the answer ends when the upstream closes)."""
        try:
            head = await reader.readuntil(b"\r\n\r\n")
        except (asyncio.IncompleteReadError, asyncio.LimitOverrunError, ConnectionError):
            writer.close()
            return
        first, _, rest = head.decode("latin-1").partition("\r\n")
        method, target, version = first.split(" ", 2)
        self.seen.append(f"{method} {target}")
        if method == "CONNECT":
            host, _, port = target.rpartition(":")
            upstream_reader, upstream_writer = await asyncio.open_connection(host, int(port))
            writer.write(b"HTTP/1.1 200 Connection established\r\n\r\n")
            await writer.drain()
            await asyncio.gather(_pipe(reader, upstream_writer), _pipe(upstream_reader, writer))
            return
        from urllib.parse import urlsplit

        parts = urlsplit(target)
        lines = [
            line
            for line in rest.split("\r\n")
            if line and not line.lower().startswith(("connection:", "proxy-connection:"))
        ]
        length = next(
            (
                int(line.split(":", 1)[1])
                for line in lines
                if line.lower().startswith("content-length:")
            ),
            0,
        )
        body = await reader.readexactly(length) if length else b""
        upstream_reader, upstream_writer = await asyncio.open_connection(
            parts.hostname, parts.port or 80
        )
        path = parts.path + (f"?{parts.query}" if parts.query else "")
        upstream_writer.write(
            (
                f"{method} {path} {version}\r\n"
                + "\r\n".join([*lines, "connection: close"])
                + "\r\n\r\n"
            ).encode("latin-1")
            + body
        )
        await upstream_writer.drain()
        await _pipe(upstream_reader, writer)
        upstream_writer.close()


async def _pipe(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    try:
        while data := await reader.read(65536):
            writer.write(data)
            await writer.drain()
    except ConnectionError:
        pass
    finally:
        writer.close()
