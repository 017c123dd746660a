"""Registries read and checked: from text, from a file, the bundled one, and a cache by file.

Loading never raises: a broken registry gives findings (for the registry file itself) and keeps
the descriptors that are valid, so a wish is still checked against what can be read.
"""

from __future__ import annotations

from pathlib import Path

from wishcraft.documents import PathIndex, parse_yaml
from wishcraft.findings import Finding, Span
from wishcraft.lint.engine import registry_reading
from wishcraft.registry import (
    Registry,
    bundled_registry_text,
    find_registry_file,
    registry_from_parsed,
)


def registry_from_text(text: str, source: Path | None) -> Registry:
    """Build a registry from YAML text, keeping every descriptor that validates."""
    parsed = parse_yaml(text)
    index = PathIndex(parsed.root)
    findings, data = registry_reading(parsed, index)
    return registry_from_parsed(parsed, index, findings, source, data)


def load_registry_file(path: Path) -> Registry:
    """Load a registry file; an unreadable file is one finding, not an exception."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        from wishcraft.lint.catalog import RULES

        reason = getattr(exc, "strerror", None) or exc
        finding = Finding(
            "yaml-syntax",
            RULES["yaml-syntax"].severity,
            f"Cannot read the registry {path}: {reason}.",
            Span.at(0, 0, 0, 0),
        )
        return Registry({}, path, {}, [finding])
    return registry_from_text(text, path)


def bundled_registry() -> Registry:
    """The registry shipped with the package (the conduits of the real Wishcraft registry)."""
    return registry_from_text(bundled_registry_text(), None)


class RegistryCache:
    """Loads each registry file once and reloads it when its modification time changes.

    The CLI lints thousands of files that share one registry; the language server asks for
    the registry of every wish it checks.
    """

    def __init__(self, shown_from: Path | None = None) -> None:
        """Start with nothing loaded. With `shown_from` (the CLI's current folder), messages
        name a registry under it by its relative path, as the terminal user typed it."""
        self._files: dict[Path, tuple[float, Registry]] = {}
        self._bundled: Registry | None = None
        self._shown_from = shown_from.resolve() if shown_from is not None else None

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
        if self._shown_from is not None:
            try:
                registry.display = path.resolve().relative_to(self._shown_from).as_posix()
            except ValueError:  # outside the current folder: its full path says where
                pass
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
