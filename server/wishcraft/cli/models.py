"""`wishcraft models`: the Codex model catalog a plan chooses from, and where it came from.

With a ChatGPT login the catalog is asked of the backend when no fresh copy is at hand, as a
plan would; `--offline` (or no login) shows the best copy at hand without a network call.
Each row: the slug, its reasoning efforts (the default starred), the minimal Codex version it
needs, and whether the public API serves it; the model a plan would use is marked.
"""

from __future__ import annotations

import argparse
import asyncio
import json
from pathlib import Path
from typing import Any, TextIO

from wishcraft.exitcodes import EXIT_FAILED, EXIT_OK


def register(subparsers: Any) -> None:
    """Add the `models` subcommand to the `wishcraft` parser."""
    parser = subparsers.add_parser("models", help="list the Codex models a plan chooses from")
    parser.add_argument("--format", choices=("text", "json"), default="text")
    parser.add_argument(
        "--offline",
        action="store_true",
        help="do not ask the backend; show the best catalog at hand",
    )
    parser.add_argument("--all", action="store_true", help="include hidden models")
    parser.add_argument("--model", default=None, help="show the choice for this model")
    parser.set_defaults(handler=command_models)


def command_models(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    """Print the catalog and the model a plan would use."""
    from wishcraft.conduit.config import ignored_message, load_config
    from wishcraft.conduit.errors import ConduitError
    from wishcraft.config import ConfigFileError, load_workspace_config

    try:
        config = load_config(
            load_workspace_config(Path.cwd()),
            overrides={"model": args.model},
            overrides_source="--model",
        )
        for words in config.ignored:
            print(f"wishcraft: {ignored_message(words)}", file=err)
        report = asyncio.run(_gather(config, offline=args.offline))
    except (ConduitError, ConfigFileError) as error:
        print(f"wishcraft: {error}", file=err)
        return EXIT_FAILED
    if args.format == "json":
        out.write(json.dumps(report, indent=2) + "\n")
    else:
        _print_table(report, out, show_hidden=args.all)
    return EXIT_OK


async def _gather(config: Any, *, offline: bool) -> dict[str, Any]:
    from wishcraft.conduit.choice import choose_model
    from wishcraft.conduit.preview import preview_plan

    preview = preview_plan(config)
    catalog = preview.catalog
    version = preview.version
    login = preview.login
    if not offline and login is not None and not login.is_api_key:
        from wishcraft.conduit.client import CodexClient

        async with CodexClient(config) as client:
            version = await client.client_version()
            catalog = await client.catalog(login, version)
    api = login is not None and login.is_api_key
    choice = choose_model(config, catalog, api=api)
    default = catalog.default(api=api)
    return {
        "catalog": {
            "source": catalog.source,
            "fetched_at": catalog.fetched_at.isoformat() if catalog.fetched_at else None,
        },
        "client_version": {"version": version.version, "source": version.source},
        "login": None if login is None else login.mode,
        "default": default.slug if default else None,
        "plan": {
            "model": choice.slug,
            "source": choice.source,
            "effort": choice.effort,
            "notes": list(choice.notes),
        },
        "models": [
            {
                "slug": info.slug,
                "display_name": info.display_name,
                "visibility": info.visibility,
                "priority": info.priority,
                "efforts": list(info.efforts),
                "default_effort": info.default_effort,
                "minimal_client_version": info.minimal_client_version,
                "supported_in_api": info.supported_in_api,
                "supports_verbosity": info.supports_verbosity,
                "default": default is not None and info.slug == default.slug,
            }
            for info in sorted(catalog.models, key=lambda info: info.priority)
        ],
    }


def _print_table(report: dict[str, Any], out: TextIO, *, show_hidden: bool) -> None:
    rows = [("", "model", "efforts (* default)", "needs Codex", "API")]
    for model in report["models"]:
        if model["visibility"] != "list" and not show_hidden:
            continue
        efforts = (
            " ".join(
                f"{effort}*" if effort == model["default_effort"] else effort
                for effort in model["efforts"]
            )
            or "-"
        )
        mark = (
            ">" if model["slug"] == report["plan"]["model"] else ("d" if model["default"] else "")
        )
        hidden = "" if model["visibility"] == "list" else f" ({model['visibility']})"
        rows.append(
            (
                mark,
                model["slug"] + hidden,
                efforts,
                model["minimal_client_version"] or "-",
                "yes" if model["supported_in_api"] else "no",
            )
        )
    widths = [max(len(row[column]) for row in rows) for column in range(len(rows[0]))]
    for row in rows:
        out.write(
            "  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip()
            + "\n"
        )
    catalog, version, plan = report["catalog"], report["client_version"], report["plan"]
    fetched = f", fetched {catalog['fetched_at']}" if catalog["fetched_at"] else ""
    out.write(f"\ncatalog: {catalog['source']}{fetched}\n")
    out.write(f"Codex version presented: {version['version']} ({version['source']})\n")
    effort = f" (effort {plan['effort']})" if plan["effort"] else ""
    out.write(f"plans use: {plan['model']}{effort}, {plan['source']}\n")
    for note in plan["notes"]:
        out.write(f"note: {note}\n")
    if report["login"] is None:
        out.write("no Codex login: plans are offline shadow runs until `codex login`\n")
