"""Schema checks: pydantic validation errors and unknown keys → findings at the exact node.

The pydantic models are the schema; this module only translates their errors into sentences a
person understands and finds the node each one is about.
"""

from __future__ import annotations

import difflib
from typing import Any

from pydantic import BaseModel, RootModel, ValidationError

from wishcraft.documents import Node, NodeKind, PathIndex
from wishcraft.documents.paths import key_name
from wishcraft.findings import (
    Finding,
    MissingKeyData,
    OmittedData,
    Path,
    ReplacementData,
    Severity,
    Span,
    format_path,
    split_lines,
)
from wishcraft.lint.catalog import RULES
from wishcraft.model import SpelledEnum
from wishcraft.modelinfo import (
    child_model,
    enum_class,
    integer_type_name,
    model_for_path,
    nested_model,
)


def _finding(code: str, message: str, span: Span, path: Path, **data: Any) -> Finding:
    return Finding(code, RULES[code].severity, message, span, path, dict(data))


def describe_value(value: Any) -> str:
    """Name the type of a YAML value the way a person would."""
    if value is None:
        return "empty (null)"
    if isinstance(value, bool):
        return f"the boolean {str(value).lower()}"
    if isinstance(value, int):
        return f"the number {value}"
    if isinstance(value, float):
        return f"the number {value:g}"
    if isinstance(value, str):
        return "text"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "a mapping"
    return type(value).__name__


_EXPECTED = {
    "string_type": "text",
    "int_type": "an integer",
    "int_parsing": "an integer",
    "float_type": "a number",
    "bool_type": "true or false",
    "list_type": "a list",
    "model_type": "a mapping",
    "model_attributes_type": "a mapping",
    "dict_type": "a mapping",
}


def display_path(path: Path) -> str:
    """Name a path for messages, quoted; a registry path names the conduit by its number."""
    if path and isinstance(path[0], int):
        rest = format_path(path[1:]) if len(path) > 1 else ""
        return f"`{rest}` of conduit {path[0] + 1}" if rest else f"conduit {path[0] + 1}"
    return f"`{format_path(path)}`"


def first_line_span(text: str) -> Span:
    """The whole first line: where findings about a missing top-level key go."""
    first = split_lines(text[:10_000])[0]
    return Span.at(0, 0, 0, len(first))


def _field_summary(model: type[BaseModel], path: Path) -> str:
    """A short description of the field at `path` for messages about it."""
    field = model_for_path(model, path)
    description = getattr(field, "description", None)
    return f": {description[:1].lower()}{description[1:]}" if description else "."


def _enum_of(model: type[BaseModel], path: Path) -> type[SpelledEnum] | None:
    return enum_class(model_for_path(model, path))


OMITTED = "too-many-findings"
"""The code of the placeholder a producer adds for findings past its limit (`omitted_finding`)."""


def omitted_finding(count: int | None) -> Finding:
    """A placeholder for findings not computed (`count` of them, None if not known);
    `apply_config` turns every placeholder of a document into one finding."""
    what = f"{count:,} more findings are" if count is not None else "More findings are"
    return Finding(
        OMITTED,
        Severity.INFORMATION,
        f"{what} not computed.",
        Span.at(0, 0, 0, 0),
        (),
        dict(OmittedData(omitted=count)),
    )


def validation_findings(
    model: type[BaseModel], data: Any, index: PathIndex, text: str, limit: int | None = None
) -> list[Finding]:
    """Validate `data` against `model` and turn every error into a finding.

    Only one finding is kept per path (a union reports one error per branch). Past `limit`
    findings the other errors are only counted: a list of 50,000 wrong items is 50,000
    errors, and each costs a path lookup to place.
    """
    try:
        model.model_validate(data)
    except ValidationError as exc:
        errors = exc.errors(include_url=False)
    else:
        return []
    findings: list[Finding] = []
    seen: set[Path] = set()
    for error in errors:
        if limit is not None and len(findings) >= limit:
            findings.append(omitted_finding(None))  # union branches make the count vague
            break
        loc = tuple(part for part in error["loc"] if isinstance(part, int | str))
        loc = _strip_union_tags(model, loc)
        if loc in seen:
            continue
        seen.add(loc)
        finding = _error_finding(model, error, loc, index, text)
        if finding is not None:
            findings.append(finding)
    return findings


def _strip_union_tags(model: type[BaseModel], loc: Path) -> Path:
    """Drop pydantic's union branch names (`str`, `Tier`) from an error location."""
    clean: list[str | int] = []
    for part in loc:
        if isinstance(part, str) and model_for_path(model, (*clean, part)) is None and clean:
            continue
        clean.append(part)
    return tuple(clean)


def _error_finding(
    model: type[BaseModel], error: Any, loc: Path, index: PathIndex, text: str
) -> Finding | None:
    kind = error["type"]
    value = error.get("input")
    name = display_path(loc)
    if kind == "missing":
        key = str(loc[-1])
        parent = loc[:-1]
        span = first_line_span(text) if not parent else index.nearest_span(parent, prefer_key=True)
        where = "the wish" if not parent else f"`{format_path(parent)}`"
        if parent and isinstance(parent[0], int):
            where = display_path(parent)
        return _finding(
            "missing-key",
            f"Missing required key `{key}` in {where}{_field_summary(model, loc)}",
            span or first_line_span(text),
            parent,
            **MissingKeyData(missingKey=key, parentPath=format_path(parent) if parent else ""),
        )
    span = index.nearest_span(loc) or first_line_span(text)
    if kind in ("greater_than_equal", "less_than_equal"):
        bound = error.get("ctx", {})
        type_name = integer_type_name(model_for_path(model, loc)) or "integer"
        if kind == "greater_than_equal":
            message = f"{name} is {value}; it cannot be negative ({type_name})."
        else:
            message = f"{name} is {value}, more than the {type_name} maximum {bound.get('le')}."
        return _finding(
            "out-of-range", message, span, loc, maximum=bound.get("le"), minimum=bound.get("ge")
        )
    if kind == "enum":
        enum = _enum_of(model, loc)
        allowed = [member.value for member in enum] if enum else []
        suggestion = difflib.get_close_matches(
            str(value).lower(), [a.lower() for a in allowed], n=1, cutoff=0.5
        )
        replacement = next((a for a in allowed if suggestion and a.lower() == suggestion[0]), None)
        hint = f"; did you mean `{replacement}`?" if replacement else "."
        code = "invalid-tier" if loc == ("tier",) else "invalid-enum"
        return _finding(
            code,
            f"{name} must be one of {', '.join(allowed)}, not `{value}`{hint}",
            span,
            loc,
            **ReplacementData(replacement=replacement, allowed=allowed),
        )
    if kind == "string_type" and isinstance(value, bool | int | float):
        located = index.get(loc)
        source = located.value.text if located else str(value)
        return _finding(
            "scalar-as-string",
            f"{name} is {describe_value(value)}; upstream reads it as the text "
            f'"{source}", so quote it.',
            span,
            loc,
        )
    expected = _EXPECTED.get(kind) or str(error.get("msg", "a valid value")).removeprefix(
        "Input should be "
    )
    integer_name = integer_type_name(model_for_path(model, loc))
    if integer_name:
        expected = f"{expected} ({integer_name})"
    return _finding(
        "wrong-type",
        f"{name} must be {expected}, not {describe_value(value)}.",
        span,
        loc,
        expected=expected,
    )


MAX_SUGGESTIONS = 100
"""Past this many unknown keys, stop looking for "did you mean" (a hostile file has 20,000)."""


def unknown_key_findings(
    model: type[BaseModel], index: PathIndex, limit: int | None = None
) -> list[Finding]:
    """Warn about keys the format does not define, suggesting the closest known key.

    The walk follows the model, so it visits only mappings the format defines (not the items
    of a long `plan` list). Past `limit` findings the other unknown keys are only counted.
    """
    findings: list[Finding] = []
    omitted = 0
    root = index.root
    if root is None:
        return findings
    todo: list[tuple[Path, Node, type[BaseModel]]] = []
    if issubclass(model, RootModel):
        item_model = nested_model(model.model_fields["root"])
        if item_model is not None and root.kind is NodeKind.SEQUENCE:
            todo.extend(((position,), item, item_model) for position, item in enumerate(root.items))
    else:
        todo.append(((), root, model))
    while todo:
        path, node, target = todo.pop()
        if node.kind is not NodeKind.MAPPING:
            continue
        known = list(target.model_fields)
        present = {pair.key.value for pair in node.pairs}
        for pair in node.pairs:
            if pair.key.kind is not NodeKind.SCALAR or pair.duplicate:
                continue
            name = key_name(pair.key)
            if name in target.model_fields:
                child = child_model(target, name)
                if child is None:
                    continue
                if pair.value.kind is NodeKind.SEQUENCE:
                    todo.extend(
                        ((*path, name, position), item, child)
                        for position, item in enumerate(pair.value.items)
                    )
                else:
                    todo.append(((*path, name), pair.value, child))
                continue
            if limit is not None and len(findings) >= limit:
                omitted += 1
                continue
            candidates = [k for k in known if k not in present]
            suggest = len(findings) < MAX_SUGGESTIONS
            close = difflib.get_close_matches(name, candidates, n=1, cutoff=0.6) if suggest else []
            # A misspelt copy of a key that is already there (`safty_tests` beside
            # `safety_tests`): renaming it would repeat the key, so the fix removes it.
            twin = (
                difflib.get_close_matches(name, [k for k in known if k in present], n=1, cutoff=0.6)
                if suggest and not close
                else []
            )
            if close:
                hint = f"; did you mean `{close[0]}`?"
            elif twin:
                hint = f"; `{twin[0]}` is already here, so this looks like a stray copy."
            else:
                hint = f"; known keys here: {', '.join(known)}."
            where = display_path(path) if path else "a wish"
            findings.append(
                _finding(
                    "unknown-key",
                    f"`{pair.key.text}` is not a key of {where}, so upstream ignores it{hint}",
                    pair.key.span,
                    (*path, name),
                    **ReplacementData(
                        replacement=close[0] if close else None,
                        key=name,
                        existing=twin[0] if twin else None,
                    ),
                )
            )
    findings.sort(key=lambda f: (f.span.start.line, f.span.start.column))
    if omitted:
        findings.append(omitted_finding(omitted))
    return findings


def severity_order(finding: Finding) -> tuple[int, int, int]:
    """Sort key: by position, then severity."""
    return (finding.span.start.line, finding.span.start.column, int(finding.severity))


__all__ = ["OMITTED", "Severity", "omitted_finding", "unknown_key_findings", "validation_findings"]
