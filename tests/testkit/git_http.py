"""A loopback git server over smart HTTP: `git http-backend` behind a tiny HTTP server.

    with GitHttpServer(project_root, password=TOKEN) as server:
        url = f"{server.base_url}/acme/widgets.git"
        ... git ls-remote / push to url ...
        server.authorizations  # the Authorization header of every request, in order

Every request must carry HTTP Basic authentication whose password is `password` (any user
name), else it gets a 401 with a `WWW-Authenticate` challenge, as GitHub answers a missing or
wrong token. Accepted requests run `git http-backend` (CGI) with pushes enabled. The server
runs in its own thread; only 127.0.0.1 listens.
"""

from __future__ import annotations

import base64
import os
import shutil
import subprocess
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import urlsplit

WAIT_SECONDS = 5.0


class GitHttpServer:
    """Serve the bare repositories under `project_root`, behind Basic authentication."""

    def __init__(self, project_root: Path, *, password: str) -> None:
        """Prepare; nothing listens until `start`."""
        self.project_root = project_root
        self.password = password
        self.authorizations: list[str | None] = []
        self.paths: list[str] = []
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    @property
    def base_url(self) -> str:
        """`http://127.0.0.1:<port>`."""
        assert self._server is not None
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    def accepts(self, header: str | None) -> bool:
        """Whether an Authorization header carries the password."""
        if not header or not header.startswith("Basic "):
            return False
        try:
            decoded = base64.b64decode(header[len("Basic ") :]).decode("utf-8")
        except ValueError:
            return False
        return decoded.partition(":")[2] == self.password

    def start(self) -> GitHttpServer:
        """Listen on an ephemeral port of 127.0.0.1."""
        owner = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802 (http.server's naming)
                owner._serve(self)

            def do_POST(self) -> None:  # noqa: N802
                owner._serve(self)

            def log_message(self, format: str, *args: object) -> None:  # noqa: A002
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving."""
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
        if self._thread is not None:
            self._thread.join(WAIT_SECONDS)

    def __enter__(self) -> GitHttpServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def _serve(self, request: BaseHTTPRequestHandler) -> None:
        header = request.headers.get("Authorization")
        self.authorizations.append(header)
        self.paths.append(request.path)
        body = _read_body(request)
        if not self.accepts(header):
            request.send_response(401)
            request.send_header("WWW-Authenticate", 'Basic realm="loopback git"')
            request.send_header("Content-Length", "0")
            request.end_headers()
            return
        parts = urlsplit(request.path)
        env = {
            "PATH": os.environ["PATH"],
            "GIT_PROJECT_ROOT": str(self.project_root),
            "GIT_HTTP_EXPORT_ALL": "1",
            "PATH_INFO": parts.path,
            "QUERY_STRING": parts.query,
            "REQUEST_METHOD": request.command,
            "REMOTE_USER": "x-access-token",
            "REMOTE_ADDR": "127.0.0.1",
            "CONTENT_LENGTH": str(len(body)),
            "CONTENT_TYPE": request.headers.get("Content-Type", ""),
            "GIT_CONFIG_NOSYSTEM": "1",
            "HOME": str(self.project_root),
        }
        for name in ("Content-Encoding", "Git-Protocol"):
            value = request.headers.get(name)
            if value:
                env["HTTP_" + name.upper().replace("-", "_")] = value
        git = shutil.which("git")
        assert git is not None
        done = subprocess.run(
            [git, "http-backend"], input=body, env=env, capture_output=True, timeout=30, check=False
        )
        head, _, payload = done.stdout.partition(b"\r\n\r\n")
        if not _:
            head, _, payload = done.stdout.partition(b"\n\n")
        status = 200
        headers: list[tuple[str, str]] = []
        for line in head.decode("latin-1").splitlines():
            name, _, value = line.partition(":")
            if name.lower() == "status":
                status = int(value.split()[0])
            elif name:
                headers.append((name, value.strip()))
        request.send_response(status)
        for name, value in headers:
            request.send_header(name, value)
        request.send_header("Content-Length", str(len(payload)))
        request.end_headers()
        request.wfile.write(payload)


def _read_body(request: BaseHTTPRequestHandler) -> bytes:
    """The request's body, with a Content-Length or chunked."""
    if request.headers.get("Transfer-Encoding", "").lower() == "chunked":
        data = b""
        while True:
            size = int(request.rfile.readline().split(b";")[0].strip(), 16)
            if size == 0:
                request.rfile.readline()
                return data
            data += request.rfile.read(size)
            request.rfile.readline()
    length = int(request.headers.get("Content-Length") or "0")
    return request.rfile.read(length) if length else b""
