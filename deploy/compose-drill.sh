#!/usr/bin/env bash
# The failover drill against the docker-compose topology (a Docker engine is needed; on this
# project's machines: ../shared/tools/local-docker.sh start, then DOCKER_HOST=unix:///tmp/docker.sock).
#
#   deploy/compose-drill.sh [--down]
#
# Builds and starts docker-compose.yml as the compose project "ember", waits until every
# sentinel agrees on the master with 2 replicas and 2 other sentinels, then runs
# scripts/ember-drill twice from the host, writing through the sentinels with WAIT 1 100 after
# each write: `docker kill` of the master's container (then `docker start` it: it must come
# back as a replica), and `docker pause` of the new master (then unpause). The drill talks to
# the containers by their fixed addresses (172.28.0.0/24, see docker-compose.yml), which a Linux
# host routes to. It exits non-zero if a drill failed (no failover within failover-timeout, or
# an acknowledged write lost). --down removes the project and its volumes afterwards.
set -euo pipefail
cd "$(dirname "$0")/.."

PROJECT=ember
compose() { docker-compose -p "$PROJECT" "$@"; }
MAP="172.28.0.10=master,172.28.0.11=replica-1,172.28.0.12=replica-2"
SENTINELS=127.0.0.1:26379,127.0.0.1:26380,127.0.0.1:26381
out=build/compose-drill
mkdir -p "$out"

compose up -d --build
echo "waiting for the sentinels to agree (60 s at most)..."
ok=0
for _ in $(seq 120); do
  agree=0
  for port in 26379 26380 26381; do
    if redis-cli -p "$port" sentinel master mymaster 2>/dev/null | paste - - |
        grep -q $'^num-slaves\t2$' &&
       redis-cli -p "$port" sentinel master mymaster 2>/dev/null | paste - - |
        grep -q $'^num-other-sentinels\t2$'; then
      agree=$((agree + 1))
    fi
  done
  if [[ $agree == 3 ]]; then ok=1; break; fi
  sleep 0.5
done
[[ $ok == 1 ]] || { echo "the sentinels did not agree on the topology" >&2; compose ps; exit 1; }
compose ps

status=0
for fault in docker-kill docker-pause; do
  echo "== drill: $fault"
  restart=()
  if [[ $fault == docker-kill ]]; then restart=(--restart); fi
  scripts/ember-drill --fault "$fault" "${restart[@]}" --compose-project "$PROJECT" \
    --compose-cmd docker-compose --docker-map "$MAP" --sentinels "$SENTINELS" \
    --wait-replicas 1 --json "$out/$fault.json" --svg "$out/$fault.svg" || status=1
done
echo "reports: $out/"
if [[ ${1:-} == --down ]]; then compose down -v; fi
exit $status
