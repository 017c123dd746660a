"""Conduit ids across the workspace: which id is under the cursor, every place it is used,
and whether a new id may replace it. Pure (no pygls): the references feature wraps it.

An id belongs to one registry: a registry entry's `id` to that registry file, a wish's `tools`
item to the registry the wish is checked against (`Workspace.registry_path_for`; None is the
bundled registry). Two wishes that name `x` share it only when they use the same registry.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import NamedTuple

from wishcraft.findings import Position
from wishcraft.kinds import DocumentKind
from wishcraft.lsp.index import IdPlace, IndexedFile

VALID_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._/-]*\Z")
"""What a renamed id may be: every real id fits, and it needs no quoting or escaping in any
YAML style (plain, single or double quoted), so a rename only swaps characters."""

RegistryOf = Callable[[Path], Path | None]
"""The registry file a wish is checked against (None: the bundled registry)."""


@dataclass(frozen=True, slots=True)
class Target:
    """The id under the cursor and the registry it belongs to."""

    conduit_id: str
    registry: Path | None
    place: IdPlace
    in_registry: bool
    """True when the cursor is on a registry entry's `id`, False on a wish's `tools` item."""


class Use(NamedTuple):
    """One place an id appears: a wish's `tools` item, or its definition in the registry.

    A named tuple: references make one per use, a thousand at a time, and a frozen
    dataclass takes several times longer to make.
    """

    path: Path
    place: IdPlace
    definition: bool
    at: int = 0
    """Where `place` is in its file's `ids` (what a file's cached client ranges are keyed by)."""


def target_at(entry: IndexedFile, position: Position, registry_of: RegistryOf) -> Target | None:
    """The conduit id at `position` in a file, or None when the cursor is on anything else."""
    for place in entry.ids:
        if place.span.contains(position):
            if entry.kind is DocumentKind.REGISTRY:
                return Target(place.conduit_id, entry.path, place, True)
            return Target(place.conduit_id, registry_of(entry.path), place, False)
    return None


def uses_of(target: Target, files: Iterable[IndexedFile], registry_of: RegistryOf) -> list[Use]:
    """Every place of the target's id among `files`: the registry's definitions first, then
    the wishes using that registry, each file in path order and each place in file order.

    References answer from this for up to every wish of the workspace, so it keeps to string
    keys: a `Path`'s parent and hash are made in Python, several times slower than a str's.
    """
    definitions: list[tuple[str, IndexedFile, list[int]]] = []
    wishes: list[tuple[str, IndexedFile, list[int]]] = []
    # By folder: whether its wishes use the target's registry (a folder's wishes share one).
    same_registry: dict[str, bool] = {}
    wanted = target.conduit_id
    for entry in files:
        matching = [at for at, place in enumerate(entry.ids) if place.conduit_id == wanted]
        if not matching:
            continue
        key = str(entry.path)  # cached on the Path after the first time
        if entry.kind is DocumentKind.REGISTRY:
            if target.registry is not None and entry.path == target.registry:
                definitions.append((key, entry, matching))
            continue
        folder = key.rpartition(os.sep)[0]  # os.path.dirname is several times slower
        same = same_registry.get(folder)
        if same is None:
            same = same_registry[folder] = registry_of(entry.path) == target.registry
        if same:
            wishes.append((key, entry, matching))
    # Sorted by path only: the places of one file stay in file order.
    definitions.sort(key=_first)
    wishes.sort(key=_first)
    return [
        Use(entry.path, entry.ids[at], definition, at)
        for group, definition in ((definitions, True), (wishes, False))
        for _, entry, places in group
        for at in places
    ]


def _first(item: tuple[str, IndexedFile, list[int]]) -> str:
    return item[0]


def rename_refusal_reason(target: Target | None, new_id: str | None, known: set[str]) -> str | None:
    """Why the id under the cursor cannot be renamed (to `new_id`, when given), else None.

    `known` holds the ids the target's registry already defines.
    """
    if target is None:
        return (
            "Only a conduit id or a YAML anchor can be renamed: put the cursor on an id in a "
            "wish's `tools`, on a registry entry's `id`, or on an `&anchor` or `*alias`."
        )
    if target.registry is None:
        return (
            f"`{target.conduit_id}` is a conduit of the bundled registry, which has no file "
            "to rename it in; add data/conduits/registry.yaml to the workspace first."
        )
    if new_id is None or new_id == target.conduit_id:
        return None
    if not VALID_ID.match(new_id):
        return (
            f"`{new_id}` is not a valid conduit id: use letters, digits, `.`, `_`, `-` and "
            "`/`, starting with a letter or a digit."
        )
    if new_id in known:
        return f"`{new_id}` is already a conduit of the registry; choose another id."
    return None
