"""`wishcraft init` as a new user runs it: a fresh repository, one already set up, a plain folder.

Each test runs the CLI as a subprocess in a real git repository (or folder) of its own and
checks what is on disk: the registry is scoped to this repository and loads, the starter wish
lints with no finding at all and passes the gates of a shadow plan and apply, nothing that
exists is overwritten, and no link is followed.
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest
import yaml

from testkit.cli_run import run_wishcraft
from wishcraft.scaffold import CONFIG_PATH, IGNORED, REGISTRY_PATH, WISH_PATH


def wishcraft(*args: str | Path, cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {
        "NO_COLOR": "1",
        "XDG_CACHE_HOME": str(cwd.parent / "cache"),
        "CODEX_HOME": str(cwd.parent / "no-codex-home"),
    }
    return run_wishcraft(*args, cwd=cwd, env=env)


def git(*args: str, cwd: Path) -> None:
    subprocess.run(["git", *args], cwd=cwd, check=True, capture_output=True, timeout=30)


@pytest.fixture()
def repo(tmp_path: Path) -> Path:
    """A small Python project in git with a remote, as a new user has one."""
    root = tmp_path / "kelvin-project"
    (root / "src" / "kelvin").mkdir(parents=True)
    (root / "tests").mkdir()
    (root / "src" / "kelvin" / "__init__.py").write_text("ZERO = 273.15\n")
    (root / "README.md").write_text("# Kelvin\n\nConverts temperatures.\n")
    (root / "pyproject.toml").write_text('[project]\nname = "kelvin"\n')
    git("init", "-q", cwd=root)
    git("config", "user.name", "Ada Lovelace", cwd=root)
    git("remote", "add", "origin", "git@github.com:ada/kelvin.git", cwd=root)
    return root


def lint_json(path: Path, cwd: Path) -> list[dict[str, object]]:
    done = wishcraft("lint", "--format", "json", path, cwd=cwd)
    findings: list[dict[str, object]] = json.loads(done.stdout)["findings"]
    return findings


def test_init_in_a_fresh_repository_sets_up_a_clean_loop(repo: Path) -> None:
    done = wishcraft("init", cwd=repo)
    assert done.returncode == 0, done.stderr
    for path in (REGISTRY_PATH, WISH_PATH, CONFIG_PATH, ".gitignore"):
        assert (repo / path).is_file(), path
    registry = yaml.safe_load((repo / REGISTRY_PATH).read_text())
    plan, apply = registry
    assert {scope["repo"] for entry in registry for scope in entry["scopes"]} == {"kelvin"}
    assert apply["scopes"][0]["paths"] == ["README.md", "pyproject.toml", "src/**", "tests/**"]
    assert "data/wishes/**" in plan["scopes"][0]["paths"]
    assert "data/wishes/**" not in apply["scopes"][0]["paths"]
    assert set(apply["scopes"][0]["actions"]) == {"apply", "rollback", "open_pr"}
    # Lint clean: no error, no warning, not even information, for the wish and the registry.
    assert lint_json(repo, cwd=repo) == []
    wish = yaml.safe_load((repo / WISH_PATH).read_text())
    assert wish["meta"]["author_id"] == "Ada Lovelace"
    assert wish["tier"] == "meso"
    # The gates let the starter wish through: a shadow plan, then the apply's shadow run.
    planned = wishcraft("plan", WISH_PATH, "--shadow", cwd=repo)
    assert planned.returncode == 0, planned.stderr
    shadow = wishcraft("apply", WISH_PATH, "--shadow", cwd=repo)
    assert shadow.returncode == 0, shadow.stderr
    assert "README.md" in shadow.stderr
    ignored = (repo / ".gitignore").read_text().splitlines()
    assert set(IGNORED) <= set(ignored)
    assert "kelvin" in done.stdout and WISH_PATH in done.stdout


def test_init_twice_keeps_every_file_byte_for_byte(repo: Path) -> None:
    assert wishcraft("init", cwd=repo).returncode == 0
    (repo / WISH_PATH).write_text((repo / WISH_PATH).read_text() + "# my edit\n")
    before = {path: (repo / path).read_bytes() for path in (REGISTRY_PATH, WISH_PATH, CONFIG_PATH)}
    gitignore = (repo / ".gitignore").read_bytes()
    again = wishcraft("init", cwd=repo)
    assert again.returncode == 0
    after = {path: (repo / path).read_bytes() for path in before}
    assert after == before
    assert (repo / ".gitignore").read_bytes() == gitignore
    assert again.stdout.count("(it exists)") == 3
    assert "--dry-run" in again.stdout


def test_init_adds_only_the_missing_gitignore_lines(repo: Path) -> None:
    (repo / ".gitignore").write_text("__pycache__/\n*.patch")  # no final newline
    assert wishcraft("init", cwd=repo).returncode == 0
    lines = (repo / ".gitignore").read_text().splitlines()
    assert lines[:2] == ["__pycache__/", "*.patch"]
    assert lines.count("*.patch") == 1
    assert set(IGNORED) <= set(lines)


def test_init_in_a_plain_folder_names_the_folder(tmp_path: Path) -> None:
    folder = tmp_path / "notes"
    folder.mkdir()
    done = wishcraft("init", cwd=folder)
    assert done.returncode == 0, done.stderr
    registry = yaml.safe_load((folder / REGISTRY_PATH).read_text())
    assert {scope["repo"] for entry in registry for scope in entry["scopes"]} == {"notes"}
    assert registry[1]["scopes"][0]["paths"] == ["**"]
    assert "folder name" in done.stdout
    assert lint_json(folder, cwd=folder) == []


def test_dry_run_prints_every_file_and_writes_none(repo: Path) -> None:
    done = wishcraft("init", "--dry-run", cwd=repo)
    assert done.returncode == 0
    for path in (REGISTRY_PATH, WISH_PATH, CONFIG_PATH, ".gitignore"):
        assert f"--- would write {path} ---" in done.stdout
        assert not (repo / path).exists()
    assert 'repo: "kelvin"' in done.stdout


def test_init_never_writes_through_a_link(repo: Path, tmp_path: Path) -> None:
    outside = tmp_path / "outside.yaml"
    outside.write_text("precious\n")
    (repo / "data" / "conduits").mkdir(parents=True)
    (repo / REGISTRY_PATH).symlink_to(outside)
    done = wishcraft("init", cwd=repo)
    assert done.returncode == 0
    assert outside.read_text() == "precious\n"
    assert f"kept {REGISTRY_PATH}" in done.stdout


def test_init_refuses_a_missing_folder(tmp_path: Path) -> None:
    done = wishcraft("init", tmp_path / "nope", cwd=tmp_path)
    assert done.returncode == 2
    assert done.stderr.count("\n") == 1 and "is not a folder" in done.stderr


def test_a_bundled_registry_refusal_names_init(repo: Path) -> None:
    """Before init, the bundled registry's apply conduit lists no apply: the refusal says
    which command fixes that."""
    (repo / "data" / "wishes").mkdir(parents=True)
    text = wishcraft("init", "--dry-run", cwd=repo).stdout
    wish = text.split(f"--- would write {WISH_PATH} ---\n", 1)[1].split("# --- would", 1)[0]
    (repo / WISH_PATH).write_text(wish)
    planned = wishcraft("plan", WISH_PATH, "--shadow", cwd=repo)
    assert planned.returncode == 0, planned.stderr
    refused = wishcraft("apply", WISH_PATH, "--dry-run", cwd=repo)
    assert refused.returncode == 3
    assert "run `wishcraft init` to write data/conduits/registry.yaml" in refused.stderr


def test_conduits_list_as_yaml_is_a_registry_that_loads_clean(tmp_path: Path) -> None:
    """`wishcraft conduits list --format yaml` prints a registry file: saved as one, it lints
    with no finding (kebab-case values, as upstream's tools read them) and lists the same."""
    listed = wishcraft("conduits", "list", "--format", "yaml", cwd=tmp_path)
    assert listed.returncode == 0, listed.stderr
    copy = tmp_path / "mine" / "conduits" / "registry.yaml"
    copy.parent.mkdir(parents=True)
    copy.write_text(listed.stdout)
    assert lint_json(copy, cwd=tmp_path) == []
    again = wishcraft("conduits", "list", "--format", "json", cwd=copy.parent.parent)
    bundled = wishcraft("conduits", "list", "--format", "json", cwd=tmp_path)
    assert [c["id"] for c in json.loads(again.stdout)] == [
        c["id"] for c in json.loads(bundled.stdout)
    ]
    assert json.loads(again.stdout) == json.loads(bundled.stdout)


def test_the_readme_opens_with_the_quick_start_and_the_starter_wish(tmp_path: Path) -> None:
    """The README's first 40 lines hold the description, the quick start and the example,
    and the example is the starter wish `wishcraft init` writes (it lints clean)."""
    from testkit.paths import ROOT
    from wishcraft.scaffold import Facts, wish_text

    head = (ROOT / "README.md").read_text(encoding="utf-8").splitlines()[:40]
    text = "\n".join(head)
    assert "wishcraft init" in text and "wishcraft pr" in text
    example = text.split("```yaml\n", 1)[1].split("```", 1)[0]
    facts = Facts("kelvin", "its remote origin", ["README.md"], "Ada", "2026-12-05T00:00:00Z")
    starter = yaml.safe_load(wish_text(facts))
    del starter["meta"]
    assert yaml.safe_load(example) == starter
    root = tmp_path / "kelvin"
    root.mkdir()
    (root / "README.md").write_text("# Kelvin\n")
    assert wishcraft("init", cwd=root).returncode == 0
    (root / "data" / "wishes" / "readme.wish.yaml").write_text(example)
    assert lint_json(root, cwd=root) == []


def test_lint_with_no_path_checks_the_current_folder_naming_the_registry_relative(
    repo: Path,
) -> None:
    """After `init`, `wishcraft lint` alone (as ruff or eslint) checks the repository; a wish
    naming an unknown conduit is an error naming the registry as the user sees it from here
    (`data/conduits/registry.yaml`, never the absolute path)."""
    assert wishcraft("init", cwd=repo).returncode == 0
    wish = repo / WISH_PATH
    wish.write_text(wish.read_text().replace("openai.codex.v2025.plan", "nope.tool"))
    done = wishcraft("lint", cwd=repo)
    assert done.returncode == 1, done.stderr
    (line,) = [line for line in done.stdout.splitlines() if "unknown-conduit" in line]
    assert line.startswith(f"{WISH_PATH}:")
    assert line.endswith(f"`nope.tool` is not a conduit of {REGISTRY_PATH}.")
    assert str(repo) not in done.stdout + done.stderr
    # `fmt` too walks the current folder when given no path: both files, none to change.
    tidy = wishcraft("fmt", "--check", cwd=repo)
    assert tidy.returncode == 0, tidy.stderr
    assert "0 of the 2 wish and registry files would be reformatted" in tidy.stderr
    # From the folder above, the path from there; from a folder beside it, the full path.
    above = wishcraft("lint", repo / WISH_PATH, cwd=repo.parent)
    assert f"is not a conduit of {repo.name}/{REGISTRY_PATH}." in above.stdout
    beside = repo.parent / "elsewhere"
    beside.mkdir()
    elsewhere = wishcraft("lint", repo / WISH_PATH, cwd=beside)
    assert f"is not a conduit of {repo / REGISTRY_PATH}." in elsewhere.stdout
