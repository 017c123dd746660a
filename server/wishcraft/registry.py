"""The conduit registry: where it is, and the conduits of a parsed and checked file.

A wish's `tools` name conduits of `data/conduits/registry.yaml`, found from the wish's folder
upward (or a configured path). Pure: reading a file and checking it is `wishcraft.lint`'s job
(`lint.registries`), which builds a `Registry` here from the parsed file and its findings.
"""

from __future__ import annotations

import functools
import importlib.resources
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from wishcraft.documents import NodeKind, ParsedYaml, PathIndex
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
    display: str | None = None
    """How to name the file to the user, when not by its full path: the language server
    sets it relative to the workspace folder."""

    @property
    def label(self) -> str:
        """How messages name this registry: its path, or `the bundled registry`."""
        if self.source is None:
            return "the bundled registry"
        return self.display or str(self.source)

    def get(self, conduit_id: str) -> ConduitDescriptor | None:
        """Return the descriptor of `conduit_id`, or None."""
        return self.conduits.get(conduit_id)


def registry_from_parsed(
    parsed: ParsedYaml,
    index: PathIndex,
    findings: list[Finding],
    source: Path | None,
    data: Any = None,
) -> Registry:
    """Build a registry from an already parsed and linted file (the language server has
    analysed an open registry: parsing and validating it twice doubles the wait).

    `data` is the file as upstream's types read it (`wishcraft.lint.upstream`), so a conduit
    upstream loads is known here too: `tokens_per_call: 3000` is the text "3000" upstream, and
    its finding belongs to the registry, not to every wish that names the conduit.
    """
    text = parsed.text
    items = data if isinstance(data, list) else parsed.data
    conduits: dict[str, ConduitDescriptor] = {}
    definitions: dict[str, Span] = {}
    root = parsed.root.resolved() if parsed.root is not None else None
    if root is not None and root.kind is NodeKind.SEQUENCE and isinstance(items, list):
        for position, item in enumerate(items):
            try:
                descriptor = ConduitDescriptor.model_validate(item)
            except ValidationError:
                continue
            if descriptor.id in conduits:
                continue
            conduits[descriptor.id] = descriptor
            located = index.get((position, "id"))
            definitions[descriptor.id] = (
                located.value.span if located else root.items[position].span
            )
    return Registry(conduits, source, definitions, findings, text)


@functools.lru_cache(maxsize=1)
def bundled_registry_text() -> str:
    """The registry shipped with the package (the conduits of the real Wishcraft registry).

    Read once per process: it is part of the installed package and never changes while the
    process runs, and every `RegistryCache` (one per CLI command) would read it again."""
    return (
        importlib.resources.files("wishcraft")
        .joinpath("data/registry.yaml")
        .read_text(encoding="utf-8")
    )


def find_registry_file(start: Path) -> Path | None:
    """Find `data/conduits/registry.yaml` (or `conduits/registry.yaml`) from `start` upward."""
    folder = start if start.is_dir() else start.parent
    for candidate_folder in (folder, *folder.parents):
        for relative in REGISTRY_RELATIVE_PATHS:
            candidate = candidate_folder / relative
            if candidate.is_file():
                return candidate
    return None


__all__ = [
    "ConduitRegistry",
    "Registry",
    "bundled_registry_text",
    "find_registry_file",
    "registry_from_parsed",
]
