"""Path globs of a conduit's scopes: `**` across folders, `!` negations, last match wins.

No dependency of ours ships a glob matcher with `**` (`fnmatch` lets `*` cross `/`, and
`PurePath.match` has no `**` before Python 3.13), so this is a small one. Paths are relative to
the repository root and use `/`. The syntax:

- `*` matches any characters except `/`; `?` one character except `/`; `[abc]`, `[a-z]` and
  `[!abc]` a character class;
- `**` as a whole segment matches zero or more folders (`docs/**` matches `docs/a/b.md`;
  `**/*.md` matches `a.md` and `x/y/a.md`; `**` alone matches everything);
- a pattern ending in `/` names a folder and everything under it (`docs/` is `docs/**`);
- a pattern starting with `!` excludes what it matches.

As in `.gitignore`, the patterns are read in order and the last one that matches a path
decides; a path that no pattern matches is outside the scope.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from functools import lru_cache

from wishcraft.linear_re import LinearPattern


def _segment_regex(segment: str) -> str:
    """Translate one path segment without `**` into a regular expression."""
    out: list[str] = []
    index = 0
    while index < len(segment):
        char = segment[index]
        if char == "*":
            out.append("[^/]*")
        elif char == "?":
            out.append("[^/]")
        elif char == "[":
            end = segment.find("]", index + 2)
            if end == -1:
                out.append(re.escape(char))
            else:
                body = segment[index + 1 : end]
                negate = body.startswith("!")
                body = body[1:] if negate else body
                body = body.replace("\\", "\\\\").replace("^", "\\^")
                out.append(f"[^/{body}]" if negate else f"[{body}]")
                index = end
        else:
            out.append(re.escape(char))
        index += 1
    return "".join(out)


def glob_expression(pattern: str) -> str:
    """One glob (without its `!`) as a regular expression over a whole path."""
    text = pattern.strip()
    if text.startswith("./"):
        text = text[2:]
    text = text.lstrip("/")
    if text.endswith("/"):
        text += "**"
    segments = text.split("/") if text else ["**"]
    parts: list[str] = []
    last = len(segments) - 1
    for position, segment in enumerate(segments):
        if segment == "**":
            # Zero or more whole folders; as the last segment, anything at all below.
            parts.append(".*" if position == last else "(?:[^/]+/)*")
        else:
            parts.append(_segment_regex(segment) + ("" if position == last else "/"))
    return "".join(parts) + r"\Z"


@lru_cache(maxsize=512)
def compile_glob(pattern: str) -> LinearPattern:
    """Compile one glob (without its `!`) into a matcher over a whole path.

    The regular expression pins the glob's meaning; it is matched without backtracking
    (`wishcraft.linear_re`), so a glob from the model costs at most its length times the
    path's.
    """
    return LinearPattern(glob_expression(pattern), dotall=True)


def normalise_path(path: str) -> str:
    """A repository-relative path with `/` separators and no leading `./` or `/`."""
    text = path.replace("\\", "/")
    while text.startswith("./"):
        text = text[2:]
    return text.lstrip("/")


def glob_match(pattern: str, path: str) -> bool:
    """Whether `path` matches one glob (a leading `!` is ignored here)."""
    body = pattern[1:] if pattern.startswith("!") else pattern
    return compile_glob(body).fullmatch(normalise_path(path))


def paths_allowed(patterns: Sequence[str], path: str) -> bool:
    """Whether `path` is inside the globs: the last pattern that matches it must not be `!`."""
    allowed = False
    for pattern in patterns:
        if glob_match(pattern, path):
            allowed = not pattern.startswith("!")
    return allowed


def first_path_outside(patterns: Sequence[str], paths: Sequence[str]) -> str | None:
    """The first of `paths` that the globs do not allow, or None when all are allowed."""
    return next((path for path in paths if not paths_allowed(patterns, path)), None)
