/** The command line of bench/run.ts: what to run, against which database, for how long. */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

export type DbName = 'sqlite' | 'postgres';
export type FlowName = 'signin' | 'adaptive';
/** Where the server sends its SMS, and so where the bench reads the codes. */
export type ProviderName = 'dev' | 'twilio';

export interface Options {
  dbs: DbName[];
  /** The flows run against a server; empty when only the dispatcher is asked for. */
  flows: FlowName[];
  /** Run bench/dispatcher.ts (after the server flows). */
  dispatcher: boolean;
  /** Passed to bench/dispatcher.ts when given. */
  dispatcherArgs: string[];
  provider: ProviderName;
  /** `default`: the abuse defences as a new tenant has them; `off`: every defence's mode off. */
  defences: 'default' | 'off';
  /** `on`: GET /metrics and its recording as deployed; `off`: the server starts with SIGIL_METRICS=off. */
  metrics: 'on' | 'off';
  /** While metrics are on, GET /metrics every this many seconds of the measured run, as Prometheus would; 0: never. */
  scrapeEveryS: number;
  /** Counters in this Redis (REDIS_URL) instead of the database. */
  redisUrl: string | undefined;
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

export function parseOptions(): Options {
  const { values } = parseArgs({
    options: {
      flow: { type: 'string', default: 'both' },
      db: { type: 'string', default: 'both' },
      provider: { type: 'string', default: 'dev' },
      defences: { type: 'string', default: 'default' },
      metrics: { type: 'string', default: 'on' },
      'scrape-every': { type: 'string', default: '15' },
      redis: { type: 'string' },
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
    // The usage is the header of bench/run.ts, not of this file.
    console.log(readFileSync(fileURLToPath(new URL('../run.ts', import.meta.url)), 'utf8').split('*/')[0]);
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
    defences: defencesOption(values.defences),
    metrics: metricsOption(values.metrics),
    scrapeEveryS: num('scrape-every', values['scrape-every'], 0),
    redisUrl: values.redis,
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

function defencesOption(value: string | undefined): 'default' | 'off' {
  if (value === 'default' || value === 'off') return value;
  throw new Error('--defences must be default or off');
}

function metricsOption(value: string | undefined): 'on' | 'off' {
  if (value === 'on' || value === 'off') return value;
  throw new Error('--metrics must be on or off');
}
