#!/usr/bin/python3
"""Differential test: the same command script against redis-server 7.0 and ember-server.

Usage: differential.py EMBER_BINARY [--redis /usr/bin/redis-server] [--seed N] [--count N]

Both servers start on free ports on 127.0.0.1, each in its own temp dir. Every command goes
to both over raw RESP and the reply bytes are compared; every mismatch is printed with the
command and both replies, and any mismatch makes the exit code 1.

The script is
  1. hand-written edge cases (strings, hashes, lists, keys, expiry, globs, errors, wrong
     types, transactions), run once in RESP2 and once again after HELLO 3. Transactions
     cover queueing, runtime errors inside EXEC, -EXECABORT, nested MULTI, WATCH inside
     MULTI, what does and does not break a WATCH (same connection, and a second connection
     to each server for writes by another client);
  2. seeded random sequences of string, hash, list and key commands over a small key pool
     and a small hash field pool, so commands collide and WRONGTYPE happens (the seed is
     printed and can be set with --seed), with MULTI ... EXEC/DISCARD blocks of a handful of
     random commands, sometimes after a WATCH and writes to the watched keys;
  3. protocol cases on fresh connections: malformed multibulk and inline requests, empty
     lines, split and pipelined writes; compared on the reply bytes and on whether the
     connection is then closed.

Determinism: relative expiries are always large (>= 10^5 s) and strictly increasing across
the run, absolute ones lie in the year 2100+, and TTL/PTTL/EXPIRETIME/PEXPIRETIME replies
are compared with a 2 s tolerance when both are >= 0. KEYS replies are compared as sets.
RANDOMKEY is only sent when the reference says the db holds 0 or 1 keys. The HELLO reply
is compared with its server/version/id values masked.

Lists are covered only when ember answers LPUSH (supports_lists), so the script passes
against a server without lists. Redis 7.0 reports OBJECT ENCODING "quicklist" for every list
(the listpack encoding of small lists is 7.2's).

An EXEC reply that is an array of one reply per queued command is compared element by
element with each command's own rules (TTL tolerance, KEYS as a set, hash reads as
multisets). A mismatching EXEC or DISCARD is printed with the commands that preceded it.

Hashes: a listpack-encoded hash (<= 512 fields, fields and values <= 64 bytes: Redis 7.0's
defaults) answers in insertion order, so its replies are compared byte for byte. When the
reference says a hash is hashtable-encoded (OBJECT ENCODING, asked of the reference only),
HGETALL/HKEYS/HVALS/HRANDFIELD replies are compared as multisets (of field/value pairs for
HGETALL and WITHVALUES), and HSCAN from cursor 0 is compared by the union of a full walk,
each server following its own cursors. SCAN is always compared that way. HRANDFIELD is only
sent where its answer is determined: missing or wrong-type keys, count 0, count >= the size
(known from the reference's HLEN just before), or a one-field hash.

Sets (Redis 7.0: intset while every member is a canonical integer and there are <= 512,
iterated in ascending order; else hashtable): replies are compared byte for byte unless the
reference says a key involved is hashtable-encoded right after the command (SMEMBERS, and
SINTER/SUNION/SDIFF when any input key is), or a SUNION/SDIFF result holds over 512 members
(Redis builds it as a set of its own); then as multisets, in RESP2 and RESP3 alike. SSCAN on a
hashtable is compared by the union of a full walk. SPOP/SRANDMEMBER are only sent where the
answer is determined (given the reference's SCARD and OBJECT ENCODING just before): missing
or wrong-type keys, one-member sets, count 0, count >= size (whole set: ascending for an
intset, any order for a hashtable), bad counts; SRANDMEMBER with a negative count is compared
by reply type and length only.

Sorted sets (Redis 7.0: listpack while there are <= 128 elements of <= 64 bytes each, else
skiplist; CONFIG SET of the zset-max-listpack-* thresholds is covered and restored): both
encodings answer in (score, member) order, so every reply is compared byte for byte (scores
as %.17g in RESP2 bulks and RESP3 doubles, -0 and integral scores as Redis prints them),
except ZSCAN of a skiplist (by the union of a full walk: it follows the member hash table)
and ZRANDMEMBER, which is only sent where its answer is determined (given the reference's
ZCARD just before): missing or wrong-type keys, one-member sets, count 0, count >= the size
(the whole set, which 7.0 answers in descending order), bad counts; a negative count is
compared by reply type and length only. Lex-range commands only name keys whose scores are
all 0 (ZSET_LEX; Redis leaves lex ranges over mixed scores unspecified). DUMP payloads are
Ember's own format, so DUMP + RESTORE is a round trip on each server with its own payload
(DumpRestore) and only the RESTORE reply and what is read back are compared. The random part
mixes listpack and skiplist sized sets (bulk ZADDs of up to 200 members, the odd 65-byte
member), plain sets as ZUNION/ZINTER/ZDIFF inputs, WEIGHTS/AGGREGATE, NX/XX/GT/LT/CH/INCR.

Streams: ids are explicit everywhere (a monotone counter in the random script, fixed ids in
the edge cases), because `*` takes each server's own clock; "ms-*" is used, as it is
deterministic. Entries, trimming (nodes of 100 entries, so `~` and radix-tree-keys agree),
XDEL, groups, XREADGROUP (new and history), XACK, XCLAIM/XAUTOCLAIM with a min-idle of 0 or
one no entry reaches, XSETID and XINFO are compared byte for byte, except the times the two
servers take from their own clocks: XPENDING's idle column, XINFO CONSUMERS' idle, and XINFO
STREAM FULL's seen-time and delivery-time are compared with a 2 s tolerance (stream_times_equal).
XREAD/XREADGROUP BLOCK are sent only where data is there to serve, or with a 1 ms timeout.
"""

import argparse
import collections
import os
import random
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402
from harness import ConnectionClosed, ProtocolError  # noqa: E402

DEFAULT_REDIS = "/usr/bin/redis-server"
DEFAULT_COUNT = 3000
REPLY_TIMEOUT_S = 5.0
MAX_PRINTED_REPLY = 400
MAX_EMBER_FAILURES = 10  # then stop: each may have cost a reply timeout
MAX_SCAN_PAGES = 20000   # bound on one SCAN/HSCAN walk (a page holds >= 1 bucket)
CONTEXT_COMMANDS = 6     # commands shown before a mismatching EXEC or DISCARD


def S(line):
    """'SET k v' -> ['SET', 'k', 'v'] (no quoting; use a list for args with spaces)."""
    return line.split(" ")


# --------------------------------------------------------------------------------------------
# Normalisation of replies that may legitimately differ
# --------------------------------------------------------------------------------------------

TIME_TOLERANCE = {"TTL": 2, "EXPIRETIME": 2, "PTTL": 2000, "PEXPIRETIME": 2000}


def _name(cmd):
    return cmd[0].upper() if isinstance(cmd[0], str) else cmd[0].decode("latin-1").upper()


def replies_equal(cmd, r, e):
    if r == e:
        return True
    name = _name(cmd)
    try:
        if name in TIME_TOLERANCE:
            rv, ev = harness.parse_reply(r), harness.parse_reply(e)
            if rv[0] == ev[0] == b":":
                a, b = int(rv[1]), int(ev[1])
                return a >= 0 and b >= 0 and abs(a - b) <= TIME_TOLERANCE[name]
            return False
        if name == "KEYS":
            rv, ev = harness.parse_reply(r), harness.parse_reply(e)
            if rv[0] == ev[0] and isinstance(rv[1], list) and isinstance(ev[1], list):
                return sorted(rv[1]) == sorted(ev[1])
            return False
        if name == "HELLO":
            return mask_hello(r) == mask_hello(e)
        if name in ("XPENDING", "XINFO"):
            return stream_times_equal(harness.parse_reply(r), harness.parse_reply(e))
    except (ProtocolError, ValueError):
        return False
    return False


# Replies whose order is the hash table's own. A hashtable-encoded hash (past 512 fields or a
# field or value past 64 bytes) answers HGETALL, HKEYS, HVALS, HRANDFIELD and HSCAN in the
# order of its buckets, which a compatible server need not share; a listpack-encoded one
# answers in insertion order, which it must. The keyspace itself is always a hash table, so
# SCAN pages differ too.

class Unordered(list):
    """A command whose array reply is compared as a multiset ("set") or as a multiset of
    field/value pairs ("pairs") when the bytes differ: always if key is None, else only when
    the reference says key (or, for a list or tuple of keys, any of them) is hashtable-encoded
    right after the command, or (big=True) the reference's array holds more than
    SET_INTSET_ENTRIES elements (SUNION/SDIFF build their result as a set of their own, which
    Redis turns into a hashtable past set-max-intset-entries). how="len" compares only the
    aggregate type and the number of elements (SRANDMEMBER with a negative count)."""

    def __init__(self, cmd, how, key=None, big=False):
        super().__init__(cmd)
        self.how = how
        self.key = key
        self.big = big


class ScanAll(list):
    """A SCAN or HSCAN command (cursor "0") compared by the union of what the full iteration
    returns, each server walked with its own cursors; pairs=True for HSCAN's field/value
    pairs. An error reply to the first page is compared byte for byte. With key set, the
    full walk happens only when the reference says key is hashtable-encoded; otherwise the
    single reply is compared byte for byte (a listpack hash answers whole, cursor 0)."""

    def __init__(self, cmd, pairs, key=None):
        super().__init__(cmd)
        self.pairs = pairs
        self.key = key

    def cursor_index(self):
        return 1 if _name(self) == "SCAN" else 2


def _sort_key(value):
    return harness.encode_value(value)


def unordered_equal(r, e, how):
    """Equal as multisets of elements (how="set") or of field/value pairs (how="pairs"; a
    flat array, a RESP3 map, or an array of 2-element arrays). The aggregate type must match."""
    try:
        rv, ev = harness.parse_reply(r), harness.parse_reply(e)
    except (ProtocolError, ValueError):
        return False
    if rv[0] != ev[0] or not isinstance(rv[1], list) or not isinstance(ev[1], list):
        return False
    if how == "len":
        return len(rv[1]) == len(ev[1])
    return _normalise(rv[1], how) == _normalise(ev[1], how)


def _array_len(reply):
    """The number of elements of an array/set reply, else -1."""
    try:
        t, v = harness.parse_reply(reply)
    except (ProtocolError, ValueError):
        return -1
    return len(v) if isinstance(v, list) else -1


def _normalise(items, how):
    if how == "pairs" and not all(isinstance(c[1], list) for c in items):
        if len(items) % 2:
            return None
        return sorted(((_sort_key(a), _sort_key(b)) for a, b in zip(items[0::2], items[1::2])))
    return sorted(_sort_key(c) for c in items)


STREAM_TIME_TOLERANCE_MS = 2000
STREAM_TIME_KEYS = (b"idle", b"seen-time")


def stream_times_equal(rv, ev):
    """Equal replies but for the times each server took from its own clock: an integer after
    an "idle" or "seen-time" key, an XPENDING row's idle column ([id, consumer, idle, count])
    and absolute ms times (>= 10^12, XINFO FULL's delivery times) may differ by the
    tolerance."""
    def close(a, b):
        return abs(int(a) - int(b)) <= STREAM_TIME_TOLERANCE_MS

    def walk(a, b, timey=False):
        if a[0] != b[0]:
            return False
        if isinstance(a[1], list) != isinstance(b[1], list):
            return False
        if not isinstance(a[1], list):
            if a[1] == b[1]:
                return True
            if a[0] == b":" and a[1] is not None and b[1] is not None:
                big = abs(int(a[1])) >= 10**12 and abs(int(b[1])) >= 10**12
                return (timey or big) and close(a[1], b[1])
            return False
        if len(a[1]) != len(b[1]):
            return False
        row = (len(a[1]) == 4 and a[1][0][0] == b"$" and a[1][1][0] == b"$"
               and a[1][2][0] == b":" and b"-" in (a[1][0][1] or b""))
        prev = None
        for i, (x, y) in enumerate(zip(a[1], b[1])):
            t = (prev in STREAM_TIME_KEYS) or (row and i == 2)
            if not walk(x, y, t):
                return False
            prev = x[1] if x[0] == b"$" else None
        return True
    return walk(rv, ev)


def mask_hello(reply):
    """Masks the values of server, version and id in a HELLO reply (map or flat array)."""
    try:
        t, items = harness.parse_reply(reply)
    except (ProtocolError, ValueError):
        return reply
    if not isinstance(items, list):
        return reply
    out = list(items)
    for i in range(0, len(out) - 1, 2):
        if out[i][1] in (b"server", b"version", b"id"):
            out[i + 1] = (b"+", b"<masked>")
    return harness.encode_value((t, out))


def brief(cmd, width=24):
    """'B: SET key value' with each argument cut to `width` characters, for context lines."""
    args = [a if isinstance(a, str) else repr(a) for a in cmd]
    args = [a if len(a) <= width else a[:width] + "..." for a in args]
    return ("B: " if isinstance(cmd, Second) else "") + " ".join(args)


def show(b):
    s = repr(b)
    return s if len(s) <= MAX_PRINTED_REPLY else s[:MAX_PRINTED_REPLY] + f"... ({len(b)} bytes)"


# --------------------------------------------------------------------------------------------
# Running one command on both servers
# --------------------------------------------------------------------------------------------

class Second(list):
    """A command sent on each server's second connection (for WATCH across clients)."""

    def __repr__(self):
        return "B:" + list.__repr__(self)


class ShowAs(list):
    """A RESTORE whose payload argument (index 3) differs between the servers: the command as
    given goes to the reference, ember gets `ember_payload` in its place; printed as `shown`."""

    def __init__(self, cmd, shown, ember_payload):
        super().__init__(cmd)
        self.shown = shown
        self.ember_payload = ember_payload

    def ember_cmd(self):
        return self[:3] + [self.ember_payload] + self[4:]


# Encodings whose iteration order is the server's own (hash buckets): a hashtable hash or set,
# and the member table that a skiplist zset is scanned by (ZSCAN).
UNORDERED_ENCODINGS = (b"hashtable", b"skiplist")


class Exec(list):
    """An EXEC whose reply, when it is an array of one reply per queued command, is compared
    element by element with the rules of each queued command (TTL tolerance, KEYS as a set,
    Unordered commands as multisets: inside a transaction the reference cannot be asked for
    the encoding at the time the command ran, so their order is never checked there)."""

    def __init__(self, cmd, queued):
        super().__init__(cmd)
        self.queued = list(queued)


# Keyspace events compared after every command: every class except expired and evicted
# (active expiry runs on the servers' own timers).
EVENT_FLAGS = "KEg$lshztnm"
MARKER_CHANNEL = "__differential_marker__"


class EventWatch:
    """A subscriber to every keyspace event on each server. After each command a marker is
    published from a third connection; the events a server delivered before its marker are
    the command's events (one subscriber sees one server's messages in order)."""

    def __init__(self, redis_srv, ember_srv):
        self.seq = 0
        self.sides = []
        for srv in (redis_srv, ember_srv):
            sub, pub = srv.connect(REPLY_TIMEOUT_S), srv.connect(REPLY_TIMEOUT_S)
            pub.call("CONFIG", "SET", "notify-keyspace-events", EVENT_FLAGS)
            sub.call("PSUBSCRIBE", "__key*__:*")
            sub.call("SUBSCRIBE", MARKER_CHANNEL)
            self.sides.append((sub, pub))

    def take(self):
        """(redis events, ember events) since the last call, each a list of raw messages, or
        an error text in place of ember's list when its subscriber failed."""
        self.seq += 1
        marker = str(self.seq).encode()
        out = []
        for sub, pub in self.sides:
            events = []
            try:
                pub.call("PUBLISH", MARKER_CHANNEL, marker)
                while True:
                    msg = [v for _, v in harness.parse_reply(sub.read_reply())[1]]
                    if msg[0] == b"message" and msg[1] == MARKER_CHANNEL.encode():
                        if msg[2] == marker:
                            break
                        continue
                    events.append(b" ".join(msg[2:]))
            except (OSError, ConnectionClosed, ProtocolError) as ex:
                events = f"<event subscriber failed: {ex}>"
            out.append(events)
        return out

    def close(self):
        for sub, pub in self.sides:
            sub.close()
            pub.close()


class Pair:
    def __init__(self, redis_srv, ember_srv):
        self.redis_srv, self.ember_srv = redis_srv, ember_srv
        self.events = EventWatch(redis_srv, ember_srv)
        self.r = self.e = None
        self.r2 = self.e2 = None  # second connections, opened on first use
        self.commands = 0
        self.mismatches = []
        self.ember_failures = 0  # closed connections, timeouts, unparseable replies
        self.recent = collections.deque(maxlen=CONTEXT_COMMANDS)  # printed with EXEC mismatches
        self.reconnect()

    def reconnect(self):
        for c in (self.r, self.e, self.r2, self.e2):
            if c is not None:
                c.close()
        self.r2 = self.e2 = None
        self.r = self.redis_srv.connect(REPLY_TIMEOUT_S)
        self.e = self.ember_srv.connect(REPLY_TIMEOUT_S)

    def close(self):
        for c in (self.r, self.e, self.r2, self.e2):
            if c is not None:
                c.close()
        self.events.close()

    def check_events(self, section, cmd, compare=True):
        rev, eev = self.events.take()
        if isinstance(rev, str):
            raise RuntimeError(f"reference redis event subscriber failed: {rev}")
        if compare and rev != eev:
            self.mismatch(section + "-events", cmd, b"\n".join(rev),
                          eev.encode() if isinstance(eev, str) else b"\n".join(eev))

    def _conns(self, cmd):
        if not isinstance(cmd, Second):
            return self.r, self.e
        if self.r2 is None:
            self.r2 = self.redis_srv.connect(REPLY_TIMEOUT_S)
            self.e2 = self.ember_srv.connect(REPLY_TIMEOUT_S)
        return self.r2, self.e2

    @staticmethod
    def _one(conn, data):
        try:
            conn.send(data)
            return conn.read_reply(), None
        except ConnectionClosed as ex:
            return None, f"<connection closed: {ex}>"
        except (OSError, ProtocolError) as ex:
            return None, f"<{type(ex).__name__}: {ex}>"

    def run(self, cmd, section, compare=True):
        """Sends cmd to both; returns the reference reply (bytes) or None on failure.
        Unordered and ScanAll commands are compared as their classes say."""
        if isinstance(cmd, ScanAll):
            return self.scan_all(cmd, section, compare)
        if isinstance(cmd, DumpRestore):
            return self.dump_restore(cmd, section, compare)
        self.commands += compare
        if _name(cmd) not in ("EXEC", "DISCARD"):
            self.recent.append(cmd)
        data = harness.encode_command(*cmd)
        edata = data if not isinstance(cmd, ShowAs) else harness.encode_command(*cmd.ember_cmd())
        rconn, econn = self._conns(cmd)
        r, rerr = self._one(rconn, data)
        e, eerr = self._one(econn, edata)
        if rerr is not None:
            raise RuntimeError(f"reference redis failed on {cmd!r}: {rerr}")
        if isinstance(cmd, ShowAs):
            cmd = cmd.shown
        if eerr is not None or (compare and not replies_equal(cmd, r, e)
                                and not self._unordered_ok(cmd, r, e)
                                and not self._exec_ok(cmd, r, e)):
            self.mismatch(section, cmd, r, e if eerr is None else eerr)
        if eerr is not None:
            self._ember_failed(cmd)
        self.check_events(section, cmd, compare)
        return r

    def dump_restore(self, cmd, section, compare=True):
        """See DumpRestore: the DUMP replies are compared only when the reference's is nil."""
        data = harness.encode_command(*cmd)
        r, rerr = self._one(self.r, data)
        e, eerr = self._one(self.e, data)
        if rerr is not None:
            raise RuntimeError(f"reference redis failed on {cmd!r}: {rerr}")
        self.commands += compare
        if eerr is not None:
            self.mismatch(section, cmd, r, eerr)
            self._ember_failed(cmd)
            return r
        rt, rv = harness.parse_reply(r)
        if rt != b"$" or rv is None:
            if compare and r != e:
                self.mismatch(section, cmd, r, e)
            return r
        try:
            et, ev = harness.parse_reply(e)
        except (ProtocolError, ValueError):
            et, ev = None, None
        if et != b"$" or ev is None:
            self.mismatch(section, cmd, b"a payload", e)
            return r
        restore = ["RESTORE", cmd.dst, cmd.ttl]
        self.run(ShowAs(restore + [ev] + cmd.args, restore + ["<the other's payload>"] + cmd.args,
                        rv), section, compare)
        return r

    def _unordered_ok(self, cmd, r, e):
        if not isinstance(cmd, Unordered):
            return False
        if cmd.key is not None and cmd.how != "len":
            keys = cmd.key if isinstance(cmd.key, (list, tuple)) else [cmd.key]
            if not ((cmd.big and _array_len(r) > SET_INTSET_ENTRIES)
                    or any(self.reference_encoding(k) in UNORDERED_ENCODINGS for k in keys)):
                return False
        return unordered_equal(r, e, cmd.how)

    @staticmethod
    def _exec_ok(cmd, r, e):
        if not isinstance(cmd, Exec):
            return False
        try:
            rv, ev = harness.parse_reply(r), harness.parse_reply(e)
        except (ProtocolError, ValueError):
            return False
        if (rv[0] != ev[0] or not isinstance(rv[1], list) or not isinstance(ev[1], list)
                or len(rv[1]) != len(ev[1]) or len(rv[1]) != len(cmd.queued)):
            return False
        for q, rc, ec in zip(cmd.queued, rv[1], ev[1]):
            rb, eb = harness.encode_value(rc), harness.encode_value(ec)
            if replies_equal(q, rb, eb):
                continue
            if isinstance(q, Unordered) and unordered_equal(rb, eb, q.how):
                continue
            return False
        return True

    def reference_encoding(self, key):
        """OBJECT ENCODING of key on the reference only (read-only, no expired keys exist in
        this script, so it changes no state); None for a missing key."""
        reply, err = self._one(self.r, harness.encode_command("OBJECT", "ENCODING", key))
        if err is not None:
            raise RuntimeError(f"reference redis failed on OBJECT ENCODING {key!r}: {err}")
        t, v = harness.parse_reply(reply)
        return v if t == b"$" else None

    def _ember_failed(self, cmd):
        self.ember_failures += 1
        if self.ember_failures > MAX_EMBER_FAILURES:
            raise EmberDied(f"ember-server failed to answer {self.ember_failures} commands "
                            f"(last: {cmd!r}); log tail:\n{self.ember_srv.log_tail()}")
        if not self.ember_srv.alive():
            raise EmberDied(f"ember-server exited (code {self.ember_srv.proc.returncode}) "
                            f"after {cmd!r}; log tail:\n{self.ember_srv.log_tail()}")
        # Keep both sides in step: fresh connections (db 0, RESP2) on both.
        self.reconnect()

    def scan_all(self, cmd, section, compare=True):
        """See ScanAll. The first page is cmd itself; a non-error first page to a cursor other
        than "0" is not compared (where it resumes is the server's own business)."""
        if cmd.key is not None and self.reference_encoding(cmd.key) not in UNORDERED_ENCODINGS:
            return self.run(list(cmd), section, compare)
        ci = cmd.cursor_index()
        data = harness.encode_command(*cmd)
        r, rerr = self._one(self.r, data)
        e, eerr = self._one(self.e, data)
        if rerr is not None:
            raise RuntimeError(f"reference redis failed on {cmd!r}: {rerr}")
        if eerr is not None:
            self.commands += compare
            self.mismatch(section, cmd, r, eerr)
            self._ember_failed(cmd)
            return r
        if r.startswith(b"-") or cmd[ci] != "0":
            compare = compare and r.startswith(b"-")
            self.commands += compare
            if compare and r != e:
                self.mismatch(section, cmd, r, e)
            return r
        self.commands += compare
        rset, rnote = self._walk(self.r, cmd, r)
        if rnote is not None:
            raise RuntimeError(f"reference redis: {rnote} for {cmd!r}")
        eset, enote = self._walk(self.e, cmd, e)
        if enote is not None:
            self.mismatch(section, cmd, f"full iteration of {len(rset)} elements", enote)
            if enote.startswith("<"):
                self._ember_failed(cmd)
        elif compare and rset != eset:
            only_r = sorted(rset - eset)[:20]
            only_e = sorted(eset - rset)[:20]
            self.mismatch(section, cmd,
                          f"{len(rset)} elements; only here: {only_r!r}".encode(),
                          f"{len(eset)} elements; only here: {only_e!r}".encode())
        return r

    def _walk(self, conn, cmd, first):
        """Follows the cursor from the reply `first` to 0. Returns (set of elements, None) or
        (partial set, note) when a page is not [bulk cursor, array of bulks] or the walk does
        not end within MAX_SCAN_PAGES pages."""
        ci = cmd.cursor_index()
        found = set()
        reply = first
        for _ in range(MAX_SCAN_PAGES):
            try:
                t, items = harness.parse_reply(reply)
                ok = (t == b"*" and isinstance(items, list) and len(items) == 2
                      and items[0][0] == b"$" and items[1][0] == b"*"
                      and all(c[0] == b"$" for c in items[1][1]))
            except (ProtocolError, ValueError):
                ok = False
            if ok and cmd.pairs:
                ok = len(items[1][1]) % 2 == 0
            if not ok:
                return found, f"page not [cursor, [bulk...]]: {show(reply)}"
            elems = [c[1] for c in items[1][1]]
            if cmd.pairs:
                found.update(zip(elems[0::2], elems[1::2]))
            else:
                found.update(elems)
            cursor = items[0][1]
            if cursor == b"0":
                return found, None
            page = list(cmd)
            page[ci] = cursor
            reply, err = self._one(conn, harness.encode_command(*page))
            if err is not None:
                return found, err
        return found, f"cursor not back to 0 after {MAX_SCAN_PAGES} pages"

    def mismatch(self, section, cmd, r, e):
        self.mismatches.append((section, cmd, r, e))
        context = ""
        if not isinstance(cmd, str) and _name(cmd) in ("EXEC", "DISCARD") and self.recent:
            # A transaction's outcome depends on what came before: show it.
            context = "\n    after: " + " | ".join(brief(c) for c in self.recent)
        print(f"MISMATCH [{section}] #{self.commands} {show(cmd)}\n"
              f"    redis: {show(r)}\n"
              f"    ember: {show(e) if isinstance(e, bytes) else e}{context}", flush=True)
        self.recent.clear()


class EmberDied(Exception):
    pass


# --------------------------------------------------------------------------------------------
# 1. Hand-written edge cases
# --------------------------------------------------------------------------------------------

FAR = 4102444800  # 2100-01-01T00:00:00Z, an absolute expiry that never fires in a test run
LONG = "x" * 60    # > 44 bytes: raw, not embstr


def edge_cases(lists_ok):
    c = []
    add = c.extend
    # Connection and basics
    add([S("PING"), S("PING hello"), S("PING a b"), S("ECHO"), S("ECHO hi"), S("ECHO a b"),
         ["ECHO", ""], S("ping"), S("PiNg x")])
    # Unknown commands and wrong arity
    add([S("FOO"), S("foo bar baz"), ["NOSUCH", "a" * 200, "b"], [""], ["GET"], S("GET a b"),
         ["SET", "k"], S("DEL"), S("EXISTS"), S("INCR"), S("INCRBY k"), S("MSET k"),
         S("MSET a 1 b"), S("MSETNX a"), S("MGET"), S("SELECT"), S("DBSIZE x"), S("TTL"),
         S("EXPIRE k"), S("SETEX k 10"), S("GETRANGE k 0"), S("SETBIT k 1"), S("BITCOUNT"),
         S("BITPOS k"), S("OBJECT"), S("KEYS"), S("RENAME a"), S("COPY a"), S("SWAPDB 0"),
         S("FLUSHDB x y"), S("TYPE"), S("TOUCH"), S("APPEND k"), S("STRLEN"), S("GETDEL"),
         S("GETEX"), S("GETSET k"), S("SETNX k"), S("PSETEX k 1"), S("INCRBYFLOAT k"),
         S("PERSIST"), S("EXPIRETIME"), S("PEXPIRETIME"), S("RANDOMKEY x"),
         S("UNLINK"), S("DECRBY k"), S("DECR")])
    # SET and its options
    add([S("SET k v"), S("GET k"), S("SET k v2 GET"), S("SET k v3 NX"), S("SET k v3 XX"),
         S("GET k"), S("SET nk v XX"), S("GET nk"), S("SET nk v NX GET"), S("SET nk w NX GET"),
         S("SET nk w XX GET"), S("SET k v NX XX"), S("SET k v EX 10 PX 100"),
         S("SET k v EX 10 KEEPTTL"), S("SET k v PX 10 KEEPTTL"), S("SET k v EX 0"),
         S("SET k v EX -1"), S("SET k v PX 0"), S("SET k v EX abc"), S("SET k v EX"),
         S("SET k v EX 1.5"), S("SET k v FOO"), S("SET k v GET GET"), S("SET k v EXAT 0"),
         S("SET k v PXAT -5"), S("SET k v EX 9223372036854775807"),
         S("SET k v PX 9223372036854775807"), S("SET k v EX 9223372036854776"),
         S("SET k v EXAT 9223372036854775807"),
         S(f"SET k v EXAT {FAR}"), S("EXPIRETIME k"), S("PEXPIRETIME k"), S("TTL k"),
         S("SET k v2 KEEPTTL"), S("EXPIRETIME k"), S("SET k v3"), S("EXPIRETIME k"),
         S(f"SET k v PXAT {FAR * 1000 + 123}"), S("PEXPIRETIME k"), S("EXPIRETIME k"),
         S("SET k v PX 100000000"), S("PTTL k"), S("TTL k"), S("SET k v EX 100000 GET"),
         S("TTL k"), S("set K lower"), S("GET K"), S("GET k"), ["SET", "", "empty-key"],
         ["GET", ""], ["SET", "sp ace", "va lue"], ["GET", "sp ace"],
         ["SET", "bin\x00key", "bin\x00val\xff"], ["GET", "bin\x00key"],
         S("SET k v ex 100000 nx"), S("SET k v xx px 100000000 get"), S("TTL k")])
    # Past absolute expiries: read the key at once so both servers drop it lazily.
    add([S("SET past v EXAT 1"), S("GET past"), S("SET past v PXAT 1000"), S("EXISTS past"),
         S("SET past v"), S("EXPIREAT past 1"), S("GET past"), S("SET past v"),
         S("GETEX past EXAT 1"), S("GET past")])
    # GET family
    add([S("GETDEL k"), S("GETDEL k"), S("SET g 1"), S("GETSET g 2"), S("GETSET nog 1"),
         S("GET nog"), S("SETNX g 3"), S("SETNX g2 3"), S("GET g2"), S("SETEX se 100000 v"),
         S("TTL se"), S("SETEX se 0 v"), S("SETEX se -10 v"), S("SETEX se abc v"),
         S("PSETEX pse 100000000 v"), S("PTTL pse"), S("PSETEX pse 0 v"),
         S("SETEX se 9223372036854775807 v"), S("GETEX g"), S("GETEX g EX 100000"), S("TTL g"),
         S("GETEX g PERSIST"), S("TTL g"), S(f"GETEX g EXAT {FAR}"), S("EXPIRETIME g"),
         S(f"GETEX g PXAT {FAR * 1000 + 5}"), S("PEXPIRETIME g"), S("GETEX g PX 100000000"),
         S("PTTL g"), S("GETEX g EX 0"), S("GETEX g EX -1"), S("GETEX g EX 10 PX 10"),
         S("GETEX g PERSIST EX 10"), S("GETEX g FOO"), S("GETEX g EX"), S("GETEX nosuch EX 10"),
         S("GETEX nosuch"), S("GETEX g EX 9223372036854775807")])
    # MSET / MGET
    add([S("MSET a 1 b 2 c 3"), S("MGET a b c d"), S("MSETNX a 9 z 9"), S("MGET a z"),
         S("MSETNX y 1 z 2"), S("MGET y z"), S("MSET a 1 a 2"), S("GET a"),
         S("MSETNX q 1 q 2"), S("GET q"), S("MGET nosuch")])
    # Counters
    add([S("SET n 10"), S("INCR n"), S("DECR n"), S("INCRBY n 5"), S("DECRBY n 3"),
         S("INCRBY n -100"), S("INCRBY n abc"), S("INCRBY n 1.5"), S("INCRBY n"),
         ["INCRBY", "n", ""], ["INCRBY", "n", " 1"], S("INCRBY n 99999999999999999999"),
         S("SET n 9223372036854775807"), S("INCR n"), S("INCRBY n 0"), S("DECR n"),
         S("SET n -9223372036854775808"), S("DECR n"), S("INCRBY n -1"), S("DECRBY n 1"),
         S("DECRBY n -9223372036854775808"), S("SET n 0"),
         S("DECRBY n -9223372036854775808"), S("DECRBY n 9223372036854775807"),
         S("SET n abc"), S("INCR n"), S("SET n 1.0"), S("INCR n"), S("SET n 01"),
         S("INCR n"), S("SET n +1"), S("INCR n"), S("SET n -0"), S("INCR n"),
         ["SET", "n", " 1"], S("INCR n"), S("SET n 9223372036854775808"), S("INCR n"),
         S("INCR newctr"), S("OBJECT ENCODING newctr"), S("DECR newctr2"),
         S("SET n 12345678901234567890"), S("INCR n"), S("SET n 1e3"), S("INCR n"),
         ["SET", "n", ""], S("INCR n"), S("SET n 0x10"), S("INCR n")])
    # INCRBYFLOAT
    add([S("SET f 10.5"), S("INCRBYFLOAT f 0.1"), S("INCRBYFLOAT f -5"), S("INCRBYFLOAT f 1e3"),
         S("INCRBYFLOAT f 5.0e3"), S("INCRBYFLOAT f 1.5e308"), S("INCRBYFLOAT f 1.5e308"),
         S("GET f"), S("INCRBYFLOAT f -3e308"), S("SET f 0"), S("INCRBYFLOAT f inf"),
         S("INCRBYFLOAT f -inf"), S("INCRBYFLOAT f nan"), S("INCRBYFLOAT f abc"),
         ["INCRBYFLOAT", "f", ""], S("INCRBYFLOAT f 1e400"), S("INCRBYFLOAT f 0x10"),
         S("INCRBYFLOAT f 1e-300"), S("INCRBYFLOAT f 3"), S("INCRBYFLOAT f 0.1"),
         S("INCRBYFLOAT f 0.2"), S("GET f"), S("OBJECT ENCODING f"), S("SET f abc"),
         S("INCRBYFLOAT f 1"), S("SET f 1e5"), S("INCRBYFLOAT f 1"), S("SET f 5.0e-2"),
         S("INCRBYFLOAT f 0"), S("SET f inf"), S("INCRBYFLOAT f 1"), S("SET f 1.5"),
         S("INCRBYFLOAT f 1.5"), S("INCR f"), S("INCRBYFLOAT newf 3.0"), S("GET newf"),
         S("INCRBYFLOAT newf2 -0.0"), S("INCRBYFLOAT f 1.0e1"), S("INCRBYFLOAT f .5"),
         S("INCRBYFLOAT f 5."), ["INCRBYFLOAT", "f", " 1"], S("INCRBYFLOAT f 1 2"),
         S("SET f 9223372036854775807"), S("INCRBYFLOAT f 1"),
         S("SET f 0.1"), S("INCRBYFLOAT f 0.2"), S("SET f 1.7976931348623157e308"),
         S("INCRBYFLOAT f 1.7976931348623157e308"), S("INCRBYFLOAT f -1.7976931348623157e308")])
    # APPEND, STRLEN, GETRANGE, SETRANGE
    add([S("SET s hello"), S("APPEND s _world"), S("GET s"), S("STRLEN s"), S("STRLEN nosuch"),
         S("APPEND ns abc"), S("OBJECT ENCODING ns"), S("GETRANGE s 0 4"), S("GETRANGE s -5 -1"),
         S("GETRANGE s 5 2"), S("GETRANGE s -100 100"), S("GETRANGE s 100 200"),
         S("GETRANGE s 0 -100"), S("GETRANGE s abc 1"), S("GETRANGE nosuch 0 -1"),
         S("GETRANGE s 0 9223372036854775807"), S("GETRANGE s -9223372036854775808 -1"),
         S("SUBSTR s 1 3"),
         S("SETRANGE s 0 J"), S("SETRANGE s 20 !"), S("GET s"), S("SETRANGE s -1 x"),
         S("SETRANGE s abc x"), ["SETRANGE", "s", "3", ""], S("GET s"),
         ["SETRANGE", "empty", "5", ""], S("EXISTS empty"), S("SETRANGE new 3 abc"), S("GET new"),
         S("SETRANGE s 536870912 x"), S("SETRANGE s 536870911 "),
         S("SET i 123"), S("APPEND i 4"), S("GET i"), S("OBJECT ENCODING i"),
         S("SETRANGE i 0 9"), S("OBJECT ENCODING i"), S("STRLEN i")])
    # Bits
    add([S("SETBIT b 7 1"), S("GET b"), S("GETBIT b 7"), S("GETBIT b 6"), S("GETBIT b 100000"),
         S("GETBIT nosuch 0"), S("SETBIT b 7 0"), S("SETBIT b 7 2"), S("SETBIT b -1 1"),
         S("SETBIT b 4294967296 1"), S("SETBIT b abc 1"), S("GETBIT b -1"),
         S("GETBIT b 4294967295"), S("SETBIT b 100 1"), S("STRLEN b"), S("SET bc foobar"),
         S("BITCOUNT bc"), S("BITCOUNT bc 0 0"), S("BITCOUNT bc 1 1"), S("BITCOUNT bc 1 1 BYTE"),
         S("BITCOUNT bc 5 30 BIT"), S("BITCOUNT bc -1 -1"), S("BITCOUNT bc -3 -1 bit"),
         S("BITCOUNT bc 0"), S("BITCOUNT bc 0 1 FOO"), S("BITCOUNT bc a b"),
         S("BITCOUNT nosuch"), S("BITCOUNT nosuch 0 1"), S("BITCOUNT bc 10 5"),
         S("BITCOUNT bc 0 -1 BIT"), S("BITCOUNT bc -100 100"),
         # Both ends negative with start > end: Redis answers 0 before clamping.
         S("SET b1 a"), S("BITCOUNT b1 -1 -2"), S("BITCOUNT b1 -2 -100"),
         S("BITCOUNT b1 -100 -9223372036854775808"), S("BITCOUNT b1 -1 -2 BIT"),
         S("BITCOUNT bc -1 -3"), S("BITCOUNT bc -3 -1"), S("BITCOUNT bc -1 -100 BYTE"),
         S("BITPOS b1 1 -1 -2"), S("BITPOS b1 1 -2 -100"), S("BITPOS b1 0 -1 -2 BIT"),
         ["SET", "bp", "\xff\xf0\x00"], S("BITPOS bp 0"), S("BITPOS bp 1"), S("BITPOS bp 0 2"),
         S("BITPOS bp 1 2"), S("BITPOS bp 1 7 15 BIT"), S("BITPOS bp 0 0 -1 BIT"),
         S("BITPOS bp 0 0 0"), S("BITPOS bp 2"), S("BITPOS bp 1 a"), S("BITPOS bp 1 0 1 FOO"),
         S("BITPOS nosuch 0"), S("BITPOS nosuch 1"), ["SET", "allff", "\xff\xff"],
         S("BITPOS allff 0"), S("BITPOS allff 0 0 -1"), S("BITPOS allff 0 0"),
         S("BITPOS bp 1 -1"), S("BITPOS bp 0 -100 100"), S("BITPOS bp 1 5 2"), S("SET bz \x00"),
         S("BITPOS bz 1")])
    # Keyspace: DEL EXISTS TYPE TOUCH RENAME COPY RANDOMKEY DBSIZE
    add([S("FLUSHDB"), S("DBSIZE"), S("RANDOMKEY"), S("SET a 1"), S("RANDOMKEY"), S("DBSIZE"),
         S("SET b 2"), S("DBSIZE"), S("EXISTS a b c a"), S("DEL a c a"), S("UNLINK b b"),
         S("DBSIZE"), S("TYPE a"), S("SET a 1"), S("TYPE a"), S("TOUCH a a nosuch"),
         S("RENAME a b"), S("GET b"), S("EXISTS a"), S("RENAME a b"), S("RENAME b b"),
         S("RENAMENX b b"), S("SET c 3"), S("RENAMENX b c"), S("RENAMENX b d"), S("MGET b c d"),
         S("SET e 1 EX 100000"), S("RENAME e f"), S("TTL f"), S("COPY f g"), S("TTL g"),
         S("COPY f g"), S("COPY f g REPLACE"), S("COPY f f"), S("COPY nosuch g"),
         S("COPY f g DB 1"), S("SELECT 1"), S("GET g"), S("TTL g"), S("SELECT 0"),
         S("COPY f g DB 16"), S("COPY f g DB -1"), S("COPY f g DB abc"), S("COPY f g FOO"),
         S("COPY f g DB"), S("COPY f f DB 1"), S("COPY f f DB 1 REPLACE"),
         S("COPY f g REPLACE DB 1 REPLACE"), S("PERSIST f"), S("PERSIST f"), S("TTL f"),
         S("PERSIST nosuch"), S("TTL nosuch"), S("PTTL nosuch"), S("EXPIRETIME nosuch"),
         S("PEXPIRETIME nosuch"), S("EXPIRETIME f")])
    # Expiry commands and NX XX GT LT
    add([S("SET x 1"), S("EXPIRE x 100000"), S("TTL x"), S("EXPIRE x 200000 GT"), S("TTL x"),
         S("EXPIRE x 150000 GT"), S("EXPIRE x 150000 LT"), S("TTL x"), S("EXPIRE x 300000 LT"),
         S("EXPIRE x 100000 NX"), S("EXPIRE x 100000 XX"), S("TTL x"), S("PERSIST x"),
         S("EXPIRE x 100000 XX"), S("EXPIRE x 100000 GT"), S("EXPIRE x 100000 LT"), S("TTL x"),
         S("PERSIST x"), S("EXPIRE x 100000 NX"), S("EXPIRE x 100000 NX XX"),
         S("EXPIRE x 100000 GT LT"), S("EXPIRE x 100000 NX GT"), S("EXPIRE x 100000 FOO"),
         S("EXPIRE x 100000 nx"), S("EXPIRE x abc"), S("EXPIRE x 1.5"), S("EXPIRE x"),
         S("EXPIRE x 9223372036854775807"), S("EXPIRE x 9223372036854775"),
         S("PEXPIRE x 9223372036854775807"), S("EXPIRE x -9223372036854775808"),
         S("EXISTS x"), S("SET x 1"), S(f"EXPIREAT x {FAR}"), S("EXPIRETIME x"),
         S(f"EXPIREAT x {FAR + 10} GT"), S(f"EXPIREAT x {FAR + 5} GT"),
         S(f"EXPIREAT x {FAR + 5} LT"), S("EXPIRETIME x"), S(f"PEXPIREAT x {FAR * 1000 + 1} LT"),
         S("PEXPIRETIME x"), S("EXPIRETIME x"), S(f"PEXPIREAT x {FAR * 1000 + 999} XX"),
         S("EXPIRETIME x"), S("PEXPIRE x 100000000"), S("PTTL x"), S("PEXPIRE x 1000000000 LT"),
         S("EXPIRE nosuch 100"), S("PEXPIRE nosuch 100"), S(f"EXPIREAT nosuch {FAR}"),
         S(f"PEXPIREAT nosuch {FAR}"), S("EXPIRE x 0"), S("EXISTS x"), S("SET x 1"),
         S("EXPIRE x -1"), S("EXISTS x"), S("SET x 1"), S("PEXPIRE x 0"), S("GET x"),
         S("SET x 1"), S("EXPIREAT x 0"), S("GET x"), S("SET x 1"), S("PEXPIREAT x -1"),
         S("GET x"), S("SET x 1"), S("EXPIRE x 0 XX"), S("EXISTS x"), S("SET x 1"),
         S("EXPIRE x 0 GT"), S("EXISTS x"), S("TTL x"), S("EXPIRE x 0 LT"), S("EXISTS x"),
         S("SET x 1 EX 100000"), S("SET x 2"), S("TTL x"), S("SET x 1 EX 100000"),
         S("APPEND x z"), S("TTL x"), S("INCR x"), S("SET y 5 EX 100000"), S("INCR y"),
         S("TTL y"), S("GETSET y 1"), S("TTL y")])
    # SELECT, SWAPDB, FLUSHDB, FLUSHALL, KEYS
    add([S("SELECT 16"), S("SELECT -1"), S("SELECT abc"), S("SELECT 1.5"), S("SELECT 15"),
         S("SET only15 1"), S("SELECT 2"), S("SET in2 2"), S("DBSIZE"), S("SWAPDB 2 15"),
         S("DBSIZE"), S("GET only15"), S("GET in2"), S("SWAPDB 2 2"), S("SWAPDB 2 16"),
         S("SWAPDB -1 2"), S("SWAPDB a 2"), S("SWAPDB 2 b"), S("SWAPDB 1.5 2"), S("FLUSHDB FOO"),
         S("FLUSHDB ASYNC"), S("DBSIZE"), S("SELECT 15"), S("DBSIZE"), S("FLUSHDB SYNC"),
         S("FLUSHDB"), S("SELECT 0"), S("FLUSHALL FOO"), S("FLUSHALL SYNC"), S("DBSIZE"),
         S("FLUSHALL ASYNC"), S("FLUSHALL"),
         S("MSET hello 1 hallo 2 hxllo 3 hllo 4 heeello 5 a*b 6 a?c 7 [ab] 8 k1 9 k2 10"),
         ["SET", "x\\y", "11"], ["SET", "", "12"], ["SET", "a\\b", "13"], S("KEYS *"),
         S("KEYS h?llo"), S("KEYS h*llo"), S("KEYS h[ae]llo"), S("KEYS h[^e]llo"),
         S("KEYS h[a-b]llo"), S("KEYS h[b-a]llo"), ["KEYS", "a\\*b"], ["KEYS", "a\\?c"],
         ["KEYS", "\\[ab\\]"], S("KEYS [ab]"), S("KEYS [[]ab]"), ["KEYS", "x\\\\y"],
         ["KEYS", "a\\b"], ["KEYS", "a\\\\b"], ["KEYS", ""], S("KEYS ["), S("KEYS [a-"),
         S("KEYS k[1-3]"), S("KEYS *o"), S("KEYS **"), S("KEYS ?"), S("KEYS ??"),
         S("KEYS h[!e]llo"), S("KEYS *[?]*"), S("KEYS H*"), ["KEYS", "h\\"], S("KEYS [^a]*"),
         S("KEYS *[a-"), S("KEYS h[a-]llo"), S("KEYS [\\]"), S("KEYS k[0-9]*"),
         S("KEYS nosuch"), S("DBSIZE"), S("TYPE a*b")])
    # OBJECT ENCODING
    add([S("SET e1 123"), S("OBJECT ENCODING e1"), S("SET e2 abc"), S("OBJECT ENCODING e2"),
         S(f"SET e3 {LONG}"), S("OBJECT ENCODING e3"), S("SET e4 -9223372036854775808"),
         S("OBJECT ENCODING e4"), S("SET e5 9223372036854775808"), S("OBJECT ENCODING e5"),
         S("SET e6 01"), S("OBJECT ENCODING e6"), S("SET e7 " + "y" * 44),
         S("OBJECT ENCODING e7"), S("SET e8 " + "y" * 45), S("OBJECT ENCODING e8"),
         S("OBJECT ENCODING nosuch"), S("OBJECT FOO e1"), S("OBJECT ENCODING"),
         S("OBJECT ENCODING e1 extra"), S("SET e9 1.5"), S("OBJECT ENCODING e9"),
         S("SET e10 -1"), S("OBJECT ENCODING e10"), S("SET e11 10000"), S("OBJECT ENCODING e11"),
         S("SET e12 12345678901234567890"), S("OBJECT ENCODING e12"),
         S("SETBIT e13 1 1"), S("OBJECT ENCODING e13")])
    # Integer parsing (string2ll: no '+', no leading zeros, no spaces, no "-0") and repeated
    # options, which Redis accepts (the last EX wins).
    add([S("SELECT 01"), S("SELECT +1"), ["SELECT", " 1"], S("EXPIRE x +100"),
         S("EXPIRE x 0100"), S("INCRBY n -0"), S("GETRANGE s -0 -0"), S("SETRANGE s +1 x"),
         S("SET k v EX 100000 EX 200000"), S("TTL k"), S("SET k v NX NX"),
         S("SET k v XX XX GET"), S("SET k v KEEPTTL KEEPTTL"), S("GETEX k PERSIST PERSIST"),
         S("SET k v PX 100000000 PX 200000000"), S(f"SET k v EXAT {FAR} EXAT {FAR + 1}"),
         S("EXPIRETIME k"), S("GETEX k EX 100000 EX 300000"), S("TTL k"),
         S("EXPIRE k 100000 NX NX"), S("EXPIRE k 200000 GT GT"), S("COPY k k2 db 1"),
         S("COPY k k2 replace"), ["ECHO", "a\tb"], S("DEL k k2")])
    # Many arguments (Redis preallocates argv for at most 1024 at a time).
    add([["MSET"] + [f"mk{i}" for i in range(3000)],
         ["MGET"] + [f"mk{i}" for i in range(0, 3000, 3)],
         ["DEL"] + [f"mk{i}" for i in range(0, 3000, 2)], S("DBSIZE"), S("FLUSHDB")])
    add(hash_edge_cases())
    add([S("FLUSHALL")])
    add(set_edge_cases(lists_ok))
    add([S("FLUSHALL")])
    add(zset_edge_cases(lists_ok))
    add([S("FLUSHALL")])
    if lists_ok:
        add([S("DEL lst"), S("LPUSH lst a b"), S("TYPE lst"), S("GET lst"), S("SET lst x XX GET"),
             S("INCR lst"), S("APPEND lst x"), S("STRLEN lst"), S("GETRANGE lst 0 1"),
             S("SETRANGE lst 0 x"), S("SETBIT lst 0 1"), S("GETBIT lst 0"), S("BITCOUNT lst"),
             S("BITPOS lst 1"), S("INCRBYFLOAT lst 1"), S("GETDEL lst"), S("GETEX lst"),
             S("GETSET lst v"), S("MGET lst"), S("LPUSH str x"), S("SET str v"),
             S("LPUSH str x"), S("RENAME lst lst2"), S("TYPE lst2"), S("COPY lst2 lst3"),
             S("TYPE lst3"), S("SET lst2 v GET"), S("SET lst2 v"), S("TYPE lst2"),
             S("DEL lst3"), S("DECR lst3")])
        add([S("FLUSHALL")])
        add(list_edge_cases())
    add([S("FLUSHALL")])
    add(stream_edge_cases())
    add([S("FLUSHALL")])
    add(transaction_cases(lists_ok))
    add([S("FLUSHALL")])
    return c


# --------------------------------------------------------------------------------------------
# 1b. Hash edge cases
# --------------------------------------------------------------------------------------------

# Redis 7.0's defaults (config.c): hash-max-listpack-entries 512, hash-max-listpack-value 64.
# (128 is the zset default, not the hash one.)
LP_ENTRIES = 512
V64 = "v" * 64   # the longest field or value a listpack hash keeps
V65 = "v" * 65   # one byte more: hashtable


def fields(n, prefix="f", value="v"):
    """f0 v0 f1 v1 ... for n fields."""
    return sum([[f"{prefix}{i}", f"{value}{i}"] for i in range(n)], [])


def hash_edge_cases():
    c = []
    add = c.extend
    # Arity: every command, one argument short and (where the arity is fixed) one too many.
    add([S("HSET"), S("HSET h"), S("HSET h f"), S("HSET h f v g"), S("HSET h f v g w x"),
         S("HSETNX h f"), S("HSETNX h f v x"), S("HGET h"), S("HGET h f x"), S("HMGET h"),
         S("HMSET h"), S("HMSET h f"), S("HMSET h f v g"), S("HGETALL"), S("HGETALL h x"),
         S("HKEYS"), S("HKEYS h x"), S("HVALS"), S("HVALS h x"), S("HLEN"), S("HLEN h x"),
         S("HEXISTS h"), S("HEXISTS h f x"), S("HDEL h"), S("HINCRBY h f"),
         S("HINCRBY h f 1 2"), S("HINCRBYFLOAT h f"), S("HINCRBYFLOAT h f 1 2"),
         S("HSTRLEN h"), S("HSTRLEN h f x"), S("HRANDFIELD"), S("HSCAN h"), S("HSCAN"),
         S("hset h"), S("HsEt h f"), S("EXISTS h")])
    # Basics, replies on missing keys and fields, duplicate fields in one HSET.
    add([S("DEL h"), S("HGET h f"), S("HMGET h a b"), S("HGETALL h"), S("HKEYS h"), S("HVALS h"),
         S("HLEN h"), S("HEXISTS h f"), S("HSTRLEN h f"), S("HDEL h f"), S("HSCAN h 0"),
         S("HSET h f v"), S("TYPE h"), S("OBJECT ENCODING h"), S("HSET h f v2 g w"),
         S("HGET h f"), S("HGET h nosuch"), S("HMGET h f nosuch g f"), S("HLEN h"),
         S("HEXISTS h g"), S("HEXISTS h nosuch"), S("HSET h a 1 a 2 a 3"), S("HGET h a"),
         S("HGETALL h"), S("HMSET h b 1 c 2"), S("HMSET h b 1"), S("HGETALL h"),
         S("HSETNX h b 9"), S("HSETNX h d 4"), S("HSETNX newh x y"), S("HGETALL newh"),
         ["HSET", "h", "", "empty-field"], ["HSET", "h", "ef", ""], ["HGET", "h", ""],
         ["HSTRLEN", "h", "ef"], ["HSET", "h", "bin\x00f", "bin\x00v\xff"],
         ["HGET", "h", "bin\x00f"], ["HSET", "h", "sp ace", "va lue"], ["HEXISTS", "h", ""],
         S("HKEYS h"), S("HVALS h"), S("HGETALL h"), S("HLEN h"), S("hget h f"),
         S("HGET H f")])
    # Insertion order of a listpack hash: updates keep a field's place, deletes close the gap,
    # re-added fields go to the end, HINCRBY/HSETNX of new fields append.
    add([S("DEL o"), S("HSET o c 3 a 1 b 2"), S("HGETALL o"), S("HSET o a 10"), S("HGETALL o"),
         S("HDEL o c"), S("HGETALL o"), S("HSET o c 30 d 4"), S("HKEYS o"), S("HVALS o"),
         S("HINCRBY o a 5"), S("HINCRBY o e 1"), S("HINCRBYFLOAT o b 0.5"),
         S("HINCRBYFLOAT o g 2.5"), S("HSETNX o h 8"), S("HGETALL o"), S("HDEL o a e nosuch e"),
         S("HGETALL o"), S("HMSET o b 1 a 2"), S("HGETALL o"), S("HRANDFIELD o 100"),
         S("HRANDFIELD o 100 WITHVALUES"), S("HSCAN o 0"), S("HDEL o b c d g h a"),
         S("EXISTS o"), S("TYPE o"), S("HLEN o"), S("HGETALL o"), S("HSCAN o 0"),
         S("HINCRBY o x 1"), S("TYPE o"), S("HDEL o x x"), S("EXISTS o"), S("HDEL o x")])
    # HINCRBY: integer parsing of the stored value and the increment, overflow.
    add([S("DEL n"), S("HINCRBY n c 5"), S("HINCRBY n c -7"), S("HGET n c"),
         S("HSET n m 9223372036854775807"), S("HINCRBY n m 1"), S("HINCRBY n m 0"),
         S("HGET n m"), S("HINCRBY n m -9223372036854775808"), S("HGET n m"),
         S("HSET n m -9223372036854775808"), S("HINCRBY n m -1"),
         S("HINCRBY n m 9223372036854775807"), S("HGET n m"),
         S("HINCRBY n new -9223372036854775808"), S("HINCRBY n new -1"),
         S("HINCRBY n c abc"), S("HINCRBY n c 1.5"), ["HINCRBY", "n", "c", ""],
         ["HINCRBY", "n", "c", " 1"], S("HINCRBY n c +1"), S("HINCRBY n c 01"),
         S("HINCRBY n c -0"), S("HINCRBY n c 9223372036854775808"),
         S("HINCRBY n c 99999999999999999999"), S("HGET n c"),
         S("HSET n s abc"), S("HINCRBY n s 1"), S("HSET n s 1.5"), S("HINCRBY n s 1"),
         S("HSET n s 01"), S("HINCRBY n s 1"), S("HSET n s +1"), S("HINCRBY n s 1"),
         S("HSET n s -0"), S("HINCRBY n s 1"), ["HSET", "n", "s", " 1"], S("HINCRBY n s 1"),
         ["HSET", "n", "s", ""], S("HINCRBY n s 1"), S("HSET n s 9223372036854775808"),
         S("HINCRBY n s 1"), S("HSET n s 1e3"), S("HINCRBY n s 1"), S("HSET n s 0x10"),
         S("HINCRBY n s 1"), S("HSET n s 12345678901234567890"), S("HINCRBY n s 1"),
         S("HSET n s -9223372036854775809"), S("HINCRBY n s -1"), S("HGETALL n"),
         S("OBJECT ENCODING n")])
    # HINCRBYFLOAT: parsing and the %.17Lg-style formatting of the result.
    add([S("DEL fl"), S("HSET fl f 10.5"), S("HINCRBYFLOAT fl f 0.1"), S("HINCRBYFLOAT fl f -5"),
         S("HINCRBYFLOAT fl f 1e3"), S("HINCRBYFLOAT fl f 5.0e3"), S("HGET fl f"),
         S("HINCRBYFLOAT fl f -0"), S("HINCRBYFLOAT fl z -0"), S("HGET fl z"),
         S("HINCRBYFLOAT fl z -0.0"), S("HSET fl z -0"), S("HINCRBYFLOAT fl z 0"),
         S("HINCRBYFLOAT fl nz -0.0"), S("HINCRBYFLOAT fl new 3.0"), S("HGET fl new"),
         S("OBJECT ENCODING fl"), S("HGETALL fl"), S("HINCRBYFLOAT fl f 1.5e308"),
         S("OBJECT ENCODING fl"), S("HINCRBYFLOAT fl f 1.5e308"), S("HGET fl f"),
         S("HINCRBYFLOAT fl f -3e308"), S("HSET fl f 0"), S("HINCRBYFLOAT fl f inf"),
         S("HINCRBYFLOAT fl f -inf"), S("HINCRBYFLOAT fl f +inf"), S("HINCRBYFLOAT fl f nan"),
         S("HINCRBYFLOAT fl f abc"), ["HINCRBYFLOAT", "fl", "f", ""], S("HINCRBYFLOAT fl f 1e400"),
         S("HINCRBYFLOAT fl f 0x10"), S("HINCRBYFLOAT fl f 1e-300"), S("HINCRBYFLOAT fl f 3"),
         S("HINCRBYFLOAT fl f 0.1"), S("HINCRBYFLOAT fl f 0.2"), S("HGET fl f"),
         S("HSET fl g 0.1"), S("HINCRBYFLOAT fl g 0.2"), S("HINCRBYFLOAT fl g 1e20"),
         S("HINCRBYFLOAT fl g 1e-20"), S("HINCRBYFLOAT fl g -1e20"), S("HSET fl g 1e300"),
         S("HINCRBYFLOAT fl g 0"), S("HINCRBYFLOAT fl f 1.0e1"), S("HINCRBYFLOAT fl f .5"),
         S("HINCRBYFLOAT fl f 5."), ["HINCRBYFLOAT", "fl", "f", " 1"], S("HINCRBYFLOAT fl f 1 "),
         S("HSET fl s abc"), S("HINCRBYFLOAT fl s 1"), S("HSET fl s inf"),
         S("HINCRBYFLOAT fl s 1"), S("HSET fl s nan"), S("HINCRBYFLOAT fl s 1"),
         S("HSET fl s 1e5"), S("HINCRBYFLOAT fl s 1"), S("HSET fl s 5.0e-2"),
         S("HINCRBYFLOAT fl s 0"), ["HSET", "fl", "s", " 1"], S("HINCRBYFLOAT fl s 1"),
         ["HSET", "fl", "s", ""], S("HINCRBYFLOAT fl s 1"), S("HSET fl s 9223372036854775807"),
         S("HINCRBYFLOAT fl s 1"), S("HSET fl s 1.7976931348623157e308"),
         S("HINCRBYFLOAT fl s 1.7976931348623157e308"), S("HINCRBYFLOAT fl s 0"),
         S("HINCRBY fl s 1"), S("HSET fl s 7"), S("HINCRBYFLOAT fl s 1.5"), S("HINCRBY fl s 1"),
         Unordered(S("HGETALL fl"), "pairs", "fl"), S("HINCRBYFLOAT fl big 1.5e308"),
         S("HSTRLEN fl big"), S("OBJECT ENCODING fl"),
         Unordered(S("HGETALL fl"), "pairs", "fl")])
    # HSTRLEN of values stored as integers in a listpack.
    add([S("DEL sl"), S("HSET sl i 123 n -9223372036854775808 x 9223372036854775807 z -0 p 007"),
         S("HSET sl q 0 r -1 t 12345678901234567890 u 1.0"), ["HSET", "sl", "e", ""],
         S("HSTRLEN sl i"), S("HSTRLEN sl n"), S("HSTRLEN sl x"), S("HSTRLEN sl z"),
         S("HSTRLEN sl p"), S("HSTRLEN sl q"), S("HSTRLEN sl r"), S("HSTRLEN sl t"),
         S("HSTRLEN sl u"), S("HSTRLEN sl e"), S("HSTRLEN sl nosuch"), S("HSTRLEN nosuch f"),
         S("HINCRBY sl i 877"), S("HSTRLEN sl i"), S("HGETALL sl"), S("HVALS sl")])
    # HRANDFIELD where the answer is determined.
    add([S("HRANDFIELD nosuch"), S("HRANDFIELD nosuch 5"), S("HRANDFIELD nosuch -5"),
         S("HRANDFIELD nosuch 0 WITHVALUES"), S("HRANDFIELD nosuch 5 WITHVALUES"),
         S("HRANDFIELD nosuch abc"), S("DEL r1 r3"), S("HSET r1 only 1"), S("HRANDFIELD r1"),
         S("HRANDFIELD r1 1"), S("HRANDFIELD r1 -3"), S("HRANDFIELD r1 -2 WITHVALUES"),
         S("HRANDFIELD r1 5 withvalues"), S("HSET r3 c 3 a 1 b 2"), S("HRANDFIELD r3 0"),
         S("HRANDFIELD r3 0 WITHVALUES"), S("HRANDFIELD r3 3"), S("HRANDFIELD r3 4"),
         S("HRANDFIELD r3 3 WITHVALUES"), S("HRANDFIELD r3 9223372036854775807"),
         S("HRANDFIELD r3 4611686018427387903 WITHVALUES"),
         S("HRANDFIELD r3 4611686018427387904 WITHVALUES"),
         S("HRANDFIELD r3 -4611686018427387904 WITHVALUES"),
         S("HRANDFIELD r3 -9223372036854775808"), S("HRANDFIELD r3 -9223372036854775807 FOO"),
         S("HRANDFIELD r3 9223372036854775808"), S("HRANDFIELD r3 abc"),
         S("HRANDFIELD r3 1.5"), S("HRANDFIELD r3 2 FOO"), S("HRANDFIELD r3 2 WITHVALUES x"),
         ["HRANDFIELD", "r3", ""]])
    # HSCAN of small (listpack) hashes: one reply with everything and cursor 0, whatever the
    # cursor and COUNT; MATCH filters fields (integers as their decimal text).
    add([S("DEL sc"), S("HSET sc f1 a f2 b g1 c 10 d 123 e -5 f"), S("HSCAN sc 0"),
         S("HSCAN sc 0 COUNT 1"), S("HSCAN sc 0 COUNT 1000"), S("HSCAN sc 7"),
         S("HSCAN sc 18446744073709551615"), S("HSCAN sc -1"), S("HSCAN sc 18446744073709551616"),
         S("HSCAN sc 0 MATCH f*"), S("HSCAN sc 0 MATCH 1*"), S("HSCAN sc 0 MATCH *3"),
         S("HSCAN sc 0 MATCH nosuch*"), S("HSCAN sc 0 MATCH [fg]1 COUNT 2"),
         S("HSCAN sc 0 match ?1"), S("HSCAN sc 0 MATCH f* MATCH g*"), S("HSCAN sc abc"),
         ["HSCAN", "sc", " 0"], S("HSCAN sc 1.5"), S("HSCAN sc 0 COUNT 0"),
         S("HSCAN sc 0 COUNT -1"), S("HSCAN sc 0 COUNT abc"), S("HSCAN sc 0 COUNT"),
         S("HSCAN sc 0 MATCH"), S("HSCAN sc 0 FOO bar"), S("HSCAN sc 0 TYPE hash"),
         S("HSCAN sc 0 NOVALUES"), S("HSCAN nosuch 0"), S("HSCAN nosuch 0 MATCH x"),
         S("HSCAN nosuch abc"), S("HSCAN sc 00")])
    # Encodings: listpack up to 512 fields and 64-byte fields and values, then hashtable for
    # good (deleting fields does not convert back). Orders of hashtable replies are free;
    # 128 and 129 fields (zset's threshold) are still listpack, in insertion order.
    n = LP_ENTRIES
    add([S("DEL big"), ["HSET", "big"] + fields(128), S("OBJECT ENCODING big"), S("HLEN big"),
         S("HGETALL big"), S("HKEYS big"), S("HSCAN big 0"), S("HRANDFIELD big 128"),
         S("HSET big f0 again"), S("HSET big f128 v128"), S("OBJECT ENCODING big"),
         S("HGETALL big"), ["HSET", "big"] + fields(n), S("OBJECT ENCODING big"), S("HLEN big"),
         S("HGETALL big"), S("HVALS big"), S("HSCAN big 0 COUNT 1"),
         S(f"HRANDFIELD big {n} WITHVALUES"), S(f"HSET big f{n} v"), S("OBJECT ENCODING big"),
         S("HLEN big"), S(f"HDEL big f{n} f{n - 1}"), S("OBJECT ENCODING big"), S("HLEN big"),
         Unordered(S("HGETALL big"), "pairs"), Unordered(S("HKEYS big"), "set"),
         Unordered(S("HVALS big"), "set"), Unordered(S(f"HRANDFIELD big {n - 1}"), "set"),
         Unordered(S("HRANDFIELD big 1000"), "set"),
         Unordered(S("HRANDFIELD big 9223372036854775807"), "set"),
         Unordered(S("HRANDFIELD big 1000 WITHVALUES"), "pairs"), S("HRANDFIELD big 0"),
         S(f"HMGET big f0 f1 f126 f{n - 2} f{n - 1} nosuch"), S("HGET big f5"),
         S("HSTRLEN big f10"),
         S("HINCRBY big f0 1"), S("HSET big cnt 5"), S("HINCRBY big cnt 5"),
         S("HINCRBYFLOAT big cnt 0.5"), S("HEXISTS big f1"),
         ScanAll(S("HSCAN big 0"), True), ScanAll(S("HSCAN big 0 COUNT 1"), True),
         ScanAll(S("HSCAN big 0 COUNT 1000"), True), ScanAll(S("HSCAN big 0 MATCH f1*"), True),
         ScanAll(S("HSCAN big 0 MATCH nosuch"), True), ScanAll(S("HSCAN big abc"), True),
         ScanAll(S("HSCAN big 0 COUNT 0"), True), ScanAll(S("HSCAN big 0 MATCH"), True),
         ScanAll(["HSCAN", "big", "0", "MATCH", "f[0-3]", "COUNT", "3"], True)])
    # Conversion on each way of growing past 512 fields, and on long fields and values.
    add([S("DEL e1 e2 e3 e4 e5 e6 e7 e8 e9"),
         ["HSET", "e1"] + fields(n), S("HSETNX e1 f0 x"), S("OBJECT ENCODING e1"),
         S("HSETNX e1 new x"), S("OBJECT ENCODING e1"),
         ["HSET", "e2"] + fields(n), S("HINCRBY e2 new 1"), S("OBJECT ENCODING e2"),
         ["HSET", "e3"] + fields(n), S("HINCRBYFLOAT e3 new 1"), S("OBJECT ENCODING e3"),
         ["HMSET", "e4"] + fields(n + 1), S("OBJECT ENCODING e4"), S("HLEN e4"),
         ["HMSET", "e4b"] + fields(n), S("OBJECT ENCODING e4b"), S("DEL e4b"),
         ["HSET", "e5", "a", V64, "b", "1"], S("OBJECT ENCODING e5"), S("HGETALL e5"),
         ["HSET", "e5", "c", V65], S("OBJECT ENCODING e5"), S("HSTRLEN e5 c"),
         Unordered(S("HGETALL e5"), "pairs"), S("HDEL e5 c"), S("OBJECT ENCODING e5"),
         ["HSET", "e6", "x" * 64, "v"], S("OBJECT ENCODING e6"),
         ["HSET", "e6", "x" * 65, "v"], S("OBJECT ENCODING e6"),
         ["HSETNX", "e7", "f", V65], S("OBJECT ENCODING e7"), ["HSETNX", "e7", "g", "1"],
         Unordered(S("HGETALL e7"), "pairs"),
         ["HMSET", "e8", "f", "1", "g", V65], S("OBJECT ENCODING e8"),
         ["HSET", "e9"] + fields(n, value=V64[:60]), S("OBJECT ENCODING e9"), S("HGETALL e9"),
         ["HSET", "e9", "f0", V65], S("OBJECT ENCODING e9"), Unordered(S("HVALS e9"), "set"),
         ["HSET", "e10", "n", "1"], S("HINCRBY e10 n 99999999"), S("OBJECT ENCODING e10"),
         S("HDEL e1 " + " ".join(f"f{i}" for i in range(n)) + " new"), S("EXISTS e1"),
         S("DEL e2 e3 e4 e5 e6 e7 e8 e9 e10")])
    # TYPE, keyspace commands and expiry on hash keys.
    add([S("DEL k1 k2 k3"), S("HSET k1 c 3 a 1 b 2"), S("TYPE k1"), S("EXISTS k1"),
         S("RENAME k1 k2"), S("EXISTS k1"), S("TYPE k2"), S("HGETALL k2"), S("COPY k2 k3"),
         S("HSET k3 d 4"), S("HGETALL k2"), S("HGETALL k3"), S("COPY k2 k3"),
         S("COPY k2 k3 REPLACE"), S("HGETALL k3"), S("RENAMENX k2 k3"), S("RENAMENX k2 k1"),
         S("HGETALL k1"), S("EXPIRE k1 100000"), S("TTL k1"), S("HSET k1 z 26"), S("TTL k1"),
         S("HDEL k1 z"), S("TTL k1"), S("HINCRBY k1 a 1"), S("TTL k1"), S("RENAME k1 k2"),
         S("TTL k2"), S("COPY k2 k4"), S("TTL k4"), S("PERSIST k2"), S("TTL k2"),
         S("PERSIST k2"), S(f"EXPIREAT k2 {FAR}"), S("EXPIRETIME k2"), S("PEXPIRE k2 100000000"),
         S("PTTL k2"), S("HDEL k2 a b c"), S("EXISTS k2"), S("TTL k2"), S("HSET k2 a 1"),
         S("TTL k2"), S("SET k2 str"), S("TYPE k2"), S("HSET k2 a 1"), S("DEL k2"),
         S("HSET k2 a 1"), S("EXPIRE k2 0"), S("EXISTS k2"), S("HSET k2 a 1"),
         S("EXPIREAT k2 1"), S("HGET k2 a"), S("HSET mv a 1 b 2"), S("MOVE mv 1"),
         S("EXISTS mv"), S("SELECT 1"), S("TYPE mv"), S("HGETALL mv"), S("HSET mv c 3"),
         S("MOVE mv 0"), S("SELECT 0"), S("HGETALL mv"), S("HSET mv2 x 1"), S("SELECT 1"),
         S("HSET mv2 y 2"), S("MOVE mv2 0"), S("DEL mv2"), S("SELECT 0"), S("HGETALL mv2"),
         S("COPY mv mv DB 1"), S("SELECT 1"), S("HGETALL mv"), S("FLUSHDB"), S("SELECT 0"),
         S("MOVE mv 16"), S("MOVE mv abc"), S("MOVE nosuch 1"),
         ["HSET", "bigk"] + fields(n + 8), S("RENAME bigk bigk2"), S("OBJECT ENCODING bigk2"),
         S("COPY bigk2 bigk3"), S("OBJECT ENCODING bigk3"), S("HLEN bigk3"),
         Unordered(S("HGETALL bigk3"), "pairs"), S("MOVE bigk3 2"), S("SELECT 2"),
         S("OBJECT ENCODING bigk3"), Unordered(S("HKEYS bigk3"), "set"), S("FLUSHDB"),
         S("SELECT 0"), S("UNLINK bigk2 k3 k4 mv"), S("DBSIZE")])
    # SCAN by type: the keyspace is a hash table on every server, so whole walks compare.
    add([S("FLUSHDB"), S("HSET h1 a 1"), S("HSET h2 a 1"), S("HSET hx a 1"), S("SET s1 v"),
         S("SET h3 v"), ["HSET", "hbig"] + fields(LP_ENTRIES + 1), S("SET n1 5"),
         ScanAll(S("SCAN 0 TYPE hash"), False), ScanAll(S("SCAN 0 TYPE string"), False),
         ScanAll(S("SCAN 0 TYPE HASH"), False), ScanAll(S("SCAN 0 TYPE list"), False),
         ScanAll(S("SCAN 0 TYPE nosuch"), False), ScanAll(S("SCAN 0 MATCH h* TYPE hash"), False),
         ScanAll(S("SCAN 0 TYPE hash MATCH h? COUNT 1"), False),
         ScanAll(S("SCAN 0 COUNT 2"), False), ScanAll(S("SCAN 0 TYPE"), False),
         ScanAll(S("SCAN abc TYPE hash"), False), S("DBSIZE"), S("FLUSHDB")])
    # Wrong type, both ways.
    add([S("DEL hsh str"), S("HSET hsh a b"), S("TYPE hsh"), S("GET hsh"),
         S("SET hsh x XX GET"), S("SET hsh x GET"), S("SET hsh x NX GET"), S("INCR hsh"),
         S("INCRBY hsh 1"), S("DECR hsh"), S("DECRBY hsh 1"), S("INCRBYFLOAT hsh 1"),
         S("APPEND hsh x"), S("STRLEN hsh"), S("GETRANGE hsh 0 1"), S("SUBSTR hsh 0 1"),
         S("SETRANGE hsh 0 x"), ["SETRANGE", "hsh", "0", ""], S("SETRANGE hsh -1 x"),
         S("SETBIT hsh 0 1"), S("GETBIT hsh 0"), S("BITCOUNT hsh"), S("BITCOUNT hsh 0 -1"),
         S("BITPOS hsh 1"), S("GETDEL hsh"), S("GETEX hsh"), S("GETEX hsh EX 100000"),
         S("GETEX hsh PERSIST"), S("GETSET hsh v"), S("MGET hsh nosuch"), S("SETNX hsh v"),
         S("MSETNX hsh v zz v"), S("EXISTS zz"), S("HGETALL hsh"), S("SET str v"),
         S("HSET str f v"), S("HSETNX str f v"), S("HMSET str f v"), S("HGET str f"),
         S("HMGET str f"), S("HGETALL str"), S("HKEYS str"), S("HVALS str"), S("HLEN str"),
         S("HEXISTS str f"), S("HDEL str f"), S("HINCRBY str f 1"), S("HINCRBYFLOAT str f 1"),
         S("HSTRLEN str f"), S("HRANDFIELD str"), S("HRANDFIELD str 2"),
         S("HRANDFIELD str -2 WITHVALUES"), S("HRANDFIELD str abc"), S("HSCAN str 0"),
         S("HSCAN str abc"), S("HSCAN str 0 COUNT 0"), S("GET str"), S("RENAME hsh hsh2"),
         S("TYPE hsh2"), S("COPY hsh2 hsh3"), S("TYPE hsh3"), S("SET hsh2 v GET"),
         S("SET hsh2 v"), S("TYPE hsh2"), S("GET hsh2"), S("MSET hsh3 m"), S("TYPE hsh3"),
         S("HSET hsh3 a 1"), S("HSET hsh4 a 1"), S("RENAME hsh4 str"), S("TYPE str"),
         S("HGET str a"), S("DEL hsh3"), S("DECR hsh3"), S("SET big 1"), S("TYPE big"),
         S("FLUSHDB")])
    return c


# --------------------------------------------------------------------------------------------
# 1c. Transactions: MULTI/EXEC/DISCARD/WATCH/UNWATCH
# --------------------------------------------------------------------------------------------

def B(line_or_cmd):
    """A command for the second connection (a list, or a line split on spaces)."""
    return Second(S(line_or_cmd) if isinstance(line_or_cmd, str) else line_or_cmd)


def transaction_cases(lists_ok):
    """Run once per protocol on the main connection (A). The second connection (B) stays in
    RESP2 and db 0 between blocks. Every block leaves A outside MULTI with nothing watched."""
    c = []
    add = c.extend
    # Queued replies, then one reply per command in the EXEC array, runtime errors in place.
    add([S("FLUSHALL"), S("MULTI"), S("SET t 1"), S("INCR t"), S("INCRBY t 5"), S("GET t"),
         S("EXEC"), S("GET t"), S("SET ts abc"), S("HSET th f v"),
         S("MULTI"), S("INCR ts"), S("SET t2 v"), S("HGET ts f"), S("GET th"),
         S("INCRBYFLOAT ts 1"), S("SET t2 w NX XX"), S("SELECT 99"), S("EXPIRE t2 abc"),
         S("APPEND t2 w"), S("GET t2"), S("GET nosuch"), S("HGETALL th"), S("HGETALL nosuch"),
         S("INCRBYFLOAT tf 1.5"), S("MGET t t2 nosuch"), S("SETRANGE t2 536870912 x"),
         S("PING"), S("ECHO hi"), S("EXEC"), S("GET t2"), S("EXISTS tf")])
    # An empty transaction; DISCARD drops the queue; EXEC and DISCARD outside MULTI.
    add([S("MULTI"), S("EXEC"), S("MULTI"), S("SET q 1"), S("DISCARD"), S("EXISTS q"),
         S("EXEC"), S("DISCARD"), S("exec"), S("discard"), S("MULTI x"), S("EXEC"),
         S("multi"), S("Exec")])
    # Queueing errors: arity and unknown commands abort the whole transaction at EXEC.
    add([S("MULTI"), S("SET qa 1"), S("SET qa"), S("INCR qa"), S("EXEC"), S("EXISTS qa"),
         S("MULTI"), S("NOSUCHCMD x"), S("SET qa 1"), S("EXEC"), S("EXISTS qa"),
         S("MULTI"), ["GET"], S("EXEC"), S("MULTI"), [""], S("EXEC"),
         S("MULTI"), S("HSET qh f"), S("HGET qh"), S("EXEC"),
         S("MULTI"), S("GET a b"), S("DISCARD"), S("EXEC"),
         S("MULTI"), S("SET qa 1"), S("get"), S("SET qb 2"), S("EXEC"), S("MGET qa qb"),
         # EXEC or DISCARD with arguments inside MULTI.
         S("MULTI"), S("SET qa 1"), S("EXEC x"), S("EXEC"), S("EXISTS qa"),
         S("MULTI"), S("SET qa 1"), S("DISCARD x"), S("EXEC"), S("EXISTS qa"),
         S("MULTI"), S("SET qa 1"), S("DISCARD x"), S("DISCARD"), S("EXISTS qa")])
    # Errors that do not abort: nested MULTI and WATCH inside MULTI.
    add([S("MULTI"), S("MULTI"), S("SET n 1"), S("WATCH n"), S("INCR n"), S("MULTI"),
         S("EXEC"), S("GET n"), S("MULTI"), S("WATCH"), S("EXEC"),
         S("MULTI"), S("WATCH a b"), S("UNWATCH"), S("EXEC")])
    # WATCH and UNWATCH arity outside MULTI; UNWATCH queued inside MULTI.
    add([S("WATCH"), S("UNWATCH x"), S("UNWATCH"), S("MULTI"), S("UNWATCH"), S("PING"),
         S("EXEC"), S("SET w 1"), S("WATCH w"), S("MULTI"), S("UNWATCH"), S("GET w"),
         S("EXEC")])
    # WATCH then a change on the same connection: EXEC answers a nil array.
    add([S("SET w 1"), S("WATCH w"), S("SET w 2"), S("MULTI"), S("GET w"), S("SET w 3"),
         S("EXEC"), S("GET w"),
         # EXEC unwatched everything, even though it aborted.
         S("SET w 4"), S("MULTI"), S("GET w"), S("EXEC"),
         # A change to another key does not matter.
         S("WATCH w"), S("SET w2 x"), S("MULTI"), S("INCR w"), S("EXEC"),
         # A missing key that is created; a missing key "deleted" again (no change).
         S("DEL wm"), S("WATCH wm"), S("SET wm 1"), S("MULTI"), S("GET wm"), S("EXEC"),
         S("WATCH wm2"), S("DEL wm2"), S("MULTI"), S("GET wm2"), S("EXEC"),
         # UNWATCH, DISCARD and an EXECABORT all unwatch.
         S("WATCH w"), S("UNWATCH"), S("SET w 9"), S("MULTI"), S("GET w"), S("EXEC"),
         S("WATCH w"), S("MULTI"), S("DISCARD"), S("SET w 10"), S("MULTI"), S("GET w"),
         S("EXEC"),
         S("WATCH w"), S("MULTI"), S("GET"), S("EXEC"), S("SET w 11"), S("MULTI"), S("GET w"),
         S("EXEC"),
         # WATCH calls accumulate; duplicates are fine.
         S("WATCH w"), S("WATCH w2 w3 w3"), S("SET w3 1"), S("MULTI"), S("PING"), S("EXEC"),
         S("WATCH w w w"), S("MULTI"), S("PING"), S("EXEC"),
         # Changes made by the transaction itself do not abort it.
         S("WATCH w"), S("MULTI"), S("SET w 12"), S("GET w"), S("EXEC"), S("GET w")])
    # What counts as a change: writes that change nothing do not; writes of the same value,
    # expiry changes and deletions do.
    add([S("SET w 1"), S("WATCH w"), S("SET w 2 NX"), S("MULTI"), S("GET w"), S("EXEC"),
         S("WATCH th"), S("INCR th"), S("HDEL th nosuch"), S("HSETNX th f x"), S("MULTI"),
         S("HGET th f"), S("EXEC"),
         S("WATCH w"), S("PERSIST w"), S("GETEX w"), S("EXPIRE nosuch 100"),
         S("RENAME nosuch w"), S("COPY nosuch w"), S("MULTI"), S("GET w"), S("EXEC"),
         S("WATCH w"), S("SET w 1"), S("MULTI"), S("GET w"), S("EXEC"),
         S("WATCH th"), S("HSET th f v"), S("MULTI"), S("HGET th f"), S("EXEC"),
         S("WATCH w"), S("EXPIRE w 100000"), S("MULTI"), S("EXISTS w"), S("EXEC"),
         S("WATCH w"), S("EXPIRE w 200000 LT"), S("MULTI"), S("EXISTS w"), S("EXEC"),
         S("WATCH w"), S("PERSIST w"), S("MULTI"), S("EXISTS w"), S("EXEC"),
         S("WATCH w"), ["APPEND", "w", ""], S("MULTI"), S("GET w"), S("EXEC"),
         S("WATCH w"), S("GETEX w EX 100000"), S("MULTI"), S("GET w"), S("EXEC"),
         S("WATCH w"), S("GETEX w PERSIST"), S("MULTI"), S("GET w"), S("EXEC"),
         S("WATCH w"), S("INCRBY w 0"), S("MULTI"), S("GET w"), S("EXEC"),
         S("WATCH w"), S("SETRANGE w 0 1"), S("MULTI"), S("GET w"), S("EXEC"),
         S("WATCH w"), S("SETBIT w 0 0"), S("MULTI"), S("GET w"), S("EXEC"),
         S("WATCH w"), S("GETSET w 5"), S("MULTI"), S("GET w"), S("EXEC"),
         S("WATCH w"), S("MSETNX w 1 zz 1"), S("MULTI"), S("GET w"), S("EXEC"),
         S("WATCH w"), S("TOUCH w"), S("MULTI"), S("GET w"), S("EXEC"),
         S("WATCH w"), S("RENAME w w"), S("MULTI"), S("GET w"), S("EXEC"),
         S("WATCH w"), S("GETDEL w"), S("MULTI"), S("GET w"), S("EXEC"),
         S("SET w 1"), S("WATCH w"), S("UNLINK w"), S("MULTI"), S("GET w"), S("EXEC"),
         S("SET w 1"), S("WATCH w"), S("EXPIRE w 0"), S("MULTI"), S("EXISTS w"), S("EXEC"),
         S("SET w 1"), S("WATCH w"), S("PEXPIREAT w 1"), S("MULTI"), S("EXISTS w"), S("EXEC")])
    # Expiry: a key already expired (but not yet removed) when watched; its lazy removal is
    # not a change, writing it again is. (No DBSIZE here: whether either server's active expiry
    # cycle removed the key yet is timing, and failed one run in ten under a parallel ctest.)
    add([S("SET past v PXAT 1"), S("WATCH past"), S("MULTI"), S("EXISTS past"), S("EXEC"),
         S("SET past v PXAT 1"), S("WATCH past"), S("GET past"), S("MULTI"),
         S("EXISTS past"), S("EXEC"),
         S("SET past v PXAT 1"), S("WATCH past"), S("SET past v"), S("MULTI"), S("GET past"),
         S("EXEC"), S("SET past v PXAT 1"), S("WATCH past"), S("KEYS past*"),
         S("MULTI"), S("GET past"), S("EXEC")])
    # Databases: WATCH is per db; SELECT, MOVE, FLUSHDB, FLUSHALL and SWAPDB.
    add([S("SET w v"), S("WATCH w"), S("SELECT 1"), S("SET w other"), S("MULTI"), S("GET w"),
         S("EXEC"), S("SELECT 0"),
         S("WATCH w"), S("MOVE w 2"), S("MULTI"), S("EXISTS w"), S("EXEC"),
         S("SET w v"), S("WATCH w"), S("FLUSHDB"), S("MULTI"), S("PING"), S("EXEC"),
         S("WATCH w"), S("FLUSHDB"), S("MULTI"), S("PING"), S("EXEC"),
         S("SET w v"), S("WATCH w"), S("SELECT 3"), S("FLUSHDB"), S("MULTI"), S("PING"),
         S("EXEC"), S("SELECT 0"),
         S("WATCH w"), S("FLUSHALL"), S("MULTI"), S("PING"), S("EXEC"),
         S("WATCH w"), S("FLUSHALL"), S("MULTI"), S("PING"), S("EXEC"),
         S("SELECT 1"), S("SET sw v"), S("SELECT 0"), S("WATCH sw"), S("SWAPDB 0 1"),
         S("MULTI"), S("GET sw"), S("EXEC"),
         S("WATCH sw"), S("SWAPDB 2 3"), S("MULTI"), S("GET sw"), S("EXEC"),
         S("WATCH nosw"), S("SWAPDB 0 1"), S("MULTI"), S("GET nosw"), S("EXEC"),
         S("WATCH sw"), S("SWAPDB 1 0"), S("MULTI"), S("GET sw"), S("EXEC"),
         S("SELECT 2"), S("SET indb2 0"), S("WATCH indb2"), S("SELECT 0"), S("SET indb2 x"),
         S("MULTI"), S("PING"), S("EXEC"), S("FLUSHALL")])
    # SELECT, FLUSHALL and SWAPDB queued inside a transaction.
    add([S("MULTI"), S("SELECT 2"), S("SET indb2 1"), S("SELECT 0"), S("SET in0 1"),
         S("EXEC"), S("EXISTS indb2 in0"), S("SELECT 2"), S("EXISTS indb2"),
         S("MULTI"), S("SELECT 3"), S("EXEC"), S("SET in3 1"), S("SELECT 0"),
         S("MULTI"), S("SWAPDB 0 3"), S("EXISTS in3"), S("FLUSHALL"), S("DBSIZE"), S("EXEC"),
         S("SELECT 0")])
    # A long transaction and a large reply.
    add([S("MULTI")] + [S("INCR big") for _ in range(300)] + [S("GET big"), S("EXEC"),
         S("MULTI"), ["SET", "blob", "b" * 100000], S("GET blob"), S("STRLEN blob"),
         S("EXEC"), S("DEL big blob")])
    # Across connections: B's writes break A's WATCH, B's reads and failed writes do not.
    add([S("FLUSHALL"), S("SET c 1"), B("SET unrelated 1"),
         S("WATCH c"), B("SET c 2"), S("MULTI"), S("SET c 3"), S("EXEC"), S("GET c"),
         S("WATCH c"), B("GET c"), B("EXISTS c"), B("TTL c"), B("TYPE c"), B("KEYS c*"),
         B("INCR unrelated"), S("MULTI"), S("INCR c"), S("EXEC"),
         S("WATCH c"), S("MULTI"), S("INCR c"), B("INCR c"), S("EXEC"), S("GET c"),
         S("WATCH cm"), B("DEL cm"), B("GETDEL cm"), S("MULTI"), S("SET cm 1"), S("EXEC"),
         S("DEL cm"), S("WATCH cm"), B("SET cm x"), S("MULTI"), S("SET cm 1"), S("EXEC"),
         S("GET cm"), S("WATCH c"), B("SET c v NX"), B("HSET c f v"), B("EXPIRE c abc"),
         S("MULTI"), S("GET c"), S("EXEC"),
         S("WATCH c"), B("EXPIRE c 100000"), S("MULTI"), S("GET c"), S("EXEC"),
         S("WATCH c"), B("PERSIST c"), S("MULTI"), S("GET c"), S("EXEC"),
         S("WATCH c"), B("PERSIST c"), S("MULTI"), S("GET c"), S("EXEC"),
         S("WATCH c"), B("RENAME c c2"), S("MULTI"), S("GET c"), S("EXEC"),
         S("WATCH c2"), B("SET src s"), B("RENAME src c2"), S("MULTI"), S("GET c2"), S("EXEC"),
         S("WATCH c2"), B("SET src s"), B("COPY src c2"), S("MULTI"), S("GET c2"), S("EXEC"),
         S("WATCH c2"), B("COPY src c2 REPLACE"), S("MULTI"), S("GET c2"), S("EXEC"),
         S("WATCH c2"), B("MOVE c2 1"), S("MULTI"), S("GET c2"), S("EXEC"),
         S("SET c 1"), S("WATCH c"), B("SET c 2 EXAT 1"), S("MULTI"), S("GET c"), S("EXEC"),
         # B's UNWATCH is its own; B watching the same key.
         S("SET c 1"), S("WATCH c"), B("WATCH c"), B("UNWATCH"), B("SET c 2"), S("MULTI"),
         S("GET c"), S("EXEC"),
         S("WATCH c"), B("WATCH c"), B("SET c 3"), B("MULTI"), B("GET c"), B("EXEC"),
         S("MULTI"), S("GET c"), S("EXEC"),
         # B's transaction: its EXEC breaks A's WATCH; queued but not executed it does not;
         # an aborted or discarded one never does.
         S("WATCH c"), B("MULTI"), B("SET c q"), S("MULTI"), S("GET c"), S("EXEC"), B("EXEC"),
         S("WATCH c"), B("MULTI"), B("SET c z"), B("EXEC"), S("MULTI"), S("GET c"), S("EXEC"),
         S("WATCH c"), B("MULTI"), B("SET c"), B("SET c y"), B("EXEC"), S("MULTI"),
         S("GET c"), S("EXEC"),
         S("WATCH c"), B("MULTI"), B("SET c y"), B("DISCARD"), S("MULTI"), S("GET c"),
         S("EXEC"),
         # A's queued commands see B's writes made before EXEC.
         S("MULTI"), S("GET c"), B("SET c late"), S("GET c"), S("EXEC"),
         # Both in MULTI, interleaved.
         S("SET n 0"), S("MULTI"), B("MULTI"), S("INCR n"), B("INCR n"), B("GET n"),
         S("GET n"), B("EXEC"), S("EXEC"),
         # B's FLUSHDB / FLUSHALL / SWAPDB: only watched keys that exist (in either db).
         S("SET c 1"), S("WATCH c"), B("FLUSHALL"), S("MULTI"), S("PING"), S("EXEC"),
         S("WATCH c"), B("FLUSHDB"), S("MULTI"), S("PING"), S("EXEC"),
         S("SET c 1"), S("WATCH c"), B("SELECT 1"), B("SET c x"), B("FLUSHDB"), S("MULTI"),
         S("GET c"), S("EXEC"), B("SET c y"), S("WATCH c"), B("SWAPDB 0 1"), S("MULTI"),
         S("GET c"), S("EXEC"), B("SELECT 0"), B("FLUSHALL")])
    # Hashes across connections.
    add([S("HSET hh f v g w"), S("WATCH hh"), B("HDEL hh nosuch"), B("HGET hh f"),
         B("HSETNX hh f x"), S("MULTI"), S("HGETALL hh"), S("EXEC"),
         S("WATCH hh"), B("HDEL hh g"), S("MULTI"), S("HGETALL hh"), S("EXEC"),
         S("WATCH hh"), B("HINCRBY hh n 1"), S("MULTI"), S("HGETALL hh"), S("EXEC"),
         S("WATCH hh"), B("HDEL hh f n"), S("MULTI"), S("EXISTS hh"), S("EXEC"),
         S("FLUSHALL")])
    if lists_ok:
        add(list_transaction_cases())
    add([S("DISCARD"), S("UNWATCH"), B("DISCARD"), B("UNWATCH"), S("FLUSHALL")])
    return c


def list_transaction_cases():
    c = []
    add = c.extend
    add([S("FLUSHALL"), S("MULTI"), S("RPUSH tl a b c"), S("LRANGE tl 0 -1"), S("LPOP tl 2"),
         S("LPUSH tl x"), S("LSET tl 9 y"), S("LINDEX tl 0"), S("SET tl v"), S("LLEN tl"),
         S("LPOP nosuch 0"), S("RPOP nosuch"), S("LMPOP 1 nosuch LEFT"), S("EXEC"),
         S("MULTI"), S("LPUSH tl"), S("LMPOP 0 tl LEFT"), S("EXEC"), S("TYPE tl"),
         S("DEL tl"), S("RPUSH tl a b c")])
    # Same connection: which list commands count as a change.
    # (Redis 7.0: LTRIM and LSET always count, even when nothing changes; failed or empty
    # pops, missing pivots and LREM of nothing do not.)
    for write in ["LPUSH tl z", "LPUSHX nosuch z", "LPOP nosuch", "LPOP tl 0", "LTRIM tl 0 -1",
                  "LINSERT tl BEFORE nosuch q", "LINSERT tl AFTER a q", "LREM tl 0 nosuch",
                  "LREM tl 1 q", "LSET tl 0 a", "LSET tl 99 a", "LMOVE tl tl LEFT RIGHT",
                  "RPOPLPUSH nosuch tl", "LPOS tl a", "LRANGE tl 0 -1",
                  "LMPOP 2 nosuch tl RIGHT", "LMOVE nosuch tl LEFT LEFT", "RPUSHX tl w"]:
        add([S("WATCH tl"), S(write), S("MULTI"), S("LRANGE tl 0 -1"), S("EXEC")])
    # Across connections, including the destination of a move.
    add([S("DEL tl tl2"), S("RPUSH tl a b c"),
         S("WATCH tl"), B("RPUSH tl d"), S("MULTI"), S("LRANGE tl 0 -1"), S("EXEC"),
         S("WATCH tl2"), B("LMOVE tl tl2 LEFT LEFT"), S("MULTI"), S("LRANGE tl2 0 -1"),
         S("EXEC"), S("WATCH tl"), B("RPOPLPUSH tl2 tl"), S("MULTI"), S("LLEN tl"), S("EXEC"),
         S("WATCH tl2"), B("LPOP tl2"), B("RPOP nosuch 2"), S("MULTI"), S("EXISTS tl2"),
         S("EXEC"), S("WATCH tl"), B("LMPOP 2 nosuch tl LEFT COUNT 10"), S("MULTI"),
         S("EXISTS tl"), S("EXEC"), S("FLUSHALL")])
    return c


# --------------------------------------------------------------------------------------------
# 1d. List edge cases (Redis 7.0: OBJECT ENCODING of every list is "quicklist"; the listpack
#     encoding of small lists arrived in 7.2. Nodes hold up to 8 kB: list-max-listpack-size -2)
# --------------------------------------------------------------------------------------------

E9000 = "e" * 9000  # bigger than one 8 kB quicklist node


def elems(n, prefix="e", width=0):
    return [f"{prefix}{i:0{width}d}" for i in range(n)]


def list_edge_cases():
    c = []
    add = c.extend
    # Arity, one argument short and one too many.
    add([S("LPUSH"), S("LPUSH l"), S("RPUSH l"), S("LPUSHX l"), S("RPUSHX l"), S("LLEN"),
         S("LLEN l x"), S("LRANGE l 0"), S("LRANGE l 0 1 2"), S("LPOP"), S("LPOP l 1 2"),
         S("RPOP"), S("RPOP l 1 2"), S("LINDEX l"), S("LINDEX l 0 1"), S("LSET l 0"),
         S("LSET l 0 v x"), S("LREM l 0"), S("LREM l 0 v x"), S("LTRIM l 0"), S("LTRIM l 0 1 2"),
         S("LINSERT l BEFORE p"), S("LINSERT l BEFORE p v x"), S("LPOS l"), S("LMOVE a b LEFT"),
         S("LMOVE a b LEFT RIGHT x"), S("RPOPLPUSH a"), S("RPOPLPUSH a b c"), S("LMPOP"),
         S("LMPOP 1"), S("LMPOP 1 l"), S("lpush l"), S("LpOs l"), S("EXISTS l a b")])
    # Pushes, order, LLEN, TYPE; the X variants only on existing lists.
    add([S("DEL l"), S("LLEN l"), S("LRANGE l 0 -1"), S("LPUSH l a"), S("LPUSH l b c"),
         S("RPUSH l x y"), S("LRANGE l 0 -1"), S("LLEN l"), S("TYPE l"), S("OBJECT ENCODING l"),
         S("LPUSHX l p"), S("RPUSHX l q r"), S("LPUSHX nol a"), S("RPUSHX nol a b"),
         S("EXISTS nol"), S("LRANGE l 0 -1"), S("LPUSH l a a a"), S("LLEN l"),
         ["RPUSH", "l", "", "sp ace", "bin\x00\xff", "1", "-1", "01", "+1", "9223372036854775807",
          "-9223372036854775808", "9223372036854775808", "1.5", "12345678901234567890"],
         S("LRANGE l 0 -1"), S("LINDEX l -1"), S("LINDEX l -12"), S("LLEN l"),
         S("lpush l lower"), S("LINDEX l 0"), S("LPUSHX l"), S("RPUSHX nol")])
    # LRANGE and LINDEX indexes: negative, out of range, reversed, extreme, not integers.
    ranges = [("0", "0"), ("0", "1"), ("1", "3"), ("-1", "-1"), ("-2", "-1"), ("-5", "-1"),
              ("-6", "-1"), ("-100", "100"), ("0", "100"), ("5", "10"), ("4", "4"), ("3", "1"),
              ("-1", "-5"), ("2", "-2"), ("-3", "2"), ("0", "-6"), ("0", "-5"), ("-6", "-6"),
              ("9223372036854775807", "9223372036854775807"),
              ("-9223372036854775808", "9223372036854775807"), ("-9223372036854775808", "0"),
              ("abc", "1"), ("0", "abc"), ("1.5", "2"), ("", "1"), ("+1", "2"), ("01", "2"),
              ("0", "9223372036854775808"), ("-0", "-0")]
    add([S("DEL r"), S("RPUSH r a b c d e")] + [["LRANGE", "r", a, b] for a, b in ranges]
        + [S("LRANGE nosuch 0 -1"), S("LRANGE nosuch abc 1"), S("LRANGE nosuch 5 1")])
    add([["LINDEX", "r", i] for i in ["0", "4", "5", "-1", "-5", "-6", "100", "-100", "abc", "",
                                      "9223372036854775807", "-9223372036854775808", "1.0",
                                      "+1", "-0", "9223372036854775808"]]
        + [S("LINDEX nosuch 0"), S("LINDEX nosuch abc")])
    # LSET: missing key, out of range, negative, not an integer, empty and long values.
    add([S("LSET nosuch 0 v"), S("LSET nosuch abc v"), S("LSET nosuch -1 v"), S("EXISTS nosuch"),
         S("LSET r 0 A"), S("LSET r -1 E"), S("LSET r 2 C"), S("LSET r 5 x"), S("LSET r -6 x"),
         S("LSET r 100 x"), S("LSET r abc x"), S("LSET r 1.5 x"), ["LSET", "r", "1", ""],
         S("LSET r -5 first"), S("LRANGE r 0 -1"), ["LSET", "r", "3", E9000], S("LLEN r"),
         S("LINDEX r 4"), S("STRLEN r"), S("OBJECT ENCODING r"), S("LSET r 3 short"),
         S("LRANGE r 0 -1"), S("LSET r 9223372036854775807 x"),
         S("LSET r -9223372036854775808 x")])
    # LPOP / RPOP with and without a count.
    add([S("DEL p"), S("RPUSH p 1 2 3 4 5 6 7 8"), S("LPOP p"), S("RPOP p"), S("LPOP p 0"),
         S("RPOP p 0"), S("LPOP p 2"), S("RPOP p 1"), S("RPOP p 2"), S("LPOP p -1"),
         S("RPOP p -1"), S("LPOP p abc"), S("LPOP p 1.5"), ["LPOP", "p", ""], S("LLEN p"),
         S("LPOP p 100"), S("EXISTS p"), S("TYPE p"), S("LPOP p"), S("RPOP p"), S("LPOP p 0"),
         S("RPOP p 0"), S("LPOP p 2"), S("RPOP p 2"), S("LPOP p -1"), S("LPOP p abc"),
         S("RPUSH p x"), S("RPOP p 9223372036854775807"), S("EXISTS p"), S("RPUSH p a b"),
         S("LPOP p 9223372036854775808"), S("RPOP p -9223372036854775808"), S("RPOP p 1"),
         S("RPOP p"), S("EXISTS p"), S("RPUSH p a b"), S("LPOP p 2"), S("EXISTS p")])
    # LREM: count > 0 from the head, < 0 from the tail, 0 all; integers compare as strings.
    add([S("DEL rm"), S("RPUSH rm a b a c a b a"), S("LREM rm 2 a"), S("LRANGE rm 0 -1"),
         S("LREM rm -1 a"), S("LRANGE rm 0 -1"), S("LREM rm 0 b"), S("LRANGE rm 0 -1"),
         S("LREM rm 0 zz"), S("LREM rm 5 zz"), S("LREM rm -5 zz"), S("LREM rm abc a"),
         S("LREM rm 1.5 a"), S("LREM rm -100 a"), S("LRANGE rm 0 -1"), S("LREM rm 1 c"),
         S("EXISTS rm"), S("LREM nosuch 0 a"), S("LREM nosuch abc a"),
         S("RPUSH rm 1 01 1 +1 1.0 1 -1 10"), S("LREM rm 0 01"), S("LRANGE rm 0 -1"),
         S("LREM rm -2 1"), S("LRANGE rm 0 -1"), S("LREM rm 1 1"), S("LRANGE rm 0 -1"),
         ["RPUSH", "rm", "", "x", ""], ["LREM", "rm", "0", ""], S("LRANGE rm 0 -1"),
         S("LREM rm 9223372036854775807 x"), S("LREM rm -9223372036854775808 10"),
         S("LRANGE rm 0 -1"), S("DEL rm")])
    # LTRIM: negative and out-of-range bounds; an empty result removes the key.
    trims = [("1", "-2"), ("-100", "100"), ("0", "0"), ("-1", "-1"), ("5", "100"), ("2", "1"),
             ("0", "-100"), ("-3", "-1"), ("1", "2"),
             ("-9223372036854775808", "9223372036854775807"), ("9223372036854775807", "-1")]
    for a, b in trims:
        add([S("DEL t"), S("RPUSH t 0 1 2 3 4 5 6 7 8 9"), ["LTRIM", "t", a, b],
             S("LRANGE t 0 -1"), S("EXISTS t")])
    add([S("LTRIM nosuch 0 1"), S("EXISTS nosuch"), S("LTRIM t abc 1"), S("LTRIM t 0 abc"),
         S("LTRIM nosuch abc 1"), S("RPUSH t a b"), S("LTRIM t 0 -1"), S("LRANGE t 0 -1")])
    # LINSERT: BEFORE/AFTER, first match, missing pivot -> -1, missing key -> 0.
    add([S("DEL ins"), S("RPUSH ins a b c b"), S("LINSERT ins BEFORE b x"),
         S("LINSERT ins AFTER b y"), S("LRANGE ins 0 -1"), S("LINSERT ins before a first"),
         S("LINSERT ins after c last"), S("LINSERT ins AfTeR last end"), S("LRANGE ins 0 -1"),
         S("LINSERT ins BEFORE nosuch z"), S("LINSERT ins AFTER nosuch z"),
         S("LINSERT nosuch BEFORE a z"), S("EXISTS nosuch"), S("LINSERT ins MIDDLE a z"),
         S("LINSERT nosuch MIDDLE a z"), S("LINSERT ins BEFORE A z"),
         ["LINSERT", "ins", "BEFORE", "a", ""], ["LINSERT", "ins", "AFTER", "", "after-empty"],
         S("RPUSH ins 1 10 01"), S("LINSERT ins BEFORE 01 int"), S("LINSERT ins AFTER 1 int2"),
         S("LINSERT ins BEFORE +1 no"), S("LRANGE ins 0 -1"), S("LLEN ins"),
         ["LINSERT", "ins", "AFTER", "end", E9000], S("LLEN ins"), S("LINDEX ins -4"),
         S("STRLEN ins")])
    # LPOS: RANK (incl. 0 and negative), COUNT (0 = all), MAXLEN, their errors.
    add([S("DEL pos"), S("RPUSH pos a b c 1 2 3 c c a")]
        + [["LPOS", "pos"] + o for o in [
            ["c"], ["c", "RANK", "2"], ["c", "RANK", "-1"], ["c", "RANK", "-3"],
            ["c", "RANK", "0"], ["c", "RANK", "10"], ["c", "RANK", "-10"], ["c", "RANK", "abc"],
            ["c", "COUNT", "0"], ["c", "COUNT", "2"], ["c", "COUNT", "-1"], ["c", "COUNT", "100"],
            ["c", "RANK", "2", "COUNT", "0"], ["c", "RANK", "-1", "COUNT", "2"],
            ["c", "RANK", "-2", "COUNT", "0"], ["c", "MAXLEN", "3"], ["c", "MAXLEN", "4"],
            ["c", "MAXLEN", "0"], ["c", "MAXLEN", "-1"], ["c", "RANK", "-1", "MAXLEN", "2"],
            ["c", "RANK", "-1", "MAXLEN", "3"], ["c", "COUNT", "0", "MAXLEN", "7"],
            ["c", "COUNT", "0", "MAXLEN", "8"], ["a", "RANK", "-1"], ["a", "COUNT", "0"],
            ["nosuch"], ["nosuch", "COUNT", "0"], ["nosuch", "RANK", "-1", "COUNT", "3"],
            ["1"], ["01"], ["3", "RANK", "1", "COUNT", "1"], ["c", "FOO"], ["c", "RANK"],
            ["c", "COUNT"], ["c", "MAXLEN"], ["c", "rank", "2", "count", "1", "maxlen", "100"],
            ["c", "RANK", "-9223372036854775808"], ["c", "RANK", "9223372036854775807"],
            ["c", "RANK", "-9223372036854775807"], ["c", "COUNT", "1", "COUNT", "2"],
            ["c", "RANK", "1", "RANK", "-1"], ["c", "COUNT", "9223372036854775807"],
            ["c", "MAXLEN", "9223372036854775807"], ["c", "RANK", "1.5"],
            ["c", "RANK", "0", "COUNT", "-1"], ["c", "COUNT", "-1", "RANK", "0"],
            ["c", "MAXLEN", "-1", "RANK", "0"]]]
        + [S("LPOS nosuch a"), S("LPOS nosuch a COUNT 1"), S("LPOS nosuch a RANK 0"),
           S("LPOS nosuch a COUNT -1"), S("LPOS nosuch a FOO")])
    # LMOVE all four directions, rotation on one key, creation and removal of keys.
    add([S("DEL src dst rot one"), S("RPUSH src a b c d e f"), S("RPUSH dst x y"),
         S("LMOVE src dst LEFT LEFT"), S("LMOVE src dst LEFT RIGHT"),
         S("LMOVE src dst RIGHT LEFT"), S("LMOVE src dst RIGHT RIGHT"), S("LRANGE src 0 -1"),
         S("LRANGE dst 0 -1"), S("LMOVE src dst left right"), S("LMOVE src dst UP LEFT"),
         S("LMOVE src dst LEFT DOWN"), S("LMOVE nosuch dst UP LEFT"),
         S("LMOVE nosuch dst LEFT LEFT"), S("LMOVE nosuch nosuch RIGHT LEFT"),
         S("EXISTS nosuch"), S("LMOVE src newdst RIGHT LEFT"), S("TYPE newdst"),
         S("LRANGE newdst 0 -1"), S("EXISTS src"), S("LRANGE dst 0 -1"),
         S("RPUSH rot 1 2 3 4"), S("LMOVE rot rot LEFT RIGHT"), S("LRANGE rot 0 -1"),
         S("LMOVE rot rot RIGHT LEFT"), S("LRANGE rot 0 -1"), S("LMOVE rot rot LEFT LEFT"),
         S("LRANGE rot 0 -1"), S("LMOVE rot rot RIGHT RIGHT"), S("LRANGE rot 0 -1"),
         S("RPOPLPUSH rot rot"), S("LRANGE rot 0 -1"), S("RPUSH one z"),
         S("LMOVE one one LEFT RIGHT"), S("RPOPLPUSH one one"), S("LRANGE one 0 -1"),
         S("RPOPLPUSH one other"), S("EXISTS one"), S("LRANGE other 0 -1"),
         S("RPOPLPUSH nosuch other"), S("RPOPLPUSH other one"), S("EXISTS other"),
         S("LRANGE one 0 -1")])
    # LMPOP: numkeys errors, LEFT/RIGHT, COUNT, first non-empty list wins.
    add([S("DEL m1 m2"), S("LMPOP 0 a LEFT"), S("LMPOP -1 a LEFT"), S("LMPOP abc a LEFT"),
         S("LMPOP 2 a LEFT"), S("LMPOP 3 a b LEFT"), S("LMPOP 1 a b LEFT"),
         S("LMPOP 1 a MIDDLE"), S("LMPOP 1 a LEFT COUNT 0"), S("LMPOP 1 a LEFT COUNT -1"),
         S("LMPOP 1 a LEFT COUNT abc"), S("LMPOP 1 a LEFT COUNT"), S("LMPOP 1 a LEFT FOO"),
         S("LMPOP 1 a LEFT COUNT 1 COUNT 2"), S("LMPOP 9223372036854775807 a LEFT"),
         S("LMPOP 2147483648 a LEFT"), S("LMPOP 1.5 a LEFT"), ["LMPOP", "", "a", "LEFT"],
         S("LMPOP 2 nosuch1 nosuch2 LEFT"), S("LMPOP 2 nosuch1 nosuch2 RIGHT COUNT 5"),
         S("RPUSH m1 a b c d e"), S("RPUSH m2 x y"), S("LMPOP 2 nosuch m1 LEFT"),
         S("LMPOP 2 nosuch m1 RIGHT COUNT 2"), S("LMPOP 2 m2 m1 LEFT COUNT 1"),
         S("LMPOP 2 m1 m2 right count 100"), S("EXISTS m1"), S("LMPOP 2 m1 m2 LEFT COUNT 100"),
         S("EXISTS m1 m2"), S("LMPOP 1 m1 LEFT"), S("RPUSH m1 only"),
         S("LMPOP 3 m2 m2 m1 LEFT COUNT 3"), S("EXISTS m1"), S("lmpop 1 m1 left"),
         S("RPUSH m1 a"), S("LMPOP 1 m1 LEFT COUNT 0"),
         S("LMPOP 1 m1 LEFT COUNT 9223372036854775807"),
         S("LMPOP 1 m1 RIGHT COUNT 9223372036854775808")])
    # Every way to empty a list removes the key (and its TTL).
    add([S("DEL em"), S("RPUSH em a"), S("EXPIRE em 100000"), S("LPOP em"), S("EXISTS em"),
         S("TTL em"), S("RPUSH em a"), S("TTL em"), S("RPOP em"), S("EXISTS em"),
         S("RPUSH em a b"), S("LPOP em 5"), S("EXISTS em"), S("RPUSH em a b"), S("RPOP em 2"),
         S("EXISTS em"), S("RPUSH em a a"), S("LREM em 0 a"), S("EXISTS em"), S("RPUSH em a"),
         S("LTRIM em 1 0"), S("EXISTS em"), S("RPUSH em a"), S("LMOVE em em2 LEFT LEFT"),
         S("EXISTS em"), S("RPOPLPUSH em2 em3"), S("EXISTS em2"), S("LMPOP 1 em3 LEFT"),
         S("EXISTS em3"), S("DBSIZE"), S("KEYS em*")])
    # Wrong type, both ways: list commands on strings and hashes, string and hash commands
    # on lists. A wrong-type destination leaves the source list alone.
    list_cmds = [S("LPUSH {k} x"), S("RPUSH {k} x"), S("LPUSHX {k} x"), S("RPUSHX {k} x"),
                 S("LLEN {k}"), S("LRANGE {k} 0 -1"), S("LPOP {k}"), S("LPOP {k} 2"),
                 S("LPOP {k} 0"), S("LPOP {k} -1"), S("RPOP {k}"), S("RPOP {k} 2"),
                 S("LINDEX {k} 0"), S("LINDEX {k} abc"), S("LSET {k} 0 x"),
                 S("LSET {k} abc x"), S("LREM {k} 0 x"), S("LTRIM {k} 0 1"),
                 S("LINSERT {k} BEFORE a x"), S("LINSERT {k} MIDDLE a x"), S("LPOS {k} x"),
                 S("LPOS {k} x RANK 0"), S("LPOS {k} x COUNT 0"), S("LMOVE {k} wl LEFT LEFT"),
                 S("LMOVE wl {k} LEFT LEFT"), S("LMOVE nosuch {k} LEFT LEFT"),
                 S("RPOPLPUSH {k} wl"), S("RPOPLPUSH wl {k}"), S("RPOPLPUSH nosuch {k}"),
                 S("LMPOP 1 {k} LEFT"), S("LMPOP 2 nosuch {k} LEFT"), S("LMPOP 2 wl {k} LEFT"),
                 S("LMPOP 2 {k} wl RIGHT COUNT 2"), S("LMPOP 0 {k} LEFT")]
    add([S("DEL wstr whash wl"), S("SET wstr v"), S("HSET whash f v"), S("RPUSH wl a b c d")])
    for key in ("wstr", "whash"):
        add([[a.replace("{k}", key) for a in cmd] for cmd in list_cmds])
    add([S("LRANGE wl 0 -1"), S("GET wstr"), S("HGETALL whash"), S("HSET wl f v"),
         S("HSETNX wl f v"), S("HGET wl f"), S("HMGET wl f"), S("HGETALL wl"), S("HKEYS wl"),
         S("HVALS wl"), S("HLEN wl"), S("HEXISTS wl f"), S("HDEL wl f"), S("HINCRBY wl f 1"),
         S("HINCRBYFLOAT wl f 1"), S("HSTRLEN wl f"), S("HRANDFIELD wl"), S("HSCAN wl 0"),
         S("GET wl"), S("SET wl x XX GET"), S("APPEND wl x"), S("INCR wl"), S("GETDEL wl"),
         S("TYPE wl"), S("LRANGE wl 0 -1"), S("SET wl x"), S("TYPE wl"), S("LLEN wl")])
    # Keyspace commands on lists: RENAME, COPY (a deep copy), MOVE, expiry, SCAN TYPE list.
    add([S("FLUSHDB"), S("RPUSH kl a b c"), S("RENAME kl kl2"), S("LRANGE kl2 0 -1"),
         S("COPY kl2 kl3"), S("RPUSH kl3 d"), S("LSET kl3 0 A"), S("LRANGE kl2 0 -1"),
         S("LRANGE kl3 0 -1"), S("COPY kl2 kl3"), S("COPY kl2 kl3 REPLACE"),
         S("LRANGE kl3 0 -1"), S("EXPIRE kl2 100000"), S("RPUSH kl2 z"), S("TTL kl2"),
         S("LPOP kl2"), S("TTL kl2"), S("RENAME kl2 kl4"), S("TTL kl4"), S("MOVE kl4 1"),
         S("SELECT 1"), S("LRANGE kl4 0 -1"), S("TTL kl4"), S("OBJECT ENCODING kl4"),
         S("SELECT 0"), S("SET s1 v"), S("HSET h1 f v"), S("RPUSH l1 a"), S("RPUSH l2 a"),
         ScanAll(S("SCAN 0 TYPE list"), False), ScanAll(S("SCAN 0 TYPE LIST"), False),
         ScanAll(S("SCAN 0 MATCH l* TYPE list COUNT 1"), False), S("TYPE l1"),
         S("RENAME l1 s1"), S("TYPE s1"), S("LRANGE s1 0 -1"), S("RENAMENX l2 s1"),
         S("FLUSHALL")])
    # Encodings. Redis 7.0 answers "quicklist" for every list; the cases cover a single
    # element bigger than a node, many small elements across nodes, and shrinking again.
    add([S("DEL enc big1 many"), S("RPUSH enc a"), S("OBJECT ENCODING enc"),
         ["RPUSH", "big1", E9000], S("OBJECT ENCODING big1"), S("LLEN big1"),
         S("LPUSH big1 a"), S("RPUSH big1 z"), S("LRANGE big1 0 0"), S("LRANGE big1 -1 -1"),
         S("LINDEX big1 1"), S("LPOS big1 z"), S("LPOP big1 2"), S("OBJECT ENCODING big1"),
         S("LRANGE big1 0 -1"), ["RPUSH", "many"] + elems(1000), S("OBJECT ENCODING many"),
         S("LLEN many"), S("LINDEX many 500"), S("LINDEX many -501"), S("LRANGE many 495 505"),
         S("LRANGE many -3 -1"), S("LPOP many 990"), S("OBJECT ENCODING many"),
         S("LRANGE many 0 -1"), ["RPUSH", "many"] + ["x" * 100] * 81, S("OBJECT ENCODING many"),
         S("LTRIM many 0 9"), S("OBJECT ENCODING many"), S("LRANGE many 0 -1")])
    # A list of many nodes: reads and writes in the middle, from both ends.
    add([S("DEL bl bl2"), ["RPUSH", "bl"] + elems(2000, "element-padded-to-fifty-bytes-", 4),
         S("LLEN bl"), S("LINDEX bl 0"), S("LINDEX bl 999"), S("LINDEX bl 1000"),
         S("LINDEX bl -1"), S("LINDEX bl -2000"), S("LINDEX bl 2000"),
         S("LRANGE bl 995 1005"), S("LRANGE bl -1005 -995"),
         S("LSET bl 1000 middle"), S("LSET bl -1500 quarter"), S("LINDEX bl 1000"),
         S("LINSERT bl BEFORE middle ins-before"), S("LINSERT bl AFTER middle ins-after"),
         S("LRANGE bl 998 1004"), ["LPOS", "bl", "element-padded-to-fifty-bytes-1500"],
         S("LPOS bl middle RANK -1"), S("LPOS bl quarter MAXLEN 400"),
         S("LPOS bl quarter MAXLEN 501"), S("LPOS bl quarter RANK -1 MAXLEN 1502"),
         ["RPUSH", "bl"] + ["dup"] * 5, ["LPUSH", "bl"] + ["dup"] * 5,
         S("LINSERT bl AFTER quarter dup"), S("LREM bl 3 dup"), S("LREM bl -3 dup"),
         S("LPOS bl dup COUNT 0"), S("LREM bl 0 dup"), S("LLEN bl"), S("LTRIM bl 100 -101"),
         S("LLEN bl"), S("LRANGE bl 0 2"), S("LRANGE bl -3 -1"),
         S("LMOVE bl bl2 LEFT RIGHT"), S("LMOVE bl bl2 RIGHT LEFT"), S("RPOPLPUSH bl bl"),
         S("LRANGE bl2 0 -1"), S("LRANGE bl -2 -1"), S("LPOP bl 1500"), S("LLEN bl"),
         S("RPOP bl 100"), S("LRANGE bl 0 -1"), S("LMPOP 2 nosuch bl LEFT COUNT 100000"),
         S("EXISTS bl"), S("FLUSHALL")])
    return c


# --------------------------------------------------------------------------------------------
# 1e. Set edge cases (Redis 7.0: intset while every member is a canonical integer and there are
#     at most set-max-intset-entries = 512 of them, iterated in ascending order; otherwise
#     hashtable, iterated in its own order. 7.2's listpack sets do not exist in 7.0)
# --------------------------------------------------------------------------------------------

SET_INTSET_ENTRIES = 512


def U(line_or_cmd, key, how="set", big=False):
    """An Unordered set read: compared as a multiset when the reference says key (or any of
    a list of keys) is hashtable-encoded (or, with big, the reply holds over 512 members)."""
    cmd = S(line_or_cmd) if isinstance(line_or_cmd, str) else line_or_cmd
    return Unordered(cmd, how, key, big)


def UA(line_or_cmd):
    """Always compared as a multiset (SPOP/SRANDMEMBER of a whole hashtable set)."""
    return Unordered(S(line_or_cmd) if isinstance(line_or_cmd, str) else line_or_cmd, "set")


def SS(line, key):
    """SSCAN from cursor 0: exact on an intset, union of the full walk on a hashtable."""
    return ScanAll(S(line), False, key=key)


def set_edge_cases(lists_ok):
    c = []
    add = c.extend
    ints = lambda n, start=0: [str(i) for i in range(start, start + n)]  # noqa: E731
    # Arity: every command one argument short and, where fixed, one too many.
    add([S("SADD"), S("SADD s"), S("SREM"), S("SREM s"), S("SCARD"), S("SCARD s x"),
         S("SISMEMBER s"), S("SISMEMBER s m x"), S("SMISMEMBER s"), S("SMISMEMBER"),
         S("SMEMBERS"), S("SMEMBERS s x"), S("SPOP"), S("SPOP s 1 2"), S("SRANDMEMBER"),
         S("SRANDMEMBER s 1 2"), S("SMOVE a b"), S("SMOVE a b m x"), S("SMOVE"), S("SINTER"),
         S("SUNION"), S("SDIFF"), S("SINTERSTORE"), S("SINTERSTORE d"), S("SUNIONSTORE d"),
         S("SDIFFSTORE d"), S("SUNIONSTORE"), S("SDIFFSTORE"), S("SINTERCARD"),
         S("SINTERCARD 1"), S("SSCAN s"), S("SSCAN"), S("sadd s"), S("EXISTS s")])
    # Missing keys.
    add([S("SCARD nosuch"), S("SISMEMBER nosuch m"), S("SMISMEMBER nosuch a b"),
         S("SMEMBERS nosuch"), S("SREM nosuch a"), S("SPOP nosuch"), S("SPOP nosuch 0"),
         S("SPOP nosuch 3"), S("SRANDMEMBER nosuch"), S("SRANDMEMBER nosuch 3"),
         S("SRANDMEMBER nosuch -3"), S("SRANDMEMBER nosuch 0"), S("SINTER nosuch"),
         S("SUNION nosuch nosuch2"), S("SDIFF nosuch"), S("SINTERCARD 1 nosuch"),
         S("SSCAN nosuch 0"), S("SMOVE nosuch d m"), S("EXISTS d"), S("SPOP nosuch abc"),
         S("SRANDMEMBER nosuch abc")])
    # Intset: ascending order whatever the insertion order, duplicates, integer bounds.
    add([S("SADD is 3 1 2 -5 1 3"), S("TYPE is"), S("OBJECT ENCODING is"), S("SMEMBERS is"),
         S("SCARD is"), S("SISMEMBER is 2"), S("SISMEMBER is 4"), S("SISMEMBER is 02"),
         S("SISMEMBER is x"), S("SMISMEMBER is 1 x 2 02 -5 1"),
         S("SADD is 9223372036854775807 -9223372036854775808 10 -100"), S("SMEMBERS is"),
         S("OBJECT ENCODING is"), S("SADD is 1"), S("SREM is 10 nosuch x 10 -100"),
         S("SMEMBERS is"), S("SSCAN is 0"), S("SSCAN is 0 MATCH 1*"), S("SSCAN is 0 COUNT 1"),
         S("SSCAN is 0 MATCH -* COUNT 2"), S("SSCAN is 17"), S("SSCAN is abc"),
         S("SSCAN is 0 COUNT 0"), S("SSCAN is 0 COUNT -1"), S("SSCAN is 0 MATCH"),
         S("SSCAN is 0 FOO 1"), S("SSCAN is -1"), S("SRANDMEMBER is 0"), S("SRANDMEMBER is 6"),
         S("SRANDMEMBER is 100"), S("SRANDMEMBER is 9223372036854775807"),
         S("SRANDMEMBER is -9223372036854775808"), S("SRANDMEMBER is abc"),
         S("SRANDMEMBER is 1.5"), U("SRANDMEMBER is -10", None, how="len"),
         U("SRANDMEMBER is -1", None, how="len"), S("SPOP is 0"), S("SPOP is -1"),
         S("SPOP is abc"), S("SCARD is")])
    # Non-canonical integers and other members convert the intset; it never converts back.
    for m in ["007", "x", "-0", "+1", " 1", "1 ", "9223372036854775808", "1.0", "", "0x10"]:
        add([S("DEL cv"), S("SADD cv 5 1 3"), ["SADD", "cv", m], S("OBJECT ENCODING cv"),
             U("SMEMBERS cv", "cv"), ["SISMEMBER", "cv", m], S("SCARD cv")])
    add([S("SREM cv 1 3 5"), S("OBJECT ENCODING cv"), U("SMEMBERS cv", "cv"),
         S("SADD i512 " + " ".join(ints(512))), S("OBJECT ENCODING i512"), S("SMEMBERS i512"),
         S("SSCAN i512 0"), S("SADD i512 511"), S("OBJECT ENCODING i512"),
         S("SADD i512 512"), S("OBJECT ENCODING i512"), S("SCARD i512"),
         U("SMEMBERS i512", "i512"), SS("SSCAN i512 0", "i512"),
         SS("SSCAN i512 0 MATCH 1?", "i512"), SS("SSCAN i512 0 COUNT 100", "i512"),
         S("SREM i512 " + " ".join(ints(500))), S("OBJECT ENCODING i512"),
         U("SMEMBERS i512", "i512"), S("SADD i513 " + " ".join(ints(513, -300))),
         S("OBJECT ENCODING i513"), S("SCARD i513"), U("SMEMBERS i513", "i513"),
         S("SISMEMBER i513 -300"), S("SISMEMBER i513 213")])
    # Hashtable sets: members of every kind.
    add([["SADD", "ht", "a", "b", "", "bin\x00m\xff", "sp ace", "007", "1"], S("SADD ht a c"),
         S("OBJECT ENCODING ht"), S("SCARD ht"), U("SMEMBERS ht", "ht"), ["SISMEMBER", "ht", ""],
         ["SMISMEMBER", "ht", "bin\x00m\xff", "7", "007", "1"], S("SREM ht a a nosuch"),
         U("SMEMBERS ht", "ht"), SS("SSCAN ht 0", "ht"), SS("SSCAN ht 0 MATCH [ab]*", "ht"),
         SS("SSCAN ht 0 COUNT 1", "ht"), S("SSCAN ht 0 COUNT 0"), S("SSCAN ht x"),
         S("SRANDMEMBER ht 0"), UA("SRANDMEMBER ht 7"), UA("SRANDMEMBER ht 100"),
         U("SRANDMEMBER ht -20", None, how="len"), S("SPOP ht 0"), S("SADD one only"),
         S("SRANDMEMBER one"), S("SRANDMEMBER one -3"), S("SRANDMEMBER one 1"), S("SPOP one"),
         S("EXISTS one"), S("SADD one 42"), S("SRANDMEMBER one -2"), S("SPOP one 5"),
         S("EXISTS one"), UA("SPOP ht 100"), S("EXISTS ht"), S("TYPE ht")])
    # SPOP of a whole intset: ascending, then the key is gone.
    add([S("SADD sp 9 -1 4 0"), S("SPOP sp 4"), S("EXISTS sp"), S("SADD sp 3 2 1"),
         S("SPOP sp 9223372036854775807"), S("EXISTS sp"), S("SADD sp 7"), S("SPOP sp"),
         S("SPOP sp")])
    # Wrong types, both ways.
    add([S("SET str v"), S("HSET hh f v"), S("SADD str m"), S("SREM str m"), S("SCARD str"),
         S("SISMEMBER str m"), S("SMISMEMBER str m"), S("SMEMBERS str"), S("SPOP str"),
         S("SPOP str 2"), S("SRANDMEMBER str"), S("SRANDMEMBER str 2"), S("SMOVE str is 1"),
         S("SMOVE is str 1"), S("SMOVE is str 12345"), S("SMOVE nosuch str 1"),
         S("SMOVE hh is f"), S("SINTER is str"), S("SINTER str is"), S("SINTER nosuch str"),
         S("SUNION is hh"), S("SDIFF is str"), S("SDIFF nosuch str"), S("SINTERCARD 2 is str"),
         S("SINTERCARD 1 hh"), S("SSCAN str 0"), S("SSCAN hh 0"), S("SINTERSTORE d is str"),
         S("SUNIONSTORE d str"), S("SDIFFSTORE d is hh"), S("EXISTS d"), S("SADD ws 1 2"),
         S("GET ws"), S("INCR ws"), S("APPEND ws x"), S("STRLEN ws"), S("HSET ws f v"),
         S("HGET ws f"), S("GETRANGE ws 0 1"), S("SETBIT ws 0 1"), S("GETDEL ws"),
         S("SET ws v XX GET"), S("TYPE ws"), S("OBJECT ENCODING ws"), S("RENAME ws ws2"),
         S("COPY ws2 ws3"), S("OBJECT ENCODING ws3"), S("SMEMBERS ws3"), S("SET ws2 x"),
         S("TYPE ws2")])
    if lists_ok:
        add([S("LPUSH is x"), S("LRANGE is 0 -1"), S("RPUSH lst a"), S("SADD lst a"),
             S("SMEMBERS lst"), S("SINTER is lst"), S("SMOVE lst is a"), S("SMOVE is lst 1")])
    # SMOVE: same key, missing member, last member, conversion of the destination.
    add([S("DEL a b"), S("SADD a 1 2 3"), S("SMOVE a a 1"), S("SMOVE a a 9"), S("SMEMBERS a"),
         S("SMOVE a b 2"), S("SMOVE a b 2"), S("SMEMBERS a"), S("SMEMBERS b"),
         S("OBJECT ENCODING b"), S("SADD a x"), S("SMOVE a b x"), S("OBJECT ENCODING b"),
         U("SMEMBERS b", "b"), S("SMOVE a b 1"), S("SMOVE a b 3"), S("EXISTS a"),
         S("SMOVE b b x"), S("SMOVE b b nosuch"), S("SMOVE b a 3"), S("SMEMBERS a"),
         S("OBJECT ENCODING a"), S("SADD b 3"), S("SMOVE a b 3"), S("EXISTS a"),
         U("SMEMBERS b", "b"), S("SMOVE nosuch nosuch m")])
    # SINTER/SUNION/SDIFF and their STORE forms; an empty result deletes the destination.
    add([S("DEL a b c d"), S("SADD a 1 2 3 4 5"), S("SADD b 4 5 6 7"), S("SADD c 5 7 9 1"),
         S("SINTER a b"), S("SINTER a b c"), S("SINTER b a"), S("SINTER a nosuch"),
         S("SINTER a"), S("SUNION a b"), S("SUNION a b c nosuch"), S("SUNION nosuch a"),
         S("SDIFF a b"), S("SDIFF a b c"), S("SDIFF b a"), S("SDIFF a nosuch"),
         S("SDIFF nosuch a"), S("SDIFF a a"), S("SINTER a a"),
         S("SINTERSTORE d a b"), S("SMEMBERS d"), S("OBJECT ENCODING d"),
         S("SUNIONSTORE d a b c"), S("SMEMBERS d"), S("SDIFFSTORE d a c"), S("SMEMBERS d"),
         S("SINTERSTORE d a nosuch"), S("EXISTS d"), S("SET d str"), S("SUNIONSTORE d nosuch"),
         S("EXISTS d"), S("SET d str EX 100000"), S("SDIFFSTORE d a a"), S("EXISTS d"),
         S("SET d str EX 100000"), S("SINTERSTORE d a"), S("TYPE d"), S("TTL d"),
         S("SMEMBERS d"), S("SINTERSTORE a a b"), S("SMEMBERS a"), S("SUNIONSTORE a a c"),
         S("SMEMBERS a"), S("SDIFFSTORE a a a"), S("EXISTS a"), S("SADD a 1 2 3 4 5"),
         S("SINTERSTORE d nosuch"), S("EXISTS d")])
    # Mixed encodings: replies in any order once a hashtable is involved.
    add([S("SADD h1 1 2 3 x y"), S("SADD h2 y z 3 007"),
         U("SINTER a h1", ["a", "h1"]), U("SINTER h1 h2", ["h1", "h2"]),
         U("SUNION a h1 h2", ["a", "h1", "h2"]), U("SDIFF h1 a", ["h1", "a"]),
         U("SDIFF a h1", ["a", "h1"]), U("SDIFF h1 h2 a", ["h1", "h2", "a"]),
         S("SUNIONSTORE d a h1"), S("OBJECT ENCODING d"), U("SMEMBERS d", "d"),
         S("SINTERSTORE d h1 a"), S("OBJECT ENCODING d"), S("SMEMBERS d"),
         S("SDIFFSTORE d h1 h2"), S("OBJECT ENCODING d"), U("SMEMBERS d", "d"),
         S("SDIFFSTORE d h2 h1"), S("OBJECT ENCODING d"), U("SMEMBERS d", "d"),
         S("SINTERCARD 2 a h1"), S("SINTERCARD 3 a h1 h2"), S("SINTERCARD 2 h1 h2")])
    # A union past 512 integers is a hashtable.
    add([S("SADD u1 " + " ".join(ints(300))), S("SADD u2 " + " ".join(ints(300, 250))),
         U("SUNION u1 u2", ["u1", "u2"], big=True), S("SUNIONSTORE d u1 u2"),
         S("OBJECT ENCODING d"), S("SCARD d"), S("SINTER u1 u2"), S("SINTERSTORE d u1 u2"),
         S("OBJECT ENCODING d"), S("SDIFF u1 u2"), S("SINTERCARD 2 u1 u2"),
         S("SINTERCARD 2 u1 u2 LIMIT 10"), S("SUNIONSTORE d u1 u2 a"), S("OBJECT ENCODING d")])
    # SINTERCARD: numkeys and LIMIT.
    add([S("SINTERCARD 0 a"), S("SINTERCARD -1 a"), S("SINTERCARD abc a"),
         S("SINTERCARD 3 a b"), S("SINTERCARD 2 a"), S("SINTERCARD 1 a b"),
         S("SINTERCARD 1 a LIMIT"), S("SINTERCARD 1 a LIMIT -1"), S("SINTERCARD 1 a LIMIT abc"),
         S("SINTERCARD 1 a LIMIT 0"), S("SINTERCARD 1 a LIMIT 1"), S("SINTERCARD 1 a LIMIT 3"),
         S("SINTERCARD 1 a limit 100"), S("SINTERCARD 2 a c LIMIT 1"),
         S("SINTERCARD 2 a c LIMIT 2 LIMIT 0"), S("SINTERCARD 1 a FOO 1"),
         S("SINTERCARD 2 a nosuch"), S("SINTERCARD 2 nosuch str"),
         S("SINTERCARD 9223372036854775807 a"), S("SINTERCARD 1 a LIMIT 9223372036854775808"),
         S("SINTERCARD 2 a a"), S("SINTERCARD 1 str")])
    # Transactions and WATCH with sets.
    add([S("DEL t"), S("SADD t 1 2"), S("MULTI"), S("SADD t 3"), S("SMEMBERS t"), S("SPOP t 0"),
         S("SCARD"), S("EXEC"), S("MULTI"), S("SADD t x"), S("SINTERCARD 0 t"), S("SISMEMBER t x"),
         S("SCARD t"), S("EXEC"), S("WATCH t"), S("SREM t nosuch"), S("MULTI"), S("SCARD t"),
         S("EXEC"), S("WATCH t"), S("SMOVE t t 1"), S("MULTI"), S("SCARD t"), S("EXEC"),
         S("WATCH t"), B("SADD t 1"), S("MULTI"), S("SCARD t"), S("EXEC"), S("WATCH d"),
         B("SINTERSTORE d nosuch"), S("MULTI"), S("EXISTS d"), S("EXEC")])
    return c


# --------------------------------------------------------------------------------------------
# 1f. Sorted-set edge cases (Redis 7.0: listpack up to zset-max-listpack-entries = 128
#     elements with members of at most zset-max-listpack-value = 64 bytes, else skiplist; both
#     answer in (score, member) order, so everything but ZSCAN of a skiplist and ZRANDMEMBER
#     with a count below the size is compared byte for byte)
# --------------------------------------------------------------------------------------------

ZSET_LP_ENTRIES = 128
M64 = "m" * 64   # the longest member a listpack zset keeps
M65 = "m" * 65   # one byte more: skiplist


def zpairs(n, prefix="m", score=lambda i: i):
    """score0 m0 score1 m1 ... for n members."""
    return sum([[str(score(i)), f"{prefix}{i}"] for i in range(n)], [])


def ZS(line, key):
    """ZSCAN from cursor 0: exact on a listpack, union of the full walk on a skiplist."""
    return ScanAll(S(line) if isinstance(line, str) else line, True, key=key)


class DumpRestore(list):
    """DUMP src on each server, then RESTORE dst ttl <the other server's payload> [args...] on
    each: both speak Redis's payload format, but may pick other encodings (so the bytes are not
    compared), and each must take the other's. The RESTORE replies (and what later commands
    read back) are compared. A nil DUMP reply is compared as such."""

    def __init__(self, src, dst, ttl="0", args=()):
        super().__init__(["DUMP", src])
        self.src, self.dst, self.ttl, self.args = src, dst, ttl, list(args)


def zset_edge_cases(lists_ok):
    c = []
    add = c.extend
    # Arity: every command one argument short and, where fixed, one too many. ZRANK/ZREVRANK
    # take no WITHSCORE in 7.0 (7.2 added it).
    add([S("ZADD"), S("ZADD z"), S("ZADD z 1"), S("ZINCRBY z 1"), S("ZINCRBY z 1 a b"),
         S("ZREM z"), S("ZCARD"), S("ZCARD z x"), S("ZSCORE z"), S("ZSCORE z a b"), S("ZMSCORE z"),
         S("ZRANK z"), S("ZRANK z a b"), S("ZRANK z a WITHSCORE"), S("ZREVRANK z"),
         S("ZREVRANK z a WITHSCORE"), S("ZCOUNT z 0"), S("ZCOUNT z 0 1 2"), S("ZLEXCOUNT z -"),
         S("ZLEXCOUNT z - + x"), S("ZRANGE z 0"), S("ZREVRANGE z 0"), S("ZRANGEBYSCORE z 0"),
         S("ZREVRANGEBYSCORE z 0"), S("ZRANGEBYLEX z -"), S("ZREVRANGEBYLEX z +"),
         S("ZRANGESTORE d z 0"), S("ZREMRANGEBYRANK z 0"), S("ZREMRANGEBYRANK z 0 1 2"),
         S("ZREMRANGEBYSCORE z 0"), S("ZREMRANGEBYLEX z -"), S("ZPOPMIN"), S("ZPOPMIN z 1 2"),
         S("ZPOPMAX"), S("ZPOPMAX z 1 2"), S("ZMPOP"), S("ZMPOP 1"), S("ZMPOP 1 z"),
         S("ZRANDMEMBER"), S("ZRANDMEMBER z 1 WITHSCORES x"), S("ZSCAN z"), S("ZSCAN"),
         S("ZUNION"), S("ZUNION 1"), S("ZINTER 1"), S("ZDIFF 1"), S("ZUNIONSTORE d"),
         S("ZUNIONSTORE d 1"), S("ZINTERSTORE d 1"), S("ZDIFFSTORE d 1"), S("ZINTERCARD"),
         S("ZINTERCARD 1"), S("zadd z"), S("ZaDd z 1"), S("EXISTS z d")])
    # Missing keys.
    add([S("ZCARD nosuch"), S("ZSCORE nosuch a"), S("ZMSCORE nosuch a b"), S("ZRANK nosuch a"),
         S("ZREVRANK nosuch a"), S("ZCOUNT nosuch -inf +inf"), S("ZCOUNT nosuch a b"),
         S("ZLEXCOUNT nosuch - +"), S("ZLEXCOUNT nosuch a b"), S("ZRANGE nosuch 0 -1"),
         S("ZRANGE nosuch 0 -1 WITHSCORES"), S("ZRANGE nosuch a b"),
         S("ZRANGE nosuch 0 1 BYSCORE LIMIT 0 1"), S("ZRANGEBYSCORE nosuch -inf +inf"),
         S("ZRANGEBYLEX nosuch - +"), S("ZREVRANGE nosuch 0 -1"), S("ZREM nosuch a"),
         S("ZREMRANGEBYRANK nosuch 0 -1"), S("ZREMRANGEBYSCORE nosuch -inf +inf"),
         S("ZREMRANGEBYLEX nosuch - +"), S("ZPOPMIN nosuch"), S("ZPOPMIN nosuch 2"),
         S("ZPOPMAX nosuch 0"), S("ZMPOP 1 nosuch MIN"), S("ZRANDMEMBER nosuch"),
         S("ZRANDMEMBER nosuch 3"), S("ZRANDMEMBER nosuch -3 WITHSCORES"), S("ZSCAN nosuch 0"),
         S("ZUNION 1 nosuch"), S("ZINTER 2 nosuch nosuch2 WITHSCORES"), S("ZDIFF 1 nosuch"),
         S("ZINTERCARD 1 nosuch"), S("ZRANGESTORE d nosuch 0 -1"), S("ZUNIONSTORE d 1 nosuch"),
         S("EXISTS nosuch d"), S("ZINCRBY nosuch2 5 m"), S("ZRANGE nosuch2 0 -1 WITHSCORES"),
         S("TYPE nosuch2"), S("OBJECT ENCODING nosuch2"), S("DEL nosuch2")])
    # ZADD basics: duplicates in one call (the last score wins), ordering by score then member
    # bytes, ZSCORE/ZMSCORE/ZRANK/ZREVRANK, the reply of each form.
    add([S("ZADD z 3 c 1 a 2 b"), S("TYPE z"), S("OBJECT ENCODING z"), S("ZCARD z"),
         S("ZADD z 1 a 5 a 4 d"), S("ZRANGE z 0 -1 WITHSCORES"), S("ZADD z 2 b 2 bb 2 B 2 ba"),
         ["ZADD", "z", "2", "", "2", "b\x00", "2", "\xff", "2", "sp ace"],
         S("ZRANGE z 0 -1"), S("ZRANGE z 0 -1 WITHSCORES"), S("ZSCORE z a"), S("ZSCORE z nosuch"),
         ["ZSCORE", "z", ""], S("ZMSCORE z a nosuch b a"), S("ZMSCORE z nosuch"),
         S("ZRANK z a"), S("ZRANK z b"), S("ZRANK z nosuch"), S("ZREVRANK z a"),
         S("ZREVRANK z c"), ["ZRANK", "z", "\xff"], S("ZREM z a nosuch a B"), S("ZCARD z"),
         S("ZREM z nosuch"), S("ZRANGE z 0 -1"), S("zrange z 0 -1 withscores")])
    # Score parsing (strtod: hex, exponents, inf in every spelling; no NaN, no spaces, no
    # overflow, no underflow to zero) and %.17g formatting of the replies.
    scores = ["0", "-0", "1", "-1", "0.1", "0.2", "0.3", "1.5", "-2.25", "1e3", "1E3", "+5",
              "0x10", "0X1p3", "1.", ".5", "5e-324", "4.9406564584124654e-324",
              "2.2250738585072014e-308", "1.7976931348623157e308", "123456789012345678",
              "9007199254740993", "4503599627370496", "4503599627370495.5", "1e20", "1e-5",
              "0.1234567890123456789", "3.141592653589793", "2.718281828459045", "100",
              "-9223372036854775808", "inf", "-inf", "+inf", "INF", "Infinity", "-infinity",
              "1e400", "-1e400", "1e-400", "nan", "NaN", "-nan", "abc", "", " 1", "1 ", "1e",
              "--1", "1,5", "\x001"]
    for i, s in enumerate(scores):
        add([["ZADD", "sc", s, f"m{i:02d}"]])
    add([S("ZRANGE sc 0 -1 WITHSCORES"), S("ZCARD sc"), ZS("ZSCAN sc 0", "sc"),
         S("ZSCORE sc m01"), S("ZSCORE sc m31"), S("ZSCORE sc m32"), S("ZMSCORE sc m04 m05 m06"),
         S("ZINCRBY sc 0.1 m04"), S("ZINCRBY sc 0.2 m04"), S("ZINCRBY sc 1e400 m04"),
         S("ZINCRBY sc abc m04"), S("ZINCRBY sc nan m04"), ["ZINCRBY", "sc", "", "m04"],
         S("ZINCRBY sc -0 m01"), S("ZSCORE sc m01"), S("ZINCRBY sc 0 m00"), S("ZSCORE sc m00"),
         S("ZRANGEBYSCORE sc -inf +inf WITHSCORES LIMIT 0 5"), S("ZRANGE sc -3 -1 WITHSCORES"),
         S("ZRANK sc m31"), S("ZREVRANK sc m32"), S("OBJECT ENCODING sc")])
    # ZADD options: NX XX GT LT CH INCR, their combinations and errors (checked before any
    # score is parsed), and option words where a score is expected.
    add([S("DEL o"), S("ZADD o NX 1 a"), S("ZADD o NX 2 a 3 b"), S("ZRANGE o 0 -1 WITHSCORES"),
         S("ZADD o XX 5 a 6 c"), S("ZRANGE o 0 -1 WITHSCORES"), S("ZADD o XX CH 5 a 7 b 8 c"),
         S("ZADD o CH 7 b 9 d"), S("ZADD o CH 7 b 9 d"), S("ZADD o GT 1 a 10 b 11 e"),
         S("ZRANGE o 0 -1 WITHSCORES"), S("ZADD o GT CH 1 a 12 b"), S("ZADD o LT CH 1 a 20 b"),
         S("ZADD o LT 0 new"), S("ZRANGE o 0 -1 WITHSCORES"), S("ZADD o XX GT CH 100 a 0 b"),
         S("ZADD o XX LT CH 100 a 0 b"), S("ZRANGE o 0 -1 WITHSCORES"),
         S("ZADD o NX XX 1 a"), S("ZADD o GT LT 1 a"), S("ZADD o NX GT 1 a"),
         S("ZADD o NX LT 1 a"), S("ZADD o NX XX nan a"), S("ZADD o GT LT abc a"),
         S("ZADD o INCR 1 a 2 b"), S("ZADD o INCR NX XX 1 a"), S("ZADD o INCR"),
         S("ZADD o CH"), S("ZADD o CH 1"), S("ZADD o 1 a CH"), S("ZADD o 1 a CH 2"),
         S("ZADD o 1 a NX 2"), S("ZADD o 1 a nan b"), S("ZADD o 9 a abc b"),
         S("ZRANGE o 0 -1 WITHSCORES"), S("ZADD o nx ch 1 zz"), S("ZADD o Gt cH 50 zz"),
         S("ZADD o NX NX 1 yy"), S("ZADD o XX XX CH CH 2 yy"), S("ZADD o INCR INCR 1 yy"),
         S("ZADD o INCR 1.5 a"), S("ZADD o INCR -1.5 a"), S("ZADD o INCR 0 a"),
         S("ZADD o INCR NX 1 a"), S("ZADD o INCR NX 1 na"), S("ZADD o INCR XX 1 nosuch2"),
         S("ZADD o INCR XX 1 a"), S("ZADD o INCR GT -1 a"), S("ZADD o INCR GT 1 a"),
         S("ZADD o INCR LT 1 a"), S("ZADD o INCR LT -1 a"), S("ZADD o INCR LT 5 nl"),
         S("ZADD o INCR GT -5 ng"), S("ZADD o INCR CH 1 a"), S("ZADD o INCR XX CH 1 a"),
         S("ZADD o INCR abc a"), S("ZADD o INCR nan a"), S("ZRANGE o 0 -1 WITHSCORES"),
         S("ZADD nosuch XX 1 a"), S("ZADD nosuch XX CH 1 a"), S("ZADD nosuch INCR XX 1 a"),
         S("EXISTS nosuch"), S("ZADD nosuch GT 1 a"), S("ZADD nosuch2 LT INCR 3 a"),
         S("ZRANGE nosuch 0 -1 WITHSCORES"), S("ZRANGE nosuch2 0 -1 WITHSCORES"),
         S("DEL nosuch nosuch2")])
    # inf and NaN: INCR of inf by -inf (and ZINCRBY) is refused and changes nothing.
    add([S("DEL fi"), S("ZADD fi INCR inf m"), S("ZADD fi INCR -inf m"), S("ZSCORE fi m"),
         S("ZINCRBY fi -inf m"), S("ZINCRBY fi +inf m"), S("ZINCRBY fi 1 m"), S("ZSCORE fi m"),
         S("ZADD fi -inf n"), S("ZINCRBY fi inf n"), S("ZADD fi INCR inf n"), S("ZSCORE fi n"),
         S("ZADD fi 1.7976931348623157e308 big"), S("ZINCRBY fi 1.7976931348623157e308 big"),
         S("ZSCORE fi big"), S("ZADD fi -1.7976931348623157e308 small"),
         S("ZINCRBY fi -1.7976931348623157e308 small"), S("ZRANGE fi 0 -1 WITHSCORES"),
         S("ZRANGEBYSCORE fi inf inf"), S("ZRANGEBYSCORE fi -inf -inf WITHSCORES"),
         S("ZRANGEBYSCORE fi (-inf (inf WITHSCORES"), S("ZCOUNT fi -inf +inf"),
         S("ZCOUNT fi (-inf (+inf"), S("ZCOUNT fi inf inf"), S("ZREVRANGEBYSCORE fi +inf -inf"),
         S("ZRANK fi m"), S("ZREVRANK fi n")])
    # A fixture for the range commands: scores 1..6 with ties, integers and fractions.
    zr = S("ZADD r 1 a 2 b 2 c 3 d 3.5 e 4 f 5 g 6 h")
    add([S("DEL r"), zr])
    # ZRANGE by index, every form; REV; WITHSCORES; bad indexes; LIMIT without BYSCORE/BYLEX.
    idx = [("0", "-1"), ("0", "0"), ("1", "3"), ("-3", "-1"), ("-100", "100"), ("5", "2"),
           ("8", "10"), ("-1", "-8"), ("7", "7"), ("0", "-9"), ("-9", "0"),
           ("9223372036854775807", "9223372036854775807"), ("-9223372036854775808", "1"),
           ("abc", "1"), ("0", "1.5"), ("", "1"), ("+1", "2"), ("01", "2"),
           ("0", "9223372036854775808")]
    for a, b in idx:
        add([["ZRANGE", "r", a, b], ["ZRANGE", "r", a, b, "REV", "WITHSCORES"],
             ["ZREVRANGE", "r", a, b]])
    add([S("ZRANGE r 0 -1 WITHSCORES REV"), S("ZRANGE r 0 -1 rev withscores"),
         S("ZREVRANGE r 0 -1 WITHSCORES"), S("ZREVRANGE r 0 1 REV"), S("ZRANGE r 0 -1 LIMIT 0 1"),
         S("ZRANGE r 0 -1 REV LIMIT 0 1"), S("ZRANGE r 0 -1 FOO"), S("ZRANGE r 0 -1 WITHSCORES x"),
         S("ZRANGE r 0 -1 BYSCORE BYLEX"), S("ZRANGE r - + BYLEX BYSCORE"),
         S("ZRANGE r 0 -1 WITHSCORES WITHSCORES"), S("ZRANGE r 0 -1 REV REV"),
         S("ZREVRANGE r 0 -1 WITHSCORES LIMIT 0 1"), S("ZREVRANGE r 0 -1 BYSCORE")])
    # Score ranges: inclusive, exclusive '(', infinities, "" (strtod reads 0), bad bounds.
    bounds = [("-inf", "+inf"), ("2", "3"), ("(2", "3"), ("2", "(3"), ("(2", "(3"), ("(1", "(2"),
              ("3", "2"), ("(3", "3"), ("3", "3"), ("3.5", "3.5"), ("(3.5", "4"),
              ("-inf", "2"), ("5", "+inf"), ("(6", "+inf"), ("-inf", "(1"), ("inf", "-inf"),
              ("", "2"), ("(", "2"), ("(", "("), ("0", ""), ("-1e400", "1e400"),
              (" 2", "3"), ("0x2", "3"), ("2.0", "3e0"), ("(-inf", "(+inf"), ("(inf", "+inf"),
              ("abc", "1"), ("1", "abc"), ("1 ", "2"), ("nan", "1"), ("1", "(nan"),
              ("((1", "2"), ("[1", "2"), ("1", "2)"), ("-", "+"), ("1\x00", "2")]
    for a, b in bounds:
        add([["ZCOUNT", "r", a, b], ["ZRANGEBYSCORE", "r", a, b],
             ["ZREVRANGEBYSCORE", "r", b, a, "WITHSCORES"], ["ZRANGE", "r", a, b, "BYSCORE"],
             ["ZRANGE", "r", b, a, "BYSCORE", "REV", "WITHSCORES"]])
    # LIMIT: offset and count, negative offset (empty), negative count (all the rest), huge
    # values, errors; with and without WITHSCORES; on every range command.
    limits = [("0", "2"), ("2", "2"), ("1", "0"), ("0", "-1"), ("3", "-5"), ("-1", "2"),
              ("-1", "-1"), ("7", "5"), ("8", "1"), ("100", "1"), ("0", "100"),
              ("9223372036854775807", "1"), ("0", "9223372036854775807"),
              ("-9223372036854775808", "1"), ("abc", "1"), ("0", "abc"), ("1.5", "1"), ("", "")]
    for o, n in limits:
        add([["ZRANGEBYSCORE", "r", "-inf", "+inf", "LIMIT", o, n],
             ["ZRANGEBYSCORE", "r", "(1", "5", "WITHSCORES", "LIMIT", o, n],
             ["ZREVRANGEBYSCORE", "r", "+inf", "-inf", "LIMIT", o, n, "WITHSCORES"],
             ["ZRANGE", "r", "2", "5", "BYSCORE", "LIMIT", o, n],
             ["ZRANGE", "r", "5", "2", "BYSCORE", "REV", "LIMIT", o, n, "WITHSCORES"]])
    add([S("ZRANGEBYSCORE r -inf +inf LIMIT"), S("ZRANGEBYSCORE r -inf +inf LIMIT 0"),
         S("ZRANGEBYSCORE r -inf +inf LIMIT 0 1 2"), S("ZRANGEBYSCORE r -inf +inf FOO"),
         S("ZRANGEBYSCORE r -inf +inf LIMIT 0 1 LIMIT 2 1"),
         S("ZRANGEBYSCORE r -inf +inf WITHSCORES WITHSCORES"), S("ZRANGEBYSCORE r 1 2 REV"),
         S("ZRANGEBYSCORE r 1 2 BYSCORE"), S("ZRANGEBYSCORE r a b LIMIT x y"),
         S("ZRANGEBYSCORE r a b FOO"), S("ZRANGEBYSCORE r 1 2 limit 0 1 withscores"),
         S("ZRANGE r 0 -1 LIMIT 0"), S("ZRANGE r -inf +inf BYSCORE LIMIT 0"),
         S("ZRANGE r -inf +inf BYSCORE LIMIT 0 x"), S("ZRANGE r a b BYSCORE LIMIT 0 x")])
    # Lexicographic ranges, on sets whose scores are all equal (Redis leaves the answer for
    # mixed scores unspecified). "-" and "+", '[' inclusive, '(' exclusive, "" is not a bound.
    add([S("DEL lx"), ["ZADD", "lx", "0", "a", "0", "b", "0", "c", "0", "d", "0", "e", "0", "",
                       "0", "aa", "0", "ab", "0", "b\x00", "0", "\xff", "0", "-", "0", "+",
                       "0", "[", "0", "("]])
    lex = [("-", "+"), ("+", "-"), ("[a", "[c"), ("(a", "[c"), ("[a", "(c"), ("(a", "(c"),
           ("[aa", "[ab"), ("(aa", "(ab"), ("[c", "[a"), ("[", "[a"), ("(", "[a"), ("[", "("),
           ("-", "[b"), ("(b", "+"), ("[b", "[b"), ("(b", "[b"), ("-", "-"), ("+", "+"),
           ("[\xff", "+"), ("[b\x00", "+"), ("[-", "[-"), ("[+", "[+"), ("[[", "[["),
           ("[(", "[("), ("(", "+"), ("a", "c"), ("", "+"), ("-", ""), ("[a", "c"),
           ("+a", "+"), ("-a", "+"), ("-inf", "+inf"), ("(", "(")]
    for a, b in lex:
        add([["ZLEXCOUNT", "lx", a, b], ["ZRANGEBYLEX", "lx", a, b],
             ["ZREVRANGEBYLEX", "lx", b, a], ["ZRANGE", "lx", a, b, "BYLEX"],
             ["ZRANGE", "lx", b, a, "BYLEX", "REV"]])
    for o, n in limits:
        add([["ZRANGEBYLEX", "lx", "-", "+", "LIMIT", o, n],
             ["ZREVRANGEBYLEX", "lx", "+", "[a", "LIMIT", o, n],
             ["ZRANGE", "lx", "[a", "+", "BYLEX", "LIMIT", o, n]])
    add([S("ZRANGE lx - + BYLEX WITHSCORES"), S("ZRANGE lx - + BYLEX REV WITHSCORES"),
         S("ZRANGEBYLEX lx - + WITHSCORES"), S("ZRANGEBYLEX lx - + LIMIT 0"),
         S("ZRANGEBYLEX lx - + FOO"), S("ZRANGEBYLEX lx a b LIMIT 0 x"),
         S("ZRANGE lx a b BYLEX WITHSCORES"), S("ZRANGE lx a b BYSCORE"),
         S("ZRANGE lx 0 1 BYLEX"), S("ZLEXCOUNT lx a"), S("ZLEXCOUNT r - +"),
         S("ZRANGEBYLEX r - +"), S("ZREMRANGEBYLEX lx [aa (b"), S("ZRANGE lx 0 -1"),
         S("ZREMRANGEBYLEX lx a b"), S("ZREMRANGEBYLEX lx (+ -"), S("ZREMRANGEBYLEX lx - +"),
         S("EXISTS lx")])
    # ZRANGESTORE: every form; an empty result deletes the destination (of any type, and its
    # TTL); a destination of another type is overwritten; WITHSCORES is a syntax error.
    add([S("DEL r d"), zr, S("ZRANGESTORE d r 0 -1"), S("ZRANGE d 0 -1 WITHSCORES"),
         S("OBJECT ENCODING d"), S("ZRANGESTORE d r 1 2 REV"), S("ZRANGE d 0 -1 WITHSCORES"),
         S("ZRANGESTORE d r (2 5 BYSCORE LIMIT 1 2"), S("ZRANGE d 0 -1 WITHSCORES"),
         S("ZRANGESTORE d r +inf -inf BYSCORE REV LIMIT 0 3"), S("ZRANGE d 0 -1 WITHSCORES"),
         S("ZRANGESTORE d r 0 -1 WITHSCORES"), S("ZRANGESTORE d r a b"),
         S("ZRANGESTORE d r a b BYSCORE"), S("ZRANGESTORE d r 0 -1 LIMIT 0 1"),
         S("ZRANGESTORE d r - + BYLEX"), S("ZRANGE d 0 -1 WITHSCORES"),
         S("ZRANGESTORE d r 10 20"), S("EXISTS d"), S("SET d str EX 100000"),
         S("ZRANGESTORE d r 0 1"), S("TYPE d"), S("TTL d"), S("ZRANGE d 0 -1 WITHSCORES"),
         S("EXPIRE d 100000"), S("ZRANGESTORE d r 0 2"), S("TTL d"), S("HSET d f v"),
         S("HSET hd f v"), S("ZRANGESTORE hd r 5 5"), S("TYPE hd"), S("SADD sd 1"),
         S("ZRANGESTORE sd r 100 200"), S("EXISTS sd"), S("SET sd v"),
         S("ZRANGESTORE sd nosuch 0 -1"), S("EXISTS sd"), S("SET sd v"),
         S("ZRANGESTORE sd r 5 1 BYSCORE"), S("EXISTS sd"), S("ZRANGESTORE r r 1 -2"),
         S("ZRANGE r 0 -1 WITHSCORES"), S("ZRANGESTORE r r 0 0 REV"),
         S("ZRANGE r 0 -1 WITHSCORES"), S("SET str v"), S("ZRANGESTORE d str 0 -1"),
         S("ZRANGESTORE str r 0 -1"), S("TYPE str"), S("DEL r"), zr])
    # ZREMRANGEBYRANK / BYSCORE; removing everything deletes the key (and its TTL).
    for cmd in (["ZREMRANGEBYRANK", "r", "0", "1"], ["ZREMRANGEBYRANK", "r", "-2", "-1"],
                ["ZREMRANGEBYRANK", "r", "5", "2"], ["ZREMRANGEBYRANK", "r", "-100", "1"],
                ["ZREMRANGEBYRANK", "r", "8", "100"], ["ZREMRANGEBYRANK", "r", "abc", "1"],
                ["ZREMRANGEBYRANK", "r", "0", "-1"], ["ZREMRANGEBYSCORE", "r", "2", "3"],
                ["ZREMRANGEBYSCORE", "r", "(2", "(3.5"], ["ZREMRANGEBYSCORE", "r", "5", "1"],
                ["ZREMRANGEBYSCORE", "r", "-inf", "(2"], ["ZREMRANGEBYSCORE", "r", "(6", "+inf"],
                ["ZREMRANGEBYSCORE", "r", "a", "b"], ["ZREMRANGEBYSCORE", "r", "", ""],
                ["ZREMRANGEBYSCORE", "r", "-inf", "+inf"]):
        add([S("DEL r"), zr, S("EXPIRE r 100000"), cmd, S("ZRANGE r 0 -1 WITHSCORES"),
             S("EXISTS r"), S("TTL r")])
    # ZPOPMIN / ZPOPMAX: counts (0, negative, huge, not integers), ties, the last element
    # deletes the key; RESP3 pairs with a count, a flat pair without.
    add([S("DEL r"), zr, S("ZPOPMIN r"), S("ZPOPMAX r"), S("ZPOPMIN r 2"), S("ZPOPMAX r 1"),
         S("ZPOPMIN r 0"), S("ZPOPMAX r 0"), S("ZPOPMIN r -1"), S("ZPOPMAX r -5"),
         S("ZPOPMIN r abc"), S("ZPOPMIN r 1.5"), ["ZPOPMIN", "r", ""], S("ZRANGE r 0 -1"),
         S("ZPOPMAX r 100"), S("EXISTS r"), S("ZPOPMIN r"), S("ZPOPMAX r 2"), zr,
         S("ZPOPMIN r 9223372036854775807"), S("EXISTS r"), zr,
         S("ZPOPMAX r -9223372036854775808"), S("ZPOPMIN r 9223372036854775808"),
         S("EXPIRE r 100000"), S("ZPOPMIN r 7"), S("TTL r"), S("ZPOPMAX r"), S("EXISTS r"),
         S("TTL r"), S("ZADD one 1 x"), S("ZPOPMAX one"), S("EXISTS one"), S("ZPOPMAX one")])
    # ZMPOP: numkeys, MIN/MAX, COUNT and their errors; the first non-empty key wins.
    add([S("DEL m1 m2"), S("ZMPOP 0 a MIN"), S("ZMPOP -1 a MIN"), S("ZMPOP abc a MIN"),
         S("ZMPOP 2 a MIN"), S("ZMPOP 3 a b MIN"), S("ZMPOP 1 a b MIN"), S("ZMPOP 1 a MIDDLE"),
         S("ZMPOP 1 a MIN COUNT 0"), S("ZMPOP 1 a MIN COUNT -1"), S("ZMPOP 1 a MIN COUNT abc"),
         S("ZMPOP 1 a MIN COUNT"), S("ZMPOP 1 a MIN FOO"), S("ZMPOP 1 a MIN COUNT 1 COUNT 2"),
         S("ZMPOP 9223372036854775807 a MIN"), S("ZMPOP 2147483648 a MIN"),
         S("ZMPOP 1.5 a MIN"), ["ZMPOP", "", "a", "MIN"], S("ZMPOP 2 nosuch1 nosuch2 MIN"),
         S("ZMPOP 2 nosuch1 nosuch2 MAX COUNT 5"), S("ZADD m1 1 a 2 b 3 c 4 d 5 e"),
         S("ZADD m2 10 x 20 y"), S("ZMPOP 2 nosuch m1 MIN"), S("ZMPOP 2 nosuch m1 MAX COUNT 2"),
         S("ZMPOP 2 m2 m1 MIN COUNT 1"), S("ZMPOP 2 m1 m2 max count 100"), S("EXISTS m1"),
         S("ZMPOP 2 m1 m2 MIN COUNT 100"), S("EXISTS m1 m2"), S("ZMPOP 1 m1 MIN"),
         S("ZADD m1 1 only"), S("ZMPOP 3 m2 m2 m1 MAX COUNT 3"), S("EXISTS m1"),
         S("zmpop 1 m1 min"), S("ZADD m1 1 a"), S("ZMPOP 1 m1 MIN COUNT 0"),
         S("ZMPOP 1 m1 MIN COUNT 9223372036854775807"), S("ZADD m1 1 a"),
         S("ZMPOP 1 m1 MAX COUNT 9223372036854775808"), S("ZMPOP 1 m1 MAX COUNT -9223372036854775808")])
    # ZRANDMEMBER where the answer is determined: missing keys, count 0, one-member sets, a
    # count >= the size (the whole set); negative counts by length only.
    add([S("DEL r1 r3"), S("ZADD r1 1.5 only"), S("ZRANDMEMBER r1"), S("ZRANDMEMBER r1 1"),
         S("ZRANDMEMBER r1 -3"), S("ZRANDMEMBER r1 -2 WITHSCORES"), S("ZRANDMEMBER r1 5 withscores"),
         S("ZRANDMEMBER r1 0"), S("ZRANDMEMBER r1 0 WITHSCORES"), S("ZADD r3 3 c 1 a 2 b"),
         S("ZRANDMEMBER r3 0"), S("ZRANDMEMBER r3 3"), S("ZRANDMEMBER r3 4"),
         S("ZRANDMEMBER r3 3 WITHSCORES"), S("ZRANDMEMBER r3 9223372036854775807"),
         S("ZRANDMEMBER r3 4611686018427387903 WITHSCORES"),
         S("ZRANDMEMBER r3 4611686018427387904 WITHSCORES"),
         S("ZRANDMEMBER r3 -4611686018427387904 WITHSCORES"),
         S("ZRANDMEMBER r3 -9223372036854775808"), S("ZRANDMEMBER r3 -9223372036854775807 FOO"),
         S("ZRANDMEMBER r3 9223372036854775808"), S("ZRANDMEMBER r3 abc"),
         S("ZRANDMEMBER r3 1.5"), S("ZRANDMEMBER r3 2 FOO"), S("ZRANDMEMBER r3 2 WITHSCORES x"),
         ["ZRANDMEMBER", "r3", ""], Unordered(S("ZRANDMEMBER r3 -10"), "len"),
         Unordered(S("ZRANDMEMBER r3 -10 WITHSCORES"), "len")])
    # ZSCAN of a listpack: one reply with everything and cursor 0 (scores as Redis's d2string,
    # integral ones as integers); MATCH filters members.
    add([S("DEL zsc"), ["ZADD", "zsc", "1", "f1", "2.5", "f2", "-3", "g1", "0.1", "10", "1e20",
                        "123", "-0", "e", "inf", "i", "-inf", "ni", "4503599627370496", "big"],
         S("ZSCAN zsc 0"), S("ZSCAN zsc 0 COUNT 1"), S("ZSCAN zsc 0 COUNT 1000"), S("ZSCAN zsc 7"),
         S("ZSCAN zsc 18446744073709551615"), S("ZSCAN zsc -1"),
         S("ZSCAN zsc 18446744073709551616"), S("ZSCAN zsc 0 MATCH f*"),
         S("ZSCAN zsc 0 MATCH 1*"), S("ZSCAN zsc 0 MATCH nosuch*"),
         S("ZSCAN zsc 0 MATCH [fg]1 COUNT 2"), S("ZSCAN zsc 0 MATCH f* MATCH g*"),
         S("ZSCAN zsc abc"), ["ZSCAN", "zsc", " 0"], S("ZSCAN zsc 1.5"), S("ZSCAN zsc 0 COUNT 0"),
         S("ZSCAN zsc 0 COUNT -1"), S("ZSCAN zsc 0 COUNT abc"), S("ZSCAN zsc 0 COUNT"),
         S("ZSCAN zsc 0 MATCH"), S("ZSCAN zsc 0 FOO bar"), S("ZSCAN zsc 0 TYPE zset"),
         S("ZSCAN zsc 0 NOVALUES"), S("ZSCAN nosuch 0 MATCH x"), S("ZSCAN nosuch abc")])
    # Encodings: listpack up to 128 elements and 64-byte members, then skiplist for good
    # (removing elements does not convert back); every way of growing past the limits.
    n = ZSET_LP_ENTRIES
    add([S("DEL big"), ["ZADD", "big"] + zpairs(n), S("OBJECT ENCODING big"),
         S("ZRANGE big 0 -1 WITHSCORES"), S("ZADD big 0 m0"), S("OBJECT ENCODING big"),
         S(f"ZADD big {n} m{n}"), S("OBJECT ENCODING big"), S("ZCARD big"),
         S("ZRANGE big 0 -1 WITHSCORES"), S("ZRANGE big 60 70"), S("ZRANGE big -5 -1 REV"),
         S("ZRANK big m100"), S("ZREVRANK big m100"), S("ZRANK big nosuch"),
         S("ZCOUNT big 10 (50"), S("ZRANGEBYSCORE big (100 +inf WITHSCORES LIMIT 5 10"),
         S("ZREVRANGEBYSCORE big 50 -inf LIMIT 10 3"), S("ZSCORE big m77"),
         S("ZMSCORE big m1 nosuch m128"), ZS("ZSCAN big 0", "big"), ZS("ZSCAN big 0 COUNT 1", "big"),
         ZS("ZSCAN big 0 MATCH m1*", "big"), ZS("ZSCAN big 0 COUNT 1000", "big"),
         ZS("ZSCAN big abc", "big"), ZS("ZSCAN big 0 MATCH nosuch", "big"),
         S(f"ZRANDMEMBER big {n + 1}"), S("ZRANDMEMBER big 1000 WITHSCORES"),
         Unordered(S("ZRANDMEMBER big -200 WITHSCORES"), "len"),
         S("ZREMRANGEBYRANK big 0 120"), S("OBJECT ENCODING big"), S("ZRANGE big 0 -1 WITHSCORES"),
         S("ZINCRBY big 0.5 m125"), S("ZADD big INCR -1000 m127"), S("ZRANGE big 0 -1 WITHSCORES"),
         S("ZPOPMIN big 3"), S("ZPOPMAX big 2"), S("ZRANGE big 0 -1"), S("OBJECT ENCODING big"),
         S("DEL e1 e2 e3 e4 e5 e6 e7"),
         ["ZADD", "e1"] + zpairs(n + 1), S("OBJECT ENCODING e1"), S("ZCARD e1"),
         ["ZADD", "e2"] + zpairs(n), S("ZINCRBY e2 1 new"), S("OBJECT ENCODING e2"),
         ["ZADD", "e3"] + zpairs(n), S("ZADD e3 INCR 1 new"), S("OBJECT ENCODING e3"),
         ["ZADD", "e4"] + zpairs(n), S("ZADD e4 XX 5 new"), S("OBJECT ENCODING e4"),
         S("ZADD e4 NX 5 m3"), S("OBJECT ENCODING e4"),
         ["ZADD", "e5", "1", M64, "2", "b"], S("OBJECT ENCODING e5"),
         ["ZADD", "e5", "3", M65], S("OBJECT ENCODING e5"), S("ZRANGE e5 0 -1 WITHSCORES"),
         ["ZREM", "e5", M65], S("OBJECT ENCODING e5"), ["ZINCRBY", "e6", "1", M65],
         S("OBJECT ENCODING e6"), ["ZADD", "e7", "1", "a", "2", M65, "3", "c"],
         S("OBJECT ENCODING e7"), ZS("ZSCAN e7 0", "e7"), S("ZRANGE e7 0 -1"),
         ["ZADD", "e7"] + zpairs(300, "z", lambda i: i % 7), S("ZRANGE e7 100 110 WITHSCORES"),
         S("ZRANGEBYSCORE e7 (3 4 LIMIT 40 5"), S("ZCOUNT e7 (0 (6"), S("ZRANK e7 z299"),
         S("ZREVRANK e7 z0"), S("ZREMRANGEBYSCORE e7 1 2"), S("ZCARD e7"),
         S("ZREMRANGEBYRANK e7 -50 -10"), S("ZRANGE e7 -45 -35 WITHSCORES")])
    # Stored results get the encoding their size calls for; a skiplist result that fits a
    # listpack is stored as one.
    add([S("ZRANGESTORE d e1 0 -1"), S("OBJECT ENCODING d"), S("ZRANGESTORE d e1 0 127"),
         S("OBJECT ENCODING d"), S("ZRANGESTORE d e1 0 9"), S("OBJECT ENCODING d"),
         S("ZUNIONSTORE d 1 e1"), S("OBJECT ENCODING d"), S("ZINTERSTORE d 2 e1 e2"),
         S("OBJECT ENCODING d"), S("ZCARD d"), S("ZDIFFSTORE d 2 e1 e2"), S("OBJECT ENCODING d"),
         S("ZRANGE d 0 -1 WITHSCORES"), S("ZUNIONSTORE d 2 e5 e5"), S("OBJECT ENCODING d"),
         S("ZRANGE d 0 -1"), S("ZUNIONSTORE d 1 e6"), S("OBJECT ENCODING d"),
         S("ZRANGESTORE d e7 0 2"), S("OBJECT ENCODING d"),
         S("COPY e1 e1c"), S("OBJECT ENCODING e1c"), S("ZRANGE e1c 0 3 WITHSCORES"),
         S("RENAME e1c e1r"), S("OBJECT ENCODING e1r"), S("ZCARD e1r")])
    # CONFIG SET of the thresholds (and the ziplist aliases) changes later conversions.
    add([S("CONFIG SET zset-max-listpack-entries 4"), S("CONFIG GET zset-max-listpack-entries"),
         S("DEL cf"), S("ZADD cf 1 a 2 b 3 c 4 d"), S("OBJECT ENCODING cf"), S("ZADD cf 5 e"),
         S("OBJECT ENCODING cf"), S("ZRANGE cf 0 -1 WITHSCORES"), S("ZRANK cf e"),
         S("ZRANGESTORE d cf 0 2"), S("OBJECT ENCODING d"),
         S("CONFIG SET zset-max-ziplist-entries 0"), S("CONFIG GET zset-max-listpack-entries"),
         S("ZADD cf0 1 a"), S("OBJECT ENCODING cf0"), S("ZRANGE cf0 0 -1 WITHSCORES"),
         # -0 and integral scores past 2^52 in a skiplist (ZSCAN prints them as d2string).
         S("ZADD cf0 -0 z 0 y 1e17 x 123456789012345678 w 5e18 v 4611686018427387904 u"),
         S("ZADD cf0 -9.2e18 t 4503599627370497 s"), S("ZSCORE cf0 z"), S("ZINCRBY cf0 -0 z"),
         S("ZRANGE cf0 0 -1 WITHSCORES"), ZS("ZSCAN cf0 0", "cf0"),
         S("CONFIG SET zset-max-listpack-entries 128"),
         # The same in a listpack (where Redis stores -0 as the integer 0).
         S("ZADD lpz -0 z 0 y 1e17 x 123456789012345678 w 5e18 v 4611686018427387904 u"),
         S("ZADD lpz -9.2e18 t 4503599627370497 s"), S("ZSCORE lpz z"), S("ZINCRBY lpz -0 z"),
         S("ZRANGE lpz 0 -1 WITHSCORES"), ZS("ZSCAN lpz 0", "lpz"),
         S("ZUNION 1 lpz WEIGHTS -1 WITHSCORES"), S("ZUNIONSTORE lpd 1 lpz WEIGHTS -1"),
         S("ZRANGE lpd 0 -1 WITHSCORES"), S("ZADD lpz INCR -0 n"), S("ZSCORE lpz n"),
         S("DEL lpz lpd"), S("CONFIG SET zset-max-listpack-value 2"),
         S("ZADD cv 1 ab"), S("OBJECT ENCODING cv"), S("ZADD cv 2 abc"), S("OBJECT ENCODING cv"),
         S("CONFIG SET zset-max-ziplist-value 64"),
         Unordered(S("CONFIG GET zset-max-*"), "pairs"),
         S("DEL cf cf0 cv")])
    # WEIGHTS and AGGREGATE over zsets and plain sets (a set member scores 1); weight 0 times
    # an infinite score and inf + -inf are 0 in Redis, not NaN.
    add([S("DEL a b c s d"), S("ZADD a 1 x 2 y 3 z"), S("ZADD b 10 y 20 z 30 w"),
         S("SADD s x w v"), S("ZADD c 1 x inf y -inf z"), S("ZADD ci -inf y inf z 5 x")])
    for name in ("ZUNION", "ZINTER", "ZDIFF"):
        for opts in ([], ["WITHSCORES"], ["WEIGHTS", "2", "3", "WITHSCORES"],
                     ["AGGREGATE", "MIN", "WITHSCORES"], ["AGGREGATE", "MAX", "WITHSCORES"],
                     ["AGGREGATE", "SUM", "WEIGHTS", "1", "-1", "WITHSCORES"],
                     ["WEIGHTS", "1"], ["WEIGHTS", "1", "2", "3"], ["WEIGHTS", "a", "1"],
                     ["WEIGHTS", "nan", "1"], ["WEIGHTS", "inf", "1", "WITHSCORES"],
                     ["AGGREGATE", "FOO"], ["AGGREGATE"], ["FOO"], ["WITHSCORES", "x"],
                     ["weights", "1", "1", "aggregate", "max", "withscores"],
                     ["WEIGHTS", "1", "1", "WEIGHTS", "2", "2", "WITHSCORES"]):
            add([[name, "2", "a", "b"] + opts, [name, "2", "a", "s"] + opts,
                 [name, "2", "s", "b"] + opts, [name, "2", "c", "ci"] + opts])
        add([[name, "1", "c", "WEIGHTS", "0", "WITHSCORES"],
             [name, "2", "c", "c", "WEIGHTS", "0", "1", "WITHSCORES"],
             [name, "2", "c", "ci", "WEIGHTS", "-1", "1", "WITHSCORES"],
             [name, "3", "a", "b", "s", "WITHSCORES"], [name, "3", "s", "a", "nosuch", "WITHSCORES"],
             [name, "1", "a", "b", "WITHSCORES"], [name, "0", "a"], [name, "-1", "a"],
             [name, "abc", "a"], [name, "3", "a", "b"], [name, "1.5", "a"],
             [name, "9223372036854775807", "a"], [name, "2", "a", "nosuch", "WITHSCORES"],
             [name, "2", "nosuch", "a", "WITHSCORES"], [name, "2", "a", "a", "WITHSCORES"]])
    add([S("ZUNION 2 a c AGGREGATE MIN WITHSCORES"), S("ZINTER 2 c ci AGGREGATE MAX WITHSCORES"),
         S("ZINTER 2 c ci AGGREGATE SUM WITHSCORES"), S("ZUNION 2 c ci WITHSCORES"),
         S("ZUNION 1 c WEIGHTS -0 WITHSCORES"), S("ZUNION 1 a WEIGHTS 1e308 WITHSCORES"),
         S("ZUNION 2 a a WEIGHTS 1e308 1e308 WITHSCORES"), S("ZUNION 1 a WEIGHTS 0.1 WITHSCORES"),
         S("ZUNION 1 s WITHSCORES"), S("ZINTER 1 s WEIGHTS 2.5 WITHSCORES")])
    # STORE forms: the count reply, an empty result deletes the destination (of any type),
    # the destination may be an input, WITHSCORES is a syntax error.
    for name in ("ZUNIONSTORE", "ZINTERSTORE", "ZDIFFSTORE"):
        add([[name, "d", "2", "a", "b"], S("ZRANGE d 0 -1 WITHSCORES"), S("TYPE d"),
             [name, "d", "2", "a", "s"], S("ZRANGE d 0 -1 WITHSCORES"),
             [name, "d", "2", "c", "ci"] + (["AGGREGATE", "MAX"] if name != "ZDIFFSTORE" else []),
             S("ZRANGE d 0 -1 WITHSCORES"), [name, "d", "2", "a", "b", "WITHSCORES"],
             [name, "d", "1", "nosuch"], S("EXISTS d"), S("SET d str EX 100000"),
             [name, "d", "2", "a", "a"] + (["WEIGHTS", "1", "-1"] if name != "ZDIFFSTORE" else []),
             S("TYPE d"), S("TTL d"), S("ZRANGE d 0 -1 WITHSCORES"), S("HSET hd f v"),
             [name, "hd", "1", "nosuch"], S("EXISTS hd"), S("HSET hd f v"),
             [name, "hd", "1", "a"], S("TYPE hd"), [name, "d", "0", "a"], [name, "d", "2", "a"],
             [name, "d", "2", "a", "str"], [name, "d", "2", "a", "hd"],
             [name, "d", "abc", "a"], S("DEL aa"), S("ZADD aa 1 x 2 y"),
             [name, "aa", "2", "aa", "b"], S("ZRANGE aa 0 -1 WITHSCORES")])
    if lists_ok:
        add([S("RPUSH lst x"), S("ZUNION 2 a lst"), S("ZINTER 2 lst a"), S("ZDIFF 2 a lst"),
             S("ZINTERCARD 2 a lst"), S("ZUNIONSTORE d 2 a lst"), S("ZADD lst 1 x"),
             S("ZRANGE lst 0 -1"), S("DEL lst")])
    # ZINTERCARD: numkeys, LIMIT (0 is no limit), plain sets.
    add([S("ZINTERCARD 2 a b"), S("ZINTERCARD 2 a s"), S("ZINTERCARD 3 a b s"),
         S("ZINTERCARD 1 a"), S("ZINTERCARD 1 s"), S("ZINTERCARD 2 a nosuch"),
         S("ZINTERCARD 0 a"), S("ZINTERCARD -1 a"), S("ZINTERCARD abc a"),
         S("ZINTERCARD 3 a b"), S("ZINTERCARD 1 a b"), S("ZINTERCARD 1 a LIMIT"),
         S("ZINTERCARD 1 a LIMIT -1"), S("ZINTERCARD 1 a LIMIT abc"), S("ZINTERCARD 1 a LIMIT 0"),
         S("ZINTERCARD 1 a LIMIT 1"), S("ZINTERCARD 1 a LIMIT 3"), S("ZINTERCARD 1 a limit 100"),
         S("ZINTERCARD 2 a b LIMIT 1"), S("ZINTERCARD 2 a b LIMIT 2 LIMIT 0"),
         S("ZINTERCARD 1 a FOO 1"), S("ZINTERCARD 2 nosuch str"), S("ZINTERCARD 1 str"),
         S("ZINTERCARD 9223372036854775807 a"), S("ZINTERCARD 1 a LIMIT 9223372036854775808"),
         S("ZINTERCARD 2 a a"), S("ZINTERCARD 2 big e7"), S("ZINTERCARD 2 e7 e7 LIMIT 10")])
    # Wrong types, both ways.
    zcmds = [S("ZADD {k} 1 m"), S("ZADD {k} NX XX 1 m"), S("ZADD {k} 1 m 2"), S("ZINCRBY {k} 1 m"),
             S("ZINCRBY {k} abc m"), S("ZREM {k} m"), S("ZCARD {k}"), S("ZSCORE {k} m"),
             S("ZMSCORE {k} m"), S("ZRANK {k} m"), S("ZREVRANK {k} m"), S("ZCOUNT {k} 0 1"),
             S("ZCOUNT {k} a b"), S("ZLEXCOUNT {k} - +"), S("ZLEXCOUNT {k} a b"),
             S("ZRANGE {k} 0 -1"), S("ZRANGE {k} a b"), S("ZRANGE {k} 0 -1 LIMIT 0 1"),
             S("ZRANGEBYSCORE {k} 0 1"), S("ZRANGEBYLEX {k} - +"), S("ZREVRANGE {k} 0 -1"),
             S("ZRANGESTORE d {k} 0 -1"), S("ZREMRANGEBYRANK {k} 0 -1"),
             S("ZREMRANGEBYSCORE {k} 0 1"), S("ZREMRANGEBYLEX {k} - +"), S("ZPOPMIN {k}"),
             S("ZPOPMAX {k} 2"), S("ZPOPMIN {k} -1"), S("ZMPOP 1 {k} MIN"),
             S("ZMPOP 2 nosuch {k} MAX"), S("ZRANDMEMBER {k}"), S("ZRANDMEMBER {k} 2"),
             S("ZRANDMEMBER {k} abc"), S("ZSCAN {k} 0"), S("ZSCAN {k} abc"), S("ZUNION 1 {k}"),
             S("ZINTER 2 nosuch {k}"), S("ZDIFF 2 nosuch {k}"), S("ZDIFF 2 a {k}"),
             S("ZINTERCARD 1 {k}"), S("ZUNIONSTORE d 1 {k}"), S("ZINTERSTORE d 2 nosuch {k}")]
    add([S("DEL zstr zhash zw"), S("SET zstr v"), S("HSET zhash f v"), S("ZADD zw 1 a 2 b")])
    for key in ("zstr", "zhash"):
        add([[a.replace("{k}", key) for a in cmd] for cmd in zcmds])
    add([S("GET zw"), S("SET zw x XX GET"), S("APPEND zw x"), S("INCR zw"), S("HSET zw f v"),
         S("HGET zw f"), S("SADD zw a"), S("SMEMBERS zw"), S("SINTER zw"), S("SUNIONSTORE d zw"),
         S("SINTERCARD 1 zw"), S("GETDEL zw"), S("TYPE zw"), S("OBJECT ENCODING zw"),
         S("ZRANGE zw 0 -1 WITHSCORES"), S("EXISTS d")])
    if lists_ok:
        add([S("LPUSH zw x"), S("LRANGE zw 0 -1"), S("LMPOP 1 zw LEFT"), S("RPOPLPUSH zw zw")])
    # Keyspace commands on zsets: RENAME, COPY (a deep copy), MOVE, expiry, SCAN TYPE zset.
    add([S("DEL k1 k2 k3"), S("ZADD k1 1 a 2 b"), S("RENAME k1 k2"), S("ZRANGE k2 0 -1"),
         S("COPY k2 k3"), S("ZADD k3 0 z"), S("ZINCRBY k3 5 a"), S("ZRANGE k2 0 -1 WITHSCORES"),
         S("ZRANGE k3 0 -1 WITHSCORES"), S("EXPIRE k2 100000"), S("ZADD k2 3 c"), S("TTL k2"),
         S("ZREM k2 a b c"), S("EXISTS k2"), S("TTL k2"), S("MOVE k3 1"), S("SELECT 1"),
         S("ZRANGE k3 0 -1"), S("SELECT 0"), S("SET s1 v"), S("ZADD z1 1 a"),
         ScanAll(S("SCAN 0 TYPE zset"), False), ScanAll(S("SCAN 0 TYPE ZSET"), False),
         S("FLUSHDB")])
    # SORT over zsets: by value (numeric, ALPHA), BY nosort keeps the zset order (with DESC
    # and LIMIT too), GET and STORE.
    # Redis 7.0's SORT converts a listpack zset to a skiplist in place, whatever the options.
    for srt in (["SORT", "sc1"], ["SORT", "sc1", "BY", "nosort"], ["SORT_RO", "sc1"],
                ["SORT", "sc1", "ALPHA", "LIMIT", "0", "1"]):
        add([S("DEL sc1"), S("ZADD sc1 1 5 2 3"), srt, S("OBJECT ENCODING sc1")])
    add([S("DEL so"), S("ZADD so 3 10 1 2 2 30 5 -1 4 7"), S("SORT so"), S("SORT so DESC"),
         S("SORT so ALPHA"), S("SORT so LIMIT 1 2"), S("SORT so BY nosort"),
         S("SORT so BY nosort DESC"), S("SORT so BY nosort LIMIT 1 3"),
         S("SORT so BY nosort DESC LIMIT 1 3"), S("SORT so BY nosort LIMIT 0 -1"),
         S("SORT so BY nosort DESC LIMIT -1 2"), S("SORT so BY nosort LIMIT 4 10"),
         S("SORT so BY nosort LIMIT 10 2"), S("SORT so BY nosort ALPHA DESC"),
         S("MSET w_10 3 w_2 1 w_30 2 w_-1 5 w_7 4"), S("SORT so BY w_*"), S("SORT so BY w_* GET #"),
         S("SORT so BY nosort GET w_* GET #"), S("SORT_RO so BY nosort"),
         S("SORT so BY nosort STORE sd"), S("LRANGE sd 0 -1"), S("SORT so STORE sd"),
         S("TYPE sd"), S("ZADD so 0 abc"), S("SORT so"), S("SORT so ALPHA"),
         S("SORT so BY nosort"), S("DEL sd"),
         ["ZADD", "sob"] + zpairs(200, "", lambda i: (i * 37) % 101),
         S("SORT sob BY nosort LIMIT 50 10"), S("SORT sob BY nosort DESC LIMIT 50 10"),
         S("SORT sob LIMIT 0 10"), S("SORT sob BY nosort DESC LIMIT 195 10")])
    # DUMP + RESTORE round trips (each server's own payload): both encodings, TTL, REPLACE,
    # BUSYKEY, the encoding the restored value gets.
    add([S("DEL dl ds r1 r2"), S("ZADD dl 1 a 2.5 b -inf c inf d 0.1 e"),
         ["ZADD", "ds"] + zpairs(150, "m", lambda i: i / 3),
         ["ZADD", "dl", "7", "bin\x00\xff", "8", ""], DumpRestore("dl", "r1"),
         S("ZRANGE r1 0 -1 WITHSCORES"), S("OBJECT ENCODING r1"), S("TYPE r1"),
         DumpRestore("dl", "r1"), DumpRestore("ds", "r1", args=["REPLACE"]),
         S("OBJECT ENCODING r1"), S("ZCARD r1"), S("ZRANGE r1 140 -1 WITHSCORES"),
         S("ZRANK r1 m77"), S("ZRANGEBYSCORE r1 (10 12 WITHSCORES"),
         DumpRestore("ds", "r2", ttl="100000000"), S("TTL r2"), S("OBJECT ENCODING r2"),
         S("ZREMRANGEBYRANK r2 10 -1"), DumpRestore("r2", "r3"), S("OBJECT ENCODING r3"),
         S("ZRANGE r3 0 -1 WITHSCORES"), DumpRestore("nosuch", "r4"), S("EXISTS r4"),
         ["RESTORE", "r5", "0", "garbage-payload"], S("EXISTS r5"),
         S("CONFIG SET zset-max-listpack-entries 2"), DumpRestore("dl", "r6"),
         S("OBJECT ENCODING r6"), S("CONFIG SET zset-max-listpack-entries 128"),
         DumpRestore("ds", "r7"), S("ZADD r7 1000 last"), S("ZRANGE r7 -3 -1 WITHSCORES"),
         S("DEL dl ds r1 r2 r3 r6 r7")])
    # Transactions and WATCH with zsets.
    add([S("DEL t"), S("ZADD t 1 a 2 b"), S("MULTI"), S("ZADD t 3 c"), S("ZRANGE t 0 -1 WITHSCORES"),
         S("ZPOPMIN t 0"), S("ZCARD"), S("EXEC"), S("MULTI"), S("ZADD t 1 x"), S("ZINTERCARD 0 t"),
         S("ZSCORE t x"), S("ZINCRBY t -inf x"), S("ZINCRBY t inf x"), S("ZCARD t"), S("EXEC"),
         S("WATCH t"), S("ZREM t nosuch"), S("MULTI"), S("ZCARD t"), S("EXEC"), S("WATCH t"),
         B("ZADD t 1 a"), S("MULTI"), S("ZCARD t"), S("EXEC"), S("WATCH t"), B("ZADD t 5 a"),
         S("MULTI"), S("ZCARD t"), S("EXEC"), S("WATCH d"), B("ZUNIONSTORE d 1 nosuch"),
         S("MULTI"), S("EXISTS d"), S("EXEC"), S("WATCH t"), B("ZPOPMIN t 0"), S("MULTI"),
         S("ZCARD t"), S("EXEC"), S("WATCH t"), B("ZMPOP 1 t MAX"), S("MULTI"),
         S("ZRANGE t 0 -1"), S("EXEC")])
    # Every write that changes a zset breaks a WATCH on it; one that changes nothing does not.
    for w in ["ZADD t 9 a", "ZADD t NX 1 a", "ZADD t XX 5 nosuch", "ZINCRBY t 1 a",
              "ZINCRBY t 0 a", "ZREM t a", "ZREM t nosuch", "ZPOPMIN t", "ZPOPMAX t 2",
              "ZPOPMIN t 0", "ZMPOP 1 t MIN", "ZMPOP 1 t MAX COUNT 5", "ZREMRANGEBYRANK t 0 0",
              "ZREMRANGEBYRANK t 5 9", "ZREMRANGEBYSCORE t 2 2", "ZREMRANGEBYSCORE t 50 60",
              "ZREMRANGEBYLEX t [a [a", "ZRANGESTORE t t 0 0", "ZUNIONSTORE t 1 t",
              "ZINTERSTORE t 2 t nosuch", "ZDIFFSTORE t 1 t", "ZRANGESTORE t2 t 0 -1",
              "ZADD t2 1 a", "ZUNIONSTORE t2 2 t t"]:
        add([S("DEL t t2"), S("ZADD t 1 a 2 b 3 c"), S("WATCH t"), B(w), S("MULTI"),
             S("ZRANGE t 0 -1 WITHSCORES"), S("EXEC")])
    return c


# --------------------------------------------------------------------------------------------
# 1c. Stream edge cases
# --------------------------------------------------------------------------------------------

MAX_ID = "18446744073709551615-18446744073709551615"


def stream_edge_cases():
    c = []
    add = c.extend
    # Arity and wrong types.
    add([S("XADD s"), S("XADD s *"), S("XADD s * f"), S("XLEN"), S("XRANGE s -"),
         S("XREVRANGE s +"), S("XDEL s"), S("XTRIM s"), S("XSETID s"), S("XREAD"),
         S("XREAD STREAMS"), S("XREADGROUP GROUP g c"), S("XACK s g"), S("XPENDING s"),
         S("XCLAIM s g c 0"), S("XAUTOCLAIM s g c 0"), S("XGROUP"), S("XGROUP CREATE s g"),
         S("XGROUP DESTROY s"), S("XGROUP CREATECONSUMER s g"), S("XINFO"), S("XINFO STREAM"),
         S("XINFO GROUPS"), S("XINFO CONSUMERS s"), S("XGROUP FOO s g"), S("XINFO FOO s"),
         S("XGROUP HELP"), S("XINFO HELP"), S("SET str v"), S("XADD str 1 f v"),
         S("XLEN str"), S("XRANGE str - +"), S("XRANGE str - + COUNT 0"), S("XDEL str 1"),
         S("XTRIM str MAXLEN 1"), S("XREAD STREAMS str 0"), S("XINFO STREAM str"),
         S("XGROUP CREATE str g 0"), S("XSETID str 1"), S("XACK str g 1"),
         S("XPENDING str g"), S("XCLAIM str g c 0 1"), S("XAUTOCLAIM str g c 0 0"),
         S("XREADGROUP GROUP g c STREAMS str >"), S("SADD st x"), S("XADD st 1 f v")])
    # Missing keys.
    add([S("XLEN nokey"), S("XRANGE nokey - +"), S("XRANGE nokey - + COUNT 0"),
         S("XREVRANGE nokey + -"), S("XDEL nokey 1"), S("XDEL nokey abc"),
         S("XTRIM nokey MAXLEN 1"), S("XTRIM nokey garbage"), S("XTRIM nokey MINID 1-"), S("XTRIM nokey MAXLEN -1"),
         S("XTRIM str MINID 1-"), S("XAUTOCLAIM nokey g c 0 0 COUNT 0"),
         S("XAUTOCLAIM str g c abc 0"), S("XCLAIM nokey g c abc 0"), S("XSETID nokey 1"),
         S("XREAD STREAMS nokey 0"), S("XREAD STREAMS nokey $"), S("XACK nokey g 1"),
         S("XACK nokey g abc"), S("XPENDING nokey g"), S("XCLAIM nokey g c 0 1"),
         S("XAUTOCLAIM nokey g c 0 0"), S("XINFO STREAM nokey"), S("XINFO GROUPS nokey"),
         S("XINFO CONSUMERS nokey g"), S("XGROUP CREATE nokey g 0"),
         S("XGROUP CREATE nokey g abc"), S("XGROUP CREATE nokey g abc MKSTREAM"),
         S("XGROUP SETID nokey g 0"), S("XGROUP DESTROY nokey g"),
         S("XGROUP CREATECONSUMER nokey g c"), S("XGROUP DELCONSUMER nokey g c"),
         S("XREADGROUP GROUP g c STREAMS nokey >"), S("XADD nokey NOMKSTREAM 1 f v"),
         S("EXISTS nokey")])
    # Ids: forms Redis accepts and rejects, 0-0, the top item, the last possible id.
    add([S("XADD s 0-0 f v"), S("XADD s 0 f v"), S("EXISTS s"), S("XADD s 0-* f v"),
         S("XADD s 1-1 f v"), S("XADD s 1-1 f v"), S("XADD s 1 f v"), S("XADD s 1-* f v"),
         S("XADD s +2 f v"), [ "XADD", "s", " 3", "f", "v"], ["XADD", "s", "4 ", "f", "v"],
         S("XADD s 0x5 f v"), S("XADD s 00006 f v"), S("XADD s 7-01 f v"),
         S("XADD s 8-+1 f v"), S("XADD s 18446744073709551616 f v"),
         S("XADD s " + "0" * 40 + "9 f v"), S("XADD s " + "1" * 130 + " f v"), S("XADD s - f v"),
         S("XADD s + f v"), S("XADD s 10.5 f v"), ["XADD", "s", "", "f", "v"],
         S("XADD s 11- f v"), S("XADD s -11 f v"), S("XADD s 12-1-1 f v"), S("XADD s abc f v"),
         S("XADD s 13 f v g"), S("XADD s 13-0 f v g w"), ["XADD", "s", "14", "", ""],
         ["XADD", "s", "15", "bin\x00", "\xff\x00"], S("XADD s 15-* a 1 b 2 c 3"),
         S("XLEN s"), S("XRANGE s - +"), S("TYPE s"), S("OBJECT ENCODING s"),
         S(f"XADD x {MAX_ID} f v"), S("XADD x * f v"), S("XADD x 18446744073709551615-* f v"),
         S("XADD x 1 f v"), S("XINFO STREAM x")])
    # Option parsing of XADD and XTRIM.
    add([S("XADD s MAXLEN -1 20 f v"), S("XADD s MAXLEN abc 20 f v"),
         S("XADD s MAXLEN = 1 LIMIT 10 20 f v"), S("XADD s MAXLEN ~ 1 MINID 0 20 f v"),
         S("XADD s LIMIT 5 20 f v"), S("XADD s LIMIT 0 20 f v"),
         S("XADD s MAXLEN ~ 1 LIMIT -1 21 f v"), S("XADD s MINID abc 22 f v"),
         S("XADD s NOMKSTREAM nomkstream 23 f v"), S("XADD s FOO 24 f v"),
         S("XADD s MAXLEN 5"), S("XADD s MAXLEN"), S("XADD s maxlen = 100 25 f v"),
         S("XTRIM s"), S("XTRIM s FOO"), S("XTRIM s LIMIT 10"), S("XTRIM s MAXLEN -1"),
         S("XTRIM s MAXLEN = 5 LIMIT 1"), S("XTRIM s MINID abc"), S("XTRIM s MAXLEN 1 MINID 1"),
         S("XTRIM s MAXLEN ~"), S("XTRIM s MAXLEN 100 FOO"), S("XLEN s")])
    # Ranges: exclusive bounds, incomplete ids, COUNT.
    add([S("XRANGE s - +"), S("XRANGE s 7 7"), S("XRANGE s (7 +"), S("XRANGE s - (15"),
         S("XRANGE s (- +"), S("XRANGE s - (+"), S("XRANGE s ( +"), S("XRANGE s (0-0 +"),
         S("XRANGE s - (0-0"), S(f"XRANGE s ({MAX_ID} +"), S("XRANGE s - + COUNT 2"),
         S("XRANGE s - + COUNT 0"), S("XRANGE s - + COUNT -1"), S("XRANGE s - + COUNT abc"),
         S("XRANGE s - + FOO"), S("XRANGE s - + COUNT"), S("XRANGE s - + COUNT 1 COUNT 3"),
         S("XREVRANGE s + - COUNT 2"), S("XREVRANGE s (15 -"), S("XREVRANGE s + (8"),
         S("XRANGE s 10 5"), S("XRANGE s abc +"), S("XREVRANGE s - +"),
         S("XREVRANGE s 15-1 15-1")])
    # Trimming: 350 entries are 4 nodes of 100 (and one of 50); ~ keeps whole nodes.
    add([["XADD", "t", f"{i}-1", "f", f"v{i}"] for i in range(1, 351)])
    add([S("XINFO STREAM t"), S("XTRIM t MAXLEN ~ 330"), S("XTRIM t MAXLEN ~ 250"),
         S("XINFO STREAM t"), S("XTRIM t MAXLEN = 245"), S("XINFO STREAM t"),
         S("XRANGE t - + COUNT 3"), S("XTRIM t MINID 150"), S("XINFO STREAM t"),
         S("XTRIM t MINID ~ 260"), S("XINFO STREAM t"), S("XTRIM t MAXLEN ~ 10 LIMIT 20"),
         S("XTRIM t MAXLEN ~ 10 LIMIT 50"), S("XLEN t"), S("XTRIM t MAXLEN ~ 10 LIMIT 0"),
         S("XINFO STREAM t"), S("XADD t MAXLEN ~ 5 351-1 f v"), S("XLEN t"),
         S("XDEL t 345-1 346-1 346-1 9999"), S("XDEL t abc"), S("XINFO STREAM t"),
         S("XDEL t 351-1"), S("XINFO STREAM t"), S("XTRIM t MAXLEN 0"), S("XINFO STREAM t"),
         S("XADD t 352-1 a b"), S("XINFO STREAM t")])
    # XDEL, first/max-deleted ids, XSETID.
    add([S("XADD d 1-1 a 1"), S("XADD d 2-1 a 2"), S("XADD d 3-1 a 3"), S("XDEL d 1-1"),
         S("XINFO STREAM d"), S("XDEL d 2-1 3-1"), S("XINFO STREAM d"), S("XADD d 4-1 a 4"),
         S("XINFO STREAM d FULL"), S("XINFO STREAM d FULL COUNT"),
         S("XINFO STREAM d FULL COUNT 0"), S("XINFO STREAM d FOO"),
         S("XINFO STREAM d FULL COUNT abc"), S("XINFO STREAM d FULL COUNT -1"),
         S("XINFO GROUPS d"), S("XINFO CONSUMERS d g"), S("XSETID d 3-0"), S("XSETID d 5-0"),
         S("XINFO STREAM d"), S("XSETID d 6-0 ENTRIESADDED 0"),
         S("XSETID d 6-0 ENTRIESADDED -1"), S("XSETID d 6-0 MAXDELETEDID 7-0"),
         S("XSETID d 6-0 MAXDELETEDID 5-0 ENTRIESADDED 10"), S("XINFO STREAM d"),
         S("XSETID d 5-9"), S("XSETID d abc"), S("XSETID d 7 FOO"),
         S("XSETID d 7 ENTRIESADDED"), S("XADD d 6-0 x y"), S("XADD d 6-1 x y"),
         S("XADD q 5-0 a b"), S("XDEL q 5-0"), S("XSETID q 4-0 ENTRIESADDED 0"),
         S("XADD q 4-1 a b"), S("XRANGE q - +"), S("XDEL q 4-1"), S("XINFO STREAM q")])
    # Groups, delivery, PEL, claiming (min-idle 0 or one nothing reaches).
    add([S("XGROUP CREATE g1 g $"), S("XGROUP CREATE g1 g $ MKSTREAM"),
         S("XGROUP CREATE g1 g $ MKSTREAM"), S("XGROUP CREATE g1 g2 0 ENTRIESREAD 5"),
         S("XGROUP CREATE g1 g3 0 ENTRIESREAD -2"), S("XGROUP CREATE g1 g3 0 ENTRIESREAD abc"),
         S("XGROUP CREATE g1 g3 0 FOO"), S("XGROUP CREATE g1 g3 abc"),
         S("XGROUP CREATE g1 g3 0 MKSTREAM MKSTREAM MKSTREAM"),
         S("XGROUP CREATE g1 g4 0 MKSTREAM MKSTREAM MKSTREAM MKSTREAM"),
         S("XGROUP CREATE g1 g5 0 ENTRIESREAD"), S("XGROUP SETID g1 nog 0"),
         S("XGROUP DESTROY g1 nog"), S("XGROUP DELCONSUMER g1 nog c"),
         S("XGROUP SETID g1 g 0 ENTRIESREAD"), S("XGROUP SETID g1 g 0 FOO 1"),
         S("XGROUP SETID g1 g abc"), S("XGROUP SETID g1 g -"), S("XGROUP SETID g1 g +"),
         S("XGROUP SETID g1 g 5"), S("XGROUP SETID g1 g $ ENTRIESREAD 3"),
         S("XGROUP SETID g1 g 0 ENTRIESREAD -3"), S("XINFO GROUPS g1"),
         S("XADD g1 1-1 f 1"), S("XADD g1 2-1 f 2"), S("XADD g1 3-1 f 3"), S("XADD g1 4-1 f 4"),
         S("XADD g1 5-1 f 5"), S("XGROUP CREATECONSUMER g1 g alice"),
         S("XGROUP CREATECONSUMER g1 g alice"), S("XINFO GROUPS g1"),
         S("XREADGROUP GROUP g alice COUNT 2 STREAMS g1 >"), S("XINFO GROUPS g1"),
         S("XREADGROUP GROUP g bob STREAMS g1 >"), S("XREADGROUP GROUP g bob STREAMS g1 >"),
         S("XREADGROUP GROUP g alice STREAMS g1 0"), S("XREADGROUP GROUP g alice STREAMS g1 1-1"),
         S("XREADGROUP GROUP g alice COUNT 1 STREAMS g1 0"), S("XPENDING g1 g"),
         S("XPENDING g1 g - + 10"), S("XPENDING g1 g - + 10 alice"),
         S("XPENDING g1 g - + 10 nobody"), S("XPENDING g1 g (1-1 + 2"),
         S("XPENDING g1 g - (3-1 10"), S("XPENDING g1 g IDLE 100000000 - + 10"),
         S("XPENDING g1 g IDLE abc - + 10"), S("XPENDING g1 g IDLE 10 - +"),
         S("XPENDING g1 g - + abc"), S("XPENDING g1 g - + -1"), S("XPENDING g1 g - +"),
         S("XPENDING g1 g abc + 1"), S("XPENDING g1 nog"), S("XPENDING g1 g - + 10 alice x"),
         S("XACK g1 g 1-1 9-9 1-1"), S("XACK g1 g abc"), S("XACK g1 nog 1-1"),
         S("XPENDING g1 g"), S("XDEL g1 2-1"), S("XREADGROUP GROUP g alice STREAMS g1 0"),
         S("XCLAIM g1 g carol 0 2-1 3-1"), S("XPENDING g1 g"), S("XCLAIM g1 g carol 0 4-1 JUSTID"),
         S("XCLAIM g1 g carol 0 4-1 RETRYCOUNT 7"), S("XPENDING g1 g - + 10"),
         S("XCLAIM g1 g carol 0 1-1 FORCE"), S("XCLAIM g1 g carol 0 1-1 FORCE"),
         S("XCLAIM g1 g carol 0 1-1 FOO"), S("XCLAIM g1 g carol abc 1-1"),
         S("XCLAIM g1 g carol 0 1-1 IDLE abc"), S("XCLAIM g1 g carol 0 1-1 TIME abc"),
         S("XCLAIM g1 g carol 0 1-1 RETRYCOUNT abc"), S("XCLAIM g1 g carol 0 1-1 LASTID abc"),
         S("XCLAIM g1 g carol 0 1-1 LASTID 9-9 JUSTID"), S("XINFO GROUPS g1"),
         S("XCLAIM g1 nog carol 0 1-1"), S("XCLAIM g1 g carol 0 abc"),
         S("XCLAIM g1 g dave 100000000 1-1 3-1"), S("XPENDING g1 g"),
         S("XAUTOCLAIM g1 g dave 0 0"), S("XAUTOCLAIM g1 g erin 0 0 COUNT 1"),
         S("XAUTOCLAIM g1 g erin 0 0 COUNT 0"), S("XAUTOCLAIM g1 g erin 0 0 COUNT abc"),
         S("XAUTOCLAIM g1 g erin 0 0 COUNT 576460752303423488"),
         S("XAUTOCLAIM g1 g erin 0 0 JUSTID"), S("XAUTOCLAIM g1 g erin 0 (0 JUSTID"),
         S(f"XAUTOCLAIM g1 g erin 0 ({MAX_ID}"), S("XAUTOCLAIM g1 g erin 0 (-"),
         S("XAUTOCLAIM g1 g erin abc 0"), S("XAUTOCLAIM g1 g erin 0 0 FOO"),
         S("XAUTOCLAIM g1 nog erin 0 0"), S("XAUTOCLAIM g1 g erin 100000000 - COUNT 2"),
         S("XREADGROUP GROUP g frank STREAMS g1 >"), S("XADD g1 6-1 f 6"), S("XADD g1 7-1 f 7"),
         S("XDEL g1 6-1"), S("XREADGROUP GROUP g frank NOACK STREAMS g1 >"),
         S("XINFO GROUPS g1"), S("XGROUP SETID g1 g 5-1"), S("XINFO GROUPS g1"),
         S("XREADGROUP GROUP g frank NOACK STREAMS g1 >"), S("XINFO GROUPS g1"),
         S("XADD g1 8-1 f 8"), S("XREADGROUP GROUP g frank STREAMS g1 >"), S("XDEL g1 8-1"),
         S("XAUTOCLAIM g1 g erin 0 0 COUNT 3"), S("XAUTOCLAIM g1 g erin 0 0 COUNT 3"),
         S("XINFO CONSUMERS g1 g"), S("XINFO CONSUMERS g1 nog"),
         S("XGROUP DELCONSUMER g1 g erin"), S("XGROUP DELCONSUMER g1 g erin"),
         S("XGROUP DESTROY g1 g2"), S("XGROUP DESTROY g1 g2"), S("XINFO GROUPS g1"),
         S("XINFO STREAM g1 FULL"), S("XINFO STREAM g1 FULL COUNT 1")])
    # XREAD / XREADGROUP parsing and several streams.
    add([S("XREADGROUP GROUP nog a STREAMS g1 >"), S("XREADGROUP GROUP g a STREAMS g1 $"),
         S("XREADGROUP GROUP g a STREAMS g1"), S("XREADGROUP GROUP g a STREAMS g1 g1 > >"),
         S("XREADGROUP STREAMS g1 >"), S("XREADGROUP GROUP g a COUNT abc STREAMS g1 >"),
         S("XREADGROUP GROUP g a BLOCK abc STREAMS g1 >"),
         S("XREADGROUP GROUP g a BLOCK -1 STREAMS g1 >"),
         S("XREADGROUP GROUP g a BLOCK 1 STREAMS g1 >"),
         S("XREADGROUP GROUP g a FOO STREAMS g1 >"), S("XREADGROUP GROUP g a STREAMS g1 abc"),
         S("XREADGROUP GROUP g STREAMS g1 >"), S("xreadgroup GROUP g a STREAMS g1 0 1"),
         S("XREAD STREAMS g1 0"), S("XREAD COUNT 2 STREAMS g1 nokey d 0 0 0"),
         S("XREAD STREAMS g1 $"), S("XREAD BLOCK 1 STREAMS g1 $"), S("XREAD STREAMS g1 >"),
         S("XREAD GROUP g a STREAMS g1 0"), S("XREAD NOACK STREAMS g1 0"),
         S("XREAD STREAMS g1 str 0 0"), S("XREAD STREAMS g1 0 1"), S("xread STREAMS g1 0 1"),
         S("XREAD COUNT 1 BLOCK 0 STREAMS g1 3"), S("XREAD BLOCK 1.5 STREAMS g1 3"),
         S("XREAD BLOCK 99999999999999999999 STREAMS g1 3"), S("XREAD STREAMS g1 abc"),
         S("XREAD FOO STREAMS g1 0"), S("XREAD COUNT 1"), S(f"XREAD STREAMS g1 {MAX_ID}"),
         S("XGROUP CREATE g1 h 0"), S(f"XREADGROUP GROUP h a STREAMS g1 {MAX_ID}"),
         S("XREADGROUP GROUP h a STREAMS g1 0"), S("XINFO GROUPS g1"),
         S("XGROUP CREATE e1 g 0 MKSTREAM ENTRIESREAD 3"), S("XINFO GROUPS e1"),
         S("XINFO STREAM e1"), S("XINFO STREAM e1 FULL")])
    # Copies and payloads keep groups and pending entries.
    add([S("COPY g1 g1copy"), S("XINFO STREAM g1copy FULL"), S("RENAME g1copy g1moved"),
         S("XPENDING g1moved g"), S("TYPE g1moved"), S("DEL g1moved")])
    return c


# --------------------------------------------------------------------------------------------
# 2. Seeded random sequences
# --------------------------------------------------------------------------------------------

KEYS_POOL = ["k1", "k2", "k3", "k4", "hello", "hallo", "hxllo", "hllo", "a*b", "a?c", "[ab]",
             "x\\y", ""]
VALUES = ["", "0", "1", "-1", "10", "255", "9223372036854775807", "-9223372036854775808",
          "9223372036854775808", "3.14", "1e3", "0x10", " 1", "1 ", "abc", "hello world", "01",
          "+1", "-0", "inf", "nan", "1.5e308", "x" * 50, "\x00\xff", "12345678901234567890",
          "-", "1.", ".5", "5.0e-2", "\xff\xf0\x00\x0f"]
INT_ARGS = ["1", "-1", "0", "100", "-100", "9223372036854775807", "-9223372036854775808", "abc",
            "1.5", "", " 1", "99999999999999999999", "007"]
FLOAT_ARGS = ["1", "0.1", "-0.1", "1e3", "1.5e308", "-1.5e308", "inf", "-inf", "nan", "abc",
              "5.0e-2", "3", "1e-300", "0x10", "1e400", "", "-0", "1.7976931348623157e308"]
RANGE_ARGS = ["0", "1", "2", "5", "-1", "-2", "-100", "100", "abc", "9223372036854775807",
              "-9223372036854775808"]
PATTERNS = ["*", "k*", "h?llo", "h[ae]llo", "h[^e]llo", "h[a-x]llo", "a\\*b", "a?c", "[ab]",
            "\\[ab\\]", "x\\\\y", "", "?", "*o", "h*", "[", "[a-", "k[1-3]", "*[?]*", "[^k]*"]
EXPIRE_OPTS = [[], [], [], ["NX"], ["XX"], ["GT"], ["LT"], ["nx"], ["NX", "XX"], ["GT", "LT"],
               ["FOO"], ["XX", "GT"]]


# Hash fields: a small pool so fields collide; integers, the empty field, binary bytes. A
# 65-byte field (rare) turns a hash into a hashtable, a 64-byte one does not.
FIELDS = ["f1", "f2", "f3", "a", "b", "", "1", "-1", "10", "f1 ", "\x00\xff"]
FIELD_PATTERNS = ["*", "f*", "?", "[ab]", "f[12]", "", "1*", "*1", "\\*", "[^f]*"]
SCAN_TYPES = ["hash", "string", "HASH", "list", "set", "nosuch"]
HASH_FAVOURED = ["k1", "k2", "hello", "a*b"]

READ_ONLY = {"GET", "MGET", "EXISTS", "TYPE", "KEYS", "TTL", "PTTL", "EXPIRETIME",
             "PEXPIRETIME", "STRLEN", "GETRANGE", "GETBIT", "BITCOUNT", "BITPOS", "DBSIZE",
             "RANDOMKEY", "OBJECT", "PING", "ECHO", "NOSUCHCMD", "GETT", "SETX", "SCAN",
             "HGET", "HMGET", "HGETALL", "HKEYS", "HVALS", "HLEN", "HEXISTS", "HSTRLEN",
             "HRANDFIELD", "HSCAN", "LLEN", "LRANGE", "LINDEX", "LPOS", "SCARD", "SISMEMBER",
             "SMISMEMBER", "SMEMBERS", "SRANDMEMBER", "SINTER", "SUNION", "SDIFF",
             "SINTERCARD", "SSCAN", "ZCARD", "ZSCORE", "ZMSCORE", "ZRANK", "ZREVRANK", "ZCOUNT",
             "ZLEXCOUNT", "ZRANGE", "ZREVRANGE", "ZRANGEBYSCORE", "ZREVRANGEBYSCORE",
             "ZRANGEBYLEX", "ZREVRANGEBYLEX", "ZRANDMEMBER", "ZSCAN", "ZUNION", "ZINTER",
             "ZDIFF", "ZINTERCARD", "XLEN", "XRANGE", "XREVRANGE", "XREAD", "XPENDING",
             "XINFO"}

# Lists: list commands favour two keys of the pool (other than the hash ones) and two keys
# that only list commands (and KEYS, SCAN, FLUSHDB, SWAPDB) name, so some lists live long and
# grow into many quicklist nodes. Elements collide, include integers, the empty string, binary
# bytes and (rarely) an element bigger than an 8 kB node.
LIST_FAVOURED = ["k3", "hallo", "lst1", "lst2"]
ELEMS = ["a", "b", "c", "a", "b", "1", "01", "-1", "10", "", "hello world", "\x00\xff",
         "9223372036854775807", "x" * 50]
LIST_INDEXES = ["0", "0", "1", "2", "-1", "-1", "-2", "3", "5", "-5", "10", "-10", "100", "-100",
                "abc", "9223372036854775807", "-9223372036854775808"]
LIST_COUNTS = ["0", "1", "1", "2", "3", "5", "100", "-1", "abc"]


# Sets: set commands favour two keys of the pool (other than the hash and list ones) and two
# of their own. Members are mostly small integers (intset) and sometimes not (hashtable).
SET_FAVOURED = ["k4", "hxllo", "st1", "st2"]
SET_MEMBERS = ["a", "b", "x", "007", "-0", "+1", "", "\x00\xff", "9223372036854775807",
               "-9223372036854775808", "9223372036854775808", "1.5", "hello world"]
MEMBER_PATTERNS = ["*", "1*", "-*", "?", "[0-9]", "*0", "a*", "", "[^1]*"]

# Sorted sets: zset commands favour three keys of their own and one of the pool. Lex range
# commands only name ZSET_LEX keys, which only ever get score 0 (from ZADD ... 0 m, or stores
# of lex keys into lex keys): Redis leaves lex ranges over mixed scores unspecified.
ZSET_FAVOURED = ["zs1", "zs2", "zs3", "hllo"]
ZSET_WEIGHT = 3
ZSET_LEX = ["zl1", "zl2"]
ZSET_MEMBERS = ["a", "b", "c", "d", "e", "1", "2", "10", "", "aa", "ab", "\x00\xff", "B",
                "hello world", "-", "+", "["]
ZSET_SCORES = ["inf", "-inf", "+inf", "0.1", "1e3", "1.5e308", "-0", "0x10", "abc", "nan",
               "", "123456789012345678", "4503599627370497", "1e-300", "0.30000000000000004",
               "3.141592653589793", "1e400", " 1", "9007199254740993"]
ZSET_BOUNDS = ["-inf", "+inf", "inf", "(-inf", "(+inf", "0", "(0", "1.5", "(2.5", "3", "",
               "(", "abc", "nan", "1e400", "-0", "0x2", "(1e-300"]
ZSET_LEX_BOUNDS = ["-", "+", "[a", "(a", "[b", "(b", "[aa", "(ab", "[", "(", "[w05", "(w1",
                   "[w127", "(w2", "[\xff", "a", "", "[c", "(e", "[+", "[-"]

# Streams: stream commands favour keys of their own (and sometimes any key of the pool, for
# WRONGTYPE), small groups and consumer pools, and ids from a monotone counter.
STREAM_FAVOURED = ["xs1", "xs2", "xs3", "hllo"]
STREAM_GROUPS = ["grp1", "grp2", "nogrp"]
STREAM_CONSUMERS = ["alice", "bob", "carol"]
STREAM_FIELDS = ["f", "g", "", "1", "\x00\xff", "x" * 30]


class _Transaction(list):
    """Marks the table entry that starts a MULTI ... EXEC block in RandomScript.commands."""


class _SetRandom(list):
    """Marks the table entry for SPOP/SRANDMEMBER (RandomScript.set_random)."""


class _ZSetRandom(list):
    """Marks the table entry for ZRANDMEMBER (RandomScript.zset_random)."""


class _StreamBatch(list):
    """A run of XADDs (RandomScript.xadd_many), sent one by one."""


class RandomScript:
    """Yields commands; receives the reference reply of each (used only for RANDOMKEY)."""

    def __init__(self, rng, lists_ok):
        self.rng = rng
        self.lists_ok = lists_ok
        self.rel_seconds = 100000  # strictly increasing relative expiry, in seconds
        self.stream_ms = 1000      # the ms part of the next explicit stream id
        self.stream_ids = ["1-1"]  # recent ids, for ranges, XDEL, XACK, XCLAIM

    def key(self):
        return self.rng.choice(KEYS_POOL)

    def val(self):
        if self.rng.random() < 0.3:
            return str(self.rng.randint(-1000, 1000))
        return self.rng.choice(VALUES)

    def rel(self, ms=False):
        """A relative expiry, larger than every earlier one by 100 s, so GT/LT comparisons
        between two relative expiries never depend on when the servers ran them."""
        self.rel_seconds += 100
        return str(self.rel_seconds * 1000 if ms else self.rel_seconds)

    def absolute(self, ms=False):
        s = FAR + self.rng.randint(0, 50) * 1000
        return str(s * 1000 + self.rng.randint(0, 999) if ms else s)

    def expire_arg(self, cmd):
        r = self.rng.random()
        if r < 0.06:
            return self.rng.choice(["0", "-1", "abc", "1.5", "9223372036854775807"])
        if cmd in ("EXPIRE", "PEXPIRE"):
            return self.rel(cmd == "PEXPIRE")
        if r < 0.12:
            return self.rng.choice(["1", "0", "-5"])  # in the past: deletes the key
        return self.absolute(cmd == "PEXPIREAT")

    def set_opts(self):
        rng = self.rng
        opts = []
        r = rng.random()
        if r < 0.15:
            opts += ["EX", self.rel()]
        elif r < 0.25:
            opts += ["PX", self.rel(ms=True)]
        elif r < 0.32:
            opts += ["EXAT", self.absolute()]
        elif r < 0.38:
            opts += ["PXAT", self.absolute(ms=True)]
        elif r < 0.45:
            opts += ["KEEPTTL"]
        elif r < 0.48:
            opts += [rng.choice(["EX", "PX"]), rng.choice(["0", "-1", "abc", ""])]
        if rng.random() < 0.2:
            opts.append(rng.choice(["NX", "XX"]))
        if rng.random() < 0.2:
            opts.append("GET")
        if rng.random() < 0.03:
            opts += rng.choice([["NX", "XX"], ["EX", "10", "PX", "10"], ["KEEPTTL", "EX", "10"],
                                ["FOO"], ["EX"]])
        return opts

    def hkey(self):
        """Hash commands favour four keys of the pool, so hashes live long enough to grow;
        string and key commands still reach the same keys."""
        if self.rng.random() < 0.5:
            return self.rng.choice(HASH_FAVOURED)
        return self.key()

    def field(self):
        r = self.rng.random()
        if r < 0.02:
            return "F" * 65
        if r < 0.04:
            return "G" * 64
        return self.rng.choice(FIELDS)

    def hval(self):
        r = self.rng.random()
        if r < 0.03:
            return "V" * 65
        if r < 0.05:
            return "W" * 64
        return self.val()

    def pairs(self, lo=1, hi=3):
        return sum([[self.field(), self.hval()] for _ in range(self.rng.randint(lo, hi))], [])

    def many_fields(self):
        """HSET with up to 530 fields of their own (bf0 ...): listpack up to 512, else hashtable."""
        n = self.rng.choice([5, 60, 128, 129, 300, 511, 512, 513, 530])
        return ["HSET", self.hkey()] + sum([[f"bf{i}", str(i)] for i in range(n)], [])

    def hscan(self):
        rng = self.rng
        k = self.hkey()
        cursor = rng.choice(["0", "0", "0", "0", "7", "abc", "-1"])
        opts = rng.choice([[], [], ["MATCH", rng.choice(FIELD_PATTERNS)],
                           ["COUNT", rng.choice(["1", "3", "100"])],
                           ["MATCH", rng.choice(FIELD_PATTERNS), "COUNT", rng.choice(["1", "5"])],
                           ["COUNT", rng.choice(["0", "-1", "x"])], ["MATCH"], ["FOO", "x"]])
        return ScanAll(["HSCAN", k, cursor] + opts, True, key=k)

    def scan(self):
        rng = self.rng
        opts = rng.choice([["TYPE", rng.choice(SCAN_TYPES)], ["TYPE", "hash"],
                           ["MATCH", rng.choice(PATTERNS), "TYPE", rng.choice(SCAN_TYPES)],
                           ["COUNT", "2", "TYPE", "hash"], [], ["TYPE"], ["COUNT", "0"]])
        return ScanAll(["SCAN", rng.choice(["0"] * 9 + ["x"])] + opts, False)

    def hrandfield(self, key, hlen_reply):
        """An HRANDFIELD whose reply is determined, given the reference's HLEN of key just
        before: every form on a missing or wrong-type key, and on a hash a count of 0, a count
        >= its size, or (one field) anything."""
        rng = self.rng
        n = int(hlen_reply[1:-2]) if hlen_reply.startswith(b":") else 0
        if n == 0:
            args = rng.choice([[], [rng.choice(["-5", "0", "3", "abc", "-9223372036854775808"])],
                               [rng.choice(["-5", "0", "3"]), "WITHVALUES"]])
        elif n == 1:
            args = rng.choice([[], ["-3"], ["-3", "WITHVALUES"], ["1"], ["5", "WITHVALUES"],
                               ["0"], ["-1"]])
        else:
            count = rng.choice(["0", str(n), str(n + 1), str(n + 3), "9223372036854775807",
                                "abc", "-9223372036854775808"])
            args = [count]
            if count != "9223372036854775807" and rng.random() < 0.4:
                args.append(rng.choice(["WITHVALUES", "WITHVALUES", "withvalues", "FOO"]))
        how = "pairs" if args[1:] and args[1].upper() == "WITHVALUES" else "set"
        return Unordered([self.randcase("HRANDFIELD"), key] + args, how, key)

    def hash_read(self, key):
        """A read of a whole hash, compared in any order when it is hashtable-encoded."""
        rng = self.rng
        r = rng.random()
        if r < 0.3:
            return Unordered(["HGETALL", key], "pairs", key)
        if r < 0.45:
            return Unordered([rng.choice(["HKEYS", "HVALS"]), key], "set", key)
        if r < 0.75:
            return ScanAll(["HSCAN", key, "0"] + rng.choice(
                [[], ["COUNT", "3"], ["MATCH", rng.choice(FIELD_PATTERNS)]]), True, key=key)
        return ["HLEN", key]

    def lkey(self):
        if self.rng.random() < 0.5:
            return self.rng.choice(LIST_FAVOURED)
        return self.key()

    def elem(self):
        r = self.rng.random()
        if r < 0.01:
            return "E" * 9000
        if r < 0.2:
            return str(self.rng.randint(-20, 20))
        return self.rng.choice(ELEMS)

    def many_elements(self):
        """A push of up to 1200 elements: past one 8 kB node and into several."""
        n = self.rng.choice([20, 100, 300, 600, 1200])
        return [self.rng.choice(["RPUSH", "LPUSH"]), self.lkey()] + [
            f"m{i}" if i % 7 else self.elem() for i in range(n)]

    def lpos(self):
        rng = self.rng
        pairs = []
        for name, vals in (("RANK", ["1", "2", "-1", "-2", "3", "0", "-100", "abc"]),
                           ("COUNT", ["0", "1", "2", "5", "-1"]),
                           ("MAXLEN", ["0", "1", "3", "10", "1000", "-1"])):
            if rng.random() < 0.35:
                pairs.append([name, rng.choice(vals)])
        rng.shuffle(pairs)  # options in any order
        opts = sum(pairs, [])
        if opts and rng.random() < 0.05:
            opts.pop()  # an option without its value: syntax error
        return ["LPOS", self.lkey(), self.elem()] + opts

    def lmpop(self):
        rng = self.rng
        keys = [self.lkey() for _ in range(rng.randint(1, 3))]
        n = str(len(keys))
        if rng.random() < 0.08:
            n = rng.choice(["0", "-1", "abc", str(len(keys) + 1), "1"])
        opts = []
        if rng.random() < 0.5:
            opts = ["COUNT", rng.choice(LIST_COUNTS)]
        side = rng.choice(["LEFT", "RIGHT", "left"] + (["UP"] if rng.random() < 0.05 else []))
        return ["LMPOP", n] + keys + [side] + opts

    def list_table(self):
        rng = self.rng
        k, e = self.lkey, self.elem
        side = lambda: rng.choice(["LEFT", "RIGHT"])  # noqa: E731
        idx = lambda: rng.choice(LIST_INDEXES)  # noqa: E731
        return [
            (5, lambda: [rng.choice(["LPUSH", "RPUSH"]), k()]
             + [e() for _ in range(rng.randint(1, 4))]),
            (1.5, lambda: [rng.choice(["LPUSHX", "RPUSHX"]), k()]
             + [e() for _ in range(rng.randint(1, 2))]),
            (2, lambda: ["LLEN", k()]),
            (3, lambda: ["LRANGE", k()] + (["0", "-1"] if rng.random() < 0.4 else [idx(), idx()])),
            (3, lambda: [rng.choice(["LPOP", "RPOP"]), k()]
             + ([rng.choice(LIST_COUNTS)] if rng.random() < 0.5 else [])),
            (2, lambda: ["LINDEX", k(), idx()]),
            (1.5, lambda: ["LSET", k(), idx(), e()]),
            (1.5, lambda: ["LREM", k(), rng.choice(["0", "1", "2", "-1", "-2", "5", "abc"]), e()]),
            (1, lambda: ["LTRIM", k(), idx(), idx()]),
            (1.5, lambda: ["LINSERT", k(), rng.choice(["BEFORE", "AFTER", "after"]
                                                      + (["MIDDLE"] if rng.random() < 0.05
                                                         else [])), e(), e()]),
            (2, self.lpos),
            (2, lambda: ["LMOVE", k(), k(), side(), side()]),
            (0.7, lambda: ["RPOPLPUSH", k(), k()]),
            (1.5, self.lmpop),
            (0.4, self.many_elements),
            (0.4, lambda: rng.choice([["LPUSH", k()], ["LRANGE", k(), "0"], ["LSET", k(), "0"],
                                      ["LPOP"], ["LINSERT", k(), "BEFORE", e()],
                                      ["LMOVE", k(), k(), "LEFT"], ["LMPOP", "1", k()],
                                      ["LPOS", k()], ["LTRIM", k(), "0"], ["LLEN"],
                                      ["RPOPLPUSH", k()], ["LREM", k(), "0"]])),
        ]

    def skey(self):
        if self.rng.random() < 0.5:
            return self.rng.choice(SET_FAVOURED)
        return self.key()

    def member(self):
        if self.rng.random() < 0.9:
            return str(self.rng.randint(-20, 40))
        return self.rng.choice(SET_MEMBERS)

    def many_members(self):
        """SADD of up to 600 integers: an intset up to 512 members, else a hashtable."""
        n = self.rng.choice([10, 100, 300, 511, 512, 513, 600])
        start = self.rng.choice([-300, 0, 100])
        return ["SADD", self.skey()] + [str(i) for i in range(start, start + n)]

    def set_read(self, name, keys):
        """SINTER/SUNION/SDIFF (or SMEMBERS): in any order when an input is a hashtable or
        the result is past 512 members."""
        return Unordered([name] + keys, "set", list(keys), big=True)

    def sscan(self):
        rng = self.rng
        k = self.skey()
        cursor = rng.choice(["0", "0", "0", "0", "7", "abc", "-1"])
        opts = rng.choice([[], [], ["MATCH", rng.choice(MEMBER_PATTERNS)],
                           ["COUNT", rng.choice(["1", "3", "100"])],
                           ["MATCH", rng.choice(MEMBER_PATTERNS), "COUNT", rng.choice(["1", "5"])],
                           ["COUNT", rng.choice(["0", "-1", "x"])], ["MATCH"], ["FOO", "x"]])
        return ScanAll(["SSCAN", k, cursor] + opts, False, key=k)

    def set_random(self):
        """SPOP/SRANDMEMBER where the reply is determined, given the reference's SCARD and
        OBJECT ENCODING just before: any form on a missing or wrong-type key, any form on a
        one-member set, count 0, count >= size (the whole set: ascending for an intset, in
        any order for a hashtable), bad counts; SRANDMEMBER with a negative count is compared
        by length only."""
        rng = self.rng
        k = self.skey()
        card = yield ["SCARD", k]
        enc = yield ["OBJECT", "ENCODING", k]
        n = int(card[1:-2]) if card.startswith(b":") else 0
        name = rng.choice(["SPOP", "SRANDMEMBER"])
        if n <= 1:
            args = rng.choice([[], ["0"], ["1"], ["3"], ["-3"], ["abc"]])
        else:
            args = [rng.choice(["0", str(n), str(n + 1), str(n + 5), "9223372036854775807",
                                "abc", "-1", "-" + str(n + 2)])]
        cmd = [self.randcase(name), k] + args
        if args and args[0].startswith("-") and name == "SRANDMEMBER" and n > 1:
            yield Unordered(cmd, "len")
        elif b"hashtable" in enc and n > 1:
            yield Unordered(cmd, "set")
        else:
            yield cmd
        if name == "SPOP" and rng.random() < 0.5:
            yield ["EXISTS", k]

    def set_table(self):
        rng = self.rng
        k, m = self.skey, self.member
        keys = lambda: [k() for _ in range(rng.randint(1, 3))]  # noqa: E731

        def sintercard():
            ks = keys()
            n = str(len(ks))
            if rng.random() < 0.08:
                n = rng.choice(["0", "-1", "abc", str(len(ks) + 1)])
            opts = []
            if rng.random() < 0.4:
                opts = ["LIMIT", rng.choice(["0", "1", "2", "5", "100", "-1", "abc"])]
            return ["SINTERCARD", n] + ks + opts

        return [
            (5, lambda: ["SADD", k()] + [m() for _ in range(rng.randint(1, 4))]),
            (3, lambda: ["SREM", k()] + [m() for _ in range(rng.randint(1, 3))]),
            (2, lambda: ["SCARD", k()]),
            (2, lambda: ["SISMEMBER", k(), m()]),
            (1.5, lambda: ["SMISMEMBER", k()] + [m() for _ in range(rng.randint(1, 4))]),
            (3, lambda: self.set_read("SMEMBERS", [k()])),
            (4, lambda: self.set_read(rng.choice(["SINTER", "SUNION", "SDIFF"]), keys())),
            (3, lambda: [rng.choice(["SINTERSTORE", "SUNIONSTORE", "SDIFFSTORE"]), k()]
             + keys()),
            (1.5, sintercard),
            (2, lambda: ["SMOVE", k(), k(), m()]),
            (1.5, self.sscan),
            (2.5, lambda: _SetRandom()),
            (0.3, self.many_members),
            (0.4, lambda: rng.choice([["SADD", k()], ["SREM"], ["SCARD"], ["SISMEMBER", k()],
                                      ["SMISMEMBER", k()], ["SMEMBERS"], ["SPOP"],
                                      ["SRANDMEMBER", k(), "1", "2"], ["SMOVE", k(), k()],
                                      ["SINTER"], ["SUNIONSTORE", k()], ["SINTERCARD", "1"],
                                      ["SSCAN", k()]])),
        ]

    def zkey(self):
        """Zset commands favour three keys of their own and one of the pool (so TYPE, RENAME,
        COPY ... and WRONGTYPE meet zsets); the rest of the time any pool key."""
        if self.rng.random() < 0.6:
            return self.rng.choice(ZSET_FAVOURED)
        return self.key()

    def zmember(self):
        r = self.rng.random()
        if r < 0.01:
            return "Z" * 65
        if r < 0.02:
            return "Y" * 64
        if r < 0.6:
            return self.rng.choice(ZSET_MEMBERS[:8])
        return self.rng.choice(ZSET_MEMBERS)

    def zscore(self):
        r = self.rng.random()
        if r < 0.55:
            return str(self.rng.randint(-5, 10))
        if r < 0.8:
            return self.rng.choice(["0.5", "1.5", "-2.25", "0.1", "2.5", "3"])
        return self.rng.choice(ZSET_SCORES)

    def zbound(self):
        r = self.rng.random()
        if r < 0.5:
            b = str(self.rng.randint(-5, 10))
            return "(" + b if self.rng.random() < 0.3 else b
        return self.rng.choice(ZSET_BOUNDS)

    def zlimit(self):
        if self.rng.random() < 0.3:
            return ["LIMIT", self.rng.choice(["0", "1", "2", "5", "-1", "abc"]),
                    self.rng.choice(["0", "1", "3", "10", "-1", "abc"])]
        return []

    def zadd(self, key=None, lex=False):
        rng = self.rng
        key = key or self.zkey()
        opts = []
        if not lex:
            for o in ("NX", "XX", "GT", "LT", "CH", "INCR"):
                if rng.random() < 0.1:
                    opts.append(o if rng.random() < 0.8 else o.lower())
            rng.shuffle(opts)
        n = 1 if "INCR" in opts and rng.random() < 0.9 else rng.randint(1, 4)
        pairs = sum([["0" if lex else self.zscore(), self.zmember()] for _ in range(n)], [])
        if not lex and rng.random() < 0.03:
            pairs.append(self.zmember())  # odd: syntax error
        return ["ZADD", key] + opts + pairs

    def many_zmembers(self):
        """ZADD of up to 200 members of their own: a listpack up to 128, else a skiplist."""
        rng = self.rng
        n = rng.choice([10, 60, 127, 128, 129, 200])
        key = self.zkey()
        if rng.random() < 0.3:
            lk = rng.choice(ZSET_LEX)
            return ["ZADD", lk] + sum([["0", f"w{i:03d}"] for i in range(n)], [])
        return ["ZADD", key] + sum([[str(rng.randint(-50, 50) / 2), f"w{i}"]
                                    for i in range(n)], [])

    def zrange(self):
        rng = self.rng
        k = self.zkey()
        r = rng.random()
        ws = ["WITHSCORES"] if rng.random() < 0.5 else []
        if r < 0.3:
            return ["ZRANGE", k, rng.choice(LIST_INDEXES), rng.choice(LIST_INDEXES)] + (
                ["REV"] if rng.random() < 0.3 else []) + ws
        if r < 0.55:
            rev = rng.random() < 0.4
            return (["ZRANGE", k, self.zbound(), self.zbound(), "BYSCORE"]
                    + (["REV"] if rev else []) + self.zlimit() + ws)
        if r < 0.7:
            return [rng.choice(["ZRANGEBYSCORE", "ZREVRANGEBYSCORE"]), k, self.zbound(),
                    self.zbound()] + ws + self.zlimit()
        if r < 0.85:
            return ["ZREVRANGE", k, rng.choice(LIST_INDEXES), rng.choice(LIST_INDEXES)] + ws
        # Errors: LIMIT without BY..., WITHSCORES with BYLEX, BYSCORE BYLEX.
        return ["ZRANGE", k] + rng.choice([["0", "-1", "LIMIT", "0", "1"],
                                           ["-", "+", "BYLEX", "WITHSCORES"],
                                           ["0", "1", "BYSCORE", "BYLEX"], ["0", "1", "FOO"]])

    def lex_range(self):
        rng = self.rng
        k = rng.choice(ZSET_LEX)
        a, b = rng.choice(ZSET_LEX_BOUNDS), rng.choice(ZSET_LEX_BOUNDS)
        r = rng.random()
        if r < 0.2:
            return ["ZLEXCOUNT", k, a, b]
        if r < 0.4:
            return ["ZRANGEBYLEX", k, a, b] + self.zlimit()
        if r < 0.55:
            return ["ZREVRANGEBYLEX", k, a, b] + self.zlimit()
        if r < 0.8:
            return ["ZRANGE", k, a, b, "BYLEX"] + (["REV"] if rng.random() < 0.4 else []) \
                + self.zlimit()
        if r < 0.9:
            return ["ZREMRANGEBYLEX", k, a, b]
        return ["ZRANGESTORE", rng.choice(ZSET_LEX), k, a, b, "BYLEX"] + self.zlimit()

    def zsetop(self, store):
        rng = self.rng
        name = rng.choice(["ZUNION", "ZINTER", "ZDIFF"])
        keys = [self.zkey() if rng.random() < 0.85 else rng.choice(SET_FAVOURED)
                for _ in range(rng.randint(1, 3))]
        n = str(len(keys))
        if rng.random() < 0.05:
            n = rng.choice(["0", "-1", "abc", str(len(keys) + 1)])
        opts = []
        if name != "ZDIFF" or rng.random() < 0.05:
            if rng.random() < 0.4:
                opts += ["WEIGHTS"] + [rng.choice(["1", "2", "0", "-1", "0.5", "inf", "x"])
                                       for _ in keys]
            if rng.random() < 0.4:
                opts += ["AGGREGATE", rng.choice(["SUM", "MIN", "MAX", "min", "FOO"])]
        if store:
            return [name + "STORE", self.zkey(), n] + keys + opts
        return [name, n] + keys + opts + (["WITHSCORES"] if rng.random() < 0.6 else [])

    def zscan(self):
        rng = self.rng
        k = self.zkey()
        cursor = rng.choice(["0", "0", "0", "0", "7", "abc"])
        opts = rng.choice([[], [], ["MATCH", rng.choice(["*", "a*", "w1*", "?", "[ab]", ""])],
                           ["COUNT", rng.choice(["1", "3", "100"])], ["COUNT", "0"], ["MATCH"]])
        return ScanAll(["ZSCAN", k, cursor] + opts, True, key=k)

    def zset_random(self):
        """ZRANDMEMBER where the reply is determined, given the reference's ZCARD just before:
        any form on a missing or wrong-type key or a one-member set, count 0, a count >= the
        size (the whole set: Redis 7.0 answers it in descending order), bad counts; a negative
        count is compared by length only."""
        rng = self.rng
        k = self.zkey()
        card = yield ["ZCARD", k]
        n = int(card[1:-2]) if card.startswith(b":") else 0
        if n <= 1:
            args = rng.choice([[], ["0"], ["1"], ["3"], ["-3"], ["abc"], ["2", "WITHSCORES"],
                               ["-2", "WITHSCORES"]])
        else:
            args = [rng.choice(["0", str(n), str(n + 1), "9223372036854775807", "abc", "-1",
                                "-" + str(n + 2)])]
            if rng.random() < 0.4:
                args.append(rng.choice(["WITHSCORES", "withscores", "FOO"]))
        cmd = [self.randcase("ZRANDMEMBER"), k] + args
        if args and args[0].startswith("-") and n > 1:
            yield Unordered(cmd, "len")
        else:
            yield cmd

    def zset_table(self):
        rng = self.rng
        k, m = self.zkey, self.zmember
        idx = lambda: rng.choice(LIST_INDEXES)  # noqa: E731
        zown = lambda: rng.choice(ZSET_FAVOURED[:3])  # noqa: E731
        return [
            (6, self.zadd),
            (1.5, lambda: self.zadd(rng.choice(ZSET_LEX), lex=True)),
            (2, lambda: ["ZINCRBY", k(), self.zscore(), m()]),
            (2.5, lambda: ["ZREM", rng.choice([k(), rng.choice(ZSET_LEX)])]
             + [m() for _ in range(rng.randint(1, 3))]),
            (1.5, lambda: ["ZCARD", k()]),
            (2, lambda: ["ZSCORE", k(), m()]),
            (1, lambda: ["ZMSCORE", k()] + [m() for _ in range(rng.randint(1, 4))]),
            (2, lambda: [rng.choice(["ZRANK", "ZREVRANK"]), k(), m()]),
            (1.5, lambda: ["ZCOUNT", k(), self.zbound(), self.zbound()]),
            (6, self.zrange),
            (2.5, self.lex_range),
            (1.5, lambda: ["ZRANGESTORE", k(), k(), idx(), idx()] if rng.random() < 0.5 else
             ["ZRANGESTORE", k(), k(), self.zbound(), self.zbound(), "BYSCORE"]
             + (["REV"] if rng.random() < 0.3 else []) + self.zlimit()),
            (1, lambda: ["ZREMRANGEBYRANK", k(), idx(), idx()]),
            (1, lambda: ["ZREMRANGEBYSCORE", k(), self.zbound(), self.zbound()]),
            (2, lambda: [rng.choice(["ZPOPMIN", "ZPOPMAX"]), k()]
             + ([rng.choice(LIST_COUNTS)] if rng.random() < 0.6 else [])),
            (1.5, lambda: (lambda ks: ["ZMPOP", str(len(ks))] + ks
                           + [rng.choice(["MIN", "MAX", "max"])]
                           + (["COUNT", rng.choice(LIST_COUNTS)] if rng.random() < 0.5 else []))(
                               [k() for _ in range(rng.randint(1, 3))])),
            (2.5, lambda: self.zsetop(False)),
            (1.5, lambda: self.zsetop(True)),
            (1, lambda: (lambda ks: ["ZINTERCARD", str(len(ks))] + ks + (
                ["LIMIT", rng.choice(["0", "1", "2", "-1"])] if rng.random() < 0.4 else []))(
                    [k() for _ in range(rng.randint(1, 3))])),
            (1.5, self.zscan),
            (2, lambda: _ZSetRandom()),
            (0.8, self.many_zmembers),
            (0.8, lambda: ["OBJECT", "ENCODING", rng.choice([k(), rng.choice(ZSET_LEX)])]),
            # BY nosort only on keys that hold nothing but zsets (a hashtable set's own order
            # would show).
            (0.5, lambda: rng.choice([["SORT", k()], ["SORT", zown(), "BY", "nosort"],
                                      ["SORT", zown(), "BY", "nosort", "DESC", "LIMIT", "1", "3"],
                                      ["SORT", k(), "ALPHA", "LIMIT", "0", "5"]])),
            (0.4, lambda: rng.choice([["ZADD", k()], ["ZADD", k(), "1"], ["ZINCRBY", k(), "1"],
                                      ["ZRANGE", k(), "0"], ["ZCARD"], ["ZPOPMIN"],
                                      ["ZMPOP", "1", k()], ["ZUNION", "1"], ["ZSCAN", k()],
                                      ["ZRANDMEMBER"], ["ZREM", k()], ["ZINTERCARD", "1"]])),
        ]

    def xkey(self):
        if self.rng.random() < 0.85:
            return self.rng.choice(STREAM_FAVOURED)
        return self.key()

    def xid(self):
        """A recent id (or a near one), sometimes an id form that is not one."""
        rng = self.rng
        r = rng.random()
        if r < 0.04:
            return rng.choice(["abc", "-1", "1-", "", "1.5", "0x10"])
        if r < 0.1:
            return rng.choice(["0", "0-0", "0-1", "1", str(self.stream_ms), MAX_ID])
        ms, seq = self.rng.choice(self.stream_ids[-40:]).split("-")
        if r < 0.25:
            return ms
        if r < 0.35:
            return f"{ms}-{int(seq) + 1}"
        return f"{ms}-{seq}"

    def xbound(self, end):
        rng = self.rng
        r = rng.random()
        if r < 0.25:
            return "+" if end else "-"
        if r < 0.35:
            return "(" + self.xid()
        return self.xid()

    def xadd(self):
        rng = self.rng
        k = self.xkey()
        opts = []
        if rng.random() < 0.25:
            how = rng.choice([[], ["="], ["~"]])
            if rng.random() < 0.7:
                opts = ["MAXLEN"] + how + [rng.choice(["0", "1", "3", "10", "50", "150", "-1"])]
            else:
                opts = ["MINID"] + how + [self.xid()]
            if how == ["~"] and rng.random() < 0.3:
                opts += ["LIMIT", rng.choice(["0", "1", "100", "-1"])]
        if rng.random() < 0.05:
            opts = ["NOMKSTREAM"] + opts
        r = rng.random()
        if r < 0.75:
            self.stream_ms += rng.choice([0, 1, 1, 2, 7])
            seq = rng.choice([0, 1, 2]) if r < 0.6 else "*"
            ident = f"{self.stream_ms}-{seq}"
        elif r < 0.9:
            ident = self.xid()  # an old id: the top-item error, usually
        else:
            ident = rng.choice(["0-0", "0", "abc", "*0", MAX_ID])
        n = rng.choice([1, 1, 1, 2, 3])
        fields = []
        for _ in range(n):
            fields += [rng.choice(STREAM_FIELDS), self.val()]
        if rng.random() < 0.02:
            fields = fields[:-1]
        cmd = ["XADD", k] + opts + [ident] + fields
        return cmd

    def xadd_many(self):
        """Enough entries at once to fill more than one 100-entry node."""
        rng = self.rng
        k = self.xkey()
        cmds = []
        for _ in range(rng.choice([50, 120, 250])):
            self.stream_ms += 1
            cmds.append(["XADD", k, f"{self.stream_ms}-0", "f", str(self.stream_ms)])
        return cmds

    def stream_table(self):
        rng = self.rng
        k, g, c = self.xkey, lambda: rng.choice(STREAM_GROUPS), lambda: rng.choice(STREAM_CONSUMERS)

        def count():
            return ["COUNT", rng.choice(["0", "1", "2", "5", "-1", "abc"])] if rng.random() < 0.5 \
                else []

        def xrange():
            name = rng.choice(["XRANGE", "XREVRANGE"])
            lo, hi = self.xbound(False), self.xbound(True)
            if name == "XREVRANGE":
                lo, hi = hi, lo
            return [name, k(), lo, hi] + count()

        def xread():
            keys = [k() for _ in range(rng.randint(1, 2))]
            ids = [rng.choice(["0", "$", self.xid()]) for _ in keys]
            opts = count()
            if rng.random() < 0.1:
                opts += ["BLOCK", rng.choice(["1", "abc", "-1"])]
            return ["XREAD"] + opts + ["STREAMS"] + keys + ids

        def xreadgroup():
            keys = [k() for _ in range(rng.randint(1, 2))]
            ids = [rng.choice([">", ">", ">", "0", self.xid()]) for _ in keys]
            opts = count()
            if rng.random() < 0.2:
                opts.append("NOACK")
            if rng.random() < 0.05:
                opts += ["BLOCK", "1"]
            return ["XREADGROUP", "GROUP", g(), c()] + opts + ["STREAMS"] + keys + ids

        def xgroup():
            r = rng.random()
            if r < 0.4:
                start = rng.choice(["0", "$", self.xid()])
                opts = []
                if rng.random() < 0.5:
                    opts.append("MKSTREAM")
                if rng.random() < 0.2:
                    opts += ["ENTRIESREAD", rng.choice(["0", "3", "-1", "-2"])]
                return ["XGROUP", "CREATE", k(), g(), start] + opts
            if r < 0.6:
                opts = ["ENTRIESREAD", rng.choice(["0", "2", "-1"])] if rng.random() < 0.3 else []
                return ["XGROUP", "SETID", k(), g(), rng.choice(["0", "$", self.xid()])] + opts
            if r < 0.7:
                return ["XGROUP", "DESTROY", k(), g()]
            if r < 0.85:
                return ["XGROUP", "CREATECONSUMER", k(), g(), c()]
            return ["XGROUP", "DELCONSUMER", k(), g(), c()]

        def xpending():
            if rng.random() < 0.5:
                return ["XPENDING", k(), g()]
            opts = ["IDLE", rng.choice(["0", "100000000"])] if rng.random() < 0.2 else []
            tail = [c()] if rng.random() < 0.3 else []
            return (["XPENDING", k(), g()] + opts
                    + [self.xbound(False), self.xbound(True), rng.choice(["1", "3", "10"])] + tail)

        def xclaim():
            ids = [self.xid() for _ in range(rng.randint(1, 3))]
            opts = []
            for opt in rng.sample(["JUSTID", "FORCE", "RETRYCOUNT", "LASTID", "IDLE"],
                                  rng.randint(0, 2)):
                if opt == "RETRYCOUNT":
                    opts += [opt, rng.choice(["0", "5"])]
                elif opt == "LASTID":
                    opts += [opt, self.xid()]
                elif opt == "IDLE":
                    opts += [opt, rng.choice(["0", "1000"])]
                else:
                    opts.append(opt)
            return ["XCLAIM", k(), g(), c(), rng.choice(["0", "0", "100000000"])] + ids + opts

        def xautoclaim():
            opts = ["COUNT", rng.choice(["1", "2", "10", "0"])] if rng.random() < 0.5 else []
            if rng.random() < 0.3:
                opts.append("JUSTID")
            return (["XAUTOCLAIM", k(), g(), c(), rng.choice(["0", "0", "100000000"]),
                     rng.choice(["0", "-", self.xid()])] + opts)

        def xtrim():
            how = rng.choice([[], ["="], ["~"]])
            if rng.random() < 0.6:
                cmd = ["XTRIM", k(), "MAXLEN"] + how + [rng.choice(["0", "2", "10", "100"])]
            else:
                cmd = ["XTRIM", k(), "MINID"] + how + [self.xid()]
            if how == ["~"] and rng.random() < 0.3:
                cmd += ["LIMIT", rng.choice(["0", "10", "100"])]
            return cmd

        return [
            (6, self.xadd),
            (0.15, lambda: _StreamBatch(self.xadd_many())),
            (1.5, lambda: ["XLEN", k()]),
            (3, xrange),
            (2, xread),
            (2, lambda: ["XDEL", k()] + [self.xid() for _ in range(rng.randint(1, 3))]),
            (1.5, xtrim),
            (2.5, xgroup),
            (3, xreadgroup),
            (2, lambda: ["XACK", k(), g()] + [self.xid() for _ in range(rng.randint(1, 3))]),
            (2, xpending),
            (1.5, xclaim),
            (1.2, xautoclaim),
            (1.5, lambda: rng.choice([["XINFO", "STREAM", k()], ["XINFO", "GROUPS", k()],
                                      ["XINFO", "CONSUMERS", k(), g()],
                                      ["XINFO", "STREAM", k(), "FULL", "COUNT", "3"]])),
            (0.5, lambda: ["XSETID", k(), self.xid()] + rng.choice(
                [[], ["ENTRIESADDED", rng.choice(["0", "1000"])], ["MAXDELETEDID", self.xid()]])),
        ]

    def queueable(self, makers, weights):
        """A random command whose reply does not depend on anything but the data: no HELLO,
        no SCAN cursor walks and no follow-up that needs the reference's reply."""
        for _ in range(100):
            cmd = self.rng.choices(makers, weights)[0]()
            if (isinstance(cmd, (_Transaction, _SetRandom, _ZSetRandom, ScanAll, _StreamBatch))
                    or cmd[0] == "HELLO"):
                continue
            cmd[0] = self.randcase(cmd[0])
            return cmd
        return ["PING"]

    def watched_write(self, key):
        """A command on a watched key: a change, a write that changes nothing, or a read."""
        rng = self.rng
        choices = [["SET", key, self.val()], ["SET", key, self.val(), "NX"], ["DEL", key],
                   ["GET", key], ["EXPIRE", key, self.rel()], ["PERSIST", key], ["INCR", key],
                   ["HSET", key, self.field(), self.hval()], ["HDEL", key, self.field()],
                   ["APPEND", key, ""], ["EXISTS", key], ["SADD", key, self.member()],
                   ["SREM", key, self.member()], ["SADD", key, "1"],
                   ["SMOVE", key, self.skey(), self.member()], self.zadd(key),
                   ["ZREM", key, self.zmember()], ["ZPOPMIN", key],
                   ["ZMPOP", "1", key, "MAX"], ["ZRANGESTORE", key, self.zkey(), "0", "-1"],
                   ["ZRANGESTORE", self.zkey(), key, "0", "-1"]]
        if self.lists_ok:
            choices += [["RPUSH", key, self.elem()], ["LPOP", key], ["LPOP", key, "0"],
                        ["LTRIM", key, "0", "-1"], ["LREM", key, "0", self.elem()],
                        ["LINSERT", key, "BEFORE", self.elem(), self.elem()],
                        ["LMOVE", key, self.lkey(), "LEFT", "RIGHT"], ["LRANGE", key, "0", "-1"],
                        ["LPUSHX", key, self.elem()]]
        return rng.choice(choices)

    def transaction(self, makers, weights):
        """MULTI, a handful of random commands, then EXEC (compared per queued command) or
        DISCARD; sometimes a WATCH first, with writes by this connection before MULTI.
        Arity errors and unknown commands among the random ones make EXEC abort."""
        rng = self.rng
        if rng.random() < 0.5:
            watched = [self.lkey() if self.lists_ok and rng.random() < 0.3 else self.key()
                       for _ in range(rng.randint(1, 3))]
            yield ["WATCH"] + watched
            for _ in range(rng.choice([0, 1, 1, 2])):
                if rng.random() < 0.6:
                    yield self.watched_write(rng.choice(watched))
                else:
                    yield self.queueable(makers, weights)
        yield [self.randcase("MULTI")]
        queued = [self.queueable(makers, weights) for _ in range(rng.randint(0, 6))]
        for cmd in queued:
            # Sent as a plain command: its reply is +QUEUED (or a queueing error), and a
            # mismatch must not make Pair ask the reference anything while it is in MULTI.
            yield list(cmd)
        if rng.random() < 0.1:
            yield [self.randcase("DISCARD")]
        else:
            yield Exec([self.randcase("EXEC")], queued)

    def randcase(self, name):
        if self.rng.random() < 0.1:
            return "".join(ch.lower() if self.rng.random() < 0.5 else ch for ch in name)
        return name

    def commands(self):
        rng = self.rng
        k, v = self.key, self.val
        table = [
            (8, lambda: ["SET", k(), v()] + self.set_opts()),
            (8, lambda: ["GET", k()]),
            (2, lambda: ["GETEX", k()] + rng.choice(
                [[], ["PERSIST"], ["EX", self.rel()], ["PX", self.rel(True)],
                 ["EXAT", self.absolute()], ["PXAT", self.absolute(True)], ["EX", "0"],
                 ["PERSIST", "EX", "1"], ["FOO"]])),
            (2, lambda: ["GETDEL", k()]),
            (2, lambda: ["GETSET", k(), v()]),
            (2, lambda: ["SETNX", k(), v()]),
            (1, lambda: ["SETEX", k(), self.rel() if rng.random() < 0.7
                         else rng.choice(["0", "-1", "x"]), v()]),
            (1, lambda: ["PSETEX", k(), self.rel(True) if rng.random() < 0.7
                         else rng.choice(["0", "-1", "x"]), v()]),
            (2, lambda: ["MSET"] + sum([[k(), v()] for _ in range(rng.randint(1, 3))], [])
             + ([k()] if rng.random() < 0.05 else [])),
            (2, lambda: ["MSETNX"] + sum([[k(), v()] for _ in range(rng.randint(1, 3))], [])),
            (3, lambda: ["MGET"] + [k() for _ in range(rng.randint(1, 4))]),
            (4, lambda: [rng.choice(["INCR", "DECR"]), k()]),
            (3, lambda: [rng.choice(["INCRBY", "DECRBY"]), k(), rng.choice(INT_ARGS)
                         if rng.random() < 0.4 else str(rng.randint(-50, 50))]),
            (3, lambda: ["INCRBYFLOAT", k(), rng.choice(FLOAT_ARGS)
                         if rng.random() < 0.5 else f"{rng.uniform(-100, 100):.3f}"]),
            (3, lambda: ["APPEND", k(), v()]),
            (2, lambda: ["STRLEN", k()]),
            (3, lambda: ["GETRANGE", k(), rng.choice(RANGE_ARGS), rng.choice(RANGE_ARGS)]),
            (2, lambda: ["SETRANGE", k(), rng.choice(["0", "1", "3", "10", "-1", "abc", "40"]),
                         v()]),
            (2, lambda: ["SETBIT", k(), str(rng.randint(0, 120)) if rng.random() < 0.8
                         else rng.choice(["-1", "x", "4294967296"]),
                         rng.choice(["0", "1", "1", "2"])]),
            (2, lambda: ["GETBIT", k(), str(rng.randint(0, 120)) if rng.random() < 0.8
                         else rng.choice(["-1", "4294967295"])]),
            (2, lambda: ["BITCOUNT", k()] + rng.choice(
                [[], [rng.choice(RANGE_ARGS), rng.choice(RANGE_ARGS)],
                 [rng.choice(RANGE_ARGS), rng.choice(RANGE_ARGS), rng.choice(["BYTE", "BIT"])],
                 ["0"]])),
            (2, lambda: ["BITPOS", k(), rng.choice(["0", "1", "2"])] + rng.choice(
                [[], [rng.choice(RANGE_ARGS)], [rng.choice(RANGE_ARGS), rng.choice(RANGE_ARGS)],
                 [rng.choice(RANGE_ARGS), rng.choice(RANGE_ARGS), rng.choice(["BYTE", "BIT"])]])),
            (3, lambda: [rng.choice(["DEL", "UNLINK"])] + [k() for _ in range(rng.randint(1, 3))]),
            (3, lambda: ["EXISTS"] + [k() for _ in range(rng.randint(1, 3))]),
            (2, lambda: ["TYPE", k()]),
            (1, lambda: ["TOUCH"] + [k() for _ in range(rng.randint(1, 3))]),
            (2, lambda: ["KEYS", rng.choice(PATTERNS)]),
            (2, lambda: [rng.choice(["RENAME", "RENAMENX"]), k(), k()]),
            (2, lambda: ["COPY", k(), k()] + rng.choice(
                [[], ["REPLACE"], ["DB", str(rng.randint(0, 3))],
                 ["DB", str(rng.randint(0, 3)), "REPLACE"], ["DB", "16"], ["FOO"]])),
            (3, lambda: (lambda c: [c, k(), self.expire_arg(c)] + rng.choice(EXPIRE_OPTS))(
                rng.choice(["EXPIRE", "PEXPIRE", "EXPIREAT", "PEXPIREAT"]))),
            (3, lambda: [rng.choice(["TTL", "PTTL", "EXPIRETIME", "PEXPIRETIME"]), k()]),
            (1, lambda: ["PERSIST", k()]),
            (2, lambda: ["SELECT", rng.choice(["0", "0", "1", "2", "3", "16", "x"])]),
            (1, lambda: ["SWAPDB", str(rng.randint(0, 3)), str(rng.randint(0, 3))]),
            (2, lambda: ["DBSIZE"]),
            (1, lambda: ["FLUSHDB"] + rng.choice([[], [], ["ASYNC"], ["SYNC"]])),
            (0.2, lambda: ["FLUSHALL"]),
            (1, lambda: ["OBJECT", "ENCODING", k()]),
            (1, lambda: ["PING"] + rng.choice([[], ["m"], ["a", "b"]])),
            (1, lambda: ["ECHO", v()]),
            (1, lambda: ["HELLO", rng.choice(["2", "3", "3", "4", "x"])]),
            (0.5, lambda: [rng.choice(["NOSUCHCMD", "GETT", "SETX"]), k()]),
            (0.5, lambda: rng.choice([["GET"], ["SET", k()], ["INCRBY", k()],
                                      ["GETRANGE", k(), "0"], ["EXPIRE", k()]])),
        ]
        f, hv, k = self.field, self.hval, self.hkey
        table += [
            (5, lambda: ["HSET", k()] + self.pairs() + ([f()] if rng.random() < 0.04 else [])),
            (1, lambda: ["HMSET", k()] + self.pairs()),
            (1.5, lambda: ["HSETNX", k(), f(), hv()]),
            (4, lambda: ["HGET", k(), f()]),
            (2, lambda: ["HMGET", k()] + [f() for _ in range(rng.randint(1, 4))]),
            (3, lambda: (lambda key: Unordered(["HGETALL", key], "pairs", key))(k())),
            (1.5, lambda: (lambda key: Unordered(["HKEYS", key], "set", key))(k())),
            (1.5, lambda: (lambda key: Unordered(["HVALS", key], "set", key))(k())),
            (3, lambda: ["HLEN", k()]),  # sometimes followed by HRANDFIELD, see below
            (2, lambda: ["HEXISTS", k(), f()]),
            (3, lambda: ["HDEL", k()] + [f() for _ in range(rng.randint(1, 3))]),
            (3, lambda: ["HINCRBY", k(), f(), rng.choice(INT_ARGS)
                         if rng.random() < 0.4 else str(rng.randint(-50, 50))]),
            (2, lambda: ["HINCRBYFLOAT", k(), f(), rng.choice(FLOAT_ARGS)
                         if rng.random() < 0.5 else f"{rng.uniform(-100, 100):.3f}"]),
            (1.5, lambda: ["HSTRLEN", k(), f()]),
            (2, self.hscan),
            (1.5, self.many_fields),
            (1, self.scan),
            (0.5, lambda: rng.choice([["HSET", k()], ["HSET", k(), f()],
                                      ["HSET", k(), f(), v(), f()], ["HGET", k()], ["HMGET", k()],
                                      ["HDEL", k()], ["HLEN"], ["HINCRBY", k(), f()],
                                      ["HSCAN", k()], ["HRANDFIELD"], ["HSTRLEN", k()],
                                      ["HGETALL"], ["HEXISTS", k()], ["HKEYS"],
                                      ["HVALS", k(), "x"], ["HSETNX", k(), f()],
                                      ["HINCRBYFLOAT", k(), f()], ["HMSET", k(), f()]])),
        ]
        if self.lists_ok:
            table += self.list_table()
        table += self.set_table()
        # Sorted sets have the most commands and two encodings to reach: weighted up.
        table += [(w * ZSET_WEIGHT, m) for w, m in self.zset_table()]
        table += self.stream_table()
        table.append((2.5, lambda: _Transaction(["MULTI"])))
        weights = [w for w, _ in table]
        makers = [m for _, m in table]
        while True:
            cmd = rng.choices(makers, weights)[0]()
            if isinstance(cmd, _Transaction):
                yield from self.transaction(makers, weights)
                continue
            if isinstance(cmd, _SetRandom):
                yield from self.set_random()
                continue
            if isinstance(cmd, _ZSetRandom):
                yield from self.zset_random()
                continue
            if isinstance(cmd, _StreamBatch):
                for c in cmd:
                    yield c
                continue
            if cmd[0] == "XADD" and cmd[-1] != "*":
                reply = yield cmd
                if reply and reply.startswith(b"$") and not reply.startswith(b"$-"):
                    self.stream_ids.append(reply.split(b"\r\n")[1].decode())
                continue
            if (cmd[0] in ("LPUSH", "RPUSH", "LINSERT", "LSET", "LREM", "LTRIM", "LMOVE")
                    and rng.random() < 0.3):
                # Read the list just written back, whole.
                yield cmd
                yield ["LRANGE", cmd[1], "0", "-1"]
                if rng.random() < 0.2:
                    yield ["OBJECT", "ENCODING", cmd[1]]
                continue
            if cmd[0] == "DBSIZE":
                reply = yield cmd
                if reply in (b":0\r\n", b":1\r\n") and rng.random() < 0.5:
                    yield ["RANDOMKEY"]
                continue
            if cmd[0] in ("HSET", "HMSET", "HSETNX") and len(cmd) > 3 and rng.random() < 0.4:
                # A burst of reads of the hash just written, in its current encoding.
                yield cmd
                for _ in range(rng.randint(1, 3)):
                    read = self.hash_read(cmd[1])
                    if read[0] == "HLEN":
                        reply = yield read
                        yield self.hrandfield(cmd[1], reply)
                    else:
                        yield read
                continue
            if cmd[0] == "HLEN" and len(cmd) == 2 and rng.random() < 0.6:
                reply = yield cmd
                yield self.hrandfield(cmd[1], reply)
                continue
            if cmd[0] == "FLUSHDB" and rng.random() < 0.5:
                # An empty db, then a one-key db: the two states where RANDOMKEY is determined.
                yield cmd
                yield ["RANDOMKEY"]
                yield ["SET", k(), v()]
                yield ["RANDOMKEY"]
                continue
            cmd[0] = self.randcase(cmd[0])
            yield cmd


# --------------------------------------------------------------------------------------------
# 4. Patterns that make a naive backtracking glob matcher exponential. Run last: a server
#    that hangs here would time out everything after it. Redis 7.0 answers at once.
# --------------------------------------------------------------------------------------------

def slow_glob_cases():
    return [["FLUSHALL"], ["SET", "a" * 60, "1"], ["KEYS", "a*" * 30 + "b"],
            ["KEYS", "*a" * 40 + "*b"], ["KEYS", "*" * 5000], ["KEYS", "?*" * 40 + "b"],
            ["FLUSHALL"]]


# --------------------------------------------------------------------------------------------
# 3. Protocol cases on fresh connections
# --------------------------------------------------------------------------------------------

def protocol_cases():
    """(name, chunks sent one by one, replies to read, expected state afterwards)."""
    pipeline = b"".join(harness.encode_command("SET", f"p{i}", i) for i in range(300))
    pipeline += b"".join(harness.encode_command("INCR", f"p{i}") for i in range(300))
    pipeline += harness.encode_command("MGET", *[f"p{i}" for i in range(0, 300, 7)])
    inline_pipe = b"PING\r\n" * 200 + b"ECHO x\r\n" * 100
    mixed = (b"SET mk 1\r\n" + harness.encode_command("INCR", "mk") + b"\r\n\n"
             + b"GET mk\n" + harness.encode_command("DEL", "mk"))
    get_bytes = harness.encode_command("SET", "split", "value-split")
    return [
        ("*-1", [b"*-1\r\n"], 0, "open"),
        ("*0", [b"*0\r\n"], 0, "open"),
        ("*abc", [b"*abc\r\n"], 1, "closed"),
        ("*-2", [b"*-2\r\n"], 0, "open"),
        ("multibulk count over INT_MAX", [b"*4294967296\r\n"], 1, "closed"),
        ("bulk length huge", [b"*1\r\n$99999999999\r\n"], 1, "closed"),
        ("bulk length 2^31", [b"*1\r\n$2147483648\r\n"], 1, "closed"),
        ("bulk length over proto-max-bulk-len", [b"*1\r\n$536870913\r\n"], 1, "closed"),
        ("bulk length negative", [b"*1\r\n$-5\r\n"], 1, "closed"),
        ("bulk length -1", [b"*1\r\n$-1\r\n"], 1, "closed"),
        ("bulk length abc", [b"*1\r\n$abc\r\n"], 1, "closed"),
        ("expected $ got +", [b"*1\r\n+x\r\n"], 1, "closed"),
        ("expected $ got :", [b"*2\r\n$4\r\nECHO\r\n:1\r\n"], 1, "closed"),
        ("unbalanced quotes", [b'SET "a b\r\n'], 1, "closed"),
        ("unbalanced single quote", [b"SET 'a b\r\n"], 1, "closed"),
        ("closing quote followed by char", [b'SET "a"b c\r\n'], 1, "closed"),
        ("inline quotes and escapes",
         [b"SET \"k\\x41\\n\" 'v v'\r\n", b"GET \"k\\x41\\n\"\r\n", b"ECHO \"a\\tb\\\\c\\\"\"\r\n",
          b"ECHO 'it\\'s'\r\n", b"ECHO \"\\xZZ\"\r\n"], 5, "open"),
        ("inline extra spaces", [b"  ECHO   a  \r\n", b"  ECHO   a    b  \r\n",
                                 b"   PING   \r\n"], 3, "open"),
        ("inline LF only", [b"PING\n", b"ECHO lf\n"], 2, "open"),
        ("empty lines", [b"\r\n", b"\r\n\r\n", b"\n", b"   \r\n", b"PING\r\n"], 1, "open"),
        ("inline unknown command", [b"NOSUCH a b\r\n"], 1, "open"),
        ("inline $5 is not a bulk", [b"$5\r\n"], 1, "open"),
        ("inline empty string arg", [b'ECHO ""\r\n'], 1, "open"),
        ("empty command name", [b"*1\r\n$0\r\n\r\n"], 1, "open"),
        ("multibulk with CRLF in payload", [harness.encode_command("ECHO", "a\r\nb")], 1, "open"),
        ("split multibulk", [get_bytes[i:i + 3] for i in range(0, len(get_bytes), 3)]
         + [b"*2\r\n$3\r\nGET\r\n", b"$5\r\nsplit\r\n"], 2, "open"),
        ("byte by byte", [bytes([b]) for b in harness.encode_command("ECHO", "slow")]
         + [bytes([b]) for b in b"PING\r\n"], 2, "open"),
        ("pipeline of 601 commands", [pipeline], 601, "open"),
        ("inline pipeline of 300", [inline_pipe], 300, "open"),
        ("mixed inline and multibulk", [mixed], 4, "open"),
        ("valid then error in one write", [b"PING\r\n*1\r\n$4\r\nPING\r\n*x\r\nPING\r\n"],
         3, "closed"),
        ("too big inline request", [b"A" * (64 * 1024 + 10)], 1, "closed"),
        ("too big mbulk count string", [b"*" + b"1" * (64 * 1024 + 10)], 1, "closed"),
        ("multibulk then inline garbage", [b"*2\r\n$4\r\nECHO\r\n$1\r\nx\r\nGARBAGE\r\n"],
         2, "open"),
        ("bulk payload not followed by CRLF", [b"*1\r\n$3\r\nPINGX\r\n"], 1, "open"),
        ("incomplete multibulk, then PING", [b"*2\r\n$4\r\nECHO\r\n"], 0,
         "extra:b\"-ERR Protocol error: expected '$', got 'P'\\r\\n\""),
        ("4 MB bulk in one write",
         [harness.encode_command("SET", "big", "v" * (4 << 20)),
          harness.encode_command("STRLEN", "big"),
          harness.encode_command("GETRANGE", "big", -3, -1),
          harness.encode_command("DEL", "big")], 4, "open"),
        ("lowercase multibulk command", [harness.encode_command("echo", "lc")], 1, "open"),
        ("HELLO 3 then nil",
         [harness.encode_command("HELLO", "3"), harness.encode_command("GET", "nosuch"),
          harness.encode_command("INCRBYFLOAT", "fl", "1.5"),
          harness.encode_command("MGET", "fl", "nosuch"), harness.encode_command("DEL", "fl")],
         5, "open"),
        ("HELLO 2 back", [harness.encode_command("HELLO", "3"),
                          harness.encode_command("HELLO", "2"),
                          harness.encode_command("GET", "nosuch")], 3, "open"),
    ]


def run_protocol_case(srv, chunks, n_replies):
    replies = []
    with srv.connect(REPLY_TIMEOUT_S) as c:
        try:
            for chunk in chunks:
                c.send(chunk)
        except OSError as ex:
            return replies, f"send failed: {ex}"
        for _ in range(n_replies):
            try:
                replies.append(c.read_reply(timeout=3.0))
            except ConnectionClosed:
                return replies, "closed" + (f" with pending {c.pending()!r}" if c.pending() else "")
            except OSError as ex:
                return replies, f"no reply ({ex}); pending {c.pending()!r}"
            except ProtocolError as ex:
                return replies, f"unparseable reply ({ex})"
        return replies, c.state_after()


def hello_masked(replies):
    return [mask_hello(r) if r[:1] in (b"%", b"*") and b"proto" in r else r for r in replies]


def run_protocol(pair, redis_srv, ember_srv):
    for name, chunks, n, expected in protocol_cases():
        pair.commands += 1
        rr, rstate = run_protocol_case(redis_srv, chunks, n)
        if rstate != expected or len(rr) != n:
            print(f"note: reference redis gave {len(rr)} replies, state {rstate!r} for "
                  f"protocol case {name!r} (expected {n}, {expected!r})")
        er, estate = run_protocol_case(ember_srv, chunks, n)
        if hello_masked(rr) != hello_masked(er) or rstate != estate:
            pair.mismatch("protocol", "protocol: " + name, b"".join(rr) + f" [{rstate}]".encode(),
                          b"".join(er) + f" [{estate}]".encode())
        if not ember_srv.alive():
            raise EmberDied(f"ember-server exited during protocol case {name!r}; log tail:\n"
                            f"{ember_srv.log_tail()}")
        # Keep the servers' data in step for the next case.
        pair.run(["FLUSHALL"], "protocol")


# --------------------------------------------------------------------------------------------

def supports_lists(pair):
    """List cases (edge, wrong-type, transaction and random) run only when ember answers
    LPUSH with an integer."""
    try:
        with pair.ember_srv.connect() as c:
            c.send_command("SELECT", "9")
            c.read_reply()
            ok = c.call("LPUSH", "__ember_it_probe", "x").startswith(b":")
            c.call("DEL", "__ember_it_probe")
            return ok
    except (OSError, ConnectionClosed, ProtocolError):
        return False


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[1])
    ap.add_argument("ember", help="path to ember-server (or any redis-compatible server)")
    ap.add_argument("--redis", default=DEFAULT_REDIS, help="reference redis-server 7.0")
    ap.add_argument("--seed", type=int, default=None)
    ap.add_argument("--count", type=int, default=DEFAULT_COUNT,
                    help="random commands per run (bounded)")
    ap.add_argument("--max-mismatches", type=int, default=200,
                    help="stop after this many mismatches")
    args = ap.parse_args()
    seed = args.seed if args.seed is not None else int.from_bytes(os.urandom(4), "little")
    count = max(0, min(args.count, 1_000_000))
    print(f"differential: seed {seed} (rerun with --seed {seed}), {count} random commands",
          flush=True)

    redis_srv = harness.Server(args.redis, ["--save", "", "--appendonly", "no"], name="redis")
    ember_srv = harness.Server(args.ember, name="ember")
    started = time.monotonic()
    pair = None
    failed = False
    try:
        redis_srv.start()
        ember_srv.start()
        pair = Pair(redis_srv, ember_srv)
        lists_ok = supports_lists(pair)
        pair.events.take()  # the probe's events
        print(f"differential: list cases {'on' if lists_ok else 'off (ember has no LPUSH)'}")

        # 1. Edge cases, in RESP2 and again after HELLO 3.
        for proto in ("2", "3"):
            if proto == "3":
                pair.run(["HELLO", "3"], "edge-resp3")
            for cmd in edge_cases(lists_ok):
                pair.run(cmd, f"edge-resp{proto}")
                if len(pair.mismatches) >= args.max_mismatches:
                    raise TooMany()
        pair.run(["HELLO", "2"], "edge-resp3")
        pair.run(["SELECT", "0"], "edge-resp3")

        # 2. Random sequences. After a mismatch on a command that may have changed state,
        # both servers are reset (FLUSHALL, SELECT 0, HELLO 2) so one divergence is reported
        # once instead of cascading through every later command.
        script = RandomScript(random.Random(seed), lists_ok).commands()
        reply = None  # the first send() must be None; later ones carry the reference reply
        resyncs = 0
        for _ in range(count):
            cmd = script.send(reply)
            before = len(pair.mismatches)
            reply = pair.run(cmd, "random")
            if len(pair.mismatches) >= args.max_mismatches:
                raise TooMany()
            if len(pair.mismatches) > before and _name(cmd) not in READ_ONLY:
                resyncs += 1
                for c in (["DISCARD"], ["UNWATCH"], ["FLUSHALL"], ["SELECT", "0"],
                          ["HELLO", "2"]):
                    pair.run(c, "resync", compare=False)
        if resyncs:
            print(f"differential: state reset {resyncs} times after mismatching writes")

        # 3. Protocol cases, from an empty dataset.
        pair.reconnect()
        pair.run(["FLUSHALL"], "protocol")
        run_protocol(pair, redis_srv, ember_srv)

        # 4. Exponential glob patterns, on fresh connections (db 0, RESP2).
        pair.reconnect()
        for cmd in slow_glob_cases():
            pair.run(cmd, "glob-backtracking")
    except TooMany:
        print(f"differential: stopped after {args.max_mismatches} mismatches")
        failed = True
    except EmberDied as ex:
        print(f"differential: FAILED: {ex}")
        failed = True
    except Exception as ex:  # harness or reference failure
        print(f"differential: ERROR: {type(ex).__name__}: {ex}")
        failed = True
    finally:
        if pair is not None:
            pair.close()
        ember_srv.stop()
        redis_srv.stop()

    n_cmds = pair.commands if pair else 0
    n_mis = len(pair.mismatches) if pair else 0
    print(f"differential: {n_cmds} commands, {n_mis} mismatches "
          f"(seed {seed}, {time.monotonic() - started:.1f}s)")
    if n_mis:
        by_cmd = {}
        for _, cmd, _, _ in pair.mismatches:
            name = cmd if isinstance(cmd, str) else _name(cmd)
            by_cmd[name] = by_cmd.get(name, 0) + 1
        print("differential: mismatches by command: "
              + ", ".join(f"{k} {v}" for k, v in sorted(by_cmd.items(), key=lambda kv: -kv[1])))
    return 1 if (failed or n_mis) else 0


class TooMany(Exception):
    pass


if __name__ == "__main__":
    sys.exit(main())
