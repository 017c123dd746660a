"""The staged patch's record (`apply.saved`) on real files: it is reused only while the wish,
the plan, the `.patch` and every file it touches are unchanged, and it names what changed.

Each case stages `ALL` (an update, an add, a delete and a move) in a fresh workspace, keeps
it as a dry run does, changes one thing, and checks `saved.check`'s answer.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest
import yaml

from testkit.apply_ws import ALL, WISH_TEXT, make_workspace, write_plan
from wishcraft.apply import saved
from wishcraft.apply.pipeline import (
    ApplyJob,
    prepare,
    restage,
    save_patch,
    saved_keys,
    scope_globs,
)
from wishcraft.apply.stage import StagedChange
from wishcraft.lint.registries import load_registry_file
from wishcraft.model import Wish


def job_of(root: Path) -> ApplyJob:
    wish = root / "data" / "wishes" / "lamps.wish.yaml"
    text = wish.read_text()
    return prepare(Wish.model_validate(yaml.safe_load(text)), text, wish)


def restager(job: ApplyJob) -> Callable[[str], StagedChange]:
    registry = load_registry_file(job.root / "data" / "conduits" / "registry.yaml")
    globs = scope_globs(registry, job.repo)
    return lambda text: restage(job, globs, text)


@pytest.fixture()
def kept(tmp_path: Path) -> tuple[Path, StagedChange]:
    root = tmp_path / "ws"
    make_workspace(root)
    job = job_of(root)
    staged = restager(job)(ALL)
    assert save_patch(job, staged) == []
    saved.save(saved_keys(job), staged)
    return root, staged


def nothing(root: Path) -> str | None:
    return None


def edit_file(root: Path) -> str | None:
    (root / "src" / "gallery.py").write_text("tiles = 12 \n")
    return "src/gallery.py changed since the patch was staged"


def remove_deleted_file(root: Path) -> str | None:
    (root / "src" / "old.py").unlink()
    return "src/old.py changed since the patch was staged"


def create_added_file(root: Path) -> str | None:
    (root / "src" / "beacon.py").write_text("colour = 'amber'\n")
    return "src/beacon.py changed since the patch was staged"


def change_wish(root: Path) -> str | None:
    wish = root / "data" / "wishes" / "lamps.wish.yaml"
    text = WISH_TEXT + "# once more\n"
    wish.write_text(text)
    write_plan(wish, text)
    return "the wish changed since its patch was staged"


def change_plan(root: Path) -> str | None:
    plan = root / "data" / "wishes" / "lamps.wish.plan.json"
    data = json.loads(plan.read_text())
    data["notes"] = ["Planned again."]
    plan.write_text(json.dumps(data))
    return "the plan changed since the patch was staged"


def edit_patch(root: Path) -> str | None:
    patch = root / "data" / "wishes" / "lamps.wish.patch"
    patch.write_text(patch.read_text() + "\n")
    return "lamps.wish.patch was edited since it was staged"


def forge_record(root: Path) -> str | None:
    job = job_of(root)
    (record,) = (job.state_dir / saved.FOLDER).glob("*.json")
    record.write_text(record.read_text().replace("+lamps = 3", "+lamps = 4"))
    return "NO RECORD"


def unseal_record(root: Path) -> str | None:
    job = job_of(root)
    (record,) = (job.state_dir / saved.FOLDER).glob("*.json")
    record.write_text(record.read_text().split("\n", 1)[1])
    return "NO RECORD"


def narrow_scope(root: Path) -> str | None:
    registry = root / "data" / "conduits" / "registry.yaml"
    registry.write_text(registry.read_text().replace('"!src/private/**"', '"!src/lantern/**"'))
    return "the staged patch no longer applies"


@pytest.mark.parametrize(
    "change",
    [
        nothing,
        edit_file,
        remove_deleted_file,
        create_added_file,
        change_wish,
        change_plan,
        edit_patch,
        forge_record,
        unseal_record,
        narrow_scope,
    ],
    ids=lambda change: change.__name__,
)
def test_reused_only_while_everything_is_unchanged(
    kept: tuple[Path, StagedChange], change: Callable[[Path], str | None]
) -> None:
    root, staged = kept
    said = change(root)
    job = job_of(root)
    found = saved.check(saved_keys(job), job.root, restager(job))
    if said is None:
        assert found.staged is not None and found.changed is None
        assert found.staged.diff == staged.diff and found.staged.diff_hash == staged.diff_hash
    elif said == "NO RECORD":  # an untrusted record is as good as none: nothing to say
        assert found == saved.Reuse(None)
    else:
        assert found.staged is None and found.changed is not None
        assert found.changed.startswith(said), found.changed


def test_forget_removes_the_record(kept: tuple[Path, StagedChange]) -> None:
    root, _ = kept
    job = job_of(root)
    saved.forget(saved_keys(job))
    assert saved.check(saved_keys(job), job.root, restager(job)) == saved.Reuse(None)
