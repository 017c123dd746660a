"""`wishcraft plan WISH.yaml`: plan a wish from the terminal; print its numbered steps.

Text for people by default: the plan's steps, numbered, each with its detail and its check
(coloured on a terminal, `cli.output`); `--format json` prints the artifact instead, as saved,
for scripts. The model's text is never printed as it streams (it is JSON meant for the
artifact); `--quiet` prints nothing on stdout.

With a Codex login (or `--live`) it calls Codex; without one (or with `--shadow`) it makes the
offline shadow-run plan and says so. The plan is saved as the editor saves it (the one
pipeline, `wishcraft.plan.pipeline`): `<wish>.plan.md` and the artifact `<wish>.plan.json` next
to the wish, each written atomically; `--out` puts the artifact elsewhere, its `.md` beside it.
Before the call the court's gates run (`wishcraft.court.plan`): a refusal prints the gate's
one sentence, leaves a `refused` line in the ledger and exits 3. Every call that runs leaves one
ledger line too (`wishcraft ledger` lists them).
Exit status: 0 complete, 1 failed or incomplete (or its ledger line could not be written),
2 bad input, 3 refused by a gate (a ledger that cannot be written refuses before any call).
Ctrl-C keeps what arrived, marked incomplete.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO

from wishcraft.cli.output import cell, console, json_out
from wishcraft.cli.wish_input import add_conduit_options, log_verbosely, read_wish
from wishcraft.exitcodes import EXIT_FAILED, EXIT_OK, EXIT_REFUSED, EXIT_USAGE
from wishcraft.plan.paths import PlanPathError, PlanPaths, plan_paths
from wishcraft.words import plural

if TYPE_CHECKING:
    from wishcraft.conduit.errors import ConduitError
    from wishcraft.plan.artifact import PlanArtifact
    from wishcraft.plan.pipeline import PlanJob


def register(subparsers: Any) -> None:
    """Add the `plan` subcommand to the `wishcraft` parser."""
    parser = subparsers.add_parser("plan", help="plan a wish with the Codex conduit")
    parser.add_argument("wish", type=Path, metavar="WISH.yaml")
    parser.add_argument(
        "--out",
        type=Path,
        default=None,
        help="artifact path (default: <wish>.plan.json next to the wish)",
    )
    add_conduit_options(parser, shadow_help="plan offline from the wish's own fields")
    parser.add_argument("--quiet", "-q", action="store_true", help="print nothing on stdout")
    parser.add_argument(
        "--format",
        choices=("text", "json"),
        default="text",
        help="the numbered steps for people, or the plan artifact as JSON for scripts",
    )
    parser.set_defaults(handler=command_plan)


def command_plan(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    """Plan the wish; print the text as it streams; write the artifact."""
    # Imported here, not at the top: `wishcraft lint` in CI must not pay for httpx and the
    # conduit at start-up (about 250 ms) only because the parser lists this subcommand.
    from wishcraft.model import ExecMode
    from wishcraft.plan.artifact import PlanStatus
    from wishcraft.plan.pipeline import (
        hear_plan,
        new_job,
        record_plan,
        refuse_plan,
        resolve_mode,
        save_plan,
    )

    log_verbosely(args, err)
    given = read_wish(args.wish, args.model, err)
    if isinstance(given, int):
        return given
    config = given.config
    try:
        paths = _destinations(args.wish, args.out)
    except PlanPathError as exc:
        print(f"wishcraft: {exc}", file=err)
        return EXIT_USAGE
    mode = resolve_mode(args.mode, config)
    job = new_job(given.wish, given.text, given.path, mode)
    hearing = hear_plan(job, given.registry, given.lint_config)
    for note in hearing.notes:
        print(f"wishcraft: note: {note}", file=err)
    if not hearing.verdict.allowed:
        print(f"wishcraft: refused by the court: {hearing.verdict.reason}", file=err)
        for problem in refuse_plan(hearing, job):
            print(f"wishcraft: {problem}", file=err)
        return EXIT_REFUSED
    if mode is ExecMode.SHADOW_RUN:
        reason = (
            "as asked"
            if args.mode == "shadow"
            else f"no Codex login at {config.codex_home / 'auth.json'}"
        )
        print(
            f"wishcraft: shadow run ({reason}): planning offline from the wish's own fields.",
            file=err,
        )
    else:
        model = f" ({config.model}, {config.source_of('model')})" if config.model else ""
        print(f"wishcraft: planning with Codex{model} …", file=err)
    artifact, error = _run(job, config)
    saved = save_plan(job, artifact, paths)
    problems = saved.problems
    recorded = record_plan(hearing, job, artifact)
    for problem in recorded:
        print(f"wishcraft: {problem}", file=err)  # the plan is kept; the ledger said why not
    for problem in problems:
        print(f"wishcraft: {problem}", file=err)
    if problems or not recorded.written:  # a call missing from the ledger is a failure
        return EXIT_FAILED
    if not args.quiet:
        show_plan(artifact, out, args.format)
    for warning in artifact.warnings:
        print(f"wishcraft: note: {warning}", file=err)
    if error is not None:
        print(f"wishcraft: {error}", file=err)
    elif artifact.status is not PlanStatus.COMPLETE:
        print(f"wishcraft: the plan is incomplete: {artifact.status_reason}.", file=err)
    usage = f", {artifact.tokens_used:,} tokens" if artifact.tokens_used else ""
    written = (
        f"{paths.artifact} and {paths.markdown.name}" if saved.failed is None else saved.failed
    )
    print(
        f"wishcraft: {plural(len(artifact.steps), 'step')} ({artifact.status.value}, "
        f"{artifact.model or 'no model'}{usage}) written to {written}",
        file=err,
    )
    for message in saved.messages(paths):
        print(f"wishcraft: {message}", file=err)
    return EXIT_OK if artifact.status is PlanStatus.COMPLETE else EXIT_FAILED


def _destinations(wish: Path, out: Path | None) -> PlanPaths:
    """The plan files: beside the wish, as the editor writes them; with `--out`, the artifact
    there and the Markdown plan beside it (`.md`). Never the wish itself."""
    if out is None:
        return plan_paths(wish)
    try:
        same = out.resolve() == wish.resolve()
    except (OSError, ValueError, RuntimeError) as exc:
        raise PlanPathError(f"--out {out} cannot be used ({exc}).") from None
    markdown = out.with_suffix(".md")
    if same or markdown.resolve() == wish.resolve():
        raise PlanPathError(f"--out {out} is the wish itself; choose another file.")
    return PlanPaths(markdown=markdown, artifact=out)


def _run(job: PlanJob, config: Any) -> tuple[PlanArtifact, ConduitError | None]:
    from wishcraft.plan.pipeline import partial_artifact, plan_wish

    try:
        return asyncio.run(plan_wish(job, config, wish_id=job.wish_name))
    except KeyboardInterrupt:
        return partial_artifact(job, "interrupted"), None


def show_plan(artifact: PlanArtifact, out: TextIO, fmt: str = "text") -> None:
    """Print the plan: numbered steps for people, or the artifact as JSON for scripts.

    Everything printed comes from the model: it is scrubbed of the login's tokens (as the
    artifact is) and made visible (`cli.output`), never read as markup."""
    from wishcraft.redaction import scrub

    if fmt == "json":
        json_out(json.loads(scrub(artifact.model_dump_json())), out)
        return
    steps = [(step.title, step.detail, step.acceptance) for step in artifact.steps] or [
        (text, "", "") for text in artifact.plan_steps
    ]
    shown = console(out)
    if shown is None:
        for number, (title, detail, acceptance) in enumerate(steps, 1):
            out.write(f"{number:>2}. {scrub(title)}\n")
            if detail:
                out.write(f"    {scrub(detail)}\n")
            if acceptance:
                out.write(f"    check: {scrub(acceptance)}\n")
        for note in artifact.notes:
            out.write(f"note: {scrub(note)}\n")
        return
    from rich.text import Text

    for number, (title, detail, acceptance) in enumerate(steps, 1):
        shown.print(Text.assemble((f"{number:>2}. ", "bold cyan"), cell(scrub(title), "bold")))
        if detail:
            shown.print(Text.assemble("    ", cell(scrub(detail))))
        if acceptance:
            shown.print(Text.assemble(("    check: ", "green"), cell(scrub(acceptance))))
    for note in artifact.notes:
        shown.print(Text.assemble(("note: ", "yellow"), cell(scrub(note))))


def main(argv: Sequence[str] | None = None) -> int:
    """Run `wishcraft plan` on its own."""
    parser = argparse.ArgumentParser(prog="wishcraft")
    register(parser.add_subparsers(dest="command", required=True))
    args = parser.parse_args(["plan", *(argv if argv is not None else sys.argv[1:])])
    from wishcraft.visible import visible_streams

    status: int = args.handler(args, *visible_streams())
    return status


if __name__ == "__main__":
    sys.exit(main())
