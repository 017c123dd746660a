"""Shared test kit: project paths, a fake Codex login and a loopback Codex server.

A package (not conftest.py) so that every test folder imports it by one unambiguous name;
`pyproject.toml` puts `tests/` on the import path.
"""
