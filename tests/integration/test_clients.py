#!/usr/bin/python3
"""Real clients against ember-server: redis-py (Debian python3-redis), redis-cli, raw inline.

Usage: test_clients.py EMBER_BINARY [--redis-cli /usr/bin/redis-cli]

Starts two servers on free ports: one with the defaults, one with `--requirepass s3cret`.
Each check prints PASS, FAIL (with the reason) or SKIP; the exit code is 1 if any failed.
"""

import argparse
import inspect
import os
import subprocess
import sys
import traceback

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402
from harness import check, eq, raises, wait_for  # noqa: E402,F401

try:
    import redis
    from redis.exceptions import AuthenticationError, ResponseError
except ImportError:
    print("test_clients: FAILED: the redis module is missing; run with /usr/bin/python3 "
          "(Debian python3-redis)")
    sys.exit(1)

PASSWORD = "s3cret"
CLI_TIMEOUT_S = 10


class Skip(Exception):
    pass


class Suite:
    def __init__(self, port, auth_port, cli):
        self.port, self.auth_port, self.cli = port, auth_port, cli

    def client(self, **kw):
        kw.setdefault("decode_responses", True)
        return redis.Redis(host="127.0.0.1", port=self.port, socket_timeout=5,
                           socket_connect_timeout=5, **kw)

    # redis-py ---------------------------------------------------------------------------------

    def test_connect_set_get(self):
        r = self.client()
        eq(r.ping(), True, "PING")
        eq(r.set("py:a", "b"), True, "SET")
        eq(r.get("py:a"), "b", "GET")
        eq(r.get("py:missing"), None, "GET missing")
        eq(r.set("py:a", "c", nx=True), None, "SET NX on existing")
        eq(r.set("py:a", "c", xx=True), True, "SET XX")
        eq(r.getset("py:a", "d"), "c", "GETSET")
        eq(r.exists("py:a", "py:missing"), 1, "EXISTS")
        eq(r.type("py:a"), "string", "TYPE")
        eq(r.append("py:a", "ef"), 3, "APPEND")
        eq(r.strlen("py:a"), 3, "STRLEN")
        eq(r.getrange("py:a", 0, 1), "de", "GETRANGE")
        eq(r.delete("py:a", "py:missing"), 1, "DEL")
        eq(r.get("py:a"), None, "GET after DEL")
        rb = self.client(decode_responses=False)
        blob = bytes(range(256)) * 4
        eq(rb.set("py:bin", blob), True, "SET binary")
        eq(rb.get("py:bin"), blob, "GET binary")
        r.close()
        rb.close()

    def test_pipeline(self):
        r = self.client()
        p = r.pipeline(transaction=False)
        p.set("py:p", 1).incr("py:p").incrby("py:p", 10).get("py:p").delete("py:p")
        eq(p.execute(), [True, 2, 12, "12", 1], "pipeline results")
        p = r.pipeline(transaction=False)
        for i in range(200):
            p.set(f"py:pl:{i}", i)
        for i in range(200):
            p.get(f"py:pl:{i}")
        res = p.execute()
        eq(res[:200], [True] * 200, "200 SETs")
        eq(res[200:], [str(i) for i in range(200)], "200 GETs")
        # An error inside a pipeline is returned in place when raise_on_error=False.
        p = r.pipeline(transaction=False)
        p.set("py:pe", "x").incr("py:pe").get("py:pe")
        out = p.execute(raise_on_error=False)
        eq(out[0], True, "pipeline SET")
        check(isinstance(out[1], ResponseError), f"pipeline INCR error, got {out[1]!r}")
        eq(out[2], "x", "pipeline GET")
        r.close()

    def test_pipeline_transaction(self):
        """redis-py's default pipeline wraps the commands in MULTI/EXEC."""
        r = self.client()
        try:
            r.execute_command("MULTI")
        except ResponseError as e:
            if "unknown command" in str(e):
                raise Skip(f"MULTI not supported yet ({e})")
            raise
        r.execute_command("DISCARD")
        p = r.pipeline()  # transaction=True
        p.set("py:tx", 5).incr("py:tx").get("py:tx")
        eq(p.execute(), [True, 6, "6"], "MULTI/EXEC pipeline")
        r.close()

    def test_expire(self):
        r = self.client()
        r.set("py:e", "v")
        eq(r.ttl("py:e"), -1, "TTL without expiry")
        eq(r.expire("py:e", 100), True, "EXPIRE")
        ttl = r.ttl("py:e")
        check(0 < ttl <= 100, f"TTL after EXPIRE 100 is {ttl}")
        pttl = r.pttl("py:e")
        check(0 < pttl <= 100000, f"PTTL is {pttl}")
        eq(r.persist("py:e"), True, "PERSIST")
        eq(r.ttl("py:e"), -1, "TTL after PERSIST")
        eq(r.set("py:e2", "v", ex=50), True, "SET EX")
        check(0 < r.ttl("py:e2") <= 50, "TTL after SET EX 50")
        eq(r.set("py:e3", "v", px=50000), True, "SET PX")
        check(0 < r.pttl("py:e3") <= 50000, "PTTL after SET PX")
        eq(r.setex("py:e4", 30, "v"), True, "SETEX")
        check(0 < r.ttl("py:e4") <= 30, "TTL after SETEX")
        eq(r.expireat("py:e4", 4102444800), True, "EXPIREAT")
        eq(r.execute_command("EXPIRETIME", "py:e4"), 4102444800, "EXPIRETIME")
        eq(r.ttl("py:missing"), -2, "TTL of a missing key")
        eq(r.pexpire("py:e4", 0), True, "PEXPIRE 0 deletes")
        eq(r.exists("py:e4"), 0, "EXISTS after PEXPIRE 0")
        r.delete("py:e", "py:e2", "py:e3")
        r.close()

    def test_incr(self):
        r = self.client()
        r.delete("py:n", "py:f")
        eq(r.incr("py:n"), 1, "INCR")
        eq(r.incrby("py:n", 41), 42, "INCRBY")
        eq(r.decr("py:n"), 41, "DECR")
        eq(r.decrby("py:n", 40), 1, "DECRBY")
        eq(r.incrbyfloat("py:f", 1.5), 1.5, "INCRBYFLOAT")
        eq(r.incrbyfloat("py:f", "0.25"), 1.75, "INCRBYFLOAT again")
        eq(r.get("py:f"), "1.75", "GET after INCRBYFLOAT")
        r.delete("py:n", "py:f")
        r.close()

    def test_mset_mget(self):
        r = self.client()
        eq(r.mset({"py:m1": "1", "py:m2": "2"}), True, "MSET")
        eq(r.mget(["py:m1", "py:m2", "py:m3"]), ["1", "2", None], "MGET")
        eq(r.mget("py:m1", "py:m2"), ["1", "2"], "MGET varargs")
        eq(r.msetnx({"py:m2": "x", "py:m3": "3"}), False, "MSETNX with an existing key")
        eq(r.msetnx({"py:m3": "3", "py:m4": "4"}), True, "MSETNX new keys")
        eq(r.mget("py:m3", "py:m4"), ["3", "4"], "MGET after MSETNX")
        r.delete("py:m1", "py:m2", "py:m3", "py:m4")
        r.close()

    def test_info_config(self):
        r = self.client()
        info = r.info("server")
        eq(str(info.get("redis_version")), "7.0.15", "INFO server redis_version")
        check("tcp_port" in info, "INFO server has tcp_port")
        eq(int(info["tcp_port"]), self.port, "INFO tcp_port")
        cfg = r.config_get("maxmemory")
        check("maxmemory" in cfg and str(cfg["maxmemory"]).isdigit(),
              f"CONFIG GET maxmemory gave {cfg!r}")
        eq(r.dbsize() >= 0, True, "DBSIZE")
        r.close()

    def test_error_classes(self):
        r = self.client()
        r.set("py:s", "abc")
        raises(lambda: r.incr("py:s"), ResponseError, "value is not an integer or out of range")
        raises(lambda: r.incrbyfloat("py:s", 1), ResponseError, "value is not a valid float")
        e = raises(lambda: r.execute_command("NOSUCHCMD", "x"), ResponseError)
        eq(str(e), "unknown command 'NOSUCHCMD', with args beginning with: 'x' ", "unknown command")
        e = raises(lambda: r.execute_command("GET"), ResponseError)
        eq(str(e), "wrong number of arguments for 'get' command", "wrong arity")
        e = raises(lambda: r.execute_command("SET", "py:s", "v", "NX", "XX"), ResponseError)
        eq(str(e), "syntax error", "SET NX XX")
        e = raises(lambda: r.execute_command("SELECT", "99"), ResponseError)
        eq(str(e), "DB index is out of range", "SELECT 99")
        r.set("py:big", "9223372036854775807")
        e = raises(lambda: r.incr("py:big"), ResponseError)
        eq(str(e), "increment or decrement would overflow", "INCR overflow")
        r.delete("py:s", "py:big")
        r.close()

    def test_wrongtype(self):
        r = self.client()
        r.delete("py:l")
        try:
            r.lpush("py:l", "x")
        except ResponseError as e:
            raise Skip(f"LPUSH not supported yet ({e})")
        e = raises(lambda: r.get("py:l"), ResponseError)
        eq(str(e), "WRONGTYPE Operation against a key holding the wrong kind of value", "WRONGTYPE")
        r.delete("py:l")
        r.close()

    def test_resp3(self):
        params = inspect.signature(redis.Redis.__init__).parameters
        if "protocol" not in params:
            raise Skip(f"redis-py {redis.__version__} has no protocol=3 (needs 5.0+)")
        r = self.client(protocol=3)
        eq(r.ping(), True, "PING over RESP3")
        r.set("py:r3", "v")
        eq(r.get("py:r3"), "v", "GET over RESP3")
        eq(r.get("py:missing"), None, "GET missing over RESP3")
        r.delete("py:r3")
        r.close()

    def test_auth(self):
        anon = redis.Redis(host="127.0.0.1", port=self.auth_port, socket_timeout=5)
        raises(lambda: anon.get("a"), AuthenticationError, "Authentication required")
        anon.close()
        bad = redis.Redis(host="127.0.0.1", port=self.auth_port, password="wrong",
                          socket_timeout=5)
        e = raises(bad.ping, (AuthenticationError, ResponseError))
        check("WRONGPASS" in str(e) or "invalid" in str(e).lower(),
              f"bad password error was {e!r}")
        bad.close()
        good = redis.Redis(host="127.0.0.1", port=self.auth_port, password=PASSWORD,
                           socket_timeout=5, decode_responses=True)
        eq(good.ping(), True, "PING after AUTH")
        eq(good.set("py:auth", "ok"), True, "SET after AUTH")
        eq(good.get("py:auth"), "ok", "GET after AUTH")
        good.close()
        # The same, byte for byte, on a raw connection.
        with harness.RespConnection(self.auth_port) as c:
            eq(c.call("GET", "a"), b"-NOAUTH Authentication required.\r\n", "raw NOAUTH")
            eq(c.call("AUTH", "wrong"),
               b"-WRONGPASS invalid username-password pair or user is disabled.\r\n",
               "raw WRONGPASS")
            eq(c.call("AUTH", "default", "wrong"),
               b"-WRONGPASS invalid username-password pair or user is disabled.\r\n",
               "raw WRONGPASS with user")
            eq(c.call("AUTH", PASSWORD), b"+OK\r\n", "raw AUTH")
            eq(c.call("GET", "py:auth"), b"$2\r\nok\r\n", "raw GET after AUTH")
        with harness.RespConnection(self.auth_port) as c:
            eq(c.call("AUTH", "default", PASSWORD), b"+OK\r\n", "AUTH default PASSWORD")
        with harness.RespConnection(self.auth_port) as c:
            eq(c.call("HELLO", "3")[:1], b"-", "HELLO 3 without AUTH is refused")
            reply = c.call("HELLO", "3", "AUTH", "default", PASSWORD)
            eq(reply[:1], b"%", "HELLO 3 AUTH default PASSWORD replies with a map")
        # AUTH against a server without a password.
        with harness.RespConnection(self.port) as c:
            eq(c.call("AUTH", "x"),
               b"-ERR AUTH <password> called without any password configured for the default "
               b"user. Are you sure your configuration is correct?\r\n", "AUTH without requirepass")

    # redis-cli --------------------------------------------------------------------------------

    def run_cli(self, *args, port=None, stdin=None):
        if not os.access(self.cli, os.X_OK):
            raise Skip(f"redis-cli not found at {self.cli}")
        argv = [self.cli, "-p", str(port or self.port)] + list(args)
        p = subprocess.run(argv, input=stdin, capture_output=True, timeout=CLI_TIMEOUT_S)
        return p.returncode, p.stdout.decode("utf-8", "replace"), p.stderr.decode("utf-8",
                                                                                  "replace")

    def test_cli_set_get(self):
        eq(self.run_cli("set", "cli:a", "b")[1], "OK\n", "redis-cli set")
        eq(self.run_cli("get", "cli:a")[1], "b\n", "redis-cli get")
        eq(self.run_cli("--no-raw", "get", "cli:a")[1], '"b"\n', "redis-cli --no-raw get")
        eq(self.run_cli("--no-raw", "get", "cli:missing")[1], "(nil)\n", "--no-raw nil")
        eq(self.run_cli("--no-raw", "incr", "cli:n")[1], "(integer) 1\n", "--no-raw incr")
        eq(self.run_cli("--no-raw", "mget", "cli:a", "cli:n")[1], '1) "b"\n2) "1"\n',
           "--no-raw mget")
        eq(self.run_cli("-n", "3", "set", "cli:db3", "x")[1], "OK\n", "redis-cli -n 3 set")
        eq(self.run_cli("-n", "3", "get", "cli:db3")[1], "x\n", "redis-cli -n 3 get")
        eq(self.run_cli("get", "cli:db3")[1], "\n", "db 0 does not see db 3's key")
        eq(self.run_cli("ping")[1], "PONG\n", "redis-cli ping")
        out = self.run_cli("--no-raw", "incr", "cli:a")[1]
        eq(out, "(error) ERR value is not an integer or out of range\n", "--no-raw error")
        self.run_cli("del", "cli:a", "cli:n")

    def test_cli_info_config(self):
        rc, out, err = self.run_cli("info", "server")
        check("redis_version:7.0.15" in out, f"info server lacks redis_version:7.0.15: {out!r}")
        rc, out, err = self.run_cli("config", "get", "maxmemory")
        lines = out.splitlines()
        check(len(lines) == 2 and lines[0] == "maxmemory" and lines[1].isdigit(),
              f"config get maxmemory printed {out!r}")

    def test_cli_pipe(self):
        data = b"".join(harness.encode_command("SET", f"cli:pipe:{i}", i) for i in range(100))
        data += b"INCR cli:pipe:0\r\n"
        rc, out, err = self.run_cli("--pipe", stdin=data)
        eq(rc, 0, f"redis-cli --pipe exit code (stdout {out!r}, stderr {err!r})")
        check("errors: 0, replies: 101" in out, f"redis-cli --pipe said {out!r}")
        eq(self.run_cli("get", "cli:pipe:0")[1], "1\n", "value after --pipe")

    def test_cli_auth(self):
        rc, out, err = self.run_cli("ping", port=self.auth_port)
        check("NOAUTH" in out, f"redis-cli without -a printed {out!r}")
        rc, out, err = self.run_cli("--no-auth-warning", "-a", PASSWORD, "ping",
                                    port=self.auth_port)
        eq(out, "PONG\n", "redis-cli -a PASSWORD ping")

    # raw socket -------------------------------------------------------------------------------

    def test_inline_raw(self):
        with harness.RespConnection(self.port) as c:
            c.send(b"PING\r\n")
            eq(c.read_reply(), b"+PONG\r\n", "inline PING")
            c.send(b"SET raw:k 'a b'\r\nGET raw:k\r\nDEL raw:k\r\n")
            eq(c.read_reply(), b"+OK\r\n", "inline SET with quotes")
            eq(c.read_reply(), b"$3\r\na b\r\n", "inline GET")
            eq(c.read_reply(), b":1\r\n", "inline DEL")
            c.send(b"ECHO \"tab\\there\"\n")
            eq(c.read_reply(), b"$8\r\ntab\there\r\n", "inline escape, LF-terminated")


TESTS = [
    "test_connect_set_get", "test_pipeline", "test_pipeline_transaction", "test_expire",
    "test_incr", "test_mset_mget", "test_info_config", "test_error_classes", "test_wrongtype",
    "test_resp3", "test_auth", "test_cli_set_get", "test_cli_info_config", "test_cli_pipe",
    "test_cli_auth", "test_inline_raw",
]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("ember", help="path to ember-server")
    ap.add_argument("--redis-cli", default="/usr/bin/redis-cli")
    ap.add_argument("-k", default=None, help="run only tests whose name contains this")
    args = ap.parse_args()
    print(f"test_clients: redis-py {redis.__version__}, server {args.ember}", flush=True)

    plain = harness.Server(args.ember, name="ember")
    secured = harness.Server(args.ember, ["--requirepass", PASSWORD], name="ember-auth")
    passed, failed, skipped = [], [], []
    try:
        plain.start()
        secured.start()
        suite = Suite(plain.port, secured.port, args.redis_cli)
        for name in TESTS:
            if args.k and args.k not in name:
                continue
            try:
                getattr(suite, name)()
                passed.append(name)
                print(f"PASS {name}", flush=True)
            except Skip as e:
                skipped.append(name)
                print(f"SKIP {name}: {e}", flush=True)
            except Exception as e:
                failed.append(name)
                detail = "".join(traceback.format_exception_only(type(e), e)).strip()
                print(f"FAIL {name}: {detail}", flush=True)
                for srv in (plain, secured):
                    if not srv.alive():
                        print(f"  {srv.name} is no longer running; log tail:\n{srv.log_tail()}")
                        raise RuntimeError(f"{srv.name} died")
    except Exception as e:
        print(f"test_clients: ERROR: {type(e).__name__}: {e}")
        failed.append("<harness>")
    finally:
        secured.stop()
        plain.stop()
    print(f"test_clients: {len(passed)} passed, {len(failed)} failed, {len(skipped)} skipped"
          + (f" (failed: {', '.join(failed)})" if failed else ""))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
