#!/usr/bin/env python3
"""Sentinel, black box: 1 master + 2 replicas + 3 sentinels (sentinel_topology.py), quorum 2,
down-after-milliseconds 1000, failover-timeout 10000, through the sentinels' RESP API, their
Pub/Sub events and real Sentinel-aware clients. The same scenarios run on Redis 7.0
(--impl redis: redis-server + redis-sentinel, the reference they were validated against) and on
Ember (--impl ember: ember-server + ember-sentinel).

  shapes            SENTINEL MASTER / MASTERS / REPLICAS / SLAVES / SENTINELS: field names in
                    Redis 7.0's order, every value a bulk string (RESP2) and maps in RESP3; INFO
                    sentinel's lines; GET-MASTER-ADDR-BY-NAME (also for an unknown name),
                    CKQUORUM, MYID, ROLE, PING and the errors for an unknown master.
  kill9             kill -9 the master: every sentinel publishes exactly one +switch-master (none
                    more for 5 s after the first), all report the same new master (a former
                    replica) with the same config-epoch, the other replica follows it, redis-py's
                    Sentinel(...).master_for() writes before and after (the key written before
                    with WAIT 2 is there), the old master restarted empty on its port as a master
                    is turned into a replica of the new one and gets the data.
  sentinel_restart  a sentinel killed (-9) after that failover and restarted on its config file
                    reports the new master in its first reply, with its MYID and config-epoch,
                    and finds the replicas and the other sentinels again.
  alone             only one sentinel thinks the master is down: that sentinel alone gets
                    down-after-milliseconds 200 (SENTINEL SET), the master is stopped (SIGSTOP)
                    until that sentinel publishes +sdown (< 0.75 s, below the others' 1000 ms),
                    then resumed: no +odown, no +try-failover, no +switch-master anywhere in the
                    next 3 s, -sdown on that sentinel, same master.
  sigstop           SIGSTOP the master: failover; a SET sent to the stopped master (it sits in
                    the socket) is executed when it is resumed (SIGCONT); it is demoted to a
                    replica of the new master and that stale write is gone from every node.
  priority0         a replica with CONFIG SET replica-priority 0 (seen as slave-priority 0 by
                    every sentinel) is never promoted: the other one is, and it follows it.
  offset            the replica with the highest replication offset is promoted: the one that
                    would lose the run-id tie-break gets 48 MB of writes (WAIT 1) while the other
                    is stopped (SIGSTOP; down-after raised to 30 s on every sentinel meanwhile so
                    it is not SDOWN), every sentinel sees the offsets differ, the master is killed
                    (-9), the stopped replica resumed, down-after back to 1000.
  failover          SENTINEL FAILOVER under a redis-py writer (master_for, a SET every 5 ms): a
                    former replica becomes master, the writer goes on, the old master becomes its
                    replica. EMBER-ONLY: no acknowledged write is lost (Redis 7.0 loses the
                    writes its old master took between the promotion and its demotion; the count
                    is printed).
  clients           redis-py (master_for), ioredis 5 and node-redis 5 (createSentinel, through
                    node/sentinel_clients.mjs) discover the master, write, and write again after a
                    kill -9 failover; the key each wrote before (WAIT 2) reads back.
  reset             a new replica appears on every sentinel without restarts; a replica stopped
                    for good is forgotten after SENTINEL RESET (other sentinels rediscovered);
                    a 4th sentinel appears on the 3 others (num-other-sentinels 3), and once it is
                    stopped SENTINEL RESET forgets it.
  empty_master      EMBER-ONLY (skipped on Redis): the master killed (-9) and restarted empty at
                    once, before down-after: Ember's replicas refuse the empty dataset (the
                    empty-master protection) and the sentinels fail over to a replica that kept
                    the data; the rebooted node becomes its replica and the keys written before
                    (WAIT 2) read back through master_for. (Redis 7.0 does not fail over there and
                    its replicas copy the empty dataset.)

Between scenarios the topology must be whole again (every sentinel agrees on a master with 2
replicas and 2 other sentinels); when it is not within 30 s it is rebuilt and that is printed.

Usage:
  test_sentinel.py --impl redis
  test_sentinel.py --impl ember --server build/server/ember-server \\
      --sentinel build/sentinel/ember-sentinel [--only kill9,offset] [--node /usr/bin/node]
Prints PASS/FAIL/SKIP per scenario; exit status 1 if any failed.
"""

import argparse
import os
import re
import shutil
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

from harness import RespConnection, check, eq, parse_reply  # noqa: E402
from sentinel_topology import (DEFAULT_BINARIES, HOST, MasterWriter, NodeClients,  # noqa: E402
                               Topology, info, pairs, switch_master_target, value, wait_until)

try:
    import redis
except ImportError:  # pragma: no cover - Debian's python3 has python3-redis
    redis = None

NAME = "mymaster"
DOWN_AFTER_MS = 1000
FAILOVER_TIMEOUT_MS = 10000
SWITCH_TIMEOUT_S = 30.0      # kill -> +switch-master on every sentinel
REJOIN_TIMEOUT_S = 60.0      # an old master turned into a replica (Redis: ~10-15 s)
NODE_TIMEOUT_MS = 60000


class Skip(Exception):
    pass


# --------------------------------------------------------------------------------------------
# Reply shapes, as Redis 7.0.15's redis-sentinel returns them (recorded from it)
# --------------------------------------------------------------------------------------------

MASTER_FIELDS = [
    "name", "ip", "port", "runid", "flags", "link-pending-commands", "link-refcount",
    "last-ping-sent", "last-ok-ping-reply", "last-ping-reply", "down-after-milliseconds",
    "info-refresh", "role-reported", "role-reported-time", "config-epoch", "num-slaves",
    "num-other-sentinels", "quorum", "failover-timeout", "parallel-syncs"]
REPLICA_FIELDS = [
    "name", "ip", "port", "runid", "flags", "link-pending-commands", "link-refcount",
    "last-ping-sent", "last-ok-ping-reply", "last-ping-reply", "down-after-milliseconds",
    "info-refresh", "role-reported", "role-reported-time", "master-link-down-time",
    "master-link-status", "master-host", "master-port", "slave-priority", "slave-repl-offset",
    "replica-announced"]
SENTINEL_FIELDS = [
    "name", "ip", "port", "runid", "flags", "link-pending-commands", "link-refcount",
    "last-ping-sent", "last-ok-ping-reply", "last-ping-reply", "down-after-milliseconds",
    "last-hello-message", "voted-leader", "voted-leader-epoch"]
INFO_SENTINEL_FIELDS = [
    "sentinel_masters", "sentinel_tilt", "sentinel_tilt_since_seconds",
    "sentinel_running_scripts", "sentinel_scripts_queue_length",
    "sentinel_simulate_failure_flags", "master0"]
CKQUORUM_OK = b"+OK 3 usable Sentinels. Quorum and failover authorization can be reached\r\n"
NO_SUCH_MASTER = b"-ERR No such master with that name\r\n"
HEX40 = re.compile(r"^[0-9a-f]{40}$")
INT = re.compile(r"^-?[0-9]+$")
INT_FIELDS = {"port", "link-pending-commands", "link-refcount", "last-ping-sent",
              "last-ok-ping-reply", "last-ping-reply", "down-after-milliseconds", "info-refresh",
              "role-reported-time", "config-epoch", "num-slaves", "num-other-sentinels", "quorum",
              "failover-timeout", "parallel-syncs", "master-link-down-time", "master-port",
              "slave-priority", "slave-repl-offset", "replica-announced", "last-hello-message",
              "voted-leader-epoch"}


def instance_fields(tree, what):
    """The field names of one instance reply (RESP2: a flat array of bulk strings; RESP3: a map
    of bulk strings), checking each value is a bulk string; returns (names, dict)."""
    t, items = tree
    check(t in (b"*", b"%"), f"{what}: not an array or map but {t!r}")
    names, d = [], {}
    for k, v in zip(items[0::2], items[1::2]):
        check(k[0] == b"$", f"{what}: field name {k!r} is not a bulk string")
        check(v[0] == b"$", f"{what}: value of {k[1]!r} is {v!r}, not a bulk string")
        names.append(k[1].decode())
        d[k[1].decode()] = v[1].decode()
    return names, d


def check_instance(tree, fields, what, resp3=False):
    t = tree[0]
    eq(t, b"%" if resp3 else b"*", f"{what}: reply type")
    names, d = instance_fields(tree, what)
    eq(names, fields, f"{what}: field names in order")
    for k in fields:
        if k in INT_FIELDS:
            check(INT.match(d[k]), f"{what}: {k}={d[k]!r} is not an integer")
    check(HEX40.match(d["runid"]), f"{what}: runid {d['runid']!r}")
    return d


def scenario_shapes(ctx):
    topo = ctx.topo
    mport = topo.master_port()
    reps = sorted(n.port for n in topo.nodes if n.port != mport)
    s = topo.sentinels[0]
    others = sorted(x.port for x in topo.sentinels if x is not s)

    for resp3 in (False, True):
        with RespConnection(s.port) as c:
            if resp3:
                check(c.call("HELLO", "3").startswith(b"%"), "HELLO 3 answers a map")
            tag = "RESP3 " if resp3 else ""
            m = check_instance(parse_reply(c.call("SENTINEL", "MASTER", NAME)), MASTER_FIELDS,
                               f"{tag}SENTINEL MASTER", resp3)
            eq((m["name"], m["ip"], m["port"], m["flags"], m["num-slaves"],
                m["num-other-sentinels"], m["quorum"], m["down-after-milliseconds"],
                m["failover-timeout"], m["parallel-syncs"], m["role-reported"]),
               (NAME, HOST, str(mport), "master", "2", "2", "2", str(DOWN_AFTER_MS),
                str(FAILOVER_TIMEOUT_MS), "1", "master"), f"{tag}SENTINEL MASTER values")
            t, masters = parse_reply(c.call("SENTINEL", "MASTERS"))
            eq((t, len(masters)), (b"*", 1), f"{tag}SENTINEL MASTERS: an array of one")
            check_instance(masters[0], MASTER_FIELDS, f"{tag}SENTINEL MASTERS[0]", resp3)
            for sub in ("REPLICAS", "SLAVES"):
                t, items = parse_reply(c.call("SENTINEL", sub, NAME))
                eq(t, b"*", f"{tag}SENTINEL {sub}: reply type")
                got = []
                for i, it in enumerate(items):
                    r = check_instance(it, REPLICA_FIELDS, f"{tag}SENTINEL {sub}[{i}]", resp3)
                    eq((r["name"], r["ip"], r["flags"], r["role-reported"],
                        r["master-link-status"], r["master-host"], r["master-port"],
                        r["slave-priority"], r["replica-announced"]),
                       (f"{HOST}:{r['port']}", HOST, "slave", "slave", "ok", HOST, str(mport),
                        "100", "1"), f"{tag}SENTINEL {sub}[{i}] values")
                    got.append(int(r["port"]))
                eq(sorted(got), reps, f"{tag}SENTINEL {sub}: the replicas' ports")
            t, items = parse_reply(c.call("SENTINEL", "SENTINELS", NAME))
            eq(t, b"*", f"{tag}SENTINEL SENTINELS: reply type")
            got = []
            for i, it in enumerate(items):
                r = check_instance(it, SENTINEL_FIELDS, f"{tag}SENTINEL SENTINELS[{i}]", resp3)
                eq((r["name"], r["ip"], r["flags"]), (r["runid"], HOST, "sentinel"),
                   f"{tag}SENTINEL SENTINELS[{i}]: name is the runid, flags")
                check(r["voted-leader"] == "?" or HEX40.match(r["voted-leader"]),
                      f"voted-leader {r['voted-leader']!r}")
                got.append(int(r["port"]))
            eq(sorted(got), others, f"{tag}SENTINEL SENTINELS: the other sentinels' ports")

            eq(c.call("SENTINEL", "GET-MASTER-ADDR-BY-NAME", NAME),
               b"*2\r\n$9\r\n127.0.0.1\r\n$%d\r\n%d\r\n" % (len(str(mport)), mport),
               f"{tag}GET-MASTER-ADDR-BY-NAME")
            eq(c.call("SENTINEL", "GET-MASTER-ADDR-BY-NAME", "nosuch"),
               b"_\r\n" if resp3 else b"*-1\r\n", f"{tag}GET-MASTER-ADDR-BY-NAME nosuch")
            eq(c.call("SENTINEL", "CKQUORUM", NAME), CKQUORUM_OK, f"{tag}CKQUORUM")
            myid = c.call("SENTINEL", "MYID")
            check(re.match(rb"^\$40\r\n[0-9a-f]{40}\r\n$", myid), f"MYID {myid!r}")
            eq(c.call("ROLE"), b"*2\r\n$8\r\nsentinel\r\n*1\r\n$8\r\nmymaster\r\n", f"{tag}ROLE")
            eq(c.call("PING"), b"+PONG\r\n", f"{tag}PING")
            for sub in ("MASTER", "CKQUORUM", "REPLICAS", "SENTINELS", "FAILOVER"):
                eq(c.call("SENTINEL", sub, "nosuch"), NO_SUCH_MASTER, f"{tag}SENTINEL {sub} nosuch")
            eq(c.call("SENTINEL", "RESET", "nosuch"), b":0\r\n", f"{tag}SENTINEL RESET nosuch")

            t, text = parse_reply(c.call("INFO", "sentinel"))
            check(t in (b"$", b"="), f"INFO type {t!r}")
            lines = text.decode().split("\r\n")
            eq(lines[0], "# Sentinel", f"{tag}INFO sentinel header")
            fields = [ln.split(":", 1) for ln in lines[1:] if ln]
            eq([f[0] for f in fields], INFO_SENTINEL_FIELDS, f"{tag}INFO sentinel field names")
            d = dict(fields)
            eq((d["sentinel_masters"], d["sentinel_tilt"], d["sentinel_running_scripts"]),
               ("1", "0", "0"), f"{tag}INFO sentinel values")
            eq(d["master0"], f"name={NAME},status=ok,address={HOST}:{mport},slaves=2,sentinels=3",
               f"{tag}INFO sentinel master0")
            for k in INFO_SENTINEL_FIELDS[:-1]:
                check(INT.match(d[k]), f"{tag}INFO {k}={d[k]!r}")
    # The same id on every call, and a different one per sentinel.
    ids = [value(x.port, "SENTINEL", "MYID") for x in topo.sentinels]
    eq(len(set(ids)), 3, "three distinct MYIDs")
    eq(value(s.port, "SENTINEL", "MYID"), ids[0], "MYID stable")
    # Each sentinel is listed by the others under its MYID.
    for x in topo.sentinels:
        listed = {pairs(r)["runid"] for r in value(x.port, "SENTINEL", "SENTINELS", NAME)}
        eq(listed, set(ids) - {value(x.port, "SENTINEL", "MYID")}, f"{x.name} SENTINELS runids")


# --------------------------------------------------------------------------------------------
# Helpers of the failover scenarios
# --------------------------------------------------------------------------------------------

def roles(topo):
    """(master node, [replica nodes sorted by port]) as the sentinels report them."""
    m = topo.master_node()
    check(m is not None, "no master all sentinels agree on:\n" + topo.describe())
    return m, sorted((n for n in topo.nodes if n is not m), key=lambda n: n.port)


def wait_switch(topo, cs, since, timeout=SWITCH_TIMEOUT_S):
    """Waits for +switch-master on every collector; returns (new master port, first event's
    monotonic time). All must name the same new master."""
    deadline = time.monotonic() + timeout
    evs = []
    for c in cs:
        e = c.wait_for("+switch-master", max(0.0, deadline - time.monotonic()), since)
        check(e is not None, f"{c.label}: no +switch-master within {timeout}s of the failure; "
                             f"its events: {[x[1:] for x in c.snapshot(since)][:30]}\n"
                             + topo.describe())
        evs.append(e)
    targets = {switch_master_target(e[2]) for e in evs}
    eq(len(targets), 1, f"+switch-master targets {[e[2] for e in evs]}")
    return targets.pop(), min(e[0] for e in evs)


def write_via_sentinel(topo, key, val, timeout=20.0, wait_replicas=0):
    """SET through master_for, retried (bounded) until it is acknowledged (and, with
    wait_replicas, WAIT reached that many replicas). Returns the seconds it took."""
    t0 = time.monotonic()
    client = topo.master_client()
    last = None
    while time.monotonic() - t0 < timeout:
        try:
            p = client.pipeline(transaction=False)
            p.set(key, val)
            if wait_replicas:
                p.execute_command("WAIT", wait_replicas, 2000)
            res = p.execute()
            if res[0] and (not wait_replicas or int(res[1]) >= wait_replicas):
                return time.monotonic() - t0
            last = f"replies {res}"
        except (redis.RedisError, OSError) as e:
            last = f"{type(e).__name__}: {e}"
        time.sleep(0.05)  # retry interval of a bounded loop
    raise AssertionError(f"SET {key} through master_for not acknowledged in {timeout}s: {last}")


def read_via_sentinel(topo, key, timeout=20.0):
    t0 = time.monotonic()
    client = topo.master_client()
    last = None
    while time.monotonic() - t0 < timeout:
        try:
            return client.get(key)
        except (redis.RedisError, OSError) as e:
            last = f"{type(e).__name__}: {e}"
        time.sleep(0.05)  # retry interval of a bounded loop
    raise AssertionError(f"GET {key} through master_for failed for {timeout}s: {last}")


def get(port, key):
    return value(port, "GET", key)


def wait_synced(replica, master_port, timeout=30.0):
    """Bounded poll until the replica's link to master_port is up and its offset equals the
    master's."""
    def ok():
        i, m = info(replica.port), info(master_port)
        return (i.get("master_link_status") == "up" and i.get("master_port") == str(master_port)
                and m.get("master_repl_offset") is not None
                and i.get("slave_repl_offset") == m.get("master_repl_offset"))
    check(wait_until(ok, timeout, 0.02), f"{replica.name} not in sync with {master_port} after "
                                        f"{timeout}s: {info(replica.port)}")


def config_epochs(topo):
    return {topo.master_state(s).get("config-epoch") for s in topo.sentinels if s.alive()}


def note(msg):
    print(f"    {msg}", flush=True)


# --------------------------------------------------------------------------------------------
# Scenarios
# --------------------------------------------------------------------------------------------

def scenario_kill9(ctx):
    topo = ctx.topo
    old, reps = roles(topo)
    write_via_sentinel(topo, "kill9:before", "1", wait_replicas=2)
    with topo.events() as cs:
        t0 = time.monotonic()
        old.kill9()
        new_port, t_switch = wait_switch(topo, cs, t0)
        note(f"kill -9 -> first +switch-master {t_switch - t0:.2f}s")
        check(new_port in [r.port for r in reps], f"new master {new_port} is not a replica")
        new = topo.node_by_port(new_port)
        other = [r for r in reps if r is not new][0]
        topo.wait_master(new_port, 10)
        eq(len(config_epochs(topo)), 1, f"config-epoch the same everywhere: {config_epochs(topo)}")
        took = write_via_sentinel(topo, "kill9:after", "2")
        note(f"master_for write after the switch took {took:.2f}s")
        eq(read_via_sentinel(topo, "kill9:before"), b"1", "key written before the kill")
        topo.wait_replica_of(other, new_port, 30)
        wait_synced(other, new_port)
        eq(get(other.port, "kill9:after"), "2", "the other replica has the write made after")

        t_restart = time.monotonic()
        topo.restart_node(old)  # empty, as a master: the sentinels must turn it into a replica
        topo.wait_replica_of(old, new_port, REJOIN_TIMEOUT_S)
        note(f"old master restarted -> replica of the new one {time.monotonic() - t_restart:.2f}s")
        wait_synced(old, new_port)
        eq((get(old.port, "kill9:before"), get(old.port, "kill9:after")), ("1", "2"),
           "the old master got the data")
        # Exactly one failover: no second +switch-master on any sentinel within 5 s of its
        # first (the rejoin above usually took longer already).
        quiet_until = max(c.wait_for("+switch-master", 0, t0)[0] for c in cs) + 5.0
        for c in cs:
            extra = c.wait_count("+switch-master", 2, max(0.0, quiet_until - time.monotonic()),
                                 t0)
            check(not extra, f"{c.label}: a second +switch-master; its events since the kill: "
                             f"{[(round(x[0] - t0, 2),) + x[1:] for x in c.snapshot(t0)]}")
        topo.wait_healthy(30)
        eq(topo.master_port(), new_port, "the master stayed")


def scenario_sentinel_restart(ctx):
    topo = ctx.topo
    if topo.master_port() == topo.first_master_port:
        # Run alone: make a failover happen first, so the file has something to resume.
        with topo.events() as cs:
            t0 = time.monotonic()
            eq(topo.sentinel(topo.sentinels[0], "FAILOVER", NAME), "OK", "SENTINEL FAILOVER")
            wait_switch(topo, cs, t0)
        topo.wait_healthy(REJOIN_TIMEOUT_S)
    s = topo.sentinels[2]
    master = topo.master_addr(s)
    myid = topo.sentinel(s, "MYID")
    epoch = topo.master_state(s)["config-epoch"]
    check(master[1] != topo.first_master_port, "a failover happened before")
    s.kill9()
    topo.restart_sentinel(s)
    # The first replies, before it could hear from anyone: from its file.
    eq(topo.master_addr(s), master, "restarted sentinel's master (from its file)")
    eq(topo.sentinel(s, "MYID"), myid, "MYID kept")
    eq(topo.master_state(s).get("config-epoch"), epoch, "config-epoch kept")
    topo.wait_healthy(30)
    eq(topo.master_addr(s), master, "master after it heard from the others")


def scenario_alone(ctx):
    topo = ctx.topo
    m, _ = roles(topo)
    a = topo.sentinels[0]
    try:
        eq(topo.sentinel(a, "SET", NAME, "down-after-milliseconds", "200"), "OK", "SENTINEL SET")
        eq(topo.master_state(a).get("down-after-milliseconds"), "200", "down-after on A")
        for s in topo.sentinels[1:]:
            eq(topo.master_state(s).get("down-after-milliseconds"), str(DOWN_AFTER_MS),
               f"down-after on {s.name} (SENTINEL SET is local)")
        with topo.events() as cs:
            t0 = time.monotonic()
            m.pause()
            try:
                sdown = cs[0].wait_for("+sdown", 0.75, t0, lambda p: p.startswith("master "))
            finally:
                m.resume()
            stopped = time.monotonic() - t0
            check(sdown is not None, "the sentinel with down-after 200 did not publish +sdown "
                                     "within 0.75 s of SIGSTOP")
            check(stopped < 0.9, f"master stopped {stopped:.2f}s: too close to the others' "
                                 "down-after for the check to mean anything")
            note(f"+sdown on A after {sdown[0] - t0:.2f}s, master stopped {stopped:.2f}s")
            check(cs[0].wait_for("-sdown", 5, t0, lambda p: p.startswith("master ")),
                  "no -sdown on A after SIGCONT")
            quiet = t0 + 3.0
            for c in cs:
                for ch in ("+odown", "+try-failover", "+switch-master", "+new-epoch"):
                    e = c.wait_for(ch, max(0.0, quiet - time.monotonic()), t0)
                    check(e is None, f"{c.label}: {ch} {e} although only one sentinel saw the "
                                     "master down")
        eq(topo.master_port(), m.port, "master unchanged")
    finally:
        topo.sentinel(a, "SET", NAME, "down-after-milliseconds", str(DOWN_AFTER_MS))


def scenario_sigstop(ctx):
    topo = ctx.topo
    old, reps = roles(topo)
    write_via_sentinel(topo, "sigstop:before", "1", wait_replicas=2)
    stale = RespConnection(old.port, timeout=10)
    try:
        with topo.events() as cs:
            t0 = time.monotonic()
            old.pause()
            try:
                # Sits in the stopped master's socket; it runs it when resumed.
                stale.send_command("SET", "sigstop:stale", "x")
                new_port, t_switch = wait_switch(topo, cs, t0)
                note(f"SIGSTOP -> first +switch-master {t_switch - t0:.2f}s")
                check(new_port in [r.port for r in reps], f"new master {new_port}")
                new = topo.node_by_port(new_port)
                other = [r for r in reps if r is not new][0]
                write_via_sentinel(topo, "sigstop:after", "2")
                topo.wait_replica_of(other, new_port, 30)
            finally:
                old.resume()
            t_cont = time.monotonic()
            reply = stale.read_reply(timeout=10)
            note(f"the SET sent to the stopped master got {reply!r} once resumed")
            topo.wait_replica_of(old, new_port, REJOIN_TIMEOUT_S)
            note(f"SIGCONT -> demoted and linked {time.monotonic() - t_cont:.2f}s")
            wait_synced(old, new_port)
            for n in (old, new, other):
                eq(get(n.port, "sigstop:stale"), None, f"stale write on {n.name}")
                eq(get(n.port, "sigstop:after"), "2", f"write after the switch on {n.name}")
                eq(get(n.port, "sigstop:before"), "1", f"write before on {n.name}")
            eq(read_via_sentinel(topo, "sigstop:stale"), None, "stale write via master_for")
            for c in cs:
                eq(c.count("+switch-master", since=t0), 1, f"{c.label}: +switch-master events")
    finally:
        stale.close()
    topo.wait_healthy(30)


def wait_sentinels_see(topo, pred, timeout, what):
    """Bounded poll until pred(replicas_state) holds on every running sentinel."""
    ok = wait_until(lambda: all(pred({int(r["port"]): r for r in topo.replicas_state(s)})
                                for s in topo.sentinels if s.alive()), timeout, 0.1)
    check(ok, f"sentinels do not all see {what} after {timeout}s:\n" + topo.describe())


def restart_as_replica(topo, node, master_port):
    topo.restart_node(node, replicaof=master_port)
    topo.wait_replica_of(node, master_port, 30)


def scenario_priority0(ctx):
    topo = ctx.topo
    old, (a, b) = roles(topo)
    try:
        eq(value(a.port, "CONFIG", "SET", "replica-priority", "0"), "OK", "CONFIG SET")
        # Sentinels read it from INFO (Redis: every 10 s).
        wait_sentinels_see(topo, lambda rs: rs.get(a.port, {}).get("slave-priority") == "0"
                           and rs.get(b.port, {}).get("slave-priority") == "100", 15,
                           f"slave-priority 0 on {a.port}")
        with topo.events() as cs:
            t0 = time.monotonic()
            old.kill9()
            new_port, _ = wait_switch(topo, cs, t0)
            eq(new_port, b.port, f"promoted replica (not the one with priority 0, {a.port})")
            topo.wait_replica_of(a, b.port, 30)
        restart_as_replica(topo, old, b.port)
    finally:
        if a.alive():
            value(a.port, "CONFIG", "SET", "replica-priority", "100")


def scenario_offset(ctx):
    topo = ctx.topo
    old, reps = roles(topo)
    # ahead: the one a tie-break on the run id (lowest wins) would not pick.
    runids = {int(r["port"]): r["runid"] for r in topo.replicas_state(topo.sentinels[0])}
    ahead, behind = sorted(reps, key=lambda n: runids[n.port], reverse=True)
    wait_sentinels_see(topo, lambda rs: all(rs.get(n.port, {}).get("slave-priority") == "100"
                                            for n in reps), 15, "slave-priority 100 on both")
    value_mb = b"v" * (1 << 20)
    try:
        for s in topo.sentinels:
            topo.sentinel(s, "SET", NAME, "down-after-milliseconds", "30000")
        behind.pause()
        try:
            mc = redis.Redis(host=HOST, port=old.port, socket_timeout=30)
            for i in range(48):
                mc.set(f"offset:{i}", value_mb)
            eq(mc.execute_command("WAIT", 1, 10000), 1, "WAIT 1 with one replica stopped")
            moff = int(mc.info("replication")["master_repl_offset"])
            mc.close()
            # Every sentinel sees the replica ahead at the master's offset and the other below.
            wait_sentinels_see(
                topo, lambda rs: int(rs.get(ahead.port, {}).get("slave-repl-offset", -1)) >= moff
                and 0 <= int(rs.get(behind.port, {}).get("slave-repl-offset", -1)) < moff, 20,
                f"{ahead.port} at offset {moff} and {behind.port} below")
            with topo.events() as cs:
                t0 = time.monotonic()
                old.kill9()
                behind.resume()
                for s in topo.sentinels:
                    topo.sentinel(s, "SET", NAME, "down-after-milliseconds", str(DOWN_AFTER_MS))
                got = int(info(behind.port).get("slave_repl_offset", -1))
                note(f"replica behind resumed at offset {got}, the other at {moff}")
                check(got < moff, "the stopped replica caught up from its socket buffers: "
                                  "the test needs more data")
                new_port, _ = wait_switch(topo, cs, t0)
                eq(new_port, ahead.port, "promoted replica (the one with the highest offset)")
                topo.wait_replica_of(behind, ahead.port, 30)
                wait_synced(behind, ahead.port)
                eq(value(behind.port, "DBSIZE"), value(ahead.port, "DBSIZE"), "DBSIZE")
        finally:
            behind.resume()
        restart_as_replica(topo, old, ahead.port)
        value(ahead.port, "DEL", *[f"offset:{i}" for i in range(48)])
    finally:
        for s in topo.sentinels:
            if s.alive():
                topo.sentinel(s, "SET", NAME, "down-after-milliseconds", str(DOWN_AFTER_MS))


def scenario_failover(ctx):
    topo = ctx.topo
    old, reps = roles(topo)
    w = MasterWriter(topo, "failover", interval=0.005, limit_s=60).start()
    try:
        check(w.wait_acks(50, 10), f"writer not writing: {w.last_error}")
        with topo.events() as cs:
            t0 = time.monotonic()
            eq(topo.sentinel(topo.sentinels[0], "FAILOVER", NAME), "OK", "SENTINEL FAILOVER")
            new_port, t_switch = wait_switch(topo, cs, t0)
            check(new_port in [r.port for r in reps], f"new master {new_port}")
            note(f"SENTINEL FAILOVER -> first +switch-master {t_switch - t0:.2f}s")
            check(w.wait_acks(100, 20, since=t_switch), f"writer stuck after the switch: "
                                                         f"{w.last_error}")
            t_rejoin = time.monotonic()
            topo.wait_replica_of(old, new_port, REJOIN_TIMEOUT_S)
            note(f"old master a replica of the new one {time.monotonic() - t_rejoin:.2f}s after "
                 "the writer's 100 writes on the new master")
    finally:
        w.stop()
    for r in reps:
        if r.port != new_port:
            topo.wait_replica_of(r, new_port, 30)
    wait_synced(old, new_port)
    lost = w.lost(new_port)
    note(f"writer: {len(w.acks())} acknowledged, {w.errors} errors, {len(lost)} acknowledged "
         f"writes missing on the new master {lost[:10]}")
    ctx.ember_only(not lost, f"{len(lost)} acknowledged writes lost in SENTINEL FAILOVER")
    topo.wait_healthy(30)


def node_binary(ctx):
    return ctx.args.node or shutil.which("node") or shutil.which("nodejs")


def scenario_clients(ctx):
    topo = ctx.topo
    node = node_binary(ctx)
    if not node:
        raise AssertionError("node not found (apt-get install nodejs; --node BIN)")
    if not os.path.isdir(os.path.join(HERE, "node", "node_modules", "redis5")):
        raise AssertionError("tests/integration/node/node_modules lacks redis5: "
                             "bash scripts/deps.sh --node")
    old, reps = roles(topo)
    clients = NodeClients(node, topo, NAME, "clients", NODE_TIMEOUT_MS).start()
    w = MasterWriter(topo, "clients:redis-py", interval=0.01, limit_s=60)
    try:
        write_via_sentinel(topo, "clients:redis-py:before", "1", wait_replicas=2)
        w.start()
        check(clients.wait_ready(30),
              "node clients not ready in 30 s:\n" + "\n".join(clients.lines))
        check(w.wait_acks(5, 10), f"redis-py writer not writing: {w.last_error}")
        with topo.events() as cs:
            t_wall, t0 = time.time(), time.monotonic()
            old.kill9()
            clients.kill(t_wall)
            new_port, t_switch = wait_switch(topo, cs, t0)
            check(new_port in [r.port for r in reps], f"new master {new_port}")
            check(wait_until(lambda: w.first_ack_after(t0), 30, 0.02), "redis-py: no write "
                  f"acknowledged within 30 s of the kill: {w.last_error}")
            note(f"+switch-master {t_switch - t0:.2f}s, redis-py first write "
                 f"{w.first_ack_after(t0) - t0:.2f}s")
        if not clients.finish(NODE_TIMEOUT_MS / 1000 + 15):
            raise AssertionError("node script did not exit:\n" + "\n".join(clients.lines))
        for line in clients.lines:
            if line.startswith('{"client"'):
                note(line)
        eq(clients.proc.returncode, 0, "node sentinel_clients.mjs exit status; output:\n"
           + "\n".join(clients.lines))
        eq(read_via_sentinel(topo, "clients:redis-py:before"), b"1", "redis-py key from before")
    finally:
        w.stop()
        clients.stop()  # the node process this test started, by its PID
    restart_as_replica(topo, old, new_port)


def scenario_reset(ctx):
    topo = ctx.topo
    m, (a, b) = roles(topo)
    t = time.monotonic()
    lap = lambda: f"{time.monotonic() - t:.1f}s"  # noqa: E731
    newr = topo.add_node(replicaof=m.port)
    wait_sentinels_see(topo, lambda rs: set(rs) == {a.port, b.port, newr.port}, 20,
                       f"the new replica {newr.port}")
    note(f"new replica listed by every sentinel: {lap()}")
    topo.remove_node(b)
    wait_sentinels_see(topo, lambda rs: "s_down" in rs.get(b.port, {}).get("flags", ""), 10,
                       f"the stopped replica {b.port} s_down")
    for s in topo.sentinels:
        eq(topo.sentinel(s, "RESET", NAME), 1, f"SENTINEL RESET on {s.name}")
    wait_sentinels_see(topo, lambda rs: set(rs) == {a.port, newr.port}
                       and all(r["flags"] == "slave" for r in rs.values()), 20,
                       f"only {a.port} and {newr.port} after RESET")
    topo.wait_healthy(20)
    note(f"stopped replica forgotten, sentinels found again after RESET: {lap()}")

    s4 = topo.add_sentinel()
    check(wait_until(lambda: all(topo.master_state(s).get("num-other-sentinels") == "3"
                                 for s in topo.sentinels), 20, 0.1),
          "the 4th sentinel is not known everywhere:\n" + topo.describe())
    note(f"a 4th sentinel known everywhere: {lap()}")
    topo.remove_sentinel(s4)
    for s in topo.sentinels:
        eq(topo.sentinel(s, "RESET", NAME), 1, f"SENTINEL RESET on {s.name}")
    topo.wait_healthy(20)
    for s in topo.sentinels:
        ports = {int(pairs(r)["port"]) for r in topo.sentinel(s, "SENTINELS", NAME)}
        check(s4.port not in ports, f"{s.name} still lists the stopped sentinel")
    note(f"4th sentinel forgotten after RESET: {lap()}")


def scenario_empty_master(ctx):
    # EMBER-ONLY. Redis 7.0: the sentinels see the reboot (+reboot) but no SDOWN, so no
    # failover, and the replicas copy the empty dataset.
    if ctx.impl != "ember":
        raise Skip("Ember-only rule (Redis 7.0 keeps the rebooted empty master)")
    topo = ctx.topo
    old, reps = roles(topo)
    for i in range(100):
        value(old.port, "SET", f"empty:{i}", str(i))
    write_via_sentinel(topo, "empty:last", "x", wait_replicas=2)
    keys = value(reps[0].port, "DBSIZE")  # earlier scenarios left keys too
    with topo.events() as cs:
        t0 = time.monotonic()
        old.kill9()
        topo.restart_node(old)  # empty, as a master, long before down-after-milliseconds
        note(f"restarted empty {time.monotonic() - t0:.2f}s after the kill")
        new_port, _ = wait_switch(topo, cs, t0)
        check(new_port in [r.port for r in reps], f"new master {new_port}: a replica with data")
        topo.wait_replica_of(old, new_port, REJOIN_TIMEOUT_S)
    eq(read_via_sentinel(topo, "empty:last"), b"x", "the data survived")
    eq(value(new_port, "DBSIZE"), keys, "DBSIZE of the new master")
    wait_synced(old, new_port)
    eq(value(old.port, "DBSIZE"), keys, "the rebooted node got the data")


SCENARIOS = [
    ("shapes", scenario_shapes),
    ("kill9", scenario_kill9),
    ("sentinel_restart", scenario_sentinel_restart),
    ("alone", scenario_alone),
    ("sigstop", scenario_sigstop),
    ("priority0", scenario_priority0),
    ("offset", scenario_offset),
    ("failover", scenario_failover),
    ("clients", scenario_clients),
    ("reset", scenario_reset),
    ("empty_master", scenario_empty_master),
]


# --------------------------------------------------------------------------------------------

class Ctx:
    def __init__(self, args):
        self.args = args
        self.impl = args.impl
        self.topo = None
        self.rebuilt = 0

    def new_topology(self):
        if self.topo is not None:
            self.topo.stop()
            self.topo = None
        self.topo = Topology(self.impl, self.args.server, self.args.sentinel, name=NAME,
                             quorum=2, down_after_ms=DOWN_AFTER_MS,
                             failover_timeout_ms=FAILOVER_TIMEOUT_MS).start()
        self.topo.wait_healthy(30, replicas=2, others=2)

    def ensure(self):
        """The topology whole (a master, 2 replicas, 3 sentinels agreeing), else a new one."""
        if self.topo is not None:
            ok = (len(self.topo.nodes) == 3 and len(self.topo.sentinels) == 3
                  and all(p.alive() for p in self.topo.nodes + self.topo.sentinels))
            if ok:
                try:
                    self.topo.wait_healthy(30, replicas=2, others=2)
                    return
                except AssertionError as e:
                    print(f"    topology not whole: {e}", flush=True)
            print("    rebuilding the topology", flush=True)
            self.rebuilt += 1
        self.new_topology()

    def ember_only(self, cond, msg):
        """A check Ember must meet and Redis 7.0 does not: asserted with --impl ember only."""
        if self.impl == "ember":
            check(cond, msg)
        elif not cond:
            note(f"(Ember-only check, not asserted on Redis) {msg}")


def main():
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--impl", choices=["redis", "ember"], required=True)
    ap.add_argument("--server", help="data node binary (redis: /usr/bin/redis-server)")
    ap.add_argument("--sentinel", help="sentinel binary (redis: /usr/bin/redis-sentinel)")
    ap.add_argument("--node", help="node binary for the Node.js clients (default: on PATH)")
    ap.add_argument("--only", help="comma-separated scenario names")
    args = ap.parse_args()
    args.server = args.server or DEFAULT_BINARIES[args.impl][0]
    args.sentinel = args.sentinel or DEFAULT_BINARIES[args.impl][1]
    if redis is None:
        print("test_sentinel: FAILED: redis-py missing (use /usr/bin/python3; "
              "apt-get install python3-redis)")
        return 1
    names = [n for n, _ in SCENARIOS]
    only = args.only.split(",") if args.only else names
    unknown = set(only) - set(names)
    if unknown:
        ap.error(f"unknown scenarios {sorted(unknown)}; known: {','.join(names)}")

    ctx = Ctx(args)
    results = []
    started = time.monotonic()
    try:
        for name, fn in SCENARIOS:
            if name not in only:
                continue
            t = time.monotonic()
            try:
                ctx.ensure()
                fn(ctx)
                results.append((name, "PASS"))
                print(f"PASS {name} ({time.monotonic() - t:.1f}s)", flush=True)
            except Skip as e:
                results.append((name, "SKIP"))
                print(f"SKIP {name}: {e}", flush=True)
            except Exception as e:  # noqa: BLE001 - report and go on with the next scenario
                results.append((name, "FAIL"))
                print(f"FAIL {name} ({time.monotonic() - t:.1f}s): {type(e).__name__}: {e}",
                      flush=True)
                if ctx.topo is not None:
                    if "  " + ctx.topo.sentinels[0].name not in str(e):
                        print(ctx.topo.describe(), flush=True)
                    if os.environ.get("EMBER_IT_VERBOSE") == "1":
                        print(ctx.topo.logs(), flush=True)
                ctx.topo and ctx.topo.stop()
                ctx.topo = None
    finally:
        if ctx.topo is not None:
            ctx.topo.stop()
    passed = sum(1 for _, r in results if r == "PASS")
    failed = sum(1 for _, r in results if r == "FAIL")
    skipped = sum(1 for _, r in results if r == "SKIP")
    print(f"test_sentinel ({args.impl}, {time.monotonic() - started:.0f}s): "
          f"{passed} passed, {failed} failed, {skipped} skipped")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
