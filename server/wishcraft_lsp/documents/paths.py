"""Paths ↔ spans: where `budget.genie_slots` is, and which path the cursor is on.

The index is built once per parsed document (the language server caches it by uri and
version) by one walk of the tree; lookups are dictionary reads. Aliases are not followed: the
span of `*x` is the alias itself, which is where a finding about it belongs.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..findings import Path, Position, Span
from .yamltree import Node, NodeKind, Pair


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
    """Maps paths to nodes and positions to paths for one tree."""

    def __init__(self, root: Node | None) -> None:
        """Index every key and value under `root` by path, first occurrence winning."""
        self.root = root
        self._by_path: dict[Path, Located] = {}
        if root is not None:
            self._walk(root)

    def _walk(self, root: Node) -> None:
        stack: list[tuple[Path, Node | None, Node]] = [((), None, root)]
        while stack:
            path, key, value = stack.pop()
            if path in self._by_path:
                continue
            self._by_path[path] = Located(path, key, value)
            if value.kind is NodeKind.MAPPING:
                for pair in reversed(value.pairs):
                    if pair.key.kind is NodeKind.SCALAR and not pair.duplicate:
                        name = pair.key.value if isinstance(pair.key.value, str) \
                            else pair.key.text
                        stack.append(((*path, name), pair.key, pair.value))
            elif value.kind is NodeKind.SEQUENCE:
                for index in range(len(value.items) - 1, -1, -1):
                    stack.append(((*path, index), None, value.items[index]))

    def get(self, path: Path) -> Located | None:
        """Return the key and value at `path`, or None when the document has no such node."""
        return self._by_path.get(path)

    def __contains__(self, path: Path) -> bool:
        return path in self._by_path

    def paths(self) -> list[Path]:
        """Every indexed path, in document order."""
        return list(self._by_path)

    def value_span(self, path: Path) -> Span | None:
        """The span of the value at `path`."""
        located = self._by_path.get(path)
        return located.value.span if located else None

    def key_span(self, path: Path) -> Span | None:
        """The span of the key at `path` (the value's span for sequence items and the root)."""
        located = self._by_path.get(path)
        if located is None:
            return None
        return (located.key or located.value).span

    def nearest_span(self, path: Path, *, prefer_key: bool = False) -> Span | None:
        """The span of `path`, or of its closest ancestor that exists."""
        for length in range(len(path), -1, -1):
            prefix = path[:length]
            if prefix in self._by_path:
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
                name = pair.key.value if isinstance(pair.key.value, str) else pair.key.text
                path = (*path, name)
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
