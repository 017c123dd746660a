"""`wishcraft pr ANCHOR`: open a pull request from a change `wishcraft apply` made.

The anchor (printed by the apply) leads to the ledger, the undo record and the wish
(`wishcraft.pr.find_applied`); the wish, its plan's steps, the registry and the lint rules are
read as `wishcraft plan` reads them (`wishcraft.pr.inputs`), and `wishcraft.pr.open_pull_request`
runs the gates, the check, the commit, the push and the GitHub call. Each step is told on
stderr as it starts; the pull request's address is the only line on stdout, so
`url=$(wishcraft pr A-…)` works; `--format json` prints instead one JSON document for every
outcome (opened, refused, failed: the address, branch, commit, files, the gate that refused and
its sentence). The opener writes its own ledger line (`open_pr`).

Exit status: 0 opened, 1 failed (git, the push, GitHub), 2 bad input (the wish, `[pr]`),
3 refused by a gate (the sentence names it). No token is ever printed.
"""

from __future__ import annotations

import argparse
import logging
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO

from wishcraft.cli.output import json_out
from wishcraft.exitcodes import EXIT_REFUSED

if TYPE_CHECKING:
    from wishcraft.pr import PrResult


def register(subparsers: Any) -> None:
    """Add the `pr` subcommand to the `wishcraft` parser."""
    parser = subparsers.add_parser("pr", help="open a pull request from an applied change")
    parser.add_argument(
        "anchor", metavar="ANCHOR", help="the anchor `wishcraft apply` printed (A-…)"
    )
    add_draft_options(parser)
    parser.add_argument(
        "--format",
        choices=("text", "json"),
        default="text",
        help="the address for people, or the outcome as JSON for scripts",
    )
    parser.add_argument(
        "--verbose", "-v", action="store_true", help="log each git and GitHub step to stderr"
    )
    parser.set_defaults(handler=command_pr)


def add_draft_options(parser: argparse.ArgumentParser) -> None:
    """`--draft` / `--ready`: override `[pr] draft` (shared with `wishcraft apply --open-pr`)."""
    draft = parser.add_mutually_exclusive_group()
    draft.add_argument(
        "--draft",
        dest="draft",
        action="store_const",
        const=True,
        help="open the pull request as a draft (the default, `[pr] draft`)",
    )
    draft.add_argument(
        "--ready", dest="draft", action="store_const", const=False, help="open it ready for review"
    )
    parser.set_defaults(draft=None)


def command_pr(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    """Open the pull request of the applied change `args.anchor`."""
    if args.verbose:
        logging.basicConfig(
            level=logging.INFO, stream=err, format="%(levelname)s %(name)s: %(message)s"
        )
    return open_pr(args.anchor, Path.cwd(), out, err, draft=args.draft, fmt=args.format)


def open_pr(
    anchor_id: str,
    start: Path,
    out: TextIO,
    err: TextIO,
    *,
    draft: bool | None = None,
    fmt: str = "text",
) -> int:
    """Find the applied change from `start`, open its pull request, print the outcome (`fmt`:
    text or json); return the exit status. `wishcraft apply --open-pr` calls this with the
    anchor it just made."""
    # Imported here: `wishcraft lint` must not pay for httpx and git at start-up.
    from wishcraft.pr import PrError, PrRefused, find_applied, open_pull_request
    from wishcraft.pr.inputs import load_inputs
    from wishcraft.redaction import redact

    try:
        applied = find_applied(start, anchor_id)
    except PrRefused as error:
        print(f"wishcraft: refused by the {error.gate} gate: {redact(str(error))}", file=err)
        if fmt == "json":
            json_out(
                _early(anchor_id, "refused", EXIT_REFUSED, redact(str(error)), error.gate), out
            )
        return EXIT_REFUSED
    try:
        inputs = load_inputs(applied)
    except PrError as error:
        print(f"wishcraft: {redact(str(error))}", file=err)
        if fmt == "json":
            outcome = "refused" if isinstance(error, PrRefused) else "failed"
            gate = error.gate if isinstance(error, PrRefused) else None
            json_out(_early(anchor_id, outcome, error.exit_code, redact(str(error)), gate), out)
        return error.exit_code

    def progress(step: str) -> None:
        print(f"wishcraft: {redact(step)} …", file=err, flush=True)

    result = open_pull_request(
        applied.workspace,
        anchor_id,
        wish=inputs.wish,
        plan_steps=inputs.plan_steps,
        registry=inputs.registry,
        lint_config=inputs.lint_config,
        ledger=applied.ledger,
        config_file=inputs.config_file,
        wish_key=applied.entry.wish,
        draft=draft,
        progress=progress,
    )
    show_result(result, out, err, fmt)
    return result.exit_code


def _early(
    anchor_id: str, outcome: str, exit_code: int, message: str, gate: str | None
) -> dict[str, Any]:
    """The JSON outcome of a pull request stopped before the opener ran."""
    return {
        "anchor_id": anchor_id,
        "outcome": outcome,
        "exit_code": exit_code,
        "gate": gate,
        "message": message,
        "pr_url": None,
    }


def result_json(result: PrResult) -> dict[str, Any]:
    """The opener's outcome as plain data (its message is already scrubbed of tokens)."""
    from dataclasses import asdict

    from wishcraft.redaction import redact

    data = asdict(result)
    data["message"] = redact(result.message)
    data["files"] = list(result.files)
    data["other_changes"] = list(result.other_changes)
    return data


def show_result(result: PrResult, out: TextIO, err: TextIO, fmt: str = "text") -> None:
    """The address on stdout (or the outcome as JSON); the sentence, the files left
    uncommitted and any ledger problem on stderr."""
    if fmt == "json":
        json_out(result_json(result), out)
    if result.outcome == "complete":
        print(f"wishcraft: {result.message}", file=err)
        if result.other_changes:
            print(
                f"wishcraft: left uncommitted (not part of the apply): "
                f"{', '.join(result.other_changes)}",
                file=err,
            )
        if fmt != "json":
            out.write(f"{result.pr_url}\n")
            out.flush()
    elif result.outcome == "refused":
        print(
            f"wishcraft: refused by the {result.gate or 'court'} gate: {result.message}", file=err
        )
    else:
        print(f"wishcraft: {result.message}", file=err)
    if result.ledger_problem:
        print(f"wishcraft: {result.ledger_problem}", file=err)


def main(argv: list[str] | None = None) -> int:
    """Run `wishcraft pr` on its own."""
    parser = argparse.ArgumentParser(prog="wishcraft")
    register(parser.add_subparsers(dest="command", required=True))
    args = parser.parse_args(["pr", *(argv if argv is not None else sys.argv[1:])])
    from wishcraft.visible import visible_streams

    status: int = args.handler(args, *visible_streams())
    return status


if __name__ == "__main__":
    sys.exit(main())
