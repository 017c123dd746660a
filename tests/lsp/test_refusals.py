"""A refused request is an answer, not a fault: one sentence to the editor, one line in the log.

The server runs as a subprocess at `--log-level INFO`, as a user debugging it would run it, and
gets raw JSON-RPC: a wish is opened and F2 is pressed on `title:` (`textDocument/prepareRename`)
and on a YAML comment. Each answer is the error whose message is the sentence VS Code shows under
the cursor; the log holds one INFO line per refusal and no traceback (pygls logs a handler's
error with its traceback, `lsp/refusal.py` turns a refusal's into one line).
"""

from __future__ import annotations

import json
import subprocess
from typing import Any

from testkit.lsp_client import SERVER, VALID_WISH

WAIT_SECONDS = 30.0
URI = "file:///tmp/refusals/data/wishes/r.wish.yaml"


def frame(payload: dict[str, Any]) -> bytes:
    body = json.dumps(payload).encode()
    return b"Content-Length: %d\r\n\r\n%s" % (len(body), body)


def answers(stdout: bytes) -> dict[int, dict[str, Any]]:
    """The responses on the server's stdout, by id."""
    out: dict[int, dict[str, Any]] = {}
    for part in stdout.split(b"Content-Length: ")[1:]:
        message = json.loads(part.split(b"\r\n\r\n", 1)[1])
        if "id" in message and "method" not in message:
            out[message["id"]] = message
    return out


def prepare_rename(message_id: int, line: int, character: int) -> bytes:
    return frame(
        {
            "jsonrpc": "2.0",
            "id": message_id,
            "method": "textDocument/prepareRename",
            "params": {
                "textDocument": {"uri": URI},
                "position": {"line": line, "character": character},
            },
        }
    )


def test_a_refused_rename_is_one_sentence_and_one_log_line_without_traceback() -> None:
    text = "# a comment\n" + VALID_WISH
    messages = [
        frame(
            {
                "jsonrpc": "2.0",
                "id": 1,
                "method": "initialize",
                "params": {"processId": None, "rootUri": None, "capabilities": {}},
            }
        ),
        frame({"jsonrpc": "2.0", "method": "initialized", "params": {}}),
        frame(
            {
                "jsonrpc": "2.0",
                "method": "textDocument/didOpen",
                "params": {
                    "textDocument": {"uri": URI, "languageId": "yaml", "version": 1, "text": text}
                },
            }
        ),
        prepare_rename(2, 1, 1),  # on `title`
        prepare_rename(3, 0, 4),  # in the comment
        frame({"jsonrpc": "2.0", "id": 4, "method": "shutdown"}),
        frame({"jsonrpc": "2.0", "method": "exit"}),
    ]
    done = subprocess.run(
        [*SERVER, "--log-level", "INFO"],
        input=b"".join(messages),
        capture_output=True,
        timeout=WAIT_SECONDS,
    )
    err = done.stderr.decode()
    replies = answers(done.stdout)
    sentences = []
    for message_id in (2, 3):
        error = replies[message_id]["error"]
        assert error["code"] == -32803, error
        assert error["message"].startswith("Only a conduit id or a YAML anchor"), error
        sentences.append(error["message"])
    assert "Traceback" not in err, err
    refused = [line for line in err.splitlines() if "Refused: " in line]
    assert len(refused) == 2 and all(" INFO " in line for line in refused), err
    assert not [line for line in err.splitlines() if " ERROR " in line], err
