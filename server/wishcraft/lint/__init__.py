"""The lint engine: rules → findings with codes, severities, messages and exact spans."""

from __future__ import annotations

from wishcraft.kinds import DocumentKind
from wishcraft.lint.catalog import RULES, Rule
from wishcraft.lint.config import ConfigError, LintConfig, find_config_file, load_lint_config
from wishcraft.lint.engine import Analysis, analyse_registry, analyse_wish

__all__ = [
    "RULES",
    "Analysis",
    "ConfigError",
    "DocumentKind",
    "LintConfig",
    "Rule",
    "analyse_registry",
    "analyse_wish",
    "find_config_file",
    "load_lint_config",
]
