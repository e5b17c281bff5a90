#!/usr/bin/env python3
"""Ember's RDB codec against a real redis-server 7.0 (tests/tools/rdb_tool.cc drives the codec).

  1. A redis-server (allkeys-lru, so its dump carries IDLE opcodes) is filled through redis-py
     with every type in every encoding Redis 7.0 uses, expiries and keys in all 16 dbs, then
     SAVEs. `rdb_tool print dump.rdb` must equal the same canonical listing computed from the
     live server with redis-py (value, type, OBJECT ENCODING, PEXPIRETIME, and for streams
     XINFO STREAM FULL: entries, counters, groups, PELs, consumers).
  2. `rdb_tool rewrite dump.rdb ember.rdb`; redis-check-rdb must accept ember.rdb, and a fresh
     redis-server started on it must hold the same dataset (same listing).
  3. Older encodings: an RDB version 9 file is built here by hand (ziplists, a zipmap, intsets,
     a quicklist of ziplists, text zset scores, plain LIST/SET/HASH, a version-1 stream, an LZF
     string, int-encoded strings, EXPIRETIME in seconds, FREQ). A real redis-server must load it,
     and `rdb_tool print` must list what that server holds.

Usage: test_rdb_codec.py RDB_TOOL --redis REDIS_SERVER [--check-rdb REDIS_CHECK_RDB]
       test_rdb_codec.py RDB_TOOL --no-redis       (reports SKIP)
Exit status 0 on success or SKIP, 1 on failure.
"""

import argparse
import os
import shutil
import struct
import subprocess
import sys
import tempfile
import time

from harness import Server, check, eq

try:
    import redis
except ImportError:  # pragma: no cover - Debian's python3 has python3-redis
    redis = None

TOOL_TIMEOUT_S = 60


# --------------------------------------------------------------------------------------------
# The canonical listing of a live server (tests/tools/rdb_text.h defines the format)
# --------------------------------------------------------------------------------------------

def quote(b):
    out = ['"']
    for c in b:
        if 0x20 <= c < 0x7F and c not in (0x22, 0x5C):
            out.append(chr(c))
        else:
            out.append("\\x%02x" % c)
    out.append('"')
    return "".join(out)


def score_text(raw):
    return "%.17g" % float(raw)


def pairs(flat):
    """[k1, v1, k2, v2 ...] -> {k1: v1, ...} with str keys."""
    return {flat[i].decode(): flat[i + 1] for i in range(0, len(flat), 2)}


def id_key(raw):
    ms, seq = raw.split(b"-")
    return (int(ms), int(seq))


def stream_text(r, key):
    info = pairs(r.execute_command("XINFO", "STREAM", key, "FULL", "COUNT", "0"))
    entries = []
    for entry_id, fields in info["entries"]:
        entries.append(entry_id.decode() + "[" + ",".join(quote(f) for f in fields) + "]")
    groups = []
    for g in sorted((pairs(g) for g in info["groups"]), key=lambda g: g["name"]):
        pel = []
        for eid, consumer, delivered, count in sorted(g["pending"], key=lambda p: id_key(p[0])):
            pel.append(f"{eid.decode()}:{quote(consumer)}:{int(delivered)}:{int(count)}")
        consumers = []
        for c in sorted((pairs(c) for c in g["consumers"]), key=lambda c: c["name"]):
            ids = sorted((p[0] for p in c["pending"]), key=id_key)
            consumers.append(f"{quote(c['name'])}:{int(c['seen-time'])}[" +
                             ",".join(i.decode() for i in ids) + "]")
        read = -1 if g["entries-read"] is None else int(g["entries-read"])
        groups.append(f"{quote(g['name'])}{{last={g['last-delivered-id'].decode()} read={read} "
                      f"pel=[{','.join(pel)}] consumers=[{','.join(consumers)}]}}")
    return (f"{{entries=[{','.join(entries)}] last={info['last-generated-id'].decode()} "
            f"first={info['recorded-first-entry-id'].decode()} "
            f"maxdel={info['max-deleted-entry-id'].decode()} added={int(info['entries-added'])} "
            f"groups=[{','.join(groups)}]}}")


def value_text(r, key, type_name):
    if type_name == "string":
        return quote(r.execute_command("GET", key))
    if type_name == "list":
        return "[" + ",".join(quote(v) for v in r.execute_command("LRANGE", key, 0, -1)) + "]"
    if type_name == "set":
        return "{" + ",".join(quote(m) for m in sorted(r.execute_command("SMEMBERS", key))) + "}"
    if type_name == "hash":
        flat = r.execute_command("HGETALL", key)
        items = sorted((flat[i], flat[i + 1]) for i in range(0, len(flat), 2))
        return "{" + ",".join(f"{quote(f)}:{quote(v)}" for f, v in items) + "}"
    if type_name == "zset":
        flat = r.execute_command("ZRANGE", key, 0, -1, "WITHSCORES")
        return "[" + ",".join(f"{quote(flat[i])}={score_text(flat[i + 1])}"
                              for i in range(0, len(flat), 2)) + "]"
    if type_name == "stream":
        return stream_text(r, key)
    raise AssertionError(f"unexpected type {type_name} for {key!r}")


def raw_client(port):
    """A redis-py client that returns replies as RESP gives them (no response callbacks), so
    that stream entries with repeated field names and exact score text survive."""
    r = redis.Redis(host="127.0.0.1", port=port, decode_responses=False)
    r.response_callbacks.clear()
    return r


def live_listing(port, encodings=True):
    """One line per key of every db: db, key, type, [encoding], PEXPIRETIME, value (the format
    of rdb_tool print)."""
    lines = []
    r = raw_client(port)
    try:
        for db in range(16):
            r.execute_command("SELECT", db)
            keys, cursor = set(), b"0"
            for _ in range(100000):  # bounded: SCAN ends long before
                cursor, batch = r.execute_command("SCAN", cursor, "COUNT", 1000)
                keys.update(batch)
                if cursor == b"0":
                    break
            for key in sorted(keys):
                t = r.execute_command("TYPE", key).decode()
                enc = (" " + r.execute_command("OBJECT", "ENCODING", key).decode()
                       if encodings else "")
                expire = int(r.execute_command("PEXPIRETIME", key))
                lines.append(f"{db} {quote(key)} {t}{enc} {expire} {value_text(r, key, t)}")
    finally:
        r.close()
    return lines


def tool_listing(tool, path):
    p = subprocess.run([tool, "print", path], capture_output=True, timeout=TOOL_TIMEOUT_S)
    if p.returncode != 0:
        raise AssertionError(f"rdb_tool print {path} failed: {p.stderr.decode(errors='replace')}")
    return p.stdout.decode("ascii").splitlines()


def compare_listings(actual, expected, what):
    if actual == expected:
        return
    a, e = set(actual), set(expected)
    msg = [f"{what}: listings differ ({len(actual)} vs {len(expected)} keys)"]
    for line in sorted(e - a)[:5]:
        msg.append("  missing:    " + line[:600])
    for line in sorted(a - e)[:5]:
        msg.append("  unexpected: " + line[:600])
    raise AssertionError("\n".join(msg))


# --------------------------------------------------------------------------------------------
# The dataset
# --------------------------------------------------------------------------------------------

def fill(port):
    r = redis.Redis(host="127.0.0.1", port=port, decode_responses=False)
    now_ms = int(time.time() * 1000)
    p = r.pipeline(transaction=False)
    # Strings: int encodings, embstr/raw boundary, LZF-compressible, incompressible, binary.
    p.set("s:int8", "-7").set("s:int16", "1234").set("s:int32", "-2000000000")
    p.set("s:int64", "123456789012345").set("s:zero", "0").set("s:lead0", "007")
    p.set("s:float", "3.14").set("s:empty", "").set("s:emb44", "e" * 44).set("s:raw45", "r" * 45)
    p.set("s:lzf", "ab" * 15 + "c" * 2000).set("s:rand", bytes(range(256)) * 3)
    p.set(b"s:bin\x00\xff\r\n", b"\x00\x01\xfe\xff")
    # Hashes: listpack, hashtable by value length, hashtable by count.
    p.hset("h:lp", mapping={"a": "1", "b": "-5", "c": "hello", "num": "123456789012", "e": ""})
    p.hset("h:bigval", mapping={"x": "v" * 100, "y": "1"})
    p.hset("h:many", mapping={f"f{i}": f"v{i}" for i in range(600)})
    # Sets: 16/32/64-bit intsets, hashtable by content and by count.
    p.sadd("set:i16", 1, 2, 3, -4, 300).sadd("set:i32", 70000, -1, 5)
    p.sadd("set:i64", 5000000000, -9223372036854775808, 9223372036854775807)
    p.sadd("set:str", "a", "b", "c", "10").sadd("set:manyint", *range(600))
    # Sorted sets: listpack (with special scores), skiplist by count and by member length.
    p.zadd("z:lp", {"one": 1, "half": 0.5, "neg": -2, "pinf": float("inf"),
                    "ninf": float("-inf"), "zero": 0, "big": 1e300, "pi": 3.141592653589793,
                    "int52": 4503599627370496, "tiny": 5e-324})
    p.zadd("z:many", {f"m{i}": i * 1.25 for i in range(300)})
    p.zadd("z:longmember", {"m" * 100: 1, "short": 2})
    # Lists: small, multi-node quicklist, a node holding one large element.
    p.rpush("l:small", "a", "1", "-200", "hello", "")
    p.rpush("l:big", *[f"element-{i:06d}-xxxxxxxx" for i in range(3000)])
    p.rpush("l:hugeel", "head", "H" * 20000, "tail")
    p.execute()

    # Streams: several nodes, mixed field sets, deletions, trimming, groups and PELs.
    for i in range(250):
        fields = {"sensor": str(i % 7), "value": str(i * 3)} if i % 5 else {"other": f"o{i}"}
        r.xadd("st:main", fields, id=f"{1700000000000 + i // 3}-{i % 3}")
    r.execute_command("XADD", "st:main", "1700000001000-0", "dup", "1", "dup", "2")
    r.xdel("st:main", "1700000000000-0", "1700000000010-1", "1700000000050-2")
    r.xgroup_create("st:main", "g1", id="0")
    r.xgroup_create("st:main", "g2", id="$")
    r.xgroup_create("st:main", "g3", id="1700000000020-0")
    r.xreadgroup("g1", "alice", {"st:main": ">"}, count=5)
    r.xreadgroup("g1", "bob", {"st:main": ">"}, count=3)
    r.xreadgroup("g3", "carol", {"st:main": ">"}, count=2)
    r.xack("st:main", "g1", "1700000000000-1")
    r.xclaim("st:main", "g1", "bob", 0, ["1700000000000-2"])
    r.execute_command("XGROUP", "CREATECONSUMER", "st:main", "g2", "idle-one")
    r.xgroup_create("st:empty", "g", id="$", mkstream=True)
    r.xadd("st:alldel", {"a": "1"}, id="5-1")
    r.xadd("st:alldel", {"a": "2"}, id="5-2")
    r.xdel("st:alldel", "5-1", "5-2")
    for i in range(60):
        r.xadd("st:trim", {"n": str(i)})
    r.xtrim("st:trim", maxlen=10, approximate=False)

    # Expiries, some on each type.
    for i, key in enumerate(["s:int8", "s:lzf", "h:lp", "set:i16", "z:many", "l:big", "st:main"]):
        r.pexpireat(key, now_ms + 3600_000 + i)
    # Every other database.
    for db in range(1, 16):
        r.execute_command("SELECT", db)
        r.set(f"k{db}", f"value-{db}")
        r.hset(f"h{db}", mapping={"db": str(db)})
        if db % 3 == 0:
            r.pexpireat(f"k{db}", now_ms + 7200_000 + db)
    r.execute_command("SELECT", 0)
    r.close()


def save(port):
    r = redis.Redis(host="127.0.0.1", port=port)
    eq(r.execute_command("SAVE"), True, "SAVE")
    r.close()


# --------------------------------------------------------------------------------------------
# A version-9 RDB written by hand with the encodings Redis 7.0 no longer writes
# --------------------------------------------------------------------------------------------

def crc64(data):
    table = []
    for i in range(256):
        c = i
        for _ in range(8):
            c = (c >> 1) ^ 0x95AC9329AC4BC9B5 if c & 1 else c >> 1
        table.append(c)
    crc = 0
    for b in data:
        crc = table[(crc ^ b) & 0xFF] ^ (crc >> 8)
    return crc


def rdb_len(n):
    if n < 64:
        return bytes([n])
    if n < 16384:
        return bytes([0x40 | (n >> 8), n & 0xFF])
    return b"\x80" + struct.pack(">I", n)


def rdb_str(s):
    s = s.encode() if isinstance(s, str) else s
    return rdb_len(len(s)) + s


def zl_entry(prevlen, value):
    head = bytes([prevlen]) if prevlen < 254 else b"\xfe" + struct.pack("<I", prevlen)
    if isinstance(value, int):
        if 0 <= value <= 12:
            return head + bytes([0xF1 + value])
        if -128 <= value <= 127:
            return head + b"\xfe" + struct.pack("<b", value)
        if -32768 <= value <= 32767:
            return head + b"\xc0" + struct.pack("<h", value)
        if -(1 << 23) <= value < (1 << 23):
            return head + b"\xf0" + value.to_bytes(3, "little", signed=True)
        if -(1 << 31) <= value < (1 << 31):
            return head + b"\xd0" + struct.pack("<i", value)
        return head + b"\xe0" + struct.pack("<q", value)
    value = value.encode() if isinstance(value, str) else value
    n = len(value)
    if n < 64:
        return head + bytes([n]) + value
    if n < 16384:
        return head + bytes([0x40 | (n >> 8), n & 0xFF]) + value
    return head + b"\x80" + struct.pack(">I", n) + value


def ziplist(values):
    body, prev, tail = b"", 0, 10
    for v in values:
        e = zl_entry(prev, v)
        tail = 10 + len(body)
        body += e
        prev = len(e)
    return struct.pack("<IIH", 10 + len(body) + 1, tail, len(values)) + body + b"\xff"


def zipmap(items):
    def zm_len(n):
        return bytes([n]) if n < 254 else b"\xfe" + struct.pack("<I", n)
    out = bytes([len(items)])
    for k, v, free in items:
        out += zm_len(len(k)) + k + zm_len(len(v)) + bytes([free]) + v + b"\x00" * free
    return out + b"\xff"


def intset(width, values):
    fmt = {2: "<h", 4: "<i", 8: "<q"}[width]
    return struct.pack("<II", width, len(values)) + b"".join(struct.pack(fmt, v) for v in values)


def lp_element(v):
    if isinstance(v, int):
        if 0 <= v <= 127:
            enc = bytes([v])
        elif -4096 <= v <= 4095:
            u = v & 0x1FFF
            enc = bytes([0xC0 | (u >> 8), u & 0xFF])
        else:
            enc = b"\xf4" + struct.pack("<q", v)
    else:
        v = v.encode() if isinstance(v, str) else v
        assert len(v) < 64
        enc = bytes([0x80 | len(v)]) + v
    assert len(enc) <= 127
    return enc + bytes([len(enc)])


def listpack(values):
    body = b"".join(lp_element(v) for v in values)
    return struct.pack("<IH", 6 + len(body) + 1, len(values)) + body + b"\xff"


def legacy_rdb(now_ms):
    """An RDB v9 file as Redis 5/6 (and older) wrote them."""
    out = bytearray(b"REDIS0009")
    out += b"\xfa" + rdb_str("redis-ver") + rdb_str("5.0.14")
    out += b"\xfe" + rdb_len(0) + b"\xfb" + rdb_len(20) + rdb_len(2)

    def key(type_byte, name, payload, prefix=b""):
        out.extend(prefix + bytes([type_byte]) + rdb_str(name) + payload)

    # Strings: int8 / int16 / int32 encodings, LZF (a literal run, a long back reference, a
    # literal run), plain.
    key(0, "old:i8", b"\xc0" + struct.pack("<b", -100))
    key(0, "old:i16", b"\xc1" + struct.pack("<h", 30000))
    key(0, "old:i32", b"\xc2" + struct.pack("<i", -123456789))
    lzf = bytes([2]) + b"abc" + bytes([7 << 5 | 0, 19 - 7, 2]) + bytes([2]) + b"XYZ"
    key(0, "old:lzf", b"\xc3" + rdb_len(len(lzf)) + rdb_len(27) + lzf)
    key(0, "old:plain", rdb_str("plain value"), prefix=b"\xf9\x07")  # FREQ 7
    # Plain collections of Redis < 2.6 and ZSET with text scores (253 NaN, 254 inf, 255 -inf).
    key(1, "old:list", rdb_len(3) + rdb_str("x") + rdb_str("12") + rdb_str("y"))
    key(2, "old:set", rdb_len(3) + rdb_str("m1") + rdb_str("7") + rdb_str("m2"))
    zset = rdb_len(4) + rdb_str("a") + rdb_str("1.5") + rdb_str("b") + b"\xfe"
    zset += rdb_str("c") + b"\xff" + rdb_str("d") + rdb_str("-0.25")
    key(3, "old:zset", zset)
    key(4, "old:hash", rdb_len(2) + rdb_str("f1") + rdb_str("v1") + rdb_str("f2") + rdb_str("22"))
    # Zipmap (Redis 2.4), with free bytes and a 254+ byte value.
    key(9, "old:zipmap", rdb_str(zipmap([(b"name", b"zm", 0), (b"pad", b"p", 3),
                                         (b"long", b"L" * 300, 0)])))
    # Ziplists of every entry encoding, with a 5-byte prevlen after the long entry.
    values = [0, 12, 13, -1, 127, -128, 300, -30000, 8000000, -8000000, 2000000000,
              -2000000000, 1 << 40, "s" * 300, "after-long", "z" * 70]
    key(10, "old:zl_list", rdb_str(ziplist(values)))
    key(11, "old:intset16", rdb_str(intset(2, [-5, 1, 2, 300])))
    key(11, "old:intset64", rdb_str(intset(8, [-(1 << 40), 3, 1 << 50])))
    key(12, "old:zl_zset", rdb_str(ziplist(["low", "-3", "mid", 2, "M" * 100, 5, "high", "1e10"])))
    key(13, "old:zl_hash", rdb_str(ziplist(["k1", "v1", "k2", 42, "k3", "x" * 100])),
        prefix=b"\xfd" + struct.pack("<I", now_ms // 1000 + 3600))  # EXPIRETIME (seconds)
    # A quicklist of ziplist nodes (Redis 3.2 - 6.2).
    key(14, "old:quicklist", rdb_len(2) + rdb_str(ziplist(["q1", 2, "q3"])) +
        rdb_str(ziplist([4, "q5"])),
        prefix=b"\xfc" + struct.pack("<Q", now_ms + 5400_000))  # EXPIRETIME_MS
    # A version-1 stream (Redis 5/6): one node, a deleted entry, one group with one consumer.
    master = (10, 0)
    node = listpack([
        3, 1, 2, "f", "g", 0,                       # count, deleted, master fields, 0
        2, 0, 0, "v1", "w1", 5,                     # 10-0: same fields
        0, 0, 1, 1, "other", "x", 6,                # 10-1: own fields
        3, 1, 0, "v2", "w2", 5,                     # 11-0: same fields, deleted
        2, 2, 0, "v3", "w3", 5,                     # 12-0: same fields
    ])
    stream = rdb_len(1) + rdb_str(struct.pack(">QQ", *master)) + rdb_str(node)
    stream += rdb_len(3) + rdb_len(12) + rdb_len(0)  # length, last id
    stream += rdb_len(1) + rdb_str("grp") + rdb_len(10) + rdb_len(1)  # group, last-delivered
    stream += rdb_len(2)  # global PEL
    for ms, seq, count in [(10, 0, 1), (10, 1, 3)]:
        stream += struct.pack(">QQ", ms, seq) + struct.pack("<Q", now_ms - 1000) + rdb_len(count)
    stream += rdb_len(1) + rdb_str("cons") + struct.pack("<Q", now_ms - 500)
    stream += rdb_len(2) + struct.pack(">QQ", 10, 0) + struct.pack(">QQ", 10, 1)
    key(15, "old:stream", stream)
    out += b"\xfe" + rdb_len(3)  # another db
    key(0, "old:db3", rdb_str("three"))
    out += b"\xff"
    out += struct.pack("<Q", crc64(bytes(out)))
    return bytes(out)


# --------------------------------------------------------------------------------------------
# Scenarios
# --------------------------------------------------------------------------------------------

def redis_on_file(redis_server, directory, filename):
    return Server(redis_server, args=["--save", "", "--appendonly", "no", "--dir", directory,
                                      "--dbfilename", filename], name="redis-server")


def run(args):
    work = tempfile.mkdtemp(prefix="ember-it-rdb-")
    try:
        # 1. Redis's own dump, read by Ember.
        with Server(args.redis, args=["--save", "", "--appendonly", "no",
                                      "--maxmemory-policy", "allkeys-lru"],
                    name="redis-server") as src:
            fill(src.port)
            expected = live_listing(src.port)
            save(src.port)
            dump = os.path.join(work, "dump.rdb")
            shutil.copy(os.path.join(src.dir, "dump.rdb"), dump)
        check(len(expected) > 50, f"dataset too small: {len(expected)} keys")
        compare_listings(tool_listing(args.rdb_tool, dump), expected, "rdb_tool print dump.rdb")
        print(f"  redis dump read by Ember: {len(expected)} keys match")

        # 2. Ember's rewrite, checked and loaded by Redis.
        rewritten = os.path.join(work, "ember.rdb")
        p = subprocess.run([args.rdb_tool, "rewrite", dump, rewritten], capture_output=True,
                           timeout=TOOL_TIMEOUT_S)
        check(p.returncode == 0, f"rdb_tool rewrite failed: {p.stderr.decode(errors='replace')}")
        if args.check_rdb:
            p = subprocess.run([args.check_rdb, rewritten], capture_output=True,
                               timeout=TOOL_TIMEOUT_S)
            out = p.stdout.decode(errors="replace")
            check(p.returncode == 0 and "RDB looks OK" in out, f"redis-check-rdb: {out}")
        with redis_on_file(args.redis, work, "ember.rdb") as loaded:
            compare_listings(live_listing(loaded.port), expected,
                             "redis-server loading Ember's rewrite")
        compare_listings(tool_listing(args.rdb_tool, rewritten), expected,
                         "rdb_tool print ember.rdb")
        print("  Ember's rewrite: redis-check-rdb OK, redis-server holds the same dataset")

        # 3. Encodings of older Redis versions.
        legacy = os.path.join(work, "legacy.rdb")
        with open(legacy, "wb") as f:
            f.write(legacy_rdb(int(time.time() * 1000)))
        with redis_on_file(args.redis, work, "legacy.rdb") as old:
            legacy_expected = live_listing(old.port)
        check(len(legacy_expected) == 18, f"redis loaded {len(legacy_expected)} legacy keys")
        compare_listings(tool_listing(args.rdb_tool, legacy), legacy_expected,
                         "rdb_tool print legacy.rdb")
        print(f"  version-9 encodings: {len(legacy_expected)} keys match redis-server's reading")
    finally:
        if os.environ.get("EMBER_IT_KEEP_DIRS") != "1":
            shutil.rmtree(work, ignore_errors=True)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("rdb_tool")
    ap.add_argument("--redis")
    ap.add_argument("--check-rdb")
    ap.add_argument("--no-redis", action="store_true")
    args = ap.parse_args()
    if args.no_redis or not args.redis or not os.access(args.redis, os.X_OK):
        print("test_rdb_codec: SKIP (no redis-server)")
        return 0
    if redis is None:
        print("test_rdb_codec: SKIP (no redis-py)")
        return 0
    start = time.monotonic()
    try:
        run(args)
    except Exception as e:  # report, fail
        print(f"test_rdb_codec: FAIL: {e}")
        return 1
    print(f"test_rdb_codec: OK ({time.monotonic() - start:.1f}s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
