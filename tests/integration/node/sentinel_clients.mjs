// Sentinel-aware Node.js clients across a failover: ioredis 5 (`new Redis({ sentinels, name })`)
// and node-redis 5 (`createSentinel`, the npm alias redis5) discover the master through the
// sentinels and keep writing while the master is killed (-9) and replaced.
//
// This script starts no server: a Python driver owns the topology (sentinel_topology.py, used by
// test_sentinel.py and bench/bench_failover.py) and talks to it over stdin/stdout:
//
//   node sentinel_clients.mjs --sentinels 127.0.0.1:P1,127.0.0.1:P2,127.0.0.1:P3 --name mymaster
//        [--prefix nodecli] [--timeout-ms 60000] [--clients ioredis,node-redis5]
//
//   1. Each client connects through the sentinels, SETs PREFIX:CLIENT:before and WAITs for 2
//      replicas (1 s), then writes PREFIX:CLIENT:N one after the other (every INTERVAL_MS ms,
//      at most MAX_WRITES writes), recording for each write the wall-clock times it was sent and
//      acknowledged (Date.now() + sub-ms from performance.now()).
//   2. When every client has 5 acknowledged writes this prints {"event":"ready", ...}.
//   3. The driver kills the master and writes "kill WALL_MS\n" on stdin (its wall clock just
//      before the SIGKILL).
//   4. Each client then waits (bounded by --timeout-ms in all) for its first write acknowledged
//      after the kill: a write sent at or after WALL_MS, or one sent before that was only
//      acknowledged 50 ms or more after it (a retried write; a reply the dead master had
//      already sent arrives within microseconds on loopback). It reads PREFIX:CLIENT:before
//      back through the same client.
//   5. One JSON line per client: {"client", "ok", "first_ack_ms" (after WALL_MS), "writes",
//      "errors", "before_ok", "error"}, then {"event":"done","ok":...}. Exit status 0 when
//      every client is ok, 1 otherwise.
//
// node_modules must exist next to this file (scripts/deps.sh --node runs npm ci here).

import fs from 'node:fs';
import path from 'node:path';
import readline from 'node:readline';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const INTERVAL_MS = 10;
const MAX_WRITES = 20_000;       // bound of each write loop (with the time limit)
const READY_WRITES = 5;
const RETRIED_AFTER_MS = 50;

const delay = (ms) => new Promise((r) => setTimeout(r, ms));
const now = () => performance.timeOrigin + performance.now(); // wall clock, sub-ms
const out = (obj) => process.stdout.write(`${JSON.stringify(obj)}\n`);

function parseArgs(argv) {
  const args = { prefix: 'nodecli', timeoutMs: 60_000, clients: ['ioredis', 'node-redis5'] };
  for (let i = 2; i < argv.length; i += 2) {
    const [k, v] = [argv[i], argv[i + 1]];
    if (v === undefined) throw new Error(`missing value after ${k}`);
    if (k === '--sentinels') {
      args.sentinels = v.split(',').map((hp) => {
        const [host, port] = hp.split(':');
        return { host, port: Number(port) };
      });
    } else if (k === '--name') args.name = v;
    else if (k === '--prefix') args.prefix = v;
    else if (k === '--timeout-ms') args.timeoutMs = Number(v);
    else if (k === '--clients') args.clients = v.split(',');
    else throw new Error(`unknown option ${k}`);
  }
  if (!args.sentinels || !args.name) {
    throw new Error('usage: node sentinel_clients.mjs --sentinels H:P,H:P,... --name NAME ' +
      '[--prefix P] [--timeout-ms MS] [--clients ioredis,node-redis5]');
  }
  return args;
}

// One client behind a common interface: connect(), set(k, v), setAndWait(k, v, n, ms), get(k),
// close().
async function makeIoredis(args) {
  const { default: Redis } = await import('ioredis');
  const client = new Redis({
    sentinels: args.sentinels, name: args.name, lazyConnect: true,
  });
  const errors = [];
  client.on('error', (err) => errors.push(err.message));
  return {
    name: 'ioredis',
    errors,
    connect: () => client.connect(),
    set: (k, v) => client.set(k, v),
    setAndWait: async (k, v, n, ms) => {
      await client.set(k, v);
      return client.call('WAIT', n, ms);
    },
    get: (k) => client.get(k),
    close: () => client.quit().catch(() => client.disconnect()),
  };
}

async function makeNodeRedis5(args) {
  const { createSentinel } = await import('redis5');
  const sentinel = createSentinel({ name: args.name, sentinelRootNodes: args.sentinels });
  const errors = [];
  sentinel.on('error', (err) => errors.push(String(err?.message ?? err)));
  return {
    name: 'node-redis5',
    errors,
    connect: () => sentinel.connect(),
    set: (k, v) => sentinel.set(k, v),
    // WAIT counts the writes of its own connection: SET and WAIT on one leased client.
    setAndWait: (k, v, n, ms) => sentinel.use(async (c) => {
      await c.set(k, v);
      return c.wait(n, ms);
    }),
    get: (k) => sentinel.get(k),
    close: () => sentinel.close().catch(() => sentinel.destroy()),
  };
}

const FACTORIES = { ioredis: makeIoredis, 'node-redis5': makeNodeRedis5 };

class Writer {
  constructor(client, prefix) {
    this.client = client;
    this.prefix = `${prefix}:${client.name}`;
    this.writes = [];      // [sentAt, ackedAt] of acknowledged writes
    this.errors = 0;
    this.lastError = '';
    this.stopped = false;
    this.beforeValue = null;
  }

  async setup() {
    await this.client.connect();
    this.beforeValue = `b-${Date.now()}`;
    const replicas = await this.client.setAndWait(`${this.prefix}:before`, this.beforeValue, 2, 1000);
    if (Number(replicas) < 2) throw new Error(`${this.client.name}: WAIT 2 1000 returned ${replicas}`);
  }

  async loop(deadline) {
    for (let i = 0; i < MAX_WRITES && !this.stopped && Date.now() < deadline; i++) {
      const sent = now();
      try {
        await this.client.set(`${this.prefix}:${i}`, String(i));
        this.writes.push([sent, now()]);
      } catch (err) {
        this.errors += 1;
        this.lastError = String(err?.message ?? err);
      }
      await delay(INTERVAL_MS);
    }
  }

  firstAckAfter(killAt) {
    let best = null;
    for (const [sent, acked] of this.writes) {
      if (acked <= killAt) continue;
      if (sent >= killAt || acked - killAt >= RETRIED_AFTER_MS) {
        if (best === null || acked < best) best = acked;
      }
    }
    return best;
  }
}

async function main() {
  let args;
  try {
    args = parseArgs(process.argv);
  } catch (err) {
    console.error(err.message);
    return 2;
  }
  for (const mod of ['ioredis', 'redis5']) {
    if (!fs.existsSync(path.join(HERE, 'node_modules', mod, 'package.json'))) {
      out({ event: 'done', ok: false, error: `node module '${mod}' missing from ${HERE}/node_modules (bash scripts/deps.sh --node)` });
      return 1;
    }
  }
  const deadline = Date.now() + args.timeoutMs;
  const watchdog = setTimeout(() => {
    out({ event: 'done', ok: false, error: `watchdog after ${args.timeoutMs + 10_000} ms` });
    process.exit(1);
  }, args.timeoutMs + 10_000);
  watchdog.unref();

  const writers = [];
  let killAt = null;
  const rl = readline.createInterface({ input: process.stdin });
  const killed = new Promise((resolve) => {
    rl.on('line', (line) => {
      const m = /^kill\s+([0-9.]+)/.exec(line.trim());
      if (m) { killAt = Number(m[1]); resolve(); }
    });
    rl.on('close', () => resolve());
  });

  let ok = true;
  const loops = [];
  try {
    for (const name of args.clients) {
      const w = new Writer(await FACTORIES[name](args), args.prefix);
      writers.push(w);
      await w.setup();
    }
    for (const w of writers) loops.push(w.loop(deadline));
    while (Date.now() < deadline && writers.some((w) => w.writes.length < READY_WRITES)) {
      await delay(INTERVAL_MS); // bounded poll
    }
    if (writers.some((w) => w.writes.length < READY_WRITES)) throw new Error('clients not writing before the kill');
    out({ event: 'ready', clients: writers.map((w) => w.client.name) });
    await Promise.race([killed, delay(Math.max(0, deadline - Date.now()))]);
    if (killAt === null) throw new Error('no "kill WALL_MS" line on stdin before the time limit');
    // Each client: its first write acknowledged after the kill, bounded by the deadline.
    while (Date.now() < deadline && writers.some((w) => w.firstAckAfter(killAt) === null)) {
      await delay(INTERVAL_MS); // bounded poll
    }
    // A few more writes after the first, so one lucky write does not make a pass.
    const settle = Date.now() + 300;
    while (Date.now() < Math.min(settle, deadline)) await delay(INTERVAL_MS);
  } catch (err) {
    ok = false;
    out({ event: 'error', error: String(err?.stack ?? err) });
  }
  for (const w of writers) w.stopped = true;
  await Promise.all(loops);

  for (const w of writers) {
    const first = killAt === null ? null : w.firstAckAfter(killAt);
    let beforeOk = false;
    let error = w.lastError;
    try {
      beforeOk = (await w.client.get(`${w.prefix}:before`)) === w.beforeValue;
    } catch (err) {
      error = `GET before: ${err.message}`;
    }
    const afterKill = killAt === null ? 0 : w.writes.filter(([s]) => s >= killAt).length;
    const clientOk = first !== null && beforeOk && afterKill >= 2;
    ok = ok && clientOk;
    out({
      client: w.client.name,
      ok: clientOk,
      first_ack_ms: first === null ? null : Math.round((first - killAt) * 10) / 10,
      writes: w.writes.length,
      writes_after_kill: afterKill,
      errors: w.errors,
      before_ok: beforeOk,
      error: clientOk ? '' : error,
      client_errors: w.client.errors.slice(0, 3),
    });
  }
  await Promise.all(writers.map((w) => w.client.close()));
  rl.close();
  clearTimeout(watchdog);
  out({ event: 'done', ok });
  return ok ? 0 : 1;
}

const code = await main();
process.exitCode = code;
// A client's reconnect timer must not keep the process alive once the results are out.
setTimeout(() => process.exit(code), 3000).unref();
