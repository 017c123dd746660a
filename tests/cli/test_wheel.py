"""The package as a user installs it: an sdist, a wheel built from it, installed elsewhere.

The wheel must carry everything the commands read at run time (the bundled registry; the
schemas come from the models), so `wishcraft lint` works in a folder far from this checkout
and `wishcraft-lsp` answers `initialize` with its name and version.

Offline on purpose: the sdist and wheels are built without build isolation (the test extras
hold setuptools and build), the wheel is installed with `--no-index --no-deps`, and the clean
venv borrows the dependencies (pygls, pydantic, ...) from this environment's site-packages
through a `.pth` line, which adds that folder to `sys.path` but does not run its `.pth` files,
so this checkout's editable install stays invisible (the test checks where the code comes from).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import sysconfig
import tarfile
import zipfile
from importlib.metadata import version
from pathlib import Path
from typing import Any

import pytest

from testkit.paths import EXAMPLES, ROOT

pytestmark = pytest.mark.slow

VERSION = version("wishcraft")


def run(
    *args: str | Path, cwd: Path, env: dict[str, str] | None = None, check: bool = True
) -> subprocess.CompletedProcess[str]:
    """Run a command; on failure show its output in the assertion."""
    done = subprocess.run(
        [str(arg) for arg in args], cwd=cwd, env=env, capture_output=True, text=True, timeout=300
    )
    if check:
        assert done.returncode == 0, f"{args}: {done.returncode}\n{done.stdout}\n{done.stderr}"
    return done


@pytest.fixture(scope="module")
def dist(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """Build the sdist, a wheel from the sdist, and a wheel straight from the checkout."""
    out = tmp_path_factory.mktemp("dist")
    # A copy of the tracked tree only, so build output and caches never land in the checkout.
    source = out / "source"
    files = run("git", "ls-files", "-z", cwd=ROOT).stdout.split("\0")
    for name in filter(None, files):
        if (ROOT / name).is_file():
            (source / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(ROOT / name, source / name)
    run(sys.executable, "-m", "build", "--no-isolation", "--outdir", out / "build", source, cwd=out)
    run(
        sys.executable,
        "-m",
        "pip",
        "wheel",
        "--no-deps",
        "--no-build-isolation",
        "-q",
        "-w",
        out / "pip",
        source,
        cwd=out,
    )
    return {
        "sdist": next((out / "build").glob("*.tar.gz")),
        "wheel": next((out / "build").glob("*.whl")),
        "pip_wheel": next((out / "pip").glob("*.whl")),
    }


@pytest.fixture(scope="module")
def venv(dist: dict[str, Path], tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A clean venv with the wheel built from the sdist installed in it; returns its bin/."""
    root = tmp_path_factory.mktemp("venv") / "venv"
    run(sys.executable, "-m", "venv", "--without-pip", root, cwd=root.parent)
    python = root / "bin" / "python"
    run(
        sys.executable,
        "-m",
        "pip",
        "--python",
        python,
        "install",
        "-q",
        "--no-index",
        "--no-deps",
        dist["wheel"],
        cwd=root.parent,
    )
    site = run(
        python, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])", cwd=root.parent
    ).stdout.strip()
    borrowed = {sysconfig.get_paths()["purelib"], sysconfig.get_paths()["platlib"]}
    (Path(site) / "borrowed-dependencies.pth").write_text("\n".join(sorted(borrowed)) + "\n")
    return root / "bin"


def user_env(bin_dir: Path) -> dict[str, str]:
    """An environment like a user's shell with the venv activated: nothing of this checkout."""
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("PYTHON", "VIRTUAL_ENV", "PYTEST"))
    }
    env["PATH"] = f"{bin_dir}{os.pathsep}/usr/bin{os.pathsep}/bin"
    return env


def test_the_sdist_and_both_wheels_hold_the_package_and_its_data(dist: dict[str, Path]) -> None:
    with tarfile.open(dist["sdist"]) as sdist:
        names = sdist.getnames()
    assert any(name.endswith("server/wishcraft/data/registry.yaml") for name in names)
    assert any(name.endswith("/pyproject.toml") for name in names)
    listings = []
    for wheel in (dist["wheel"], dist["pip_wheel"]):
        assert wheel.name == f"wishcraft-{VERSION}-py3-none-any.whl"
        with zipfile.ZipFile(wheel) as archive:
            listing = sorted(name for name in archive.namelist() if ".dist-info/" not in name)
            entry_points = archive.read(f"wishcraft-{VERSION}.dist-info/entry_points.txt")
        assert {
            "wishcraft/data/registry.yaml",
            "wishcraft/py.typed",
            "wishcraft/lsp/server.py",
            "wishcraft/conduit/client.py",
        } <= set(listing)
        assert b"wishcraft = wishcraft.cli:main" in entry_points
        assert b"wishcraft-lsp = wishcraft.lsp.__main__:main" in entry_points
        listings.append(listing)
    # The wheel built from the sdist is the wheel built from the checkout: the sdist misses
    # nothing.
    assert listings[0] == listings[1]


def test_the_installed_code_is_the_wheel_not_this_checkout(venv: Path, tmp_path: Path) -> None:
    done = run(
        venv / "python",
        "-c",
        "import wishcraft, sys; print(wishcraft.__file__); print(sys.path)",
        cwd=tmp_path,
        env=user_env(venv),
    )
    location = Path(done.stdout.splitlines()[0])
    assert venv.parent in location.parents, location
    assert str(ROOT / "server") not in done.stdout


def test_wishcraft_lints_a_wish_in_another_folder_with_the_bundled_registry(
    venv: Path, tmp_path: Path
) -> None:
    shutil.copy(EXAMPLES / "broken" / "typos.wish.yaml", tmp_path)
    env = user_env(venv)
    assert run("wishcraft", "--version", cwd=tmp_path, env=env).stdout.strip() == (
        f"wishcraft {VERSION}"
    )

    done = run("wishcraft", "lint", "typos.wish.yaml", cwd=tmp_path, env=env, check=False)
    assert done.returncode == 1, done.stderr
    # A tool checked against the bundled registry (no registry near the wish), with a hint.
    assert (
        "typos.wish.yaml:13:5: error unknown-conduit `worldsmith.plac` is not a conduit of "
        "the bundled registry; did you mean `worldsmith.place`?"
    ) in done.stdout
    assert "typos.wish.yaml:21:7: error invalid-tier" in done.stdout
    assert "Traceback" not in done.stderr

    listed = run("wishcraft", "conduits", "list", cwd=tmp_path, env=env).stdout
    assert "worldsmith.place" in listed and "openai.codex.v2025.plan" in listed


def test_wishcraft_schema_writes_the_schemas_of_this_repository(venv: Path, tmp_path: Path) -> None:
    run("wishcraft", "schema", "--out", "out", cwd=tmp_path, env=user_env(venv))
    written = sorted(path.name for path in (tmp_path / "out").iterdir())
    assert written == sorted(path.name for path in (ROOT / "schemas").glob("*.json"))
    for name in written:
        assert (tmp_path / "out" / name).read_text() == (ROOT / "schemas" / name).read_text()


def frame(message: dict[str, Any]) -> bytes:
    """One JSON-RPC message with its Content-Length header."""
    body = json.dumps(message).encode()
    return b"Content-Length: %d\r\n\r\n%s" % (len(body), body)


def read_frames(data: bytes) -> list[dict[str, Any]]:
    """Every message of a JSON-RPC byte stream."""
    messages = []
    while data:
        header, _, rest = data.partition(b"\r\n\r\n")
        length = int(header.split(b"Content-Length:")[1].split(b"\r\n")[0])
        messages.append(json.loads(rest[:length]))
        data = rest[length:]
    return messages


def test_wishcraft_lsp_answers_initialize_with_its_name_and_version(
    venv: Path, tmp_path: Path
) -> None:
    messages: list[dict[str, Any]] = [
        {
            "jsonrpc": "2.0",
            "id": 1,
            "method": "initialize",
            "params": {"processId": None, "rootUri": tmp_path.as_uri(), "capabilities": {}},
        },
        {"jsonrpc": "2.0", "method": "initialized", "params": {}},
        {"jsonrpc": "2.0", "id": 2, "method": "shutdown"},
        {"jsonrpc": "2.0", "method": "exit"},
    ]
    session = b"".join(frame(message) for message in messages)
    done = subprocess.run(
        ["wishcraft-lsp"],
        input=session,
        cwd=tmp_path,
        env=user_env(venv),
        capture_output=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr.decode()
    answers = {
        message["id"]: message
        for message in read_frames(done.stdout)
        if "id" in message and "method" not in message
    }
    assert answers[1]["result"]["serverInfo"] == {"name": "wishcraft-lsp", "version": VERSION}
    assert "textDocumentSync" in answers[1]["result"]["capabilities"]
    assert answers[2]["result"] is None
