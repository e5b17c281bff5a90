#!/usr/bin/env python3
"""Replication between ember-server processes (server/repl/replication.h), through real clients.

  1. A master and two replicas started with --replicaof: the master is filled with every type in
     every encoding across the 16 dbs (test_rdb_codec.fill), and the replicas must hold the same
     dataset key by key (value, type, OBJECT ENCODING, PEXPIRETIME) once their offset is the
     master's; then MULTI/EXEC, EXPIRE/PEXPIRE/PERSIST, DEL, FLUSHDB of one db, SWAPDB, MOVE,
     SPOP with a count, INCRBYFLOAT, XADD * and a BLPOP served by another
     client's LPUSH, and the comparison again. No command from the master may fail on a replica.
  2. A replica refuses writes with Redis's exact -READONLY (also inside MULTI: -EXECABORT at
     EXEC) and serves reads; ROLE on master and replica has Redis's shape.
  3. Expiry: SET k v PX 300 on the master; with the master stopped (SIGSTOP, so its DEL cannot
     arrive) the replica hides the key once it is logically expired (GET nil, EXISTS 0, TTL -2)
     but keeps it (DBSIZE 1: replicas don't expire keys themselves); once the master runs again
     its DEL arrives and DBSIZE drops.
  5. Chained: a replica of a replica gets the writes made on the top master, at the master's
     offset. (Run before 4, whose topology it extends.)
  4. Failover (PSYNC2): REPLICAOF NO ONE on replica 1, REPLICAOF replica1 on replica 2: replica 2
     continues partially (replica 1's sync_partial_ok grows, sync_full does not), writes on
     replica 1 reach replica 2 and the chained replica; the chained replica learns the new
     replication id (as Redis's sub-replicas do) and continues partially after a broken link;
     the old master then REPLICAOF replica1 and gets the data (full sync).
  6. masterauth: a master with requirepass; a replica without masterauth stays down with the
     NOAUTH error as master_link_down_reason, a wrong one gives WRONGPASS, CONFIG SET masterauth
     (and --masterauth at start) make it sync.
  7. Empty master: a master without persistence is killed (SIGKILL) and restarted empty on the
     same port: its replica keeps its keys and stays down, saying why; REPLICAOF to the same
     master is "OK Already connected to specified master" and changes nothing; CONFIG SET
     replica-accept-empty-master yes makes the next sync copy the empty dataset. A replica that
     never synced accepts an empty master (its data is replaced, as in Redis).
  8. Full sync under load: 200k keys; a replica attaches while a writer keeps changing keys; once
     the writer stops and the offsets meet, every key and value is equal.

Usage: test_replication.py EMBER_SERVER [--only 1,2,...]
Exit status 0 on success, 1 on failure.
"""

import argparse
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from harness import (ConnectionClosed, RespConnection, check, eq, free_port, parse_reply,
                     wait_for)

try:
    import redis
    from test_rdb_codec import fill, live_listing, compare_listings
except ImportError:  # pragma: no cover - Debian's python3 has python3-redis
    redis = None

READY_TIMEOUT_S = 10.0
STOP_TIMEOUT_S = 10.0
SYNC_TIMEOUT_S = 20.0
HOST = "127.0.0.1"
READONLY = b"-READONLY You can't write against a read only replica.\r\n"


# --------------------------------------------------------------------------------------------
# A server process in a directory of its own, restartable on the same port
# --------------------------------------------------------------------------------------------

ALL_NODES = []  # every node started, stopped at the end whatever happened


class Node:
    def __init__(self, binary, work, name, args=(), password=None):
        ALL_NODES.append(self)
        self.binary = binary
        self.name = name
        self.dir = tempfile.mkdtemp(prefix=name + "-", dir=work)
        self.args = ["--save", ""] + list(args)
        self.password = password
        self.port = None
        self.proc = None
        self.log_path = os.path.join(self.dir, "server.log")
        self._client = None

    def start(self, port=None):
        self.port = port or self.port or free_port()
        log = open(self.log_path, "ab")
        self.proc = subprocess.Popen([self.binary, "--port", str(self.port)] + self.args,
                                     cwd=self.dir, stdin=subprocess.DEVNULL, stdout=log,
                                     stderr=subprocess.STDOUT)
        log.close()
        deadline = time.monotonic() + READY_TIMEOUT_S
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise AssertionError(f"{self.name} exited with {self.proc.returncode} during "
                                     f"start-up:\n{self.log()[-3000:]}")
            try:
                with RespConnection(self.port, timeout=0.5) as c:
                    if c.call("PING").startswith((b"+PONG", b"-NOAUTH")):
                        return self
            except (OSError, ConnectionClosed):
                pass
            time.sleep(0.05)  # poll interval of a bounded wait
        raise AssertionError(f"{self.name} not ready on port {self.port}:\n{self.log()[-3000:]}")

    def stop(self):
        if self._client is not None:
            self._client.close()
            self._client = None
        if self.proc is not None and self.proc.poll() is None:
            self.cont()
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=STOP_TIMEOUT_S)
            except subprocess.TimeoutExpired:
                self.kill9()

    def kill9(self):
        if self._client is not None:
            self._client.close()
            self._client = None
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()  # by PID: the process this test started
            self.proc.wait(timeout=STOP_TIMEOUT_S)

    def pause(self):
        self.proc.send_signal(signal.SIGSTOP)

    def cont(self):
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGCONT)

    def log(self):
        with open(self.log_path, "rb") as f:
            return f.read().decode("utf-8", "replace")

    @property
    def r(self):
        if self._client is None:
            self._client = redis.Redis(host=HOST, port=self.port, password=self.password,
                                       socket_timeout=10, decode_responses=False)
        return self._client

    def client(self, db=0):
        return redis.Redis(host=HOST, port=self.port, password=self.password, db=db,
                           socket_timeout=10, decode_responses=False)

    def raw(self):
        c = RespConnection(self.port, timeout=5.0)
        if self.password:
            eq(c.call("AUTH", self.password), b"+OK\r\n", f"{self.name} AUTH")
        return c

    def call(self, *args):
        with self.raw() as c:
            return c.call(*args)

    def info(self, section="replication"):
        text = self.call("INFO", section).split(b"\r\n", 1)[1].decode()
        return dict(line.split(":", 1) for line in text.splitlines() if ":" in line)

    def role(self):
        return parse_reply(self.call("ROLE"))

    def replicaof(self, master):
        return self.call("REPLICAOF", HOST, str(master.port))


def replicaof_args(master):
    return ["--replicaof", f"{HOST} {master.port}"]


def wait_synced(master, *replicas, timeout=SYNC_TIMEOUT_S):
    """Bounded poll until each replica's link is up and its offset is the master's."""
    deadline = time.monotonic() + timeout
    last = {}
    while True:
        moff = master.info()["master_repl_offset"]
        done = True
        for rep in replicas:
            ri = rep.info()
            last[rep.name] = ri
            if ri.get("master_link_status") != "up" or ri.get("slave_repl_offset") != moff:
                done = False
        if done:
            return int(moff)
        if time.monotonic() > deadline:
            detail = "; ".join(
                f"{n}: link={i.get('master_link_status')} offset={i.get('slave_repl_offset')} "
                f"reason={i.get('master_link_down_reason')}" for n, i in last.items())
            raise AssertionError(f"replicas of {master.name} (offset {moff}) not in sync after "
                                 f"{timeout}s: {detail}\n{replicas[0].name} log:\n"
                                 f"{replicas[0].log()[-2000:]}")
        time.sleep(0.02)  # poll interval of a bounded wait


def wait_info(node, pred, timeout, what, section="replication"):
    holder = {}

    def probe():
        holder["info"] = node.info(section)
        return pred(holder["info"])
    if not wait_for(probe, timeout, interval=0.05):
        raise AssertionError(f"{node.name}: {what} not seen within {timeout}s; INFO: "
                             f"{holder.get('info')}\nlog:\n{node.log()[-2000:]}")
    return holder["info"]


# The consumers' seen-time is the time a replica applied the command (as in Redis).
SEEN_TIME = re.compile(r'("(?:[^"\\]|\\.)*"):\d+\[')


# A short string loaded from an RDB is embstr, whatever it was on the master (APPEND, SETRANGE
# make raw ones): Redis's replicas differ from their master the same way after a full sync.
RAW_OR_EMBSTR = re.compile(r'^(\d+ "(?:[^"\\]|\\.)*" string) (?:raw|embstr) ')


def listing(node, after_full_sync=False):
    lines = [SEEN_TIME.sub(r"\1:_[", line) for line in live_listing(node.port)]
    if after_full_sync:
        lines = [RAW_OR_EMBSTR.sub(r"\1 raw|embstr ", line) for line in lines]
    return lines


def no_failed_commands(*nodes):
    for n in nodes:
        bad = [l for l in n.log().splitlines() if "from the master failed" in l
               or "Protocol error in the replication stream" in l]
        check(not bad, f"{n.name}: the replication stream had errors: {bad[:5]}")


def stat(node, name):
    return int(node.info("stats")[name])


# --------------------------------------------------------------------------------------------
# The scenarios
# --------------------------------------------------------------------------------------------

class Topology:
    """The nodes shared by scenarios 1-5."""
    master = r1 = r2 = r3 = None


def s1_master_two_replicas(args, work, t):
    t.master = Node(args.ember, work, "master").start()
    # Something before the replicas attach, so the first full sync carries data too.
    t.master.r.set("before-sync", "1")
    t.master.client(7).hset("db7:h", mapping={"a": "1", "b": "2"})
    t.r1 = Node(args.ember, work, "replica1", replicaof_args(t.master)).start()
    t.r2 = Node(args.ember, work, "replica2", replicaof_args(t.master)).start()
    wait_synced(t.master, t.r1, t.r2)
    eq(t.r1.client(7).hgetall("db7:h"), {b"a": b"1", b"b": b"2"}, "replica1: the full sync")

    fill(t.master.port)
    off = wait_synced(t.master, t.r1, t.r2)
    expected = listing(t.master)
    check(len(expected) > 40, f"fill wrote {len(expected)} keys")
    compare_listings(listing(t.r1), expected, "replica1 after fill")
    compare_listings(listing(t.r2), expected, "replica2 after fill")
    n1 = len(expected)

    # More writes of every kind.
    r = t.master.r
    p = r.pipeline(transaction=True)
    p.incr("tx:counter").lpush("l:small", "pushed").hset("h:lp", "new", "1")
    p.sadd("set:str", "zz").zincrby("z:lp", 2, "one").expire("s:int16", 1000)
    p.execute()
    r.expire("s:int32", 500)
    r.pexpire("h:many", 700000)
    r.persist("s:int8")
    r.delete("s:float", "l:hugeel", "does-not-exist")
    r.set("s:ex", "v", ex=100)
    r.getex("s:emb44", px=123456)
    r.setrange("s:raw45", 3, "XYZ")
    r.append("s:empty", "now-not-empty")
    r.lmove("l:small", "l:moved", "LEFT", "RIGHT")
    r.rename("s:zero", "s:renamed")
    r.copy("h:bigval", "h:copied")
    r.move("s:lead0", 9)
    r.zpopmin("z:many", 3)
    r.hincrbyfloat("h:lp", "num", 0.25)
    r.incrbyfloat("f:float", 1.1)
    r.incrbyfloat("f:float", 2.2)
    popped = r.spop("set:manyint", 7)  # random: replicated as its effect
    check(len(popped) == 7, f"SPOP 7 gave {popped}")
    r.xadd("st:main", {"auto": "id"})  # the id is the master's clock: replicated as is
    r.xreadgroup("g2", "dave", {"st:main": ">"}, count=2)
    t.master.client(5).flushdb()
    r.swapdb(2, 3)
    r.setex("short-lived", 1, "x")  # expires on the master soon; its DEL is replicated
    # A BLPOP served by another client's LPUSH: the replica gets the pop's effect.
    got = {}

    def blpop():
        c = t.master.client()
        got["v"] = c.blpop("bl:q", timeout=5)
        c.close()
    th = threading.Thread(target=blpop, daemon=True)
    th.start()
    check(wait_for(lambda: t.master.info("clients")["blocked_clients"] == "1", 5),
          "BLPOP never blocked")
    r.lpush("bl:q", "a", "b")
    th.join(10)
    eq(got.get("v"), (b"bl:q", b"b"), "BLPOP")
    check(wait_for(lambda: r.exists("short-lived") == 0, 5), "short-lived did not expire")

    off2 = wait_synced(t.master, t.r1, t.r2)
    expected = listing(t.master)
    compare_listings(listing(t.r1), expected, "replica1 after more writes")
    compare_listings(listing(t.r2), expected, "replica2 after more writes")
    eq(t.r1.r.lrange("bl:q", 0, -1), [b"a"], "replica1 bl:q after BLPOP")
    check(t.r1.r.exists("short-lived") == 0, "replica1 still has the expired short-lived")
    no_failed_commands(t.r1, t.r2)
    print(f"  1 master + 2 replicas: {n1} keys of every type in 16 dbs equal at offset {off}; "
          f"after MULTI/EXPIRE/DEL/FLUSHDB/SWAPDB/MOVE/SPOP/XADD */BLPOP {len(expected)} "
          f"keys equal at offset {off2}")


def s2_readonly_and_role(args, work, t):
    with t.r1.raw() as c:
        eq(c.call("SET", "x", "1"), READONLY, "SET on a replica")
        eq(c.call("DEL", "s:int16"), READONLY, "DEL on a replica")
        eq(c.call("FLUSHALL"), READONLY, "FLUSHALL on a replica")
        eq(c.call("MULTI"), b"+OK\r\n", "MULTI on a replica")
        eq(c.call("SET", "x", "1"), READONLY, "SET queued on a replica")
        eq(c.call("EXEC"),
           b"-EXECABORT Transaction discarded because of previous errors.\r\n", "EXEC")
        eq(c.call("GET", "s:int16"), b"$4\r\n1234\r\n", "GET on a replica")
        eq(c.call("EXISTS", "x"), b":0\r\n", "the refused SET")
    eq(t.r2.r.hget("h:lp", "c"), b"hello", "HGET on replica2")

    # The master's ROLE lists the replicas' acknowledged offsets (sent every second); a PING
    # of the master (repl-ping-replica-period) may move the offset meanwhile: poll.
    ports = sorted([str(t.r1.port).encode(), str(t.r2.port).encode()])
    seen = {}

    def roles_ok():
        off = wait_synced(t.master, t.r1, t.r2)
        role, rrole = t.master.role(), t.r1.role()
        seen.update(master=role, replica=rrole, off=off)
        o = (b"$", str(off).encode())
        return (role[0] == b"*" and len(role[1]) == 3 and role[1][0] == (b"$", b"master")
                and role[1][1] == (b":", o[1]) and role[1][2][0] == b"*"
                and sorted(e[1][1][1] for e in role[1][2][1]) == ports
                and all(e[0] == b"*" and len(e[1]) == 3 and e[1][0] == (b"$", HOST.encode())
                        and e[1][2] == o for e in role[1][2][1])
                and rrole == (b"*", [(b"$", b"slave"), (b"$", HOST.encode()),
                                     (b":", str(t.master.port).encode()),
                                     (b"$", b"connected"), (b":", o[1])]))
    check(wait_for(roles_ok, 5, interval=0.2),
          f"ROLE: master {seen.get('master')}, replica {seen.get('replica')} (offset "
          f"{seen.get('off')}, replica ports {ports})")
    off = seen["off"]
    info = t.master.info()
    eq(info["role"], "master", "master INFO role")
    eq(info["connected_slaves"], "2", "master connected_slaves")
    check(all(f"state=online" in info[f"slave{i}"] for i in range(2)), f"master INFO {info}")
    ri = t.r1.info()
    eq((ri["role"], ri["master_host"], ri["master_port"], ri["master_link_status"],
        ri["master_replid"]),
       ("slave", HOST, str(t.master.port), "up", info["master_replid"]), "replica INFO")
    print(f"  -READONLY (also in MULTI -> EXECABORT), reads served; ROLE master "
          f"[master, {off}, [[{HOST}, port, {off}] x2]], replica [slave, {HOST}, "
          f"{t.master.port}, connected, {off}]")


def s3_expiry(args, work, t):
    r = t.master.r
    eq(r.set("exp:k", "v", px=300), True, "SET PX")
    wait_synced(t.master, t.r1)
    eq(t.r1.r.get("exp:k"), b"v", "replica GET before expiry")
    before = t.r1.r.dbsize()
    # Stopped, the master can't send its DEL: whatever the replica does now is its own doing.
    t.master.pause()
    try:
        check(wait_for(lambda: t.r1.r.get("exp:k") is None, 3), "replica still returns exp:k")
        eq((t.r1.r.exists("exp:k"), t.r1.r.pttl("exp:k"), t.r1.r.type("exp:k")),
           (0, -2, b"none"), "replica EXISTS/PTTL/TYPE of a logically expired key")
        time.sleep(0.5)  # several active expiry cycles (hz 10) of the replica
        dbsize_paused = t.r1.r.dbsize()
    finally:
        t.master.cont()
    eq(dbsize_paused, before, "replica DBSIZE while the master's DEL can't arrive (replicas "
                              "don't expire keys themselves)")
    check(wait_for(lambda: t.r1.r.dbsize() == before - 1, 5),
          f"replica DBSIZE {t.r1.r.dbsize()} did not drop from {before} after the master "
          f"expired the key")
    wait_synced(t.master, t.r1, t.r2)
    eq(t.r2.r.dbsize(), before - 1, "replica2 DBSIZE after the master's DEL")
    print(f"  expiry: replica hides exp:k after 300 ms (GET nil, EXISTS 0) yet keeps it "
          f"(DBSIZE {dbsize_paused}) while the master is stopped; DBSIZE {before - 1} after the "
          f"master's DEL")


def s5_chained(args, work, t):
    t.r3 = Node(args.ember, work, "replica3", replicaof_args(t.r1)).start()
    wait_synced(t.r1, t.r3)
    r = t.master.r
    for i in range(100):
        r.set(f"chain:{i}", i)
    t.master.client(4).rpush("chain:list", *range(50))
    off = wait_synced(t.master, t.r1, t.r3)
    compare_listings(listing(t.r3, True), listing(t.master, True), "chained replica3")
    eq(t.r3.info()["master_replid"], t.master.info()["master_replid"], "chained replica's replid")
    eq(t.r1.info()["connected_slaves"], "1", "replica1 connected_slaves")
    # Moved to the top master, replica3 continues partially in the middle of the stream, whose
    # last SELECT (db 4) came long before: its writes must still land in db 4. And back.
    pok0, full0 = stat(t.master, "sync_partial_ok"), stat(t.master, "sync_full")
    eq(t.r3.replicaof(t.master), b"+OK\r\n", "REPLICAOF master on replica3")
    wait_synced(t.master, t.r3)
    t.master.client(4).rpush("chain:list", "after-move")
    wait_synced(t.master, t.r1, t.r3)
    eq((stat(t.master, "sync_partial_ok"), stat(t.master, "sync_full")), (pok0 + 1, full0),
       "master sync_partial_ok/sync_full when replica3 moved to it")
    eq(t.r3.client(4).lrange("chain:list", -1, -1), [b"after-move"],
       "replica3: a db-4 write after it moved mid-stream to the master")
    eq(t.r3.r.exists("chain:list"), 0, "replica3: the db-4 write landed in db 0")
    pok1 = stat(t.r1, "sync_partial_ok")
    eq(t.r3.replicaof(t.r1), b"+OK\r\n", "REPLICAOF replica1 on replica3")
    t.master.client(4).rpush("chain:list", "after-move-back")
    wait_synced(t.master, t.r1, t.r3)
    eq(stat(t.r1, "sync_partial_ok"), pok1 + 1, "replica1 sync_partial_ok (replica3 back)")
    compare_listings(listing(t.r3, True), listing(t.master, True), "replica3 after the moves")
    no_failed_commands(t.r3)
    print(f"  chained: replica3 (of replica1) has the master's writes at the master's offset "
          f"{off}, same replid, listings equal; moved to the master and back mid-stream: "
          f"partial both ways, writes in the right db")


def s4_failover(args, work, t):
    old_id = t.master.info()["master_replid"]
    wait_synced(t.master, t.r1, t.r2)
    wait_synced(t.r1, t.r3)
    full0, pok0 = stat(t.r1, "sync_full"), stat(t.r1, "sync_partial_ok")
    off0 = int(t.r1.info()["master_repl_offset"])
    eq(t.r1.call("REPLICAOF", "NO", "ONE"), b"+OK\r\n", "REPLICAOF NO ONE")
    i1 = t.r1.info()
    eq((i1["role"], i1["master_replid2"]), ("master", old_id), "replica1 promoted")
    check(i1["master_replid"] != old_id, "a new replid")
    eq(t.r1.role()[1][0], (b"$", b"master"), "replica1 ROLE")
    t.r1.r.set("after-promotion", "1")  # replica1 writes now

    eq(t.r2.replicaof(t.r1), b"+OK\r\n", "REPLICAOF replica1 on replica2")
    off = wait_synced(t.r1, t.r2)
    full1, pok1 = stat(t.r1, "sync_full"), stat(t.r1, "sync_partial_ok")
    check(pok1 >= pok0 + 1, f"replica1 sync_partial_ok {pok0} -> {pok1}")
    eq(full1, full0, "replica1 sync_full (replica2 must continue partially)")
    check("Successful partial resynchronization" in t.r2.log(), "replica2 log: no partial resync")
    eq((t.r2.info()["master_replid"], t.r2.info()["master_replid2"]),
       (i1["master_replid"], old_id), "replica2 replids")

    for i in range(200):
        t.r1.r.set(f"new:{i}", i)
    t.r1.client(2).hset("new:h", mapping={"x": "1"})
    off = wait_synced(t.r1, t.r2, t.r3)
    eq(stat(t.r1, "sync_full"), full0, "replica1 sync_full after the promotion (replica2 and "
                                       "the chained replica3 must continue partially)")
    expected = listing(t.r1)
    compare_listings(listing(t.r2), expected, "replica2 after failover")
    compare_listings(listing(t.r3, True), listing(t.r1, True), "chained replica3 after failover")
    # As in Redis, the promotion's new id reaches the sub-replica (Redis disconnects them so
    # they continue with +CONTINUE <newid>); otherwise its next reconnection is a full sync.
    eq(t.r3.info()["master_replid"], i1["master_replid"], "replica3's replid after the "
                                                          "promotion of its master")
    # A broken link (replica3 stopped past replica1's repl-timeout): replica3 continues.
    eq(t.r1.r.config_set("repl-timeout", 1), True, "CONFIG SET repl-timeout")
    full2 = stat(t.r1, "sync_full")
    t.r3.pause()
    try:
        check(wait_for(lambda: t.r1.info()["connected_slaves"] == "1", 6),
              f"replica1 did not drop the stopped replica3: {t.r1.info()}")
    finally:
        t.r3.cont()
    t.r1.r.set("while-r3-away", "1")
    wait_synced(t.r1, t.r2, t.r3)
    eq(t.r1.r.config_set("repl-timeout", 60), True, "CONFIG SET repl-timeout")
    eq(stat(t.r1, "sync_full"), full2, "replica1 sync_full after replica3's link broke "
                                       "(replica3 must continue partially)")
    eq(t.r3.r.get("while-r3-away"), b"1", "replica3 after reconnecting")

    # The old master follows the new one.
    eq(t.master.replicaof(t.r1), b"+OK\r\n", "REPLICAOF replica1 on the old master")
    off = wait_synced(t.r1, t.master, t.r2, t.r3)
    compare_listings(listing(t.master, True), listing(t.r1, True),
                     "old master after REPLICAOF replica1")
    eq(t.master.r.get("after-promotion"), b"1", "old master has replica1's writes")
    eq(t.r1.info()["connected_slaves"], "3", "replica1 connected_slaves")
    no_failed_commands(t.master, t.r1, t.r2, t.r3)
    print(f"  failover: replica2 continued partially with promoted replica1 (sync_partial_ok "
          f"{pok0}->{stat(t.r1, 'sync_partial_ok')}, sync_full {full0}->{full1}); chained "
          f"replica3 took the new replid and continued partially after a broken link; old "
          f"master resynced from replica1 (full); 4 listings equal at offset {off}")


def s6_masterauth(args, work, t):
    m = Node(args.ember, work, "authmaster", ["--requirepass", "s3cret"],
             password="s3cret").start()
    try:
        m.r.set("secret-key", "1")
        a = Node(args.ember, work, "noauth", replicaof_args(m)).start()
        b = Node(args.ember, work, "withauth",
                 replicaof_args(m) + ["--masterauth", "s3cret"]).start()
        try:
            i = wait_info(a, lambda i: "NOAUTH" in i.get("master_link_down_reason", ""), 5,
                          "the NOAUTH reason")
            eq(i["master_link_status"], "down", "link without masterauth")
            reason = i["master_link_down_reason"]
            eq(a.r.dbsize(), 0, "replica without masterauth")
            wait_synced(m, b)
            eq(b.r.get("secret-key"), b"1", "replica with --masterauth")
            eq(a.r.config_set("masterauth", "wrong"), True, "CONFIG SET masterauth")
            i = wait_info(a, lambda i: "WRONGPASS" in i.get("master_link_down_reason", ""), 5,
                          "the WRONGPASS reason")
            eq(a.r.config_set("masterauth", "s3cret"), True, "CONFIG SET masterauth")
            wait_synced(m, a, b)
            eq(a.r.get("secret-key"), b"1", "replica after CONFIG SET masterauth")
            check("refused: wrong masterauth" in m.log(), "master log on a wrong masterauth")
        finally:
            a.stop()
            b.stop()
    finally:
        m.stop()
    print(f"  masterauth: without it link down, reason {reason!r}; wrong one: WRONGPASS; "
          f"--masterauth and CONFIG SET masterauth sync")


def s7_empty_master(args, work, t):
    m = Node(args.ember, work, "volatile-master").start()
    rep = fresh = None
    try:
        p = m.r.pipeline(transaction=False)
        for i in range(500):
            p.set(f"keep:{i}", i)
        p.hset("keep:h", mapping={"a": "1"})
        p.execute()
        rep = Node(args.ember, work, "protected", replicaof_args(m)).start()
        wait_synced(m, rep)
        eq(rep.r.dbsize(), 501, "replica after the first sync")
        first_id = m.info()["master_replid"]

        m.kill9()
        wait_info(rep, lambda i: i["master_link_status"] == "down", 5, "link down")
        m.start()  # same port, no persistence: empty
        eq(m.r.dbsize(), 0, "restarted master")
        new_id = m.info()["master_replid"]
        check(new_id != first_id, "the restarted master has a new replid")
        i = wait_info(rep, lambda i: "empty" in i.get("master_link_down_reason", ""), 5,
                      "the empty-master reason")
        reason = i["master_link_down_reason"]
        eq(i["master_link_status"], "down", "link to the empty master")
        check("replica-accept-empty-master yes" in reason, f"the reason says how to accept: "
                                                           f"{reason!r}")
        eq(rep.r.dbsize(), 501, "replica keys after the master came back empty")
        # It stays that way (the link retries every 500 ms).
        time.sleep(1.2)
        eq((rep.r.dbsize(), rep.info()["master_link_status"]), (501, "down"),
           "replica a second later")
        eq(rep.call("REPLICAOF", HOST, str(m.port)),
           b"+OK Already connected to specified master\r\n", "REPLICAOF the same master")
        time.sleep(1.2)
        eq((rep.r.dbsize(), rep.info()["master_link_status"]), (501, "down"),
           "replica after REPLICAOF the same master")
        # The documented way to accept it.
        eq(rep.r.config_set("replica-accept-empty-master", "yes"), True, "CONFIG SET")
        wait_synced(m, rep)
        eq(rep.r.dbsize(), 0, "replica after accepting the empty master")
        eq(rep.info()["master_replid"], new_id, "replica's replid")
        m.r.set("after", "1")
        wait_synced(m, rep)
        eq(rep.r.get("after"), b"1", "replica following the restarted master")

        # A replica that never synced: its data is replaced by the empty master's (as Redis).
        m.r.flushall()
        fresh = Node(args.ember, work, "neversynced").start()
        fresh.r.mset({"mine:1": "a", "mine:2": "b"})
        eq(fresh.replicaof(m), b"+OK\r\n", "REPLICAOF on a node that never synced")
        wait_synced(m, fresh)
        eq(fresh.r.dbsize(), 0, "never-synced replica of an empty master")
    finally:
        for n in (rep, fresh, m):
            if n is not None:
                n.stop()
    print(f"  empty master: replica kept 501 keys, link down, reason {reason[:90]!r}...; "
          f"REPLICAOF same master: Already connected (still kept); CONFIG SET "
          f"replica-accept-empty-master yes: copied the empty dataset; a never-synced replica "
          f"accepted it")


class Writer(threading.Thread):
    def __init__(self, port, stop_event, max_batches=4000, max_seconds=15.0):
        super().__init__(daemon=True)
        self.port, self.stop_event = port, stop_event
        self.max_batches, self.max_seconds = max_batches, max_seconds
        self.batches = 0
        self.error = None

    def run(self):
        try:
            c = redis.Redis(host=HOST, port=self.port, socket_timeout=10)
            deadline = time.monotonic() + self.max_seconds
            while (self.batches < self.max_batches and time.monotonic() < deadline
                   and not self.stop_event.is_set()):
                b = self.batches
                p = c.pipeline(transaction=False)
                for j in range(50):
                    n = b * 50 + j
                    p.set(f"w:{n}", n)
                    p.set(f"k:{(n * 7919) % 200000}", f"changed-{n}")
                p.delete(f"k:{(b * 104729) % 200000}")
                p.execute()
                self.batches += 1
            c.close()
        except Exception as e:  # reported by the scenario
            self.error = e


def s8_full_sync_under_load(args, work, t):
    m = Node(args.ember, work, "bigmaster").start()
    rep = None
    stop = threading.Event()
    writer = None
    try:
        n = 200000
        p = m.r.pipeline(transaction=False)
        for b in range(0, n, 1000):
            p.mset({f"k:{i}": f"value-{i}-{'x' * (i % 40)}" for i in range(b, b + 1000)})
        p.execute()
        eq(m.r.dbsize(), n, "master DBSIZE")
        full0 = stat(m, "sync_full")
        writer = Writer(m.port, stop)
        writer.start()
        check(wait_for(lambda: writer.batches >= 20 or not writer.is_alive(), 10),
              "the writer did not start")
        rep = Node(args.ember, work, "bigreplica").start()
        eq(rep.replicaof(m), b"+OK\r\n", "REPLICAOF")
        wait_info(rep, lambda i: i["master_link_status"] == "up", SYNC_TIMEOUT_S, "link up")
        during = writer.batches
        writer_alive = writer.is_alive()
        # Some more writes after the sync, then the writer stops.
        target = during + 40
        wait_for(lambda: writer.batches >= target or not writer.is_alive(), 10)
        stop.set()
        writer.join(20)
        check(not writer.is_alive(), "writer did not stop")
        check(writer.error is None, f"writer: {writer.error!r}")
        check(writer_alive, "the writer finished before the full sync did (no concurrency)")
        off = wait_synced(m, rep, timeout=30)
        eq(stat(m, "sync_full"), full0 + 1, "master sync_full")
        sizes = (m.r.dbsize(), rep.r.dbsize())
        eq(sizes[1], sizes[0], "DBSIZE master vs replica")
        keys = [f"k:{i}" for i in range(n)] + [f"w:{i}" for i in range(writer.batches * 50)]
        pm, pr = m.r.pipeline(transaction=False), rep.r.pipeline(transaction=False)
        for b in range(0, len(keys), 2000):
            pm.mget(keys[b:b + 2000])
            pr.mget(keys[b:b + 2000])
        vm = [v for batch in pm.execute() for v in batch]
        vr = [v for batch in pr.execute() for v in batch]
        if vm != vr:
            diff = [(keys[i], vm[i], vr[i]) for i in range(len(keys)) if vm[i] != vr[i]]
            raise AssertionError(f"{len(diff)} keys differ, e.g. {diff[:5]}")
        present = sum(v is not None for v in vm)
        eq(present, sizes[0], "keys checked vs DBSIZE")
        no_failed_commands(rep)
    finally:
        stop.set()
        if writer is not None:
            writer.join(20)
        for node in (rep, m):
            if node is not None:
                node.stop()
    print(f"  full sync under load: {n} keys + a writer ({during} batches of 101 commands "
          f"before the link came up, {writer.batches} in all); {sizes[0]} keys equal "
          f"(MGET of every key) at offset {off}")


SCENARIOS = [
    ("1", s1_master_two_replicas),
    ("2", s2_readonly_and_role),
    ("3", s3_expiry),
    ("5", s5_chained),
    ("4", s4_failover),
    ("6", s6_masterauth),
    ("7", s7_empty_master),
    ("8", s8_full_sync_under_load),
]
NEEDS_TOPOLOGY = {"2", "3", "4", "5"}


def summarize(prog, failures, started):
    """Prints the outcome of a run of scenarios; returns the exit status."""
    if failures:
        print(f"{prog}: FAIL ({len(failures)} scenarios):")
        for f in failures:
            print("  " + f.splitlines()[0][:300])
        return 1
    print(f"{prog}: OK ({time.monotonic() - started:.1f}s)")
    return 0


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("ember")
    ap.add_argument("--only", help="comma-separated scenario numbers")
    args = ap.parse_args()
    args.ember = os.path.abspath(args.ember)
    if redis is None:
        print("test_replication: SKIP (no redis-py)")
        return 0
    only = set(args.only.split(",")) if args.only else None
    if only and only & NEEDS_TOPOLOGY:
        only |= {"1"} | ({"5"} if "4" in only else set())
    work = tempfile.mkdtemp(prefix="ember-it-repl-")
    t = Topology()
    failures = []
    started = time.monotonic()
    try:
        for name, fn in SCENARIOS:
            if only and name not in only:
                continue
            if name in NEEDS_TOPOLOGY and t.r1 is None:
                failures.append(f"{name}: skipped, scenario 1 did not set up the topology")
                print(f"  {name}: SKIPPED (no topology)")
                continue
            s = time.monotonic()
            try:
                fn(args, work, t)
            except Exception as e:  # report, go on with the next scenario
                failures.append(f"{name}: {type(e).__name__}: {e}")
                print(f"  {name}: FAIL: {type(e).__name__}: {e}", flush=True)
                if name == "1":
                    t.r1 = None  # the nodes are stopped at the end (ALL_NODES)
            print(f"    ({time.monotonic() - s:.1f}s)", flush=True)
    finally:
        for n in reversed(ALL_NODES):
            n.stop()
        if os.environ.get("EMBER_IT_KEEP_DIRS") != "1":
            shutil.rmtree(work, ignore_errors=True)
    return summarize("test_replication", failures, started)


if __name__ == "__main__":
    sys.exit(main())
