"""Re-parse only the lines an edit touched, and reuse the rest of the previous tree.

`reparse(previous, text)` returns exactly what `parse_yaml(text)` returns (the same tree with
the same spans, values, data and findings), usually for the cost of one block: typing in one
item of a 5,000-line plan re-reads that item, a fraction of a millisecond, where reading the
whole document takes about 20 ms.

The rule. The old and the new text are compared from both ends; what differs lies in a range
of old lines. That range must fall inside one run of consecutive *units*:
- the items of a block sequence that is the value of a top-level key (`plan:`): an item's unit
  runs from the line of its `-` up to the line of the next item's `-`, the last item's up to
  the next top-level key (or the end of the document);
- else the top-level pairs: a pair's unit runs from its key's line (column 0) up to the next
  key's line, the last one to the end.
Only that run is read again, as a fragment in the same surroundings as in the document: above
items, a made-up `key:` line puts their sequence in a mapping at column 0, as in the document;
below, a made-up boundary stands for the first unchanged line (a `-` in the sequence's column,
or a key in column 0). The scanner's decisions at a unit's edges depend only on that: the
column and the indicator that start the next line end a plain or block scalar, close nested
blocks (their end marks fall on that token) and start the next item or key; nothing else of
that line is looked at before the run's tokens are done. The fragment must read whole and
clean, start with the same container at the same place (so the unit before the run ends as
before), and read its boundary as the next item or key (so nothing of the run spills past it:
a quote or bracket left open swallows the boundary and the check fails). The new nodes are
placed at their lines; every node after the run moves by the lines added or removed.

Anything the rule cannot vouch for is read whole with `parse_yaml`:
- the previous tree is not clean: any YAML finding (a syntax error, a duplicate key, a BOM, …),
  an anchor or an alias, a root that is not a block mapping, a key that is not a scalar;
- the new text has a BOM, a `\\r`, a NEL/LS/PS break, a `%` directive or a `---`/`...` line,
  or more than `MAX_DOCUMENT_CHARS`;
- the edit touches a line before the first key, or an item whose value does not start on its
  `-` line;
- the fragment holds a tab, NUL, BOM or lone surrogate; does not read whole and clean (syntax
  error, duplicate key, anchor, alias, too deep); gives its container a tag, or starts it
  anywhere but at the run's first key or `-`; or does not end at its boundary;
- a new top-level key repeats another one (the full parse words the duplicate-key finding);
- the document would pass `MAX_NODES`.
Nodes are never changed in place: unchanged ones are shared with the previous tree and moved
ones are copies (a leaf's empty lists shared), so a previous version stays valid for whoever
still holds it. `data` is built the same way: new containers, with the values of unchanged
nodes shared.
"""

from __future__ import annotations

import bisect
import re
from dataclasses import dataclass
from typing import Any

from wishcraft.documents.yamltree import (
    MAX_DOCUMENT_CHARS,
    MAX_NODES,
    Node,
    NodeKind,
    Pair,
    ParsedYaml,
    compose_fragment,
    parse_yaml,
    to_python,
)
from wishcraft.findings import Position, Span

_UNSAFE_ANYWHERE = ("\r", "\x85", "\u2028", "\u2029", "\n%", "\n---", "\n...")
_UNSAFE_START = ("\ufeff", "%", "---", "...")
_UNSAFE_IN_FRAGMENT = (*_UNSAFE_ANYWHERE, "\t", "\x00", "\ufeff")
_SURROGATE = re.compile("[\ud800-\udfff]")
_tuple = tuple.__new__

_HEAD = "a:\n"
"""The made-up key above a run of items: their sequence is its value, as in the document."""
_BOUNDARY_KEY = "b"
"""The made-up key standing for the next top-level key below a run (a clash fails cleanly)."""


def reparse(previous: ParsedYaml | None, text: str) -> ParsedYaml:
    """Parse `text`, reusing what `previous` (an earlier version) read where that is certain."""
    if previous is None:
        return parse_yaml(text)
    if previous.text == text:
        return previous
    reused = reuse(previous, text)
    return reused if reused is not None else parse_yaml(text)


def _common_prefix(old: str, new: str) -> int:
    """How many characters both texts start with (binary search over slices: C speed)."""
    low, high = 0, min(len(old), len(new))
    while low < high:
        middle = (low + high + 1) // 2
        if old[low:middle] == new[low:middle]:
            low = middle
        else:
            high = middle - 1
    return low


def _common_suffix(old: str, new: str, limit: int) -> int:
    """How many characters (at most `limit`) both texts end with."""
    low, high = 0, limit
    old_end, new_end = len(old), len(new)
    while low < high:
        middle = (low + high + 1) // 2
        if old[old_end - middle : old_end - low] == new[new_end - middle : new_end - low]:
            low = middle
        else:
            high = middle - 1
    return low


def _start_line(node: Node) -> int:
    return node.span.start.line


def _key_line(pair: Pair) -> int:
    return pair.key.span.start.line


def _moved(node: Node, lines: int) -> Node:
    """A copy of a subtree `lines` lines further down (or up).

    A line added at the top of a 5,000-item plan moves every item, so this is lean: tuples are
    built with `tuple.__new__` (twice as fast as the named tuples' constructors), and a leaf
    shares its empty `items` and `pairs` with the original (nothing appends to a finished
    node), which leaves fewer objects for the cyclic collector to walk.
    """
    start, end = node.span
    span = _tuple(
        Span,
        (
            _tuple(Position, (start[0] + lines, start[1])),
            _tuple(Position, (end[0] + lines, end[1])),
        ),
    )
    items, pairs = node.items, node.pairs
    if items:
        items = [_moved(item, lines) for item in items]
    if pairs:
        pairs = [Pair(_moved(p.key, lines), _moved(p.value, lines), p.duplicate) for p in pairs]
    return Node(
        node.kind,
        span,
        node.tag,
        node.anchor,
        node.style,
        node.value,
        node.text,
        items,
        pairs,
        None,
        node.size,
        node.flow,
    )


def _moved_pairs(pairs: list[Pair], lines: int) -> list[Pair]:
    if not lines:
        return pairs
    return [Pair(_moved(p.key, lines), _moved(p.value, lines), p.duplicate) for p in pairs]


def _moved_position(position: Position, lines: int) -> Position:
    return Position(position.line + lines, position.column)


class _Edit:
    """Where two versions of a text differ, in the old one's lines."""

    def __init__(self, old: ParsedYaml, text: str) -> None:
        """Compare the texts from both ends."""
        old_text = old.text
        self.start = _common_prefix(old_text, text)
        tail = _common_suffix(old_text, text, min(len(old_text), len(text)) - self.start)
        self.first_line = old_text.count("\n", 0, self.start)
        self.last_line = self.first_line + old_text.count("\n", self.start, len(old_text) - tail)
        self.lines = text.count("\n", self.start, len(text) - tail) - old_text.count(
            "\n", self.start, len(old_text) - tail
        )
        """Lines added (or, below zero, removed)."""
        self.chars = len(text) - len(old_text)
        self.first_line_start = old_text.rfind("\n", 0, self.start) + 1


def _line_offset(old: ParsedYaml, edit: _Edit, line: int) -> int:
    """Where an old line starts in the old text (the lines near the edit are counted)."""
    if line <= edit.first_line:
        return edit.first_line_start - sum(len(t) + 1 for t in old.lines[line : edit.first_line])
    return edit.first_line_start + sum(len(t) + 1 for t in old.lines[edit.first_line : line])


def _is_item_line(old: ParsedYaml, item: Node, column: int) -> bool:
    """Whether an item's value starts on the line of its `-`, in the sequence's column."""
    line = old.lines[item.span.start.line]
    return (
        item.span.start.column > column
        and line[column : column + 1] == "-"
        and not line[:column].strip(" ")
    )


def reuse(old: ParsedYaml, text: str) -> ParsedYaml | None:
    """The parse of `text` by the module's rule from `old`, or None when a full parse must
    decide (`reparse` then makes one)."""
    root = old.root
    if (
        not old.complete
        or old.findings
        or old.anchored
        or root is None
        or root.kind is not NodeKind.MAPPING
        or root.flow
        or not root.pairs
        or any(pair.key.kind is not NodeKind.SCALAR for pair in root.pairs)
        or len(text) > MAX_DOCUMENT_CHARS
        or text.startswith(_UNSAFE_START)
    ):
        return None
    if old.plain_text is None:  # once per full parse: a reparsed text inherits it
        old.plain_text = not _has_unsafe(old.text, _UNSAFE_ANYWHERE)
    if not old.plain_text:
        return None
    edit = _Edit(old, text)
    pair_index = bisect.bisect_right(root.pairs, edit.first_line, key=_key_line) - 1
    if pair_index < 0:
        return None
    return _reparse_items(old, text, edit, pair_index) or _reparse_pairs(
        old, text, edit, pair_index
    )


def _fragment(
    old: ParsedYaml, text: str, edit: _Edit, first: int, boundary: int | None
) -> str | None:
    """The new text of old lines `first` up to `boundary` (to the end when None), or None
    when it holds a character the rule leaves to the full parse."""
    start = _line_offset(old, edit, first)
    end = _line_offset(old, edit, boundary) + edit.chars if boundary is not None else len(text)
    body = text[start:end]
    # The text around the run is the old one, which was plain: only the run can change that
    # (with the line break before it, for the marks that start a line).
    if _has_unsafe("\n" + body, _UNSAFE_IN_FRAGMENT) or _SURROGATE.search(body):
        return None
    return body


def _has_unsafe(text: str, marks: tuple[str, ...]) -> bool:
    return text.startswith(_UNSAFE_START) or any(mark in text for mark in marks)


def _new_lines(old: ParsedYaml, body: str, first: int, boundary: int | None) -> list[str]:
    """The new document's lines: the old ones around the run, the run's new ones between."""
    if boundary is None:
        return old.lines[:first] + body.split("\n")
    return old.lines[:first] + body.split("\n")[:-1] + old.lines[boundary:]


@dataclass(frozen=True, slots=True)
class _Run:
    """Units `first` to `last` (indexes), from old line `start` up to old line `boundary`
    (None: the end of the document); `below` is the made-up line that stands for the
    boundary in the fragment."""

    first: int
    last: int
    start: int
    boundary: int | None
    below: str


def _item_run(old: ParsedYaml, edit: _Edit, pair_index: int) -> _Run | None:
    """The run of items of the top-level sequence at `pair_index` that holds the edit."""
    root = old.root
    assert root is not None
    pair = root.pairs[pair_index]
    sequence = pair.value
    if (
        pair.key.span.start.column
        or sequence.kind is not NodeKind.SEQUENCE
        or sequence.flow
        or not sequence.items
    ):
        return None
    items = sequence.items
    column = sequence.span.start.column
    first = bisect.bisect_right(items, edit.first_line, key=_start_line) - 1
    if first < 0 or not _is_item_line(old, items[first], column):
        return None
    last = bisect.bisect_right(items, edit.last_line, key=_start_line) - 1
    if last + 1 < len(items):
        if not _is_item_line(old, items[last + 1], column):
            return None
        boundary: int | None = items[last + 1].span.start.line
        below = " " * column + "-\n"
    elif pair_index + 1 < len(root.pairs):
        boundary, below = _key_line(root.pairs[pair_index + 1]), _BOUNDARY_KEY + ":\n"
    else:
        boundary, below = None, ""
    if boundary is not None and boundary <= edit.last_line:
        return None
    return _Run(first, last, items[first].span.start.line, boundary, below)


def _read_items(
    body: str, run: _Run, column: int, new_boundary: int | None
) -> tuple[Node, Node, list[Node]] | None:
    """Read a run of items as a fragment: its root, its sequence and the new items, or None
    unless the sequence starts where it did and the boundary reads as the next item or key."""
    composed = compose_fragment(_HEAD + body + run.below, run.start - 1)
    fragment_root = composed[0] if composed is not None else None
    if (
        fragment_root is None
        or fragment_root.kind is not NodeKind.MAPPING
        or len(fragment_root.pairs) != (2 if run.below.endswith(":\n") else 1)
    ):
        return None
    fragment_sequence = fragment_root.pairs[0].value
    if (
        fragment_sequence.kind is not NodeKind.SEQUENCE
        or fragment_sequence.flow
        or fragment_sequence.tag is not None
        or fragment_sequence.span.start != Position(run.start, column)
    ):
        return None
    new_items = fragment_sequence.items
    if run.below.endswith("-\n"):
        if not new_items or new_items[-1].span.start.line != new_boundary:
            return None
        new_items = new_items[:-1]
    elif run.below and fragment_root.pairs[1].key.span.start != Position(new_boundary or 0, 0):
        return None
    return fragment_root, fragment_sequence, new_items


def _reparse_items(old: ParsedYaml, text: str, edit: _Edit, pair_index: int) -> ParsedYaml | None:
    """Re-read a run of items of the top-level sequence at `pair_index`, or None."""
    run = _item_run(old, edit, pair_index)
    body = _fragment(old, text, edit, run.start, run.boundary) if run is not None else None
    if run is None or body is None:
        return None
    root = old.root
    assert root is not None
    pair = root.pairs[pair_index]
    sequence = pair.value
    new_boundary = run.boundary + edit.lines if run.boundary is not None else None
    read = _read_items(body, run, sequence.span.start.column, new_boundary)
    if read is None:
        return None
    fragment_root, fragment_sequence, new_items = read
    items, first, last = sequence.items, run.first, run.last
    removed = sum(item.size for item in items[first : last + 1])
    added = sum(item.size for item in new_items)
    count = old.node_count - removed + added
    if count > MAX_NODES:
        return None
    after = items[last + 1 :]
    if edit.lines:
        after = [_moved(item, edit.lines) for item in after]
    if new_boundary is None:
        sequence_end, root_end = fragment_sequence.span.end, fragment_root.span.end
    else:
        sequence_end = _moved_position(sequence.span.end, edit.lines)
        root_end = _moved_position(root.span.end, edit.lines)
    new_sequence = Node(
        NodeKind.SEQUENCE,
        Span(sequence.span.start, sequence_end),
        sequence.tag,
        None,
        sequence.style,
        items=items[:first] + new_items + after,
        size=sequence.size - removed + added,
    )
    pairs = (
        root.pairs[:pair_index]
        + [Pair(pair.key, new_sequence, pair.duplicate)]
        + _moved_pairs(root.pairs[pair_index + 1 :], edit.lines)
    )
    new_root = _with_pairs(root, pairs, root_end, root.size - removed + added)
    data = dict(old.data)
    old_values = data[pair.key.value]
    data[pair.key.value] = (
        old_values[:first] + [to_python(item) for item in new_items] + old_values[last + 1 :]
    )
    lines = _new_lines(old, body, run.start, run.boundary)
    return ParsedYaml(text, new_root, data, [], True, lines, count, False, True)


def _with_pairs(root: Node, pairs: list[Pair], end: Position, size: int) -> Node:
    return Node(
        NodeKind.MAPPING,
        Span(root.span.start, end),
        root.tag,
        None,
        root.style,
        pairs=pairs,
        size=size,
    )


def _reparse_pairs(old: ParsedYaml, text: str, edit: _Edit, first: int) -> ParsedYaml | None:
    """Re-read a run of top-level pairs from the one at `first`, or None."""
    root = old.root
    assert root is not None
    pairs = root.pairs
    last = bisect.bisect_right(pairs, edit.last_line, key=_key_line) - 1
    start_line = _key_line(pairs[first])
    if pairs[first].key.span.start.column:
        return None
    boundary = _key_line(pairs[last + 1]) if last + 1 < len(pairs) else None
    if boundary is not None and (boundary <= edit.last_line or pairs[last + 1].key.span.start[1]):
        return None
    body = _fragment(old, text, edit, start_line, boundary)
    if body is None:
        return None
    below = _BOUNDARY_KEY + ":\n" if boundary is not None else ""
    composed = compose_fragment(body + below, start_line)
    if composed is None or composed[0] is None:
        return None
    fragment_root = composed[0]
    new_pairs = fragment_root.pairs
    if (
        fragment_root.kind is not NodeKind.MAPPING
        or fragment_root.flow
        or fragment_root.tag is not None
        or not new_pairs
        or new_pairs[0].key.span.start != Position(start_line, 0)
    ):
        return None
    new_boundary = boundary + edit.lines if boundary is not None else None
    if new_boundary is not None:
        if new_pairs[-1].key.span.start != Position(new_boundary, 0):
            return None
        new_pairs = new_pairs[:-1]
    kept = pairs[:first] + pairs[last + 1 :]
    others = {pair.key.value for pair in kept}
    if any(p.key.kind is not NodeKind.SCALAR or p.key.value in others for p in new_pairs):
        return None
    removed = sum(p.key.size + p.value.size for p in pairs[first : last + 1])
    added = sum(p.key.size + p.value.size for p in new_pairs)
    count = old.node_count - removed + added
    if count > MAX_NODES:
        return None
    root_end = (
        fragment_root.span.end
        if new_boundary is None
        else _moved_position(root.span.end, edit.lines)
    )
    new_root = _with_pairs(
        root,
        pairs[:first] + new_pairs + _moved_pairs(pairs[last + 1 :], edit.lines),
        root_end,
        root.size - removed + added,
    )
    old_data: dict[Any, Any] = old.data
    data: dict[Any, Any] = {pair.key.value: old_data[pair.key.value] for pair in pairs[:first]}
    for pair in new_pairs:
        data[pair.key.value] = to_python(pair.value)
    for pair in pairs[last + 1 :]:
        data[pair.key.value] = old_data[pair.key.value]
    lines = _new_lines(old, body, start_line, boundary)
    return ParsedYaml(text, new_root, data, [], True, lines, count, False, True)
