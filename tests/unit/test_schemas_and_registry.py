"""JSON Schemas stay in step with the models; the registry is found, loaded and checked."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml

from testkit.paths import EXAMPLES, ROOT, SHARED_EXAMPLES
from wishcraft.findings import Severity
from wishcraft.lint import analyse_registry, analyse_wish
from wishcraft.lint.registries import RegistryCache, registry_from_text
from wishcraft.model import ConduitDescriptor, Wish
from wishcraft.registry import find_registry_file, registry_from_parsed
from wishcraft.schemas import render_schemas


def test_checked_in_schemas_match_the_models() -> None:
    for name, text in render_schemas().items():
        path = ROOT / "schemas" / name
        assert path.is_file(), f"{name} is missing: run `wishcraft schema`"
        assert path.read_text() == text, f"{name} drifted: run `wishcraft schema`"


def _schema(name: str) -> dict[str, Any]:
    schema: dict[str, Any] = json.loads((ROOT / "schemas" / name).read_text())
    return schema


def test_every_field_has_a_description_and_example() -> None:
    for model in (Wish, ConduitDescriptor):
        for name, field in model.model_fields.items():
            assert field.description, f"{model.__name__}.{name} has no description"
            if name not in ("scope", "budget", "meta"):
                assert field.examples, f"{model.__name__}.{name} has no example"


def test_wish_schema_accepts_real_wishes_and_rejects_broken_ones() -> None:
    validator = jsonschema.Draft7Validator(_schema("wish.schema.json"))
    for path in [
        SHARED_EXAMPLES / "wishcraft-docs.yaml",
        EXAMPLES / "data/wishes/lighthouse.wish.yaml",
    ]:
        assert list(validator.iter_errors(yaml.safe_load(path.read_text()))) == []
    broken = yaml.safe_load((EXAMPLES / "broken/typos.wish.yaml").read_text())
    messages = " ".join(e.message for e in validator.iter_errors(broken))
    assert "70000" in messages and "'mezo'" in messages


def test_enum_spellings_are_all_in_the_schema() -> None:
    disposition = _schema("conduit-registry.schema.json")["$defs"]["Disposition"]
    assert {"Literalist", "literalist", "Maximizer", "maximizer"} <= set(disposition["enum"])
    assert len(disposition["enumDescriptions"]) == len(disposition["enum"])
    domain = _schema("conduit-registry.schema.json")["$defs"]["Domain"]
    assert "world-authoring" in domain["enum"]


def test_registry_schema_accepts_the_real_registry() -> None:
    validator = jsonschema.Draft7Validator(_schema("conduit-registry.schema.json"))
    data = yaml.safe_load((SHARED_EXAMPLES / "registry.yaml").read_text())
    assert list(validator.iter_errors(data)) == []


def test_registry_is_found_upward_and_falls_back_to_the_bundled_one(tmp_path: Path) -> None:
    wish_dir = tmp_path / "data" / "wishes" / "inbox"
    wish_dir.mkdir(parents=True)
    cache = RegistryCache()
    assert cache.for_document(wish_dir / "w.yaml").source is None
    registry_file = tmp_path / "data" / "conduits" / "registry.yaml"
    registry_file.parent.mkdir(parents=True)
    registry_file.write_text(
        "- id: solo\n  label: Solo\n  disposition: literalist\n"
        "  risk_class: low\n  determinism: mockable\n"
        "  latency_class: instant\n"
    )
    assert find_registry_file(wish_dir / "w.yaml") == registry_file
    registry = cache.for_document(wish_dir / "w.yaml")
    assert list(registry.conduits) == ["solo"]
    assert registry.definitions["solo"].start.line == 0


def test_broken_registry_keeps_the_valid_descriptors() -> None:
    text = (EXAMPLES / "broken-registry/conduits/registry.yaml").read_text()
    registry = registry_from_text(text, None)
    assert list(registry.conduits) == ["scribe.write"]
    codes = [f.code for f in analyse_registry(text).findings if f.code != "upstream-spelling"]
    assert codes == ["duplicate-conduit-id", "invalid-enum", "out-of-range", "missing-key"]


def test_registry_must_be_a_list() -> None:
    assert [f.code for f in analyse_registry("id: x\n").findings] == ["not-a-list"]


@pytest.mark.parametrize("spelling", ["Literalist", "literalist", "LITERALIST"])
def test_enum_spellings_are_accepted(spelling: str) -> None:
    descriptor = ConduitDescriptor.model_validate(
        {
            "id": "x",
            "label": "X",
            "disposition": spelling,
            "risk_class": "Low",
            "determinism": "deterministic",
            "latency_class": "instant",
        }
    )
    assert descriptor.disposition.value == "Literalist"


def test_a_conduit_with_a_number_for_text_is_still_known() -> None:
    """Regression: `tokens_per_call: 3000` is the text "3000" to upstream, which loads the
    conduit; our loader dropped it, so every wish naming it got a false `unknown-conduit`.
    The finding belongs to the registry (a warning), and the conduit stays known, both where
    the CLI loads a registry file and where the language server builds one from its analysis.
    """
    text = (SHARED_EXAMPLES / "registry.yaml").read_text(encoding="utf-8")
    text = text.replace('tokens_per_call: "~3k"', "tokens_per_call: 3000")
    registry = registry_from_text(text, None)
    plan = registry.get("openai.codex.v2025.plan")
    assert plan is not None and plan.cost_profile.tokens_per_call == "3000"
    analysis = analyse_registry(text)
    (finding,) = [f for f in analysis.findings if f.code == "scalar-as-string"]
    assert finding.path == (0, "cost_profile", "tokens_per_call")
    assert [f for f in analysis.findings if f.severity is Severity.ERROR] == []
    served = registry_from_parsed(
        analysis.parsed, analysis.index, analysis.findings, None, analysis.data
    )
    assert (
        list(served.conduits)
        == list(registry.conduits)
        == [
            "openai.codex.v2025.plan",
            "openai.codex.v2025.apply",
            "worldsmith.place",
        ]
    )
    wish = (SHARED_EXAMPLES / "wishcraft-docs.yaml").read_text(encoding="utf-8")
    assert "openai.codex.v2025.plan" in wish
    for known in (registry, served):
        assert "unknown-conduit" not in [f.code for f in analyse_wish(wish, known).findings]
