/** Latency statistics, the result file's shape, and the console summary. */
import type { FlowDef } from './flows.js';
import type { DbName, FlowName, ProviderName } from './options.js';

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

export function stats(samplesUs: number[]): Stats {
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

export interface Result {
  flow: FlowName;
  db: DbName;
  /** The tenant's SMS provider: `dev` (the dev inbox) or `twilio` (the Twilio fake in the load generator). */
  provider: ProviderName;
  date: string;
  /** The abuse defences (`default` or `off`) and where their counters lived. */
  defences?: 'default' | 'off';
  counters?: 'database' | 'redis';
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

export const ZERO_STATS: Stats = { count: 0, meanMs: 0, p50Ms: 0, p95Ms: 0, p99Ms: 0, maxMs: 0 };

export function printResult(r: Result, flow: FlowDef<unknown>): void {
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
