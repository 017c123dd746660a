"""Which files are wishes and which are conduit registries: one set of rules for CLI and server.

`wishcraft lint` walking a folder and the language server opening a document must agree on
what a file is, or a wish linted clean in CI would be ignored in the editor (or the reverse).
The rules, in order:

1. a registry by name: `conduits/registry.yaml` (or `.yml`);
2. a wish by name: the path matches one of the wish globs (the `wishcraft.files.globs` setting,
   or `globs` under `[files]` in wishcraft.toml; by default `*.wish.yaml`, `*.wish.yml` and
   YAML under a `wishes/` folder), read in the `FILE` dialect of `wishcraft.globs`;
3. only when the text is given (the CLI reads every YAML file of a folder; the server does not
   sniff), by content: a registry when the top level is a list of `- id:` items, a wish when a
   top-level key is one of the wish's keys (all of them, `tier` and `meta` included).

Pure: no LSP, no file reading. The wish keys come from the `Wish` model, so a new key is
sniffed without anyone remembering to add it here.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from enum import Enum
from pathlib import PurePath, PurePosixPath

from wishcraft.globs import check_file_globs, file_matches, posix
from wishcraft.model import Wish

DEFAULT_GLOBS: tuple[str, ...] = (
    "**/*.wish.yaml",
    "**/*.wish.yml",
    "**/wishes/**/*.yaml",
    "**/wishes/**/*.yml",
)
"""The wish globs when neither the setting nor wishcraft.toml names any."""

YAML_SUFFIXES = (".yaml", ".yml")
REGISTRY_NAMES = ("registry.yaml", "registry.yml")


class DocumentKind(Enum):
    """What a YAML file is to us."""

    WISH = "wish"
    REGISTRY = "registry"


def check_globs(globs: Iterable[str]) -> tuple[str, ...]:
    """The wish globs as a tuple, or a ValueError naming the first empty or unusable one
    (`globs.check_file_globs`: the setting and wishcraft.toml refuse the same patterns)."""
    return check_file_globs(globs)


def is_wish_path(path: str | PurePath, globs: Iterable[str] = DEFAULT_GLOBS) -> bool:
    """Tell whether a file path matches one of the wish globs (the `FILE` dialect)."""
    return file_matches(globs, path)


def is_registry_path(path: str | PurePath) -> bool:
    """Tell whether a file is a conduit registry by its name and folder."""
    pure = PurePosixPath(posix(path))
    return pure.name in REGISTRY_NAMES and pure.parent.name == "conduits"


def is_yaml_name(path: str | PurePath) -> bool:
    """Whether a file is named as YAML (`.yaml`/`.yml`, in any case): what a folder walk sniffs."""
    return posix(path).lower().endswith(YAML_SUFFIXES)


WISH_KEY_LINE = re.compile(
    r"^(?:" + "|".join(re.escape(key) for key in Wish.model_fields) + r")\s*:", re.MULTILINE
)
"""A top-level (unindented) key of a wish."""

REGISTRY_ITEM_LINE = re.compile(r"^-\s+id\s*:", re.MULTILINE)
"""A top-level list item that starts with `id:`, as every conduit descriptor does."""


def sniff(text: str) -> DocumentKind | None:
    """Tell a registry from a wish by content alone; None when the text looks like neither."""
    if REGISTRY_ITEM_LINE.search(text):
        return DocumentKind.REGISTRY
    if WISH_KEY_LINE.search(text):
        return DocumentKind.WISH
    return None


def classify(
    path: str | PurePath, text: str | None = None, globs: Iterable[str] = DEFAULT_GLOBS
) -> DocumentKind | None:
    """What a file is: by name first (registry, then the wish globs), then by `text` if given.

    None means neither: the server leaves such a document alone, and a folder walk skips it.
    """
    if is_registry_path(path):
        return DocumentKind.REGISTRY
    if is_wish_path(path, globs):
        return DocumentKind.WISH
    return sniff(text) if text is not None else None
