#!/usr/bin/env python3
"""RDB persistence through the real binaries: ember-server against redis-server 7.0.

  1. round trips: every type and encoding (test_rdb_codec.fill: int/embstr/raw/LZF strings,
     small and big lists, hashes, sets (intset and hashtable), zsets, streams with groups,
     consumers and PELs, expiries, all 16 dbs) survives SAVE + restart, BGSAVE + restart,
     SHUTDOWN with the default rules, SHUTDOWN SAVE with `--save ""`, SIGTERM with rules;
     SHUTDOWN NOSAVE, SIGTERM without rules and a failed SHUTDOWN save leave the dump alone;
     FLUSHALL with rules saves the empty dataset; a key that expired while the server was down
     is dropped on load. Datasets are compared key by key (type, OBJECT ENCODING, PEXPIRETIME,
     value; streams through XINFO STREAM FULL).
  2. interop: Ember's dump passes redis-check-rdb and a redis-server started on it holds the
     same dataset; a dump written by redis-server (allkeys-lru, so with IDLE opcodes) loads into
     Ember identically.
  3. point in time: 200k+ keys, then BGSAVE followed on the same connection by a pipeline that
     changes every key (in-place SET/SETRANGE/INCRBY, APPEND, DEL, GETDEL, DEL+SET, EXPIRE,
     PERSIST, RENAME, MOVE, collection writes, stream reads/acks, 100k new keys so the table
     grows, FLUSHDB of db 1, SWAPDB 2 3). Everything after BGSAVE is after the snapshot's point
     in time, so the dump must hold exactly the state before it: checked in a fresh Ember
     (every key, every deadline, no duplicates) and by redis-server (which panics on duplicate
     keys) and redis-check-rdb.
  4. failures: a directory where the dump goes (fails for root too) makes BGSAVE fail:
     rdb_last_bgsave_status:err, writes and PING get Redis's exact -MISCONF, a failed SAVE
     alone does not refuse writes, SHUTDOWN refuses to exit, a later good save clears it (reply
     bytes compared with redis-server); a `dir` removed under the server; a dump with flipped
     bytes (structure, and value bytes only the CRC catches), truncated, header-only and empty
     dumps: Ember exits non-zero and its log names the problem.
  5. loading: a 1.5M-key dump (redis-server DEBUG POPULATE): a client that connects right away
     gets `-LOADING Redis is loading the dataset in memory` (never an empty dataset), INFO says
     loading:1 meanwhile, and then every key is there.
  6. SAVE/BGSAVE/LASTSAVE replies next to redis-server's: LASTSAVE advances, BGSAVE while one
     runs, SAVE while one runs, syntax errors, BGSAVE SCHEDULE runs the scheduled save.
  7. a `save 1 1` rule saves by itself; rdbcompression no + rdbchecksum no dumps (zero CRC)
     read by Redis and Ember; SHUTDOWN SAVE and FLUSHALL while a BGSAVE runs (no temp file
     left, the right dump, the next BGSAVE works).

Known differences from Redis that are reported as NOTE, not failures: Ember schedules BGSAVE
SCHEDULE while an RDB save runs (Redis 7.0: "already in progress"), starts a BGSAVE issued
inside MULTI at once (Redis schedules it), and replies -ERR at once to BGSAVE when the temp file
cannot be created (Redis: "started", then its child fails).

Usage: test_persistence.py EMBER_SERVER --redis REDIS_SERVER [--check-rdb REDIS_CHECK_RDB]
       test_persistence.py EMBER_SERVER --no-redis      (reports SKIP)
Exit status 0 on success or SKIP, 1 on failure.
"""

import argparse
import hashlib
import os
import random
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import (LOADING, ConnectionClosed, RespConnection, Server,  # noqa: E402
                     connect_asap, encode_command, frame_end, free_port, parse_reply)

try:
    import redis
except ImportError:  # pragma: no cover - Debian's python3 has python3-redis
    redis = None

if redis is not None:
    import test_rdb_codec as codec  # noqa: E402  (fill(), live_listing(), quote() ...)

SEED = 20261125
MISCONF = (b"-MISCONF Redis is configured to save RDB snapshots, but it's currently unable to "
           b"persist to disk. Commands that may modify the data set are disabled, because this "
           b"instance is configured to report errors during writes if RDB snapshotting fails "
           b"(stop-writes-on-bgsave-error option). Please check the Redis logs for details "
           b"about the RDB error.\r\n")
EXIT_TIMEOUT_S = 15
SAVE_TIMEOUT_S = 20

results = []
notes = []


def ok(name, cond, detail=""):
    results.append(bool(cond))
    print(("ok   " if cond else "FAIL ") + name + ("" if cond else f": {detail}"), flush=True)
    return cond


def note(text):
    notes.append(text)
    print("NOTE " + text, flush=True)


# --------------------------------------------------------------------------------------------
# Servers, replies, files
# --------------------------------------------------------------------------------------------

class Ctx:
    def __init__(self, args, work):
        self.ember = os.path.abspath(args.ember)
        self.redis = args.redis
        self.check_rdb = args.check_rdb
        self.work = work

    def dir(self, name):
        d = os.path.join(self.work, name)
        os.makedirs(d, exist_ok=True)
        return d

    def start_ember(self, d, *extra, timeout=20):
        # PING gets -LOADING while a dump loads, so the harness returns once it is in.
        return Server(self.ember, args=["--dir", d, *extra], name="ember-server").start(timeout)

    def start_redis(self, d, *extra, timeout=20):
        return Server(self.redis, args=["--dir", d, "--appendonly", "no", *extra],
                      name="redis-server").start(timeout)


def call(server, *args, timeout=10):
    with server.connect(timeout=timeout) as c:
        return c.call(*args)


def info(server, section="persistence"):
    reply = call(server, "INFO", section)
    return dict(line.decode().split(":", 1) for line in parse_reply(reply)[1].split(b"\r\n")
                if b":" in line)


def info_field(server, name, section="persistence"):
    fields = info(server, section)
    if name not in fields:
        raise AssertionError(f"INFO {section} has no {name}: {fields}")
    return fields[name]


def wait_bgsave_done(server, timeout=SAVE_TIMEOUT_S):
    """Bounded poll until INFO says no background save runs. Returns the INFO fields of that
    moment: as in Redis, the outcome (status, LASTSAVE, changes) must be final by then."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        fields = info(server)
        if fields["rdb_bgsave_in_progress"] == "0":
            return fields
        time.sleep(0.005)
    raise AssertionError(f"{server.name}: background save still running after {timeout}s")


def wait_exit(server, timeout=EXIT_TIMEOUT_S):
    try:
        return server.proc.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        raise AssertionError(f"{server.name} (pid {server.proc.pid}) did not exit within "
                             f"{timeout}s") from None


def shutdown(server, *args):
    """SHUTDOWN [args]: returns the error reply if the server refused, else its exit code."""
    with server.connect(timeout=EXIT_TIMEOUT_S) as c:
        c.send_command("SHUTDOWN", *args)
        try:
            return c.read_reply()
        except (ConnectionClosed, ConnectionResetError):
            pass
    return wait_exit(server)


def sigterm(server):
    server.proc.send_signal(signal.SIGTERM)
    return wait_exit(server)


def digest(path):
    if not os.path.exists(path):
        return None
    with open(path, "rb") as f:
        return hashlib.sha256(f.read()).hexdigest(), os.stat(path).st_mtime_ns


def pipeline(port, commands, timeout=60):
    """Sends every command over one connection and returns the raw replies in order. A thread
    sends while this one reads, so neither socket buffer can fill up and stall the other."""
    payload = b"".join(encode_command(*c) for c in commands)
    sock = socket.create_connection(("127.0.0.1", port), timeout=timeout)
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    failed = []

    def send():
        try:
            sock.sendall(payload)
        except OSError as e:
            failed.append(e)

    sender = threading.Thread(target=send, daemon=True)
    sender.start()
    buf, pos, replies = bytearray(), 0, []
    deadline = time.monotonic() + timeout
    try:
        while len(replies) < len(commands):
            end = frame_end(buf, pos)
            if end is not None:
                replies.append(bytes(buf[pos:end]))
                pos = end
                continue
            if pos > (1 << 20):
                del buf[:pos]
                pos = 0
            if time.monotonic() > deadline:
                raise AssertionError(f"pipeline: {len(replies)} of {len(commands)} replies "
                                     f"after {timeout}s")
            sock.settimeout(max(0.1, deadline - time.monotonic()))
            chunk = sock.recv(1 << 20)
            if not chunk:
                raise AssertionError(f"pipeline: connection closed after {len(replies)} of "
                                     f"{len(commands)} replies ({failed})")
            buf += chunk
    finally:
        sender.join(timeout=5)
        sock.close()
    return replies


def errors_in(replies, commands, allowed=()):
    bad = [(c, r) for c, r in zip(commands, replies)
           if r.startswith(b"-") and not any(r.startswith(a) for a in allowed)]
    return bad[:3], len(bad)


def check_rdb(ctx, path):
    if not ctx.check_rdb:
        return True, "(no redis-check-rdb)"
    p = subprocess.run([ctx.check_rdb, path], capture_output=True, timeout=120)
    out = p.stdout.decode(errors="replace") + p.stderr.decode(errors="replace")
    return p.returncode == 0 and "RDB looks OK" in out, out[-1500:]


# --------------------------------------------------------------------------------------------
# The dataset of the round trips, listed key by key
# --------------------------------------------------------------------------------------------

listing = codec.live_listing


def same(actual, expected, what):
    if actual == expected:
        return ok(what, True)
    a, e = set(actual), set(expected)
    msg = [f"listings differ ({len(actual)} vs {len(expected)} keys)"]
    msg += ["  missing:    " + line[:300] for line in sorted(e - a)[:4]]
    msg += ["  unexpected: " + line[:300] for line in sorted(a - e)[:4]]
    return ok(what, False, "\n".join(msg))


def without_encoding(lines):
    out = []
    for line in lines:
        # "db key type enc expire value": the key is quoted, so split after it.
        db, rest = line.split(" ", 1)
        end = 1
        while rest[end] != '"':
            end += 2 if rest[end] == "\\" else 1
        key, tail = rest[:end + 1], rest[end + 2:]
        t, _enc, tail = tail.split(" ", 2)
        out.append(f"{db} {key} {t} {tail}")
    return out


def more_data(port):
    """Extra keys on top of codec.fill: collections with deadlines in other dbs."""
    r = redis.Redis(host="127.0.0.1", port=port)
    now_ms = int(time.time() * 1000)
    r.execute_command("SELECT", 5)
    r.rpush("l5", *[f"item{i}" for i in range(200)])
    r.sadd("s5", *[f"m{i}" for i in range(40)])
    r.zadd("z5", {f"m{i}": i / 3 for i in range(40)})
    r.hset("h5", mapping={f"f{i}": "x" * i for i in range(70)})
    r.set("big5", "0123456789" * 5000)
    for i, k in enumerate(["l5", "s5", "z5", "h5", "big5"]):
        r.pexpireat(k, now_ms + 86_400_000 + i)
    r.close()


def change_data(port, tag):
    """A few writes of every kind, so the next save has something new to hold."""
    r = redis.Redis(host="127.0.0.1", port=port)
    r.set(f"new:{tag}", tag)
    r.delete("s:float")
    r.incr("s:int8")
    r.lpush("l:small", tag)
    r.hset("h:many", f"new-{tag}", tag)
    r.sadd("set:i16", 31000 + len(tag))
    r.zincrby("z:many", 1.5, "m7")
    r.xadd("st:main", {"tag": tag})
    r.xreadgroup("g2", f"reader-{tag}", {"st:main": ">"}, count=1)
    r.execute_command("SELECT", 7)
    r.set(f"db7:{tag}", "x", px=7_200_000)
    r.close()


# --------------------------------------------------------------------------------------------
# 1. Round trips
# --------------------------------------------------------------------------------------------

def scenario_round_trips(ctx):
    d = ctx.dir("roundtrip")
    dump = os.path.join(d, "dump.rdb")

    # SAVE, restart. LASTSAVE advances; a key that expires while the server is down is dropped.
    s = ctx.start_ember(d, "--save", "")
    try:
        lastsave0 = int(parse_reply(call(s, "LASTSAVE"))[1])
        codec.fill(s.port)
        more_data(s.port)
        expected = listing(s.port)
        ok("round trip: dataset filled", len(expected) > 60, f"{len(expected)} keys")
        # LASTSAVE has a resolution of seconds: wait (bounded) for the next one.
        for _ in range(300):
            if int(parse_reply(call(s, "TIME"))[1][0][1]) > lastsave0:
                break
            time.sleep(0.01)
        short_deadline = int(time.time() * 1000) + 300
        eq_ok = call(s, "SET", "short-lived", "x", "PXAT", short_deadline) == b"+OK\r\n"
        ok("SAVE replies +OK", call(s, "SAVE") == b"+OK\r\n")
        lastsave1 = int(parse_reply(call(s, "LASTSAVE"))[1])
        ok("LASTSAVE advances after SAVE", lastsave1 > lastsave0, f"{lastsave0} -> {lastsave1}")
        ok("SAVE leaves rdb_changes_since_last_save at 0",
           info_field(s, "rdb_changes_since_last_save") == "0")
        ok("rdb_last_save_time is LASTSAVE", info_field(s, "rdb_last_save_time") == str(lastsave1))
        ok("short-lived key set", eq_ok)
    finally:
        s.stop()  # SIGTERM without save rules: saves nothing
    while time.time() * 1000 < short_deadline + 50:  # bounded: at most ~0.35 s
        time.sleep(0.02)
    ok("dump.rdb written by SAVE", os.path.exists(dump))
    before = digest(dump)

    s = ctx.start_ember(d, "--save", "")
    try:
        same(listing(s.port), expected, "SAVE + restart: every key, type, encoding, TTL, value")
        ok("keys past their deadline are dropped on load",
           info_field(s, "rdb_last_load_keys_expired") == "1" and
           info_field(s, "rdb_last_load_keys_loaded") == str(len(expected)),
           f"loaded {info_field(s, 'rdb_last_load_keys_loaded')}, expired "
           f"{info_field(s, 'rdb_last_load_keys_expired')}")
        ok("SIGTERM without save rules wrote nothing", digest(dump) == before)

        # BGSAVE, restart.
        change_data(s.port, "bgsave")
        expected = listing(s.port)
        ok("BGSAVE replies 'Background saving started'",
           call(s, "BGSAVE") == b"+Background saving started\r\n")
        lastsave = int(parse_reply(call(s, "LASTSAVE"))[1])
        done = wait_bgsave_done(s)
        ok("BGSAVE ends with rdb_last_bgsave_status:ok", done["rdb_last_bgsave_status"] == "ok",
           done)
        ok("once rdb_bgsave_in_progress:0, the save is accounted for (rdb_saves, "
           "rdb_changes_since_last_save:0, rdb_last_save_time)",
           done["rdb_changes_since_last_save"] == "0" and done["rdb_saves"] == "1" and
           int(done["rdb_last_save_time"]) >= lastsave, done)
    finally:
        s.stop()
    shutil.copy(dump, os.path.join(ctx.dir("interop"), "ember.rdb"))
    ember_dataset = expected

    # SHUTDOWN with the default save rules.
    s = ctx.start_ember(d)
    try:
        same(listing(s.port), expected, "BGSAVE + restart: same dataset")
        ok("the default save rules", parse_reply(call(s, "CONFIG", "GET", "save"))[1][1][1] ==
           b"3600 1 300 100 60 10000")
        change_data(s.port, "shutdown")
        expected = listing(s.port)
        ok("SHUTDOWN with save rules exits 0", shutdown(s) == 0)
    finally:
        s.stop()

    # SHUTDOWN SAVE without rules.
    s = ctx.start_ember(d, "--save", "")
    try:
        same(listing(s.port), expected, "SHUTDOWN (default rules) + restart: same dataset")
        change_data(s.port, "shutdown-save")
        expected = listing(s.port)
        ok("SHUTDOWN SAVE with --save '' exits 0", shutdown(s, "SAVE") == 0)
    finally:
        s.stop()

    # SHUTDOWN NOSAVE with rules: the dump stays as it was.
    s = ctx.start_ember(d)
    try:
        same(listing(s.port), expected, "SHUTDOWN SAVE + restart: same dataset")
        before = digest(dump)
        change_data(s.port, "nosave")
        ok("SHUTDOWN NOSAVE exits 0", shutdown(s, "NOSAVE") == 0)
        ok("SHUTDOWN NOSAVE wrote nothing", digest(dump) == before)
    finally:
        s.stop()

    # SIGTERM with rules: a final save.
    s = ctx.start_ember(d)
    try:
        same(listing(s.port), expected, "SHUTDOWN NOSAVE + restart: the older dataset")
        change_data(s.port, "sigterm")
        expected = listing(s.port)
        ok("SIGTERM with save rules exits 0", sigterm(s) == 0)
        ok("SIGTERM logged the final save", "Saving the final RDB snapshot" in s.log_tail(),
           s.log_tail())
    finally:
        s.stop()

    # SIGTERM without rules: nothing. Then FLUSHALL with rules saves the empty dataset.
    s = ctx.start_ember(d, "--save", "")
    try:
        same(listing(s.port), expected, "SIGTERM (save rules) + restart: same dataset")
        before = digest(dump)
        change_data(s.port, "sigterm-norules")
        ok("SIGTERM without rules exits 0", sigterm(s) == 0)
        ok("SIGTERM without rules wrote nothing", digest(dump) == before)
    finally:
        s.stop()
    s = ctx.start_ember(d)
    try:
        ok("FLUSHALL with save rules", call(s, "FLUSHALL") == b"+OK\r\n")
        ok("SHUTDOWN NOSAVE after FLUSHALL", shutdown(s, "NOSAVE") == 0)
    finally:
        s.stop()
    s = ctx.start_ember(d, "--save", "")
    try:
        ok("FLUSHALL with rules saved the empty dataset", listing(s.port) == [])
    finally:
        s.stop()
    return ember_dataset


# --------------------------------------------------------------------------------------------
# 2. Interop with redis-server 7.0
# --------------------------------------------------------------------------------------------

def scenario_interop(ctx, ember_dataset):
    d = ctx.dir("interop")
    path = os.path.join(d, "ember.rdb")
    good, out = check_rdb(ctx, path)
    ok("redis-check-rdb accepts Ember's dump", good, out)
    r = ctx.start_redis(d, "--save", "", "--dbfilename", "ember.rdb")
    try:
        same(listing(r.port, encodings=False), without_encoding(ember_dataset),
             "redis-server on Ember's dump: same dataset")
    finally:
        r.stop()

    # Redis's dump into Ember.
    rd = ctx.dir("from-redis")
    r = ctx.start_redis(rd, "--save", "", "--maxmemory-policy", "allkeys-lru")
    try:
        codec.fill(r.port)
        more_data(r.port)
        expected = listing(r.port)
        ok("redis-server SAVE", call(r, "SAVE") == b"+OK\r\n")
    finally:
        r.stop()
    s = ctx.start_ember(rd, "--save", "")
    try:
        actual = listing(s.port)
        if actual != expected and without_encoding(actual) == without_encoding(expected):
            diff = [(a, e) for a, e in zip(actual, expected) if a != e]
            ok("Redis's dump in Ember: same encodings", False,
               f"{len(diff)} keys differ only in OBJECT ENCODING, e.g. ember "
               f"{diff[0][0][:120]} / redis {diff[0][1][:120]}")
        else:
            same(actual, expected, "Ember on Redis's dump: same dataset (with encodings)")
    finally:
        s.stop()


# --------------------------------------------------------------------------------------------
# 3. A point-in-time image while every key changes
# --------------------------------------------------------------------------------------------

N_STR = 200_000
N_INT = 5_000
N_COLL = 1_000
N_NEW = 100_000


def sval(i):
    return f"a{i:07d}"


def deadline(base_ms, i):
    return base_ms + 3_600_000 + i


def consistency_fill(base_ms):
    """Commands that build the dataset, and the expected content per db."""
    cmds = []
    for lo in range(0, N_STR, 1000):
        args = ["MSET"]
        for i in range(lo, min(N_STR, lo + 1000)):
            if i % 10 != 3:
                args += [f"s:{i}", sval(i)]
        cmds.append(args)
    cmds += [["SET", f"s:{i}", sval(i), "PXAT", deadline(base_ms, i)] for i in range(3, N_STR, 10)]
    ints = ["MSET"]
    for j in range(N_INT):
        ints += [f"c:{j}", j * 7]
    cmds.append(ints)
    for j in range(N_COLL):
        cmds.append(["RPUSH", f"l:{j}"] + [f"l{j}-{k}" for k in range(5)])
        cmds.append(["HSET", f"h:{j}"] + [x for k in range(4) for x in (f"f{k}", f"v{j}-{k}")])
    for j in range(100):
        cmds.append(["SADD", f"set:{j}"] + [f"m{k}" for k in range(20)])
        cmds.append(["ZADD", f"z:{j}"] + [x for k in range(20)
                                           for x in (str(k * 1.5), f"m{k}")])
    for k in range(300):
        cmds.append(["XADD", "stream", f"{1000 + k}-1", "n", k])
    cmds += [["XGROUP", "CREATE", "stream", "g", "0"],
             ["XREADGROUP", "GROUP", "g", "c1", "COUNT", 50, "STREAMS", "stream", ">"]]
    for db, n, kind in ((1, 5000, "str"), (2, 3000, "str"), (3, 2000, "hash")):
        cmds.append(["SELECT", db])
        if kind == "str":
            for lo in range(0, n, 1000):
                cmds.append(["MSET"] + [x for i in range(lo, min(n, lo + 1000))
                                        for x in (f"d{db}:{i}", f"db{db}-{i}")])
        else:
            cmds += [["HSET", f"d{db}:{i}", "x", i] for i in range(n)]
    cmds.append(["SELECT", 0])
    counts = {0: N_STR + N_INT + 2 * N_COLL + 200 + 1, 1: 5000, 2: 3000, 3: 2000}
    return cmds, counts


def consistency_writes(rng):
    """The pipeline sent right after BGSAVE: changes every key of the dataset. Returns the
    commands and the db sizes they leave (a sanity check of the live server)."""
    groups = []  # shuffled as units: commands of a group stay in order
    removed = moved = 0
    for i in range(N_STR):
        k = f"s:{i}"
        op = rng.randrange(12)
        if op == 0:
            groups.append([["SET", k, f"b{i:07d}"]])  # same size: overwritten in place
        elif op == 1:
            groups.append([["SETRANGE", k, 0, "Z"]])  # in place
        elif op == 2:
            groups.append([["APPEND", k, "-appended-and-now-much-longer"]])
        elif op == 3:
            groups.append([["DEL", k]])
            removed += 1
        elif op == 4:
            groups.append([["PERSIST", k] if i % 10 == 3 else ["EXPIRE", k, 5000]])
        elif op == 5:
            groups.append([["RENAME", k, f"{k}:renamed"]])
        elif op == 6:
            groups.append([["MOVE", k, 4]])
            moved += 1
        elif op == 7:
            groups.append([["GETDEL", k]])
            removed += 1
        elif op == 8:
            groups.append([["DEL", k], ["SET", k, "recreated"]])
        elif op == 9:
            groups.append([["SET", k, "with-ttl", "EX", 100]])
        elif op == 10:
            groups.append([["GET", k]])
        else:
            groups.append([["SET", k, "x" * 100]])  # no longer fits: a new allocation
    new = 0
    for n in range(N_NEW):
        if n % 7 == 0:
            groups.append([["SET", f"n:{n}", n], ["DEL", f"n:{n}"]])  # born and gone
        else:
            groups.append([["SET", f"n:{n}", n]])
            new += 1
    for j in range(N_INT):
        groups.append([["INCRBY", f"c:{j}", 5]])
    for j in range(N_COLL):
        groups.append([["LPUSH", f"l:{j}", "pushed"], ["RPOP", f"l:{j}"],
                       ["LSET", f"l:{j}", 1, "set"]])
        groups.append([["HSET", f"h:{j}", "new", "1"], ["HDEL", f"h:{j}", "f0"]])
    for j in range(100):
        groups.append([["SADD", f"set:{j}", "extra"], ["SREM", f"set:{j}", "m3"]])
        groups.append([["ZINCRBY", f"z:{j}", 100, "m1"], ["ZREM", f"z:{j}", "m2"]])
    for k in range(50):
        groups.append([["XADD", "stream", "*", "later", k]])
    groups.append([["XREADGROUP", "GROUP", "g", "c2", "COUNT", 20, "STREAMS", "stream", ">"],
                   ["XACK", "stream", "g", "1000-1", "1001-1"],
                   ["XTRIM", "stream", "MAXLEN", 100]])
    rng.shuffle(groups)
    # Whole-db operations early, while the save is still in db 0 (it walks the dbs in order).
    at = len(groups)
    groups.insert(at // 20, [["SELECT", 1], ["FLUSHDB"], ["SELECT", 0]])
    groups.insert(at // 10, [["SWAPDB", 2, 3]])
    # INFO now and then shows how far the save had got.
    out = []
    for n, group in enumerate(groups):
        if n % 2000 == 0:
            out.append(["INFO", "persistence"])
        out += group
    out.append(["INFO", "persistence"])
    live = {0: N_STR + N_INT + 2 * N_COLL + 201 - removed - moved + new, 1: 0, 2: 2000, 3: 3000,
            4: moved}
    return out, live


def dbsizes(port):
    cmds = []
    for db in range(16):
        cmds += [["SELECT", db], ["DBSIZE"]]
    replies = pipeline(port, cmds)
    return {db: int(replies[2 * db + 1][1:-2]) for db in range(16)}


def verify_point_in_time(port, base_ms, counts, stream_before):
    """The loaded dump holds exactly the dataset as it was when BGSAVE ran."""
    problems = []

    def expect(what, actual, expected):
        if actual != expected and len(problems) < 8:
            problems.append(f"{what}: expected {expected!r}, got {actual!r}")

    sizes = dbsizes(port)
    for db in range(16):
        expect(f"DBSIZE of db {db}", sizes[db], counts.get(db, 0))
    cmds = [["MGET"] + [f"s:{i}" for i in range(lo, min(N_STR, lo + 1000))]
            for lo in range(0, N_STR, 1000)]
    cmds += [["PEXPIRETIME", f"s:{i}"] for i in range(N_STR)]
    cmds += [["MGET"] + [f"c:{j}" for j in range(N_INT)]]
    cmds += [["LRANGE", f"l:{j}", 0, -1] for j in range(N_COLL)]
    cmds += [["HGETALL", f"h:{j}"] for j in range(N_COLL)]
    cmds += [["SMEMBERS", f"set:{j}"] for j in range(100)]
    cmds += [["ZRANGE", f"z:{j}", 0, -1, "WITHSCORES"] for j in range(100)]
    cmds += [["SELECT", 1], ["MGET"] + [f"d1:{i}" for i in range(5000)],
             ["SELECT", 2], ["MGET"] + [f"d2:{i}" for i in range(3000)], ["SELECT", 3]]
    cmds += [["HGET", f"d3:{i}", "x"] for i in range(2000)]
    replies = iter(pipeline(port, cmds))

    def values(reply):
        return [v for _, v in parse_reply(reply)[1]]

    for lo in range(0, N_STR, 1000):
        got = values(next(replies))
        for i, v in zip(range(lo, lo + 1000), got):
            expect(f"s:{i}", v, sval(i).encode())
    for i in range(N_STR):
        expect(f"PEXPIRETIME s:{i}", int(next(replies)[1:-2]),
               deadline(base_ms, i) if i % 10 == 3 else -1)
    for j, v in enumerate(values(next(replies))):
        expect(f"c:{j}", v, str(j * 7).encode())
    for j in range(N_COLL):
        expect(f"l:{j}", values(next(replies)), [f"l{j}-{k}".encode() for k in range(5)])
    for j in range(N_COLL):
        flat = values(next(replies))
        expect(f"h:{j}", dict(zip(flat[::2], flat[1::2])),
               {f"f{k}".encode(): f"v{j}-{k}".encode() for k in range(4)})
    for j in range(100):
        expect(f"set:{j}", sorted(values(next(replies))), sorted(f"m{k}".encode()
                                                               for k in range(20)))
    for j in range(100):
        flat = values(next(replies))
        expect(f"z:{j}", [(m, float(s)) for m, s in zip(flat[::2], flat[1::2])],
               [(f"m{k}".encode(), k * 1.5) for k in range(20)])
    next(replies)
    for i, v in enumerate(values(next(replies))):
        expect(f"db1 d1:{i}", v, f"db1-{i}".encode())
    next(replies)
    for i, v in enumerate(values(next(replies))):
        expect(f"db2 d2:{i}", v, f"db2-{i}".encode())
    next(replies)
    for i in range(2000):
        expect(f"db3 d3:{i}", next(replies), b"$%d\r\n%d\r\n" % (len(str(i)), i))
    r = codec.raw_client(port)
    try:
        expect("stream (XINFO STREAM FULL)", codec.stream_text(r, "stream"), stream_before)
    finally:
        r.close()
    return problems


def scenario_point_in_time(ctx):
    d = ctx.dir("pit")
    rng = random.Random(SEED)
    base_ms = int(time.time() * 1000)
    fill_cmds, counts = consistency_fill(base_ms)
    writes, live_counts = consistency_writes(rng)
    s = ctx.start_ember(d, "--save", "")
    try:
        replies = pipeline(s.port, fill_cmds)
        bad, n = errors_in(replies, fill_cmds)
        ok("point in time: dataset filled", n == 0, f"{n} errors, e.g. {bad}")
        r = codec.raw_client(s.port)
        stream_before = codec.stream_text(r, "stream")
        r.close()
        ok("point in time: DBSIZE before BGSAVE", dbsizes(s.port) == {db: counts.get(db, 0)
                                                                     for db in range(16)})
        # BGSAVE and the writes in one pipeline: everything after BGSAVE comes after the
        # snapshot's point in time, however the save's slices interleave with it.
        started = time.monotonic()
        replies = pipeline(s.port, [["BGSAVE"]] + writes, timeout=120)
        write_s = time.monotonic() - started
        ok("point in time: BGSAVE started", replies[0] == b"+Background saving started\r\n",
           replies[0])
        bad, n = errors_in(replies[1:], writes)
        ok("point in time: every write succeeded", n == 0, f"{n} errors, e.g. {bad}")
        during = last_during = 0
        for k, (cmd, reply) in enumerate(zip(writes, replies[1:])):
            if cmd[0] == "INFO" and b"rdb_bgsave_in_progress:1" in reply:
                during += 1
                last_during = k
        status = wait_bgsave_done(s)["rdb_last_bgsave_status"]
        ok("point in time: BGSAVE status ok", status == "ok", status)
        ok("point in time: the live dataset took the writes", dbsizes(s.port) ==
           {db: live_counts.get(db, 0) for db in range(16)}, dbsizes(s.port))
        whole_db = [k for k, cmd in enumerate(writes) if cmd[0] in ("FLUSHDB", "SWAPDB")]
        print(f"     {len(writes)} commands in {write_s:.2f}s; the save was still running at "
              f"{during} of the INFO probes, i.e. over the first {last_during} commands "
              f"(FLUSHDB, SWAPDB at {whole_db[0]}, {whole_db[1]})", flush=True)
        if during == 0:
            note("point in time: the save ended before the first write ran (machine too fast "
                 "or the save too short): the dump was checked, but not under overlap")
        else:
            ok("point in time: writes ran while the snapshot was in progress", last_during > 0)
    finally:
        s.stop()
    dump = os.path.join(d, "dump.rdb")
    vd = ctx.dir("pit-load")
    shutil.copy(dump, os.path.join(vd, "dump.rdb"))
    s = ctx.start_ember(vd, "--save", "")
    try:
        total = sum(counts.values())
        ok("point in time: no key saved twice (rdb_last_load_keys_loaded == keys)",
           info_field(s, "rdb_last_load_keys_loaded") == str(total),
           f"{info_field(s, 'rdb_last_load_keys_loaded')} loaded, {total} expected")
        problems = verify_point_in_time(s.port, base_ms, counts, stream_before)
        ok("point in time: the dump holds exactly the state at BGSAVE (every key, value, "
           "deadline)", not problems, "\n  ".join(problems))
    finally:
        s.stop()
    good, out = check_rdb(ctx, dump)
    ok("point in time: redis-check-rdb accepts the dump", good, out)
    # redis-server panics on a key saved twice; it must see the same db sizes.
    r = ctx.start_redis(vd, "--save", "")
    try:
        ok("point in time: redis-server loads it with the same db sizes",
           dbsizes(r.port) == {db: counts.get(db, 0) for db in range(16)}, dbsizes(r.port))
    finally:
        r.stop()
    return dump


# --------------------------------------------------------------------------------------------
# 4. Failures
# --------------------------------------------------------------------------------------------

def misconf_sequence(server, d):
    """The same steps on ember and redis; returns the replies to compare."""
    out = {}
    c = server.connect()
    try:
        out["set before"] = c.call("SET", "k", "v")
        blocker = os.path.join(d, "dump.rdb")
        os.mkdir(blocker)  # rename() onto a directory fails, even for root
        out["save"] = c.call("SAVE")
        out["set after failed SAVE"] = c.call("SET", "k", "v2")
        out["bgsave"] = c.call("BGSAVE")
        out["status"] = wait_bgsave_done(server)["rdb_last_bgsave_status"]
        out["set"] = c.call("SET", "k", "v3")
        out["ping"] = c.call("PING")
        out["get"] = c.call("GET", "k")
        out["shutdown"] = c.call("SHUTDOWN")
        out["config set stop-writes no"] = c.call("CONFIG", "SET",
                                                  "stop-writes-on-bgsave-error", "no")
        out["set (stop-writes no)"] = c.call("SET", "k", "v4")
        c.call("CONFIG", "SET", "stop-writes-on-bgsave-error", "yes")
        out["set (stop-writes yes)"] = c.call("SET", "k", "v5")
        os.rmdir(blocker)
        out["bgsave after fix"] = c.call("BGSAVE")
        out["status after fix"] = wait_bgsave_done(server)["rdb_last_bgsave_status"]
        out["set after fix"] = c.call("SET", "k", "v6")
        out["ping after fix"] = c.call("PING")
    finally:
        c.close()
    return out


def scenario_failures(ctx, big_dump):
    seqs = {}
    for name in ("ember", "redis"):
        d = ctx.dir(f"misconf-{name}")
        start = ctx.start_ember if name == "ember" else ctx.start_redis
        s = start(d, "--save", "3600 1")
        try:
            seqs[name] = misconf_sequence(s, d)
            if name == "ember":
                ok("a failed save is in the log", "Is a directory" in s.log_tail(),
                   s.log_tail())
        finally:
            s.stop()
    e, r = seqs["ember"], seqs["redis"]
    ok("failed BGSAVE: rdb_last_bgsave_status:err", e["status"] == "err", e["status"])
    ok("failed BGSAVE: SET gets Redis's exact -MISCONF", e["set"] == MISCONF, e["set"])
    for step in r:
        ok(f"misconf vs redis-server: {step}", e[step] == r[step],
           f"ember {e[step]!r}, redis {r[step]!r}")

    # `dir` removed under the server.
    d = ctx.dir("gone")
    s = ctx.start_ember(d, "--save", "3600 1")
    try:
        call(s, "SET", "k", "v")
        os.rmdir(d)
        reply = call(s, "BGSAVE")
        if reply != b"+Background saving started\r\n":
            note(f"dir removed: Ember's BGSAVE replies {reply!r} at once; redis-server replies "
                 f"'+Background saving started' and its child fails")
        status = wait_bgsave_done(s)["rdb_last_bgsave_status"]
        ok("dir removed: rdb_last_bgsave_status:err", status == "err", status)
        ok("dir removed: SET gets -MISCONF", call(s, "SET", "k", "v2") == MISCONF)
        os.mkdir(d)
        call(s, "BGSAVE")
        status = wait_bgsave_done(s)["rdb_last_bgsave_status"]
        ok("dir back: the next BGSAVE succeeds", status == "ok", status)
        ok("dir back: writes accepted", call(s, "SET", "k", "v3") == b"+OK\r\n")
    finally:
        s.stop()

    # Bad dumps: Ember must refuse to start, and say why.
    with open(big_dump, "rb") as f:
        data = f.read()
    marker = data.find(b"a0100000")  # the value of s:100000, stored as it is
    cases = {
        "flipped bytes in the middle": (data[:len(data) // 2] +
                                        bytes(b ^ 0x5A for b in data[len(data) // 2:
                                                                       len(data) // 2 + 16]) +
                                        data[len(data) // 2 + 16:], None),
        "a flipped byte in a value (only the CRC sees it)":
            (data[:marker + 3] + b"X" + data[marker + 4:], "checksum"),
        "truncated in the middle": (data[:len(data) // 2], None),
        "truncated before the CRC": (data[:-4], None),
        "only the header": (data[:9], None),
        "empty": (b"", None),
    }
    ok("the value to corrupt is in the dump", marker > 0)
    for n, (name, (content, must_say)) in enumerate(cases.items()):
        d = ctx.dir(f"bad-{n}")
        with open(os.path.join(d, "dump.rdb"), "wb") as f:
            f.write(content)
        rc, log = run_to_exit(ctx.ember, d)
        named = any(w in log for w in ("checksum", "unexpected end of file", "Short read",
                                       "corrupt", "bad", "unknown", "invalid", "Wrong"))
        ok(f"bad dump ({name}): Ember exits non-zero", rc not in (0, None), f"rc={rc}\n{log}")
        ok(f"bad dump ({name}): the log names the problem",
           named and (must_say is None or must_say in log.lower()), log[-600:])


def run_to_exit(binary, d, timeout=EXIT_TIMEOUT_S):
    """Starts a server that is expected to stop on its own; returns (exit code, log)."""
    log_path = os.path.join(d, "server.log")
    with open(log_path, "wb") as log:
        p = subprocess.Popen([binary, "--port", str(free_port()), "--save", "", "--dir", d],
                             cwd=d, stdin=subprocess.DEVNULL, stdout=log,
                             stderr=subprocess.STDOUT)
        try:
            rc = p.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            p.kill()
            p.wait(timeout=5)
            rc = None
    with open(log_path, "rb") as f:
        return rc, f.read().decode(errors="replace")


# --------------------------------------------------------------------------------------------
# 5. -LOADING while a large dump loads
# --------------------------------------------------------------------------------------------

LOAD_KEYS = 1_500_000


def startup_probe(ctx, d, tries):
    """Starts Ember on a small dump `tries` times; a client connecting at once sends GET and
    DBSIZE. Returns the replies that were neither -LOADING nor the loaded data."""
    wrong = []
    for _ in range(tries):
        port = free_port()
        p = subprocess.Popen([ctx.ember, "--port", str(port), "--save", "", "--dir", d], cwd=d,
                             stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                             stderr=subprocess.STDOUT)
        try:
            conn = connect_asap(port, p)
            if conn is None:
                wrong.append(f"no connection (exit {p.poll()})")
                continue
            with conn:
                conn.send(encode_command("GET", "probe") + encode_command("DBSIZE"))
                got, size = conn.read_reply(), conn.read_reply()
            if not ((got == LOADING or got == b"$4\r\nhere\r\n") and
                    (size == LOADING or size == b":1001\r\n")):
                wrong.append(f"GET probe -> {got!r}, DBSIZE -> {size!r}")
        finally:
            p.send_signal(signal.SIGTERM)
            try:
                p.wait(timeout=EXIT_TIMEOUT_S)
            except subprocess.TimeoutExpired:
                p.kill()
                p.wait(timeout=5)
    return wrong


def scenario_loading(ctx):
    # A client that connects the moment the port opens must never see the dataset before the
    # dump is in (an empty db, or its writes overwritten by the loader).
    d = ctx.dir("startup-race")
    s = ctx.start_ember(d, "--save", "")
    try:
        pipeline(s.port, [["SET", f"k{i}", "v"] for i in range(1000)] + [["SET", "probe", "here"],
                                                                          ["SAVE"]])
    finally:
        s.stop()
    tries = 15
    wrong = startup_probe(ctx, d, tries)
    ok("loading: a client connecting at once never sees the dataset before the dump is loaded",
       not wrong, f"{len(wrong)} of {tries} starts, e.g. {wrong[:2]}")

    d = ctx.dir("loading")
    r = ctx.start_redis(d, "--save", "", "--enable-debug-command", "yes")
    try:
        with r.connect(timeout=60) as c:
            ok("DEBUG POPULATE on redis-server", c.call("DEBUG", "POPULATE", LOAD_KEYS) ==
               b"+OK\r\n")
            ok("redis-server SAVE", c.call("SAVE", timeout=60) == b"+OK\r\n")
    finally:
        r.stop()
    port = free_port()
    log_path = os.path.join(d, "ember.log")
    log = open(log_path, "wb")
    p = subprocess.Popen([ctx.ember, "--port", str(port), "--save", "", "--dir", d], cwd=d,
                         stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT)
    started = time.monotonic()
    try:
        conn = connect_asap(port, p)
        if not ok("loading: a client connects", conn is not None, f"exit {p.poll()}"):
            return
        with conn:
            conn.send(encode_command("GET", "key:1") + encode_command("INFO", "persistence") +
                      encode_command("DBSIZE"))
            first, info, size = conn.read_reply(), conn.read_reply(), conn.read_reply()
            if first == LOADING:
                ok("loading: GET right after start gets -LOADING", True)
                # INFO and DBSIZE ran just after the GET: the load may have ended in between.
                ok("loading: INFO persistence says loading:1 meanwhile",
                   b"\r\nloading:1\r\n" in info or size == b":%d\r\n" % LOAD_KEYS,
                   info[:200])
                ok("loading: DBSIZE gets -LOADING meanwhile",
                   size in (LOADING, b":%d\r\n" % LOAD_KEYS), size)
            elif first == b"$7\r\nvalue:1\r\n":
                note("loading: the dump was loaded before the first probe; -LOADING not seen")
            else:
                ok("loading: the first GET sees -LOADING or the loaded value, never an empty "
                   "dataset", False, f"GET key:1 -> {first!r}, DBSIZE -> {size!r} "
                   f"{time.monotonic() - started:.3f}s after start")
            deadline = time.monotonic() + 60
            reply = first
            while reply != b"$7\r\nvalue:1\r\n" and time.monotonic() < deadline:
                time.sleep(0.01)
                reply = conn.call("GET", "key:1")
            load_s = time.monotonic() - started
            ok("loading: GET answers once loaded", reply == b"$7\r\nvalue:1\r\n", reply)
            ok("loading: every key loaded", conn.call("DBSIZE") == b":%d\r\n" % LOAD_KEYS)
            sample = random.Random(SEED).sample(range(LOAD_KEYS), 1000)
            got = parse_reply(conn.call("MGET", *[f"key:{i}" for i in sample]))
            ok("loading: a sample of values", got[0] == b"*" and [v for _, v in got[1]] ==
               [f"value:{i}".encode() for i in sample], str(got)[:200])
            info = conn.call("INFO", "persistence")
            ok("loading: loading:0 afterwards", b"loading:0\r\n" in info)
            print(f"     {LOAD_KEYS} keys loaded in about {load_s:.2f}s", flush=True)
    finally:
        if p.poll() is None:
            p.send_signal(signal.SIGTERM)
            try:
                p.wait(timeout=EXIT_TIMEOUT_S)
            except subprocess.TimeoutExpired:
                p.kill()
                p.wait(timeout=5)
        log.close()


# --------------------------------------------------------------------------------------------
# 6. SAVE / BGSAVE / LASTSAVE replies next to redis-server's
# --------------------------------------------------------------------------------------------

def bgsave_sequence(server):
    # Enough keys that the save outlives the pipelined commands after it.
    pipeline(server.port, [["MSET"] + [x for i in range(lo, lo + 1000)
                                       for x in (f"k{i}", "v" * 20)]
                           for lo in range(0, 100_000, 1000)])
    saves0 = int(info_field(server, "rdb_saves"))
    out = {}
    replies = pipeline(server.port, [["BGSAVE"], ["BGSAVE"], ["SAVE"], ["BGSAVE", "x"],
                                     ["BGSAVE", "SCHEDULE", "x"], ["SAVE", "x"],
                                     ["LASTSAVE", "x"], ["BGSAVE", "SCHEDULE"]])
    for name, reply in zip(["bgsave", "bgsave while one runs", "save while one runs",
                            "bgsave x", "bgsave schedule x", "save x", "lastsave x"], replies):
        out[name] = reply
    out["schedule while one runs"] = replies[-1]
    wait_bgsave_done(server)
    if replies[-1] == b"+Background saving scheduled\r\n":
        # The scheduled save starts from the cron: bounded wait for it to end.
        deadline = time.monotonic() + SAVE_TIMEOUT_S
        while int(info_field(server, "rdb_saves")) < saves0 + 2 and time.monotonic() < deadline:
            time.sleep(0.02)
        wait_bgsave_done(server)
    out["saves"] = int(info_field(server, "rdb_saves")) - saves0
    with server.connect() as c:
        out["multi"] = c.call("MULTI")
        out["bgsave in multi"] = c.call("BGSAVE")
        out["exec"] = c.call("EXEC")
    wait_bgsave_done(server)
    return out


def scenario_bgsave_replies(ctx):
    seqs = {}
    for name in ("ember", "redis"):
        d = ctx.dir(f"replies-{name}")
        start = ctx.start_ember if name == "ember" else ctx.start_redis
        s = start(d, "--save", "")
        try:
            seqs[name] = bgsave_sequence(s)
        finally:
            s.stop()
    e, r = seqs["ember"], seqs["redis"]
    for step in ("bgsave", "bgsave while one runs", "save while one runs", "bgsave x",
                 "bgsave schedule x", "save x", "lastsave x", "multi", "bgsave in multi"):
        if step == "bgsave in multi":
            if e["exec"] != r["exec"]:
                note(f"BGSAVE inside MULTI: Ember's EXEC replies {e['exec']!r}, redis-server's "
                     f"{r['exec']!r}")
            continue
        ok(f"BGSAVE replies vs redis-server: {step}", e[step] == r[step],
           f"ember {e[step]!r}, redis {r[step]!r}")
    if e["schedule while one runs"] == b"+Background saving scheduled\r\n":
        ok("BGSAVE SCHEDULE while one runs: the scheduled save runs after it", e["saves"] == 2,
           f"{e['saves']} saves")
        if r["schedule while one runs"] != e["schedule while one runs"]:
            note(f"BGSAVE SCHEDULE while a BGSAVE runs: Ember schedules it, redis-server 7.0 "
                 f"replies {r['schedule while one runs']!r}")
    else:
        ok("BGSAVE SCHEDULE while one runs", e["schedule while one runs"] ==
           r["schedule while one runs"], f"ember {e['schedule while one runs']!r}")


# --------------------------------------------------------------------------------------------
# 7. Save rules, rdbcompression/rdbchecksum off, SHUTDOWN and FLUSHALL during a BGSAVE
# --------------------------------------------------------------------------------------------

def temp_files(d):
    return sorted(f for f in os.listdir(d) if f.startswith("temp"))


def fill_keys(server, n, prefix="k"):
    pipeline(server.port, [["MSET"] + [x for i in range(lo, min(n, lo + 1000))
                                       for x in (f"{prefix}{i}", "v" * 20)]
                           for lo in range(0, n, 1000)])


def scenario_rules_and_options(ctx):
    # A save rule fires on its own: `save 1 1` saves within about a second of a change.
    d = ctx.dir("rule")
    s = ctx.start_ember(d, "--save", "1 1")
    try:
        call(s, "SET", "k", "v")
        deadline = time.monotonic() + 10
        while info_field(s, "rdb_saves") == "0" and time.monotonic() < deadline:
            time.sleep(0.05)
        fields = wait_bgsave_done(s)
        ok("save rule '1 1' runs a BGSAVE by itself", fields["rdb_saves"] != "0" and
           fields["rdb_changes_since_last_save"] == "0" and
           os.path.exists(os.path.join(d, "dump.rdb")), fields)
    finally:
        s.stop()

    # rdbcompression no, rdbchecksum no: Redis and Ember still read the dump.
    d = ctx.dir("plain")
    s = ctx.start_ember(d, "--save", "", "--rdbcompression", "no", "--rdbchecksum", "no")
    try:
        codec.fill(s.port)
        expected = listing(s.port)
        ok("SAVE with rdbcompression no, rdbchecksum no", call(s, "SAVE") == b"+OK\r\n")
    finally:
        s.stop()
    path = os.path.join(d, "dump.rdb")
    with open(path, "rb") as f:
        data = f.read()
    ok("rdbchecksum no writes a zero CRC", data[-8:] == b"\0" * 8, data[-8:])
    ok("rdbcompression no: the compressible string is stored as is",
       b"ab" * 15 + b"c" * 2000 in data)
    good, out = check_rdb(ctx, path)
    ok("redis-check-rdb accepts it", good, out)
    r = ctx.start_redis(d, "--save", "")
    try:
        same(listing(r.port, encodings=False), without_encoding(expected),
             "redis-server reads the uncompressed, unchecksummed dump")
    finally:
        r.stop()
    s = ctx.start_ember(d, "--save", "")
    try:
        same(listing(s.port), expected, "Ember reads it back")
    finally:
        s.stop()

    # SHUTDOWN while a BGSAVE runs: the background save is dropped and the final save holds
    # everything up to SHUTDOWN.
    d = ctx.dir("shutdown-during-bgsave")
    s = ctx.start_ember(d, "--save", "")
    try:
        fill_keys(s, 100_000)
        with s.connect(timeout=EXIT_TIMEOUT_S) as c:
            c.send(encode_command("BGSAVE") + encode_command("SET", "marker", "after") +
                   encode_command("SHUTDOWN", "SAVE"))
            first = [c.read_reply(), c.read_reply()]
            try:
                extra = c.read_reply()
            except (ConnectionClosed, ConnectionResetError):
                extra = None
        ok("SHUTDOWN SAVE during a BGSAVE", first == [b"+Background saving started\r\n",
                                                      b"+OK\r\n"] and extra is None,
           f"{first} {extra}")
        ok("SHUTDOWN SAVE during a BGSAVE exits 0", wait_exit(s) == 0)
    finally:
        s.stop()
    ok("no temp file left behind", temp_files(d) == [], temp_files(d))
    s = ctx.start_ember(d, "--save", "")
    try:
        ok("the final save holds the write made after BGSAVE",
           call(s, "GET", "marker") == b"$5\r\nafter\r\n" and
           call(s, "DBSIZE") == b":100001\r\n")
    finally:
        s.stop()

    # FLUSHALL while a BGSAVE runs, without rules: the save is dropped, the old dump stays,
    # nothing counts as a failure, and the next BGSAVE works.
    d = ctx.dir("flushall-during-bgsave")
    s = ctx.start_ember(d, "--save", "")
    try:
        call(s, "SET", "old", "1")
        ok("SAVE", call(s, "SAVE") == b"+OK\r\n")
        before = digest(os.path.join(d, "dump.rdb"))
        fill_keys(s, 100_000)
        replies = pipeline(s.port, [["BGSAVE"], ["FLUSHALL"], ["INFO", "persistence"]])
        ok("FLUSHALL during a BGSAVE", replies[:2] == [b"+Background saving started\r\n",
                                                        b"+OK\r\n"], replies[:2])
        fields = wait_bgsave_done(s)
        ok("FLUSHALL during a BGSAVE: no error, the old dump stays",
           fields["rdb_last_bgsave_status"] == "ok" and
           digest(os.path.join(d, "dump.rdb")) == before, fields)
        deadline = time.monotonic() + 5
        while temp_files(d) and time.monotonic() < deadline:
            time.sleep(0.02)
        ok("FLUSHALL during a BGSAVE: no temp file left behind", temp_files(d) == [],
           temp_files(d))
        call(s, "SET", "new", "1")
        reply = b""
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline:  # the dropped save's thread may still be ending
            reply = call(s, "BGSAVE")
            if reply == b"+Background saving started\r\n":
                break
            time.sleep(0.02)
        ok("the next BGSAVE starts", reply == b"+Background saving started\r\n", reply)
        ok("and succeeds", wait_bgsave_done(s)["rdb_last_bgsave_status"] == "ok")
    finally:
        s.stop()
    s = ctx.start_ember(d, "--save", "")
    try:
        ok("the dump after FLUSHALL + BGSAVE", call(s, "DBSIZE") == b":1\r\n" and
           call(s, "GET", "new") == b"$1\r\n1\r\n")
    finally:
        s.stop()


# --------------------------------------------------------------------------------------------

def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("ember")
    ap.add_argument("--redis")
    ap.add_argument("--check-rdb")
    ap.add_argument("--no-redis", action="store_true")
    ap.add_argument("--only", help="comma-separated scenario names")
    args = ap.parse_args()
    if args.no_redis or not args.redis or not os.access(args.redis, os.X_OK):
        print("test_persistence: SKIP (no redis-server)")
        return 0
    if redis is None:
        print("test_persistence: SKIP (no redis-py)")
        return 0
    work = tempfile.mkdtemp(prefix="ember-it-persist-")
    ctx = Ctx(args, work)
    started = time.monotonic()
    ember_dataset = None
    big_dump = None

    def run(name, fn, *fargs):
        if args.only and name not in args.only.split(","):
            return None
        t = time.monotonic()
        print(f"== {name}", flush=True)
        try:
            value = fn(ctx, *fargs)
        except Exception as e:  # report and go on with the next scenario
            import traceback
            traceback.print_exc()
            ok(f"{name}: ran to the end", False, f"{type(e).__name__}: {e}")
            return None
        print(f"   ({time.monotonic() - t:.1f}s)", flush=True)
        return value

    try:
        ember_dataset = run("round_trips", scenario_round_trips)
        if ember_dataset is not None:
            run("interop", scenario_interop, ember_dataset)
        big_dump = run("point_in_time", scenario_point_in_time)
        if big_dump is not None:
            run("failures", scenario_failures, big_dump)
        run("loading", scenario_loading)
        run("bgsave_replies", scenario_bgsave_replies)
        run("rules_and_options", scenario_rules_and_options)
    finally:
        if os.environ.get("EMBER_IT_KEEP_DIRS") != "1":
            shutil.rmtree(work, ignore_errors=True)
        else:
            print(f"kept {work}")
    failed = results.count(False)
    elapsed = time.monotonic() - started
    if failed:
        print(f"test_persistence: FAIL ({failed} of {len(results)} checks, {elapsed:.1f}s)")
        return 1
    print(f"test_persistence: OK ({len(results)} checks, {len(notes)} notes, {elapsed:.1f}s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
