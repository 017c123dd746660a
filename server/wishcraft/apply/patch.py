"""Codex's `apply_patch` format: parse it strictly, render it canonically.

The grammar, as Codex's own parser reads it (`codex-rs/apply-patch/src/parser.rs`)::

    patch     := "*** Begin Patch" NL operation+ "*** End Patch" NL?
    operation := add | delete | update
    add       := "*** Add File: " path NL ("+" text NL)*
    delete    := "*** Delete File: " path NL
    update    := "*** Update File: " path NL ("*** Move to: " path NL)? chunk+
    chunk     := ("@@" | "@@ " header) NL line+ ("*** End of File" NL)?
    line      := (" " | "-" | "+") text NL | NL          (an empty line is empty context)

Leniencies kept because Codex has them (and no others):

1. Whitespace around the whole text is ignored, and so is whitespace around the
   `*** Begin Patch`, `*** End Patch` and the `*** Add/Delete/Update File:` marker lines.
2. Lines may end with CRLF (Rust's `str::lines`): the CR is dropped.
3. A heredoc wrapper: a first line `<<EOF`, `<<'EOF'` or `<<"EOF"` and a last line ending
   in `EOF` around a patch are removed (GPT-4.1 sends the shell form as the argument).
4. The first chunk of an update may omit its `@@` line.
5. Blank lines before the first chunk of an update are skipped; after that an empty line
   inside a chunk is an empty context line.
6. An `*** Add File:` with no `+` lines adds an empty file (the Lark grammar asks for one
   line; Codex's parser accepts none).

Stricter than Codex: a patch with no operation is refused here, as Codex's grammar says
(`hunk+`); Codex's parser accepts it and then fails with "No files were modified".
`*** Move to:` with no path is refused. Line numbers in errors count the text as given
(Codex counts from the trimmed text).

`render` writes the canonical form: LF endings, no wrapper or padding, an explicit `@@` on
every chunk. `parse(render(p)) == p`, and `render` of any spelling of a patch is the text
that `diff_hash` hashes.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from wishcraft.apply.errors import PatchSyntaxError

BEGIN = "*** Begin Patch"
END = "*** End Patch"
ADD = "*** Add File: "
DELETE = "*** Delete File: "
UPDATE = "*** Update File: "
MOVE = "*** Move to: "
END_OF_FILE = "*** End of File"
CHUNK = "@@"
CHUNK_WITH_HEADER = "@@ "
HEREDOC_OPENERS = ("<<EOF", "<<'EOF'", '<<"EOF"')

WHITESPACE = (
    "\t\n\x0b\x0c\r \x85\xa0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006"
    "\u2007\u2008\u2009\u200a\u2028\u2029\u202f\u205f\u3000"
)
"""Unicode's White_Space set, which Rust's `str::trim` strips (Python's `strip()` also
strips the ASCII separators U+001C..U+001F, which Codex keeps)."""

LARK_GRAMMAR = r"""start: "*** Begin Patch" LF operation+ "*** End Patch" LF?
operation: add_file | delete_file | update_file
add_file: "*** Add File: " path LF added_line+
delete_file: "*** Delete File: " path LF
update_file: "*** Update File: " path LF move? body?
move: "*** Move to: " path LF
body: (hunk_header | hunk_line)+ end_of_file?
hunk_header: ("@@" | "@@ " /(.+)/) LF
hunk_line: ("+" | "-" | " ") /(.*)/ LF
added_line: "+" /(.*)/ LF
end_of_file: "*** End of File" LF
path: /(.+)/
%import common.LF
"""
"""The format as a Lark grammar, for the `custom` (freeform) tool's `format.definition`
(syntax `lark`): the language of Codex's own grammar, which constrains what the model writes.
A rendered patch is in it (a test checks with Lark) when its Add operations have a line and
only an update's last hunk ends with `*** End of File`; `parse`, like Codex's parser, also
reads those. Like Codex's, the grammar lets through an update with no hunk or a hunk with no
line, which `parse` refuses."""

LineKind = Literal[" ", "-", "+"]
_OPERATIONS = "'*** Add File: <path>', '*** Delete File: <path>' or '*** Update File: <path>'"
_HUNK_LINE = "a line starting with ' ' (context), '-' (remove) or '+' (add)"


@dataclass(frozen=True)
class Chunk:
    """One `@@` hunk of an update: optional header line to seek, then its lines in order."""

    context: str | None
    lines: tuple[tuple[LineKind, str], ...]
    end_of_file: bool = False
    line: int = field(default=0, compare=False)
    """Patch line of the first body line (the lines follow one per patch line)."""

    @property
    def old_lines(self) -> list[str]:
        """The lines the file must hold: context and removed lines."""
        return [text for kind, text in self.lines if kind != "+"]

    @property
    def new_lines(self) -> list[str]:
        """The lines that replace them: context and added lines."""
        return [text for kind, text in self.lines if kind != "-"]

    def patch_line_of_old(self, index: int) -> int:
        """The patch line holding `old_lines[index]`."""
        seen = -1
        for offset, (kind, _text) in enumerate(self.lines):
            if kind != "+":
                seen += 1
                if seen == index:
                    return self.line + offset
        return self.line


@dataclass(frozen=True)
class AddFile:
    """Create a file (or replace it, as Codex does) with `lines`."""

    path: str
    lines: tuple[str, ...]
    line: int = field(default=0, compare=False)

    @property
    def contents(self) -> str:
        """The new file's text: every line ends with a newline."""
        return "".join(text + "\n" for text in self.lines)


@dataclass(frozen=True)
class DeleteFile:
    """Remove an existing file."""

    path: str
    line: int = field(default=0, compare=False)


@dataclass(frozen=True)
class UpdateFile:
    """Change an existing file by its chunks, and optionally move it."""

    path: str
    move_to: str | None
    chunks: tuple[Chunk, ...]
    line: int = field(default=0, compare=False)


Operation = AddFile | DeleteFile | UpdateFile


@dataclass(frozen=True)
class Patch:
    """A parsed patch: its file operations, in order."""

    operations: tuple[Operation, ...]

    def paths(self) -> list[str]:
        """Every path the patch names (sources and move targets), in order, once each."""
        seen: dict[str, None] = {}
        for operation in self.operations:
            seen[operation.path] = None
            if isinstance(operation, UpdateFile) and operation.move_to is not None:
                seen[operation.move_to] = None
        return list(seen)


def parse(text: str) -> Patch:
    """Parse `text` in Codex's format; raise `PatchSyntaxError` naming the line at fault."""
    return _Parser(text).parse()


def render(patch: Patch) -> str:
    """Write `patch` in the canonical form (see the module docstring)."""
    out = [BEGIN]
    for operation in patch.operations:
        if isinstance(operation, AddFile):
            out.append(ADD + operation.path)
            out.extend("+" + text for text in operation.lines)
        elif isinstance(operation, DeleteFile):
            out.append(DELETE + operation.path)
        else:
            out.append(UPDATE + operation.path)
            if operation.move_to is not None:
                out.append(MOVE + operation.move_to)
            for chunk in operation.chunks:
                out.append(CHUNK if chunk.context is None else CHUNK_WITH_HEADER + chunk.context)
                out.extend(kind + text for kind, text in chunk.lines)
                if chunk.end_of_file:
                    out.append(END_OF_FILE)
    out.append(END)
    return "\n".join(out) + "\n"


def _quote(line: str, limit: int = 80) -> str:
    """A line as an error shows it: quoted and cut to `limit` characters."""
    return repr(line if len(line) <= limit else line[:limit] + "…")


class _Parser:
    """One pass over the lines; `self.numbers[i]` is the 1-based text line of `lines[i]`."""

    def __init__(self, text: str) -> None:
        stripped = text.strip(WHITESPACE)
        leading = text[: len(text) - len(text.lstrip(WHITESPACE))]
        first_number = leading.count("\n") + 1
        self.lines = (
            [line[:-1] if line.endswith("\r") else line for line in stripped.split("\n")]
            if stripped
            else []
        )
        self.numbers = [first_number + index for index in range(len(self.lines))]
        self.end = len(self.lines)

    def number(self, index: int) -> int:
        """The text line of `lines[index]` (one past the last line for the end)."""
        if index < len(self.numbers):
            return self.numbers[index]
        return (self.numbers[-1] + 1) if self.numbers else 1

    def parse(self) -> Patch:
        """Check the envelope, then read operations until the end marker."""
        start, self.end = self._envelope()
        operations: list[Operation] = []
        index = start
        while index < self.end:
            operation, index = self._operation(index)
            operations.append(operation)
        if not operations:
            raise PatchSyntaxError(
                self.number(self.end), f"the patch changes no file: expected {_OPERATIONS}"
            )
        return Patch(tuple(operations))

    def _envelope(self) -> tuple[int, int]:
        """The body's bounds: between the markers, inside a heredoc wrapper if there is one."""
        try:
            return self._markers(0, len(self.lines))
        except PatchSyntaxError:
            lines = self.lines
            if len(lines) >= 4 and lines[0] in HEREDOC_OPENERS and lines[-1].endswith("EOF"):
                return self._markers(1, len(lines) - 1)
            raise

    def _markers(self, first: int, stop: int) -> tuple[int, int]:
        """Check that lines[first] begins and lines[stop - 1] ends the patch."""
        if stop <= first or self.lines[first].strip(WHITESPACE) != BEGIN:
            found = self.lines[first] if stop > first else ""
            raise PatchSyntaxError(
                self.number(first), f"expected '{BEGIN}' as the first line, found {_quote(found)}"
            )
        if stop - 1 == first or self.lines[stop - 1].strip(WHITESPACE) != END:
            raise PatchSyntaxError(
                self.number(stop - 1),
                f"expected '{END}' as the last line, found {_quote(self.lines[stop - 1])}",
            )
        return first + 1, stop - 1

    def _operation(self, index: int) -> tuple[Operation, int]:
        """Read one file operation starting at `index`; return it and the next index."""
        header = self.lines[index].strip(WHITESPACE)
        line = self.number(index)
        if header.startswith(ADD):
            texts: list[str] = []
            index += 1
            while index < self.end and self.lines[index].startswith("+"):
                texts.append(self.lines[index][1:])
                index += 1
            return AddFile(header[len(ADD) :], tuple(texts), line), index
        if header.startswith(DELETE):
            return DeleteFile(header[len(DELETE) :], line), index + 1
        if header.startswith(UPDATE):
            return self._update(header[len(UPDATE) :], index)
        raise PatchSyntaxError(line, f"expected {_OPERATIONS}, found {_quote(self.lines[index])}")

    def _update(self, path: str, index: int) -> tuple[UpdateFile, int]:
        """Read an update: the optional move, then its chunks up to the next `*` line."""
        line = self.number(index)
        index += 1
        move_to: str | None = None
        if index < self.end and self.lines[index].startswith(MOVE):
            move_to = self.lines[index][len(MOVE) :]
            if not move_to.strip(WHITESPACE):
                raise PatchSyntaxError(self.number(index), f"expected a path after '{MOVE}'")
            index += 1
        chunks: list[Chunk] = []
        while index < self.end:
            current = self.lines[index]
            if not current.strip(WHITESPACE):
                index += 1
                continue
            if current.startswith("*"):
                break
            chunk, index = self._chunk(index, first=not chunks)
            chunks.append(chunk)
        if not chunks:
            raise PatchSyntaxError(
                line, f"the update of '{path}' has no hunk: expected '@@' and then {_HUNK_LINE}"
            )
        return UpdateFile(path, move_to, tuple(chunks), line), index

    def _chunk(self, index: int, *, first: bool) -> tuple[Chunk, int]:
        """Read one chunk: its `@@` line (optional for the first) and its body lines."""
        current = self.lines[index]
        context: str | None = None
        if current == CHUNK:
            index += 1
        elif current.startswith(CHUNK_WITH_HEADER):
            context = current[len(CHUNK_WITH_HEADER) :]
            index += 1
        elif not first:
            raise PatchSyntaxError(
                self.number(index), f"expected '@@' to start the next hunk, found {_quote(current)}"
            )
        if index >= self.end:
            raise PatchSyntaxError(self.number(index), f"the hunk is empty: expected {_HUNK_LINE}")
        body_start = index
        body: list[tuple[LineKind, str]] = []
        end_of_file = False
        while index < self.end:
            current = self.lines[index]
            if current == END_OF_FILE:
                if not body:
                    raise PatchSyntaxError(
                        self.number(index),
                        f"the hunk is empty before '{END_OF_FILE}': expected {_HUNK_LINE}",
                    )
                end_of_file = True
                index += 1
                break
            if current == "":
                body.append((" ", ""))
            elif current[0] in " -+":
                body.append((_kind(current[0]), current[1:]))
            elif not body:
                raise PatchSyntaxError(
                    self.number(index), f"expected {_HUNK_LINE}, found {_quote(current)}"
                )
            else:
                break
            index += 1
        return Chunk(context, tuple(body), end_of_file, self.number(body_start)), index


def _kind(prefix: str) -> LineKind:
    """The typed kind of a hunk line's first character."""
    if prefix == "-":
        return "-"
    if prefix == "+":
        return "+"
    return " "
