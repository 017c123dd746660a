"""Benchmark the court's hearing as the editor asks it: on every code action and code lens.

"Plan this wish" is disabled with the gate's reason and the code lens shows the calls left, so
the language server runs the seven gates (`wishcraft.court.plan.hear`: find the ledger, check
it without making or locking anything, find the repository, count the ledger, evaluate) for
every code action and lens request, with no network. This prints the time of one hearing on a
project whose ledger has 100,000 lines: the first one (the ledger counted whole), warm (the
file unchanged), after another process appended a line (only the new line is read), and a
plan's own hearing, which also takes the ledger's lock. The target is the lint budget of a
keystroke's code actions: well under 5 ms.

Run: `python3 bench/bench_gates.py [LINES]` (about 10 s at 100,000 lines).
"""

from __future__ import annotations

import os
import shutil
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(Path(__file__).resolve().parent))
TARGET_MS = 5.0


def main() -> None:
    """Build the project and its ledger, then time the hearing."""
    lines = int(sys.argv[1]) if len(sys.argv) > 1 else 100_000
    with tempfile.TemporaryDirectory() as scratch:
        folder = Path(scratch)
        # The persistent summaries go to the scratch folder, not the user's cache.
        os.environ["XDG_CACHE_HOME"] = str(folder / "cache")
        from bench_ledger import build, measure, report, sample_entry
        from wishcraft.court.plan import hear
        from wishcraft.ledger import append
        from wishcraft.lint import analyse_wish
        from wishcraft.lint.config import default_lint_config
        from wishcraft.lint.registries import RegistryCache

        shutil.copytree(ROOT / "examples" / "data" / "conduits", folder / "data" / "conduits")
        wish_path = folder / "data" / "wishes" / "inbox" / "W-20260301-000001-2f49.yaml"
        wish_path.parent.mkdir(parents=True)
        shutil.copy(ROOT / "examples" / "data" / "wishes" / "wishcraft-docs.yaml", wish_path)
        ledger = folder / "data" / "ledger" / "wishes.jsonl"
        ledger.parent.mkdir(parents=True)
        start = time.perf_counter()
        build(ledger, lines, datetime.now(UTC))
        print(
            f"ledger: {lines:,} lines, {ledger.stat().st_size / 1e6:.1f} MB, built in "
            f"{time.perf_counter() - start:.1f} s"
        )
        registry = RegistryCache().for_document(wish_path)
        wish = analyse_wish(wish_path.read_text(encoding="utf-8"), registry).wish
        assert wish is not None, "the example wish does not validate"
        config = default_lint_config()

        def hearing() -> str:
            verdict = hear(wish, wish_path, "commit", registry, config, probe_ledger=False).verdict
            return verdict.remaining.label() if verdict.remaining else verdict.reason

        def full_hearing() -> str:  # as `wishcraft plan` hears: the lock taken and let go
            verdict = hear(wish, wish_path, "commit", registry, config).verdict
            return verdict.remaining.label() if verdict.remaining else verdict.reason

        report("first hearing (ledger counted whole)", measure(hearing, 1))
        report("hearing, warm (ledger unchanged)", measure(hearing, 2_000), TARGET_MS)
        entry = sample_entry(1)

        def after_append() -> None:
            append(ledger, entry)
            started = time.perf_counter()
            hearing()
            after.append((time.perf_counter() - started) * 1000)

        after: list[float] = []
        for _ in range(200):
            after_append()
        report("hearing after another append", after, TARGET_MS)
        report("a plan's hearing (probe with the lock)", measure(full_hearing, 500), TARGET_MS)
        print(f"verdict: {hearing()}")


if __name__ == "__main__":
    main()
