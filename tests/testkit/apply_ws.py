"""A workspace to apply a plan in, and the loopback transcripts of issue 14's scenario.

The workspace holds a registry whose apply conduit may `diff` under `src/**`, a wish that names
it in `tools` (meso: a High-risk conduit is allowed), a current complete plan beside the wish,
and a few files under `src/`. The Codex loopback answers with a `read_file`, then an
`apply_patch`, then a final message (`read_then_patch`).
"""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from lsprotocol import types

from testkit.loopback import (
    custom_tool_call_item,
    function_call_item,
    sse,
    success_transcript,
    tool_call_transcript,
)
from testkit.paths import ROOT
from wishcraft.model import ExecMode
from wishcraft.plan.artifact import PlanArtifact, PlanStatus

APPLY_ID = "openai.codex.v2025.apply"

REGISTRY = f"""\
- id: "openai.codex.v2025.plan"
  label: "OpenAI Codex (Plan Builder)"
  disposition: Literalist
  domains: [Code]
  scopes:
    - repo: "*"
      paths: ["**"]
      actions: ["plan"]
  risk_class: Medium
  determinism: Stochastic
  latency_class: Short
  permissions: ["code.plan"]
  limits:
    per_wish_calls: 10
  audit_fields: ["prompt_hash", "model", "tokens_used"]

- id: "{APPLY_ID}"
  label: "OpenAI Codex (Apply Patch)"
  disposition: Maximizer
  domains: [Code]
  scopes:
    - repo: "*"
      paths: ["src/**", "!src/private/**"]
      actions: ["open_pr", "diff"]
  risk_class: High
  determinism: Stochastic
  latency_class: Short
  permissions: ["code.diff", "code.open_pr"]
  limits:
    per_wish_calls: 3
  audit_fields: ["diff_hash", "pr_url", "model"]

- id: "worldsmith.place"
  label: "Worldsmithing Placement"
  disposition: Literalist
  domains: [WorldAuthoring]
  scopes:
    - zone: "*"
      actions: ["place", "remove"]
  risk_class: Low
  determinism: Deterministic
  latency_class: Instant
  permissions: ["place", "remove"]
  audit_fields: ["placements_count"]

- id: "cartographer.survey"
  label: "Cartographer Survey"
  disposition: Literalist
  domains: [WorldAuthoring]
  risk_class: Low
  determinism: Deterministic
  latency_class: Long
  permissions: ["map.read"]
  audit_fields: ["tiles_surveyed"]
"""

LIGHTHOUSE_TEXT = (
    ROOT / "tests" / "lsp" / "workspace" / "data" / "wishes" / "lighthouse.wish.yaml"
).read_text(encoding="utf-8")
WISH_TEXT = LIGHTHOUSE_TEXT.replace(
    '  - "openai.codex.v2025.plan"\n', f'  - "openai.codex.v2025.plan"\n  - "{APPLY_ID}"\n'
)
assert WISH_TEXT != LIGHTHOUSE_TEXT
WISH_NAME = "lamps.wish.yaml"
STEPS = [
    "Count three lamps in src/lamps.py (acceptance: lamps = 3)",
    "Add src/beacon.py with the beacon's colour (acceptance: the file exists)",
]

LAMPS = "lamps = 2\nlit = False\n"
GALLERY = "tiles = 12\n"
OLD = "unused = True\n"

UPDATE = (
    "*** Begin Patch\n*** Update File: src/lamps.py\n@@\n-lamps = 2\n+lamps = 3\n"
    " lit = False\n*** End Patch\n"
)
ADD = "*** Begin Patch\n*** Add File: src/beacon.py\n+colour = 'amber'\n*** End Patch\n"
DELETE = "*** Begin Patch\n*** Delete File: src/old.py\n*** End Patch\n"
MOVE = (
    "*** Begin Patch\n*** Update File: src/gallery.py\n*** Move to: src/lantern/gallery.py\n"
    "@@\n-tiles = 12\n+tiles = 13\n*** End Patch\n"
)
ALL = (
    "*** Begin Patch\n"
    "*** Update File: src/lamps.py\n@@\n-lamps = 2\n+lamps = 3\n lit = False\n"
    "*** Add File: src/beacon.py\n+colour = 'amber'\n"
    "*** Delete File: src/old.py\n"
    "*** Update File: src/gallery.py\n*** Move to: src/lantern/gallery.py\n"
    "@@\n-tiles = 12\n+tiles = 13\n"
    "*** End Patch\n"
)
SUMMARY = "Three lamps now; the beacon has its colour."


def make_workspace(root: Path, *, wish_text: str = WISH_TEXT, plan: bool = True) -> Path:
    """Write the workspace under `root`; return the wish's path."""
    (root / "data" / "conduits").mkdir(parents=True)
    (root / "data" / "conduits" / "registry.yaml").write_text(REGISTRY)
    wishes = root / "data" / "wishes"
    wishes.mkdir(parents=True)
    wish = wishes / WISH_NAME
    wish.write_text(wish_text)
    src = root / "src"
    (src / "private").mkdir(parents=True)
    (src / "lamps.py").write_text(LAMPS)
    (src / "gallery.py").write_text(GALLERY)
    (src / "old.py").write_text(OLD)
    (src / "private" / "key.py").write_text("key = 'do not touch'\n")
    (root / "README.txt").write_text("outside the scope\n")
    if plan:
        write_plan(wish, wish_text)
    return wish


def add_apply_files(root: Path) -> Path:
    """Add the apply scenario to a copy of the test workspace (tests/lsp/workspace): the apply
    conduit's scope gets `diff` under `src/**`, `src/lamps.py`, and the wish with its current
    plan. Returns the wish's path."""
    registry = root / "data" / "conduits" / "registry.yaml"
    text = registry.read_text()
    scope = '    - repo: "ruinsofatlantis"\n      actions: ["open_pr"]\n'
    assert scope in text
    registry.write_text(
        text.replace(
            scope, '    - repo: "*"\n      paths: ["src/**"]\n      actions: ["open_pr", "diff"]\n'
        )
    )
    (root / "src").mkdir(exist_ok=True)
    (root / "src" / "lamps.py").write_text(LAMPS)
    wish = root / "data" / "wishes" / WISH_NAME
    wish.write_text(WISH_TEXT)
    write_plan(wish, WISH_TEXT)
    return wish


def write_plan(wish: Path, wish_text: str, *, status: PlanStatus = PlanStatus.COMPLETE) -> Path:
    """A plan artifact for the wish, as `wishcraft plan` writes it."""
    path = wish.with_name(wish.name.removesuffix(".yaml") + ".plan.json")
    PlanArtifact(
        plan_steps=STEPS,
        notes=["Keep the tide simulation untouched"],
        model="gpt-6.1-sol",
        prompt_hash="0" * 64,
        mode=ExecMode.COMMIT,
        status=status,
        wish_title="Relight the Sunken Quarter lighthouse",
        wish_path=str(wish),
        wish_hash=hashlib.sha256(wish_text.encode()).hexdigest(),
        started_at=datetime.now(UTC),
    ).write(path)
    return path


def read_then_patch(patch: str, *, custom: bool = True) -> list[Any]:
    """The three answers of issue 14's scenario, as loopback responses."""
    item = (
        custom_tool_call_item("call_patch", "apply_patch", patch)
        if custom
        else function_call_item("call_patch", "apply_patch", {"input": patch})
    )
    return [
        sse(
            tool_call_transcript(
                [function_call_item("call_read", "read_file", {"path": "src/lamps.py"})],
                response_id="resp_1",
            )
        ),
        sse(tool_call_transcript([item], response_id="resp_2", text="Here is the change.")),
        sse(success_transcript([SUMMARY[:20], SUMMARY[20:]], response_id="resp_3")),
    ]


def tree(root: Path) -> dict[str, str]:
    """Every file under `root` but the ledger and the plan files, with its text."""
    return {
        path.relative_to(root).as_posix(): path.read_text(errors="replace")
        for path in sorted(root.rglob("*"))
        if path.is_file()
        and "ledger" not in path.parts
        and not path.name.endswith((".patch", ".lock"))
    }


def apply_text(text: str, edits: list[Any]) -> str:
    """Apply LSP text edits (ASCII text: UTF-16 units are characters) to `text`."""
    lines = text.splitlines(keepends=True)
    starts = [0]
    for line in lines:
        starts.append(starts[-1] + len(line))

    def offset(position: types.Position) -> int:
        if position.line >= len(lines):
            return len(text)
        return starts[position.line] + min(position.character, len(lines[position.line]))

    for edit in sorted(
        edits, key=lambda e: (e.range.start.line, e.range.start.character), reverse=True
    ):
        text = text[: offset(edit.range.start)] + edit.new_text + text[offset(edit.range.end) :]
    return text
