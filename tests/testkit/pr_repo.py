"""A workspace with an applied wish, ready for a pull request: real git, a bare remote.

`make_scenario(tmp_path, github_url)` builds:

- `remote/acme/widgets.git`, a bare repository (default branch `main`), and `work/`, its clone,
  whose `origin` is configured as `https://github.com/acme/widgets.git` and rewritten to the
  bare repository by `url.<path>.insteadOf` in the user's global git config (`GIT_CONFIG_GLOBAL`:
  a rewrite in the repository's own config is refused), so owner/repo and the https credentials
  are real, and the push goes to the bare repository;
- in `work/`: a registry whose apply conduit may open pull requests in `widgets`, a wish, some
  source files, committed and pushed to `main`;
- a change applied with `wishcraft.apply` (an update, an added file and a removed file), its
  undo record in the user's state folder (`WISHCRAFT_STATE_DIR`, which the tests' conftest
  points at a fresh folder) and its `apply` line on the ledger
  (`work/data/ledger/wishes.jsonl`), as `wishcraft apply` leaves them;
- a `git` wrapper first on PATH that logs each command line and the names of git's
  environment settings (`argv.log`), then runs the real git;
- an environment (`env`) with `GH_TOKEN`, `GITHUB_API_URL`, an empty HOME and no system config.
"""

from __future__ import annotations

import base64
import os
import shutil
import subprocess
import sys
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from wishcraft.apply import Anchor, apply_change, stage
from wishcraft.ledger import LedgerEntry, append
from wishcraft.lint.config import LintConfig, default_lint_config
from wishcraft.lint.registries import registry_from_text
from wishcraft.model import Wish
from wishcraft.pr import LedgerPlace, PrResult, open_pull_request
from wishcraft.registry import Registry
from wishcraft.undo_state import STATE_ENV, state_dir_for

TOKEN = "ghp_Wq7Zk2Lm9Xv4Rt8Yb3Nc6Hd1Jf5Gs0Pa2Ue"
"""The GitHub token of every scenario: tests scan every output for it."""
BASIC = base64.b64encode(f"x-access-token:{TOKEN}".encode()).decode("ascii")
"""The token as git sends it to an https remote (HTTP Basic): scanned for too."""
HOST_URL = "https://github.com/acme/widgets.git"
CONDUIT = "openai.codex.v2025.apply"

REGISTRY = """\
- id: "openai.codex.v2025.apply"
  label: "OpenAI Codex (Apply Patch)"
  disposition: Maximizer
  domains: [Code]
  scopes:
    - repo: "widgets"
      actions: ["diff", "open_pr"]
  risk_class: High
  determinism: Stochastic
  latency_class: Short
  permissions: ["code.diff", "code.open_pr"]
  limits:
    per_wish_calls: 3
  audit_fields: ["diff_hash", "pr_url", "model"]
"""

WISH: dict[str, Any] = {
    "title": "Tune the widget cache: 2 tiers",
    "objective": "Split the widget cache into 2 tiers within 1 day",
    "scope": {"region": "widgets", "duration_days": 1},
    "invariants": [
        "No change to the public API",
        "Tests stay green",
        "No new dependency",
        "Cache size stays under 64 MiB",
        "No civilian data",
    ],
    "budget": {"chrono_sand": 1, "genie_slots": 1, "gold_cap": 10},
    "tools": [CONDUIT],
    "plan": ["Read the cache module", "Split it in two tiers", "Run the tests"],
    "safety_tests": ["pytest -q passes"],
    "rollback": [
        "wishcraft rollback the anchor",
        "Revert the pull request",
        "Clear the cache",
        "Redeploy",
    ],
    "tier": "meso",
}

FILES = {
    "src/cache.py": "SIZE = 1\n\n\ndef get(key):\n    return None\n",
    "src/old.py": "OLD = True\n",
    "src/other.py": "OTHER = 1\n",
    "README.md": "# widgets\n",
}

PATCH = """\
*** Begin Patch
*** Update File: src/cache.py
@@
-SIZE = 1
+SIZE = 2
*** Add File: src/tiers.py
+TIERS = ("hot", "cold")
*** Delete File: src/old.py
*** End Patch
"""
APPLIED = ("src/cache.py", "src/tiers.py", "src/old.py")

GIT_WRAPPER = """#!/bin/sh
{{
  printf 'argv:'; for arg in "$@"; do printf ' %s' "$arg"; done; printf '\\n'
  env | sed -n 's/^\\(GIT_CONFIG_KEY_[0-9]*\\)=\\(.*\\)$/env: \\1=\\2/p'
}} >> '{log}'
exec '{git}' "$@"
"""


@dataclass
class Scenario:
    """Everything a pull-request test needs; `open()` runs the opener."""

    tmp: Path
    remote: Path
    work: Path
    state_dir: Path
    ledger: Path
    argv_log: Path
    env: dict[str, str]
    anchor: Anchor
    wish: Wish
    workspace: Path | None = None
    """Where the change was applied (the repository's root unless a subfolder was asked)."""
    registry_text: str = REGISTRY
    lint_config: LintConfig = field(default_factory=default_lint_config)

    def git(self, *args: str, cwd: Path | None = None, check: bool = True) -> str:
        """Run the real git (not the wrapper) with the scenario's environment."""
        return run_git(self.env, cwd or self.work, *args, check=check)

    @property
    def registry(self) -> Registry:
        """The scenario's registry (from `registry_text`)."""
        return registry_from_text(self.registry_text, self.work / "data/conduits/registry.yaml")

    def open(self, *, env: Mapping[str, str] | None = None, **kwargs: Any) -> PrResult:
        """Open the pull request of the applied change, as the CLI would."""
        options: dict[str, Any] = {
            "wish": self.wish,
            "plan_steps": ["Read the cache module", "Split it in two tiers"],
            "registry": self.registry,
            "lint_config": self.lint_config,
            "ledger": LedgerPlace(self.ledger, self.state_dir),
            "config_file": self.work / "data/config/wishcraft.toml",
            "environ": dict(self.env if env is None else env),
        }
        options.update(kwargs)
        return open_pull_request(self.workspace or self.work, self.anchor.anchor_id, **options)

    def set_config(self, text: str, *, trusted: bool = True) -> None:
        """Write `data/config/wishcraft.toml` (not committed: the tree's own change); with
        `trusted` (the default), trust it as `wishcraft trust` would, in the scenario's HOME."""
        path = self.work / "data/config/wishcraft.toml"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
        if trusted:
            self.trust()

    def trust(self) -> None:
        """Trust the repository's wishcraft.toml as it is now (`wishcraft trust`)."""
        from wishcraft.trust import trust

        trust(self.work, self.env)

    def ledger_lines(self) -> list[LedgerEntry]:
        """Every entry on the ledger, in order."""
        from wishcraft.ledger import read_entries

        return [entry for _, entry in read_entries(self.ledger)[0]]

    def argv_lines(self) -> list[str]:
        """The git command lines the wrapper saw."""
        if not self.argv_log.exists():
            return []
        return [
            line[len("argv: ") :]
            for line in self.argv_log.read_text().splitlines()
            if line.startswith("argv:")
        ]


def real_git() -> str:
    """The real git executable."""
    found = shutil.which("git")
    assert found is not None, "git is needed for these tests"
    return found


def run_git(env: Mapping[str, str], cwd: Path, *args: str, check: bool = True) -> str:
    """Run the real git in `cwd` with `env` (but the real PATH); return its stdout."""
    done = subprocess.run(
        [real_git(), *args],
        cwd=cwd,
        env={**env, "PATH": os.environ["PATH"]},
        capture_output=True,
        text=True,
        check=False,
        timeout=30,
    )
    if check and done.returncode != 0:
        raise AssertionError(f"git {' '.join(args)} failed: {done.stderr}")
    return done.stdout


def make_scenario(tmp: Path, github_url: str, *, subdir: str = "") -> Scenario:
    """Build the workspace, the remote and the applied change (see the module docstring).

    With `subdir`, the workspace (where the source files are and the change is applied) is
    that folder of the repository, not its root.
    """
    home = tmp / "home"
    home.mkdir()
    bin_dir = tmp / "bin"
    bin_dir.mkdir()
    argv_log = tmp / "argv.log"
    wrapper = bin_dir / "git"
    wrapper.write_text(GIT_WRAPPER.format(log=argv_log, git=real_git()), encoding="utf-8")
    wrapper.chmod(0o755)
    env = {
        "PATH": f"{bin_dir}{os.pathsep}/usr/bin{os.pathsep}/bin",
        "HOME": str(home),
        "GIT_CONFIG_NOSYSTEM": "1",
        "GIT_CONFIG_GLOBAL": str(home / "gc"),
        "LANG": "C.UTF-8",
        "GH_TOKEN": TOKEN,
        "GITHUB_API_URL": github_url,
        STATE_ENV: os.environ[STATE_ENV],
    }
    remote = tmp / "remote" / "acme" / "widgets.git"
    remote.mkdir(parents=True)
    work = tmp / "work"
    run_git(env, tmp, "init", "-q", "--bare", "-b", "main", str(remote))
    run_git(env, tmp, "init", "-q", "-b", "main", str(work))
    for args in (
        ("config", "user.name", "Ada Wisher"),
        ("config", "user.email", "ada@example.org"),
        ("remote", "add", "origin", HOST_URL),
        ("config", "--global", f"url.{remote}.insteadOf", HOST_URL),
    ):
        run_git(env, work, *args)
    prefix = f"{subdir}/" if subdir else ""
    for path, text in {
        **{prefix + name: text for name, text in FILES.items()},
        "data/conduits/registry.yaml": REGISTRY,
        "data/wishes/cache.wish.yaml": "title: cache\n",
    }.items():
        target = work / path
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text, encoding="utf-8")
    run_git(env, work, "add", "-A")
    run_git(env, work, "commit", "-q", "-m", "Start")
    run_git(env, work, "push", "-q", "origin", "main")
    ledger = work / "data/ledger/wishes.jsonl"
    state_dir = state_dir_for(work)  # where `apply.court.find_place` keeps them
    workspace = work / subdir if subdir else work
    anchor = apply_change(
        stage(PATCH, workspace), state_dir=state_dir, meta={"wish": "data/wishes/cache.wish.yaml"}
    )
    append(
        ledger,
        LedgerEntry(
            conduit=CONDUIT,
            action="apply",
            mode="commit",
            wish="data/wishes/cache.wish.yaml",
            outcome="complete",
            wish_hash="ab" * 32,
            diff_hash=anchor.diff_hash,
            anchor_id=anchor.anchor_id,
            model="gpt-test",
        ),
    )
    return Scenario(
        tmp,
        remote,
        work,
        state_dir,
        ledger,
        argv_log,
        env,
        anchor,
        Wish.model_validate(WISH),
        workspace=workspace,
    )


def wishcraft_in(
    scenario: Scenario, *args: str, env: dict[str, str] | None = None, cwd: Path | None = None
) -> subprocess.CompletedProcess[str]:
    """Run `wishcraft …` in the clone with the scenario's environment (its git wrapper, the
    token, GITHUB_API_URL), or `env` and `cwd` when given."""
    return subprocess.run(
        [sys.executable, "-m", "wishcraft.cli", *args],
        env=env if env is not None else scenario.env,
        cwd=cwd or scenario.work,
        capture_output=True,
        text=True,
        timeout=120,
        stdin=subprocess.DEVNULL,
    )
