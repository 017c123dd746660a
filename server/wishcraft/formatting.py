"""Format a wish or registry: the layout normalised, everything the author chose kept.

What changes: indentation (two spaces per level; a block list's `-` two spaces under its
key), the space after `key:` and after `-` (one), the inside of a one-line flow list
(`[a, b]`), trailing spaces, runs of blank lines (one at most, none at the end), and the final
newline. What stays: comments, key order, each value's quoting and text, block scalars'
content, and flow lists written over several lines.

It never changes what the file means: the result is parsed and compared with the original
(the same data, the same comments) and formatted again (nothing may move the second time);
if either check fails, or the file does not parse cleanly, the text is left as it is. The
language server (document and range formatting) and `wishcraft fmt` share this module; it is
pure.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass

from wishcraft.documents import Node, NodeKind, ParsedYaml, parse_yaml, to_python
from wishcraft.findings import Severity, split_lines

INDENT = 2


@dataclass(frozen=True, slots=True)
class LineEdit:
    """Replace lines `start` up to (not including) `end` with `text` (whole lines, each with
    its newline); `end` past the last line means up to the end of the text."""

    start: int
    end: int
    text: str


@dataclass(slots=True)
class _Plan:
    """What the tree says about each line: where structure starts and what it should be."""

    lines: list[str]
    indent: dict[int, int]
    """Structural lines (a key or a `-` first on its line): their new indentation."""
    replace: dict[int, list[tuple[int, int, str]]]
    """Spans of a line to rewrite: (start column, end column, new text)."""
    verbatim: set[int]
    """Lines inside block scalars: content, only moved with their key (trailing spaces and
    blank lines are content)."""


def _first_on_line(lines: list[str], line: int, column: int) -> bool:
    return not lines[line][:column].strip()


def _walk(plan: _Plan, node: Node, indent: int) -> None:
    """Record the indentation of block collections under `node` (which starts at `indent`)."""
    lines = plan.lines
    if node.kind is NodeKind.MAPPING and not node.flow:
        for pair in node.pairs:
            key, value = pair.key, pair.value
            start = key.span.start
            if _first_on_line(lines, start.line, start.column):
                plan.indent[start.line] = indent
            _space_after_colon(plan, key, value)
            _child(plan, value, indent, key.span.start.line)
    elif node.kind is NodeKind.SEQUENCE and not node.flow:
        for item in node.items:
            dash = _dash_before(lines, item)
            if dash is None:
                continue
            line, column = dash
            if _first_on_line(lines, line, column):
                plan.indent[line] = indent
            gap_end = item.span.start.column if item.span.start.line == line else None
            if gap_end is not None and gap_end > column + 2 and not item.is_null:
                plan.replace.setdefault(line, []).append((column + 1, gap_end, " "))
            if item.span.start.line == line and item.kind is NodeKind.MAPPING and not item.flow:
                _walk(plan, item, indent + INDENT)
            elif item.span.start.line != line:
                _child(plan, item, indent, line)
            else:
                _leaf(plan, item)
    else:
        _leaf(plan, node)


def _child(plan: _Plan, value: Node, indent: int, parent_line: int) -> None:
    """Lay out a value under a key (or a `-` with its value on the next line)."""
    if value.kind in (NodeKind.MAPPING, NodeKind.SEQUENCE) and not value.flow:
        if value.span.start.line == parent_line and value.kind is NodeKind.MAPPING:
            return  # `a: b: c` and the like: not valid block style, leave it
        _walk(plan, value, indent + INDENT)
    else:
        _leaf(plan, value)


def _leaf(plan: _Plan, node: Node) -> None:
    """A scalar or flow collection: block scalars are verbatim, one-line flow lists tidied."""
    span = node.span
    if node.kind is NodeKind.SCALAR and node.style in ("|", ">"):
        last = span.end.line if span.end.column > 0 else span.end.line - 1
        plan.verbatim.update(range(span.start.line + 1, last + 1))
        return
    if (
        node.kind is NodeKind.SEQUENCE
        and node.flow
        and span.start.line == span.end.line
        and all(item.kind is NodeKind.SCALAR for item in node.items)
    ):
        line = plan.lines[span.start.line]
        inside = line[span.start.column + 1 : span.end.column - 1]
        if "#" in inside:
            return
        texts = [line[item.span.start.column : item.span.end.column].strip() for item in node.items]
        plan.replace.setdefault(span.start.line, []).append(
            (span.start.column, span.end.column, "[" + ", ".join(texts) + "]")
        )


def _space_after_colon(plan: _Plan, key: Node, value: Node) -> None:
    """`key:   value` → `key: value` when both are on one line."""
    end = key.span.end
    start = value.span.start
    if end.line != start.line or value.span.start == value.span.end:
        return
    line = plan.lines[end.line]
    between = line[end.column : start.column]
    if between.strip() == ":" and between != ": " and between.lstrip().startswith(":"):
        if between.startswith(":"):
            plan.replace.setdefault(end.line, []).append((end.column, start.column, ": "))


def _dash_before(lines: list[str], item: Node) -> tuple[int, int] | None:
    """Where the `-` of a block list item is: before it on its line, or on a line above."""
    line = item.span.start.line
    column = item.span.start.column
    text = lines[line][:column].rstrip()
    if text.endswith("-"):
        return line, len(text) - 1
    for above in range(line - 1, max(line - 50, -1), -1):
        stripped = lines[above].rstrip()
        if not stripped or stripped.lstrip().startswith("#"):
            continue
        if stripped.endswith("-") and not stripped[:-1].strip():
            return above, len(stripped) - 1
        return None
    return None


def _apply_replacements(text: str, replacements: list[tuple[int, int, str]]) -> str:
    for start, end, new in sorted(replacements, reverse=True):
        text = text[:start] + new + text[end:]
    return text


def _layout(parsed: ParsedYaml) -> list[str | None]:
    """The new text of every line (None: delete it), before the safety checks."""
    lines = parsed.lines
    plan = _Plan(lines, {}, {}, set())
    if parsed.root is not None:
        _walk(plan, parsed.root, 0)
    out: list[str | None] = []
    delta = 0
    structural = sorted(plan.indent)
    next_index = 0
    blank_run = 0
    for number, line in enumerate(lines):
        if number in plan.verbatim:
            # Block scalar content moves with its key, trailing spaces and all (they are
            # content); its blank lines stay as they are.
            if line.strip():
                body = line.lstrip(" ")
                out.append(" " * max(len(line) - len(body) + delta, 0) + body)
            else:
                out.append(line)
            blank_run = 0
            continue
        while next_index < len(structural) and structural[next_index] < number:
            next_index += 1
        text = line.rstrip()
        body = text.lstrip(" ")
        current = len(text) - len(body)
        if not body:
            blank_run += 1
            out.append(None if blank_run > 1 else "")
            continue
        blank_run = 0
        if number in plan.indent:
            delta = plan.indent[number] - current
        elif body.startswith("#") and next_index < len(structural):
            upcoming = structural[next_index]
            upcoming_current = len(lines[upcoming]) - len(lines[upcoming].lstrip(" "))
            if upcoming_current == current:
                out.append(" " * plan.indent[upcoming] + body)
                continue
        if number in plan.replace:
            text = _apply_replacements(text, plan.replace[number])
            body = text.lstrip(" ")
            current = len(text) - len(body)
        out.append(" " * max(current + delta, 0) + body)
    return out


def _render(lines: list[str | None]) -> str:
    kept = [line for line in lines if line is not None]
    while kept and kept[-1] == "":
        kept.pop()
    return "\n".join(kept) + "\n" if kept else ""


def _comments(text: str) -> list[str]:
    return [line.strip() for line in split_lines(text) if line.strip().startswith("#")]


def _clean(parsed: ParsedYaml) -> bool:
    return not any(f.severity == Severity.ERROR for f in parsed.findings) and parsed.complete


def format_text(text: str) -> str:
    """The formatted text (the same text when it cannot be formatted safely)."""
    if "\t" in text or "\r" in text or text.startswith("\ufeff"):
        return text  # tabs, CRs and BOMs: reported by the linter, not rewritten here
    parsed = parse_yaml(text)
    if not _clean(parsed) or parsed.root is None:
        return text
    formatted = _render(_layout(parsed))
    if formatted == text:
        return text
    again = parse_yaml(formatted)
    if (
        not _clean(again)
        or to_python(again.root) != to_python(parsed.root)
        or _comments(formatted) != _comments(text)
    ):
        return text
    if _render(_layout(again)) != formatted:
        return text  # not stable: leave the file to the author
    return formatted


def _with_ends(text: str) -> list[str]:
    parts = text.split("\n")
    lines = [part + "\n" for part in parts[:-1]]
    if parts[-1]:
        lines.append(parts[-1])
    return lines


def line_edits(text: str) -> list[LineEdit]:
    """The formatting as a few whole-line edits of `text` (none when nothing changes), so an
    editor keeps the cursor and the undo step small."""
    formatted = format_text(text)
    if formatted == text:
        return []
    old, new = _with_ends(text), _with_ends(formatted)
    matcher = difflib.SequenceMatcher(a=old, b=new, autojunk=False)
    return [
        LineEdit(i1, i2, "".join(new[j1:j2]))
        for tag, i1, i2, j1, j2 in matcher.get_opcodes()
        if tag != "equal"
    ]
