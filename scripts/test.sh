#!/usr/bin/env bash
# Set up (idempotently) and run the whole test suite: the command README.md gives.
set -euo pipefail
cd "$(dirname "$0")/.."
python3 -m pip install -q -e ".[test,dev]"
python3 -m wishcraft_lsp.cli schema --out "$(mktemp -d)" >/dev/null 2>&1
ruff check server tests bench
python3 -m pytest -q "$@"
