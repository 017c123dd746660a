"""The ledger stays inside the repository and fails closed (issue 18, breaches 2 and 7).

Properties, on real files and folders:
- a repository's `[ledger] path` cannot name a file outside it, in `.git`, or not a `.jsonl`;
- no symbolic link anywhere on the ledger's path or its lock's is followed: the append is
  refused, with one sentence, and the link's target is unchanged (nothing created there);
- the probe that the gates run before a call sees every one of these, and a held lock, a
  permission the user lacks and a full disk, before anything is sent;
- lines are capped in size; readers hold a chunk, not the file.
"""

from __future__ import annotations

import hashlib
import json
import os
import threading
import tracemalloc
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from filelock import FileLock

from testkit.unprivileged import call_unprivileged, unprivileged_folder
from wishcraft import ledger
from wishcraft.ledger import (
    FIELD_CAP_BYTES,
    GENESIS,
    LINE_CAP_BYTES,
    LIST_CAP_ITEMS,
    LedgerEntry,
    LedgerError,
    LedgerLocation,
    SummaryCache,
    append,
    canonical_json,
    entry_hash,
    find_ledger,
    iter_lines,
    probe,
    read_entries,
    recent_entries,
    utc_timestamp,
    verify,
)

NOW = datetime(2026, 3, 14, 12, 0, 0, tzinfo=UTC)
PLANNER = "openai.codex.v2025.plan"
HOSTILE_AUTHOR = "$(touch /tmp/wishcraft-pwned)"


def entry(**fields: Any) -> LedgerEntry:
    return LedgerEntry.model_validate(
        {
            "conduit": PLANNER,
            "action": "plan",
            "mode": "shadow",
            "wish": "data/wishes/w.yaml",
            "outcome": "complete",
            "author_id": HOSTILE_AUTHOR,
            **fields,
        }
    )


def repository(tmp_path: Path, ledger_setting: str | None = None) -> Path:
    """A repository folder with `data/`, optionally configuring `[ledger] path`."""
    root = tmp_path / "repo"
    (root / "data" / "wishes").mkdir(parents=True)
    if ledger_setting is not None:
        config = root / "data" / "config" / "wishcraft.toml"
        config.parent.mkdir(parents=True)
        config.write_text(f"[ledger]\npath = {json.dumps(ledger_setting)}\n", encoding="utf-8")
    return root


def snapshot(folder: Path) -> dict[str, bytes | str]:
    """Every entry under `folder` (links by their target), to compare before and after."""
    found: dict[str, bytes | str] = {}
    for path in sorted(folder.rglob("*")):
        key = path.relative_to(folder).as_posix()
        if path.is_symlink():
            found[key] = f"-> {os.readlink(path)}"
        elif path.is_file():
            found[key] = path.read_bytes()
        else:
            found[key] = "folder"
    return found


def one_sentence(message: str) -> None:
    assert "\n" not in message and message.endswith(".") and "Traceback" not in message
    assert "\x1b" not in message


# -- the setting ------------------------------------------------------------------------------

REFUSED_SETTINGS = [
    ("home", "~/.bashrc", "leaves the repository"),
    ("home-jsonl", "~/ledger.jsonl", "leaves the repository"),
    ("absolute", "/etc/wishcraft.jsonl", "leaves the repository"),
    ("parent", "../outside.jsonl", "leaves the repository"),
    ("parent-inside", "data/../../outside.jsonl", "leaves the repository"),
    ("parent-harmless", "data/../ledger.jsonl", "leaves the repository"),
    ("backslash-parent", "..\\outside.jsonl", "leaves the repository"),
    ("drive", "C:/ledger.jsonl", "leaves the repository"),
    ("nul", "data/l\x00.jsonl", "leaves the repository"),
    ("git-hook", ".git/hooks/pre-commit", "inside .git"),
    ("git-folded", ".GIT. /x.jsonl", "inside .git"),
    ("git-short-name", "GIT~1/x.jsonl", "inside .git"),
    ("husky-hook", ".husky/pre-commit", "must name a .jsonl file"),
    ("makefile", "Makefile", "must name a .jsonl file"),
    ("folder", "data/ledger/", "must name a .jsonl file"),
    ("escape-in-value", "\x1b]52;c;aGk=\x07/x", "must name a .jsonl file"),
]


@pytest.mark.parametrize(
    ("value", "words"),
    [case[1:] for case in REFUSED_SETTINGS],
    ids=[case[0] for case in REFUSED_SETTINGS],
)
def test_a_repository_cannot_point_the_ledger_outside_it(
    tmp_path: Path, value: str, words: str
) -> None:
    root = repository(tmp_path, value)
    with pytest.raises(LedgerError) as caught:
        find_ledger(root / "data" / "wishes" / "w.yaml")
    message = str(caught.value)
    one_sentence(message)
    config = root / "data" / "config" / "wishcraft.toml"
    assert message.startswith(f"{config}: [ledger] path ") and words in message
    assert 'such as "data/ledger/wishes.jsonl"' in message


@pytest.mark.parametrize("value", ["audit/wishes.jsonl", "./data/ledger/Other.JSONL"])
def test_a_relative_jsonl_path_is_resolved_inside_the_root(tmp_path: Path, value: str) -> None:
    root = repository(tmp_path, value)
    found = find_ledger(root / "data" / "wishes" / "w.yaml")
    assert found.root == root and found.path.is_relative_to(root)
    assert found.shown == value.removeprefix("./")
    append(found, entry(), now=NOW)
    assert verify(found.path).ok


def test_the_bashrc_setting_leaves_the_file_unchanged_even_through_append(tmp_path: Path) -> None:
    home = tmp_path / "home"
    home.mkdir()
    bashrc = home / ".bashrc"
    bashrc.write_text("export PS1='$ '\n")
    root = repository(tmp_path, "~/.bashrc")
    with pytest.raises(LedgerError):
        find_ledger(root / "data" / "wishes" / "w.yaml")
    # A location can only be built by hand outside its root: the append refuses it too.
    outside = LedgerLocation(bashrc, root, "by hand")
    with pytest.raises(LedgerError, match="is not inside"):
        append(outside, entry(), now=NOW)
    assert bashrc.read_text() == "export PS1='$ '\n"


# -- links, folders in the way, other files ------------------------------------------------


@pytest.fixture(params=[True, False], ids=["dir-fd", "by-name"])
def walk(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> bool:
    """Run with descriptors (Linux, macOS) and with the by-name walk (Windows' fallback)."""
    monkeypatch.setattr(ledger.files, "_DIR_FD", bool(request.param))
    return bool(request.param)


def _link_ledger(root: Path, outside: Path) -> None:
    (root / "data/ledger/wishes.jsonl").symlink_to(outside / "victim.jsonl")


def _link_ledger_dangling(root: Path, outside: Path) -> None:
    (root / "data/ledger/wishes.jsonl").symlink_to(outside / "new.jsonl")


def _link_lock(root: Path, outside: Path) -> None:
    (root / "data/ledger/wishes.jsonl.lock").symlink_to(outside / "victim.jsonl")


def _link_ledger_folder(root: Path, outside: Path) -> None:
    (root / "data/ledger").rmdir()
    (root / "data/ledger").symlink_to(outside, target_is_directory=True)


def _link_data_folder(root: Path, outside: Path) -> None:
    (outside / "wishes").mkdir()
    (root / "data").rename(root / "data-real")
    (root / "data").symlink_to(outside, target_is_directory=True)


LINKS: dict[str, Callable[[Path, Path], None]] = {
    "ledger-file": _link_ledger,
    "ledger-file-dangling": _link_ledger_dangling,
    "lock": _link_lock,
    "ledger-folder": _link_ledger_folder,
    "data-folder": _link_data_folder,
}


@pytest.mark.parametrize("where", list(LINKS), ids=list(LINKS))
def test_no_symlink_on_the_path_or_the_lock_is_followed(
    tmp_path: Path, where: str, walk: bool
) -> None:
    root = repository(tmp_path)
    (root / "data" / "ledger").mkdir()
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "victim.jsonl").write_bytes(b"#!/bin/sh\necho mine\n")
    LINKS[where](root, outside)
    before = snapshot(outside)
    location = find_ledger(root / "data" / "wishes" / "w.yaml")
    for attempt in (lambda: probe(location), lambda: append(location, entry(), now=NOW)):
        with pytest.raises(LedgerError) as caught:
            attempt()
        one_sentence(str(caught.value))
        assert "symbolic link" in str(caught.value)
    assert snapshot(outside) == before  # the target unchanged, nothing created there


def test_a_swap_after_the_probe_is_still_refused(tmp_path: Path) -> None:
    """The append walks from the root again: a probe that passed gives no path to reuse."""
    root = repository(tmp_path)
    location = find_ledger(root / "data" / "wishes" / "w.yaml")
    probe(location)
    append(location, entry(), now=NOW)
    outside = tmp_path / "outside"
    outside.mkdir()
    (root / "data" / "ledger").rename(tmp_path / "moved")
    (root / "data" / "ledger").symlink_to(outside, target_is_directory=True)
    with pytest.raises(LedgerError, match="data/ledger is a symbolic link"):
        append(location, entry(), now=NOW)
    assert list(outside.iterdir()) == []


def test_a_file_in_the_way_of_a_folder_is_one_sentence(tmp_path: Path, walk: bool) -> None:
    root = repository(tmp_path)
    (root / "data" / "ledger").write_text("not a folder")
    location = find_ledger(root / "data" / "wishes" / "w.yaml")
    with pytest.raises(LedgerError) as caught:
        probe(location)
    one_sentence(str(caught.value))
    assert str(caught.value).startswith(
        "The ledger data/ledger/wishes.jsonl cannot be used: data/ledger is not a folder;"
    )


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="POSIX FIFOs")
def test_a_fifo_as_the_ledger_is_refused_without_hanging(tmp_path: Path) -> None:
    root = repository(tmp_path)
    (root / "data" / "ledger").mkdir()
    os.mkfifo(root / "data" / "ledger" / "wishes.jsonl")
    location = find_ledger(root / "data" / "wishes" / "w.yaml")
    for attempt in (
        lambda: probe(location),
        lambda: append(location, entry(), now=NOW),
        lambda: list(iter_lines(location.path)),
        lambda: SummaryCache().summary(location.path),
    ):
        with pytest.raises(LedgerError, match="is not a regular file"):
            attempt()


def test_a_hard_link_to_another_file_is_refused(tmp_path: Path) -> None:
    root = repository(tmp_path)
    (root / "data" / "ledger").mkdir()
    victim = tmp_path / "victim.jsonl"
    victim.write_bytes(b"")
    os.link(victim, root / "data" / "ledger" / "wishes.jsonl")
    location = find_ledger(root / "data" / "wishes" / "w.yaml")
    with pytest.raises(LedgerError, match=r"has 2 names \(hard links\)"):
        append(location, entry(), now=NOW)
    assert victim.read_bytes() == b""


def test_a_file_that_is_not_a_ledger_is_never_appended_to(tmp_path: Path) -> None:
    root = repository(tmp_path, "scripts/run.jsonl")
    script = root / "scripts" / "run.jsonl"
    script.parent.mkdir()
    script.write_bytes(b"#!/bin/sh\necho hi\n")
    location = find_ledger(root / "data" / "wishes" / "w.yaml")
    with pytest.raises(LedgerError, match="is not a ledger"):
        probe(location)
    with pytest.raises(LedgerError, match="is not a ledger"):
        append(location, entry(), now=NOW)
    assert script.read_bytes() == b"#!/bin/sh\necho hi\n"


def test_missing_folders_are_made_inside_the_root(tmp_path: Path) -> None:
    root = repository(tmp_path, "deep/er/wishes.jsonl")
    location = find_ledger(root / "data" / "wishes" / "w.yaml")
    probe(location, create=False, lock=False)  # the editor's check makes nothing
    assert not (root / "deep").exists()
    probe(location)
    assert (root / "deep" / "er" / "wishes.jsonl").read_bytes() == b""
    assert (root / "deep" / "er" / "wishes.jsonl.lock").is_file()
    append(location, entry(), now=NOW)
    assert verify(location.path).entries == 1


def test_threads_appending_at_once_keep_one_chain(tmp_path: Path, walk: bool) -> None:
    """Four threads of one process append 25 lines each, through descriptors and by name
    (filelock's per-path singleton there): 100 entries, one unbroken chain."""
    root = repository(tmp_path)
    location = find_ledger(root / "data" / "wishes" / "w.yaml")

    def writer(number: int) -> None:
        for _ in range(25):
            append(location, entry(summary=f"thread {number}"), now=NOW)

    threads = [threading.Thread(target=writer, args=(number,)) for number in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    result = verify(location.path)
    assert result.ok and result.entries == 100 and result.torn == []


# -- the probe: what it sees before a call ------------------------------------------------


def test_the_probe_sees_a_held_lock(tmp_path: Path) -> None:
    root = repository(tmp_path)
    location = find_ledger(root / "data" / "wishes" / "w.yaml")
    probe(location)
    with FileLock(str(location.path) + ".lock"), pytest.raises(LedgerError) as caught:
        probe(location, lock_timeout=0.05)
    one_sentence(str(caught.value))
    assert "data/ledger/wishes.jsonl stayed locked by another process" in str(caught.value)


def test_the_probe_sees_a_full_disk(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    root = repository(tmp_path)
    location = find_ledger(root / "data" / "wishes" / "w.yaml")
    real = os.fstatvfs

    class Full:
        def __init__(self, fd: int) -> None:
            info = real(fd)
            self.f_frsize = info.f_frsize
            self.f_bavail = 1

    monkeypatch.setattr(os, "fstatvfs", Full)
    with pytest.raises(LedgerError) as caught:
        probe(location)
    one_sentence(str(caught.value))
    assert str(caught.value).startswith("The disk holding the ledger data/ledger/wishes.jsonl")


@pytest.mark.skipif(not hasattr(os, "fork"), reason="POSIX permissions and fork")
def test_the_probe_sees_a_ledger_the_user_may_not_write() -> None:
    # As root (CI) the probe runs as `nobody`, whom permissions stop.
    with unprivileged_folder() as folder:
        (folder / "data" / "ledger").mkdir(parents=True)
        path = folder / "data" / "ledger" / "wishes.jsonl"
        path.write_bytes(b"")
        owner = folder.stat()
        for made in (folder / "data", folder / "data" / "ledger", path):
            os.chown(made, owner.st_uid, owner.st_gid)
        path.chmod(0o444)
        location = LedgerLocation(path, folder, "test")

        def probe_in_child() -> str:
            try:
                probe(location)
            except LedgerError as error:
                return str(error)
            return "no error"

        message = call_unprivileged(probe_in_child)
        assert path.read_bytes() == b""
    assert message.startswith(
        "The ledger data/ledger/wishes.jsonl cannot be written: Permission denied;"
    ), message


# -- sizes -----------------------------------------------------------------------------------


def test_200000_api_errors_stay_a_short_line(tmp_path: Path) -> None:
    path = tmp_path / "wishes.jsonl"
    errors = "; ".join(f"API error {n}: upstream said no" for n in range(200_000))
    assert len(errors) > 6_000_000
    written = append(path, entry(outcome="failed", reason=errors, summary=errors), now=NOW)
    (line,) = path.read_bytes().splitlines()
    assert len(line) < LINE_CAP_BYTES
    reason = written.entry.reason
    assert reason is not None and reason.startswith("API error 0: upstream said no")
    assert reason.endswith(f"of {len(errors.encode()):,} bytes cut]")
    assert verify(path).ok


def test_every_field_long_at_once_still_fits_the_line_cap(tmp_path: Path) -> None:
    path = tmp_path / "wishes.jsonl"
    big = "é" * 1_000_000  # two bytes each: the cut keeps whole characters
    fields = {
        name: big
        for name in (
            "wish",
            "reason",
            "wish_hash",
            "diff_hash",
            "author_id",
            "anchor_id",
            "summary",
            "prompt_hash",
            "model",
            "pr_url",
            "request_id",
            "cf_ray",
            "conduit",
        )
    }
    append(path, entry(**fields), now=NOW)
    (line,) = path.read_bytes().splitlines()
    assert len(line) < LINE_CAP_BYTES
    obj = json.loads(line)
    assert obj["reason"].startswith("éé") and "bytes cut]" in obj["reason"]
    assert verify(path).ok


def test_strings_and_lists_are_capped_however_deep() -> None:
    capped = ledger.log._capped({"files": ["x" * 20_000] * 500, "n": 3}, FIELD_CAP_BYTES)
    assert len(capped["files"]) == LIST_CAP_ITEMS + 1
    assert capped["files"][-1] == f"… [{500 - LIST_CAP_ITEMS:,} more items cut]"
    assert all(len(item.encode()) <= FIELD_CAP_BYTES for item in capped["files"])
    assert capped["n"] == 3


# -- reading as a stream ---------------------------------------------------------------------


def write_chain(path: Path, lines: int, filler: int = 300) -> None:
    """A valid chain of `lines` entries of about `filler` + 400 bytes, written fast."""
    previous = GENESIS
    with path.open("w", encoding="utf-8") as handle:
        for number in range(lines):
            obj = entry(
                mode="commit",
                wish=f"data/wishes/w{number % 50}.yaml",
                summary="x" * filler,
                request_id=f"req_{number}",
            ).model_dump(mode="json")
            obj["timestamp"] = utc_timestamp(NOW)
            obj["prev"] = previous
            obj["hash"] = previous = entry_hash(obj)
            handle.write(canonical_json(obj) + "\n")


def peak_of(read: Callable[[], object]) -> int:
    tracemalloc.start()
    try:
        read()
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


@pytest.fixture(scope="module")
def large_ledger(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    path = tmp_path_factory.mktemp("large") / "wishes.jsonl"
    write_chain(path, 4_000, filler=4_000)  # about 17 MB
    yield path


READERS: dict[str, Callable[[Path], object]] = {
    "verify": verify,
    "summary": lambda path: SummaryCache().summary(path),
    "iter_lines": lambda path: sum(1 for _ in iter_lines(path)),
    "read_entries-no-match": lambda path: read_entries(path, wish="none"),
    "recent_entries-no-match": lambda path: recent_entries(path, "none", scan_lines=None),
}


@pytest.mark.parametrize("reader", list(READERS), ids=list(READERS))
def test_readers_hold_a_chunk_not_the_file(large_ledger: Path, reader: str) -> None:
    size = large_ledger.stat().st_size
    assert size > 16_000_000
    peak = peak_of(lambda: READERS[reader](large_ledger))
    # A chunk (1 MiB) and change: a quarter of the file would already fail this.
    assert peak < 4_000_000, f"{reader}: {peak:,} bytes at peak for a {size:,}-byte ledger"


def test_one_huge_line_is_skipped_unread_as_torn(tmp_path: Path) -> None:
    path = tmp_path / "wishes.jsonl"
    append(path, entry(), now=NOW)
    with path.open("ab") as handle:
        for _ in range(40):
            handle.write(b"y" * 1_000_000)  # 40 MB without a newline, then one
        handle.write(b"\n")
    append(path, entry(), now=NOW)
    peak = peak_of(lambda: list(iter_lines(path)))
    assert peak < ledger.MAX_LINE_BYTES + 4 * ledger.READ_CHUNK_BYTES
    kinds = [type(item).__name__ for _, item in iter_lines(path)]
    assert kinds == ["dict", "TornLine", "dict"]
    result = verify(path)
    assert result.ok and result.entries == 2 and [t.line for t in result.torn] == [2]
    assert SummaryCache().summary(path).entries == 2


def test_location_covers_its_folder_in_any_case(tmp_path: Path) -> None:
    location = LedgerLocation(tmp_path / "data/ledger/wishes.jsonl", tmp_path, "test")
    assert location.shown == "data/ledger/wishes.jsonl"
    assert location.folder == tmp_path / "data" / "ledger"
    for name in (
        "data/ledger",
        "data/ledger/wishes.jsonl",
        "DATA/LEDGER/anchors/x.json",
        "data/Ledger./wishes.jsonl.lock",
        "./data/ledger /x",
    ):
        assert location.covers(name), name
    for name in ("data", "data/ledgers/x", "data/wishes/w.yaml", "ledger/wishes.jsonl"):
        assert not location.covers(name), name


def test_the_hash_chain_survives_the_caps(tmp_path: Path) -> None:
    path = tmp_path / "wishes.jsonl"
    for size in (10, FIELD_CAP_BYTES + 1, 10 * FIELD_CAP_BYTES):
        append(path, entry(reason="r" * size), now=NOW)
    result = verify(path)
    assert result.ok and result.entries == 3
    digests = [json.loads(line)["hash"] for line in path.read_bytes().splitlines()]
    assert len(set(digests)) == 3 and all(len(d) == 64 for d in digests)
    assert hashlib.sha256(b"").hexdigest() not in digests


def test_a_folder_swapped_for_a_link_while_appending_never_lets_a_line_out(
    tmp_path: Path,
) -> None:
    """20 rounds of 25 appends while another thread keeps swapping `data/ledger` for a link
    out of the repository (and back): each append lands inside or is refused, 0 escape."""
    import threading

    root = repository(tmp_path)
    location = find_ledger(root / "data" / "wishes" / "w.yaml")
    outside = tmp_path / "outside"
    outside.mkdir()
    folder = root / "data" / "ledger"
    parked = root / "data" / "parked"
    written = refused = swaps = 0
    for _ in range(20):
        folder.mkdir(exist_ok=True)
        done = threading.Event()

        def swap(done: threading.Event = done) -> None:
            nonlocal swaps
            while not done.is_set():
                try:
                    folder.rename(parked)
                    folder.symlink_to(outside, target_is_directory=True)
                    swaps += 1
                    folder.unlink()
                    parked.rename(folder)
                except OSError:  # the append made a new folder meanwhile: start again
                    if parked.exists() and not folder.exists():
                        parked.rename(folder)

        swapper = threading.Thread(target=swap)
        swapper.start()
        try:
            for _ in range(25):
                try:
                    append(location, entry(), now=NOW)
                    written += 1
                except LedgerError:
                    refused += 1
        finally:
            done.set()
            swapper.join()
        if folder.is_symlink():
            folder.unlink()
        for stray in (parked,):
            if stray.exists():
                for item in stray.iterdir():
                    item.unlink()
                stray.rmdir()
    assert list(outside.iterdir()) == []  # 0 escapes
    assert written + refused == 500 and swaps > 20
