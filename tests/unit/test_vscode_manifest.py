"""The VS Code extension agrees with the server: settings, defaults, command ids, names.

client-vscode/package.json is the single source of the settings' defaults; the server's
pydantic model must read those defaults as its own, and the `wishcraft.lint` schema must accept
what the lint model accepts and refuse what it refuses. Names the extension shares with the
server live in client-vscode/src/names.ts and must match wishcraft.names and pyproject.toml.
"""

from __future__ import annotations

import json
import re
import tomllib
import types
from pathlib import Path
from typing import Any, Union, get_args, get_origin

import jsonschema
import pytest
from pydantic import BaseModel
from pydantic.fields import FieldInfo

from wishcraft import names
from wishcraft.findings import Severity
from wishcraft.globs import file_matches
from wishcraft.lint.catalog import RULES
from wishcraft.lint.config import CourtThreshold, LintConfig, RequiredInvariant, TierLimits
from wishcraft.lsp.app import create_server
from wishcraft.lsp.server import WATCHED_FILES
from wishcraft.lsp.settings import Settings, read_settings
from wishcraft.model import RiskClass, Tier

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
    return {
        constants[client]: constants[server]
        for client, server in re.findall(r"\[(\w+)\]: (\w+)", match.group(1))
    }


def server_settings(
    model: type[BaseModel] = Settings, prefix: str = "wishcraft."
) -> dict[str, FieldInfo]:
    """Every leaf setting of the server's model, by its VS Code key (camelCase aliases)."""
    out: dict[str, FieldInfo] = {}
    for name, info in model.model_fields.items():
        key = prefix + (info.alias or name)
        annotation = info.annotation
        if (
            isinstance(annotation, type)
            and issubclass(annotation, BaseModel)
            and info.default_factory is not None
        ):
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
    if (
        origin is dict
        or annotation is dict
        or (isinstance(annotation, type) and issubclass(annotation, BaseModel))
    ):
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
    assert {f"wishcraft.{k}" for k in ts_string_list("SERVER_SETTING_KEYS")} == set(SERVER_SETTINGS)
    assert {f"wishcraft.{k}" for k in ts_string_list("EXTENSION_SETTING_KEYS")} == EXTENSION_ONLY


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


BOUND_KEYWORDS = {
    "ge": "minimum",
    "le": "maximum",
    "gt": "exclusiveMinimum",
    "lt": "exclusiveMaximum",
}
"""pydantic's numeric constraints and the JSON Schema keyword each one is written as."""


def server_bounds(info: FieldInfo) -> dict[str, object]:
    """The numeric bounds of a server setting, as JSON Schema keywords (fails on any other kind
    of constraint, which this comparison would not see)."""
    bounds: dict[str, object] = {}
    for constraint in info.metadata:
        known = [name for name in BOUND_KEYWORDS if hasattr(constraint, name)]
        assert len(known) == 1, f"a constraint this test cannot compare: {constraint!r}"
        bounds[BOUND_KEYWORDS[known[0]]] = getattr(constraint, known[0])
    return bounds


@pytest.mark.parametrize("key", sorted(SERVER_SETTINGS))
def test_numeric_bounds_match(key: str) -> None:
    # Both ways: a bound on one side only (the manifest's or the server's) is a mismatch too.
    manifest = {
        word: PROPERTIES[key][word] for word in BOUND_KEYWORDS.values() if word in PROPERTIES[key]
    }
    assert manifest == server_bounds(SERVER_SETTINGS[key])


def test_the_server_reads_package_json_defaults_as_its_own() -> None:
    defaults = {key: PROPERTIES[key]["default"] for key in SERVER_SETTINGS}
    assert read_settings(nested(defaults)) == (Settings(), None)


def test_shared_names_match_the_server() -> None:
    constants = ts_constants()
    for name in (
        "SETTINGS_SECTION",
        "COMMAND_PLAN_WISH",
        "COMMAND_INSERT_PLAN_STEPS",
        "COMMAND_CANCEL_PLAN",
        "COMMAND_PLAN_LOCATION",
        "NOTIFICATION_PLAN_UPDATED",
        "COMMAND_APPLY_PLAN",
        "COMMAND_UNDO_APPLY",
        "COMMAND_OPEN_PULL_REQUEST",
        "COMMAND_INIT_WORKSPACE",
        "COMMAND_TRUST_REPOSITORY",
    ):
        assert constants[name] == getattr(names, name), name
    # The server watches every YAML file (the workspace index), which covers the registries.
    for registry in ("data/conduits/registry.yaml", "x/conduits/registry.yml"):
        assert file_matches([constants["REGISTRY_GLOB"]], registry)
        assert file_matches(WATCHED_FILES, registry)


def test_client_commands_are_contributed_and_call_commands_the_server_registers() -> None:
    server_commands = set(create_server().protocol.fm.commands)
    assert server_commands == {
        names.COMMAND_PLAN_WISH,
        names.COMMAND_INSERT_PLAN_STEPS,
        names.COMMAND_CANCEL_PLAN,
        names.COMMAND_PLAN_LOCATION,
        names.COMMAND_APPLY_PLAN,
        names.COMMAND_UNDO_APPLY,
        names.COMMAND_OPEN_PULL_REQUEST,
        names.COMMAND_INIT_WORKSPACE,
        names.COMMAND_TRUST_REPOSITORY,
    }
    contributed = {c["command"] for c in MANIFEST["contributes"]["commands"]}
    client_commands = {
        value for name, value in ts_constants().items() if name.startswith("CLIENT_COMMAND_")
    }
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


# The `wishcraft.lint` setting's schema: the same shape, bounds and words as LintConfig, so
# VS Code's settings editor flags what the server would refuse (and nothing it accepts).

LINT_SCHEMA: dict[str, Any] = PROPERTIES["wishcraft.lint"]
TIER_MODELS: dict[str, type[BaseModel]] = {
    "tierLimits": TierLimits,
    "courtThresholds": CourtThreshold,
}


def model_keys(model: type[BaseModel]) -> dict[str, FieldInfo]:
    """A model's fields by the key a setting spells them with (the alias when there is one)."""
    return {info.alias or name: info for name, info in model.model_fields.items()}


def assert_object_schema_matches(schema: dict[str, Any], model: type[BaseModel]) -> None:
    """Same keys, required keys and numeric bounds as the model; no other keys allowed."""
    fields = model_keys(model)
    assert schema["type"] == "object"
    assert schema["additionalProperties"] is False
    assert set(schema["properties"]) == set(fields)
    assert set(schema.get("required", [])) == {k for k, f in fields.items() if f.is_required()}
    for key, info in fields.items():
        prop = schema["properties"][key]
        assert set([prop["type"]] if isinstance(prop["type"], str) else prop["type"]) == json_types(
            info.annotation
        ), key
        bounds = {type(m).__name__: m for m in info.metadata}
        assert prop.get("minimum") == (bounds["Ge"].ge if "Ge" in bounds else None), key
        assert prop.get("maximum") == (bounds["Le"].le if "Le" in bounds else None), key
        assert prop.get("minItems") == (
            bounds["MinLen"].min_length if "MinLen" in bounds else None
        ), key


def test_lint_schema_has_the_lint_config_keys_and_nothing_else() -> None:
    assert LINT_SCHEMA["type"] == "object" and LINT_SCHEMA["default"] == {}
    assert LINT_SCHEMA["additionalProperties"] is False
    assert set(LINT_SCHEMA["properties"]) == set(model_keys(LintConfig))
    plan_steps = model_keys(LintConfig)["planMaxSteps"]
    assert LINT_SCHEMA["properties"]["planMaxSteps"]["type"] == "integer"
    assert LINT_SCHEMA["properties"]["planMaxSteps"]["minimum"] == plan_steps.metadata[0].ge


@pytest.mark.parametrize("key", sorted(TIER_MODELS))
def test_lint_schema_per_tier_tables_match_their_models(key: str) -> None:
    schema = LINT_SCHEMA["properties"][key]
    assert schema["propertyNames"]["enum"] == Tier.spellings()
    assert set(schema["properties"]) == {tier.value for tier in Tier}
    for value_schema in [schema["additionalProperties"], *schema["properties"].values()]:
        assert_object_schema_matches(value_schema, TIER_MODELS[key])


def test_lint_schema_required_invariants_and_allowed_risk_match() -> None:
    invariants = LINT_SCHEMA["properties"]["requiredInvariants"]
    assert invariants["type"] == "array"
    assert_object_schema_matches(invariants["items"], RequiredInvariant)
    assert invariants["items"]["properties"]["tiers"]["items"]["enum"] == Tier.spellings()
    risk = LINT_SCHEMA["properties"]["allowedRisk"]
    assert risk["propertyNames"]["enum"] == Tier.spellings()
    for value_schema in [risk["additionalProperties"], *risk["properties"].values()]:
        assert value_schema["items"]["enum"] == RiskClass.spellings()


def test_lint_schema_severity_names_every_rule_and_only_words_the_server_reads() -> None:
    severity = LINT_SCHEMA["properties"]["severity"]
    assert severity["propertyNames"]["enum"] == sorted(RULES)
    words = severity["additionalProperties"]["enum"]
    assert {s.label for s in Severity} | {"off", None} <= set(words)
    for word in words:
        config = LintConfig.model_validate({"severity": {"plan-too-long": word}})
        expected = None if word in (None, "off", "none", "ignore") else Severity.parse(word)
        assert config.severity["plan-too-long"] == expected, word


def test_lint_schema_defaults_are_the_server_defaults() -> None:
    defaults = LintConfig().model_dump(by_alias=True, mode="json")
    for key, prop in LINT_SCHEMA["properties"].items():
        assert prop["default"] == defaults[key], key


LINT_ACCEPTED = [
    {},
    {"planMaxSteps": 5},
    {"severity": {"plan-too-long": "off", "yaml-tab": "warning", "yaml-bom": None}},
    {
        "tierLimits": {
            "micro": {"duration_days": 3, "chrono_sand": 1, "genie_slots": 1, "gold_cap": 10}
        }
    },
    {"courtThresholds": {"Macro": {"clarity": 100, "safety": 0, "reversibility": 50}}},
    {
        "requiredInvariants": [
            {"label": "no fire", "keywords": ["fire"], "tiers": ["meso"], "suggestion": "No fire"}
        ]
    },
    {"allowedRisk": {"micro": ["Low"], "macro": ["low", "High"]}},
]

LINT_REFUSED = [
    {"planMaxSteps": 0},
    {"planMaxSteps": 7.5},
    {"maxSteps": 7},
    {"severity": {"no-such-rule": "error"}},
    {"severity": {"plan-too-long": "fatal"}},
    {"severity": {"plan-too-long": 2}},
    {
        "tierLimits": {
            "mega": {"duration_days": 1, "chrono_sand": 1, "genie_slots": 1, "gold_cap": 1}
        }
    },
    {"tierLimits": {"micro": {"duration_days": 1}}},
    {
        "tierLimits": {
            "micro": {"duration_days": -1, "chrono_sand": 1, "genie_slots": 1, "gold_cap": 1}
        }
    },
    {"courtThresholds": {"meso": {"clarity": 101, "safety": 1, "reversibility": 1}}},
    {"courtThresholds": {"meso": {"clarity": 1, "safety": 1, "reversibility": 1, "x": 1}}},
    {"requiredInvariants": [{"label": "x", "keywords": [], "tiers": ["meso"], "suggestion": "x"}]},
    {
        "requiredInvariants": [
            {"label": "x", "keywords": ["x"], "tiers": ["giga"], "suggestion": "x"}
        ]
    },
    {"allowedRisk": {"micro": ["Extreme"]}},
    {"allowedRisk": {"micro": "Low"}},
]


def validate_lint_schema(value: Any) -> list[str]:
    """What VS Code's settings validation (JSON Schema draft 7) says about a value."""
    return [error.message for error in jsonschema.Draft7Validator(LINT_SCHEMA).iter_errors(value)]


@pytest.mark.parametrize("value", LINT_ACCEPTED, ids=json.dumps)
def test_lint_values_the_schema_accepts_the_server_reads(value: dict[str, Any]) -> None:
    assert validate_lint_schema(value) == []
    settings, error = read_settings({"lint": value})
    assert error is None, error
    if value:
        assert settings.lint == LintConfig.model_validate(value)


@pytest.mark.parametrize("value", LINT_REFUSED, ids=json.dumps)
def test_lint_values_the_schema_refuses_the_server_refuses(value: dict[str, Any]) -> None:
    assert validate_lint_schema(value) != []
    _, error = read_settings({"lint": value})
    assert error is not None and error.startswith("The setting `wishcraft.lint"), error


# Packaging: the extension carries the server's wheel and knows its distribution by one name.

PYPROJECT = tomllib.loads((CLIENT.parent / "pyproject.toml").read_text(encoding="utf-8"))


def test_the_extension_names_the_server_distribution_and_python_as_pyproject_does() -> None:
    constants = ts_constants()
    assert constants["SERVER_DISTRIBUTION"] == PYPROJECT["project"]["name"]
    match = re.search(r"MIN_PYTHON[^=]*= \[(\d+), (\d+)\];", NAMES_TS)
    assert match, "MIN_PYTHON is not in names.ts"
    assert PYPROJECT["project"]["requires-python"] == f">={match.group(1)}.{match.group(2)}"


def test_the_package_carries_the_server_wheel_and_says_where_it_comes_from() -> None:
    assert MANIFEST["scripts"]["package"].startswith("node wheel.mjs && vsce package")
    assert "--allow-missing-repository" not in MANIFEST["scripts"]["package"]
    kept = (CLIENT / ".vscodeignore").read_text(encoding="utf-8").splitlines()
    assert f"!{ts_constants()['WHEEL_FOLDER']}/*.whl" in kept
    ignored = (CLIENT / ".gitignore").read_text(encoding="utf-8").splitlines()
    assert f"{ts_constants()['WHEEL_FOLDER']}/" in ignored
    assert re.fullmatch(r"[a-z0-9][a-z0-9-]*", MANIFEST["publisher"])
    assert MANIFEST["repository"]["url"].startswith("https://")
    assert MANIFEST["repository"]["directory"] == "client-vscode"


def test_untrusted_workspaces_read_every_path_setting_from_user_scope() -> None:
    """VS Code's Workspace Trust: each setting that names a program, a file or a folder (the
    ones that could run code or reach outside the workspace) is in `restrictedConfigurations`,
    so an untrusted folder's own settings cannot set it; and the server has no setting that
    says where the Codex login goes (those are user scope only: the environment and the
    user's config files)."""
    trust = MANIFEST["capabilities"]["untrustedWorkspaces"]
    assert trust["supported"] == "limited" and "wishcraft trust" in trust["description"]
    restricted = set(trust["restrictedConfigurations"])
    assert restricted <= set(PROPERTIES)
    naming_paths = {
        key
        for key in PROPERTIES
        if key.endswith((".path", ".folder", ".command", ".check")) or "url" in key.lower()
    }
    assert naming_paths == restricted
    assert not [key for key in PROPERTIES if "url" in key.lower() or "instructions" in key]
