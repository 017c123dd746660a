"""Benchmark the wish core: parse + lint time, C loader against pure Python, CLI throughput.

Prints figures and ratios against the targets of the wish-core issue:
- a typical wish (about 40 lines): under 2 ms;
- a 5,000-line wish: under 100 ms;
- `wishcraft lint` on 2,000 files: over 1,000 files a second.
Then a 20,000-key mapping with one repeated key (the duplicate check once made it take 30 s;
tests/unit/test_yamltree.py holds its growth linear by counting lines run, not by timing).
It also times PyYAML's own `yaml.safe_load` on the same text, the baseline a script would use.

Run: `python3 bench/bench_lint.py` (about half a minute).
"""

from __future__ import annotations

import functools
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import yaml

from wishcraft.documents import yamltree
from wishcraft.lint import analyse_wish
from wishcraft.lint.registries import bundled_registry

ROOT = Path(__file__).resolve().parent.parent
TYPICAL = (ROOT / "examples" / "data" / "wishes" / "lighthouse.wish.yaml").read_text()


def large_wish(lines: int) -> str:
    """A valid wish stretched to about `lines` lines with long lists, as generated wishes are."""
    head = TYPICAL.split("plan:")[0]
    items = lines - head.count("\n") - 12
    steps = "".join(
        f'  - "Step {n}: place beacon lamp {n} on tile {n * 7} 😀"\n' for n in range(items)
    )
    tail = TYPICAL[TYPICAL.index("safety_tests:") :]
    return head + "plan:\n" + steps + tail


def measure(function: Callable[[], object], *, repeat: int, warmup: int = 3) -> list[float]:
    """Run `function` and return each run's time in milliseconds."""
    for _ in range(warmup):
        function()
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        function()
        times.append((time.perf_counter() - start) * 1000)
    return times


def describe(times: list[float]) -> str:
    """Median and p99 of a list of milliseconds."""
    ordered = sorted(times)
    p99 = ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))]
    return f"median {statistics.median(times):8.3f} ms   p99 {p99:8.3f} ms"


def bench_documents() -> None:
    """Parse + lint for a typical and a 5,000-line wish, with and without libyaml."""
    registry = bundled_registry()
    big = large_wish(5_000)
    print(f"typical wish: {TYPICAL.count(chr(10))} lines; large wish: {big.count(chr(10))} lines")
    targets = {"typical": 2.0, "5,000 lines": 100.0}
    for label, text, repeat in (("typical", TYPICAL, 500), ("5,000 lines", big, 20)):
        loader = yamltree._PARSER_LOADER
        results = {}
        for parser_name, parser in (
            ("libyaml (C)", yaml.CSafeLoader),
            ("pure Python", yaml.SafeLoader),
        ):
            yamltree._PARSER_LOADER = parser
            try:
                times = measure(functools.partial(analyse_wish, text, registry), repeat=repeat)
            finally:
                yamltree._PARSER_LOADER = loader
            results[parser_name] = statistics.median(times)
            verdict = "meets" if statistics.median(times) < targets[label] else "MISSES"
            print(
                f"  {label:<12} parse+lint, {parser_name:<12} {describe(times)}   "
                f"({verdict} the {targets[label]:g} ms target)"
            )
        baseline = measure(
            functools.partial(yaml.load, text, Loader=yaml.CSafeLoader), repeat=repeat
        )
        print(
            f"  {label:<12} yaml.load (C) alone     {describe(baseline)}   "
            f"(full lint costs {results['libyaml (C)'] / statistics.median(baseline):.1f}× "
            f"a bare load; C loader is "
            f"{results['pure Python'] / results['libyaml (C)']:.1f}× faster than pure Python)"
        )


def bench_many_keys(count: int = 20_000) -> None:
    """Parse a mapping of `count` keys, one of them repeated, and one of 4 times as many."""
    for keys in (count, count * 4):
        text = "".join(f"key{i}: {i}\n" for i in range(keys)) + "key7: again\n"
        times = measure(functools.partial(yamltree.parse_yaml, text), repeat=5, warmup=1)
        print(f"  {keys:>7,} keys, one repeated: {describe(times)}")


def bench_cli(files: int = 2_000) -> None:
    """`wishcraft lint` over a folder of `files` wishes, timed as a whole process."""
    with tempfile.TemporaryDirectory() as folder:
        wishes = Path(folder) / "data" / "wishes"
        wishes.mkdir(parents=True)
        for n in range(files):
            (wishes / f"W-{n:05d}.yaml").write_text(TYPICAL.replace("lighthouse", f"tower {n}"))
        registry = Path(folder) / "data" / "conduits" / "registry.yaml"
        registry.parent.mkdir(parents=True)
        registry.write_text((ROOT / "examples/data/conduits/registry.yaml").read_text())
        startup = min(_time_startup() for _ in range(3))
        for jobs in (1, 0):
            command = [
                sys.executable,
                "-m",
                "wishcraft.cli",
                "lint",
                "-q",
                "--jobs",
                str(jobs),
                str(wishes),
            ]
            runs = []
            for _ in range(3):
                start = time.perf_counter()
                result = subprocess.run(command, capture_output=True, text=True, check=False)
                runs.append(time.perf_counter() - start)
                if result.returncode != 0:
                    raise SystemExit(f"lint failed: {result.stdout[:500]}{result.stderr}")
            best = min(runs)
            rate = files / best
            verdict = "meets" if rate > 1_000 else "MISSES"
            label = "1 process" if jobs == 1 else f"{os.cpu_count()} processes (default)"
            print(
                f"  wishcraft lint on {files:,} files, {label}: {best:.2f} s (best of 3, "
                f"including {startup * 1000:.0f} ms start-up) = {rate:,.0f} files/s "
                f"({verdict} the 1,000 files/s target; {rate / 1_000:.1f}× it)"
            )


def _time_startup() -> float:
    start = time.perf_counter()
    subprocess.run(
        [sys.executable, "-m", "wishcraft.cli", "--version"], check=True, capture_output=True
    )
    return time.perf_counter() - start


def main() -> None:
    """Run every benchmark and print the figures."""
    print(
        f"Python {sys.version.split()[0]}, PyYAML {yaml.__version__}, "
        f"libyaml {'yes' if yamltree.HAS_LIBYAML else 'no'}"
    )
    bench_documents()
    bench_many_keys()
    bench_cli()


if __name__ == "__main__":
    main()
