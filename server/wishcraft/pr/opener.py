"""From an applied change (its anchor) to a pull request, behind strict gates: the whole flow.

`open_pull_request` is what `wishcraft pr ANCHOR`, `wishcraft apply --open-pr` and the
editor's "Open Pull Request" run. In order, the first refusal decides (exit code 3, a
`refused` line on the ledger, nothing written or pushed):

1. **Ledger**: the anchor's undo record exists and was not undone; the ledger holds its
   `apply` line (`outcome: complete`), and no pull request was opened for it yet.
2. **The court's gates** (`gates.evaluate`, action `open_pr`, commit mode): the apply conduit
   holds `code.open_pr`, a scope lists `open_pr` for this repository (and the applied paths),
   `per_wish_calls` and the other limits are not used up, the court scores meet the tier.
3. **Files**: every applied file still holds exactly what was applied (SHA-256 against the
   undo record); a removed file is still absent.
4. **Repository**: the workspace is a git repository with the remote (`origin`, or
   `[pr] remote`) and a commit; the remote's URL names owner/repo.
5. **Token**: `GH_TOKEN`, `GITHUB_TOKEN` or `gh auth token`.
6. **Branch**: `wish/<slug>-<8 hex>` exists neither here nor on the remote, and is not the
   remote's default branch.
7. **Check**: `[pr] check`, when set, passes within `[pr] check_timeout`. It runs in the work
   tree as it is, other uncommitted changes included (a project's tests often need untracked
   files such as a virtual environment); the commit holds the applied files' bytes as
   verified in step 3, whatever the check does to the tree.

Then the change (a failure is exit code 1 and a `failed` line): one commit on HEAD holding
exactly the applied files (other changes stay uncommitted and are listed in the result), the
branch, the push (never forced), and the pull request through the REST API (base: the
remote's default branch; draft unless `[pr] draft = false`). The ledger's `open_pr` line
carries `pr_url`, and its summary names the branch. When the push fails, the local branch is
removed again, so trying again starts clean.

The token is remembered by `redaction` as soon as it is read; every sentence, log line,
commit message, pull request body and ledger line is scrubbed of it.
"""

from __future__ import annotations

import hashlib
import logging
import os
import re
import stat
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

import httpx

from wishcraft.apply.errors import ApplyError
from wishcraft.apply.journal import ANCHOR_ID, anchor_path, read_record, undone_marker
from wishcraft.apply.safety import check_path
from wishcraft.apply.transaction import Anchor
from wishcraft.court.apply import workspace_root
from wishcraft.court.gates import CallRequest, WishFacts, evaluate
from wishcraft.exitcodes import ExitCode
from wishcraft.ledger import (
    LedgerEntry,
    LedgerError,
    LedgerLocation,
    Outcome,
    find_ledger,
    is_applied,
    is_undone,
    probe,
    read_entries,
    record,
    usage,
)
from wishcraft.ledger.witness import problem as lost_tail
from wishcraft.lint.config import LintConfig
from wishcraft.model import Wish
from wishcraft.names import APPLY_CONDUIT_ID
from wishcraft.pr import git as gitops
from wishcraft.pr.check import run_check
from wishcraft.pr.config import PrConfig, load_pr_config
from wishcraft.pr.errors import PrError, PrFailed, PrRefused
from wishcraft.pr.github import PullRequestDraft, Token, api_url, resolve_token
from wishcraft.pr.github import open_pull_request as post_pull
from wishcraft.redaction import protect_logger, redact, scrub
from wishcraft.registry import Registry
from wishcraft.repo import RepoInfo, find_repo, repo_name_from_url
from wishcraft.scores import CourtScores, court_scores, heat_estimate
from wishcraft.trust import Trust, TrustError, repository_root, trust_of, untrusted_message
from wishcraft.undo_state import state_dir_for
from wishcraft.words import plural

log = protect_logger(logging.getLogger("wishcraft.pr"))
HOOK_SKIPPED = (
    "Pushed without running the repository's pre-push hook: the push carries your GitHub "
    "token, and a hook is the repository's code; run the hook yourself if it checks something."
)

Progress = Callable[[str], None]
"""Told each step as it starts (`Running the check`, `Pushing wish/…`), for progress UI."""


@dataclass(frozen=True, slots=True)
class PrResult:
    """How opening the pull request ended, for the CLI, the editor and tests.

    `message` is one sentence (scrubbed of tokens). `exit_code`: 0 opened, 1 failed, 2 bad
    configuration, 3 refused by a gate (`gate` names it). `other_changes` lists the
    repository's changed paths that were left uncommitted (relative to its root).
    """

    outcome: Literal["complete", "refused", "failed"]
    message: str
    exit_code: int
    anchor_id: str
    gate: str | None = None
    pr_url: str | None = None
    branch: str | None = None
    base: str | None = None
    commit: str | None = None
    pushed: bool = False
    files: tuple[str, ...] = ()
    other_changes: tuple[str, ...] = ()
    ledger_problem: str | None = None
    """Why the ledger line could not be written (the call's own result stands)."""


@dataclass(frozen=True, slots=True)
class LedgerPlace:
    """Where the ledger is, and where the apply's undo records (anchors) are kept."""

    path: Path
    state_dir: Path
    root: Path | None = field(default=None, compare=False)
    """The ledger's root (`LedgerLocation.root`): the ledger is then opened from it down,
    without symbolic links; without it only the ledger's own folder is taken on trust."""

    @property
    def target(self) -> Path | LedgerLocation:
        """What `ledger.append` and `ledger.probe` take."""
        return LedgerLocation(self.path, self.root, "pr") if self.root is not None else self.path


@dataclass(slots=True)
class _Run:
    """What the flow has learnt so far (for the ledger line and the result)."""

    anchor_id: str
    wish_key: str
    wish_hash: str | None = None
    diff_hash: str | None = None
    files: tuple[str, ...] = ()
    other_changes: tuple[str, ...] = ()
    branch: str | None = None
    base: str | None = None
    commit: str | None = None
    pushed: bool = False
    hook_skipped: bool = False
    """The repository has a pre-push hook, which the push did not run (it carries the token)."""


def find_apply_entry(ledger_path: Path, anchor_id: str) -> LedgerEntry | None:
    """The ledger's complete `apply` line of `anchor_id` (the last one), or None.

    The CLI uses it to find the wish of `wishcraft pr ANCHOR` (`entry.wish`, relative to the
    ledger's root).
    """
    entries, _ = read_entries(ledger_path)
    found = None
    for _, entry in entries:
        if entry.anchor_id == anchor_id and is_applied(entry):
            found = entry
    return found


@dataclass(frozen=True, slots=True)
class Applied:
    """What `wishcraft pr ANCHOR` starts from: the ledger, the apply line, the wish's file."""

    ledger: LedgerPlace
    location: LedgerLocation
    entry: LedgerEntry
    wish_path: Path
    workspace: Path
    """Where the change was applied (the undo record's root)."""


def find_applied(start: Path, anchor_id: str) -> Applied:
    """Find the applied change `anchor_id` from a folder (the CLI's working directory): the
    ledger (`find_ledger`), the workspace's undo folder (in the user's state folder), the
    complete `apply` line
    and the wish it names. Raises `PrRefused` (gate `Ledger`) with one sentence otherwise.

    The caller then reads the wish and its plan and calls `open_pull_request`; nothing is
    recorded on a refusal here, since the wish is not known yet.
    """
    try:
        location = find_ledger(start)
    except LedgerError as error:
        raise PrRefused(str(error), gate="Ledger") from None
    place = LedgerPlace(location.path, state_dir_for(workspace_root(start)[0]), location.root)
    anchor = _load_anchor(anchor_id, place.state_dir)
    try:
        entry = find_apply_entry(location.path, anchor_id)
    except LedgerError as error:
        raise PrRefused(str(error), gate="Ledger") from None
    if entry is None:
        raise PrRefused(
            f"The ledger {location.path} holds no apply of {anchor_id}; apply the "
            "wish first, then open the pull request.",
            gate="Ledger",
        )
    wish_path = Path(entry.wish) if Path(entry.wish).is_absolute() else location.root / entry.wish
    return Applied(place, location, entry, wish_path, anchor.root)


def open_pull_request(
    workspace: Path,
    anchor_id: str,
    *,
    wish: Wish,
    plan_steps: Sequence[str],
    registry: Registry,
    lint_config: LintConfig,
    ledger: LedgerPlace,
    config_file: Path | None = None,
    wish_key: str | None = None,
    environ: Mapping[str, str] | None = None,
    draft: bool | None = None,
    transport: httpx.AsyncBaseTransport | None = None,
    progress: Progress | None = None,
) -> PrResult:
    """Open a pull request for the applied change `anchor_id`; never raises a `PrError`.

    `wish` is the wish the change was applied for and `plan_steps` its plan's steps (for the
    body). `wish_key` names the wish on refused ledger lines before the apply line is found
    (the apply line's own key is used once found). `environ` (default: the process's) gives
    the token, `GITHUB_API_URL` and git's PATH. `draft` overrides `[pr] draft`. `transport`
    is httpx's, for tests.
    """
    env = dict(os.environ if environ is None else environ)
    run = _Run(anchor_id, wish_key or "")
    try:
        config = load_pr_config(config_file)
        flow = _Flow(
            run,
            workspace,
            wish,
            plan_steps,
            registry,
            lint_config,
            ledger,
            config,
            env,
            draft,
            transport,
            progress or (lambda _: None),
        )
        url = flow.run()
    except PrError as error:
        return _finish(run, ledger, error, None)
    return _finish(run, ledger, None, url)


def _finish(run: _Run, ledger: LedgerPlace, error: PrError | None, url: str | None) -> PrResult:
    outcome: Outcome
    if error is None:
        outcome, exit_code, gate = "complete", ExitCode.OK, None
        message = (
            f"Opened {url} from {run.branch} into {run.base} ({plural(len(run.files), 'file')})."
        )
    else:
        outcome = "refused" if isinstance(error, PrRefused) else "failed"
        exit_code, gate = error.exit_code, getattr(error, "gate", None)
        message = redact(error.message)
        if error.detail:
            log.info("open_pr %s: %s", run.anchor_id, redact(error.detail).strip())
    if run.pushed and run.hook_skipped:
        message += " " + HOOK_SKIPPED
    problem = None
    if error is None or exit_code != ExitCode.BAD_INPUT:
        problem = _record(run, ledger, outcome, message, url)
    if problem:
        log.warning("%s", problem)
    return PrResult(
        outcome,
        message,
        exit_code,
        run.anchor_id,
        gate,
        url,
        run.branch,
        run.base,
        run.commit,
        run.pushed,
        run.files,
        run.other_changes,
        problem,
    )


def _record(
    run: _Run, ledger: LedgerPlace, outcome: Outcome, message: str, url: str | None
) -> str | None:
    """Append the call's line; return the sentence to show when it cannot be written."""
    summary = None
    if run.branch:
        summary = (
            f"branch {run.branch}"
            + (f" into {run.base}" if run.base else "")
            + (" (pushed)" if run.pushed else "")
            + f"; {plural(len(run.files), 'file')}"
        )
    entry = LedgerEntry(
        conduit=APPLY_CONDUIT_ID,
        action="open_pr",
        mode="commit",
        wish=run.wish_key,
        outcome=outcome,
        reason=None if outcome == "complete" else message,
        wish_hash=run.wish_hash,
        diff_hash=run.diff_hash,
        anchor_id=run.anchor_id,
        summary=summary,
        pr_url=url,
    )
    recorded = record(ledger.target, entry)
    if not recorded.written:
        return f"The pull request step was not recorded: {recorded.problem}"
    return None


@dataclass(slots=True)
class _Flow:
    """Opening one pull request: each gate a method that raises a `PrError` naming itself
    (`gate=`), in order; `run` is the short driver. What later gates need from earlier ones is
    kept on the flow, and what the ledger line and the result need on `state` (`_Run`)."""

    state: _Run
    workspace: Path
    wish: Wish
    plan_steps: Sequence[str]
    registry: Registry
    lint_config: LintConfig
    ledger: LedgerPlace
    config: PrConfig
    env: dict[str, str]
    draft: bool | None
    transport: httpx.AsyncBaseTransport | None
    progress: Progress

    def run(self) -> str:
        """Every gate, then the change: one commit, the branch, the push, the pull request."""
        anchor = self.applied_change()
        self.court(anchor)
        root, to_commit = self.files(anchor)
        git, owner, name, url = self.repository(root)
        network, token = self.token(git, url)
        branch, base = self.branch(git, network)
        self.check(root)
        self.commit_and_push(git, network, branch, base, to_commit)
        return self.open(anchor, token, owner, name, branch, base)

    def applied_change(self) -> Anchor:
        """Gate Ledger: the anchor, in this workspace, and its complete apply on the ledger."""
        run = self.state
        anchor = _load_anchor(run.anchor_id, self.ledger.state_dir)
        if Path(os.path.realpath(self.workspace)) != Path(os.path.realpath(anchor.root)):
            raise PrRefused(
                f"The change {run.anchor_id} was applied in {anchor.root}, not in "
                f"{self.workspace}; open the pull request from that workspace.",
                gate="Ledger",
            )
        run.wish_key = run.wish_key or anchor.meta.get("wish", "")
        run.diff_hash = anchor.diff_hash
        applied = _ledger_gate(run, self.ledger.path)
        run.wish_key = applied.wish
        run.wish_hash = applied.wish_hash or anchor.meta.get("wish_hash")
        return anchor

    def court(self, anchor: Anchor) -> None:
        """The court's gates, for the applied paths in this repository."""
        run, ledger = self.state, self.ledger
        repo = _repo_of(anchor.root, self.config.remote, self.env)
        paths = tuple(
            repo.relative(anchor.root / file.path) if repo else file.path for file in anchor.files
        )
        try:
            probe(ledger.target)  # the open_pr line must be writable before anything is pushed
            counted = usage(ledger.path, APPLY_CONDUIT_ID, run.wish_key)
            problem = lost_tail(ledger.path)
        except LedgerError as error:
            counted, problem = None, str(error)
        request = CallRequest(
            APPLY_CONDUIT_ID, "open_pr", "commit", WishFacts.from_wish(self.wish), paths, repo
        )
        verdict = evaluate(
            request, self.registry, self.lint_config, counted, ledger_problem=problem
        )
        refusal = verdict.refusal
        if refusal is not None:
            raise PrRefused(refusal.reason, gate=refusal.name)

    def files(self, anchor: Anchor) -> tuple[Path, list[gitops.FileToCommit]]:
        """Gate Files: the files still hold what was applied."""
        root = gitops.repository_root(anchor.root, self.env)
        to_commit = _applied_files(anchor, root)
        self.state.files = tuple(file.path for file in to_commit)
        return root, to_commit

    def repository(self, root: Path) -> tuple[gitops.Git, str, str, str]:
        """Gate Repository: the git repository, its remote and the remote's owner and name."""
        git = gitops.Git(root, self.env)
        url = gitops.remote_url(git, self.config.remote)
        owner, name = gitops.owner_repo(url)
        gitops.head_commit(git)
        return git, owner, name, url

    def token(self, git: gitops.Git, url: str) -> tuple[gitops.Git, Token]:
        """Gate Token: only for https on GitHub's host, through the environment of the two
        commands that talk to the remote, which run no hook (the returned `network` git)."""
        remote = self.config.remote
        configured = [url, *gitops.push_urls(git, remote)]
        for each in configured:
            gitops.check_token_host(each, remote, self.env)
        gitops.check_rewrites(git, remote, configured)
        token = resolve_token(self.env)
        network = git.with_config(
            *gitops.credentials((*configured, gitops.transport_url(git, remote)), token.value),
            *gitops.NO_HOOKS,
        )
        return network, token

    def branch(self, git: gitops.Git, network: gitops.Git) -> tuple[str, str]:
        """Gate Branch: a new `wish/…` branch, neither the default one nor an existing one."""
        run, remote = self.state, self.config.remote
        branch = gitops.branch_name(self.wish.title, run.anchor_id)
        run.branch = branch
        self.progress(f"Reading the remote {remote}")
        heads = gitops.remote_heads(network, remote, branch)
        run.base = heads.default_branch
        if branch == heads.default_branch:
            raise PrRefused(
                f"The branch {branch} is the remote's default branch, and the opener "
                "never pushes there; rename the remote's default branch or the wish.",
                gate="Branch",
            )
        if heads.branch_exists or gitops.local_branch_exists(git, branch):
            where = "on the remote" if heads.branch_exists else "in this repository"
            raise PrRefused(
                f"The branch {branch} exists already {where}; delete it (`git branch "
                f"-D {branch}`, `git push {remote} --delete {branch}`) or apply "
                "the wish again for a new anchor.",
                gate="Branch",
            )
        applied_paths = set(run.files)
        run.other_changes = tuple(
            path for path in gitops.changed_paths(git) if path not in applied_paths
        )
        if run.other_changes:
            log.info(
                "open_pr %s: left uncommitted: %s", run.anchor_id, ", ".join(run.other_changes)
            )
        return branch, heads.default_branch

    def check(self, root: Path) -> None:
        """Gate Check: `[pr] check` passes, in a repository the user trusts."""
        config = self.config
        argv = config.check_argv()
        if argv and config.check:
            _require_trust(config, root, self.env)
            self.progress(f"Running the check: {config.check}")
            run_check(argv, config.check, cwd=root, timeout=config.check_timeout, environ=self.env)

    def commit_and_push(
        self,
        git: gitops.Git,
        network: gitops.Git,
        branch: str,
        base: str,
        to_commit: list[gitops.FileToCommit],
    ) -> None:
        """One commit of exactly the applied files on the new branch, pushed (hooks off)."""
        run, wish = self.state, self.wish
        self.progress(f"Committing {plural(len(to_commit), 'file')} on {branch}")
        message = scrub(
            gitops.commit_message(
                wish.title,
                wish.objective,
                wish.invariants,
                wish.rollback,
                run.anchor_id,
                run.wish_hash or "unknown",
            )
        )
        run.commit = gitops.create_branch(git, branch, to_commit, message)
        self.progress(f"Pushing {branch} to {self.config.remote}")
        run.hook_skipped = gitops.pre_push_hook(git) is not None
        try:
            gitops.push(network, self.config.remote, branch, base)
        except PrError:
            gitops.delete_branch(git, branch, run.commit)
            raise
        run.pushed = True

    def open(
        self, anchor: Anchor, token: Token, owner: str, name: str, branch: str, base: str
    ) -> str:
        """The GitHub call; its address."""
        run, wish = self.state, self.wish
        self.progress("Opening the pull request")
        body = scrub(
            pull_request_body(
                wish,
                self.plan_steps,
                self.registry,
                run.anchor_id,
                anchor.diff_hash,
                run.wish_hash,
                run.files,
            )
        )
        draft = self.config.draft if self.draft is None else self.draft
        pull = PullRequestDraft(owner, name, scrub(wish.title), body, branch, base, draft)
        try:
            opened = post_pull(pull, token, api_url(self.env), transport=self.transport)
        except PrFailed as error:
            raise PrFailed(
                f"{error.message.removesuffix('.')} (the branch {branch} is on the "
                "remote: open the pull request from it by hand, or delete it before "
                "trying again).",
                detail=error.detail,
            ) from None
        return opened.html_url


def _require_trust(config: PrConfig, root: Path, env: Mapping[str, str]) -> None:
    """Refuse to run `[pr] check` unless the user trusts the repository's wishcraft.toml as it
    is now (`wishcraft trust`). Refused, not skipped: the check gates the push, and skipping it
    would push a change nobody tested."""
    where = config.source.parent if config.source is not None else root
    try:
        state = trust_of(where, env)
    except TrustError as error:
        raise PrRefused(str(error), gate="Check") from None
    if state is not Trust.TRUSTED:
        raise PrRefused(
            untrusted_message("`[pr] check`", state, repository_root(where)), gate="Check"
        )


def _repo_of(root: Path, remote: str, env: Mapping[str, str]) -> RepoInfo | None:
    """The repository for the Scopes gate, named by the remote the pull request goes to
    (`find_repo` names it by `origin`; `[pr] remote` may name another)."""
    repo = find_repo(root)
    if repo is None or remote == "origin":
        return repo
    done = gitops.Git(repo.root, env).run("config", "--get", f"remote.{remote}.url")
    named = (
        repo_name_from_url(done.stdout.decode("utf-8", "replace")) if done.returncode == 0 else None
    )
    if named is None:
        return repo  # the Repository gate refuses later, naming the missing remote
    return RepoInfo(named[0], named[1], repo.root, f"remote {remote}")


def _load_anchor(anchor_id: str, state_dir: Path) -> Anchor:
    if not ANCHOR_ID.match(anchor_id):
        raise PrRefused(
            f"{anchor_id!r} is not an anchor id (like A-20260101T120000Z-"
            "0123456789ab); give the anchor the apply printed.",
            gate="Ledger",
        )
    record = anchor_path(state_dir, anchor_id)
    try:
        anchor = Anchor.from_json(read_record(record, "anchor"))
    except FileNotFoundError:
        raise PrRefused(
            f"There is no applied change {anchor_id} in {state_dir}; apply the "
            "wish first, or give the anchor the apply printed.",
            gate="Ledger",
        ) from None
    except (OSError, ValueError, KeyError, TypeError) as error:
        raise PrRefused(
            f"The undo record of {anchor_id} is unreadable ({error}); apply the wish again.",
            gate="Ledger",
        ) from None
    if undone_marker(state_dir, anchor_id).exists():
        raise PrRefused(
            f"The change {anchor_id} was undone; apply the wish again to open a pull request.",
            gate="Ledger",
        )
    return anchor


def _ledger_gate(run: _Run, ledger_path: Path) -> LedgerEntry:
    try:
        entries, _ = read_entries(ledger_path)
    except LedgerError as error:
        raise PrRefused(
            f"{str(error).rstrip('.')}, so the apply of {run.anchor_id} cannot be "
            "checked; fix the ledger.",
            gate="Ledger",
        ) from None
    applied: LedgerEntry | None = None
    for _, entry in entries:
        if entry.anchor_id != run.anchor_id:
            continue
        if is_applied(entry):  # the rule `ledger.last_applied` holds
            applied = entry
        elif is_undone(entry):
            applied = None
        elif entry.action == "open_pr" and entry.outcome == "complete" and entry.pr_url:
            raise PrRefused(
                f"A pull request was already opened for {run.anchor_id}: "
                f"{entry.pr_url}; update that one instead.",
                gate="Ledger",
            )
    if applied is None:
        raise PrRefused(
            f"The ledger {ledger_path} holds no apply of {run.anchor_id} (or it "
            "was undone); apply the wish first, then open the pull request.",
            gate="Ledger",
        )
    return applied


def _applied_files(anchor: Anchor, git_root: Path) -> list[gitops.FileToCommit]:
    """Each applied file's bytes as they are now, checked against the undo record."""
    files: list[gitops.FileToCommit] = []
    git_real = Path(os.path.realpath(git_root))
    for file in anchor.files:
        changed = (
            f"'{file.path}' changed after the change was applied; undo that edit, or "
            "apply the wish again, before opening the pull request."
        )
        try:
            check_path(anchor.root, file.path)
        except ApplyError:
            raise PrRefused(changed, gate="Files") from None
        target = anchor.root / file.path
        try:
            info = os.lstat(target)
        except (FileNotFoundError, NotADirectoryError):
            content, executable = None, False
        else:
            if not stat.S_ISREG(info.st_mode):
                raise PrRefused(changed, gate="Files")
            content, executable = target.read_bytes(), bool(info.st_mode & 0o100)
        digest = None if content is None else hashlib.sha256(content).hexdigest()
        if digest != file.after_sha256:
            raise PrRefused(changed, gate="Files")
        relative = os.path.relpath(os.path.realpath(anchor.root / file.path), git_real)
        if relative.startswith(".."):
            raise PrRefused(
                f"'{file.path}' is outside the git repository {git_root}; open the "
                "pull request from the repository that holds the workspace.",
                gate="Repository",
            )
        files.append(gitops.FileToCommit(Path(relative).as_posix(), content, executable))
    return files


def pull_request_body(
    wish: Wish,
    plan_steps: Sequence[str],
    registry: Registry,
    anchor_id: str,
    diff_hash: str,
    wish_hash: str | None,
    files: Sequence[str],
) -> str:
    """The pull request's Markdown: the objective, plan steps, court scores and heat,
    invariants, rollback steps, the files and the ledger anchor."""
    scores: CourtScores = court_scores(wish.objective, wish.plan, wish.invariants, wish.rollback)
    conduits = [item for item in (registry.get(tool) for tool in wish.tools) if item]
    heat = heat_estimate(wish.tier, scores, len(wish.plan), conduits)
    tier = wish.tier.value if wish.tier else "none"
    steps = [step for step in plan_steps if step.strip()] or list(wish.plan)
    lines = [
        f"**Objective:** {_one_line(wish.objective)}",
        "",
        "### Plan",
        *(f"{number}. {_one_line(step)}" for number, step in enumerate(steps, 1)),
        "",
        "### Court",
        "| clarity | safety | reversibility | heat | tier |",
        "|---:|---:|---:|---:|:--|",
        f"| {scores.clarity} | {scores.safety} | {scores.reversibility} | {heat:.2f} | {tier} |",
        "",
        "### Invariants",
        *(f"- {_one_line(item)}" for item in wish.invariants or ["none"]),
        "",
        "### Rollback",
        *(f"- {_one_line(item)}" for item in wish.rollback or ["none"]),
        "",
        "### Files",
        *(f"- `{path}`" for path in files),
        "",
        "### Ledger",
        f"- anchor: `{anchor_id}` (undo with `wishcraft rollback {anchor_id}`)",
        f"- diff_hash: `{diff_hash}`",
        f"- wish_hash: `{wish_hash or 'unknown'}`",
        "",
        "_Opened by wishcraft from an applied wish._",
    ]
    return "\n".join(lines) + "\n"


def _one_line(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip()


__all__ = [
    "Applied",
    "LedgerPlace",
    "PrResult",
    "find_applied",
    "find_apply_entry",
    "open_pull_request",
    "pull_request_body",
]
