"""`shutdown` and `exit` while the server is busy: it goes at once, quietly.

The editor closes while the workspace is still being indexed (or a plan streams). pygls closes
stdout on `exit`; the background work, cancelled on the way out, ended its progress in
`finally`, and each send to the closed stdout failed and was reported by another send: a
thousand nested tracebacks, minutes of CPU, an editor waiting for its server to end. Here a
real server process is told to exit in the middle of its index build, over raw stdio.
"""

from __future__ import annotations

import json
import subprocess
import threading
import time
from pathlib import Path
from typing import IO, Any

from pygls.uris import from_fs_path

from testkit.big_workspace import build_workspace
from testkit.lsp_client import SERVER

EXIT_SECONDS = 10.0
"""How long the server may take to end after `exit` (it takes well under a second)."""


class RawClient:
    """A client over the server's pipes that answers every request of the server with null
    (`workspace/configuration` with no settings) and records the notifications."""

    def __init__(self, process: subprocess.Popen[bytes]) -> None:
        self.process = process
        self.notifications: list[dict[str, Any]] = []
        self.changed = threading.Condition()
        self.stderr = b""
        self.lock = threading.Lock()
        assert process.stdout is not None and process.stderr is not None
        threading.Thread(target=self._read, args=(process.stdout,), daemon=True).start()
        self.draining = threading.Thread(target=self._drain, args=(process.stderr,), daemon=True)
        self.draining.start()

    def send(self, message: dict[str, Any]) -> None:
        body = json.dumps({"jsonrpc": "2.0", **message}).encode()
        assert self.process.stdin is not None
        with self.lock:
            self.process.stdin.write(b"Content-Length: %d\r\n\r\n%s" % (len(body), body))
            self.process.stdin.flush()

    def wait_for(self, predicate: Any, seconds: float = 30.0) -> dict[str, Any]:
        """The first notification `predicate` holds for, waiting for it to arrive."""
        deadline = time.monotonic() + seconds
        with self.changed:
            while True:
                for message in self.notifications:
                    if predicate(message):
                        return message
                left = deadline - time.monotonic()
                assert left > 0, [m.get("method") for m in self.notifications]
                self.changed.wait(left)

    def _read(self, stream: IO[bytes]) -> None:
        while True:
            line = stream.readline()
            if not line:
                return
            if not line.lower().startswith(b"content-length:"):
                continue
            length = int(line.split(b":")[1])
            while stream.readline().strip():
                pass
            message = json.loads(stream.read(length))
            if "method" in message and "id" in message:
                result = [None] if message["method"] == "workspace/configuration" else None
                self.send({"id": message["id"], "result": result})
            elif "method" in message:
                with self.changed:
                    self.notifications.append(message)
                    self.changed.notify_all()

    def _drain(self, stream: IO[bytes]) -> None:
        self.stderr = stream.read()


def _index_progress(kind: str) -> Any:
    """A predicate: a `$/progress` of the index build, of `kind` (begin, report, end)."""

    def matches(message: dict[str, Any]) -> bool:
        params = message.get("params", {})
        return bool(
            message.get("method") == "$/progress"
            and params.get("value", {}).get("kind") == kind
            and str(params.get("token")).startswith("wishcraft-index")
        )

    return matches


def test_exit_in_the_middle_of_indexing_ends_the_server_at_once(tmp_path: Path) -> None:
    root = build_workspace(tmp_path / "ws", 6_000)
    uri = from_fs_path(str(root)) or ""
    process = subprocess.Popen(
        SERVER, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE
    )
    client = RawClient(process)
    try:
        capabilities = {
            "window": {"workDoneProgress": True},
            "workspace": {"configuration": True},
        }
        client.send(
            {
                "id": 1,
                "method": "initialize",
                "params": {
                    "processId": None,
                    "rootUri": uri,
                    "capabilities": capabilities,
                    "workspaceFolders": [{"uri": uri, "name": "ws"}],
                },
            }
        )
        client.send({"method": "initialized", "params": {}})
        client.wait_for(_index_progress("report"))
        client.send({"id": 2, "method": "shutdown"})
        client.send({"method": "exit"})
        started = time.monotonic()
        returncode = process.wait(timeout=EXIT_SECONDS)
        took = time.monotonic() - started
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    # The index was still being built when the editor left (else this proved nothing).
    assert not [message for message in client.notifications if _index_progress("end")(message)]
    assert returncode == 0
    assert took < EXIT_SECONDS
    client.draining.join(EXIT_SECONDS)
    stderr = client.stderr.decode(errors="replace")
    assert "Error sending data" not in stderr and "Server error" not in stderr, stderr[:2000]
