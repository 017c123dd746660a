#!/usr/bin/env bash
# End-to-end test of the VS Code extension in a real VS Code (code-server) driven by Chromium
# through playwright-core. VS Code itself cannot be downloaded in CI, but code-server (VS Code in
# a browser, from npm) runs the same workbench and extension host, and Debian's Chromium can
# click through it. The extension starts with a bare Python on PATH and installs its own server
# (the wheel inside the .vsix), so the test needs PyPI (or pip's cache) for the dependencies.
#
# Idempotent: installs what is missing (Debian's chromium, ripgrep and build tools with apt;
# code-server and playwright-core under $WISHCRAFT_E2E_CACHE, default ~/.cache/wishcraft-e2e),
# builds client-vscode/wishcraft.vsix, then runs tests/e2e_vscode/run.mjs. Each step prints
# how long it took. Artifacts (screenshots, logs) go to $WISHCRAFT_E2E_ARTIFACTS when set.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
CODE_SERVER_VERSION=4.100.3
PLAYWRIGHT_VERSION=1.65.1
CACHE=${WISHCRAFT_E2E_CACHE:-$HOME/.cache/wishcraft-e2e}
TOOLS=$CACHE/code-server-$CODE_SERVER_VERSION-playwright-$PLAYWRIGHT_VERSION
export CHROMIUM=${CHROMIUM:-/usr/lib/chromium/chromium}
export npm_config_audit=false npm_config_fund=false npm_config_update_notifier=false

step() {
  local name=$1 start=$SECONDS
  shift
  echo "== $name"
  "$@"
  echo "== $name: $((SECONDS - start)) s"
}

as_root() {
  if [[ $(id -u) -eq 0 ]]; then "$@"; else sudo "$@"; fi
}

system_packages() {
  local wanted=(chromium ripgrep)
  # The build tools are needed only to install code-server (a native module).
  [[ -f $TOOLS/.complete ]] || wanted+=(libkrb5-dev build-essential)
  local missing=()
  for package in "${wanted[@]}"; do
    dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "ok installed" \
      || missing+=("$package")
  done
  if ((${#missing[@]})); then
    as_root apt-get update -qq
    as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
  fi
  [[ -x $CHROMIUM ]] || { echo "e2e: no Chromium at $CHROMIUM" >&2; exit 1; }
}

# code-server's @vscode/ripgrep downloads rg from GitHub when installed, which fails offline:
# seed its download cache with Debian's rg under every name those versions look for.
seed_ripgrep() {
  local seed=$1 arch
  arch=$(uname -m)
  [[ $arch == arm64 ]] && arch=aarch64
  local work
  work=$(mktemp -d)
  cp "$(command -v rg)" "$work/rg"
  tar -C "$work" -czf "$seed/rg.tar.gz" rg
  rm -rf "$work"
  local version tag
  for version in 1.15.9 1.15.10 1.15.11 1.15.12 1.15.13 1.15.14 1.16.0 1.16.1; do
    mkdir -p "$seed/vscode-ripgrep-cache-$version"
    for tag in v13.0.0-10 v13.0.0-13 v14.1.1-1; do
      ln -f "$seed/rg.tar.gz" \
        "$seed/vscode-ripgrep-cache-$version/ripgrep-$tag-$arch-unknown-linux-musl.tar.gz"
    done
  done
}

tools() {
  [[ -f $TOOLS/.complete ]] && return
  local staging=$TOOLS.partial
  rm -rf "$staging"
  mkdir -p "$staging/seed"
  seed_ripgrep "$staging/seed"
  echo '{"name": "wishcraft-e2e-tools", "private": true}' >"$staging/package.json"
  (
    cd "$staging"
    # npm 11 skips dependencies' install scripts unless allowed; code-server needs its own.
    TMPDIR=$staging/seed npm_config_yes=true npm_config_unsafe_perm=true \
      npm_config_dangerously_allow_all_scripts=true \
      npm install --no-audit --no-fund --loglevel=error --unsafe-perm \
      "code-server@$CODE_SERVER_VERSION"
    PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 npm install --no-audit --no-fund --loglevel=error \
      "playwright-core@$PLAYWRIGHT_VERSION"
  )
  rm -rf "$staging/seed" "$TOOLS"
  touch "$staging/.complete"
  mv "$staging" "$TOOLS"
}

extension() {
  cd "$ROOT/client-vscode"
  if [[ ! -d node_modules ]] || [[ package-lock.json -nt node_modules/.package-lock.json ]]; then
    npm ci --no-audit --no-fund --loglevel=error
  fi
  npm run --silent package >/dev/null  # builds the server wheel into the .vsix too
  ls -l wishcraft.vsix server/*.whl
}

python_for_tests() {
  # A Python for the loopback Codex server (tests/testkit needs the server's dependencies):
  # the project venv that scripts/test.sh makes, else python3. The editor gets none of it: the
  # extension finds a bare Python on PATH and installs the server itself.
  if [[ -z ${PYTHON:-} ]]; then
    if [[ -x $ROOT/.venv/bin/python ]]; then PYTHON=$ROOT/.venv/bin/python; else PYTHON=python3; fi
  fi
  export PYTHON
  if ! PYTHONPATH=$ROOT/server "$PYTHON" -c "import wishcraft, yaml, pydantic" 2>/dev/null; then
    echo "e2e: $PYTHON cannot import the server's dependencies; run bash scripts/test.sh first" \
      "(it makes .venv), or set PYTHON to a Python that has them" >&2
    exit 1
  fi
}

total=$SECONDS
step "system packages" system_packages
step "code-server and playwright-core" tools
step "extension (.vsix)" extension
step "python for the loopback server" python_for_tests
export WISHCRAFT_E2E_TOOLS=$TOOLS
step "e2e in code-server" node "$ROOT/tests/e2e_vscode/run.mjs"
echo "== total: $((SECONDS - total)) s"
