"""YAML anchors and aliases in the editor: go to an alias's anchor, rename an anchor with its
aliases, highlight them. The handlers of those methods (definition, references) ask here
first whether the cursor is on an `&anchor` or `*alias`; the pure part is
`documents/anchors.py`.
"""

from __future__ import annotations

from lsprotocol import types

from wishcraft.documents.anchors import AnchorPlace, anchor_places, family, place_at
from wishcraft.lsp.workspace import DocumentSnapshot


def anchor_at(
    snapshot: DocumentSnapshot, position: types.Position
) -> tuple[list[AnchorPlace], AnchorPlace] | None:
    """The document's anchor places and the one under the cursor, if the cursor is on one."""
    if "&" not in snapshot.analysis.parsed.text:
        return None  # no anchor, so no alias that resolves: skip the walk
    places = anchor_places(snapshot.analysis.parsed)
    place = place_at(places, snapshot.positions.from_client(position))
    return (places, place) if place is not None else None


def anchor_definition(
    snapshot: DocumentSnapshot, position: types.Position
) -> types.Location | None:
    """Where the anchor of the alias (or anchor) under the cursor is written."""
    found = anchor_at(snapshot, position)
    if found is None:
        return None
    places, place = found
    anchor = family(places, place)[0]
    if not anchor.is_anchor:
        return None
    return types.Location(uri=snapshot.uri, range=snapshot.positions.to_range(anchor.span))


def anchor_highlights(
    snapshot: DocumentSnapshot, position: types.Position
) -> list[types.DocumentHighlight] | None:
    """The anchor under the cursor (or of the alias under it) and its aliases."""
    found = anchor_at(snapshot, position)
    if found is None:
        return None
    places, place = found
    return [
        types.DocumentHighlight(
            range=snapshot.positions.to_range(member.span),
            kind=types.DocumentHighlightKind.Write
            if member.is_anchor
            else types.DocumentHighlightKind.Read,
        )
        for member in family(places, place)
    ]


def anchor_rename_edits(
    snapshot: DocumentSnapshot, position: types.Position, new_name: str
) -> list[types.TextEdit] | None:
    """The edits renaming the anchor under the cursor and its aliases (None: not on one)."""
    found = anchor_at(snapshot, position)
    if found is None:
        return None
    places, place = found
    return [
        types.TextEdit(range=snapshot.positions.to_range(member.span), new_text=new_name)
        for member in family(places, place)
    ]
