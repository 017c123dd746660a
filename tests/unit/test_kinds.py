"""Which files are wishes and registries (`wishcraft.kinds`): the one rule set that the CLI's
folder walk and the language server share, by name, by glob and by content."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from wishcraft.kinds import (
    DEFAULT_GLOBS,
    DocumentKind,
    check_globs,
    classify,
    is_wish_path,
)
from wishcraft.lint import DocumentKind as LintDocumentKind
from wishcraft.lsp.settings import read_settings
from wishcraft.model import Wish

WISH = DocumentKind.WISH
REGISTRY = DocumentKind.REGISTRY


@dataclass(frozen=True)
class Case:
    """One file: its path, its text (None: not read) and the globs in force."""

    path: str
    expected: DocumentKind | None
    text: str | None = None
    globs: tuple[str, ...] = DEFAULT_GLOBS


CASES = {
    # By name, with the default globs.
    "wish-yaml-suffix": Case("/repo/docs/overview.wish.yaml", WISH),
    "wish-yml-suffix": Case("/repo/overview.wish.yml", WISH),
    "yaml-under-wishes": Case("/repo/data/wishes/lighthouse.yaml", WISH),
    "yml-deep-under-wishes": Case("/repo/wishes/inbox/2025/W-1.yml", WISH),
    "relative-under-wishes": Case("wishes/a.yaml", WISH),
    "windows-separators": Case("C:\\repo\\data\\wishes\\a.yaml", WISH),
    "named-wishes-but-not-a-folder": Case("/repo/wishes.yaml", None),
    "plain-yaml-is-nothing-unread": Case("/repo/docker-compose.yaml", None),
    "non-yaml-under-wishes": Case("/repo/wishes/README.md", None),
    "wish-suffix-case-sensitive": Case("/repo/a.WISH.YAML", None),
    "registry-yaml": Case("/repo/data/conduits/registry.yaml", REGISTRY),
    "registry-yml": Case("conduits/registry.yml", REGISTRY),
    "registry-name-outside-conduits": Case("/repo/data/registry.yaml", None),
    "registry-beats-wishes-folder": Case("/repo/wishes/conduits/registry.yaml", REGISTRY),
    # Globs replace the defaults.
    "custom-glob-other-extension": Case("/repo/spells/fire.spell", WISH, globs=("**/*.spell",)),
    "custom-glob-drops-default": Case("/repo/a.wish.yaml", None, globs=("**/*.spell",)),
    "name-only-glob-any-folder": Case("/repo/x/y/fire.w.yaml", WISH, globs=("*.w.yaml",)),
    "braces": Case("/repo/a.spell.yml", WISH, globs=("**/*.{wish,spell}.{yaml,yml}",)),
    "relative-pattern-any-depth": Case(
        "/r/data/quests/q.yaml", WISH, globs=("data/quests/*.yaml",)
    ),
    "relative-pattern-one-level": Case(
        "/r/data/quests/old/q.yaml", None, globs=("data/quests/*.yaml",)
    ),
    "absolute-pattern": Case("/only/here/a.yaml", WISH, globs=("/only/here/*.yaml",)),
    "absolute-pattern-elsewhere": Case(
        "/else/only/here/a.yaml", None, globs=("/only/here/*.yaml",)
    ),
    "no-globs-no-wish-by-name": Case("/repo/a.wish.yaml", None, globs=()),
    "registry-name-ignores-globs": Case("/r/conduits/registry.yaml", REGISTRY, globs=()),
    # By content, only when the text is given.
    "sniff-registry-list": Case("/repo/tools.yaml", REGISTRY, "- id: a.b\n  label: A\n"),
    "sniff-registry-spaced": Case("/repo/tools.yaml", REGISTRY, "# c\n-   id : a.b\n"),
    "sniff-indented-list-is-nothing": Case("/repo/tools.yaml", None, "items:\n  - id: a\n"),
    "sniff-indented-key-is-nothing": Case("/repo/x.yaml", None, "spec:\n  title: t\n"),
    "sniff-other-yaml-is-nothing": Case("/repo/ci.yaml", None, "name: ci\non: push\n"),
    "sniff-empty-is-nothing": Case("/repo/empty.yaml", None, ""),
    "sniff-registry-before-wish": Case("/repo/mixed.yaml", REGISTRY, "title: t\n- id: a\n"),
    "name-wins-over-content": Case("/repo/a.wish.yaml", WISH, "- id: a\n"),
    "registry-name-wins-over-content": Case("/c/conduits/registry.yaml", REGISTRY, "title: t\n"),
    "sniff-with-custom-globs": Case("/repo/a.yaml", WISH, "tier: micro\n", ("**/*.spell",)),
    "sniff-key-with-space-before-colon": Case("/repo/a.yaml", WISH, "rollback :\n  - x\n"),
}

# Every top-level key of a wish is sniffed, `tier` and `meta` included.
CASES.update(
    {
        f"sniff-wish-key-{key}": Case("/repo/a.yaml", WISH, f"{key}: x\n")
        for key in Wish.model_fields
    }
)


@pytest.mark.parametrize("case", CASES.values(), ids=CASES.keys())
def test_classify(case: Case) -> None:
    assert classify(case.path, case.text, case.globs) is case.expected


def test_every_wish_key_is_sniffed_tier_and_meta_included() -> None:
    assert {"tier", "meta"} <= set(Wish.model_fields)
    sniffed = [key for key in Wish.model_fields if classify("/r/a.yaml", f"{key}:\n") is WISH]
    assert sniffed == list(Wish.model_fields)


def test_without_text_only_the_name_counts() -> None:
    assert classify("/repo/a.yaml") is None
    assert classify("/repo/a.yaml", "title: t\n") is WISH


@pytest.mark.parametrize(
    "pattern",
    ["", "   ", "data/[abc.yaml", "**/*.{wish,spell.yaml"],
    ids=["empty", "blank", "unclosed-bracket", "unclosed-brace"],
)
def test_bad_globs_are_refused(pattern: str) -> None:
    with pytest.raises(ValueError, match="empty|unclosed"):
        check_globs(["**/*.wish.yaml", pattern])


def test_the_setting_uses_the_same_rules() -> None:
    settings, error = read_settings({"files": {"globs": ["**/*.spell"]}})
    assert error is None
    for path in ("/r/a.spell", "/r/a.wish.yaml", "/r/wishes/a.yaml"):
        assert settings.is_wish_path(path) == is_wish_path(path, ["**/*.spell"])
    defaults, _ = read_settings(None)
    assert defaults.is_wish_path("/r/wishes/a.yaml") and not defaults.is_wish_path("/r/a.yaml")
    assert defaults.files.globs == DEFAULT_GLOBS


def test_document_kind_is_still_importable_from_lint() -> None:
    assert LintDocumentKind is DocumentKind
