#!/usr/bin/env bash
# Ember vs Redis SET throughput with the AOF on: appendonly yes and appendfsync everysec, then
# always, side by side on loopback (redis-benchmark, alternating servers, median of rounds).
#   bench/bench_aof.sh [--quick]      EMBER_BIN=path/to/ember-server (default build/server/ember-server)
#   AOF_MODES="always" bench/bench_aof.sh     only these appendfsync policies
# Each server runs in a temp dir of its own (its AOF directory there) and is killed by PID on
# exit. The AOF sizes printed at the end show both logged the same writes.
set -euo pipefail
cd "$(dirname "$0")/.."

EMBER_BIN=$(realpath -s "${EMBER_BIN:-build/server/ember-server}")
ROUNDS=5
if [[ ${1:-} == --quick ]]; then ROUNDS=1; fi
read -r -a MODES <<<"${AOF_MODES:-everysec always}"
PIPES=(1 16)

[[ -x /usr/bin/redis-benchmark && -x /usr/bin/redis-server ]] ||
  { echo "redis-benchmark/redis-server not found" >&2; exit 1; }
[[ -x $EMBER_BIN ]] || { echo "no ember-server at $EMBER_BIN (build it or set EMBER_BIN)" >&2; exit 1; }

TMP=$(mktemp -d /tmp/ember-bench-aof.XXXXXX)
source bench/lib.sh
cleanup() { stop_all; rm -rf "$TMP"; }
trap cleanup EXIT
trap 'exit 130' INT TERM

# rps N PIPE PORT: requests/s of one redis-benchmark SET run (-c 50), or FAIL.
rps() {
  local out
  out=$(timeout 300 redis-benchmark -q --csv -t set -P "$2" -c 50 -n "$1" -p "$3" 2>/dev/null) || true
  awk -F'"' 'NR > 1 && $4 + 0 > 0 { rps = $4 } END { if (rps) print rps; else print "FAIL" }' <<<"$out"
}

median() {
  sort -g | awk '{ v[NR] = $1 } END {
    if (!NR) print "FAIL"; else if (NR % 2) print v[(NR + 1) / 2]; else print (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}

aof_size() { redis-cli -p "$1" info persistence | tr -d '\r' | awk -F: '$1 == "aof_current_size" { print $2 }'; }

echo "== SET with appendonly yes: -c 50, median of $ROUNDS round(s), alternating redis/ember"
echo "   ember: $EMBER_BIN"
printf '%-9s %8s %14s %14s %12s\n' appendfsync pipeline "redis req/s" "ember req/s" ember/redis
for mode in "${MODES[@]}"; do
  # No automatic rewrite on either side: this measures the append path.
  start redis /usr/bin/redis-server --save '' --appendonly yes --appendfsync "$mode" \
    --auto-aof-rewrite-percentage 0
  RPORT=$PORT
  start ember "$EMBER_BIN" --save '' --appendonly yes --appendfsync "$mode" \
    --auto-aof-rewrite-percentage 0
  EPORT=$PORT
  : >"$TMP/results"
  for p in "${PIPES[@]}"; do
    # always is bound by fsyncs: fewer requests keep a run near a second or two.
    n=200000
    [[ $mode == always ]] && n=$((p > 1 ? 200000 : 50000))
    for r in $(seq "$ROUNDS"); do
      echo "$p redis $(rps "$n" "$p" "$RPORT")" >>"$TMP/results"
      echo "$p ember $(rps "$n" "$p" "$EPORT")" >>"$TMP/results"
    done
    rv=$(awk -v p="$p" '$1 == p && $2 == "redis" && $3 != "FAIL" { print $3 }' "$TMP/results" | median)
    ev=$(awk -v p="$p" '$1 == p && $2 == "ember" && $3 != "FAIL" { print $3 }' "$TMP/results" | median)
    awk -v m="$mode" -v p="$p" -v r="$rv" -v e="$ev" 'BEGIN {
      ratio = (r + 0 > 0 && e + 0 > 0) ? sprintf("%.2f", e / r) : "-"
      printf "%-9s %8s %14s %14s %12s\n", m, p, r, e, ratio }'
  done
  echo "   AOF bytes logged: redis $(aof_size "$RPORT"), ember $(aof_size "$EPORT")"
  stop_all
done
