"""The VS Code extension agrees with the server: settings, defaults, command ids, names.

client-vscode/package.json is the single source of the settings' defaults; the server's
pydantic model must read those defaults as its own. Names the extension shares with the server
live in client-vscode/src/names.ts and must match wishcraft_lsp.names.
"""

from __future__ import annotations

import json
import re
import types
from pathlib import Path
from typing import Any, Union, get_args, get_origin

import pytest
from pydantic import BaseModel
from pydantic.fields import FieldInfo

from wishcraft_lsp import names
from wishcraft_lsp.server import WATCHED_FILES, create_server
from wishcraft_lsp.settings import Settings, read_settings

CLIENT = Path(__file__).resolve().parents[2] / "client-vscode"
MANIFEST = json.loads((CLIENT / "package.json").read_text(encoding="utf-8"))
NAMES_TS = (CLIENT / "src" / "names.ts").read_text(encoding="utf-8")
PROPERTIES: dict[str, dict[str, Any]] = MANIFEST["contributes"]["configuration"]["properties"]

EXTENSION_ONLY = {"wishcraft.server.path", "wishcraft.server.logLevel", "wishcraft.trace.server"}
"""Settings only the extension reads (the interpreter, its log level, protocol tracing)."""


def ts_constants() -> dict[str, str]:
    """`export const NAME = "value";` lines of names.ts."""
    return dict(re.findall(r'^export const (\w+) = "([^"]*)";', NAMES_TS, re.MULTILINE))


def ts_string_list(name: str) -> list[str]:
    """The strings of `export const NAME = [ ... ] as const;` in names.ts."""
    match = re.search(rf"export const {name} = \[(.*?)\] as const;", NAMES_TS, re.DOTALL)
    assert match, f"{name} is not in names.ts"
    return re.findall(r'"([^"]*)"', match.group(1))


def ts_command_calls() -> dict[str, str]:
    """CLIENT_COMMAND_CALLS of names.ts, resolved to command ids."""
    match = re.search(r"CLIENT_COMMAND_CALLS[^=]*= \{(.*?)\};", NAMES_TS, re.DOTALL)
    assert match, "CLIENT_COMMAND_CALLS is not in names.ts"
    constants = ts_constants()
    return {constants[client]: constants[server]
            for client, server in re.findall(r"\[(\w+)\]: (\w+)", match.group(1))}


def server_settings(model: type[BaseModel] = Settings,
                    prefix: str = "wishcraft.") -> dict[str, FieldInfo]:
    """Every leaf setting of the server's model, by its VS Code key (camelCase aliases)."""
    out: dict[str, FieldInfo] = {}
    for name, info in model.model_fields.items():
        key = prefix + (info.alias or name)
        annotation = info.annotation
        if isinstance(annotation, type) and issubclass(annotation, BaseModel) and \
                info.default_factory is not None:
            out.update(server_settings(annotation, key + "."))
        else:
            out[key] = info
    return out


SERVER_SETTINGS = server_settings()


def json_types(annotation: Any) -> set[str]:
    """The JSON Schema types a Python annotation accepts."""
    origin = get_origin(annotation)
    if origin in (Union, types.UnionType):
        return set().union(*(json_types(arg) for arg in get_args(annotation)))
    if annotation is type(None):
        return {"null"}
    if origin in (tuple, list) or annotation in (tuple, list):
        return {"array"}
    if origin is dict or annotation is dict or (
            isinstance(annotation, type) and issubclass(annotation, BaseModel)):
        return {"object"}
    simple = {bool: "boolean", int: "integer", float: "number", str: "string"}
    return {simple[annotation]}


def nested(flat: dict[str, Any]) -> dict[str, Any]:
    """`{"wishcraft.a.b": 1}` as `{"a": {"b": 1}}` (the section the server reads)."""
    out: dict[str, Any] = {}
    for key, value in flat.items():
        *parents, leaf = key.removeprefix("wishcraft.").split(".")
        node = out
        for part in parents:
            node = node.setdefault(part, {})
        node[leaf] = value
    return out


def test_package_json_contributes_exactly_the_server_settings_and_the_listed_extras() -> None:
    assert set(PROPERTIES) == set(SERVER_SETTINGS) | EXTENSION_ONLY
    assert not set(SERVER_SETTINGS) & EXTENSION_ONLY


def test_names_ts_lists_the_same_server_and_extension_settings() -> None:
    assert {f"wishcraft.{k}" for k in ts_string_list("SERVER_SETTING_KEYS")} == \
        set(SERVER_SETTINGS)
    assert {f"wishcraft.{k}" for k in ts_string_list("EXTENSION_SETTING_KEYS")} == \
        EXTENSION_ONLY


@pytest.mark.parametrize("key", sorted(SERVER_SETTINGS))
def test_setting_type_matches_the_server_model(key: str) -> None:
    info = SERVER_SETTINGS[key]
    declared = PROPERTIES[key]["type"]
    manifest_types = set(declared if isinstance(declared, list) else [declared])
    expected = json_types(info.annotation)
    # The manifest may leave out `null` when its default stands for None (see the next test).
    assert manifest_types - {"null"} == expected - {"null"}
    assert manifest_types <= expected
    if "array" in expected:
        item = get_args(info.annotation)[0]
        assert {PROPERTIES[key]["items"]["type"]} == json_types(item)


@pytest.mark.parametrize("key", sorted(SERVER_SETTINGS))
def test_setting_default_is_the_server_default(key: str) -> None:
    info = SERVER_SETTINGS[key]
    default = info.get_default(call_default_factory=True)
    manifest_default = PROPERTIES[key]["default"]
    server_default = list(default) if isinstance(default, tuple) else default
    if manifest_default != server_default:
        # Only an object setting may write "unset" as `{}`; the server must read it as None.
        assert server_default is None and manifest_default == {}
        settings, error = read_settings(nested({key: manifest_default}))
        assert error is None and settings == Settings()


@pytest.mark.parametrize("key", sorted(SERVER_SETTINGS))
def test_numeric_bounds_match(key: str) -> None:
    bounds = {type(m).__name__: m for m in SERVER_SETTINGS[key].metadata}
    prop = PROPERTIES[key]
    if "Ge" in bounds:
        assert prop["minimum"] == bounds["Ge"].ge
    if "Le" in bounds:
        assert prop["maximum"] == bounds["Le"].le


def test_the_server_reads_package_json_defaults_as_its_own() -> None:
    defaults = {key: PROPERTIES[key]["default"] for key in SERVER_SETTINGS}
    assert read_settings(nested(defaults)) == (Settings(), None)


def test_shared_names_match_the_server() -> None:
    constants = ts_constants()
    for name in ("SETTINGS_SECTION", "COMMAND_PLAN_WISH", "COMMAND_INSERT_PLAN_STEPS",
                 "COMMAND_CANCEL_PLAN", "COMMAND_PLAN_LOCATION", "NOTIFICATION_PLAN_UPDATED"):
        assert constants[name] == getattr(names, name), name
    assert constants["REGISTRY_GLOB"] in WATCHED_FILES


def test_client_commands_are_contributed_and_call_commands_the_server_registers() -> None:
    server_commands = set(create_server().protocol.fm.commands)
    assert server_commands == {names.COMMAND_PLAN_WISH, names.COMMAND_INSERT_PLAN_STEPS,
                               names.COMMAND_CANCEL_PLAN, names.COMMAND_PLAN_LOCATION}
    contributed = {c["command"] for c in MANIFEST["contributes"]["commands"]}
    client_commands = {value for name, value in ts_constants().items()
                       if name.startswith("CLIENT_COMMAND_")}
    assert contributed == client_commands
    # vscode-languageclient registers the server's commands itself; the same id twice fails.
    assert not contributed & server_commands
    calls = ts_command_calls()
    assert calls, "no client command calls the server"
    for client, server in calls.items():
        assert client in contributed and server in server_commands
    for entries in MANIFEST["contributes"]["menus"].values():
        assert {entry["command"] for entry in entries} <= contributed


def test_the_extension_stands_alone_and_packages_offline() -> None:
    assert "extensionDependencies" not in MANIFEST
    assert "vscode-languageclient" in MANIFEST["dependencies"]
    assert MANIFEST["dependencies"]["vscode-languageclient"].lstrip("^~").startswith("9.")
    assert "@vscode/vsce" in MANIFEST["devDependencies"]
    assert "--no-dependencies" in MANIFEST["scripts"]["package"]
    assert (CLIENT / "package-lock.json").is_file() and (CLIENT / "LICENSE").is_file()
