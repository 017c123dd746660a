"""The loopback Codex server for the VS Code end-to-end test, as a process run.mjs controls.

Writes a fake Codex login to a temporary CODEX_HOME, scripts two answers on the Responses route
(a plan streamed in small deltas, then a stream that stalls so the test can cancel it), then the
three answers of an apply (a `read_file`, an `apply_patch`, a summary) for the wish the first
argument's workspace gets (`testkit.apply_ws.add_apply_files`), prints one JSON line with what
the language server's environment needs, and serves until stdin closes.
"""

from __future__ import annotations

import json
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from testkit.apply_ws import UPDATE, add_apply_files, read_then_patch  # noqa: E402
from testkit.codex_home import write_codex_home  # noqa: E402
from testkit.loopback import LoopbackCodex, sse, success_transcript  # noqa: E402
from testkit.samples import SAMPLE_PLAN, chunks  # noqa: E402

CHUNKS = chunks(SAMPLE_PLAN)


def main() -> None:
    """Serve until stdin closes."""
    with (
        tempfile.TemporaryDirectory(prefix="wishcraft-e2e-codex-") as home,
        LoopbackCodex() as codex,
    ):
        write_codex_home(Path(home))
        add_apply_files(Path(sys.argv[1]))
        codex.enqueue(
            "responses",
            sse(success_transcript(CHUNKS), per_frame_delay=0.05),
            sse(success_transcript(CHUNKS), stall_after=8),
            *read_then_patch(UPDATE),
        )
        print(
            json.dumps(
                {
                    "CODEX_HOME": home,
                    "CHATGPT_BASE_URL": codex.base_url,
                    "CODEX_REFRESH_TOKEN_URL_OVERRIDE": codex.refresh_url,
                }
            ),
            flush=True,
        )
        sys.stdin.read()
        print(json.dumps({"requests": len(codex.requests)}), flush=True)
        codex.release_stalls()


if __name__ == "__main__":
    main()
