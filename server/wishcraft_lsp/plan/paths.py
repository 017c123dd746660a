"""Where a wish's plan files go, decided so that no wish can write outside its place.

The names come from the wish's file name, never from its title (a title such as
`../../etc/passwd` must not steer a write), and every resolved path is checked to stay inside
the plan folder, which itself must stay inside the workspace when one is known.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")
_YAML_SUFFIX = re.compile(r"\.ya?ml$", re.IGNORECASE)


class PlanPathError(ValueError):
    """The plan files cannot be placed safely; the message says why and what to set."""


@dataclass(frozen=True, slots=True)
class PlanPaths:
    """The side document (Markdown) and the JSON artifact of one wish's plan."""

    markdown: Path
    artifact: Path


def plan_stem(wish_path: Path) -> str:
    """The base name of a wish's plan files: its file name without `.yaml`, made safe."""
    stem = _YAML_SUFFIX.sub("", wish_path.name)
    stem = _UNSAFE.sub("_", stem).lstrip(".")
    return stem or "wish"


def _inside(path: Path, folder: Path) -> bool:
    return path == folder or folder in path.parents


def plan_paths(wish_path: Path, *, folder: str | Path | None = None,
               workspace_root: Path | None = None) -> PlanPaths:
    """Decide where the plan files of `wish_path` go.

    `folder` is the configured plan folder: absolute, or relative to the workspace root (or to
    the wish's folder when there is no workspace). Without it the files go next to the wish.
    """
    wish = wish_path.resolve()
    root = workspace_root.resolve() if workspace_root is not None else None
    if folder is None or str(folder).strip() == "":
        target = wish.parent
    else:
        configured = Path(folder).expanduser()
        base = root if root is not None else wish.parent
        target = (configured if configured.is_absolute() else base / configured).resolve()
        if root is not None and not _inside(target, root):
            raise PlanPathError(
                f"The plan folder {target} is outside the workspace {root}; set "
                "`wishcraft.plan.folder` to a folder inside it.")
    stem = plan_stem(wish)
    paths = PlanPaths(markdown=target / f"{stem}.plan.md", artifact=target / f"{stem}.plan.json")
    for path in (paths.markdown, paths.artifact):
        resolved = path.resolve()
        if not _inside(resolved, target) or resolved == wish:
            raise PlanPathError(f"Refusing to write the plan to {resolved}: it is not a new "
                                "file inside the plan folder.")
    return paths
