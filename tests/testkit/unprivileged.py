"""Run a check as a user who cannot bypass file permissions, even when the tests run as root.

CI runs as root, and root writes into read-only folders, so a test of "this folder is not
writable" would otherwise be skipped there and never run. `call_unprivileged` forks: as root the
child drops to `nobody` before it calls the function; as anyone else it keeps the current user.
The child reports the function's JSON result (or its traceback) through a pipe and never
returns into pytest.

The child may not be able to read the interpreter's own files (root's home is closed to
`nobody`), so everything the function needs must be imported by the parent first: call the same
code once as the current user before, or import it at the top of the test module.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
import traceback
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

UNPRIVILEGED_USER = "nobody"


def _ids() -> tuple[int, int]:
    """The uid and gid the child takes (only looked up as root)."""
    import pwd  # POSIX only, like fork

    user = pwd.getpwnam(UNPRIVILEGED_USER)
    return user.pw_uid, user.pw_gid


@contextmanager
def unprivileged_folder(prefix: str = "wishcraft-unprivileged-") -> Iterator[Path]:
    """A fresh folder the unprivileged user owns, removed afterwards.

    pytest's `tmp_path` sits in a folder only its own user may enter, so the child could not
    even reach it; this one is in the system's temporary folder. Its mode is restored before it
    is removed, so a test may make it read-only.
    """
    folder = Path(tempfile.mkdtemp(prefix=prefix))
    try:
        if os.geteuid() == 0:
            os.chown(folder, *_ids())
        yield folder
    finally:
        folder.chmod(0o700)
        shutil.rmtree(folder)


def call_unprivileged(function: Callable[[], Any]) -> Any:
    """Call `function` in a forked child running as `nobody` (or as the current user when that
    is not root); return its result, which must be JSON. Fails the test with the child's
    traceback when the function raises, and when the child still runs as root."""
    ids = _ids() if os.geteuid() == 0 else None
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: reports, then exits without running any of pytest's cleanup
        report: dict[str, Any]
        try:
            os.close(read)
            if ids is not None:
                os.setgroups([])
                os.setgid(ids[1])
                os.setuid(ids[0])
            report = {"value": function(), "uid": os.getuid()}
        except BaseException:  # reported to the parent, which fails the test with it
            report = {"crash": traceback.format_exc()}
        try:
            os.write(write, json.dumps(report).encode())
        finally:
            os._exit(0)
    os.close(write)
    with os.fdopen(read, "rb") as pipe:
        answer = pipe.read()
    os.waitpid(pid, 0)
    assert answer, "the unprivileged child died before reporting"
    report = json.loads(answer)
    assert "crash" not in report, report["crash"]
    assert report["uid"] != 0, "the child still runs as root"
    return report["value"]
