#!/usr/bin/env bash
# Builds and runs the local topology on 127.0.0.1: a master (deploy/ember.yaml, port 6379), two
# replicas (6380, 6381) and three sentinels (26379-26381, deploy/sentinel.yaml). Data and the
# sentinels' state files go to build/run/. Ctrl-C stops everything this script started.
# Extra arguments override keys of the three ember-servers.
#
# Each ember-server runs with its own copy of deploy/ember.yaml (RUN_DIR/PORT/ember.yaml, fresh
# on every run: the command line decides the roles), because the sentinels' CONFIG REWRITE
# writes into the file a server was started with. Each sentinel gets RUN_DIR/sentinel-PORT.yaml,
# copied once; later runs resume from what it learned.
#
# A process that exits (a crash, or a failover drill's kill -9) is reported and the others keep
# running. The launcher is the only one that starts processes, so Ctrl-C stops them all (and
# each gets SIGTERM from the kernel should the launcher die without stopping them):
#   RUN_DIR/launcher.pid   this script's PID
#   RUN_DIR/pids           one "server|sentinel PORT PID" line per process ("-": not running),
#                          rewritten (atomically) whenever a process exits or starts
#   RUN_DIR/restart-PORT   a request: an empty file whose process is not running is started
#                          again with exactly the command line it had (within 0.2 s); the file
#                          is removed either way. scripts/ember-drill --restart uses this to
#                          bring a killed master back.
#
# Environment (the test suite runs a second topology next to yours with these):
#   EMBER_PORTS="6379 6380 6381"               data nodes, the first is the master; each also
#                                              uses PORT+10000 (replication)
#   EMBER_SENTINEL_PORTS="26379 26380 26381"   sentinels; each also uses PORT+10000 (peers)
#   EMBER_RUN_DIR=build/run                    data, logs, state, pid file
#   EMBER_NO_BUILD=1                           do not run scripts/build.sh
#   EMBER_SERVER, EMBER_SENTINEL               the binaries (default build/server/ember-server,
#                                              build/sentinel/ember-sentinel)
#   EMBER_DOWN_AFTER_MS, EMBER_FAILOVER_TIMEOUT_MS   override down-after-milliseconds and
#                                              failover-timeout when a sentinel file is created
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)

read -r -a ports <<< "${EMBER_PORTS-6379 6380 6381}"
read -r -a sentinel_ports <<< "${EMBER_SENTINEL_PORTS-26379 26380 26381}"
run=$(realpath -m "${EMBER_RUN_DIR:-$root/build/run}")
server_bin=$(realpath -m "${EMBER_SERVER:-$root/build/server/ember-server}")
sentinel_bin=$(realpath -m "${EMBER_SENTINEL:-$root/build/sentinel/ember-sentinel}")
down_after=${EMBER_DOWN_AFTER_MS:-}
failover_timeout=${EMBER_FAILOVER_TIMEOUT_MS:-}
if [[ ${#ports[@]} -lt 1 || ${#sentinel_ports[@]} -lt 1 ]]; then
  echo "EMBER_PORTS and EMBER_SENTINEL_PORTS need at least one port each" >&2
  exit 2
fi
master=${ports[0]}
extra=("$@")
cd "$root"

if [[ ${EMBER_NO_BUILD:-0} != 1 ]]; then bash scripts/build.sh; fi
for b in "$server_bin" "$sentinel_bin"; do
  [[ -x $b ]] || { echo "$b not found: build first (bash scripts/build.sh)" >&2; exit 1; }
done
mkdir -p "$run"
for port in "${ports[@]}"; do
  mkdir -p "$run/$port"
  cp deploy/ember.yaml "$run/$port/ember.yaml"
done
for port in "${sentinel_ports[@]}"; do
  conf=$run/sentinel-$port.yaml
  if [[ ! -f $conf ]]; then  # first run; later runs resume from the learned state
    peers=""
    for p in "${sentinel_ports[@]}"; do
      if [[ $p != "$port" ]]; then peers+="\"127.0.0.1:$((p + 10000))\", "; fi
    done
    seds=(-e "s/^port: 26379/port: $port/" -e "s/^peers: .*/peers: [${peers%, }]/"
          -e "s/^\( \+port:\) 6379\$/\1 $master/")
    [[ -z $down_after ]] ||
      seds+=(-e "s/^\( *down-after-milliseconds:\) [0-9]*/\1 $down_after/")
    [[ -z $failover_timeout ]] ||
      seds+=(-e "s/^\( *failover-timeout:\) [0-9]*/\1 $failover_timeout/")
    sed "${seds[@]}" deploy/sentinel.yaml > "$conf"
  fi
done

declare -A kind_of pid_of   # port -> server|sentinel, port -> PID or "-"
order=()
# Each process gets SIGTERM if this script dies without running stop() (SIGKILL, a crash).
pdeath=()
if setpriv --pdeathsig TERM true 2>/dev/null; then pdeath=(setpriv --pdeathsig TERM --); fi

start() {  # start PORT: the same command line every time
  local port=$1
  if [[ ${kind_of[$port]} == server ]]; then
    local args=("$run/$port/ember.yaml" --port "$port" --dir "$run/$port"
                --logfile "$run/$port/ember.log")
    if [[ $port != "$master" ]]; then args+=(--replicaof "127.0.0.1 $master"); fi
    "${pdeath[@]}" "$server_bin" "${args[@]}" "${extra[@]}" &
  else
    "${pdeath[@]}" "$sentinel_bin" "$run/sentinel-$port.yaml" \
      --logfile "$run/sentinel-$port.log" &
  fi
  pid_of[$port]=$!
}

write_pids() {
  local port
  {
    echo "# kind port pid (- = not running); written by scripts/run.sh, PID $$"
    for port in "${order[@]}"; do echo "${kind_of[$port]} $port ${pid_of[$port]}"; done
  } > "$run/pids.tmp"
  mv -f "$run/pids.tmp" "$run/pids"
}

stop() {  # SIGTERM to every process (SIGCONT first: a stopped one would not act), SIGKILL after 10 s
  trap - INT TERM EXIT
  set +e  # stop everything whatever fails here
  rm -f "$run/pids" "$run/launcher.pid"
  local port p i live=() alive
  for port in "${order[@]}"; do
    if [[ ${pid_of[$port]} != - ]]; then live+=("${pid_of[$port]}"); fi
  done
  if [[ ${#live[@]} -gt 0 ]]; then
    kill -CONT "${live[@]}" 2>/dev/null
    kill -TERM "${live[@]}" 2>/dev/null
  fi
  for ((i = 0; i < 100 && ${#live[@]} > 0; i++)); do
    sleep 0.1
    alive=()
    for p in "${live[@]}"; do if kill -0 "$p" 2>/dev/null; then alive+=("$p"); fi; done
    live=("${alive[@]}")
  done
  if [[ ${#live[@]} -gt 0 ]]; then kill -KILL "${live[@]}" 2>/dev/null; fi
  wait 2>/dev/null
}

exec {tick}<> <(:)  # a pipe nobody writes: `read -t` on it is a sleep that signals interrupt
trap stop EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
echo $$ > "$run/launcher.pid"

for port in "${ports[@]}"; do kind_of[$port]=server; order+=("$port"); done
for port in "${sentinel_ports[@]}"; do kind_of[$port]=sentinel; order+=("$port"); done
for port in "${order[@]}"; do start "$port"; done
write_pids

for port in "${order[@]}"; do  # every port accepts within 20 s, or everything stops
  for ((i = 0; ; i++)); do
    if (exec 3<> "/dev/tcp/127.0.0.1/$port") 2>/dev/null; then break; fi
    if ! kill -0 "${pid_of[$port]}" 2>/dev/null || ((i >= 200)); then
      echo "${kind_of[$port]} on port $port did not start (logs in $run/)" >&2
      exit 1
    fi
    read -r -t 0.1 -u "$tick" || true
  done
done

cat <<MSG
Ember is running on 127.0.0.1 (logs in $run/):
  master $master, replicas ${ports[*]:1}    redis-cli -p $master set hello world
  sentinels ${sentinel_ports[*]}    redis-cli -p ${sentinel_ports[0]} sentinel get-master-addr-by-name mymaster
  failover drill: scripts/ember-drill --run-dir $run --fault kill9 --restart
Ctrl-C stops them all.
MSG

while true; do  # until Ctrl-C (or every process gone): reap exits, serve restart requests
  running=0
  for port in "${order[@]}"; do
    p=${pid_of[$port]}
    if [[ $p != - ]] && ! kill -0 "$p" 2>/dev/null; then
      status=0
      wait "$p" 2>/dev/null || status=$?
      pid_of[$port]=-
      write_pids
      echo "${kind_of[$port]} $port (pid $p) exited with status $status; the others keep" \
        "running (touch $run/restart-$port starts it again)" >&2
    fi
    if [[ -e $run/restart-$port ]]; then
      rm -f "$run/restart-$port"
      if [[ ${pid_of[$port]} == - ]]; then
        start "$port"
        write_pids
        echo "${kind_of[$port]} $port started again (pid ${pid_of[$port]})" >&2
      else
        echo "restart-$port: ${kind_of[$port]} $port still runs (pid $p); not restarted" >&2
      fi
    fi
    if [[ ${pid_of[$port]} != - ]]; then running=$((running + 1)); fi
  done
  if ((running == 0)); then
    echo "every process of the topology exited" >&2
    exit 1
  fi
  read -r -t 0.2 -u "$tick" || true
done
