"""The differential cases: wishes and registries that upstream's lint and ours must judge alike.

Every case is generated here, from a few base files and their mutations, so the set is
reproducible and reviewable: `scripts/upstream-verdicts.sh` writes them out
(`python3 tests/testkit/upstream_cases.py write DIR`), runs upstream's build over them
(`... record DIR HARNESS FIXTURE`) and stores the verdicts in
`tests/fixtures/upstream/verdicts.json`; `tests/unit/test_upstream_verdicts.py` checks ours
against that fixture and that the fixture holds exactly these cases.

Standard library only: the recipe runs it with the system Python, outside the project's venv.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "upstream"

BASE_WISH = """\
title: Chart the north shore
objective: Chart 12 coves of the north shore within 3 days
scope:
  region: north_shore
  duration_days: 3
invariants:
  - No civilian harm
budget:
  chrono_sand: 10
  genie_slots: 2
  gold_cap: 500
tools:
  - openai.codex.v2025.plan
plan:
  - Survey the coves
  - Draw the map
safety_tests:
  - The map shows 12 coves
rollback:
  - Delete the map
tier: micro
meta:
  author_id: a1
  petition_id: p1
  created_at: "2025-10-16T17:32:23Z"
"""

KEBAB = {
    "Literalist": "literalist",
    "Maximizer": "maximizer",
    "Egalitarian": "egalitarian",
    "WorldAuthoring": "world-authoring",
    "[Code]": "[code]",
    "risk_class: Low": "risk_class: low",
    "risk_class: Medium": "risk_class: medium",
    "risk_class: High": "risk_class: high",
    "Deterministic": "deterministic",
    "Stochastic": "stochastic",
    "latency_class: Instant": "latency_class: instant",
    "latency_class: Short": "latency_class: short",
}


def kebab(text: str) -> str:
    """Upstream's registry, spelt as upstream's Rust types read it (kebab-case)."""
    for pascal, lower in KEBAB.items():
        text = text.replace(pascal, lower)
    return text


def registries() -> dict[str, str]:
    """The registries wish cases are linted against, by name."""
    upstream = (FIXTURES / "registry.yaml").read_text(encoding="utf-8")
    good = kebab(upstream)
    return {
        "kebab": good,
        "upstream": upstream,
        "numeric-tokens": good.replace('tokens_per_call: "~3k"', "tokens_per_call: 3000"),
        "broken-other": good.replace("risk_class: low", "risk_class: extreme"),
    }


@dataclass(frozen=True, slots=True)
class Case:
    """One input: a wish (linted against `registry`) or a registry (loaded on its own)."""

    id: str
    kind: str
    text: str
    registry: str = "kebab"
    note: str = ""

    def as_json(self) -> dict[str, Any]:
        """The case as the fixture stores it."""
        return {
            "id": self.id,
            "kind": self.kind,
            "text": self.text,
            "registry": self.registry if self.kind == "wish" else None,
            "note": self.note,
        }


def sub(text: str, pattern: str, replacement: str) -> str:
    """Replace the one line matching `pattern` (a regex over whole lines); fail if none."""
    new, count = re.subn(rf"(?m)^{pattern}$", replacement, text, count=1)
    if count != 1:
        raise ValueError(f"no line matches {pattern!r}")
    return new


def drop_block(text: str, key: str) -> str:
    """Remove a top-level key and its indented block."""
    return re.sub(rf"(?m)^{key}:.*\n(?:[ -].*\n)*", "", text, count=1)


def set_block(text: str, key: str, value: str) -> str:
    """Replace a top-level key's value (and its block) with `value` (one line or a block)."""
    return re.sub(rf"(?m)^{key}:.*\n(?:[ -].*\n)*", f"{key}:{value}\n", text, count=1)


TEXT_FIELDS = {
    "title": r"title: .*",
    "objective": r"objective: .*",
    "scope.region": r"  region: .*",
    "meta.author_id": r"  author_id: .*",
    "meta.created_at": r"  created_at: .*",
}
LIST_FIELDS = ("invariants", "tools", "plan", "safety_tests", "rollback")
INTEGERS = {
    "scope.duration_days": (r"  duration_days: .*", 16),
    "budget.chrono_sand": (r"  chrono_sand: .*", 16),
    "budget.genie_slots": (r"  genie_slots: .*", 8),
    "budget.gold_cap": (r"  gold_cap: .*", 64),
}


def wish_cases() -> Iterator[Case]:  # noqa: C901 - one table of cases, read top to bottom
    """Wishes: the base, every key missing, every type, width, enum, null, tag and quirk."""
    base = BASE_WISH

    def wish(case_id: str, text: str, note: str = "", registry: str = "kebab") -> Case:
        return Case(f"wish/{case_id}", "wish", text, registry, note)

    yield wish("base", base, "a valid wish")
    for key in (
        "title",
        "objective",
        "scope",
        "invariants",
        "budget",
        "tools",
        "plan",
        "safety_tests",
        "rollback",
        "tier",
        "meta",
    ):
        yield wish(f"missing/{key}", drop_block(base, key))
    for pattern, name in (
        (r"  region: .*", "scope.region"),
        (r"  duration_days: .*", "scope.duration_days"),
        (r"  chrono_sand: .*", "budget.chrono_sand"),
        (r"  genie_slots: .*", "budget.genie_slots"),
        (r"  gold_cap: .*", "budget.gold_cap"),
        (r"  author_id: .*", "meta.author_id"),
    ):
        yield wish(f"missing/{name}", re.sub(rf"(?m)^{pattern}\n", "", base, count=1))

    text_values = {
        "int": "42",
        "float": "1.5",
        "bool": "true",
        "null": "null",
        "tilde": "~",
        "empty": "",
        "list": "[a, b]",
        "mapping": "{a: 1}",
        "quoted-number": '"42"',
        "str-tag-number": "!!str 42",
        "yes": "yes",
    }
    for field, pattern in TEXT_FIELDS.items():
        indent = "  " if "." in field else ""
        key = field.split(".")[-1]
        for label, value in text_values.items():
            line = f"{indent}{key}: {value}".rstrip() if value else f"{indent}{key}:"
            yield wish(f"type/{field}/{label}", sub(base, pattern, line))

    list_values = {
        "text": " just one",
        "null": " null",
        "empty-value": "",
        "empty-list": " []",
        "mapping": " {a: 1}",
        "number-item": " [1]",
        "bool-item": " [true]",
        "null-item": " [~]",
        "nested-list": " [[a]]",
        "mapping-item": " [{a: 1}]",
    }
    for field in LIST_FIELDS:
        for label, value in list_values.items():
            yield wish(f"type/{field}/{label}", set_block(base, field, value))
    for field in ("scope", "budget", "meta"):
        for label, value in {"text": " x", "list": " [1]", "null": " null", "empty": ""}.items():
            yield wish(f"type/{field}/{label}", set_block(base, field, value))

    for field, (pattern, bits) in INTEGERS.items():
        indent_key = pattern.split(":")[0]
        top = 2**bits - 1
        values = {
            "zero": "0",
            "max": str(top),
            "max+1": str(top + 1),
            "negative": "-1",
            "float": "1.5",
            "float-whole": "3.0",
            "quoted": '"7"',
            "leading-zero": "007",
            "hex": "0x10",
            "octal": "0o17",
            "exponent": "1e3",
            "plus": "+5",
            "underscore": "1_000",
            "bool": "true",
            "null": "null",
            "int-tag-quoted": '!!int "7"',
            "str-tag": "!!str 7",
        }
        if bits != 16:  # every width's bounds; the quirks once, on the u16s
            values = {k: values[k] for k in ("zero", "max", "max+1", "negative", "float")}
        for label, value in values.items():
            yield wish(f"int/{field}/{label}", sub(base, pattern, f"{indent_key}: {value}"))

    for label, value in {
        "micro": "micro",
        "meso": "meso",
        "macro": "macro",
        "Meso": "Meso",
        "MACRO": "MACRO",
        "Micro": "Micro",
        "quoted-meso": '"meso"',
        "unknown": "mega",
        "empty-text": '""',
        "null": "null",
        "tilde": "~",
        "empty": "",
        "number": "1",
        "list": "[micro]",
        "spaced": '" meso"',
    }.items():
        line = f"tier: {value}" if value else "tier:"
        yield wish(f"enum/tier/{label}", sub(base, r"tier: .*", line))

    yield wish("objective/empty", sub(base, r"objective: .*", "objective: ''"))
    yield wish("objective/blank", sub(base, r"objective: .*", "objective: '   '"))
    pronouns = {
        "it-inside": "Fix it within 3 days for 12 coves",
        "it-start": "It must chart 12 coves within 3 days",
        "itemize-start": "Itemize 12 coves within 3 days",
        "paren-this": "Chart 12 coves (This is urgent) within 3 days",
        "this-end": "Chart 12 coves within 3 days like this",
        "that-comma": "Chart 12 coves, that is, within 3 days",
        "them-inside": "Chart them all, 12 coves within 3 days",
        "they-upper": "Chart 12 coves THEY named within 3 days",
        "thesis-start": "Thesis - chart 12 coves within 3 days",
        "none": "Chart 12 coves within 3 days",
    }
    for label, objective in pronouns.items():
        yield wish(f"pronoun/{label}", sub(base, r"objective: .*", f"objective: {objective}"))
    court = {
        "bytes-over-120": "Chart " + "é" * 60 + " coves",  # 72 characters, 132 bytes
        "chars-over-120": "Chart " + "a" * 120,
        "arabic-digits": "Chart ١٢ coves within days",
        "fullwidth-digits": "Chart １２ coves within days",
        "no-digits": "Chart twelve coves within days",
    }
    for label, objective in court.items():
        yield wish(f"court/{label}", sub(base, r"objective: .*", f"objective: {objective}"))
    yield wish(
        "court/civilian",
        set_block(base, "invariants", "\n  - Civilians unharmed\n  - Keep tides\n  - Keep reefs"),
    )
    yield wish("court/long-plan", set_block(base, "plan", " [a, b, c, d, e, f, g]"))
    yield wish("court/numeric-rollback", set_block(base, "rollback", " [1, 2, 3]"))

    yield wish("tools/unknown", set_block(base, "tools", " [nobody.conduit]"))
    yield wish("tools/empty", set_block(base, "tools", " []"))
    yield wish(
        "tools/all",
        set_block(
            base,
            "tools",
            " [openai.codex.v2025.plan, openai.codex.v2025.apply, worldsmith.place]",
        ),
    )
    yield wish(
        "tools/numeric-tokens", base, "the conduit's tokens_per_call is a number", "numeric-tokens"
    )
    yield wish("tools/upstream-registry", base, "upstream's own PascalCase registry", "upstream")
    yield wish(
        "tools/broken-other-conduit",
        base,
        "another conduit of the registry is broken",
        "broken-other",
    )

    yield wish("dup/title", base + "title: Again\n")
    yield wish("dup/scope.region", sub(base, r"  region: .*", "  region: a\n  region: b"))
    yield wish("dup/unknown-top", base + "colour: red\ncolour: blue\n")
    yield wish("dup/unknown-nested", sub(base, r"  region: .*", "  region: a\n  hue: 1\n  hue: 2"))
    yield wish(
        "dup/meta.author_id", sub(base, r"  author_id: .*", "  author_id: a\n  author_id: b")
    )
    yield wish("dup/tier", base + "tier: macro\n")
    yield wish("unknown/one", base + "colour: red\n")
    yield wish("unknown/misspelt-title", sub(base, r"title: .*", "titel: Chart"))
    yield wish("unknown/nested", sub(base, r"  region: .*", "  region: a\n  hue: 1"))

    yield wish("yaml/bom", "\ufeff" + base)
    yield wish("yaml/crlf", base.replace("\n", "\r\n"))
    yield wish("yaml/bom-crlf", "\ufeff" + base.replace("\n", "\r\n"))
    yield wish("yaml/document-start", "---\n" + base)
    yield wish("yaml/document-end", base + "...\n")
    yield wish("yaml/two-documents", base + "---\n" + base)
    yield wish("yaml/empty", "")
    yield wish("yaml/comment-only", "# nothing\n")
    yield wish("yaml/list", "- a\n- b\n")
    yield wish("yaml/scalar", "just text\n")
    yield wish("yaml/tab-indent", base.replace("  region", "\tregion", 1))
    yield wish("yaml/syntax", base + "extra: [unclosed\n")
    yield wish("yaml/json", json.dumps(_plain(base)))
    yield wish("yaml/json-pretty", json.dumps(_plain(base), indent=2) + "\n")
    yield wish("yaml/flow", "{" + ", ".join(_flow_pairs(base)) + "}\n")
    yield wish(
        "anchor/list",
        set_block(base, "invariants", " &laws [No civilian harm]").replace(
            "safety_tests:\n  - The map shows 12 coves\n", "safety_tests: *laws\n"
        ),
    )
    yield wish("anchor/text", sub(base, r"title: .*", "title: &t Chart") + "x-copy: *t\n")
    yield wish("anchor/unknown-alias", sub(base, r"title: .*", "title: *nowhere"))
    yield wish(
        "anchor/merge-key",
        sub(base, r"scope:", "defaults: &d {region: north}\nscope:\n  <<: *d").replace(
            "  region: north_shore\n", ""
        ),
    )
    yield wish("tag/custom-title", sub(base, r"title: .*", "title: !note Chart"))
    yield wish("tag/binary-title", sub(base, r"title: .*", "title: !!binary aGVsbG8="))
    yield wish("tag/null-meta", sub(base, r"meta:", "meta: !!null"), "meta is then null")
    yield wish("tag/str-objective", sub(base, r"objective: .*", "objective: !!str 12 coves"))

    for name in ("wishcraft-docs.yaml",):
        text = (FIXTURES / name).read_text(encoding="utf-8")
        yield wish(f"upstream/{name}", text, "upstream's own wish")
        yield wish(f"upstream/{name}/own-registry", text, "and upstream's registry", "upstream")
    for name in sorted(p.name for p in (FIXTURES / "inbox").glob("*.yaml")):
        text = (FIXTURES / "inbox" / name).read_text(encoding="utf-8")
        yield wish(f"upstream/inbox/{name}", text, "upstream's own wish")


def _plain(text: str) -> dict[str, Any]:
    """The base wish as plain data, for its JSON forms (a hand-written parse of its layout)."""
    data: dict[str, Any] = {}
    current: str | None = None
    for line in text.splitlines():
        if not line.startswith(" "):
            key, _, value = line.partition(":")
            current = key
            data[key] = value.strip().strip('"') if value.strip() else None
        elif line.startswith("  - "):
            assert current is not None
            if not isinstance(data[current], list):
                data[current] = []
            data[current].append(line[4:])
        else:
            assert current is not None
            key, _, value = line.strip().partition(":")
            if not isinstance(data[current], dict):
                data[current] = {}
            raw = value.strip().strip('"')
            data[current][key] = int(raw) if raw.isdigit() else raw
    return data


def _flow_pairs(text: str) -> Iterator[str]:
    """The base wish's top-level pairs in flow style."""
    for key, value in _plain(text).items():
        yield f"{key}: {json.dumps(value)}"


def registry_cases() -> Iterator[Case]:
    """Registries: upstream's own, its kebab spelling, every required key and enum, quirks."""
    good = registries()["kebab"]
    upstream = registries()["upstream"]
    first = good.split("\n\n")[0] + "\n"

    def registry(case_id: str, text: str, note: str = "") -> Case:
        return Case(f"registry/{case_id}", "registry", text, "", note)

    yield registry("upstream", upstream, "upstream's own data/conduits/registry.yaml")
    yield registry("kebab", good, "upstream's registry in kebab-case")
    yield registry("empty", "")
    yield registry("empty-list", "[]\n")
    yield registry("null", "null\n")
    yield registry("mapping", "id: x\n")
    yield registry("one", first)
    yield registry("missing/id", re.sub(r"(?m)^- id: .*\n  ", "- ", first, count=1))
    for key in ("label", "disposition", "risk_class", "determinism", "latency_class"):
        yield registry(f"missing/{key}", re.sub(rf"(?m)^  {key}: .*\n", "", first, count=1))
    for key in ("domains", "scopes", "cost_profile", "permissions", "limits", "audit_fields"):
        yield registry(f"missing/{key}", re.sub(rf"(?m)^  {key}:.*\n(?:    .*\n)*", "", first))
    spellings = {
        "disposition": (
            "literalist",
            ["Literalist", "LITERALIST", "maximizer", "egalitarian", "wise"],
        ),
        "risk_class": ("medium", ["Medium", "MEDIUM", "low", "high", "extreme"]),
        "determinism": ("stochastic", ["Stochastic", "mockable", "random"]),
        "latency_class": ("short", ["Short", "long", "instant", "slow"]),
    }
    for key, (current, values) in spellings.items():
        for value in values:
            yield registry(
                f"enum/{key}/{value}", first.replace(f"{key}: {current}", f"{key}: {value}")
            )
    for value in [
        "world-authoring",
        "WorldAuthoring",
        "worldauthoring",
        "world_authoring",
        "Code",
        "logistics",
    ]:
        yield registry(
            f"enum/domains/{value}", first.replace("domains: [code]", f"domains: [{value}]")
        )
    yield registry("type/tokens_per_call-number", first.replace('"~3k"', "3000"))
    yield registry(
        "type/label-number", first.replace('label: "OpenAI Codex (Plan Builder)"', "label: 7")
    )
    yield registry(
        "type/rate_per_min-negative", first.replace("rate_per_min: 20", "rate_per_min: -1")
    )
    yield registry(
        "type/per_wish_calls-u32-max",
        first.replace("per_wish_calls: 10", "per_wish_calls: 4294967295"),
    )
    yield registry(
        "type/per_wish_calls-u32-over",
        first.replace("per_wish_calls: 10", "per_wish_calls: 4294967296"),
    )
    yield registry("type/domains-null", first.replace("domains: [code]", "domains: null"))
    yield registry("type/domains-empty", first.replace("domains: [code]", "domains:"))
    yield registry(
        "type/limits-null", re.sub(r"(?m)^  limits:\n(?:    .*\n)*", "  limits: null\n", first)
    )
    yield registry("type/paths-text", first.replace('paths: ["**"]', 'paths: "**"'))
    yield registry("dup/ids", first + first)
    yield registry("dup/key", first.replace("  label:", "  label: One\n  label:"))
    yield registry("unknown-key", first + "  colour: red\n")
    yield registry("bom", "\ufeff" + good)
    yield registry("crlf", good.replace("\n", "\r\n"))


def all_cases() -> list[Case]:
    """Every case, in a fixed order (wishes, then registries)."""
    cases = [*wish_cases(), *registry_cases()]
    ids = [case.id for case in cases]
    if len(ids) != len(set(ids)):
        raise ValueError("two cases share an id")
    return cases


def case_file(folder: Path, case: Case) -> Path:
    """Where a case's file goes: a registry under data/conduits, a wish as `*.wish.yaml`."""
    slug = re.sub(r"[^A-Za-z0-9_.-]+", "_", case.id)
    if case.kind == "registry":
        return folder / slug / "data" / "conduits" / "registry.yaml"
    return folder / slug / "case.wish.yaml"


def write(folder: Path) -> None:
    """Write every case (and each wish's registry) under `folder`, bytes exactly as given."""
    regs = registries()
    for case in all_cases():
        path = case_file(folder, case)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(case.text.encode("utf-8"))
        if case.kind == "wish":
            registry = path.parent / "data" / "conduits" / "registry.yaml"
            registry.parent.mkdir(parents=True, exist_ok=True)
            registry.write_bytes(regs[case.registry].encode("utf-8"))


def _run(harness: str, command: str, path: Path, root: Path) -> tuple[int, str]:
    env = {**os.environ, "UPSTREAM_ROOT": str(root)}
    done = subprocess.run(
        [harness, command, str(path)], capture_output=True, text=True, env=env, check=False
    )
    return done.returncode, (done.stderr + done.stdout).strip()


def _numbers(output: str) -> dict[str, float]:
    pairs = (line.split(": ", 1) for line in output.splitlines() if ": " in line)
    return {key: float(value) for key, value in pairs}


def record(folder: Path, harness: str, fixture: Path) -> None:
    """Run upstream's harness over every written case and store the verdicts."""
    out: list[dict[str, Any]] = []
    for case in all_cases():
        path = case_file(folder, case)
        entry = case.as_json()
        if case.kind == "registry":
            status, message = _run(harness, "conduits", path, path.parent.parent.parent)
            entry["upstream"] = {"exit": status, "message": message}
        else:
            status, message = _run(harness, "lint", path, path.parent)
            _, why = _run(harness, "why", path, path.parent)
            entry["upstream"] = {"exit": status, "message": message, "yaml": why}
            court_status, court = _run(harness, "court", path, path.parent)
            entry["court"] = _numbers(court) if court_status == 0 else None
            heat_status, heat = _run(harness, "heat", path, path.parent)
            entry["heat"] = _numbers(heat) if heat_status == 0 else None
        out.append(entry)
    document = {
        "about": "Upstream's verdicts on tests/testkit/upstream_cases.py's cases, recorded by "
        "scripts/upstream-verdicts.sh from a build of upstream's lint path.",
        "registries": registries(),
        "cases": out,
    }
    fixture.write_text(json.dumps(document, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")


def main(argv: list[str]) -> int:
    """`write DIR` or `record DIR HARNESS FIXTURE`."""
    commands: dict[str, Callable[..., None]] = {"write": write, "record": record}
    if not argv or argv[0] not in commands:
        print("usage: upstream_cases.py write DIR | record DIR HARNESS FIXTURE", file=sys.stderr)
        return 2
    if argv[0] == "write":
        write(Path(argv[1]))
    else:
        record(Path(argv[1]), argv[2], Path(argv[3]))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
