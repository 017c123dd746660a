"""A throwaway certificate authority and a certificate for 127.0.0.1, made with `openssl`.

The real Codex CLI refuses a plain-HTTP ChatGPT backend, and users behind a corporate proxy
need `CODEX_CA_CERTIFICATE`: both are tested against a loopback server that speaks HTTPS with
a certificate from this CA. Nothing here is trusted by the system; the CA lives in a
temporary folder for one test session.
"""

from __future__ import annotations

import shutil
import ssl
import subprocess
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Authority:
    """The CA's certificate and a server certificate and key signed by it."""

    ca_cert: Path
    server_cert: Path
    server_key: Path

    def server_context(self) -> ssl.SSLContext:
        """The TLS context a loopback server serves with."""
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(self.server_cert, self.server_key)
        return context


def have_openssl() -> bool:
    """Whether the `openssl` command is there to make certificates."""
    return shutil.which("openssl") is not None


def make_authority(folder: Path) -> Authority:
    """Make a CA and a certificate for 127.0.0.1 and localhost in `folder`."""
    folder.mkdir(parents=True, exist_ok=True)

    def run(*args: str) -> None:
        subprocess.run(["openssl", *args], cwd=folder, check=True, capture_output=True)

    run(
        "req",
        "-x509",
        "-newkey",
        "rsa:2048",
        "-nodes",
        "-days",
        "2",
        "-keyout",
        "ca.key",
        "-out",
        "ca.pem",
        "-subj",
        "/CN=wishcraft throwaway test CA",
        "-addext",
        "basicConstraints=critical,CA:TRUE",
        "-addext",
        "keyUsage=critical,keyCertSign,cRLSign",
    )
    run(
        "req",
        "-newkey",
        "rsa:2048",
        "-nodes",
        "-keyout",
        "server.key",
        "-out",
        "server.csr",
        "-subj",
        "/CN=127.0.0.1",
    )
    (folder / "server.ext").write_text(
        "subjectAltName=IP:127.0.0.1,DNS:localhost\nbasicConstraints=CA:FALSE\n"
        "extendedKeyUsage=serverAuth\n"
    )
    run(
        "x509",
        "-req",
        "-in",
        "server.csr",
        "-CA",
        "ca.pem",
        "-CAkey",
        "ca.key",
        "-CAcreateserial",
        "-days",
        "2",
        "-out",
        "server.pem",
        "-extfile",
        "server.ext",
    )
    return Authority(folder / "ca.pem", folder / "server.pem", folder / "server.key")
