#!/bin/sh
# Entrypoint of the Ember image: `server` or `sentinel`, then extra `--key value` arguments.
#
# Each node keeps its own config file in its data volume and runs from it, seeded on the first
# start from the image's template (/etc/ember/) and these variables:
#   server:   EMBER_REPLICAOF="host port" (a replica), EMBER_ANNOUNCE_IP (its address as the
#             sentinels and clients should reach it)
#   sentinel: EMBER_ANNOUNCE_IP, EMBER_PEERS (the other sentinels' host:peer-port, comma separated),
#             EMBER_MASTER_HOST / EMBER_MASTER_PORT (the master to monitor at first)
# The file is the node's state from then on: the sentinels rewrite a data node's role into it
# (CONFIG REWRITE after REPLICAOF) and a sentinel writes what it learned into its own. So a
# restarted container comes back as what it was last told to be, not as its first role.
set -eu
role=${1:-server}
[ $# -gt 0 ] && shift
case $role in
  server)
    conf=/var/lib/ember/ember.yaml
    if [ ! -f "$conf" ]; then
      cp /etc/ember/ember.yaml "$conf"
      [ -n "${EMBER_REPLICAOF:-}" ] && printf 'replicaof: "%s"\n' "$EMBER_REPLICAOF" >> "$conf"
      [ -n "${EMBER_ANNOUNCE_IP:-}" ] && printf 'replica-announce-ip: %s\n' "$EMBER_ANNOUNCE_IP" >> "$conf"
    fi
    exec ember-server "$conf" "$@"
    ;;
  sentinel)
    conf=/var/lib/ember-sentinel/sentinel.yaml
    if [ ! -f "$conf" ]; then
      peers=$(printf '%s' "${EMBER_PEERS:-}" | sed 's/[^,][^,]*/"&"/g; s/,/, /g')
      sed -e "s/^announce-ip: .*/announce-ip: \"${EMBER_ANNOUNCE_IP:-}\"/" \
          -e "s/^peers: .*/peers: [$peers]/" \
          -e "s/^    host: .*/    host: ${EMBER_MASTER_HOST:-master}/" \
          -e "s/^    port: .*/    port: ${EMBER_MASTER_PORT:-6379}/" \
          /etc/ember/sentinel.yaml > "$conf"
    fi
    exec ember-sentinel "$conf" "$@"
    ;;
  *)
    exec "$role" "$@"
    ;;
esac
