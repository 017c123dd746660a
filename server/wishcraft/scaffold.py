"""What `wishcraft init` writes into a repository: a registry, a starter wish, the config, ignores.

Pure: the caller gathers the facts (`Facts`: the repository's name and where it came from, the
top-level entries of its tree, who is writing, the time) and gets back each file's relative
path and text. Nothing here reads the disk, so the texts are tested as data and lint-checked.

Why each file:
- `data/conduits/registry.yaml`: the bundled registry is upstream's own, scoped to upstream's
  game; a repository of one's own needs the planning and apply conduits scoped to *its* name
  and paths, or the Scopes gate refuses every apply. Each field is commented.
- `data/wishes/first-wish.yaml`: a small code change that lints with no error or warning and
  passes every gate, so the first `plan` and `apply` work before the user writes a wish.
- `data/config/wishcraft.toml`: the defaults, commented, where users look for them.
- `.gitignore` lines: what the tools write that must not be committed (the ledger's lock, the
  staged patches, failed plans); the ledger itself and the registry are committed.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

REGISTRY_PATH = "data/conduits/registry.yaml"
WISH_PATH = "data/wishes/first-wish.yaml"
CONFIG_PATH = "data/config/wishcraft.toml"
GITIGNORE_PATH = ".gitignore"
WISHES_GLOB = "data/wishes/**"

IGNORED = (
    "data/ledger/*.lock",
    "*.patch",
    "*.plan.failed.json",
)
"""What `.gitignore` gets: the ledger's lock, staged patches and failed plans."""

SKIPPED_TOP_LEVEL = frozenset(
    {"data", "node_modules", "__pycache__", "build", "dist", "target", "venv", "env"}
)
"""Top-level entries that never become scope paths: Wishcraft's own `data/` (its policy files
are out of every scope anyway), and build output or environments nobody edits by hand."""

PLAN_CONDUIT = "openai.codex.v2025.plan"
APPLY_CONDUIT = "openai.codex.v2025.apply"


@dataclass(frozen=True, slots=True)
class Facts:
    """What init knows about the repository it sets up."""

    repo_name: str
    repo_source: str
    """Where the name came from: `remote origin`, `folder name`, …"""
    top_level: Sequence[str]
    """The names at the tree's top, folders ending in `/`."""
    author: str
    created_at: str
    """An ISO 8601 UTC timestamp."""


@dataclass(frozen=True, slots=True)
class Planned:
    """One file init writes: its path relative to the repository root, and its text."""

    path: str
    text: str
    append: bool = False
    """True for `.gitignore`: the lines missing from an existing file are appended."""


def _quote(text: str) -> str:
    """A YAML double-quoted scalar (JSON's string syntax is valid YAML)."""
    return json.dumps(text, ensure_ascii=False)


def scope_paths(top_level: Iterable[str]) -> list[str]:
    """Scope globs for the tree: `folder/**` for each folder and each file's name, skipping
    hidden entries and `SKIPPED_TOP_LEVEL`; `**` for an empty tree."""
    paths: list[str] = []
    for entry in sorted(set(top_level)):
        name = entry.rstrip("/")
        if not name or name.startswith(".") or name in SKIPPED_TOP_LEVEL:
            continue
        paths.append(f"{name}/**" if entry.endswith("/") else name)
    return paths or ["**"]


def registry_text(facts: Facts) -> str:
    """The registry: the plan and apply conduits, scoped to this repository and its paths."""
    repo = _quote(facts.repo_name)
    tree = scope_paths(facts.top_level)
    paths = "[" + ", ".join(_quote(path) for path in tree) + "]"
    # A plan reads the tree and writes its plan files beside the wish, in data/wishes/.
    plan_paths = "[" + ", ".join(_quote(path) for path in [*tree, WISHES_GLOB]) + "]"
    return f"""\
# The conduits wishes in {facts.repo_name} may name, and what each may do here.
# Written by `wishcraft init`; edit it freely and commit it. Before every call the court's gates
# check it: the conduit acts only in the repository `repo` (from {facts.repo_source}), only on
# files matching `paths` (gitignore-like globs), only the listed `actions`, and at most `limits`
# times. Wishcraft's own files (this registry, data/config/, the ledger, .git/ and its hooks,
# .gitattributes) are outside every scope, whatever `paths` says. Values are spelt in
# kebab-case, as upstream's own tools read them.

- id: "{PLAN_CONDUIT}"
  label: "OpenAI Codex (Plan Builder)"
  disposition: literalist        # does what the wish says, no more
  domains: [code]
  scopes:
    - repo: {repo}
      paths: {plan_paths}
      actions: ["plan"]
  cost_profile:
    tokens_per_call: "~3k"
    rate_per_min: 20             # at most 20 plans a minute
  risk_class: medium
  determinism: stochastic
  latency_class: short
  permissions: ["code.plan"]
  limits:
    per_wish_calls: 10           # plans per wish (live calls that reached the model)
    per_day_calls: 200           # plans per UTC day, all wishes together
  audit_fields: ["prompt_hash", "model", "tokens_used"]

- id: "{APPLY_CONDUIT}"
  label: "OpenAI Codex (Apply Patch)"
  disposition: maximizer
  domains: [code]
  scopes:
    - repo: {repo}
      paths: {paths}
      actions: ["apply", "rollback", "open_pr"]
  risk_class: high               # a micro wish may not use it; meso and macro may
  determinism: stochastic
  latency_class: short
  permissions: ["code.diff", "code.open_pr"]
  limits:
    per_wish_calls: 5            # applies per wish
    per_day_calls: 50            # applies per UTC day, all wishes together
  audit_fields: ["diff_hash", "pr_url", "model"]
"""


def _target(top_level: Sequence[str]) -> str:
    """The file the starter wish edits: the README when there is one."""
    files = sorted(entry for entry in top_level if not entry.endswith("/"))
    readme = next((name for name in files if name.lower().startswith("readme")), None)
    return readme or "README.md"


def wish_text(facts: Facts) -> str:
    """A starter wish: a small, reversible code change that lints clean and passes the gates."""
    target = _target(facts.top_level)
    quoted = _quote(target)
    return f"""\
# Your first wish. A wish says what should change, what must not, and how to undo it; the
# format comes from the game Ruins of Atlantis, where wishes change the world, and here it
# describes a change to {facts.repo_name}. Check it: `wishcraft lint {WISH_PATH}`.
# Plan it: `wishcraft plan {WISH_PATH}`; apply the plan: `wishcraft apply {WISH_PATH}`.
title: {_quote(f"Fix spelling mistakes in {target}")}
# One sentence with a number and a time bound: the court scores its clarity.
objective: {_quote(f"Fix at most 5 spelling mistakes in {target} within 1 day")}
scope:
  region: {quoted}    # for a code change: the file or folder it touches
  duration_days: 1    # how many days the wish may run
# What must stay true. The game's world invariants (civilians, player agency, currency) are
# asked only of wishes whose conduits act on the world; this one only edits code.
invariants:
  - {_quote(f"No file but {target} changes")}
  - "No code, test or configuration changes"
  - {_quote(f"Every link in {target} still resolves")}
  - "Headings keep their text and order"
  - "The diff stays under 20 lines"
# The game's currencies. A code change spends none of them: keep them at their minimum.
budget:
  chrono_sand: 0
  genie_slots: 0
  gold_cap: 0
tools:
  - "{PLAN_CONDUIT}"
  - "{APPLY_CONDUIT}"
plan:
  - {_quote(f"Read {target} and list the misspelt words")}
  - "Correct each misspelling in place"
  - "Re-read every changed line"
safety_tests:
  - {_quote(f"Files changed = 1 ({target})")}
  - "Lines changed < 20"
rollback:
  - "Run wishcraft rollback with the apply's anchor"
  - "Revert the commit on the wish branch"
  - "Close the pull request"
  - "Delete the wish branch"
tier: meso
meta:
  author_id: {_quote(facts.author)}
  created_at: {_quote(facts.created_at)}
"""


CONFIG_TEXT = """\
# Wishcraft's settings for this repository. Written by `wishcraft init`; every line below is
# commented out and shows the default. Settings that send your login somewhere or run commands
# are read from your own configuration only, never from a repository's file.

# [files]
# Which YAML files are wishes (replaces the defaults).
# globs = ["**/*.wish.yaml", "**/*.wish.yml", "**/wishes/**/*.yaml", "**/wishes/**/*.yml"]

# [lint]
# plan_max_steps = 7
# [lint.severity]
# objective-no-time-bound = "info"

# [conduit]
# model = "gpt-6.2-sol"             # default: the first model the Codex catalog lists
# model_reasoning_effort = "low"

# [ledger]
# path = "data/ledger/wishes.jsonl"  # must stay inside the repository

# [pr]
# remote = "origin"
# draft = true
# check = "python3 -m pytest -q"   # runs only once you `wishcraft trust` the repository
# check_timeout = 600
"""


def gitignore_lines(existing: str) -> list[str]:
    """The `IGNORED` lines an existing `.gitignore` text does not hold yet."""
    have = {line.strip() for line in existing.splitlines()}
    return [line for line in IGNORED if line not in have]


def gitignore_text(existing: str) -> str:
    """What init appends to `.gitignore` (empty when every line is there)."""
    missing = gitignore_lines(existing)
    if not missing:
        return ""
    lead = "" if not existing or existing.endswith("\n") else "\n"
    header = "# Wishcraft: the ledger's lock, staged patches and failed plans (not shared)\n"
    return lead + header + "".join(f"{line}\n" for line in missing)


def planned_files(facts: Facts, gitignore: str | None) -> list[Planned]:
    """Every file init writes, in order; `gitignore` is the current `.gitignore` (None: none)."""
    files = [
        Planned(REGISTRY_PATH, registry_text(facts)),
        Planned(WISH_PATH, wish_text(facts)),
        Planned(CONFIG_PATH, CONFIG_TEXT),
    ]
    addition = gitignore_text(gitignore or "")
    if addition:
        files.append(Planned(GITIGNORE_PATH, addition, append=gitignore is not None))
    return files
