#!/usr/bin/env bash
# Configures (first time) and builds Ember into build/. One build at a time per machine.
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/deps.sh

exec 9>/tmp/ember-build.lock
flock 9
if [[ ! -f build/build.ninja ]]; then
  cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo
fi
cmake --build build -j2
