"""Words in sentences the user reads: a count and its noun agree (`1 call`, `2 calls`).

One helper for every layer (the gates, the editor, the pull-request opener, the CLI), so no
sentence says "1 call(s)" or "a chain of 1 entries".
"""

from __future__ import annotations


def plural(count: int, noun: str, many: str | None = None) -> str:
    """`1 call`, `2 calls`, `1 entry`, `3 entries`, `1,000 files`: the count with its noun."""
    if count == 1:
        return f"{count:,} {noun}"
    if many is None:
        consonant_y = noun.endswith("y") and noun[-2:-1] not in ("a", "e", "i", "o", "u")
        many = noun[:-1] + "ies" if consonant_y else noun + "s"
    return f"{count:,} {many}"
