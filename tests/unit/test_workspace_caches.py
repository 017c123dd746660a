"""What the workspace features keep between requests, and that it never answers for a file as
it was: the client ranges made once per read of a file (`RangeCache`), the uses of an id by
folder (`uses_of`), and the index set aside from the garbage collector (`lsp/heap.py`)."""

from __future__ import annotations

import asyncio
import gc
from collections.abc import Iterator
from pathlib import Path

import pytest
from lsprotocol import types

from testkit.big_workspace import WIDE_ID, build_workspace, wish_path
from wishcraft.kinds import DocumentKind, classify
from wishcraft.lsp import heap
from wishcraft.lsp.conduit_ids import Target, uses_of
from wishcraft.lsp.features.references import RangeCache
from wishcraft.lsp.heap import settle
from wishcraft.lsp.index import IndexedFile, WorkspaceIndex, read_entry

WISH = DocumentKind.WISH
UTF16 = types.PositionEncodingKind.Utf16
UTF8 = types.PositionEncodingKind.Utf8


def _classify(path: Path) -> DocumentKind | None:
    return classify(path)


def test_a_files_locations_are_made_once_per_read_of_it() -> None:
    path = Path("/w/data/wishes/a.wish.yaml")
    first = read_entry(path, WISH, "tools: [x.y, z]\n")
    cache = RangeCache()
    made = [cache.location(first, at, "file:///a", UTF16) for at in range(2)]
    again = [cache.location(first, at, "file:///a", UTF16) for at in range(2)]
    assert all(one is other for one, other in zip(made, again, strict=True))
    assert [location.range.start.character for location in made] == [8, 13]
    # The file read again (changed): its new places, not the cached ones.
    moved = read_entry(path, WISH, "# one more line\ntools: [x.y, z]\n")
    now = [cache.location(moved, at, "file:///a", UTF16) for at in range(2)]
    assert [(loc.range.start.line, loc.range.start.character) for loc in now] == [(1, 8), (1, 13)]
    # Another uri for the same read (the client's spelling of an open document) is used.
    assert cache.location(moved, 0, "file:///A", UTF16).uri == "file:///A"


def test_a_files_ranges_follow_the_position_encoding() -> None:
    entry = read_entry(Path("/w/b.wish.yaml"), WISH, f'tools: ["{WIDE_ID}", x.y]\n')
    cache = RangeCache()
    utf16 = cache.location(entry, 1, "file:///b", UTF16).range.start.character
    utf8 = cache.location(entry, 1, "file:///b", UTF8).range.start.character
    # 🌊 is two UTF-16 units and four UTF-8 bytes.
    assert (utf16, utf8) == (len('tools: ["') + 2 + len('.tide", '), len('tools: ["') + 4 + 8)


def test_uses_keep_to_the_folders_that_use_the_targets_registry() -> None:
    registry = Path("/w/a/conduits/registry.yaml")
    files = [
        read_entry(Path(f"/w/{folder}/{name}.wish.yaml"), WISH, "tools: [x.y, q, x.y]\n")
        for folder in ("b", "a", "c")
        for name in ("2", "1")
    ]
    target = Target("x.y", registry, files[0].ids[0], False)
    uses = uses_of(target, files, lambda path: registry if path.parent.name != "c" else None)
    assert [(use.path.as_posix(), use.at) for use in uses] == [
        ("/w/a/1.wish.yaml", 0),
        ("/w/a/1.wish.yaml", 2),
        ("/w/a/2.wish.yaml", 0),
        ("/w/a/2.wish.yaml", 2),
        ("/w/b/1.wish.yaml", 0),
        ("/w/b/1.wish.yaml", 2),
        ("/w/b/2.wish.yaml", 0),
        ("/w/b/2.wish.yaml", 2),
    ]
    assert all(use.place is files_by(files, use.path).ids[use.at] for use in uses)


def files_by(files: list[IndexedFile], path: Path) -> IndexedFile:
    """The entry of `path` among `files`."""
    return next(entry for entry in files if entry.path == path)


@pytest.fixture
def unfrozen() -> Iterator[None]:
    """Undo `settle`'s freeze after the test, so the rest of the run collects as usual."""
    yield
    gc.unfreeze()


@pytest.mark.usefixtures("unfrozen")
def test_a_settled_index_is_out_of_the_collectors_walk(tmp_path: Path) -> None:
    root = build_workspace(tmp_path, 200)
    index = WorkspaceIndex()
    list(index.build([root], _classify))
    assert sum(isinstance(o, IndexedFile) for o in gc.get_objects()) == 200 + 1
    settle("a test's index was built")
    # A full collection walks what gc.get_objects() lists: none of the index is left in it,
    # and reference counting still frees a file that is read again.
    assert not any(isinstance(o, IndexedFile) for o in gc.get_objects())
    changed = root / wish_path(3)
    changed.write_text(changed.read_text().replace("micro", "minor"))
    index.update(changed, _classify)
    assert sum(isinstance(o, IndexedFile) for o in gc.get_objects()) == 1


@pytest.mark.asyncio
async def test_settling_during_a_request_waits_until_it_is_answered(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    done: list[str] = []
    ran = asyncio.Event()

    def recorded(why: str) -> None:
        done.append(why)
        ran.set()

    monkeypatch.setattr(heap, "settle", recorded)
    heap.settle_soon("first")
    heap.settle_soon("second")  # one is already waiting: enough
    assert done == []  # not inside the request that asked
    await asyncio.wait_for(ran.wait(), 5)
    assert done == ["first"]
