#!/usr/bin/env python3
"""Server behaviour through the real binary: start-up config errors, command-line overrides,
maxclients, idle timeout, active expiry without access, CONFIG REWRITE across a restart,
deep pipelines, a SCAN that runs while keys are written, and SHUTDOWN.

Usage: test_server.py EMBER_BINARY
"""
import os
import socket
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import Server, ConnectionClosed, encode_command, wait_for  # noqa: E402

BIN = os.path.abspath(sys.argv[1])
results = []


def check(name, cond, detail=""):
    results.append(cond)
    print(("ok   " if cond else "FAIL ") + name + ("" if cond else f": {detail}"), flush=True)


def run_binary(*args, timeout=10):
    p = subprocess.run([BIN, *args], capture_output=True, text=True, timeout=timeout)
    return p.returncode, p.stdout + p.stderr


def test_config_errors():
    with tempfile.TemporaryDirectory() as d:
        path = os.path.join(d, "bad.yaml")
        with open(path, "w") as f:
            f.write("port: 7000\nmaxmemory: lots\n")
        rc, out = run_binary(path)
        check("bad value stops start-up naming line, key, value, reason",
              rc != 0 and "bad.yaml:2" in out and "'maxmemory'" in out and "'lots'" in out
              and "memory value" in out, out)
        with open(path, "w") as f:
            f.write("port: 7000\nno-such-key: 1\n")
        rc, out = run_binary(path)
        check("unknown key stops start-up naming line and key",
              rc != 0 and "bad.yaml:2" in out and "no-such-key" in out, out)
        with open(path, "w") as f:
            f.write("port: [unclosed\n")
        rc, out = run_binary(path)
        check("broken YAML stops start-up", rc != 0 and "bad.yaml" in out, out)
    rc, out = run_binary("--port", "notaport")
    check("bad command-line value stops start-up", rc != 0 and "'port'" in out, out)
    rc, out = run_binary("--version")
    check("--version", rc == 0 and "Ember server v=" in out, out)
    rc, out = run_binary("--help")
    check("--help", rc == 0 and "Usage: ember-server" in out, out)


def test_maxclients():
    with Server(BIN, ["--maxclients", "2"], name="ember-maxclients") as s:
        a, b = s.connect(), s.connect()
        check("clients within maxclients work", a.call("PING") == b"+PONG\r\n"
              and b.call("PING") == b"+PONG\r\n")
        c = s.connect()
        try:
            reply = c.read_reply(timeout=3)
        except ConnectionClosed:
            reply = b"<closed>"
        check("client over maxclients refused", reply == b"-ERR max number of clients reached\r\n",
              reply)
        for conn in (a, b, c):
            conn.close()


def test_idle_timeout():
    with Server(BIN, ["--timeout", "1"], name="ember-timeout") as s:
        c = s.connect()
        c.call("PING")

        def closed():
            try:
                c.sock.settimeout(0.05)
                return c.sock.recv(1) == b""
            except socket.timeout:
                return False
            except OSError:
                return True
        check("idle client closed after timeout", wait_for(closed, 6))
        check("server still serves", s.connect().call("PING") == b"+PONG\r\n")


def test_active_expiry():
    with Server(BIN, name="ember-expiry") as s:
        c = s.connect()
        for chunk in range(10):
            c.send(b"".join(encode_command("SET", f"session:{chunk}:{i}", "x", "PX", "200")
                            for i in range(500)))
            for _ in range(500):
                c.read_reply()
        c.call("SET", "keep", "1")
        check("5000 sessions stored", c.call("DBSIZE") == b":5001\r\n")
        # DBSIZE touches no key: only the active cycle can bring it down.
        check("expired sessions reclaimed without access",
              wait_for(lambda: c.call("DBSIZE") == b":1\r\n", 10, 0.1), c.call("DBSIZE"))
        info = c.call("INFO", "stats").decode()
        check("expired_keys counted", "expired_keys:5000\r\n" in info, info)


def test_deep_pipeline():
    with Server(BIN, name="ember-pipeline") as s:
        c = s.connect(timeout=30)
        n = 20000
        c.send(b"".join(encode_command("INCR", "counter") for _ in range(n)))
        last = None
        for _ in range(n):
            last = c.read_reply(timeout=30)
        check("20000-deep pipeline answered in order", last == f":{n}\r\n".encode(), last)
        big = "v" * (4 * 1024 * 1024)
        check("4 MB value round trip", c.call("SET", "big", big) == b"+OK\r\n"
              and c.call("STRLEN", "big") == b":4194304\r\n")


def test_scan_during_writes():
    with Server(BIN, name="ember-scan") as s:
        c, w = s.connect(), s.connect()
        base = [f"base:{i}" for i in range(3000)]
        c.send(b"".join(encode_command("SET", k, "1") for k in base))
        for _ in base:
            c.read_reply()
        seen, cursor, extra, steps = set(), b"0", 0, 0
        while True:
            reply = c.call("SCAN", cursor, "COUNT", "50")
            parts = reply.split(b"\r\n")
            # *2 $n cursor *m ($len key)*
            cursor = parts[2]
            seen.update(p.decode() for p in parts[5::2] if p)
            # Grow the table (resizes) while the scan runs.
            w.send(b"".join(encode_command("SET", f"extra:{extra + i}", "1") for i in range(200)))
            for _ in range(200):
                w.read_reply()
            extra += 200
            steps += 1
            if cursor == b"0" or steps > 10000:
                break
        missing = [k for k in base if k not in seen]
        check("SCAN returns every key present throughout, across resizes", not missing,
              f"{len(missing)} missing, e.g. {missing[:3]}")


def test_rewrite_and_shutdown():
    with tempfile.TemporaryDirectory() as d:
        path = os.path.join(d, "ember.yaml")
        with open(path, "w") as f:
            f.write("# test config\nmaxmemory: 1mb\n")
        s = Server(BIN, name="ember-rewrite", config_file=path)
        s.start()
        try:
            c = s.connect()
            ok = c.call("CONFIG", "SET", "maxmemory", "64mb") == b"+OK\r\n"
            ok = ok and c.call("CONFIG", "SET", "maxmemory-policy", "allkeys-lru") == b"+OK\r\n"
            ok = ok and c.call("CONFIG", "REWRITE") == b"+OK\r\n"
            check("CONFIG SET + REWRITE", ok)
            c.send(encode_command("SHUTDOWN", "NOSAVE"))
            check("SHUTDOWN ends the process", wait_for(lambda: not s.alive(), 10))
        finally:
            s.stop()
        with Server(BIN, name="ember-rewrite", config_file=path) as s:
            got = s.connect().call("CONFIG", "GET", "maxmemory*")
            check("rewritten config survives a restart",
                  b"67108864" in got and b"allkeys-lru" in got, got)


def main():
    tests = [test_config_errors, test_maxclients, test_idle_timeout, test_active_expiry,
             test_deep_pipeline, test_scan_during_writes, test_rewrite_and_shutdown]
    for t in tests:
        try:
            t()
        except Exception as e:  # a crash in one test is a failure, the others still run
            check(t.__name__, False, repr(e))
    failed = results.count(False)
    print(f"test_server: {len(results) - failed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
