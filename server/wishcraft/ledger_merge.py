"""Join two ledgers that share a prefix: what git's merge driver for the ledger runs.

Two branches that both used Wishcraft each appended lines to `data/ledger/wishes.jsonl`; git's
line merge sees both sides add at the end and conflicts. The rule here joins them so that the
result verifies, no entry is lost or duplicated, and the same two files give the same bytes
whichever is "ours":

1. The **common prefix** (the longest run of identical lines at the start) stays as it is.
2. When one side holds the whole of the other (a fast-forward), the result is the longer side,
   byte for byte: nothing is re-chained.
3. Otherwise one side's new entries stay as they are and the other side's follow them: the side
   whose first new entry comes first (by `timestamp`, then identity; the same choice on every
   machine, whichever side is "ours") keeps its lines byte for byte, and every entry of the
   other side that it does not hold already (by **identity**: an entry's original hash,
   `orig_hash` when it was re-chained before, else its `hash`) is **re-chained** after them, in
   its branch's order: it gets a new `prev` and `hash`, and keeps where it was first written as
   `orig_prev` and `orig_hash`. `verify` checks those too: an entry's content with its
   `orig_prev` must hash to its `orig_hash`, so a moved entry is provably the line its branch
   wrote. Only one side is rewritten, so a merge costs one JSON read and write per entry of
   that side.

A side that is not a clean ledger (a torn line, a line that is not an entry, conflict markers)
is refused: git then reports a conflict and leaves the file for `wishcraft ledger merge --fix`.
`fix` resolves a file git has already marked: for each conflict block it joins the prefix plus
ours with the prefix plus theirs, by the same rule.

Counting: the gates count the lines of the file, so after a merge each call of either branch is
counted once (the union), as the limits need.
"""

from __future__ import annotations

import functools
import hashlib
import json
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from wishcraft.ledger import GENESIS, canonical_json, identity, is_conflict_marker


class MergeRefused(ValueError):
    """The two ledgers cannot be joined; the message says why, in one sentence."""


@dataclass(frozen=True, slots=True)
class Joined:
    """The joined ledger's bytes, and how it was made (for the message)."""

    data: bytes
    prefix: int
    """Lines both sides shared at the start."""
    added: int
    """Entries after the prefix in the result (each side's, once)."""
    rechained: bool
    moved: int = 0
    """How many of `added` were re-chained (the other side's new entries)."""


def lines_of(data: bytes) -> list[bytes]:
    """The non-empty lines of a ledger file, without their newlines."""
    return [line for line in data.split(b"\n") if line.strip()]


def _parse(line: bytes, side: str, number: int) -> dict[str, Any]:
    """One tail line as an entry. Its hash is not recomputed here: the join keeps the stated
    hash as the entry's `orig_hash`, so an edited line still fails `verify` after the merge
    (its content no longer hashes to it), and the merge stays one JSON read and one write an
    entry."""
    if is_conflict_marker(line):
        raise MergeRefused(
            f"{side} holds git's conflict markers (line {number}); resolve it with "
            "`wishcraft ledger merge --fix FILE`."
        )
    try:
        entry = json.loads(line)
    except (UnicodeDecodeError, ValueError):
        entry = None
    if not isinstance(entry, dict) or not isinstance(entry.get("hash"), str):
        raise MergeRefused(
            f"{side} line {number} is not a ledger entry; run `wishcraft ledger verify` on it."
        )
    return entry


def _common_prefix(ours: Sequence[bytes], theirs: Sequence[bytes]) -> int:
    count = 0
    for mine, other in zip(ours, theirs, strict=False):
        if mine != other:
            break
        count += 1
    return count


_HASH = re.compile(rb'"hash":"([0-9a-f]{64})"')
_ORIG_HASH = re.compile(rb'"orig_hash":"([0-9a-f]{64})"')
_TIMESTAMP = re.compile(rb'"timestamp":"([^"\\]*)"')


def _kept_identity(line: bytes, side: str, number: int) -> str:
    """The identity of a line kept as it is, read without parsing it (a line without a hash
    is parsed, and refused when it is not an entry)."""
    if is_conflict_marker(line):
        raise MergeRefused(
            f"{side} holds git's conflict markers (line {number}); resolve it with "
            "`wishcraft ledger merge --fix FILE`."
        )
    found = _ORIG_HASH.search(line) or _HASH.search(line)
    if found is None:
        return identity(_parse(line, side, number))
    return found.group(1).decode("ascii")


def _first_key(lines: Sequence[bytes]) -> tuple[bytes, str]:
    """(timestamp, identity) of a side's first new line: which side is kept."""
    line = lines[0]
    stamp = _TIMESTAMP.search(line)
    found = _ORIG_HASH.search(line) or _HASH.search(line)
    return (stamp.group(1) if stamp else b"", found.group(1).decode() if found else "")


def join(ours: bytes, theirs: bytes) -> Joined:
    """Join two ledgers by the rule above. Raises `MergeRefused`."""
    mine, other = lines_of(ours), lines_of(theirs)
    prefix = _common_prefix(mine, other)
    if prefix == len(mine) or prefix == len(other):
        for side, lines in (("ours", mine), ("theirs", other)):
            for number, line in enumerate(lines[prefix:], start=prefix + 1):
                _kept_identity(line, side, number)  # every tail line must be an entry
        longer = other if prefix == len(mine) else mine
        return Joined(_text(longer), prefix, len(longer) - prefix, False)
    sides = [("ours", mine[prefix:]), ("theirs", other[prefix:])]
    sides.sort(key=lambda side: _first_key(side[1]))
    (kept_side, kept), (moved_side, moved) = sides
    held = {
        _kept_identity(line, kept_side, number)
        for number, line in enumerate(kept, start=prefix + 1)
    }
    previous = _last_hash([*mine[:prefix], *kept])
    tail: list[bytes] = []
    for number, line in enumerate(moved, start=prefix + 1):
        entry = _parse(line, moved_side, number)
        key = identity(entry)
        if key in held:
            continue
        held.add(key)
        body = dict(entry)
        body.pop("hash", None)
        body["orig_prev"] = entry.get("orig_prev", entry.get("prev"))
        body["orig_hash"] = key
        body["prev"] = previous
        chained, previous = _chained_line(body)
        tail.append(chained)
    added = len(kept) + len(tail)
    return Joined(_text([*mine[:prefix], *kept, *tail]), prefix, added, bool(tail), len(tail))


@functools.lru_cache(maxsize=64)
def _key_after_hash(keys: tuple[str, ...]) -> str | None:
    """The first key that sorts after `hash` (entries share a handful of key sets)."""
    return next((key for key in sorted(keys) if key > "hash"), None)


def _chained_line(body: dict[str, Any]) -> tuple[bytes, str]:
    """The canonical line of `body` with its `hash` set, and that hash: `entry_hash` and
    `canonical_json` in one serialisation (the hash goes in at its sorted place; a key's
    `,"name":` cannot occur inside a value, where JSON escapes the quotes)."""
    text = canonical_json(body)
    digest = hashlib.sha256(text.encode("utf-8")).hexdigest()
    after = _key_after_hash(tuple(body))
    if after is None:
        line = f'{text[:-1]},"hash":"{digest}"}}' if body else f'{{"hash":"{digest}"}}'
    elif all(key > "hash" for key in body):
        line = f'{{"hash":"{digest}",{text[1:]}'
    else:
        cut = text.index(f',"{after}":')
        line = f'{text[:cut]},"hash":"{digest}"{text[cut:]}'
    return line.encode("utf-8"), digest


def _last_hash(lines: Sequence[bytes]) -> str:
    if not lines:
        return GENESIS
    last = json.loads(lines[-1])
    return str(last["hash"]) if isinstance(last, dict) else GENESIS


def _text(lines: Iterable[bytes]) -> bytes:
    joined = b"\n".join(lines)
    return joined + b"\n" if joined else b""


def has_markers(data: bytes) -> bool:
    """Whether a ledger file holds git's conflict markers."""
    return any(is_conflict_marker(line) for line in data.split(b"\n"))


def fix(data: bytes) -> Joined:
    """Resolve a ledger git has marked: each conflict block's two sides, joined by the rule.

    The lines outside the blocks are common to both sides; a diff3 base section (`|||||||`)
    is dropped, since the join needs only the two sides. Raises `MergeRefused` when the
    markers do not pair up."""
    ours: list[bytes] = []
    theirs: list[bytes] = []
    state = "both"
    for number, line in enumerate(data.split(b"\n"), start=1):
        stripped = line.rstrip(b"\r")
        if stripped.startswith(b"<<<<<<< ") or stripped == b"<<<<<<<":
            if state != "both":
                raise MergeRefused(f"Nested conflict markers at line {number}; fix it by hand.")
            state = "ours"
        elif stripped.startswith(b"||||||| ") or stripped == b"|||||||":
            if state != "ours":
                raise MergeRefused(f"A stray `|||||||` at line {number}; fix it by hand.")
            state = "base"
        elif stripped == b"=======":
            if state not in ("ours", "base"):
                raise MergeRefused(f"A stray `=======` at line {number}; fix it by hand.")
            state = "theirs"
        elif stripped.startswith(b">>>>>>> ") or stripped == b">>>>>>>":
            if state != "theirs":
                raise MergeRefused(f"A stray `>>>>>>>` at line {number}; fix it by hand.")
            state = "both"
        elif state == "both":
            ours.append(line)
            theirs.append(line)
        elif state == "ours":
            ours.append(line)
        elif state == "theirs":
            theirs.append(line)
    if state != "both":
        raise MergeRefused("A conflict block is not closed (no `>>>>>>>`); fix it by hand.")
    return join(b"\n".join(ours), b"\n".join(theirs))
