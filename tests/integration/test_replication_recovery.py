#!/usr/bin/env python3
"""Replication under failures and its guarantees (server/repl/replication.h), real processes.

  1. A seeded random write load of every type (strings, lists, hashes, sets, sorted sets,
     streams; TTLs set, changed and removed; deletes; 4 dbs) on a master with two replicas;
     meanwhile replica 1 (save rules, so SIGTERM writes its RDB) and replica 2 (appendonly yes)
     are stopped and restarted: each continues partially from its own file (the master's
     sync_partial_ok grows by 2, sync_full does not). Then all three compare equal key by key
     with their expiry times.
  2. A master with appendonly yes restarted (SIGTERM, same port) keeps its replicas partial: its
     sync_partial_ok is 2 and sync_full 0 after the restart, and the writes made after it reach
     both replicas.
  3. Backlog overflow: repl-backlog-size 16kb; a replica stopped while more than that is
     written resyncs fully (sync_partial_err and sync_full grow) and ends up equal.
  4. WAIT and min-replicas-to-write: WAIT 2 answers 2 with both replicas up; with one stopped
     (SIGSTOP) WAIT 2 300 answers 1 after its timeout and WAIT 1 0 answers 1; WAIT inside MULTI
     answers at once; Redis's errors for a negative timeout and on a replica.
     min-replicas-to-write 2 / max-lag 1: writes fail with -NOREPLICAS once the stopped replica
     lags, reads still work, INFO shows min_slaves_good_slaves:1; SIGCONT: writes work again.
  5. replica-announce-ip/port show in the master's INFO and ROLE. A hung master (SIGSTOP) with
     repl-ping-replica-period 1: the replica (repl-timeout 2) gives the link up; the stale data
     is served by default, and with replica-serve-stale-data no GET and PING get Redis's
     -MASTERDOWN while INFO works; after SIGCONT the link comes back partially.
  6. client-output-buffer-limit replica: a stopped replica (SIGSTOP) is cut off once it lags by
     more than the hard limit while the master keeps writing (connected_slaves drops to 0, the
     master's log says why); after SIGCONT it syncs again and is equal.
  7. A replica killed (SIGKILL) in the middle of a full sync leaves the master healthy: it
     answers, accepts writes, drops the replica, runs a BGSAVE, and the next replica syncs.

Usage: test_replication_recovery.py EMBER_SERVER [--only 1,2,...]
Exit status 0 on success, 1 on failure.
"""

import argparse
import os
import random
import shutil
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from harness import check, eq, wait_for

try:
    import redis
    from test_replication import (ALL_NODES, HOST, Node, listing, no_failed_commands,
                                  replicaof_args, stat, summarize, wait_info, wait_synced)
except ImportError:  # pragma: no cover - Debian's python3 has python3-redis
    redis = None

NOREPLICAS = b"-NOREPLICAS Not enough good replicas to write.\r\n"
MASTERDOWN = b"-MASTERDOWN Link with MASTER is down and replica-serve-stale-data is set to 'no'.\r\n"


# --------------------------------------------------------------------------------------------
# A seeded random load of every type
# --------------------------------------------------------------------------------------------

def random_ops(rng, n):
    """n commands, as argument lists, touching 4 dbs and every type."""
    ops = []
    db = 0
    for i in range(n):
        if rng.random() < 0.02:
            db = rng.randrange(4)
            ops.append(["SELECT", str(db)])
        k = rng.randrange(300)
        v = f"v{i}-" + "x" * rng.randrange(0, 60)
        kind = rng.randrange(14)
        if kind == 0:
            ops.append(["SET", f"s:{k}", v])
        elif kind == 1:
            ops.append(["SET", f"s:{k}", v, "PX", str(rng.randrange(50, 200000))])
        elif kind == 2:
            ops.append(["INCRBY", f"n:{k}", str(rng.randrange(-5, 100))])
        elif kind == 3:
            ops.append(["RPUSH" if rng.random() < 0.6 else "LPUSH", f"l:{k % 40}", v])
        elif kind == 4:
            ops.append([rng.choice(["LPOP", "RPOP"]), f"l:{k % 40}"])
        elif kind == 5:
            ops.append(["HSET", f"h:{k % 50}", f"f{rng.randrange(200)}", v])
        elif kind == 6:
            ops.append(["SADD", f"set:{k % 50}", str(rng.randrange(1000))])
        elif kind == 7:
            ops.append(["SREM", f"set:{k % 50}", str(rng.randrange(1000))])
        elif kind == 8:
            ops.append(["ZADD", f"z:{k % 50}", str(rng.randrange(10000) / 7), f"m{rng.randrange(300)}"])
        elif kind == 9:
            ops.append(["ZINCRBY", f"z:{k % 50}", "1.5", f"m{rng.randrange(300)}"])
        elif kind == 10:
            ops.append(["XADD", f"x:{k % 10}", "MAXLEN", "~", "100", "*", "f", v])
        elif kind == 11:
            target = rng.choice(["s", "l", "h", "set", "z", "n"])
            ops.append(["PEXPIRE", f"{target}:{k % 40}", str(rng.randrange(100, 300000))])
        elif kind == 12:
            ops.append(["PERSIST", f"s:{k}"])
        else:
            ops.append(["DEL", f"s:{k}", f"h:{k % 50}"])
    return ops


def run_ops(node, ops, batch=200):
    """Sends ops on one connection (SELECTs included), pipelined; replies ignored except for
    -ERR from the server on commands that must not fail."""
    c = node.client()
    for b in range(0, len(ops), batch):
        p = c.pipeline(transaction=False)
        for op in ops[b:b + batch]:
            p.execute_command(*op)
        for op, reply in zip(ops[b:b + batch], p.execute(raise_on_error=False)):
            if isinstance(reply, Exception) and op[0] not in ("INCRBY",):
                raise AssertionError(f"{op}: {reply}")
    c.close()


def write_then_compare(m, replicas, ops):
    """Runs `ops` on the master, waits for the replicas, compares every key, checks that no
    command failed on a replica, stops the three nodes. Returns the number of keys."""
    run_ops(m, ops)
    wait_synced(m, *replicas)
    n = compare(m, *replicas)
    no_failed_commands(*replicas)
    for node in (*replicas, m):
        node.stop()
    return n


def compare(master, *replicas, dbs=range(16)):
    expected = listing(master)
    check(len(expected) > 0, f"{master.name} has keys")
    for rep in replicas:
        got = listing(rep)
        if got != expected:
            missing = sorted(set(expected) - set(got))[:3]
            extra = sorted(set(got) - set(expected))[:3]
            raise AssertionError(f"{rep.name} differs from {master.name} ({len(got)} vs "
                                 f"{len(expected)} keys); missing {missing}; extra {extra}")
    return len(expected)


# --------------------------------------------------------------------------------------------
# The scenarios
# --------------------------------------------------------------------------------------------

def s1_restart_replicas_partial(args, work):
    rng = random.Random(20261125)
    m = Node(args.ember, work, "m1").start()
    r1 = Node(args.ember, work, "r1-rdb", replicaof_args(m) + ["--save", "3600 1"]).start()
    r2 = Node(args.ember, work, "r2-aof", replicaof_args(m) + ["--appendonly", "yes"]).start()
    run_ops(m, random_ops(rng, 3000))
    wait_synced(m, r1, r2)
    eq((stat(m, "sync_full"), stat(m, "sync_partial_ok")), (2, 0), "first syncs are full")
    for rep in (r1, r2):
        rep.stop()  # SIGTERM: an RDB (save rules) / the AOF with its position
        run_ops(m, random_ops(rng, 1500))
        rep.start()
        wait_synced(m, r1, r2)
    eq(stat(m, "sync_full"), 2, "master sync_full after both restarts")
    eq(stat(m, "sync_partial_ok"), 2, "master sync_partial_ok after both restarts")
    check("continue from there" in r1.log() and "continue from there" in r2.log(),
          "the replicas loaded their position")
    n = write_then_compare(m, (r1, r2), random_ops(rng, 1500))
    print(f"  replicas restarted from their RDB and their AOF continued partially; {n} keys of "
          f"every type equal with their expiry times after 6000 random writes")


def s2_master_restart_from_aof(args, work):
    rng = random.Random(7)
    m = Node(args.ember, work, "m2", ["--appendonly", "yes"]).start()
    r1 = Node(args.ember, work, "m2-r1", replicaof_args(m)).start()
    r2 = Node(args.ember, work, "m2-r2", replicaof_args(m)).start()
    run_ops(m, random_ops(rng, 2000))
    off = wait_synced(m, r1, r2)
    replid = m.info()["master_replid"]
    m.stop()
    m.start()
    info = m.info()
    eq(info["master_replid2"], replid, "the restarted master's secondary id")
    eq(int(info["second_repl_offset"]), off + 1, "second_repl_offset (Redis counts from 1)")
    wait_synced(m, r1, r2)
    eq((stat(m, "sync_full"), stat(m, "sync_partial_ok")), (0, 2),
       "restarted master: (sync_full, sync_partial_ok)")
    n = write_then_compare(m, (r1, r2), random_ops(rng, 1000))
    print(f"  master restarted from its AOF: both replicas continued (sync_partial_ok 2, "
          f"sync_full 0); {n} keys equal")


def s3_backlog_overflow(args, work):
    m = Node(args.ember, work, "m3", ["--repl-backlog-size", "16kb"]).start()
    rep = Node(args.ember, work, "m3-r", replicaof_args(m) + ["--save", "3600 1"]).start()
    m.r.set("k", "v")
    wait_synced(m, rep)
    rep.stop()
    p = m.r.pipeline(transaction=False)
    for i in range(200):
        p.set(f"big:{i}", "y" * 200)  # 40 KB of stream: more than the backlog
    p.execute()
    eq(m.info()["repl_backlog_histlen"], str(16 * 1024), "the backlog holds its size")
    err0, full0 = stat(m, "sync_partial_err"), stat(m, "sync_full")
    rep.start()
    wait_synced(m, rep)
    eq((stat(m, "sync_partial_err"), stat(m, "sync_full")), (err0 + 1, full0 + 1),
       "(sync_partial_err, sync_full) after the overflow")
    n = compare(m, rep)
    for node in (rep, m):
        node.stop()
    print(f"  backlog overflow: the replica resynced fully; {n} keys equal")


def s4_wait_and_min_replicas(args, work):
    m = Node(args.ember, work, "m4").start()
    r1 = Node(args.ember, work, "m4-r1", replicaof_args(m)).start()
    r2 = Node(args.ember, work, "m4-r2", replicaof_args(m)).start()
    wait_synced(m, r1, r2)
    with m.raw() as c:
        eq(c.call("SET", "w", "1"), b"+OK\r\n", "SET")
        eq(c.call("WAIT", "2", "5000"), b":2\r\n", "WAIT 2 with both replicas up")
        eq(c.call("WAIT", "1", "-1"), b"-ERR timeout is negative\r\n", "WAIT negative timeout")
        eq(c.call("WAIT", "x", "1"), b"-ERR value is not an integer or out of range\r\n",
           "WAIT bad numreplicas")
        r2.pause()
        try:
            eq(c.call("SET", "w", "2"), b"+OK\r\n", "SET with replica 2 stopped")
            started = time.monotonic()
            eq(c.call("WAIT", "2", "300"), b":1\r\n", "WAIT 2 300 with one replica stopped")
            check(time.monotonic() - started >= 0.29, "WAIT returned before its timeout")
            eq(c.call("WAIT", "1", "0"), b":1\r\n", "WAIT 1 0")
            eq(c.call("MULTI"), b"+OK\r\n", "MULTI")
            eq(c.call("WAIT", "2", "0"), b"+QUEUED\r\n", "WAIT queued")
            eq(c.call("EXEC"), b"*1\r\n:1\r\n", "WAIT inside EXEC answers at once")
            # min-replicas-to-write: the stopped replica's acks stop; after max-lag it no
            # longer counts.
            eq(c.call("CONFIG", "SET", "min-replicas-to-write", "2"), b"+OK\r\n", "CONFIG SET")
            eq(c.call("CONFIG", "SET", "min-replicas-max-lag", "1"), b"+OK\r\n", "CONFIG SET")
            check(wait_for(lambda: c.call("SET", "probe", "1") == NOREPLICAS, 10,
                           interval=0.1), "-NOREPLICAS once replica 2 lags")
            eq(c.call("GET", "w"), b"$1\r\n2\r\n", "reads still work")
            eq(m.info()["min_slaves_good_slaves"], "1", "INFO min_slaves_good_slaves")
            eq(c.call("MULTI"), b"+OK\r\n", "MULTI")
            eq(c.call("SET", "w", "4"), NOREPLICAS, "a write queued in MULTI is refused")
            eq(c.call("EXEC"), b"-EXECABORT Transaction discarded because of previous errors.\r\n",
               "EXEC after the refusal")
        finally:
            r2.cont()
        check(wait_for(lambda: c.call("SET", "w", "5") == b"+OK\r\n", 10, interval=0.1),
              "writes accepted again once replica 2 acks")
        eq(c.call("WAIT", "2", "5000"), b":2\r\n", "WAIT 2 after SIGCONT")
    eq(r1.call("WAIT", "1", "1")[:40], b"-ERR WAIT cannot be used with replica in",
       "WAIT on a replica")
    for node in (r1, r2, m):
        node.stop()
    print("  WAIT: 2 acks, 1 after a 300 ms timeout with a replica stopped, at once inside "
          "EXEC; min-replicas-to-write 2: -NOREPLICAS while a replica lags, then writes again")


def s5_serve_stale(args, work):
    m = Node(args.ember, work, "m5", ["--repl-ping-replica-period", "1"]).start()
    rep = Node(args.ember, work, "m5-r", replicaof_args(m) + [
        "--repl-timeout", "2", "--replica-announce-ip", "10.1.2.3",
        "--replica-announce-port", "6390"]).start()
    m.r.set("k", "v")
    wait_synced(m, rep)
    eq(m.info()["slave0"].split(",")[:2], ["ip=10.1.2.3", "port=6390"],
       "the master lists the replica at its announced address")
    eq(list(m.r.execute_command("ROLE")[2][0][:2]), [b"10.1.2.3", b"6390"], "ROLE on the master")
    # A hung master (SIGSTOP): no PING for repl-timeout, the replica gives the link up.
    m.pause()
    try:
        wait_info(rep, lambda i: i["master_link_status"] == "down", 15, "link down (repl-timeout)")
        check("MASTER timeout" in rep.log(), "the replica's log says the master timed out")
        eq(rep.call("GET", "k"), b"$1\r\nv\r\n", "stale data served by default")
        eq(rep.call("CONFIG", "SET", "replica-serve-stale-data", "no"), b"+OK\r\n", "CONFIG SET")
        eq(rep.call("GET", "k"), MASTERDOWN, "GET with serve-stale-data no")
        eq(rep.call("PING"), MASTERDOWN, "PING with serve-stale-data no (as Redis 7.0)")
        check(rep.call("INFO", "replication").startswith(b"$"), "INFO still answers")
    finally:
        m.cont()
    wait_synced(m, rep)
    eq(rep.call("GET", "k"), b"$1\r\nv\r\n", "GET once the link is up again")
    eq(stat(m, "sync_full"), 1, "the link came back with a partial resync")
    for node in (rep, m):
        node.stop()
    print("  announced address in INFO and ROLE; a hung master: link down after repl-timeout, "
          "stale data served by default, -MASTERDOWN for GET and PING with no, INFO allowed; "
          "after SIGCONT the link is up again (partial)")


def s6_output_limit(args, work):
    m = Node(args.ember, work, "m6",
             ["--client-output-buffer-limit", "replica 1mb 512kb 60"]).start()
    rep = Node(args.ember, work, "m6-r", replicaof_args(m)).start()
    m.r.set("k", "v")
    wait_synced(m, rep)
    rep.pause()
    try:
        value = "z" * 1000
        wrote = 0
        deadline = time.monotonic() + 30
        # Writes until the master gives the replica up (bounded: 30 s, 200k writes).
        while int(m.info()["connected_slaves"]) > 0:
            check(time.monotonic() < deadline and wrote < 200000,
                  f"the stopped replica was not cut off after {wrote} writes of 1 KB")
            p = m.r.pipeline(transaction=False)
            for i in range(500):
                p.set(f"fill:{(wrote + i) % 20000}", value)
            p.execute()
            wrote += 500
    finally:
        rep.cont()
    check("output buffer went over the hard limit" in m.log() or "fell behind" in m.log(),
          "the master's log says why the replica was dropped")
    wait_synced(m, rep, timeout=30)
    n = compare(m, rep)
    for node in (rep, m):
        node.stop()
    print(f"  output limit: the stopped replica was cut off after {wrote} writes of 1 KB "
          f"(hard limit 1mb), then resynced; {n} keys equal")


def s7_kill_mid_full_sync(args, work):
    m = Node(args.ember, work, "m7").start()
    p = m.r.pipeline(transaction=False)
    for b in range(0, 300000, 2000):
        p.mset({f"k:{i}": "v" * 100 for i in range(b, b + 2000)})
    p.execute()
    rep = Node(args.ember, work, "m7-r", replicaof_args(m)).start()
    wait_info(rep, lambda i: i["master_sync_in_progress"] == "1" or
              i["master_link_status"] == "up", 10, "a full sync starting")
    rep.kill9()
    eq(m.call("PING"), b"+PONG\r\n", "master PING after the replica died")
    eq(m.call("SET", "after", "1"), b"+OK\r\n", "master SET after the replica died")
    wait_info(m, lambda i: i["connected_slaves"] == "0", 10, "the dead replica dropped")
    check(wait_for(lambda: m.call("BGSAVE").startswith(b"+Background saving started"), 10,
                   interval=0.1), "BGSAVE once the sync is gone")
    wait_info(m, lambda i: i["rdb_bgsave_in_progress"] == "0", 30, "BGSAVE done", "persistence")
    rep2 = Node(args.ember, work, "m7-r2", replicaof_args(m)).start()
    wait_synced(m, rep2, timeout=30)
    eq(rep2.r.dbsize(), m.r.dbsize(), "the next replica has every key")
    for node in (rep2, m):
        node.stop()
    print("  a replica killed mid full sync: the master answered, dropped it, ran a BGSAVE, and "
          "synced the next replica")


SCENARIOS = [
    ("1", s1_restart_replicas_partial),
    ("2", s2_master_restart_from_aof),
    ("3", s3_backlog_overflow),
    ("4", s4_wait_and_min_replicas),
    ("5", s5_serve_stale),
    ("6", s6_output_limit),
    ("7", s7_kill_mid_full_sync),
]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("ember")
    ap.add_argument("--only", help="comma-separated scenario numbers")
    args = ap.parse_args()
    args.ember = os.path.abspath(args.ember)
    if redis is None:
        print("test_replication_recovery: SKIP (no redis-py)")
        return 0
    only = set(args.only.split(",")) if args.only else None
    work = tempfile.mkdtemp(prefix="ember-it-repl2-")
    failures = []
    started = time.monotonic()
    try:
        for name, fn in SCENARIOS:
            if only and name not in only:
                continue
            s = time.monotonic()
            try:
                fn(args, work)
            except Exception as e:  # report, go on with the next scenario
                failures.append(f"{name}: {type(e).__name__}: {e}")
                print(f"  {name}: FAIL: {type(e).__name__}: {e}", flush=True)
            finally:
                for n in reversed(ALL_NODES):
                    n.stop()
                ALL_NODES.clear()
            print(f"    ({time.monotonic() - s:.1f}s)", flush=True)
    finally:
        if os.environ.get("EMBER_IT_KEEP_DIRS") != "1":
            shutil.rmtree(work, ignore_errors=True)
    return summarize("test_replication_recovery", failures, started)


if __name__ == "__main__":
    sys.exit(main())
