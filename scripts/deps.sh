#!/usr/bin/env bash
# Installs the Debian 12 packages Ember needs (only the missing ones); quiet when all present.
# --node: also installs the Node.js client libraries for tests/integration/node.
set -euo pipefail
cd "$(dirname "$0")/.."

PKGS=(build-essential cmake ninja-build pkg-config libgrpc++-dev protobuf-compiler-grpc
      libprotobuf-dev protobuf-compiler libboost-dev libyaml-cpp-dev googletest libgtest-dev
      libgmock-dev redis-server redis-tools redis-sentinel python3-redis clang libclang-rt-14-dev
      iproute2 docker-compose
      nodejs npm)

installed() { [[ "$(dpkg-query -W -f='${Status}' "$1" 2>/dev/null)" == "install ok installed" ]]; }

missing=()
for p in "${PKGS[@]}"; do
  # NodeSource's nodejs ships npm itself and conflicts with Debian's npm package.
  if [[ $p == npm ]] && command -v npm >/dev/null; then continue; fi
  installed "$p" || missing+=("$p")
done
if ((${#missing[@]})); then
  echo "deps.sh: installing ${missing[*]}" >&2
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

if [[ ${1:-} == --node ]]; then
  dir=tests/integration/node
  # Also when package-lock.json changed since the last install (npm keeps its own copy in
  # node_modules/.package-lock.json), e.g. a dependency added to an existing checkout.
  if [[ -f $dir/package.json && ( ! -d $dir/node_modules ||
        $dir/package-lock.json -nt $dir/node_modules/.package-lock.json ) ]]; then
    if [[ -f $dir/package-lock.json ]]; then cmd=ci; else cmd=install; fi
    (cd "$dir" && npm "$cmd" --no-audit --no-fund --loglevel=error >/dev/null)
  fi
fi
