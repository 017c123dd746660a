"""The workspace index (`lsp/index.py`) and conduit ids across files (`lsp/conduit_ids.py`):
what is read from a file, which files are walked, and that a change re-reads one file."""

from __future__ import annotations

import shutil
import tracemalloc
from pathlib import Path

import pytest

from testkit.big_workspace import build_workspace, expected_users, wish_path
from wishcraft.findings import Position, Span
from wishcraft.kinds import DocumentKind, classify
from wishcraft.lsp.conduit_ids import rename_refusal_reason, target_at, uses_of
from wishcraft.lsp.index import IndexedFile, WorkspaceIndex, read_entry, walk
from wishcraft.lsp.symbol_search import match_score, search

WISH = DocumentKind.WISH
REGISTRY = DocumentKind.REGISTRY


def _classify(path: Path) -> DocumentKind | None:
    return classify(path)


def _text(entry_text: str, span: Span) -> str:
    line = entry_text.split("\n")[span.start.line]
    return line[span.start.column : span.end.column]


@pytest.mark.parametrize(
    ("tools", "ids"),
    [
        pytest.param('tools:\n  - "a.b"\n  - c.d\n', ["a.b", "c.d"], id="block-double-and-plain"),
        pytest.param("tools: ['a.b', c.d]\n", ["a.b", "c.d"], id="flow-single-and-plain"),
        pytest.param("tools: []\n", [], id="empty"),
        pytest.param("tools: [1, null, x]\n", ["x"], id="not-strings-skipped"),
        pytest.param("tools: a.b\n", [], id="not-a-list"),
    ],
)
def test_a_wish_gives_its_tool_ids_with_the_span_a_rename_replaces(
    tools: str, ids: list[str]
) -> None:
    text = 'title: "T"\nobjective: "Do 3 things within 2 days"\n' + tools
    entry = read_entry(Path("/w/x.wish.yaml"), WISH, text)
    assert [place.conduit_id for place in entry.ids] == ids
    for place in entry.ids:
        assert _text(text, place.inner) == place.conduit_id
        assert _text(text, place.span).strip("'\"") == place.conduit_id
    assert entry.title == "T"
    assert entry.words() == ["do", "3", "things", "within", "2", "days"]


def test_a_registry_gives_its_ids_and_labels_in_order() -> None:
    text = '- id: "a.b"\n  label: "A B"\n- id: c\n- label: no id\n- id: d\n  label: 5\n'
    entry = read_entry(Path("/r/conduits/registry.yaml"), REGISTRY, text)
    assert [(p.conduit_id, p.label) for p in entry.ids] == [
        ("a.b", "A B"),
        ("c", None),
        ("d", None),
    ]
    assert [_text(text, p.inner) for p in entry.ids] == ["a.b", "c", "d"]


def test_lines_that_are_not_ascii_are_kept_and_only_those() -> None:
    text = 'title: "🌊"\nobjective: "🌊"\ntools: ["🌊.tide", "a.b"]\n'
    entry = read_entry(Path("/w/x.wish.yaml"), WISH, text)
    assert entry.wide_lines == {0: 'title: "🌊"', 2: 'tools: ["🌊.tide", "a.b"]'}
    assert entry.ids[1].inner == Span(Position(2, 19), Position(2, 22))


def test_a_byte_order_mark_counts_as_a_character_as_in_the_editor() -> None:
    text = "\ufefftools: [a.b]\n"
    entry = read_entry(Path("/w/x.wish.yaml"), WISH, text)
    assert entry.ids[0].span == Span(Position(0, 9), Position(0, 12))  # the BOM is a character


@pytest.mark.parametrize(
    "text",
    ["tools: [a.b\n", "a: b: c\n", "&x [*x]\n", "- *nothing\n"],
    ids=["unclosed-flow", "bad-mapping", "recursive-alias", "undefined-alias"],
)
def test_unreadable_yaml_is_a_known_file_without_ids(text: str) -> None:
    entry = read_entry(Path("/w/x.wish.yaml"), WISH, text)
    assert entry.ids == ()
    assert entry.readable is False or entry.ids == ()


def test_the_walk_skips_hidden_folders_node_modules_and_files_not_ours(tmp_path: Path) -> None:
    for relative in (
        "wishes/a.yaml",
        "b.wish.yaml",
        "notes.yaml",
        ".git/wishes/c.yaml",
        "node_modules/d.wish.yaml",
        "data/conduits/registry.yaml",
        "x/.hidden/e.wish.yaml",
    ):
        (tmp_path / relative).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / relative).write_text("title: x\n")
    found = sorted(
        (path.relative_to(tmp_path).as_posix(), kind)
        for path, kind in walk([tmp_path, tmp_path / "wishes"], _classify)
    )
    assert found == [
        ("b.wish.yaml", WISH),
        ("data/conduits/registry.yaml", REGISTRY),
        ("wishes/a.yaml", WISH),
    ]


@pytest.fixture(scope="module")
def workspace(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_workspace(tmp_path_factory.mktemp("index"), 300)


def _built(root: Path) -> WorkspaceIndex:
    index = WorkspaceIndex()
    steps = list(index.build([root], _classify, chunk=50))
    assert steps[-1] == 301 and index.ready
    return index


def test_a_change_rereads_that_file_and_no_other(workspace: Path, tmp_path: Path) -> None:
    root = tmp_path / "ws"
    shutil.copytree(workspace, root)
    index = _built(root)
    before = dict(index.files)
    changed = root / wish_path(4)
    changed.write_text(changed.read_text().replace("Repair", "Mend"))
    classified: list[Path] = []

    def counting(path: Path) -> DocumentKind | None:
        classified.append(path)
        return classify(path)

    assert index.update(changed, counting)
    assert classified == [changed]
    assert index.files[changed].title == "Mend the archive number 4"
    same = [path for path in before if index.files[path] is before[path]]
    assert len(same) == len(before) - 1
    assert not index.update(root / wish_path(5), counting), "an unchanged file is not re-read"


def test_deleting_a_file_or_a_folder_drops_what_was_below(workspace: Path, tmp_path: Path) -> None:
    root = tmp_path / "ws"
    shutil.copytree(workspace, root)
    index = _built(root)
    (root / wish_path(1)).unlink()
    assert index.update(root / wish_path(1), _classify)
    assert root / wish_path(1) not in index.files
    folder = root / "data/wishes/area-02"
    shutil.rmtree(folder)
    assert index.update(folder, _classify)
    assert not [path for path in index.files if folder in path.parents]
    assert index.count() == 301 - 1 - 15


def test_a_folder_created_with_wishes_in_it_is_walked(tmp_path: Path) -> None:
    index = WorkspaceIndex()
    list(index.build([tmp_path], _classify))
    folder = tmp_path / "wishes" / "new"
    folder.mkdir(parents=True)
    (folder / "a.yaml").write_text("tools: [x]\n")
    assert index.update(folder, _classify)
    assert [place.conduit_id for place in index.files[folder / "a.yaml"].ids] == ["x"]


def test_an_update_during_a_build_is_kept(workspace: Path, tmp_path: Path) -> None:
    root = tmp_path / "ws"
    shutil.copytree(workspace, root)
    index = WorkspaceIndex()
    steps = index.build([root], _classify, chunk=10)
    next(steps)
    added = root / "data/wishes/late.wish.yaml"
    added.write_text("tools: [late.id]\n")
    index.update(added, _classify)
    list(steps)
    assert added in index.files and index.count() == 302


def test_uses_of_an_id_follow_the_registry_each_wish_uses(workspace: Path) -> None:
    index = _built(workspace)
    registry = workspace / "data/conduits/registry.yaml"
    entry = index.files[registry]
    place = next(p for p in entry.ids if p.conduit_id == "cartographer.survey")
    target = target_at(entry, place.span.start, lambda path: registry)
    assert target is not None and target.in_registry
    uses = uses_of(target, index.files.values(), lambda path: registry)
    assert [use.path for use in uses if use.definition] == [registry]
    wishes = [use.path.relative_to(workspace).as_posix() for use in uses if not use.definition]
    assert wishes == expected_users(300, "cartographer.survey")
    # Wishes checked against another registry do not share the id.
    other = uses_of(target, index.files.values(), lambda path: workspace / "other.yaml")
    assert [use.path for use in other] == [registry]


def test_the_cursor_off_an_id_is_no_target() -> None:
    entry = read_entry(Path("/w/x.wish.yaml"), WISH, 'title: "a.b"\ntools: [a.b]\n')
    assert target_at(entry, Position(0, 9), lambda path: None) is None
    found = target_at(entry, Position(1, 11), lambda path: None)  # the id's end counts
    assert found is not None and found.conduit_id == "a.b" and not found.in_registry


@pytest.mark.parametrize(
    ("registry", "new_id", "refused"),
    [
        pytest.param(Path("/r.yaml"), "x.y-z/1_2", None, id="valid"),
        pytest.param(Path("/r.yaml"), "a.b", None, id="same-id"),
        pytest.param(Path("/r.yaml"), "has space", "not a valid conduit id", id="space"),
        pytest.param(Path("/r.yaml"), '"quoted"', "not a valid conduit id", id="quote"),
        pytest.param(Path("/r.yaml"), "", "not a valid conduit id", id="empty"),
        pytest.param(Path("/r.yaml"), ".dot", "not a valid conduit id", id="leading-dot"),
        pytest.param(Path("/r.yaml"), "taken", "already a conduit", id="taken"),
        pytest.param(None, "x", "bundled registry", id="bundled"),
    ],
)
def test_rename_refusals(registry: Path | None, new_id: str, refused: str | None) -> None:
    entry = read_entry(Path("/w/x.wish.yaml"), WISH, "tools: [a.b]\n")
    target = target_at(entry, Position(0, 9), lambda path: registry)
    reason = rename_refusal_reason(target, new_id, {"taken", "a.b"})
    assert (reason is None) if refused is None else (reason is not None and refused in reason)
    assert "Only a conduit id" in (rename_refusal_reason(None, "x", set()) or "")


def test_an_indexed_wish_costs_a_few_kilobytes(workspace: Path) -> None:
    """What is kept per wish is a few strings and spans, not the tree (about 2 KB a wish)."""
    tracemalloc.start()
    try:
        before = tracemalloc.get_traced_memory()[0]
        index = _built(workspace)
        held = tracemalloc.get_traced_memory()[0] - before
    finally:
        tracemalloc.stop()
    assert index.count() == 301
    assert held / index.count() < 4_000, f"{held / index.count():.0f} bytes a file"


def test_a_unicode_line_separator_does_not_shift_the_lines_after_it() -> None:
    """libyaml breaks lines at U+2028; LSP does not, so the id stays on LSP's line 1."""
    text = 'title: "a\u2028b"\ntools: [x.y]\n'
    entry = read_entry(Path("/w/x.wish.yaml"), WISH, text)
    assert entry.ids[0].span == Span(Position(1, 8), Position(1, 11))


def _wish(name: str, title: str, objective: str) -> IndexedFile:
    return read_entry(
        Path(f"/w/{name}"), WISH, f'title: "{title}"\nobjective: "{objective}"\ntools: []\n'
    )


@pytest.mark.parametrize(
    ("query", "first"),
    [
        pytest.param("lighthouse", "Relight the lighthouse", id="word-in-title"),
        pytest.param("rel light", "Relight the lighthouse", id="two-words"),
        pytest.param("rlgt", "Relight the lighthouse", id="fuzzy-letters-in-order"),
        pytest.param("granary", "Fill the granary", id="title-beats-objective"),
        pytest.param("orchard.wish", "Plant trees", id="file-name"),
        pytest.param("beacons", "Relight the lighthouse", id="objective-word"),
        pytest.param("cartographer", "cartographer.survey", id="conduit-id"),
        pytest.param("survey", "cartographer.survey", id="conduit-id-word"),
        pytest.param("placement", "worldsmith.place", id="conduit-label"),
    ],
)
def test_workspace_symbols_rank_the_best_match_first(query: str, first: str) -> None:
    files = [
        _wish("a.wish.yaml", "Relight the lighthouse", "Place 3 beacons within 2 days"),
        _wish("b.wish.yaml", "Fill the granary", "Store 10 sacks within 3 days"),
        _wish("c.wish.yaml", "Feed the town", "Bring grain from the granary within 2 days"),
        _wish("orchard.wish.yaml", "Plant trees", "Plant 5 trees within 9 days"),
        read_entry(
            Path("/w/conduits/registry.yaml"),
            REGISTRY,
            '- id: worldsmith.place\n  label: "Worldsmithing Placement"\n'
            '- id: cartographer.survey\n  label: "Cartographer Survey"\n',
        ),
    ]
    found = search(query, files)
    assert found and found[0].name == first
    assert [item.score for item in found] == sorted((item.score for item in found), reverse=True)


def test_a_query_matching_nothing_finds_nothing_and_an_empty_one_lists_all() -> None:
    files = [_wish("a.wish.yaml", "Relight", "x"), _wish("b.wish.yaml", "Fill", "y")]
    assert search("zzz", files) == []
    assert {item.name for item in search("", files)} == {"Relight", "Fill"}
    assert match_score("ab", "xaxb") > match_score("ab", "xaxxxxxb") > 0


def test_an_update_outside_the_folders_or_in_a_skipped_one_is_not_indexed(
    tmp_path: Path,
) -> None:
    root = tmp_path / "ws"
    (root / "wishes").mkdir(parents=True)
    index = WorkspaceIndex()
    list(index.build([root], _classify))
    outside = tmp_path / "elsewhere" / "wishes" / "a.yaml"
    hidden = root / "node_modules" / "wishes" / "b.yaml"
    inside = root / "wishes" / "c.yaml"
    for path in (outside, hidden, inside):
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text("tools: [x]\n")
        index.update(path, _classify)
    assert sorted(index.files) == [inside]
