#!/usr/bin/env bash
# Builds and runs a single Ember server with deploy/ember.yaml; extra args override config keys.
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/build.sh
mkdir -p build/run  # dir: where dump.rdb is written and loaded from
echo "ember-server starting (data in build/run); connect with: redis-cli -p 6379 ping"
exec build/server/ember-server deploy/ember.yaml --dir "$PWD/build/run" "$@"
