/** The Sigil server the bench measures, as a child process with a fresh database. */
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync } from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import { join } from 'node:path';
import pg from 'pg';
import { DEFENCES } from '../../src/modules/limits/policy.js';
import type { VendorFake } from '../../test/fakes/common.js';
import { basicAuth, type Client } from './client.js';
import { sleep } from './machine.js';
import type { Options } from './options.js';
import { CLI, ROOT } from './paths.js';

/** A fixed master key: the bench needs no secrecy, only a valid 32-byte key. */
const MASTER_KEY = Buffer.alloc(32, 7).toString('base64');

// ---------------------------------------------------------------------------------------------------
// The server child

export interface Server {
  child: ChildProcess;
  pid: number;
  port: number;
  apiSecretKey: string;
  managementSecretKey: string;
  tenantId: string;
  output: () => string;
  stop(): Promise<number | null>;
}

export function build(): void {
  const started = Date.now();
  const tsc = spawnSync(join(ROOT, 'node_modules/.bin/tsc'), ['-p', 'tsconfig.build.json'], {
    cwd: ROOT,
    encoding: 'utf8',
  });
  if (tsc.status !== 0) {
    // tsc still emits on type errors; go on if the entry point exists, but say so.
    console.warn(`warning: tsc -p tsconfig.build.json exited with ${tsc.status}:\n${tsc.stdout}${tsc.stderr}`);
  }
  try {
    readFileSync(CLI);
  } catch {
    throw new Error(`${CLI} is missing after the build`);
  }
  console.log(`built dist/ in ${((Date.now() - started) / 1000).toFixed(1)} s`);
}

export async function freePort(): Promise<number> {
  return new Promise((ok, fail) => {
    const s = net.createServer();
    s.once('error', fail);
    s.listen(0, '127.0.0.1', () => {
      const address = s.address();
      s.close(() => (typeof address === 'object' && address ? ok(address.port) : fail(new Error('no port'))));
    });
  });
}

export function serverEnv(dbEnv: Record<string, string>, port: number, dataDir: string): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  // Only what the server needs: no stray SIGIL_* or DATABASE_URL from the caller's shell.
  for (const [k, v] of Object.entries(process.env)) if (!k.startsWith('SIGIL_') && k !== 'DATABASE_URL') env[k] = v;
  return {
    ...env,
    NODE_ENV: 'development',
    HOST: '127.0.0.1',
    PORT: String(port),
    LOG_LEVEL: 'warn',
    SIGIL_DEV_SMS_LOG: 'false',
    SIGIL_BOOTSTRAP_DEV_TENANT: 'false',
    // The load generator is the proxy in front of the Client API: each user's calls carry their own
    // X-Forwarded-For, as they would through a load balancer, so per-IP limits count users, not the bench.
    SIGIL_TRUST_PROXY: '127.0.0.1',
    // As in production: the transaction guard is a development check that costs every promise.
    SIGIL_TRANSACTION_GUARD: process.env.BENCH_TRANSACTION_GUARD ?? 'false',
    SIGIL_MASTER_KEY: MASTER_KEY,
    SIGIL_DATA_DIR: dataDir,
    ...dbEnv,
  };
}

export async function startServer(env: NodeJS.ProcessEnv, port: number, opts: Options): Promise<Server> {
  const created = spawnSync(process.execPath, [CLI, 'tenant', 'create', '--name', 'bench', '--json'], {
    cwd: ROOT,
    env,
    encoding: 'utf8',
    timeout: 60_000,
  });
  if (created.status !== 0)
    throw new Error(`tenant create failed (${created.status}): ${created.stderr}${created.stdout}`);
  const line = created.stdout.trim().split('\n').at(-1) ?? '';
  const tenant = JSON.parse(line) as { tenantId: string; apiSecretKey: string; managementSecretKey: string };

  // The same V8 flags as `npm start`, plus the profiler when asked.
  const nodeArgs = [
    '--max-semi-space-size=4',
    ...(opts.profile ? ['--cpu-prof', `--cpu-prof-dir=${opts.profileDir}`] : []),
  ];
  if (opts.profile) mkdirSync(opts.profileDir, { recursive: true });
  const child = spawn(process.execPath, [...nodeArgs, CLI, 'start'], {
    cwd: ROOT,
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let tail = '';
  const keep = (chunk: Buffer) => {
    tail = (tail + chunk.toString('utf8')).slice(-8192);
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  const exited = new Promise<number | null>((ok) => child.once('exit', (code) => ok(code)));
  let alive = true;
  void exited.then(() => {
    alive = false;
  });
  if (!child.pid) throw new Error('could not spawn the server');

  const deadline = Date.now() + 30_000;
  for (;;) {
    if (!alive) throw new Error(`the server exited during start:\n${tail}`);
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`the server did not become ready within 30 s:\n${tail}`);
    }
    const ready = await getStatus(port, '/readyz').catch(() => 0);
    if (ready === 200) break;
    await sleep(50);
  }
  return {
    child,
    pid: child.pid,
    port,
    apiSecretKey: tenant.apiSecretKey,
    managementSecretKey: tenant.managementSecretKey,
    tenantId: tenant.tenantId,
    output: () => tail,
    async stop() {
      if (alive) child.kill('SIGTERM');
      // Writing a CPU profile at exit can take a few seconds.
      const timer = setTimeout(() => child.kill('SIGKILL'), opts.profile ? 60_000 : 10_000);
      const code = await exited;
      clearTimeout(timer);
      return code;
    },
  };
}

function getStatus(port: number, path: string): Promise<number> {
  return new Promise((ok, fail) => {
    const req = http.get({ host: '127.0.0.1', port, path, timeout: 1000 }, (res) => {
      res.resume();
      res.on('end', () => ok(res.statusCode ?? 0));
    });
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', fail);
  });
}

/** `--metrics on|off` as the server's SIGIL_METRICS, said explicitly so that the file records what ran. */
export function metricsEnv(opts: Pick<Options, 'metrics'>): Record<string, string> {
  return { SIGIL_METRICS: opts.metrics };
}

/** What the scraper saw: how many scrapes, how many failed, and their mean time and size. */
export interface ScrapeStats {
  scrapes: number;
  failures: number;
  meanMs: number;
  meanBytes: number;
}

/**
 * GET /metrics at once and then every `everyS` seconds, as a Prometheus scrape would, until stopped. Only
 * one scrape is in flight at a time: Prometheus, too, does not start a scrape while the last one runs.
 */
export function startScraper(port: number, everyS: number): { stop(): Promise<ScrapeStats> } {
  let scrapes = 0;
  let failures = 0;
  let totalMs = 0;
  let totalBytes = 0;
  let running: Promise<void> | undefined;
  const once = () => {
    if (running) return;
    const started = performance.now();
    running = getBody(port, '/metrics')
      .then(({ status, bytes }) => {
        if (status !== 200) throw new Error(`HTTP ${status}`);
        scrapes += 1;
        totalMs += performance.now() - started;
        totalBytes += bytes;
      })
      .catch(() => {
        failures += 1;
      })
      .finally(() => {
        running = undefined;
      });
  };
  once();
  const timer = setInterval(once, everyS * 1000);
  return {
    async stop() {
      clearInterval(timer);
      await running;
      const mean = (n: number) => (scrapes > 0 ? Math.round((n / scrapes) * 10) / 10 : 0);
      return { scrapes, failures, meanMs: mean(totalMs), meanBytes: mean(totalBytes) };
    },
  };
}

function getBody(port: number, path: string): Promise<{ status: number; bytes: number }> {
  return new Promise((ok, fail) => {
    const req = http.get({ host: '127.0.0.1', port, path, timeout: 10_000 }, (res) => {
      let bytes = 0;
      res.on('data', (c: Buffer) => {
        bytes += c.length;
      });
      res.on('end', () => ok({ status: res.statusCode ?? 0, bytes }));
    });
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', fail);
  });
}

/** With `--defences off`: every abuse defence of the bench tenant set to `off` (not measured). */
export async function turnDefencesOff(client: Client, server: Server): Promise<void> {
  const modes = Object.fromEntries(DEFENCES.map((d) => [d, 'off']));
  const reply = await client.request(
    'PATCH',
    '/v1/management/sms-defences',
    { modes },
    basicAuth(server.managementSecretKey),
  );
  if (reply.status !== 200) {
    throw new Error(
      `setup: PATCH /v1/management/sms-defences answered HTTP ${reply.status}: ${JSON.stringify(reply.body)}`,
    );
  }
  console.log('   setup: every abuse defence off');
}

/** Makes the Twilio fake the bench tenant's only SMS provider (not measured). */
export async function configureProvider(client: Client, server: Server, fake: VendorFake): Promise<void> {
  const reply = await client.request(
    'PUT',
    '/v1/management/sms-providers',
    { providers: [fake.config()] },
    basicAuth(server.managementSecretKey),
  );
  const providers = reply.body.providers;
  if (reply.status !== 200 || !Array.isArray(providers) || providers.length !== 1 || providers[0]?.type !== 'twilio') {
    throw new Error(
      `setup: PUT /v1/management/sms-providers answered HTTP ${reply.status}: ${JSON.stringify(reply.body)}`,
    );
  }
  console.log(`   setup: SMS provider is the Twilio fake at ${fake.url}, in this process`);
}

export async function dropSchema(url: string, schema: string): Promise<void> {
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  try {
    await c.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
  } finally {
    await c.end();
  }
}
