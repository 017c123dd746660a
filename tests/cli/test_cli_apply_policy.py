"""`wishcraft apply` against a model that aims at the policy: no scope covers a policy file.

The apply conduit's scope here is `**` (everything), the workspace is a git repository whose
`core.hooksPath` is `tools/hooks`, and the loopback Codex answers with a patch to one policy
file, in one spelling or another. Each is refused back to the model with the sentence naming
the path as a policy file, the CLI exits 1 with nothing written, and no traceback is printed.
The same holds for names too long for the file system (issue 18: a 300-character path crashed
apply with a traceback).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from testkit.apply_ws import (
    SUMMARY,
    make_workspace,
    read_then_patch,
    tree,
)
from testkit.loopback import (
    LoopbackCodex,
    function_call_item,
    sse,
    success_transcript,
    tool_call_transcript,
)

WISH = "data/wishes/lamps.wish.yaml"


@pytest.fixture()
def ws(tmp_path: Path) -> Path:
    """The apply workspace, its scope widened to `**`, in a git repository with hooks in
    `tools/hooks` (as husky and others set `core.hooksPath`)."""
    root = tmp_path / "ws"
    make_workspace(root)
    registry = root / "data" / "conduits" / "registry.yaml"
    text = registry.read_text()
    narrow = 'paths: ["src/**", "!src/private/**"]'
    assert narrow in text
    registry.write_text(text.replace(narrow, 'paths: ["**"]'))
    (root / "tools" / "hooks").mkdir(parents=True)
    (root / "tools" / "hooks" / "pre-push").write_text("#!/bin/sh\nexit 0\n")
    (root / ".gitattributes").write_text("*.py text\n")
    (root / "data" / "config").mkdir(parents=True)
    (root / "data" / "config" / "wishcraft.toml").write_text("[pr]\n")
    subprocess.run(["git", "init", "-q", str(root)], check=True)
    subprocess.run(["git", "-C", str(root), "config", "core.hooksPath", "tools/hooks"], check=True)
    return root


def run(root: Path, home: Path, codex: LoopbackCodex) -> subprocess.CompletedProcess[str]:
    env = {
        **os.environ,
        "CODEX_HOME": str(home),
        "CHATGPT_BASE_URL": codex.base_url,
        "CODEX_REFRESH_TOKEN_URL_OVERRIDE": codex.refresh_url,
    }
    return subprocess.run(
        [sys.executable, "-m", "wishcraft.cli", "apply", str(root / WISH), "--yes"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        cwd=root,
        stdin=subprocess.DEVNULL,
    )


def answers_to_model(codex: LoopbackCodex) -> list[str]:
    """What the tools answered the model, in order."""
    bodies = [request.json for request in codex.route_requests("responses")]
    return [
        str(item["output"])
        for body in bodies
        for item in body["input"]
        if item.get("type") in ("custom_tool_call_output", "function_call_output")
    ]


def add(path: str) -> str:
    return f"*** Begin Patch\n*** Add File: {path}\n+x = 1\n*** End Patch\n"


def update(path: str, old: str, new: str) -> str:
    return f"*** Begin Patch\n*** Update File: {path}\n@@\n-{old}\n+{new}\n*** End Patch\n"


POLICY_FILE = "is a policy file no wish may change"
POLICY = {
    "registry-raise-own-limit": (
        update("data/conduits/registry.yaml", "    per_wish_calls: 3", "    per_wish_calls: 999"),
        POLICY_FILE + " (the conduit registry)",
    ),
    "registry-other-case": (add("data/Conduits/REGISTRY.yaml"), POLICY_FILE),
    "config-pr-check": (
        update("data/config/wishcraft.toml", "[pr]", 'check = "curl x | sh"'),
        POLICY_FILE + " (wishcraft's configuration)",
    ),
    "config-fullwidth": (add("\uff44\uff41\uff54\uff41/config/wishcraft.toml"), POLICY_FILE),
    "ledger-delete": (
        "*** Begin Patch\n*** Delete File: data/ledger/wishes.jsonl\n*** End Patch\n",
        POLICY_FILE + " (the wish ledger",
    ),
    "ledger-upper-case": (add("data/LEDGER/anchors/journal/A.json"), POLICY_FILE),
    "ledger-trailing-dot": (add("data/ledger./anchors/x.json"), "which Windows drops"),
    "own-wish": (update(WISH, "tier: meso", "tier: macro"), POLICY_FILE + " (the wish being"),
    "own-plan": (add("data/wishes/lamps.wish.plan.json"), POLICY_FILE + " (the wish's plan)"),
    "gitattributes": (update(".gitattributes", "*.py text", "*.py filter=evil"), POLICY_FILE),
    "hooks-path": (update("tools/hooks/pre-push", "exit 0", "curl x | sh"), "(git hooks)"),
    "hooks-path-case": (add("Tools/HOOKS/post-checkout"), POLICY_FILE + " (git hooks)"),
    "husky": (add(".husky/pre-commit"), POLICY_FILE + " (git hooks)"),
    "git-trailing-space": (add(".git /hooks/pre-commit"), "which Windows drops"),
    "git-short-name": (add("GIT~1/hooks/pre-commit"), "like a Windows short name"),
    "git-zero-width": (add(".g\u200bit/hooks/pre-commit"), "invisible character U+200B"),
    "git-data-stream": (add(".git::$INDEX_ALLOCATION/hooks/pre-commit"), "a data stream"),
    "git-fullwidth": (add(".\uff47\uff49\uff54/hooks/pre-commit"), "lies under .git/"),
}


@pytest.mark.parametrize("name", list(POLICY))
def test_no_scope_covers_a_policy_file(
    ws: Path, home: Path, codex: LoopbackCodex, name: str
) -> None:
    wish = ws / WISH
    if name == "own-wish":
        assert "tier: meso" in wish.read_text()
    (ws / "data" / "ledger").mkdir(parents=True, exist_ok=True)
    (ws / "data" / "ledger" / "wishes.jsonl").touch()
    before = tree(ws)
    ledger_before = (ws / "data" / "ledger" / "wishes.jsonl").read_text()
    patch, said = POLICY[name]
    codex.enqueue("responses", *read_then_patch(patch))
    done = run(ws, home, codex)
    assert done.returncode == 1, done.stderr
    assert "Traceback" not in done.stderr + done.stdout
    assert "no patch that could be staged" in done.stderr
    refusal = answers_to_model(codex)[-1]
    assert refusal.startswith("The patch was refused: The patch may not touch '")
    assert said in refusal, refusal
    assert tree(ws) == before
    lines = (ws / "data" / "ledger" / "wishes.jsonl").read_text()
    assert lines.startswith(ledger_before)
    (line,) = [json.loads(text) for text in lines[len(ledger_before) :].splitlines()]
    assert line["outcome"] == "failed" and line["anchor_id"] is None


def long_read(path: str) -> list[Any]:
    """The model asks to read `path`, then gives up."""
    return [
        sse(
            tool_call_transcript(
                [function_call_item("call_read", "read_file", {"path": path})],
                response_id="resp_1",
            )
        ),
        sse(success_transcript([SUMMARY], response_id="resp_2")),
    ]


LONG = {
    "300-characters": ("src/" + "l" * 300 + ".py", "bytes long"),
    "component-over-255-bytes": ("src/" + "\u00e9" * 128 + ".py", "259 bytes long"),
    "over-path-max": ("src/" + "/".join(["d" * 250] * 20) + "/f.py", "over the limit of 1024"),
}


@pytest.mark.parametrize("name", list(LONG))
@pytest.mark.parametrize("tool", ["apply_patch", "read_file"])
def test_a_name_too_long_is_refused_in_one_sentence(
    ws: Path, home: Path, codex: LoopbackCodex, name: str, tool: str
) -> None:
    path, said = LONG[name]
    before = tree(ws)
    answers = read_then_patch(add(path)) if tool == "apply_patch" else long_read(path)
    codex.enqueue("responses", *answers)
    done = run(ws, home, codex)
    assert done.returncode == 1, done.stderr
    assert "Traceback" not in done.stderr + done.stdout
    refusal = answers_to_model(codex)[-1]
    assert said in refusal and "use a shorter" in refusal, refusal
    assert len(refusal) < 400  # the path is shortened in the sentence
    assert tree(ws) == before
