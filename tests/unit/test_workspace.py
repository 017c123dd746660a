"""The language server's `Workspace` without a server or pygls: every cache rule its docstring
lists, each shown to hold and able to fail (a rule dropped from the code fails its test here,
not only somewhere down a subprocess)."""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from testkit.samples import LIGHTHOUSE_TEXT
from wishcraft.kinds import DocumentKind
from wishcraft.lint.config import default_lint_config
from wishcraft.lsp.settings import Settings, read_settings
from wishcraft.lsp.workspace import MAX_CACHED_SNAPSHOTS, DocumentSnapshot, Workspace
from wishcraft.registry import bundled_registry_text

REGISTRY_TEXT = bundled_registry_text()
"""A real registry (the bundled one), written to disk as a repository's own."""
FIRST_ID = "openai.codex.v2025.plan"
"""The id of the bundled registry's first conduit, renamed to tell versions apart."""
TOML_PATH = Path("data/config/wishcraft.toml")
REGISTRY_PATH = Path("data/conduits/registry.yaml")


def settings(raw: dict[str, Any]) -> Settings:
    """Settings as a client would send them; a test with a bad value fails here."""
    result, problem = read_settings(raw)
    assert problem is None, problem
    return result


@dataclass
class Said:
    """Collects what the workspace says to the user."""

    messages: list[str] = field(default_factory=list)

    def __call__(self, message: str) -> None:
        self.messages.append(message)


def workspace(
    folders: list[Path], raw: dict[str, Any] | None = None, said: Said | None = None
) -> Workspace:
    """A workspace over `folders` with the given settings (the defaults when None)."""
    return Workspace(
        settings=settings(raw or {}),
        folders=lambda: list(folders),
        on_problem=said if said is not None else Said(),
    )


def write(path: Path, text: str) -> Path:
    """Write `text` to `path`, making its folders."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def bump_mtime(path: Path, seconds: float = 10.0) -> None:
    """Move the modification time on, as a save a moment later does (no sleeping)."""
    info = path.stat()
    os.utime(path, (info.st_atime, info.st_mtime + seconds))


def rewrite_keeping_mtime(path: Path, text: str) -> None:
    """Change a file's bytes but not its modification time: only a reread would see it."""
    info = path.stat()
    path.write_text(text, encoding="utf-8")
    os.utime(path, (info.st_atime, info.st_mtime))


def renamed_registry(new_id: str) -> str:
    """The registry text with its first conduit renamed."""
    assert FIRST_ID in REGISTRY_TEXT
    return REGISTRY_TEXT.replace(FIRST_ID, new_id, 1)


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    """A workspace folder with a wish and nothing else (no registry, no wishcraft.toml)."""
    write(tmp_path / "ws" / "wishes" / "a.wish.yaml", LIGHTHOUSE_TEXT)
    return tmp_path / "ws"


def wish_in(root: Path) -> Path:
    return root / "wishes" / "a.wish.yaml"


# The per-folder discovery cache ----------------------------------------------------------

FORGETTERS: dict[str, Callable[[Workspace, Path], object]] = {
    "opened": lambda ws, _root: ws.opened(),
    "files_changed": lambda ws, root: ws.files_changed([root / REGISTRY_PATH]),
    "use_settings-different": lambda ws, _root: ws.use_settings(
        settings({"diagnostics": {"debounceMs": 99}})
    ),
}


def test_discovery_is_remembered_per_folder(repo: Path) -> None:
    ws = workspace([repo])
    assert ws.registry_path_for(wish_in(repo)) is None
    write(repo / REGISTRY_PATH, REGISTRY_TEXT)
    write(repo / TOML_PATH, "[lint]\nplan_max_steps = 3\n")
    assert ws.registry_path_for(wish_in(repo)) is None, "the walk was not remembered"
    assert ws.lint_config_for(wish_in(repo)) is default_lint_config()


@pytest.mark.parametrize("forget", FORGETTERS.values(), ids=FORGETTERS.keys())
def test_discovery_is_forgotten(repo: Path, forget: Callable[[Workspace, Path], object]) -> None:
    ws = workspace([repo])
    assert ws.registry_path_for(wish_in(repo)) is None
    assert ws.lint_config_for(wish_in(repo)) is default_lint_config()
    write(repo / REGISTRY_PATH, REGISTRY_TEXT)
    write(repo / TOML_PATH, "[lint]\nplan_max_steps = 3\n")
    forget(ws, repo)
    assert ws.registry_path_for(wish_in(repo)) == repo / REGISTRY_PATH
    assert ws.lint_config_for(wish_in(repo)).plan_max_steps == 3


def test_unchanged_settings_keep_the_discovery(repo: Path) -> None:
    raw = {"diagnostics": {"debounceMs": 40}, "plan": {"folder": "plans"}}
    ws = workspace([repo], raw)
    assert ws.registry_path_for(wish_in(repo)) is None
    write(repo / REGISTRY_PATH, REGISTRY_TEXT)
    assert ws.use_settings(settings(raw)) is False, "equal settings were taken as a change"
    assert ws.registry_path_for(wish_in(repo)) is None
    assert ws.use_settings(settings({**raw, "plan": {"folder": "other"}})) is True
    assert ws.registry_path_for(wish_in(repo)) == repo / REGISTRY_PATH


def test_discovery_is_per_folder(repo: Path) -> None:
    """A registry found for one folder is not taken for another folder's wishes."""
    ws = workspace([repo])
    other = write(repo / "elsewhere" / "b.wish.yaml", LIGHTHOUSE_TEXT)
    assert ws.registry_path_for(other) is None
    write(repo / "wishes" / REGISTRY_PATH, REGISTRY_TEXT)
    assert ws.registry_path_for(wish_in(repo)) == repo / "wishes" / REGISTRY_PATH
    assert ws.registry_path_for(other) is None


# Registry files ---------------------------------------------------------------------------


def test_registry_file_is_read_once_per_mtime(repo: Path) -> None:
    registry_file = write(repo / REGISTRY_PATH, REGISTRY_TEXT)
    ws = workspace([repo])
    first = ws.registry_for(wish_in(repo))
    assert first.source == registry_file and FIRST_ID in first.conduits
    rewrite_keeping_mtime(registry_file, renamed_registry("renamed.plan"))
    assert ws.registry_for(wish_in(repo)) is first, "read again although the mtime is the same"
    bump_mtime(registry_file)
    again = ws.registry_for(wish_in(repo))
    assert again is not first
    assert "renamed.plan" in again.conduits and FIRST_ID not in again.conduits


def test_an_open_registry_wins_until_closed(repo: Path) -> None:
    registry_file = write(repo / REGISTRY_PATH, REGISTRY_TEXT)
    ws = workspace([repo])
    on_disk = ws.registry_for(wish_in(repo))
    uri = registry_file.as_uri()
    edited = ws.snapshot(uri, 4, registry_file, renamed_registry("unsaved.plan"))
    assert edited is not None and edited.kind is DocumentKind.REGISTRY
    assert ws.registry_for(wish_in(repo)) is on_disk, "analysed but not yet said to be edited"
    ws.registry_edited(edited)
    assert ws.registry_for(wish_in(repo)) is edited.registry
    assert "unsaved.plan" in ws.registry_for(wish_in(repo)).conduits
    assert ws.closed(uri, registry_file) is True
    assert ws.registry_for(wish_in(repo)) is on_disk
    assert ws.closed(uri, registry_file) is False, "closing twice is not a registry closing"


def test_closing_a_wish_is_not_closing_a_registry(repo: Path) -> None:
    ws = workspace([repo])
    uri = wish_in(repo).as_uri()
    assert ws.snapshot(uri, 1, wish_in(repo), LIGHTHOUSE_TEXT) is not None
    assert ws.closed(uri, wish_in(repo)) is False
    assert uri not in ws.cache


@pytest.mark.parametrize("where", ["absolute", "relative"])
def test_the_configured_registry_path_wins(tmp_path: Path, repo: Path, where: str) -> None:
    write(repo / REGISTRY_PATH, REGISTRY_TEXT)  # found upward, yet not used
    custom = write(repo / "custom" / "reg.yaml", renamed_registry("custom.plan"))
    second = tmp_path / "second"
    wish = write(second / "wishes" / "b.wish.yaml", LIGHTHOUSE_TEXT)
    other = write(second / "custom" / "reg.yaml", renamed_registry("second.plan"))
    path = str(custom) if where == "absolute" else "custom/reg.yaml"
    ws = workspace([repo, second], {"registry": {"path": path}})
    assert ws.registry_path_for(wish_in(repo)) == custom
    assert "custom.plan" in ws.registry_for(wish_in(repo)).conduits
    # An absolute path serves every folder; a relative one is taken in the wish's own folder.
    expected = custom if where == "absolute" else other
    assert ws.registry_path_for(wish) == expected
    assert ("custom.plan" if where == "absolute" else "second.plan") in ws.registry_for(
        wish
    ).conduits


def test_a_relative_registry_path_without_folders_is_beside_the_wish(repo: Path) -> None:
    ws = workspace([], {"registry": {"path": "reg.yaml"}})
    assert ws.registry_path_for(wish_in(repo)) == wish_in(repo).parent / "reg.yaml"


def test_no_registry_found_means_the_bundled_one(repo: Path) -> None:
    ws = workspace([repo])
    registry = ws.registry_for(wish_in(repo))
    assert registry.source is None and FIRST_ID in registry.conduits
    assert registry is ws.registries.bundled()
    assert ws.registry_for(wish_in(repo)) is registry


# wishcraft.toml and the lint setting ----------------------------------------------------


def test_toml_is_read_once_per_mtime(repo: Path) -> None:
    toml = write(repo / TOML_PATH, "[lint]\nplan_max_steps = 3\n")
    ws = workspace([repo])
    first = ws.lint_config_for(wish_in(repo))
    assert first.plan_max_steps == 3
    rewrite_keeping_mtime(toml, "[lint]\nplan_max_steps = 4\n")
    assert ws.lint_config_for(wish_in(repo)) is first, "read again although the mtime is the same"
    bump_mtime(toml)
    assert ws.lint_config_for(wish_in(repo)).plan_max_steps == 4


def test_a_broken_toml_is_said_once_and_the_defaults_apply(repo: Path) -> None:
    toml = write(repo / TOML_PATH, "[lint\nplan_max_steps = 3\n")
    said = Said()
    ws = workspace([repo], said=said)
    assert ws.lint_config_for(wish_in(repo)) is default_lint_config()
    assert ws.lint_config_for(wish_in(repo)) is default_lint_config()
    bump_mtime(toml)  # read again, still broken the same way: not said again
    assert ws.lint_config_for(wish_in(repo)) is default_lint_config()
    ws.files_changed([toml])
    assert ws.lint_config_for(wish_in(repo)) is default_lint_config()
    assert len(said.messages) == 1, said.messages
    # Named relative to the workspace folder, as every message of the server names files.
    assert said.messages[0].startswith(f"{TOML_PATH}: cannot read the configuration")
    assert str(repo) not in said.messages[0]
    assert said.messages[0].endswith("using the default rules and wish globs.")


def test_a_different_breakage_is_said_too(repo: Path) -> None:
    toml = write(repo / TOML_PATH, "[lint\n")
    said = Said()
    ws = workspace([repo], said=said)
    ws.lint_config_for(wish_in(repo))
    write(toml, "[lint]\nplan_max_steps = 0\n")
    bump_mtime(toml)
    ws.lint_config_for(wish_in(repo))
    assert len(said.messages) == 2 and said.messages[0] != said.messages[1]


def test_the_lint_setting_wins_over_the_toml(repo: Path) -> None:
    write(repo / TOML_PATH, "[lint]\nplan_max_steps = 3\n")
    ws = workspace([repo], {"lint": {"planMaxSteps": 5}})
    assert ws.lint_config_for(wish_in(repo)).plan_max_steps == 5
    assert ws.use_settings(settings({})) is True
    assert ws.lint_config_for(wish_in(repo)).plan_max_steps == 3


# Snapshots --------------------------------------------------------------------------------


@dataclass
class Doc:
    """One open wish in a workspace whose registry and toml are files on disk."""

    ws: Workspace
    uri: str
    path: Path
    registry_file: Path
    toml: Path

    def snap(self, version: int = 1, text: str = LIGHTHOUSE_TEXT) -> DocumentSnapshot:
        snapshot = self.ws.snapshot(self.uri, version, self.path, text)
        assert snapshot is not None
        return snapshot


@pytest.fixture
def doc(repo: Path) -> Doc:
    return Doc(
        workspace([repo]),
        wish_in(repo).as_uri(),
        wish_in(repo),
        write(repo / REGISTRY_PATH, REGISTRY_TEXT),
        write(repo / TOML_PATH, "[lint]\nplan_max_steps = 3\n"),
    )


def test_same_text_version_registry_and_rules_reuse_the_snapshot(doc: Doc) -> None:
    first = doc.snap()
    assert first.kind is DocumentKind.WISH and first.registry.source == doc.registry_file
    assert doc.snap() is first


def _new_text(doc: Doc) -> DocumentSnapshot:
    return doc.snap(text=LIGHTHOUSE_TEXT + "\n")


def _new_version(doc: Doc) -> DocumentSnapshot:
    return doc.snap(version=2)


def _new_registry(doc: Doc) -> DocumentSnapshot:
    bump_mtime(doc.registry_file)
    return doc.snap()


def _new_rules(doc: Doc) -> DocumentSnapshot:
    bump_mtime(doc.toml)
    return doc.snap()


INVALIDATORS = {
    "text": _new_text,
    "version": _new_version,
    "registry": _new_registry,
    "lint-config": _new_rules,
}


@pytest.mark.parametrize("change", INVALIDATORS.values(), ids=INVALIDATORS.keys())
def test_each_of_the_four_invalidates(doc: Doc, change: Callable[[Doc], DocumentSnapshot]) -> None:
    first = doc.snap()
    again = change(doc)
    assert again is not first
    assert doc.snap(again.version or 1, again.analysis.parsed.text) is again, (
        "the new snapshot is not reused in turn"
    )


def test_same_version_new_text_is_not_reused(doc: Doc) -> None:
    """A client reopening a document sends new text under an old version number."""
    first = doc.snap(version=7)
    second = doc.snap(version=7, text=LIGHTHOUSE_TEXT.replace("lighthouse", "beacon"))
    assert second is not first and second.analysis.parsed.text != first.analysis.parsed.text


def test_a_registry_snapshot_is_reused_and_rebuilt(doc: Doc) -> None:
    uri = doc.registry_file.as_uri()
    first = doc.ws.snapshot(uri, 1, doc.registry_file, REGISTRY_TEXT)
    assert first is not None and first.kind is DocumentKind.REGISTRY
    assert doc.ws.snapshot(uri, 1, doc.registry_file, REGISTRY_TEXT) is first
    assert doc.ws.snapshot(uri, 2, doc.registry_file, REGISTRY_TEXT) is not first


def test_files_changed_and_settings_drop_every_snapshot(doc: Doc) -> None:
    first = doc.snap()
    doc.ws.files_changed([])
    second = doc.snap()
    assert second is not first
    doc.ws.use_settings(settings({"diagnostics": {"debounceMs": 99}}))
    assert doc.snap() is not second


def _lru(repo: Path) -> tuple[Workspace, list[str]]:
    ws = workspace([repo])
    uris = [f"file:///w/{number}.wish.yaml" for number in range(MAX_CACHED_SNAPSHOTS + 1)]
    return ws, uris


def _open(ws: Workspace, uri: str) -> DocumentSnapshot:
    snapshot = ws.snapshot(uri, 1, Path("/w") / uri.rsplit("/", 1)[1], LIGHTHOUSE_TEXT)
    assert snapshot is not None
    return snapshot


def test_the_33rd_document_evicts_the_least_recently_used(repo: Path) -> None:
    assert MAX_CACHED_SNAPSHOTS == 32
    ws, uris = _lru(repo)
    kept = {uri: _open(ws, uri) for uri in uris[:32]}
    assert all(_open(ws, uri) is kept[uri] for uri in uris[:32])
    _open(ws, uris[32])
    assert list(ws.cache) == uris[1:], "not the least recently used one evicted"
    assert _open(ws, uris[0]) is not kept[uris[0]]
    assert uris[1] not in ws.cache


def test_a_read_moves_a_document_to_the_end(repo: Path) -> None:
    ws, uris = _lru(repo)
    kept = {uri: _open(ws, uri) for uri in uris[:32]}
    _open(ws, uris[0])  # read: now the most recently used
    _open(ws, uris[32])
    assert uris[0] in ws.cache and uris[1] not in ws.cache
    assert _open(ws, uris[0]) is kept[uris[0]]
    assert len(ws.cache) == 32


def test_a_file_not_ours_has_no_snapshot(repo: Path) -> None:
    ws = workspace([repo])
    other = write(repo / "notes.yaml", "a: 1\n")
    assert ws.snapshot(other.as_uri(), 1, other, "a: 1\n") is None
    assert ws.snapshot("untitled:1", 1, None, LIGHTHOUSE_TEXT) is None
    assert not ws.cache


# Which files, which folder ---------------------------------------------------------------

WISH, REGISTRY = DocumentKind.WISH, DocumentKind.REGISTRY
KINDS: dict[str, tuple[tuple[str, ...] | None, str, DocumentKind | None]] = {
    "default-wish-suffix": (None, "w/a.wish.yaml", WISH),
    "default-yml-suffix": (None, "w/a.wish.yml", WISH),
    "default-wishes-folder": (None, "w/wishes/sub/b.yaml", WISH),
    "default-registry": (None, "w/data/conduits/registry.yaml", REGISTRY),
    "default-registry-yml": (None, "w/conduits/registry.yml", REGISTRY),
    "default-other-yaml": (None, "w/notes.yaml", None),
    "default-not-yaml": (None, "w/wishes/readme.md", None),
    "globs-custom-wish": (("**/*.dream.yaml",), "w/a.dream.yaml", WISH),
    "globs-drop-the-default": (("**/*.dream.yaml",), "w/a.wish.yaml", None),
    "globs-registry-still-by-name": (("**/*.dream.yaml",), "w/conduits/registry.yaml", REGISTRY),
}


@pytest.mark.parametrize(("globs", "relative", "kind"), KINDS.values(), ids=KINDS.keys())
def test_kind_of(
    tmp_path: Path, globs: tuple[str, ...] | None, relative: str, kind: DocumentKind | None
) -> None:
    ws = workspace([tmp_path], {"files": {"globs": list(globs)}} if globs else None)
    assert ws.kind_of(tmp_path / relative) is kind


def test_kind_of_no_path_and_after_new_globs(tmp_path: Path) -> None:
    ws = workspace([tmp_path])
    assert ws.kind_of(None) is None
    assert ws.kind_of(tmp_path / "a.dream.yaml") is None
    ws.use_settings(settings({"files": {"globs": ["*.dream.yaml"]}}))
    assert ws.kind_of(tmp_path / "a.dream.yaml") is WISH


ROOTS = {
    "in-first": ("a/x/w.wish.yaml", "a"),
    "in-second": ("b/w.wish.yaml", "b"),
    "outside-takes-first": ("c/w.wish.yaml", "a"),
    "prefix-is-not-parent": ("bb/w.wish.yaml", "a"),
}


@pytest.mark.parametrize(("relative", "expected"), ROOTS.values(), ids=ROOTS.keys())
def test_root_for_multi_root(tmp_path: Path, relative: str, expected: str) -> None:
    ws = workspace([tmp_path / "a", tmp_path / "b"])
    assert ws.root_for(tmp_path / relative) == tmp_path / expected


def test_root_for_without_folders(tmp_path: Path) -> None:
    ws = workspace([])
    assert ws.root() is None and ws.root_for(tmp_path / "w.wish.yaml") is None


PLANS = {
    "beside-the-wish": ("", "b/wishes", "b/wishes"),
    "relative-to-its-own-folder": ("plans", "b/wishes", "b/plans"),
    "first-folder-wish": ("plans", "a/wishes", "a/plans"),
    "nested-folder": ("out/plans", "a", "a/out/plans"),
}


@pytest.mark.parametrize(("folder", "wish_dir", "plan_dir"), PLANS.values(), ids=PLANS.keys())
def test_plan_paths_for(tmp_path: Path, folder: str, wish_dir: str, plan_dir: str) -> None:
    wish = write(tmp_path / wish_dir / "w.wish.yaml", LIGHTHOUSE_TEXT)
    ws = workspace([tmp_path / "a", tmp_path / "b"], {"plan": {"folder": folder}})
    paths = ws.plan_paths_for(wish)
    assert paths.markdown.parent == (tmp_path / plan_dir).resolve()
    assert paths.markdown.name == "w.wish.plan.md" and paths.artifact.name == "w.wish.plan.json"


def test_plan_paths_follow_new_settings(tmp_path: Path) -> None:
    wish = write(tmp_path / "a" / "w.wish.yaml", LIGHTHOUSE_TEXT)
    ws = workspace([tmp_path / "a"])
    assert ws.plan_paths_for(wish).markdown.parent == (tmp_path / "a").resolve()
    ws.use_settings(settings({"plan": {"folder": "plans"}}))
    assert ws.plan_paths_for(wish).markdown.parent == (tmp_path / "a" / "plans").resolve()


# The wish globs ----------------------------------------------------------------------------


def test_the_toml_globs_apply_while_the_setting_is_unset(repo: Path) -> None:
    toml = write(repo / TOML_PATH, '[files]\nglobs = ["**/*.spell"]\n')
    unset = workspace([repo])
    assert unset.kind_of(repo / "spells" / "fire.spell") is DocumentKind.WISH
    assert unset.kind_of(wish_in(repo)) is None
    chosen = workspace([repo], {"files": {"globs": ["**/*.wish.yaml"]}})
    assert chosen.kind_of(repo / "spells" / "fire.spell") is None
    assert chosen.kind_of(wish_in(repo)) is DocumentKind.WISH
    write(toml, "[lint]\nplan_max_steps = 3\n")
    bump_mtime(toml)
    unset.files_changed([toml])
    assert unset.kind_of(wish_in(repo)) is DocumentKind.WISH  # no [files]: the defaults


def test_a_bad_files_table_is_said_once_and_the_default_globs_apply(repo: Path) -> None:
    write(repo / TOML_PATH, '[files]\nglobs = ["data/[abc.yaml"]\n')
    said = Said()
    ws = workspace([repo], said=said)
    assert ws.kind_of(wish_in(repo)) is DocumentKind.WISH
    assert ws.kind_of(repo / "wishes" / "b.wish.yaml") is DocumentKind.WISH
    assert len(said.messages) == 1 and "[files] globs" in said.messages[0]
    assert said.messages[0].endswith("using the default wish globs.")
