"""The wish ledger: canonical hashing, the chain and `verify`, torn lines, secrets, counts."""

from __future__ import annotations

import json
import os
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from filelock import FileLock
from hypothesis import given, settings
from hypothesis import strategies as st

from testkit.unprivileged import call_unprivileged, unprivileged_folder
from wishcraft import ledger
from wishcraft.ledger import (
    GENESIS,
    LedgerEntry,
    LedgerError,
    SummaryCache,
    TornLine,
    append,
    canonical_json,
    counts_toward_limits,
    entry_hash,
    find_ledger,
    iter_lines,
    read_entries,
    recent_entries,
    verify,
)
from wishcraft.redaction import remember_secrets

NOW = datetime(2026, 3, 14, 12, 0, 0, tzinfo=UTC)
PLANNER = "openai.codex.v2025.plan"


def entry(
    wish: str = "data/wishes/a.yaml",
    *,
    conduit: str = PLANNER,
    mode: str = "commit",
    outcome: str = "complete",
    **fields: Any,
) -> LedgerEntry:
    """A ledger entry with the fields a plan call records."""
    return LedgerEntry.model_validate(
        {
            "conduit": conduit,
            "action": "plan",
            "mode": mode,
            "wish": wish,
            "outcome": outcome,
            "prompt_hash": "ab" * 32,
            "model": "gpt-5",
            "tokens_used": 2900,
            **fields,
        }
    )


def write_entries(path: Path, count: int, **fields: Any) -> list[LedgerEntry]:
    """Append `count` entries a second apart, starting at NOW."""
    return [
        append(path, entry(**fields), now=NOW + timedelta(seconds=n)).entry for n in range(count)
    ]


def chained(entries: list[LedgerEntry]) -> bytes:
    """The bytes `append` would write for `entries` (no lock or fsync: for many cases)."""
    out, prev = [], GENESIS
    for number, item in enumerate(entries):
        obj = item.model_dump(mode="json")
        if obj["counted"] is None:  # undecided (not written through `record`): left out
            del obj["counted"]
        obj.update(timestamp=ledger.utc_timestamp(NOW + timedelta(seconds=number)), prev=prev)
        obj["hash"] = prev = entry_hash(obj)
        out.append(canonical_json(obj).encode() + b"\n")
    return b"".join(out)


def test_chained_writes_what_append_writes(tmp_path: Path) -> None:
    path = tmp_path / "wishes.jsonl"
    write_entries(path, 3)
    assert chained([entry()] * 3) == path.read_bytes()


def lines_of(path: Path) -> list[bytes]:
    """The file's lines without their newlines."""
    return path.read_bytes().split(b"\n")[:-1]


# -- the format --------------------------------------------------------------------------


def test_canonical_json_sorts_keys_drops_spaces_and_keeps_unicode() -> None:
    assert canonical_json({"b": 1, "a": [1, 2], "é": "ü"}) == '{"a":[1,2],"b":1,"é":"ü"}'


def test_entry_hash_covers_everything_but_itself() -> None:
    obj = {"prev": GENESIS, "conduit": "c", "hash": "ignored"}
    expected = (
        __import__("hashlib")
        .sha256(b'{"conduit":"c","prev":"' + GENESIS.encode() + b'"}')
        .hexdigest()
    )
    assert entry_hash(obj) == expected
    assert entry_hash({**obj, "hash": "other"}) == expected
    assert entry_hash({**obj, "conduit": "d"}) != expected


def test_each_line_is_the_canonical_json_of_its_entry(tmp_path: Path) -> None:
    path = tmp_path / "wishes.jsonl"
    written = write_entries(path, 2)
    for raw, item in zip(lines_of(path), written, strict=True):
        obj = json.loads(raw)
        assert raw.decode() == canonical_json(obj)
        assert obj["hash"] == entry_hash(obj) == item.hash
        assert obj["timestamp"].endswith("Z") and obj["v"] == 1
    assert json.loads(lines_of(path)[0])["prev"] == GENESIS
    assert json.loads(lines_of(path)[1])["prev"] == written[0].hash


def test_the_entry_holds_upstreams_fields_and_the_audit_fields(tmp_path: Path) -> None:
    path = tmp_path / "wishes.jsonl"
    append(
        path,
        entry(
            wish_hash="cd" * 32,
            author_id="player-4821",
            anchor_id="A-1",
            summary="3 steps",
            request_id="req-1",
            cf_ray="ray-1",
        ),
        now=NOW,
    )
    obj = json.loads(lines_of(path)[0])
    assert {
        key: obj[key]
        for key in (
            "wish_hash",
            "author_id",
            "anchor_id",
            "summary",
            "timestamp",
            "diff_hash",
            "pr_url",
        )
    } == {
        "wish_hash": "cd" * 32,
        "author_id": "player-4821",
        "anchor_id": "A-1",
        "summary": "3 steps",
        "timestamp": "2026-03-14T12:00:00.000Z",
        "diff_hash": None,
        "pr_url": None,
    }
    assert (obj["conduit"], obj["action"], obj["mode"], obj["outcome"]) == (
        PLANNER,
        "plan",
        "commit",
        "complete",
    )
    assert (obj["prompt_hash"], obj["model"], obj["tokens_used"]) == ("ab" * 32, "gpt-5", 2900)
    assert (obj["request_id"], obj["cf_ray"]) == ("req-1", "ray-1")


def test_the_first_append_creates_the_folders(tmp_path: Path) -> None:
    path = tmp_path / "repo" / "data" / "ledger" / "wishes.jsonl"
    append(path, entry(), now=NOW)
    assert verify(path).entries == 1


# -- no secret goes in -----------------------------------------------------------------------


def test_no_token_ever_reaches_the_file(tmp_path: Path) -> None:
    token = "tok-ledger-secret-0123456789abcdef"
    remember_secrets(token)
    path = tmp_path / "wishes.jsonl"
    result = append(
        path,
        entry(
            outcome="failed",
            reason=f"401 for Bearer {token}",
            summary="header echoed eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3OCJ9.c2lnbmF0dXJlMTIz",
            model=f"gpt-5 {token}",
            request_id=token,
            wish=f"data/wishes/{token}.yaml",
        ),
        now=NOW,
    )
    text = path.read_text()
    assert token not in text and "eyJhbGciOiJIUzI1NiJ9" not in text
    assert text.count("[redacted]") == 5
    assert token not in result.entry.model_dump_json()
    assert verify(path).ok  # the hash is of the scrubbed line


# -- the chain and verify ------------------------------------------------------------------


def test_a_fresh_chain_verifies(tmp_path: Path) -> None:
    path = tmp_path / "wishes.jsonl"
    write_entries(path, 5)
    result = verify(path)
    assert (result.ok, result.entries, result.torn, result.first_bad) == (True, 5, [], None)
    assert "chain of 5 entries verifies" in result.describe(path)


def test_a_missing_ledger_verifies_empty(tmp_path: Path) -> None:
    assert verify(tmp_path / "none.jsonl") == ledger.VerifyResult(True, 0, [])


def _edit_value(lines: list[bytes]) -> list[bytes]:
    obj = json.loads(lines[2])
    obj["tokens_used"] = 1
    return [*lines[:2], canonical_json(obj).encode(), *lines[3:]]


def _rehash_edit(lines: list[bytes]) -> list[bytes]:
    obj = json.loads(lines[2])
    obj["model"] = "other"
    obj["hash"] = entry_hash(obj)  # a careful forger: the line itself checks, the next does not
    return [*lines[:2], canonical_json(obj).encode(), *lines[3:]]


def _no_hash(lines: list[bytes]) -> list[bytes]:
    obj = json.loads(lines[1])
    del obj["hash"]
    return [lines[0], canonical_json(obj).encode(), *lines[2:]]


TAMPERING = [
    ("value-edited", _edit_value, 3, "the line was edited"),
    ("edited-and-rehashed", _rehash_edit, 4, "does not match the hash of line 3"),
    ("line-removed", lambda lines: [lines[0], *lines[2:]], 2, "does not match the hash of line 1"),
    (
        "lines-swapped",
        lambda lines: [lines[0], lines[2], lines[1], *lines[3:]],
        2,
        "a line was removed, inserted or moved",
    ),
    (
        "line-duplicated",
        lambda lines: [*lines[:3], lines[2], *lines[3:]],
        4,
        "does not match the hash of line 3",
    ),
    ("first-line-removed", lambda lines: lines[1:], 1, "the start of the ledger"),
    ("hash-missing", _no_hash, 2, "not a ledger entry"),
]


@pytest.mark.parametrize(
    ("change", "bad_line", "words"),
    [case[1:] for case in TAMPERING],
    ids=[case[0] for case in TAMPERING],
)
def test_verify_names_the_first_bad_line(
    tmp_path: Path, change: Any, bad_line: int, words: str
) -> None:
    path = tmp_path / "wishes.jsonl"
    write_entries(path, 5)
    path.write_bytes(b"\n".join(change(lines_of(path))) + b"\n")
    result = verify(path)
    assert not result.ok
    assert result.first_bad == bad_line
    assert words in result.reason
    assert result.describe(path).startswith(f"{path}: line {bad_line}: ")


# -- torn lines ------------------------------------------------------------------------------


def test_a_torn_last_line_is_reported_skipped_and_never_rewritten(tmp_path: Path) -> None:
    path = tmp_path / "wishes.jsonl"
    written = write_entries(path, 3)
    torn_bytes = b'{"action":"plan","conduit":"openai.co'
    with path.open("ab") as handle:
        handle.write(torn_bytes)
    before = path.read_bytes()

    # Detected and reported by every reader, not treated as an entry.
    result = verify(path)
    assert result.ok and result.entries == 3
    assert result.torn == [TornLine(4, len(before) - len(torn_bytes), len(torn_bytes), False)]
    assert "torn line(s) skipped: 4" in result.describe(path)
    assert ledger.summarize(path, SummaryCache()).tail_bytes == len(torn_bytes)
    entries, torn = read_entries(path)
    assert [item.hash for _, item in entries] == [item.hash for item in written]
    assert [item.line for item in torn] == [4]

    # The next append isolates it on its own line and chains to the last good entry.
    appended = append(path, entry(), now=NOW + timedelta(minutes=1))
    assert appended.torn_tail == TornLine(0, len(before) - len(torn_bytes), len(torn_bytes), False)
    assert appended.torn_tail is not None
    assert f"torn write of {len(torn_bytes)} bytes" in appended.torn_tail.describe(path)
    assert appended.entry.prev == written[-1].hash
    after = path.read_bytes()
    assert after.startswith(before)  # history, torn bytes included, is never rewritten
    assert after[len(before) : len(before) + 1] == b"\n"
    assert lines_of(path)[3] == torn_bytes
    result = verify(path)
    assert (result.ok, result.entries, [item.line for item in result.torn]) == (True, 4, [4])
    assert result.torn[0].terminated

    # And the chain keeps verifying as it grows.
    append(path, entry(), now=NOW + timedelta(minutes=2))
    assert verify(path).ok and verify(path).entries == 5


def test_a_line_that_lost_only_its_newline_is_kept_as_an_entry(tmp_path: Path) -> None:
    path = tmp_path / "wishes.jsonl"
    written = write_entries(path, 2)
    path.write_bytes(path.read_bytes()[:-1])  # the crash cut exactly the newline
    appended = append(path, entry(), now=NOW + timedelta(minutes=1))
    assert appended.torn_tail is None
    assert appended.entry.prev == written[-1].hash
    result = verify(path)
    assert (result.ok, result.entries, result.torn) == (True, 3, [])


def test_torn_lines_in_the_middle_do_not_count(tmp_path: Path) -> None:
    path = tmp_path / "wishes.jsonl"
    write_entries(path, 1)
    with path.open("ab") as handle:
        handle.write(b'{"mode":"commit","wish":"data/wi')
    write_entries(path, 1)
    summary = ledger.summarize(path, SummaryCache())
    assert summary.entries == 2 and [item.line for item in summary.torn] == [2]
    assert summary.wish_calls == {(PLANNER, "data/wishes/a.yaml"): 2}


def test_invalid_utf8_is_a_torn_line(tmp_path: Path) -> None:
    path = tmp_path / "wishes.jsonl"
    write_entries(path, 1)
    with path.open("ab") as handle:
        handle.write(b'{"a":"\xff\xfe"}\n')
    assert [type(item) for _, item in iter_lines(path)] == [dict, TornLine]
    assert verify(path).ok


# -- reading backwards across chunks --------------------------------------------------------


@settings(max_examples=75)  # each case appends with fsync
@given(
    lengths=st.lists(st.integers(min_value=0, max_value=90), min_size=1, max_size=12),
    torn=st.booleans(),
    chunk=st.integers(min_value=1, max_value=200),
)
def test_reading_backwards_finds_every_entry_whatever_the_chunk(
    tmp_path_factory: pytest.TempPathFactory, lengths: list[int], torn: bool, chunk: int
) -> None:
    path = tmp_path_factory.mktemp("backward") / "wishes.jsonl"
    path.write_bytes(chained([entry(summary="x" * length) for length in lengths]))
    if torn:
        with path.open("ab") as handle:
            handle.write(b'{"partial":')
    forward = [item for _, item in iter_lines(path) if isinstance(item, dict)]
    original = ledger.lines.TAIL_CHUNK_BYTES
    ledger.lines.TAIL_CHUNK_BYTES = chunk
    try:
        backward = [obj for _, obj in ledger.lines.backward_objects(path)]
        newest = recent_entries(path, PLANNER, limit=3)
        follow = append(path, entry(), now=NOW + timedelta(hours=1))
    finally:
        ledger.lines.TAIL_CHUNK_BYTES = original
    assert backward == list(reversed(forward))
    assert [item.hash for item in newest] == [obj["hash"] for obj in reversed(forward)][:3]
    assert follow.entry.prev == forward[-1]["hash"]
    assert verify(path).ok


def test_recent_entries_filters_by_conduit_newest_first(tmp_path: Path) -> None:
    path = tmp_path / "wishes.jsonl"
    for number, conduit in enumerate(["a", "b", "a", "b", "a"]):
        append(path, entry(conduit=conduit, summary=str(number)), now=NOW)
    assert [item.summary for item in recent_entries(path, "a", limit=2)] == ["4", "2"]
    assert [item.summary for item in recent_entries(path, None, limit=10)] == [
        "4",
        "3",
        "2",
        "1",
        "0",
    ]
    assert recent_entries(tmp_path / "none.jsonl", "a") == []
    assert [item.summary for item in recent_entries(path, "a", limit=5, scan_lines=3)] == ["4", "2"]
    append(path, entry(conduit="a.b", summary="5"), now=NOW)
    assert [item.summary for item in recent_entries(path, "a", limit=1)] == ["4"]  # not "a.b"


def test_read_entries_filters_by_wish_and_conduit(tmp_path: Path) -> None:
    path = tmp_path / "wishes.jsonl"
    append(path, entry("w/a.yaml"), now=NOW)
    append(path, entry("w/b.yaml"), now=NOW)
    append(path, entry("w/a.yaml", conduit="other"), now=NOW)
    found, _ = read_entries(path, wish="w/a.yaml")
    assert [(line, item.conduit) for line, item in found] == [(1, PLANNER), (3, "other")]
    found, _ = read_entries(path, wish="w/a.yaml", conduit="other")
    assert [line for line, _ in found] == [3]


# -- errors ----------------------------------------------------------------------------------


def test_a_held_lock_gives_one_sentence(tmp_path: Path) -> None:
    path = tmp_path / "wishes.jsonl"
    with FileLock(str(path) + ".lock"), pytest.raises(LedgerError) as caught:
        append(path, entry(), now=NOW, lock_timeout=0.05)
    assert "stayed locked by another process" in str(caught.value)
    assert not path.exists()


@pytest.mark.skipif(not hasattr(os, "fork"), reason="POSIX permissions and fork")
def test_an_unwritable_folder_gives_one_sentence() -> None:
    # As root (CI) the append runs as `nobody`, whom permissions stop.
    with unprivileged_folder() as folder:
        folder.chmod(0o500)

        def append_in_child() -> str:
            with pytest.raises(LedgerError) as caught:
                append(folder / "ledger" / "wishes.jsonl", entry(), now=NOW)
            return str(caught.value)

        message = call_unprivileged(append_in_child)
        assert not (folder / "ledger").exists()
    assert "check its permissions" in message, message


def test_an_unwritable_ledger_gives_one_sentence_even_as_root(tmp_path: Path) -> None:
    path = tmp_path / "wishes.jsonl"
    path.mkdir()  # a folder where the file should be: no user can open it for writing
    with pytest.raises(LedgerError, match=r"^The ledger wishes.jsonl is a folder, but a ledger"):
        append(path, entry(), now=NOW)


# -- what counts ------------------------------------------------------------------------------


COUNTING = [
    ("commit-complete", {"mode": "commit", "outcome": "complete"}, True),
    ("commit-incomplete", {"mode": "commit", "outcome": "incomplete"}, True),
    (
        "commit-failed-after-an-answer",
        {"mode": "commit", "outcome": "failed", "request_id": "req-1"},
        True,
    ),
    ("commit-failed-with-cf-ray", {"mode": "commit", "outcome": "failed", "cf_ray": "r"}, True),
    ("commit-failed-before-any-answer", {"mode": "commit", "outcome": "failed"}, False),
    ("commit-refused", {"mode": "commit", "outcome": "refused", "request_id": "x"}, False),
    ("shadow-complete", {"mode": "shadow", "outcome": "complete"}, False),
    ("shadow-failed-with-ids", {"mode": "shadow", "outcome": "failed", "request_id": "r"}, False),
]


@pytest.mark.parametrize(
    ("obj", "counts"), [case[1:] for case in COUNTING], ids=[case[0] for case in COUNTING]
)
def test_which_calls_count_toward_the_limits(obj: dict[str, Any], counts: bool) -> None:
    assert counts_toward_limits(obj) is counts


def test_usage_counts_per_wish_per_utc_day_and_per_minute(tmp_path: Path) -> None:
    path = tmp_path / "wishes.jsonl"
    yesterday = NOW - timedelta(days=1)
    append(path, entry("w/a.yaml"), now=yesterday)
    append(path, entry("w/a.yaml"), now=NOW - timedelta(seconds=90))
    append(path, entry("w/a.yaml"), now=NOW - timedelta(seconds=50))
    append(path, entry("w/b.yaml"), now=NOW - timedelta(seconds=10))
    append(path, entry("w/a.yaml", mode="shadow"), now=NOW - timedelta(seconds=5))
    append(path, entry("w/a.yaml", outcome="refused"), now=NOW - timedelta(seconds=4))
    append(path, entry("w/a.yaml", outcome="failed"), now=NOW - timedelta(seconds=3))
    append(path, entry("w/a.yaml", conduit="other"), now=NOW - timedelta(seconds=2))
    cache = SummaryCache()
    used = ledger.usage(path, PLANNER, "w/a.yaml", NOW, cache)
    assert (used.wish_calls, used.day_calls, used.minute_calls) == (3, 3, 2)
    assert used.retry_after_seconds == pytest.approx(10.0)
    assert ledger.usage(path, PLANNER, "w/b.yaml", NOW, cache).wish_calls == 1
    assert ledger.usage(path, PLANNER, "w/a.yaml", yesterday, cache).day_calls == 1
    later = ledger.usage(path, PLANNER, "w/a.yaml", NOW + timedelta(minutes=2), cache)
    assert (later.minute_calls, later.retry_after_seconds) == (0, 0.0)
    assert ledger.usage(path, "other", "w/a.yaml", NOW, cache).wish_calls == 1
    assert ledger.usage(tmp_path / "none.jsonl", PLANNER, "w/a.yaml", NOW, cache) == ledger.Usage(
        0, 0, 0, 0.0
    )


def test_the_utc_day_turns_at_midnight_utc_whatever_the_writers_zone(tmp_path: Path) -> None:
    path = tmp_path / "wishes.jsonl"
    paris = datetime(2026, 3, 15, 0, 30, tzinfo=UTC).astimezone(
        __import__("datetime").timezone(timedelta(hours=1))
    )
    append(path, entry(), now=paris)  # 00:30 UTC on the 15th, 01:30 in Paris
    cache = SummaryCache()
    assert (
        ledger.usage(
            path, PLANNER, "data/wishes/a.yaml", datetime(2026, 3, 15, 23, 0, tzinfo=UTC), cache
        ).day_calls
        == 1
    )
    assert (
        ledger.usage(
            path, PLANNER, "data/wishes/a.yaml", datetime(2026, 3, 14, 23, 59, tzinfo=UTC), cache
        ).day_calls
        == 0
    )


# -- the counts cache -------------------------------------------------------------------------


def _fresh_counts(path: Path) -> tuple[Any, ...]:
    summary = ledger.summarize(path, SummaryCache())
    return summary.entries, summary.wish_calls, summary.day_calls, summary.last_hash


def _cached_counts(cache: SummaryCache, path: Path) -> tuple[Any, ...]:
    summary = cache.summary(path)
    return summary.entries, summary.wish_calls, summary.day_calls, summary.last_hash


def test_an_unchanged_file_is_answered_from_the_cache(tmp_path: Path) -> None:
    path = tmp_path / "wishes.jsonl"
    write_entries(path, 3)
    cache = SummaryCache()
    assert cache.summary(path) is cache.summary(path)


def test_appends_after_caching_are_read_from_the_tail_only(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "wishes.jsonl"
    write_entries(path, 3)
    cache = SummaryCache()
    first = cache.summary(path)
    write_entries(path, 2, wish="w/b.yaml")
    with path.open("ab") as handle:
        handle.write(b'{"torn')
    fed = _feed_offsets(monkeypatch)
    second = cache.summary(path)
    assert fed == [first.offset]  # only the appended bytes were read
    assert _cached_counts(cache, path) == _fresh_counts(path)
    assert second.entries == 5 and second.tail_bytes == len(b'{"torn')
    assert first.entries == 3  # a summary handed out earlier never changes


def test_a_replaced_file_is_read_again(tmp_path: Path) -> None:
    path = tmp_path / "wishes.jsonl"
    write_entries(path, 4)
    cache = SummaryCache()
    cache.summary(path)
    other = tmp_path / "other.jsonl"
    write_entries(other, 6, wish="w/other.yaml")
    os.replace(other, path)
    assert _cached_counts(cache, path) == _fresh_counts(path)
    assert cache.summary(path).wish_calls == {(PLANNER, "w/other.yaml"): 6}


def test_a_truncated_file_is_read_again(tmp_path: Path) -> None:
    path = tmp_path / "wishes.jsonl"
    write_entries(path, 4)
    cache = SummaryCache()
    cache.summary(path)
    keep = b"\n".join(lines_of(path)[:2]) + b"\n"
    with path.open("r+b") as handle:
        handle.truncate(len(keep))
    assert cache.summary(path).entries == 2
    assert _cached_counts(cache, path) == _fresh_counts(path)


def test_a_file_rewritten_in_place_and_grown_is_read_again(tmp_path: Path) -> None:
    path = tmp_path / "wishes.jsonl"
    write_entries(path, 2)
    cache = SummaryCache()
    cache.summary(path)
    lines = lines_of(path)
    obj = json.loads(lines[1])
    obj["wish"] = "w/renamed.yaml"
    obj["hash"] = entry_hash(obj)
    with path.open("r+b") as handle:  # same inode, larger, the cached last line changed
        handle.write(lines[0] + b"\n" + canonical_json(obj).encode() + b"\n" + lines[1] + b"\n")
    summary = cache.summary(path)
    assert summary.entries == 3
    assert summary.wish_calls[(PLANNER, "w/renamed.yaml")] == 1
    assert _cached_counts(cache, path) == _fresh_counts(path)


def test_a_deleted_file_counts_nothing(tmp_path: Path) -> None:
    path = tmp_path / "wishes.jsonl"
    write_entries(path, 2)
    cache = SummaryCache()
    cache.summary(path)
    path.unlink()
    assert cache.summary(path).entries == 0
    write_entries(path, 1)
    assert cache.summary(path).entries == 1


def _feed_offsets(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Record where each read of the ledger starts."""
    fed: list[int] = []
    original = ledger.LedgerSummary.feed_file

    def spy(self: ledger.LedgerSummary, fd: int, start: int, end: int) -> None:
        fed.append(start)
        original(self, fd, start, end)

    monkeypatch.setattr(ledger.LedgerSummary, "feed_file", spy)
    return fed


@pytest.mark.skipif(sys.platform != "linux", reason="XDG folders are Linux's")
def test_the_stored_summaries_live_in_the_users_cache_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert ledger.default_store() == tmp_path / "xdg" / "wishcraft" / "ledger"


def test_a_new_process_starts_from_the_stored_summary(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(ledger.cache, "STORE_EVERY_BYTES", 2_000)
    store = tmp_path / "cache"
    path = tmp_path / "wishes.jsonl"
    write_entries(path, 6)
    first = SummaryCache(store).summary(path)  # over 2,000 bytes read: stored
    assert len(list(store.iterdir())) == 1
    write_entries(path, 2, wish="w/b.yaml")
    fed = _feed_offsets(monkeypatch)
    second = SummaryCache(store).summary(path)  # "another process"
    assert fed == [first.offset]
    assert (second.entries, second.wish_calls) == _fresh_counts(path)[:2]


@pytest.mark.parametrize("damage", ["garbage", "other-ledger", "file-replaced", "rewritten"])
def test_a_stale_or_broken_stored_summary_is_ignored(
    tmp_path: Path, damage: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(ledger.cache, "STORE_EVERY_BYTES", 2_000)
    store = tmp_path / "cache"
    path = tmp_path / "wishes.jsonl"
    write_entries(path, 6)
    SummaryCache(store).summary(path)
    (stored,) = store.iterdir()
    if damage == "garbage":
        stored.write_text('{"format": 1, "ledger": 3')
    elif damage == "other-ledger":
        stored.write_text(stored.read_text().replace(str(path.resolve()), "/else/l.jsonl"))
    elif damage == "file-replaced":
        other = tmp_path / "other.jsonl"
        write_entries(other, 7, wish="w/new.yaml")
        os.replace(other, path)
    else:  # same inode, the counted lines changed under the same size
        path.write_bytes(path.read_bytes().replace(b"data/wishes/a.yaml", b"data/wishes/z.yaml"))
    fed = _feed_offsets(monkeypatch)
    summary = SummaryCache(store).summary(path)
    assert fed == [0]
    assert (summary.entries, summary.wish_calls) == _fresh_counts(path)[:2]


def test_only_the_last_hour_of_times_is_kept(tmp_path: Path) -> None:
    path = tmp_path / "wishes.jsonl"
    for minutes in (0, 30, 90, 100):
        append(path, entry(), now=NOW + timedelta(minutes=minutes))
    summary = SummaryCache().summary(path)
    assert len(summary.times[PLANNER]) == 2
    assert (
        summary.usage(
            PLANNER, "data/wishes/a.yaml", NOW + timedelta(minutes=100, seconds=30)
        ).minute_calls
        == 1
    )


# -- finding the ledger --------------------------------------------------------------------


def _layout(root: Path, files: dict[str, str]) -> None:
    for relative, text in files.items():
        target = root / relative
        if relative.endswith("/"):
            target.mkdir(parents=True, exist_ok=True)
        else:
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(text)


FINDING = [
    (
        "registry-folder",
        {"data/conduits/registry.yaml": "[]"},
        "data/wishes/a.yaml",
        "data/ledger/wishes.jsonl",
        "",
        "found upward",
    ),
    (
        "wishes-folder",
        {"data/wishes/inbox/": ""},
        "data/wishes/inbox/W.yaml",
        "data/ledger/wishes.jsonl",
        "",
        "found upward",
    ),
    (
        "existing-ledger-nearest",
        {"data/conduits/registry.yaml": "[]", "sub/data/ledger/wishes.jsonl": ""},
        "sub/w.yaml",
        "sub/data/ledger/wishes.jsonl",
        "sub",
        "found upward",
    ),
    (
        "configured-relative",
        {"data/config/wishcraft.toml": '[ledger]\npath = "audit/l.jsonl"\n'},
        "data/wishes/a.yaml",
        "audit/l.jsonl",
        "",
        "wishcraft.toml",
    ),
    (
        "config-without-ledger-table",
        {"data/config/wishcraft.toml": "[lint]\n"},
        "data/wishes/a.yaml",
        "data/ledger/wishes.jsonl",
        "",
        "found upward",
    ),
    (
        "git-root",
        {".git/": "", "deep/er/": ""},
        "deep/er/w.yaml",
        "data/ledger/wishes.jsonl",
        "",
        "git repository",
    ),
    (
        "lone-wish",
        {"lone/": ""},
        "lone/w.yaml",
        "lone/data/ledger/wishes.jsonl",
        "lone",
        "beside the wish",
    ),
]


@pytest.mark.parametrize(
    ("files", "wish", "expected", "root", "source"),
    [case[1:] for case in FINDING],
    ids=[case[0] for case in FINDING],
)
def test_find_ledger(
    tmp_path: Path, files: dict[str, str], wish: str, expected: str, root: str, source: str
) -> None:
    _layout(tmp_path, files)
    (tmp_path / wish).parent.mkdir(parents=True, exist_ok=True)
    (tmp_path / wish).write_text("title: x\n")
    found = find_ledger(tmp_path / wish)
    assert found.path == tmp_path / expected
    assert found.root == (tmp_path / root if root else tmp_path)
    assert source in found.source
    assert found.wish_key(tmp_path / wish) == Path(wish).relative_to(root or ".").as_posix()


def test_an_explicit_config_sets_the_path_inside_its_folder(tmp_path: Path) -> None:
    config = tmp_path / "elsewhere.toml"
    config.write_text('[ledger]\npath = "audit/l.jsonl"\n')
    found = find_ledger(tmp_path / "w.yaml", config)
    assert (found.path, found.root) == (tmp_path / "audit" / "l.jsonl", tmp_path)


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("[ledger]\npath = 3\n", "[ledger] path must be a non-empty string"),
        ('[ledger]\npath = " "\n', "[ledger] path must be a non-empty string"),
        ("ledger = 1\n", "[ledger] must be a table"),
        ("[ledger\n", "cannot read the configuration"),
    ],
    ids=["number", "blank", "not-a-table", "bad-toml"],
)
def test_a_bad_ledger_setting_names_the_file(tmp_path: Path, text: str, words: str) -> None:
    config = tmp_path / "data" / "config" / "wishcraft.toml"
    config.parent.mkdir(parents=True)
    config.write_text(text)
    with pytest.raises(LedgerError) as caught:
        find_ledger(tmp_path / "w.yaml")
    assert str(caught.value).startswith(str(config)) and words in str(caught.value)


def test_a_wish_outside_the_root_is_recorded_by_its_absolute_path(tmp_path: Path) -> None:
    location = ledger.LedgerLocation(tmp_path / "a" / "l.jsonl", tmp_path / "a", "test")
    assert location.wish_key(tmp_path / "b" / "w.yaml") == (tmp_path / "b" / "w.yaml").as_posix()
