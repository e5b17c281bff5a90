// The cache-aside pattern of an Express + node-redis app (without Express), against a real
// ember-server, with node-redis 4 and ioredis 5.
//
// Usage: node cache_aside.mjs EMBER_BINARY
// Starts its own server on a free 127.0.0.1 port in a temp dir, stops it by PID, exits 0/1.
// node_modules must already exist next to this file: scripts/test.sh installs it
// (scripts/deps.sh --node runs npm ci here).

import { spawn } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const READY_TIMEOUT_MS = 10_000;
const STOP_TIMEOUT_MS = 5_000;
const WATCHDOG_MS = 60_000;
const REPLICATION_PORT_OFFSET = 10_000;

let checks = 0;
function check(cond, what) {
  if (!cond) throw new Error(`check failed: ${what}`);
  checks += 1;
}
function eq(actual, expected, what) {
  const a = JSON.stringify(actual);
  const e = JSON.stringify(expected);
  if (a !== e) throw new Error(`${what}: expected ${e}, got ${a}`);
  checks += 1;
}
async function rejects(promise, contains, what) {
  try {
    await promise;
  } catch (err) {
    if (!String(err.message).includes(contains)) {
      throw new Error(`${what}: error ${JSON.stringify(err.message)} lacks ${JSON.stringify(contains)}`);
    }
    checks += 1;
    return;
  }
  throw new Error(`${what}: expected an error`);
}

// ---------------------------------------------------------------------------------------------
// The server process
// ---------------------------------------------------------------------------------------------

function portIsFree(port) {
  return new Promise((resolve) => {
    const srv = net.createServer();
    srv.once('error', () => resolve(false));
    srv.listen(port, '127.0.0.1', () => srv.close(() => resolve(true)));
  });
}

async function freePort() {
  for (let attempt = 0; attempt < 200; attempt++) {
    const port = await new Promise((resolve, reject) => {
      const srv = net.createServer();
      srv.once('error', reject);
      srv.listen(0, '127.0.0.1', () => {
        const { port: p } = srv.address();
        srv.close(() => resolve(p));
      });
    });
    if (port + REPLICATION_PORT_OFFSET <= 65535 && (await portIsFree(port + REPLICATION_PORT_OFFSET))) {
      return port;
    }
  }
  throw new Error('no free port pair found after 200 attempts');
}

// One raw PING; resolves with the first reply bytes or rejects.
function pingOnce(port, timeoutMs) {
  return new Promise((resolve, reject) => {
    const sock = net.connect({ host: '127.0.0.1', port });
    let buf = '';
    const timer = setTimeout(() => { sock.destroy(); reject(new Error('ping timeout')); }, timeoutMs);
    sock.on('connect', () => sock.write('PING\r\n'));
    sock.on('data', (d) => {
      buf += d.toString('latin1');
      if (buf.includes('\r\n')) {
        clearTimeout(timer);
        sock.destroy();
        resolve(buf);
      }
    });
    sock.on('error', (e) => { clearTimeout(timer); reject(e); });
  });
}

const delay = (ms) => new Promise((r) => setTimeout(r, ms));

class Server {
  constructor(binary) {
    this.binary = binary;
    this.child = null;
    this.exited = null;
  }

  async start() {
    this.port = await freePort();
    this.dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ember-it-node-'));
    this.logPath = path.join(this.dir, 'server.log');
    const log = fs.openSync(this.logPath, 'w');
    this.child = spawn(this.binary, ['--port', String(this.port)], {
      cwd: this.dir, stdio: ['ignore', log, log],
    });
    fs.closeSync(log);
    this.exited = new Promise((resolve) => this.child.once('exit', (code, sig) => resolve({ code, sig })));
    this.child.once('error', () => {});
    const deadline = Date.now() + READY_TIMEOUT_MS;
    let last = '';
    while (Date.now() < deadline) { // bounded poll
      if (this.child.exitCode !== null || this.child.signalCode !== null) {
        throw new Error(`server exited during start-up (code ${this.child.exitCode}); log:\n${this.logTail()}`);
      }
      try {
        const reply = await pingOnce(this.port, 500);
        if (reply.startsWith('+PONG')) return;
        last = reply;
      } catch (e) {
        last = e.message;
      }
      await delay(50);
    }
    throw new Error(`server did not answer PING within ${READY_TIMEOUT_MS} ms (${last}); log:\n${this.logTail()}`);
  }

  alive() {
    return this.child !== null && this.child.exitCode === null && this.child.signalCode === null;
  }

  // Stops the process we started, by its PID: SIGTERM, then SIGKILL after a bounded wait.
  async stop() {
    if (this.child !== null && this.alive()) {
      this.child.kill('SIGTERM');
      const done = await Promise.race([this.exited, delay(STOP_TIMEOUT_MS).then(() => null)]);
      if (done === null && this.alive()) {
        this.child.kill('SIGKILL');
        await Promise.race([this.exited, delay(STOP_TIMEOUT_MS)]);
      }
    }
    if (this.dir && process.env.EMBER_IT_KEEP_DIRS !== '1') {
      fs.rmSync(this.dir, { recursive: true, force: true });
    }
  }

  logTail() {
    try {
      return fs.readFileSync(this.logPath, 'utf8').slice(-4000);
    } catch {
      return '';
    }
  }
}

// ---------------------------------------------------------------------------------------------
// The app: a user store behind a cache
// ---------------------------------------------------------------------------------------------

class SlowDatabase {
  constructor() {
    this.users = new Map([
      [1, { id: 1, name: '김철수', likes: 3, tags: ['redis', 'cache'] }],
      [2, { id: 2, name: 'Ada "quotes" \\ back\nslash', likes: 0, tags: [] }],
    ]);
    this.reads = 0;
  }
  async findUser(id) {
    this.reads += 1;
    return this.users.get(id) ?? null;
  }
  async updateUser(id, patch) {
    this.users.set(id, { ...this.users.get(id), ...patch });
  }
}

const CACHE_TTL_S = 60;

// GET /users/:id
async function getUser(cache, db, id) {
  const key = `user:${id}`;
  const cached = await cache.get(key);
  if (cached !== null) return { user: JSON.parse(cached), source: 'cache' };
  const user = await db.findUser(id);
  if (user !== null) await cache.set(key, JSON.stringify(user), { EX: CACHE_TTL_S });
  return { user, source: 'db' };
}

// PUT /users/:id: write the database, then invalidate.
async function updateUser(cache, db, id, patch) {
  await db.updateUser(id, patch);
  return cache.del(`user:${id}`);
}

async function nodeRedisScenario(port) {
  const { createClient } = await import('redis');
  const client = createClient({
    url: `redis://127.0.0.1:${port}`,
    socket: { connectTimeout: 5000, reconnectStrategy: false },
  });
  const errors = [];
  client.on('error', (err) => errors.push(err));
  await client.connect();
  try {
    eq(await client.ping(), 'PONG', 'node-redis PING');
    await client.flushDb();
    const db = new SlowDatabase();

    let r = await getUser(client, db, 1);
    eq(r.source, 'db', 'first read misses the cache');
    eq(r.user.name, '김철수', 'user from the database');
    r = await getUser(client, db, 1);
    eq(r.source, 'cache', 'second read hits the cache');
    eq(r.user, await db.findUser(1), 'cached JSON round-trips (UTF-8)');
    eq(db.reads, 2, 'database read once by the app (plus once by the check)');
    const ttl = await client.ttl('user:1');
    check(ttl > 0 && ttl <= CACHE_TTL_S, `TTL of the cached entry is ${ttl}`);

    r = await getUser(client, db, 2);
    r = await getUser(client, db, 2);
    eq(r.source, 'cache', 'user 2 cached');
    eq(r.user.name, 'Ada "quotes" \\ back\nslash', 'escapes survive JSON in the cache');

    eq(await updateUser(client, db, 1, { likes: 4 }), 1, 'DEL invalidates one key');
    r = await getUser(client, db, 1);
    eq(r.source, 'db', 'read after invalidation misses');
    eq(r.user.likes, 4, 'fresh data after invalidation');
    eq(await updateUser(client, db, 99, {}), 0, 'DEL of a key never cached');

    r = await getUser(client, db, 404);
    eq(r, { user: null, source: 'db' }, 'missing user is not cached');
    eq(await client.exists('user:404'), 0, 'no entry for a missing user');

    // Likes counter and a session, as in the notes.
    eq(await client.incr('likes:post:1'), 1, 'INCR likes');
    eq(await client.incrBy('likes:post:1', 9), 10, 'INCRBY likes');
    eq(await client.set('session:abc', JSON.stringify({ uid: 1 }), { EX: 1800, NX: true }), 'OK', 'SET session NX EX');
    eq(await client.set('session:abc', 'other', { NX: true }), null, 'SET NX on an existing session');
    eq(await client.mGet(['user:1', 'nosuch']).then((v) => v.map((x) => x !== null)), [true, false], 'MGET');
    await rejects(client.incr('session:abc'), 'value is not an integer or out of range', 'INCR on JSON');
    eq(await client.sendCommand(['ECHO', 'raw']), 'raw', 'sendCommand');
    check(errors.length === 0, `node-redis emitted errors: ${errors.map((e) => e.message).join('; ')}`);
  } finally {
    await client.quit().catch(() => client.disconnect());
  }
}

async function ioredisScenario(port) {
  const { default: Redis } = await import('ioredis');
  const redis = new Redis(port, '127.0.0.1', {
    connectTimeout: 5000, maxRetriesPerRequest: 1, retryStrategy: () => null,
  });
  const errors = [];
  redis.on('error', (err) => errors.push(err));
  try {
    eq(await redis.set('io:a', 'b'), 'OK', 'ioredis SET');
    eq(await redis.get('io:a'), 'b', 'ioredis GET');
    eq(await redis.get('io:missing'), null, 'ioredis GET missing');
    eq(await redis.set('io:ex', JSON.stringify({ x: 1 }), 'EX', 60), 'OK', 'ioredis SET EX');
    const ttl = await redis.ttl('io:ex');
    check(ttl > 0 && ttl <= 60, `ioredis TTL is ${ttl}`);
    const results = await redis.pipeline().set('io:p', '1').incr('io:p').incrby('io:p', 5)
      .get('io:p').del('io:p').exec();
    eq(results, [[null, 'OK'], [null, 2], [null, 7], [null, '7'], [null, 1]], 'ioredis pipeline');
    const withErr = await redis.pipeline().set('io:s', 'x').incr('io:s').get('io:s').exec();
    check(withErr[1][0] instanceof Error && /not an integer/.test(withErr[1][0].message),
      `pipeline error in place: ${withErr[1][0]}`);
    eq(withErr[2], [null, 'x'], 'pipeline continues after an error');
    eq(await redis.mset({ 'io:m1': '1', 'io:m2': '2' }), 'OK', 'ioredis MSET');
    eq(await redis.mget('io:m1', 'io:m2', 'io:m3'), ['1', '2', null], 'ioredis MGET');
    eq(await redis.getBuffer('io:a').then((b) => b.toString('hex')), '62', 'ioredis getBuffer');
    check(errors.length === 0, `ioredis emitted errors: ${errors.map((e) => e.message).join('; ')}`);
  } finally {
    await redis.quit().catch(() => redis.disconnect());
  }
}

// ---------------------------------------------------------------------------------------------

async function main() {
  const binary = process.argv[2];
  if (!binary) {
    console.error('usage: node cache_aside.mjs EMBER_BINARY');
    return 1;
  }
  for (const mod of ['redis', 'ioredis']) {
    if (!fs.existsSync(path.join(HERE, 'node_modules', mod, 'package.json'))) {
      console.error(`cache_aside: FAILED: node module '${mod}' is missing from ${HERE}/node_modules; ` +
        'scripts/test.sh installs it (bash scripts/deps.sh --node), ' +
        `or by hand: cd ${HERE} && npm ci`);
      return 1;
    }
  }
  try {
    fs.accessSync(binary, fs.constants.X_OK);
  } catch {
    console.error(`cache_aside: FAILED: server binary not found or not executable: ${binary}`);
    return 1;
  }
  const server = new Server(binary);
  const watchdog = setTimeout(() => {
    console.error(`cache_aside: FAILED: watchdog after ${WATCHDOG_MS} ms`);
    if (server.alive()) server.child.kill('SIGKILL');
    process.exit(1);
  }, WATCHDOG_MS);
  watchdog.unref();
  let failed = false;
  try {
    await server.start();
    for (const [name, scenario] of [['node-redis', nodeRedisScenario], ['ioredis', ioredisScenario]]) {
      try {
        await scenario(server.port);
        console.log(`PASS ${name}`);
      } catch (err) {
        failed = true;
        console.log(`FAIL ${name}: ${err.stack || err}`);
        if (!server.alive()) console.log(`server is no longer running; log:\n${server.logTail()}`);
      }
    }
  } catch (err) {
    failed = true;
    console.log(`cache_aside: ERROR: ${err.message}`);
  } finally {
    await server.stop();
    clearTimeout(watchdog);
  }
  console.log(`cache_aside: ${checks} checks passed, ${failed ? 'FAILED' : 'ok'}`);
  return failed ? 1 : 0;
}

process.exitCode = await main();
