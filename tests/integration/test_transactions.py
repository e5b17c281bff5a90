#!/usr/bin/python3
"""MULTI/EXEC/DISCARD/WATCH through real clients (redis-py, Debian python3-redis) against
ember-server.

Usage: test_transactions.py EMBER_BINARY [-k NAME]

Starts one ember-server on a free port. Covers redis-py's transactional pipelines (results,
errors in place, WatchError), optimistic locking with two clients racing GET/SET increments
under WATCH (the final count must be exact), WATCH broken by a key expiring (with and without
the key being touched afterwards), and -EXECABORT surfacing as ExecAbortError. Each check
prints PASS or FAIL (with the reason); the summary line is
`test_transactions: N passed, M failed` and the exit code is 1 if any failed.
"""

import argparse
import os
import sys
import threading
import time
import traceback

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402
from harness import check, eq, raises, wait_for  # noqa: E402,F401

try:
    import redis
    from redis.exceptions import ExecAbortError, ResponseError, WatchError
except ImportError:
    print("test_transactions: FAILED: the redis module is missing; run with /usr/bin/python3 "
          "(Debian python3-redis)")
    sys.exit(1)

RACE_THREADS = 2
RACE_INCREMENTS = 200        # per thread
RACE_MAX_ATTEMPTS = 20000    # per thread, bound on WATCH retries
RACE_TIMEOUT_S = 60
EXPIRY_WAIT_S = 5.0          # bound on waiting for a PX 100 key to expire


class Suite:
    def __init__(self, port):
        self.port = port

    def client(self, **kw):
        kw.setdefault("decode_responses", True)
        return redis.Redis(host="127.0.0.1", port=self.port, socket_timeout=5,
                           socket_connect_timeout=5, **kw)

    def conn(self):
        """A client bound to one connection, so MULTI, the queued commands and EXEC issued
        one by one all go over the same socket; without response callbacks, so replies
        arrive as sent ("OK", "QUEUED", "PONG") rather than mapped per command name."""
        c = self.client(single_connection_client=True)
        c.response_callbacks.clear()
        return c

    # Pipelines -------------------------------------------------------------------------------

    def test_pipeline_results(self):
        r = self.client()
        r.delete("tx:a", "tx:h", "tx:n")
        p = r.pipeline(transaction=True)
        (p.set("tx:a", 5).incr("tx:a").incrby("tx:a", 10).get("tx:a").append("tx:a", "x")
         .hset("tx:h", mapping={"f": "1", "g": "2"}).hincrby("tx:h", "f", 41).hgetall("tx:h")
         .exists("tx:a", "tx:h", "tx:missing").get("tx:missing").delete("tx:a")
         .expire("tx:h", 1000).ttl("tx:h"))
        out = p.execute()
        eq(out[:12], [True, 6, 16, "16", 3, 2, 42, {"f": "42", "g": "2"}, 2, None, 1, True],
           "MULTI/EXEC results")
        check(0 < out[12] <= 1000, f"TTL in the transaction was {out[12]!r}")
        eq(r.exists("tx:a"), 0, "DEL inside the transaction took effect")
        # An empty transactional pipeline sends nothing and returns [].
        eq(r.pipeline(transaction=True).execute(), [], "empty pipeline")
        # Many queued commands in one transaction.
        p = r.pipeline(transaction=True)
        for _ in range(500):
            p.incr("tx:n")
        eq(p.execute(), list(range(1, 501)), "500 INCRs in one transaction")
        r.delete("tx:h", "tx:n")
        r.close()

    def test_pipeline_runtime_error(self):
        """A command that fails at run time fails alone; the others still run."""
        r = self.client()
        r.set("tx:s", "abc")
        p = r.pipeline(transaction=True)
        p.set("tx:e1", "1").incr("tx:s").hset("tx:s", "f", "v").set("tx:e2", "2")
        out = p.execute(raise_on_error=False)
        eq(out[0], True, "SET before the errors")
        check(isinstance(out[1], ResponseError) and "not an integer" in str(out[1]),
              f"INCR of a non-number gave {out[1]!r}")
        check(isinstance(out[2], ResponseError) and "WRONGTYPE" in str(out[2]),
              f"HSET on a string gave {out[2]!r}")
        eq(out[3], True, "SET after the errors")
        eq(r.mget("tx:e1", "tx:e2"), ["1", "2"], "writes around the errors were applied")
        p = r.pipeline(transaction=True)
        p.incr("tx:s").set("tx:e3", "3")
        raises(p.execute, ResponseError, "not an integer")
        eq(r.get("tx:e3"), "3", "raise_on_error still ran the whole transaction")
        r.delete("tx:s", "tx:e1", "tx:e2", "tx:e3")
        r.close()

    def test_pipeline_queueing_error(self):
        """A queueing error (unknown command, wrong arity) discards the whole transaction;
        redis-py raises the first queueing error when EXEC answers -EXECABORT."""
        r = self.client()
        r.delete("tx:q")
        p = r.pipeline(transaction=True)
        p.set("tx:q", "1").execute_command("NOSUCHCMD", "x").incr("tx:q")
        e = raises(p.execute, ResponseError, "unknown command")
        check("NOSUCHCMD" in str(e), f"queueing error names the command: {e}")
        eq(r.exists("tx:q"), 0, "nothing ran after EXECABORT")
        p = r.pipeline(transaction=True)
        p.set("tx:q", "1").execute_command("GET")
        raises(p.execute, ResponseError, "wrong number of arguments")
        eq(r.exists("tx:q"), 0, "nothing ran after EXECABORT (arity)")
        eq(r.ping(), True, "the connection is usable afterwards")
        r.close()

    def test_pipeline_watch(self):
        """redis-py's WATCH recipe: immediate mode after watch(), then multi() and execute();
        a write by another client in between raises WatchError."""
        r = self.client()
        other = self.client()
        r.set("tx:w", "10")
        with r.pipeline() as p:
            p.watch("tx:w")
            value = int(p.get("tx:w"))
            p.multi()
            p.set("tx:w", value + 1)
            eq(p.execute(), [True], "WATCH/MULTI/EXEC without interference")
        eq(r.get("tx:w"), "11", "value after the transaction")
        with r.pipeline() as p:
            p.watch("tx:w")
            value = int(p.get("tx:w"))
            other.set("tx:w", "100")
            p.multi()
            p.set("tx:w", value + 1)
            raises(p.execute, WatchError)
        eq(r.get("tx:w"), "100", "the other client's write stands")
        # A read by the other client does not break the WATCH.
        with r.pipeline() as p:
            p.watch("tx:w")
            other.get("tx:w")
            other.exists("tx:w")
            p.multi()
            p.incr("tx:w")
            eq(p.execute(), [101], "reads by another client do not abort")
        # unwatch() (UNWATCH) forgets the watched key.
        with r.pipeline() as p:
            p.watch("tx:w")
            p.unwatch()
            other.set("tx:w", "7")
            p.multi()
            p.incr("tx:w")
            eq(p.execute(), [8], "UNWATCH before the other client's write")
        # r.transaction() retries the function until EXEC succeeds.
        calls = []

        def bump(pipe):
            calls.append(1)
            v = int(pipe.get("tx:w"))
            if len(calls) == 1:
                other.set("tx:w", v + 100)  # forces one retry
            pipe.multi()
            pipe.set("tx:w", v + 1)

        r.transaction(bump, "tx:w")
        eq(len(calls), 2, "r.transaction retried exactly once")
        eq(r.get("tx:w"), "109", "value after the retried transaction")
        r.delete("tx:w")
        other.close()
        r.close()

    # WATCH -----------------------------------------------------------------------------------

    def test_optimistic_increment_race(self):
        """Two clients, each RACE_INCREMENTS times: WATCH; GET; MULTI; SET value+1; EXEC,
        retried on a nil EXEC. Every increment must land exactly once."""
        setup = self.client()
        setup.set("tx:counter", "0")
        setup.close()
        barrier = threading.Barrier(RACE_THREADS, timeout=10)
        results = [None] * RACE_THREADS

        def worker(i):
            c = self.client()
            done = aborted = attempts = 0
            try:
                barrier.wait()
                while done < RACE_INCREMENTS and attempts < RACE_MAX_ATTEMPTS:
                    attempts += 1
                    with c.pipeline() as p:
                        try:
                            p.watch("tx:counter")
                            value = int(p.get("tx:counter"))
                            p.multi()
                            p.set("tx:counter", value + 1)
                            p.execute()
                            done += 1
                        except WatchError:
                            aborted += 1
                results[i] = (done, aborted, attempts, None)
            except Exception as e:  # reported by the main thread
                results[i] = (done, aborted, attempts, f"{type(e).__name__}: {e}")
            finally:
                c.close()

        threads = [threading.Thread(target=worker, args=(i,), daemon=True)
                   for i in range(RACE_THREADS)]
        for t in threads:
            t.start()
        deadline = time.monotonic() + RACE_TIMEOUT_S
        for t in threads:
            t.join(max(0.0, deadline - time.monotonic()))
        check(not any(t.is_alive() for t in threads),
              f"race did not finish within {RACE_TIMEOUT_S}s: {results}")
        for i, res in enumerate(results):
            check(res is not None, f"worker {i} reported nothing")
            check(res[3] is None, f"worker {i} failed: {res[3]}")
            eq(res[0], RACE_INCREMENTS, f"worker {i} increments (aborted {res[1]}, "
                                        f"attempts {res[2]})")
        r = self.client()
        eq(r.get("tx:counter"), str(RACE_THREADS * RACE_INCREMENTS), "final counter")
        aborted = sum(res[1] for res in results)
        print(f"  race: {RACE_THREADS}x{RACE_INCREMENTS} increments, {aborted} aborted EXECs "
              f"retried", flush=True)
        r.delete("tx:counter")
        r.close()

    def test_watch_broken_by_expiry_after_access(self):
        """A watched key with PX 100 expires; another client notices it is gone (which
        deletes it); EXEC answers nil."""
        c = self.conn()
        other = self.client()
        eq(c.set("tx:exp", "v", px=100), "OK", "SET PX 100")
        eq(c.execute_command("WATCH", "tx:exp"), "OK", "WATCH")
        check(wait_for(lambda: other.exists("tx:exp") == 0, EXPIRY_WAIT_S),
              f"tx:exp did not expire within {EXPIRY_WAIT_S}s")
        eq(c.execute_command("MULTI"), "OK", "MULTI")
        eq(c.execute_command("SET", "tx:exp", "new"), "QUEUED", "queued SET")
        eq(c.execute_command("EXEC"), None, "EXEC after the watched key expired")
        eq(c.exists("tx:exp"), 0, "the queued SET did not run")
        other.close()
        c.close()

    def test_watch_broken_by_expiry_untouched(self):
        """The same without anyone touching the key: it expires while nobody looks, and EXEC
        itself must notice."""
        c = self.conn()
        other = self.client()
        eq(c.set("tx:exp2", "v", px=100), "OK", "SET PX 100")
        eq(c.execute_command("WATCH", "tx:exp2"), "OK", "WATCH")
        started = time.monotonic()
        check(wait_for(lambda: time.monotonic() - started >= 0.3, EXPIRY_WAIT_S),
              "clock did not advance")
        eq(c.execute_command("MULTI"), "OK", "MULTI")
        eq(c.execute_command("GET", "tx:exp2"), "QUEUED", "queued GET")
        eq(c.execute_command("EXEC"), None, "EXEC after the watched key expired unseen")
        eq(other.exists("tx:exp2"), 0, "the key is gone")
        # A key with a long TTL that does not expire leaves the WATCH intact.
        c.set("tx:exp3", "v", ex=1000)
        eq(c.execute_command("WATCH", "tx:exp3"), "OK", "WATCH")
        eq(c.execute_command("MULTI"), "OK", "MULTI")
        eq(c.execute_command("GET", "tx:exp3"), "QUEUED", "queued GET")
        eq(c.execute_command("EXEC"), ["v"], "EXEC with an unexpired watched key")
        c.delete("tx:exp3")
        other.close()
        c.close()

    def test_watch_flush(self):
        """FLUSHALL and FLUSHDB by another client break a WATCH on a key that existed."""
        c = self.conn()
        other = self.client()
        c.set("tx:f", "1")
        eq(c.execute_command("WATCH", "tx:f"), "OK", "WATCH")
        other.flushdb()
        eq(c.execute_command("MULTI"), "OK", "MULTI")
        eq(c.execute_command("PING"), "QUEUED", "queued PING")
        eq(c.execute_command("EXEC"), None, "EXEC after FLUSHDB of a watched key")
        # A watched key that did not exist is not touched by a flush.
        eq(c.execute_command("WATCH", "tx:f"), "OK", "WATCH missing key")
        other.flushall()
        eq(c.execute_command("MULTI"), "OK", "MULTI")
        eq(c.execute_command("PING"), "QUEUED", "queued PING")
        eq(c.execute_command("EXEC"), ["PONG"], "EXEC after FLUSHALL of a missing watched key")
        other.close()
        c.close()

    # Errors ----------------------------------------------------------------------------------

    def test_execabort(self):
        """-EXECABORT reaches redis-py as ExecAbortError, and nothing queued has run."""
        c = self.conn()
        c.delete("tx:ab")
        eq(c.execute_command("MULTI"), "OK", "MULTI")
        eq(c.execute_command("SET", "tx:ab", "1"), "QUEUED", "queued SET")
        raises(lambda: c.execute_command("SET", "tx:ab"), ResponseError,
               "wrong number of arguments for 'set' command")
        raises(lambda: c.execute_command("NOSUCHCMD"), ResponseError, "unknown command")
        e = raises(lambda: c.execute_command("EXEC"), ExecAbortError)
        eq(str(e), "Transaction discarded because of previous errors.", "EXECABORT text")
        eq(c.exists("tx:ab"), 0, "the queued SET did not run")
        raises(lambda: c.execute_command("EXEC"), ResponseError, "EXEC without MULTI")
        raises(lambda: c.execute_command("DISCARD"), ResponseError, "DISCARD without MULTI")
        # Nested MULTI and WATCH inside MULTI are errors that do not abort the transaction.
        eq(c.execute_command("MULTI"), "OK", "MULTI")
        raises(lambda: c.execute_command("MULTI"), ResponseError, "MULTI calls can not be nested")
        raises(lambda: c.execute_command("WATCH", "tx:ab"), ResponseError,
               "WATCH inside MULTI is not allowed")
        eq(c.execute_command("SET", "tx:ab", "2"), "QUEUED", "queued SET")
        eq(c.execute_command("EXEC"), ["OK"], "EXEC after the non-aborting errors")
        eq(c.get("tx:ab"), "2", "value after EXEC")
        # DISCARD drops the queue and leaves the connection outside MULTI.
        eq(c.execute_command("MULTI"), "OK", "MULTI")
        eq(c.execute_command("SET", "tx:ab", "3"), "QUEUED", "queued SET")
        eq(c.execute_command("DISCARD"), "OK", "DISCARD")
        eq(c.get("tx:ab"), "2", "DISCARD dropped the queued SET")
        c.delete("tx:ab")
        c.close()

    def test_raw_bytes(self):
        """The exact bytes of the replies redis-py hides."""
        with harness.RespConnection(self.port) as c:
            eq(c.call("MULTI"), b"+OK\r\n", "MULTI")
            eq(c.call("SET", "tx:raw", "1"), b"+QUEUED\r\n", "QUEUED")
            eq(c.call("GET", "tx:raw"), b"+QUEUED\r\n", "QUEUED")
            eq(c.call("EXEC"), b"*2\r\n+OK\r\n$1\r\n1\r\n", "EXEC array")
            eq(c.call("WATCH", "tx:raw"), b"+OK\r\n", "WATCH")
            eq(c.call("SET", "tx:raw", "2"), b"+OK\r\n", "SET on the watched key")
            eq(c.call("MULTI"), b"+OK\r\n", "MULTI")
            eq(c.call("EXEC"), b"*-1\r\n", "nil EXEC in RESP2")
            c.call("HELLO", "3")
            eq(c.call("WATCH", "tx:raw"), b"+OK\r\n", "WATCH")
            eq(c.call("DEL", "tx:raw"), b":1\r\n", "DEL the watched key")
            eq(c.call("MULTI"), b"+OK\r\n", "MULTI")
            eq(c.call("EXEC"), b"_\r\n", "nil EXEC in RESP3")


TESTS = [
    "test_pipeline_results", "test_pipeline_runtime_error", "test_pipeline_queueing_error",
    "test_pipeline_watch", "test_optimistic_increment_race",
    "test_watch_broken_by_expiry_after_access", "test_watch_broken_by_expiry_untouched",
    "test_watch_flush", "test_execabort", "test_raw_bytes",
]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("ember", help="path to ember-server (or any redis-compatible server)")
    ap.add_argument("-k", default=None, help="run only tests whose name contains this")
    args = ap.parse_args()
    print(f"test_transactions: redis-py {redis.__version__}, server {args.ember}", flush=True)

    srv = harness.Server(args.ember, name="ember")
    passed, failed = [], []
    try:
        srv.start()
        suite = Suite(srv.port)
        for name in TESTS:
            if args.k and args.k not in name:
                continue
            try:
                getattr(suite, name)()
                passed.append(name)
                print(f"PASS {name}", flush=True)
            except Exception as e:
                failed.append(name)
                detail = "".join(traceback.format_exception_only(type(e), e)).strip()
                print(f"FAIL {name}: {detail}", flush=True)
                if not srv.alive():
                    print(f"  {srv.name} is no longer running; log tail:\n{srv.log_tail()}")
                    raise RuntimeError(f"{srv.name} died")
    except Exception as e:
        print(f"test_transactions: ERROR: {type(e).__name__}: {e}")
        failed.append("<harness>")
    finally:
        srv.stop()
    print(f"test_transactions: {len(passed)} passed, {len(failed)} failed"
          + (f" (failed: {', '.join(failed)})" if failed else ""))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
