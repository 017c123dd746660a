"""Benchmark the apply core: staging, the all-or-none apply and the undo, small and large.

Prints, for a typical patch (5 files of 300 lines), a wide one (200 files) and the largest
file the caps allow (about 7.5 MiB, 18 scattered hunks): the time to stage (parse, match,
diff), to apply (journal, temporaries, fsync, renames, undo record) and to undo. Also the
diff of the large file with difflib alone, against our anchored diff, as a ratio.

Run: `python3 bench/bench_apply.py` (about half a minute).
"""

from __future__ import annotations

import difflib
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

from wishcraft.apply import apply_change, rollback, stage
from wishcraft.apply.unidiff import unified

T = TypeVar("T")


def timed(action: Callable[[], T]) -> tuple[T, float]:
    """Run `action` once; return its result and the seconds it took."""
    start = time.perf_counter()
    result = action()
    return result, time.perf_counter() - start


def scenario(name: str, files: dict[str, str], patch: str) -> None:
    """Stage, apply and undo `patch` on a fresh workspace holding `files`; print the times."""
    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder) / "ws"
        for path, text in files.items():
            (root / path).parent.mkdir(parents=True, exist_ok=True)
            (root / path).write_text(text)
        state = Path(folder) / "state"
        staged, stage_s = timed(lambda: stage(patch, root))
        anchor, apply_s = timed(lambda: apply_change(staged, state_dir=state))
        _undone, undo_s = timed(lambda: rollback(anchor.anchor_id, state_dir=state))
        print(
            f"{name:<34} {staged.summary.describe():<24} stage {stage_s * 1000:8.1f} ms"
            f"   apply {apply_s * 1000:8.1f} ms   undo {undo_s * 1000:8.1f} ms"
        )


def source(lines: int, tag: str) -> list[str]:
    """Distinct lines of a made-up source file."""
    return [f"    value_{tag}_{n} = compute({n}, '{tag}')  # line {n}" for n in range(lines)]


def main() -> None:
    """Run the scenarios and the diff comparison."""
    small = {f"src/mod{n}.py": "\n".join(source(300, str(n))) + "\n" for n in range(5)}
    hunks = "".join(
        f"*** Update File: src/mod{n}.py\n@@\n {source(300, str(n))[99]}\n"
        f"-{source(300, str(n))[100]}\n+    changed = True\n"
        for n in range(4)
    )
    scenario(
        "5 files x 300 lines",
        small,
        f"*** Begin Patch\n{hunks}*** Add File: src/new.py\n+x = 1\n*** End Patch\n",
    )

    wide = {f"pkg/f{n}.txt": "a\nb\nc\n" for n in range(200)}
    scenario(
        "200 files",
        wide,
        "*** Begin Patch\n"
        + "".join(f"*** Update File: pkg/f{n}.txt\n@@\n a\n-b\n+B\n" for n in range(200))
        + "*** End Patch\n",
    )

    lines = source(130_000, "big")
    big_patch = (
        "*** Begin Patch\n*** Update File: big.py\n"
        + "".join(
            f"@@\n {lines[n - 1]}\n-{lines[n]}\n+changed {n}\n" for n in range(1000, 130_000, 7_500)
        )
        + "*** End Patch\n"
    )
    big = {"big.py": "\n".join(lines) + "\n"}
    scenario(f"1 file, {len(big['big.py']) / 2**20:.1f} MiB, 18 hunks", big, big_patch)

    old = [line + "\n" for line in lines]
    new = list(old)
    for n in range(1000, 130_000, 7_500):
        new[n] = f"changed {n}\n"
    ours, ours_s = timed(lambda: unified(old, new, old_name="a", new_name="b"))
    theirs, theirs_s = timed(lambda: list(difflib.unified_diff(old, new, "a", "b")))
    print(
        f"diff of the large file: anchored {ours_s:.2f} s, difflib {theirs_s:.2f} s "
        f"(x{theirs_s / ours_s:.1f}); same text: {ours == theirs}"
    )


if __name__ == "__main__":
    main()
