#!/usr/bin/env bash
# Sets everything up (scripts/setup.sh) and runs the whole test suite through ctest.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
"$root/scripts/setup.sh"
cd "$root/build"
ctest --output-on-failure -j2 "$@"
