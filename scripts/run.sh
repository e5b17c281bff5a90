#!/usr/bin/env bash
# Builds and runs the local topology on 127.0.0.1: a master (deploy/ember.yaml, port 6379), two
# replicas (6380, 6381) and three sentinels (26379-26381, deploy/sentinel.yaml). Data and the
# sentinels' state files go to build/run/. Ctrl-C stops everything this script started.
# Extra arguments override keys of the three ember-servers.
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/build.sh
run=$PWD/build/run
mkdir -p "$run"/{6379,6380,6381}
pids=()
stop() {
  trap - INT TERM EXIT
  [[ ${#pids[@]} -gt 0 ]] && kill "${pids[@]}" 2>/dev/null
  wait 2>/dev/null || true
}
trap stop INT TERM EXIT

for port in 6379 6380 6381; do
  args=(deploy/ember.yaml --port "$port" --dir "$run/$port" --logfile "$run/$port/ember.log")
  if [[ $port != 6379 ]]; then args+=(--replicaof "127.0.0.1 6379"); fi
  build/server/ember-server "${args[@]}" "$@" &
  pids+=($!)
done
for port in 26379 26380 26381; do
  conf=$run/sentinel-$port.yaml
  if [[ ! -f $conf ]]; then  # first run; later runs resume from the learned state
    peers=""
    for p in 36379 36380 36381; do
      if [[ $p != $((port + 10000)) ]]; then peers+="\"127.0.0.1:$p\", "; fi
    done
    sed -e "s/^port: 26379/port: $port/" -e "s/^peers: .*/peers: [${peers%, }]/" \
      deploy/sentinel.yaml > "$conf"
  fi
  build/sentinel/ember-sentinel "$conf" --logfile "$run/sentinel-$port.log" &
  pids+=($!)
done

cat <<MSG
Ember is running on 127.0.0.1 (logs in build/run/):
  master 6379, replicas 6380 6381    redis-cli -p 6379 set hello world
  sentinels 26379 26380 26381        redis-cli -p 26379 sentinel get-master-addr-by-name mymaster
Ctrl-C stops them all.
MSG
wait -n "${pids[@]}" || true
echo "a process of the topology exited; stopping the others" >&2
