"""The real server with hover made to raise, to check that a failing handler is contained.

Run as `python fault_server.py [server args]`: hover raises `RuntimeError("hover broke")`;
every other feature works as usual.
"""

from __future__ import annotations

from typing import NoReturn

from wishcraft.lsp.__main__ import main
from wishcraft.lsp.features import hover


def broken_hover(*args: object, **kwargs: object) -> NoReturn:
    """Fail the way a bug would."""
    raise RuntimeError("hover broke")


hover.hover_at = broken_hover

if __name__ == "__main__":
    main()
