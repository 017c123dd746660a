"""Paths ↔ spans: where `budget.genie_slots` is, and which path the cursor is on.

The index is built once per parsed document (the language server caches it by uri and
version) by one walk of the tree; lookups are dictionary reads. Aliases are not followed: the
span of `*x` is the alias itself, which is where a finding about it belongs.
"""

from __future__ import annotations

from dataclasses import dataclass

from wishcraft.documents.yamltree import Node, NodeKind, Pair
from wishcraft.findings import Path, Position, Span


@dataclass(frozen=True, slots=True)
class Located:
    """A node found at a path: its key (None for sequence items and the root) and value."""

    path: Path
    key: Node | None
    value: Node


@dataclass(frozen=True, slots=True)
class CursorPlace:
    """What the cursor is on: the path, and whether it is on the key or in the value."""

    path: Path
    on_key: bool
    node: Node | None


class PathIndex:
    """Maps paths to nodes and positions to paths for one tree.

    Lookups walk the tree along the path and are cached, so a document with a 5,000-item list
    costs nothing until something asks about its items; `paths()` walks everything, once.
    """

    def __init__(self, root: Node | None) -> None:
        """Index the tree under `root` (lazily)."""
        self.root = root
        self._cache: dict[Path, Located | None] = {}
        self._key_maps: dict[int, dict[str, Pair]] = {}
        self._all: list[Path] | None = None

    def get(self, path: Path) -> Located | None:
        """Return the key and value at `path`, or None when the document has no such node.

        A repeated key resolves to its first occurrence; aliases are not followed.
        """
        if path in self._cache:
            return self._cache[path]
        located = self._find(path)
        self._cache[path] = located
        return located

    def _find(self, path: Path) -> Located | None:
        if self.root is None:
            return None
        key: Node | None = None
        node = self.root
        for part in path:
            if node.kind is NodeKind.MAPPING and isinstance(part, str):
                pair = self._pairs_by_name(node).get(part)
                if pair is None:
                    return None
                key, node = pair.key, pair.value
            elif (
                node.kind is NodeKind.SEQUENCE
                and isinstance(part, int)
                and 0 <= part < len(node.items)
            ):
                key, node = None, node.items[part]
            else:
                return None
        return Located(path, key, node)

    def _pairs_by_name(self, mapping: Node) -> dict[str, Pair]:
        found = self._key_maps.get(id(mapping))
        if found is None:
            found = {}
            for pair in mapping.pairs:
                if pair.key.kind is NodeKind.SCALAR and not pair.duplicate:
                    found.setdefault(key_name(pair.key), pair)
            self._key_maps[id(mapping)] = found
        return found

    def __contains__(self, path: Path) -> bool:
        return self.get(path) is not None

    def paths(self) -> list[Path]:
        """Every path of the document, in document order (walks the whole tree once)."""
        if self._all is None:
            self._all = []
            if self.root is not None:
                stack: list[tuple[Path, Node]] = [((), self.root)]
                while stack:
                    path, value = stack.pop()
                    self._all.append(path)
                    if value.kind is NodeKind.MAPPING:
                        names = self._pairs_by_name(value)
                        stack.extend(
                            ((*path, name), pair.value) for name, pair in reversed(names.items())
                        )
                    elif value.kind is NodeKind.SEQUENCE:
                        stack.extend(
                            ((*path, index), value.items[index])
                            for index in range(len(value.items) - 1, -1, -1)
                        )
        return self._all

    def value_span(self, path: Path) -> Span | None:
        """The span of the value at `path`."""
        located = self.get(path)
        return located.value.span if located else None

    def key_span(self, path: Path) -> Span | None:
        """The span of the key at `path` (the value's span for sequence items and the root)."""
        located = self.get(path)
        if located is None:
            return None
        return (located.key or located.value).span

    def nearest_span(self, path: Path, *, prefer_key: bool = False) -> Span | None:
        """The span of `path`, or of its closest ancestor that exists."""
        for length in range(len(path), -1, -1):
            prefix = path[:length]
            if prefix in self:
                return self.key_span(prefix) if prefer_key else self.value_span(prefix)
        return None

    def place_at(self, position: Position) -> CursorPlace:
        """Find the deepest key or value under `position`.

        A position in a mapping's whitespace gives the mapping's path with `node` None, so
        completion can offer that mapping's missing keys.
        """
        if self.root is None:
            return CursorPlace((), False, None)
        node = self.root
        path: Path = ()
        while True:
            if node.kind is NodeKind.MAPPING:
                hit = _pair_at(node.pairs, position)
                if hit is None:
                    return CursorPlace(path, False, None)
                pair, on_key = hit
                path = (*path, key_name(pair.key))
                if on_key:
                    return CursorPlace(path, True, pair.key)
                node = pair.value
                continue
            if node.kind is NodeKind.SEQUENCE:
                for index, item in enumerate(node.items):
                    if item.span.contains(position):
                        path = (*path, index)
                        node = item
                        break
                else:
                    return CursorPlace(path, False, None)
                continue
            return CursorPlace(path, False, node)


def key_name(key: Node) -> str:
    """The name a mapping key has in a path: its text value, or its source for other scalars."""
    return key.value if isinstance(key.value, str) else key.text


def _pair_at(pairs: list[Pair], position: Position) -> tuple[Pair, bool] | None:
    """Return the pair whose key or value holds `position`, and whether it is the key."""
    for pair in pairs:
        if pair.key.span.contains(position):
            return pair, True
        value = pair.value
        if value.span.contains(position) and not (
            value.is_null and value.span.start == value.span.end
        ):
            return pair, False
    return None
