"""The pure helpers of bench/bench_peers.py: a mark in docs/peers.md means what its legend says.

A feature is "announced" only by a capability that claims it or a registration that names it
(workspace diagnostics only with `workspaceDiagnostics: true`), and "answers" only with a
result a user would see; every needle of the fixtures still finds its place in the 5,000-line
files, so the large figures are taken where the small ones are.
"""

from __future__ import annotations

import contextlib
import os
import sys
from pathlib import Path
from typing import Any

import pytest

from bench_peers import Runs, render, run_all
from peer_probe import (
    FEATURES,
    announced,
    figure,
    markdown_table,
    non_empty,
    percentile,
    ratio,
    section,
)
from peer_servers import PYTHON, TOML, WISH, WORKFLOW, Kind, Peer, Spot, position

FEATURE = {feature.name: feature for feature in FEATURES}


@pytest.mark.parametrize(
    ("name", "capabilities", "registrations", "expected"),
    [
        ("references", {"referencesProvider": True}, [], "static"),
        ("references", {"referencesProvider": {}}, [], "static"),
        ("references", {"referencesProvider": False}, [], "no"),
        ("references", {}, [], "no"),
        ("formatting", {}, [{"method": "textDocument/formatting"}], "dynamic"),
        ("formatting", {}, [{"method": "textDocument/rangeFormatting"}], "no"),
        ("pull diagnostics", {"diagnosticProvider": {"interFileDependencies": True}}, [], "static"),
        (
            "diagnostics for files not open",
            {"diagnosticProvider": {"workspaceDiagnostics": False}},
            [],
            "no",
        ),
        (
            "diagnostics for files not open",
            {"diagnosticProvider": {"workspaceDiagnostics": True}},
            [],
            "static",
        ),
        (
            "diagnostics for files not open",
            {},
            [{"method": "textDocument/diagnostic", "registerOptions": {}}],
            "no",
        ),
        (
            "diagnostics for files not open",
            {},
            [
                {
                    "method": "textDocument/diagnostic",
                    "registerOptions": {"workspaceDiagnostics": True},
                }
            ],
            "dynamic",
        ),
        ("anchors: definition and rename", {"definitionProvider": True}, [], "no"),
        (
            "anchors: definition and rename",
            {"definitionProvider": True, "renameProvider": {"prepareProvider": True}},
            [],
            "static",
        ),
        (
            "anchors: definition and rename",
            {"definitionProvider": True},
            [{"method": "textDocument/rename"}],
            "dynamic",
        ),
    ],
    ids=lambda value: value if isinstance(value, str) else None,
)
def test_a_feature_is_announced_only_by_a_claim_or_a_registration(
    name: str, capabilities: dict[str, Any], registrations: list[dict[str, Any]], expected: str
) -> None:
    assert announced(FEATURE[name], capabilities, registrations) == expected


@pytest.mark.parametrize(
    ("result", "expected"),
    [
        (None, False),
        ([], False),
        ([{"uri": "file:///a", "range": {}}], True),
        ({"uri": "file:///a", "range": {}}, True),
        ({"isIncomplete": False, "items": []}, False),
        ({"isIncomplete": False, "items": [{"label": "meso"}]}, True),
        ({"kind": "full", "items": []}, False),
        ({"kind": "full", "items": [{"message": "x"}]}, True),
        ({"data": []}, False),
        ({"data": [0, 1, 4, 0, 0]}, True),
        ({"contents": {"kind": "markdown", "value": "  "}}, False),
        ({"contents": {"kind": "markdown", "value": "**tier**"}}, True),
        ({"contents": ["", {"language": "yaml", "value": ""}]}, False),
        ({"contents": "text"}, True),
        ({"changes": {"file:///a": []}}, False),
        ({"changes": {"file:///a": [{"newText": "b"}]}}, True),
        ({"documentChanges": []}, False),
        ({"documentChanges": [{"textDocument": {}, "edits": []}]}, True),
    ],
    ids=repr,
)
def test_an_answer_counts_only_when_it_carries_something(result: Any, expected: bool) -> None:
    assert non_empty(result) is expected


def test_configuration_sections_are_read_by_their_dotted_names() -> None:
    settings = {"python": {"analysis": {"diagnosticMode": "workspace"}}, "yaml": {"hover": True}}
    assert section(settings, "python.analysis") == {"diagnosticMode": "workspace"}
    assert section(settings, "yaml.hover") is True
    assert section(settings, "yaml.missing") is None
    assert section(settings, "yaml.hover.deeper") is None
    assert section(settings, None) == settings


def test_percentiles_and_ratios_are_nearest_rank_and_ours_over_theirs() -> None:
    values = [float(n) for n in range(1, 101)]
    assert percentile(values, 0.99) == 99.0
    assert percentile(values, 0.5) == 50.0
    assert percentile([3.0], 0.99) == 3.0
    assert ratio([1.0, 2.0, 3.0], [10.0, 20.0, 30.0]) == "0.10×"
    assert ratio([], [1.0]) == "—"
    assert figure([]) == "—"
    assert figure([1.0, 2.0, 300.0]) == "2.0 / 300"


def test_a_pipe_in_a_cell_stays_in_its_cell() -> None:
    table = markdown_table(["a", "b"], [["x | y", "z"]])
    assert table.splitlines()[2] == "| x \\| y | z |"
    assert table.splitlines()[1] == "|---|---|"


@pytest.mark.parametrize("kind", [WISH, WORKFLOW, TOML, PYTHON], ids=lambda kind: kind.name)
def test_every_spot_is_in_the_typical_and_the_large_file(kind: Kind) -> None:
    typical, large = kind.text(), kind.large()
    assert 30 <= typical.count("\n") <= 60
    assert 5_000 <= large.count("\n") <= 5_100
    for name, spot in kind.spots.items():
        assert spot.needle in typical, name
        line, column = position(typical, spot)
        assert typical.split("\n")[line][column - spot.offset :].startswith(spot.needle)
        assert spot.needle in large, name
    changed = position(typical, kind.spots["change"])
    assert typical.split("\n")[changed[0]][changed[1]].isdigit()  # the change swaps a digit


def test_a_position_counts_lines_and_columns_from_zero() -> None:
    assert position("ab\ncd: 7\n", Spot("cd", 4)) == (1, 4)


def _broken(name: str, command: list[str], install_fails: bool = False) -> Peer:
    return Peer(
        name,
        WISH,
        command,
        (lambda: "npm install failed: E404") if install_fails else (lambda: None),
        lambda: "0",
    )


async def test_a_server_that_cannot_be_installed_or_started_is_reported_and_the_next_runs(
    tmp_path: Path,
) -> None:
    """Each failure is its own row's reason; the servers after it are still tried."""
    runs = {"typical": Runs(1, 1, 1), "large": Runs(1, 1, 1)}
    chosen = [
        _broken("not installed", ["true"], install_fails=True),
        _broken("no binary", [str(tmp_path / "missing-server"), "--stdio"]),
        _broken("exits", [sys.executable, "-c", "import sys; sys.exit('no workspace, no server')"]),
    ]
    reports = await run_all(chosen, runs, cold_runs=1, budget=60)
    reasons = {report.peer.name: report.unavailable for report in reports}
    assert reasons["not installed"] == "npm install failed: E404"
    assert (reasons["no binary"] or "").startswith("FileNotFoundError")
    assert reasons["exits"] == (
        "exited with status 1 before answering initialize: no workspace, no server"
    )
    rows = {line.split(" | ")[0]: line for line in render(reports, runs, 1).splitlines()}
    for name, reason in reasons.items():
        assert f"unavailable: {reason}" in rows[f"| {name}"]


@pytest.mark.slow
async def test_a_silent_server_is_stopped_at_its_budget_and_killed() -> None:
    """A server that never answers `initialize` costs its budget and a kill, not the run."""
    runs = {"typical": Runs(1, 1, 1), "large": Runs(1, 1, 1)}
    silent = _broken("silent", [sys.executable, "-c", "import sys; sys.stdin.buffer.read()"])
    before = _python_children()
    (report,) = await run_all([silent], runs, cold_runs=1, budget=1)
    assert report.unavailable == "nothing measured within its 1 s budget"
    assert _python_children() - before == set()  # the silent server was killed, not left


def _python_children() -> set[int]:
    """The live processes whose parent is this test's process."""
    mine = str(os.getpid())
    found = set()
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            with contextlib.suppress(OSError):
                fields = (entry / "stat").read_text().rpartition(")")[2].split()
                if fields[1] == mine and fields[0] != "Z":
                    found.add(int(entry.name))
    return found
