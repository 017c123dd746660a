"""Benchmark "Plan this wish" in the language server against the loopback Codex server.

Prints, over several runs:
- executeCommand → first `$/progress` report (target: under 50 ms);
- executeCommand → first plan text in the side document (`wishcraft/planUpdated`);
- the overhead the server adds per streamed event: a 2,000-delta stream through the server,
  from the first frame sent to the progress end, minus the same stream through the bare
  client, divided by 2,000 (target: under 1 ms);
- hover latency while a plan streams (median, p99).

Run: `python3 bench/bench_plan.py` (about 20 seconds).
"""

from __future__ import annotations

import asyncio
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from lsprotocol import types

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))

from testkit.codex_home import write_codex_home  # noqa: E402
from testkit.loopback import LoopbackCodex, drip_transcript, sse, success_transcript  # noqa: E402
from testkit.lsp_planning import start_client  # noqa: E402
from wishcraft.names import COMMAND_PLAN_WISH, NOTIFICATION_PLAN_UPDATED  # noqa: E402

WISH = (ROOT / "examples/data/wishes/lighthouse.wish.yaml").read_text()
DELTAS = 2_000
PLAN_CHUNKS = [
    '{"steps":[{"title":"Survey","detail":"d","acceptance":"a"},',
    '{"title":"Place","detail":"d","acceptance":"a"}],"notes":[]}',
]


class Recorder:
    """The tested pytest-lsp client (VS Code profile), with arrival times of progress and plan
    updates recorded as they come in."""

    def __init__(self, client: Any) -> None:
        self.client = client
        self.events: list[tuple[float, str, Any]] = []
        self.changed = asyncio.Event()

        features = client.protocol.fm.features
        for method, label in ((types.PROGRESS, "progress"), (NOTIFICATION_PLAN_UPDATED, "plan")):
            features[method] = self._timed(features[method], label)

    def _timed(self, handler: Any, label: str) -> Any:
        """Wrap a registered handler so that each arrival is recorded with its time."""

        def timed(params: Any) -> Any:
            self.events.append((time.perf_counter(), label, getattr(params, "value", params)))
            self.changed.set()
            return handler(params)

        return timed

    async def wait(self, predicate: Any) -> tuple[float, str, Any]:
        """The first recorded event matching `predicate`, waiting up to 30 s for it."""
        async with asyncio.timeout(30):
            seen = 0
            while True:
                for event in self.events[seen:]:
                    if predicate(event):
                        return event
                seen = len(self.events)
                self.changed.clear()
                await self.changed.wait()


def kind(event: tuple[float, str, Any]) -> str | None:
    """The progress kind (`begin`, `report`, `end`) of an event, else None."""
    if event[1] != "progress":
        return None
    value = event[2]
    return value.get("kind") if isinstance(value, dict) else getattr(value, "kind", None)


def is_end(event: tuple[float, str, Any]) -> bool:
    return kind(event) == "end"


def open_wish(recorder: Recorder, path: Path) -> str:
    """Write the sample wish to `path`, open it in the server, and return its uri."""
    path.write_text(WISH)
    uri = path.as_uri()
    recorder.client.text_document_did_open(
        types.DidOpenTextDocumentParams(
            text_document=types.TextDocumentItem(uri=uri, language_id="yaml", version=1, text=WISH)
        )
    )
    return uri


async def plan_once(recorder: Recorder, uri: str) -> float:
    """Execute the plan command on `uri`; return when it was sent."""
    recorder.events.clear()
    start = time.perf_counter()
    result = await recorder.client.workspace_execute_command_async(
        types.ExecuteCommandParams(command=COMMAND_PLAN_WISH, arguments=[uri])
    )
    if not result or not result["started"]:
        raise SystemExit(f"the plan did not start: {result}")
    return start


async def run() -> None:
    """Measure and print."""
    with tempfile.TemporaryDirectory() as folder, LoopbackCodex() as codex:
        root = Path(folder)
        (root / "wishes").mkdir()
        home = write_codex_home(root / "codex")
        env = {
            **os.environ,
            "CODEX_HOME": str(home),
            "CHATGPT_BASE_URL": codex.base_url,
            "CODEX_REFRESH_TOKEN_URL_OVERRIDE": codex.refresh_url,
        }
        client = Recorder(await start_client("vscode", root, env))
        first_report, first_text, hover = [], [], []
        for run_number in range(11):
            uri = open_wish(client, root / "wishes" / f"w{run_number}.wish.yaml")
            codex.clear()
            codex.enqueue("responses", sse(success_transcript(PLAN_CHUNKS), per_frame_delay=0.02))
            start = await plan_once(client, uri)
            report = await client.wait(lambda e: kind(e) == "report")
            first_report.append((report[0] - start) * 1000)
            text = await client.wait(lambda e: e[1] == "plan")
            first_text.append((text[0] - start) * 1000)
            while not any(is_end(event) for event in client.events):
                hover_start = time.perf_counter()
                await client.client.text_document_hover_async(
                    types.HoverParams(
                        text_document=types.TextDocumentIdentifier(uri=uri),
                        position=types.Position(line=2, character=2),
                    )
                )
                hover.append((time.perf_counter() - hover_start) * 1000)
            await client.wait(is_end)
        overhead = []
        for run_number in range(3):
            uri = open_wish(client, root / "wishes" / f"drip{run_number}.wish.yaml")
            codex.clear()
            codex.enqueue("responses", sse(drip_transcript(DELTAS)))
            await plan_once(client, uri)
            end = await client.wait(is_end)
            sent = codex.frames_sent_at[-1]
            through_server = end[0] - sent[0]
            bare = await bare_client_time(codex, home)
            overhead.append((through_server - bare) / DELTAS * 1000)
        await client.client.shutdown_session()

    def line(name: str, values: list[float], target: float | None = None) -> None:
        ordered = sorted(values)
        median = statistics.median(ordered)
        p99 = ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))]
        verdict = (
            ""
            if target is None
            else f"  ({'meets' if median < target else 'MISSES'} the {target:g} ms target)"
        )
        print(f"{name:<48} median {median:8.3f} ms   p99 {p99:8.3f} ms{verdict}")

    print(f"{'first plan after start (cold imports)':<48} first report {first_report[0]:.1f} ms")
    line("executeCommand → first progress report (warm)", first_report[1:], 50)
    line("executeCommand → first plan text (planUpdated)", first_text)
    line("server overhead per streamed event", overhead, 1)
    line("hover while a plan streams", hover, 10)


async def bare_client_time(codex: LoopbackCodex, home: Path) -> float:
    """The same 2,000-delta stream through the bare client: first frame sent → done."""
    import yaml

    from wishcraft.conduit.client import CodexClient, StreamState
    from wishcraft.conduit.config import ConduitConfig
    from wishcraft.model import Wish

    codex.clear()
    codex.enqueue("responses", sse(drip_transcript(DELTAS)))
    config = ConduitConfig(base_url=codex.base_url, refresh_url=codex.refresh_url, codex_home=home)
    async with CodexClient(config) as client:
        await client.plan(Wish.model_validate(yaml.safe_load(WISH)), WISH, "w", StreamState())
        done = time.perf_counter()
    return done - codex.frames_sent_at[-1][0]


if __name__ == "__main__":
    asyncio.run(run())
