#!/usr/bin/env python3
"""A Sentinel topology on loopback for the sentinel tests and the failover bench: 1 master,
2 replicas and 3 sentinels, either Redis 7.0's (impl "redis": redis-server and redis-sentinel
with generated .conf files) or Ember's (impl "ember": ember-server, and ember-sentinel with one
YAML file per sentinel as sentinel/README.md describes it).

Every process runs on 127.0.0.1 on a port from harness.free_port() (which also keeps port +
10000 free: Ember's replication port on data nodes, the peer-port on sentinels), with a dir of
its own under one temp dir as cwd, and is started, killed (-9), paused (SIGSTOP), resumed
(SIGCONT) and restarted on the same port and dir through harness.Server, by its PID only.
Waits are bounded polls.

Helpers: sentinel commands over raw RESP (reply bytes, or decoded), the wait until every
sentinel knows the master with its replicas and the other sentinels, an EventCollector that
PSUBSCRIBEs to a sentinel in a thread and records (monotonic time, channel, payload), and
redis-py's Sentinel for the clients.

Run alone, it starts a topology, prints its ports and waits until stdin closes (or Enter):
  /usr/bin/python3 sentinel_topology.py --impl redis
  /usr/bin/python3 sentinel_topology.py --impl ember --server build/server/ember-server \\
      --sentinel build/sentinel/ember-sentinel
"""

import argparse
import contextlib
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from harness import (ConnectionClosed, ProtocolError, RespConnection, Server,  # noqa: E402
                     free_port, parse_reply)

try:
    import redis
    import redis.sentinel
except ImportError:  # pragma: no cover - Debian's python3 has python3-redis
    redis = None

HERE = os.path.dirname(os.path.abspath(__file__))
HOST = "127.0.0.1"
PEER_PORT_OFFSET = 10000      # ember-sentinel's default peer-port is its port + 10000
MASTER_NAME = "mymaster"
START_TIMEOUT_S = 10.0
IO_TIMEOUT_S = 5.0
REDIS_SERVER = "/usr/bin/redis-server"
REDIS_SENTINEL = "/usr/bin/redis-sentinel"

DEFAULT_BINARIES = {
    "redis": (REDIS_SERVER, REDIS_SENTINEL),
    "ember": ("build/server/ember-server", "build/sentinel/ember-sentinel"),
}


class ReplyError(Exception):
    """An error reply (-ERR ...) where a value was expected."""


# --------------------------------------------------------------------------------------------
# Talking to a node or a sentinel
# --------------------------------------------------------------------------------------------

def call(port, *args, timeout=IO_TIMEOUT_S, host=HOST):
    """One command on a fresh connection; the raw reply bytes."""
    with RespConnection(port, host=host, timeout=timeout) as c:
        return c.call(*args)


def decode(tree):
    """parse_reply's tree as Python values: str for strings, int, None, lists (maps are flat
    lists of key, value as in RESP2). An error reply raises ReplyError."""
    t, v = tree
    if t in (b"-", b"!"):
        raise ReplyError(v.decode("utf-8", "replace"))
    if v is None:
        return None
    if isinstance(v, list):
        return [decode(c) for c in v]
    if t == b":":
        return int(v)
    return v.decode("utf-8", "replace")


def value(port, *args, timeout=IO_TIMEOUT_S, host=HOST):
    """One command on a fresh connection; the reply decoded (see decode)."""
    return decode(parse_reply(call(port, *args, timeout=timeout, host=host)))


def try_value(port, *args, timeout=IO_TIMEOUT_S, host=HOST):
    """value(), or None when the node does not answer or answers with an error."""
    try:
        return value(port, *args, timeout=timeout, host=host)
    except (OSError, ConnectionClosed, ProtocolError, ReplyError):
        return None


def pairs(flat):
    """[k1, v1, k2, v2 ...] -> {k1: v1, ...}"""
    return dict(zip(flat[0::2], flat[1::2]))


def info(port, section="replication", timeout=IO_TIMEOUT_S, host=HOST):
    """INFO section as a dict of str; {} when the node does not answer."""
    text = try_value(port, "INFO", section, timeout=timeout, host=host)
    if not isinstance(text, str):
        return {}
    return dict(line.split(":", 1) for line in text.splitlines()
                if ":" in line and not line.startswith("#"))


def wait_until(pred, timeout, interval=0.05):
    """Bounded poll: the first truthy value pred() returns, or None after `timeout` s."""
    deadline = time.monotonic() + timeout
    while True:
        v = pred()
        if v:
            return v
        if time.monotonic() >= deadline:
            return None
        time.sleep(interval)  # poll interval of a bounded wait


# --------------------------------------------------------------------------------------------
# Sentinel events
# --------------------------------------------------------------------------------------------

class EventCollector:
    """PSUBSCRIBE * on one sentinel, in a thread: records (monotonic time, channel, payload).

    Reconnects (every 0.1 s while stop() was not called) when the sentinel goes away, so it
    follows a sentinel that is restarted on the same port.
    """

    def __init__(self, port, label=None, host=HOST):
        self.port = port
        self.host = host
        self.label = label or f"sentinel:{port}"
        self.events = []
        self._lock = threading.Lock()
        self._cond = threading.Condition(self._lock)
        self._stop = threading.Event()
        self._subscribed = threading.Event()
        self._thread = threading.Thread(target=self._run, name=f"events-{port}", daemon=True)

    def start(self, timeout=START_TIMEOUT_S):
        self._thread.start()
        if not self._subscribed.wait(timeout):
            raise AssertionError(f"PSUBSCRIBE * on {self.label} not confirmed in {timeout}s")
        return self

    def stop(self):
        self._stop.set()
        self._thread.join(timeout=5)

    def _run(self):
        while not self._stop.is_set():
            try:
                conn = RespConnection(self.port, host=self.host, timeout=2.0)
            except OSError:
                self._stop.wait(0.1)  # the sentinel is down: retry until stop()
                continue
            try:
                conn.send_command("PSUBSCRIBE", "*")
                while not self._stop.is_set():
                    try:
                        reply = conn.read_reply(timeout=0.2)
                    except socket.timeout:
                        continue
                    kind, items = parse_reply(reply)
                    if kind not in (b"*", b">") or not items:
                        continue
                    words = [v for _, v in items]
                    if words[0] == b"psubscribe":
                        self._subscribed.set()
                    elif words[0] == b"pmessage" and len(words) == 4:
                        ev = (time.monotonic(), words[2].decode(), words[3].decode())
                        with self._cond:
                            self.events.append(ev)
                            self._cond.notify_all()
            except (OSError, ConnectionClosed, ProtocolError):
                pass
            finally:
                conn.close()

    def snapshot(self, since=0.0, channel=None):
        with self._lock:
            return [e for e in self.events
                    if e[0] >= since and (channel is None or e[1] == channel)]

    def count(self, channel, since=0.0, until=float("inf")):
        return sum(1 for e in self.snapshot(since, channel) if e[0] <= until)

    def wait_count(self, channel, n, timeout, since=0.0):
        """True once `n` events on `channel` arrived at or after `since`; False when `timeout`
        s passed first (also a bounded wait for the absence of an n-th event)."""
        deadline = time.monotonic() + timeout
        with self._cond:
            while True:
                if sum(1 for e in self.events if e[0] >= since and e[1] == channel) >= n:
                    return True
                left = deadline - time.monotonic()
                if left <= 0:
                    return False
                self._cond.wait(min(left, 0.2))

    def wait_for(self, channel, timeout, since=0.0, pred=None):
        """The first event on `channel` at or after `since` (monotonic) for which pred(payload)
        holds, waiting at most `timeout` s; None if none came."""
        deadline = time.monotonic() + timeout
        with self._cond:
            while True:
                for e in self.events:
                    if e[0] >= since and e[1] == channel and (pred is None or pred(e[2])):
                        return e
                left = deadline - time.monotonic()
                if left <= 0:
                    return None
                self._cond.wait(min(left, 0.2))


def switch_master_target(payload):
    """'+switch-master' payload 'name oldip oldport newip newport' -> newport (int)."""
    parts = payload.split()
    return int(parts[4]) if len(parts) == 5 else None


# --------------------------------------------------------------------------------------------
# The topology
# --------------------------------------------------------------------------------------------

class Topology:
    """1 master + `replicas` replicas + `sentinels` sentinels of one implementation.

    Data nodes and sentinels are harness.Server objects (.port, .dir, .kill9(), .pause(),
    .resume(), .restart(), .alive()); the data nodes keep their original order in .nodes,
    whatever their role became after failovers.
    """

    def __init__(self, impl, server_bin=None, sentinel_bin=None, name=MASTER_NAME, replicas=2,
                 sentinels=3, quorum=2, down_after_ms=1000, failover_timeout_ms=10000,
                 parallel_syncs=1, tag="sentinel-it"):
        if impl not in DEFAULT_BINARIES:
            raise ValueError(f"impl must be redis or ember, not {impl!r}")
        self.impl = impl
        self.server_bin = os.path.abspath(server_bin or DEFAULT_BINARIES[impl][0])
        self.sentinel_bin = os.path.abspath(sentinel_bin or DEFAULT_BINARIES[impl][1])
        self.name = name
        self.n_replicas = replicas
        self.n_sentinels = sentinels
        self.quorum = quorum
        self.down_after_ms = down_after_ms
        self.failover_timeout_ms = failover_timeout_ms
        self.parallel_syncs = parallel_syncs
        self.tag = tag
        self.work = None
        self.nodes = []
        self.sentinels = []
        self.first_master_port = None

    # Start and stop ------------------------------------------------------------------------

    def start(self):
        for b in (self.server_bin, self.sentinel_bin):
            if not os.access(b, os.X_OK):
                raise RuntimeError(f"binary not found or not executable: {b}")
        self.work = tempfile.mkdtemp(prefix=f"ember-{self.tag}-{self.impl}-")
        try:
            master = self.add_node()
            self.first_master_port = master.port
            for _ in range(self.n_replicas):
                self.add_node(replicaof=master.port)
            ports = [free_port() for _ in range(self.n_sentinels)]
            for i, port in enumerate(ports):
                self.add_sentinel(port=port, peers=[p for p in ports if p != port],
                                  master_port=master.port)
        except Exception:
            self.stop()
            raise
        return self

    def stop(self):
        """Stops every process started here (sentinels first, by PID), removes the temp dir."""
        for s in self.sentinels + self.nodes:
            try:
                s.stop()
            except Exception as e:  # keep stopping the others
                print(f"warning: stopping {s.name}: {e}", file=sys.stderr)
        if self.work and os.environ.get("EMBER_IT_KEEP_DIRS") != "1":
            shutil.rmtree(self.work, ignore_errors=True)
        elif self.work:
            print(f"kept {self.work}", file=sys.stderr)
        self.work = None

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()

    # Data nodes ----------------------------------------------------------------------------

    def node_args(self, replicaof=None):
        args = ["--save", ""]
        if self.impl == "redis":
            # Redis 7.0 waits 5 s before a diskless full sync by default; Ember has no delay.
            args += ["--appendonly", "no", "--repl-diskless-sync-delay", "0"]
        if replicaof is not None:
            args += ["--replicaof", f"{HOST} {replicaof}"]
        return args

    def add_node(self, replicaof=None):
        """Starts one more data node (a replica of port `replicaof`, or a master)."""
        i = len(self.nodes)
        d = os.path.join(self.work, f"node{i}")
        os.makedirs(d)
        node = Server(self.server_bin, self.node_args(replicaof), name=f"{self.impl}-node{i}",
                      port=free_port(), workdir=d)
        self.nodes.append(node)
        node.start(START_TIMEOUT_S)
        return node

    def restart_node(self, node, replicaof=None):
        """Starts a dead (or running) node again on its port and dir, empty (no persistence):
        as a master when replicaof is None, as a rebooted master without persisted config
        would come back, else as a replica of port `replicaof`."""
        node.restart(self.node_args(replicaof), START_TIMEOUT_S)
        return node

    def remove_node(self, node):
        """Stops a data node for good and drops it from the topology (its dir stays until
        stop())."""
        node._end()
        self.nodes.remove(node)

    def node_by_port(self, port):
        for n in self.nodes:
            if n.port == port:
                return n
        raise KeyError(f"no data node on port {port}")

    # Sentinels -----------------------------------------------------------------------------

    def add_sentinel(self, port=None, peers=None, master_port=None):
        """Starts one more sentinel monitoring the master on `master_port` (default: the
        current one). `peers` (Ember: seeds of its peer list) default to all other sentinels."""
        port = port or free_port()
        if peers is None:
            peers = [s.port for s in self.sentinels]
        if master_port is None:
            master_port = self.master_port()
        i = len(self.sentinels)
        d = os.path.join(self.work, f"sentinel{i}")
        os.makedirs(d)
        if self.impl == "redis":
            conf = os.path.join(d, "sentinel.conf")
            with open(conf, "w") as f:
                f.write(self._redis_sentinel_conf(port, d, master_port))
        else:
            conf = os.path.join(d, "sentinel.yaml")
            with open(conf, "w") as f:
                f.write(self._ember_sentinel_yaml(port, peers, master_port))
        s = Server(self.sentinel_bin, [], name=f"{self.impl}-sentinel{i}", config_file=conf,
                   port=port, workdir=d)
        s.conf = conf
        self.sentinels.append(s)
        s.start(START_TIMEOUT_S)
        return s

    def _redis_sentinel_conf(self, port, d, master_port):
        n = self.name
        return "\n".join([
            f"port {port}",
            f"bind {HOST}",
            "daemonize no",
            f"dir {d}",
            'logfile ""',
            "sentinel resolve-hostnames no",
            f"sentinel monitor {n} {HOST} {master_port} {self.quorum}",
            f"sentinel down-after-milliseconds {n} {self.down_after_ms}",
            f"sentinel failover-timeout {n} {self.failover_timeout_ms}",
            f"sentinel parallel-syncs {n} {self.parallel_syncs}",
            "",
        ])

    def _ember_sentinel_yaml(self, port, peers, master_port):
        peer_list = ", ".join(f'"{HOST}:{p + PEER_PORT_OFFSET}"' for p in peers)
        return "\n".join([
            f"port: {port}",
            f"bind: {HOST}",
            f"peer-port: {port + PEER_PORT_OFFSET}",
            "resolve-hostnames: no",
            "loglevel: notice",
            f"peers: [{peer_list}]",
            "monitor:",
            f"  - name: {self.name}",
            f"    host: {HOST}",
            f"    port: {master_port}",
            f"    quorum: {self.quorum}",
            f"    down-after-milliseconds: {self.down_after_ms}",
            f"    failover-timeout: {self.failover_timeout_ms}",
            f"    parallel-syncs: {self.parallel_syncs}",
            "",
        ])

    def restart_sentinel(self, s):
        """Starts a sentinel again on its port and dir with the same config file, which it
        rewrote with what it learned."""
        s.restart(None, START_TIMEOUT_S)
        return s

    def sentinel_ports(self, alive_only=True):
        return [s.port for s in self.sentinels if s.alive() or not alive_only]

    def remove_sentinel(self, s):
        """Stops a sentinel for good and drops it from the topology (its dir stays until
        stop())."""
        s._end()
        self.sentinels.remove(s)

    @contextlib.contextmanager
    def events(self):
        """One started EventCollector per running sentinel, stopped on leaving the block."""
        cs = []
        try:
            for s in self.sentinels:
                if s.alive():
                    cs.append(EventCollector(s.port, s.name).start())
            yield cs
        finally:
            for c in cs:
                c.stop()

    # What the sentinels say ----------------------------------------------------------------

    def sentinel(self, s, *args, timeout=IO_TIMEOUT_S):
        """A SENTINEL subcommand on sentinel `s` (a Server or a port), decoded."""
        port = s if isinstance(s, int) else s.port
        return value(port, "SENTINEL", *args, timeout=timeout)

    def master_state(self, s):
        """SENTINEL MASTER name on `s` as a dict; {} when it does not answer."""
        port = s if isinstance(s, int) else s.port
        v = try_value(port, "SENTINEL", "MASTER", self.name)
        return pairs(v) if isinstance(v, list) else {}

    def replicas_state(self, s):
        port = s if isinstance(s, int) else s.port
        v = try_value(port, "SENTINEL", "REPLICAS", self.name)
        return [pairs(x) for x in v] if isinstance(v, list) else []

    def master_addr(self, s):
        """(host, port) from SENTINEL GET-MASTER-ADDR-BY-NAME on `s`, or None."""
        port = s if isinstance(s, int) else s.port
        v = try_value(port, "SENTINEL", "GET-MASTER-ADDR-BY-NAME", self.name)
        if isinstance(v, list) and len(v) == 2:
            return v[0], int(v[1])
        return None

    def master_port(self):
        """The master's port if every running sentinel reports the same one, else None."""
        addrs = {self.master_addr(s) for s in self.sentinels if s.alive()}
        if len(addrs) == 1:
            a = addrs.pop()
            return a[1] if a else None
        return None

    def master_node(self):
        p = self.master_port()
        return self.node_by_port(p) if p is not None else None

    def healthy(self, replicas=None, others=None):
        """The master port when every running sentinel reports the same master, with flags
        exactly 'master', `replicas` replicas (default: every other running data node) of
        which none is down or disconnected, and `others` other sentinels (default: the other
        running sentinels), all connected (flags exactly 'sentinel'); else None."""
        running = [s for s in self.sentinels if s.alive()]
        if replicas is None:
            replicas = len([n for n in self.nodes if n.alive()]) - 1
        if others is None:
            others = len(running) - 1
        port = self.master_port()
        if port is None:
            return None
        for s in running:
            m = self.master_state(s)
            if (m.get("flags") != "master" or m.get("num-slaves") != str(replicas)
                    or m.get("num-other-sentinels") != str(others)):
                return None
            reps = self.replicas_state(s)
            if len(reps) != replicas or any(r.get("flags") != "slave" for r in reps):
                return None
            sens = try_value(s.port, "SENTINEL", "SENTINELS", self.name)
            if (not isinstance(sens, list) or len(sens) != others
                    or any(pairs(x).get("flags") != "sentinel" for x in sens)):
                return None
        return port

    def wait_healthy(self, timeout=30.0, replicas=None, others=None):
        """Bounded poll for healthy(); returns the master port. Raises with the sentinels'
        view when it does not happen in `timeout` s."""
        port = wait_until(lambda: self.healthy(replicas, others), timeout, 0.1)
        if port is None:
            raise AssertionError(f"sentinels not in agreement / complete after {timeout}s:\n"
                                 + self.describe())
        return port

    def wait_master(self, port, timeout=30.0):
        """Bounded poll until every running sentinel reports the master on `port`."""
        if wait_until(lambda: self.master_port() == port, timeout, 0.05) is None:
            raise AssertionError(f"sentinels do not all report master port {port} after "
                                 f"{timeout}s:\n" + self.describe())

    def wait_replica_of(self, node, master_port, timeout=30.0):
        """Bounded poll until `node` says role:slave, master_port, master_link_status:up."""
        def ok():
            i = info(node.port)
            return (i.get("role") == "slave" and i.get("master_port") == str(master_port)
                    and i.get("master_link_status") == "up")
        if wait_until(ok, timeout, 0.05) is None:
            i = info(node.port)
            raise AssertionError(
                f"{node.name} (port {node.port}) is not a replica of {master_port} with its "
                f"link up after {timeout}s: role={i.get('role')} "
                f"master_port={i.get('master_port')} link={i.get('master_link_status')}")

    def describe(self):
        lines = []
        for s in self.sentinels:
            if not s.alive():
                lines.append(f"  {s.name} ({s.port}): not running")
                continue
            m = self.master_state(s)
            reps = [(r.get("port"), r.get("flags")) for r in self.replicas_state(s)]
            lines.append(f"  {s.name} ({s.port}): master {self.master_addr(s)} "
                         f"flags={m.get('flags')} num-slaves={m.get('num-slaves')} "
                         f"num-other-sentinels={m.get('num-other-sentinels')} "
                         f"config-epoch={m.get('config-epoch')} replicas={reps}")
        for n in self.nodes:
            i = info(n.port, timeout=1.0) if n.alive() else {}
            lines.append(f"  {n.name} ({n.port}): "
                         + ("not running" if not n.alive() else
                            f"role={i.get('role')} master_port={i.get('master_port')} "
                            f"link={i.get('master_link_status')} "
                            f"offset={i.get('master_repl_offset')}"))
        return "\n".join(lines)

    def logs(self, limit=1500):
        out = []
        for p in self.sentinels + self.nodes:
            out.append(f"--- {p.name} (port {p.port}) log tail:\n{p.log_tail(limit)}")
        return "\n".join(out)

    # Clients -------------------------------------------------------------------------------

    def redis_sentinel(self, socket_timeout=0.5):
        """redis-py's Sentinel over every sentinel of the topology."""
        return redis.sentinel.Sentinel([(HOST, p) for p in self.sentinel_ports(False)],
                                       socket_timeout=socket_timeout)

    def master_client(self, socket_timeout=0.5):
        """redis-py's Sentinel(...).master_for(name): follows failovers by itself."""
        return self.redis_sentinel(socket_timeout).master_for(
            self.name, socket_timeout=socket_timeout, socket_connect_timeout=socket_timeout)


# --------------------------------------------------------------------------------------------
# A writer through redis-py's Sentinel support
# --------------------------------------------------------------------------------------------

class NodeClients:
    """node/sentinel_clients.mjs (ioredis and node-redis 5 writing through the sentinels) as a
    child process: `start()`, `wait_ready()`, `kill(t_wall)` when the master was killed (the
    script times from that wall clock), `finish(timeout)`, then `results()` (one dict per
    client) and `lines`. `stop()` kills it, by its PID, if it still runs."""

    def __init__(self, node, topo, name, prefix, timeout_ms):
        self.cmd = [node, os.path.join(HERE, "node", "sentinel_clients.mjs"), "--sentinels",
                    ",".join(f"{HOST}:{p}" for p in topo.sentinel_ports()), "--name", name,
                    "--prefix", prefix, "--timeout-ms", str(int(timeout_ms))]
        self.proc = None
        self.lines = []
        self._ready = threading.Event()
        self._reader = None

    def start(self):
        self.proc = subprocess.Popen(self.cmd, cwd=os.path.join(HERE, "node"),
                                     stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                     stderr=subprocess.STDOUT, text=True)

        def read():
            for line in self.proc.stdout:
                self.lines.append(line.rstrip("\n"))
                if '"event":"ready"' in line:
                    self._ready.set()
        self._reader = threading.Thread(target=read, daemon=True)
        self._reader.start()
        return self

    def wait_ready(self, timeout):
        return self._ready.wait(timeout)

    def kill(self, t_wall):
        self.proc.stdin.write(f"kill {t_wall * 1000:.3f}\n")
        self.proc.stdin.flush()

    def finish(self, timeout):
        """Waits for the script to exit; False if it did not within `timeout` seconds."""
        try:
            self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            return False
        self._reader.join(timeout=5)
        return True

    def results(self):
        return [json.loads(line) for line in self.lines if line.startswith('{"client"')]

    def stop(self):
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(timeout=10)


class MasterWriter:
    """A thread writing PREFIX:N = N through Sentinel(...).master_for(), one SET after the
    other every `interval` s, at most `max_writes` writes and `limit_s` seconds. With
    fixed_rate, write n is due at start + n * interval instead; the slots that passed while a
    write hung are skipped, not caught up. `topo` is anything with master_client(timeout) (a
    Topology, or scripts/ember-drill's view of a running topology).

    With wait_replicas > 0 each SET is followed by WAIT wait_replicas wait_ms on the same
    connection (a pipeline) and counts as acknowledged only if WAIT returned >= wait_replicas.
    Records every acknowledged write as (n, sent, acked) in monotonic time, every attempt as
    (n, sent, done, outcome) with outcome "ack", "unacked" (WAIT below wait_replicas) or
    "error", and the errors.
    """

    def __init__(self, topo, prefix, interval=0.01, wait_replicas=0, wait_ms=100, limit_s=60.0,
                 max_writes=100_000, socket_timeout=0.5, fixed_rate=False):
        self.topo = topo
        self.fixed_rate = fixed_rate
        self.prefix = prefix
        self.interval = interval
        self.wait_replicas = wait_replicas
        self.wait_ms = wait_ms
        self.limit_s = limit_s
        self.max_writes = max_writes
        self.socket_timeout = socket_timeout
        self.acked = []
        self.attempts = []
        self.unacked = 0     # SET done but WAIT below wait_replicas
        self.errors = 0
        self.last_error = None
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name=f"writer-{prefix}", daemon=True)

    def key(self, n):
        return f"{self.prefix}:{n}"

    def start(self):
        self._thread.start()
        return self

    def stop(self):
        self._stop.set()
        self._thread.join(timeout=self.socket_timeout * 4 + 5)

    def _run(self):
        client = self.topo.master_client(self.socket_timeout)
        start = time.monotonic()
        end = start + self.limit_s
        slot = 0
        for n in range(self.max_writes):
            if self._stop.is_set() or time.monotonic() > end:
                break
            sent = time.monotonic()
            outcome = "error"
            try:
                if self.wait_replicas:
                    p = client.pipeline(transaction=False)
                    p.set(self.key(n), n)
                    p.execute_command("WAIT", self.wait_replicas, self.wait_ms)
                    ok, got = p.execute()
                    good = bool(ok) and int(got) >= self.wait_replicas
                else:
                    good = bool(client.set(self.key(n), n))
                outcome = "ack" if good else "unacked"
                with self._lock:
                    if good:
                        self.acked.append((n, sent, time.monotonic()))
                    else:
                        self.unacked += 1
            except (redis.RedisError, OSError) as e:
                with self._lock:
                    self.errors += 1
                    self.last_error = f"{type(e).__name__}: {e}"
            done = time.monotonic()
            with self._lock:
                self.attempts.append((n, sent, done, outcome))
            if self.fixed_rate:
                slot = max(slot + 1, int((done - start) / self.interval) + 1)
                self._stop.wait(max(0.0, start + slot * self.interval - done))
            else:
                self._stop.wait(self.interval)

    def acked_count(self, since=0.0):
        with self._lock:
            return sum(1 for a in self.acked if a[2] >= since)

    def acks(self):
        with self._lock:
            return list(self.acked)

    def attempts_list(self):
        with self._lock:
            return list(self.attempts)

    def first_ack_after(self, t, retried_after=0.05):
        """Monotonic time of the first write acknowledged after t: sent at or after t, or sent
        before and acknowledged `retried_after` s or more after t (a retried write)."""
        best = None
        for _, sent, acked in self.acks():
            if acked > t and (sent >= t or acked - t >= retried_after):
                best = acked if best is None else min(best, acked)
        return best

    def wait_acks(self, n, timeout, since=0.0):
        """Bounded poll until n writes acknowledged at or after `since`."""
        return wait_until(lambda: self.acked_count(since) >= n, timeout, 0.01) is not None

    def lost(self, port, host=HOST, numbers=None):
        """The writes (default: the acknowledged ones; else the write numbers given) whose key
        is missing (or wrong) on the node at host:port."""
        c = redis.Redis(host=host, port=port, socket_timeout=10)
        try:
            ns = [n for n, _, _ in self.acks()] if numbers is None else list(numbers)
            missing = []
            for i in range(0, len(ns), 500):
                chunk = ns[i:i + 500]
                vals = c.mget([self.key(n) for n in chunk])
                missing += [n for n, v in zip(chunk, vals) if v != str(n).encode()]
            return missing
        finally:
            c.close()


def main():
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--impl", choices=sorted(DEFAULT_BINARIES), default="redis")
    ap.add_argument("--server", help="data node binary (default per impl)")
    ap.add_argument("--sentinel", help="sentinel binary (default per impl)")
    ap.add_argument("--down-after", type=int, default=1000)
    args = ap.parse_args()
    topo = Topology(args.impl, args.server, args.sentinel, down_after_ms=args.down_after)
    try:
        topo.start()
        topo.wait_healthy()
        print("nodes:", " ".join(str(n.port) for n in topo.nodes))
        print("sentinels:", " ".join(str(p) for p in topo.sentinel_ports()))
        print(topo.describe())
        print("Enter (or end of input) stops it.", flush=True)
        sys.stdin.readline()
    finally:
        topo.stop()


if __name__ == "__main__":
    main()
