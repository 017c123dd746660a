"""A loopback GitHub REST API: a real HTTP/1.1 server on 127.0.0.1 that records each request.

    with LoopbackGitHub() as github:
        github.enqueue(Answer(422, {"message": "Validation Failed", "errors": [...]}))
        ... set GITHUB_API_URL=github.base_url ...
        github.requests[0].headers["authorization"], github.requests[0].json

It answers `POST /repos/{owner}/{repo}/pulls` with the next queued `Answer`, else with 201 and
a pull request (`html_url`, `number`) as GitHub does; any other route gets 404. The server
runs in its own thread and event loop, so sync tests and subprocesses can use it. An answer
with `trickle` is sent one byte every `trickle` seconds (from its first byte, or from its body
with `trickle_headers=False`), as a slow or hostile API would; `stop` ends the trickle.
"""

from __future__ import annotations

import asyncio
import json
import re
import threading
from collections import deque
from dataclasses import dataclass, field
from typing import Any

PULLS = re.compile(r"^/repos/([^/]+)/([^/]+)/pulls$")
WAIT_SECONDS = 5.0


@dataclass
class Recorded:
    """One request the server received (header names in lower case)."""

    method: str
    path: str
    headers: dict[str, str]
    body: bytes

    @property
    def json(self) -> Any:
        """The body parsed as JSON."""
        return json.loads(self.body)


@dataclass
class Answer:
    """A scripted answer: a status, a JSON body and extra headers."""

    status: int
    body: Any = None
    headers: dict[str, str] = field(default_factory=dict)
    trickle: float = 0.0
    trickle_headers: bool = True
    raw: bytes | None = None
    """Sent as the body instead of `body` as JSON."""


REASONS = {
    200: "OK",
    201: "Created",
    301: "Moved Permanently",
    302: "Found",
    401: "Unauthorized",
    403: "Forbidden",
    404: "Not Found",
    422: "Unprocessable Entity",
    500: "Internal Server Error",
}


class LoopbackGitHub:
    """The server: start it with `with`, read `requests`, script with `enqueue`."""

    def __init__(self) -> None:
        """Prepare; nothing listens until `start`."""
        self.requests: list[Recorded] = []
        self.trickled = 0
        """How many bytes trickled answers sent, all told (a count for deadline tests)."""
        self._answers: deque[Answer] = deque()
        self._loop = asyncio.new_event_loop()
        self._server: asyncio.Server | None = None
        self._thread = threading.Thread(target=self._loop.run_forever, daemon=True)
        self.port = 0
        self.numbers = 0
        self._stopping = threading.Event()

    @property
    def base_url(self) -> str:
        """What GITHUB_API_URL should be."""
        return f"http://127.0.0.1:{self.port}"

    def enqueue(self, *answers: Answer) -> None:
        """Answer the next pull requests with these, in order."""
        self._answers.extend(answers)

    def start(self) -> LoopbackGitHub:
        """Listen on an ephemeral port of 127.0.0.1."""
        self._thread.start()
        future = asyncio.run_coroutine_threadsafe(
            asyncio.start_server(self._handle, "127.0.0.1", 0), self._loop
        )
        self._server = future.result(WAIT_SECONDS)
        self.port = self._server.sockets[0].getsockname()[1]
        return self

    def stop(self) -> None:
        """Close the server and its thread."""
        self._stopping.set()
        if self._server is not None:
            # Closed on its own loop: asyncio's server is not thread-safe, and closing it from
            # this thread raced the loop's wake-up of its waiters (a rare teardown error).
            asyncio.run_coroutine_threadsafe(self._close(self._server), self._loop).result(
                WAIT_SECONDS
            )
        # A trickling answer may still be sleeping: end its handler while the loop runs.
        asyncio.run_coroutine_threadsafe(self._cancel_handlers(), self._loop).result(WAIT_SECONDS)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(WAIT_SECONDS)
        self._loop.close()

    @staticmethod
    async def _close(server: asyncio.Server) -> None:
        server.close()
        await server.wait_closed()

    async def _cancel_handlers(self) -> None:
        tasks = [task for task in asyncio.all_tasks() if task is not asyncio.current_task()]
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)

    def __enter__(self) -> LoopbackGitHub:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            head = await reader.readuntil(b"\r\n\r\n")
            lines = head.decode("latin-1").split("\r\n")
            method, path, _ = lines[0].split(" ", 2)
            headers: dict[str, str] = {}
            for line in lines[1:]:
                if ":" in line:
                    name, _, value = line.partition(":")
                    headers[name.strip().lower()] = value.strip()
            length = int(headers.get("content-length", "0"))
            body = await reader.readexactly(length) if length else b""
            self.requests.append(Recorded(method, path, headers, body))
            answer = self._answer(method, path)
            data = (
                answer.raw
                if answer.raw is not None
                else b""
                if answer.body is None
                else json.dumps(answer.body).encode("utf-8")
            )
            out = [
                f"HTTP/1.1 {answer.status} {REASONS.get(answer.status, 'Status')}",
                "Content-Type: application/json; charset=utf-8",
                f"Content-Length: {len(data)}",
                "Connection: close",
                *(f"{name}: {value}" for name, value in answer.headers.items()),
            ]
            head_bytes = ("\r\n".join(out) + "\r\n\r\n").encode("latin-1")
            if answer.trickle:
                await self._trickle(writer, head_bytes, data, answer)
            else:
                writer.write(head_bytes + data)
                await writer.drain()
        except (asyncio.IncompleteReadError, ConnectionError, ValueError):
            pass
        finally:
            writer.close()

    async def _trickle(
        self, writer: asyncio.StreamWriter, head: bytes, data: bytes, answer: Answer
    ) -> None:
        """Send the answer one byte at a time, `answer.trickle` seconds apart."""
        if not answer.trickle_headers:
            writer.write(head)
            await writer.drain()
        for byte in head + data if answer.trickle_headers else data:
            if self._stopping.is_set() or writer.is_closing():
                return
            writer.write(bytes([byte]))
            await writer.drain()
            self.trickled += 1
            await asyncio.sleep(answer.trickle)

    def _answer(self, method: str, path: str) -> Answer:
        matched = PULLS.match(path)
        if method != "POST" or matched is None:
            return Answer(404, {"message": "Not Found"})
        if self._answers:
            return self._answers.popleft()
        self.numbers += 1
        owner, repo = matched.groups()
        return Answer(
            201,
            {
                "number": self.numbers,
                "draft": True,
                "html_url": f"https://github.example/{owner}/{repo}/pull/{self.numbers}",
            },
        )
