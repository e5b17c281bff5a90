#!/usr/bin/python3
"""Blocking commands, Pub/Sub, the pubsub client-output-buffer-limit and keyspace notifications
through real connections (raw RESP sockets from harness.py and redis-py, Debian python3-redis).

Usage: test_blocking_pubsub.py EMBER_BINARY [--redis REDIS_SERVER] [-k NAME]

Starts one ember-server on a free port and runs every scenario against it. When a real
redis-server is available (--redis, default /usr/bin/redis-server if present) the same scenarios
run against it as well, so the expectations below are checked against Redis 7.0 itself; a
failure on redis-server means the test is wrong, a failure on ember-server only means an Ember
bug. The CONFIG GET notify-keyspace-events comparison talks to both servers at once.

Synchronisation never sleeps: the tests poll INFO blocked_clients, PUBSUB NUMSUB or the
connection itself with bounded waits (harness.wait_for, read timeouts).

Each check prints PASS or FAIL (with the reason, prefixed with the server); the summary line is
`test_blocking_pubsub: N passed, M failed` and the exit code is 1 if any failed.
"""

import argparse
import os
import socket
import sys
import time
import traceback

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402
from harness import check, eq, wait_for  # noqa: E402

try:
    import redis
except ImportError:
    print("test_blocking_pubsub: FAILED: the redis module is missing; run with /usr/bin/python3 "
          "(Debian python3-redis)")
    sys.exit(1)

WAIT_S = 5.0           # bound on every poll for a state change
OBUF_MSG_BYTES = 64 * 1024
OBUF_MAX_MESSAGES = 3000   # bound on the slow-subscriber flood (~190 MB at most)
OBUF_MAX_SECONDS = 15.0
NIL_ARRAY = b"*-1\r\n"
NIL_BULK = b"$-1\r\n"


def bulk(s):
    if isinstance(s, str):
        s = s.encode()
    return b"$%d\r\n%s\r\n" % (len(s), s)


def arr(*items, t=b"*"):
    return t + b"%d\r\n" % len(items) + b"".join(items)


def barr(*strs, t=b"*"):
    return arr(*(bulk(s) for s in strs), t=t)


def push(*strs):
    return barr(*strs, t=b">")


def no_reply(conn, within=0.3):
    """True if nothing arrives on conn within `within` seconds (a bounded read)."""
    try:
        reply = conn.read_reply(timeout=within)
    except socket.timeout:
        return True
    raise AssertionError(f"unexpected reply {reply!r}")


class Suite:
    def __init__(self, srv, is_redis):
        self.srv = srv
        self.port = srv.port
        self.is_redis = is_redis
        self.conns = []

    # Helpers ----------------------------------------------------------------------------------

    def raw(self, resp3=False):
        c = self.srv.connect()
        self.conns.append(c)
        if resp3:
            reply = c.call("HELLO", "3")
            check(reply.startswith(b"%"), f"HELLO 3 gave {reply[:60]!r}")
        return c

    def client(self, **kw):
        kw.setdefault("decode_responses", True)
        return redis.Redis(host="127.0.0.1", port=self.port, socket_timeout=5,
                           socket_connect_timeout=5, **kw)

    def close_all(self):
        for c in self.conns:
            c.close()
        self.conns = []

    def info_field(self, r, field):
        return r.info()[field]

    def blocked(self, r):
        return int(self.info_field(r, "blocked_clients"))

    def wait_blocked(self, r, n):
        check(wait_for(lambda: self.blocked(r) == n, WAIT_S),
              f"blocked_clients did not reach {n} (is {self.blocked(r)})")

    def block(self, r, conn, *cmd):
        """Sends a blocking command on conn and waits until the server counts one more
        blocked client, so the order of several waiters is the order of these calls."""
        before = self.blocked(r)
        conn.send_command(*cmd)
        self.wait_blocked(r, before + 1)

    def numsub(self, r, ch):
        return dict(r.pubsub_numsub(ch)).get(ch, 0)

    # Blocking lists ---------------------------------------------------------------------------

    def test_blpop_fifo(self):
        r = self.client()
        r.delete("b:fifo")
        w = [self.raw() for _ in range(3)]
        for c in w:
            self.block(r, c, "BLPOP", "b:fifo", "0")
        for i, elem in enumerate(["a", "b", "c"]):
            eq(r.rpush("b:fifo", elem), 1, f"RPUSH {elem} (a waiter takes it at once)")
            eq(w[i].read_reply(), barr("b:fifo", elem), f"waiter {i} (oldest first)")
            self.wait_blocked(r, 2 - i)
        # BRPOP, same queue discipline.
        for c in w[:2]:
            self.block(r, c, "BRPOP", "b:fifo", "0")
        r.rpush("b:fifo", "x", "y")
        eq(w[0].read_reply(), barr("b:fifo", "y"), "BRPOP first waiter takes the tail")
        eq(w[1].read_reply(), barr("b:fifo", "x"), "BRPOP second waiter")
        eq(r.exists("b:fifo"), 0, "list consumed")
        r.close()

    def test_push_serves_several(self):
        r = self.client()
        r.delete("b:multi")
        w = [self.raw() for _ in range(3)]
        for c in w:
            self.block(r, c, "BLPOP", "b:multi", "0")
        eq(r.rpush("b:multi", "a", "b", "c", "d"), 4, "RPUSH reply counts before serving")
        for c, elem in zip(w, "abc"):
            eq(c.read_reply(), barr("b:multi", elem), "each waiter gets one element, in order")
        eq(r.lrange("b:multi", 0, -1), ["d"], "the fourth element stays")
        eq(self.blocked(r), 0, "blocked_clients")
        r.delete("b:multi")
        r.close()

    def test_blpop_several_keys(self):
        r = self.client()
        r.delete("b:k1", "b:k2", "b:k3")
        r.rpush("b:k2", "x")
        r.rpush("b:k3", "y")
        c = self.raw()
        eq(c.call("BLPOP", "b:k1", "b:k3", "b:k2", "0"), barr("b:k3", "y"),
           "first non-empty key in argument order")
        eq(c.call("BLPOP", "b:k1", "b:k3", "b:k2", "0"), barr("b:k2", "x"), "then the next")
        self.block(r, c, "BLPOP", "b:k1", "b:k2", "b:k3", "0")
        r.rpush("b:k3", "z")
        eq(c.read_reply(), barr("b:k3", "z"), "woken by a push on its third key")
        r.delete("b:k1", "b:k2", "b:k3")
        r.close()

    def test_ready_key_order_after_exec(self):
        """A transaction fills two keys of one waiter: Redis 7.0 serves it from the key that
        became ready first (handleClientsBlockedOnKeys walks ready keys in signal order). Ember
        runs the waiter's command again once the transaction is over, so it takes the first
        non-empty key in argument order, as Redis 7.2 does (a documented difference)."""
        r = self.client()
        r.delete("b:k1", "b:k2", "b:k3")
        c = self.raw()
        self.block(r, c, "BLPOP", "b:k1", "b:k2", "b:k3", "0")
        p = r.pipeline(transaction=True)
        p.rpush("b:k3", "first").rpush("b:k1", "second")
        p.execute()
        got = c.read_reply()
        r.delete("b:k1", "b:k2", "b:k3")
        r.close()
        if self.is_redis:
            eq(got, barr("b:k3", "first"), "served from the key filled first")
        else:
            eq(got, barr("b:k1", "second"), "served from the first key in argument order")

    def test_decimal_timeout(self):
        c = self.raw()
        for cmd, nil in ((("BLPOP", "b:none", "0.1"), NIL_ARRAY),
                         (("BRPOP", "b:none", "0.1"), NIL_ARRAY),
                         (("BZPOPMIN", "b:none", "0.1"), NIL_ARRAY),
                         (("BLMPOP", "0.1", "1", "b:none", "LEFT"), NIL_ARRAY),
                         (("BZMPOP", "0.1", "1", "b:none", "MAX"), NIL_ARRAY)):
            t0 = time.monotonic()
            eq(c.call(*cmd, timeout=3.0), nil, f"{cmd[0]} timeout reply")
            took = time.monotonic() - t0
            check(0.09 <= took <= 2.0, f"{cmd[0]} 0.1 took {took:.3f}s")
        c3 = self.raw(resp3=True)
        eq(c3.call("BLPOP", "b:none", "0.05", timeout=3.0), b"_\r\n", "RESP3 BLPOP timeout")
        eq(c3.call("BLMOVE", "b:none", "b:dst", "LEFT", "LEFT", "0.05", timeout=3.0), b"_\r\n",
           "RESP3 BLMOVE timeout")
        for bad in ("-1", "abc", "inf"):
            reply = c.call("BLPOP", "b:none", bad)
            check(reply.startswith(b"-ERR timeout is"), f"BLPOP timeout {bad} gave {reply!r}")

    def test_blmove_timeout_reply(self):
        """Redis 7.0 times out every list/zset wait with a null array (RESP2 *-1), BLMOVE and
        BRPOPLPUSH included (replyToBlockedClientTimedOut); only their non-blocking path
        (e.g. inside MULTI) replies a null bulk."""
        r = self.client()
        c = self.raw()
        got = [c.call("BLMOVE", "b:none", "b:dst", "LEFT", "LEFT", "0.05", timeout=3.0),
               c.call("BRPOPLPUSH", "b:none", "b:dst", "0.05", timeout=3.0)]
        c_id = int(c.call("CLIENT", "ID")[1:-2])
        self.block(r, c, "BLMOVE", "b:none", "b:dst", "LEFT", "LEFT", "0")
        eq(r.execute_command("CLIENT", "UNBLOCK", c_id, "TIMEOUT"), 1, "UNBLOCK")
        got.append(c.read_reply())
        r.close()
        eq(got, [NIL_ARRAY] * 3, "BLMOVE / BRPOPLPUSH timeout, BLMOVE CLIENT UNBLOCK replies")

    def test_timeout_zero_waits(self):
        r = self.client()
        r.delete("b:z0")
        c = self.raw()
        self.block(r, c, "BLPOP", "b:z0", "0")
        check(no_reply(c, 0.5), "BLPOP 0 answered without a push")
        r.rpush("b:z0", "v")
        eq(c.read_reply(), barr("b:z0", "v"), "served after the wait")
        r.close()

    def test_blmove_chain(self):
        r = self.client()
        r.delete("b:src", "b:mid", "b:dst")
        a, b, d = self.raw(), self.raw(), self.raw()
        self.block(r, a, "BLMOVE", "b:src", "b:mid", "LEFT", "RIGHT", "0")
        self.block(r, b, "BRPOPLPUSH", "b:mid", "b:dst", "0")
        self.block(r, d, "BLPOP", "b:dst", "0")
        eq(r.rpush("b:src", "x"), 1, "RPUSH src")
        eq(a.read_reply(), bulk("x"), "BLMOVE reply")
        eq(b.read_reply(), bulk("x"), "BRPOPLPUSH served by the move into its source")
        eq(d.read_reply(), barr("b:dst", "x"), "BLPOP served by BRPOPLPUSH's push")
        eq(r.exists("b:src", "b:mid", "b:dst"), 0, "everything consumed")
        eq(self.blocked(r), 0, "blocked_clients")
        r.close()

    def test_reply_shapes(self):
        r = self.client()
        r.delete("s:l1", "s:l2", "s:z", "s:z2")
        c = self.raw()
        r.rpush("s:l2", "a", "b", "c")
        eq(c.call("BLMPOP", "0", "2", "s:l1", "s:l2", "LEFT", "COUNT", "2"),
           arr(bulk("s:l2"), barr("a", "b")), "BLMPOP LEFT COUNT 2")
        eq(c.call("BLMPOP", "0", "2", "s:l1", "s:l2", "RIGHT"),
           arr(bulk("s:l2"), barr("c")), "BLMPOP RIGHT")
        self.block(r, c, "BLMPOP", "0", "2", "s:l1", "s:l2", "RIGHT", "COUNT", "5")
        r.rpush("s:l2", "p", "q")
        eq(c.read_reply(), arr(bulk("s:l2"), barr("q", "p")), "BLMPOP served after a wait")
        r.zadd("s:z", {"m1": 1, "m2": 2, "m3": 3.5})
        eq(c.call("BZPOPMIN", "s:z2", "s:z", "0"), barr("s:z", "m1", "1"), "BZPOPMIN")
        eq(c.call("BZPOPMAX", "s:z", "0"), barr("s:z", "m3", "3.5"), "BZPOPMAX")
        r.zadd("s:z", {"m4": 4})
        eq(c.call("BZMPOP", "0", "2", "s:z2", "s:z", "MIN", "COUNT", "5"),
           arr(bulk("s:z"), arr(barr("m2", "2"), barr("m4", "4"))), "BZMPOP MIN COUNT 5")
        self.block(r, c, "BZPOPMAX", "s:z2", "s:z", "0")
        r.zadd("s:z", {"n1": 1, "n2": 2})
        eq(c.read_reply(), barr("s:z", "n2", "2"), "BZPOPMAX served after a wait")
        self.block(r, c, "BZMPOP", "0", "1", "s:z2", "MAX")
        r.zadd("s:z2", {"o": 7})
        eq(c.read_reply(), arr(bulk("s:z2"), arr(barr("o", "7"))), "BZMPOP served after a wait")
        # RESP3: scores are doubles.
        c3 = self.raw(resp3=True)
        r.zadd("s:z", {"d": 2.5})
        eq(c3.call("BZPOPMAX", "s:z", "0"), arr(bulk("s:z"), bulk("d"), b",2.5\r\n"),
           "RESP3 BZPOPMAX")
        # A waiter on a key that holds the wrong type when filled stays blocked.
        r.delete("s:z", "s:z2")
        self.block(r, c, "BZPOPMIN", "s:z", "0")
        r.rpush("s:z", "notazset")
        check(no_reply(c, 0.3), "BZPOPMIN served by a list")
        r.delete("s:z")
        r.zadd("s:z", {"ok": 1})
        eq(c.read_reply(), barr("s:z", "ok", "1"), "BZPOPMIN served by the zset")
        r.delete("s:l1", "s:l2", "s:z", "s:z2")
        r.close()

    def test_other_client_disconnects(self):
        r = self.client()
        r.delete("b:dc")
        a, other = self.raw(), self.raw()
        self.block(r, a, "BLPOP", "b:dc", "0")
        self.block(r, other, "BLPOP", "b:dc", "0")
        other.close()
        self.wait_blocked(r, 1)
        for _ in range(5):  # plain clients come and go
            with self.srv.connect() as tmp:
                eq(tmp.call("PING"), b"+PONG\r\n", "PING")
        eq(r.rpush("b:dc", "v"), 1, "RPUSH")
        eq(a.read_reply(), barr("b:dc", "v"), "the remaining waiter is served")
        r.close()

    def test_disconnected_waiter_consumes_nothing(self):
        r = self.client()
        r.delete("b:gone")
        a = self.raw()
        self.block(r, a, "BLPOP", "b:gone", "0")
        a.sock.shutdown(socket.SHUT_RDWR)
        a.close()
        self.wait_blocked(r, 0)
        eq(r.rpush("b:gone", "keep"), 1, "RPUSH")
        eq(r.lrange("b:gone", 0, -1), ["keep"], "element remains after the waiter left")
        # Same with a BLMOVE waiter: nothing moves.
        b = self.raw()
        self.block(r, b, "BLMOVE", "b:gone2", "b:gone3", "LEFT", "LEFT", "0")
        b.close()
        self.wait_blocked(r, 0)
        r.rpush("b:gone2", "stay")
        eq((r.lrange("b:gone2", 0, -1), r.exists("b:gone3")), (["stay"], 0), "BLMOVE left")
        r.delete("b:gone", "b:gone2")
        r.close()

    def test_client_unblock(self):
        r = self.client()
        r.delete("b:ub", "b:uz")
        a = self.raw()
        a_id = int(a.call("CLIENT", "ID")[1:-2])
        self.block(r, a, "BLPOP", "b:ub", "0")
        eq(r.execute_command("CLIENT", "UNBLOCK", a_id), 1, "CLIENT UNBLOCK")
        eq(a.read_reply(), NIL_ARRAY, "TIMEOUT reply")
        self.wait_blocked(r, 0)
        self.block(r, a, "BZPOPMIN", "b:uz", "0")
        eq(r.execute_command("CLIENT", "UNBLOCK", a_id, "TIMEOUT"), 1, "UNBLOCK TIMEOUT")
        eq(a.read_reply(), NIL_ARRAY, "BZPOPMIN TIMEOUT reply")
        self.block(r, a, "BRPOP", "b:ub", "0")
        eq(r.execute_command("CLIENT", "UNBLOCK", a_id, "ERROR"), 1, "UNBLOCK ERROR")
        eq(a.read_reply(), b"-UNBLOCKED client unblocked via CLIENT UNBLOCK\r\n", "ERROR reply")
        eq(r.execute_command("CLIENT", "UNBLOCK", a_id), 0, "not blocked")
        eq(r.execute_command("CLIENT", "UNBLOCK", 999999), 0, "no such client")
        raw = self.raw()
        eq(raw.call("CLIENT", "UNBLOCK", str(a_id), "LATER"),
           b"-ERR CLIENT UNBLOCK reason should be TIMEOUT or ERROR\r\n", "bad reason")
        # The unblocked client goes on working, and a later push reaches nobody.
        eq(a.call("PING"), b"+PONG\r\n", "unblocked client works")
        r.rpush("b:ub", "v")
        eq(r.lrange("b:ub", 0, -1), ["v"], "push after unblock stays")
        r.delete("b:ub")
        r.close()

    def test_blocking_in_multi(self):
        r = self.client()
        r.delete("b:m", "b:mz")
        c = self.raw()
        eq(c.call("MULTI"), b"+OK\r\n", "MULTI")
        for cmd in (("BLPOP", "b:m", "0"), ("BRPOPLPUSH", "b:m", "b:m2", "0"),
                    ("BZPOPMIN", "b:mz", "0"), ("BLMPOP", "0", "1", "b:m", "LEFT"),
                    ("BLMOVE", "b:m", "b:m2", "LEFT", "LEFT", "0")):
            eq(c.call(*cmd), b"+QUEUED\r\n", f"{cmd[0]} queued")
        t0 = time.monotonic()
        eq(c.call("EXEC", timeout=3.0),
           arr(NIL_ARRAY, NIL_BULK, NIL_ARRAY, NIL_ARRAY, NIL_BULK), "EXEC with blocking pops")
        check(time.monotonic() - t0 < 1.0, "EXEC did not wait")
        eq(self.blocked(r), 0, "nobody blocked")
        r.rpush("b:m", "a")
        eq(c.call("MULTI"), b"+OK\r\n", "MULTI")
        c.call("BLPOP", "b:m", "0")
        eq(c.call("EXEC"), arr(barr("b:m", "a")), "EXEC BLPOP with data")
        r.close()

    def test_watch_broken_by_served_pop(self):
        r = self.client()
        r.delete("b:wsrc", "b:wdst")
        w = self.raw()
        mover = self.raw()
        self.block(r, mover, "BLMOVE", "b:wsrc", "b:wdst", "LEFT", "LEFT", "0")
        eq(w.call("WATCH", "b:wdst"), b"+OK\r\n", "WATCH")
        r.rpush("b:wsrc", "x")   # touches only b:wsrc; the served BLMOVE writes b:wdst
        eq(mover.read_reply(), bulk("x"), "BLMOVE served")
        eq(w.call("MULTI"), b"+OK\r\n", "MULTI")
        w.call("SET", "b:wflag", "1")
        eq(w.call("EXEC"), NIL_ARRAY, "EXEC fails: the served move wrote the watched key")
        # The source key, emptied by a served BLPOP, is touched as well.
        r.delete("b:wdst")
        popper = self.raw()
        self.block(r, popper, "BLPOP", "b:wsrc", "0")
        r.rpush("b:wsrc", "y")
        eq(popper.read_reply(), barr("b:wsrc", "y"), "BLPOP served")
        eq(w.call("WATCH", "b:wsrc"), b"+OK\r\n", "WATCH (after)")
        eq(w.call("MULTI"), b"+OK\r\n", "MULTI")
        w.call("SET", "b:wflag", "2")
        eq(w.call("EXEC"), arr(b"+OK\r\n"), "EXEC after the pop succeeds")
        r.delete("b:wflag")
        r.close()

    def test_info_and_client_list(self):
        r = self.client()
        r.delete("b:i")
        eq(self.blocked(r), 0, "blocked_clients at rest")
        a, b = self.raw(), self.raw()
        a.call("CLIENT", "SETNAME", "waiter-a")
        b.call("CLIENT", "SETNAME", "waiter-b")
        self.block(r, a, "BLPOP", "b:i", "0")
        self.block(r, b, "BZPOPMIN", "b:iz", "0")
        eq(self.blocked(r), 2, "blocked_clients")
        flags = {e["name"]: e["flags"] for e in r.client_list()}
        eq((flags.get("waiter-a"), flags.get("waiter-b")), ("b", "b"), "CLIENT LIST flags")
        r.rpush("b:i", "v")
        eq(a.read_reply(), barr("b:i", "v"), "served")
        eq(self.blocked(r), 1, "blocked_clients after a serve")
        flags = {e["name"]: e["flags"] for e in r.client_list()}
        eq(flags.get("waiter-a"), "N", "served client's flags")
        b.close()
        self.wait_blocked(r, 0)
        r.close()

    # Pub/Sub ----------------------------------------------------------------------------------

    def test_subscribe_replies(self):
        c = self.raw()
        c.send_command("SUBSCRIBE", "ps:a", "ps:b")
        eq(c.read_reply(), arr(bulk("subscribe"), bulk("ps:a"), b":1\r\n"), "SUBSCRIBE a")
        eq(c.read_reply(), arr(bulk("subscribe"), bulk("ps:b"), b":2\r\n"), "SUBSCRIBE b")
        eq(c.call("SUBSCRIBE", "ps:a"), arr(bulk("subscribe"), bulk("ps:a"), b":2\r\n"),
           "SUBSCRIBE again")
        eq(c.call("PSUBSCRIBE", "ps:*"), arr(bulk("psubscribe"), bulk("ps:*"), b":3\r\n"),
           "PSUBSCRIBE")
        eq(c.call("UNSUBSCRIBE", "ps:a"), arr(bulk("unsubscribe"), bulk("ps:a"), b":2\r\n"),
           "UNSUBSCRIBE a")
        eq(c.call("UNSUBSCRIBE", "ps:nope"),
           arr(bulk("unsubscribe"), bulk("ps:nope"), b":2\r\n"), "UNSUBSCRIBE unknown")
        eq(c.call("UNSUBSCRIBE"), arr(bulk("unsubscribe"), bulk("ps:b"), b":1\r\n"),
           "UNSUBSCRIBE all")
        eq(c.call("PUNSUBSCRIBE"), arr(bulk("punsubscribe"), bulk("ps:*"), b":0\r\n"),
           "PUNSUBSCRIBE all")
        eq(c.call("UNSUBSCRIBE"), arr(bulk("unsubscribe"), NIL_BULK, b":0\r\n"),
           "UNSUBSCRIBE with none")
        eq(c.call("GET", "ps:x"), NIL_BULK, "normal mode again")

    def test_publish_counts_and_order(self):
        r = self.client()
        s1, s2 = self.raw(), self.raw()
        s1.call("SUBSCRIBE", "pc:ch")
        s2.call("SUBSCRIBE", "pc:ch")
        s2.call("PSUBSCRIBE", "pc:*")
        eq(r.publish("pc:ch", "m0"), 3, "receivers (2 channel + 1 pattern)")
        eq(r.publish("pc:other", "o"), 1, "pattern only")
        eq(r.publish("nobody", "x"), 0, "no receiver")
        eq(s1.read_reply(), barr("message", "pc:ch", "m0"), "s1 message")
        eq(s2.read_reply(), barr("message", "pc:ch", "m0"), "s2 message first")
        eq(s2.read_reply(), barr("pmessage", "pc:*", "pc:ch", "m0"), "then pmessage")
        eq(s2.read_reply(), barr("pmessage", "pc:*", "pc:other", "o"), "pattern-only message")
        p = r.pipeline(transaction=False)
        for i in range(200):
            p.publish("pc:ch", f"n{i}")
        eq(p.execute(), [3] * 200, "pipelined PUBLISH counts")
        got = [s1.read_reply() for _ in range(200)]
        eq(got, [barr("message", "pc:ch", f"n{i}") for i in range(200)], "message order")
        # Messages to a client that publishes itself come to it too (RESP2 subscriber can't
        # publish, so a second subscriber on a RESP3 connection).
        eq(s1.call("UNSUBSCRIBE"), arr(bulk("unsubscribe"), bulk("pc:ch"), b":0\r\n"),
           "UNSUBSCRIBE")
        eq(r.publish("pc:ch", "after"), 2, "receivers after one unsubscribed")
        r.close()

    def test_resp3_push(self):
        r = self.client()
        c = self.raw(resp3=True)
        eq(c.call("SUBSCRIBE", "p3:ch"), arr(bulk("subscribe"), bulk("p3:ch"), b":1\r\n", t=b">"),
           "RESP3 subscribe push")
        eq(c.call("PSUBSCRIBE", "p3:*"), arr(bulk("psubscribe"), bulk("p3:*"), b":2\r\n", t=b">"),
           "RESP3 psubscribe push")
        eq(r.publish("p3:ch", "hello"), 2, "PUBLISH")
        eq(c.read_reply(), push("message", "p3:ch", "hello"), "message push")
        eq(c.read_reply(), push("pmessage", "p3:*", "p3:ch", "hello"), "pmessage push")
        # RESP3 subscribers may run any command.
        r.set("p3:k", "v")
        eq(c.call("GET", "p3:k"), bulk("v"), "GET while subscribed (RESP3)")
        eq(c.call("PING"), b"+PONG\r\n", "PING while subscribed (RESP3)")
        # Publishing to itself: the push comes before PUBLISH's reply.
        c.send_command("PUBLISH", "p3:ch", "self")
        eq(c.read_reply(), push("message", "p3:ch", "self"), "own message first")
        eq(c.read_reply(), push("pmessage", "p3:*", "p3:ch", "self"), "own pmessage")
        eq(c.read_reply(), b":2\r\n", "then PUBLISH's reply")
        eq(c.call("UNSUBSCRIBE", "p3:ch"), arr(bulk("unsubscribe"), bulk("p3:ch"), b":1\r\n",
                                                 t=b">"), "RESP3 unsubscribe push")
        eq(c.call("PUNSUBSCRIBE"), arr(bulk("punsubscribe"), bulk("p3:*"), b":0\r\n", t=b">"),
           "RESP3 punsubscribe push")
        r.delete("p3:k")
        r.close()

    def test_resp2_subscribed_mode(self):
        c = self.raw()
        c.call("SUBSCRIBE", "p2:ch")
        eq(c.call("GET", "p2:k"),
           b"-ERR Can't execute 'get': only (P|S)SUBSCRIBE / (P|S)UNSUBSCRIBE / PING / QUIT "
           b"/ RESET are allowed in this context\r\n", "GET refused")
        eq(c.call("PING"), barr("pong", ""), "PING in subscribed mode")
        eq(c.call("PING", "hi"), barr("pong", "hi"), "PING msg in subscribed mode")
        eq(c.call("RESET"), b"+RESET\r\n", "RESET leaves subscribed mode")
        eq(c.call("PING"), b"+PONG\r\n", "PING after RESET")
        r = self.client()
        eq(self.numsub(r, "p2:ch"), 0, "RESET dropped the subscription")
        r.close()

    def test_pubsub_introspection(self):
        r = self.client()
        base_pat = int(r.execute_command("PUBSUB", "NUMPAT"))
        a, b = self.raw(), self.raw()
        a.send_command("SUBSCRIBE", "pi:one", "pi:two")
        a.read_reply()
        a.read_reply()
        b.call("SUBSCRIBE", "pi:two")
        b.call("PSUBSCRIBE", "pi:*")
        a.call("PSUBSCRIBE", "pi:*")
        a.call("PSUBSCRIBE", "other:*")
        chans = sorted(r.pubsub_channels("pi:*"))
        eq(chans, ["pi:one", "pi:two"], "PUBSUB CHANNELS pattern")
        check({"pi:one", "pi:two"} <= set(r.pubsub_channels()), "PUBSUB CHANNELS")
        raw = self.raw()
        eq(raw.call("PUBSUB", "NUMSUB", "pi:one", "pi:two", "pi:none"),
           arr(bulk("pi:one"), b":1\r\n", bulk("pi:two"), b":2\r\n", bulk("pi:none"), b":0\r\n"),
           "PUBSUB NUMSUB")
        eq(raw.call("PUBSUB", "NUMSUB"), b"*0\r\n", "PUBSUB NUMSUB without channels")
        eq(raw.call("PUBSUB", "NUMPAT"), b":%d\r\n" % (base_pat + 2), "PUBSUB NUMPAT (unique)")
        info = r.info()
        eq((info["pubsub_channels"] >= 2, info["pubsub_patterns"]), (True, base_pat + 2),
           "INFO pubsub_channels / pubsub_patterns")
        a.close()
        b.close()
        check(wait_for(lambda: self.numsub(r, "pi:two") == 0, WAIT_S), "closed subscribers gone")
        eq(int(r.execute_command("PUBSUB", "NUMPAT")), base_pat, "patterns gone with clients")
        eq(r.pubsub_channels("pi:*"), [], "channels gone with clients")
        r.close()

    def test_pubsub_numsub_resp3(self):
        """Redis 7.0 answers PUBSUB NUMSUB with a flat array in RESP3 too (addReplyArrayLen
        of 2 * channels), not a map."""
        a = self.raw()
        a.call("SUBSCRIBE", "pn:one")
        r3 = self.raw(resp3=True)
        eq(r3.call("PUBSUB", "NUMSUB", "pn:one", "pn:none"),
           arr(bulk("pn:one"), b":1\r\n", bulk("pn:none"), b":0\r\n"),
           "PUBSUB NUMSUB in RESP3")

    # Output buffer limit ----------------------------------------------------------------------

    def test_pubsub_output_buffer_limit(self):
        r = self.client()
        old = r.config_get("client-output-buffer-limit")["client-output-buffer-limit"]
        eq(r.config_set("client-output-buffer-limit", "pubsub 256kb 128kb 60"), True,
           "CONFIG SET client-output-buffer-limit")
        try:
            got = r.config_get("client-output-buffer-limit")["client-output-buffer-limit"]
            check("pubsub 262144 131072 60" in got, f"CONFIG GET gave {got!r}")
            slow = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            slow.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
            slow.settimeout(5)
            slow.connect(("127.0.0.1", self.port))
            slow.sendall(harness.encode_command("SUBSCRIBE", "ob:ch"))
            check(wait_for(lambda: self.numsub(r, "ob:ch") == 1, WAIT_S), "subscribed")
            fast = self.raw()
            fast.call("SUBSCRIBE", "ob:ch")
            payload = "x" * OBUF_MSG_BYTES
            pub = self.client()
            t0 = time.monotonic()
            sent = 0
            while sent < OBUF_MAX_MESSAGES and time.monotonic() - t0 < OBUF_MAX_SECONDS:
                p = pub.pipeline(transaction=False)
                for _ in range(16):
                    p.publish("ob:ch", payload)
                p.execute()
                sent += 16
                for _ in range(16):  # the fast subscriber keeps up
                    fast.read_reply()
                if self.numsub(r, "ob:ch") < 2:
                    break
            check(wait_for(lambda: self.numsub(r, "ob:ch") == 1, WAIT_S),
                  f"slow subscriber still subscribed after {sent} messages of "
                  f"{OBUF_MSG_BYTES} bytes in {time.monotonic() - t0:.1f}s")
            # The slow socket gets EOF (after whatever was in flight), bounded.
            deadline = time.monotonic() + WAIT_S
            closed = False
            while time.monotonic() < deadline:
                try:
                    chunk = slow.recv(1 << 20)
                except socket.timeout:
                    break
                except ConnectionResetError:
                    closed = True
                    break
                if not chunk:
                    closed = True
                    break
            slow.close()
            check(closed, "slow subscriber's connection was not closed")
            check(self.srv.alive(), "server died")
            eq(r.ping(), True, "other clients work")
            eq(pub.publish("ob:ch", "small"), 1, "the fast subscriber is still there")
            eq(fast.read_reply(), barr("message", "ob:ch", "small"), "fast subscriber")
            pub.close()
        finally:
            r.config_set("client-output-buffer-limit", old)
            r.close()

    def test_keyspace_del_of_emptied_key(self):
        """A command that removes the last element deletes the key; Redis notifies "del"
        after the command's own event (LPOP, HDEL, ZREM, SREM, a served BLPOP)."""
        r = self.client()
        old = r.config_get("notify-keyspace-events")["notify-keyspace-events"]
        c = self.ks_sub()
        r.config_set("notify-keyspace-events", "KEA")
        try:
            def both(key, ev):
                return [(f"__keyspace@0__:{key}", ev), (f"__keyevent@0__:{ev}", key)]
            r.rpush("d:l", "only")
            r.hset("d:h", "f", "1")
            r.zadd("d:z", {"m": 1})
            r.sadd("d:s", "a")
            self.until_marker(r, c)
            got, want = {}, {}
            r.lpop("d:l")
            got["LPOP"], want["LPOP"] = self.until_marker(r, c), both("d:l", "lpop") + both(
                "d:l", "del")
            r.hdel("d:h", "f")
            got["HDEL"], want["HDEL"] = self.until_marker(r, c), both("d:h", "hdel") + both(
                "d:h", "del")
            r.zrem("d:z", "m")
            got["ZREM"], want["ZREM"] = self.until_marker(r, c), both("d:z", "zrem") + both(
                "d:z", "del")
            r.srem("d:s", "a")
            got["SREM"], want["SREM"] = self.until_marker(r, c), both("d:s", "srem") + both(
                "d:s", "del")
            w = self.raw()
            self.block(r, w, "BLPOP", "d:bl", "0")
            r.rpush("d:bl", "v")
            eq(w.read_reply(), barr("d:bl", "v"), "BLPOP served")
            got["BLPOP"] = self.until_marker(r, c)
            want["BLPOP"] = both("d:bl", "rpush") + both("d:bl", "lpop") + both("d:bl", "del")
            bad = {k: got[k] for k in got if got[k] != want[k]}
            check(not bad, f"events differ from Redis for {sorted(bad)}: got {bad!r}")
        finally:
            r.config_set("notify-keyspace-events", old)
            r.delete("d:l", "d:h", "d:z", "d:s", "d:bl")
            r.close()

    # Keyspace notifications -------------------------------------------------------------------

    def read_events(self, c, n, timeout=WAIT_S):
        out = []
        for _ in range(n):
            reply = harness.parse_reply(c.read_reply(timeout))
            kids = reply[1]
            eq(kids[0][1], b"pmessage", "event kind")
            out.append((kids[2][1].decode(), kids[3][1].decode()))
        return out

    def ks_sub(self):
        c = self.raw()
        eq(c.call("PSUBSCRIBE", "__key*@0__:*"),
           arr(bulk("psubscribe"), bulk("__key*@0__:*"), b":1\r\n"), "PSUBSCRIBE")
        return c

    def until_marker(self, r, c, limit=50):
        """Publishes a marker on a channel the notification subscriber matches and returns the
        events that arrived before it: everything the commands sent before on `r` caused."""
        self._marker = getattr(self, "_marker", 0) + 1
        name = f"m{self._marker}"
        r.publish("__keyspace@0__:marker", name)
        out = []
        for _ in range(limit):
            ev = self.read_events(c, 1)[0]
            if ev == ("__keyspace@0__:marker", name):
                return out
            out.append(ev)
        raise AssertionError(f"marker not seen after {limit} events: {out!r}")

    def expect_only_marker(self, r, c, name, what):
        eq(self.until_marker(r, c), [], what)

    def test_keyspace_events(self):
        r = self.client()
        r.delete("n:s", "n:l", "n:h", "n:z", "n:r", "n:r2", "n:e", "n:i", "n:set")
        old = r.config_get("notify-keyspace-events")["notify-keyspace-events"]
        c = self.ks_sub()
        try:
            eq(r.config_set("notify-keyspace-events", "KEA"), True, "CONFIG SET KEA")

            def both(key, ev):
                return [(f"__keyspace@0__:{key}", ev), (f"__keyevent@0__:{ev}", key)]

            r.set("n:s", "v")
            eq(self.read_events(c, 2), both("n:s", "set"), "SET")
            r.delete("n:s")
            eq(self.read_events(c, 2), both("n:s", "del"), "DEL")
            r.set("n:s", "v", ex=100)
            eq(self.read_events(c, 4), both("n:s", "set") + both("n:s", "expire"), "SET EX")
            r.lpush("n:l", "a", "b")
            eq(self.read_events(c, 2), both("n:l", "lpush"), "LPUSH (one event)")
            r.hset("n:h", mapping={"f": "1", "g": "2"})
            eq(self.read_events(c, 2), both("n:h", "hset"), "HSET")
            r.zadd("n:z", {"m": 1})
            eq(self.read_events(c, 2), both("n:z", "zadd"), "ZADD")
            r.set("n:r", "v")
            self.read_events(c, 2)
            r.rename("n:r", "n:r2")
            eq(self.read_events(c, 4), both("n:r", "rename_from") + both("n:r2", "rename_to"),
               "RENAME")
            r.set("n:e", "v")
            self.read_events(c, 2)
            eq(r.pexpire("n:e", 50), True, "PEXPIRE")
            eq(self.read_events(c, 2), both("n:e", "expire"), "PEXPIRE event")
            # Active expiry: nobody touches n:e; the event arrives by itself (bounded read).
            eq(self.read_events(c, 2, timeout=5.0), both("n:e", "expired"), "expired event")
            r.expire("n:z", 0)
            eq(self.until_marker(r, c), both("n:z", "del"), "EXPIRE 0 deletes")
            r.incr("n:i")
            eq(self.read_events(c, 2), both("n:i", "incrby"), "INCR")

            # Ex: only expiry events on the keyevent channel.
            eq(r.config_set("notify-keyspace-events", "Ex"), True, "CONFIG SET Ex")
            r.set("n:e", "v", px=50)
            r.delete("n:s")
            eq(self.read_events(c, 1, timeout=5.0), [("__keyevent@0__:expired", "n:e")],
               "Ex: only the expired keyevent")

            # "" disables everything.
            eq(r.config_set("notify-keyspace-events", ""), True, "CONFIG SET ''")
            r.set("n:s", "v")
            r.delete("n:s")
            r.lpush("n:l", "c")
            r.set("n:e", "v", px=1)
            check(wait_for(lambda: r.exists("n:e") == 0, WAIT_S), "n:e expired")
            self.expect_only_marker(r, c, "m1", "nothing while disabled")
        finally:
            r.config_set("notify-keyspace-events", old)
            r.delete("n:s", "n:l", "n:h", "n:z", "n:r", "n:r2", "n:e", "n:i")
            r.close()


TESTS = [n for n in dir(Suite) if n.startswith("test_")]
ORDER = ["test_blpop_fifo", "test_push_serves_several", "test_blpop_several_keys",
         "test_ready_key_order_after_exec", "test_decimal_timeout", "test_blmove_timeout_reply",
         "test_timeout_zero_waits", "test_blmove_chain",
         "test_reply_shapes", "test_other_client_disconnects",
         "test_disconnected_waiter_consumes_nothing", "test_client_unblock",
         "test_blocking_in_multi", "test_watch_broken_by_served_pop", "test_info_and_client_list",
         "test_subscribe_replies", "test_publish_counts_and_order", "test_resp3_push",
         "test_resp2_subscribed_mode", "test_pubsub_introspection", "test_pubsub_numsub_resp3",
         "test_pubsub_output_buffer_limit", "test_keyspace_events",
         "test_keyspace_del_of_emptied_key"]
assert sorted(ORDER) == sorted(TESTS), "ORDER must list every test"

# CONFIG SET strings compared between both servers: CONFIG GET gives the canonical form.
NOTIFY_STRINGS = ["KEA", "Ex", "", "AKE", "gE", "lshzxetK$g", "K", "E", "A", "g$", "EA$",
                  "xeK", "KEm", "En", "KA", "Ag$lshzxeKEt"]


def compare_notify_config(ember, redis_srv):
    """CONFIG SET notify-keyspace-events S, then CONFIG GET, on both servers."""
    diffs = []
    with ember.connect() as e, redis_srv.connect() as r:
        for s in NOTIFY_STRINGS + ["Q", "KEAQ"]:
            got = []
            for c in (e, r):
                set_reply = c.call("CONFIG", "SET", "notify-keyspace-events", s)
                get_reply = c.call("CONFIG", "GET", "notify-keyspace-events")
                got.append((set_reply, get_reply))
            if got[0] != got[1]:
                diffs.append(f"  {s!r}: ember {got[0]!r} / redis {got[1]!r}")
        for c in (e, r):
            c.call("CONFIG", "SET", "notify-keyspace-events", "")
    return diffs


def run_suite(srv, is_redis, only, passed, failed):
    suite = Suite(srv, is_redis)
    for name in ORDER:
        if only and only not in name:
            continue
        label = f"[{srv.name}] {name}"
        t0 = time.monotonic()
        try:
            getattr(suite, name)()
            passed.append(label)
            print(f"PASS {label} ({time.monotonic() - t0:.2f}s)", flush=True)
        except Exception as e:
            failed.append(label)
            detail = "".join(traceback.format_exception_only(type(e), e)).strip()
            print(f"FAIL {label}: {detail}", flush=True)
            if not srv.alive():
                print(f"  {srv.name} is no longer running; log tail:\n{srv.log_tail()}")
                raise RuntimeError(f"{srv.name} died")
        finally:
            suite.close_all()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("ember", help="path to ember-server")
    ap.add_argument("--redis", default="/usr/bin/redis-server" if os.access(
        "/usr/bin/redis-server", os.X_OK) else None, help="redis-server to compare with")
    ap.add_argument("--no-redis", action="store_true", help="skip the redis-server runs")
    ap.add_argument("-k", default=None, help="run only tests whose name contains this")
    args = ap.parse_args()
    if args.no_redis:
        args.redis = None
    print(f"test_blocking_pubsub: redis-py {redis.__version__}, server {args.ember}, "
          f"reference {args.redis or '(none)'}", flush=True)
    t_start = time.monotonic()
    passed, failed = [], []
    servers = []
    try:
        ember = harness.Server(args.ember, name="ember")
        servers.append(ember)
        ember.start()
        ref = None
        if args.redis:
            ref = harness.Server(args.redis, name="redis", args=["--save", "", "--appendonly",
                                                                 "no"])
            servers.append(ref)
            ref.start()
        run_suite(ember, False, args.k, passed, failed)
        if ref is not None:
            run_suite(ref, True, args.k, passed, failed)
            if not args.k or args.k in "notify_config":
                diffs = compare_notify_config(ember, ref)
                label = "[ember vs redis] notify_config"
                if diffs:
                    failed.append(label)
                    print(f"FAIL {label}: CONFIG SET/GET notify-keyspace-events differ:\n"
                          + "\n".join(diffs), flush=True)
                else:
                    passed.append(label)
                    print(f"PASS {label}", flush=True)
    except Exception as e:
        print(f"test_blocking_pubsub: ERROR: {type(e).__name__}: {e}")
        failed.append("<harness>")
    finally:
        for s in servers:
            s.stop()
    print(f"test_blocking_pubsub: {len(passed)} passed, {len(failed)} failed"
          + (f" (failed: {', '.join(failed)})" if failed else "")
          + f" in {time.monotonic() - t_start:.1f}s")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
