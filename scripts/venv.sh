# Sourced by scripts/lint-examples.sh and scripts/test.sh: make the project virtual environment
# .venv/ (idempotent) and install the package into it, editable, with the extras asked for.
#
# Why a venv: Debian's, Ubuntu's and Fedora's own python3 refuse `pip install` (PEP 668,
# "externally managed"); a venv works with any python3 >= 3.11, and never touches the system.
# The install is skipped when .venv/.wishcraft-installed already records this pyproject.toml (by
# hash) and these extras, so a second run costs about a second at most.
#
# Usage: wishcraft_venv [EXTRAS]   e.g. wishcraft_venv test,dev; then call .venv/bin/... only.

wishcraft_venv() {
  local extras=${1:-} root venv stamp want python
  root=$(pwd)
  venv="$root/.venv"
  stamp="$venv/.wishcraft-installed"

  if ! python=$(command -v python3); then
    echo "setup: no python3 on PATH; install Python 3.11 or later (e.g. apt install python3)" >&2
    return 1
  fi
  if ! "$python" -c 'import sys; sys.exit(sys.version_info < (3, 11))'; then
    echo "setup: $python is Python $("$python" -c 'import platform; print(platform.python_version())'); Wishcraft needs 3.11 or later, so put a newer python3 first on PATH" >&2
    return 1
  fi

  # A venv whose interpreter is gone (its base Python was removed or moved) is made again.
  if [ -e "$venv" ] && ! "$venv/bin/python" -c 'import sys; sys.exit(sys.version_info < (3, 11))' \
      >/dev/null 2>&1; then
    echo "setup: .venv/ does not run; making it again with $python"
    rm -rf "$venv"
  fi
  if [ ! -x "$venv/bin/python" ]; then
    # Debian and Ubuntu split venv's pip bootstrap (ensurepip) into the python3.X-venv package.
    if ! "$python" -c 'import ensurepip, venv' >/dev/null 2>&1; then
      local minor
      minor=$("$python" -c 'import sys; print(f"{sys.version_info[0]}.{sys.version_info[1]}")')
      echo "setup: $python cannot make a virtual environment (no ensurepip); install python$minor-venv (apt install python$minor-venv) and run this again" >&2
      return 1
    fi
    echo "setup: making .venv/ with $python ($("$python" -c 'import platform; print(platform.python_version())'))"
    if ! "$python" -m venv "$venv"; then
      rm -rf "$venv"
      echo "setup: $python -m venv failed (see above); on Debian or Ubuntu install python3-venv" >&2
      return 1
    fi
  fi

  want="$(sha256sum pyproject.toml | cut -d' ' -f1) [${extras}]"
  # A stamp with every extra asked for (or more) is current: lint-examples.sh needs none, so
  # the test run's install also serves it.
  if [ -f "$stamp" ] && _wishcraft_stamp_covers "$(cat "$stamp")" "$want"; then
    return 0
  fi
  local target="."
  [ -n "$extras" ] && target=".[$extras]"
  echo "setup: installing wishcraft-lsp$([ -n "$extras" ] && echo " with [$extras]") into .venv/"
  rm -f "$stamp"
  if ! PIP_DISABLE_PIP_VERSION_CHECK=1 "$venv/bin/python" -m pip install -q -e "$target"; then
    echo "setup: pip could not install the package into .venv/ (its output is above)" >&2
    return 1
  fi
  echo "$want" > "$stamp"
}

# True when the stamp (hash [extras]) has the wanted hash and every wanted extra.
_wishcraft_stamp_covers() {
  local have=$1 want=$2 extra
  [ "${have%% *}" = "${want%% *}" ] || return 1
  local have_extras=${have#* } want_extras=${want#* }
  have_extras=${have_extras#[} have_extras=${have_extras%]}
  want_extras=${want_extras#[} want_extras=${want_extras%]}
  for extra in ${want_extras//,/ }; do
    case ",$have_extras," in
      *",$extra,"*) ;;
      *) return 1 ;;
    esac
  done
}
