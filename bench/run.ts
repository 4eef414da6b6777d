/**
 * Closed-loop load test of Sigil's SMS flows against a server running as a separate process, on loopback
 * only. See bench/README.md. Two flows, each run with a fresh server and database:
 *   signin:   POST /v1/challenge → read the code from the dev inbox → POST /v1/verify → POST /v1/claim
 *   adaptive: track (POST /v1/users/:userId/actions/withdraw, rules answer CHALLENGE_REQUIRED) →
 *             POST /v1/client/challenge/sms → read the code → POST /v1/client/verify/sms → POST /v1/validate
 * and one without a server or database:
 *   dispatcher: what SmsDispatcher.send() adds per message on top of the provider's send(), with a provider
 *             that answers at once and with the Twilio fake over HTTP (bench/dispatcher.ts, run as a child)
 *
 *   npm run bench -- [--flow signin|adaptive|both|dispatcher, or a comma-separated list such as signin,dispatcher]
 *                    [--db sqlite|postgres|both] [--provider dev|twilio] [--concurrency 32]
 *                    [--duration 15] [--warmup 3] [--max-flows N] [--users 2000] [--profile]
 *                    [--profile-dir /tmp/sigil-prof] [--skip-build]
 *                    [--pg-url postgres://postgres@127.0.0.1:5432/test]
 *                    [--messages 200000] [--in-flight 64]   (dispatcher only)
 *
 * --provider twilio: the tenant's SMS provider is the Twilio fake (test/fakes/twilio.ts), started in this
 * process and configured with PUT /v1/management/sms-providers; codes are read from the fake's messages.
 */
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { randomBytes, randomInt, randomUUID } from 'node:crypto';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import { cpus, tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import Database from 'better-sqlite3';
import pg from 'pg';
import type { AcceptedMessage, VendorFake } from '../test/fakes/common.js';

type DbName = 'sqlite' | 'postgres';
type FlowName = 'signin' | 'adaptive';
/** Where the server sends its SMS, and so where the bench reads the codes. */
type ProviderName = 'dev' | 'twilio';

interface Options {
  dbs: DbName[];
  /** The flows run against a server; empty when only the dispatcher is asked for. */
  flows: FlowName[];
  /** Run bench/dispatcher.ts (after the server flows). */
  dispatcher: boolean;
  /** Passed to bench/dispatcher.ts when given. */
  dispatcherArgs: string[];
  provider: ProviderName;
  concurrency: number;
  durationS: number;
  warmupS: number;
  maxFlows: number;
  /** Size of the adaptive flow's pool of enrolled users. */
  users: number;
  profile: boolean;
  profileDir: string;
  skipBuild: boolean;
  pgUrl: string;
}

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const CLI = join(ROOT, 'dist/src/cli/index.js');
/** A fixed master key: the bench needs no secrecy, only a valid 32-byte key. */
const MASTER_KEY = Buffer.alloc(32, 7).toString('base64');
const REQUEST_TIMEOUT_MS = 10_000;

function parseOptions(): Options {
  const { values } = parseArgs({
    options: {
      flow: { type: 'string', default: 'both' },
      db: { type: 'string', default: 'both' },
      provider: { type: 'string', default: 'dev' },
      messages: { type: 'string' },
      'in-flight': { type: 'string' },
      concurrency: { type: 'string', default: '32' },
      duration: { type: 'string', default: '15' },
      warmup: { type: 'string', default: '3' },
      'max-flows': { type: 'string', default: '1000000' },
      users: { type: 'string', default: '2000' },
      profile: { type: 'boolean', default: false },
      'profile-dir': { type: 'string', default: '/tmp/sigil-prof' },
      'skip-build': { type: 'boolean', default: false },
      'pg-url': {
        type: 'string',
        default: process.env.BENCH_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test',
      },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  if (values.help) {
    console.log(readFileSync(fileURLToPath(import.meta.url), 'utf8').split('*/')[0]);
    process.exit(0);
  }
  const dbs: DbName[] = values.db === 'both' ? ['sqlite', 'postgres'] : [values.db as DbName];
  if (!dbs.every((d) => d === 'sqlite' || d === 'postgres')) throw new Error('--db must be sqlite, postgres or both');
  const asked = values.flow.split(',').flatMap((f) => (f.trim() === 'both' ? ['signin', 'adaptive'] : [f.trim()]));
  if (!asked.every((f) => f === 'signin' || f === 'adaptive' || f === 'dispatcher'))
    throw new Error('--flow must be signin, adaptive, both or dispatcher, or a comma-separated list of them');
  const flows = [...new Set(asked.filter((f): f is FlowName => f !== 'dispatcher'))];
  const provider = values.provider as ProviderName;
  if (provider !== 'dev' && provider !== 'twilio') throw new Error('--provider must be dev or twilio');
  const num = (name: string, raw: string, min: number) => {
    const n = Number(raw);
    if (!Number.isFinite(n) || n < min) throw new Error(`--${name} must be a number ≥ ${min}`);
    return n;
  };
  const dispatcherArgs = [
    ...(values.messages === undefined ? [] : ['--messages', String(Math.floor(num('messages', values.messages, 1)))]),
    ...(values['in-flight'] === undefined
      ? []
      : ['--in-flight', String(Math.floor(num('in-flight', values['in-flight'], 1)))]),
  ];
  const users = Math.floor(num('users', values.users, 1));
  const concurrency = Math.floor(num('concurrency', values.concurrency, 1));
  if (provider === 'twilio' && flows.includes('adaptive') && users < concurrency) {
    // With the fake, a code is found by the number it went to; two flows of one user at once would mix them up.
    throw new Error('--provider twilio with the adaptive flow needs --users ≥ --concurrency');
  }
  return {
    dbs,
    flows,
    dispatcher: asked.includes('dispatcher'),
    dispatcherArgs,
    provider,
    concurrency,
    durationS: num('duration', values.duration, 0.1),
    warmupS: num('warmup', values.warmup, 0),
    maxFlows: Math.floor(num('max-flows', values['max-flows'], 1)),
    users,
    profile: values.profile,
    profileDir: resolve(values['profile-dir']),
    skipBuild: values['skip-build'],
    pgUrl: values['pg-url'],
  };
}

// ---------------------------------------------------------------------------------------------------
// The server child

interface Server {
  child: ChildProcess;
  pid: number;
  port: number;
  apiSecretKey: string;
  managementSecretKey: string;
  tenantId: string;
  output: () => string;
  stop(): Promise<number | null>;
}

function build(): void {
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

async function freePort(): Promise<number> {
  return new Promise((ok, fail) => {
    const s = net.createServer();
    s.once('error', fail);
    s.listen(0, '127.0.0.1', () => {
      const address = s.address();
      s.close(() => (typeof address === 'object' && address ? ok(address.port) : fail(new Error('no port'))));
    });
  });
}

function serverEnv(dbEnv: Record<string, string>, port: number, dataDir: string): NodeJS.ProcessEnv {
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
    SIGIL_MASTER_KEY: MASTER_KEY,
    SIGIL_DATA_DIR: dataDir,
    ...dbEnv,
  };
}

async function startServer(env: NodeJS.ProcessEnv, port: number, opts: Options): Promise<Server> {
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

// ---------------------------------------------------------------------------------------------------
// HTTP client: node:http with a keep-alive pool, one socket per worker

/** `authorization` header values for the three kinds of credentials. */
const basicAuth = (secretKey: string) => `Basic ${Buffer.from(`${secretKey}:`).toString('base64')}`;
const bearerAuth = (token: string) => `Bearer ${token}`;

type Reply = { status: number; body: Record<string, unknown> };

class Client {
  private readonly agent: http.Agent;
  private readonly auth: string;

  constructor(
    private readonly port: number,
    apiSecretKey: string,
    sockets: number,
  ) {
    this.agent = new http.Agent({ keepAlive: true, maxSockets: sockets, maxFreeSockets: sockets });
    this.auth = basicAuth(apiSecretKey);
  }

  /**
   * POSTs JSON, with the server API key unless `authorization` is given. A `body` of `undefined` sends no
   * body at all, still with `content-type: application/json`, as the browser SDK does.
   */
  post(path: string, body: unknown, authorization = this.auth): Promise<Reply> {
    return this.request('POST', path, body, authorization);
  }

  /** As `post`, with another method: PUT for the SMS provider configuration. */
  request(method: 'POST' | 'PUT', path: string, body: unknown, authorization = this.auth): Promise<Reply> {
    const payload = body === undefined ? Buffer.alloc(0) : Buffer.from(JSON.stringify(body));
    return new Promise((ok, fail) => {
      const req = http.request(
        {
          agent: this.agent,
          host: '127.0.0.1',
          port: this.port,
          method,
          path,
          timeout: REQUEST_TIMEOUT_MS,
          headers: { authorization, 'content-type': 'application/json', 'content-length': payload.length },
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('error', fail);
          res.on('end', () => {
            const text = Buffer.concat(chunks).toString('utf8');
            let parsed: Record<string, unknown> = {};
            try {
              parsed = JSON.parse(text) as Record<string, unknown>;
            } catch {
              parsed = { raw: text.slice(0, 200) };
            }
            ok({ status: res.statusCode ?? 0, body: parsed });
          });
        },
      );
      req.on('timeout', () => req.destroy(new Error(`timeout after ${REQUEST_TIMEOUT_MS} ms`)));
      req.on('error', fail);
      req.end(payload);
    });
  }

  close(): void {
    this.agent.destroy();
  }
}

// ---------------------------------------------------------------------------------------------------
// Reading the code "as the provider received it": the dev provider's inbox table, or the Twilio fake's
// messages with --provider twilio

interface Inbox {
  /** Where the codes are read, in labels and error kinds: `dev_inbox` or `Twilio fake`. */
  source: string;
  body(challengeId: string, to: string): Promise<string | undefined>;
  close(): Promise<void>;
}

// (tenant_id, to) is indexed (dev_inbox_to); challenge_id alone is not, so the lookup goes through the index.
const INBOX_SQL = 'SELECT body FROM dev_inbox WHERE tenant_id = $1 AND "to" = $2 AND challenge_id = $3';

function sqliteInbox(path: string, tenantId: string): Inbox {
  const db = new Database(path, { readonly: true, fileMustExist: true });
  const stmt = db.prepare<[string, string, string], { body: string }>(INBOX_SQL.replace(/\$\d/g, '?'));
  return {
    source: 'dev_inbox',
    body: async (challengeId, to) => stmt.get(tenantId, to, challengeId)?.body,
    close: async () => {
      db.close();
    },
  };
}

function postgresInbox(url: string, schema: string, tenantId: string, poolSize: number): Inbox {
  const pool = new pg.Pool({ connectionString: url, max: poolSize, options: `-c search_path="${schema}"` });
  return {
    source: 'dev_inbox',
    async body(challengeId, to) {
      const r = await pool.query<{ body: string }>({
        name: 'inbox',
        text: INBOX_SQL,
        values: [tenantId, to, challengeId],
      });
      return r.rows[0]?.body;
    },
    close: () => pool.end(),
  };
}

/** Stands in for a message already read, so that the fake's array keeps its length (it numbers sids by it). */
const READ_MESSAGE: AcceptedMessage = { id: '', to: '', text: '' };

/**
 * The Twilio fake's messages, by the number they went to. The fake appends every message it accepts (and
 * every request) to arrays; each lookup moves the new messages into a map by `to` and replaces them in the
 * array with one shared placeholder, and empties the requests, so a lookup costs the same in a long run as
 * at the start and memory stays flat. The fake has answered before the server answers the challenge, so
 * the message is there. Numbers are unique per flow (sign-in) or per user in flight (adaptive), and a
 * later message to a number replaces an earlier one.
 */
function twilioFakeInbox(fake: VendorFake): Inbox {
  const byTo = new Map<string, string>();
  let read = 0;
  return {
    source: 'Twilio fake',
    async body(_challengeId, to) {
      const { messages } = fake;
      for (; read < messages.length; read++) {
        const m = messages[read] as AcceptedMessage;
        byTo.set(m.to, m.text);
        messages[read] = READ_MESSAGE;
      }
      fake.requests.length = 0;
      const text = byTo.get(to);
      byTo.delete(to);
      return text;
    },
    close: () => fake.close(),
  };
}

// ---------------------------------------------------------------------------------------------------
// Resource sampling from /proc

interface ProcSample {
  rssKiB: number;
  hwmKiB: number;
  cpuTicks: number;
}

function procSample(pid: number): ProcSample | undefined {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const kib = (field: string) => Number(new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? 0);
    // /proc/<pid>/stat: fields after the ")" of comm; utime and stime are fields 14 and 15.
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const cpuTicks = Number(fields[11]) + Number(fields[12]);
    return { rssKiB: kib('VmRSS'), hwmKiB: kib('VmHWM'), cpuTicks };
  } catch {
    return undefined;
  }
}

/** Busy and total jiffies of the whole machine. */
function machineTicks(): { busy: number; total: number } {
  const line = readFileSync('/proc/stat', 'utf8').split('\n')[0] ?? '';
  const n = line.trim().split(/\s+/).slice(1).map(Number);
  const total = n.reduce((a, b) => a + b, 0);
  const idle = (n[3] ?? 0) + (n[4] ?? 0);
  return { busy: total - idle, total };
}

/** CPU jiffies used so far by all processes named `postgres` (the PostgreSQL server on this machine). */
function postgresTicks(): number {
  let ticks = 0;
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const comm = stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')'));
      if (comm !== 'postgres') continue;
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      ticks += Number(fields[11]) + Number(fields[12]);
    } catch {
      // The process ended while we read it.
    }
  }
  return ticks;
}

const TICKS_PER_S = 100; // USER_HZ on Linux

// ---------------------------------------------------------------------------------------------------
// Flow definitions

/** What a flow works with during one run: a server with a fresh database. */
interface RunContext {
  db: DbName;
  server: Server;
  client: Client;
  inbox: Inbox;
  opts: Options;
}

/** Microseconds per call of one flow, by call id, plus `flow`: the whole flow. */
type Timings = Record<string, number>;

interface Targets {
  flowsPerS: Record<DbName, number>;
  p99FlowMs: number;
  rssMiB: number;
}

/**
 * One kind of flow. `setup` runs once per run, after the server has started and before the warm-up,
 * and is not measured; `run` is one flow, timed call by call, and throws a FlowError on any unexpected
 * answer.
 */
interface FlowDef<State> {
  name: FlowName;
  title: string;
  /** The measured calls in order, with their printed labels; the whole flow (`flow`) comes last. */
  calls: readonly { id: string; label: string }[];
  /** Undefined: the flow has no target. */
  targets?: Targets;
  setup(ctx: RunContext): Promise<State>;
  run(ctx: RunContext, state: State, flowIndex: number): Promise<Timings>;
}

class FlowError extends Error {
  constructor(
    readonly kind: string,
    detail: string,
  ) {
    super(detail);
  }
}

const nowUs = () => performance.now() * 1000;

/** Times the consecutive calls of one flow: `lap(id)` records the time since the previous lap (or the start). */
function stopwatch() {
  const timings: Timings = {};
  const start = nowUs();
  let last = start;
  return {
    lap(id: string): void {
      const t = nowUs();
      timings[id] = t - last;
      last = t;
    },
    done(): Timings {
      timings.flow = last - start;
      return timings;
    },
  };
}

/** A valid NZ mobile number: +6421 and 7 digits. */
const nzMobile = (n: number) => `+6421${String(n % 10_000_000).padStart(7, '0')}`;

/** The code in an SMS body read from the dev inbox or the Twilio fake. */
const codeIn = (body: string | undefined) => (body ? /\b(\d{6,10})\b/.exec(body)?.[1] : undefined);

let phoneCounter = randomInt(0, 10_000_000);
/** A valid NZ mobile number (+6421 and 7 digits), unique for the first ten million flows of a run. */
function nextPhone(): string {
  phoneCounter = (phoneCounter + 1) % 10_000_000;
  return nzMobile(phoneCounter);
}

const signinFlow: FlowDef<void> = {
  name: 'signin',
  title: 'SMS sign-in flow',
  calls: [
    { id: 'challenge', label: 'POST /v1/challenge' },
    { id: 'codeLookup', label: 'code lookup (dev_inbox)' },
    { id: 'verify', label: 'POST /v1/verify' },
    { id: 'claim', label: 'POST /v1/claim' },
  ],
  targets: { flowsPerS: { sqlite: 2000, postgres: 1000 }, p99FlowMs: 30, rssMiB: 150 },
  async setup() {},
  async run({ client, inbox }, _state, flowIndex) {
    const to = nextPhone();
    const watch = stopwatch();
    const started = await client.post('/v1/challenge', {
      verificationMethod: 'SMS',
      action: 'signInWithSms',
      phoneNumber: to,
    });
    watch.lap('challenge');
    const challengeId = started.body.challengeId;
    if (started.status !== 200 || typeof challengeId !== 'string') {
      throw new FlowError(`challenge HTTP ${started.status}`, JSON.stringify(started.body));
    }
    const code = codeIn(await inbox.body(challengeId, to));
    watch.lap('codeLookup');
    if (!code) throw new FlowError(`code not in ${inbox.source}`, `challenge ${challengeId} to ${to}`);
    const verified = await client.post('/v1/verify', { challengeId, verificationCode: code });
    watch.lap('verify');
    if (verified.status !== 200) throw new FlowError(`verify HTTP ${verified.status}`, JSON.stringify(verified.body));
    if (verified.body.isVerified !== true)
      throw new FlowError('verify isVerified=false', JSON.stringify(verified.body));
    const claimed = await client.post('/v1/claim', { challengeId, userId: `bench-user-${flowIndex}` });
    watch.lap('claim');
    if (claimed.status !== 200) throw new FlowError(`claim HTTP ${claimed.status}`, JSON.stringify(claimed.body));
    if (typeof claimed.body.token !== 'string')
      throw new FlowError('claim without token', JSON.stringify(claimed.body));
    return watch.done();
  },
};

const ADAPTIVE_ACTION = 'withdraw';
/** An IP address in New Zealand: the "Outside NZ" rule does not match it. */
const NZ_IP = '203.109.128.1';
/** Rules 1 and 2 match every tracked withdrawal of the bench (amount 250, a new device each time). */
const ADAPTIVE_RULES = [
  { name: 'Large amount', type: 'CHALLENGE', priority: 10, conditions: { '>': [{ var: 'custom.amount' }, 100] } },
  { name: 'New device', type: 'CHALLENGE', priority: 20, conditions: { '==': [{ var: 'device.isNew' }, true] } },
  {
    name: 'Outside NZ',
    type: 'BLOCK',
    priority: 0,
    conditions: {
      and: [
        { '!=': [{ var: 'ip.location.country.countryCode' }, 'NZ'] },
        { '!=': [{ var: 'ip.location.country.countryCode' }, null] },
      ],
    },
  },
];
/** Concurrent requests while enrolling the user pool. */
const SETUP_CONCURRENCY = 16;

interface AdaptiveState {
  users: { userId: string; phone: string }[];
  next: number;
}

/** Runs `fn` on every item, at most `limit` at a time; rejects with the first failure. */
async function forEachLimit<T>(items: readonly T[], limit: number, fn: (item: T) => Promise<void>): Promise<void> {
  let i = 0;
  const worker = async () => {
    while (i < items.length) {
      const item = items[i++] as T;
      await fn(item);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
}

/** A setup request that must answer 200. */
async function expectOk(what: string, reply: Promise<Reply>): Promise<Record<string, unknown>> {
  const r = await reply;
  if (r.status !== 200) throw new Error(`setup: ${what} answered HTTP ${r.status}: ${JSON.stringify(r.body)}`);
  return r.body;
}

const adaptiveFlow: FlowDef<AdaptiveState> = {
  name: 'adaptive',
  title: 'adaptive MFA flow',
  calls: [
    { id: 'track', label: `POST …/actions/${ADAPTIVE_ACTION}` },
    { id: 'clientChallenge', label: 'POST /v1/client/challenge/sms' },
    { id: 'codeLookup', label: 'code lookup (dev_inbox)' },
    { id: 'clientVerify', label: 'POST /v1/client/verify/sms' },
    { id: 'validate', label: 'POST /v1/validate' },
  ],
  async setup({ client, server, opts }) {
    const started = Date.now();
    const management = basicAuth(server.managementSecretKey);
    const configs = '/v1/management/action-configurations';
    await expectOk(
      'creating the action configuration',
      client.post(configs, { actionCode: ADAPTIVE_ACTION, defaultUserActionResult: 'ALLOW' }, management),
    );
    for (const rule of ADAPTIVE_RULES) {
      const created = await expectOk(
        `creating the rule "${rule.name}"`,
        client.post(`${configs}/${ADAPTIVE_ACTION}/rules`, rule, management),
      );
      if (created.isActive !== true) throw new Error(`setup: the rule "${rule.name}" is not active`);
    }
    const base = randomInt(0, 10_000_000);
    const users = Array.from({ length: opts.users }, (_, i) => ({ userId: `bench-u-${i}`, phone: nzMobile(base + i) }));
    await forEachLimit(users, SETUP_CONCURRENCY, async (u) => {
      await expectOk(
        `enrolling ${u.userId}`,
        client.post(`/v1/users/${u.userId}/authenticators`, { verificationMethod: 'SMS', phoneNumber: u.phone }),
      );
    });
    console.log(
      `   setup: action "${ADAPTIVE_ACTION}", ${ADAPTIVE_RULES.length} rules, ${users.length} users enrolled with SMS in ${((Date.now() - started) / 1000).toFixed(1)} s`,
    );
    return { users, next: 0 };
  },
  async run({ client, inbox }, state) {
    // Round robin over the pool: a user's flows are far apart, and every track makes a new action, so a
    // new challenge, which the resend cooldown does not touch.
    const user = state.users[state.next] as AdaptiveState['users'][number];
    state.next = (state.next + 1) % state.users.length;
    const watch = stopwatch();
    const tracked = await client.post(`/v1/users/${user.userId}/actions/${ADAPTIVE_ACTION}`, {
      custom: { amount: 250 },
      deviceId: randomUUID(),
      ipAddress: NZ_IP,
    });
    watch.lap('track');
    if (tracked.status !== 200) throw new FlowError(`track HTTP ${tracked.status}`, JSON.stringify(tracked.body));
    const token = tracked.body.token;
    if (tracked.body.state !== 'CHALLENGE_REQUIRED' || typeof token !== 'string') {
      throw new FlowError(`track state ${String(tracked.body.state)}`, JSON.stringify(tracked.body));
    }
    const bearer = bearerAuth(token);
    const challenged = await client.post('/v1/client/challenge/sms', undefined, bearer);
    watch.lap('clientChallenge');
    const challengeId = challenged.body.challengeId;
    if (challenged.status !== 200 || typeof challengeId !== 'string') {
      throw new FlowError(`client challenge HTTP ${challenged.status}`, JSON.stringify(challenged.body));
    }
    const code = codeIn(await inbox.body(challengeId, user.phone));
    watch.lap('codeLookup');
    if (!code) throw new FlowError(`code not in ${inbox.source}`, `challenge ${challengeId} to ${user.phone}`);
    const verified = await client.post('/v1/client/verify/sms', { verificationCode: code }, bearer);
    watch.lap('clientVerify');
    if (verified.status !== 200) {
      throw new FlowError(`client verify HTTP ${verified.status}`, JSON.stringify(verified.body));
    }
    const accessToken = verified.body.accessToken;
    if (verified.body.isVerified !== true || typeof accessToken !== 'string') {
      throw new FlowError('client verify not verified or without accessToken', JSON.stringify(verified.body));
    }
    const validated = await client.post('/v1/validate', { action: ADAPTIVE_ACTION, token: accessToken });
    watch.lap('validate');
    if (validated.status !== 200) {
      throw new FlowError(`validate HTTP ${validated.status}`, JSON.stringify(validated.body));
    }
    if (validated.body.isValid !== true || validated.body.state !== 'CHALLENGE_SUCCEEDED') {
      throw new FlowError(
        `validate isValid=${String(validated.body.isValid)} state=${String(validated.body.state)}`,
        JSON.stringify(validated.body),
      );
    }
    return watch.done();
  },
};

/** Method parameters are bivariant, so each definition stands as a FlowDef<unknown>. */
const FLOWS: Record<FlowName, FlowDef<unknown>> = { signin: signinFlow, adaptive: adaptiveFlow };

/** Call ids whose latency is recorded: the flow's calls, then the whole flow. */
const callIds = (flow: FlowDef<unknown>) => [...flow.calls.map((c) => c.id), 'flow'];

// ---------------------------------------------------------------------------------------------------
// The load

interface Recorder {
  samples: Record<string, number[]>;
  flows: number;
  errors: Map<string, number>;
  errorExamples: string[];
}

function newRecorder(flow: FlowDef<unknown>): Recorder {
  return {
    samples: Object.fromEntries(callIds(flow).map((id) => [id, []])),
    flows: 0,
    errors: new Map(),
    errorExamples: [],
  };
}

interface LoadResult {
  recorder: Recorder;
  measuredS: number;
  warmupFlows: number;
}

async function runLoad(
  flow: FlowDef<unknown>,
  ctx: RunContext,
  state: unknown,
  onMeasureStart: () => void,
): Promise<LoadResult> {
  const { opts } = ctx;
  const rec = newRecorder(flow);
  const ids = callIds(flow);
  const t0 = performance.now();
  const measureFrom = t0 + opts.warmupS * 1000;
  const measureUntil = measureFrom + opts.durationS * 1000;
  let started = 0;
  let warmupFlows = 0;
  let lastEnd = measureFrom;
  let measuring = false;

  const worker = async () => {
    for (;;) {
      const start = performance.now();
      if (start >= measureUntil || started >= opts.maxFlows) return;
      const counted = start >= measureFrom;
      if (counted && !measuring) {
        measuring = true;
        onMeasureStart();
      }
      started += 1;
      try {
        const t = await flow.run(ctx, state, started);
        if (counted) {
          for (const id of ids) rec.samples[id]?.push(t[id] ?? Number.NaN);
          rec.flows += 1;
        } else warmupFlows += 1;
      } catch (err) {
        const kind = err instanceof FlowError ? err.kind : `transport: ${(err as Error).message}`;
        // Errors count in warm-up too: any error fails the run.
        const seen = rec.errors.get(kind) ?? 0;
        rec.errors.set(kind, seen + 1);
        // One example of each kind of error.
        if (seen === 0 && rec.errorExamples.length < 10) {
          rec.errorExamples.push(`${kind}: ${(err as Error).message}`.slice(0, 300));
        }
      }
      if (counted) lastEnd = Math.max(lastEnd, performance.now());
    }
  };
  await Promise.all(Array.from({ length: opts.concurrency }, worker));
  if (!measuring) onMeasureStart();
  return { recorder: rec, measuredS: Math.max(lastEnd - measureFrom, 1) / 1000, warmupFlows };
}

// ---------------------------------------------------------------------------------------------------
// Statistics and output

interface Stats {
  count: number;
  meanMs: number;
  p50Ms: number;
  p95Ms: number;
  p99Ms: number;
  maxMs: number;
}

function stats(samplesUs: number[]): Stats {
  const s = Float64Array.from(samplesUs).sort();
  const n = s.length;
  const at = (p: number) => (n === 0 ? 0 : (s[Math.min(n - 1, Math.max(0, Math.ceil((p / 100) * n) - 1))] ?? 0) / 1000);
  const round = (x: number) => Math.round(x * 1000) / 1000;
  return {
    count: n,
    meanMs: round(n === 0 ? 0 : s.reduce((a, b) => a + b, 0) / n / 1000),
    p50Ms: round(at(50)),
    p95Ms: round(at(95)),
    p99Ms: round(at(99)),
    maxMs: round(n === 0 ? 0 : (s[n - 1] ?? 0) / 1000),
  };
}

interface Result {
  flow: FlowName;
  db: DbName;
  /** The tenant's SMS provider: `dev` (the dev inbox) or `twilio` (the Twilio fake in the load generator). */
  provider: ProviderName;
  date: string;
  ok: boolean;
  profile: boolean;
  machine: { cpus: number; cpuModel: string; node: string };
  /** The code measured: commit, and whether src/ had uncommitted changes. */
  git: { commit: string; srcDirty: boolean };
  /** How busy the machine was in the second before the run: other work skews the figures. */
  machineBusyBeforePercent: number;
  concurrency: number;
  /** The adaptive flow's pool of enrolled users. */
  users?: number;
  /** Seconds spent in the flow's setup, before the warm-up (not measured). */
  setupS: number;
  warmupS: number;
  durationS: number;
  measuredS: number;
  flows: number;
  warmupFlows: number;
  flowsPerS: number;
  errors: Record<string, number>;
  errorExamples: string[];
  /** By call id, in the flow's order, then `flow` (the whole flow). */
  latency: Record<string, Stats>;
  server: {
    /** After start, before any request. */
    idleRssMiB: number;
    peakRssMiB: number;
    vmHwmMiB: number;
    rssAtEndMiB: number;
    cpuPercentOfOneCore: number;
  };
  loadGeneratorCpuPercentOfOneCore: number;
  /** All `postgres` processes on this machine (PostgreSQL runs locally and shares the cores). */
  postgresCpuPercentOfOneCore: number;
  machineCpuBusyPercent: number;
  /** Null for a flow without targets (the adaptive flow, and any flow with --provider twilio). */
  targets: { flowsPerS: number; p99FlowMs: number; rssMiB: number; met: boolean } | null;
}

const ZERO_STATS: Stats = { count: 0, meanMs: 0, p50Ms: 0, p95Ms: 0, p99Ms: 0, maxMs: 0 };

function printResult(r: Result, flow: FlowDef<unknown>): void {
  const f = (x: number) => x.toFixed(2).padStart(8);
  const title = r.db === 'sqlite' ? 'SQLite' : 'PostgreSQL';
  const rows = [...flow.calls, { id: 'flow', label: 'whole flow' }].map((c) =>
    r.provider === 'twilio' ? { ...c, label: c.label.replace('(dev_inbox)', '(Twilio fake)') } : c,
  );
  const width = Math.max(26, ...rows.map((c) => c.label.length + 2));
  console.log('');
  console.log(
    `== ${title}, ${flow.title}${r.provider === 'twilio' ? ', SMS through the Twilio fake' : ''}${r.profile ? ' (with --cpu-prof)' : ''}: ${r.concurrency} clients, ${r.measuredS.toFixed(1)} s measured after ${r.warmupS} s warm-up`,
  );
  console.log(`   flows/s ${r.flowsPerS.toFixed(0)}   (${r.flows} flows measured, ${r.warmupFlows} in warm-up)`);
  console.log(
    `   ${'call'.padEnd(width)}${'p50 ms'.padStart(8)}${'p95 ms'.padStart(8)}${'p99 ms'.padStart(8)}${'max ms'.padStart(8)}`,
  );
  for (const { id, label } of rows) {
    const s = r.latency[id] ?? ZERO_STATS;
    console.log(`   ${label.padEnd(width)}${f(s.p50Ms)}${f(s.p95Ms)}${f(s.p99Ms)}${f(s.maxMs)}`);
  }
  console.log(
    `   server RSS peak ${r.server.peakRssMiB.toFixed(1)} MiB (idle before the load ${r.server.idleRssMiB.toFixed(1)} MiB, VmHWM ${r.server.vmHwmMiB.toFixed(1)} MiB, at end ${r.server.rssAtEndMiB.toFixed(1)} MiB)`,
  );
  console.log(
    `   CPU: server ${r.server.cpuPercentOfOneCore.toFixed(0)}% of a core, load generator${r.provider === 'twilio' ? ' (with the Twilio fake)' : ''} ${r.loadGeneratorCpuPercentOfOneCore.toFixed(0)}%, postgres ${r.postgresCpuPercentOfOneCore.toFixed(0)}%, machine busy ${r.machineCpuBusyPercent.toFixed(0)}% of ${r.machine.cpus} cores`,
  );
  const errorCount = Object.values(r.errors).reduce((a, b) => a + b, 0);
  console.log(`   errors ${errorCount}${errorCount ? `: ${JSON.stringify(r.errors)}` : ''}`);
  for (const e of r.errorExamples) console.log(`     e.g. ${e}`);
  const mark = (ok: boolean) => (ok ? 'met' : 'NOT met');
  const t = r.targets;
  const p99Flow = (r.latency.flow ?? ZERO_STATS).p99Ms;
  console.log(
    t
      ? `   targets: ≥ ${t.flowsPerS} flows/s ${mark(r.flowsPerS >= t.flowsPerS)}; p99 flow ≤ ${t.p99FlowMs} ms ${mark(p99Flow <= t.p99FlowMs)}; RSS ≤ ${t.rssMiB} MiB ${mark(r.server.peakRssMiB <= t.rssMiB)}`
      : `   targets: no target${r.provider === 'twilio' && flow.targets ? ' (the targets are for the dev provider)' : ''}`,
  );
  if (r.machineBusyBeforePercent > 15) console.log(`   (machine ${r.machineBusyBeforePercent}% busy before the run)`);
  console.log(`   RESULT: ${r.ok ? 'OK' : 'FAILED (errors)'}`);
}

// ---------------------------------------------------------------------------------------------------

function gitState(): { commit: string; srcDirty: boolean } {
  const git = (...args: string[]) => spawnSync('git', args, { cwd: ROOT, encoding: 'utf8' }).stdout?.trim() ?? '';
  return {
    commit: git('rev-parse', '--short', 'HEAD') || 'unknown',
    srcDirty: git('status', '--porcelain', 'src') !== '',
  };
}

/** Percent of all cores busy over `ms`, measured before a run. */
async function machineBusyOver(ms: number): Promise<number> {
  const a = machineTicks();
  await sleep(ms);
  const b = machineTicks();
  return Math.round(((b.busy - a.busy) / Math.max(1, b.total - a.total)) * 1000) / 10;
}

async function benchOne(db: DbName, flow: FlowDef<unknown>, opts: Options): Promise<Result> {
  const busyBefore = await machineBusyOver(1000);
  if (busyBefore > 15) {
    console.warn(`warning: the machine was ${busyBefore}% busy before the run; other work will skew the figures`);
  }
  const tmp = mkdtempSync(join(tmpdir(), 'sigil-bench-'));
  const schema = `bench_${randomBytes(6).toString('hex')}`;
  const sqlitePath = join(tmp, 'sigil.db');
  const dbEnv: Record<string, string> =
    db === 'sqlite'
      ? { DATABASE_URL: `sqlite:${sqlitePath}` }
      : { DATABASE_URL: opts.pgUrl, SIGIL_DATABASE_SCHEMA: schema };
  // The Twilio fake listens on loopback: allow it explicitly (development allows it already).
  if (opts.provider === 'twilio') dbEnv.SIGIL_WEBHOOK_ALLOW_LOOPBACK = 'true';
  const port = await freePort();
  const env = serverEnv(dbEnv, port, tmp);
  let server: Server | undefined;
  let inbox: Inbox | undefined;
  let client: Client | undefined;
  let sampler: NodeJS.Timeout | undefined;
  try {
    server = await startServer(env, port, opts);
    client = new Client(port, server.apiSecretKey, opts.concurrency);
    if (opts.provider === 'twilio') {
      // Loaded only here: it compiles src/ modules (through tsx) that the dev runs do not need.
      const { startTwilioFake } = await import('../test/fakes/twilio.js');
      const fake = await startTwilioFake();
      inbox = twilioFakeInbox(fake);
      await configureProvider(client, server, fake);
    } else {
      inbox =
        db === 'sqlite'
          ? sqliteInbox(sqlitePath, server.tenantId)
          : postgresInbox(opts.pgUrl, schema, server.tenantId, Math.min(opts.concurrency, 8));
    }
    const pid = server.pid;

    let peakRssKiB = 0;
    const sample = () => {
      const s = procSample(pid);
      if (s) peakRssKiB = Math.max(peakRssKiB, s.rssKiB);
      return s;
    };
    const idle = sample();
    const ctx: RunContext = { db, server, client, inbox, opts };
    const setupStarted = performance.now();
    const state = await flow.setup(ctx);
    const setupS = (performance.now() - setupStarted) / 1000;
    sampler = setInterval(sample, 500);

    let atStart:
      | { server?: ProcSample; self: NodeJS.CpuUsage; machine: { busy: number; total: number }; pg: number }
      | undefined;
    const watchdog = setTimeout(
      () => {
        console.error('bench: watchdog fired, the run took far longer than planned; killing the server');
        server?.child.kill('SIGKILL');
        process.exit(2);
      },
      (opts.warmupS + opts.durationS) * 1000 + 120_000,
    );
    const load = await runLoad(flow, ctx, state, () => {
      atStart = { server: procSample(pid), self: process.cpuUsage(), machine: machineTicks(), pg: postgresTicks() };
    });
    clearTimeout(watchdog);
    const end = sample();
    const selfCpu = process.cpuUsage(atStart?.self);
    const machineEnd = machineTicks();
    const pgEnd = postgresTicks();
    clearInterval(sampler);
    sampler = undefined;

    const serverCpuS = end && atStart?.server ? (end.cpuTicks - atStart.server.cpuTicks) / TICKS_PER_S : 0;
    const machineBusy = atStart
      ? (machineEnd.busy - atStart.machine.busy) / Math.max(1, machineEnd.total - atStart.machine.total)
      : 0;
    const rec = load.recorder;
    const latency = Object.fromEntries(callIds(flow).map((id) => [id, stats(rec.samples[id] ?? [])]));
    const p99FlowMs = (latency.flow ?? ZERO_STATS).p99Ms;
    const flowsPerS = Math.round((rec.flows / load.measuredS) * 10) / 10;
    const peakRssMiB = Math.round((peakRssKiB / 1024) * 10) / 10;
    // The targets are set for the dev provider; the Twilio fake shares the load generator's process and cores.
    const targets = opts.provider === 'dev' ? flow.targets : undefined;
    const result: Result = {
      flow: flow.name,
      db,
      provider: opts.provider,
      date: new Date().toISOString(),
      ok: rec.errors.size === 0 && rec.flows > 0,
      profile: opts.profile,
      machine: { cpus: cpus().length, cpuModel: cpus()[0]?.model ?? 'unknown', node: process.version },
      git: gitState(),
      machineBusyBeforePercent: busyBefore,
      concurrency: opts.concurrency,
      ...(flow.name === 'adaptive' ? { users: opts.users } : {}),
      setupS: Math.round(setupS * 100) / 100,
      warmupS: opts.warmupS,
      durationS: opts.durationS,
      measuredS: Math.round(load.measuredS * 100) / 100,
      flows: rec.flows,
      warmupFlows: load.warmupFlows,
      flowsPerS,
      errors: Object.fromEntries(rec.errors),
      errorExamples: rec.errorExamples,
      latency,
      server: {
        idleRssMiB: Math.round(((idle?.rssKiB ?? 0) / 1024) * 10) / 10,
        peakRssMiB,
        vmHwmMiB: Math.round(((end?.hwmKiB ?? 0) / 1024) * 10) / 10,
        rssAtEndMiB: Math.round(((end?.rssKiB ?? 0) / 1024) * 10) / 10,
        cpuPercentOfOneCore: Math.round((serverCpuS / load.measuredS) * 1000) / 10,
      },
      postgresCpuPercentOfOneCore: atStart
        ? Math.round(((pgEnd - atStart.pg) / TICKS_PER_S / load.measuredS) * 1000) / 10
        : 0,
      loadGeneratorCpuPercentOfOneCore:
        Math.round(((selfCpu.user + selfCpu.system) / 1e6 / load.measuredS) * 1000) / 10,
      machineCpuBusyPercent: Math.round(machineBusy * 1000) / 10,
      targets: targets
        ? {
            flowsPerS: targets.flowsPerS[db],
            p99FlowMs: targets.p99FlowMs,
            rssMiB: targets.rssMiB,
            met:
              rec.errors.size === 0 &&
              flowsPerS >= targets.flowsPerS[db] &&
              p99FlowMs <= targets.p99FlowMs &&
              peakRssMiB <= targets.rssMiB,
          }
        : null,
    };
    if (rec.errors.size > 0 && server) console.error(`server output (last 8 KiB):\n${server.output()}`);
    return result;
  } catch (err) {
    if (server) console.error(`server output:\n${server.output()}`);
    throw err;
  } finally {
    if (sampler) clearInterval(sampler);
    client?.close();
    await inbox?.close().catch(() => undefined);
    if (server) {
      const code = await server.stop();
      if (code !== 0 && code !== null) console.warn(`warning: the server exited with ${code}:\n${server.output()}`);
    }
    if (db === 'postgres')
      await dropSchema(opts.pgUrl, schema).catch((e) => console.warn(`could not drop ${schema}: ${e}`));
    rmSync(tmp, { recursive: true, force: true });
  }
}

/** Makes the Twilio fake the bench tenant's only SMS provider (not measured). */
async function configureProvider(client: Client, server: Server, fake: VendorFake): Promise<void> {
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

async function dropSchema(url: string, schema: string): Promise<void> {
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  try {
    await c.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
  } finally {
    await c.end();
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((ok) => setTimeout(ok, ms));
}

/** The dispatcher measurement, bench/dispatcher.ts, in a process of its own (no server, no database). */
function runDispatcher(opts: Options): boolean {
  const args = ['--import', 'tsx', join(ROOT, 'bench/dispatcher.ts'), ...opts.dispatcherArgs];
  console.log(`\nbench dispatcher: ${process.execPath} ${args.join(' ')}`);
  const child = spawnSync(process.execPath, args, { cwd: ROOT, stdio: 'inherit' });
  if (child.error) throw child.error;
  return child.status === 0;
}

async function main(): Promise<void> {
  const opts = parseOptions();
  // The dispatcher measurement runs src/ through tsx: only the server flows need dist/.
  if (!opts.skipBuild && opts.flows.length > 0) build();
  const resultsDir = join(ROOT, 'bench/results');
  mkdirSync(resultsDir, { recursive: true });
  const stamp = new Date().toISOString().replace(/[:]/g, '-').replace(/\..*$/, '');
  const providerSuffix = opts.provider === 'dev' ? '' : `-${opts.provider}`;
  let failed = false;
  for (const db of opts.flows.length > 0 ? opts.dbs : []) {
    // Each flow gets its own server and database, so one does not affect the other.
    for (const name of opts.flows) {
      const flow = FLOWS[name];
      console.log(
        `\nbench ${db}, ${flow.title}${opts.provider === 'twilio' ? ', SMS through the Twilio fake' : ''}: starting the server${opts.profile ? ` with --cpu-prof into ${opts.profileDir}` : ''}, ${opts.concurrency} clients, ${opts.warmupS} s warm-up + ${opts.durationS} s`,
      );
      const result = await benchOne(db, flow, opts);
      printResult(result, flow);
      const file = join(
        resultsDir,
        `${stamp}-${db}-${flow.name}${providerSuffix}${opts.profile ? '-profile' : ''}.json`,
      );
      writeFileSync(file, `${JSON.stringify(result, null, 2)}\n`);
      console.log(`   wrote ${file.slice(ROOT.length + 1)}`);
      if (!result.ok) failed = true;
    }
  }
  if (opts.dispatcher && !runDispatcher(opts)) failed = true;
  if (opts.profile)
    console.log(`\nCPU profiles are in ${opts.profileDir}; summarise with: npx tsx bench/summarize-profile.ts <file>`);
  process.exitCode = failed ? 1 : 0;
}

main().catch((err: unknown) => {
  console.error(`bench: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
  process.exit(1);
});
