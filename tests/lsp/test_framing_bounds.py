"""The server's stdin framing is bounded: a huge header line is skipped, a lying length ends it.

Each test starts `python -m wishcraft.lsp` as a subprocess and writes raw bytes to its stdin,
as a broken or hostile client would. The properties:
- a 1 MB header line is skipped with a logged line, and the `initialize` after it is answered;
- an absurd `Content-Length` (over 64 MiB, negative, not a number, two that disagree) ends the
  server by itself, with status 1 and one logged reason, while stdin stays open: no wait for
  bytes that will never come;
- neither leaves a traceback on stderr.
Every wait is bounded (`WAIT_SECONDS`), so a server that hangs fails the test instead.
"""

from __future__ import annotations

import json
import subprocess
from typing import Any

import pytest

from testkit.lsp_client import SERVER
from wishcraft.lsp.framing import MAX_CONTENT_LENGTH, StreamUnusable, content_length

WAIT_SECONDS = 30.0
"""Start-up is about a second; this is only the bound that turns a hang into a failure."""


def frame(payload: dict[str, Any]) -> bytes:
    """One message as the LSP frames it."""
    body = json.dumps(payload).encode()
    return b"Content-Length: %d\r\n\r\n%s" % (len(body), body)


INITIALIZE = frame(
    {
        "jsonrpc": "2.0",
        "id": 1,
        "method": "initialize",
        "params": {"processId": None, "rootUri": None, "capabilities": {}},
    }
)
SHUTDOWN_EXIT = frame({"jsonrpc": "2.0", "id": 2, "method": "shutdown"}) + frame(
    {"jsonrpc": "2.0", "method": "exit"}
)


def answers(stdout: bytes) -> dict[Any, Any]:
    """The server's answers by request id."""
    found: dict[Any, Any] = {}
    rest = stdout
    while rest:
        head, _, rest = rest.partition(b"\r\n\r\n")
        length = int(head.split(b"\r\n")[0].split(b":")[1])
        message = json.loads(rest[:length])
        rest = rest[length:]
        if "id" in message:
            found[message["id"]] = message
    return found


def run(stdin: bytes) -> subprocess.CompletedProcess[bytes]:
    """Feed `stdin` whole (then its end) and wait, bounded, for the server to exit."""
    return subprocess.run(SERVER, input=stdin, capture_output=True, timeout=WAIT_SECONDS)


@pytest.mark.parametrize(
    "line",
    [b"X-Padding: " + b"a" * 1_000_000 + b"\r\n", b"\xff" * 1_000_000 + b"\n"],
    ids=["in-the-header-block", "a-line-of-its-own"],
)
def test_a_1mb_header_line_is_skipped_and_initialize_answered(line: bytes) -> None:
    done = run(line + INITIALIZE + SHUTDOWN_EXIT)
    err = done.stderr.decode()
    answered = answers(done.stdout)
    assert "capabilities" in answered[1]["result"], answered
    assert 2 in answered  # shutdown answered too: the stream stayed in step
    assert f"Skipped a header line of {len(line)} bytes" in err, err
    assert "Traceback" not in err, err
    assert done.returncode == 0, err


def test_a_header_line_that_never_ends_is_not_held() -> None:
    done = run(INITIALIZE + b"a" * 5_000_000)
    err = done.stderr.decode()
    assert "capabilities" in answers(done.stdout)[1]["result"]
    assert "Traceback" not in err, err


@pytest.mark.parametrize(
    ("header", "reason"),
    [
        (b"Content-Length: 99999999999\r\n", "the Content-Length 99999999999 is over the cap"),
        (b"Content-Length: -1\r\n", "the Content-Length '-1' is not a number of bytes"),
        (b"Content-Length: abc\r\n", "the Content-Length 'abc' is not a number of bytes"),
        (b"Content-Length: 5\r\nContent-Length: 7\r\n", "two Content-Length headers disagree"),
    ],
    ids=["huge", "negative", "not-a-number", "disagreeing"],
)
def test_a_lying_content_length_ends_the_server_with_a_logged_reason(
    header: bytes, reason: str
) -> None:
    server = subprocess.Popen(
        SERVER, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE
    )
    try:
        assert server.stdin is not None
        server.stdin.write(INITIALIZE + header + b"\r\n{")
        server.stdin.flush()
        # stdin stays open: the server must not wait for the bytes it was promised.
        returncode = server.wait(WAIT_SECONDS)
    finally:
        if server.poll() is None:
            server.kill()
        stdout, stderr = server.communicate(timeout=WAIT_SECONDS)
    err = stderr.decode()
    assert returncode == 1, err
    assert "capabilities" in answers(stdout)[1]["result"]  # what came before is served
    assert f"The client's messages cannot be read any further: {reason}" in err, err
    assert "Traceback" not in err, err


@pytest.mark.parametrize(
    ("value", "expected"),
    [(b" 0\r\n", 0), (b" 42 \r\n", 42), (b" %d\r\n" % MAX_CONTENT_LENGTH, MAX_CONTENT_LENGTH)],
)
def test_plain_lengths_up_to_the_cap_are_read(value: bytes, expected: int) -> None:
    assert content_length(value) == expected


@pytest.mark.parametrize(
    "value",
    [b" %d" % (MAX_CONTENT_LENGTH + 1), b" -1", b" +5", b" 1e3", b" 0x10", b" ", b" 1" * 30],
)
def test_other_lengths_are_refused(value: bytes) -> None:
    with pytest.raises(StreamUnusable):
        content_length(value)
