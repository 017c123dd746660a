#!/usr/bin/env bash
# Set up (idempotently) and run the whole test suite: the command README.md gives.
# Python: install the package with its test extras, ruff, pytest (arguments go to pytest).
# The VS Code extension: npm ci, type-check, lint, unit tests, .vsix (skipped without npm, or
# with WISHCRAFT_SKIP_EXTENSION=1 for a quick Python-only run).
set -euo pipefail
cd "$(dirname "$0")/.."
python3 -m pip install -q -e ".[test,dev]"
python3 -m wishcraft_lsp.cli schema --out "$(mktemp -d)" >/dev/null 2>&1
ruff check server tests bench
python3 -m pytest -q "$@"
if [ "${WISHCRAFT_SKIP_EXTENSION:-0}" = 1 ]; then
  echo "test: the VS Code extension is skipped (WISHCRAFT_SKIP_EXTENSION=1)"
elif command -v npm >/dev/null 2>&1; then
  bash scripts/vscode-test.sh
else
  echo "test: npm is missing; the VS Code extension is not checked"
fi
