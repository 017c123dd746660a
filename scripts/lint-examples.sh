#!/usr/bin/env bash
# Set up and run the main job on built-in defaults: lint the bundled example wishes and registry.
set -euo pipefail
cd "$(dirname "$0")/.."
python3 -m pip install -q -e .
wishcraft lint examples/data
