#!/usr/bin/env bash
# Set up (idempotently) and check the VS Code extension: install its locked dependencies,
# type-check, lint, run the unit tests (VS Code stubbed), and package client-vscode/wishcraft.vsix
# with the server's wheel inside it. Needs Node 20+ and npm, and a Python with pip to build the
# wheel (the project venv .venv when it exists, else python3); each step prints how long it took.
set -euo pipefail
cd "$(dirname "$0")/../client-vscode"

step() {
  local name=$1 start=$SECONDS
  shift
  echo "== $name"
  "$@"
  echo "== $name: $((SECONDS - start)) s"
}

export npm_config_audit=false npm_config_fund=false npm_config_update_notifier=false
step "npm ci" npm ci --no-audit --no-fund --loglevel=error
step "typecheck" npx --no-install tsc --noEmit
step "lint" npx --no-install eslint .
step "unit tests" npx --no-install vitest run
step "package (server wheel and .vsix)" npm run --silent package
ls -l wishcraft.vsix server/*.whl
