"""The workspace index: every wish and registry under the workspace folders, without pygls.

Open documents are only part of a project: references and rename of a conduit id, workspace
symbols and workspace diagnostics need every wish and registry on disk. The index walks the
workspace folders once (the language server does it in the background, in chunks, with
progress) and is then kept current one file at a time: a changed file is re-read, never the
tree.

Which files: the same classifier as open documents and the CLI (`kinds.classify`, by name:
registries by `conduits/registry.yaml`, wishes by the wish globs); folders whose name starts
with `.` and `node_modules` are not walked, and files over `MAX_FILE_BYTES` are left out.

What is kept per file is only what the workspace features read, not the tree: the title and
the objective's words (symbols), the conduit ids with their spans (a wish's `tools` items, a
registry's `id` values and labels), and the text of the few lines holding them that are not
ASCII (to count UTF-16 columns without the file). 2,000 wishes take a few MB.

Reading uses libyaml's composer directly (about 0.25 ms a wish, against 1.3 ms for the full
tree with its findings): the index wants ids and their places, not findings.
"""

from __future__ import annotations

import bisect
import os
import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from wishcraft.findings import Position, Span, split_lines
from wishcraft.kinds import DocumentKind

MAX_FILE_BYTES = 1_000_000
"""Larger files are not indexed: a wish is a few KB, and a huge YAML file is not one."""

SKIPPED_FOLDERS = frozenset({"node_modules", "__pycache__"})
"""Folders never walked (besides hidden ones): they hold no wishes and can be enormous."""

WORD = re.compile(r"[^\W_]+", re.UNICODE)

_Loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)

Classifier = Callable[[Path], DocumentKind | None]
"""What a file is (by path): the server passes `Workspace.kind_of`."""


@dataclass(frozen=True, slots=True)
class IdPlace:
    """One conduit id in a file: a wish's `tools` item or a registry entry's `id`.

    `span` is the whole scalar (quotes included), `inner` the characters a rename replaces
    (inside the quotes). `label` is a registry entry's label.
    """

    conduit_id: str
    span: Span
    inner: Span
    label: str | None = None


@dataclass(frozen=True, slots=True)
class IndexedFile:
    """What the workspace features need of one wish or registry file."""

    path: Path
    kind: DocumentKind
    stamp: tuple[int, int]
    """(modification time in ns, size): the file is re-read only when this changes."""
    title: str | None = None
    title_span: Span | None = None
    """Where the title's value is (a workspace symbol goes there)."""
    objective: str | None = None
    ids: tuple[IdPlace, ...] = ()
    """A wish's tools, or a registry's conduit ids, in document order."""
    wide_lines: dict[int, str] = field(default_factory=dict)
    """The lines holding `ids` or the title that are not ASCII, by number (UTF-16 columns)."""
    readable: bool = True
    """False when the YAML could not be read: the file is known but has no ids."""
    search_text: str = ""
    """A wish's title, file name and objective, lower-cased, one a line: workspace symbols
    reject most files with one regular-expression search of this before scoring any."""

    def words(self) -> list[str]:
        """The objective's words, lower-cased (what workspace symbols match)."""
        return [word.lower() for word in WORD.findall(self.objective or "")]


class _Marks:
    """Turns libyaml marks into positions in the original text, as the LSP counts lines.

    libyaml also breaks lines at NEL and the Unicode line and paragraph separators, which LSP
    does not; a file holding one is placed by character index instead (rare, so slower).
    """

    def __init__(self, text: str, shift: int) -> None:
        self.shift = shift
        self.starts: list[int] | None = None
        if any(separator in text for separator in ("\x85", "\u2028", "\u2029")):
            self.starts = []
            offset = 0
            for line in split_lines(text):
                self.starts.append(offset)
                offset += len(line) + 1
            if "\r\n" in text:
                self.starts = None  # index arithmetic would need the CRLFs: give up the ids
                self.broken = True
                return
        self.broken = False

    def position(self, mark: yaml.Mark) -> Position:
        if self.starts is None:
            return Position(mark.line, mark.column + (self.shift if mark.line == 0 else 0))
        index = mark.index + self.shift
        line = bisect.bisect_right(self.starts, index) - 1
        return Position(line, index - self.starts[line])


def _scalar(node: yaml.Node | None) -> str | None:
    if isinstance(node, yaml.ScalarNode) and node.tag == "tag:yaml.org,2002:str":
        return str(node.value)
    return None


def _id_place(node: yaml.Node, marks: _Marks, label: str | None = None) -> IdPlace | None:
    value = _scalar(node)
    if value is None or not value or marks.broken:
        return None
    start = marks.position(node.start_mark)
    end = marks.position(node.end_mark)
    if start.line != end.line:
        return None  # a folded or multi-line id: never a real one, and not renamed
    span = Span(start, end)
    quoted = isinstance(node, yaml.ScalarNode) and node.style in ("'", '"')
    inner = Span(Position(start.line, start.column + 1), Position(end.line, end.column - 1))
    return IdPlace(value, span, inner if quoted else span, label)


def _pairs(node: yaml.Node | None) -> dict[str, yaml.Node]:
    """The first value of each string key of a mapping node."""
    out: dict[str, yaml.Node] = {}
    if isinstance(node, yaml.MappingNode):
        for key, value in node.value:
            name = _scalar(key)
            if name is not None and name not in out:
                out[name] = value
    return out


def read_entry(
    path: Path, kind: DocumentKind, text: str, stamp: tuple[int, int] = (0, 0)
) -> IndexedFile:
    """Index one file's text: its title and objective (a wish), and its conduit ids."""
    shift = 1 if text.startswith("\ufeff") else 0
    try:
        root = yaml.compose(text[shift:], Loader=_Loader)
    except yaml.YAMLError:
        return IndexedFile(path, kind, stamp, readable=False)
    except RecursionError:
        return IndexedFile(path, kind, stamp, readable=False)
    title = objective = None
    title_span: Span | None = None
    places: list[IdPlace] = []
    marks = _Marks(text, shift)
    if kind is DocumentKind.WISH:
        top = _pairs(root)
        title_node = top.get("title")
        title = _scalar(title_node)
        if title is not None and title_node is not None and not marks.broken:
            title_span = Span(
                marks.position(title_node.start_mark), marks.position(title_node.end_mark)
            )
        objective = _scalar(top.get("objective"))
        tools = top.get("tools")
        if isinstance(tools, yaml.SequenceNode):
            for item in tools.value:
                place = _id_place(item, marks)
                if place is not None:
                    places.append(place)
    elif isinstance(root, yaml.SequenceNode):
        for item in root.value:
            entry = _pairs(item)
            id_node = entry.get("id")
            if id_node is not None:
                place = _id_place(id_node, marks, _scalar(entry.get("label")))
                if place is not None:
                    places.append(place)
    wide: dict[int, str] = {}
    if places and not text.isascii():
        lines = split_lines(text)
        for place in places:
            line = place.span.start.line
            if line < len(lines) and not lines[line].isascii():
                wide[line] = lines[line]
    if title_span is not None and not text.isascii():
        lines = split_lines(text)
        line = title_span.start.line
        if line < len(lines) and not lines[line].isascii():
            wide[line] = lines[line]
    search_text = "\n".join((title or "", path.name, objective or "")).lower()
    return IndexedFile(
        path, kind, stamp, title, title_span, objective, tuple(places), wide, True, search_text
    )


def _stamp(info: os.stat_result) -> tuple[int, int]:
    return (info.st_mtime_ns, info.st_size)


def walk(folders: Iterable[Path], classify: Classifier) -> Iterator[tuple[Path, DocumentKind]]:
    """Every wish and registry under `folders` (hidden folders and node_modules skipped),
    each file once even when folders nest."""
    seen: set[Path] = set()
    pending = [folder for folder in folders]
    while pending:
        folder = pending.pop()
        if folder in seen:
            continue
        seen.add(folder)
        try:
            entries = list(os.scandir(folder))
        except OSError:
            continue
        for entry in sorted(entries, key=lambda e: e.name, reverse=True):
            try:
                if entry.is_dir(follow_symlinks=False):
                    if not entry.name.startswith(".") and entry.name not in SKIPPED_FOLDERS:
                        pending.append(Path(entry.path))
                    continue
                if not entry.is_file(follow_symlinks=False):
                    continue
            except OSError:
                continue
            path = Path(entry.path)
            kind = classify(path)
            if kind is not None:
                yield path, kind


@dataclass(slots=True)
class WorkspaceIndex:
    """Every indexed wish and registry by path; see the module docstring."""

    files: dict[Path, IndexedFile] = field(default_factory=dict)
    ready: bool = False
    """True once a full walk finished (until the classifier or the folders change)."""
    generation: int = 0
    """Bumped on every change: a cheap "did anything move" for the workspace features."""
    users: dict[str, set[Path]] = field(default_factory=dict)
    """Which files name each conduit id: references read only those."""
    touched: set[Path] = field(default_factory=set)
    """Paths `update` changed while a build runs: the build keeps what they say."""
    total: int = 0
    """How many files the running (or last) build found to read."""
    folders: list[Path] = field(default_factory=list)
    """The folders of the last build: an update outside them (or in a folder the walk skips)
    is not indexed, so a watcher's event cannot add what a build would not."""

    def walked(self, path: Path) -> bool:
        """Whether a build would reach `path`: under a folder, through no skipped folder."""
        for folder in self.folders:
            if folder == path or folder in path.parents:
                parts = path.relative_to(folder).parts[:-1]
                return not any(part.startswith(".") or part in SKIPPED_FOLDERS for part in parts)
        return False

    def read(self, path: Path, kind: DocumentKind) -> IndexedFile | None:
        """Read one file as `kind` (None: gone, unreadable or too large); not stored."""
        try:
            info = path.stat()
            if info.st_size > MAX_FILE_BYTES:
                return None
            known = self.files.get(path)
            if known is not None and known.kind is kind and known.stamp == _stamp(info):
                return known
            text = path.read_bytes().decode("utf-8")
        except (OSError, UnicodeDecodeError):
            return None
        return read_entry(path, kind, text, _stamp(info))

    def update(self, path: Path, classify: Classifier) -> bool:
        """Re-read one file after a change on disk (or drop it); True when the index changed.

        A path that is now a folder (or a deleted folder) drops everything indexed below it.
        """
        self.touched.add(path)
        kind = classify(path) if self.walked(path) else None
        entry = self.read(path, kind) if kind is not None else None
        if entry is None:
            below = [known for known in self.files if path in known.parents]
            dropped = self._drop(path) or bool(below)
            for known in below:
                self._drop(known)
            if path.is_dir() and kind is None:
                for found, found_kind in walk([path], classify):
                    dropped = self._put(self.read(found, found_kind)) or dropped
            if dropped:
                self.generation += 1
            return dropped
        return self._put(entry)

    def _put(self, entry: IndexedFile | None) -> bool:
        if entry is None or self.files.get(entry.path) is entry:
            return False
        self._drop(entry.path)
        self.files[entry.path] = entry
        for place in entry.ids:
            self.users.setdefault(place.conduit_id, set()).add(entry.path)
        self.generation += 1
        return True

    def _drop(self, path: Path) -> bool:
        entry = self.files.pop(path, None)
        if entry is None:
            return False
        for place in entry.ids:
            paths = self.users.get(place.conduit_id)
            if paths is not None:
                paths.discard(path)
                if not paths:
                    del self.users[place.conduit_id]
        return True

    def naming(self, conduit_id: str) -> set[Path]:
        """The indexed files that name `conduit_id` (in `tools`, or as a registry entry)."""
        return self.users.get(conduit_id, set())

    def build(self, folders: list[Path], classify: Classifier, chunk: int = 100) -> Iterator[int]:
        """Index every file under `folders` afresh, yielding the count done after each `chunk`
        files (so a caller can report progress and let other work run in between).

        Files are stored as they are read, so an `update` made between two chunks is kept;
        at the end, what the walk no longer found (and no update added) is dropped.
        """
        self.ready = False
        self.touched = set()
        self.folders = list(folders)
        found = list(walk(folders, classify))
        self.total = len(found)
        seen = {path for path, _ in found}
        for done, (path, kind) in enumerate(found, 1):
            if path not in self.touched:
                entry = self.read(path, kind)
                if entry is None:
                    self._drop(path)
                else:
                    self._put(entry)
            if done % chunk == 0:
                yield done
        for path in [known for known in self.files if known not in seen]:
            if path not in self.touched:
                self._drop(path)
        self.generation += 1
        self.ready = True
        yield len(found)

    def count(self) -> int:
        """How many files are indexed."""
        return len(self.files)

    def of_kind(self, kind: DocumentKind) -> list[IndexedFile]:
        """Every indexed file of `kind`, by path."""
        return sorted(
            (entry for entry in self.files.values() if entry.kind is kind),
            key=lambda entry: entry.path,
        )
