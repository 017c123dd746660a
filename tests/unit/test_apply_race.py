"""A folder swapped for a symbolic link while a change is written never redirects a write.

Issue 18 found that a folder of a 200-file change, swapped for a link to a folder outside the
workspace between the check and the write, put all 200 files outside in 3 of 11 runs while the
CLI said "applied". Here a separate process swaps the folder over and over (rename it aside,
put a link to an outside folder in its place, put it back) from a moment spread across the
apply's duration, run after run: before the checks, between the checks and the writes, during
the renames. The property: 0 files are ever written outside the workspace, and each run ends
either applied with every file inside or refused with one sentence and the tree as it was.
"""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

from testkit.trees import build, snapshot
from wishcraft.apply import ApplyError, TransactionFailed, apply_change, recover, stage

RUNS = 24
FILES = 200

SWAPPER = r"""
import os, sys, time
folder, aside, outside, stop = sys.argv[1:5]
print("ready", flush=True)
start = float(sys.stdin.readline())
while time.monotonic() < start:  # the attack's moment, spread across the apply
    pass
first = time.monotonic()
swaps = 0
collided = 0
while not os.path.exists(stop):
    os.rename(folder, aside)
    try:
        os.symlink(outside, folder)
    except FileExistsError:
        # The apply made `folder` anew while it was aside (its check passed just before the
        # swap): the attacker cannot put the original back any more. Stop attacking.
        collided = 1
        break
    swaps += 1
    for _ in range(20):
        os.path.lexists(folder)
    os.unlink(folder)
    os.rename(aside, folder)
while not os.path.exists(stop):
    time.sleep(0.001)
print(swaps, first, collided, flush=True)
"""


def change_text() -> tuple[dict[str, str], str, dict[str, str]]:
    """The files before, the patch (100 updates and 100 new files in `src/swapped/`), after."""
    before = {f"src/swapped/u{index:03}.txt": f"old {index}\n" for index in range(FILES // 2)}
    after = {path: text.replace("old", "new") for path, text in before.items()}
    after |= {f"src/swapped/n{index:03}.txt": f"added {index}\n" for index in range(FILES // 2)}
    lines = ["*** Begin Patch"]
    for path, text in before.items():
        lines += [f"*** Update File: {path}", "@@", f"-{text.rstrip()}", f"+{after[path].rstrip()}"]
    for index in range(FILES // 2):
        lines += [f"*** Add File: src/swapped/n{index:03}.txt", f"+added {index}"]
    return before, "\n".join([*lines, "*** End Patch", ""]), after


def test_a_swapped_folder_never_redirects_a_write(tmp_path: Path) -> None:
    before, patch, after = change_text()
    warm = build(tmp_path / "warm", before)
    started = time.monotonic()
    apply_change(stage(patch, warm), state_dir=tmp_path / "warm-state")
    duration = time.monotonic() - started  # an apply without attack, to spread the attacks

    outcomes = {"applied": 0, "refused": 0, "collided": 0}
    applied_under_attack = escaped = swaps = 0
    for run in range(RUNS):
        base = tmp_path / str(run)
        root = build(base / "ws", {**before, "keep.txt": "k\n"})
        outside = base / "outside"
        outside.mkdir()
        state = base / "state"
        staged = stage(patch, root)
        assert len(staged.files) == FILES
        original = snapshot(root)
        stop = base / "stop"
        swapper = subprocess.Popen(
            [sys.executable, "-c", SWAPPER]
            + [str(root / "src/swapped"), str(root / "src/aside"), str(outside), str(stop)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        assert swapper.stdin is not None and swapper.stdout is not None
        assert swapper.stdout.readline().strip() == "ready"
        began = time.monotonic()
        swapper.stdin.write(f"{began + duration * 1.2 * run / RUNS}\n")
        swapper.stdin.flush()
        failure: ApplyError | None = None
        try:
            apply_change(staged, state_dir=state)
        except ApplyError as error:
            failure = error
            assert str(error).count(". ") == 0 and "Traceback" not in str(error), str(error)
        finally:
            ended = time.monotonic()
            stop.touch()
            out, _ = swapper.communicate(timeout=30)
        assert swapper.returncode == 0
        count, first, collided = out.split()
        swaps += int(count)
        escaped += sum(1 for _ in outside.rglob("*"))
        if collided == "1":
            # The original folder is stranded aside by the attacker; the property that still
            # holds is the one that matters: nothing was written outside the workspace.
            outcomes["collided"] += 1
            continue
        assert {path.name for path in base.iterdir()} <= {"ws", "outside", "stop", "state"}
        if isinstance(failure, TransactionFailed) and not failure.restored:
            recover(state, root)  # the folder is back in place now
        tree = snapshot(root)
        if failure is None:
            outcomes["applied"] += 1
            applied_under_attack += int(int(count) > 0 and float(first) < ended)
            for path, text in after.items():
                assert tree[path] == ("file", text.encode(), 0o644), path
        else:
            outcomes["refused"] += 1
            assert tree == original
        assert not any(".tmp" in path for path in tree)
    print(
        f"\n{RUNS} runs of {FILES} files: {outcomes} ({applied_under_attack} applied while the "
        f"folder was being swapped), {escaped} files outside, {swaps} swaps"
    )
    assert escaped == 0
    assert sum(outcomes.values()) == RUNS
    assert outcomes["refused"] >= 1 and applied_under_attack >= 1  # the attack did land
