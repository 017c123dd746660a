"""Folder trees for the apply tests: build one from a mapping, and snapshot one exactly."""

from __future__ import annotations

import os
import stat
from collections.abc import Mapping
from pathlib import Path

Entry = tuple[str, bytes, int]
"""(kind, content or link target, permission bits) of one path in a snapshot."""


def build(root: Path, files: Mapping[str, str | bytes]) -> Path:
    """Create `files` (relative path → content) under `root`; return `root`."""
    for relative, content in files.items():
        target = root / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, str):
            target.write_bytes(content.encode("utf-8"))
        else:
            target.write_bytes(content)
    return root


def snapshot(root: Path) -> dict[str, Entry]:
    """Every path under `root` with its kind, bytes (or link target) and mode; links unfollowed."""
    out: dict[str, Entry] = {}
    for folder, folders, files in os.walk(root):
        for name in folders + files:
            path = Path(folder) / name
            info = os.lstat(path)
            relative = path.relative_to(root).as_posix()
            if stat.S_ISLNK(info.st_mode):
                out[relative] = ("link", os.readlink(path).encode(), 0)
            elif stat.S_ISDIR(info.st_mode):
                out[relative] = ("dir", b"", stat.S_IMODE(info.st_mode))
            else:
                out[relative] = ("file", path.read_bytes(), stat.S_IMODE(info.st_mode))
    return out
