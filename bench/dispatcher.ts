import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { Type } from '@sinclair/typebox';
import pino from 'pino';
import { systemClock } from '../src/lib/clock.js';
import { cryptoRandom } from '../src/lib/random.js';
import type { ProviderConfig, SmsConfigService } from '../src/modules/sms/config-service.js';
import { type DispatchOptions, SmsDispatcher } from '../src/modules/sms/dispatcher.js';
import { providerDefinitions } from '../src/modules/sms/providers/index.js';
import type { ProviderContext, ProviderDefinition, SmsMessage } from '../src/modules/sms/providers/provider.js';
import { startTwilioFake } from '../test/fakes/twilio.js';
import { adapterContext } from '../test/sms-providers/context.js';
import {
  type ConcurrentResult,
  compareConcurrent,
  compareSequential,
  messagePool,
  type SequentialResult,
  type Throughput,
  type Variant,
} from './lib/dispatch-measure.js';
import { gitState, machineBusyOver } from './lib/machine.js';
import { ROOT } from './lib/paths.js';

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
  title: 'Instant',
  schema: () => Type.Object({ type: Type.Literal(INSTANT) }),
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
