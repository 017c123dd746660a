"""Completion that works on half-typed YAML: keys, tier values, conduit ids, a wish skeleton.

Where the cursor is in the structure is read from the text by indentation, not from the parse
tree, because the text being typed is usually not valid YAML yet (`ti`, `tools:` then `- `).
Keys already present at that level come from the parse tree when the document parsed
completely (fast on 5,000 lines), else from the text around the cursor.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import Enum
from typing import TYPE_CHECKING

from lsprotocol import types

from wishcraft.findings import Path, Position
from wishcraft.lint import DocumentKind
from wishcraft.lsp.features.hover import conduit_markdown
from wishcraft.lsp.features.shapes import (
    field_at,
    key_text,
    model_at,
    root_model,
    type_words,
    wish_skeleton,
)
from wishcraft.lsp.workspace import DocumentSnapshot
from wishcraft.model import Wish
from wishcraft.modelinfo import enum_class, list_item
from wishcraft.registry import Registry

if TYPE_CHECKING:
    from wishcraft.lsp.server import WishcraftLanguageServer

_LINE = re.compile(r"^(?P<indent> *)(?P<dash>-(?: +|$))?(?P<rest>.*)$")
_KEY = re.compile(r"^(?P<key>[A-Za-z_][\w.-]*|\"[^\"]*\"|'[^']*')\s*:(?:\s+(?P<value>.*)|$)")
_WORD = re.compile(r"[\w.-]*$")
_WORD_AFTER = re.compile(r"^[\w.-]*")


class Slot(Enum):
    """What the cursor is completing."""

    KEY = "key"
    VALUE = "value"
    ITEM = "item"


@dataclass(frozen=True, slots=True)
class CursorContext:
    """Where the cursor is: the path of the mapping, key or list it completes in, and the
    typed prefix (from `start` to the cursor) that a completion replaces."""

    slot: Slot
    path: Path
    indent: int
    start: int
    end: int
    prefix: str
    quote: str = ""


MAX_SCAN_LINES = 10_000
"""How far from the cursor completion reads the text for parent keys and sibling keys (when
the tree is cut short by an error). A wish is under a hundred lines; a 500,000-line file
would cost seconds a keystroke."""


@dataclass(frozen=True, slots=True)
class _LineInfo:
    indent: int
    dash: bool
    content_indent: int
    key: str | None
    value: str


def _line_info(line: str) -> _LineInfo | None:
    """Read a line's indentation, list dash and key; None for blank and comment lines."""
    stripped = line.strip()
    if not stripped or stripped.startswith("#"):
        return None
    match = _LINE.match(line.rstrip("\r"))
    if match is None:
        return None
    indent = len(match.group("indent"))
    dash = match.group("dash") is not None
    content_indent = indent + (len(match.group("dash")) if dash else 0)
    key_match = _KEY.match(match.group("rest"))
    if key_match is None:
        return _LineInfo(indent, dash, content_indent, None, match.group("rest"))
    key = key_match.group("key").strip("\"'")
    value = (key_match.group("value") or "").split(" #")[0].strip()
    return _LineInfo(indent, dash, content_indent, key, value)


def ancestors(lines: list[str], line_number: int, indent: int, *, item: bool) -> Path:
    """The path of the mapping (or, with `item`, the list) that a line at `indent` belongs to.

    Sequence items count as index 0: only the model at the path matters to completion.
    A list's dashes may sit at its key's indentation, so for an item a key line at the same
    indentation is the parent.
    """
    path: list[str | int] = []
    need = indent
    equal_ok = item
    for number in range(line_number - 1, max(line_number - MAX_SCAN_LINES, 0) - 1, -1):
        if need == 0 and not equal_ok:
            break
        info = _line_info(lines[number])
        if info is None:
            continue
        if info.dash:
            if info.indent < need:
                if info.key is not None and not info.value and info.content_indent < need:
                    path.insert(0, info.key)
                path.insert(0, 0)
                need, equal_ok = info.indent, True
            continue
        if info.key is None:
            continue
        if info.indent < need or (info.indent == need and equal_ok and not info.value):
            path.insert(0, info.key)
            need, equal_ok = info.indent, False
    return tuple(path)


def cursor_context(lines: list[str], position: Position) -> CursorContext | None:
    """Work out what is being completed at `position` from the text alone."""
    if position.line >= len(lines):
        return None
    line = lines[position.line]
    before = line[: position.column]
    after = _WORD_AFTER.match(line[position.column :])
    end = position.column + (len(after.group(0)) if after else 0)
    match = _LINE.match(before)
    if match is None or "#" in before:
        return None
    indent = len(match.group("indent"))
    dash = match.group("dash")
    rest = match.group("rest")
    content_indent = indent + (len(dash) if dash else 0)
    key_value = re.match(r"^(?P<key>[A-Za-z_][\w.-]*)\s*:\s+(?P<value>.*)$", rest)
    if key_value is not None:
        base = ancestors(lines, position.line, content_indent, item=False)
        if dash:
            base = (*ancestors(lines, position.line, indent, item=True), 0)
        key_path = (*base, key_value.group("key"))
        value = key_value.group("value")
        if value.startswith("["):
            word = re.search(r"[\"']?[\w.-]*$", value)
            typed = word.group(0) if word else ""
            return _item_or_value(
                Slot.ITEM, (*key_path, 0), content_indent, position, end, typed, line
            )
        if re.fullmatch(r"[\"']?[\w.-]*", value):
            return _item_or_value(Slot.VALUE, key_path, content_indent, position, end, value, line)
        return None
    if not re.fullmatch(r"[\"']?[\w.-]*", rest):
        return None
    if dash:
        list_path = ancestors(lines, position.line, indent, item=True)
        return _item_or_value(Slot.ITEM, (*list_path, 0), content_indent, position, end, rest, line)
    if rest.startswith(('"', "'")):
        return None
    path = ancestors(lines, position.line, indent, item=False)
    return CursorContext(Slot.KEY, path, indent, position.column - len(rest), end, rest)


def _item_or_value(
    slot: Slot, path: Path, indent: int, position: Position, end: int, typed: str, line: str
) -> CursorContext:
    quote = typed[:1] if typed[:1] in ('"', "'") else ""
    if quote and line[end : end + 1] == quote:
        end += 1  # replace the closing quote too
    return CursorContext(
        slot, path, indent, position.column - len(typed), end, typed[len(quote) :], quote
    )


def present_keys(
    snapshot: DocumentSnapshot, context: CursorContext, position: Position
) -> set[str]:
    """Keys already written in the mapping being completed, the line being typed left out."""
    analysis = snapshot.analysis
    if analysis.parsed.complete:
        located = analysis.index.get(context.path)
        if located is None:
            return set()
        return {
            str(pair.key.value)
            for pair in located.value.resolved().pairs
            if pair.key.span.start.line != position.line
        }
    return _present_keys_in_text(snapshot.lines, position.line, context.indent)


def _present_keys_in_text(lines: list[str], line_number: int, indent: int) -> set[str]:
    keys: set[str] = set()
    for step in (-1, 1):
        number = line_number + step
        stop = line_number + step * MAX_SCAN_LINES
        while 0 <= number < len(lines) and number != stop:
            info = _line_info(lines[number])
            number += step
            if info is None:
                continue
            if info.dash and info.indent < indent:
                # The dash starts this list item (upward) or the next one (downward).
                if step < 0 and info.content_indent == indent and info.key:
                    keys.add(info.key)
                break
            if info.indent < indent:
                break
            if not info.dash and info.indent == indent and info.key:
                keys.add(info.key)
    return keys


def _edit(context: CursorContext, line: int, text: str) -> types.TextEdit:
    return types.TextEdit(
        range=types.Range(
            start=types.Position(line=line, character=context.start),
            end=types.Position(line=line, character=context.end),
        ),
        new_text=text,
    )


def is_blank(lines: list[str]) -> bool:
    """Whether a document holds nothing but blank and comment lines (a wish to start)."""
    return not any(line.strip() and not line.lstrip().startswith("#") for line in lines)


def complete(
    snapshot: DocumentSnapshot, position: Position, *, snippets: bool
) -> list[types.CompletionItem]:
    """Completion items at a code-point position (edit ranges in code points, converted by
    the caller)."""
    lines = snapshot.lines
    if snapshot.kind is DocumentKind.WISH and is_blank(lines):
        # Multi-line text cannot go through an omnifunc (Neovim joins the lines with NULs):
        # the skeleton is a completion item only where it expands as a snippet; other clients
        # get the "Insert wish skeleton" code action.
        return [
            *([_skeleton_item(position, snippets)] if snippets else []),
            *(
                _key_items(
                    snapshot,
                    CursorContext(
                        Slot.KEY, (), position.column, position.column, position.column, ""
                    ),
                    position,
                    snippets,
                )
            ),
        ]
    context = cursor_context(lines, position)
    if context is None:
        return []
    if context.slot is Slot.KEY:
        if context.path and list_item(field_at(snapshot.kind, context.path)) is not None:
            # An indented blank line under `tools:`: offer items with their dash.
            item = CursorContext(
                Slot.ITEM,
                (*context.path, 0),
                context.indent,
                context.start,
                context.end,
                context.prefix,
            )
            return _value_items(snapshot, item, position, lead="- ")
        return _key_items(snapshot, context, position, snippets)
    return _value_items(snapshot, context, position)


def _skeleton_item(position: Position, snippets: bool) -> types.CompletionItem:
    text = wish_skeleton(snippets=snippets)
    return types.CompletionItem(
        label="wish",
        kind=types.CompletionItemKind.Snippet,
        detail="A whole wish: every required key and tier",
        documentation=types.MarkupContent(
            kind=types.MarkupKind.Markdown,
            value="```yaml\n" + wish_skeleton(snippets=False) + "```",
        ),
        insert_text_format=(
            types.InsertTextFormat.Snippet if snippets else types.InsertTextFormat.PlainText
        ),
        text_edit=types.TextEdit(
            range=types.Range(
                start=types.Position(line=position.line, character=0),
                end=types.Position(line=position.line, character=position.column),
            ),
            new_text=text,
        ),
        sort_text="0",
        preselect=True,
    )


def _key_items(
    snapshot: DocumentSnapshot, context: CursorContext, position: Position, snippets: bool
) -> list[types.CompletionItem]:
    model = model_at(snapshot.kind, context.path)
    if model is None:
        return []
    present = present_keys(snapshot, context, position)
    required = [name for name, field in model.model_fields.items() if field.is_required()]
    items: list[types.CompletionItem] = []
    for order, (name, field) in enumerate(model.model_fields.items()):
        if name in present:
            continue
        text = key_text(snapshot.kind, (*context.path, name), context.indent, snippets=snippets)
        items.append(
            types.CompletionItem(
                label=name,
                kind=types.CompletionItemKind.Property,
                detail=type_words(field),
                documentation=types.MarkupContent(
                    kind=types.MarkupKind.Markdown, value=field.description or ""
                ),
                insert_text_format=(
                    types.InsertTextFormat.Snippet if snippets else types.InsertTextFormat.PlainText
                ),
                insert_text_mode=types.InsertTextMode.AsIs,
                text_edit=_edit(context, position.line, text),
                filter_text=name,
                sort_text=f"{0 if name in required else 1}{order:02d}",
            )
        )
    return items


def _value_items(
    snapshot: DocumentSnapshot, context: CursorContext, position: Position, lead: str = ""
) -> list[types.CompletionItem]:
    root = root_model(snapshot.kind)
    path = context.path
    if (
        snapshot.kind is DocumentKind.WISH
        and root is Wish
        and len(path) == 2
        and path[0] == "tools"
        and context.slot is Slot.ITEM
    ):
        return _conduit_items(snapshot.registry, context, position, lead)
    field = field_at(snapshot.kind, path if context.slot is Slot.VALUE else path[:-1])
    if field is None:
        return []
    enum = enum_class(field) if context.slot is Slot.VALUE else enum_class(list_item(field))
    if enum is None:
        return []
    items = []
    for order, member in enumerate(enum):
        text = f"{lead}{context.quote}{member.value}{context.quote}"
        items.append(
            types.CompletionItem(
                label=member.value,
                kind=types.CompletionItemKind.EnumMember,
                detail=enum.__doc__.strip().splitlines()[0] if enum.__doc__ else None,
                documentation=types.MarkupContent(
                    kind=types.MarkupKind.Markdown, value=member.description
                ),
                text_edit=_edit(context, position.line, text),
                filter_text=text,
                sort_text=f"{order:02d}",
            )
        )
    return items


def _conduit_items(
    registry: Registry, context: CursorContext, position: Position, lead: str
) -> list[types.CompletionItem]:
    items = []
    for conduit_id, descriptor in sorted(registry.conduits.items()):
        text = f"{lead}{context.quote}{conduit_id}{context.quote}"
        items.append(
            types.CompletionItem(
                label=conduit_id,
                kind=types.CompletionItemKind.Value,
                detail=f"{descriptor.label} · {descriptor.risk_class.value} risk",
                documentation=types.MarkupContent(
                    kind=types.MarkupKind.Markdown, value=conduit_markdown(descriptor, registry)
                ),
                text_edit=_edit(context, position.line, text),
                filter_text=text,
            )
        )
    return items


def _to_client(
    items: list[types.CompletionItem], snapshot: DocumentSnapshot, markup: types.MarkupKind
) -> list[types.CompletionItem]:
    """Convert edit ranges (on one line) to client units, line ends to the document's, and
    documentation to `markup`."""
    crlf = "\r\n" in snapshot.analysis.parsed.text
    for item in items:
        edit = item.text_edit
        if isinstance(edit, types.TextEdit):
            if crlf:
                edit.new_text = edit.new_text.replace("\n", "\r\n")
            start = snapshot.positions.to_client(
                Position(edit.range.start.line, edit.range.start.character)
            )
            end = snapshot.positions.to_client(
                Position(edit.range.end.line, edit.range.end.character)
            )
            edit.range = types.Range(start=start, end=end)
        if isinstance(item.documentation, types.MarkupContent):
            item.documentation.kind = markup
    return items


def register(server: WishcraftLanguageServer) -> None:
    """Wire `textDocument/completion`."""

    @server.feature(
        types.TEXT_DOCUMENT_COMPLETION,
        types.CompletionOptions(trigger_characters=[" ", "-", '"', "'"]),
    )
    def completion(
        ls: WishcraftLanguageServer, params: types.CompletionParams
    ) -> types.CompletionList | None:
        snapshot = ls.snapshot(params.text_document.uri)
        if snapshot is None:
            return None
        position = snapshot.positions.from_client(params.position)
        items = complete(snapshot, position, snippets=ls.snippet_support)
        document = ls.client_capabilities.text_document
        completion_caps = document.completion if document else None
        item_caps = completion_caps.completion_item if completion_caps else None
        markup = ls.markup_kind(item_caps.documentation_format if item_caps else None)
        return types.CompletionList(is_incomplete=False, items=_to_client(items, snapshot, markup))
