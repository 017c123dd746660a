#!/usr/bin/env bash
# Build upstream's wish-lint path outside this repository and record its verdicts on our cases.
#
# Upstream is Wishcraft in OpenAgentsInc/ruinsofatlantis: the `wishcraft` crate (schema, lint,
# score, heat, conduit registry types) and the `xtask wish` lint, court and conduits commands.
# This script compiles a minimal copy of that path against serde_yaml 0.9.34 and
# unsafe-libyaml 0.2.11 (the versions in upstream's Cargo.lock, from their own repositories)
# and the serde, serde_json, indexmap, anyhow and async-trait sources Debian ships in
# /usr/share/cargo/registry (apt-get install librust-serde-dev librust-serde-derive-dev
# librust-serde-json-dev librust-indexmap-dev librust-anyhow-dev librust-async-trait-dev),
# so it needs no crates.io. Then it runs every case of tests/testkit/upstream_cases.py through it
# and writes tests/fixtures/upstream/verdicts.json: the case, upstream's exit status and
# message, and the court scores and heat upstream computes. Only that fixture and this
# recipe live in the repository; upstream's code stays in the cache.
#
# Usage: scripts/upstream-verdicts.sh [--build-only]   (build, then record the verdicts)
# Environment:
#   WISHCRAFT_UPSTREAM_CACHE  where sources, the build and the cases go
#                             (default ~/.cache/wishcraft-upstream)
#   UPSTREAM_GIT              ruinsofatlantis' git URL or a local clone (default: GitHub)
#   SERDE_YAML_GIT            serde-yaml's git URL or a local clone (default: GitHub)
#   UNSAFE_LIBYAML_GIT        unsafe-libyaml's git URL or a local clone (default: GitHub)
#   DEBIAN_CARGO_REGISTRY     Debian's crate sources (default /usr/share/cargo/registry)
# A file already under $CACHE/src/ruinsofatlantis/<commit>/<path> is used as it is, so a
# machine without GitHub can place upstream's files there by hand (as this one did).
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
CACHE=${WISHCRAFT_UPSTREAM_CACHE:-$HOME/.cache/wishcraft-upstream}
UPSTREAM_GIT=${UPSTREAM_GIT:-https://github.com/OpenAgentsInc/ruinsofatlantis.git}
SERDE_YAML_GIT=${SERDE_YAML_GIT:-https://github.com/dtolnay/serde-yaml.git}
UNSAFE_LIBYAML_GIT=${UNSAFE_LIBYAML_GIT:-https://github.com/dtolnay/unsafe-libyaml.git}
DEBIAN_CARGO_REGISTRY=${DEBIAN_CARGO_REGISTRY:-/usr/share/cargo/registry}
FIXTURE="$ROOT/tests/fixtures/upstream/verdicts.json"

# Each upstream file at the newest commit that changed it (heat.rs: the version with the
# ×1.15 tool-id factor; the older formula is 550b404's).
UPSTREAM_FILES=(
  "f957247461feba602057f74107efbabee6c125bc crates/wishcraft/src/schema.rs"
  "f957247461feba602057f74107efbabee6c125bc crates/wishcraft/src/score.rs"
  "550b404c980259f1316b740f8b605f14a159ca77 crates/wishcraft/src/lint.rs"
  "818ba1646697745071a6d7d62e4831d745401443 crates/wishcraft/src/heat.rs"
  "818ba1646697745071a6d7d62e4831d745401443 crates/wishcraft/src/conduit.rs"
  "1049466d06381e7ee382eff5864bfeedf724087f xtask/src/main.rs"
)

say() { printf 'upstream-verdicts: %s\n' "$*" >&2; }

bare_clone() { # url name -> path of a bare clone in the cache
  local url=$1 name=$2 dest="$CACHE/git/$2.git"
  if [ ! -d "$dest" ]; then
    mkdir -p "$CACHE/git"
    git clone --quiet --bare "$url" "$dest"
  fi
  printf '%s' "$dest"
}

upstream_file() { # commit path -> path of the file in the cache
  local commit=$1 path=$2 dest="$CACHE/src/ruinsofatlantis/$1/$2"
  if [ ! -f "$dest" ]; then
    local git_dir
    git_dir=$(bare_clone "$UPSTREAM_GIT" ruinsofatlantis)
    mkdir -p "$(dirname "$dest")"
    git --git-dir="$git_dir" show "$commit:$path" >"$dest.part"
    mv "$dest.part" "$dest"
  fi
  printf '%s' "$dest"
}

tag_tree() { # url name tag dest: the tree of one tag, unpacked
  local git_dir
  git_dir=$(bare_clone "$1" "$2")
  rm -rf "$4"
  mkdir -p "$4"
  git --git-dir="$git_dir" archive "$3" | tar -x -C "$4"
}

build() {
  local build="$CACHE/build" stamp
  # Regenerate the build folder only when this recipe changed: rewritten sources would make
  # cargo compile everything again.
  stamp=$(sha256sum "$0" | cut -d' ' -f1)
  if [ -x "$build/target/release/harness" ] && [ "$(cat "$build/.recipe" 2>/dev/null)" = "$stamp" ]; then
    (cd "$build" && cargo build --offline --release -j2 --quiet)
    return
  fi
  mkdir -p "$build/wishcraft/src" "$build/harness/src" "$build/.cargo"
  tag_tree "$SERDE_YAML_GIT" serde-yaml 0.9.34 "$build/serde_yaml"
  tag_tree "$UNSAFE_LIBYAML_GIT" unsafe-libyaml 0.2.11 "$build/unsafe-libyaml"
  # serde_yaml 0.9.34 asks for indexmap 2 and serde 1.0.195; Debian 12 ships indexmap 1.9
  # and serde 1.0.152, which serve every call serde_yaml makes. The YAML reading itself
  # (unsafe-libyaml and serde_yaml) is exactly the pinned versions.
  python3 - "$build/serde_yaml/Cargo.toml" <<'PY'
import re, sys
path = sys.argv[1]
text = open(path, encoding="utf-8").read()
deps = (
    '[dependencies]\nindexmap = "1.9"\nitoa = "1.0"\nryu = "1.0"\nserde = "1.0.152"\n'
    'unsafe-libyaml = { path = "../unsafe-libyaml" }\n\n'
)
text = re.sub(r"\[dependencies\]\n.*?\n\n", deps, text, count=1, flags=re.S)
text = re.sub(r"\[dev-dependencies\]\n.*?\n\n", "", text, count=1, flags=re.S)
open(path, "w", encoding="utf-8").write(text)
PY
  for entry in "${UPSTREAM_FILES[@]}"; do
    set -- $entry
    case $2 in
      crates/wishcraft/src/*) cp "$(upstream_file "$1" "$2")" "$build/wishcraft/src/" ;;
    esac
  done
  cat >"$build/wishcraft/src/lib.rs" <<'RS'
//! The lint path of upstream's `wishcraft` crate (its lib.rs, less the modules it does not use).
pub mod conduit;
pub mod heat;
pub mod lint;
pub mod schema;
pub mod score;

pub use heat::{HeatBreakdown, estimate_heat, estimate_heat_with_conduits};
pub use lint::{LintReport, lint_wish};
pub use schema::{Budget, Scope, Tier, Wish};
pub use score::{Scores, score_wish};
RS
  cat >"$build/wishcraft/Cargo.toml" <<'TOML'
[package]
name = "wishcraft"
version = "0.1.0"
edition = "2024"

[dependencies]
anyhow = "1"
serde = { version = "1", features = ["derive"] }
serde_json = "1"
async-trait = "0.1"
TOML
  # The harness: upstream's xtask functions for reading a wish and the registry and its
  # lint, court and conduits-list arms, taken from xtask/src/main.rs as they are; only the
  # registry's folder comes from UPSTREAM_ROOT instead of the xtask crate's parent folder.
  python3 - "$(upstream_file 1049466d06381e7ee382eff5864bfeedf724087f xtask/src/main.rs)" \
    "$build/harness/src/main.rs" <<'PY'
import re, sys
source = open(sys.argv[1], encoding="utf-8").read()

def item(start):
    begin = source.index(start)
    end = source.index("\n}\n", begin) + 3
    return source[begin:end]

def arm(start, stop):
    begin = source.index(start)
    return source[begin:source.index(stop, begin)].rstrip() + "\n"

root = 'PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..")'
loader = item("fn load_conduits_registry()")
assert root in loader, "upstream's registry loader changed"
loader = loader.replace(root, 'PathBuf::from(std::env::var("UPSTREAM_ROOT")?)')
prelude = '''use anyhow::{Context, Result, bail};
use std::fs;
use std::path::PathBuf;

enum WishCmd {
    Lint { file: PathBuf },
    Court { file: PathBuf },
    Conduits { cmd: ConduitCmd },
}

enum ConduitCmd {
    List,
}

/// The harness's own addition: the heat upstream computes, with the registry, at novelty 1.
fn heat(file: &PathBuf) -> Result<()> {
    let w = wish_read(file)?;
    let reg = load_conduits_registry()?;
    let plain = wishcraft::estimate_heat(&w, 1.0).total;
    let full = wishcraft::estimate_heat_with_conduits(&w, 1.0, &reg).total;
    println!("heat: {}\\nheat_with_conduits: {}", plain, full);
    Ok(())
}

/// The harness's own addition: what serde_yaml says about the wish (xtask then tries JSON,
/// so its own message is serde_json's).
fn why(file: &PathBuf) -> Result<()> {
    let txt = fs::read_to_string(file)?;
    match serde_yaml::from_str::<wishcraft::Wish>(&txt) {
        Ok(_) => println!("yaml: ok"),
        Err(e) => println!("yaml: {}", e),
    }
    Ok(())
}

fn main() -> Result<()> {
    let args: Vec<String> = std::env::args().collect();
    let file = PathBuf::from(args.get(2).cloned().unwrap_or_default());
    match args.get(1).map(String::as_str) {
        Some("lint") => wish_cmd(WishCmd::Lint { file }),
        Some("court") => wish_cmd(WishCmd::Court { file }),
        Some("heat") => heat(&file),
        Some("why") => why(&file),
        Some("conduits") => wish_cmd(WishCmd::Conduits { cmd: ConduitCmd::List }),
        _ => bail!("usage: harness lint|court|heat|conduits [FILE]"),
    }
}
'''
arms = (
    arm("WishCmd::Lint { file } =>", "WishCmd::ShadowRun")
    + "        "
    + arm("WishCmd::Conduits { cmd } =>", "WishCmd::Codex")
)
body = "fn wish_cmd(cmd: WishCmd) -> Result<()> {\n    match cmd {\n        " + arms + "    }\n}\n"
parts = [
    prelude,
    item("fn wish_read("),
    item("struct YamlRegistry {"),
    item("impl wishcraft::conduit::ConduitRegistry for YamlRegistry {"),
    loader,
    body,
]
open(sys.argv[2], "w", encoding="utf-8").write("\n".join(parts))
PY
  cat >"$build/harness/Cargo.toml" <<'TOML'
[package]
name = "harness"
version = "0.1.0"
edition = "2024"

[dependencies]
anyhow = "1"
serde_json = "1"
serde_yaml = { path = "../serde_yaml" }
wishcraft = { path = "../wishcraft" }
TOML
  cat >"$build/Cargo.toml" <<'TOML'
[workspace]
resolver = "2"
members = ["harness", "wishcraft"]
exclude = ["serde_yaml", "unsafe-libyaml"]
TOML
  cat >"$build/.cargo/config.toml" <<TOML
[source.crates-io]
replace-with = "debian"

[source.debian]
directory = "$DEBIAN_CARGO_REGISTRY"

[net]
offline = true

# Cargo caps the lints of crates.io dependencies; these come by path, so cap them the same
# way (today's rustc denies lints that serde_yaml 0.9.34 predates).
[build]
rustflags = ["--cap-lints", "allow"]
TOML
  (cd "$build" && cargo build --offline --release -j2 --quiet)
  printf '%s' "$stamp" >"$build/.recipe"
}

record() {
  local cases="$CACHE/cases"
  rm -rf "$cases"
  python3 "$ROOT/tests/testkit/upstream_cases.py" write "$cases"
  python3 "$ROOT/tests/testkit/upstream_cases.py" record "$cases" \
    "$CACHE/build/target/release/harness" "$FIXTURE"
}

started=$(date +%s)
build
built=$(date +%s)
say "built in $((built - started)) s"
if [ "${1:-}" != "--build-only" ]; then
  record
  say "recorded in $(($(date +%s) - built)) s: $FIXTURE"
fi
