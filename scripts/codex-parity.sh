#!/usr/bin/env bash
# Parity with the real Codex CLI: run `codex exec` (npm @openai/codex, pinned) and
# `wishcraft plan --live` against one loopback HTTPS recorder with the same catalog, then compare
# the two requests field by field (tests/testkit/parity.py). Exit 1 on any difference that is
# not in the comparer's allow-list. Phases, each a client run against the same recorder:
#   ours / codex / ours-after-codex   the default (ordinary) model; /models; the cache Codex wrote
#   ours-lite / codex-lite            a use_responses_lite model (a second request compared)
#   codex-turn / ours-turn            a turn whose first answer calls a tool and sets
#                                     x-codex-turn-state (`wishcraft apply --dry-run` for ours):
#                                     the follow-up request is compared
#   codex-retry:CASE / ours-retry:CASE  codex-wire's retry table, scripted: requests counted
# WISHCRAFT_PARITY_CODEX_VERSION=latest asks npm for the newest release; the comparer then also
# says what moved in Codex's own requests since the pinned capture (tests/fixtures/codex/).
#
# Idempotent: the Codex package (about 400 MB) is installed once under $WISHCRAFT_PARITY_CACHE
# (default ~/.cache/wishcraft-parity); Debian's zstd (to read Codex's compressed body) and
# openssl (the throwaway CA) are installed with apt when missing. Everything else lives in a
# temporary folder removed at the end (kept, and printed, with WISHCRAFT_PARITY_KEEP=1).
# No real login is used: auth.json holds fake unsigned tokens, and every request goes to
# 127.0.0.1.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
PINNED=0.171.0
CODEX_VERSION=${WISHCRAFT_PARITY_CODEX_VERSION:-$PINNED}
if [[ $CODEX_VERSION == latest ]]; then
  CODEX_VERSION=$(npm view @openai/codex version 2>/dev/null) \
    || { echo "parity: npm could not name the newest @openai/codex" >&2; exit 1; }
  echo "parity: the newest @openai/codex on npm is $CODEX_VERSION (pinned: $PINNED)"
fi
LITE_MODEL=gpt-6.2-sol  # testkit.catalog's use_responses_lite entry
RETRY_CASES=(503-overloaded 429-rate-limit 400-cyber-policy 500-eight-times failed-retryable
  failed-cyber-policy incomplete error-event)
CACHE=${WISHCRAFT_PARITY_CACHE:-$HOME/.cache/wishcraft-parity}
CODEX_DIR=$CACHE/codex-$CODEX_VERSION
CODEX=$CODEX_DIR/node_modules/.bin/codex
PYTHON=${WISHCRAFT_PYTHON:-$ROOT/.venv/bin/python}
[[ -x $PYTHON ]] || PYTHON=python3
WISH=$ROOT/examples/data/wishes/wishcraft-docs.yaml  # names the planning conduit, so the court lets it plan
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
  local missing=()
  command -v zstd >/dev/null 2>&1 || missing+=(zstd)
  command -v openssl >/dev/null 2>&1 || missing+=(openssl)
  if ((${#missing[@]})); then
    as_root apt-get update -qq
    as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
  fi
}

install_codex() {
  [[ -f $CODEX_DIR/.complete ]] && return
  command -v npm >/dev/null 2>&1 \
    || { echo "parity: npm is needed to install @openai/codex@$CODEX_VERSION" >&2; return 1; }
  local staging=$CODEX_DIR.partial
  rm -rf "$staging"
  mkdir -p "$staging"
  echo '{"name": "wishcraft-parity-codex", "private": true}' >"$staging/package.json"
  (cd "$staging" && npm install --no-audit --no-fund --loglevel=error \
    "@openai/codex@$CODEX_VERSION")
  "$staging/node_modules/.bin/codex" --version | grep -qx "codex-cli $CODEX_VERSION"
  touch "$staging/.complete"
  rm -rf "$CODEX_DIR"
  mv "$staging" "$CODEX_DIR"
}

# A throwaway CA and a certificate for 127.0.0.1 signed by it (both clients trust the CA
# through CODEX_CA_CERTIFICATE; nothing is added to the system's trust store).
make_certificates() {
  local dir=$1
  openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 2 \
    -subj "/CN=wishcraft parity throwaway CA" -keyout "$dir/ca.key" -out "$dir/ca.pem" \
    -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign" \
    2>/dev/null
  openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes \
    -subj "/CN=127.0.0.1" -keyout "$dir/server.key" -out "$dir/server.csr" 2>/dev/null
  printf '%s\n' "subjectAltName=IP:127.0.0.1,DNS:localhost" "basicConstraints=CA:FALSE" \
    "keyUsage=critical,digitalSignature" "extendedKeyUsage=serverAuth" \
    "authorityKeyIdentifier=keyid" "subjectKeyIdentifier=hash" >"$dir/server.ext"
  openssl x509 -req -in "$dir/server.csr" -CA "$dir/ca.pem" -CAkey "$dir/ca.key" \
    -CAcreateserial -days 2 -extfile "$dir/server.ext" -out "$dir/server.pem" 2>/dev/null
}

start_server() {
  local dir=$1
  (cd "$ROOT/tests" && exec "$PYTHON" -m testkit.parity_server --cert "$dir/server.pem" \
    --key "$dir/server.key" --out "$dir/requests.jsonl" --port-file "$dir/port") \
    >"$dir/server.log" 2>&1 &
  SERVER_PID=$!
  local tries=0
  until [[ -s $dir/port ]]; do
    kill -0 "$SERVER_PID" 2>/dev/null || { cat "$dir/server.log" >&2; return 1; }
    ((++tries > 200)) && { echo "parity: the recorder did not start" >&2; return 1; }
    sleep 0.05
  done
  PORT=$(cat "$dir/port")
  echo "parity: recorder on https://127.0.0.1:$PORT"
}

codex_home() {
  local dir=$1
  mkdir -p "$dir/codex-home"
  (cd "$ROOT/tests" && "$PYTHON" -c 'import sys; from pathlib import Path
from testkit.codex_home import write_codex_home
write_codex_home(Path(sys.argv[1]), expires_in=10 * 365 * 86400)' "$dir/codex-home")
  cat >"$dir/codex-home/config.toml" <<EOF
openai_base_url = "https://127.0.0.1:$PORT/backend-api/codex"
chatgpt_base_url = "https://127.0.0.1:$PORT/backend-api/"
check_for_update_on_startup = false

[analytics]
enabled = false

[feedback]
enabled = false

[otel]
exporter = "none"
EOF
  (cd "$ROOT/tests" && "$PYTHON" -c 'import json, sys
from testkit.parity import plan_schema
print(json.dumps(plan_schema(), indent=2))') >"$dir/schema.json"
}

phase() {
  curl -fsS --cacert "$WORK/ca.pem" "https://127.0.0.1:$PORT/__parity/phase?name=$1" >/dev/null
}

# The environment both clients run in: only the loopback server, the throwaway CA, fake login.
client_env() {
  env -u OPENAI_API_KEY -u OPENAI_BASE_URL -u OPENAI_MODEL -u HTTPS_PROXY -u HTTP_PROXY \
    -u ALL_PROXY -u https_proxy -u http_proxy -u all_proxy \
    CODEX_HOME="$WORK/codex-home" CODEX_CA_CERTIFICATE="$WORK/ca.pem" \
    NO_PROXY=127.0.0.1,localhost no_proxy=127.0.0.1,localhost \
    CODEX_REFRESH_TOKEN_URL_OVERRIDE="https://127.0.0.1:$PORT/oauth/token" "$@"
}

run_ours() {
  phase ours
  cp "$WISH" "$WORK/project/docs.wish.yaml"
  (cd "$WORK/project" && client_env \
    CHATGPT_BASE_URL="https://127.0.0.1:$PORT/backend-api/codex" \
    timeout 120 "$PYTHON" -m wishcraft.cli plan --live --quiet \
    --out "$WORK/ours.plan.json" docs.wish.yaml) >"$WORK/ours.log" 2>&1 \
    || { echo "parity: wishcraft plan failed (exit $?); its output:"; cat "$WORK/ours.log"; }
}

# Ours once more: Codex has now written a fresh models_cache.json, which ours must read.
run_ours_again() {
  phase ours-after-codex
  (cd "$WORK/project" && client_env \
    CHATGPT_BASE_URL="https://127.0.0.1:$PORT/backend-api/codex" \
    timeout 120 "$PYTHON" -m wishcraft.cli plan --live --quiet \
    --out "$WORK/ours-again.plan.json" docs.wish.yaml) >"$WORK/ours-again.log" 2>&1 \
    || { echo "parity: wishcraft plan failed (exit $?); its output:"; cat "$WORK/ours-again.log"; }
}

run_codex() {
  phase codex
  (cd "$WORK/project" && client_env timeout 180 "$CODEX" exec --skip-git-repo-check \
    --output-schema "$WORK/schema.json" "Plan this wish: $(cat docs.wish.yaml)" \
    </dev/null) >"$WORK/codex.log" 2>&1 \
    || { echo "parity: codex exec failed (exit $?); its output:"; tail -n 30 "$WORK/codex.log"; }
}

# One more run of a client in its own phase; a failure is expected in some phases (the retry
# cases end in errors), so it is only logged: the comparer judges what was sent.
codex_in() {
  local name=$1
  shift
  phase "$name"
  (cd "$WORK/project" && client_env timeout 180 "$CODEX" exec --skip-git-repo-check "$@" \
    --output-schema "$WORK/schema.json" "Plan this wish: $(cat docs.wish.yaml)" \
    </dev/null) >"$WORK/codex.$name.log" 2>&1 || echo "parity: codex exec in $name: exit $?"
}

# Each phase of ours plans in a folder of its own: the wish ledger there counts the plan calls
# of that wish (the court stops a wish at 10), and this script makes more than 10.
ours_in() {
  local name=$1 wish=${OURS_WISH:-$WISH}
  shift
  phase "$name"
  mkdir -p "$WORK/ours-$name"
  cp "$wish" "$WORK/ours-$name/docs.wish.yaml"
  (cd "$WORK/ours-$name" && client_env \
    CHATGPT_BASE_URL="https://127.0.0.1:$PORT/backend-api/codex" \
    timeout 120 "$PYTHON" -m wishcraft.cli "$@") >"$WORK/ours.$name.log" 2>&1 \
    || echo "parity: wishcraft $1 in $name: exit $?"
}

run_lite() {
  ours_in ours-lite plan --live --quiet --model "$LITE_MODEL" --out "$WORK/ours-lite.plan.json" \
    docs.wish.yaml
  codex_in codex-lite -m "$LITE_MODEL"
}

# Ours: `wishcraft apply --dry-run` in the apply tests' workspace (testkit.apply_ws: a registry
# whose apply conduit may `diff`, a wish naming it, its current plan), so the court allows it.
run_turn() {
  codex_in codex-turn
  local wish
  wish=$(cd "$ROOT/tests" && "$PYTHON" -c 'import sys; from pathlib import Path
from testkit.apply_ws import make_workspace
print(make_workspace(Path(sys.argv[1])))' "$WORK/apply-workspace")
  phase ours-turn
  (cd "$WORK/apply-workspace" && client_env \
    CHATGPT_BASE_URL="https://127.0.0.1:$PORT/backend-api/codex" \
    timeout 120 "$PYTHON" -m wishcraft.cli apply --live --dry-run "$wish") \
    >"$WORK/ours.ours-turn.log" 2>&1 || echo "parity: wishcraft apply in ours-turn: exit $?"
}

run_retries() {
  local case
  for case in "${RETRY_CASES[@]}"; do
    codex_in "codex-retry:$case"
    ours_in "ours-retry:$case" plan --live --quiet --out "$WORK/retry.plan.json" docs.wish.yaml
  done
}

cleanup() {
  local status=$?
  if [[ -n ${SERVER_PID:-} ]]; then
    kill "$SERVER_PID" 2>/dev/null || true
    wait "$SERVER_PID" 2>/dev/null || true
  fi
  if [[ ${WISHCRAFT_PARITY_KEEP:-0} = 1 ]]; then
    echo "parity: kept $WORK"
  else
    rm -rf "$WORK"
  fi
  exit "$status"
}

WORK=$(mktemp -d)
SERVER_PID=
trap cleanup EXIT
mkdir -p "$WORK/project"
step "system packages (zstd, openssl)" system_packages
step "Codex $CODEX_VERSION (npm, cached in $CACHE)" install_codex
step "throwaway CA and certificate for 127.0.0.1" make_certificates "$WORK"
step "loopback recorder" start_server "$WORK"
codex_home "$WORK"
# Ours first: Codex writes models_cache.json into CODEX_HOME, and with a fresh cache ours would
# (rightly) not ask /models, leaving nothing to compare for that request.
step "wishcraft plan --live" run_ours
step "codex exec" run_codex
step "wishcraft plan --live, with the models_cache.json Codex wrote" run_ours_again
step "a lite model: both clients" run_lite
step "a turn with x-codex-turn-state: both clients" run_turn
step "the retry table: both clients, ${#RETRY_CASES[@]} cases" run_retries
kill "$SERVER_PID" && wait "$SERVER_PID" 2>/dev/null || true
SERVER_PID=
echo "parity: recorded $(wc -l <"$WORK/requests.jsonl") requests; comparing"
[[ -n ${WISHCRAFT_PARITY_SAVE:-} ]] && cp "$WORK/requests.jsonl" "$WISHCRAFT_PARITY_SAVE"
MOVED=()
[[ $CODEX_VERSION != "$PINNED" ]] \
  && MOVED=(--moved-from "$ROOT/tests/fixtures/codex/codex-exec-$PINNED-request.json")
(cd "$ROOT/tests" && "$PYTHON" -m testkit.parity "$WORK/requests.jsonl" \
  --codex-version "$CODEX_VERSION" "${MOVED[@]}")
