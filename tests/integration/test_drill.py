#!/usr/bin/env python3
"""integration.drill: the local topology launcher (scripts/run.sh) and the failover drill tool
(scripts/ember-drill) against it.

scripts/run.sh runs as a child of this test with EMBER_NO_BUILD=1 and the binaries given, on
free loopback ports (each with port + 10000 free too), in a temp run dir, with
down-after-milliseconds 1000 and failover-timeout 10000. Then:
  - ember-drill --fault kill9 --restart --wait-replicas 1: a failover, zero WAIT-acknowledged
    writes lost, the old master started again by the launcher (a new PID, its child) and back
    as a replica; the JSON report says so and the SVG parses as XML;
  - ember-drill --fault sigstop --wait-replicas 1 on the new master: the same, and the old
    master is running (not stopped) afterwards;
  - the launcher stops on SIGINT (SIGTERM after 15 s), removes its pid file, and every process
    it started has exited.
Processes are signalled by PID only; every wait is bounded.

  test_drill.py --server build/server/ember-server --sentinel build/sentinel/ember-sentinel
"""

import argparse
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import xml.etree.ElementTree as ET

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, HERE)

from harness import free_port  # noqa: E402
from sentinel_topology import try_value, wait_until  # noqa: E402

RUN_SH = os.path.join(ROOT, "scripts", "run.sh")
DRILL = os.path.join(ROOT, "scripts", "ember-drill")
START_TIMEOUT_S = 30.0
DRILL_TIMEOUT_S = 120.0
STOP_TIMEOUT_S = 15.0


def read_pids(run_dir):
    """{(kind, port): pid or None} from the launcher's pid file; {} when there is none."""
    try:
        with open(os.path.join(run_dir, "pids")) as f:
            lines = f.read().splitlines()
    except OSError:
        return {}
    out = {}
    for line in lines:
        parts = line.split()
        if len(parts) == 3 and not line.startswith("#"):
            out[(parts[0], int(parts[1]))] = None if parts[2] == "-" else int(parts[2])
    return out


def proc_stat(pid):
    """(state, ppid) of a live process, or None."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            rest = f.read().rsplit(")", 1)[1].split()
        return rest[0], int(rest[1])
    except (OSError, IndexError, ValueError):
        return None


def is_ours(pid, binaries):
    """The process still exists and runs one of our binaries (not a reused PID)."""
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as f:
            argv0 = f.read().split(b"\0")[0].decode(errors="replace")
    except OSError:
        return False
    st = proc_stat(pid)
    return st is not None and st[0] != "Z" and os.path.realpath(argv0) in binaries


class Launcher:
    def __init__(self, server, sentinel, work):
        self.server = os.path.realpath(server)
        self.sentinel = os.path.realpath(sentinel)
        self.work = work
        self.run_dir = os.path.join(work, "run")
        self.ports = [free_port() for _ in range(3)]
        self.sentinel_ports = [free_port() for _ in range(3)]
        self.proc = None
        self.seen = set()   # every PID the pid file listed
        self.log = None

    def start(self):
        env = dict(os.environ, EMBER_PORTS=" ".join(map(str, self.ports)),
                   EMBER_SENTINEL_PORTS=" ".join(map(str, self.sentinel_ports)),
                   EMBER_RUN_DIR=self.run_dir, EMBER_NO_BUILD="1", EMBER_SERVER=self.server,
                   EMBER_SENTINEL=self.sentinel, EMBER_DOWN_AFTER_MS="1000",
                   EMBER_FAILOVER_TIMEOUT_MS="10000")
        self.log = open(os.path.join(self.work, "launcher.log"), "wb")
        self.proc = subprocess.Popen(["bash", RUN_SH, "--save", ""], env=env,
                                     stdin=subprocess.DEVNULL, stdout=self.log,
                                     stderr=subprocess.STDOUT)

        def up():
            if self.proc.poll() is not None:
                raise AssertionError(f"run.sh exited with {self.proc.returncode}:\n"
                                     + self.log_text())
            pids = self.pids()
            if len(pids) != 6 or None in pids.values():
                return False
            return all(try_value(p, "PING", timeout=0.5) == "PONG"
                       for p in self.ports + self.sentinel_ports)
        if not wait_until(up, START_TIMEOUT_S, 0.1):
            raise AssertionError(f"the topology is not up after {START_TIMEOUT_S} s:\n"
                                 + self.log_text())
        for pid in self.pids().values():
            st = proc_stat(pid)
            assert st and st[1] == self.proc.pid, f"pid {pid} is not a child of run.sh: {st}"
        return self

    def pids(self):
        p = read_pids(self.run_dir)
        self.seen.update(v for v in p.values() if v)
        return p

    def log_text(self):
        try:
            with open(os.path.join(self.work, "launcher.log"), "rb") as f:
                return f.read()[-4000:].decode(errors="replace")
        except OSError:
            return ""

    def stop(self):
        """SIGINT, then SIGTERM, then SIGKILL (a failure) to run.sh, by its PID; returns its exit
        status and the PIDs it started that are still alive after a bounded wait."""
        self.pids()
        status = None
        if self.proc is not None:
            for sig, wait_s in ((signal.SIGINT, STOP_TIMEOUT_S), (signal.SIGTERM, 10.0),
                                (signal.SIGKILL, 5.0)):
                if self.proc.poll() is not None:
                    break
                self.proc.send_signal(sig)
                try:
                    status = self.proc.wait(timeout=wait_s)
                    if sig != signal.SIGINT:
                        status = f"{status} (needed {signal.Signals(sig).name})"
                    break
                except subprocess.TimeoutExpired:
                    continue
            if status is None:
                status = self.proc.poll()
        binaries = {self.server, self.sentinel}
        wait_until(lambda: not any(is_ours(p, binaries) for p in self.seen), 5.0, 0.05)
        left = [p for p in self.seen if is_ours(p, binaries)]
        for p in left:   # started (through run.sh) by this test: never leave them running
            try:
                os.kill(p, signal.SIGKILL)
            except ProcessLookupError:
                pass
        if self.log is not None:
            self.log.close()
            self.log = None
        return status, left


def drill(launcher, fault, extra, work):
    j = os.path.join(work, f"{fault}.json")
    s = os.path.join(work, f"{fault}.svg")
    cmd = [sys.executable, DRILL, "--run-dir", launcher.run_dir, "--fault", fault,
           "--wait-replicas", "1", "--warmup", "1", "--tail", "1", "--json", j, "--svg", s,
           "--settle", "30"] + extra
    t = time.monotonic()
    r = subprocess.run(cmd, capture_output=True, text=True, timeout=DRILL_TIMEOUT_S)
    print(f"$ ember-drill --fault {fault} {' '.join(extra)}  ({time.monotonic() - t:.1f} s, "
          f"exit {r.returncode})\n{r.stdout}{r.stderr}", flush=True)
    assert r.returncode == 0, f"ember-drill {fault} exited {r.returncode}"
    with open(j) as f:
        rep = json.load(f)
    assert rep["ok"] is True and not rep["failures"], rep["failures"]
    assert rep["failover"] is True, "no failover in the report"
    t_ = rep["topology"]
    assert t_["master_after"] and t_["master_after"] != t_["master_before"], t_
    m = rep["metrics"]
    assert m["failover_s"] is not None and m["failover_s"] > 0, m
    assert m["acknowledged"] > 0 and m["acknowledged_lost"] == 0, m
    assert m["old_master_back_s"] is not None, m
    steps = [r["step"] for r in rep["timeline"]]
    for step in ("fault", "+sdown", "+odown", "+elected-leader", "+promoted-slave",
                 "+switch-master", "first write accepted", "old master back as replica"):
        assert step in steps, f"{step} missing from the timeline {steps}"
    root = ET.parse(s).getroot()
    assert root.tag.endswith("svg"), root.tag
    assert any(e.tag.endswith("rect") for e in root.iter()), "no bars in the SVG"
    return rep


def main():
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--server", required=True)
    ap.add_argument("--sentinel", required=True)
    args = ap.parse_args()
    for b in (args.server, args.sentinel):
        if not os.access(b, os.X_OK):
            print(f"binary not found: {b}", file=sys.stderr)
            return 1
    work = tempfile.mkdtemp(prefix="ember-it-drill-")
    launcher = Launcher(args.server, args.sentinel, work)
    failed = False
    t_all = time.monotonic()
    try:
        launcher.start()
        first_master = launcher.ports[0]

        # kill -9 with --restart: the launcher starts the old master again as its own child.
        old_pid = launcher.pids()[("server", first_master)]
        rep = drill(launcher, "kill9", ["--restart"], work)
        assert rep["topology"]["master_before"] == f"127.0.0.1:{first_master}", rep["topology"]
        new_pid = launcher.pids()[("server", first_master)]
        assert new_pid and new_pid != old_pid, (old_pid, new_pid)
        st = proc_stat(new_pid)
        assert st and st[1] == launcher.proc.pid, f"restarted pid {new_pid}: {st}"

        # SIGSTOP on the new master: resumed (SIGCONT) after the switch, back as a replica.
        second = int(rep["topology"]["master_after"].rsplit(":", 1)[1])
        pid2 = launcher.pids()[("server", second)]
        rep2 = drill(launcher, "sigstop", [], work)
        assert rep2["topology"]["master_before"] == f"127.0.0.1:{second}", rep2["topology"]
        assert "old master resumed" in [r["step"] for r in rep2["timeline"]]
        st = proc_stat(pid2)
        assert st and st[0] != "T", f"the old master (pid {pid2}) is left stopped: {st}"
        assert launcher.pids()[("server", second)] == pid2, "SIGSTOP drill restarted a node"
    except (AssertionError, subprocess.TimeoutExpired, OSError) as e:
        failed = True
        print(f"FAIL: {type(e).__name__}: {e}", file=sys.stderr)
        print("--- launcher output:\n" + launcher.log_text(), file=sys.stderr)
    finally:
        status, left = launcher.stop()
        print(f"launcher stopped: exit {status}; {len(launcher.seen)} pids started, "
              f"{len(left)} left running")
        if left:
            failed = True
            print(f"FAIL: processes still running after the launcher stopped: {left}",
                  file=sys.stderr)
        if status != 130 and not failed:
            failed = True
            print(f"FAIL: run.sh exit status {status} on SIGINT (130 expected)", file=sys.stderr)
        if os.path.exists(os.path.join(launcher.run_dir, "pids")):
            failed = True
            print("FAIL: the pid file is still there after the launcher stopped",
                  file=sys.stderr)
        if failed or os.environ.get("EMBER_IT_KEEP_DIRS") == "1":
            print(f"kept {work}", file=sys.stderr)
        else:
            shutil.rmtree(work, ignore_errors=True)
    print(f"integration.drill: {'FAIL' if failed else 'PASS'} in "
          f"{time.monotonic() - t_all:.1f} s")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
