"""Inlay hints: the calls a conduit has left after its id in `tools` (from the ledger, as the
code lens counts them), and the tier's limit after `scope.duration_days` and each budget
value. On by default; `wishcraft.inlayHints.callsLeft` and `.tierLimits` turn each off.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from lsprotocol import types

from wishcraft.documents import NodeKind
from wishcraft.findings import Position, Span
from wishcraft.lint import DocumentKind
from wishcraft.lint.config import LintConfig
from wishcraft.lsp.workspace import DocumentSnapshot
from wishcraft.model import Tier
from wishcraft.names import PLANNING_CONDUIT_ID

if TYPE_CHECKING:
    from wishcraft.lsp.server import WishcraftLanguageServer

logger = logging.getLogger(__name__)

LIMITED = (
    (("scope", "duration_days"), "duration_days"),
    (("budget", "chrono_sand"), "chrono_sand"),
    (("budget", "genie_slots"), "genie_slots"),
    (("budget", "gold_cap"), "gold_cap"),
)
"""The values a tier limits, and the `TierLimits` field of each."""


def _within(span: Span, wanted: Span) -> bool:
    return wanted.start <= span.end and span.start <= wanted.end


def tier_limit_hints(
    snapshot: DocumentSnapshot, config: LintConfig, wanted: Span
) -> list[tuple[Position, str]]:
    """`≤ 7 (micro)` after each value the wish's tier limits (none without a tier)."""
    index = snapshot.analysis.index
    located = index.get(("tier",))
    tier = Tier.parse(located.value.value) if located is not None else None
    if not isinstance(tier, Tier):
        return []
    limits = config.tier_limits.get(tier)
    if limits is None:
        return []
    out = []
    for path, field in LIMITED:
        found = index.get(path)
        if found is None or found.value.kind is not NodeKind.SCALAR:
            continue
        if not _within(found.value.span, wanted):
            continue
        out.append((found.value.span.end, f"≤ {getattr(limits, field):,} ({tier.value})"))
    return out


def calls_left_hints(snapshot: DocumentSnapshot, wanted: Span) -> list[tuple[Position, str]]:
    """`plan 3/10 · today 12/200` after each conduit id of `tools` that has limits."""
    tools = snapshot.analysis.index.get(("tools",))
    value = tools.value.resolved() if tools is not None else None
    if value is None or value.kind is not NodeKind.SEQUENCE:
        return []
    limited = [
        (item, descriptor)
        for item in value.items
        if isinstance(item.value, str)
        and _within(item.span, wanted)
        and (descriptor := snapshot.registry.get(item.value)) is not None
        and (
            descriptor.limits.per_wish_calls is not None
            or descriptor.limits.per_day_calls is not None
        )
    ]
    if not limited:
        return []
    # The ledger (and the gates' arithmetic) load on the first wish with a limited conduit.
    from wishcraft.court.gates import remaining
    from wishcraft.ledger import LedgerError, find_ledger, usage

    try:
        location = find_ledger(snapshot.path)
        wish = location.wish_key(snapshot.path)
        out = []
        for item, descriptor in limited:
            counted = usage(location.path, descriptor.id, wish)
            action = "plan" if descriptor.id == PLANNING_CONDUIT_ID else "calls"
            out.append((item.span.end, remaining(descriptor, action, counted).label()))
    except LedgerError as error:
        logger.info("No calls-left hints: %s", error)
        return []
    return out


def register(server: WishcraftLanguageServer) -> None:
    """Wire `textDocument/inlayHint`."""

    @server.feature(types.TEXT_DOCUMENT_INLAY_HINT)
    def inlay_hint(
        ls: WishcraftLanguageServer, params: types.InlayHintParams
    ) -> list[types.InlayHint] | None:
        snapshot = ls.snapshot(params.text_document.uri)
        if snapshot is None or snapshot.kind is not DocumentKind.WISH:
            return None
        wanted = snapshot.positions.from_range(params.range)
        settings = ls.settings.inlay_hints
        hints: list[tuple[Position, str]] = []
        if settings.tier_limits:
            hints += tier_limit_hints(snapshot, ls.lint_config_for(snapshot.path), wanted)
        if settings.calls_left:
            hints += calls_left_hints(snapshot, wanted)
        return [
            types.InlayHint(
                position=snapshot.positions.to_client(position), label=label, padding_left=True
            )
            for position, label in sorted(hints)
        ]
