"""`wishcraft ledger merge`, `merge --fix FILE` and `install-merge-driver`: the ledger in git.

- `wishcraft ledger merge BASE OURS THEIRS` is git's merge driver (`%O %A %B`): it joins the two
  ledgers (`wishcraft.ledger_merge`) and writes the result over OURS, atomically; exit 0, or 1
  (git then marks a conflict) with one sentence.
- `wishcraft ledger merge --fix FILE` resolves a ledger git already marked with conflict markers.
- `wishcraft ledger install-merge-driver` writes the `.gitattributes` line and the local git
  config (`wishcraft.merge_driver`).
"""

from __future__ import annotations

from pathlib import Path
from typing import TextIO

from wishcraft.cli.options import EXIT_FINDINGS, EXIT_OK, EXIT_USAGE
from wishcraft.fileio import write_atomically
from wishcraft.ledger import LedgerLocation
from wishcraft.ledger_merge import Joined, MergeRefused, fix, join
from wishcraft.merge_driver import DriverError, install
from wishcraft.repo import find_git_root


def _read(path: Path, err: TextIO) -> bytes | None:
    try:
        return path.read_bytes()
    except OSError as exc:
        print(f"wishcraft: cannot read {path} ({exc.strerror}).", file=err)
        return None


def _said(joined: Joined) -> str:
    entries = "entry" if joined.added == 1 else "entries"
    shared = "line" if joined.prefix == 1 else "lines"
    moved = f" ({joined.moved} re-chained)" if joined.rechained else " (a fast-forward)"
    return f"{joined.added} {entries} after the {joined.prefix} shared {shared}{moved}"


def merge_files(files: list[Path], out: TextIO, err: TextIO) -> int:
    """git's driver: BASE OURS THEIRS; the result goes over OURS."""
    if len(files) != 3:
        print(
            "wishcraft: `ledger merge` takes BASE OURS THEIRS (git's %O %A %B), or `--fix FILE`.",
            file=err,
        )
        return EXIT_USAGE
    _, ours_path, theirs_path = files
    ours, theirs = _read(ours_path, err), _read(theirs_path, err)
    if ours is None or theirs is None:
        return EXIT_USAGE
    try:
        joined = join(ours, theirs)
    except MergeRefused as exc:
        print(f"wishcraft: the ledgers were not joined: {exc}", file=err)
        return EXIT_FINDINGS
    write_atomically(ours_path, joined.data)
    print(f"wishcraft: ledger merged: {_said(joined)}.", file=err)
    return EXIT_OK


def fix_file(path: Path, out: TextIO, err: TextIO) -> int:
    """Resolve a ledger git marked; write it in place."""
    data = _read(path, err)
    if data is None:
        return EXIT_USAGE
    try:
        joined = fix(data)
    except MergeRefused as exc:
        print(f"wishcraft: {path} was not fixed: {exc}", file=err)
        return EXIT_FINDINGS
    write_atomically(path, joined.data)
    print(f"wishcraft: {path} fixed: {_said(joined)}; `git add` it.", file=err)
    return EXIT_OK


def install_driver(location: LedgerLocation, out: TextIO, err: TextIO) -> int:
    """Write the attributes line and the local git config for the ledger's repository."""
    root = find_git_root(location.root)
    if root is None:
        print(
            "wishcraft: not in a git repository; the merge driver is for git merges, so run it "
            "in the repository's folder.",
            file=err,
        )
        return EXIT_USAGE
    try:
        relative = location.path.resolve().relative_to(root.resolve()).as_posix()
    except ValueError:
        print(f"wishcraft: the ledger {location.path} is outside {root}.", file=err)
        return EXIT_USAGE
    try:
        for line in install(root, relative):
            print(f"wishcraft: {line}.", file=err)
    except DriverError as exc:
        print(f"wishcraft: {exc}", file=err)
        return EXIT_USAGE
    return EXIT_OK
