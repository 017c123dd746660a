"""The version has one source, the package metadata (pyproject.toml), and everyone agrees.

The extension's package.json must carry the same version, since the extension and the server
are released together; and no module under server/ may hold a copy of the number.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from importlib.metadata import version

import pytest

import wishcraft
from testkit.paths import ROOT
from wishcraft.lsp.app import create_server

VERSION = version("wishcraft")


def test_the_package_reports_its_metadata_version() -> None:
    assert re.fullmatch(r"\d+\.\d+\.\d+\S*", VERSION), VERSION
    assert wishcraft.__version__ == VERSION
    assert wishcraft.package_version() == VERSION


def test_the_vscode_extension_has_the_package_version() -> None:
    manifest = json.loads((ROOT / "client-vscode" / "package.json").read_text(encoding="utf-8"))
    assert manifest["version"] == VERSION, (
        "client-vscode/package.json and pyproject.toml must carry one version"
    )


def test_the_server_announces_the_package_version() -> None:
    server = create_server()
    assert (server.name, server.version) == ("wishcraft-lsp", VERSION)


def test_both_commands_print_the_package_version() -> None:
    for module, name in (("wishcraft.cli", "wishcraft"), ("wishcraft.lsp", "wishcraft-lsp")):
        done = subprocess.run(
            [sys.executable, "-m", module, "--version"],
            capture_output=True,
            text=True,
            timeout=60,
            check=True,
        )
        assert done.stdout.split() == [name, VERSION]


def test_no_module_holds_a_copy_of_the_version() -> None:
    copies = [
        str(path.relative_to(ROOT))
        for path in (ROOT / "server").rglob("*.py")
        if VERSION in (text := path.read_text(encoding="utf-8"))
        or re.search(r"^__version__\s*=", text, re.MULTILINE)
    ]
    assert copies == []


def test_reading_an_unknown_attribute_of_the_package_fails_as_usual() -> None:
    with pytest.raises(AttributeError, match="no_such_name"):
        wishcraft.no_such_name  # noqa: B018
