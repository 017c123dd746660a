"""The apply pipeline's pure parts, without a server or a network: the plan check, the scope and
its tools, the registry line of a refusal, the WorkspaceEdit an editor gets, and what counts as
applied from the client's answer."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st
from lsprotocol import types

from testkit.apply_ws import ALL, WISH_TEXT, apply_text, make_workspace, write_plan
from wishcraft.apply import stage
from wishcraft.apply.pipeline import (
    READ_CAP_BYTES,
    ApplyRefused,
    WorkspaceTools,
    load_plan,
    make_scope,
    named_files,
    prepare,
    shown_files,
)
from wishcraft.conduit.apply_exchange import ToolRefused
from wishcraft.court.apply import find_place, plan_problem, registry_line, scope_globs
from wishcraft.lint.registries import RegistryCache
from wishcraft.lsp.edits import BuiltEdit, applied_paths, text_edits, workspace_edit
from wishcraft.model import Wish
from wishcraft.plan.artifact import PlanStatus


@pytest.fixture()
def wish(tmp_path: Path) -> Path:
    return make_workspace(tmp_path / "ws")


def parsed(text: str = WISH_TEXT) -> Wish:
    return Wish.model_validate(yaml.safe_load(text))


def test_the_plan_must_be_complete_and_current(wish: Path) -> None:
    plan = wish.with_name("lamps.wish.plan.json")
    assert plan_problem(plan, WISH_TEXT) is None
    assert load_plan(wish, WISH_TEXT).plan_steps
    edited = WISH_TEXT + "# changed\n"
    assert (
        plan_problem(plan, edited)
        == "The wish changed since lamps.wish.plan.json was made; plan again."
    )
    with pytest.raises(ApplyRefused, match="plan again"):
        load_plan(wish, edited)
    write_plan(wish, WISH_TEXT, status=PlanStatus.INCOMPLETE)
    assert (
        plan_problem(plan, WISH_TEXT)
        == "The plan lamps.wish.plan.json is incomplete, not complete; plan again."
    )
    with pytest.raises(ApplyRefused, match="incomplete, not complete; plan again"):
        load_plan(wish, WISH_TEXT)
    plan.unlink()
    assert plan_problem(plan, WISH_TEXT) == "The wish has no plan yet; plan it first."
    with pytest.raises(ApplyRefused, match="plan it first"):
        load_plan(wish, WISH_TEXT)
    plan.write_text("{not json")
    assert (
        plan_problem(plan, WISH_TEXT) == "The plan lamps.wish.plan.json cannot be read; plan again."
    )


def test_the_place_is_the_ledgers_root_and_the_undo_folder_is_the_users(
    wish: Path, undo_state_home: Path
) -> None:
    root = wish.parents[2]
    place = find_place(wish)
    assert place.root == root.resolve() and place.repo is None
    assert place.state_dir.parent == undo_state_home / "repos"
    assert not place.state_dir.is_relative_to(root)
    job = prepare(parsed(), WISH_TEXT, wish)
    assert job.patch_path == wish.with_name("lamps.wish.patch")


def test_scope_globs_and_the_registry_line(wish: Path) -> None:
    registry = RegistryCache().for_document(wish)
    assert scope_globs(registry, None) == ("src/**", "!src/private/**")
    bundled = RegistryCache().for_document(Path("/nonexistent/wish.yaml"))
    assert bundled.source is None
    assert scope_globs(bundled, None) == ()
    assert registry_line(bundled) == (
        "The bundled registry's `openai.codex.v2025.apply` lists no `diff` in its scopes' "
        "`actions`, so it may not change files here; run `wishcraft init` to write "
        "data/conduits/registry.yaml scoped to this repository."
    )
    assert registry_line(registry).endswith(f"to its scope in {registry.source}.")


def test_the_scope_keeps_negations_and_the_ledger_folder_out() -> None:
    scope = make_scope(("src/**", "!src/private/**"), ("data/ledger",))
    assert scope("src/a.py") and scope("src/deep/b.py")
    assert not scope("src/private/key.py") and not scope("README.md")
    anywhere = make_scope(None, ("data/ledger",))
    assert anywhere("README.md") and not anywhere("data/ledger/anchors/A.json")
    assert not anywhere("data/ledger") and anywhere("data/ledgers.txt")


@pytest.mark.parametrize(
    "spelling",
    ["data/LEDGER/wishes.jsonl", "DATA/Ledger/anchors/A.json", "data/ledger./x", "./data/ledger"],
)
def test_the_ledger_folder_is_out_of_scope_in_any_case(spelling: str) -> None:
    """Issue 18: a case-insensitive file system reads `data/LEDGER` as the ledger's folder."""
    assert not make_scope(None, ("data/ledger",))(spelling)


def test_the_tools_see_only_the_scope_with_caps(wish: Path) -> None:
    root = wish.parents[2].resolve()
    tools = WorkspaceTools(root, make_scope(("src/**", "!src/private/**"), ("data/ledger",)))
    assert asyncio.run(tools.read_file("src/lamps.py")) == "lamps = 2\nlit = False\n"
    for path, words in (
        ("README.txt", "outside"),
        ("src/private/key.py", "outside"),
        ("../etc/passwd", ".."),
        ("src/none.py", "no such file"),
    ):
        with pytest.raises(ToolRefused, match=words):
            asyncio.run(tools.read_file(path))
    (root / "src" / "big.py").write_text("x" * (READ_CAP_BYTES + 1))
    with pytest.raises(ToolRefused, match="read cap"):
        asyncio.run(tools.read_file("src/big.py"))
    (root / "src" / "blob.py").write_bytes(b"\x00\x01\x02")
    with pytest.raises(ToolRefused):
        asyncio.run(tools.read_file("src/blob.py"))
    listed = asyncio.run(tools.list_files("**/*.py")).splitlines()
    assert listed == ["src/big.py", "src/blob.py", "src/gallery.py", "src/lamps.py", "src/old.py"]
    assert asyncio.run(tools.list_files("*.txt")) == "(no file of the workspace's scope matches)"
    summary = asyncio.run(tools.stage_patch(ALL))
    assert summary.startswith("Staged: 4 files (+3 \u22123), diff_hash ")
    with pytest.raises(ToolRefused, match="The patch was refused"):
        asyncio.run(
            tools.stage_patch("*** Begin Patch\n*** Add File: README.md\n+x\n*** End Patch\n")
        )
    assert len(tools.staged) == 1


def test_a_shadow_run_names_the_files_the_plan_mentions(wish: Path) -> None:
    job = prepare(parsed(), WISH_TEXT, wish)
    assert named_files(job) == ("src/lamps.py", "src/beacon.py")


@settings(max_examples=200, deadline=None)
@given(
    st.lists(st.sampled_from(["a\n", "b\n", "c\n", "\n", "d"]), max_size=8),
    st.lists(st.sampled_from(["a\n", "b\n", "x\n", "\n", "y"]), max_size=8),
)
def test_text_edits_turn_the_old_text_into_the_new(old: list[str], new: list[str]) -> None:
    before = "".join(old)
    after = "".join(new)
    assert apply_text(before, text_edits(before, after)) == after


def test_the_workspace_edit_of_every_operation(wish: Path) -> None:
    root = wish.parents[2].resolve()
    staged = stage(ALL, root)
    assert shown_files(staged) == [
        "src/lamps.py",
        "src/beacon.py",
        "src/old.py",
        "src/gallery.py \u2192 src/lantern/gallery.py",
    ]
    note = types.ChangeAnnotation(label="Relight", needs_confirmation=True)
    built = workspace_edit(staged, versions={"src/lamps.py": 7}, annotation=note)
    changes = built.edit.document_changes or []
    assert [type(change).__name__ for change in changes] == [
        "TextDocumentEdit",
        "CreateFile",
        "TextDocumentEdit",
        "DeleteFile",
        "RenameFile",
        "TextDocumentEdit",
    ]
    lamps, _, beacon, _, rename, moved = changes
    assert isinstance(lamps, types.TextDocumentEdit) and lamps.text_document.version == 7
    assert isinstance(beacon, types.TextDocumentEdit) and beacon.text_document.version is None
    assert isinstance(rename, types.RenameFile) and rename.old_uri.endswith("src/gallery.py")
    assert isinstance(moved, types.TextDocumentEdit)
    assert moved.text_document.uri.endswith("src/lantern/gallery.py")
    assert built.edit.change_annotations == {"wishcraft-apply": note}
    assert built.paths == (
        "src/lamps.py",
        "src/beacon.py",
        "src/beacon.py",
        "src/old.py",
        "src/gallery.py",
        "src/lantern/gallery.py",
    )
    plain = workspace_edit(staged, versions={}, annotation=None)
    assert plain.edit.change_annotations is None
    assert all(
        not isinstance(edit, types.AnnotatedTextEdit)
        for change in plain.edit.document_changes or []
        if isinstance(change, types.TextDocumentEdit)
        for edit in change.edits
    )


def test_what_counts_as_applied() -> None:
    built = BuiltEdit(types.WorkspaceEdit(), ("a", "b", "b", "c"))
    done = types.ApplyWorkspaceEditResult(applied=True)
    assert applied_paths(built, done, None) == ["a", "b", "c"]
    failed = types.ApplyWorkspaceEditResult(applied=False, failed_change=2)
    assert applied_paths(built, failed, None) == ["a", "b"]
    assert applied_paths(built, failed, types.FailureHandlingKind.Abort) == ["a", "b"]
    assert applied_paths(built, failed, types.FailureHandlingKind.Transactional) == []
    assert applied_paths(built, types.ApplyWorkspaceEditResult(applied=False), None) == []
