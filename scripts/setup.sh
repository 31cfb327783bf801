#!/usr/bin/env bash
# Installs every Debian package dsu needs and builds it into build/.
# Usage: scripts/setup.sh            (idempotent; re-running only rebuilds what changed)
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
packages=(
  clang-19 llvm-19-dev libclang-19-dev libclang-cpp19-dev llvm-19-tools
  libz3-dev libgtest-dev nlohmann-json3-dev libcli11-dev libfmt-dev
  duktape-dev libstb-dev cmake ninja-build pkg-config valgrind make python3
  libclang-rt-19-dev
  autoconf automake libevent-dev
  redis-tools
  libsodium-dev
  libzstd-dev
)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "setup: installing ${missing[*]}"
  sudo=""; [ "$(id -u)" -eq 0 ] || sudo=sudo
  $sudo apt-get update -q
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -q --no-install-recommends "${missing[@]}"
fi
cmake -S "$root" -B "$root/build" -G Ninja -DCMAKE_BUILD_TYPE=Release
cmake --build "$root/build" -j2
