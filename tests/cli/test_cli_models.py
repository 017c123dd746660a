"""`wishcraft models` as users run it: a subprocess, the loopback catalog, a fake login."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from testkit.codex_home import write_codex_home
from testkit.loopback import LoopbackCodex


def run_models(
    home: Path, codex: LoopbackCodex, *args: str, **env: str
) -> subprocess.CompletedProcess[str]:
    environment = {
        key: value
        for key, value in os.environ.items()
        if key not in ("OPENAI_MODEL", "OPENAI_API_KEY")
    }
    environment.update(
        {
            "CODEX_HOME": str(home),
            "CHATGPT_BASE_URL": codex.base_url,
            "PATH": "/usr/bin:/bin",
            **env,
        }
    )
    return subprocess.run(
        [sys.executable, "-m", "wishcraft.cli", "models", *args],
        env=environment,
        capture_output=True,
        text=True,
        timeout=60,
        cwd=home.parent,
    )


def test_the_catalog_from_the_backend_as_a_table(codex: LoopbackCodex, tmp_path: Path) -> None:
    home = write_codex_home(tmp_path / "codex")
    done = run_models(home, codex)
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert lines[0].split() == ["model", "efforts", "(*", "default)", "needs", "Codex", "API"]
    assert lines[1].split()[:2] == [">", "gpt-6.1-sol"]
    assert "codex-auto-review" not in done.stdout
    assert "catalog: GET /models" in done.stdout
    assert "Codex version presented: 0.171.0 (the built-in default)" in done.stdout
    (request,) = codex.route_requests("models")
    assert request.query == "client_version=0.171.0"
    assert "gpt-6-luna" in done.stdout and "minimal low* medium" in done.stdout


def test_json_lists_every_entry_with_the_choice(codex: LoopbackCodex, tmp_path: Path) -> None:
    home = write_codex_home(tmp_path / "codex")
    done = run_models(home, codex, "--format", "json", OPENAI_MODEL="gpt-6-luna")
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout)
    assert report["default"] == "gpt-6.1-sol"
    assert report["plan"] == {
        "model": "gpt-6-luna",
        "source": "the environment variable OPENAI_MODEL",
        "effort": "low",
        "notes": [],
    }
    slugs = [model["slug"] for model in report["models"]]
    assert slugs[0] == "codex-auto-review" and "gpt-5.6-terra" in slugs
    hidden = report["models"][0]
    assert hidden["visibility"] == "hide" and hidden["default"] is False
    assert report["catalog"]["source"] == "GET /models" and report["login"] == "chatgpt"


def test_offline_without_a_login_uses_the_builtin_table(
    codex: LoopbackCodex, tmp_path: Path
) -> None:
    home = tmp_path / "codex"
    home.mkdir()
    done = run_models(home, codex, "--all")
    assert done.returncode == 0, done.stderr
    assert "catalog: built-in" in done.stdout and "codex-auto-review (hide)" in done.stdout
    assert "no Codex login" in done.stdout
    assert codex.requests == []


def test_a_bad_configuration_is_one_sentence(codex: LoopbackCodex, tmp_path: Path) -> None:
    home = write_codex_home(tmp_path / "codex")
    (home / "config.toml").write_text('model_reasoning_effort = "enormous"\n')
    done = run_models(home, codex)
    assert done.returncode == 1
    assert done.stderr.startswith("wishcraft: ") and "model_reasoning_effort" in done.stderr
    assert "Traceback" not in done.stderr
