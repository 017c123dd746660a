"""Editor tooling for Wishcraft wishes: linter, language server and Codex planning conduit."""

import logging

__version__ = "0.1.0"

# A library logs; the program that runs it decides where logs go (`wishcraft-lsp` and
# `wishcraft plan -v` configure handlers). Without this, Python's last-resort handler would
# print warning details on a CLI user's terminal beside the one sentence meant for them.
logging.getLogger(__name__).addHandler(logging.NullHandler())
