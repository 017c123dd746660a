"""docs/troubleshooting.md lists every sentence the conduit can print: keep it that way.

The sentences are collected from the source with `ast`, not listed by hand, so a new error (or
a reworded one) without a doc entry fails here:
- every `ConduitError` subclass must be named in the doc;
- the first argument of every call to one of those classes (and to `PlanPathError`) in the
  conduit, the plan runner and the plan paths, resolved through a local variable when needed;
- the CLI's own `wishcraft: …` sentences and the lines `wishcraft models` writes;
- the sentences the apply driver and `wishcraft apply` say (`Reviewer.say`);
- the sentences of what a change may touch (`SpellingError`, `PolicyUnknown` in `apply/`);
- every note put in a plan's warnings (`notes.append(...)`), every incomplete-plan reason
  (`incomplete_reason = ...`), and the fixed texts of the fatal failure codes and refresh
  refusals.
For each sentence a stem (the first words of its longest literal run, placeholders excluded)
must appear in the doc, compared case-insensitively with whitespace, block-quote markers and
backticks folded away.
"""

from __future__ import annotations

import ast
import inspect
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from wishcraft.conduit import errors

ROOT = Path(__file__).resolve().parents[2]
DOC = ROOT / "docs" / "troubleshooting.md"
PACKAGE = ROOT / "server" / "wishcraft"
SOURCES = (
    sorted((PACKAGE / "conduit").glob("*.py"))
    + sorted((PACKAGE / "plan").glob("*.py"))
    + [
        PACKAGE / "lsp" / "plan_runner.py",
        PACKAGE / "cli" / "plan.py",
        PACKAGE / "cli" / "models.py",
    ]
    + [PACKAGE / "cli" / "wish_input.py", PACKAGE / "cli" / "fmt.py"]
    + sorted((PACKAGE / "pr").glob("*.py"))
    + [PACKAGE / "cli" / "pr.py", PACKAGE / "lsp" / "features" / "pull_request.py"]
    + [PACKAGE / "apply" / "safety.py", PACKAGE / "apply" / "policy.py"]
    + [PACKAGE / "trust.py", PACKAGE / "cli" / "trust.py", PACKAGE / "cli" / "recover.py"]
    + [PACKAGE / "lsp" / "conduit_ids.py", PACKAGE / "documents" / "anchors.py"]
    + [PACKAGE / "apply" / "driver.py", PACKAGE / "cli" / "apply.py"]
)
CLI_SOURCES = {"plan.py", "models.py", "pr.py", "wish_input.py", "trust.py", "recover.py", "fmt.py"}
PR_ERRORS = {"PrError", "PrRefused", "PrFailed", "PrBadInput"}
"""The pull-request opener's exception tree (`wishcraft.pr.errors`): first argument, a sentence."""
APPLY_ERRORS = {"SpellingError", "PolicyUnknown"}
"""What a change may touch (`apply.safety`, `apply.policy`): first argument, a sentence."""
MESSAGE_TABLES = {"FATAL_FAILURE_CODES", "PERMANENT_REFRESH_ERRORS"}
"""Module-level dicts whose values are parts of user-facing sentences."""
STEM_WORDS = 6


def conduit_error_classes() -> list[type[errors.ConduitError]]:
    """Every class of the conduit's exception tree, the root included."""
    return [
        value
        for _, value in inspect.getmembers(errors, inspect.isclass)
        if issubclass(value, errors.ConduitError)
    ]


def error_names() -> set[str]:
    """The constructors whose first argument is a user-facing sentence."""
    names = {cls.__name__ for cls in conduit_error_classes()} | {"PlanPathError", "TrustError"}
    return names | PR_ERRORS | APPLY_ERRORS


@dataclass(frozen=True)
class Sentence:
    """One user-facing sentence found in the source, and where."""

    where: str
    segments: tuple[str, ...]
    """Its literal runs, split at each placeholder."""


def _segments(node: ast.expr) -> tuple[str, ...] | None:
    """The literal runs of a string expression; None when it is not one."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return (node.value,)
    if isinstance(node, ast.JoinedStr):
        runs, current = [], ""
        for part in node.values:
            if isinstance(part, ast.Constant) and isinstance(part.value, str):
                current += part.value
            else:
                runs.append(current)
                current = ""
        runs.append(current)
        return tuple(runs)
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
        left, right = _segments(node.left), _segments(node.right)
        if left is not None and right is not None:
            return (*left[:-1], left[-1] + right[0], *right[1:])
    if (
        isinstance(node, ast.Call)
        and isinstance(node.func, ast.Attribute)
        and node.func.attr in ("replace", "strip")
    ):
        return _segments(node.func.value)  # `f"…".replace("  ", " ")`
    return None


def _strings(node: ast.expr) -> Iterator[tuple[str, ...]]:
    """Every string a value may be: both arms of `a if c else b`, and plain strings."""
    if isinstance(node, ast.IfExp):
        yield from _strings(node.body)
        yield from _strings(node.orelse)
        return
    segments = _segments(node)
    if segments is not None:
        yield segments


def _assignments(function: ast.AST) -> dict[str, list[ast.expr]]:
    """Local name → every value assigned to it in `function`."""
    found: dict[str, list[ast.expr]] = {}
    for node in ast.walk(function):
        if isinstance(node, ast.Assign):
            for target in node.targets:
                if isinstance(target, ast.Name):
                    found.setdefault(target.id, []).append(node.value)
        elif (
            isinstance(node, ast.AnnAssign)
            and isinstance(node.target, ast.Name)
            and node.value is not None
        ):
            found.setdefault(node.target.id, []).append(node.value)
    return found


def _call_name(call: ast.Call) -> str | None:
    if isinstance(call.func, ast.Name):
        return call.func.id
    if isinstance(call.func, ast.Attribute):
        return call.func.attr
    return None


def sentences_in(source: str, filename: str, names: set[str]) -> list[Sentence]:
    """Every user-facing sentence of one module (see the module docstring for which)."""
    tree = ast.parse(source, filename)
    found: list[Sentence] = []

    def add(node: ast.AST, value: ast.expr, scope: ast.AST) -> None:
        where = f"{filename}:{getattr(node, 'lineno', '?')}"
        values = [value]
        if isinstance(value, ast.Name):
            values = _assignments(scope).get(value.id, [])
        for candidate in values:
            for segments in _strings(candidate):
                found.append(Sentence(where, segments))

    scopes: list[ast.AST] = [
        tree,
        *(
            node
            for node in ast.walk(tree)
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef)
        ),
    ]
    seen: set[int] = set()
    for scope in reversed(scopes):  # innermost function first, so names resolve locally
        for node in ast.walk(scope):
            if id(node) in seen:
                continue
            if isinstance(node, ast.Call):
                name = _call_name(node)
                if name in names and node.args:
                    seen.add(id(node))
                    add(node, node.args[0], scope)
                elif (
                    name == "append"
                    and isinstance(node.func, ast.Attribute)
                    and isinstance(node.func.value, ast.Name | ast.Attribute)
                    and (
                        getattr(node.func.value, "id", None) == "notes"
                        or getattr(node.func.value, "attr", None) == "notes"
                    )
                    and node.args
                ):
                    seen.add(id(node))
                    add(node, node.args[0], scope)
                elif name == "say" and len(node.args) == 2:
                    # The apply driver's `Reviewer.say(level, sentence)`, and the CLI's own.
                    seen.add(id(node))
                    add(node, node.args[1], scope)
                elif filename in CLI_SOURCES and name in ("print", "write") and node.args:
                    seen.add(id(node))
                    for segments in _strings(node.args[0]):
                        sentence = Sentence(f"{filename}:{node.lineno}", segments)
                        if segments[0].startswith("wishcraft: ") or (
                            name == "write" and stem(sentence) is not None
                        ):
                            found.append(sentence)
            elif isinstance(node, ast.Assign) and any(
                isinstance(target, ast.Attribute) and target.attr == "incomplete_reason"
                for target in node.targets
            ):
                seen.add(id(node))
                add(node, node.value, scope)
            elif (
                isinstance(node, ast.Assign)
                and any(
                    isinstance(target, ast.Name) and target.id in MESSAGE_TABLES
                    for target in node.targets
                )
                and isinstance(node.value, ast.Dict)
            ):
                seen.add(id(node))
                for value in node.value.values:
                    add(node, value, scope)
            elif isinstance(node, ast.FunctionDef) and node.name.endswith("_reason"):
                for inner in ast.walk(node):
                    if isinstance(inner, ast.Return) and inner.value is not None:
                        seen.add(id(inner))
                        add(inner, inner.value, node)
    return sorted(found, key=lambda sentence: int(sentence.where.rpartition(":")[2]))


def _fold(text: str) -> str:
    """Compare text as a reader would: no markup, one space, any case."""
    text = re.sub(r"(?m)^\s*>\s?", "", text)
    text = text.replace("`", "").replace("'", "").replace('"', "")
    return re.sub(r"\s+", " ", text).strip().lower()


def _words(run: str) -> list[str]:
    return _fold(run.removeprefix("wishcraft: ")).split()


def stem(sentence: Sentence) -> str | None:
    """The first words of the longest literal run (without a leading `wishcraft: `)."""
    longest = max((_words(run) for run in sentence.segments), key=len)
    if len(longest) < 2:
        return None
    return " ".join(longest[:STEM_WORDS]).strip(" .,:;()")


def stems(sentence: Sentence) -> list[str]:
    """The stem, and the first words of every other run of three words or more: the doc must
    quote each part of a sentence, not only its start."""
    found = [] if (first := stem(sentence)) is None else [first]
    for run in sentence.segments:
        words = _words(run)
        if len(words) >= 3:
            part = " ".join(words[:STEM_WORDS]).strip(" .,:;()")
            if part not in found:
                found.append(part)
    return found


def missing_from(doc: str, sentences: list[Sentence]) -> list[str]:
    """The sentences whose stem the doc lacks, as `file:line: stem`."""
    folded = _fold(doc)
    missing: list[str] = []
    for sentence in sentences:
        missing.extend(
            f"{sentence.where}: {words!r}" for words in stems(sentence) if words not in folded
        )
    return missing


def all_sentences() -> list[Sentence]:
    """Every sentence of every scanned module."""
    names = error_names()
    return [
        sentence
        for path in SOURCES
        for sentence in sentences_in(path.read_text(encoding="utf-8"), path.name, names)
    ]


def test_every_conduit_error_class_is_named_in_the_doc() -> None:
    doc = DOC.read_text(encoding="utf-8")
    classes = conduit_error_classes()
    assert len(classes) >= 18
    absent = [
        cls.__name__
        for cls in classes
        if cls is not errors.ConduitError and f"`{cls.__name__}`" not in doc
    ]
    assert not absent, f"docs/troubleshooting.md does not name {absent}"


def test_every_user_facing_sentence_has_a_doc_entry() -> None:
    sentences = all_sentences()
    # The scan must find the sentences it exists for, or it checks nothing.
    assert len(sentences) >= 60, len(sentences)
    assert any(sentence.where.startswith("plan.py") for sentence in sentences)
    assert any(sentence.where.startswith("auth.py") for sentence in sentences)
    assert (
        sum(
            sentence.where.startswith(("opener.py", "git.py", "github.py"))
            for sentence in sentences
        )
        >= 30
    )  # the pull-request opener's (PR_ERRORS)
    assert sum(sentence.where.startswith(("safety.py", "policy.py")) for sentence in sentences) >= 7
    missing = missing_from(DOC.read_text(encoding="utf-8"), sentences)
    assert not missing, "docs/troubleshooting.md lacks:\n" + "\n".join(missing)


def test_every_sentence_has_a_recognisable_stem() -> None:
    """A sentence of placeholders only (`f"{a}: {b}"`) would escape the check above."""

    def frame(run: str) -> bool:  # `wishcraft: {error}`, `… note: {warning}`, `… {step} …`
        return run.removeprefix("wishcraft: ").strip(" :.…") in ("", "note")

    without = [
        sentence
        for sentence in all_sentences()
        if stem(sentence) is None and not all(frame(run) for run in sentence.segments)
    ]
    assert not without, [sentence.where for sentence in without]


NEW_ERROR = '''
from .errors import ConduitError, HTTPStatusError

class TeapotRefused(HTTPStatusError):
    """418."""

def translate(status: int, model: str) -> ConduitError:
    if status == 418:
        message = f"The backend is a teapot and refused {model}; brew {model} elsewhere."
        return TeapotRefused(message, status=status)
    raise ConduitError(f"Codex sent a kettle instead of {model}; descale it.")
'''


def test_the_check_fails_for_an_undocumented_error() -> None:
    """The checker itself: a new error without a doc entry is caught, a documented one is not."""
    sentences = sentences_in(NEW_ERROR, "new.py", error_names() | {"TeapotRefused"})
    assert [stem(sentence) for sentence in sentences] == [
        "the backend is a teapot and",
        "codex sent a kettle instead of",
    ]
    doc = DOC.read_text(encoding="utf-8")
    assert missing_from(doc, sentences) == [
        "new.py:10: 'the backend is a teapot and'",
        "new.py:11: 'codex sent a kettle instead of'",
        "new.py:11: 'descale it'",
    ]
    documented = doc + (
        "\n> The backend is a teapot and refused `<model>`; brew `<model>`\n"
        "> elsewhere.\n\n> Codex sent a kettle instead of `<model>`; boil it.\n"
    )
    # The second sentence's start is quoted, but its end was reworded: still caught.
    assert missing_from(documented, sentences) == ["new.py:11: 'descale it'"]


@pytest.mark.parametrize(
    "section",
    [
        "## Login and refresh",
        "## API-key mode",
        "## The model catalog and the version presented",
        "## Network: proxies, certificates, redirects",
        "## Rate and usage limits",
        "## How to see the request that was sent",
    ],
)
def test_the_doc_has_its_sections(section: str) -> None:
    assert section in DOC.read_text(encoding="utf-8").splitlines()
