/** The logger calls the schedule makes (pino's Logger has them). */
export interface PurgeLogger {
  info(obj: object, msg: string): void;
  error(obj: object, msg: string): void;
}

export interface PurgeSchedule {
  /** Stops the timer, aborts a sweep in progress between two batches, and waits for it to end. */
  stop(): Promise<void>;
}

/**
 * Runs `sweep` every `intervalMs` (0: never) on an unref'd timer, so that it never keeps the process alive.
 * A sweep still running when the next is due is not overlapped: that tick is skipped. A failed sweep is logged
 * and never rejects: the next tick tries again.
 */
export function schedulePurge(
  sweep: (signal: AbortSignal) => Promise<{ [count: string]: number } | { sessions: number; refreshTokens: number }>,
  logger: PurgeLogger,
  intervalMs: number,
  what: { purged: string; failed: string } = {
    purged: 'purged dead sessions',
    failed: 'session purge failed; the next sweep will try again',
  },
): PurgeSchedule {
  if (intervalMs <= 0) return { stop: async () => {} };
  const controller = new AbortController();
  let running: Promise<void> | undefined;
  const run = async () => {
    try {
      const purged = await sweep(controller.signal);
      if (Object.values(purged).some((n) => n > 0)) logger.info(purged, what.purged);
    } catch (err) {
      logger.error({ err }, what.failed);
    }
  };
  const timer = setInterval(() => {
    if (running || controller.signal.aborted) return;
    // run() catches the sweep's errors; the catch here is for a logger that throws.
    running = run()
      .catch(() => {})
      .finally(() => {
        running = undefined;
      });
  }, intervalMs);
  timer.unref();
  return {
    async stop() {
      clearInterval(timer);
      controller.abort();
      await running;
    },
  };
}
