"""The pure part of bench_peers.py: which features are checked, how a server's claim to one is
read (its initialize capabilities and its dynamic registrations, both), how an answer is judged
non-empty, the figures' statistics (which every bench uses), and the Markdown tables. No
server, no I/O: these are unit-tested (tests/unit/test_bench_peers.py) so that a mark in
docs/peers.md means what the legend says.

Everything here works on JSON as it crossed the wire (dicts and lists), not on lsprotocol
types, so that what a server sent is judged, not what a converter made of it.
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Feature:
    """One row of the features table: the capability keys that announce it in `initialize`,
    the methods a dynamic registration announces it by, and the issue's number (None for the
    features we already had)."""

    name: str
    capabilities: tuple[str, ...]
    methods: tuple[str, ...]
    issue: int | None = None
    yaml_only: bool = False


FEATURES: tuple[Feature, ...] = (
    Feature("references", ("referencesProvider",), ("textDocument/references",), 1),
    Feature("rename", ("renameProvider",), ("textDocument/rename",), 2),
    Feature(
        "diagnostics for files not open",
        ("diagnosticProvider.workspaceDiagnostics",),
        ("textDocument/diagnostic.workspaceDiagnostics",),
        3,
    ),
    Feature("formatting", ("documentFormattingProvider",), ("textDocument/formatting",), 4),
    Feature("workspace symbols", ("workspaceSymbolProvider",), ("workspace/symbol",), 5),
    Feature("pull diagnostics", ("diagnosticProvider",), ("textDocument/diagnostic",), 6),
    Feature("selection ranges", ("selectionRangeProvider",), ("textDocument/selectionRange",), 7),
    Feature(
        "anchors: definition and rename",
        ("definitionProvider", "renameProvider"),
        ("textDocument/definition", "textDocument/rename"),
        8,
        yaml_only=True,
    ),
    Feature(
        "document highlight",
        ("documentHighlightProvider",),
        ("textDocument/documentHighlight",),
        9,
    ),
    Feature("document links", ("documentLinkProvider",), ("textDocument/documentLink",), 10),
    Feature("inlay hints", ("inlayHintProvider",), ("textDocument/inlayHint",), 11),
    Feature("semantic tokens", ("semanticTokensProvider",), ("textDocument/semanticTokens",), 12),
    Feature("definition", ("definitionProvider",), ("textDocument/definition",)),
    Feature("code lens", ("codeLensProvider",), ("textDocument/codeLens",)),
    Feature("code actions", ("codeActionProvider",), ("textDocument/codeAction",)),
    Feature("completion", ("completionProvider",), ("textDocument/completion",)),
    Feature("hover", ("hoverProvider",), ("textDocument/hover",)),
    Feature("document symbols", ("documentSymbolProvider",), ("textDocument/documentSymbol",)),
    Feature("folding", ("foldingRangeProvider",), ("textDocument/foldingRange",)),
)
"""Issue 25's twelve features, then the ones we led on, in the issue's order."""


def _lookup(document: Mapping[str, Any], dotted: str) -> Any:
    """The value at a dotted path of nested dicts, or None."""
    value: Any = document
    for key in dotted.split("."):
        if not isinstance(value, Mapping):
            return None
        value = value.get(key)
    return value


def _claimed(value: Any) -> bool:
    """Whether a capability value claims the feature: `true` or an options object (even `{}`),
    never `false` or absent."""
    return value is not None and value is not False


def _registered(method: str, registrations: Iterable[Mapping[str, Any]]) -> bool:
    """Whether a registration names `method`; `method.option` asks that its registerOptions
    also set `option` (workspace diagnostics are pull diagnostics with workspaceDiagnostics)."""
    name, _, option = method.partition(".")
    for registration in registrations:
        if registration.get("method") != name:
            continue
        if not option or _lookup(registration.get("registerOptions") or {}, option) is True:
            return True
    return False


def announced(
    feature: Feature,
    capabilities: Mapping[str, Any],
    registrations: Sequence[Mapping[str, Any]],
) -> str:
    """How a server announced a feature: "static" in its initialize answer, "dynamic" by
    client/registerCapability, or "no". A feature with several keys (anchors: definition and
    rename) needs every one, each in either way."""
    ways = set()
    for key, method in zip(feature.capabilities, feature.methods, strict=True):
        value = _lookup(capabilities, key)
        if "." in key and value is not True:
            value = None  # workspaceDiagnostics must be true, not just present
        if _claimed(value):
            ways.add("static")
        elif _registered(method, registrations):
            ways.add("dynamic")
        else:
            return "no"
    return "dynamic" if "dynamic" in ways else "static"


def non_empty(result: Any) -> bool:
    """Whether a result (as JSON) carries something a user would see: a location, an edit,
    an item, a token. `null`, `[]`, an empty list of items or edits, an empty hover do not."""
    if result is None or result is False:
        return False
    if isinstance(result, list):
        return len(result) > 0
    if isinstance(result, Mapping):
        for key in ("items", "data"):  # completion lists, diagnostic reports; semantic tokens
            if key in result:
                return non_empty(result[key])
        if "contents" in result:  # hover
            return _hover_text(result["contents"]) != ""
        if "changes" in result or "documentChanges" in result:  # a workspace edit
            changes = result.get("changes") or {}
            return any(non_empty(edits) for edits in changes.values()) or non_empty(
                result.get("documentChanges")
            )
        return True  # a location, a range: something
    return bool(result)


def _hover_text(contents: Any) -> str:
    if isinstance(contents, str):
        return contents.strip()
    if isinstance(contents, Mapping):
        return str(contents.get("value", "")).strip()
    if isinstance(contents, list):
        return "".join(_hover_text(part) for part in contents)
    return ""


def section(settings: Mapping[str, Any], name: str | None) -> Any:
    """The value a `workspace/configuration` item asks for: the whole settings for no
    section, else the dotted section (`python.analysis`), or None."""
    if not name:
        return dict(settings)
    return _lookup(settings, name)


def percentile(values: Sequence[float], share: float) -> float:
    """The nearest-rank percentile: the smallest value with at least `share` of the values at
    or below it."""
    ordered = sorted(values)
    if not ordered:
        return math.nan
    return ordered[max(0, math.ceil(len(ordered) * share) - 1)]


def median_p99(values: Sequence[float]) -> tuple[float, float]:
    """Median and p99 (nearest rank) of a list of milliseconds; NaN for none."""
    if not values:
        return math.nan, math.nan
    return statistics.median(values), percentile(values, 0.99)


def cell(announced_as: str, answered: str) -> str:
    """One server's cell in the features table: how it announced the feature, then what it
    answered, e.g. `static · yes`, `dynamic · empty`, `no · —`."""
    return f"{announced_as} · {answered}"


def markdown_table(header: Sequence[str], rows: Iterable[Sequence[str]]) -> str:
    """A Markdown table; a `|` inside a cell is escaped so that it stays one cell."""
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    for row in rows:
        lines.append("| " + " | ".join(str(value).replace("|", "\\|") for value in row) + " |")
    return "\n".join(lines)


def figure(values: Sequence[float]) -> str:
    """A median / p99 pair in milliseconds for a table cell, or `—` for no values."""
    if not values:
        return "—"
    median, p99 = median_p99(values)
    return f"{_ms(median)} / {_ms(p99)}"


def ratio(ours: Sequence[float], theirs: Sequence[float]) -> str:
    """Our median over theirs (below 1: we are faster), or `—` when either is missing."""
    if not ours or not theirs:
        return "—"
    their_median = statistics.median(theirs)
    if their_median <= 0:
        return "—"
    return f"{statistics.median(ours) / their_median:.2f}×"


def _ms(value: float) -> str:
    return f"{value:.1f}" if value < 100 else f"{value:.0f}"
