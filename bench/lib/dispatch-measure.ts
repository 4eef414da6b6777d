/** The dispatcher measurement (bench/dispatcher.ts): sequential and concurrent sends, and their statistics. */
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import type { SendResult, SmsMessage } from '../../src/modules/sms/providers/provider.js';
import { message } from '../../test/sms-providers/context.js';

type Send = (m: SmsMessage) => Promise<SendResult>;

export interface Variant {
  name: 'direct' | 'dispatcher';
  send: Send;
}

/** Messages reused round robin: building one per send would be measured too. */
const POOL_SIZE = 1024;

/** Valid NZ mobile numbers, +642150xxxxx: clear of the fakes' magic numbers (+64211000001…). */
export function messagePool(): SmsMessage[] {
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

export interface SequentialResult {
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
export async function compareSequential(
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

export interface Throughput {
  messagesPerS: number;
  /** Wall time per message, the collection after each block included: with one thread, what each costs. */
  usPerMessage: number;
}

export interface ConcurrentResult {
  inFlight: number;
  messagesPerVariant: number;
  direct: Throughput;
  dispatcher: Throughput;
  addedUsPerMessage: number;
}

export async function compareConcurrent(
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
