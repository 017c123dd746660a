"""The git side of a pull request, through the `git` command: one function per step.

Every command runs without a shell, with a timeout, `GIT_TERMINAL_PROMPT=0` and an empty
`GIT_ASKPASS` (a missing or refused credential fails at once instead of waiting for a prompt
nobody sees, and no askpass program pops up) and, unless the user set one, an ssh that never
asks (`BatchMode=yes`). Each failure is one sentence naming the fix
(`PrRefused` for a gate, `PrFailed` for a step); git's own output goes to the log.

The branch is made without touching the working tree or the user's index: a temporary index
(`GIT_INDEX_FILE`) is filled from HEAD (`read-tree`), the applied files' verified bytes are
written as blobs (`hash-object -w --stdin`) and set in it (`update-index --index-info`), and
`write-tree`, `commit-tree` and `update-ref` (which refuses an existing branch) make the one
commit and the branch. Every other change in the tree stays uncommitted, where it was.

The token never appears in a command line: for an https remote it travels in the
environment as git's own configuration (`GIT_CONFIG_COUNT`, `GIT_CONFIG_KEY_n`,
`GIT_CONFIG_VALUE_n`): an `http.<origin>.extraHeader` with the token, scoped to the remote's
host, and an empty `credential.helper` list so no stored credential is sent instead. (A
process's environment is readable only by its owner, unlike its command line.) ssh and local
remotes get no token: git authenticates them its own way.

Only git's HTTPS transport to GitHub gets it:
- only the two commands that talk to the remote (`ls-remote`, `push`) carry it, and they run
  with hooks off (`core.hooksPath` set to the null device, and `push --no-verify`): a hook is
  the repository's code (husky puts `core.hooksPath` in the work tree, where a model may edit
  it), and it inherits the environment. The local steps, whose hooks and `core.fsmonitor` may
  run, never see the token;
- the remote's configured URL must be `https://` on GitHub's host (`github.com`, or `GH_HOST`
  for GitHub Enterprise); `GITHUB_API_URL` names the REST endpoint only, never where git goes;
- a `url.<base>.insteadOf` that rewrites the remote, a proxy, a CA file, a forced resolve,
  TLS checks turned off or redirects followed everywhere may come from the user's own git
  config (global, system, the environment), not from the repository's (`local`, `worktree`, or
  a file it includes): those decide where the token goes.
"""

from __future__ import annotations

import base64
import logging
import os
import re
import subprocess
import tempfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

from wishcraft.pr.errors import PrFailed, PrRefused
from wishcraft.redaction import protect_logger, redact, remember_secrets
from wishcraft.repo import repo_name_from_url

GIT_TIMEOUT_SECONDS = 30.0
NETWORK_TIMEOUT_SECONDS = 120.0
"""`ls-remote` and `push` talk to the remote; the rest is local."""
BRANCH_PREFIX = "wish/"
SLUG_MAX_CHARS = 40
NULL_SHA = "0" * 40

log = protect_logger(logging.getLogger("wishcraft.pr"))
TOKEN_ENVIRONMENT = ("GH_TOKEN", "GITHUB_TOKEN", "GH_ENTERPRISE_TOKEN", "GITHUB_ENTERPRISE_TOKEN")
"""Where a GitHub token may sit in the environment (`github.TOKEN_VARIABLES`, and the
Enterprise names `gh` reads): git, what it starts, and the check get none of them."""


@dataclass(frozen=True, slots=True)
class Git:
    """How to run git in one repository: its root, the base environment and extra settings.

    `environ` is the environment the commands start from (the process's by default; tests
    pass their own PATH). `config` holds `git -c`-like settings passed through the
    environment, never the command line.
    """

    root: Path
    environ: Mapping[str, str]
    config: tuple[tuple[str, str], ...] = ()

    def with_config(self, *pairs: tuple[str, str]) -> Git:
        """The same runner with more settings passed through the environment."""
        return Git(self.root, self.environ, self.config + pairs)

    def env(self, extra: Mapping[str, str] | None = None) -> dict[str, str]:
        """The environment of one command: never the token's variables (`TOKEN_ENVIRONMENT`),
        which every hook and helper git starts would inherit."""
        env = {key: value for key, value in self.environ.items() if key not in TOKEN_ENVIRONMENT}
        env["GIT_TERMINAL_PROMPT"] = "0"
        env["GIT_ASKPASS"] = ""  # set but empty: no askpass program (nor SSH_ASKPASS) runs
        env.setdefault("GCM_INTERACTIVE", "never")
        if "GIT_SSH_COMMAND" not in env and "GIT_SSH" not in env:
            env["GIT_SSH_COMMAND"] = "ssh -o BatchMode=yes"
        if self.config:
            count = _int(env.get("GIT_CONFIG_COUNT"))
            for index, (key, value) in enumerate(self.config, start=count):
                env[f"GIT_CONFIG_KEY_{index}"] = key
                env[f"GIT_CONFIG_VALUE_{index}"] = value
            env["GIT_CONFIG_COUNT"] = str(count + len(self.config))
        env.update(extra or {})
        return env

    def run(
        self,
        *args: str,
        stdin: str | bytes | None = None,
        extra_env: Mapping[str, str] | None = None,
        timeout: float = GIT_TIMEOUT_SECONDS,
    ) -> subprocess.CompletedProcess[bytes]:
        """Run `git args…` in the root; never raises on a non-zero exit (callers decide).

        Raises `PrFailed` when git cannot be started or does not finish in time.
        """
        argv = ["git", *args]
        log.debug("git: %s", " ".join(argv))
        data = stdin.encode("utf-8") if isinstance(stdin, str) else stdin
        try:
            done = subprocess.run(
                argv,
                cwd=self.root,
                env=self.env(extra_env),
                input=data,
                capture_output=True,
                timeout=timeout,
                check=False,
            )
        except FileNotFoundError:
            raise PrFailed(
                "git is not installed or not on PATH; install git and try again."
            ) from None
        except subprocess.TimeoutExpired:
            raise PrFailed(
                f"`git {args[0]}` did not finish within {timeout:g} seconds; check "
                "the network and the remote, then try again."
            ) from None
        if done.returncode != 0:
            log.info(
                "git %s exited %d: %s", args[0], done.returncode, redact(_text(done.stderr)).strip()
            )
        return done

    def out(
        self,
        *args: str,
        fail: str,
        stdin: str | bytes | None = None,
        extra_env: Mapping[str, str] | None = None,
    ) -> str:
        """Run git and return its stdout stripped; `fail` is the sentence on a non-zero exit."""
        done = self.run(*args, stdin=stdin, extra_env=extra_env)
        if done.returncode != 0:
            raise PrFailed(fail, detail=_text(done.stderr))
        return _text(done.stdout).strip()


def _refused_credentials(stderr: str) -> bool:
    """Whether git's message says the remote wanted other credentials than ours."""
    lowered = stderr.lower()
    return any(
        sign in lowered
        for sign in (
            "authentication failed",
            "terminal prompts disabled",
            "could not read username",
            "could not read password",
            "permission denied",
            "the requested url returned error: 403",
            "the requested url returned error: 401",
        )
    )


def _int(value: str | None) -> int:
    try:
        return max(0, int(value or "0"))
    except ValueError:
        return 0


def _text(data: bytes) -> str:
    return data.decode("utf-8", "replace")


def last_line(text: str) -> str:
    """The last non-blank line of an output, stripped (empty when there is none)."""
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    return lines[-1] if lines else ""


# -- the repository and its remote -----------------------------------------------------------


def repository_root(start: Path, environ: Mapping[str, str]) -> Path:
    """The root of the work tree holding `start`; refuses outside a git repository."""
    probe = Git(start if start.is_dir() else start.parent, environ)
    done = probe.run("rev-parse", "--show-toplevel")
    if done.returncode != 0:
        raise PrRefused(
            f"{start} is not in a git repository; open the repository's folder, "
            "or run `git init` and add a remote.",
            gate="Repository",
            detail=_text(done.stderr),
        )
    return Path(_text(done.stdout).strip())


def remote_url(git: Git, remote: str) -> str:
    """The URL of `remote` as configured (`remote.<name>.url`, before any `insteadOf`
    rewriting: it is the name the user gave the repository); refuses when there is none."""
    done = git.run("config", "--get", f"remote.{remote}.url")
    url = _text(done.stdout).strip()
    if done.returncode != 0 or not url:
        raise PrRefused(
            f"The repository has no remote `{remote}`; add it with `git remote add "
            f"{remote} <url>`, or name another one with `[pr] remote` in "
            "data/config/wishcraft.toml.",
            gate="Repository",
            detail=_text(done.stderr),
        )
    return url


def transport_url(git: Git, remote: str) -> str:
    """The URL git really talks to for `remote` (`insteadOf` applied), for the credentials."""
    done = git.run("remote", "get-url", "--push", "--", remote)
    return _text(done.stdout).strip() if done.returncode == 0 else ""


def owner_repo(url: str) -> tuple[str, str]:
    """(owner, repo) of a remote URL: https (`https://github.com/o/r.git`), ssh
    (`ssh://git@github.com/o/r.git`) or scp-like (`git@github.com:o/r.git`)."""
    named = repo_name_from_url(url)
    if named is None or named[1] is None:
        raise PrRefused(
            f"The remote URL {redact(_without_userinfo(url))} names no "
            "owner/repository; point the remote at a GitHub repository, such as "
            "https://github.com/OWNER/REPO.git.",
            gate="Repository",
        )
    owner, _, name = named[1].partition("/")
    return owner, name


def _without_userinfo(url: str) -> str:
    """A URL without `user:password@` (a token pasted into a remote URL is never shown)."""
    if "://" not in url:
        return url
    parts = urlsplit(url)
    if "@" not in parts.netloc:
        return url
    return parts._replace(netloc=parts.netloc.rsplit("@", 1)[1]).geturl()


def credentials(urls: Sequence[str], token: str) -> tuple[tuple[str, str], ...]:
    """The settings that authenticate git to the https remotes among `urls` with `token`.

    GitHub takes a token as the password of HTTP Basic authentication (any user name; we say
    `x-access-token`). The header is scoped to each remote's scheme and host, and
    `credential.helper` is reset so a stored credential is not tried instead. An ssh or local
    remote gets nothing: the token is not needed there.
    """
    basic = base64.b64encode(f"x-access-token:{token}".encode()).decode("ascii")
    remember_secrets(token, basic)
    origins: list[str] = []
    for url in urls:
        parts = urlsplit(url) if "://" in url else None
        if parts is not None and parts.scheme in ("http", "https"):
            origin = f"{parts.scheme}://{parts.netloc.rsplit('@', 1)[-1]}/"
            if origin not in origins:
                origins.append(origin)
    if not origins:
        return ()
    return (
        ("credential.helper", ""),
        *((f"http.{origin}.extraHeader", f"Authorization: Basic {basic}") for origin in origins),
    )


NO_HOOKS = (("core.hooksPath", os.devnull), ("core.fsmonitor", "false"))
"""The settings of every command that carries the token: no hook and no fsmonitor runs."""


def github_hosts(environ: Mapping[str, str]) -> tuple[str, ...]:
    """The hosts the token may be sent to by git: `github.com`, and `GH_HOST` when set."""
    hosts = ["github.com"]
    extra = (environ.get("GH_HOST") or "").strip().lower().rstrip("/")
    if extra and extra not in hosts:
        hosts.append(extra)
    return tuple(hosts)


def check_token_host(url: str, remote: str, environ: Mapping[str, str]) -> None:
    """Refuse an http(s) remote that is not https on GitHub's host: the token would go there.

    ssh, scp-like and local remotes pass (git gets no token for them)."""
    if "://" not in url:
        return
    parts = urlsplit(url)
    if parts.scheme.lower() not in ("http", "https"):
        return
    try:
        port = parts.port
    except ValueError:
        port = None
    host = (parts.hostname or "") + (f":{port}" if port else "")
    hosts = github_hosts(environ)
    if parts.scheme.lower() != "https" or (
        host not in hosts and (parts.hostname or "") not in hosts
    ):
        raise PrRefused(
            f"The remote `{remote}` is {redact(_without_userinfo(url))}, not https on "
            f"GitHub ({' or '.join(hosts)}), and the GitHub token is sent only there; point "
            "the remote at GitHub, or set GH_HOST to your GitHub Enterprise host.",
            gate="Token",
        )


def push_urls(git: Git, remote: str) -> list[str]:
    """The remote's `pushurl`s as configured (the push goes there instead of `url`)."""
    done = git.run("config", "--get-all", f"remote.{remote}.pushurl")
    return [line.strip() for line in _text(done.stdout).splitlines() if line.strip()]


TRANSPORT_KEYS = ("proxy", "sslcainfo", "sslcapath", "proxysslcainfo", "curloptresolve")
"""`http.*` settings that say where the bytes go or whom they trust: from the repository's own
config, any value is refused (a proxy or a forged resolve sees the token, a CA file lets a
forged certificate pass)."""


def check_rewrites(git: Git, remote: str, urls: Sequence[str]) -> None:
    """Refuse when the repository's own git config decides where the token goes: a rewrite of
    one of the remote's `urls` (`insteadOf`, `pushInsteadOf`), a proxy (`http[.<url>].proxy`,
    `remote.<name>.proxy`), a CA or resolve override, or TLS checks turned off
    (`http[.<url>].sslVerify` false) or redirects followed everywhere.

    The user's settings (global or system config, the environment) are theirs to make, and
    the tests' loopback servers rely on them; a repository's would send the token elsewhere.
    When git cannot list the settings with their scope, nothing is sent (fail closed)."""
    done = git.run(
        "config",
        "--show-scope",
        "--get-regexp",
        r"^(url\..*\.(push)?insteadof|http\..*|remote\..*\.proxy)$",
    )
    if done.returncode not in (0, 1):  # 1: no such setting at all
        raise PrRefused(
            "git cannot list the URL rewrites with their origin (git 2.26 or later is "
            "needed), so the GitHub token is not sent; update git and try again.",
            gate="Token",
            detail=_text(done.stderr),
        )
    for line in _text(done.stdout).splitlines():
        scope, _, rest = line.partition("\t")
        key, _, value = rest.partition(" ")
        if scope in ("local", "worktree") and _steers_the_token(key, value, remote, urls):
            raise PrRefused(
                f"The repository's own git config decides where the token for the remote "
                f"`{remote}` goes ({redact(key)}), so it is not sent; remove that setting "
                "from .git/config (`git config --unset`), or set it in your own ~/.gitconfig.",
                gate="Token",
            )


def _steers_the_token(key: str, value: str, remote: str, urls: Sequence[str]) -> bool:
    """Whether one repository-scope setting (`key value`, as `git config --get-regexp` lists
    it: section and name lower-cased) rewrites, proxies or weakens the remote's transport."""
    name = key.rsplit(".", 1)[-1].lower()
    if key.lower().startswith("url."):
        return bool(value) and any(url.startswith(value) for url in urls)
    if key.lower().startswith("remote."):
        return key.lower() == f"remote.{remote.lower()}.proxy"
    if name in TRANSPORT_KEYS:
        return True
    if name == "sslverify":
        return value.strip().lower() not in ("true", "yes", "on", "1")
    return name == "followredirects" and value.strip().lower() in ("true", "yes", "on", "1")


def pre_push_hook(git: Git) -> Path | None:
    """The repository's executable pre-push hook (where `core.hooksPath` puts it), or None."""
    done = git.run("rev-parse", "--git-path", "hooks/pre-push")
    if done.returncode != 0:
        return None
    path = git.root / _text(done.stdout).strip()
    return path if path.is_file() and os.access(path, os.X_OK) else None


@dataclass(frozen=True, slots=True)
class RemoteHeads:
    """What the remote says: its default branch, and whether our branch is already there."""

    default_branch: str
    branch_exists: bool


def remote_heads(git: Git, remote: str, branch: str) -> RemoteHeads:
    """Ask the remote for its HEAD (`ls-remote --symref`) and for `branch`, in one call."""
    done = git.run(
        "ls-remote",
        "--symref",
        "--",
        remote,
        "HEAD",
        f"refs/heads/{branch}",
        timeout=NETWORK_TIMEOUT_SECONDS,
    )
    if done.returncode != 0:
        if _refused_credentials(_text(done.stderr)):
            raise PrFailed(
                f"The remote `{remote}` refused the credentials "
                f"({redact(last_line(_text(done.stderr)))}); over https give GH_TOKEN "
                "a token that may push to the repository, over ssh check your key.",
                detail=_text(done.stderr),
            )
        reason = redact(last_line(_text(done.stderr))) or f"git exited {done.returncode}"
        raise PrFailed(
            f"Cannot read the remote `{remote}` ({reason}); check its URL, the "
            "network and that GH_TOKEN may read the repository.",
            detail=_text(done.stderr),
        )
    default: str | None = None
    exists = False
    for line in _text(done.stdout).splitlines():
        head, _, ref = line.partition("\t")
        if head.startswith("ref: ") and ref.strip() == "HEAD":
            default = head[len("ref: ") :].strip().removeprefix("refs/heads/")
        elif ref.strip() == f"refs/heads/{branch}":
            exists = True
    if not default:
        raise PrFailed(
            f"The remote `{remote}` has no default branch (its HEAD names none); "
            "push the default branch first."
        )
    return RemoteHeads(default, exists)


# -- the branch --------------------------------------------------------------------------------


def slug(title: str) -> str:
    """A branch-safe slug of a wish's title: lower case, `a-z0-9` and single dashes."""
    text = re.sub(r"[^a-z0-9]+", "-", title.lower()).strip("-")
    text = text[:SLUG_MAX_CHARS].rstrip("-")
    return text or "wish"


def branch_name(title: str, anchor_id: str) -> str:
    """`wish/<slug>-<8 hex digits>`: the first 8 of the anchor's random part (its leading
    date is shared by every anchor of the day, so it would not tell two changes apart)."""
    tail = anchor_id.rsplit("-", 1)[-1].lower()
    return f"{BRANCH_PREFIX}{slug(title)}-{tail[:8]}"


def local_branch_exists(git: Git, branch: str) -> bool:
    """Whether `refs/heads/<branch>` exists in the repository."""
    return git.run("rev-parse", "--verify", "--quiet", f"refs/heads/{branch}").returncode == 0


def changed_paths(git: Git) -> list[str]:
    """Every path with a change in the work tree or the index, untracked files included,
    relative to the repository root (`git status --porcelain=v1 -z`)."""
    done = git.run("status", "--porcelain=v1", "-z", "--untracked-files=all")
    if done.returncode != 0:
        raise PrFailed(
            "`git status` failed; run it yourself to see why, fix the repository, and try again.",
            detail=_text(done.stderr),
        )
    fields = _text(done.stdout).split("\0")
    paths: list[str] = []
    index = 0
    while index < len(fields):
        item = fields[index]
        index += 1
        if len(item) < 4:
            continue
        status, path = item[:2], item[3:]
        paths.append(path)
        if "R" in status or "C" in status:
            paths.append(fields[index])  # the rename's source follows
            index += 1
    return paths


@dataclass(frozen=True, slots=True)
class FileToCommit:
    """One applied file as the branch gets it: its bytes and mode, or None when removed."""

    path: str
    """Relative to the repository root, with `/`."""
    content: bytes | None
    executable: bool = False


def head_commit(git: Git) -> str:
    """HEAD's commit; refuses in a repository without one."""
    done = git.run("rev-parse", "--verify", "--quiet", "HEAD^{commit}")
    if done.returncode != 0:
        raise PrRefused(
            "The repository has no commit yet; commit once, push the default "
            "branch, and try again.",
            gate="Repository",
        )
    return _text(done.stdout).strip()


def create_branch(git: Git, branch: str, files: Sequence[FileToCommit], message: str) -> str:
    """Make one commit on HEAD holding exactly `files`, as the new branch; return its sha.

    The work tree and the user's index are untouched (a temporary index is used). Refuses when
    the branch exists or when HEAD already holds every file as given.
    """
    head = head_commit(git)
    with tempfile.TemporaryDirectory(prefix="wishcraft-pr-") as folder:
        index_env = {"GIT_INDEX_FILE": str(Path(folder) / "index")}
        git.out(
            "read-tree",
            head,
            fail="`git read-tree HEAD` failed; check the repository with `git fsck`.",
            extra_env=index_env,
        )
        lines: list[str] = []
        for file in files:
            if file.content is None:
                lines.append(f"0 {NULL_SHA}\t{file.path}")
                continue
            blob = git.out(
                "hash-object",
                "-w",
                "--stdin",
                f"--path={file.path}",
                stdin=file.content,
                fail=f"git could not store '{file.path}'; check the repository with `git fsck`.",
            )
            lines.append(f"{'100755' if file.executable else '100644'} {blob}\t{file.path}")
        git.out(
            "update-index",
            "--index-info",
            stdin="".join(line + "\n" for line in lines),
            fail="git could not stage the applied files; check the repository with `git fsck`.",
            extra_env=index_env,
        )
        tree = git.out(
            "write-tree",
            fail="`git write-tree` failed; check the repository with `git fsck`.",
            extra_env=index_env,
        )
    if tree == git.out(
        "rev-parse", f"{head}^{{tree}}", fail="HEAD's tree cannot be read; check the repository."
    ):
        raise PrRefused(
            "HEAD already holds every applied file, so the branch would have no "
            "change; push your own branch and open the pull request from it.",
            gate="Repository",
        )
    done = git.run("commit-tree", tree, "-p", head, stdin=message)
    if done.returncode != 0:
        stderr = _text(done.stderr)
        if "identity" in stderr or "user.email" in stderr or "user.name" in stderr:
            raise PrFailed(
                "git does not know who you are; set `git config user.name` and "
                "`git config user.email`, then try again.",
                detail=stderr,
            )
        raise PrFailed(
            f"git could not make the commit ({redact(last_line(stderr))}); fix "
            "the repository and try again.",
            detail=stderr,
        )
    commit = _text(done.stdout).strip()
    done = git.run(
        "update-ref",
        "-m",
        "wishcraft: open a pull request",
        f"refs/heads/{branch}",
        commit,
        NULL_SHA,
    )
    if done.returncode != 0:
        raise PrFailed(
            f"The branch {branch} exists already; delete it (`git branch -D "
            f"{branch}`) or apply the wish again for a new anchor.",
            detail=_text(done.stderr),
        )
    return commit


def delete_branch(git: Git, branch: str, commit: str) -> None:
    """Remove the branch we made, only while it still points at our commit."""
    git.run("update-ref", "-d", f"refs/heads/{branch}", commit)


def push(git: Git, remote: str, branch: str, default_branch: str) -> None:
    """Push `branch` to the same name on `remote`: never forced, never the default branch."""
    if branch in (default_branch, f"refs/heads/{default_branch}") or not branch.startswith(
        BRANCH_PREFIX
    ):
        raise PrRefused(
            f"The branch {branch} is the remote's default branch or not a wish "
            "branch, and the opener never pushes there; apply the wish again for a "
            "new branch.",
            gate="Repository",
        )
    done = git.run(
        "push",
        "--porcelain",
        "--no-verify",
        "--",
        remote,
        f"refs/heads/{branch}:refs/heads/{branch}",
        timeout=NETWORK_TIMEOUT_SECONDS,
    )
    if done.returncode == 0:
        return
    output = _text(done.stdout) + "\n" + _text(done.stderr)
    rejected = re.search(r"\[(?:remote )?rejected\][^(\n]*\(([^)\n]*)\)", output)
    if rejected:
        reason = redact(rejected.group(1).strip())
        raise PrFailed(
            f"The remote `{remote}` rejected the push of {branch} ({reason}); "
            "read its rules (hooks, protected branches), fix the cause, and try "
            "again.",
            detail=output,
        )
    if _refused_credentials(output):
        raise PrFailed(
            f"The remote `{remote}` refused the credentials for the push of "
            f"{branch} ({redact(last_line(_text(done.stderr)))}); over https give "
            "GH_TOKEN a token that may push to the repository, over ssh check your "
            "key.",
            detail=output,
        )
    reason = redact(last_line(_text(done.stderr))) or f"git exited {done.returncode}"
    raise PrFailed(
        f"The push of {branch} to `{remote}` failed ({reason}); check the remote "
        "and the network, then try again.",
        detail=output,
    )


def commit_message(
    title: str,
    objective: str,
    invariants: Sequence[str],
    rollback: Sequence[str],
    anchor_id: str,
    wish_hash: str,
) -> str:
    """The commit's message: the title, the objective, invariants and rollback steps, and the
    `Wish-Anchor:` and `Wish-Hash:` trailers (git's trailer block: the last paragraph)."""

    def one_line(text: str) -> str:
        return " ".join(text.split())

    parts = [one_line(title) or "Wish", f"Objective: {one_line(objective)}"]
    if invariants:
        parts.append("Invariants:\n" + "\n".join(f"- {one_line(item)}" for item in invariants))
    if rollback:
        parts.append("Rollback:\n" + "\n".join(f"- {one_line(item)}" for item in rollback))
    parts.append(f"Wish-Anchor: {anchor_id}\nWish-Hash: {wish_hash}")
    return "\n\n".join(parts) + "\n"
