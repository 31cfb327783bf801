# Shared by the benchmarks: paths, medians, ratio printing.
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BIN="${DSU_BIN:-$ROOT/build/bin}"
CLANG=/usr/lib/llvm-19/bin/clang
WORK=$(mktemp -d "${TMPDIR:-/tmp}/dsu-bench.XXXXXX")
trap 'rm -rf "$WORK"' EXIT
export DSU_RUNTIME_DIR="$WORK/run"; mkdir -m 700 "$DSU_RUNTIME_DIR"
median() { sort -g | awk '{a[NR]=$1} END {if (NR%2) print a[(NR+1)/2]; else print (a[NR/2]+a[NR/2+1])/2}'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN {printf "%.3f", a / b}'; }
