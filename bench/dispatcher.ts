/**
 * The SMS dispatcher's own overhead: what SmsDispatcher.send() adds per message on top of the provider's
 * own send(). See bench/README.md ("Dispatcher overhead"). No server and no database: the dispatcher is
 * built in this process as test/sms-dispatcher.test.ts builds it, from src/ (through tsx, no build).
 *
 *   npx tsx bench/dispatcher.ts [--messages 200000] [--warmup-messages 20000] [--rounds 10]
 *                               [--in-flight 64] [--http-messages 5000] [--no-http] [--no-write]
 *   npm run bench -- --flow dispatcher [--messages N] [--in-flight N]
 *
 * 1. Instant provider: a provider type registered for the run in providerDefinitions, whose send() answers
 *    at once. (a) its send() called directly, (b) SmsDispatcher.send() with it as the tenant's only
 *    provider: config list, adapter creation, breaker lookup (SHA-256 of the config), the cockatiel breaker,
 *    AbortSignal.timeout, the attempt row (a UUID). Sequentially, each message timed alone (--messages per
 *    variant, in --rounds blocks that alternate direct and dispatcher, after --warmup-messages of each);
 *    then concurrently, --in-flight messages in flight, for messages/s. The event loop turns every 256
 *    messages and a full GC runs after each block; that background time is charged to the block's variant
 *    ("all-in" mean).
 * 2. Twilio fake over HTTP (test/fakes/twilio.ts, in this process): the Twilio adapter's send() directly
 *    against the dispatcher with the fake as provider, sequentially (--http-messages per variant).
 *
 * Writes bench/results/<time>-dispatcher.json unless --no-write.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import pino from 'pino';
import { systemClock } from '../src/lib/clock.js';
import { cryptoRandom } from '../src/lib/random.js';
import type { ProviderConfig, SmsConfigService } from '../src/modules/sms/config-service.js';
import { type DispatchOptions, SmsDispatcher } from '../src/modules/sms/dispatcher.js';
import { providerDefinitions } from '../src/modules/sms/providers/index.js';
import type {
  ProviderContext,
  ProviderDefinition,
  SendResult,
  SmsMessage,
} from '../src/modules/sms/providers/provider.js';
import { startTwilioFake } from '../test/fakes/twilio.js';
import { adapterContext, message } from '../test/sms-providers/context.js';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');

/** The server's defaults (src/config.ts), as the issue asks. */
const DISPATCH_OPTIONS: DispatchOptions = {
  timeoutMs: 5_000,
  attemptsPerProvider: 3,
  sendBudgetMs: 15_000,
  breakerFailures: 5,
  breakerCooldownMs: 30_000,
};

interface Options {
  messages: number;
  warmupMessages: number;
  rounds: number;
  inFlight: number;
  httpMessages: number;
  write: boolean;
}

function parseOptions(): Options {
  const { values } = parseArgs({
    options: {
      messages: { type: 'string', default: '200000' },
      'warmup-messages': { type: 'string', default: '20000' },
      rounds: { type: 'string', default: '10' },
      'in-flight': { type: 'string', default: '64' },
      'http-messages': { type: 'string', default: '5000' },
      'no-http': { type: 'boolean', default: false },
      'no-write': { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  if (values.help) {
    console.log(readFileSync(fileURLToPath(import.meta.url), 'utf8').split('*/')[0]);
    process.exit(0);
  }
  const int = (name: string, raw: string, min: number) => {
    const n = Number(raw);
    if (!Number.isInteger(n) || n < min) throw new Error(`--${name} must be an integer ≥ ${min}`);
    return n;
  };
  return {
    messages: int('messages', values.messages, 1),
    warmupMessages: int('warmup-messages', values['warmup-messages'], 0),
    rounds: int('rounds', values.rounds, 1),
    inFlight: int('in-flight', values['in-flight'], 1),
    httpMessages: values['no-http'] ? 0 : int('http-messages', values['http-messages'], 1),
    write: !values['no-write'],
  };
}

// ---------------------------------------------------------------------------------------------------
// What is measured

/** One way of sending a message: a provider's send() directly, or the dispatcher's. */
type Send = (m: SmsMessage) => Promise<SendResult>;

interface Variant {
  name: 'direct' | 'dispatcher';
  send: Send;
}

/** Messages reused round robin: building one per send would be measured too. */
const POOL_SIZE = 1024;

/** Valid NZ mobile numbers, +642150xxxxx: clear of the fakes' magic numbers (+64211000001…). */
function messagePool(): SmsMessage[] {
  return Array.from({ length: POOL_SIZE }, (_, i) => message(`+642150${String(i).padStart(5, '0')}`));
}

/**
 * A server's event loop ends its job between requests; a loop of sends that resolve at once never would, and
 * V8 keeps every WeakRef target of a job alive until it ends (AbortSignal.timeout() makes one per signal), so
 * that the heap would grow through a whole block. The loops let the event loop turn every this many
 * messages; the time it takes (timers, finalizers) is charged to the variant as background time.
 */
const YIELD_EVERY = 256;
const turn = () => new Promise<void>((ok) => setImmediate(ok));

setFlagsFromString('--expose-gc');
/** V8's gc(), without --expose-gc on the command line: a context made after the flag is set has it. */
const gc = runInNewContext('gc') as () => void;

/**
 * After a block: a full garbage collection and two turns of the event loop (finalizers, which clear the
 * timers of collected AbortSignal.timeout() signals), so that one variant's garbage is not collected in the
 * other's block. Returns its time in µs, charged to the block's variant.
 */
async function settle(): Promise<number> {
  const t = performance.now();
  gc();
  await turn();
  await turn();
  return (performance.now() - t) * 1000;
}

/**
 * Sends `count` messages one after the other, each timed alone (µs) into `out` from `at`. Returns the
 * untimed background time in µs: the event loop's turns between messages.
 */
async function sequential(
  send: Send,
  pool: SmsMessage[],
  count: number,
  out: Float64Array,
  at: number,
): Promise<number> {
  let backgroundUs = 0;
  for (let i = 0; i < count; i++) {
    const m = pool[i % POOL_SIZE] as SmsMessage;
    const t = performance.now();
    const r = await send(m);
    out[at + i] = (performance.now() - t) * 1000;
    if (typeof r.providerMessageId !== 'string') throw new Error('a send returned no providerMessageId');
    if (i % YIELD_EVERY === YIELD_EVERY - 1) {
      const y = performance.now();
      await turn();
      backgroundUs += (performance.now() - y) * 1000;
    }
  }
  return backgroundUs;
}

/** Sends `count` messages with `inFlight` in flight (closed loop); returns the wall time in µs. */
async function concurrent(send: Send, pool: SmsMessage[], count: number, inFlight: number): Promise<number> {
  let next = 0;
  const worker = async () => {
    while (next < count) {
      const i = next++;
      const r = await send(pool[i % POOL_SIZE] as SmsMessage);
      if (typeof r.providerMessageId !== 'string') throw new Error('a send returned no providerMessageId');
      if (i % YIELD_EVERY === YIELD_EVERY - 1) await turn();
    }
  };
  const t = performance.now();
  await Promise.all(Array.from({ length: Math.min(inFlight, count) }, worker));
  return (performance.now() - t) * 1000;
}

/** Splits `total` into `rounds` near-equal parts. */
const parts = (total: number, rounds: number) =>
  Array.from({ length: rounds }, (_, r) => Math.floor((total * (r + 1)) / rounds) - Math.floor((total * r) / rounds));

interface StatsUs {
  count: number;
  meanUs: number;
  p50Us: number;
  p90Us: number;
  p99Us: number;
  maxUs: number;
}

function stats(samples: Float64Array): StatsUs {
  const s = Float64Array.from(samples).sort();
  const n = s.length;
  const at = (p: number) => (n === 0 ? 0 : (s[Math.min(n - 1, Math.max(0, Math.ceil((p / 100) * n) - 1))] ?? 0));
  const r = (x: number) => Math.round(x * 1000) / 1000;
  return {
    count: n,
    meanUs: r(n === 0 ? 0 : s.reduce((a, b) => a + b, 0) / n),
    p50Us: r(at(50)),
    p90Us: r(at(90)),
    p99Us: r(at(99)),
    maxUs: r(n === 0 ? 0 : (s[n - 1] ?? 0)),
  };
}

interface SequentialResult {
  messagesPerVariant: number;
  direct: StatsUs & { allInMeanUs: number };
  dispatcher: StatsUs & { allInMeanUs: number };
  /** Dispatcher minus direct, statistic by statistic (not the percentile of the differences). */
  added: { meanUs: number; p50Us: number; p90Us: number; p99Us: number; allInMeanUs: number };
}

/**
 * Both variants, sequentially: a warm-up of each, then `rounds` blocks of each that alternate which
 * goes first, so that drift in the machine's load falls on both alike. `allInMeanUs` adds to the timed
 * sends the variant's background time (the event loop's turns and the collection after each block) per
 * message: the garbage and timers a send leaves are part of its cost.
 */
async function compareSequential(
  variants: [Variant, Variant],
  pool: SmsMessage[],
  messages: number,
  warmup: number,
  rounds: number,
  between: () => void = () => {},
): Promise<SequentialResult> {
  const scratch = new Float64Array(Math.max(warmup, 1));
  for (const v of variants) await sequential(v.send, pool, warmup, scratch, 0);
  between();
  await settle();
  const samples = { direct: new Float64Array(messages), dispatcher: new Float64Array(messages) };
  const filled = { direct: 0, dispatcher: 0 };
  const backgroundUs = { direct: 0, dispatcher: 0 };
  for (const [r, count] of parts(messages, rounds).entries()) {
    const order = r % 2 === 0 ? variants : ([variants[1], variants[0]] as const);
    for (const v of order) {
      backgroundUs[v.name] += await sequential(v.send, pool, count, samples[v.name], filled[v.name]);
      filled[v.name] += count;
      between();
      backgroundUs[v.name] += await settle();
    }
  }
  const r3 = (x: number) => Math.round(x * 1000) / 1000;
  const withBackground = (name: Variant['name']) => {
    const st = stats(samples[name]);
    return { ...st, allInMeanUs: r3(st.meanUs + backgroundUs[name] / messages) };
  };
  const direct = withBackground('direct');
  const dispatcher = withBackground('dispatcher');
  const d = (k: 'meanUs' | 'p50Us' | 'p90Us' | 'p99Us' | 'allInMeanUs') => r3(dispatcher[k] - direct[k]);
  return {
    messagesPerVariant: messages,
    direct,
    dispatcher,
    added: {
      meanUs: d('meanUs'),
      p50Us: d('p50Us'),
      p90Us: d('p90Us'),
      p99Us: d('p99Us'),
      allInMeanUs: d('allInMeanUs'),
    },
  };
}

interface Throughput {
  messagesPerS: number;
  /** Wall time per message, the collection after each block included: with one thread, what each costs. */
  usPerMessage: number;
}

interface ConcurrentResult {
  inFlight: number;
  messagesPerVariant: number;
  direct: Throughput;
  dispatcher: Throughput;
  addedUsPerMessage: number;
}

async function compareConcurrent(
  variants: [Variant, Variant],
  pool: SmsMessage[],
  messages: number,
  warmup: number,
  rounds: number,
  inFlight: number,
): Promise<ConcurrentResult> {
  for (const v of variants) await concurrent(v.send, pool, warmup, inFlight);
  await settle();
  // Wall time of each block, plus the collection after it: see compareSequential.
  const wallUs = { direct: 0, dispatcher: 0 };
  for (const [r, count] of parts(messages, rounds).entries()) {
    const order = r % 2 === 0 ? variants : ([variants[1], variants[0]] as const);
    for (const v of order) {
      wallUs[v.name] += await concurrent(v.send, pool, count, inFlight);
      wallUs[v.name] += await settle();
    }
  }
  const of = (us: number): Throughput => ({
    messagesPerS: Math.round(messages / (us / 1e6)),
    usPerMessage: Math.round((us / messages) * 1000) / 1000,
  });
  const direct = of(wallUs.direct);
  const dispatcher = of(wallUs.dispatcher);
  return {
    inFlight,
    messagesPerVariant: messages,
    direct,
    dispatcher,
    addedUsPerMessage: Math.round((dispatcher.usPerMessage - direct.usPerMessage) * 1000) / 1000,
  };
}

// ---------------------------------------------------------------------------------------------------
// The dispatcher and the providers

function newDispatcher(providers: ProviderConfig[], context: ProviderContext): SmsDispatcher {
  return new SmsDispatcher(
    { list: async () => providers } as unknown as SmsConfigService,
    context,
    systemClock,
    cryptoRandom,
    pino({ level: 'silent' }),
    DISPATCH_OPTIONS,
  );
}

const INSTANT = 'bench-instant';

/** A provider type that answers at once, registered only for this run. */
const instantProvider: ProviderDefinition = {
  type: INSTANT,
  parse: (raw) => raw as { type: string },
  mask: (c) => c,
  create: () => ({ type: INSTANT, send: async () => ({ providerMessageId: 'bench-instant-1' }) }),
};

/** A signal that never aborts, for the direct sends: the dispatcher's timeout signal is its own cost. */
const NEVER = new AbortController().signal;

/** Sends one message through the dispatcher and checks that it went out through `type` at the first try. */
async function checkDispatcher(d: SmsDispatcher, m: SmsMessage, type: string): Promise<void> {
  const delivery = await d.send(m);
  const a = delivery.attempts;
  if (delivery.provider !== type || a.length !== 1 || a[0]?.outcome !== 'accepted') {
    throw new Error(`the dispatcher did not deliver through ${type} at once: ${JSON.stringify(delivery)}`);
  }
}

// ---------------------------------------------------------------------------------------------------
// Output

const fmt = (x: number, width = 10) => x.toFixed(2).padStart(width);

function printSequential(title: string, r: SequentialResult): void {
  console.log(`\n== ${title}: ${r.messagesPerVariant} messages per variant, one at a time`);
  const heads = ['mean µs', 'p50 µs', 'p90 µs', 'p99 µs', 'all-in µs', 'max µs'];
  console.log(`   ${''.padEnd(34)}${heads.map((h) => h.padStart(10)).join('')}`);
  type Row = { meanUs: number; p50Us: number; p90Us: number; p99Us: number; allInMeanUs: number; maxUs?: number };
  const row = (label: string, s: Row) =>
    console.log(
      `   ${label.padEnd(34)}${fmt(s.meanUs)}${fmt(s.p50Us)}${fmt(s.p90Us)}${fmt(s.p99Us)}${fmt(s.allInMeanUs)}${s.maxUs === undefined ? '' : fmt(s.maxUs)}`,
    );
  row('provider send() directly', r.direct);
  row('SmsDispatcher.send()', r.dispatcher);
  row('added by the dispatcher', r.added);
  console.log('   (all-in: the mean plus the background time per message: event-loop turns, GC after each block)');
}

function printConcurrent(title: string, r: ConcurrentResult): void {
  console.log(`\n== ${title}: ${r.messagesPerVariant} messages per variant, ${r.inFlight} in flight`);
  console.log(`   ${''.padEnd(34)}${'msgs/s'.padStart(12)}${'µs/msg'.padStart(10)}`);
  const row = (label: string, t: Throughput) =>
    console.log(`   ${label.padEnd(34)}${String(t.messagesPerS).padStart(12)}${fmt(t.usPerMessage)}`);
  row('provider send() directly', r.direct);
  row('SmsDispatcher.send()', r.dispatcher);
  console.log(`   ${'added by the dispatcher'.padEnd(34)}${''.padStart(12)}${fmt(r.addedUsPerMessage)}`);
}

// ---------------------------------------------------------------------------------------------------

function gitState(): { commit: string; srcDirty: boolean } {
  const git = (...args: string[]) => spawnSync('git', args, { cwd: ROOT, encoding: 'utf8' }).stdout?.trim() ?? '';
  return {
    commit: git('rev-parse', '--short', 'HEAD') || 'unknown',
    srcDirty: git('status', '--porcelain', 'src') !== '',
  };
}

/** Percent of all cores busy over `ms`: other work on the machine skews the figures. */
async function machineBusyOver(ms: number): Promise<number> {
  const ticks = () => {
    const n = (readFileSync('/proc/stat', 'utf8').split('\n')[0] ?? '').trim().split(/\s+/).slice(1).map(Number);
    const total = n.reduce((a, b) => a + b, 0);
    return { busy: total - (n[3] ?? 0) - (n[4] ?? 0), total };
  };
  const a = ticks();
  await new Promise((ok) => setTimeout(ok, ms));
  const b = ticks();
  return Math.round(((b.busy - a.busy) / Math.max(1, b.total - a.total)) * 1000) / 10;
}

async function main(): Promise<void> {
  const opts = parseOptions();
  const busyBefore = await machineBusyOver(1000);
  if (busyBefore > 15) {
    console.warn(`warning: the machine was ${busyBefore}% busy before the run; other work will skew the figures`);
  }
  const context = adapterContext();
  const pool = messagePool();
  console.log(
    `dispatcher overhead: timeout ${DISPATCH_OPTIONS.timeoutMs} ms, ${DISPATCH_OPTIONS.attemptsPerProvider} attempts per provider, budget ${DISPATCH_OPTIONS.sendBudgetMs} ms, breaker ${DISPATCH_OPTIONS.breakerFailures} failures / ${DISPATCH_OPTIONS.breakerCooldownMs} ms`,
  );

  // 1. The instant provider.
  if (providerDefinitions[INSTANT]) throw new Error(`a provider type ${INSTANT} already exists`);
  providerDefinitions[INSTANT] = instantProvider;
  let instant: { sequential: SequentialResult; concurrent: ConcurrentResult };
  try {
    const config: ProviderConfig = { type: INSTANT };
    const provider = instantProvider.create(config, context);
    const dispatcher = newDispatcher([config], context);
    await checkDispatcher(dispatcher, pool[0] as SmsMessage, INSTANT);
    const variants: [Variant, Variant] = [
      { name: 'direct', send: (m) => provider.send(m, { signal: NEVER }) },
      { name: 'dispatcher', send: (m) => dispatcher.send(m) },
    ];
    const seq = await compareSequential(variants, pool, opts.messages, opts.warmupMessages, opts.rounds);
    printSequential('instant provider, sequential', seq);
    const conc = await compareConcurrent(
      variants,
      pool,
      opts.messages,
      opts.warmupMessages,
      opts.rounds,
      opts.inFlight,
    );
    printConcurrent('instant provider, concurrent', conc);
    instant = { sequential: seq, concurrent: conc };
  } finally {
    delete providerDefinitions[INSTANT];
  }

  // 2. The Twilio fake over HTTP, on loopback, served by this process.
  let twilioHttp: SequentialResult | null = null;
  if (opts.httpMessages > 0) {
    const fake = await startTwilioFake();
    try {
      const config = fake.config() as ProviderConfig;
      const definition = providerDefinitions.twilio as ProviderDefinition;
      const provider = definition.create(config, context);
      const dispatcher = newDispatcher([config], context);
      await checkDispatcher(dispatcher, pool[0] as SmsMessage, 'twilio');
      const variants: [Variant, Variant] = [
        { name: 'direct', send: (m) => provider.send(m, { signal: NEVER }) },
        { name: 'dispatcher', send: (m) => dispatcher.send(m) },
      ];
      // The fake keeps every request and message: drop them between blocks.
      const forget = () => {
        fake.requests.length = 0;
        fake.messages.length = 0;
      };
      twilioHttp = await compareSequential(
        variants,
        pool,
        opts.httpMessages,
        Math.min(opts.warmupMessages, Math.ceil(opts.httpMessages / 10)),
        opts.rounds,
        forget,
      );
      printSequential('Twilio fake over HTTP (same process), sequential', twilioHttp);
    } finally {
      await fake.close();
    }
  }

  if (opts.write) {
    const result = {
      kind: 'dispatcher',
      date: new Date().toISOString(),
      machine: { cpus: cpus().length, cpuModel: cpus()[0]?.model ?? 'unknown', node: process.version },
      git: gitState(),
      machineBusyBeforePercent: busyBefore,
      dispatchOptions: DISPATCH_OPTIONS,
      warmupMessages: opts.warmupMessages,
      rounds: opts.rounds,
      instant,
      twilioHttp,
    };
    const dir = join(ROOT, 'bench/results');
    mkdirSync(dir, { recursive: true });
    const stamp = new Date().toISOString().replace(/[:]/g, '-').replace(/\..*$/, '');
    const file = join(dir, `${stamp}-dispatcher.json`);
    writeFileSync(file, `${JSON.stringify(result, null, 2)}\n`);
    console.log(`\n   wrote ${file.slice(ROOT.length + 1)}`);
  }
}

main().catch((err: unknown) => {
  console.error(`bench/dispatcher: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
  process.exit(1);
});
