#!/usr/bin/env bash
# Master -> replica replication, Ember vs Redis 7.0 side by side on loopback (the replication
# issue's benchmarks):
#   1. Full sync of KEYS keys x VALUE bytes (1M x 1 KB = 1 GB by default; random values, so
#      LZF cannot shrink them) while writes continue. A fresh, empty replica process is started
#      and answers PING; the clock starts when REPLICAOF is sent to it and stops when its INFO
#      replication says master_link_status:up (polled every 10 ms). Meanwhile a SET load runs
#      on the master: redis-benchmark -t set -r KEYS -d VALUE -c 5 in chunks of SYNC_RPS/10
#      requests started every 100 ms, i.e. at most SYNC_RPS SETs/s (default 5000, ~5 MB/s: an
#      unthrottled -c 50 load writes ~120 MB/s here, which would put a 10 s sync over the default
#      256 MB client-output-buffer-limit of a replica on both servers). The master's memory
#      (its VmRSS, plus the Private_Dirty of any child process, i.e. Redis's fork child and its
#      copy-on-write pages) is sampled every 50 ms for 1 s under the load before REPLICAOF (the
#      base) and during the sync; the peak minus the base is printed as MB and as % of the
#      dataset (KEYS x VALUE), next to the bytes the master wrote to its replication stream
#      meanwhile (master_repl_offset's growth), which a master has to keep for the replica.
#      Then the load stops and the time until the replica's slave_repl_offset reaches the
#      master's master_repl_offset is printed ("catch-up"), with the replica's DBSIZE, and
#      the master's sync_full (1 unless the sync had to start over). Servers: Ember, Redis
#      with repl-diskless-sync yes and repl-diskless-sync-delay 0, and Redis with
#      repl-diskless-sync no (REPL_REDIS_DISK=0 skips it). Each master is fresh and filled
#      through redis-cli --pipe, one master and its replica at a time.
#   2. Master SET throughput: redis-benchmark -t set -P 16 -c 50 -r THR_KEYS -d THR_VALUE
#      -n THR_REQS against a fresh master (a warm-up run creates the keys; then the median of
#      ROUNDS runs), then the same with 2 replicas attached and in sync (after each run, the
#      time until both replicas reached the master's offset is recorded, and the next run
#      starts after that). Redis masters here also have repl-diskless-sync yes and
#      repl-diskless-sync-delay 0. Printed: req/s, the ratio with/alone per server, and
#      ember/redis of each. The 2 replica processes already run (idle) during the runs
#      without replication; Redis and Ember runs alternate. On a 2-core machine master,
#      client and replicas share the CPUs: the client's CPU share and the CPU seconds the
#      master and the replicas used per run are printed to tell.
#   3. Replica lag under that load (the topology of section 2): while redis-benchmark
#      -t set -P 16 -c 50 runs on the master (back-to-back chunks of THR_REQS), a probe
#      (Python, redis-py) SETs a key on the master to a unique value, then polls both replicas
#      (GET every 1 ms) until each returns it; lag = from the master's OK to the replica's GET
#      returning the new value. PROBES probes, 20 ms apart, bounded by LAG_TIMEOUT seconds;
#      a probe not seen within 5 s counts as a timeout. p50/p99/max of the samples of both
#      replicas, with the probe's own SET round trip on the master.
#
#   bench/bench_repl.sh [--quick]          EMBER_BIN=path (default build/server/ember-server)
#   REPL_KEYS=200000 REPL_VALUE=4096 REPL_SYNC_RPS=20000 bench/bench_repl.sh
#   REPL_THR_REQS REPL_THR_KEYS REPL_THR_VALUE REPL_ROUNDS REPL_PROBES REPL_REDIS_DISK=0
# Servers run in temp dirs under /tmp with `--save ""`, on free loopback ports (Ember's
# replication port is the client port + 10000), and are stopped by PID on exit.
set -euo pipefail
cd "$(dirname "$0")/.."

EMBER_BIN=$(realpath -s "${EMBER_BIN:-build/server/ember-server}")
KEYS=${REPL_KEYS:-1000000}
VALUE=${REPL_VALUE:-1024}
SYNC_RPS=${REPL_SYNC_RPS:-5000}
THR_REQS=${REPL_THR_REQS:-2000000}
THR_KEYS=${REPL_THR_KEYS:-1000000}
THR_VALUE=${REPL_THR_VALUE:-3}
ROUNDS=${REPL_ROUNDS:-3}
PROBES=${REPL_PROBES:-300}
REDIS_DISK=${REPL_REDIS_DISK:-1}
if [[ ${1:-} == --quick ]]; then
  KEYS=${REPL_KEYS:-100000} THR_REQS=${REPL_THR_REQS:-300000} THR_KEYS=${REPL_THR_KEYS:-100000}
  ROUNDS=${REPL_ROUNDS:-1} PROBES=${REPL_PROBES:-100}
fi
SYNC_TIMEOUT=180    # seconds: a full sync to link up; then as much for the catch-up
FILL_TIMEOUT=300    # seconds: filling a master
LAG_TIMEOUT=120     # seconds: all the probes of section 3
MAX_TICKS=$((SYNC_TIMEOUT * 2 * 10))  # bound on the sync load's 100 ms ticks
MAX_CHUNKS=100      # bound on the load chunks of section 3
PY=/usr/bin/python3

for tool in /usr/bin/redis-server /usr/bin/redis-cli /usr/bin/redis-benchmark $PY; do
  [[ -x $tool ]] || { echo "$tool not found (apt-get install redis-server redis-tools)" >&2; exit 1; }
done
$PY -c 'import redis' 2>/dev/null || { echo "$PY has no redis-py (apt-get install python3-redis)" >&2; exit 1; }
[[ -x $EMBER_BIN ]] || { echo "no ember-server at $EMBER_BIN (build it or set EMBER_BIN)" >&2; exit 1; }

TMP=$(mktemp -d /tmp/ember-bench-repl.XXXXXX)
source bench/lib.sh
BG=()
cleanup() {
  local pid
  for pid in "${BG[@]}" "${PIDS[@]}"; do stop "$pid"; done
  rm -rf "$TMP"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

row() { printf '%-44s %12s %12s %12s\n' "$@"; }
row6() { printf '%-44s %12s %12s %12s %12s %12s\n' "$@"; }
ratio() { awk -v e="$1" -v r="$2" 'BEGIN { if (r + 0 > 0 && e + 0 == e) printf "%.2f", e / r; else print "-" }'; }
pct() { awk -v a="$1" -v d="$DATASET_MB" 'BEGIN { if (a + 0 == a) printf "%.1f%%", 100 * a / d; else print "-" }'; }
info() { redis-cli -p "$1" info "${3:-replication}" | tr -d '\r' | awk -F: -v k="$2" '$1 == k { print $2 }'; }

# shut PID PORT: SHUTDOWN NOSAVE, then the PID is gone (bounded).
shut() {
  redis-cli -p "$2" shutdown nosave >/dev/null 2>&1 || true
  stop "$1"
  local kept=() pid
  for pid in "${PIDS[@]}"; do [[ $pid == "$1" ]] || kept+=("$pid"); done
  PIDS=("${kept[@]}")
}
logdir() { echo "$TMP/$1-$2"; }  # logdir NAME PORT: the dir bench/lib.sh's start made

# The helpers that need a 10 ms clock or redis-py: watch (section 1), synced, probe (section 3).
cat >"$TMP/repl.py" <<'PY'
import os, sys, time
import redis

def client(port, timeout=5):
    return redis.Redis(host="127.0.0.1", port=int(port), socket_timeout=timeout)

def info(c):
    try:
        return c.info("replication")
    except (redis.RedisError, OSError):
        return {}

def mem_kb(pid):
    """VmRSS of pid plus Private_Dirty of its children (a fork's copy-on-write)."""
    total = 0
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    total = int(line.split()[1])
        kids = []
        for t in os.listdir(f"/proc/{pid}/task"):
            with open(f"/proc/{pid}/task/{t}/children") as f:
                kids += f.read().split()
    except OSError:
        return total
    for k in kids:
        try:
            with open(f"/proc/{k}/smaps_rollup") as f:
                for line in f:
                    if line.startswith("Private_Dirty:"):
                        total += int(line.split()[1])
        except OSError:
            pass
    return total

def watch(mpid, mport, rport, timeout, base_s):
    """Base memory for base_s s, REPLICAOF, then poll until link up: prints
    'ok|FAIL seconds base_kb peak_kb stream_bytes'."""
    m, r = client(mport), client(rport)
    base = peak = 0
    end = time.monotonic() + float(base_s)
    while time.monotonic() < end:
        base = max(base, mem_kb(mpid))
        time.sleep(0.05)
    off0 = int(info(m).get("master_repl_offset", 0))
    t0 = time.monotonic()
    r.execute_command("REPLICAOF", "127.0.0.1", str(mport))
    deadline, next_mem, up = t0 + float(timeout), 0.0, False
    while time.monotonic() < deadline:
        now = time.monotonic()
        if now >= next_mem:
            peak = max(peak, mem_kb(mpid))
            next_mem = now + 0.05
        if info(r).get("master_link_status") == "up":
            up = True
            break
        time.sleep(0.01)
    t1 = time.monotonic()
    peak = max(peak, mem_kb(mpid))
    off1 = int(info(m).get("master_repl_offset", 0))
    print("ok" if up else "FAIL", f"{t1 - t0:.2f}", base, peak, off1 - off0)

def synced(mport, timeout, *rports):
    """Seconds until every replica's link is up at the master's offset, or FAIL."""
    m, reps = client(mport), [client(p) for p in rports]
    t0 = time.monotonic()
    while time.monotonic() - t0 < float(timeout):
        moff = int(info(m).get("master_repl_offset", -1))
        ok = True
        for r in reps:
            i = info(r)
            if i.get("master_link_status") != "up" or int(i.get("slave_repl_offset", -1)) < moff:
                ok = False
                break
        if ok:
            print(f"{time.monotonic() - t0:.2f}")
            return
        time.sleep(0.01)
    print("FAIL")

def pctl(v, p):
    v = sorted(v)
    return v[max(0, min(len(v) - 1, int(len(v) * p + 0.999999) - 1))] if v else float("nan")

def probe(mport, n, limit, *rports):
    """n probes: SET on the master, GET on each replica every 1 ms until it returns the value.
    Prints 'p50 p99 max samples timeouts set_p50 set_p99' (ms)."""
    m, reps = client(mport, 10), [client(p, 10) for p in rports]
    lags, rtts, timeouts = [], [], 0
    end = time.monotonic() + float(limit)
    for i in range(int(n)):
        if time.monotonic() > end:
            break
        val = b"%d:%d" % (i, time.time_ns())
        t0 = time.monotonic()
        m.set("bench:probe", val)
        t1 = time.monotonic()
        rtts.append(t1 - t0)
        pending = list(range(len(reps)))
        while pending and time.monotonic() - t1 < 5:
            for j in list(pending):
                if reps[j].get("bench:probe") == val:
                    lags.append(time.monotonic() - t1)
                    pending.remove(j)
            if pending:
                time.sleep(0.001)
        timeouts += len(pending)
        time.sleep(0.02)
    ms = lambda x: f"{1000 * x:.1f}"
    print(ms(pctl(lags, 0.5)), ms(pctl(lags, 0.99)), ms(max(lags) if lags else float("nan")),
          len(lags), timeouts, ms(pctl(rtts, 0.5)), ms(pctl(rtts, 0.99)))

{"watch": watch, "synced": synced, "probe": probe}[sys.argv[1]](*sys.argv[2:])
PY

DATASET_MB=$((KEYS * VALUE / 1048576))
echo "== Replication: $KEYS keys x $VALUE bytes (~${DATASET_MB} MB of values), ember: $EMBER_BIN"

# ------------------------------------------------------------------------------------------
# 1. Full sync under a SET load: time to link up, master memory
# ------------------------------------------------------------------------------------------

# sync_load PORT STOPFILE: SYNC_RPS/10 SETs every 100 ms until STOPFILE exists (MAX_TICKS).
sync_load() {
  local chunk=$((SYNC_RPS / 10)) next now rem
  ((chunk > 0)) || chunk=1
  next=$(date +%s%N)
  for _ in $(seq "$MAX_TICKS"); do
    [[ -e $2 ]] && break
    timeout 30 redis-benchmark -p "$1" -t set -r "$KEYS" -d "$VALUE" -c 5 -n "$chunk" -q \
      >/dev/null 2>&1 || true
    next=$((next + 100000000)) now=$(date +%s%N) rem=$((next - now))
    if ((rem > 0)); then sleep "$(printf '0.%09d' "$rem")"; else next=$now; fi
  done
}

# sync_run NAME BIN ARGS...: a fresh master (ARGS) filled with the dataset, a fresh empty
# replica, the sync under the load. Sets S_UP (s, or FAIL), S_BASE and S_ADD (MB), S_STREAM
# (MB), S_CATCH (s), S_DBSIZE, S_FULL.
sync_run() {
  local name=$1 bin=$2 mpid mport rpid rport lp res ok up base peak stream
  shift 2
  start "$name-master" "$bin" --save '' --appendonly no "$@"
  mpid=$PID mport=$PORT
  fill "$mport" "$KEYS" "$VALUE" "$FILL_TIMEOUT"
  start "$name-replica" "$bin" --save '' --appendonly no
  rpid=$PID rport=$PORT
  rm -f "$TMP/stop"
  sync_load "$mport" "$TMP/stop" &
  lp=$!
  BG+=("$lp")
  res=$($PY "$TMP/repl.py" watch "$mpid" "$mport" "$rport" "$SYNC_TIMEOUT" 1)
  read -r ok up base peak stream <<<"$res"
  touch "$TMP/stop"
  wait "$lp" 2>/dev/null || true
  BG=()
  S_BASE=$((base / 1024)) S_ADD=$(((peak > base ? peak - base : 0) / 1024))
  S_STREAM=$((stream / 1048576))
  if [[ $ok == ok ]]; then
    S_UP=$up
    S_CATCH=$($PY "$TMP/repl.py" synced "$mport" "$SYNC_TIMEOUT" "$rport")
  else
    S_UP=FAIL S_CATCH=-
  fi
  S_DBSIZE=$(redis-cli -p "$rport" dbsize 2>/dev/null || echo -)
  S_FULL=$(info "$mport" sync_full stats)
  if [[ $S_UP == FAIL || $S_CATCH == FAIL || $S_DBSIZE != "$KEYS" || $S_FULL != 1 ]]; then
    echo "$name: link up ${S_UP}, catch-up ${S_CATCH}, replica DBSIZE $S_DBSIZE, sync_full $S_FULL;" \
      "replica link: $(info "$rport" master_link_status) $(info "$rport" master_link_down_reason)" >&2
    echo "--- $name master log (tail):" >&2; tail -15 "$(logdir "$name-master" "$mport")/server.log" >&2
    echo "--- $name replica log (tail):" >&2; tail -15 "$(logdir "$name-replica" "$rport")/server.log" >&2
  fi
  shut "$rpid" "$rport"
  shut "$mpid" "$mport"
  echo "$name: link up ${S_UP}s, +${S_ADD} MB over ${S_BASE} MB, stream ${S_STREAM} MB, catch-up ${S_CATCH}s"
}

echo
echo "== 1. Full sync under a SET load of <= $SYNC_RPS SETs/s (redis-benchmark -r $KEYS -d $VALUE -c 5)"
sync_run ember "$EMBER_BIN"
E=("$S_UP" "$S_BASE" "$S_ADD" "$S_STREAM" "$S_CATCH" "$S_DBSIZE" "$S_FULL")
sync_run redis /usr/bin/redis-server --repl-diskless-sync yes --repl-diskless-sync-delay 0
R=("$S_UP" "$S_BASE" "$S_ADD" "$S_STREAM" "$S_CATCH" "$S_DBSIZE" "$S_FULL")
D=(- - - - - - -)
if ((REDIS_DISK)); then
  sync_run redis-disk /usr/bin/redis-server --repl-diskless-sync no
  D=("$S_UP" "$S_BASE" "$S_ADD" "$S_STREAM" "$S_CATCH" "$S_DBSIZE" "$S_FULL")
fi
echo
row6 metric ember "redis" "ember/redis" "redis disk" "ember/disk"
sync_row() {  # sync_row LABEL INDEX [pct]
  local e=${E[$2]} r=${R[$2]} d=${D[$2]}
  if [[ ${3:-} == pct ]]; then
    row6 "$1" "$(pct "$e")" "$(pct "$r")" "-" "$(pct "$d")" "-"
  else
    row6 "$1" "$e" "$r" "$(ratio "$e" "$r")" "$d" "$(ratio "$e" "$d")"
  fi
}
sync_row "REPLICAOF to master_link_status:up (s)" 0
sync_row "master memory before, under load (MB)" 1
sync_row "master peak memory added by the sync (MB)" 2
sync_row "  as % of the dataset (${DATASET_MB} MB; target <= 10%)" 2 pct
sync_row "written to the stream during the sync (MB)" 3
sync_row "link up to offsets equal, load stopped (s)" 4
sync_row "replica DBSIZE (expected $KEYS)" 5
sync_row "master sync_full (1 = no restart)" 6

# ------------------------------------------------------------------------------------------
# 2. Master SET throughput alone and with 2 replicas
# ------------------------------------------------------------------------------------------
cpu_s() {  # cpu_s PID...: utime + stime of the processes, in seconds
  local pid sum=0 t
  for pid in "$@"; do
    t=$(awk '{ print $14 + $15 }' "/proc/$pid/stat" 2>/dev/null || echo 0)
    sum=$((sum + t))
  done
  awk -v t="$sum" -v hz="$(getconf CLK_TCK)" 'BEGIN { printf "%.2f", t / hz }'
}

# run_set PORT OUT MPID RPIDS...: one redis-benchmark SET run; appends to OUT
# "rps client-cpu% master-cpu-s replicas-cpu-s".
run_set() {
  local port=$1 out=$2 mpid=$3 csv cpu m0 r0 m1 r1
  shift 3
  m0=$(cpu_s "$mpid") r0=$(cpu_s "$@")
  csv=$(timeout 300 /usr/bin/time -f '%P' -o "$TMP/cpu" redis-benchmark -p "$port" -t set \
        -P 16 -c 50 -r "$THR_KEYS" -d "$THR_VALUE" -n "$THR_REQS" -q --csv 2>/dev/null) || true
  m1=$(cpu_s "$mpid") r1=$(cpu_s "$@")
  cpu=$(tr -d '%' <"$TMP/cpu" 2>/dev/null || echo -)
  awk -F'"' -v cpu="$cpu" -v m0="$m0" -v m1="$m1" -v r0="$r0" -v r1="$r1" '$2 == "SET" { rps = $4 }
    END { printf "%s %s %.2f %.2f\n", (rps ? rps : "FAIL"), cpu, m1 - m0, r1 - r0 }' <<<"$csv" >>"$out"
}

median() {  # median FILE FIELD: of the non-FAIL lines
  awk -v f="$2" '$1 != "FAIL" && $f != "-" { print $f }' "$1" | sort -g | awk '{ v[NR] = $1 } END {
    if (!NR) print "FAIL"; else if (NR % 2) print v[(NR + 1) / 2]; else print (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}

echo
echo "== 2. Master SET throughput: redis-benchmark -t set -P 16 -c 50 -r $THR_KEYS -d $THR_VALUE" \
  "-n $THR_REQS, median of $ROUNDS, alone then with 2 replicas in sync"
declare -A MP MPID R1P R1PID R2P R2PID
for s in redis ember; do
  bin=$EMBER_BIN margs=()
  [[ $s == redis ]] && bin=/usr/bin/redis-server margs=(--repl-diskless-sync yes --repl-diskless-sync-delay 0)
  start "$s-m" "$bin" --save '' --appendonly no "${margs[@]}"; MP[$s]=$PORT MPID[$s]=$PID
  start "$s-r1" "$bin" --save '' --appendonly no; R1P[$s]=$PORT R1PID[$s]=$PID
  start "$s-r2" "$bin" --save '' --appendonly no; R2P[$s]=$PORT R2PID[$s]=$PID
  run_set "${MP[$s]}" "$TMP/warmup" "${MPID[$s]}"  # fills the keyspace: later runs overwrite
  : >"$TMP/$s-alone"; : >"$TMP/$s-with"; : >"$TMP/$s-catch"
done
for _ in $(seq "$ROUNDS"); do
  for s in redis ember; do
    run_set "${MP[$s]}" "$TMP/$s-alone" "${MPID[$s]}" "${R1PID[$s]}" "${R2PID[$s]}"
  done
done
for s in redis ember; do
  for p in "${R1P[$s]}" "${R2P[$s]}"; do redis-cli -p "$p" replicaof 127.0.0.1 "${MP[$s]}" >/dev/null; done
done
for s in redis ember; do
  t=$($PY "$TMP/repl.py" synced "${MP[$s]}" "$SYNC_TIMEOUT" "${R1P[$s]}" "${R2P[$s]}")
  [[ $t != FAIL ]] || { echo "$s: replicas not in sync after ${SYNC_TIMEOUT}s:" \
    "$(info "${R1P[$s]}" master_link_status) $(info "${R2P[$s]}" master_link_status)" >&2
    tail -15 "$(logdir "$s-r1" "${R1P[$s]}")/server.log" >&2; }
  echo "$s: 2 replicas in sync after ${t}s"
done
for _ in $(seq "$ROUNDS"); do
  for s in redis ember; do
    run_set "${MP[$s]}" "$TMP/$s-with" "${MPID[$s]}" "${R1PID[$s]}" "${R2PID[$s]}"
    $PY "$TMP/repl.py" synced "${MP[$s]}" "$SYNC_TIMEOUT" "${R1P[$s]}" "${R2P[$s]}" >>"$TMP/$s-catch"
  done
done
echo
row metric ember redis ember/redis
declare -A A W
for s in redis ember; do A[$s]=$(median "$TMP/$s-alone" 1) W[$s]=$(median "$TMP/$s-with" 1); done
row "SET req/s, master alone" "${A[ember]}" "${A[redis]}" "$(ratio "${A[ember]}" "${A[redis]}")"
row "SET req/s, 2 replicas attached" "${W[ember]}" "${W[redis]}" "$(ratio "${W[ember]}" "${W[redis]}")"
row "  with/alone (target >= 0.85)" "$(ratio "${W[ember]}" "${A[ember]}")" \
  "$(ratio "${W[redis]}" "${A[redis]}")" \
  "$(ratio "$(ratio "${W[ember]}" "${A[ember]}")" "$(ratio "${W[redis]}" "${A[redis]}")")"
for f in 2:"client CPU %" 3:"master CPU s per run" 4:"replicas' CPU s per run"; do
  i=${f%%:*} l=${f#*:}
  row "$l, alone" "$(median "$TMP/ember-alone" "$i")" "$(median "$TMP/redis-alone" "$i")" "-"
  row "$l, with replicas" "$(median "$TMP/ember-with" "$i")" "$(median "$TMP/redis-with" "$i")" "-"
done
CE=$(grep -v FAIL "$TMP/ember-catch" | sort -g | tail -1) CR=$(grep -v FAIL "$TMP/redis-catch" | sort -g | tail -1)
grep -q FAIL "$TMP/ember-catch" && CE=FAIL
grep -q FAIL "$TMP/redis-catch" && CR=FAIL
row "replicas reach the offset after a run, max (s)" "${CE:--}" "${CR:--}" "$(ratio "${CE:-x}" "${CR:-x}")"

# ------------------------------------------------------------------------------------------
# 3. Replica lag under the SET -P 16 load
# ------------------------------------------------------------------------------------------
lag_load() {  # lag_load PORT STOPFILE OUT: back-to-back SET -P 16 chunks until STOPFILE
  for _ in $(seq "$MAX_CHUNKS"); do
    [[ -e $2 ]] && break
    timeout 120 redis-benchmark -p "$1" -t set -P 16 -c 50 -r "$THR_KEYS" -d "$THR_VALUE" \
      -n "$THR_REQS" -q --csv 2>/dev/null | awk -F'"' '$2 == "SET" { print $4 }' >>"$3" || true
  done
}

echo
echo "== 3. Replica lag under redis-benchmark -t set -P 16 -c 50 on the master: $PROBES probes," \
  "both replicas polled"
declare -A LAG
for s in redis ember; do
  rm -f "$TMP/stop"; : >"$TMP/$s-lagload"
  lag_load "${MP[$s]}" "$TMP/stop" "$TMP/$s-lagload" &
  lp=$!
  BG+=("$lp")
  sleep 0.5
  LAG[$s]=$($PY "$TMP/repl.py" probe "${MP[$s]}" "$PROBES" "$LAG_TIMEOUT" "${R1P[$s]}" "${R2P[$s]}")
  touch "$TMP/stop"
  wait "$lp" 2>/dev/null || true
  BG=()
  echo "$s: $(tr '\n' ' ' <"$TMP/$s-lagload")req/s; after the load the replicas reach the offset in" \
    "$($PY "$TMP/repl.py" synced "${MP[$s]}" "$SYNC_TIMEOUT" "${R1P[$s]}" "${R2P[$s]}")s"
done
read -r EL50 EL99 ELMAX EN ETO ES50 ES99 <<<"${LAG[ember]}"
read -r RL50 RL99 RLMAX RN RTO RS50 RS99 <<<"${LAG[redis]}"
echo
row metric ember redis ember/redis
row "replica lag p50 (ms)" "$EL50" "$RL50" "$(ratio "$EL50" "$RL50")"
row "replica lag p99 (ms; target <= 100)" "$EL99" "$RL99" "$(ratio "$EL99" "$RL99")"
row "replica lag max (ms)" "$ELMAX" "$RLMAX" "$(ratio "$ELMAX" "$RLMAX")"
row "samples (2 per probe) / not seen in 5 s" "$EN/$ETO" "$RN/$RTO" "-"
row "probe SET round trip on the master p50 (ms)" "$ES50" "$RS50" "$(ratio "$ES50" "$RS50")"
row "probe SET round trip on the master p99 (ms)" "$ES99" "$RS99" "$(ratio "$ES99" "$RS99")"
