"""A separate process that refreshes a Codex login, for the cross-process tests.

    python refresh_worker.py CODEX_HOME REFRESH_URL [crash-at-rename]

It loads the login, prints `ready`, waits for a line on stdin (so that the test can release
several workers at once), refreshes, and prints the resulting access token as JSON. With
`crash-at-rename` it kills itself with SIGKILL at the moment it would rename the new auth.json
into place: the temporary file is written, the rename never happens.
"""

from __future__ import annotations

import asyncio
import json
import os
import signal
import sys
from pathlib import Path

import httpx

from wishcraft.conduit import auth
from wishcraft.conduit.errors import RefreshFailed


async def main(home: Path, url: str, crash: bool) -> None:
    current = auth.load_auth(home)
    print("ready", flush=True)
    sys.stdin.readline()
    if crash:

        def die(source: str, target: str) -> None:
            if Path(target).name == "auth.json":
                os.kill(os.getpid(), signal.SIGKILL)

        os.replace = die  # type: ignore[assignment]
    async with httpx.AsyncClient(trust_env=False) as client:
        try:
            fresh = await auth.refresh_auth(current, client, url=url, headers={})
        except RefreshFailed as error:
            print(json.dumps({"error": str(error)}), flush=True)
            return
    print(json.dumps({"access_token": fresh.access_token}), flush=True)


if __name__ == "__main__":
    asyncio.run(main(Path(sys.argv[1]), sys.argv[2], sys.argv[3:] == ["crash-at-rename"]))
