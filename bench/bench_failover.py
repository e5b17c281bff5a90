#!/usr/bin/env python3
"""The failover drill of bench/bench_failover.sh (see the method there): TRIALS trials per
implementation, each on a fresh topology from tests/integration/sentinel_topology.py, one line
per trial, then the table of medians with ember/redis.

  bench_failover.py --trials 5 --impl redis [--impl ember --server B --sentinel B]
"""

import argparse
import os
import statistics
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
IT = os.path.join(ROOT, "tests", "integration")
sys.path.insert(0, IT)

from sentinel_topology import (MasterWriter, NodeClients, Topology, info,  # noqa: E402
                               switch_master_target, wait_until)

NAME = "mymaster"
SPURIOUS_WINDOW_S = 10.0
SWITCH_TIMEOUT_S = 60.0
REJOIN_TIMEOUT_S = 90.0
CLIENT_TIMEOUT_S = 60.0

METRICS = [
    ("switch", "kill -9 -> +switch-master on a sentinel (s)"),
    ("redis-py", "kill -9 -> 1st write acked, redis-py master_for (s)"),
    ("ioredis", "kill -9 -> 1st write acked, ioredis 5 (s)"),
    ("node-redis5", "kill -9 -> 1st write acked, node-redis 5 (s)"),
    ("rejoin", "old master restarted -> replicating again (s)"),
]


def trial(impl, server, sentinel, node, n, down_after_ms, failover_timeout_ms):
    """One kill -9 drill; returns a dict of the measurements (None where it did not happen)."""
    res = {"impl": impl, "trial": n}
    topo = Topology(impl, server, sentinel, name=NAME, quorum=2, down_after_ms=down_after_ms,
                    failover_timeout_ms=failover_timeout_ms, tag="bench-failover")
    clients = None
    writers = []
    try:
        topo.start()
        topo.wait_healthy(30, replicas=2, others=2)
        old = topo.master_node()
        fast = MasterWriter(topo, f"b{n}:fast", interval=0.01, limit_s=120).start()
        safe = MasterWriter(topo, f"b{n}:wait", interval=0.01, wait_replicas=1, wait_ms=100,
                            limit_s=120).start()
        writers = [fast, safe]
        clients = NodeClients(node, topo, NAME, f"b{n}:node", CLIENT_TIMEOUT_S * 1000).start()
        if not clients.wait_ready(30) or not all(w.wait_acks(5, 10) for w in writers):
            raise RuntimeError("clients not writing before the kill: "
                               + " | ".join(clients.lines + [str(w.last_error) for w in writers]))
        with topo.events() as cs:
            t_wall, t0 = time.time(), time.monotonic()
            old.kill9()
            clients.kill(t_wall)
            firsts = [c.wait_for("+switch-master", SWITCH_TIMEOUT_S, t0) for c in cs]
            if any(f is None for f in firsts):
                raise RuntimeError("no +switch-master on every sentinel:\n" + topo.describe())
            t_switch = min(f[0] for f in firsts)
            res["switch"] = t_switch - t0
            new_port = switch_master_target(firsts[0][2])
            # The old master comes back empty, as a master, once every sentinel switched.
            t_restart = time.monotonic()
            topo.restart_node(old)

            def rejoined():
                i = info(old.port)
                return (i.get("role") == "slave" and i.get("master_port") == str(new_port)
                        and i.get("master_link_status") == "up")
            if wait_until(rejoined, REJOIN_TIMEOUT_S, 0.02):
                res["rejoin"] = time.monotonic() - t_restart
            first = wait_until(lambda: fast.first_ack_after(t0), 30, 0.01)
            res["redis-py"] = first - t0 if first else None
            # The spurious window: every +switch-master after each sentinel's first.
            window_end = t_switch + SPURIOUS_WINDOW_S
            wait_until(lambda: time.monotonic() >= window_end,
                       max(0.0, window_end - time.monotonic()) + 1, 0.1)
            res["spurious"] = sum(
                max(0, c.count("+switch-master", since=t0, until=window_end) - 1) for c in cs)
        clients.finish(CLIENT_TIMEOUT_S + 15)
        for r in clients.results():
            ms = r.get("first_ack_ms")
            res[r["client"]] = ms / 1000 if ms is not None and r.get("ok") else None
        for w in writers:
            w.stop()
        # Acknowledged (WAIT 1 100 >= 1) writes missing on the new master.
        res["acked"] = len(safe.acks())
        res["lost"] = len(safe.lost(new_port))
        res["node_output"] = clients.lines
    except Exception as e:  # noqa: BLE001 - a failed trial is reported, the others go on
        res["error"] = f"{type(e).__name__}: {e}"
    finally:
        for w in writers:
            w.stop()
        if clients is not None:
            clients.stop()  # the node process this driver started, by its PID
        topo.stop()
    return res


def fmt(v):
    return "FAIL" if v is None else f"{v:.2f}"


def median(rs, key):
    """'1.23' over the trials that measured it, '1.23*' when some did not, FAIL if none."""
    vals = [r[key] for r in rs if r.get(key) is not None]
    if not vals:
        return None, "FAIL"
    m = statistics.median(vals)
    return m, f"{m:.2f}" + ("*" if len(vals) < len(rs) else "")


def main():
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--trials", type=int, default=5)
    ap.add_argument("--impl", action="append", choices=["redis", "ember"], required=True)
    ap.add_argument("--server", help="ember-server (for --impl ember)")
    ap.add_argument("--sentinel", help="ember-sentinel (for --impl ember)")
    ap.add_argument("--node", default="node")
    ap.add_argument("--down-after", type=int, default=1000)
    ap.add_argument("--failover-timeout", type=int, default=10000)
    args = ap.parse_args()

    results = {}
    for n in range(1, args.trials + 1):
        for impl in args.impl:  # trials of the two alternate
            server = args.server if impl == "ember" else None
            sentinel = args.sentinel if impl == "ember" else None
            r = trial(impl, server, sentinel, args.node, n, args.down_after,
                      args.failover_timeout)
            results.setdefault(impl, []).append(r)
            print(f"{impl} trial {n}: " + "  ".join(f"{k} {fmt(r.get(k))}" for k, _ in METRICS)
                  + f"  spurious {r.get('spurious', '-')}  lost {r.get('lost', '-')}/"
                  f"{r.get('acked', '-')}" + (f"  ERROR {r['error']}" if "error" in r else ""),
                  flush=True)
            if any(r.get(k) is None for k in ("ioredis", "node-redis5")) and r.get("node_output"):
                print("   node: " + " | ".join(r["node_output"][-4:]), flush=True)

    e, rd = results.get("ember", []), results.get("redis", [])
    print()
    print(f"{'metric (median of ' + str(args.trials) + ' trials)':<52} {'ember':>9} "
          f"{'redis':>9} {'ember/redis':>12}")
    for key, label in METRICS:
        (ev, es), (rv, rs_) = (median(e, key) if e else (None, "-"),
                               median(rd, key) if rd else (None, "-"))
        ratio = f"{ev / rv:.2f}" if ev is not None and rv else "-"
        print(f"{label:<52} {es:>9} {rs_:>9} {ratio:>12}")

    def total(rs, key):
        vals = [r.get(key) for r in rs]
        return "-" if not rs else ("FAIL" if None in vals else str(sum(vals)))
    print(f"{'spurious +switch-master within 10 s (sum of trials)':<52} {total(e, 'spurious'):>9} "
          f"{total(rd, 'spurious'):>9} {'-':>12}")
    lost = [f"{total(rs, 'lost')}/{total(rs, 'acked')}" if rs else "-" for rs in (e, rd)]
    print(f"{'acked (WAIT 1 100 >= 1) writes lost / acked (sum)':<52} {lost[0]:>9} {lost[1]:>9} "
          f"{'-':>12}")
    print("(* = median of the trials that measured it; the others failed, see the trial lines)")
    failed = [r for rs in results.values() for r in rs if "error" in r]
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
