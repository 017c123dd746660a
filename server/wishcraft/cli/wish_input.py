"""What the commands that call a conduit share before the call: the wish read and checked
against its registry and lint rules, and the conduit's configuration (`--model` first).

`wishcraft plan` and `wishcraft apply` both start here, so a wish that cannot be read or is
not valid, and a configuration that cannot be used, get the same sentence and exit status 2.
"""

from __future__ import annotations

import argparse
import logging
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, TextIO

from wishcraft.cli.options import EXIT_USAGE
from wishcraft.words import plural

if TYPE_CHECKING:
    from wishcraft.conduit.config import ConduitConfig
    from wishcraft.lint import LintConfig
    from wishcraft.model import Wish
    from wishcraft.registry import Registry


@dataclass(frozen=True, slots=True)
class WishInput:
    """A valid wish, its text and path, the registry and lint rules it was checked with, and
    the conduit's configuration."""

    wish: Wish
    text: str
    path: Path
    registry: Registry
    lint_config: LintConfig
    config: ConduitConfig


def add_conduit_options(parser: argparse.ArgumentParser, *, shadow_help: str) -> None:
    """`--shadow`/`--live`, `--model` and `-v`: how a command that calls a conduit is run."""
    mode = parser.add_mutually_exclusive_group()
    mode.add_argument(
        "--shadow", dest="mode", action="store_const", const="shadow", help=shadow_help
    )
    mode.add_argument(
        "--live",
        dest="mode",
        action="store_const",
        const="live",
        help="call Codex (the default when a Codex login exists)",
    )
    parser.add_argument(
        "--model",
        default=None,
        help="the Codex model (default: as Codex chooses: OPENAI_MODEL, "
        "[conduit] model, ~/.codex/config.toml, else the catalog's default)",
    )
    parser.add_argument("--verbose", "-v", action="store_true", help="log requests to stderr")
    parser.set_defaults(mode="auto")


def log_verbosely(args: argparse.Namespace, err: TextIO) -> None:
    """With `-v`, log to stderr at INFO (the request, redacted, among it)."""
    if getattr(args, "verbose", False):
        logging.basicConfig(
            level=logging.INFO, stream=err, format="%(levelname)s %(name)s: %(message)s"
        )


def read_wish(wish_arg: Path, model: str | None, err: TextIO) -> WishInput | int:
    """The wish and the configuration for a conduit call, or `EXIT_USAGE` after one sentence."""
    # Imported here: `wishcraft lint` must not pay for the conduit at start-up.
    from wishcraft.conduit.config import ignored_message, load_config
    from wishcraft.conduit.errors import ConduitError
    from wishcraft.config import ConfigFileError, load_workspace_config
    from wishcraft.lint import ConfigError, analyse_wish
    from wishcraft.lint.config import find_config_file, load_lint_config
    from wishcraft.lint.registries import RegistryCache

    try:
        text = wish_arg.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        reason = getattr(exc, "strerror", None) or exc
        print(f"wishcraft: cannot read {wish_arg}: {reason}", file=err)
        return EXIT_USAGE
    path = wish_arg.resolve()
    registry = RegistryCache(shown_from=Path.cwd()).for_document(path)
    try:
        lint_config = load_lint_config(find_config_file(path.parent))
    except ConfigError as exc:
        print(f"wishcraft: {exc}", file=err)
        return EXIT_USAGE
    analysis = analyse_wish(text, registry, lint_config)
    if analysis.wish is None:
        print(
            f"wishcraft: {wish_arg} is not a valid wish "
            f"({plural(analysis.error_count, 'error')}); run `wishcraft lint {wish_arg}`.",
            file=err,
        )
        return EXIT_USAGE
    try:
        config = load_config(
            load_workspace_config(path.parent),
            overrides={"model": model} if model else None,
            overrides_source="--model",
        )
    except (ConduitError, ConfigFileError) as exc:
        print(f"wishcraft: {exc}", file=err)
        return EXIT_USAGE
    for words in config.ignored:
        print(f"wishcraft: {ignored_message(words)}", file=err)
    return WishInput(analysis.wish, text, path, registry, lint_config, config)
