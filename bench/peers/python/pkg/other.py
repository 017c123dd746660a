"""A module never opened in the bench: it uses `place` and names an undefined function."""

from __future__ import annotations

from pkg.module import place


def run() -> int:
    """Place four lamps and count them."""
    return len(place(4)) + missing_function()
