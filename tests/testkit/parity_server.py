"""The parity recorder: one HTTPS server on 127.0.0.1 that both the real Codex CLI and ours talk to.

`scripts/codex-parity.sh` runs it as `python -m testkit.parity_server --cert C --key K
--out requests.jsonl --port-file PORT`. It answers what Codex 0.169.0 needs to finish a turn
against a loopback backend (found by running it):
- `GET {base}/models`: the catalog of `testkit.catalog`, with an ETag;
- `GET /backend-api/wham/accounts/check`: the workspace routing answer (Codex stops without it);
- `/backend-api/ps/…` and `/backend-api/wham/settings/user`: 404, which Codex accepts;
- a WebSocket upgrade on `{base}/responses`: 426, so Codex falls back to the HTTP POST;
- `POST {base}/responses`: a success transcript whose text is a JSON plan
  (`{"steps": [{"title", "detail", "acceptance"}], "notes": []}`), served as the model asked;
- `POST /oauth/token`: new fake tokens (the fake login does not expire, so it should stay unused);
- `GET /__parity/phase?name=N`: not a backend route; the script says which client runs next.

Two kinds of phase answer `POST /responses` differently (issue 19):
- `…-turn` phases: the first request of the phase gets a tool call (`read_file` of the wish)
  and the header `x-codex-turn-state: TURN_STATE`; later ones the plan. What the client sends
  back (the follow-up request of the same turn) must carry the turn state;
- `…-retry:CASE` phases: the scripted answers of `RETRY_CASES[CASE]` (the last one repeats),
  so the number of requests each client makes is codex-rs's retry policy, counted.

Every other request is recorded too (and answered 404). Each request becomes one JSON line:
phase, method, path, query, headers in arrival order, and the body decoded. Codex compresses
its POST body with zstd (`content-encoding: zstd`); it is decoded with the `zstd` command
(Debian's package), so the tests need no extra Python dependency.

HTTPS because Codex 0.169.0 refuses a plain-HTTP ChatGPT backend; the certificate comes from a
throwaway CA that the script makes and hands to both clients (`CODEX_CA_CERTIFICATE`).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import signal
import ssl
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

from testkit.catalog import catalog
from testkit.codex_home import ACCOUNT_ID, fake_jwt
from testkit.loopback import (
    error_frame,
    failed_transcript,
    function_call_item,
    incomplete_transcript,
    success_transcript,
    tool_call_transcript,
)

ETAG = '"parity-catalog-1"'
PLAN_ANSWER = {
    "steps": [
        {
            "title": "Survey the lighthouse tiles",
            "detail": "Run cartographer.survey over the Sunken Quarter lighthouse and keep the "
            "snapshot.",
            "acceptance": "A survey snapshot of every lantern gallery tile exists.",
        },
        {
            "title": "Place the 3 beacon lamps",
            "detail": "Use worldsmith.place on the lantern gallery, one lamp at a time.",
            "acceptance": "3 lamps stand on the gallery; civilian injuries = 0.",
        },
    ],
    "notes": ["Parity recorder answer: not a real plan."],
}
ROUTING = {
    "accounts": [
        {
            "id": ACCOUNT_ID,
            "workspace_backend_origin": "NO_CONSTRAINT",
            "account_routing_override": "NO_CONSTRAINT",
            "structure": "personal",
        }
    ],
    "account_ordering": [ACCOUNT_ID],
    "default_account_id": ACCOUNT_ID,
}
REASONS = {
    200: "OK",
    400: "Bad Request",
    404: "Not Found",
    426: "Upgrade Required",
    429: "Too Many Requests",
    500: "Internal Server Error",
    503: "Service Unavailable",
}
TURN_STATE = "ts_parity_sticky_route_1"
Answer = tuple[int, dict[str, str], bytes | list[str]]


def _json(status: int, value: Any, **extra: str) -> Answer:
    return status, {"content-type": "application/json", **extra}, json.dumps(value).encode()


def _events(frames: list[str]) -> Answer:
    return 200, {"content-type": "text/event-stream"}, frames


RETRY_CASES: dict[str, list[Callable[[], Answer]]] = {
    "503-overloaded": [
        lambda: _json(503, {"error": {"code": "server_is_overloaded", "message": "busy"}})
    ],
    "429-rate-limit": [
        lambda: _json(
            429,
            {"error": {"type": "rate_limit_exceeded", "message": "slow down"}},
            **{"retry-after": "1"},
        )
    ],
    "400-cyber-policy": [
        lambda: _json(400, {"error": {"code": "cyber_policy", "message": "flagged"}})
    ],
    "500-eight-times": [lambda: _json(500, {"error": {"message": "boom"}})] * 8 + [lambda: PLAN],
    "failed-retryable": [lambda: _events(failed_transcript("server_error", "oops"))],
    "failed-cyber-policy": [lambda: _events(failed_transcript("cyber_policy", "flagged"))],
    "incomplete": [lambda: _events(incomplete_transcript("max_output_tokens"))],
    "error-event": [lambda: _events([error_frame("server_error", "it broke")])],
}
"""The answers of codex-wire §0.2's retry table, per case: request n gets the n-th answer, the
last one repeating. `PLAN` stands for the plan answer (the model's own), filled in `answer`."""
PLAN: Answer = (0, {}, b"")


def decode_body(raw: bytes, encoding: str) -> tuple[Any, str]:
    """The body as JSON (or text), and how it was decoded ("zstd", "identity", ...)."""
    if encoding == "zstd":
        done = subprocess.run(
            ["zstd", "-d", "-c", "-q"], input=raw, capture_output=True, check=False
        )
        if done.returncode != 0:
            return {"undecodable_zstd_bytes": len(raw)}, "zstd (failed)"
        raw = done.stdout
    elif encoding and encoding != "identity":
        return {"undecoded_bytes": len(raw)}, encoding
    if not raw:
        return None, encoding or "identity"
    try:
        return json.loads(raw), encoding or "identity"
    except ValueError:
        return raw.decode("utf-8", "replace"), encoding or "identity"


class Recorder:
    """Answers and records; one instance per server."""

    def __init__(self, out: Path, models: dict[str, Any] | None = None) -> None:
        """Record to `out` (JSON lines, appended and flushed per request)."""
        self.out = out
        self.models = models if models is not None else catalog()
        self.phase = "start"
        self.count = 0
        self.posts: dict[str, int] = {}
        """`POST /responses` per phase."""

    def record(self, entry: dict[str, Any]) -> None:
        """Append one request (flushed at once, so a killed server keeps what it saw)."""
        self.count += 1
        entry = {"seq": self.count, "phase": self.phase, "at": round(time.monotonic(), 3), **entry}
        with self.out.open("a", encoding="utf-8") as handle:
            handle.write(json.dumps(entry) + "\n")

    def answer(
        self,
        method: str,
        path: str,
        query: dict[str, list[str]],
        headers: dict[str, str],
        body: Any,
    ) -> tuple[int, dict[str, str], bytes | list[str]]:
        """Status, headers and a body (bytes) or SSE frames (a list) for one request."""

        def json_answer(status: int, value: Any, **extra: str) -> tuple[int, dict[str, str], bytes]:
            return status, {"content-type": "application/json", **extra}, json.dumps(value).encode()

        if path == "/__parity/phase":
            self.phase = query.get("name", ["unnamed"])[0]
            return json_answer(200, {"phase": self.phase})
        if path.endswith("/responses") and headers.get("upgrade", "").lower() == "websocket":
            return json_answer(426, {"detail": "WebSocket not offered by the parity recorder"})
        if method == "GET" and path.endswith("/models"):
            return json_answer(200, self.models, etag=ETAG)
        if method == "GET" and path == "/backend-api/wham/accounts/check":
            return json_answer(200, ROUTING)
        if method == "POST" and path.endswith("/responses"):
            model = body.get("model", "unknown") if isinstance(body, dict) else "unknown"
            self.posts[self.phase] = number = self.posts.get(self.phase, 0) + 1
            ids = {"openai-model": model, "x-request-id": f"req_parity_{self.count + 1}"}
            if self.phase.endswith("-turn") and number == 1:
                call = function_call_item("call_parity_1", "read_file", {"path": "docs.wish.yaml"})
                return (
                    200,
                    {"content-type": "text/event-stream", **ids, "x-codex-turn-state": TURN_STATE},
                    tool_call_transcript([call], model=model, response_id="resp_parity_turn"),
                )
            if "-retry:" in self.phase:
                case = RETRY_CASES.get(self.phase.split("-retry:", 1)[1])
                if case is not None:
                    status, headers, payload = case[min(number, len(case)) - 1]()
                    if status:
                        return status, {**headers, **ids}, payload
            text = json.dumps(PLAN_ANSWER)
            chunks = [text[i : i + 80] for i in range(0, len(text), 80)]
            return (
                200,
                {"content-type": "text/event-stream", **ids},
                success_transcript(chunks, model=model),
            )
        if method == "POST" and path == "/oauth/token":
            return json_answer(
                200,
                {
                    "id_token": fake_jwt(
                        {
                            "https://api.openai.com/auth": {
                                "chatgpt_account_id": ACCOUNT_ID,
                                "chatgpt_plan_type": "plus",
                            }
                        }
                    ),
                    "access_token": fake_jwt({"exp": 4102444800, "fake": True}),
                    "refresh_token": "rt_fake_refreshed_parity",
                },
            )
        return json_answer(404, {"detail": f"not served by the parity recorder: {path}"})

    async def handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        """Serve one connection (keep-alive: several requests in turn)."""
        try:
            while await self._one(reader, writer):
                pass
        except (ConnectionError, asyncio.IncompleteReadError, ssl.SSLError):
            pass
        finally:
            writer.close()

    async def _one(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> bool:
        try:
            head = await reader.readuntil(b"\r\n\r\n")
        except (asyncio.IncompleteReadError, asyncio.LimitOverrunError):
            return False
        lines = head.decode("latin-1").split("\r\n")
        method, target, _ = lines[0].split(" ", 2)
        ordered: list[list[str]] = []
        for line in lines[1:]:
            if ":" in line:
                name, value = line.split(":", 1)
                ordered.append([name.strip(), value.strip()])
        headers = {name.lower(): value for name, value in ordered}
        raw = b""
        if headers.get("transfer-encoding", "").lower() == "chunked":
            while True:
                size = int((await reader.readuntil(b"\r\n")).split(b";")[0], 16)
                chunk = await reader.readexactly(size + 2)
                if size == 0:
                    break
                raw += chunk[:-2]
        elif "content-length" in headers:
            raw = await reader.readexactly(int(headers["content-length"]))
        parts = urlsplit(target)
        query = parse_qs(parts.query, keep_blank_values=True)
        body, decoded_as = await asyncio.to_thread(
            decode_body, raw, headers.get("content-encoding", "").lower()
        )
        status, answer_headers, payload = self.answer(method, parts.path, query, headers, body)
        if parts.path != "/__parity/phase":
            self.record(
                {
                    "method": method,
                    "path": parts.path,
                    "query": query,
                    "headers": ordered,
                    "body_bytes": len(raw),
                    "body_encoding": decoded_as,
                    "body": body,
                    "status": status,
                }
            )
        reply = [f"HTTP/1.1 {status} {REASONS.get(status, 'Status')}"]
        if isinstance(payload, bytes):
            answer_headers["content-length"] = str(len(payload))
            reply += [f"{name}: {value}" for name, value in answer_headers.items()]
            writer.write(("\r\n".join(reply) + "\r\n\r\n").encode("latin-1") + payload)
            await writer.drain()
            return True
        answer_headers["transfer-encoding"] = "chunked"
        reply += [f"{name}: {value}" for name, value in answer_headers.items()]
        writer.write(("\r\n".join(reply) + "\r\n\r\n").encode("latin-1"))
        for text in payload:
            data = text.encode("utf-8")
            writer.write(f"{len(data):x}\r\n".encode() + data + b"\r\n")
            await writer.drain()
        writer.write(b"0\r\n\r\n")
        await writer.drain()
        return True


async def serve(
    cert: Path,
    key: Path,
    out: Path,
    port_file: Path,
    port: int,
    models: dict[str, Any] | None = None,
) -> None:
    """Serve HTTPS on 127.0.0.1 until SIGTERM or SIGINT; write the port once listening."""
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert, key)
    context.set_alpn_protocols(["http/1.1"])
    recorder = Recorder(out, models)
    server = await asyncio.start_server(recorder.handle, "127.0.0.1", port, ssl=context)
    port_file.write_text(str(server.sockets[0].getsockname()[1]))
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, stop.set)
    async with server:
        await stop.wait()


def main(argv: list[str] | None = None) -> int:
    """Command line: see the module docstring."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cert", type=Path, required=True)
    parser.add_argument("--key", type=Path, required=True)
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--port-file", type=Path, required=True)
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument(
        "--catalog",
        type=Path,
        default=None,
        help="serve this /models answer instead of testkit.catalog's",
    )
    args = parser.parse_args(argv)
    models = json.loads(args.catalog.read_text()) if args.catalog else None
    asyncio.run(serve(args.cert, args.key, args.out, args.port_file, args.port, models))
    return 0


if __name__ == "__main__":
    sys.exit(main())
