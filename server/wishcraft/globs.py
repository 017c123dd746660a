"""Globs in two named dialects, the one place in the package where a glob becomes a matcher.

Two jobs read globs, and each reads them as the tool its users know:

- `Dialect.FILE`, the wish globs (`[files] globs` of wishcraft.toml, the editor's
  `wishcraft.files.globs`), as VS Code matches a document filter: the VS Code client hands the
  same globs to VS Code (`filterPattern` in `client-vscode/src/settings.ts`), so the server and
  the editor must agree on which files are wishes. Matched against a file's whole path
  (absolute in the editor). A pattern without `/`, or a relative one not starting with `**`,
  matches at any depth (`*.spell` is `**/*.spell`); `{a,b}` are alternatives; `\\` is a `/`.
- `Dialect.SCOPE`, the paths a conduit may touch (a registry scope's `paths`, the apply scope,
  the apply exchange's `list_files`), read as `.gitignore` lines are: matched against a
  repository-relative path, anchored at the root, `!` excludes, the last pattern that matches
  decides, a pattern ending in `/` names a folder and everything under it (`docs/` is
  `docs/**`), and so does a pattern whose last name is plain (`src`, `docs/api`: the file or
  the folder). A path no pattern matches is outside.

Both share the rest: `*` is any characters but `/`, `?` one character but `/`, `[abc]`,
`[a-z]` and `[!abc]` (or `[^abc]`) a class of one character (never `/` when negated), and
`**` as a whole segment zero or more folders (`**/*.md` matches `a.md`; `docs/**` matches
`docs/a/b.md`). A `**` inside a segment (`a**b`) is a `*`.

Where they deliberately differ (each a row of `tests/fixtures/glob_dialects.json`, which the unit
tests and the VS Code client's vitest both run):

| pattern | FILE | SCOPE |
|---|---|---|
| `*.md`, `docs/*.md` | at any depth | at the root only: a scope names exact places |
| `{a,b}` | alternatives | literal braces |
| `!x` | a literal `!` | excludes `x` |
| `docs/`, `src` | a path ending in `/` (no file); the file `src` | the folder and all under it |
| unclosed `[` or `{` | refused (`ValueError`): a setting says so | a literal character |
| `\\` in the pattern | a folder separator | a literal backslash |

Unlike `.gitignore`, a scope's pattern ending in a wildcard (`*.md`, `src/*`) covers only what
it matches, not the contents of a folder it happens to match: `**/*.md` does not let a change
write `notes.md/run.sh`. A scope grows no further than its author wrote (fail closed).

Each glob is translated into a regular expression, which pins its meaning, and matched
without backtracking by `wishcraft.linear_re`: at most the pattern's length times the path's.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Sequence
from enum import Enum
from functools import lru_cache
from pathlib import PurePath, PurePosixPath

from wishcraft.linear_re import LinearPattern


class Dialect(Enum):
    """Which reading of a glob: see the module docstring."""

    FILE = "file"
    """The wish globs, as VS Code matches a document filter."""
    SCOPE = "scope"
    """A conduit's paths, as `.gitignore` reads its lines."""


def posix(path: str | PurePath) -> str:
    """A path as the wish globs see it: `/` separators, whatever the platform wrote."""
    return PurePosixPath(str(path).replace("\\", "/")).as_posix()


def normalise_path(path: str) -> str:
    """A repository-relative path with `/` separators and no leading `./` or `/`."""
    text = path.replace("\\", "/")
    while text.startswith("./"):
        text = text[2:]
    return text.lstrip("/")


# The shared parts ---------------------------------------------------------------------------


def _class(text: str, index: int, pattern: str, *, strict: bool) -> tuple[str, int] | None:
    """The class `[...]` starting at `index` as a regex class, and the index after it.

    `[!...]` and `[^...]` negate (as in git, bash and VS Code). None when it is not closed (a
    literal `[`), or a ValueError when `strict`. A `]` right after `[` (or `[!`) is a member."""
    negate = text.startswith(("!", "^"), index + 1)
    start = index + 2 if negate else index + 1
    end = text.find("]", start + 1)
    if end == -1:
        if strict:
            raise ValueError(f"unclosed `[` in the glob {pattern!r}")
        return None
    body = text[start:end]
    body = body.replace("\\", "\\\\").replace("^", "\\^")
    if body.startswith("]"):
        body = "\\" + body
    return (f"[^/{body}]" if negate else f"[{body}]"), end + 1


def _star_run(text: str, index: int) -> int:
    """How many `*` start at `index`."""
    end = index
    while end < len(text) and text[end] == "*":
        end += 1
    return end - index


# The FILE dialect ---------------------------------------------------------------------------


def file_expression(pattern: str) -> str:
    """A wish glob as a regular expression over a whole posix path (see `Dialect.FILE`).

    An unclosed `[` or `{` is a ValueError naming the glob."""
    text = pattern.replace("\\", "/")
    if "/" not in text or not text.startswith(("/", "**")):
        text = "**/" + text
    out: list[str] = []
    index = 0
    depth = 0
    while index < len(text):
        char = text[index]
        if char == "*":
            run = _star_run(text, index)
            whole = (index == 0 or text[index - 1] == "/") and (
                index + run == len(text) or text[index + run] == "/"
            )
            if whole and run >= 2 and index + run < len(text):
                out.append("(?:[^/]*/)*")  # `**/`: zero or more folders
                index += run + 1
                continue
            out.append(".*" if whole and run >= 2 else "[^/]*")
            index += run
            continue
        if char == "?":
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
            found = _class(text, index, pattern, strict=True)
            assert found is not None
            out.append(found[0])
            index = found[1]
            continue
        else:
            out.append(re.escape(char))
        index += 1
    if depth:
        raise ValueError(f"unclosed `{{` in the glob {pattern!r}")
    return "".join(out) + r"\Z"


@lru_cache(maxsize=512)
def file_glob(pattern: str) -> LinearPattern:
    """Compile a wish glob into a matcher over a whole posix path.

    Matched without backtracking, so a hostile setting cannot stall the server. A ValueError
    names a glob that cannot be used (an unclosed `[`, a class `re` refuses, one too long)."""
    expression = file_expression(pattern)
    try:
        return LinearPattern(expression)
    except ValueError as error:
        raise ValueError(f"the glob {pattern!r} cannot be used: {error}") from None


def check_file_globs(globs: Iterable[str]) -> tuple[str, ...]:
    """The wish globs as a tuple, or a ValueError naming the first empty or unusable one.

    The setting and wishcraft.toml check their globs here, so both refuse the same patterns."""
    checked = tuple(globs)
    for pattern in checked:
        if not pattern.strip():
            raise ValueError("a glob pattern is empty")
        file_glob(pattern)
    return checked


def file_matches(globs: Iterable[str], path: str | PurePath) -> bool:
    """Whether `path` matches one of the wish globs."""
    text = posix(path)
    return any(file_glob(pattern).fullmatch(text) for pattern in globs)


# The SCOPE dialect --------------------------------------------------------------------------


def _segment_expression(segment: str) -> str:
    """One scope-glob segment (not `**`) as a regular expression."""
    out: list[str] = []
    index = 0
    while index < len(segment):
        char = segment[index]
        if char == "*":
            out.append("[^/]*")
            index += _star_run(segment, index)
            continue
        if char == "?":
            out.append("[^/]")
        elif char == "[":
            found = _class(segment, index, segment, strict=False)
            if found is not None:
                out.append(found[0])
                index = found[1]
                continue
            out.append(re.escape(char))
        else:
            out.append(re.escape(char))
        index += 1
    return "".join(out)


_WILDCARD = re.compile(r"[*?\[]")


def scope_expression(pattern: str) -> str:
    """One scope glob (without its `!`) as a regular expression over a whole path."""
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
            parts.append(_segment_expression(segment) + ("" if position == last else "/"))
    if not _WILDCARD.search(segments[-1]):
        parts.append("(?:/.*)?")  # a plain name: the file, or the folder and all under it
    return "".join(parts) + r"\Z"


@lru_cache(maxsize=512)
def scope_glob(pattern: str) -> LinearPattern:
    """Compile one scope glob (without its `!`) into a matcher over a whole path.

    A glob from a registry or the model costs at most its length times the path's."""
    return LinearPattern(scope_expression(pattern), dotall=True)


def scope_match(pattern: str, path: str) -> bool:
    """Whether `path` matches one scope glob (a leading `!` is ignored here)."""
    body = pattern[1:] if pattern.startswith("!") else pattern
    return scope_glob(body).fullmatch(normalise_path(path))


def paths_allowed(patterns: Sequence[str], path: str) -> bool:
    """Whether `path` is inside the scope: the last pattern that matches it is not a `!`."""
    allowed = False
    for pattern in patterns:
        if scope_match(pattern, path):
            allowed = not pattern.startswith("!")
    return allowed


def first_path_outside(patterns: Sequence[str], paths: Sequence[str]) -> str | None:
    """The first of `paths` that the scope globs do not allow, or None when all are allowed."""
    return next((path for path in paths if not paths_allowed(patterns, path)), None)


def scope_from_globs(globs: Iterable[str]) -> Callable[[str], bool]:
    """A scope predicate over repository-relative paths: `paths_allowed` for these globs."""
    patterns = tuple(globs)
    for pattern in patterns:
        scope_glob(pattern[1:] if pattern.startswith("!") else pattern)

    def in_scope(path: str) -> bool:
        return paths_allowed(patterns, path)

    return in_scope


# Both ---------------------------------------------------------------------------------------


def matches(dialect: Dialect, globs: Sequence[str], path: str) -> bool:
    """Whether `path` is matched by `globs` read in `dialect`: any of them for FILE, the
    last one that matches for SCOPE. The table test of the two dialects asks this."""
    if dialect is Dialect.FILE:
        return file_matches(globs, path)
    return paths_allowed(globs, path)
