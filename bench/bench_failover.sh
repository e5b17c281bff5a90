#!/usr/bin/env bash
# Sentinel failover drill, Ember vs Redis 7.0 Sentinel side by side on loopback (the Sentinel
# issue's benchmarks). Each trial starts a fresh topology (tests/integration/
# sentinel_topology.py): 1 master + 2 replicas + 3 sentinels, quorum 2,
# down-after-milliseconds 1000, failover-timeout 10000, parallel-syncs 1; Redis data nodes with
# repl-diskless-sync-delay 0 (Ember has no such delay), all with `--save ""`. Once every sentinel
# agrees on the master with 2 replicas and 2 other sentinels, these clients write through the
# sentinels, one write at a time, every 10 ms:
#   - redis-py Sentinel(...).master_for() (socket_timeout 0.5 s), plain SET;
#   - a second redis-py master_for writer whose every SET is followed by WAIT 1 100 on the same
#     connection: a write counts as acknowledged only if WAIT returned >= 1;
#   - ioredis 5 `new Redis({sentinels, name})` and node-redis 5 `createSentinel` with their
#     default options, in tests/integration/node/sentinel_clients.mjs (a child of the driver).
# Then the master is killed (SIGKILL, by PID); the clock starts just before the signal
# (monotonic for Python, the wall clock sent to node). Measured per trial:
#   - kill -9 -> +switch-master: the first +switch-master any sentinel publishes (each sentinel
#     is PSUBSCRIBEd to *, events time-stamped on arrival);
#   - kill -9 -> first write acknowledged, per client: the first write sent after the kill (or
#     sent before and acknowledged >= 50 ms after it: retried) that got its OK;
#   - old master restarted -> replicating again: once every sentinel published +switch-master
#     the killed master is started again on its port, empty and as a master (a rebooted
#     master); the time until its INFO says role:slave, master_port the new master,
#     master_link_status:up (polled every 20 ms);
#   - spurious failovers: +switch-master events after each sentinel's first, within 10 s of the
#     first one (0 expected), summed;
#   - acknowledged writes lost: when the clients stopped, each key the WAIT writer had
#     acknowledged is read on the new master (MGET); missing or wrong ones are lost.
# Trials of the two implementations alternate; the table holds the medians (and the sums) with
# ember/redis. A trial line shows each trial's numbers. The Ember columns need its binaries;
# without them only Redis runs (its column alone).
#
#   bench/bench_failover.sh                TRIALS=5 (default)
#   EMBER_SERVER=path EMBER_SENTINEL=path  (defaults build/server/ember-server and
#                                           build/sentinel/ember-sentinel)
#   TRIALS=2 bench/bench_failover.sh
# Needs redis-server, redis-sentinel, /usr/bin/python3 with redis-py (python3-redis), node and
# tests/integration/node/node_modules (bash scripts/deps.sh --node). Every process runs in a temp
# dir on free loopback ports and is stopped by PID.
set -euo pipefail
cd "$(dirname "$0")/.."

TRIALS=${TRIALS:-5}
EMBER_SERVER=$(realpath -s "${EMBER_SERVER:-build/server/ember-server}")
EMBER_SENTINEL=$(realpath -s "${EMBER_SENTINEL:-build/sentinel/ember-sentinel}")
PY=/usr/bin/python3

for tool in /usr/bin/redis-server /usr/bin/redis-sentinel $PY; do
  [[ -x $tool ]] || { echo "$tool not found (apt-get install redis-server redis-sentinel python3-redis)" >&2; exit 1; }
done
$PY -c 'import redis' 2>/dev/null || { echo "$PY has no redis-py (apt-get install python3-redis)" >&2; exit 1; }
NODE=$(command -v node || command -v nodejs || true)
[[ -n $NODE ]] || { echo "node not found (apt-get install nodejs)" >&2; exit 1; }
[[ -d tests/integration/node/node_modules/redis5 && -d tests/integration/node/node_modules/ioredis ]] ||
  { echo "tests/integration/node/node_modules incomplete: bash scripts/deps.sh --node" >&2; exit 1; }

IMPLS=(--impl redis)
if [[ -x $EMBER_SERVER && -x $EMBER_SENTINEL ]]; then
  IMPLS=(--impl ember --impl redis)
  echo "== Failover drill: $TRIALS trials each, ember ($EMBER_SERVER, $EMBER_SENTINEL) and redis 7.0"
else
  echo "== Failover drill: $TRIALS trials, redis 7.0 only (no ember-server/ember-sentinel at" \
    "$EMBER_SERVER / $EMBER_SENTINEL)"
fi
exec $PY bench/bench_failover.py --trials "$TRIALS" "${IMPLS[@]}" --server "$EMBER_SERVER" \
  --sentinel "$EMBER_SENTINEL" --node "$NODE"
