"""court/plan.py: the gates heard with what is found on disk (the ledger, the repository, the
registry in use), and the one ledger line each call leaves, or the sentence saying why not."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from testkit.paths import LSP_WORKSPACE
from wishcraft.court.plan import (
    CallRecord,
    hear,
    ledger_mode,
    login_likely,
    record,
    record_refusal,
)
from wishcraft.ledger import LedgerEntry, append
from wishcraft.lint import analyse_wish
from wishcraft.lint.config import default_lint_config
from wishcraft.lint.registries import RegistryCache
from wishcraft.model import ExecMode, Wish
from wishcraft.registry import Registry

PLANNER = "openai.codex.v2025.plan"
WISH_TEXT = (LSP_WORKSPACE / "data" / "wishes" / "lighthouse.wish.yaml").read_text()


def workspace(root: Path, *, registry: bool = True) -> Path:
    """A project with the test registry (or none) and the lighthouse wish; the wish's path."""
    wishes = root / "data" / "wishes"
    wishes.mkdir(parents=True)
    if registry:
        shutil.copytree(LSP_WORKSPACE / "data" / "conduits", root / "data" / "conduits")
    wish = wishes / "w.wish.yaml"
    wish.write_text(WISH_TEXT, encoding="utf-8")
    return wish


def git_repo(root: Path, url: str) -> None:
    (root / ".git").mkdir()
    (root / ".git" / "config").write_text(f'[remote "origin"]\n\turl = {url}\n')


def registry_of(wish: Path) -> Registry:
    return RegistryCache().for_document(wish)


def parsed(registry: Registry) -> Wish:
    wish = analyse_wish(WISH_TEXT, registry).wish
    assert wish is not None
    return wish


def test_outside_git_the_repository_check_is_skipped_and_said(tmp_path: Path) -> None:
    wish = workspace(tmp_path)
    registry = registry_of(wish)
    hearing = hear(parsed(registry), wish, "commit", registry, default_lint_config())
    assert hearing.verdict.allowed, hearing.verdict.reason
    assert hearing.repo is None and hearing.location is not None
    assert hearing.location.path == tmp_path / "data" / "ledger" / "wishes.jsonl"
    assert hearing.wish_key == "data/wishes/w.wish.yaml"
    assert "Not in a git repository, so the repository check is skipped." in hearing.notes
    remaining = hearing.verdict.remaining
    assert remaining is not None and remaining.label() == "plan 10/10 · today 200/200"


def test_another_repository_is_refused_by_the_scopes_gate(tmp_path: Path) -> None:
    wish = workspace(tmp_path / "elsewhere")
    git_repo(tmp_path / "elsewhere", "git@github.com:someone/otherrepo.git")
    registry = registry_of(wish)
    hearing = hear(parsed(registry), wish, "shadow", registry, default_lint_config())
    refusal = hearing.verdict.refusal
    assert refusal is not None and refusal.name == "Scopes"
    assert hearing.verdict.reason.startswith(
        f"`{PLANNER}` may plan only in `ruinsofatlantis`, and this workspace is `otherrepo` "
        "(from its remote origin)"
    )
    assert hearing.repo is not None and hearing.repo.name == "otherrepo"


def test_the_scope_repository_and_paths_are_matched_against_the_repo(tmp_path: Path) -> None:
    wish = workspace(tmp_path / "ruins")
    git_repo(tmp_path / "ruins", "https://github.com/OpenAgentsInc/ruinsofatlantis.git")
    registry = registry_of(wish)
    hearing = hear(parsed(registry), wish, "commit", registry, default_lint_config())
    assert hearing.verdict.allowed, hearing.verdict.reason
    scopes = next(gate for gate in hearing.verdict.gates if gate.name == "Scopes")
    assert scopes.reason == (
        f"A scope of `{PLANNER}` allows plan in repository `ruinsofatlantis`, 1 path inside **."
    )
    assert not any("repository check" in note for note in hearing.notes)


def test_the_bundled_registry_matches_any_repository_and_says_so(tmp_path: Path) -> None:
    wish = workspace(tmp_path / "mine", registry=False)
    git_repo(tmp_path / "mine", "git@github.com:me/mine.git")
    registry = registry_of(wish)
    assert registry.source is None  # the bundled one
    hearing = hear(parsed(registry), wish, "commit", registry, default_lint_config())
    assert hearing.verdict.allowed, hearing.verdict.reason
    assert (
        "The bundled registry is upstream's own, written for its repository, so its `repo` "
        "matches any repository."
    ) in hearing.notes


def test_an_unreadable_ledger_configuration_refuses_every_call_and_is_said(
    tmp_path: Path,
) -> None:
    wish = workspace(tmp_path)
    config = tmp_path / "data" / "config" / "wishcraft.toml"
    config.parent.mkdir(parents=True)
    config.write_text("[ledger]\npath = 3\n")
    registry = registry_of(wish)
    for mode in ("commit", "shadow"):  # a call that cannot be recorded does not run
        hearing = hear(parsed(registry), wish, mode, registry, default_lint_config())
        assert hearing.location is None and hearing.ledger_problem is not None
        assert "[ledger] path must be a non-empty string" in hearing.ledger_problem
        refusal = hearing.verdict.refusal
        assert refusal is not None and refusal.name == "Ledger"
        assert hearing.verdict.reason == hearing.ledger_problem
        # Nothing to write the refusal in: nothing is added to the gate's sentence.
        assert record_refusal(hearing, parsed(registry), "ab" * 32) == []
    recorded = record(hearing, CallRecord("complete"))
    assert not recorded.written
    assert recorded == [
        f"The ledger line of this call could not be written: {hearing.ledger_problem}"
    ]


def test_record_leaves_one_line_and_a_refusal_its_reason(tmp_path: Path) -> None:
    wish = workspace(tmp_path)
    registry = registry_of(wish)
    unbound = parsed(registry).model_copy(update={"tools": ["worldsmith.place"]})
    hearing = hear(unbound, wish, "shadow", registry, default_lint_config())
    assert not hearing.verdict.allowed
    assert record_refusal(hearing, unbound, "ab" * 32) == []
    assert hearing.location is not None
    (line,) = [
        json.loads(text) for text in hearing.location.path.read_text(encoding="utf-8").splitlines()
    ]
    assert (line["outcome"], line["mode"], line["wish"], line["author_id"]) == (
        "refused",
        "shadow",
        "data/wishes/w.wish.yaml",
        "player-4821",
    )
    assert line["reason"] == hearing.verdict.reason and line["wish_hash"] == "ab" * 32
    assert line["summary"] == "Refused by the Binding gate."


def test_a_ledger_that_cannot_be_written_refuses_the_call_with_one_sentence(
    tmp_path: Path,
) -> None:
    wish = workspace(tmp_path)
    (tmp_path / "data" / "ledger").write_text("a file where the folder goes")
    registry = registry_of(wish)
    hearing = hear(parsed(registry), wish, "shadow", registry, default_lint_config())
    refusal = hearing.verdict.refusal
    assert refusal is not None and refusal.name == "Ledger"
    assert refusal.reason == (
        "The ledger data/ledger/wishes.jsonl cannot be used: data/ledger is not a folder; "
        "move it away, or set `[ledger] path` in data/config/wishcraft.toml elsewhere inside "
        "the repository."
    )
    # Had it been heard before the folder went wrong, the line's failure is an error.
    recorded = record(hearing, CallRecord("complete", model="shadow-run"))
    assert not recorded.written
    assert recorded[0].startswith("The ledger line of this call could not be written: ")


def test_a_torn_last_line_is_reported_by_the_next_record(tmp_path: Path) -> None:
    wish = workspace(tmp_path)
    registry = registry_of(wish)
    hearing = hear(parsed(registry), wish, "shadow", registry, default_lint_config())
    assert hearing.location is not None
    append(
        hearing.location.path,
        LedgerEntry(conduit=PLANNER, action="plan", mode="shadow", wish="x", outcome="complete"),
    )
    with hearing.location.path.open("ab") as handle:
        handle.write(b'{"conduit":"openai')
    (problem,) = record(hearing, CallRecord("complete"))
    assert "is a torn write of 18 bytes (a crash mid-append)" in problem
    assert record(hearing, CallRecord("complete")) == []  # said once: it is behind us now


@pytest.mark.parametrize(
    ("files", "env", "expected"),
    [
        ((), {}, False),
        (("auth.json",), {}, True),
        ((), {"OPENAI_API_KEY": "sk-test"}, True),
        (("config.toml",), {}, False),
    ],
)
def test_login_likely_sees_a_login_file_or_an_api_key(
    tmp_path: Path, files: tuple[str, ...], env: dict[str, str], expected: bool
) -> None:
    for name in files:
        (tmp_path / name).write_text("{}")
    assert login_likely({"CODEX_HOME": str(tmp_path), **env}) is expected


def test_ledger_mode_names() -> None:
    assert ledger_mode(ExecMode.SHADOW_RUN) == "shadow"
    assert ledger_mode(ExecMode.COMMIT) == "commit"
