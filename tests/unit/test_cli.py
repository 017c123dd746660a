"""The `wishcraft` command as CI uses it: output format, exit codes, JSON, folders."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

from testkit.paths import EXAMPLES, SHARED_EXAMPLES
from wishcraft.cli import main

LINE = re.compile(
    r"^(?P<path>.+):(?P<line>\d+):(?P<col>\d+): (?P<severity>error|warning|info|hint)"
    r" (?P<code>[a-z0-9-]+) (?P<message>.+)$"
)


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    status = main(list(argv))
    captured = capsys.readouterr()
    return status, captured.out, captured.err


def test_the_real_wish_breaks_only_the_plan_length_rule(capsys: pytest.CaptureFixture[str]) -> None:
    status, out, err = run(capsys, "lint", str(SHARED_EXAMPLES / "wishcraft-docs.yaml"))
    assert status == 0
    findings = []
    for line in out.splitlines():
        match = LINE.match(line)
        assert match is not None, line
        findings.append(match.groupdict())
    warnings_and_errors = [f for f in findings if f["severity"] in ("error", "warning")]
    assert [(f["code"], f["line"], f["col"]) for f in warnings_and_errors] == [
        ("plan-too-long", "26", "5")
    ]
    assert "9 steps" in warnings_and_errors[0]["message"]
    # The design doc also asks for quantities and a time bound: information, not errors.
    assert {f["code"] for f in findings} - {"plan-too-long"} == {
        "objective-no-quantity",
        "objective-no-time-bound",
    }
    assert "lint: ok" in err


def test_the_real_registry_passes_with_only_the_spelling_infos(
    capsys: pytest.CaptureFixture[str],
) -> None:
    """Upstream's own registry is PascalCase, which upstream's crate refuses: we accept it and
    say so in one info per value (the deliberate difference), and nothing else."""
    status, out, _ = run(capsys, "lint", str(SHARED_EXAMPLES / "registry.yaml"))
    lines = out.splitlines()
    assert status == 0
    assert len(lines) == 15  # 3 conduits × (disposition, domain, risk, determinism, latency)
    assert all(": info upstream-spelling " in line for line in lines)


def test_broken_examples_fail_with_exit_1(capsys: pytest.CaptureFixture[str]) -> None:
    status, out, err = run(capsys, "lint", str(EXAMPLES / "broken"))
    assert status == 1
    lines = out.splitlines()
    assert all(LINE.match(line) for line in lines)
    assert any("typos.wish.yaml:10:16: error out-of-range" in line for line in lines)
    assert "lint: failed" in err


def test_examples_folder_passes(capsys: pytest.CaptureFixture[str]) -> None:
    status, out, err = run(capsys, "lint", str(EXAMPLES / "data"))
    assert status == 0
    assert "3 files" in err


def test_json_format(capsys: pytest.CaptureFixture[str]) -> None:
    status, out, _ = run(
        capsys, "lint", "--format", "json", str(EXAMPLES / "broken/typos.wish.yaml")
    )
    report = json.loads(out)
    assert status == 1 and report["files"] == 1
    tier = next(f for f in report["findings"] if f["code"] == "invalid-tier")
    assert tier["range"] == {"start": {"line": 20, "column": 6}, "end": {"line": 20, "column": 10}}
    assert tier["data"]["replacement"] == "meso" and tier["keyPath"] == "tier"


def test_missing_path_is_a_usage_error(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    status, _, err = run(capsys, "lint", str(tmp_path / "nope.yaml"))
    assert status == 2 and "no such file" in err


def test_binary_file_is_reported_not_crashed(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    path = tmp_path / "w.wish.yaml"
    path.write_bytes(b"title: \xff\xfe\n")
    status, _, err = run(capsys, "lint", str(path))
    assert status == 1 and "not UTF-8" in err


def test_config_file_changes_severity(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    config = tmp_path / "data" / "config" / "wishcraft.toml"
    config.parent.mkdir(parents=True)
    config.write_text('[lint.severity]\nplan-too-long = "error"\n')
    wish = tmp_path / "data" / "wishes" / "docs.yaml"
    wish.parent.mkdir(parents=True)
    wish.write_text((SHARED_EXAMPLES / "wishcraft-docs.yaml").read_text())
    status, out, _ = run(capsys, "lint", str(wish))
    assert status == 1 and "error plan-too-long" in out
    config.write_text("[lint]\nplan_max_steps = 0\n")
    status, _, err = run(capsys, "lint", str(wish))
    assert status == 2 and "plan_max_steps" in err


def test_conduits_list(capsys: pytest.CaptureFixture[str]) -> None:
    status, out, _ = run(
        capsys, "conduits", "list", "--registry", str(SHARED_EXAMPLES / "registry.yaml")
    )
    assert status == 0
    assert out.splitlines()[0].split() == ["ID", "LABEL", "RISK"]
    assert re.search(
        r"^openai\.codex\.v2025\.plan\s+OpenAI Codex \(Plan Builder\)\s+Medium$", out, re.MULTILINE
    )


def test_court(capsys: pytest.CaptureFixture[str]) -> None:
    status, out, _ = run(
        capsys, "court", "--format", "json", str(EXAMPLES / "data/wishes/lighthouse.wish.yaml")
    )
    report = json.loads(out)
    assert status == 0
    assert (report["clarity"], report["safety"], report["reversibility"]) == (75, 75, 70)
    assert report["thresholds"] == {"clarity": 75, "safety": 70, "reversibility": 70}
    assert report["heat"] == pytest.approx(10 * 1.0 * 1.0 * 1.0 * 1.0 * 1.0 * 1.0, rel=1e-3)


def test_schema_writes_files(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    status, _, err = run(capsys, "schema", "--out", str(tmp_path))
    assert status == 0
    assert (tmp_path / "wish.schema.json").is_file()
    assert "wrote" in err


def test_console_script_runs() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "wishcraft.cli", "lint", str(EXAMPLES / "data")],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr


def test_parallel_run_prints_the_same_as_a_serial_one(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    from wishcraft.cli.lint import PARALLEL_THRESHOLD

    wishes = tmp_path / "wishes"
    wishes.mkdir()
    broken = (EXAMPLES / "broken/typos.wish.yaml").read_text()
    good = (EXAMPLES / "data/wishes/lighthouse.wish.yaml").read_text()
    for n in range(PARALLEL_THRESHOLD + 10):
        (wishes / f"w{n:04d}.yaml").write_text(broken if n % 7 == 0 else good)
    serial = run(capsys, "lint", "--jobs", "1", str(wishes))
    parallel = run(capsys, "lint", "--jobs", "2", str(wishes))
    assert serial == parallel
    assert serial[0] == 1 and serial[1].count("invalid-tier") == len(range(0, 210, 7))
