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
