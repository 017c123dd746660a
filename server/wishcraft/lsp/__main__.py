"""`wishcraft-lsp` and `python -m wishcraft.lsp`: start the language server.

Stdio by default; `--tcp HOST:PORT` for debugging. Logs go to stderr or `--log-file`, never to
stdout, which carries the protocol.
"""

from __future__ import annotations

import argparse
import gc
import logging
import sys

from wishcraft import __version__
from wishcraft.redaction import RedactingFilter


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    """Read the command line."""
    parser = argparse.ArgumentParser(
        prog="wishcraft-lsp", description="The Wishcraft language server."
    )
    mode = parser.add_mutually_exclusive_group()
    mode.add_argument("--stdio", action="store_true", help="talk over stdin/stdout (default)")
    mode.add_argument("--tcp", metavar="HOST:PORT", help="listen on a TCP port for debugging")
    parser.add_argument("--log-file", help="write the log to this file instead of stderr")
    parser.add_argument(
        "--log-level",
        default="WARNING",
        choices=["DEBUG", "INFO", "WARNING", "ERROR"],
        help="default WARNING",
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    return parser.parse_args(argv)


def _address(text: str) -> tuple[str, int]:
    host, _, port = text.rpartition(":")
    if not port.isdigit():
        raise SystemExit(f"wishcraft-lsp: --tcp wants HOST:PORT, not {text!r}")
    return host or "127.0.0.1", int(port)


def main(argv: list[str] | None = None) -> None:
    """Configure logging and run the server until the client exits."""
    args = parse_args(argv)
    handler: logging.Handler = (
        logging.FileHandler(args.log_file, encoding="utf-8")
        if args.log_file
        else logging.StreamHandler(sys.stderr)
    )
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    # Every record that reaches the log, whichever library wrote it, is redacted here: a
    # handler's filter sees propagated records, a logger's filter only its own.
    handler.addFilter(RedactingFilter())
    logging.basicConfig(level=args.log_level, handlers=[handler], force=True)
    if args.log_level != "DEBUG":
        # pygls logs each JSON-RPC message at INFO and each routine `$/cancelRequest` of an
        # answered request at WARNING; that belongs to a DEBUG log only.
        logging.getLogger("pygls").setLevel(logging.ERROR)

    # Start-up makes a few hundred thousand objects that live as long as the server (the
    # protocol's classes, pydantic's validators); the cyclic collector would walk them over and
    # over while they are made, about a tenth of the start-up time. So it waits until the server
    # is built, and what start-up made is then set aside from later collections (gc.freeze).
    gc.disable()
    try:
        from wishcraft.lsp.app import create_server

        server = create_server()
    finally:
        gc.freeze()
        gc.enable()
    if args.tcp:
        host, port = _address(args.tcp)
        server.start_tcp(host, port)
    else:
        server.start_io()
        if server.stream_error is not None:
            raise SystemExit(1)  # logged already; a non-zero status tells the editor to restart


if __name__ == "__main__":
    main()
