"""`wishcraft lint --format github|sarif`: the formats CI systems read, checked against them.

GitHub: every line is one workflow command of the toolkit's grammar, one per finding, and a
hostile key cannot start a second command. SARIF: the log validates against the SARIF 2.1.0
schema (tests/fixtures/sarif/), and holds the same findings, at the same places, as JSON.
"""

from __future__ import annotations

import json
import re
import tomllib
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml

from testkit.paths import EXAMPLES
from wishcraft.cli import main
from wishcraft.kinds import classify

SARIF_SCHEMA = Path(__file__).parents[1] / "fixtures" / "sarif" / "sarif-2.1.0-rtm.5.json"

COMMAND = re.compile(
    r"^::(?P<level>error|warning|notice) "
    r"file=(?P<file>[^,:]+),line=(?P<line>\d+),col=(?P<col>\d+),"
    r"endLine=(?P<end_line>\d+),endColumn=(?P<end_col>\d+),title=wishcraft (?P<code>[a-z0-9-]+)"
    r"::(?P<message>[^\r\n]*)$"
)

HOSTILE_KEY = '"x\\n::warning file=evil::pwned %0A": 1\n'
"""A key whose text holds a newline, a workflow command and an escape of GitHub's own."""


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    status = main(list(argv))
    captured = capsys.readouterr()
    return status, captured.out, captured.err


def json_findings(capsys: pytest.CaptureFixture[str], path: Path) -> list[dict[str, Any]]:
    _, out, _ = run(capsys, "lint", "--format", "json", str(path))
    findings: list[dict[str, Any]] = json.loads(out)["findings"]
    return findings


def hostile_wish(tmp_path: Path) -> Path:
    source = (EXAMPLES / "data" / "wishes" / "lighthouse.wish.yaml").read_text(encoding="utf-8")
    wish = tmp_path / "hostile.wish.yaml"
    wish.write_text(source + HOSTILE_KEY, encoding="utf-8")
    return wish


def test_github_prints_one_command_per_finding(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(EXAMPLES.parent)
    broken = Path("examples") / "broken"
    expected = json_findings(capsys, broken)
    status, out, err = run(capsys, "lint", "--format", "github", str(broken))
    assert status == 1
    commands = [COMMAND.match(line) for line in out.splitlines()]
    assert all(commands), out
    got = [(m["file"], int(m["line"]), int(m["col"]), m["code"]) for m in commands if m is not None]
    want = [
        (
            Path(f["path"]).as_posix(),
            f["range"]["start"]["line"] + 1,
            f["range"]["start"]["column"] + 1,
            f["code"],
        )
        for f in expected
    ]
    assert got == want
    levels = {m["level"] for m in commands if m is not None}
    assert "error" in levels and levels <= {"error", "warning", "notice"}
    assert "lint: failed" not in err  # the summary is for people; annotations stand alone


def test_github_escapes_text_from_the_file(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    wish = hostile_wish(tmp_path)
    expected = json_findings(capsys, wish)
    _, out, _ = run(capsys, "lint", "--format", "github", wish.name)
    lines = out.splitlines()
    assert len(lines) == len(expected)
    assert all(COMMAND.match(line) for line in lines), out
    assert not any(line.startswith("::warning file=evil") for line in lines)
    unknown = next(line for line in lines if "unknown-key" in line)
    assert "%0A::warning file=evil::pwned %250A" in unknown


def test_quiet_keeps_only_errors_in_github_format(capsys: pytest.CaptureFixture[str]) -> None:
    _, out, _ = run(capsys, "lint", "-q", "--format", "github", str(EXAMPLES / "broken"))
    assert out and all(line.startswith("::error ") for line in out.splitlines())


def test_sarif_validates_and_holds_every_finding(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(EXAMPLES.parent)
    broken = Path("examples") / "broken"
    expected = json_findings(capsys, broken)
    status, out, _ = run(capsys, "lint", "--format", "sarif", str(broken))
    assert status == 1
    log = json.loads(out)
    schema = json.loads(SARIF_SCHEMA.read_text(encoding="utf-8"))
    jsonschema.validate(log, schema)
    (run_,) = log["runs"]
    rules = run_["tool"]["driver"]["rules"]
    results = run_["results"]
    assert run_["columnKind"] == "unicodeCodePoints"
    got = []
    for result in results:
        assert rules[result["ruleIndex"]]["id"] == result["ruleId"]
        location = result["locations"][0]["physicalLocation"]
        region = location["region"]
        assert location["artifactLocation"]["uriBaseId"] == "%SRCROOT%"
        got.append(
            (
                location["artifactLocation"]["uri"],
                region["startLine"],
                region["startColumn"],
                result["ruleId"],
                result["message"]["text"],
            )
        )
    want = [
        (
            Path(f["path"]).as_posix(),
            f["range"]["start"]["line"] + 1,
            f["range"]["start"]["column"] + 1,
            f["code"],
            f["message"],
        )
        for f in expected
    ]
    assert got == want
    assert run_["invocations"][0]["executionSuccessful"] is True


def test_sarif_names_unreadable_files_and_quotes_paths(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    folder = tmp_path / "my wishes"
    folder.mkdir()
    hostile_wish(folder)
    (folder / "unreadable.wish.yaml").write_bytes(b"title: \xff\xfe\n")
    status, out, _ = run(capsys, "lint", "--format", "sarif", "my wishes")
    log = json.loads(out)
    jsonschema.validate(log, json.loads(SARIF_SCHEMA.read_text(encoding="utf-8")))
    (run_,) = log["runs"]
    uris = {
        r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] for r in run_["results"]
    }
    assert "my%20wishes/hostile.wish.yaml" in uris
    assert status == 1
    invocation = run_["invocations"][0]
    assert invocation["executionSuccessful"] is False
    (notice,) = invocation["toolExecutionNotifications"]
    assert "unreadable.wish.yaml is not UTF-8 text" in notice["message"]["text"]


@pytest.mark.parametrize(
    ("path", "linted"),
    [
        ("add-kelvin.wish.yaml", True),
        ("deep/er/add-kelvin.wish.yml", True),
        ("data/wishes/lighthouse.yaml", True),
        ("data/wishes/sub/docs.yml", True),
        ("data/conduits/registry.yaml", True),
        ("conduits/registry.yml", True),
        (".github/workflows/test.yml", False),
        ("docker-compose.yaml", False),
        ("wishes.yaml", False),
        ("data/wishes/notes.md", False),
    ],
)
def test_the_pre_commit_hook_picks_the_files_the_linter_classifies(path: str, linted: bool) -> None:
    root = Path(__file__).parents[2]
    (hook,) = yaml.safe_load((root / ".pre-commit-hooks.yaml").read_text(encoding="utf-8"))
    scripts = tomllib.loads((root / "pyproject.toml").read_text(encoding="utf-8"))["project"][
        "scripts"
    ]
    assert hook["id"] == "wishcraft-lint"
    assert hook["entry"].split()[0] in scripts
    assert hook["entry"].split()[1:] == ["lint"]
    picked = re.search(hook["files"], path) is not None
    assert picked is linted
    assert picked is (classify(path) is not None)
