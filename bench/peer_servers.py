"""The servers bench_peers.py measures, the files each is measured on, and how each is
installed: ours from this checkout, yaml-language-server, the GitHub Actions language server
and pyright from npm into `bench/.node/`, tombi from PyPI into `bench/.pyvenv/` (both
git-ignored). A server that cannot be installed is reported, never fatal.

Each server is measured on its own kind of file under `bench/peers/` (a wish for ours and
yaml-language-server, a workflow for the Actions server, a pyproject.toml for tombi, a Python
module for pyright), about 40 lines each, with one finding, one untidy spacing for the
formatter, and a second file that is never opened; `Kind.large` stretches the open file to
about 5,000 lines by the kind's own filler, so every needle below still finds its place.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
BENCH = ROOT / "bench"
PEERS = BENCH / "peers"
NODE = BENCH / ".node"
PYVENV = BENCH / ".pyvenv"
SCHEMA = ROOT / "schemas" / "wish.schema.json"

OURS = "wishcraft-lsp"
"""Our server's name in the tables; the ratios are its figures over each peer's."""

NPM_PACKAGES = ("yaml-language-server@1", "@actions/languageserver@0.3", "pyright@1")
"""Installed together: `npm install --no-save` prunes what it was not asked for."""


@dataclass(frozen=True)
class Spot:
    """A place in a file: where `needle` first starts, moved right by `offset` characters."""

    needle: str
    offset: int = 0


@dataclass(frozen=True)
class Kind:
    """One kind of file and where in it each request is made."""

    name: str
    folder: str
    path: str
    closed: str
    language_id: str
    variant: str
    spots: dict[str, Spot]
    rename_to: str
    symbol_query: str
    grow_after: str | None
    filler: Callable[[int], str]
    yaml: bool = False

    def text(self) -> str:
        """The open file's text."""
        return (PEERS / self.folder / self.path).read_text(encoding="utf-8")

    def large(self, lines: int = 5_000) -> str:
        """The open file stretched to about `lines` lines by the kind's filler, inserted after
        `grow_after` (or appended), so every spot still finds its needle."""
        text = self.text()
        chunks: list[str] = []
        count = text.count("\n")
        number = 1
        while count < lines:
            chunk = self.filler(number)
            chunks.append(chunk)
            count += chunk.count("\n")
            number += 1
        if self.grow_after is None:
            return text + "".join(chunks)
        head, found, tail = text.partition(self.grow_after)
        assert found, self.grow_after
        return head + found + "".join(chunks) + tail


def position(text: str, spot: Spot) -> tuple[int, int]:
    """The (line, UTF-16 column) of a spot; the fixtures are ASCII, so columns are characters."""
    index = text.index(spot.needle) + spot.offset
    line = text.count("\n", 0, index)
    return line, index - (text.rfind("\n", 0, index) + 1)


WISH = Kind(
    name="wish",
    folder="wish",
    path="data/wishes/lighthouse.wish.yaml",
    closed="data/wishes/closed.wish.yaml",
    language_id="yaml",
    variant="data/wishes/open-{n}.wish.yaml",
    spots={
        "target": Spot('- "cartographer.survey"', 4),
        "alias": Spot("*laws", 1),
        "anchor": Spot("&laws", 1),
        "completion": Spot("tier: meso", 6),
        "hover": Spot("duration_days", 2),
        "select": Spot("duration_days", 2),
        "change": Spot('objective: "Place 3', 18),
    },
    rename_to="cartographer.scan",
    symbol_query="lighthouse",
    grow_after="plan:\n",
    filler=lambda n: f'  - "Step {n}: place beacon lamp {n} on tile {n * 7}"\n',
    yaml=True,
)

WORKFLOW = Kind(
    name="workflow",
    folder="actions",
    path=".github/workflows/ci.yml",
    closed=".github/workflows/release.yml",
    language_id="yaml",
    variant=".github/workflows/open-{n}.yml",
    spots={
        "target": Spot("needs: build", 7),
        "alias": Spot("*build_env", 1),
        "anchor": Spot("&build_env", 1),
        "completion": Spot("runs-on: ubuntu-latest", 9),
        "hover": Spot("runs-on", 2),
        "select": Spot("runs-on", 2),
        "change": Spot('CACHE_KEY: "build-7"', 18),
    },
    rename_to="compile",
    symbol_query="build",
    grow_after=None,
    filler=lambda n: f'      - name: Step {n + 1}\n        run: echo "step {n + 1}"\n',
    yaml=True,
)

TOML = Kind(
    name="TOML",
    folder="toml",
    path="pyproject.toml",
    closed="crate/Cargo.toml",
    language_id="toml",
    variant="open-{n}/pyproject.toml",
    spots={
        "target": Spot('"bench-member"', 2),
        "completion": Spot("keywords = []", 12),
        "hover": Spot("requires-python", 2),
        "select": Spot("requires-python", 2),
        "change": Spot("PyYAML>=6.0", 8),
    },
    rename_to="httpx2",
    symbol_query="project",
    grow_after=None,
    filler=lambda n: f'\n[tool.bench.t{n}]\nkey = "value {n}"\nlevel = {n}\n',
)

PYTHON = Kind(
    name="Python",
    folder="python",
    path="pkg/module.py",
    closed="pkg/other.py",
    language_id="python",
    variant="pkg/open_{n}.py",
    spots={
        "target": Spot("def place", 4),
        "definition": Spot("in place(3)", 3),
        "completion": Spot("os.environ.get", 3),
        "hover": Spot("def survey", 4),
        "select": Spot("return total", 7),
        "change": Spot("place(3)", 6),
    },
    rename_to="put",
    symbol_query="Lamp",
    grow_after=None,
    filler=lambda n: f'\n\ndef f_{n}(x: int) -> int:\n    """Add {n}."""\n    return x + {n}\n',
)


@dataclass
class Peer:
    """One server: how to install and start it, its settings, and its kind of file."""

    name: str
    kind: Kind
    command: list[str]
    install: Callable[[], str | None]
    version: Callable[[], str]
    settings: dict[str, Any] = field(default_factory=dict)
    feature_settings: dict[str, Any] | None = None
    initialization_options: Any = None

    def settings_for(self, probing: bool) -> dict[str, Any]:
        """The settings of the features probe (where a feature is behind a setting) or of the
        timed runs (the server's defaults, as a user has them)."""
        return self.feature_settings if probing and self.feature_settings else self.settings


def _npm_bin(package: str, script: str) -> Path:
    return NODE / "node_modules" / package / script


def _npm_version(package: str) -> Callable[[], str]:
    def version() -> str:
        manifest = NODE / "node_modules" / package / "package.json"
        return str(json.loads(manifest.read_text(encoding="utf-8"))["version"])

    return version


def _install_npm(script: Path) -> Callable[[], str | None]:
    def install() -> str | None:
        if script.exists():
            return None
        if shutil.which("node") is None or shutil.which("npm") is None:
            return "Node.js and npm are not on PATH"
        NODE.mkdir(parents=True, exist_ok=True)
        print(f"installing {', '.join(NPM_PACKAGES)} from npm into bench/.node …", flush=True)
        done = _run(["npm", "install", "--no-save", "--no-audit", "--no-fund", *NPM_PACKAGES], NODE)
        if done is not None:
            return f"npm install failed: {done}"
        return None if script.exists() else f"npm installed no {script.name}"

    return install


def _install_tombi() -> str | None:
    if (PYVENV / "bin" / "tombi").exists():
        return None
    print("installing tombi from PyPI into bench/.pyvenv …", flush=True)
    failed = _run([sys.executable, "-m", "venv", str(PYVENV)], BENCH) or _run(
        [str(PYVENV / "bin" / "python"), "-m", "pip", "install", "-q", "tombi>=1,<2"], BENCH
    )
    return f"pip could not install tombi: {failed}" if failed else None


def _run(command: list[str], folder: Path) -> str | None:
    """Run an install command under a timeout; None when it worked, else its last line."""
    try:
        done = subprocess.run(
            command, cwd=folder, capture_output=True, text=True, timeout=600, check=False
        )
    except (OSError, subprocess.TimeoutExpired) as error:
        return str(error)
    if done.returncode == 0:
        return None
    lines = (done.stderr or done.stdout).strip().splitlines()
    return lines[-1] if lines else f"exit {done.returncode}"


def _tombi_version() -> str:
    out = subprocess.run(
        [str(PYVENV / "bin" / "tombi"), "--version"],
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    ).stdout
    return out.split()[1] if len(out.split()) > 1 else out.strip()


def _compile_ours() -> str | None:
    """Compile our package's bytecode as pip does when it installs the wheel, so that the
    server starts as installed even where PYTHONDONTWRITEBYTECODE keeps Python from caching
    it (as bench_lsp.py does)."""
    import compileall

    import wishcraft

    compileall.compile_dir(Path(wishcraft.__file__).parent, quiet=1)
    return None


def _our_version() -> str:
    import wishcraft

    return str(wishcraft.__version__)


def _our_settings() -> dict[str, Any]:
    """Our settings section as VS Code sends it by default (every key, default values)."""
    from wishcraft.lsp.settings import default_settings

    return {"wishcraft": default_settings().model_dump(mode="json", by_alias=True)}


def peers() -> list[Peer]:
    """The five servers, ours first."""
    yamlls = _npm_bin("yaml-language-server", "bin/yaml-language-server")
    actions = _npm_bin("@actions/languageserver", "bin/actions-languageserver")
    pyright = _npm_bin("pyright", "langserver.index.js")
    yaml_settings = {
        "validate": True,
        "hover": True,
        "completion": True,
        "format": {"enable": True},
        "schemas": {SCHEMA.as_uri(): ["*.wish.yaml"]},
        "schemaStore": {"enable": False},
    }
    python_settings = {"python": {"analysis": {"diagnosticMode": "openFilesOnly"}}}
    return [
        Peer(
            OURS,
            WISH,
            [sys.executable, "-m", "wishcraft.lsp"],
            _compile_ours,
            _our_version,
            settings=_our_settings(),
        ),
        Peer(
            "yaml-language-server",
            WISH,
            ["node", str(yamlls), "--stdio"],
            _install_npm(yamlls),
            _npm_version("yaml-language-server"),
            settings={"yaml": yaml_settings, "[yaml]": {}, "editor": {}, "files": {}, "http": {}},
        ),
        Peer(
            "Actions LS",
            WORKFLOW,
            ["node", str(actions), "--stdio"],
            _install_npm(actions),
            _npm_version("@actions/languageserver"),
            # No sessionToken: offline, as a user without a GitHub login runs it.
            initialization_options={"logLevel": 1, "repos": []},
        ),
        Peer(
            "tombi",
            TOML,
            [str(PYVENV / "bin" / "tombi"), "lsp", "--offline"],
            _install_tombi,
            _tombi_version,
        ),
        Peer(
            "pyright",
            PYTHON,
            ["node", str(pyright), "--stdio"],
            _install_npm(pyright),
            _npm_version("pyright"),
            settings=python_settings,
            # Diagnostics of files not open are behind this setting in pyright.
            feature_settings={"python": {"analysis": {"diagnosticMode": "workspace"}}},
        ),
    ]
