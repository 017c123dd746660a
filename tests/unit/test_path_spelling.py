"""One key per file, whatever the file system: `fold_path` and the policy paths it guards.

Windows, macOS and case-insensitive Linux mounts read some spellings as another name: `.GIT`,
`.git.`, `.git `, `GIT~1`, `.git::$INDEX_ALLOCATION`, `.g\u200bit`, `ｄａｔａ/ｌｅｄｇｅｒ`. Each is
either folded to the name it means (case, Unicode normal forms) or refused (whatever depends on
the disk), and no spelling of `.git`, the ledger or a policy file gets past `normalise`.
"""

from __future__ import annotations

import unicodedata
from pathlib import Path

import pytest

from testkit.trees import build
from wishcraft.apply.errors import UnsafePath
from wishcraft.apply.safety import (
    MAX_NAME_BYTES,
    Protected,
    SpellingError,
    check_path,
    fold_path,
    normalise,
    policy_reason,
)

FOLDED = [
    pytest.param("src/app.py", "src/app.py", id="plain"),
    pytest.param("Data/LEDGER", "data/ledger", id="case"),
    pytest.param("STRASSE/Straße.md", "strasse/strasse.md", id="casefold-sharp-s"),
    pytest.param("caf\u00e9.md", "caf\u00e9.md", id="nfc"),
    pytest.param("cafe\u0301.md", "caf\u00e9.md", id="nfd-to-nfc"),
    pytest.param("\uff44\uff41\uff54\uff41/ledger", "data/ledger", id="fullwidth-nfkc"),
    pytest.param("\u212a.txt", "k.txt", id="kelvin-sign"),
    pytest.param(".\uff27\uff29\uff34", ".git", id="fullwidth-git"),
    pytest.param("\u706f\u5854/\u8bf4\u660e.md", "\u706f\u5854/\u8bf4\u660e.md", id="cjk"),
    pytest.param("..hidden", "..hidden", id="leading-dots"),
    pytest.param("name with space.txt", "name with space.txt", id="inner-space"),
    pytest.param("v~a/readme", "v~a/readme", id="tilde-without-digit"),
]


@pytest.mark.parametrize(("path", "key"), FOLDED)
def test_spellings_fold_to_one_key(path: str, key: str) -> None:
    assert fold_path(path) == key
    assert fold_path(key) == key  # a key is its own key


REFUSED = [
    pytest.param(".git.", "ends with a dot", id="trailing-dot"),
    pytest.param(".git ", "ends with a dot or a space", id="trailing-space"),
    pytest.param("data/ledger./x", "ends with a dot", id="trailing-dot-folder"),
    pytest.param("data/ledger\u00a0/x", "ends with a dot or a space", id="trailing-nbsp"),
    pytest.param(".git\uff0e", "ends with a dot", id="trailing-fullwidth-dot"),
    pytest.param("GIT~1/config", "short name", id="short-name"),
    pytest.param("data/LEDGER~2", "short name", id="short-name-ledger"),
    pytest.param(".git::$INDEX_ALLOCATION/x", "data stream", id="ads"),
    pytest.param("a.txt:secret", "data stream", id="ads-file"),
    pytest.param("a\uff1ab", "data stream", id="fullwidth-colon"),
    pytest.param(".g\u200bit/config", "U+200B", id="zero-width-space"),
    pytest.param(".git\u200d", "U+200D", id="zero-width-joiner"),
    pytest.param("data/led\u00adger/x", "U+00AD", id="soft-hyphen"),
    pytest.param("\ufeff.git", "U+FEFF", id="bom"),
    pytest.param(".git\ufe0f", "U+FE0F", id="variation-selector"),
    pytest.param(".gi\u034ft", "U+034F", id="grapheme-joiner"),
    pytest.param("a\u2060b", "U+2060", id="word-joiner"),
    pytest.param("a\u202eb", "U+202E", id="bidi-override"),
    pytest.param("a\u180eb", "U+180E", id="mongolian-vowel-separator"),
    pytest.param("a\U000e0041b", "U+E0041", id="tag-character"),
    pytest.param("a\uf03ab", "U+F03A", id="private-use-colon-of-cygwin"),
    pytest.param("\u2025/x", "reads as '..'", id="two-dot-leader"),
    pytest.param("a\uff0fb", "reads as", id="fullwidth-solidus"),
    pytest.param("a\uff3cb", "reads as", id="fullwidth-backslash"),
]


@pytest.mark.parametrize(("path", "reason"), REFUSED)
def test_spellings_another_disk_reads_otherwise_are_refused(path: str, reason: str) -> None:
    with pytest.raises(SpellingError, match=reason.replace("+", r"\+").replace("(", r"\(")):
        fold_path(path)
    with pytest.raises(UnsafePath):
        normalise(path)


def test_every_default_ignorable_code_point_is_refused() -> None:
    """Every one of Unicode's Default_Ignorable_Code_Point characters is refused, none folds."""
    ranges = [
        (0x00AD, 0x00AD),
        (0x034F, 0x034F),
        (0x061C, 0x061C),
        (0x115F, 0x1160),
        (0x17B4, 0x17B5),
        (0x180B, 0x180F),
        (0x200B, 0x200F),
        (0x202A, 0x202E),
        (0x2060, 0x206F),
        (0x3164, 0x3164),
        (0xFE00, 0xFE0F),
        (0xFEFF, 0xFEFF),
        (0xFFA0, 0xFFA0),
        (0xFFF0, 0xFFF8),
        (0x1BCA0, 0x1BCA3),
        (0x1D173, 0x1D17A),
        (0xE0000, 0xE0FFF),
    ]
    checked = 0
    for low, high in ranges:
        for code in range(low, high + 1):
            with pytest.raises(SpellingError):
                fold_path(f".gi{chr(code)}t")
            checked += 1
    assert checked == sum(high - low + 1 for low, high in ranges) == 4174


POLICY = [
    pytest.param(".git/config", ".git/", id="git"),
    pytest.param("sub/.Git/hooks/pre-push", ".git/", id="nested-git-case"),
    pytest.param(".gitattributes", "git attributes", id="gitattributes"),
    pytest.param("deep/er/.GitAttributes", "git attributes", id="gitattributes-deep-case"),
    pytest.param(".husky/pre-push", "git hooks", id="husky"),
    pytest.param("data/conduits/registry.yaml", "registry", id="registry"),
    pytest.param("data/conduits/registry.yml", "registry", id="registry-yml"),
    pytest.param("conduits/registry.yaml", "registry", id="registry-short"),
    pytest.param("pkg/Data/Conduits/Registry.YAML", "registry", id="registry-nested-case"),
    pytest.param("data/config/wishcraft.toml", "configuration", id="config"),
    pytest.param("DATA/CONFIG/WISHCRAFT.TOML", "configuration", id="config-upper"),
    pytest.param("data/ledger", "ledger", id="ledger-folder"),
    pytest.param("data/LEDGER/wishes.jsonl", "ledger", id="ledger-upper"),
    pytest.param("data/ledger/anchors/journal/x.json", "ledger", id="undo-records"),
    pytest.param("\uff44\uff41\uff54\uff41/ledger/x", "ledger", id="ledger-fullwidth"),
]


@pytest.mark.parametrize(("path", "what"), POLICY)
def test_no_spelling_of_a_policy_file_passes(path: str, what: str) -> None:
    reason = policy_reason(fold_path(path))
    assert reason is not None and what in reason
    with pytest.raises(UnsafePath) as caught:
        normalise(path)
    assert what in str(caught.value)
    if ".git/" not in what:
        assert "is a policy file no wish may change" in str(caught.value)


@pytest.mark.parametrize(
    "path",
    [
        "src/app.py",
        "data/wishes/lamps.wish.yaml",
        "data/configs/wishcraft.toml",
        "docs/conduits.md",
        "conduits/registry.yaml.bak",
        ".github/workflows/ci.yml",
        "src/git/x.py",
        "ledger/notes.md",
    ],
)
def test_ordinary_paths_are_not_policy(path: str) -> None:
    assert policy_reason(fold_path(path)) is None
    assert normalise(path) == path


def test_a_workspaces_own_policy_paths_are_refused_in_any_spelling(tmp_path: Path) -> None:
    root = build(tmp_path / "ws", {"logs/wishes.jsonl": "", "tools/hooks/pre-push": "x"})
    protected = Protected(
        (("logs", "the wish ledger's folder"), ("tools/hooks", "git hooks")),
    )
    for path in ("logs/wishes.jsonl", "LOGS/new.txt", "tools/Hooks/pre-push", "tools/hooks"):
        with pytest.raises(UnsafePath, match="is a policy file no wish may change"):
            check_path(root, path, protected=protected)
    assert check_path(root, "tools/other.sh", protected=protected) == "tools/other.sh"
    (root / "alias").symlink_to(root / "logs", target_is_directory=True)
    with pytest.raises(UnsafePath, match="wish ledger"):
        check_path(root, "alias/new.txt", protected=protected)


@pytest.mark.parametrize(
    ("path", "said"),
    [
        pytest.param("x" * 300, "300 bytes long", id="300-characters"),
        pytest.param("src/" + "\u00e9" * 128 + ".py", "259 bytes", id="component-256-bytes"),
        pytest.param("/".join(["d" * 200] * 25) + "/f.py", "over the limit of 1024", id="total"),
    ],
)
def test_long_names_are_refused_in_one_sentence(tmp_path: Path, path: str, said: str) -> None:
    root = build(tmp_path / "ws", {"keep.txt": "x"})
    with pytest.raises(UnsafePath) as caught:
        check_path(root, path)
    message = str(caught.value)
    assert said in message and message.count(". ") == 0 and message.endswith(".")
    assert len(message) < 300
    assert len(("\u00e9" * 128).encode()) > MAX_NAME_BYTES


def test_folding_is_stable_under_normal_forms() -> None:
    """NFC, NFD, NFKC and NFKD spellings of a name all fold to one key."""
    name = "Ｃafé\u212b/ﬁle.txt"
    keys = {fold_path(unicodedata.normalize(form, name)) for form in ("NFC", "NFD", "NFKC", "NFKD")}
    assert len(keys) == 1
