/** The closed loop: workers that run a flow over and over, recording each call's latency. */
import { callIds, type FlowDef, FlowError, type RunContext } from './flows.js';

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

export async function runLoad(
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
