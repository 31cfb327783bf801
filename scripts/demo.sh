#!/usr/bin/env bash
# Installs and builds everything (scripts/setup.sh), then runs the main demo:
# the key-value server updated live from v1 to v2 to v3 while it keeps its
# connections and its keys.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
"$root/scripts/setup.sh"
exec "$root/scripts/demo-kvserver.sh"
