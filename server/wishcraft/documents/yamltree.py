"""YAML text → a node tree in which every key and value knows its exact span.

We build the tree from PyYAML's event stream (libyaml's C parser when present, the pure-Python
parser otherwise) instead of `yaml.compose`, because composing ourselves lets us:

- keep going on user input: a syntax error ends the tree where the error is, and what came
  before is still there for completion and hover;
- flag duplicate keys, a second document, undefined or recursive aliases at the exact node;
- keep alias sites (PyYAML's composer reuses the anchored node and loses where `*x` stood);
- bound work on hostile input: nesting depth and alias expansion are counted, never recursed.

Plain scalars are resolved with the YAML 1.2 core schema, as serde_yaml (upstream) does (in
`documents.scalars`), so `yes` stays a string and `0o17` is an integer.
"""

from __future__ import annotations

import bisect
import gc
import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from enum import Enum
from typing import Any

import yaml

from wishcraft.documents.scalars import resolve_plain_scalar as resolve_plain_scalar
from wishcraft.documents.scalars import resolve_scalar
from wishcraft.findings import DuplicateKeyData, Finding, Position, Severity, Span, split_lines

try:
    _PARSER_LOADER: type = yaml.CSafeLoader
    HAS_LIBYAML = True
except AttributeError:  # PyYAML built without libyaml
    _PARSER_LOADER = yaml.SafeLoader
    HAS_LIBYAML = False

_SURROGATE = re.compile("[\ud800-\udfff]")
_YAML_ONLY_BREAK_CHARS = "\x85\u2028\u2029"
_LSP_BREAK = re.compile(r"\r\n|\r|\n")

MAX_DEPTH = 100
"""Deepest nesting we build; wishes are four levels deep, hostile files ten thousand."""

MAX_EXPANDED_NODES = 100_000
"""The most nodes that alias expansion may produce before we call it an alias bomb."""

MAX_NODES = 50_000
"""The most nodes (keys, values, list items) we read. A wish has about a hundred and a
registry 36 a conduit (1,380 conduits fit); twenty thousand keys still get their duplicate
and unknown keys flagged. Parsing and linting cost 5 to 20 µs a node (idle to busy two-core
machine), so this bounds the worst shape, a registry, to about a second on a busy machine,
and the refusal itself to parsing the first 50,000 nodes."""

MAX_DOCUMENT_CHARS = 2_000_000
"""Larger documents are not parsed: a wish is a few kilobytes. `MAX_NODES` bounds the work
on dense text; this bounds it on long scalars and blank lines (2 MB scan in about 0.1 s) and
keeps the refusal of a 50 MB file to splitting its lines."""


@contextmanager
def gc_paused() -> Iterator[None]:
    """Pause the cyclic garbage collector while a large acyclic structure is built.

    Tens of thousands of new nodes trigger repeated full collections that walk every object
    the server holds, which doubles the parse time of a large file; the tree has no cycles
    (an alias never targets an open ancestor), so reference counting frees it anyway.
    """
    if not gc.isenabled():
        yield
        return
    gc.disable()
    try:
        yield
    finally:
        gc.enable()


class NodeKind(Enum):
    """The four kinds of node in the tree."""

    SCALAR = "scalar"
    MAPPING = "mapping"
    SEQUENCE = "sequence"
    ALIAS = "alias"


@dataclass(slots=True, eq=False)
class Node:
    """One YAML node with its exact span.

    For a scalar `value` is the resolved Python value and `text` the source string; a mapping
    keeps its `pairs` in order (repeated keys included, flagged separately); an alias points at
    its `target`. `size` is the number of nodes the subtree stands for once aliases expand.
    """

    kind: NodeKind
    span: Span
    tag: str | None = None
    anchor: str | None = None
    style: str | None = None
    value: Any = None
    text: str = ""
    items: list[Node] = field(default_factory=list)
    pairs: list[Pair] = field(default_factory=list)
    target: Node | None = None
    size: int = 1
    flow: bool = False

    @property
    def is_null(self) -> bool:
        """Tell whether the node is a null scalar (`~`, `null` or nothing at all)."""
        return self.kind is NodeKind.SCALAR and self.value is None

    def resolved(self) -> Node:
        """Follow an alias to the node it names (or return self)."""
        node = self
        while node.kind is NodeKind.ALIAS and node.target is not None:
            node = node.target
        return node

    def get(self, key: str) -> Pair | None:
        """Return the first pair of a mapping whose key is `key`, else None."""
        for pair in self.resolved().pairs:
            if pair.key.kind is NodeKind.SCALAR and pair.key.value == key:
                return pair
        return None


@dataclass(slots=True, eq=False)
class Pair:
    """A key and its value in a mapping; `duplicate` marks a repeated key."""

    key: Node
    value: Node
    duplicate: bool = False


@dataclass(slots=True)
class ParsedYaml:
    """The result of parsing one document: its tree (maybe partial), value and findings.

    `complete` is False when a syntax error cut the tree short; `data` is the Python value of
    the tree with aliases expanded (bounded), duplicate keys keeping their first value.
    `node_count` is how many nodes were read and `anchored` whether any anchor or alias was
    (what `documents.incremental` needs to know before reusing the tree).
    """

    text: str
    root: Node | None
    data: Any
    findings: list[Finding]
    complete: bool
    lines: list[str]
    node_count: int = 0
    anchored: bool = False
    plain_text: bool | None = None
    """Whether the text is free of what the incremental reader leaves to a full parse (a
    carriage return, a NEL/LS/PS break, a directive or a document marker); None until asked."""
    _last_content: list[int] | None = None
    _next_code: list[int] | None = None

    def last_content_line(self, line: int, floor: int = 0) -> int:
        """The last line at or before `line` that is not blank, but not before `floor`.

        A block's span ends where the next key starts, after any blank lines; folding and
        the outline end it on its last line with content instead. Computed once for all
        lines: scanning back per node costs seconds when a file ends in a million blank lines.
        """
        if self._last_content is None:
            last = -1
            table = []
            for number, text in enumerate(self.lines):
                if text.strip():
                    last = number
                table.append(last)
            self._last_content = table
        return max(self._last_content[min(line, len(self.lines) - 1)], floor)

    def next_code_line(self, line: int) -> int:
        """The first line at or after `line` that is neither blank nor a comment (the line
        count if there is none); a table computed once, as for `last_content_line`."""
        if self._next_code is None:
            count = len(self.lines)
            table = [count] * (count + 1)
            following = count
            for number, text in zip(range(count - 1, -1, -1), reversed(self.lines), strict=True):
                stripped = text.lstrip(" ")
                if stripped and not stripped.startswith("#"):
                    following = number
                table[number] = following
            self._next_code = table
        return self._next_code[min(max(line, 0), len(self.lines))]

    @property
    def line_count(self) -> int:
        """How many lines the document has, as LSP counts them."""
        return len(self.lines)

    @property
    def has_errors(self) -> bool:
        """Tell whether any finding is an error (then the schema is not checked)."""
        return any(f.severity is Severity.ERROR for f in self.findings)


class _TooManyNodes(Exception):
    """Raised by the composer when the document has more than `MAX_NODES` nodes."""


@dataclass(slots=True)
class _Open:
    """A container still being built: the node, a key waiting for its value, keys seen."""

    node: Node
    key: Node | None = None
    seen: dict[Any, Node] = field(default_factory=dict)


class _Composer:
    """Builds the node tree from events, iteratively, recording findings as it goes."""

    def __init__(self, text: str, bom: bool, lines: list[str], line_offset: int = 0) -> None:
        self.text = text
        self.line_offset = line_offset  # a fragment's first line in its document
        self.bom = bom
        self.last_line = len(lines) - 1
        self.last_line_length = len(lines[-1])
        # YAML also breaks lines at NEL, LS and PS, which LSP does not: then marks are
        # placed from their character index instead of libyaml's line count.
        self.line_starts: list[int] | None = None
        if any(char in text for char in _YAML_ONLY_BREAK_CHARS):  # `in` is memchr-fast
            self.line_starts = [0] + [match.end() for match in _LSP_BREAK.finditer(text)]
        # Most documents need no adjustment: then marks map straight to positions.
        self.plain = not bom and self.line_starts is None and not line_offset
        self.findings: list[Finding] = []
        self.anchors: dict[str, Node] = {}
        self.open_anchors: set[str] = set()
        self.expanded = 0
        self.bomb_reported = False
        self.nodes = 0
        self.refused = False
        self.anchored = False

    def span(self, start: Any, end: Any) -> Span:
        """Turn two PyYAML marks into a span, shifting line 0 past a stripped BOM."""
        if self.plain and end.line <= self.last_line:  # the hot path: one call per node
            return Span(Position(start.line, start.column), Position(end.line, end.column))
        return Span(self.position(start), self.position(end))

    def position(self, mark: Any) -> Position:
        """Turn a PyYAML mark into a position in the original text, clamped to its end."""
        if self.line_starts is not None:
            index = mark.index + (1 if self.bom else 0)
            line = bisect.bisect_right(self.line_starts, index) - 1
            column = index - self.line_starts[line]
        else:
            line = mark.line
            column = mark.column + (1 if self.bom and mark.line == 0 else 0)
        if line > self.last_line:
            return Position(self.last_line + self.line_offset, self.last_line_length)
        return Position(line + self.line_offset, column)

    def add(
        self, code: str, message: str, span: Span, severity: Severity = Severity.ERROR, **data: Any
    ) -> None:
        """Record a YAML-level finding."""
        self.findings.append(Finding(code, severity, message, span, (), dict(data)))

    def compose(
        self, events: Iterator[Any], stop: Callable[[], Position]
    ) -> tuple[Node | None, bool]:
        """Consume events into a tree; return the root and whether the tree is complete.

        Containers still open when the events run out (after a syntax error) are closed at
        `stop()`, so the part before the error stays usable. Events are consumed lazily, so a
        hostile document stops costing time as soon as a limit is hit.
        """
        try:
            return self._compose(events, stop)
        except _TooManyNodes:
            self.refused = True
            self.findings = [f for f in self.findings if f.code == "yaml-bom"]
            self.add(
                "yaml-too-large",
                f"The file has more than {MAX_NODES:,} YAML nodes (keys, values and list "
                "items), more than we check; a wish has about a hundred.",
                Span.at(0, 0, 0, 0),
            )
            return None, False

    def _compose(
        self, events: Iterator[Any], stop: Callable[[], Position]
    ) -> tuple[Node | None, bool]:
        stack: list[_Open] = []
        root: Node | None = None
        documents = 0
        for event in events:
            if event.__class__ is yaml.ScalarEvent:  # most events: skip the dispatch below
                scalar = self._node(event)
                assert scalar is not None
                if stack:
                    self._attach(stack, scalar)
                else:
                    root = scalar
                continue
            if isinstance(event, yaml.DocumentStartEvent):
                documents += 1
                if documents == 2:
                    self.add(
                        "yaml-multiple-documents",
                        "A wish file holds one YAML document; remove this `---` and "
                        "everything after it, or move it to its own file.",
                        self.span(event.start_mark, event.end_mark),
                    )
                    return root, True
                continue
            if isinstance(
                event, yaml.StreamStartEvent | yaml.StreamEndEvent | yaml.DocumentEndEvent
            ):
                continue
            if isinstance(event, yaml.MappingEndEvent | yaml.SequenceEndEvent):
                node = stack.pop().node
                node.span = Span(node.span.start, self.position(event.end_mark))
                if node.anchor:
                    self.open_anchors.discard(node.anchor)
                self._attach(stack, node)
                if not stack:
                    root = node
                continue
            created = self._node(event)
            if created is None:
                continue
            node = created
            if node.kind in (NodeKind.MAPPING, NodeKind.SEQUENCE):
                if len(stack) >= MAX_DEPTH:
                    self.add(
                        "yaml-too-deep",
                        _TOO_DEEP_MESSAGE,
                        node.span,
                    )
                    return self._close(stack, root, node.span.start), False
                stack.append(_Open(node))
                continue
            self._attach(stack, node)
            if not stack:
                root = node
        if stack:
            return self._close(stack, root, stop()), False
        return root, True

    def _node(self, event: Any) -> Node | None:
        """Make a node for a node event (scalar, alias, collection start)."""
        self.nodes += 1
        if self.nodes > MAX_NODES:
            raise _TooManyNodes
        span = self.span(event.start_mark, event.end_mark)
        if event.__class__ is yaml.ScalarEvent:
            node = Node(
                NodeKind.SCALAR,
                span,
                tag=event.tag,
                anchor=event.anchor,
                style=event.style,
                value=resolve_scalar(event),
                text=event.value,
            )
        elif isinstance(event, yaml.AliasEvent):
            self.anchored = True
            node = Node(NodeKind.ALIAS, span, anchor=event.anchor)
            target = self.anchors.get(event.anchor or "")
            if target is None or event.anchor in self.open_anchors:
                why = "refers to itself" if target is not None else "is not defined above"
                self.add("yaml-bad-alias", f"The alias *{event.anchor} {why}.", span)
                return node
            self.expanded += target.size
            if self.expanded > MAX_EXPANDED_NODES:
                if not self.bomb_reported:
                    self.bomb_reported = True
                    self.add(
                        "yaml-alias-bomb",
                        f"Aliases here would expand to more than {MAX_EXPANDED_NODES:,} nodes "
                        "(an alias bomb); they are not expanded.",
                        span,
                    )
                return node
            node.target = target
            node.size = target.size
            return node
        elif isinstance(event, yaml.MappingStartEvent | yaml.SequenceStartEvent):
            kind = (
                NodeKind.MAPPING if isinstance(event, yaml.MappingStartEvent) else NodeKind.SEQUENCE
            )
            node = Node(kind, span, tag=event.tag, anchor=event.anchor, flow=bool(event.flow_style))
            if event.anchor:
                self.anchored = True
                self.open_anchors.add(event.anchor)
                self.anchors[event.anchor] = node
            return node
        else:
            return None
        if node.anchor:
            self.anchored = True
            self.anchors[node.anchor] = node
        return node

    def _attach(self, stack: list[_Open], node: Node) -> None:
        """Put a finished node into the open container on top of the stack."""
        if not stack:
            return
        top = stack[-1]
        parent = top.node
        parent.size += node.size
        if parent.kind is NodeKind.SEQUENCE:
            parent.items.append(node)
        elif top.key is not None:
            key, top.key = top.key, None
            parent.pairs.append(Pair(key, node, self._is_duplicate(top, key)))
        else:
            top.key = node

    def _is_duplicate(self, mapping: _Open, key: Node) -> bool:
        """Flag `key` when the mapping already has it (serde_yaml rejects such files)."""
        if key.kind is not NodeKind.SCALAR:
            return False
        first_key = mapping.seen.setdefault(key.value, key)
        if first_key is key:
            return False
        first = first_key.span.start
        self.add(
            "yaml-duplicate-key",
            f"The key `{key.text}` appears twice in this mapping (first on line "
            f"{first.line + 1}); upstream rejects the file. Remove one of them.",
            key.span,
            **DuplicateKeyData(key=key.text, firstLine=first.line),
        )
        return True

    def _close(self, stack: list[_Open], root: Node | None, at: Position) -> Node | None:
        """Close every open container at `at` (after an error) and return the root."""
        while stack:
            top = stack.pop()
            node = top.node
            node.span = Span(node.span.start, at)
            if top.key is not None:  # a key without its value: give it an empty one
                key = top.key
                node.pairs.append(
                    Pair(key, Node(NodeKind.SCALAR, Span(key.span.end, key.span.end)))
                )
            self._attach(stack, node)
            if not stack:
                root = node
        return root


_TOO_DEEP_MESSAGE = (
    f"The document nests deeper than {MAX_DEPTH} levels; a wish needs four "
    "at most, so the rest is not read."
)


def _syntax_finding(error: Exception, composer: _Composer, text: str) -> Finding:
    """Turn a PyYAML error into one finding at the place the parser stopped."""
    mark = getattr(error, "problem_mark", None)
    problem = getattr(error, "problem", None) or str(error)
    context = getattr(error, "context", None)
    if mark is None:
        return Finding(
            "yaml-syntax", Severity.ERROR, f"YAML syntax error: {problem}.", Span.at(0, 0, 0, 0)
        )
    context_mark = getattr(error, "context_mark", None)
    if context_mark is not None and context == "while scanning a simple key":
        mark = context_mark  # point at the half-typed key, not at where the scanner gave up
    position = composer.position(mark)
    lines = split_lines(text)
    line_text = lines[position.line] if position.line < len(lines) else ""
    end = Position(position.line, min(position.column + 1, max(len(line_text), position.column)))
    if "maximum nesting depth" in problem:
        # libyaml 0.2.5+ (PyYAML 6.0.4 wheels) stops at 1,000 flow levels while scanning
        # ahead, before our own depth cut sees the events: the same finding either way.
        return Finding("yaml-too-deep", Severity.ERROR, _TOO_DEEP_MESSAGE, Span(position, end))
    if "\t" in problem or (position.column < len(line_text) and line_text[position.column] == "\t"):
        tab_column = line_text.find("\t")
        start = Position(position.line, max(tab_column, 0))
        return Finding(
            "yaml-tab",
            Severity.ERROR,
            "YAML does not allow tabs here; indent with spaces.",
            Span(start, Position(start.line, start.column + 1)),
        )
    message = problem[:1].upper() + problem[1:]
    if context:
        message = f"{message} ({context})"
    opened = composer.position(context_mark) if context_mark is not None else None
    hint = syntax_hint(problem, context or "", line_text, position, opened)
    return Finding(
        "yaml-syntax",
        Severity.ERROR,
        f"YAML syntax error: {message}" + (f"; {hint}." if hint else "."),
        Span(position, end),
    )


def syntax_hint(
    problem: str, context: str, line_text: str, position: Position, opened: Position | None
) -> str:
    """What usually causes a parser error, in words that name the fix (empty when unsure).

    The usual causes, as a new user meets them: a value holding `: ` that is not quoted
    (`objective: Fix it: now`), a line indented differently from its neighbours, a quote or a
    bracket never closed. The parser's own words stay in the message before the hint.
    """
    where = f"line {position.line + 1}"
    if "mapping values are not allowed" in problem:
        before = line_text[: position.column]
        if ": " in before or before.rstrip().endswith(":"):
            return (
                "a value that holds `: ` must be quoted, "
                'as in `objective: "Fix the bridge: raise it 2 m"`'
            )
        return (
            f"the line before {where} may lack its `:` or a closing quote, or {where} is "
            "indented under a plain value"
        )
    if "could not find expected ':'" in problem:
        return "a key lacks its `:`, or a value goes on over a line indented like a key"
    if "expected '-' indicator" in problem:
        return (
            f"{where} stands among the `-` items of a list but is not one; start it with `- `, "
            "or indent it less to leave the list"
        )
    if "expected key" in problem or "expected <block end>" in problem:
        column = f"column {opened.column + 1}" if opened is not None else "one column"
        return (
            f"check the indentation: {where} starts in column {position.column + 1}, and "
            f"its mapping starts in {column}; the keys of one mapping and the `-` items of one "
            "list each line up in one column, indented with spaces"
        )
    if "quoted scalar" in context and "end of stream" in problem:
        start = f" on line {opened.line + 1}" if opened is not None else ""
        return f"the quote that opens{start} is never closed; close it on the same line"
    if "flow sequence" in context or "flow mapping" in context or "flow node" in context:
        # A flow node's mark is where the value began, not its bracket: no line then.
        known = opened is not None and "flow node" not in context
        start = f" on line {opened.line + 1}" if known and opened is not None else ""
        bracket = "`{`" if "flow mapping" in context else "`[`"
        what = f"the {bracket} that opens{start}" if start else "a `[` or `{` above"
        return f"{what} is never closed; close it, or write the list one `- item` per line"
    return ""


def to_python(node: Node | None) -> Any:
    """Convert a tree to plain Python values, expanding (bounded) aliases.

    Duplicate keys keep their first value; a non-scalar key becomes its source text.
    """
    if node is None:
        return None
    node = node.resolved()
    if node.kind is NodeKind.SCALAR:
        return node.value
    if node.kind is NodeKind.SEQUENCE:
        return [to_python(item) for item in node.items]
    if node.kind is NodeKind.MAPPING:
        out: dict[Any, Any] = {}
        for pair in node.pairs:
            if pair.duplicate:
                continue
            key = pair.key.resolved()
            name = key.value if key.kind is NodeKind.SCALAR else f"<{key.kind.value}>"
            try:
                hash(name)
            except TypeError:
                name = str(name)
            out.setdefault(name, to_python(pair.value))
        return out
    return None  # an alias that was not expanded


def _position_of_index(text: str, index: int) -> Position:
    """The position of a character index, counting lines as LSP does."""
    line, line_start = 0, 0
    for match in _LSP_BREAK.finditer(text, 0, index):
        line, line_start = line + 1, match.end()
    return Position(line, index - line_start)


def _too_large(text: str, lines: list[str]) -> ParsedYaml:
    """The one finding of a file larger than we check (nothing else reads it)."""
    finding = Finding(
        "yaml-too-large",
        Severity.ERROR,
        f"The file has {len(text):,} characters, more than the {MAX_DOCUMENT_CHARS:,} "
        "we check; a wish is a few kilobytes.",
        Span.at(0, 0, 0, 0),
    )
    return ParsedYaml(text, None, None, [finding], False, lines)


def _prepared_body(text: str, composer: _Composer) -> str | None:
    """The text libyaml is given: without its BOM (said), lone surrogates as U+FFFD (said);
    None when a NUL character makes it unreadable (said)."""
    bom = text.startswith("\ufeff")
    body = text[1:] if bom else text
    if bom:
        composer.add(
            "yaml-bom",
            "The file starts with a byte order mark, which upstream's YAML reader (serde_yaml "
            "0.9) takes as part of the first key, so upstream rejects the file; save it as "
            "UTF-8 without a BOM.",
            Span.at(0, 0, 0, 1),
            Severity.ERROR,
        )
    if "\x00" in text:
        where = _position_of_index(text, text.index("\x00"))
        line, column = where.line, where.column
        composer.add(
            "yaml-syntax",
            "YAML syntax error: the file contains a NUL character, which YAML does not allow.",
            Span.at(line, column, line, column + 1),
        )
        return None
    surrogate = _SURROGATE.search(text)
    if surrogate is not None:
        # An editor can send lone UTF-16 surrogates; libyaml cannot encode them. U+FFFD keeps
        # every position where it was.
        where = _position_of_index(text, surrogate.start())
        line, column = where.line, where.column
        composer.add(
            "yaml-syntax",
            "The file contains an invalid character (a lone UTF-16 "
            "surrogate); it is read as U+FFFD.",
            Span.at(line, column, line, column + 1),
        )
        body = _SURROGATE.sub("\ufffd", body)
    return body


def parse_yaml(text: str) -> ParsedYaml:
    """Parse one YAML document without ever raising; every problem becomes a finding."""
    lines = split_lines(text)
    if len(text) > MAX_DOCUMENT_CHARS:  # before anything else reads the whole text
        return _too_large(text, lines)
    composer = _Composer(text, text.startswith("\ufeff"), lines)
    body = _prepared_body(text, composer)
    if body is None:
        return ParsedYaml(text, None, None, composer.findings, False, lines)
    errors: list[Exception] = []
    loader = _PARSER_LOADER(body)

    def events() -> Iterator[Any]:
        try:
            yield from iter(loader.get_event, None)
        except (yaml.YAMLError, ValueError, RecursionError) as exc:
            errors.append(exc)

    def stop() -> Position:
        mark = getattr(errors[0], "problem_mark", None) if errors else None
        return (
            composer.position(mark)
            if mark is not None
            else Position(len(lines) - 1, len(lines[-1]))
        )

    with gc_paused():
        try:
            root, complete = composer.compose(events(), stop)
        finally:
            loader.dispose()
        data = to_python(root)
    error = errors[0] if errors else None
    if error is not None:
        composer.findings.append(_syntax_finding(error, composer, text))
        complete = False
    elif root is None and not composer.refused:
        composer.add(
            "yaml-empty",
            "The file is empty; a wish needs at least title, objective, "
            "scope, invariants, budget, tools, plan, safety_tests and rollback.",
            Span.at(0, 0, 0, 0),
        )
    return ParsedYaml(
        text, root, data, composer.findings, complete, lines, composer.nodes, composer.anchored
    )


def compose_fragment(text: str, line_offset: int) -> tuple[Node | None, int] | None:
    """Compose a fragment of a document whose first line is `line_offset` there: its root and
    node count, or None unless it reads whole with no finding, anchor or alias."""
    composer = _Composer(text, False, split_lines(text), line_offset)
    loader = _PARSER_LOADER(text)
    try:
        root, complete = composer.compose(iter(loader.get_event, None), lambda: Position(0, 0))
    except (yaml.YAMLError, ValueError, RecursionError):
        return None
    finally:
        loader.dispose()
    if not complete or composer.findings or composer.anchored or composer.refused:
        return None
    return root, composer.nodes
