"""The user's undo state: private folders keyed by the workspace, records sealed with a key.

Properties: a workspace's folder is outside it, 0700, and differs from every other
workspace's; the key is 0600 and a key others can read is refused; a record verifies only
under its own kind and name and with its bytes as written; a record sealed with another key,
edited by one byte, renamed, or not sealed at all, is `UntrustedRecord`.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from wishcraft.undo_state import (
    KEY_NAME,
    StateFolderError,
    UntrustedRecord,
    ensure_private,
    interrupted_state_dirs,
    seal,
    state_dir_for,
    state_home,
    unseal,
)


def test_each_workspace_has_its_own_private_folder_outside_it(
    tmp_path: Path, undo_state_home: Path
) -> None:
    a, b = tmp_path / "a", tmp_path / "b"
    a.mkdir()
    b.mkdir()
    (tmp_path / "link").symlink_to(a)
    assert state_home() == undo_state_home
    assert state_dir_for(a) != state_dir_for(b)
    assert state_dir_for(tmp_path / "link") == state_dir_for(a)  # by real path
    assert not state_dir_for(a).is_relative_to(a)
    ensure_private(state_dir_for(a))
    assert stat.S_IMODE(os.stat(state_dir_for(a)).st_mode) == 0o700


def test_a_loose_state_folder_is_narrowed_and_a_linked_one_refused(tmp_path: Path) -> None:
    loose = tmp_path / "loose"
    loose.mkdir(mode=0o755)
    ensure_private(loose)
    assert stat.S_IMODE(os.stat(loose).st_mode) == 0o700
    (tmp_path / "linked").symlink_to(loose)
    with pytest.raises(StateFolderError, match="not a plain folder"):
        ensure_private(tmp_path / "linked")


def test_the_key_is_private_and_a_readable_key_is_refused(undo_state_home: Path) -> None:
    sealed = seal("anchor", "A.json", "{}")
    key = undo_state_home / KEY_NAME
    assert stat.S_IMODE(os.stat(key).st_mode) == 0o600
    os.chmod(key, 0o644)
    with pytest.raises(StateFolderError, match="may be read or written by others"):
        unseal("anchor", "A.json", sealed)


@given(st.text(max_size=200), st.integers(min_value=0, max_value=199))
def test_a_record_verifies_only_as_written(body: str, flip: int) -> None:
    sealed = seal("journal", "A-1.json", body)
    assert unseal("journal", "A-1.json", sealed) == body
    with pytest.raises(UntrustedRecord):
        unseal("anchor", "A-1.json", sealed)  # another kind
    with pytest.raises(UntrustedRecord):
        unseal("journal", "A-2.json", sealed)  # renamed
    if body:
        index = flip % len(body)
        changed = body[:index] + ("x" if body[index] != "x" else "y") + body[index + 1 :]
        head = sealed.partition("\n")[0]
        with pytest.raises(UntrustedRecord):
            unseal("journal", "A-1.json", f"{head}\n{changed}")  # edited
    with pytest.raises(UntrustedRecord):
        unseal("journal", "A-1.json", body)  # never sealed


def test_a_record_sealed_with_another_users_key_is_untrusted(
    undo_state_home: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    sealed = seal("anchor", "A.json", '{"root": "/"}')
    monkeypatch.setenv("WISHCRAFT_STATE_DIR", str(tmp_path / "someone-else"))
    with pytest.raises(UntrustedRecord, match="does not match"):
        unseal("anchor", "A.json", sealed)


def test_interrupted_folders_are_found_by_listing_only(tmp_path: Path) -> None:
    assert interrupted_state_dirs() == []
    folder = state_dir_for(tmp_path)
    (folder / "journal").mkdir(parents=True)
    (folder / "journal" / "A-x.conflict.json").write_text("{}")
    assert interrupted_state_dirs() == []  # a journal set aside waits for a person, not us
    (folder / "journal" / "A-y.json").write_text("{}")
    assert interrupted_state_dirs() == [folder]
