"""Find wishes and conduits by a few typed letters: the ranking behind workspace symbols.

Pure (no pygls). Wishes are found by their title, their file name and the words of their
objective; conduits by their id and label. Each word of the query must match one of those
fields; a match scores by how it matches (the whole field, its start, the start of a word in
it, anywhere, or the letters in order as editors' fuzzy finders do) times how much the field
says (a title or id more than an objective's word). The best come first, ties by name.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from wishcraft.findings import Span
from wishcraft.kinds import DocumentKind
from wishcraft.lsp.index import IndexedFile

MAX_RESULTS = 200
"""The most symbols one query returns: a picker shows a screenful, and each costs to send."""

WORD_START = re.compile(r"(?:^|(?<=[\s._/\-:()\[\]]))\w")

TITLE, FILE_NAME, OBJECTIVE = 1.0, 0.8, 0.5
CONDUIT_ID, CONDUIT_LABEL = 1.0, 0.8


@dataclass(frozen=True, slots=True)
class Found:
    """One ranked symbol: what it is, where, and in which container."""

    name: str
    kind: DocumentKind
    """WISH for a wish, REGISTRY for a conduit (of that registry)."""
    path: Path
    span: Span | None
    detail: str | None
    score: float


def match_score(query: str, text: str) -> float:
    """How well one lower-case query word matches a text: 0 for not at all, up to 1."""
    if not query:
        return 0.0
    folded = text.lower()
    if folded == query:
        return 1.0
    if folded.startswith(query):
        return 0.9
    for start in WORD_START.finditer(folded):
        if folded.startswith(query, start.start()):
            return 0.75
    if query in folded:
        return 0.55
    # Fuzzy: the query's characters in order; the fewer the gaps, the better.
    position = -1
    gaps = 0
    for char in query:
        found = folded.find(char, position + 1)
        if found == -1:
            return 0.0
        gaps += found - position - 1 if position >= 0 else 0
        position = found
    return 0.35 / (1 + gaps / max(len(query), 1))


def _score(words: list[str], fields: list[tuple[str, float]]) -> float:
    """The sum over the query's words of each one's best field (0 when one matches none)."""
    total = 0.0
    for word in words:
        best = max((match_score(word, text) * weight for text, weight in fields), default=0.0)
        if best == 0.0:
            return 0.0
        total += best
    return total


def _sieve(word: str) -> re.Pattern[str]:
    """The letters of `word` in order within one line: what any match needs at least."""
    return re.compile("[^\n]*?".join(re.escape(char) for char in word))


def search(query: str, files: Iterable[IndexedFile], limit: int = MAX_RESULTS) -> list[Found]:
    """The wishes and conduits that match `query`, best first (an empty query lists all)."""
    words = query.lower().split()
    sieves = [_sieve(word) for word in words]
    found: list[Found] = []
    for entry in files:
        if entry.kind is DocumentKind.WISH:
            if not all(sieve.search(entry.search_text) for sieve in sieves):
                continue
            name = entry.title or entry.path.name
            fields = [(name, TITLE), (entry.path.name, FILE_NAME)]
            fields.extend((word, OBJECTIVE) for word in entry.words())
            score = _score(words, fields) if words else 1.0
            if score > 0:
                found.append(
                    Found(name, entry.kind, entry.path, entry.title_span, entry.objective, score)
                )
            continue
        for place in entry.ids:
            text = f"{place.conduit_id}\n{place.label or ''}".lower()
            if not all(sieve.search(text) for sieve in sieves):
                continue
            fields = [(place.conduit_id, CONDUIT_ID)]
            if place.label:
                fields.append((place.label, CONDUIT_LABEL))
            score = _score(words, fields) if words else 1.0
            if score > 0:
                found.append(
                    Found(place.conduit_id, entry.kind, entry.path, place.span, place.label, score)
                )
    found.sort(key=lambda item: (-item.score, len(item.name), item.name, item.path))
    return found[:limit]
