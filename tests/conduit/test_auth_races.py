"""auth.json under races and crashes: another login written during our refresh, two processes
refreshing at once, a crash between writing and renaming, a failing rename, a lock held too
long. Afterwards auth.json is always valid JSON holding every field we do not own, and no
temporary file outlives the next refresh.
"""

from __future__ import annotations

import json
import os
import signal
import stat
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from testkit.codex_home import ACCOUNT_ID, fake_jwt, write_codex_home
from testkit.loopback import LoopbackCodex, Recorded, Response, json_response
from testkit.paths import TESTKIT
from wishcraft.conduit import auth
from wishcraft.conduit.auth import load_auth, refresh_auth
from wishcraft.conduit.errors import LoginMissing, RefreshFailed

WORKER = TESTKIT / "refresh_worker.py"
UNKNOWN_TOP = {"agent_identity": "fake-unknown-field-kept", "future_field": {"nested": [1, 2, 3]}}
UNKNOWN_TOKEN_FIELD = {"future_token_field": "kept-too"}


def expired_home(path: Path) -> Path:
    """A login whose access token has expired, with unknown fields at both levels."""
    home = write_codex_home(path, expires_in=-60)
    data = json.loads((home / "auth.json").read_text())
    data.update(UNKNOWN_TOP)
    data["tokens"].update(UNKNOWN_TOKEN_FIELD)
    (home / "auth.json").write_text(json.dumps(data, indent=2))
    return home


def fresh_tokens(label: str) -> dict[str, str]:
    """What the token endpoint answers: an unexpired access token named by `label`."""
    return {
        "access_token": fake_jwt({"exp": int(time.time()) + 3600, "label": label}),
        "refresh_token": f"rt_fake_refreshed_{label}",
        "id_token": fake_jwt({"label": label}),
    }


def assert_valid_with_unknown_fields(home: Path) -> dict[str, Any]:
    data = json.loads((home / "auth.json").read_text())
    assert {key: data[key] for key in UNKNOWN_TOP} == UNKNOWN_TOP
    assert data["auth_mode"] == "chatgpt" and data["OPENAI_API_KEY"] is None
    assert data["tokens"]["future_token_field"] == "kept-too"
    assert data["tokens"]["account_id"] == ACCOUNT_ID
    assert stat.S_IMODE(os.stat(home / "auth.json").st_mode) == 0o600
    return data  # type: ignore[no-any-return]


def temporaries(home: Path) -> list[str]:
    return sorted(p.name for p in home.iterdir() if p.name.endswith(".tmp"))


async def refresh(home: Path, server: LoopbackCodex) -> auth.CodexAuth:
    current = load_auth(home)
    async with httpx.AsyncClient(trust_env=False) as client:
        return await refresh_auth(current, client, url=server.refresh_url, headers={})


def refreshes(server: LoopbackCodex) -> list[Recorded]:
    return [r for r in server.requests if r.path == "/oauth/token"]


async def test_a_login_written_during_our_refresh_is_not_clobbered(
    codex_server: LoopbackCodex, tmp_path: Path
) -> None:
    home = expired_home(tmp_path / "codex")
    newer = json.loads((home / "auth.json").read_text())
    newer["tokens"] = {**newer["tokens"], **fresh_tokens("codex-login"), "account_id": ACCOUNT_ID}
    newer["written_by"] = "codex login, meanwhile"

    def codex_login_meanwhile(_: Recorded) -> None:
        (home / "auth.json").write_text(json.dumps(newer, indent=2))  # as Codex: in place

    codex_server.enqueue(
        "refresh",
        Response(
            200,
            {"content-type": "application/json"},
            json.dumps(fresh_tokens("ours")).encode(),
            hook=codex_login_meanwhile,
        ),
    )
    result = await refresh(home, codex_server)
    assert json.loads((home / "auth.json").read_text()) == newer
    assert result.access_token == newer["tokens"]["access_token"]
    assert len(refreshes(codex_server)) == 1


async def test_a_file_half_written_during_our_refresh_is_rebuilt_whole(
    codex_server: LoopbackCodex, tmp_path: Path
) -> None:
    home = expired_home(tmp_path / "codex")

    def torn_write(_: Recorded) -> None:
        (home / "auth.json").write_text('{"auth_mode": "chatgpt", "tok')

    ours = fresh_tokens("ours")
    codex_server.enqueue(
        "refresh",
        Response(
            200, {"content-type": "application/json"}, json.dumps(ours).encode(), hook=torn_write
        ),
    )
    result = await refresh(home, codex_server)
    data = assert_valid_with_unknown_fields(home)
    assert data["tokens"]["access_token"] == ours["access_token"] == result.access_token
    assert data["tokens"]["refresh_token"] == ours["refresh_token"]


async def test_a_logout_during_our_refresh_is_respected(
    codex_server: LoopbackCodex, tmp_path: Path
) -> None:
    home = expired_home(tmp_path / "codex")
    codex_server.enqueue(
        "refresh",
        Response(
            200,
            {"content-type": "application/json"},
            json.dumps(fresh_tokens("ours")).encode(),
            hook=lambda _: (home / "auth.json").unlink(),
        ),
    )
    with pytest.raises(LoginMissing, match="was removed while it was being refreshed"):
        await refresh(home, codex_server)
    assert not (home / "auth.json").exists()


def start_worker(home: Path, url: str, *extra: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, str(WORKER), str(home), url, *extra],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def release(*workers: subprocess.Popen[str]) -> None:
    """Wait until every worker has loaded the (stale) login, then let them all go at once."""
    for worker in workers:
        assert worker.stdout is not None and worker.stdout.readline().strip() == "ready"
    for worker in workers:
        assert worker.stdin is not None
        worker.stdin.write("go\n")
        worker.stdin.flush()


def test_two_processes_refreshing_at_once_call_the_endpoint_once(
    codex_server: LoopbackCodex, tmp_path: Path
) -> None:
    home = expired_home(tmp_path / "codex")
    first, second = fresh_tokens("first"), fresh_tokens("second")
    codex_server.enqueue(
        "refresh",  # slow, so that the second process arrives meanwhile
        Response(200, {"content-type": "application/json"}, json.dumps(first).encode(), delay=0.3),
        json_response(401, {"error": {"code": "refresh_token_reused"}}),
    )
    workers = [start_worker(home, codex_server.refresh_url) for _ in range(2)]
    release(*workers)
    results = []
    for worker in workers:
        out, err = worker.communicate(timeout=20)
        assert worker.returncode == 0, err
        results.append(json.loads(out.strip().splitlines()[-1]))
    assert results == [{"access_token": first["access_token"]}] * 2
    assert len(refreshes(codex_server)) == 1
    data = assert_valid_with_unknown_fields(home)
    assert data["tokens"]["refresh_token"] == first["refresh_token"] != second["refresh_token"]
    assert temporaries(home) == []


async def test_a_crash_between_write_and_rename_leaves_the_old_file_whole(
    codex_server: LoopbackCodex, tmp_path: Path
) -> None:
    home = expired_home(tmp_path / "codex")
    before = (home / "auth.json").read_text()
    following = fresh_tokens("next")
    codex_server.enqueue(
        "refresh", json_response(200, fresh_tokens("lost")), json_response(200, following)
    )
    worker = start_worker(home, codex_server.refresh_url, "crash-at-rename")
    release(worker)
    worker.communicate(timeout=20)
    assert worker.returncode == -signal.SIGKILL
    assert (home / "auth.json").read_text() == before  # untouched, valid, every field kept
    (leftover,) = temporaries(home)
    assert leftover.startswith(".auth.json.")
    assert stat.S_IMODE(os.stat(home / leftover).st_mode) == 0o600  # a secret: private
    result = await refresh(home, codex_server)  # the next run: the lock is free again
    assert temporaries(home) == []
    data = assert_valid_with_unknown_fields(home)
    assert data["tokens"]["access_token"] == result.access_token == following["access_token"]


async def test_a_failing_rename_keeps_the_file_and_leaves_no_temporary(
    codex_server: LoopbackCodex, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    home = expired_home(tmp_path / "codex")
    before = (home / "auth.json").read_text()
    ours = fresh_tokens("unsaved")
    codex_server.enqueue("refresh", json_response(200, ours))

    def full_disk(source: str, target: str) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "replace", full_disk)
    result = await refresh(home, codex_server)
    monkeypatch.undo()
    assert result.access_token == ours["access_token"]  # this request still gets through
    assert (home / "auth.json").read_text() == before
    assert temporaries(home) == []


@pytest.fixture
def lock_held_elsewhere(tmp_path: Path) -> Iterator[Path]:
    """A CODEX_HOME whose refresh lock another process holds until the test ends."""
    home = expired_home(tmp_path / "codex")
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import sys, filelock; lock = filelock.FileLock(sys.argv[1]); "
            "lock.acquire(); print('held', flush=True); sys.stdin.readline()",
            str(home / "auth.json.lock"),
        ],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "held"
        yield home
    finally:
        holder.communicate("done\n", timeout=10)


async def test_a_lock_held_too_long_is_one_clear_sentence(
    codex_server: LoopbackCodex, lock_held_elsewhere: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(auth, "LOCK_TIMEOUT_SECONDS", 0.2)
    with pytest.raises(RefreshFailed) as caught:
        await refresh(lock_held_elsewhere, codex_server)
    assert str(caught.value).startswith(
        "Another program has been refreshing the Codex login for 0.2 s"
    )
    assert not caught.value.permanent and refreshes(codex_server) == []
