"""Hover: what a key means, what a conduit is (with its calls left and its recent ledger lines,
read fresh from the ledger on each hover), and on `title` the court scores and heat."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from lsprotocol import types

from wishcraft.findings import Path, Position, Span
from wishcraft.lint import Analysis, DocumentKind
from wishcraft.lsp.features.shapes import example_of, field_at, range_words, type_words
from wishcraft.lsp.workspace import DocumentSnapshot
from wishcraft.model import ConduitDescriptor, Tier
from wishcraft.modelinfo import enum_class
from wishcraft.names import PLANNING_CONDUIT_ID
from wishcraft.registry import Registry
from wishcraft.scores import conduit_factor, tool_id_factor

if TYPE_CHECKING:
    from wishcraft.lsp.server import WishcraftLanguageServer


def conduit_markdown(descriptor: ConduitDescriptor, registry: Registry) -> str:
    """Describe a conduit: label, disposition, risk, determinism, latency, permissions, limits,
    audit fields, and its heat factor."""
    limits = (
        ", ".join(
            f"{name.replace('_', ' ')} {value:,}"
            for name, value in descriptor.limits.model_dump().items()
            if value is not None
        )
        or "none"
    )
    rows = [
        ("disposition", f"{descriptor.disposition.value}: {descriptor.disposition.description}"),
        ("risk", f"{descriptor.risk_class.value}: {descriptor.risk_class.description}"),
        ("determinism", f"{descriptor.determinism.value}: {descriptor.determinism.description}"),
        ("latency", f"{descriptor.latency_class.value}: {descriptor.latency_class.description}"),
        ("domains", ", ".join(domain.value for domain in descriptor.domains) or "none"),
        ("permissions", ", ".join(f"`{p}`" for p in descriptor.permissions) or "none"),
        ("limits", limits),
        ("audit fields", ", ".join(f"`{a}`" for a in descriptor.audit_fields) or "none"),
    ]
    table = "\n".join(f"| {name} | {value} |" for name, value in rows)
    return (
        f"**{descriptor.label}** · `{descriptor.id}`\n\n| | |\n|---|---|\n{table}\n\n"
        f"Heat × {conduit_factor(descriptor) * tool_id_factor(descriptor.id):.3g} · from "
        f"{registry.label}"
    )


def court_markdown(analysis: Analysis) -> str | None:
    """The court scores and heat estimate of a wish, or None when they are unknown."""
    scores = analysis.scores
    if scores is None or analysis.heat is None:
        return None
    return (
        f"**Court** · clarity {scores.clarity} · safety {scores.safety} · "
        f"reversibility {scores.reversibility}\n\n**Heat** ≈ {analysis.heat:.2f}"
    )


def key_markdown(kind: DocumentKind, path: Path) -> str | None:
    """Describe the key at `path`: description, type, range and example."""
    field = field_at(kind, path)
    if field is None:
        return None
    parts = [f"**{path[-1]}** · {type_words(field)}"]
    if field.description:
        parts.append(field.description)
    bounds = range_words(field)
    if bounds:
        parts.append(f"Range: {bounds}")
    example = example_of(field)
    if example is not None:
        parts.append(f"Example: `{format_example(example)}`")
    return "\n\n".join(parts)


def format_example(value: object) -> str:
    """Write an example value the way it would appear in YAML flow style."""
    if isinstance(value, list):
        return "[" + ", ".join(format_example(item) for item in value) + "]"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{k}: {format_example(v)}" for k, v in value.items()) + "}"
    if isinstance(value, str):
        return f'"{value}"'
    return str(value)


ConduitNote = Callable[[str], str | None]
"""More to say about a conduit id (the planning conduit's model), or None."""


def hover_at(
    snapshot: DocumentSnapshot, position: Position, conduit_note: ConduitNote | None = None
) -> tuple[str, Span] | None:
    """The hover text at a code-point position and the span it is about, or None."""
    analysis = snapshot.analysis
    place = analysis.index.place_at(position)
    node = place.node
    if node is None or not place.path:
        return None
    path = place.path
    if place.on_key:
        text = key_markdown(snapshot.kind, path)
        if text is None:
            return None
        if snapshot.kind is DocumentKind.WISH and path == ("title",):
            court = court_markdown(analysis)
            text = f"{text}\n\n---\n\n{court}" if court else text
        return text, node.span
    conduit = _conduit_at(snapshot, path, node.value)
    if conduit is not None:
        note = conduit_note(node.value) if conduit_note and isinstance(node.value, str) else None
        return (f"{conduit}\n\n---\n\n{note}" if note else conduit), node.span
    if snapshot.kind is DocumentKind.WISH and path == ("title",):
        court = court_markdown(analysis)
        return (court, node.span) if court else None
    field = field_at(snapshot.kind, path)
    enum = enum_class(field) if field is not None else None
    if enum is None and isinstance(path[-1], int):
        parent = field_at(snapshot.kind, path[:-1])
        enum = enum_class(parent) if parent is not None else None
    if enum is not None:
        member = enum.parse(node.value)
        if member is not None:
            extra = ""
            if enum is Tier and snapshot.kind is DocumentKind.WISH:
                extra = "\n\n" + (court_markdown(analysis) or "")
            return f"**{member.value}** · {member.description}{extra}".rstrip(), node.span
    return None


def _conduit_at(snapshot: DocumentSnapshot, path: Path, value: object) -> str | None:
    if not isinstance(value, str):
        return None
    is_tool = snapshot.kind is DocumentKind.WISH and len(path) == 2 and path[0] == "tools"
    is_id = snapshot.kind is DocumentKind.REGISTRY and len(path) == 2 and path[1] == "id"
    if not (is_tool or is_id):
        return None
    descriptor = snapshot.registry.get(value)
    if descriptor is None:
        return f"`{value}` is not a conduit of {snapshot.registry.label}."
    return conduit_markdown(descriptor, snapshot.registry)


def planning_note(ls: WishcraftLanguageServer, uri: str, conduit: str) -> str | None:
    """On the planning conduit: the model a plan would use and where that choice came from."""
    if conduit != PLANNING_CONDUIT_ID:
        return None
    # Imported here: the conduit stays out of the server's start-up until it is asked about.
    from wishcraft.conduit.config import load_config
    from wishcraft.conduit.errors import ConduitError
    from wishcraft.conduit.preview import preview_markdown, preview_plan
    from wishcraft.config import ConfigFileError, load_workspace_config
    from wishcraft.lsp.server import document_path

    document = ls.open_document(uri)
    path = document_path(document) if document is not None else None
    model = ls.settings.plan.model
    try:
        config = load_config(
            load_workspace_config(path.parent if path else None),
            overrides={"model": model} if model else None,
            overrides_source="the wishcraft.plan.model setting",
        )
    except (ConduitError, ConfigFileError) as error:
        return f"**Plans** cannot start: {error}"
    return preview_markdown(preview_plan(config))


RECENT_LEDGER_LINES = 5
"""How many of a conduit's latest ledger lines its hover shows."""


def ledger_note(snapshot: DocumentSnapshot, conduit: str) -> str | None:
    """On a conduit id: the calls it has left for this wish and its latest ledger lines, newest
    first; None when the conduit is not in the registry."""
    descriptor = snapshot.registry.get(conduit)
    if descriptor is None:
        return None
    # The ledger is light (no conduit, no network); the tail is read, not the whole file.
    from wishcraft.court.gates import remaining
    from wishcraft.ledger import LedgerError, find_ledger, is_counted, recent_entries, usage
    from wishcraft.ledger.counting import RULE as COUNTING_RULE

    try:
        location = find_ledger(snapshot.path)
        entries = recent_entries(location.path, conduit, RECENT_LEDGER_LINES)
        counted = (
            usage(location.path, conduit, location.wish_key(snapshot.path))
            if snapshot.kind is DocumentKind.WISH
            else None
        )
    except LedgerError as error:
        return f"**Ledger** · {error}"
    parts = []
    if counted is not None and (
        descriptor.limits.per_wish_calls is not None or descriptor.limits.per_day_calls is not None
    ):
        action = "plan" if conduit == PLANNING_CONDUIT_ID else "calls"
        parts.append(
            f"**Calls left** · {remaining(descriptor, action, counted).label()} · {COUNTING_RULE}"
        )
    if not entries:
        shown = location.wish_key(location.path)  # relative to the repository, as wishes are
        parts.append(f"**Ledger** · no call of `{conduit}` yet in {shown}")
    else:
        lines = []
        for entry in entries:
            cells = [entry.timestamp, entry.action, entry.mode, entry.outcome]
            if entry.mode == "commit" and not is_counted(entry.model_dump()):
                cells.append("not counted")
            if entry.model:
                cells.append(entry.model)
            if entry.tokens_used is not None:
                cells.append(f"{entry.tokens_used:,} tokens")
            cells.append(f"`{entry.wish}`")
            reason = f" ({entry.reason})" if entry.reason else ""
            lines.append("- " + " · ".join(cells) + reason)
        last = "the last call" if len(entries) == 1 else f"the last {len(entries)} calls"
        parts.append(f"**Ledger** · {last} of `{conduit}`, newest first\n\n" + "\n".join(lines))
    return "\n\n".join(parts)


def register(server: WishcraftLanguageServer) -> None:
    """Wire `textDocument/hover`."""

    @server.feature(types.TEXT_DOCUMENT_HOVER)
    def hover(ls: WishcraftLanguageServer, params: types.HoverParams) -> types.Hover | None:
        snapshot = ls.snapshot(params.text_document.uri)
        if snapshot is None:
            return None

        def note(conduit: str) -> str | None:
            notes = [
                planning_note(ls, params.text_document.uri, conduit),
                ledger_note(snapshot, conduit),
            ]
            return "\n\n---\n\n".join(text for text in notes if text) or None

        found = hover_at(snapshot, snapshot.positions.from_client(params.position), note)
        if found is None:
            return None
        text, span = found
        document = ls.client_capabilities.text_document
        formats = document.hover.content_format if document and document.hover else None
        return types.Hover(
            contents=types.MarkupContent(kind=ls.markup_kind(formats), value=text),
            range=snapshot.positions.to_range(span),
        )
