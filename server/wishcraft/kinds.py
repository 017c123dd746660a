"""Which files are wishes and which are conduit registries: one set of rules for CLI and server.

`wishcraft lint` walking a folder and the language server opening a document must agree on
what a file is, or a wish linted clean in CI would be ignored in the editor (or the reverse).
The rules, in order:

1. a registry by name: `conduits/registry.yaml` (or `.yml`);
2. a wish by name: the path matches one of the wish globs (the `wishcraft.files.globs` setting,
   or `globs` under `[files]` in wishcraft.toml; by default `*.wish.yaml`, `*.wish.yml` and
   YAML under a `wishes/` folder);
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
from functools import lru_cache
from pathlib import PurePath, PurePosixPath

from wishcraft.linear_re import LinearPattern
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


def posix(path: str | PurePath) -> str:
    """A path as the globs see it: `/` separators, whatever the platform wrote."""
    return PurePosixPath(str(path).replace("\\", "/")).as_posix()


@lru_cache(maxsize=64)
def glob_regex(pattern: str) -> LinearPattern:
    """Compile a wish glob into a matcher over a whole posix path (see `glob_expression`).

    The regular expression pins the meaning; it is matched without backtracking
    (`wishcraft.linear_re`), so a hostile setting cannot stall the server.
    """
    expression = glob_expression(pattern)
    try:
        return LinearPattern(expression)
    except ValueError as error:  # a class `re` refuses (`[z-a]`), or a glob too long
        raise ValueError(f"the glob {pattern!r} cannot be used: {error}") from None


def glob_expression(pattern: str) -> str:
    """A glob (`**`, `*`, `?`, `{a,b}`, `[ab]`) as a regular expression over a posix path.

    A pattern without `/` matches the file name in any folder; a relative pattern matches at
    any depth, as VS Code's file associations do. An unclosed `[` or `{` is a ValueError.
    """
    text = pattern.replace("\\", "/")
    if "/" not in text or not text.startswith(("/", "**")):
        text = "**/" + text
    out: list[str] = []
    index = 0
    depth = 0
    while index < len(text):
        char = text[index]
        if text.startswith("**/", index):
            out.append("(?:.*/)?")
            index += 3
            continue
        if text.startswith("**", index):
            out.append(".*")
            index += 2
            continue
        if char == "*":
            out.append("[^/]*")
        elif char == "?":
            out.append("[^/]")
        elif char == "{":
            depth += 1
            out.append("(?:")
        elif char == "}" and depth:
            depth -= 1
            out.append(")")
        elif char == "," and depth:
            out.append("|")
        elif char == "[":
            end = text.find("]", index + 1)
            if end == -1:
                raise ValueError(f"unclosed `[` in the glob {pattern!r}")
            body = text[index + 1 : end].replace("\\", "\\\\")
            out.append("[" + ("^" + body[1:] if body.startswith("!") else body) + "]")
            index = end + 1
            continue
        else:
            out.append(re.escape(char))
        index += 1
    if depth:
        raise ValueError(f"unclosed `{{` in the glob {pattern!r}")
    return "".join(out)


def check_globs(globs: Iterable[str]) -> tuple[str, ...]:
    """The globs as a tuple, or a ValueError naming the first empty or unclosed one.

    The setting and wishcraft.toml check their globs here, so both refuse the same patterns.
    """
    checked = tuple(globs)
    for pattern in checked:
        if not pattern.strip():
            raise ValueError("a glob pattern is empty")
        glob_regex(pattern)
    return checked


def is_wish_path(path: str | PurePath, globs: Iterable[str] = DEFAULT_GLOBS) -> bool:
    """Tell whether a file path matches one of the wish globs."""
    text = posix(path)
    return any(glob_regex(pattern).fullmatch(text) for pattern in globs)


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
