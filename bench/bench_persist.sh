#!/usr/bin/env bash
# RDB and AOF persistence, Ember vs Redis 7.0 side by side on loopback (issue 4's benchmarks):
#   1. SAVE time and start-up load time of KEYS keys x VALUE bytes (1M x 1 KB = 1 GB by default);
#   2. memory added while BGSAVE runs under a SET load (Ember: its RSS; Redis: the parent's RSS
#      plus the fork child's Private_Dirty, i.e. its copy-on-write pages), as MB and as % of the
#      dataset, with the BGSAVE's duration;
#   3. client latency during that BGSAVE (max and p99 of the SET load) next to the same load
#      without a BGSAVE;
#   4. the same three for BGREWRITEAOF: both servers with appendonly yes, appendfsync everysec
#      and auto-aof-rewrite-percentage 0 (only the asked-for rewrite runs), filled with the same
#      dataset; the rewrite lasts until INFO shows neither aof_rewrite_in_progress nor
#      aof_rewrite_scheduled, and must end with aof_last_bgrewrite_status:ok.
#
#   bench/bench_persist.sh [--quick]         EMBER_BIN=path (default build/server/ember-server)
#   PERSIST_KEYS=2000000 PERSIST_VALUE=512 bench/bench_persist.sh
#
# The dataset is written through redis-cli --pipe (keys key:%012d as redis-benchmark names them,
# so the SET load overwrites them; values are random, so LZF cannot shrink them): once for
# sections 1-3, whose servers then load the dumps, and again into each AOF server of section 4
# (with appendonly yes a server ignores its dump, as Redis 7.0 does). Servers run one at a time,
# each in its own temp dir, with `--save ""` (BGSAVE/SAVE only when asked), and are stopped by
# PID on exit. The SET load is redis-benchmark -c 50 in chunks of LOAD_CHUNK requests; a chunk's
# latency counts as "during BGSAVE" (or the rewrite) if it overlaps it.
set -euo pipefail
cd "$(dirname "$0")/.."

EMBER_BIN=$(realpath -s "${EMBER_BIN:-build/server/ember-server}")
KEYS=${PERSIST_KEYS:-1000000}
VALUE=${PERSIST_VALUE:-1024}
LOAD_CHUNK=${PERSIST_LOAD_CHUNK:-50000}  # SET requests per redis-benchmark run
BASELINE_CHUNKS=${PERSIST_BASELINE_CHUNKS:-6}
if [[ ${1:-} == --quick ]]; then KEYS=100000 LOAD_CHUNK=20000 BASELINE_CHUNKS=3; fi
MAX_CHUNKS=400      # bound on the load loop during a BGSAVE or rewrite
SAVE_TIMEOUT=300    # seconds: SAVE, BGSAVE, BGREWRITEAOF, loading, filling
PY=/usr/bin/python3

for tool in /usr/bin/redis-server /usr/bin/redis-cli /usr/bin/redis-benchmark $PY; do
  [[ -x $tool ]] || { echo "$tool not found (apt-get install redis-server redis-tools)" >&2; exit 1; }
done
[[ -x $EMBER_BIN ]] || { echo "no ember-server at $EMBER_BIN (build it or set EMBER_BIN)" >&2; exit 1; }

TMP=$(mktemp -d /tmp/ember-bench-persist.XXXXXX)
source bench/lib.sh
BG=()
cleanup() {
  local pid
  for pid in "${BG[@]}" "${PIDS[@]}"; do stop "$pid"; done
  rm -rf "$TMP"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

now() { date +%s.%N; }
row() { printf '%-46s %12s %12s %12s\n' "$@"; }
elapsed() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", b - a }'; }
ratio() { awk -v e="$1" -v r="$2" 'BEGIN { if (r + 0 > 0) printf "%.2f", e / r; else print "-" }'; }

# start NAME DIR BIN ARGS...: replaces bench/lib.sh's start, which uses an empty dir: a server
# in DIR (loading DIR/dump.rdb if there is one); sets PORT, PID and UP (seconds until it
# answered PING with PONG, i.e. the load included).
start() {
  local name=$1 dir=$2 bin=$3 t0; shift 3
  PORT=$(free_port)
  t0=$(now)
  (cd "$dir" && exec "$bin" --port "$PORT" --dir "$dir" "$@" >>"$dir/$name.log" 2>&1) &
  PID=$!
  PIDS+=("$PID")
  for _ in $(seq $((SAVE_TIMEOUT * 50))); do
    if [[ $(redis-cli -p "$PORT" ping 2>/dev/null) == PONG ]]; then
      UP=$(elapsed "$t0" "$(now)")
      return 0
    fi
    kill -0 "$PID" 2>/dev/null || break
    sleep 0.02
  done
  echo "$name did not answer PING on port $PORT; log:" >&2
  tail -20 "$dir/$name.log" >&2
  exit 1
}

# shut PID PORT: SHUTDOWN NOSAVE, then the PID is gone (bounded).
shut() {
  redis-cli -p "$2" shutdown nosave >/dev/null 2>&1 || true
  stop "$1"
  local kept=() pid
  for pid in "${PIDS[@]}"; do [[ $pid == "$1" ]] || kept+=("$pid"); done
  PIDS=("${kept[@]}")
}

info() { redis-cli -p "$1" info "${3:-persistence}" | tr -d '\r' | awk -F: -v k="$2" '$1 == k { print $2 }'; }
rss_kb() { awk '/^VmRSS:/ { print $2 }' "/proc/$1/status" 2>/dev/null || echo 0; }
# The fork child's copy-on-write: Private_Dirty of each child of PID (Redis's BGSAVE child).
children_dirty_kb() {
  local kids sum=0 c d
  kids=$(cat /proc/"$1"/task/*/children 2>/dev/null || true)
  for c in $kids; do
    d=$(awk '/^Private_Dirty:/ { print $2 }' "/proc/$c/smaps_rollup" 2>/dev/null || echo 0)
    sum=$((sum + ${d:-0}))
  done
  echo "$sum"
}
mem_kb() { echo $(($(rss_kb "$1") + $(children_dirty_kb "$1"))); }

# The load time a server logs ("DB loaded from disk: 1.234 seconds"; both print it).
logged_load() { grep -o 'DB loaded from disk: [0-9.]* seconds' "$1" | tail -1 | awk '{ print $5 }'; }

DATASET_MB=$((KEYS * VALUE / 1048576))
echo "== RDB and AOF persistence: $KEYS keys x $VALUE bytes (~${DATASET_MB} MB of values), ember: $EMBER_BIN"

# ------------------------------------------------------------------------------------------
# 1. SAVE and load times
# ------------------------------------------------------------------------------------------
mkdir "$TMP/redis" "$TMP/ember"

timed_save() {  # timed_save PORT: seconds of a SAVE
  local t0 reply
  t0=$(now)
  reply=$(timeout "$SAVE_TIMEOUT" redis-cli -p "$1" save)
  [[ $reply == OK ]] || { echo "SAVE failed: $reply" >&2; exit 1; }
  elapsed "$t0" "$(now)"
}

start redis "$TMP/redis" /usr/bin/redis-server --save '' --appendonly no
t0=$(now); fill "$PORT" "$KEYS" "$VALUE" "$SAVE_TIMEOUT"; FILL_S=$(elapsed "$t0" "$(now)")
R_USED=$(info "$PORT" used_memory memory)
R_SAVE=$(timed_save "$PORT")
shut "$PID" "$PORT"
echo "filled redis in ${FILL_S}s (used_memory $((R_USED / 1048576)) MB), SAVE ${R_SAVE}s"

# Ember loads Redis's dump (migration), saves its own.
cp "$TMP/redis/dump.rdb" "$TMP/ember/dump.rdb"
start ember "$TMP/ember" "$EMBER_BIN" --save ''
E_LOAD_REDIS=$UP
[[ $(redis-cli -p "$PORT" dbsize) == "$KEYS" ]] || { echo "ember lost keys loading redis's dump" >&2; exit 1; }
E_USED=$(info "$PORT" used_memory memory)
E_SAVE=$(timed_save "$PORT")
shut "$PID" "$PORT"

# Each loads its own dump.
start redis "$TMP/redis" /usr/bin/redis-server --save '' --appendonly no
R_LOAD=$UP R_LOAD_LOG=$(logged_load "$TMP/redis/redis.log")
shut "$PID" "$PORT"
start ember "$TMP/ember" "$EMBER_BIN" --save ''
E_LOAD=$UP E_LOAD_LOG=$(logged_load "$TMP/ember/ember.log")
[[ $(redis-cli -p "$PORT" dbsize) == "$KEYS" ]] || { echo "ember lost keys loading its dump" >&2; exit 1; }
shut "$PID" "$PORT"

R_SIZE=$(stat -c %s "$TMP/redis/dump.rdb") E_SIZE=$(stat -c %s "$TMP/ember/dump.rdb")
echo
row metric redis ember ember/redis
row "SAVE (s)" "$R_SAVE" "$E_SAVE" "$(ratio "$E_SAVE" "$R_SAVE")"
row "load own dump, start to PONG (s)" "$R_LOAD" "$E_LOAD" "$(ratio "$E_LOAD" "$R_LOAD")"
row "load own dump, as logged (s)" "${R_LOAD_LOG:--}" "${E_LOAD_LOG:--}" "$(ratio "${E_LOAD_LOG:-0}" "${R_LOAD_LOG:-0}")"
row "ember loading redis's dump (s)" "-" "$E_LOAD_REDIS" "$(ratio "$E_LOAD_REDIS" "$R_LOAD")"
row "dump size (MB)" "$((R_SIZE / 1048576))" "$((E_SIZE / 1048576))" "$(ratio "$E_SIZE" "$R_SIZE")"
row "used_memory with the dataset (MB)" "$((R_USED / 1048576))" "$((E_USED / 1048576))" "$(ratio "$E_USED" "$R_USED")"

# ------------------------------------------------------------------------------------------
# 2 and 3. BGSAVE under a SET load: added memory, duration, client latency
# ------------------------------------------------------------------------------------------

# load_loop PORT OUT STOPFILE MAXCHUNKS: redis-benchmark SET chunks until STOPFILE exists or
# MAXCHUNKS ran; one line per chunk: start end rps avg p50 p95 p99 max.
load_loop() {
  local i t0 csv
  for i in $(seq "$4"); do
    [[ -e $3 ]] && break
    t0=$(now)
    csv=$(timeout 120 redis-benchmark -p "$1" -t set -n "$LOAD_CHUNK" -r "$KEYS" -d "$VALUE" \
          -c 50 --csv 2>/dev/null | tail -1) || true
    awk -F'"' -v a="$t0" -v b="$(now)" '$2 == "SET" {
      print a, b, $4, $6, $10, $12, $14, $16 }' <<<"$csv" >>"$2"
  done
}

# latency OUT [FROM TO]: "p99 max rps" over chunks (overlapping [FROM, TO] if given): the
# worst chunk p99, the overall max, the mean throughput.
latency() {
  awk -v from="${2:-0}" -v to="${3:-1e18}" '$2 >= from && $1 <= to {
      n++; rps += $3; if ($7 > p99) p99 = $7; if ($8 > max) max = $8 }
    END { if (n) printf "%.2f %.2f %.0f %d\n", p99, max, rps / n, n; else print "- - - 0" }' "$1"
}

# The background jobs measured: how each is asked for, and what INFO persistence says of it.
job_start() {  # job_start JOB PORT: asks for it; fails unless it started at once
  case $1 in
    bgsave) [[ $(redis-cli -p "$2" bgsave) == "Background saving started" ]] ;;
    bgrewriteaof)
      [[ $(redis-cli -p "$2" bgrewriteaof) == "Background append only file rewriting started" ]] ;;
  esac
}
job_over() {  # job_over JOB PORT: true once it ran to its end
  local s
  s=$(timeout 10 redis-cli -p "$2" info persistence | tr -d '\r') || return 1
  case $1 in
    bgsave) grep -qx 'rdb_bgsave_in_progress:0' <<<"$s" ;;
    bgrewriteaof)
      grep -qx 'aof_rewrite_in_progress:0' <<<"$s" && grep -qx 'aof_rewrite_scheduled:0' <<<"$s" ;;
  esac
}
job_status() {  # job_status JOB PORT: ok or err, of the last one
  case $1 in
    bgsave) info "$2" rdb_last_bgsave_status ;;
    bgrewriteaof) info "$2" aof_last_bgrewrite_status ;;
  esac
}

# job_run JOB NAME PID PORT: runs JOB (bgsave or bgrewriteaof) on a started server under the SET
# load, then shuts the server down. Sets BASE_MB (memory under load before the job), ADD_MB
# (peak added while it ran) and BG_S (its duration); leaves the chunk logs in $TMP/NAME-base.lat
# and $TMP/NAME-bg.lat and the job's window in $TMP/NAME.window.
job_run() {
  local job=$1 name=$2 pid=$3 port=$4 base=0 peak=0 m t0 t1 lp status deadline over=0
  # Baseline latency: the load alone.
  load_loop "$port" "$TMP/$name-base.lat" "$TMP/none" "$BASELINE_CHUNKS"
  # The load again; the job once it runs; memory sampled every ~100 ms until the job ends.
  rm -f "$TMP/$name.stop"
  load_loop "$port" "$TMP/$name-bg.lat" "$TMP/$name.stop" "$MAX_CHUNKS" &
  lp=$!
  BG+=("$lp")
  for _ in $(seq 10); do
    m=$(mem_kb "$pid"); ((m > base)) && base=$m
    sleep 0.1
  done
  t0=$(now)
  job_start "$job" "$port" || { echo "$name: ${job^^} did not start" >&2; exit 1; }
  deadline=$((SECONDS + SAVE_TIMEOUT))
  for _ in $(seq $((SAVE_TIMEOUT * 10))); do
    m=$(mem_kb "$pid"); ((m > peak)) && peak=$m
    if job_over "$job" "$port"; then over=1; break; fi
    ((SECONDS < deadline)) || break
    sleep 0.1
  done
  t1=$(now)
  ((over)) || { echo "$name: ${job^^} still running after ${SAVE_TIMEOUT}s" >&2; exit 1; }
  status=$(job_status "$job" "$port")
  [[ $status == ok ]] || { echo "$name: ${job^^} status $status" >&2; exit 1; }
  echo "$t0 $t1" >"$TMP/$name.window"
  touch "$TMP/$name.stop"
  wait "$lp" 2>/dev/null || true
  BG=()
  shut "$pid" "$port"
  BASE_MB=$((base / 1024)) ADD_MB=$(((peak > base ? peak - base : 0) / 1024))
  BG_S=$(elapsed "$t0" "$t1")
}

pct() { awk -v a="$1" -v d="$DATASET_MB" 'BEGIN { printf "%.1f%%", 100 * a / d }'; }

# job_table JOB NAME_REDIS NAME_EMBER: the table of sections 2-3 (or 4) from job_run's results,
# saved as R_*/E_* by the caller.
job_table() {
  local what=$1 R_P99_0 R_MAX_0 R_RPS_0 E_P99_0 E_MAX_0 E_RPS_0 R_P99 R_MAX R_RPS R_N E_P99 E_MAX \
    E_RPS E_N
  read -r R_P99_0 R_MAX_0 R_RPS_0 _ < <(latency "$TMP/$2-base.lat")
  read -r E_P99_0 E_MAX_0 E_RPS_0 _ < <(latency "$TMP/$3-base.lat")
  read -r R_P99 R_MAX R_RPS R_N < <(latency "$TMP/$2-bg.lat" $(cat "$TMP/$2.window"))
  read -r E_P99 E_MAX E_RPS E_N < <(latency "$TMP/$3-bg.lat" $(cat "$TMP/$3.window"))
  row metric redis ember ember/redis
  row "memory before $what, under load (MB)" "$R_BASE" "$E_BASE" "$(ratio "$E_BASE" "$R_BASE")"
  row "peak memory added by $what (MB)" "$R_ADD" "$E_ADD" "$(ratio "$E_ADD" "$R_ADD")"
  row "  as % of the dataset (${DATASET_MB} MB)" "$(pct "$R_ADD")" "$(pct "$E_ADD")" "(target <= 10%)"
  row "$what duration under load (s)" "$R_BG" "$E_BG" "$(ratio "$E_BG" "$R_BG")"
  row "SET p99 without $what (ms)" "$R_P99_0" "$E_P99_0" "$(ratio "$E_P99_0" "$R_P99_0")"
  row "SET p99 during $what, worst chunk (ms)" "$R_P99" "$E_P99" "$(ratio "$E_P99" "$R_P99")"
  row "SET max latency without $what (ms)" "$R_MAX_0" "$E_MAX_0" "$(ratio "$E_MAX_0" "$R_MAX_0")"
  row "SET max latency during $what (ms)" "$R_MAX" "$E_MAX" "$(ratio "$E_MAX" "$R_MAX")"
  row "SET req/s without $what" "$R_RPS_0" "$E_RPS_0" "$(ratio "$E_RPS_0" "$R_RPS_0")"
  row "SET req/s during $what" "$R_RPS" "$E_RPS" "$(ratio "$E_RPS" "$R_RPS")"
  echo "(load chunks overlapping the $what: redis $R_N, ember $E_N)"
}

echo
echo "== BGSAVE under a SET load (redis-benchmark -t set -r $KEYS -d $VALUE -c 50, chunks of $LOAD_CHUNK)"
start redis "$TMP/redis" /usr/bin/redis-server --save '' --appendonly no
job_run bgsave redis "$PID" "$PORT"
R_BASE=$BASE_MB R_ADD=$ADD_MB R_BG=$BG_S
start ember "$TMP/ember" "$EMBER_BIN" --save ''
job_run bgsave ember "$PID" "$PORT"
E_BASE=$BASE_MB E_ADD=$ADD_MB E_BG=$BG_S
job_table BGSAVE redis ember

# ------------------------------------------------------------------------------------------
# 4. BGREWRITEAOF under the SET load: added memory, duration, client latency
# ------------------------------------------------------------------------------------------
AOF_ARGS=(--save '' --appendonly yes --appendfsync everysec --auto-aof-rewrite-percentage 0)
mkdir "$TMP/redis-aof" "$TMP/ember-aof"
echo
echo "== BGREWRITEAOF under the same SET load (appendonly yes, appendfsync everysec)"
start redis-aof "$TMP/redis-aof" /usr/bin/redis-server "${AOF_ARGS[@]}"
fill "$PORT" "$KEYS" "$VALUE" "$SAVE_TIMEOUT"
job_run bgrewriteaof redis-aof "$PID" "$PORT"
R_BASE=$BASE_MB R_ADD=$ADD_MB R_BG=$BG_S
start ember-aof "$TMP/ember-aof" "$EMBER_BIN" "${AOF_ARGS[@]}"
fill "$PORT" "$KEYS" "$VALUE" "$SAVE_TIMEOUT"
job_run bgrewriteaof ember-aof "$PID" "$PORT"
E_BASE=$BASE_MB E_ADD=$ADD_MB E_BG=$BG_S
job_table BGREWRITEAOF redis-aof ember-aof
