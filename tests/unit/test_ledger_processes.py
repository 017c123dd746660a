"""Twenty real processes append to one ledger at once: nothing is lost, the chain verifies,
and a summary cached before they ran counts every line after."""

from __future__ import annotations

import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import pytest

from wishcraft.ledger import LedgerEntry, SummaryCache, append, read_entries, verify

pytestmark = pytest.mark.slow  # twenty interpreters start on two cores

PROCESSES = 20
APPENDS = 15

WORKER = """
import sys
from pathlib import Path
from wishcraft.ledger import LedgerEntry, append

path, worker, count = Path(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3])
print("ready", flush=True)
sys.stdin.readline()  # the start line: every process begins appending at the same moment
for number in range(count):
    append(path, LedgerEntry(conduit="openai.codex.v2025.plan", action="plan", mode="commit",
                             wish=f"data/wishes/w{worker}.yaml", outcome="complete",
                             summary=f"{worker}:{number}"))
print("done", flush=True)
"""


def test_twenty_processes_appending_at_once_lose_nothing(tmp_path: Path) -> None:
    path = tmp_path / "data" / "ledger" / "wishes.jsonl"
    cache = SummaryCache()
    append(
        path,
        LedgerEntry(
            conduit="openai.codex.v2025.plan",
            action="plan",
            mode="shadow",
            wish="data/wishes/seed.yaml",
            outcome="complete",
        ),
        now=datetime.now(UTC),
    )
    assert cache.summary(path).entries == 1

    workers = [
        subprocess.Popen(
            [sys.executable, "-c", WORKER, str(path), str(worker), str(APPENDS)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        for worker in range(PROCESSES)
    ]
    try:
        for worker in workers:  # wait until every interpreter is up and has imported us
            assert worker.stdout is not None and worker.stdout.readline() == "ready\n"
        for worker in workers:
            assert worker.stdin is not None
            worker.stdin.write("go\n")
            worker.stdin.flush()
        outputs = [worker.communicate(timeout=120)[0] for worker in workers]
    finally:
        for worker in workers:
            if worker.poll() is None:
                worker.kill()
    assert [worker.returncode for worker in workers] == [0] * PROCESSES
    assert outputs == ["done\n"] * PROCESSES

    result = verify(path)
    assert (result.ok, result.entries, result.torn) == (True, 1 + PROCESSES * APPENDS, [])
    entries, _ = read_entries(path)
    summaries = sorted(item.summary or "" for _, item in entries[1:])
    assert summaries == sorted(
        f"{worker}:{number}" for worker in range(PROCESSES) for number in range(APPENDS)
    )
    for index in range(PROCESSES):  # each process's lines are in its own order
        mine = [item.summary for _, item in entries if item.wish == f"data/wishes/w{index}.yaml"]
        assert mine == [f"{index}:{number}" for number in range(APPENDS)]

    summary = cache.summary(path)  # extended from the tail: the counts of a fresh read
    fresh = SummaryCache().summary(path)
    assert summary.entries == fresh.entries == 1 + PROCESSES * APPENDS
    assert (
        summary.wish_calls
        == fresh.wish_calls
        == {
            ("openai.codex.v2025.plan", f"data/wishes/w{index}.yaml"): APPENDS
            for index in range(PROCESSES)
        }
    )
    assert sum(summary.day_calls.values()) == PROCESSES * APPENDS
