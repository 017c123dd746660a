"""The ledger from a hostile repository, from the terminal (issue 18, breaches 2 and 7).

Each test runs `wishcraft plan` (or `apply`) as a subprocess against a real loopback Codex
server with a fake login, on a copy of the test workspace, and states a property:
- a repository's `[ledger] path = "~/.bashrc"` leaves `~/.bashrc` unchanged (HOME is a
  temporary folder), whatever `meta.author_id` holds, in shadow and live mode: one sentence;
- a ledger that cannot be written (a folder in the way, a symbolic link on the ledger, its
  lock or its folder) refuses the call before anything is sent: 0 requests reach the loopback
  server, exit 3, the link's target unchanged, no traceback;
- 4 live calls with a limit of 2 and an unwritable ledger: 0 pass;
- a line that still cannot be written after the call (the file size limit reached) is an
  error: exit 1 and one sentence, never exit 0.
"""

from __future__ import annotations

import json
import os
import resource
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from testkit.apply_ws import make_workspace
from testkit.codex_home import write_codex_home
from testkit.loopback import LoopbackCodex, sse, success_transcript
from testkit.paths import LSP_WORKSPACE
from testkit.samples import SAMPLE_PLAN, chunks
from wishcraft.ledger import LedgerEntry, append, verify

LEDGER = "data/ledger/wishes.jsonl"
WISH = "data/wishes/lighthouse.wish.yaml"


@pytest.fixture()
def workspace(tmp_path: Path) -> Path:
    shutil.copytree(LSP_WORKSPACE, tmp_path / "ws")
    return tmp_path / "ws"


@pytest.fixture()
def home(tmp_path: Path) -> Path:
    return write_codex_home(tmp_path / "codex")


def run(
    args: list[str | Path],
    home: Path,
    codex: LoopbackCodex,
    user_home: Path,
    *,
    cwd: Path | None = None,
    preexec: Callable[[], None] | None = None,
) -> subprocess.CompletedProcess[str]:
    env = {
        **os.environ,
        "HOME": str(user_home),
        "CODEX_HOME": str(home),
        "CHATGPT_BASE_URL": codex.base_url,
        "CODEX_REFRESH_TOKEN_URL_OVERRIDE": codex.refresh_url,
        "XDG_CACHE_HOME": str(user_home / ".cache"),
    }
    return subprocess.run(
        [sys.executable, "-m", "wishcraft.cli", *map(str, args)],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        cwd=cwd,
        stdin=subprocess.DEVNULL,
        preexec_fn=preexec,
    )


def plan(
    workspace: Path,
    home: Path,
    codex: LoopbackCodex,
    *args: str,
    preexec: Callable[[], None] | None = None,
) -> subprocess.CompletedProcess[str]:
    user_home = workspace.parent / "home"
    user_home.mkdir(exist_ok=True)
    return run(["plan", "-q", workspace / WISH, *args], home, codex, user_home, preexec=preexec)


def answer(codex: LoopbackCodex, times: int = 1) -> None:
    for _ in range(times):
        codex.enqueue("responses", sse(success_transcript(chunks(SAMPLE_PLAN))))


def refusal_lines(stderr: str) -> list[str]:
    return [line for line in stderr.splitlines() if "refused by the court" in line]


def assert_refused_before_sending(
    done: subprocess.CompletedProcess[str], codex: LoopbackCodex, *words: str
) -> str:
    assert done.returncode == 3, done.stderr
    assert "Traceback" not in done.stderr
    (line,) = refusal_lines(done.stderr)
    for word in words:
        assert word in line, line
    assert codex.requests == []  # 0 requests reached the loopback Codex server
    return line


def set_config(workspace: Path, text: str) -> None:
    config = workspace / "data" / "config" / "wishcraft.toml"
    config.parent.mkdir(parents=True, exist_ok=True)
    config.write_text(text, encoding="utf-8")


def set_limit(workspace: Path, per_wish: int) -> None:
    registry = workspace / "data" / "conduits" / "registry.yaml"
    text = registry.read_text(encoding="utf-8")
    assert "    per_wish_calls: 10\n" in text
    registry.write_text(
        text.replace("    per_wish_calls: 10\n", f"    per_wish_calls: {per_wish}\n", 1),
        encoding="utf-8",
    )


@pytest.mark.parametrize("mode", ["--shadow", "--live"])
def test_a_repository_ledger_path_of_bashrc_leaves_it_unchanged(
    workspace: Path, home: Path, codex: LoopbackCodex, mode: str
) -> None:
    user_home = workspace.parent / "home"
    user_home.mkdir()
    bashrc = user_home / ".bashrc"
    bashrc.write_bytes(b"export PS1='$ '\n")
    wish = workspace / WISH
    pwned = workspace.parent / "pwned"
    wish.write_text(
        wish.read_text(encoding="utf-8").replace(
            'author_id: "player-4821"', f'author_id: "$(touch {pwned})"'
        ),
        encoding="utf-8",
    )
    set_config(workspace, '[ledger]\npath = "~/.bashrc"\n')
    answer(codex)
    done = plan(workspace, home, codex, mode)
    line = assert_refused_before_sending(done, codex, "[ledger] path", '"~/.bashrc"')
    assert "leaves the repository" in line and line.endswith(".")
    assert bashrc.read_bytes() == b"export PS1='$ '\n"
    assert sorted(path.name for path in user_home.iterdir()) == [".bashrc"]
    assert not (workspace / "data" / "wishes" / "lighthouse.wish.plan.json").exists()
    assert not pwned.exists()


def _folder_in_the_way(workspace: Path, outside: Path) -> None:
    (workspace / LEDGER).mkdir(parents=True)


def _linked_ledger(workspace: Path, outside: Path) -> None:
    (workspace / LEDGER).parent.mkdir(parents=True)
    (workspace / LEDGER).symlink_to(outside / "victim")


def _linked_lock(workspace: Path, outside: Path) -> None:
    (workspace / LEDGER).parent.mkdir(parents=True)
    (workspace / f"{LEDGER}.lock").symlink_to(outside / "victim")


def _linked_folder(workspace: Path, outside: Path) -> None:
    (workspace / LEDGER).parent.symlink_to(outside, target_is_directory=True)


UNWRITABLE: dict[str, tuple[Callable[[Path, Path], None], str]] = {
    "folder-in-the-way": (_folder_in_the_way, f"The ledger {LEDGER} is a folder"),
    "symlinked-ledger": (_linked_ledger, f"The ledger {LEDGER} is a symbolic link"),
    "symlinked-lock": (_linked_lock, f"The ledger {LEDGER}.lock is a symbolic link"),
    "symlinked-folder": (_linked_folder, "data/ledger is a symbolic link"),
}


@pytest.mark.parametrize("case", list(UNWRITABLE), ids=list(UNWRITABLE))
def test_a_ledger_that_cannot_be_written_refuses_a_live_plan_before_anything_is_sent(
    workspace: Path, home: Path, codex: LoopbackCodex, case: str
) -> None:
    outside = workspace.parent / "outside"
    outside.mkdir()
    (outside / "victim").write_bytes(b"#!/bin/sh\necho mine\n")
    make, words = UNWRITABLE[case]
    make(workspace, outside)
    answer(codex)
    done = plan(workspace, home, codex, "--live")
    assert_refused_before_sending(done, codex, words)
    assert sorted(path.name for path in outside.iterdir()) == ["victim"]
    assert (outside / "victim").read_bytes() == b"#!/bin/sh\necho mine\n"
    assert not (workspace / "data" / "wishes" / "lighthouse.wish.plan.json").exists()


def test_four_live_calls_with_a_limit_of_two_and_an_unwritable_ledger_none_pass(
    workspace: Path, home: Path, codex: LoopbackCodex
) -> None:
    set_limit(workspace, 2)
    (workspace / LEDGER).mkdir(parents=True)  # no user, root included, can write it
    answer(codex, 4)
    statuses = [plan(workspace, home, codex, "--live").returncode for _ in range(4)]
    assert statuses == [3, 3, 3, 3]
    assert codex.requests == []  # 0 of the 4 passed


def _fill_ledger(path: Path, lines: int) -> int:
    for number in range(lines):
        append(
            path,
            LedgerEntry(
                conduit="other.conduit",
                action="plan",
                mode="shadow",
                wish=f"data/wishes/other-{number}.yaml",
                outcome="complete",
                summary="x" * 1000,
            ),
        )
    return path.stat().st_size


def test_a_line_that_cannot_be_written_after_the_call_is_an_error(
    workspace: Path, home: Path, codex: LoopbackCodex
) -> None:
    # The probe passes; the append after the call meets the file size limit (as a full disk
    # would): the plan is kept, and the missing line is an error, not exit 0.
    size = _fill_ledger(workspace / LEDGER, 120)  # larger than any plan file written
    answer(codex)

    def limit_file_size() -> None:
        resource.setrlimit(resource.RLIMIT_FSIZE, (size, size))  # Python ignores SIGXFSZ

    done = plan(workspace, home, codex, "--live", preexec=limit_file_size)
    assert done.returncode == 1, done.stderr
    assert "Traceback" not in done.stderr and "This call is not in the ledger" not in done.stderr
    assert len(codex.route_requests("responses")) == 1
    errors = [line for line in done.stderr.splitlines() if "could not be written" in line]
    assert errors == [
        "wishcraft: The ledger line of this call could not be written: Cannot write the "
        f"ledger {LEDGER}: File too large; check the disk and its permissions."
    ]
    assert (workspace / LEDGER).stat().st_size == size and verify(workspace / LEDGER).ok
    artifact = json.loads((workspace / "data/wishes/lighthouse.wish.plan.json").read_text())
    assert artifact["status"] == "complete"  # the plan itself is kept


def test_apply_with_a_symlinked_ledger_is_refused_before_anything_is_sent(
    tmp_path: Path, home: Path, codex: LoopbackCodex
) -> None:
    root = tmp_path / "ws"
    wish = make_workspace(root)  # with a current plan
    outside = tmp_path / "outside"
    outside.mkdir()
    (root / "data" / "ledger").mkdir(parents=True, exist_ok=True)
    (root / LEDGER).symlink_to(outside / "victim.jsonl")
    user_home = tmp_path / "home"
    user_home.mkdir()
    done = run(["apply", wish, "--yes"], home, codex, user_home, cwd=root)
    assert_refused_before_sending(done, codex, f"The ledger {LEDGER} is a symbolic link")
    assert list(outside.iterdir()) == []


@pytest.mark.parametrize(
    "command", [["ledger"], ["ledger", "verify"], ["ledger", "--format", "json"]]
)
def test_reading_a_symlinked_ledger_is_one_sentence_not_the_target(
    workspace: Path, home: Path, codex: LoopbackCodex, command: list[str]
) -> None:
    secret = workspace.parent / "secret.jsonl"
    secret.write_text('{"hash": "a", "prev": "b", "token": "do not print"}\n')
    (workspace / LEDGER).parent.mkdir(parents=True)
    (workspace / LEDGER).symlink_to(secret)
    user_home = workspace.parent / "home"
    user_home.mkdir()
    done = run([*command], home, codex, user_home, cwd=workspace)
    assert done.returncode == 2, done.stderr
    assert "Traceback" not in done.stderr and "do not print" not in done.stdout + done.stderr
    (line,) = done.stderr.splitlines()
    assert line.startswith("wishcraft: The ledger ") and "is a symbolic link" in line
