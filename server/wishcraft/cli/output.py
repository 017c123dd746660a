"""Terminal output for people, JSON for machines, as ruff and gh print them.

Every command prints its result in one of two forms: text for a person (`--format text` or
`table`, the default), or one JSON document for a script (`--format json`: stable keys, ASCII
only). Text gets colour only on a terminal: never when the stream is not a TTY (a pipe, CI's
log), never with `NO_COLOR` set to anything (https://no-color.org), and always with
`FORCE_COLOR` set (for a pager that shows colour). `rich` draws the colour and the tables at
the terminal's width; it is imported only here, only when something is coloured, so
`wishcraft lint` in CI never loads it.

The safety of the output does not rest on rich. A string from a model, a server, a ledger or a
file name reaches rich only as plain `Text` made visible first (`cell`, `visible`: every control
character shown as its escape), never as markup; rich's own escape sequences (colour) are
then the only ones on the line, and without colour everything still goes through the
command's `VisibleWriter`. Helpers the other commands share (`plural`, `json_out`) live here
too, so `wishcraft apply` can use them.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Any, TextIO

from wishcraft.exitcodes import ExitCode
from wishcraft.visible import VisibleWriter, visible
from wishcraft.words import plural

if TYPE_CHECKING:
    from rich.console import Console
    from rich.text import Text

__all__ = ["EXIT_CODES", "aligned", "block", "cell", "colour_wanted", "console", "json_out"]
__all__ += ["plural", "table"]

EXIT_CODES = (
    (ExitCode.OK, "success: nothing to report, or the call completed"),
    (ExitCode.FAILED, "findings (lint), or the call failed or is incomplete"),
    (ExitCode.USAGE, "bad input: a file that cannot be read, a bad option or setting"),
    (ExitCode.REFUSED, "refused by a gate of the court (nothing was called)"),
    (ExitCode.INTERRUPTED, "interrupted (Ctrl-C)"),
)
"""The exit statuses every command shares; `wishcraft --help` lists them."""


WIDE = 1_000
"""The layout width of a `wide` console: rows are never folded (a table is not padded out)."""


def colour_wanted(stream: TextIO, env: Mapping[str, str] | None = None) -> bool:
    """Whether to colour `stream`: a terminal, and no `NO_COLOR`; `FORCE_COLOR` insists."""
    env = os.environ if env is None else env
    if env.get("NO_COLOR"):
        return False
    if env.get("FORCE_COLOR"):
        return True
    try:
        return stream.isatty()
    except (AttributeError, ValueError):
        return False


def console(
    stream: TextIO, env: Mapping[str, str] | None = None, *, wide: bool = False
) -> Console | None:
    """A rich console for `stream` when it is to be coloured, else None (print plain text).

    Colour needs rich's own escape sequences, which the command's `VisibleWriter` would show
    instead of obey; so a coloured console writes to the stream the writer wraps, and every
    untrusted string given to it must come through `cell` (made visible, never markup).
    `wide`: lay out wider than the terminal (a table whose rows must stay whole, one line
    each, as the plain table keeps them; the terminal wraps a long line as it would anyway).
    """
    if not colour_wanted(stream, env):
        return None
    from rich.console import Console

    raw = stream.raw if isinstance(stream, VisibleWriter) else stream
    return Console(
        file=raw,
        force_terminal=True,
        markup=False,
        emoji=False,
        highlight=False,
        soft_wrap=False,
        width=WIDE if wide else None,
    )


def cell(value: object, style: str = "") -> Text:
    """Untrusted text for rich: made visible on one line, as plain `Text` (never markup)."""
    from rich.text import Text

    return Text(visible(str(value), multiline=False), style=style)


def block(value: object, style: str = "") -> Text:
    """Untrusted multi-line text for rich: made visible (newlines kept), as plain `Text`."""
    from rich.text import Text

    return Text(visible(str(value)), style=style)


def json_out(document: Any, out: TextIO) -> None:
    """Write one JSON document for a script: ASCII only, so every control or bidi character is
    a JSON escape (`\\u001b`), which the `VisibleWriter` leaves as it is, and the JSON parses."""
    json.dump(document, out, indent=2, ensure_ascii=True)
    out.write("\n")


def aligned(header: Sequence[str], rows: Iterable[Sequence[str]]) -> str:
    """Rows as an aligned plain-text table, the header first (the last column unpadded): what
    a pipe or CI log gets. Cells must already be one line each."""
    cells = [list(header), *(list(row) for row in rows)]
    widths = [max(len(line[index]) for line in cells) for index in range(len(header))]
    last = len(header) - 1
    return (
        "\n".join(
            "  ".join(
                value.ljust(width) if index < last else value
                for index, (value, width) in enumerate(zip(line, widths, strict=True))
            ).rstrip()
            for line in cells
        )
        + "\n"
    )


def table(
    out: TextIO,
    header: Sequence[str],
    rows: Sequence[Sequence[str]],
    styles: Sequence[str] = (),
    env: Mapping[str, str] | None = None,
) -> None:
    """Print a table: rich's, coloured, on a terminal; else `aligned` plain text. `styles`
    gives a rich style per row (e.g. `dim` for a dry run)."""
    found = console(out, env, wide=True)
    if found is None:
        out.write(aligned(header, rows))
        return
    from rich.table import Table

    shown = Table(box=None, header_style="bold", pad_edge=False)
    for name in header:
        shown.add_column(name, no_wrap=True)
    for position, row in enumerate(rows):
        style = styles[position] if position < len(styles) else ""
        shown.add_row(*(cell(value) for value in row), style=style or None)
    found.print(shown)
