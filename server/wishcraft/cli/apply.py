"""`wishcraft apply WISH.yaml`: carry out a wish's plan as one reviewed change, all or none.

A thin front end of the apply driver (`wishcraft.apply.driver`), which the editor shares: this
module reads the wish, prepares the job and is the driver's `Reviewer` on a terminal. The wish's
plan (`<wish>.plan.json`, or `--plan`) must be complete and current. The court's gates run with
the action `apply` (the registry's `diff`); a refusal prints the gate's sentence, leaves a
`refused` ledger line and exits 3. A patch staged earlier (by `--dry-run`, or a run that was
not confirmed) is applied as is, with no model call, while the wish, the plan, the `.patch` and
every file it touches are unchanged (`apply.saved`); otherwise (or with `--fresh`) Codex reads
the workspace through read-only tools and proposes one patch, which is staged, written to
`<wish>.patch` and printed as a unified diff. Without `--yes` the command asks on a terminal
and refuses when there is none; `--dry-run` stops after the diff. The change is applied all or
none (`wishcraft.apply.apply_change`), with its ledger line written `pending` before the files
and completed after; its undo record is kept in the user's state folder (never in the
repository): `wishcraft rollback ANCHOR` reverses it. Without a Codex login (or with `--shadow`)
nothing is staged: the command lists the files the plan names. `--format json` prints one JSON
object on stdout (the driver's `Result.to_json`) instead of the diff.

Exit status: 0 applied (or a dry or shadow run that staged what it could), 1 failed or not
applied (or applied without its ledger line, which is said), 2 bad input (no current plan, no
terminal to confirm on), 3 refused by a gate (a ledger that cannot be written refuses). With
`--open-pr`, a change once applied goes on to `wishcraft pr ANCHOR` with its new anchor, and the
exit status is the pull request's (the change stays applied whatever it is).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO

from wishcraft.cli.wish_input import add_conduit_options, log_verbosely, read_wish
from wishcraft.exitcodes import EXIT_FAILED, EXIT_OK, EXIT_REFUSED, EXIT_USAGE

if TYPE_CHECKING:
    from wishcraft.apply.driver import ClientApplied, Decision, Level, Request, Result
    from wishcraft.apply.pipeline import ApplyJob
    from wishcraft.apply.stage import StagedChange
    from wishcraft.conduit.client import CodexClient, PlanProgress
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
        "--fresh",
        action="store_true",
        help="ask Codex again even when the patch staged by a dry run could be applied as is",
    )
    parser.add_argument(
        "--format",
        choices=("text", "json"),
        default="text",
        help="json: one JSON object on stdout (outcome, anchor, files, diff_hash, staged, "
        "reused) instead of the diff",
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
    """Stage the plan's change with Codex (or reuse the staged one), show it, and apply it."""
    # Imported here: `wishcraft lint` must not pay for the conduit at start-up.
    from wishcraft.apply.driver import Request
    from wishcraft.apply.pipeline import ApplyRefused, prepare, scope_globs

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
    try:
        job = prepare(given.wish, given.text, given.path, args.plan)
    except ApplyRefused as exc:
        if args.format == "json":
            print(json.dumps({"outcome": "bad-input", "message": str(exc)}), file=out)
        print(f"wishcraft: {exc}", file=err)
        return EXIT_USAGE
    reviewer = TerminalReviewer(out, err, yes=args.yes, machine=args.format == "json")
    request = Request(
        job,
        given.registry,
        given.lint_config,
        given.config,
        scope_globs(given.registry, job.repo),
        reviewer.client(given.config),
        asked=args.mode,
        dry_run=args.dry_run,
        fresh=args.fresh,
    )
    result = reviewer.run(request)
    if result is None:
        return EXIT_FAILED
    status = reviewer.finish(result, args.mode, given.config)
    if result.ending == "applied" and result.anchor is not None and args.open_pr:
        from wishcraft.cli.pr import open_pr

        pr_status: int = open_pr(result.anchor.anchor_id, given.path.parent, out, err)
        return pr_status
    return status


class TerminalReviewer:
    """The driver's `Reviewer` on a terminal: sentences and progress on stderr, the diff on
    stdout (or one JSON object with `--format json`), the question on the terminal."""

    def __init__(self, out: TextIO, err: TextIO, *, yes: bool, machine: bool) -> None:
        """Write to `out`/`err`; `yes` approves without asking; `machine`: JSON on stdout."""
        self.out, self.err, self.yes, self.machine = out, err, yes, machine
        self._clients: list[CodexClient] = []

    def client(self, config: ConduitConfig) -> Callable[[], CodexClient]:
        """A factory making the Codex client on first use (closed by `run`)."""

        def make() -> CodexClient:
            from wishcraft.conduit.client import CodexClient

            made = CodexClient(config)
            self._clients.append(made)
            return made

        return make

    def run(self, request: Request) -> Result | None:
        """Drive the apply to its end and close the client. Ctrl-C cancels the exchange (the
        driver records it: nothing written); None when it came before the driver's end."""
        from wishcraft.apply.driver import drive

        ended: list[Result] = []

        async def go() -> None:
            try:
                ended.append(await drive(request, self))
            finally:
                for client in self._clients:
                    await client.aclose()

        try:
            asyncio.run(go())
        except KeyboardInterrupt:
            # asyncio.run cancels the task on Ctrl-C, then raises this once it has ended.
            if not ended:
                self.say("info", "interrupted; nothing was written.")
        return ended[0] if ended else None

    def say(self, level: Level, message: str) -> None:
        """One `wishcraft:` line on stderr."""
        prefix = "note: " if level == "note" else ""
        print(f"wishcraft: {prefix}{message}", file=self.err, flush=True)

    def progress(self, progress: PlanProgress) -> None:
        """Codex's thinking lines, as they come."""
        if progress.phase == "thinking" and progress.message:
            self.say("info", progress.message)

    def staged(self, job: ApplyJob, change: StagedChange, *, reused: bool) -> None:
        """Print the diff (stdout) and where it is kept (stderr)."""
        from wishcraft.apply.pipeline import change_summary

        if not self.machine:
            self.out.write(change.diff)
            self.out.flush()
        how = "reused the staged patch:" if reused else "staged"
        self.say(
            "info",
            f"{how} {change_summary(change)} (diff_hash {change.diff_hash[:12]}…); the diff "
            f"is in {job.patch_path}",
        )

    async def decide(self, job: ApplyJob, change: StagedChange) -> Decision:
        """`--yes`, else ask on the terminal (none: not applied, exit 2)."""
        from wishcraft.apply.driver import APPROVED, Decision

        if self.yes:
            return APPROVED
        answer = _confirm(change.summary.describe(), self.err)
        if answer is None:
            return Decision(False, "no terminal", "no-terminal")
        return APPROVED if answer else Decision(False, "declined")

    async def client_apply(self, job: ApplyJob, change: StagedChange) -> ClientApplied | None:
        """The CLI writes the files itself (the transaction)."""
        return None

    def finish(self, result: Result, asked: str, config: ConduitConfig) -> int:
        """The last sentences and the exit status; the JSON object with `--format json`."""
        status = self._say_end(result, asked, config)
        if self.machine:
            print(json.dumps(result.to_json(), ensure_ascii=False), file=self.out)
        return status

    def _say_end(self, result: Result, asked: str, config: ConduitConfig) -> int:
        recorded = EXIT_OK if result.recorded else EXIT_FAILED
        if result.ending == "refused":
            self.say("info", f"refused by the court: {result.message}")
            return EXIT_REFUSED
        if result.ending == "shadow":
            why = (
                "as asked"
                if asked == "shadow"
                else f"no Codex login at {config.codex_home / 'auth.json'}"
            )
            self.say("info", f"shadow run ({why}): nothing was staged or applied.")
            self.say(
                "info",
                "the plan names these files:"
                if result.files
                else "the plan names no file of the workspace.",
            )
            for path in result.files:
                print(f"  {path}", file=self.err)
            return recorded
        if result.ending == "dry-run":
            self.say(
                "info",
                "dry run: nothing was applied. `wishcraft apply` applies this staged patch, with "
                "no model call, while the wish, the plan and the files it touches are unchanged.",
            )
            return recorded
        if result.ending == "no-terminal":
            self.say(
                "info",
                "not applied: there is no terminal to confirm on; review "
                f"{result.job.patch_path.name} and run again with --yes.",
            )
            return EXIT_USAGE
        if result.ending == "applied" and result.anchor is not None:
            anchor = result.anchor.anchor_id
            described = result.message.removeprefix("Applied ").removesuffix(".")
            self.say(
                "info",
                f"applied {described}; anchor {anchor} (undo with `wishcraft rollback {anchor}`).",
            )
            return EXIT_OK
        self.say("info", "not applied." if result.ending == "not-applied" else result.message)
        return EXIT_FAILED


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
