"""Benchmark the wish ledger at 100,000 lines: append time and count time.

Prints figures against the targets of the ledger issue:
- one append (lock, tail read, one write, flush to disk): under 5 ms;
- the counts the gates need, for a 100,000-line ledger: under 50 ms.
Counts are timed cold (the very first look: the whole file is read), in a new process that
finds the stored summary (the CLI's usual case: the summary and up to 256 KB of newer lines are
read), cached (the file is unchanged: the language server's usual case) and after one append
(only the new line is read: the CLI appended while the editor was open). The disk's own flush
time is printed as the floor under every append. Also: `verify` of the whole chain and the
hover's recent lines.

Run: `python3 bench/bench_ledger.py [LINES]` (about half a minute at 100,000 lines).

`python3 bench/bench_ledger.py --memory [MB]` builds a ledger of about MB megabytes (200 by
default) and runs each reader (`verify`, the counts, `iter_lines`, the queries) in a process of
its own, printing the rise of its peak resident memory over the process's start: the readers
stream the file, so the rise stays a few megabytes whatever the ledger's size (target: under
100 MB for 200 MB).
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

from wishcraft.ledger import (
    GENESIS,
    LedgerEntry,
    SummaryCache,
    append,
    canonical_json,
    counted_entry,
    entry_hash,
    recent_entries,
    utc_timestamp,
    verify,
)

PLANNER = "openai.codex.v2025.plan"
APPEND_TARGET_MS = 5.0
COUNT_TARGET_MS = 50.0


def sample_entry(number: int) -> LedgerEntry:
    """A realistic line: a plan of one of 500 wishes, mostly live, with every audit field."""
    return LedgerEntry(
        conduit=PLANNER,
        action="plan",
        mode="shadow" if number % 5 == 0 else "commit",
        wish=f"data/wishes/inbox/W-20260301-{number % 500:06d}-2f49.yaml",
        outcome="failed" if number % 17 == 0 else "complete",
        reason="The stream ended early." if number % 17 == 0 else None,
        wish_hash=f"{number:064x}",
        author_id=f"player-{number % 97}",
        summary="7 steps, 2 acceptance checks",
        prompt_hash=f"{number * 7:064x}",
        model="gpt-5",
        tokens_used=2_900 + number % 400,
        request_id=f"req_{number:024x}",
        cf_ray=f"{number:016x}-AMS",
    )


def build(path: Path, lines: int, end: datetime) -> None:
    """Write `lines` chained entries spread over 30 days up to `end`, as `record` would (each
    line's `counted` decided)."""
    step = timedelta(days=30) / lines
    prev = GENESIS
    with path.open("wb") as handle:
        for number in range(lines):
            obj = counted_entry(sample_entry(number)).model_dump(mode="json")
            obj.update(timestamp=utc_timestamp(end - step * (lines - number)), prev=prev)
            obj["hash"] = prev = entry_hash(obj)
            handle.write(canonical_json(obj).encode("utf-8") + b"\n")


def measure(function: Callable[[], object], repeat: int) -> list[float]:
    """Each run's time in milliseconds."""
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        function()
        times.append((time.perf_counter() - start) * 1000)
    return times


def p99(times: list[float]) -> float:
    """The 99th percentile."""
    ordered = sorted(times)
    return ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))]


def report(label: str, times: list[float], target: float | None = None) -> None:
    """Print median and p99, and the verdict against a target."""
    median = statistics.median(times)
    line = f"{label:<38} median {median:9.3f} ms   p99 {p99(times):9.3f} ms"
    if target is not None:
        verdict = "meets" if median < target else "MISSES"
        line += f"   ({verdict} the {target:g} ms target; {median / target:.3f}× it)"
    print(line)


def disk_flush_floor(folder: Path, repeat: int = 100) -> list[float]:
    """The time of one small write plus the flush `append` uses, on the same disk."""
    sync = getattr(os, "fdatasync", os.fsync)
    fd = os.open(folder / "floor.bin", os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
    try:
        return measure(lambda: (os.write(fd, b"x" * 600), sync(fd)), repeat)
    finally:
        os.close(fd)


def main() -> None:
    """Build the ledger, then time appends, counts, verify and the hover's lines."""
    lines = int(sys.argv[1]) if len(sys.argv) > 1 else 100_000
    now = datetime.now(UTC)
    with tempfile.TemporaryDirectory() as scratch:
        folder = Path(scratch)
        path = folder / "data" / "ledger" / "wishes.jsonl"
        path.parent.mkdir(parents=True)
        start = time.perf_counter()
        build(path, lines, now)
        size = path.stat().st_size
        print(
            f"ledger: {lines:,} lines, {size / 1e6:.1f} MB, built in "
            f"{time.perf_counter() - start:.1f} s"
        )
        wish = "data/wishes/inbox/W-20260301-000001-2f49.yaml"

        def count(cache: SummaryCache) -> None:
            cache.summary(path).usage(PLANNER, wish, now)

        report("disk flush floor (write + fdatasync)", disk_flush_floor(folder))
        entry = sample_entry(1)
        report(
            f"append at {lines:,} lines",
            measure(lambda: append(path, entry), 200),
            APPEND_TARGET_MS,
        )

        report(
            "count, cold (whole file, first run)",
            measure(lambda: count(SummaryCache()), 3),
            COUNT_TARGET_MS,
        )
        store = folder / "cache"
        count(SummaryCache(store))  # the first process stores its summary
        for _ in range(300):  # the ledger grows by less than the store's refresh step
            append(path, entry)
        report(
            "count, new process (stored summary)",
            measure(lambda: count(SummaryCache(store)), 20),
            COUNT_TARGET_MS,
        )
        cache = SummaryCache()
        count(cache)
        report(
            "count, cached (file unchanged)", measure(lambda: count(cache), 1_000), COUNT_TARGET_MS
        )

        def append_then_count() -> float:
            append(path, entry)
            begin = time.perf_counter()
            count(cache)
            return (time.perf_counter() - begin) * 1000

        report(
            "count after one append (tail only)",
            [append_then_count() for _ in range(50)],
            COUNT_TARGET_MS,
        )
        summary = cache.summary(path)
        used = summary.usage(PLANNER, wish, now)
        print(
            f"counts: {summary.entries:,} entries; this wish {used.wish_calls}, today "
            f"{used.day_calls}, last minute {used.minute_calls}"
        )

        report(
            "hover: 5 recent lines of a conduit",
            measure(lambda: recent_entries(path, PLANNER, 5), 200),
        )
        times = measure(lambda: verify(path), 1)
        result = verify(path)
        print(
            f"{'verify (whole chain)':<38} {times[0]:13.1f} ms   ok={result.ok} "
            f"entries={result.entries:,}"
        )


MEMORY_TARGET_MB = 100.0
READERS = {
    "verify": "verify(path)",
    "counts (a fresh summary)": "SummaryCache().summary(path)",
    "iter_lines": "sum(1 for _ in iter_lines(path))",
    "read_entries (one wish)": "read_entries(path, wish='data/wishes/none.yaml')",
    "recent_entries (all lines)": "recent_entries(path, 'none', scan_lines=None)",
}
CHILD = """
import resource, sys
from pathlib import Path
from wishcraft.ledger import SummaryCache, iter_lines, read_entries, recent_entries, verify
path = Path(sys.argv[1])
before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
{call}
after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
print((after - before) / 1024)
"""


def memory(megabytes: float) -> None:
    """Each reader's peak memory rise on a ledger of about `megabytes` MB, in a new process."""
    lines = int(megabytes * 1e6 / 740)  # a sample line is about 740 bytes
    with tempfile.TemporaryDirectory() as scratch:
        path = Path(scratch) / "wishes.jsonl"
        start = time.perf_counter()
        build(path, lines, datetime.now(UTC))
        size = path.stat().st_size
        print(
            f"ledger: {lines:,} lines, {size / 1e6:.1f} MB, built in "
            f"{time.perf_counter() - start:.1f} s"
        )
        for label, call in READERS.items():
            begin = time.perf_counter()
            done = subprocess.run(
                [sys.executable, "-c", CHILD.format(call=call), str(path)],
                capture_output=True,
                text=True,
                check=True,
            )
            rise = float(done.stdout.strip())
            verdict = "meets" if rise < MEMORY_TARGET_MB else "MISSES"
            print(
                f"{label:<28} peak RSS +{rise:7.1f} MB in {time.perf_counter() - begin:5.1f} s"
                f"   ({verdict} the {MEMORY_TARGET_MB:g} MB target; {rise / (size / 1e6):.3f}×"
                " the file)"
            )


MERGE_TARGET_S = 2.0


def merge(lines: int) -> None:
    """Join two branches of `lines` entries each after a shared line, as git's driver does."""
    from wishcraft.ledger_merge import join

    now = datetime.now(UTC)
    with tempfile.TemporaryDirectory() as scratch:
        folder = Path(scratch)
        shared = folder / "shared.jsonl"
        build(shared, 1, now - timedelta(days=31))
        head = shared.read_bytes()
        sides = []
        for side, shift in (("ours", 0), ("theirs", 1)):
            path = folder / f"{side}.jsonl"
            prev = json.loads(head)["hash"]
            with path.open("wb") as handle:
                handle.write(head)
                for number in range(lines):
                    obj = sample_entry(2 * number + shift).model_dump(mode="json")
                    stamp = now - timedelta(seconds=2 * (lines - number) - shift)
                    obj.update(timestamp=utc_timestamp(stamp), prev=prev)
                    obj["hash"] = prev = entry_hash(obj)
                    handle.write(canonical_json(obj).encode("utf-8") + b"\n")
            sides.append(path.read_bytes())
        cpu = time.process_time()
        times = measure(lambda: join(sides[0], sides[1]), 3)
        cpu_each = (time.process_time() - cpu) / 3
        joined = join(sides[0], sides[1])
        out = folder / "joined.jsonl"
        out.write_bytes(joined.data)
        assert verify(out).ok and joined.added == 2 * lines
        median = statistics.median(times) / 1000
        verdict = "meets" if median < MERGE_TARGET_S else "MISSES"
        print(
            f"merge of two {lines:,}-entry branches: median {median:.2f} s "
            f"({verdict} the {MERGE_TARGET_S:g} s target; {median / MERGE_TARGET_S:.2f}× it); "
            f"CPU {cpu_each:.2f} s each; {joined.added:,} entries after the shared line, "
            f"{joined.moved:,} of them re-chained; the result verifies"
        )


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "--memory":
        memory(float(sys.argv[2]) if len(sys.argv) > 2 else 200.0)
    elif len(sys.argv) > 1 and sys.argv[1] == "--merge":
        merge(int(sys.argv[2]) if len(sys.argv) > 2 else 50_000)
    else:
        main()
