"""Editor tooling for Wishcraft wishes: linter, language server and Codex planning conduit."""

__version__ = "0.1.0"
