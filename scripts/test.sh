#!/usr/bin/env bash
# Set up (idempotently) and run the whole test suite: the command README.md gives.
# Python: the project venv .venv/ (scripts/venv.sh) with the package and its test extras, then
# ruff format --check and ruff check, strict mypy on the package and the tests (pyproject.toml's
# [tool.mypy] files), and pytest (arguments go to pytest).
# The VS Code extension: npm ci, type-check, lint, unit tests, .vsix (skipped without npm, or
# with WISHCRAFT_SKIP_EXTENSION=1 for a quick Python-only run).
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/venv.sh
wishcraft_venv test,dev
bin=.venv/bin
"$bin/ruff" format --check server tests bench
"$bin/ruff" check server tests bench
"$bin/mypy"  # server/wishcraft and tests/, strict
# The tests start `wishcraft-lsp` and `nvim` runs it by name: the venv's commands come first.
# The order is random on every run, here and in CI (pytest-randomly, from the test extras), so a
# test that leans on another's leftovers fails; the seed is printed last ("random order: seed
# N"), and `bash scripts/test.sh -p randomly --randomly-seed=N` replays it (`-p no:randomly`
# runs in file order).
PATH="$PWD/$bin:$PATH" "$bin/python" -m pytest -q "$@"
if [ "${WISHCRAFT_SKIP_EXTENSION:-0}" = 1 ]; then
  echo "test: the VS Code extension is skipped (WISHCRAFT_SKIP_EXTENSION=1)"
elif command -v npm >/dev/null 2>&1; then
  bash scripts/vscode-test.sh
else
  echo "test: npm is missing; the VS Code extension is not checked"
fi
