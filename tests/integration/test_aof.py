#!/usr/bin/env python3
"""The append-only file of ember-server, end to end (server/persist/aof.h).

  1. Round trip: every type (test_rdb_codec.fill: all encodings, expiries, 16 dbs) written with
     appendonly yes survives a restart, key by key (value, encoding, absolute expiry).
  2. appendfsync always: four clients write in a bounded loop, the server is killed with
     SIGKILL mid-load; after a restart every acknowledged write is there.
  3. appendfsync everysec: the same; at most about 2 seconds of acknowledged writes may be lost.
  4. A last command cut in half loads with the warning (and is cut off the file); with
     aof-load-truncated no start-up stops; ember-check-aof reports the offset and --fix repairs
     it. Corruption in the middle stops start-up with the file name and byte offset in the log.
  5. Write errors: a file where the AOF directory should be stops start-up and makes CONFIG SET
     appendonly yes fail; a write that fails at run time (RLIMIT_FSIZE lowered on the server's
     PID, which makes write() fail with EFBIG as a full disk would) gives aof_last_write_status:
     err and -MISCONF for writes and PING while reads go on; once writes work again (limit
     raised) the server recovers by itself and nothing acknowledged is lost. With appendfsync
     always the server exits instead of answering the write (as Redis does).
  6. Redis 7.0 and Ember read each other's AOF directories: Ember's directory loaded by
     redis-server, also after BGREWRITEAOF with and without aof-use-rdb-preamble; Redis's (with
     an RDB base written by BGREWRITEAOF, and with an AOF-format base from aof-use-rdb-preamble
     no) loaded by Ember; datasets compared key by key. SKIP of this part without redis-server.
  7. Rewrites under load: 200k keys, four clients writing with appendfsync always, BGREWRITEAOF
     to the end, a second one killed mid-way with SIGKILL: after a restart every acknowledged
     write is there, no temp file is left, and a client that connects the moment the port
     opens gets -LOADING (or the data), never an empty dataset. Then an AOF of 500k commands
     (written here) replays while a client polls: -LOADING, never a partial dataset.

Usage: test_aof.py EMBER_SERVER EMBER_CHECK_AOF [--redis REDIS_SERVER]
Exit status 0 on success, 1 on failure.
"""

import argparse
import os
import re
import resource
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time

from harness import (LOADING, ConnectionClosed, RespConnection, check, connect_asap, eq, free_port,
                     wait_for)

try:
    import redis
    from test_rdb_codec import fill, live_listing, compare_listings
except ImportError:  # pragma: no cover - Debian's python3 has python3-redis
    redis = None

READY_TIMEOUT_S = 10.0
STOP_TIMEOUT_S = 10.0


# --------------------------------------------------------------------------------------------
# A server process in a directory of the test's choosing (restarted in the same place)
# --------------------------------------------------------------------------------------------

class Proc:
    def __init__(self, binary, directory, args=(), name=None):
        self.binary = binary
        self.dir = directory
        self.args = list(args)
        self.name = name or os.path.basename(binary)
        self.port = None
        self.proc = None
        self.log_path = os.path.join(directory, f"{self.name}.log")

    def start(self, expect_ready=True):
        self.port = free_port()
        log = open(self.log_path, "ab")
        self.proc = subprocess.Popen([self.binary, "--port", str(self.port)] + self.args,
                                     cwd=self.dir, stdin=subprocess.DEVNULL, stdout=log,
                                     stderr=subprocess.STDOUT)
        log.close()
        if expect_ready:
            self._wait_ready()
        return self

    def _wait_ready(self):
        deadline = time.monotonic() + READY_TIMEOUT_S
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise AssertionError(f"{self.name} exited with {self.proc.returncode} during "
                                     f"start-up:\n{self.log()[-3000:]}")
            try:
                with RespConnection(self.port, timeout=0.5) as c:
                    if c.call("PING").startswith((b"+PONG", b"-MISCONF")):
                        return
            except (OSError, ConnectionClosed):
                pass
            time.sleep(0.05)  # poll interval of a bounded wait
        raise AssertionError(f"{self.name} not ready on port {self.port}:\n{self.log()[-3000:]}")

    def wait_exit(self, timeout=READY_TIMEOUT_S):
        try:
            return self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.kill9()
            raise AssertionError(f"{self.name} did not exit:\n{self.log()[-3000:]}")

    def stop(self):
        """SIGTERM (a clean shutdown, which flushes the AOF), by PID; SIGKILL if it hangs."""
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=STOP_TIMEOUT_S)
            except subprocess.TimeoutExpired:
                self.kill9()

    def kill9(self):
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(timeout=STOP_TIMEOUT_S)

    def pid(self):
        return self.proc.pid

    def log(self):
        with open(self.log_path, "rb") as f:
            return f.read().decode("utf-8", "replace")

    def conn(self, timeout=5.0):
        return RespConnection(self.port, timeout=timeout)

    def call(self, *args):
        with self.conn() as c:
            return c.call(*args)

    def info(self, section):
        text = self.call("INFO", section).split(b"\r\n", 1)[1].decode()
        return dict(line.split(":", 1) for line in text.splitlines() if ":" in line)


def ember(args, directory, *extra):
    return Proc(args.ember, directory, ["--appendonly", "yes"] + list(extra), name="ember")


def aof_dir(directory):
    return os.path.join(directory, "appendonlydir")


def incr_path(directory, seq=1):
    return os.path.join(aof_dir(directory), f"appendonly.aof.{seq}.incr.aof")


def resp(*args):
    out = [b"*%d\r\n" % len(args)]
    for a in args:
        a = a.encode() if isinstance(a, str) else a
        out.append(b"$%d\r\n%s\r\n" % (len(a), a))
    return b"".join(out)


# The consumers' seen-time is the time the log is replayed, in Redis as in Ember.
SEEN_TIME = re.compile(r'("(?:[^"\\]|\\.)*"):\d+\[')


def listing(port):
    return [SEEN_TIME.sub(r"\1:_[", line) for line in live_listing(port)]


# --------------------------------------------------------------------------------------------
# 1. Round trip
# --------------------------------------------------------------------------------------------

def round_trip(args, work):
    d = tempfile.mkdtemp(dir=work)
    s = ember(args, d).start()
    try:
        fill(s.port)
        expected = listing(s.port)
        check(len(expected) > 40, f"fill wrote {len(expected)} keys")
        s.stop()
        s.start()
        compare_listings(listing(s.port), expected, "Ember after a restart")
        # And after a second one (the reopened incr file is appended to, not replaced).
        s.call("SET", "one-more", "x")
        s.stop()
        s.start()
        compare_listings(sorted(listing(s.port)),
                         sorted(expected + ['0 "one-more" string embstr -1 "x"']),
                         "Ember after a second restart")
    finally:
        s.stop()
    print(f"  round trip: {len(expected)} keys of every type equal after restarts")
    return d


# --------------------------------------------------------------------------------------------
# 2, 3. Crashes under load
# --------------------------------------------------------------------------------------------

class Writer(threading.Thread):
    """SET w<n>:<i> <i> one at a time until the connection dies or the bounds are hit; `acked`
    counts the writes the server answered +OK."""

    def __init__(self, port, n, max_commands, max_seconds):
        super().__init__(daemon=True)
        self.port, self.n = port, n
        self.max_commands, self.max_seconds = max_commands, max_seconds
        self.acked = 0
        self.error = None

    def run(self):
        deadline = time.monotonic() + self.max_seconds
        try:
            with RespConnection(self.port, timeout=5.0) as c:
                while self.acked < self.max_commands and time.monotonic() < deadline:
                    reply = c.call("SET", f"w{self.n}:{self.acked}", str(self.acked))
                    if reply != b"+OK\r\n":
                        self.error = reply
                        return
                    self.acked += 1
        except (OSError, ConnectionClosed):
            pass  # the server was killed


def crash_under_load(args, work, fsync):
    d = tempfile.mkdtemp(dir=work)
    s = ember(args, d, "--appendfsync", fsync).start()
    writers = [Writer(s.port, n, 5000, 3.0) for n in range(4)]
    started = time.monotonic()
    for w in writers:
        w.start()
    # Kill mid-load: once a good share of the writes is acknowledged (bounded poll).
    wait_for(lambda: sum(w.acked for w in writers) >= 8000, timeout=2.5, interval=0.01)
    s.kill9()
    elapsed = time.monotonic() - started
    for w in writers:
        w.join(timeout=10)
        check(w.error is None, f"writer {w.n} got {w.error!r}")
    acked = sum(w.acked for w in writers)
    check(acked > 0, "no write was acknowledged")
    s.start()
    lost = 0
    with s.conn() as c:
        for w in writers:
            keys = [f"w{w.n}:{i}" for i in range(w.acked)]
            for at in range(0, len(keys), 1000):
                c.send_command("MGET", *keys[at:at + 1000])
                reply = c.read_reply()
                lost += reply.count(b"$-1\r\n")
    s.stop()
    rate = acked / max(elapsed, 0.001)
    if fsync == "always":
        eq(lost, 0, f"acknowledged writes lost after SIGKILL with appendfsync always "
                    f"({acked} acknowledged)")
    else:
        check(lost <= rate * 2.0 + 50,
              f"everysec lost {lost} of {acked} acknowledged writes (~{rate:.0f}/s)")
    print(f"  appendfsync {fsync}: SIGKILL after {acked} acknowledged writes in {elapsed:.1f}s "
          f"({rate:.0f}/s), {lost} lost")


# --------------------------------------------------------------------------------------------
# 4. Truncated and corrupt files
# --------------------------------------------------------------------------------------------

def truncated_and_corrupt(args, work):
    d = tempfile.mkdtemp(dir=work)
    s = ember(args, d).start()
    for i in range(10):
        s.call("SET", f"k{i}", f"v{i}")
    s.call("RPUSH", "last", "a-long-enough-element", "another-one")
    s.stop()
    incr = incr_path(d)
    data = open(incr, "rb").read()
    last = resp("RPUSH", "last", "a-long-enough-element", "another-one")
    check(data.endswith(last), "the incr file does not end with the last command")
    good = len(data) - len(last)
    cut = data[:len(data) - len(last) // 2]

    # aof-load-truncated no: start-up stops, naming the file.
    with open(incr, "wb") as f:
        f.write(cut)
    s2 = ember(args, d, "--aof-load-truncated", "no").start(expect_ready=False)
    check(s2.wait_exit() != 0, "started with a truncated AOF and aof-load-truncated no")
    check("appendonly.aof.1.incr.aof ends early" in s2.log(), s2.log()[-1000:])

    # ember-check-aof: reports, then --fix cuts the incomplete command.
    manifest = os.path.join(aof_dir(d), "appendonly.aof.manifest")
    p = subprocess.run([args.check_aof, manifest], capture_output=True, timeout=30)
    out = p.stdout.decode()
    check(p.returncode == 1 and f"valid up to offset {good}" in out, f"check-aof: {out}")
    p = subprocess.run([args.check_aof, "--fix", manifest], capture_output=True, timeout=30)
    out = p.stdout.decode()
    check(p.returncode == 0 and "fixed" in out, f"check-aof --fix: {out}")
    eq(os.path.getsize(incr), good, "size after --fix")
    p = subprocess.run([args.check_aof, manifest], capture_output=True, timeout=30)
    check(p.returncode == 0 and "The AOF is valid" in p.stdout.decode(), p.stdout.decode())

    # aof-load-truncated yes (the default): loads with the warning and cuts the file itself.
    with open(incr, "wb") as f:
        f.write(cut)
    s.start()
    eq(s.call("GET", "k9"), b"$2\r\nv9\r\n", "k9 after a truncated load")
    eq(s.call("EXISTS", "last"), b":0\r\n", "the truncated command")
    log = s.log()
    check("ends early" in log and "loaded anyway because aof-load-truncated is enabled" in log,
          log[-1500:])
    s.stop()
    eq(os.path.getsize(incr), good, "size after a truncated load")

    # Corruption in the middle: no start, the file and offset in the log.
    data = open(incr, "rb").read()
    at = data.index(resp("SET", "k5", "v5"))
    with open(incr, "wb") as f:
        f.write(data[:at] + b"!" + data[at + 1:])
    s3 = ember(args, d).start(expect_ready=False)
    check(s3.wait_exit() != 0, "started with a corrupt AOF")
    want = f"appendonly.aof.1.incr.aof at offset {at}"
    check(want in s3.log(), f"log lacks {want!r}:\n{s3.log()[-1000:]}")
    p = subprocess.run([args.check_aof, incr], capture_output=True, timeout=30)
    check(p.returncode == 1 and f"invalid at offset {at}" in p.stdout.decode(),
          p.stdout.decode())
    print(f"  truncated tail: loaded with the warning and cut to {good} bytes; check-aof --fix "
          f"repairs it; corruption at offset {at} refuses to start")


# --------------------------------------------------------------------------------------------
# 5. Write errors
# --------------------------------------------------------------------------------------------

def write_errors(args, work):
    # The AOF directory can't be created.
    d = tempfile.mkdtemp(dir=work)
    with open(aof_dir(d), "w") as f:
        f.write("a file where the AOF directory should be")
    s = ember(args, d).start(expect_ready=False)
    check(s.wait_exit() != 0, "started without a usable AOF directory")
    check("exists and is not a directory" in s.log(), s.log()[-1000:])
    s = Proc(args.ember, d, name="ember").start()
    try:
        reply = s.call("CONFIG", "SET", "appendonly", "yes")
        check(reply.startswith(b"-ERR CONFIG SET failed") and b"Unable to turn on AOF" in reply,
              reply)
    finally:
        s.stop()

    # write() fails at run time: RLIMIT_FSIZE on the server (EFBIG, like a full disk).
    d = tempfile.mkdtemp(dir=work)
    s = ember(args, d, "--appendfsync", "everysec").start()
    try:
        s.call("SET", "big", "x" * 200000)  # the incr file outgrows the log, which must go on
        s.call("SET", "before", "1")
        check(wait_for(lambda: s.info("persistence")["aof_buffer_length"] == "0", 5),
              "AOF buffer not written")
        size = os.path.getsize(incr_path(d))
        resource.prlimit(s.pid(), resource.RLIMIT_FSIZE, (size, resource.RLIM_INFINITY))
        eq(s.call("SET", "during", "1"), b"+OK\r\n", "the write that fails to reach the file")
        check(wait_for(lambda: s.info("persistence")["aof_last_write_status"] == "err", 5),
              "aof_last_write_status did not become err")
        refusal = s.call("SET", "refused", "1")
        check(refusal.startswith(b"-MISCONF Errors writing to the AOF file: File too large"),
              refusal)
        check(s.call("PING").startswith(b"-MISCONF"), "PING during a write error")
        eq(s.call("GET", "before"), b"$1\r\n1\r\n", "reads go on")
        check("Error writing to the AOF file" in s.log(), s.log()[-1000:])
        eq(os.path.getsize(incr_path(d)), size, "nothing half-written left in the file")
        resource.prlimit(s.pid(), resource.RLIMIT_FSIZE,
                         (resource.RLIM_INFINITY, resource.RLIM_INFINITY))
        check(wait_for(lambda: s.info("persistence")["aof_last_write_status"] == "ok", 5),
              "no recovery after the limit was lifted")
        eq(s.call("SET", "after", "1"), b"+OK\r\n", "writes after the recovery")
        s.kill9()
        s.start()
        eq(s.call("MGET", "before", "during", "refused", "after"),
           b"*4\r\n$1\r\n1\r\n$1\r\n1\r\n$-1\r\n$1\r\n1\r\n", "data after the error and a crash")
    finally:
        s.stop()

    # With appendfsync always the reply waits for the write that failed: the server exits
    # (as Redis does) instead of answering.
    d = tempfile.mkdtemp(dir=work)
    s = ember(args, d, "--appendfsync", "always").start()
    try:
        s.call("SET", "big", "x" * 200000)
        s.call("SET", "before", "1")
        size = os.path.getsize(incr_path(d))
        resource.prlimit(s.pid(), resource.RLIMIT_FSIZE, (size, resource.RLIM_INFINITY))
        try:
            reply = s.call("SET", "unlogged", "1")
        except (OSError, ConnectionClosed):
            reply = None
        check(reply is None, f"a write that could not be logged was answered {reply!r}")
        check(s.wait_exit() != 0, "still running after a write error with appendfsync always")
        check("Exiting" in s.log(), s.log()[-1000:])
        s.start()
        eq(s.call("GET", "before"), b"$1\r\n1\r\n", "data before the error")
    finally:
        s.stop()
    print("  write errors: no start / CONFIG SET refused without a directory; EFBIG gives "
          "aof_last_write_status:err and -MISCONF, recovery once writes work, nothing lost; "
          "with always the server exits instead of answering")


# --------------------------------------------------------------------------------------------
# 6. Redis 7.0 <-> Ember
# --------------------------------------------------------------------------------------------

STARTED = b"+Background append only file rewriting started\r\n"


def wait_rewrite(r):
    def done():
        info = r.info("persistence")
        return info["aof_rewrite_in_progress"] == 0 and info["aof_rewrite_scheduled"] == 0
    check(wait_for(done, 20), "BGREWRITEAOF did not finish")


def redis_interop(args, work, ember_dir):
    # Ember's directory (from the round trip) loaded by redis-server.
    d = tempfile.mkdtemp(dir=work)
    shutil.copytree(aof_dir(ember_dir), aof_dir(d))
    s = ember(args, d).start()
    expected = listing(s.port)
    s.stop()
    shutil.rmtree(aof_dir(d))
    shutil.copytree(aof_dir(ember_dir), aof_dir(d))
    r = Proc(args.redis, d, ["--appendonly", "yes", "--save", ""], name="redis").start()
    try:
        compare_listings(listing(r.port), expected, "redis-server loading Ember's AOF")
    finally:
        r.stop()
    print(f"  redis-server loads Ember's AOF directory: {len(expected)} keys equal")

    # Ember's directory after BGREWRITEAOF (a base in RDB form, or commands) and more writes.
    for preamble in ("yes", "no"):
        d = tempfile.mkdtemp(dir=work)
        s = ember(args, d, "--aof-use-rdb-preamble", preamble).start()
        try:
            fill(s.port)
            rc = redis.Redis(host="127.0.0.1", port=s.port)
            eq(s.call("BGREWRITEAOF"), STARTED, "BGREWRITEAOF")
            wait_rewrite(rc)
            rc.set("after-rewrite", "1")
            rc.rpush("l:small", "tail")
            rc.close()
            expected = listing(s.port)
        finally:
            s.stop()
        names = sorted(os.listdir(aof_dir(d)))
        # The replication position a clean shut-down leaves beside the files (Redis ignores it).
        eq(names, ["appendonly.aof.2.base." + ("rdb" if preamble == "yes" else "aof"),
                   "appendonly.aof.2.incr.aof", "appendonly.aof.manifest",
                   "appendonly.aof.repl-position"], "Ember's AOF files")
        r = Proc(args.redis, d, ["--appendonly", "yes", "--save", ""], name="redis").start()
        try:
            compare_listings(listing(r.port), expected,
                             f"redis-server loading Ember's rewritten AOF (preamble {preamble})")
        finally:
            r.stop()
        print(f"  redis-server loads Ember's AOF after BGREWRITEAOF (aof-use-rdb-preamble "
              f"{preamble}): {len(expected)} keys equal")

    # Redis's directories loaded by Ember: an RDB base (BGREWRITEAOF) and incr files; then an
    # AOF-format base (aof-use-rdb-preamble no).
    for preamble in ("yes", "no"):
        d = tempfile.mkdtemp(dir=work)
        r = Proc(args.redis, d, ["--appendonly", "yes", "--save", "",
                                 "--aof-use-rdb-preamble", preamble], name="redis").start()
        try:
            fill(r.port)
            rc = redis.Redis(host="127.0.0.1", port=r.port)
            rc.bgrewriteaof()
            wait_rewrite(rc)
            # Effects after the rewrite land in a new incr file.
            rc.set("after-rewrite", "1")
            rc.rpush("l:small", "tail")
            rc.xadd("st:main", {"late": "1"}, id="1700000002000-0")
            rc.execute_command("MULTI")
            rc.execute_command("INCR", "tx")
            rc.execute_command("EXEC")
            rc.close()
            expected = listing(r.port)
        finally:
            r.stop()
        names = sorted(os.listdir(aof_dir(d)))
        base = [n for n in names if ".base." in n]
        check(base == [f"appendonly.aof.2.base.{'rdb' if preamble == 'yes' else 'aof'}"],
              f"redis wrote {names}")
        s = ember(args, d).start()
        try:
            compare_listings(listing(s.port), expected,
                             f"Ember loading Redis's AOF (aof-use-rdb-preamble {preamble})")
        finally:
            s.stop()
        print(f"  Ember loads Redis's AOF directory ({base[0]} + incr): {len(expected)} keys "
              f"equal")


# --------------------------------------------------------------------------------------------
# 7. Rewrites under load
# --------------------------------------------------------------------------------------------

REWRITE_KEYS = 200_000


def populate(port, n):
    with RespConnection(port, timeout=30) as c:
        batch = 1000
        for at in range(0, n, batch):
            args = []
            for i in range(at, min(n, at + batch)):
                args += [f"key:{i}", f"value:{i}"]
            c.send_command("MSET", *args)
        for _ in range(0, n, batch):
            eq(c.read_reply(), b"+OK\r\n", "MSET")


def rewrite_under_load(args, work):
    d = tempfile.mkdtemp(dir=work)
    s = ember(args, d, "--appendfsync", "always").start()
    populate(s.port, REWRITE_KEYS)
    writers = [Writer(s.port, n, 20000, 6.0) for n in range(4)]
    for w in writers:
        w.start()
    rc = redis.Redis(host="127.0.0.1", port=s.port)
    eq(s.call("BGREWRITEAOF"), STARTED, "BGREWRITEAOF")
    wait_rewrite(rc)
    eq(rc.info("persistence")["aof_last_bgrewrite_status"], "ok", "rewrite status")
    acked_at_first = sum(w.acked for w in writers)
    eq(s.call("BGREWRITEAOF"), STARTED, "BGREWRITEAOF again")
    in_progress = rc.info("persistence")["aof_rewrite_in_progress"]
    rc.close()
    s.kill9()
    for w in writers:
        w.join(timeout=10)
        check(w.error is None, f"writer {w.n} got {w.error!r}")
    acked = sum(w.acked for w in writers)

    # The restart: the first client in sees -LOADING or the data, never an empty dataset.
    s.start(expect_ready=False)
    port = s.port
    try:
        conn = connect_asap(port, s.proc)
        check(conn is not None, f"no connection after the restart (exit {s.proc.poll()})")
        with conn:
            first = conn.call("GET", "key:1")
            check(first in (LOADING, b"$7\r\nvalue:1\r\n"),
                  f"GET right after the restart: {first!r}")
            reply = first
            deadline = time.monotonic() + 30
            while reply == LOADING and time.monotonic() < deadline:
                time.sleep(0.01)  # poll interval of a bounded wait
                reply = conn.call("GET", "key:1")
            eq(reply, b"$7\r\nvalue:1\r\n", "GET once loaded")
            lost = 0
            for w in writers:
                keys = [f"w{w.n}:{i}" for i in range(w.acked)]
                for at in range(0, len(keys), 1000):
                    conn.send_command("MGET", *keys[at:at + 1000])
                    lost += conn.read_reply().count(b"$-1\r\n")
            eq(lost, 0, f"acknowledged writes lost ({acked} acknowledged)")
            # Each writer may have had one write logged but not yet answered at the kill.
            size = int(conn.call("DBSIZE")[1:])
            check(REWRITE_KEYS + acked <= size <= REWRITE_KEYS + acked + len(writers),
                  f"DBSIZE {size} after {acked} acknowledged writes")
            eq(conn.call("BGREWRITEAOF"), STARTED, "BGREWRITEAOF after the restart")
            rc = redis.Redis(host="127.0.0.1", port=port)
            wait_rewrite(rc)
            rc.close()
        temps = [n for n in os.listdir(aof_dir(d)) if n.startswith("temp-")]
        eq(temps, [], "temp files left in the AOF directory")
    finally:
        s.stop()
    print(f"  rewrites under load: {acked_at_first} writes acknowledged during the first "
          f"BGREWRITEAOF, SIGKILL with the second one {'running' if in_progress else 'done'}, "
          f"{acked} acknowledged, 0 lost; -LOADING "
          f"{'seen' if first == LOADING else 'not seen (loaded before the first probe)'}")


def loading_from_aof(args, work):
    d = tempfile.mkdtemp(dir=work)
    os.makedirs(aof_dir(d))
    n = 500_000
    with open(os.path.join(aof_dir(d), "appendonly.aof.1.incr.aof"), "wb") as f:
        f.write(resp("SELECT", "0"))
        for at in range(0, n, 10_000):
            f.write(b"".join(resp("SET", f"key:{i}", f"value:{i}") for i in range(at, at + 10_000)))
    with open(os.path.join(aof_dir(d), "appendonly.aof.manifest"), "w") as f:
        f.write("file appendonly.aof.1.incr.aof seq 1 type i\n")
    s = ember(args, d).start(expect_ready=False)
    replies = {}
    try:
        conn = connect_asap(s.port, s.proc)
        check(conn is not None, f"no connection (exit {s.proc.poll()})")
        last = b"$%d\r\nvalue:%d\r\n" % (len(f"value:{n - 1}"), n - 1)
        deadline = time.monotonic() + 60
        with conn:
            reply = None
            while reply != last and time.monotonic() < deadline:
                reply = conn.call("GET", f"key:{n - 1}")
                replies[reply] = replies.get(reply, 0) + 1
                if reply == LOADING:
                    time.sleep(0.005)  # poll interval of a bounded wait
            eq(reply, last, "GET of the last key once loaded")
            eq(conn.call("DBSIZE"), b":%d\r\n" % n, "DBSIZE")
    finally:
        s.stop()
    eq(sorted(replies), sorted(r for r in (LOADING, last) if r in replies),
       "replies while the AOF loads (only -LOADING, then the value)")
    check(LOADING in replies, "-LOADING was never seen while 500k commands were replayed")
    print(f"  loading an AOF of {n} commands: {replies.get(LOADING, 0)} polls got -LOADING, "
          f"then the data")


def run(args):
    work = tempfile.mkdtemp(prefix="ember-it-aof-")
    try:
        ember_dir = round_trip(args, work)
        crash_under_load(args, work, "always")
        crash_under_load(args, work, "everysec")
        truncated_and_corrupt(args, work)
        write_errors(args, work)
        rewrite_under_load(args, work)
        loading_from_aof(args, work)
        if args.redis and os.access(args.redis, os.X_OK):
            redis_interop(args, work, ember_dir)
        else:
            print("  Redis interop: SKIP (no redis-server)")
    finally:
        if os.environ.get("EMBER_IT_KEEP_DIRS") != "1":
            shutil.rmtree(work, ignore_errors=True)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("ember")
    ap.add_argument("check_aof")
    ap.add_argument("--redis")
    args = ap.parse_args()
    if redis is None:
        print("test_aof: SKIP (no redis-py)")
        return 0
    start = time.monotonic()
    try:
        run(args)
    except Exception as e:  # report, fail
        print(f"test_aof: FAIL: {type(e).__name__}: {e}")
        return 1
    print(f"test_aof: OK ({time.monotonic() - start:.1f}s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
