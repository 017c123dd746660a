"""Plan files go next to the wish or into the plan folder, and nowhere else.

The plan's name comes from the wish's file name (never its title), made safe on every
platform and unique per wish; every path is checked to stay inside the plan folder and the
workspace, never to be the wish itself; files are written atomically beside their target.
The last tests run `wishcraft plan` (shadow, in process) on wishes with hostile titles and
names and check which files appeared where.
"""

from __future__ import annotations

import io
import json
import os
import re
import sys
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from testkit.paths import LSP_WORKSPACE
from testkit.unprivileged import call_unprivileged, unprivileged_folder
from wishcraft.cli import plan as cli_plan
from wishcraft.fileio import remove_stale_temporaries, temporary_prefix, write_atomically
from wishcraft.plan.paths import MAX_STEM_BYTES, PlanPathError, plan_paths, plan_stem

SAFE_STEM = re.compile(r"^[\w-][\w.-]*$")
HASHED = r"-[0-9a-f]{8}"


def test_next_to_the_wish_by_default(tmp_path: Path) -> None:
    paths = plan_paths(tmp_path / "lighthouse.wish.yaml")
    assert paths.markdown == tmp_path / "lighthouse.wish.plan.md"
    assert paths.artifact == tmp_path / "lighthouse.wish.plan.json"


@pytest.mark.parametrize(
    ("name", "stem"),
    [
        ("W-20251016-173223-2f49.yaml", "W-20251016-173223-2f49"),
        ("lighthouse.wish.yml", "lighthouse.wish"),
        ("灯塔.wish.yaml", "灯塔.wish"),
        ("Ünïcødé-wish.YAML", "Ünïcødé-wish"),
        ("x.plan.md", "x.plan.md"),
        ("a b$c.yml", "a_b_c" + HASHED),
        ("..hidden.yaml", "hidden" + HASHED),
        (".yaml", "wish" + HASHED),
        ("...yaml", "wish" + HASHED),
        ("a\\b.yaml", "a_b" + HASHED),
        ('x:y|z?*<>".yaml', "x_y_z_" + HASHED),
        ("line\nbreak\ttab.yaml", "line_break_tab" + HASHED),
        ("CON.yaml", "_CON" + HASHED),
        ("nul.wish.yaml", "_nul.wish" + HASHED),
        ("lpt1.yaml", "_lpt1" + HASHED),
        ("COM¹.yaml", "_COM¹" + HASHED),
        ("console.yaml", "console"),
    ],
    ids=[
        "dated",
        "yml",
        "cjk",
        "accents",
        "plan-like",
        "punctuation",
        "leading-dots",
        "only-suffix",
        "dots",
        "backslash",
        "windows-invalid",
        "control",
        "CON",
        "nul.wish",
        "lpt1",
        "com-superscript",
        "console-is-fine",
    ],
)
def test_stem_is_safe(name: str, stem: str) -> None:
    assert re.fullmatch(stem, plan_stem(Path(name)))


@pytest.mark.parametrize(
    "name",
    ["a" * 250 + ".yaml", "灯" * 80 + ".yaml", "😀" * 62 + ".yaml"],
    ids=["ascii", "cjk", "emoji"],
)
def test_long_names_are_cut_within_the_byte_limit_and_stay_unique(name: str) -> None:
    stem = plan_stem(Path(name))
    assert len(stem.encode("utf-8")) <= MAX_STEM_BYTES and re.search(HASHED + "$", stem)
    assert plan_stem(Path(name.replace(".yaml", "x.yaml"))) != stem
    assert len(f".{stem}.plan.json.abcdefgh.tmp".encode()) <= 255


def test_names_that_clean_up_alike_get_different_plans() -> None:
    names = [
        "a b.yaml",
        "a_b.yaml",
        "a$b.yaml",
        "a  b.yaml",
        "a\\b.yaml",
        ".a_b.yaml",
        ".yaml",
        "wish.yaml",
        "CON.yaml",
        "_CON.yaml",
    ]
    stems = [plan_stem(Path(name)) for name in names]
    assert len(set(stems)) == len(names), stems


@given(
    st.text(
        st.characters(blacklist_characters="/\x00", blacklist_categories=["Cs"]),
        min_size=1,
        max_size=300,
    )
)
def test_any_file_name_gives_a_safe_plan_inside_the_folder(name: str) -> None:
    if name in (".", ".."):
        return
    folder = Path("/workspace/wishes")
    stem = plan_stem(folder / name)
    assert SAFE_STEM.match(stem) and len(stem.encode("utf-8")) <= MAX_STEM_BYTES
    for suffix in (".plan.md", ".plan.json"):
        target = folder / f"{stem}{suffix}"
        assert target.parent == folder and target.name != name


@pytest.mark.parametrize(
    "title",
    ["../../etc/passwd", "a/b\\c", "nul\x00byte", "..", "x" * 10_000, "CON"],
    ids=["traversal", "slashes", "nul", "dotdot", "long", "device"],
)
def test_the_title_never_steers_the_path(tmp_path: Path, title: str) -> None:
    # plan_paths does not even take the title: the file name alone decides.
    assert "title" not in plan_paths.__code__.co_varnames
    paths = plan_paths(tmp_path / "w.wish.yaml")
    assert paths.markdown == tmp_path / "w.wish.plan.md"


def test_configured_folder_is_relative_to_the_workspace(tmp_path: Path) -> None:
    wish = tmp_path / "data" / "wishes" / "w.yaml"
    paths = plan_paths(wish, folder="plans", workspace_root=tmp_path)
    assert paths.markdown == tmp_path / "plans" / "w.plan.md"


@pytest.mark.parametrize("folder", ["../../etc", "/etc", "plans/../../outside"])
def test_folder_outside_the_workspace_is_refused(tmp_path: Path, folder: str) -> None:
    with pytest.raises(PlanPathError, match="outside the workspace"):
        plan_paths(tmp_path / "ws" / "w.yaml", folder=folder, workspace_root=tmp_path / "ws")


def test_a_plan_folder_that_links_out_of_the_workspace_is_refused(tmp_path: Path) -> None:
    (tmp_path / "outside").mkdir()
    (tmp_path / "ws").mkdir()
    (tmp_path / "ws" / "plans").symlink_to(tmp_path / "outside", target_is_directory=True)
    with pytest.raises(PlanPathError, match="outside the workspace"):
        plan_paths(tmp_path / "ws" / "w.yaml", folder="plans", workspace_root=tmp_path / "ws")


def test_a_plan_folder_that_links_within_the_workspace_is_used(tmp_path: Path) -> None:
    (tmp_path / "ws" / "real").mkdir(parents=True)
    (tmp_path / "ws" / "plans").symlink_to(tmp_path / "ws" / "real", target_is_directory=True)
    paths = plan_paths(tmp_path / "ws" / "w.yaml", folder="plans", workspace_root=tmp_path / "ws")
    assert paths.markdown == tmp_path / "ws" / "real" / "w.plan.md"


def test_a_wish_outside_the_workspace_needs_a_plan_folder(tmp_path: Path) -> None:
    (tmp_path / "ws").mkdir()
    with pytest.raises(PlanPathError, match="outside the workspace"):
        plan_paths(tmp_path / "elsewhere" / "w.yaml", workspace_root=tmp_path / "ws")
    paths = plan_paths(
        tmp_path / "elsewhere" / "w.yaml", folder="plans", workspace_root=tmp_path / "ws"
    )
    assert paths.markdown == tmp_path / "ws" / "plans" / "w.plan.md"


def test_a_wish_reached_through_a_link_out_of_the_workspace(tmp_path: Path) -> None:
    (tmp_path / "outside").mkdir()
    (tmp_path / "ws").mkdir()
    (tmp_path / "ws" / "wishes").symlink_to(tmp_path / "outside", target_is_directory=True)
    with pytest.raises(PlanPathError, match="outside the workspace"):
        plan_paths(tmp_path / "ws" / "wishes" / "w.yaml", workspace_root=tmp_path / "ws")


def test_a_link_out_of_the_folder_is_refused(tmp_path: Path) -> None:
    (tmp_path / "outside").mkdir()
    (tmp_path / "ws").mkdir()
    (tmp_path / "ws" / "w.plan.md").symlink_to(tmp_path / "outside" / "passwd")
    with pytest.raises(PlanPathError, match="Refusing"):
        plan_paths(tmp_path / "ws" / "w.yaml")


def test_a_plan_file_that_is_the_wish_is_refused(tmp_path: Path) -> None:
    wish = tmp_path / "w.yaml"
    wish.write_text("title: x\n")
    (tmp_path / "w.plan.json").symlink_to(wish)
    with pytest.raises(PlanPathError, match="Refusing"):
        plan_paths(wish)
    assert wish.read_text() == "title: x\n"


def test_a_plan_path_that_is_a_folder_is_refused(tmp_path: Path) -> None:
    (tmp_path / "w.plan.md").mkdir()
    with pytest.raises(PlanPathError, match="Refusing"):
        plan_paths(tmp_path / "w.yaml")


@pytest.mark.parametrize("make", ["nul", "loop"])
def test_impossible_wish_paths_are_one_clear_error(tmp_path: Path, make: str) -> None:
    if make == "nul":
        wish = tmp_path / "a\x00b.yaml"
    else:
        (tmp_path / "a").symlink_to(tmp_path / "b")
        (tmp_path / "b").symlink_to(tmp_path / "a")
        wish = tmp_path / "a" / "w.yaml"
    with pytest.raises(PlanPathError, match="cannot be placed"):
        plan_paths(wish)


# Atomic writes ------------------------------------------------------------------------------


def test_writes_go_through_a_temporary_beside_the_target(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    renames: list[tuple[Path, Path]] = []
    real_replace = os.replace

    def recording(source: str, target: str) -> None:
        renames.append((Path(source), Path(target)))
        assert Path(target).read_text() == "old"  # readers still see the old file whole
        real_replace(source, target)

    target = tmp_path / "w.plan.md"
    target.write_text("old")
    monkeypatch.setattr(os, "replace", recording)
    write_atomically(target, "new")
    ((source, destination),) = renames
    assert destination == target and source.parent == target.parent
    assert source.name.startswith(".w.plan.md.") and source.name.endswith(".tmp")
    assert target.read_text() == "new" and os.listdir(tmp_path) == ["w.plan.md"]


def test_a_failed_write_keeps_the_old_file_and_no_temporary(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    target = tmp_path / "w.plan.json"
    target.write_text("old")

    def failing(source: str, target: str) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "replace", failing)
    with pytest.raises(OSError):
        write_atomically(target, "new")
    assert target.read_text() == "old" and os.listdir(tmp_path) == ["w.plan.json"]


def test_a_target_name_near_the_limit_is_still_written(tmp_path: Path) -> None:
    target = tmp_path / ("p" * 240 + ".json")
    write_atomically(target, "{}")
    assert target.read_text() == "{}"


def test_stale_temporaries_are_removed_and_fresh_or_foreign_ones_kept(tmp_path: Path) -> None:
    target = tmp_path / "w.plan.md"
    prefix = temporary_prefix(target)
    stale, fresh = tmp_path / f"{prefix}abcdefgh.tmp", tmp_path / f"{prefix}ijklmnop.tmp"
    foreign = [
        tmp_path / ".other.plan.md.abcdefgh.tmp",
        tmp_path / f"{prefix}x.tmp",
        tmp_path / "w.plan.md",
    ]
    for path in (stale, fresh, *foreign):
        path.write_text("x")
    os.utime(stale, (1, 1))
    assert remove_stale_temporaries(target, older_than=600) == 1
    assert not stale.exists() and fresh.exists() and all(p.exists() for p in foreign)
    assert remove_stale_temporaries(target) == 1 and not fresh.exists()


# `wishcraft plan` on hostile wishes -----------------------------------------------------------

WISH = (LSP_WORKSPACE / "data" / "wishes" / "lighthouse.wish.yaml").read_text()


def hostile(title: str) -> str:
    return WISH.replace(
        'title: "Relight the Sunken Quarter lighthouse"', f"title: {json.dumps(title)}"
    )


def plan(wish: Path, capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str]:
    status = cli_plan.main([str(wish), "--shadow", "--quiet", *args])
    return status, capsys.readouterr().err


def files(root: Path) -> set[str]:
    """Every file and folder under `root` but the ledger's (`data/ledger/` beside the wish,
    since these folders have no `data/`: each plan leaves a line there, tested elsewhere)."""
    return {
        str(relative)
        for path in root.rglob("*")
        if not _is_ledger(relative := path.relative_to(root))
    }


def _is_ledger(relative: Path) -> bool:
    parts = relative.parts
    return "data" in parts and (parts[-1] == "data" or "ledger" in parts)


@pytest.mark.parametrize(
    "title",
    ["../../etc/passwd", "a/b\\c", "nul\x00byte", "..", "x" * 5_000, "CON", "w.wish.yaml"],
    ids=["traversal", "slashes", "nul", "dotdot", "long", "device", "the-wish-name"],
)
def test_a_hostile_title_plans_next_to_the_wish(
    tmp_path: Path, title: str, capsys: pytest.CaptureFixture[str]
) -> None:
    folder = tmp_path / "ws" / "wishes"
    folder.mkdir(parents=True)
    wish = folder / "w.wish.yaml"
    wish.write_text(hostile(title))
    status, err = plan(wish, capsys)
    assert status == 0, err
    assert files(tmp_path) == {
        "ws",
        "ws/wishes",
        "ws/wishes/w.wish.yaml",
        "ws/wishes/w.wish.plan.json",
        "ws/wishes/w.wish.plan.md",
    }
    assert wish.read_text() == hostile(title)
    assert json.loads((folder / "w.wish.plan.json").read_text())["wish_title"] == title
    (line,) = (folder / "data" / "ledger" / "wishes.jsonl").read_text().splitlines()
    assert json.loads(line)["wish"] == "w.wish.yaml"  # relative to the ledger's root


@pytest.mark.parametrize(
    "name", ["CON.yaml", "a b$c.wish.yaml", "灯塔.wish.yaml", "x" * 240 + ".yaml", "x.plan.json"]
)
def test_a_hostile_wish_name_plans_beside_it(
    tmp_path: Path, name: str, capsys: pytest.CaptureFixture[str]
) -> None:
    wish = tmp_path / name
    wish.write_text(WISH)
    status, err = plan(wish, capsys)
    assert status == 0, err
    created = sorted(files(tmp_path) - {name})
    assert len(created) == 2 and created[0].endswith(".plan.json")
    assert created[1] == created[0].removesuffix(".json") + ".md"
    assert wish.read_text() == WISH


def test_out_may_not_be_the_wish(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    wish = tmp_path / "w.wish.yaml"
    wish.write_text(WISH)
    (tmp_path / "link.json").symlink_to(wish)
    for out in (wish, tmp_path / "link.json", tmp_path / "." / "w.wish.yaml"):
        status, err = plan(wish, capsys, "--out", str(out))
        assert status == 2 and "is the wish itself" in err and "Traceback" not in err
    assert wish.read_text() == WISH and files(tmp_path) == {"w.wish.yaml", "link.json"}


def test_an_unsafe_plan_path_is_refused_before_planning(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "ws").mkdir()
    wish = tmp_path / "ws" / "w.wish.yaml"
    wish.write_text(WISH)
    (tmp_path / "outside").mkdir()
    (tmp_path / "ws" / "w.wish.plan.json").symlink_to(tmp_path / "outside" / "x.json")
    status, err = plan(wish, capsys)
    assert status == 2 and "Refusing to write the plan" in err
    assert list((tmp_path / "outside").iterdir()) == []


@pytest.mark.skipif(sys.platform == "win32", reason="POSIX permissions and fork")
def test_an_unwritable_folder_is_one_sentence(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    # Plan once elsewhere first: it imports everything the child needs (the child may not read
    # the interpreter's files), and keeps the per-process ledger lock away from the child's.
    (tmp_path / "w.wish.yaml").write_text(WISH)
    with unprivileged_folder() as folder:
        (folder / "codex").mkdir()  # an empty Codex home `nobody` can read (root's it cannot)
        monkeypatch.setenv("CODEX_HOME", str(folder / "codex"))
        status, err = plan(tmp_path / "w.wish.yaml", capsys)
        assert status == 0, err
        wish = folder / "w.wish.yaml"
        wish.write_text(WISH)
        # The ledger's folder stays writable: a ledger that cannot be written refuses the
        # plan before it runs (exit 3); here only the plan's own folder is closed.
        ledger_folder = folder / "data" / "ledger"
        ledger_folder.mkdir(parents=True)
        owner = folder.stat()
        for made in (folder / "data", ledger_folder):
            os.chown(made, owner.st_uid, owner.st_gid)
        folder.chmod(0o500)

        def plan_in_child() -> tuple[int, str]:
            sys.stderr = err = io.StringIO()
            return cli_plan.main([str(wish), "--shadow", "--quiet"]), err.getvalue()

        status, err = call_unprivileged(plan_in_child)
    assert status == 1 and "Could not write the plan" in err and "Traceback" not in err
    assert "Permission denied" in err


def test_a_failing_write_is_one_sentence(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    wish = tmp_path / "w.wish.yaml"
    wish.write_text(WISH)

    def failing(source: str, target: str) -> None:
        raise OSError(30, "Read-only file system")

    monkeypatch.setattr(os, "replace", failing)
    status, err = plan(wish, capsys)
    assert status == 1 and "Could not write the plan artifact" in err
    assert "Read-only file system" in err
    assert "Traceback" not in err and files(tmp_path) == {"w.wish.yaml"}
