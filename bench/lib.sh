# Shared by the bench/ scripts: our own server processes on free loopback ports, killed by PID.
# Source it after setting TMP (a private temp dir). STOP_WAIT: seconds stop() waits before
# SIGKILL (default 10).
PIDS=()

# Kills one of our processes and waits (bounded) for it to go; SIGKILL after STOP_WAIT s.
stop() {
  kill "$1" 2>/dev/null || return 0
  for _ in $(seq $((${STOP_WAIT:-10} * 10))); do kill -0 "$1" 2>/dev/null || break; sleep 0.1; done
  kill -9 "$1" 2>/dev/null || true
  wait "$1" 2>/dev/null || true
}
stop_all() {
  local pid
  for pid in "${PIDS[@]}"; do stop "$pid"; done
  PIDS=()
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
# or AOF is loaded), sets PORT and PID, waits for PONG (10 s).
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

# fill PORT KEYS VALUE TIMEOUT: KEYS keys key:%012d (as redis-benchmark -r names them) of VALUE
# random bytes each (512 values in rotation, so LZF cannot shrink them) through redis-cli
# --pipe, bounded by TIMEOUT seconds; exits if DBSIZE is not KEYS afterwards.
fill() {
  /usr/bin/python3 - "$2" "$3" <<'PY' | timeout "$4" redis-cli -p "$1" --pipe >"$TMP/pipe.log" 2>&1
import random, sys
keys, size = int(sys.argv[1]), int(sys.argv[2])
alphabet = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
rng = random.Random(4)
pool = [bytes(rng.choice(alphabet) for _ in range(size)) for _ in range(512)]
head = b"*3\r\n$3\r\nSET\r\n$16\r\n"
mid = b"\r\n$%d\r\n" % size
out = sys.stdout.buffer
batch = []
for i in range(keys):
    batch.append(head + b"key:%012d" % i + mid + pool[i % 512] + b"\r\n")
    if len(batch) == 4096:
        out.write(b"".join(batch)); batch = []
out.write(b"".join(batch))
PY
  [[ $(redis-cli -p "$1" dbsize) == "$2" ]] || { echo "fill failed:" >&2; cat "$TMP/pipe.log" >&2; exit 1; }
}
