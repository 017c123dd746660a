"""Editor tooling for Wishcraft wishes: linter, language server and Codex planning conduit.

The version has one source, the installed package's metadata (`version` in pyproject.toml):
`wishcraft --version`, `wishcraft-lsp --version` and the server's `serverInfo` all read
`__version__`, which is looked up on first use so that importing a submodule costs nothing.
"""

from __future__ import annotations

import logging
from functools import cache

DISTRIBUTION = "wishcraft"
"""The distribution (pip) name whose metadata holds the version."""

# A library logs; the program that runs it decides where logs go (`wishcraft-lsp` and
# `wishcraft plan -v` configure handlers). Without this, Python's last-resort handler would
# print warning details on a CLI user's terminal beside the one sentence meant for them.
logging.getLogger(__name__).addHandler(logging.NullHandler())


@cache
def package_version() -> str:
    """The installed package's version, or "0+unknown" when run from a tree never installed."""
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version(DISTRIBUTION)
    except PackageNotFoundError:
        return "0+unknown"


def __getattr__(name: str) -> str:
    """Compute `__version__` when it is first read (PEP 562)."""
    if name == "__version__":
        return package_version()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
