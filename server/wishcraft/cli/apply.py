"""`wishcraft apply WISH.yaml`: carry out a wish's plan as one reviewed change, all or none.

The wish's plan (`<wish>.plan.json`, or `--plan`) must be complete and current. The court's
gates run with the action `apply` (the registry's `diff`); a refusal prints the gate's sentence,
leaves a `refused` ledger line and exits 3. Codex then reads the workspace through read-only
tools and proposes one patch, which is staged (never applied by the exchange), written to
`<wish>.patch` and printed as a unified diff. Without `--yes` the command asks on a terminal
and refuses when there is none; `--dry-run` stops after the diff. The change is applied all or
none (`wishcraft.apply.apply_change`), with its ledger line written `pending` before the files
and completed after; its undo record is kept in the user's state folder (never in the
repository): `wishcraft rollback ANCHOR` reverses it. Without a Codex login (or with `--shadow`)
nothing is staged: the command lists the files the plan names.

Exit status: 0 applied (or a dry or shadow run that staged what it could), 1 failed or not
applied (or applied without its ledger line, which is said), 2 bad input (no current plan, no
terminal to confirm on), 3 refused by a gate (a ledger that cannot be written refuses). With
`--open-pr`, a change once applied goes on to `wishcraft pr ANCHOR` with its new anchor, and the
exit status is the pull request's (the change stays applied whatever it is).
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO

from wishcraft.cli.wish_input import add_conduit_options, log_verbosely, read_wish
from wishcraft.exitcodes import EXIT_FAILED, EXIT_OK, EXIT_REFUSED, EXIT_USAGE

if TYPE_CHECKING:
    from wishcraft.apply.pipeline import ApplyJob, ApplyRun
    from wishcraft.conduit.config import ConduitConfig


def register(subparsers: Any) -> None:
    """Add the `apply` subcommand to the `wishcraft` parser."""
    parser = subparsers.add_parser("apply", help="apply a wish's plan as one reviewed change")
    parser.add_argument("wish", type=Path, metavar="WISH.yaml")
    parser.add_argument(
        "--plan",
        type=Path,
        default=None,
        help="the plan artifact (default: <wish>.plan.json next to the wish)",
    )
    parser.add_argument(
        "--dry-run",
        action="store_true",
        help="stage the change and print the diff; write nothing but the .patch",
    )
    parser.add_argument(
        "--yes",
        "-y",
        action="store_true",
        help="apply without asking (needed when there is no terminal)",
    )
    add_conduit_options(parser, shadow_help="call nothing: list the files the plan names")
    parser.add_argument(
        "--open-pr",
        action="store_true",
        help="once applied, open a pull request of the change (as `wishcraft "
        "pr ANCHOR`; the exit status is then the pull request's)",
    )
    parser.set_defaults(handler=command_apply)


def command_apply(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    """Stage the plan's change with Codex, show it, and apply it all or none."""
    # Imported here: `wishcraft lint` must not pay for the conduit at start-up.
    from wishcraft.apply.errors import ApplyError, TransactionFailed
    from wishcraft.apply.pipeline import (
        ApplyRefused,
        anchor_meta,
        apply_note,
        change_summary,
        hear_job,
        prepare,
        record_apply,
        save_patch,
        scope_globs,
    )
    from wishcraft.apply.transaction import apply_change
    from wishcraft.model import ExecMode
    from wishcraft.plan.court import ledger_mode
    from wishcraft.plan.pipeline import resolve_mode

    log_verbosely(args, err)
    if args.open_pr and (args.dry_run or args.mode == "shadow"):
        print(
            "wishcraft: --open-pr opens a pull request of an applied change; it cannot go "
            "with --dry-run or --shadow, which apply nothing.",
            file=err,
        )
        return EXIT_USAGE
    given = read_wish(args.wish, args.model, err)
    if isinstance(given, int):
        return given
    text, wish_path, config = given.text, given.path, given.config
    registry, lint_config = given.registry, given.lint_config
    try:
        job = prepare(given.wish, text, wish_path, args.plan)
    except ApplyRefused as exc:
        print(f"wishcraft: {exc}", file=err)
        return EXIT_USAGE
    exec_mode = resolve_mode(args.mode, config)
    mode = ledger_mode(exec_mode)
    hearing = hear_job(job, mode, registry, lint_config)
    for note in hearing.notes:
        print(f"wishcraft: note: {note}", file=err)
    if not hearing.verdict.allowed:
        print(f"wishcraft: refused by the court: {hearing.verdict.reason}", file=err)
        for problem in record_apply(
            hearing, job, None, outcome="refused", summary=f"Refused by the {_gate(hearing)} gate."
        ):
            print(f"wishcraft: {problem}", file=err)
        return EXIT_REFUSED
    globs = scope_globs(registry, job.repo)
    if exec_mode is ExecMode.SHADOW_RUN:
        return _shadow(args, job, hearing, config, err)
    model = f" ({config.model}, {config.source_of('model')})" if config.model else ""
    print(f"wishcraft: applying the plan with Codex{model} …", file=err)
    run = _run(job, config, globs, err)
    staged = run.staged
    if staged is None or run.outcome == "failed":
        reason = run.reason or "Codex staged no patch; nothing was written."
        for problem in record_apply(hearing, job, run):
            print(f"wishcraft: {problem}", file=err)
        print(f"wishcraft: {reason}", file=err)
        return EXIT_FAILED
    problems = save_patch(job, staged)
    out.write(staged.diff)
    out.flush()
    described = change_summary(staged)
    print(
        f"wishcraft: staged {described} (diff_hash {staged.diff_hash[:12]}…); the diff is "
        f"in {job.patch_path}",
        file=err,
    )
    if run.outcome != "complete":
        print(
            f"wishcraft: note: the exchange ended early ({run.reason}); the patch was "
            "staged before that.",
            file=err,
        )
    for problem in problems:
        print(f"wishcraft: {problem}", file=err)
    if args.dry_run:
        written = _record(hearing, job, run, err, summary=f"Dry run, not applied: {described}.")
        print("wishcraft: dry run: nothing was applied.", file=err)
        return EXIT_OK if written else EXIT_FAILED
    if not args.yes:
        answer = _confirm(staged.summary.describe(), err)
        if answer is None:
            _record(hearing, job, run, err, summary=f"Not applied (no terminal): {described}.")
            print(
                f"wishcraft: not applied: there is no terminal to confirm on; review "
                f"{job.patch_path.name} and run again with --yes.",
                file=err,
            )
            return EXIT_USAGE
        if not answer:
            _record(hearing, job, run, err, summary=f"Not applied (declined): {described}.")
            print("wishcraft: not applied.", file=err)
            return EXIT_FAILED
    try:
        ledger_note = apply_note(hearing, job, run, described)
    except ApplyRefused as exc:
        print(f"wishcraft: {exc}", file=err)
        return EXIT_FAILED
    try:
        anchor = apply_change(
            staged, state_dir=job.state_dir, meta=anchor_meta(job, run), ledger=ledger_note
        )
    except ApplyError as exc:
        if not (isinstance(exc, TransactionFailed) and exc.recorded):
            _record(
                hearing,
                job,
                run,
                err,
                outcome="failed",
                reason=str(exc),
                summary=f"Not applied: {described}.",
            )
        print(f"wishcraft: {exc}", file=err)
        return EXIT_FAILED
    print(
        f"wishcraft: applied {described}; anchor {anchor.anchor_id} (undo with "
        f"`wishcraft rollback {anchor.anchor_id}`).",
        file=err,
    )
    if args.open_pr:
        from wishcraft.cli.pr import open_pr

        return open_pr(anchor.anchor_id, wish_path.parent, out, err)
    return EXIT_OK


def _gate(hearing: Any) -> str:
    refusal = hearing.verdict.refusal
    return str(refusal.name) if refusal is not None else "court's"


def _record(hearing: Any, job: ApplyJob, run: ApplyRun, err: TextIO, **fields: Any) -> bool:
    """Leave the apply's ledger line and print what it says; whether the line was written."""
    from wishcraft.apply.pipeline import record_apply

    recorded = record_apply(hearing, job, run, **fields)
    for problem in recorded:
        print(f"wishcraft: {problem}", file=err)
    return recorded.written


def _confirm(described: str, err: TextIO) -> bool | None:
    """Ask on the terminal; None when stdin is not one."""
    if not sys.stdin.isatty():
        return None
    print(f"Apply {described}? [y/N] ", end="", file=err, flush=True)
    try:
        answer = sys.stdin.readline()
    except KeyboardInterrupt:
        return False
    return answer.strip().lower() in ("y", "yes")


def _shadow(
    args: argparse.Namespace, job: ApplyJob, hearing: Any, config: ConduitConfig, err: TextIO
) -> int:
    from wishcraft.apply.pipeline import record_apply, run_apply

    run = asyncio.run(run_apply(job, "shadow", None, None))
    reason = (
        "as asked"
        if args.mode == "shadow"
        else f"no Codex login at {config.codex_home / 'auth.json'}"
    )
    print(f"wishcraft: shadow run ({reason}): nothing was staged or applied.", file=err)
    if run.named_files:
        print("wishcraft: the plan names these files:", file=err)
        for path in run.named_files:
            print(f"  {path}", file=err)
    else:
        print("wishcraft: the plan names no file of the workspace.", file=err)
    files = ", ".join(run.named_files) or "none"
    recorded = record_apply(
        hearing, job, run, summary=f"Shadow run: nothing staged; the plan names: {files}."
    )
    for problem in recorded:
        print(f"wishcraft: {problem}", file=err)
    return EXIT_OK if recorded.written else EXIT_FAILED


def _run(job: ApplyJob, config: ConduitConfig, globs: Any, err: TextIO) -> ApplyRun:
    from wishcraft.apply.pipeline import ApplyRun, run_apply
    from wishcraft.conduit.apply_exchange import ApplyExchange
    from wishcraft.conduit.client import CodexClient, PlanProgress

    state = ApplyExchange()

    def show(progress: PlanProgress) -> None:
        if progress.phase == "thinking" and progress.message:
            print(f"wishcraft: {progress.message}", file=err, flush=True)

    async def go() -> ApplyRun:
        async with CodexClient(config) as client:
            return await run_apply(job, "commit", client, globs, on_progress=show, state=state)

    try:
        return asyncio.run(go())
    except KeyboardInterrupt:
        return ApplyRun("commit", "incomplete", "interrupted; nothing was written", None, state)


def main(argv: list[str] | None = None) -> int:
    """Run `wishcraft apply` on its own."""
    parser = argparse.ArgumentParser(prog="wishcraft")
    register(parser.add_subparsers(dest="command", required=True))
    args = parser.parse_args(["apply", *(argv if argv is not None else sys.argv[1:])])
    from wishcraft.visible import visible_streams

    status: int = args.handler(args, *visible_streams())
    return status


if __name__ == "__main__":
    sys.exit(main())
