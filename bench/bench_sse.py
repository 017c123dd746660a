"""Benchmark the Codex stream: SSE parser throughput, and frame → caller latency on loopback.

Prints:
- events per second through `SSEDecoder` + `parse_event` for a 2,000-delta transcript fed in
  network-sized chunks (target: over 100,000 on this machine);
- the added latency from a frame leaving the loopback Codex server to the `PlanProgress`
  reaching the caller through the real client (target: under 2 ms median);
- with `--lsp`: the time from executing "Plan this wish" to the first progress report and to
  the first plan text, and the server's overhead per streamed event, against the loopback
  server (targets: first report under 50 ms; under 1 ms added per event).

Run: `python3 bench/bench_sse.py [--lsp]`.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import sys
import time
from pathlib import Path

from wishcraft.conduit.sse import SSEDecoder, parse_event

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))  # the loopback Codex server lives in tests/testkit


def drip(n: int) -> bytes:
    """A transcript of `n` small text deltas framed as the backend frames them."""
    frames = []
    for index in range(n):
        payload = {
            "type": "response.output_text.delta",
            "sequence_number": index,
            "item_id": "msg_1",
            "output_index": 1,
            "content_index": 0,
            "delta": f"step {index} ",
        }
        frames.append(f"event: response.output_text.delta\ndata: {json.dumps(payload)}\n\n")
    return "".join(frames).encode()


def bench_parser(n: int = 2_000, chunk: int = 1_400, rounds: int = 20) -> None:
    """Events per second through the parser, in MTU-sized chunks."""
    data = drip(n)
    chunks = [data[i : i + chunk] for i in range(0, len(data), chunk)]
    times = []
    for _ in range(rounds):
        decoder = SSEDecoder()
        start = time.perf_counter()
        events = 0
        for piece in chunks:
            for message in decoder.feed(piece):
                if parse_event(message) is not None:
                    events += 1
        times.append(time.perf_counter() - start)
        assert events == n
    best = min(times)
    rate = n / statistics.median(times)
    verdict = "meets" if rate > 100_000 else "MISSES"
    print(
        f"SSE parser: {n:,} events in {len(chunks)} chunks of {chunk} bytes: median "
        f"{statistics.median(times) * 1000:.2f} ms (best {best * 1000:.2f}) = {rate:,.0f} "
        f"events/s ({verdict} the 100,000 target; {rate / 100_000:.1f}× it)"
    )


async def bench_latency(n: int = 300) -> None:
    """Frame leaves the loopback server → the caller's progress callback, per frame."""
    import tempfile

    import yaml

    from testkit.codex_home import write_codex_home
    from testkit.loopback import LoopbackCodex, drip_transcript, sse
    from wishcraft.conduit.client import CodexClient, StreamState
    from wishcraft.conduit.config import ConduitConfig
    from wishcraft.model import Wish

    wish_text = (ROOT / "examples/data/wishes/lighthouse.wish.yaml").read_text()
    wish = Wish.model_validate(yaml.safe_load(wish_text))
    with tempfile.TemporaryDirectory() as home, LoopbackCodex() as server:
        write_codex_home(Path(home))
        server.enqueue("responses", sse(drip_transcript(n), per_frame_delay=0.002))
        config = ConduitConfig(
            base_url=server.base_url, refresh_url=server.refresh_url, codex_home=Path(home)
        )
        received: list[float] = []

        def on_progress(progress: object) -> None:
            if getattr(progress, "delta", ""):
                received.append(time.perf_counter())

        async with CodexClient(config) as client:
            await client.plan(wish, wish_text, "w.yaml", StreamState(), on_progress)
        sent = server.frames_sent_at[-1]
        deltas_sent = sent[-len(received) - 1 : -1] if len(sent) > len(received) else sent
        lags = sorted((got - put) * 1000 for got, put in zip(received, deltas_sent, strict=False))
        median = statistics.median(lags)
        p99 = lags[min(len(lags) - 1, int(len(lags) * 0.99))]
        verdict = "meets" if median < 2 else "MISSES"
        print(
            f"frame → caller latency over {len(lags)} frames: median {median:.3f} ms, p99 "
            f"{p99:.3f} ms ({verdict} the 2 ms median target)"
        )


def main() -> None:
    """Run the benchmarks."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lsp", action="store_true", help="also time the plan action")
    args = parser.parse_args()
    bench_parser()
    asyncio.run(bench_latency())
    if args.lsp:
        from bench_plan import run as run_plan_bench

        asyncio.run(run_plan_bench())


if __name__ == "__main__":
    main()
