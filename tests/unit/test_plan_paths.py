"""Plan files go next to the wish or into the plan folder, and nowhere else."""

from __future__ import annotations

from pathlib import Path

import pytest

from wishcraft_lsp.plan.paths import PlanPathError, plan_paths, plan_stem


def test_next_to_the_wish_by_default(tmp_path: Path) -> None:
    paths = plan_paths(tmp_path / "lighthouse.wish.yaml")
    assert paths.markdown == tmp_path / "lighthouse.wish.plan.md"
    assert paths.artifact == tmp_path / "lighthouse.wish.plan.json"


@pytest.mark.parametrize(("name", "stem"), [
    ("W-20251016-173223-2f49.yaml", "W-20251016-173223-2f49"),
    ("a b$c.yml", "a_b_c"),
    ("..hidden.yaml", "hidden"),
    (".yaml", "wish"),
    ("灯塔.wish.yaml", "_.wish"),
])
def test_stem_is_safe(name: str, stem: str) -> None:
    assert plan_stem(Path(name)) == stem


def test_configured_folder_is_relative_to_the_workspace(tmp_path: Path) -> None:
    wish = tmp_path / "data" / "wishes" / "w.yaml"
    paths = plan_paths(wish, folder="plans", workspace_root=tmp_path)
    assert paths.markdown == tmp_path / "plans" / "w.plan.md"


def test_folder_outside_the_workspace_is_refused(tmp_path: Path) -> None:
    with pytest.raises(PlanPathError, match="outside the workspace"):
        plan_paths(tmp_path / "w.yaml", folder="../../etc", workspace_root=tmp_path / "ws")


def test_a_link_out_of_the_folder_is_refused(tmp_path: Path) -> None:
    (tmp_path / "outside").mkdir()
    (tmp_path / "ws").mkdir()
    (tmp_path / "ws" / "w.plan.md").symlink_to(tmp_path / "outside" / "passwd")
    with pytest.raises(PlanPathError, match="Refusing"):
        plan_paths(tmp_path / "ws" / "w.yaml")
