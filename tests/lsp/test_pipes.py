"""The server's stdio pipes hold a large message whole (`lsp/pipes.py`).

A references answer over 1,000 wishes is 120 KB and an unchanged `workspace/diagnostic` over
2,000 files 250 KB each way; through Linux's default 64 KB pipe each crossed in several turns,
each waiting for the other process to be scheduled. The properties: once the real server
answers `initialize`, both of its pipes hold 1 MB; and asking for it on what is not a pipe
changes nothing and raises nothing.
"""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from testkit.lsp_client import SERVER
from wishcraft.lsp.pipes import WANTED_BYTES, widen

WAIT_SECONDS = 30.0
"""Start-up is about a second; this only turns a hang into a failure."""

linux_only = pytest.mark.skipif(sys.platform != "linux", reason="F_SETPIPE_SZ is Linux's")


def _frame(payload: dict[str, object]) -> bytes:
    body = json.dumps(payload).encode()
    return b"Content-Length: %d\r\n\r\n%s" % (len(body), body)


@linux_only
def test_the_servers_pipes_hold_a_large_message_whole() -> None:
    import fcntl

    server = subprocess.Popen(
        SERVER, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE
    )
    assert server.stdin is not None and server.stdout is not None
    read_end, write_end = os.pipe()  # what a pipe holds unless asked
    default = fcntl.fcntl(read_end, fcntl.F_GETPIPE_SZ)
    os.close(read_end)
    os.close(write_end)
    assert default < WANTED_BYTES
    try:
        server.stdin.write(
            _frame(
                {
                    "jsonrpc": "2.0",
                    "id": 1,
                    "method": "initialize",
                    "params": {"processId": None, "rootUri": None, "capabilities": {}},
                }
            )
        )
        server.stdin.flush()
        assert server.stdout.readline().startswith(b"Content-Length:")  # it has started
        sizes = [fcntl.fcntl(p.fileno(), fcntl.F_GETPIPE_SZ) for p in (server.stdin, server.stdout)]
        assert sizes == [WANTED_BYTES, WANTED_BYTES]
    finally:
        server.stdin.close()  # end of input: the server stops by itself
        server.wait(timeout=WAIT_SECONDS)
    assert server.stderr is not None and b"Traceback" not in server.stderr.read()


def test_what_is_not_a_pipe_is_left_as_it_is(tmp_path: Path) -> None:
    with (tmp_path / "log").open("wb") as regular:
        widen(regular, io.BytesIO(), io.StringIO())
        regular.write(b"still writable")
    assert (tmp_path / "log").read_bytes() == b"still writable"
