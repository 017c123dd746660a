"""The module pyright is measured on: a class, functions, one use of an undefined name (one
finding) and one untidy spacing."""

from __future__ import annotations

import os
from dataclasses import dataclass


@dataclass
class Lamp:
    """A beacon lamp placed on a tile."""

    tile: int
    lit: bool = False

    def light(self) -> Lamp:
        """Return the lamp lit."""
        return Lamp(self.tile, True)


def place(count: int, start: int = 7) -> list[Lamp]:
    """Place `count` lamps from tile `start`, every seventh tile."""
    return [Lamp(start + 7 * n) for n in range(count)]


def survey(lamps: list[Lamp]) -> int:
    """How many lamps are lit."""
    return sum(1 for lamp in lamps if lamp.lit)


def main() -> int:
    """Place, light and count three lamps."""
    lamps = [lamp.light() for lamp in place(3)]
    home = os.environ.get("HOME", "/")
    print(home, undefined_name)
    total   = survey(lamps)
    return total
