#!/usr/bin/env bash
# Set up and run the main job on built-in defaults: lint the bundled example wishes and registry.
# The package goes into the project venv .venv/ (scripts/venv.sh), so any python3 >= 3.11 works,
# an "externally managed" system Python included.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/venv.sh
wishcraft_venv
.venv/bin/wishcraft lint examples/data
