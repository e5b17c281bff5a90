#!/usr/bin/env bash
# The one test command: dependencies, build, then every test registered with CTest.
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/deps.sh --node
bash scripts/build.sh
ctest --test-dir build --output-on-failure -j2
