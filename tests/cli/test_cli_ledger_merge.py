"""The ledger in a team's git: real repositories, real merges, the merge driver that init sets up.

Properties: two branches that each appended 50 entries merge with no conflict, the result
verifies, every entry is there once, and the bytes are the same whichever branch merges into
which; three branches merged in turn (git's octopus strategy runs no merge driver) and a
repeated merge verify too; without the driver
git's conflict markers are reported as an unresolved merge (never as torn writes) and `--fix`
resolves them; the limits count the union of both branches' calls once each.
"""

from __future__ import annotations

import json
import subprocess
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from testkit.cli_run import run_wishcraft
from wishcraft.ledger import (
    LedgerEntry,
    append,
    canonical_json,
    identity,
    record,
    usage,
    verify,
)

LEDGER = "data/ledger/wishes.jsonl"
WISH = "data/wishes/first-wish.yaml"
START = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)


def wishcraft(*args: str | Path, cwd: Path) -> subprocess.CompletedProcess[str]:
    return run_wishcraft(*args, cwd=cwd, env={"GIT_CONFIG_NOSYSTEM": "1"})


def wishcraft_env(
    *args: str | Path, cwd: Path, env: dict[str, str]
) -> subprocess.CompletedProcess[str]:
    return run_wishcraft(*args, cwd=cwd, env={"GIT_CONFIG_NOSYSTEM": "1", **env})


def git(cwd: Path, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    done = subprocess.run(
        ["git", *args], cwd=cwd, capture_output=True, text=True, timeout=60, check=False
    )
    if check:
        assert done.returncode == 0, f"git {' '.join(args)}: {done.stdout}{done.stderr}"
    return done


def add_entries(root: Path, branch: str, count: int, offset: int) -> None:
    """`count` plan calls of wish `w-<branch>` on the checked-out branch, committed."""
    for index in range(count):
        entry = LedgerEntry(
            conduit="openai.codex.v2025.plan",
            action="plan",
            mode="commit",
            wish=f"data/wishes/w-{branch}.wish.yaml",
            outcome="complete",
            request_id=f"req-{branch}-{index}",
        )
        # Interleaved in time across branches, as two people working the same day.
        append(root / LEDGER, entry, now=START + timedelta(seconds=2 * index + offset))
    git(root, "add", LEDGER)
    git(root, "commit", "-q", "-m", f"{count} calls on {branch}")


def raw_identities(root: Path) -> list[str]:
    return [identity(json.loads(line)) for line in (root / LEDGER).read_text().splitlines()]


@pytest.fixture()
def repo(tmp_path: Path) -> Path:
    """A repository set up by `wishcraft init` (the driver too), with one call on main."""
    root = tmp_path / "team"
    root.mkdir()
    git(root, "init", "-q", "-b", "main")
    git(root, "config", "user.name", "Ada")
    git(root, "config", "user.email", "ada@example.org")
    done = wishcraft("init", cwd=root)
    assert done.returncode == 0, done.stderr
    assert "merge=wishcraft-ledger" in (root / ".gitattributes").read_text()
    add_entries(root, "main", 1, 0)
    git(root, "add", "-A")
    git(root, "commit", "-q", "-m", "Set up", check=False)
    return root


def branch_with(root: Path, name: str, count: int, offset: int) -> None:
    git(root, "checkout", "-q", "-b", name, "main")
    add_entries(root, name, count, offset)
    git(root, "checkout", "-q", "main")


def test_two_branches_merge_with_no_conflict_the_same_bytes_either_way(repo: Path) -> None:
    branch_with(repo, "alice", 50, 1)
    branch_with(repo, "bob", 50, 2)
    git(repo, "checkout", "-q", "-b", "a-into-b", "bob")
    merged = git(repo, "merge", "-q", "--no-edit", "alice", check=False)
    assert merged.returncode == 0, merged.stdout + merged.stderr
    one = (repo / LEDGER).read_bytes()
    git(repo, "checkout", "-q", "-b", "b-into-a", "alice")
    assert git(repo, "merge", "-q", "--no-edit", "bob", check=False).returncode == 0
    other = (repo / LEDGER).read_bytes()
    assert one == other  # the same bytes whichever branch merges into which
    result = verify(repo / LEDGER)
    assert result.ok and result.entries == 101, result.describe(repo / LEDGER)
    ids = raw_identities(repo)
    assert len(ids) == len(set(ids)) == 101  # every entry once
    git(repo, "checkout", "-q", "alice")
    alice = set(raw_identities(repo))
    alice_text = (repo / LEDGER).read_bytes()
    git(repo, "checkout", "-q", "bob")
    bob = set(raw_identities(repo))
    bob_text = (repo / LEDGER).read_bytes()
    assert set(ids) == alice | bob
    # One branch's ledger is kept byte for byte; only the other's new entries are re-chained.
    assert one.startswith((alice_text, bob_text))
    moved = [line for line in one.splitlines() if b"orig_hash" in line]
    assert len(moved) == 50
    verified = wishcraft("ledger", "verify", cwd=repo)
    assert verified.returncode == 0, verified.stderr
    for line in (repo / LEDGER).read_text().splitlines():  # written as `append` writes lines
        assert canonical_json(json.loads(line)) == line


def test_the_limits_count_the_union_after_a_merge(repo: Path) -> None:
    branch_with(repo, "alice", 3, 1)
    git(repo, "checkout", "-q", "-b", "bob", "main")
    add_entries(repo, "alice", 2, 2)  # bob plans alice's wish too, twice
    assert git(repo, "merge", "-q", "--no-edit", "alice", check=False).returncode == 0
    now = START + timedelta(hours=1)
    used = usage(repo / LEDGER, "openai.codex.v2025.plan", "data/wishes/w-alice.wish.yaml", now)
    assert used.wish_calls == 5  # 3 on alice's branch and 2 on bob's, each once
    assert used.day_calls == 6  # and main's one call


def test_three_branches_merged_in_turn_and_a_repeated_merge_verify(repo: Path) -> None:
    for offset, name in enumerate(("ann", "ben", "cal"), start=1):
        branch_with(repo, name, 10, offset)
    git(repo, "checkout", "-q", "-b", "octopus", "ann")
    # git's octopus strategy never runs a merge driver (it stops at the first file both sides
    # changed): three branches are merged one after the other, as git itself advises.
    for name in ("ben", "cal"):
        merged = git(repo, "merge", "-q", "--no-edit", name, check=False)
        assert merged.returncode == 0, merged.stdout + merged.stderr
    assert verify(repo / LEDGER).ok
    assert len(set(raw_identities(repo))) == 31
    # ben goes on working, and is merged again
    git(repo, "checkout", "-q", "ben")
    add_entries(repo, "ben", 5, 100)
    git(repo, "checkout", "-q", "octopus")
    again = git(repo, "merge", "-q", "--no-edit", "ben", check=False)
    assert again.returncode == 0, again.stdout + again.stderr
    result = verify(repo / LEDGER)
    assert result.ok, result.describe(repo / LEDGER)
    ids = raw_identities(repo)
    assert len(ids) == len(set(ids)) == 36


def test_without_the_driver_markers_are_an_unresolved_merge_and_fix_resolves(
    repo: Path,
) -> None:
    # A repository that never set the driver up: no attributes line, no config.
    (repo / ".gitattributes").unlink()
    git(repo, "commit", "-q", "-am", "No merge driver")
    git(repo, "config", "--remove-section", "merge.wishcraft-ledger")
    branch_with(repo, "alice", 4, 1)
    branch_with(repo, "bob", 4, 2)
    git(repo, "checkout", "-q", "alice")
    conflicted = git(repo, "merge", "--no-edit", "bob", check=False)
    assert conflicted.returncode != 0
    assert b"<<<<<<<" in (repo / LEDGER).read_bytes()
    verified = wishcraft("ledger", "verify", cwd=repo)
    assert verified.returncode == 1
    assert "unresolved" in verified.stdout + verified.stderr
    assert "torn" not in verified.stdout + verified.stderr
    assert f"wishcraft ledger merge --fix {repo / LEDGER}" in verified.stdout + verified.stderr
    fixed = wishcraft("ledger", "merge", "--fix", LEDGER, cwd=repo)
    assert fixed.returncode == 0, fixed.stderr
    result = verify(repo / LEDGER)
    assert result.ok and result.entries == 9
    git(repo, "add", LEDGER)
    git(repo, "commit", "-q", "--no-edit")
    installed = wishcraft("ledger", "install-merge-driver", cwd=repo)
    assert installed.returncode == 0, installed.stderr
    assert "merge=wishcraft-ledger" in (repo / ".gitattributes").read_text()
    git(repo, "add", ".gitattributes")
    git(repo, "commit", "-q", "-m", "Route the ledger's merges to the driver")
    # In a fresh clone the config is missing: the command writes it, and no tracked file changes.
    clone = repo.parent / "clone"
    git(repo.parent, "clone", "-q", str(repo), str(clone))
    again = wishcraft("ledger", "install-merge-driver", cwd=clone)
    assert again.returncode == 0, again.stderr
    assert "already routes" in again.stderr
    assert git(clone, "status", "--porcelain").stdout == ""
    assert (
        "wishcraft.cli ledger merge %O %A %B"
        in git(repo, "config", "merge.wishcraft-ledger.driver").stdout
    )


def test_an_edited_merged_line_fails_verify(repo: Path) -> None:
    branch_with(repo, "alice", 2, 1)
    branch_with(repo, "bob", 2, 2)
    git(repo, "checkout", "-q", "alice")
    assert git(repo, "merge", "-q", "--no-edit", "bob", check=False).returncode == 0
    lines = (repo / LEDGER).read_text().splitlines()
    moved = json.loads(lines[-1])
    assert "orig_hash" in moved
    moved["request_id"] = "forged"
    from wishcraft.ledger import entry_hash

    moved["hash"] = entry_hash(moved)  # a consistent chain hash, but not the original's
    lines[-1] = canonical_json(moved)
    (repo / LEDGER).write_text("\n".join(lines) + "\n")
    result = verify(repo / LEDGER)
    assert not result.ok and "orig_hash" in result.reason


def recorded_calls(root: Path, count: int) -> None:
    """`count` live plan calls written as every writer writes them (`record`: the witness)."""
    for index in range(count):
        entry = LedgerEntry(
            conduit="openai.codex.v2025.plan",
            action="plan",
            mode="commit",
            wish="data/wishes/another.wish.yaml",
            outcome="complete",
            request_id=f"req-{index}",
        )
        assert record(root / LEDGER, entry, now=START + timedelta(seconds=index)).written


@pytest.mark.parametrize("removed", [1, 10])
def test_a_truncated_tail_is_caught_by_verify_and_the_gates_until_accepted(
    repo: Path, removed: int, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))  # where the witness lives
    env_cache = {"XDG_CACHE_HOME": str(tmp_path / "cache")}
    recorded_calls(repo, 12)
    lines = (repo / LEDGER).read_text().splitlines(keepends=True)
    (repo / LEDGER).write_text("".join(lines[:-removed]))  # the chain still verifies
    assert verify(repo / LEDGER).ok
    checked = wishcraft_env("ledger", "verify", cwd=repo, env=env_cache)
    assert checked.returncode == 1
    entries = "entry was" if removed == 1 else "entries were"
    assert f"{removed} {entries} removed from the end" in checked.stderr
    gates = wishcraft_env("lint", "--gates", WISH, cwd=repo, env=env_cache)
    assert gates.returncode == 1 and "gate-ledger" in gates.stdout, gates.stdout
    accepted = wishcraft_env("ledger", "verify", "--accept", cwd=repo, env=env_cache)
    assert accepted.returncode == 0, accepted.stderr
    assert wishcraft_env("ledger", "verify", cwd=repo, env=env_cache).returncode == 0
    assert (
        "gate-ledger" not in wishcraft_env("lint", "--gates", WISH, cwd=repo, env=env_cache).stdout
    )


def test_a_merge_keeps_the_witnessed_entry(
    repo: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The witness names an entry by the hash it was first written with, so a merge that
    re-chains it raises no false alarm."""
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    env_cache = {"XDG_CACHE_HOME": str(tmp_path / "cache")}
    branch_with(repo, "bob", 3, 2)
    git(repo, "checkout", "-q", "-b", "alice", "main")
    recorded_calls(repo, 3)
    git(repo, "commit", "-q", "-am", "alice's calls")
    assert git(repo, "merge", "-q", "--no-edit", "bob", check=False).returncode == 0
    assert "orig_hash" in (repo / LEDGER).read_text()
    assert wishcraft_env("ledger", "verify", cwd=repo, env=env_cache).returncode == 0
