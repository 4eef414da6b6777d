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
 *                    [--pg-url postgres://postgres@127.0.0.1:5432/test] [--defences default|off]
 *                    [--redis redis://127.0.0.1:6379]   (limit counters in Redis instead of the database)
 *                    [--metrics on|off] [--scrape-every 15]   (SIGIL_METRICS; GET /metrics every N s, 0: never)
 *                    [--messages 200000] [--in-flight 64]   (dispatcher only)
 *
 * --provider twilio: the tenant's SMS provider is the Twilio fake (test/fakes/twilio.ts), started in this
 * process and configured with PUT /v1/management/sms-providers; codes are read from the fake's messages.
 */
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client, type Inbox, postgresInbox, sqliteInbox, twilioFakeInbox } from './lib/client.js';
import { callIds, FLOWS, type FlowDef, type RunContext } from './lib/flows.js';
import { runLoad } from './lib/load.js';
import {
  gitState,
  machineBusyOver,
  machineTicks,
  type ProcSample,
  postgresTicks,
  procSample,
  TICKS_PER_S,
} from './lib/machine.js';
import { type DbName, type Options, parseOptions } from './lib/options.js';
import { ROOT } from './lib/paths.js';
import { printResult, type Result, stats, ZERO_STATS } from './lib/report.js';
import {
  build,
  configureProvider,
  dropSchema,
  freePort,
  metricsEnv,
  type ScrapeStats,
  type Server,
  serverEnv,
  startScraper,
  startServer,
  turnDefencesOff,
} from './lib/server.js';

/** A result with what `--metrics` and `--scrape-every` did (report.ts's Result does not know them). */
type Recorded = Result & { metrics: Options['metrics']; scrapeEveryS: number; scrapes: ScrapeStats | null };

async function benchOne(db: DbName, flow: FlowDef<unknown>, opts: Options): Promise<Recorded> {
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
  // Each run's counters under a prefix of their own, so that runs never see each other's counts.
  if (opts.redisUrl) Object.assign(dbEnv, { REDIS_URL: opts.redisUrl, SIGIL_REDIS_KEY_PREFIX: schema });
  Object.assign(dbEnv, metricsEnv(opts));
  const port = await freePort();
  const env = serverEnv(dbEnv, port, tmp);
  let server: Server | undefined;
  let inbox: Inbox | undefined;
  let client: Client | undefined;
  let sampler: NodeJS.Timeout | undefined;
  let scraper: ReturnType<typeof startScraper> | undefined;
  try {
    server = await startServer(env, port, opts);
    client = new Client(port, server.apiSecretKey, opts.concurrency);
    if (opts.defences === 'off') await turnDefencesOff(client, server);
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
      // Scrapes fall in the measured window, so that their cost is in the figures.
      if (opts.metrics === 'on' && opts.scrapeEveryS > 0)
        scraper = startScraper(server?.port ?? port, opts.scrapeEveryS);
    });
    const scrapes = scraper ? await scraper.stop() : null;
    scraper = undefined;
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
    const result: Recorded = {
      flow: flow.name,
      db,
      provider: opts.provider,
      date: new Date().toISOString(),
      defences: opts.defences,
      metrics: opts.metrics,
      scrapeEveryS: opts.scrapeEveryS,
      scrapes,
      counters: opts.redisUrl ? 'redis' : 'database',
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
    await scraper?.stop();
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
        `\nbench ${db}, ${flow.title}${opts.provider === 'twilio' ? ', SMS through the Twilio fake' : ''}: starting the server${opts.profile ? ` with --cpu-prof into ${opts.profileDir}` : ''}, metrics ${opts.metrics}, ${opts.concurrency} clients, ${opts.warmupS} s warm-up + ${opts.durationS} s`,
      );
      const result = await benchOne(db, flow, opts);
      printResult(result, flow);
      const s = result.scrapes;
      console.log(
        `   metrics ${result.metrics}${s ? `, ${s.scrapes} scrapes of /metrics (${s.failures} failed, mean ${s.meanMs} ms, ${s.meanBytes} bytes)` : ''}`,
      );
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
