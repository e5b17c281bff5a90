#!/usr/bin/env bash
# Ember vs Redis, side by side on loopback: throughput (redis-benchmark) and memory per key.
#   bench/bench.sh [--quick]        EMBER_BIN=path/to/ember-server (default build/server/ember-server)
#   BENCH_TESTS="zadd zpopmin" bench/bench.sh   runs only those redis-benchmark tests
# Both servers are started here on free ports and killed by PID on exit.
set -euo pipefail
cd "$(dirname "$0")/.."

EMBER_BIN=$(realpath -s "${EMBER_BIN:-build/server/ember-server}")
REQS=200000 ROUNDS=3 KEYS=1000000
if [[ ${1:-} == --quick ]]; then REQS=20000 ROUNDS=1 KEYS=100000; fi
read -r -a TESTS <<<"${BENCH_TESTS:-set get incr mset hset lpush rpush lpop rpop sadd spop zadd zpopmin lrange_100}"
PIPES=(1 16)

for i in $(seq 600); do   # Redis packages may still be installing: wait up to 10 minutes
  [[ -x /usr/bin/redis-benchmark && -x /usr/bin/redis-cli && -x /usr/bin/redis-server ]] && break
  ((i == 1)) && echo "waiting for redis-tools/redis-server to be installed..." >&2
  sleep 1
done
[[ -x /usr/bin/redis-benchmark ]] || { echo "redis-benchmark not found" >&2; exit 1; }
[[ -x $EMBER_BIN ]] || { echo "no ember-server at $EMBER_BIN (build it or set EMBER_BIN)" >&2; exit 1; }

TMP=$(mktemp -d /tmp/ember-bench.XXXXXX)
PIDS=()
stop_all() {
  local pid
  for pid in "${PIDS[@]}"; do stop "$pid"; done
  PIDS=()
}
cleanup() { stop_all; rm -rf "$TMP"; }
trap cleanup EXIT
trap 'exit 130' INT TERM

# Kills one of our servers and waits (bounded) for it to go; SIGKILL after 5 s.
stop() {
  kill "$1" 2>/dev/null || return 0
  for _ in $(seq 50); do kill -0 "$1" 2>/dev/null || break; sleep 0.1; done
  kill -9 "$1" 2>/dev/null || true
  wait "$1" 2>/dev/null || true
}

# Prints a loopback port P that is free, with P+10000 free too (Ember's replication port).
free_port() {
  /usr/bin/python3 - <<'PY'
import random, socket
for _ in range(200):
    p = random.randrange(20000, 30000)
    try:
        for q in (p, p + 10000):
            s = socket.socket(); s.bind(("127.0.0.1", q)); s.close()
    except OSError:
        continue
    print(p); break
PY
}

# start NAME BIN ARGS...: starts a server in an empty dir $TMP/NAME-PORT (so no old snapshot
# is loaded), sets PORT and PID, waits for PONG (10 s).
start() {
  local name=$1 bin=$2 dir; shift 2
  PORT=$(free_port) dir=$TMP/$name-$PORT
  mkdir "$dir"
  (cd "$dir" && exec "$bin" --port "$PORT" "$@" >server.log 2>&1) &
  PID=$!
  PIDS+=("$PID")
  for _ in $(seq 100); do
    [[ $(redis-cli -p "$PORT" ping 2>/dev/null) == PONG ]] && return 0
    kill -0 "$PID" 2>/dev/null || break
    sleep 0.1
  done
  echo "$name did not answer PING on port $PORT; log:" >&2
  cat "$dir/server.log" >&2
  exit 1
}

start_pair() {
  start redis /usr/bin/redis-server --save '' --appendonly no; RPORT=$PORT RPID=$PID
  start ember "$EMBER_BIN" --save '';                          EPORT=$PORT EPID=$PID
}

# rps TEST PIPE PORT: "requests/s client-cpu%" from one redis-benchmark run, or "FAIL -".
# The client's CPU share tells whether a run measured the server or the single-threaded client:
# near 100% the client is the bottleneck and the ratio understates the faster server.
rps() {
  local out cpu
  # Pipelined runs get 8x the requests so that each lasts about as long as an unpipelined one.
  local n=$((REQS * ($2 > 1 ? 8 : 1)))
  [[ $1 == lrange* ]] && n=$((REQS / 2))  # each request returns 100 elements
  out=$(timeout 300 /usr/bin/time -f '%P' -o "$TMP/cpu" \
        redis-benchmark -q --csv -t "$1" -P "$2" -c 50 -n "$n" -p "$3" 2>/dev/null) || true
  cpu=$(tr -d '%' <"$TMP/cpu" 2>/dev/null || echo -)
  # The last line is the test's own (lrange_* runs an LPUSH first, printed before it).
  awk -F'"' -v cpu="$cpu" 'NR > 1 && $4 + 0 > 0 { rps = $4 }
    END { if (rps) print rps, cpu; else print "FAIL -" }' <<<"$out"
}

echo "== throughput: -c 50 -n $REQS (x8 pipelined), median of $ROUNDS round(s), alternating redis/ember"
echo "   ember: $EMBER_BIN"
start_pair
: >"$TMP/results"
for r in $(seq "$ROUNDS"); do
  for t in "${TESTS[@]}"; do
    for p in "${PIPES[@]}"; do
      echo "$t $p redis $(rps "$t" "$p" "$RPORT")" >>"$TMP/results"
      echo "$t $p ember $(rps "$t" "$p" "$EPORT")" >>"$TMP/results"
    done
  done
done
stop_all

median() {  # median of field $4 (default 4) of `TEST PIPE TARGET` lines, or FAIL
  awk -v t="$1" -v p="$2" -v s="$3" -v f="${4:-4}" \
    '$1 == t && $2 == p && $3 == s && $f != "FAIL" && $f != "-" { print $f }' \
    "$TMP/results" | sort -g | awk '{ v[NR] = $1 } END {
      if (!NR) print "FAIL"; else if (NR % 2) print v[(NR + 1) / 2]; else print (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}
printf '%-6s %8s %14s %14s %12s %18s\n' test pipeline "redis req/s" "ember req/s" ember/redis \
  "client cpu r/e"
for t in "${TESTS[@]}"; do
  for p in "${PIPES[@]}"; do
    rv=$(median "$t" "$p" redis) ev=$(median "$t" "$p" ember)
    rc=$(median "$t" "$p" redis 5) ec=$(median "$t" "$p" ember 5)
    awk -v t="${t^^}" -v p="$p" -v r="$rv" -v e="$ev" -v rc="$rc" -v ec="$ec" 'BEGIN {
      ratio = (r + 0 > 0 && e + 0 > 0) ? sprintf("%.2f", e / r) : "-"
      printf "%-6s %8s %14s %14s %12s %18s\n", t, p, r, e, ratio, rc "%/" ec "%" }'
  done
done

rss_kb() { awk '/^VmRSS:/ { print $2 }' "/proc/$1/status"; }

# load NAME PORT PID FILE KEYS UNITS: loads FILE, checks DBSIZE == KEYS, sets PER to the RSS
# growth in bytes per unit (keys, fields ...).
load() {
  local before after keys
  before=$(rss_kb "$3")
  timeout 600 redis-cli -p "$2" --pipe <"$4" >"$TMP/$1-pipe.log" 2>&1 ||
    { echo "$1: redis-cli --pipe failed:" >&2; cat "$TMP/$1-pipe.log" >&2; exit 1; }
  keys=$(redis-cli -p "$2" dbsize)
  [[ $keys == "$5" ]] || { echo "$1: DBSIZE is $keys, expected $5" >&2; exit 1; }
  after=$(rss_kb "$3")
  PER=$(( (after - before) * 1024 / $6 ))
  echo "$1: VmRSS ${before} kB -> ${after} kB"
}

# memory LABEL FILE KEYS UNITS: fresh servers, the same data into both, bytes per unit.
memory() {
  start_pair
  load redis "$RPORT" "$RPID" "$2" "$3" "$4"; local rb=$PER
  load ember "$EPORT" "$EPID" "$2" "$3" "$4"; local eb=$PER
  stop_all
  awk -v l="$1" -v r="$rb" -v e="$eb" 'BEGIN {
    printf "%-22s %10d %10d %12s\n", l, r, e, (r > 0 ? sprintf("%.2f", e / r) : "-") }'
}

echo
echo "== memory: RSS growth loading the same data with redis-cli --pipe"
awk -v n="$KEYS" 'BEGIN { for (i = 0; i < n; i++)
  printf "*3\r\n$3\r\nSET\r\n$11\r\nkey:%07d\r\n$16\r\nval:%012d\r\n", i, i }' >"$TMP/strings.resp"
HASHES=$((KEYS / 10))
awk -v n="$HASHES" 'BEGIN { for (i = 0; i < n; i++) {
  printf "*22\r\n$4\r\nHSET\r\n$11\r\nhash:%06d\r\n", i
  for (f = 0; f < 10; f++) printf "$7\r\nfield:%d\r\n$8\r\nv%07d\r\n", f, i } }' >"$TMP/hashes.resp"
printf '%-22s %10s %10s %12s\n' metric redis ember ember/redis
memory "bytes/key: $KEYS strings" "$TMP/strings.resp" "$KEYS" "$KEYS"
memory "bytes/field: $HASHES hashes x 10" "$TMP/hashes.resp" "$HASHES" "$KEYS"
