"""The conduit registry: find it, load it, and check it.

A wish's `tools` name conduits of `data/conduits/registry.yaml`, found from the wish's folder
upward (or a configured path). With none found we fall back to a bundled copy of the real
registry, so a lone wish file still gets its tools checked. Loading never raises: a broken
registry gives findings (for the registry file itself) and keeps the descriptors that are valid.
"""

from __future__ import annotations

import importlib.resources
from dataclasses import dataclass, field
from pathlib import Path

from pydantic import ValidationError

from wishcraft.documents import NodeKind, ParsedYaml, PathIndex, parse_yaml
from wishcraft.findings import Finding, Span
from wishcraft.model import ConduitDescriptor, ConduitRegistry

REGISTRY_RELATIVE_PATHS = (Path("data/conduits/registry.yaml"), Path("conduits/registry.yaml"))


@dataclass(slots=True)
class Registry:
    """Loaded conduits by id, where each is defined, and the findings of the registry file."""

    conduits: dict[str, ConduitDescriptor]
    source: Path | None
    definitions: dict[str, Span] = field(default_factory=dict)
    findings: list[Finding] = field(default_factory=list)
    text: str = ""

    @property
    def label(self) -> str:
        """How messages name this registry: its path, or `the bundled registry`."""
        return str(self.source) if self.source else "the bundled registry"

    def get(self, conduit_id: str) -> ConduitDescriptor | None:
        """Return the descriptor of `conduit_id`, or None."""
        return self.conduits.get(conduit_id)


def registry_from_text(text: str, source: Path | None) -> Registry:
    """Build a registry from YAML text, keeping every descriptor that validates."""
    from wishcraft.lint.engine import lint_registry_parsed

    parsed = parse_yaml(text)
    index = PathIndex(parsed.root)
    return registry_from_parsed(parsed, index, lint_registry_parsed(parsed, index), source)


def registry_from_parsed(parsed: ParsedYaml, index: PathIndex, findings: list[Finding],
                         source: Path | None) -> Registry:
    """Build a registry from an already parsed and linted file (the language server has
    analysed an open registry: parsing and validating it twice doubles the wait)."""
    text = parsed.text
    conduits: dict[str, ConduitDescriptor] = {}
    definitions: dict[str, Span] = {}
    root = parsed.root.resolved() if parsed.root is not None else None
    if root is not None and root.kind is NodeKind.SEQUENCE and isinstance(parsed.data, list):
        for position, item in enumerate(parsed.data):
            try:
                descriptor = ConduitDescriptor.model_validate(item)
            except ValidationError:
                continue
            if descriptor.id in conduits:
                continue
            conduits[descriptor.id] = descriptor
            located = index.get((position, "id"))
            definitions[descriptor.id] = (located.value.span if located
                                          else root.items[position].span)
    return Registry(conduits, source, definitions, findings, text)


def load_registry_file(path: Path) -> Registry:
    """Load a registry file; an unreadable file is one finding, not an exception."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        from wishcraft.lint.catalog import RULES

        reason = getattr(exc, "strerror", None) or exc
        finding = Finding("yaml-syntax", RULES["yaml-syntax"].severity,
                          f"Cannot read the registry {path}: {reason}.",
                          Span.at(0, 0, 0, 0))
        return Registry({}, path, {}, [finding])
    return registry_from_text(text, path)


def bundled_registry() -> Registry:
    """The registry shipped with the package (the conduits of the real Wishcraft registry)."""
    text = importlib.resources.files("wishcraft").joinpath("data/registry.yaml").read_text(
        encoding="utf-8")
    return registry_from_text(text, None)


def find_registry_file(start: Path) -> Path | None:
    """Find `data/conduits/registry.yaml` (or `conduits/registry.yaml`) from `start` upward."""
    folder = start if start.is_dir() else start.parent
    for candidate_folder in (folder, *folder.parents):
        for relative in REGISTRY_RELATIVE_PATHS:
            candidate = candidate_folder / relative
            if candidate.is_file():
                return candidate
    return None


def is_registry_path(path: Path) -> bool:
    """Tell whether a file is a conduit registry by its name and folder."""
    return path.name in ("registry.yaml", "registry.yml") and path.parent.name == "conduits"


class RegistryCache:
    """Loads each registry file once and reloads it when its modification time changes.

    The CLI lints thousands of files that share one registry; the language server asks for
    the registry of every wish it checks.
    """

    def __init__(self) -> None:
        """Start with nothing loaded."""
        self._files: dict[Path, tuple[float, Registry]] = {}
        self._bundled: Registry | None = None

    def bundled(self) -> Registry:
        """The bundled registry, loaded once."""
        if self._bundled is None:
            self._bundled = bundled_registry()
        return self._bundled

    def load(self, path: Path) -> Registry:
        """The registry at `path`, reloaded if the file changed since the last load."""
        try:
            mtime = path.stat().st_mtime
        except OSError:
            mtime = -1.0
        cached = self._files.get(path)
        if cached is not None and cached[0] == mtime:
            return cached[1]
        registry = load_registry_file(path)
        self._files[path] = (mtime, registry)
        return registry

    def for_document(self, document: Path, configured: Path | None = None) -> Registry:
        """The registry a wish at `document` uses: configured, found upward, or bundled."""
        if configured is not None:
            return self.load(configured)
        found = find_registry_file(document)
        return self.load(found) if found is not None else self.bundled()

    def invalidate(self, path: Path | None = None) -> None:
        """Forget one cached registry file (or all of them)."""
        if path is None:
            self._files.clear()
        else:
            self._files.pop(path, None)


__all__ = [
    "ConduitRegistry",
    "Registry",
    "RegistryCache",
    "bundled_registry",
    "find_registry_file",
    "is_registry_path",
    "load_registry_file",
    "registry_from_parsed",
    "registry_from_text",
]
