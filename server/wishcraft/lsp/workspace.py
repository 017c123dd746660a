"""The workspace as the language server sees it, without pygls: which files are ours, which
registry and lint rules each one is checked against, and the analysed snapshots.

Every rule here is a cache rule, and each one has a unit test (`tests/unit/test_workspace.py`):
- the registry and `wishcraft.toml` found upward from a folder are remembered per folder until
  a document opens, the settings change or watched files change (a directory walk per request
  would cost more than the analysis);
- a registry file is read once and reread when its modification time changes; a registry open
  in the editor is taken from its unsaved text instead, until it is closed;
- a `wishcraft.toml` is read once per modification time (`wishcraft.config`, the one reader);
  a broken one is said once and the default rules apply; its `[lint]` gives the lint rules
  unless the `wishcraft.lint` setting is set, and its `[files] globs` the wish globs unless the
  `wishcraft.files.globs` setting is;
- a snapshot is reused only for the same text, version, registry object and lint rules, and the
  32 most recently used documents keep theirs (a typical wish re-analyses in about a
  millisecond, which keeps 500 open wishes small);
- a new version is parsed from the previous snapshot's parse of the same document
  (`documents.incremental`: only the edited block is read again, with the same result as a
  full parse), then linted whole.
The server holds one `Workspace` and passes it what pygls knows (the text, the version, the
workspace folders, the position encoding).
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from wishcraft.config import NO_CONFIG, ConfigFile, ConfigFileError, read_config_file
from wishcraft.documents.positions import PositionMapper
from wishcraft.kinds import DEFAULT_GLOBS, classify
from wishcraft.lint import (
    Analysis,
    ConfigError,
    DocumentKind,
    LintConfig,
    analyse_registry,
    analyse_wish,
)
from wishcraft.lint.config import (
    default_lint_config,
    file_globs_from,
    find_config_file,
    lint_config_from,
)
from wishcraft.lint.registries import RegistryCache
from wishcraft.lsp.settings import Settings, default_settings
from wishcraft.plan.paths import PlanPaths, plan_paths
from wishcraft.registry import Registry, find_registry_file, registry_from_parsed

MAX_CACHED_SNAPSHOTS = 32
"""Analysed versions kept in memory: the documents being edited."""


@dataclass(frozen=True, slots=True)
class DocumentSnapshot:
    """One analysed version of one open document: everything a feature needs.

    `registry` is the registry a wish is checked against (for a registry file, the registry it
    defines); `positions` converts this version's positions to and from client units.
    """

    uri: str
    version: int | None
    path: Path
    analysis: Analysis
    positions: PositionMapper
    registry: Registry
    derived: dict[str, Any] = field(default_factory=dict, compare=False, repr=False)
    """What features make from this version and answer again while it stands (the outline):
    kept with the snapshot, so it goes when the version does, or the document closes."""

    @property
    def kind(self) -> DocumentKind:
        """Whether the document is a wish or a registry."""
        return self.analysis.kind

    @property
    def lines(self) -> list[str]:
        """The document's lines, split as LSP splits them."""
        return self.analysis.parsed.lines


@dataclass(frozen=True, slots=True)
class _Cached:
    """A snapshot and the lint rules it was computed with."""

    snapshot: DocumentSnapshot
    config: LintConfig


def _ignore(_message: str) -> None:
    return None


@dataclass(slots=True)
class Workspace:
    """Documents, registries and lint rules of one server; see the module docstring."""

    settings: Settings = field(default_factory=default_settings)
    """The `wishcraft` settings in force."""
    folders: Callable[[], list[Path]] = field(default=list)
    """The workspace folders, first one first (pygls knows them)."""
    on_problem: Callable[[str], None] = field(default=_ignore)
    """Says a configuration problem to the user (each distinct one once)."""
    registries: RegistryCache = field(default_factory=RegistryCache)
    open_registries: dict[Path, Registry] = field(default_factory=dict)
    config_files: dict[Path, tuple[float, ConfigFile]] = field(default_factory=dict)
    """Each wishcraft.toml read, by its modification time when read."""
    lint_configs: dict[Path, tuple[float, LintConfig]] = field(default_factory=dict)
    file_globs: dict[Path, tuple[float, tuple[str, ...]]] = field(default_factory=dict)
    discovered: dict[Path, tuple[Path | None, Path | None]] = field(default_factory=dict)
    reported_problems: set[str] = field(default_factory=set)
    cache: OrderedDict[str, _Cached] = field(default_factory=OrderedDict)

    # Which files, which folder -------------------------------------------------------------

    def kind_of(self, path: Path | None) -> DocumentKind | None:
        """Whether a file is a wish, a registry, or none of ours (None): by name and folder
        only (`kinds.classify`), so a document's kind does not change as it is typed."""
        return classify(path, globs=self.wish_globs_for(path)) if path is not None else None

    def wish_globs_for(self, path: Path) -> tuple[str, ...]:
        """The wish globs for a file: the `wishcraft.files.globs` setting when the client set
        it, else `[files] globs` of the wishcraft.toml found upward, else the defaults."""
        configured = self.settings.files.configured_globs
        if configured is not None:
            return configured
        found = self._config_file(path)
        if found is None:
            return DEFAULT_GLOBS
        config_path, mtime, parsed = found
        cached = self.file_globs.get(config_path)
        if cached is not None and cached[0] == mtime:
            return cached[1]
        try:
            globs = file_globs_from(parsed) or DEFAULT_GLOBS
        except ConfigError as exc:
            self._problem(f"{exc}; using the default wish globs.")
            globs = DEFAULT_GLOBS
        self.file_globs[config_path] = (mtime, globs)
        return globs

    def root(self) -> Path | None:
        """The first workspace folder, if there is one."""
        folders = self.folders()
        return folders[0] if folders else None

    def root_for(self, path: Path) -> Path | None:
        """The workspace folder holding `path` (multi-root aware), else the first one."""
        for folder in self.folders():
            if folder in path.parents:
                return folder
        return self.root()

    def plan_paths_for(self, wish_path: Path) -> PlanPaths:
        """Where the plan files of a wish go under the settings in force (or PlanPathError)."""
        return plan_paths(
            wish_path,
            folder=self.settings.plan.folder or None,
            workspace_root=self.root_for(wish_path),
        )

    # Registries and lint rules -------------------------------------------------------------

    def _discover(self, folder: Path) -> tuple[Path | None, Path | None]:
        found = self.discovered.get(folder)
        if found is None:
            found = self.discovered[folder] = (find_registry_file(folder), find_config_file(folder))
        return found

    def registry_path_for(self, path: Path) -> Path | None:
        """The registry file a wish uses: the configured one (a relative path is taken in the
        workspace folder holding the wish, as `plan.folder` is), else found upward, else None."""
        configured = self.settings.registry.path
        if configured:
            candidate = Path(configured).expanduser()
            if not candidate.is_absolute():
                candidate = (self.root_for(path) or path.parent) / candidate
            return candidate
        return self._discover(path.parent)[0]

    def relative(self, path: Path) -> str:
        """A path as messages show it: relative to its workspace folder when inside one."""
        root = self.root_for(path)
        if root is not None and root in path.parents:
            return path.relative_to(root).as_posix()
        return str(path)

    def registry_for(self, path: Path) -> Registry:
        """The registry a wish at `path` is checked against (an open registry's unsaved text
        wins over the file on disk; none found: the bundled one). Its messages name it
        relative to the workspace folder."""
        registry_path = self.registry_path_for(path)
        if registry_path is None:
            return self.registries.bundled()
        opened = self.open_registries.get(registry_path)
        registry = opened if opened is not None else self.registries.load(registry_path)
        if registry.display is None:
            registry.display = self.relative(registry_path)
        return registry

    def _config_file(self, path: Path) -> tuple[Path, float, ConfigFile] | None:
        """The wishcraft.toml that applies to a file (path, mtime, parsed), read once per
        modification time; None when there is none. A broken one is said once and reads as
        no file, so the defaults apply."""
        config_path = self._discover(path.parent)[1]
        if config_path is None:
            return None
        try:
            mtime = config_path.stat().st_mtime
        except OSError:
            return None
        cached = self.config_files.get(config_path)
        if cached is None or cached[0] != mtime:
            try:
                parsed = read_config_file(config_path)
            except ConfigFileError as exc:
                shown = str(exc).replace(str(config_path), self.relative(config_path))
                self._problem(f"{shown.rstrip('.')}; using the default rules and wish globs.")
                parsed = NO_CONFIG
            cached = self.config_files[config_path] = (mtime, parsed)
        return config_path, mtime, cached[1]

    def lint_config_for(self, path: Path) -> LintConfig:
        """The lint rules for a file: the `wishcraft.lint` setting, else wishcraft.toml."""
        if self.settings.lint is not None:
            return self.settings.lint
        found = self._config_file(path)
        if found is None:
            return default_lint_config()
        config_path, mtime, parsed = found
        cached = self.lint_configs.get(config_path)
        if cached is not None and cached[0] == mtime:
            return cached[1]
        try:
            config = lint_config_from(parsed)
        except ConfigError as exc:
            shown = str(exc).replace(str(config_path), self.relative(config_path))
            self._problem(f"{shown}; using the default lint rules.")
            config = default_lint_config()
        self.lint_configs[config_path] = (mtime, config)
        return config

    def _problem(self, message: str) -> None:
        if message not in self.reported_problems:
            self.reported_problems.add(message)
            self.on_problem(message)

    # Snapshots -----------------------------------------------------------------------------

    def snapshot(
        self,
        uri: str,
        version: int | None,
        path: Path | None,
        text: str,
        encoding: str | None = None,
    ) -> DocumentSnapshot | None:
        """The analysed version of a document of ours, computed at most once.

        A cached analysis is reused only for the same text, not only the same version number:
        a client that reopens a document or repeats a version sends new text under an old
        number. `encoding` is the position encoding agreed with the client.
        """
        kind = self.kind_of(path)
        if kind is None or path is None:
            return None
        config = self.lint_config_for(path)
        cached = self.cache.get(uri)
        previous = None
        if cached is not None:
            previous = cached.snapshot.analysis.parsed
            self.cache.move_to_end(uri)
            if (
                cached.snapshot.version != version
                or cached.config is not config
                or cached.snapshot.analysis.parsed.text != text
            ):
                cached = None
        if kind is DocumentKind.WISH:
            registry = self.registry_for(path)
            if cached is not None and cached.snapshot.registry is registry:
                return cached.snapshot
            analysis = analyse_wish(text, registry, config, previous)
        else:
            if cached is not None and cached.snapshot.kind is kind:
                return cached.snapshot
            analysis = analyse_registry(text, config, previous)
            registry = registry_from_parsed(
                analysis.parsed, analysis.index, analysis.findings, path, analysis.data
            )
            registry.display = self.relative(path)
        positions = PositionMapper(analysis.parsed.lines, encoding)
        snapshot = DocumentSnapshot(uri, version, path, analysis, positions, registry)
        self.cache[uri] = _Cached(snapshot, config)
        while len(self.cache) > MAX_CACHED_SNAPSHOTS:
            self.cache.popitem(last=False)
        return snapshot

    # What changes the rules ------------------------------------------------------------------

    def opened(self) -> None:
        """A document opened: a folder may have gained a registry or config since."""
        self.discovered.clear()

    def registry_edited(self, snapshot: DocumentSnapshot) -> None:
        """An open registry was analysed: wishes that use it see its unsaved text."""
        self.open_registries[snapshot.path] = snapshot.registry

    def closed(self, uri: str, path: Path | None) -> bool:
        """Forget a closed document; True when it was an open registry (wishes re-check)."""
        self.cache.pop(uri, None)
        return path is not None and self.open_registries.pop(path, None) is not None

    def forget(self, uri: str) -> None:
        """Drop the snapshot of a document that is no longer ours."""
        self.cache.pop(uri, None)

    def files_changed(self, paths: list[Path]) -> None:
        """Registry or config files changed on disk: read them again."""
        for path in paths:
            self.registries.invalidate(path)
            self.config_files.pop(path, None)
            self.lint_configs.pop(path, None)
            self.file_globs.pop(path, None)
        self.discovered.clear()
        self.cache.clear()

    def use_settings(self, settings: Settings) -> bool:
        """Adopt new settings; True when they differ (every document is checked again)."""
        if settings == self.settings:
            return False
        self.settings = settings
        self.discovered.clear()
        self.cache.clear()
        return True
