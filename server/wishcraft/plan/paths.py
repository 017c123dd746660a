"""Where a wish's plan files go, decided so that no wish can write outside its place.

The names come from the wish's file name, never from its title (a title such as
`../../etc/passwd` must not steer a write). The name is made safe on every platform: only
letters and digits of any script, `_`, `.` and `-` are kept, a leading dot is dropped, a
Windows device name (`CON`, `LPT1`, …) is prefixed, and the name is kept under
`MAX_STEM_BYTES`. Whenever the name had to change, eight hex digits of the original name's
hash are appended, so that `a b.yaml` and `a_b.yaml` (or two names cut to the same length)
never share a plan. Every resolved path is checked to stay inside the plan folder, which must
itself stay inside the workspace when one is known, and a plan file never replaces the wish.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from pathlib import Path

_UNSAFE = re.compile(r"[^\w.-]+")
_YAML_SUFFIX = re.compile(r"\.ya?ml$", re.IGNORECASE)
_WINDOWS_DEVICE = re.compile(r"^(?:con|prn|aux|nul|com[0-9¹²³]|lpt[0-9¹²³])(?:\.|$)", re.IGNORECASE)
MAX_STEM_BYTES = 120
"""The longest plan-file stem, in UTF-8 bytes. File names may have 255 bytes; the stem gets
`.plan.json` and, while it is written, a temporary's `.` and `.XXXXXXXX.tmp` around it."""


class PlanPathError(ValueError):
    """The plan files cannot be placed safely; the message says why and what to set."""


@dataclass(frozen=True, slots=True)
class PlanPaths:
    """The side document (Markdown) and the JSON artifact of one wish's plan."""

    markdown: Path
    artifact: Path


def _cut(text: str, limit: int) -> str:
    """`text` shortened to at most `limit` UTF-8 bytes, on a character boundary."""
    return text.encode("utf-8")[:limit].decode("utf-8", "ignore")


def plan_stem(wish_path: Path) -> str:
    """The base name of a wish's plan files: its file name without `.yaml`, made safe."""
    name = wish_path.name
    original = _YAML_SUFFIX.sub("", name)
    stem = _UNSAFE.sub("_", original).lstrip(".") or "wish"
    if _WINDOWS_DEVICE.match(stem):
        stem = "_" + stem
    if stem == original and len(stem.encode("utf-8")) <= MAX_STEM_BYTES:
        return stem
    digest = hashlib.sha256(name.encode("utf-8", "surrogateescape")).hexdigest()[:8]
    return f"{_cut(stem, MAX_STEM_BYTES - 9)}-{digest}"


def _inside(path: Path, folder: Path) -> bool:
    return path == folder or folder in path.parents


def plan_paths(
    wish_path: Path, *, folder: str | Path | None = None, workspace_root: Path | None = None
) -> PlanPaths:
    """Decide where the plan files of `wish_path` go.

    `folder` is the configured plan folder: absolute, or relative to the workspace root (or to
    the wish's folder when there is no workspace). Without it the files go next to the wish,
    which must then be inside the workspace (when there is one).
    """
    try:
        wish = wish_path.resolve()
        root = workspace_root.resolve() if workspace_root is not None else None
        configured = (
            None if folder is None or str(folder).strip() == "" else Path(folder).expanduser()
        )
        if configured is None:
            target = wish.parent
            if root is not None and not _inside(target, root):
                raise PlanPathError(
                    f"The wish {wish} is outside the workspace {root}, and plans are only "
                    "written inside it; set `wishcraft.plan.folder` to a folder in the "
                    "workspace."
                )
        else:
            base = root if root is not None else wish.parent
            target = (configured if configured.is_absolute() else base / configured).resolve()
            if root is not None and not _inside(target, root):
                raise PlanPathError(
                    f"The plan folder {target} is outside the workspace {root}; set "
                    "`wishcraft.plan.folder` to a folder inside it."
                )
        stem = plan_stem(wish)
        paths = PlanPaths(
            markdown=target / f"{stem}.plan.md", artifact=target / f"{stem}.plan.json"
        )
        for path in (paths.markdown, paths.artifact):
            resolved = path.resolve()
            if (
                not _inside(resolved, target)
                or resolved == wish
                or (resolved.exists() and not resolved.is_file())
            ):
                raise PlanPathError(
                    f"Refusing to write the plan to {resolved}: it is not a "
                    "file of its own inside the plan folder."
                )
    except (ValueError, OSError, RuntimeError) as error:  # a NUL, a loop of links (3.11), …
        if isinstance(error, PlanPathError):
            raise
        raise PlanPathError(
            f"The plan files of {wish_path!s} cannot be placed ({error})."
        ) from None
    return paths
