import type { Redis } from 'ioredis';
import { RateLimiterRedis } from 'rate-limiter-flexible';
import type { Clock } from '../../lib/clock.js';
import type { LimitsStore } from './store.js';

export interface Count {
  /** Points in the current window, this call's included. */
  count: number;
  /** Milliseconds until the window ends and the count starts again from zero. */
  resetInMs: number;
}

/**
 * Fixed-window counters behind every limit. `add` is atomic and counts before anything is decided, so
 * concurrent callers each get a distinct count and a budget passes exactly as many as it allows, on every
 * node. Two backends: the database (default; shared by every node on PostgreSQL) and Redis through
 * rate-limiter-flexible (REDIS_URL). Never process memory, which each node would count apart.
 */
export interface Counters {
  add(key: string, points: number, windowMs: number): Promise<Count>;
  peek(key: string): Promise<Count | undefined>;
  reset(key: string): Promise<void>;
  /** Throws when the backend cannot be reached (the readiness check). */
  ping(): Promise<void>;
}

interface PendingAdd {
  points: number;
  windowMs: number;
  /** Each caller's own share, in call order, so that each gets the count its own points reached. */
  callers: { points: number; resolve(count: Count): void; reject(err: unknown): void }[];
}

interface PendingPeek {
  resolve(count: Count | undefined): void;
  reject(err: unknown): void;
}

/**
 * Database counters. The calls made in one turn of the event loop (one send's limits, the adaptive
 * defence's, and those of concurrent requests) are gathered into one upsert and one select: each further
 * statement costs more JavaScript (Kysely builds every query) than the database spends on it. Gathering
 * keeps every count exact: the upsert is atomic, and callers of one key share out the points it added in
 * call order (the first gets the count after its own points, the next after its own and the first's...).
 */
export class DatabaseCounters implements Counters {
  private adds = new Map<string, PendingAdd>();
  private peeks = new Map<string, PendingPeek[]>();
  private resets: { key: string; resolve(): void; reject(err: unknown): void }[] = [];
  private scheduled = false;

  constructor(
    private readonly store: LimitsStore,
    private readonly clock: Clock,
  ) {}

  add(key: string, points: number, windowMs: number): Promise<Count> {
    return new Promise((resolve, reject) => {
      const pending = this.adds.get(key);
      if (pending) {
        pending.points += points;
        pending.callers.push({ points, resolve, reject });
      } else {
        this.adds.set(key, { points, windowMs, callers: [{ points, resolve, reject }] });
      }
      this.schedule();
    });
  }

  peek(key: string): Promise<Count | undefined> {
    return new Promise((resolve, reject) => {
      const waiting = this.peeks.get(key);
      if (waiting) waiting.push({ resolve, reject });
      else this.peeks.set(key, [{ resolve, reject }]);
      this.schedule();
    });
  }

  reset(key: string): Promise<void> {
    return new Promise((resolve, reject) => {
      this.resets.push({ key, resolve, reject });
      this.schedule();
    });
  }

  /** The database is pinged by the readiness check already. */
  async ping(): Promise<void> {}

  private schedule(): void {
    if (this.scheduled) return;
    this.scheduled = true;
    // After the current microtasks: a Promise.all of counter calls, and whatever else this turn starts.
    setImmediate(() => this.flush());
  }

  private flush(): void {
    this.scheduled = false;
    const adds = this.adds;
    const peeks = this.peeks;
    const resets = this.resets;
    this.adds = new Map();
    this.peeks = new Map();
    this.resets = [];
    const now = this.clock.now();
    // A reset rides in the upsert as an expired row (addPointsMany), unless the same turn also adds to
    // its key: then it is a delete of its own, as a reset always was.
    const apart = resets.filter((r) => adds.has(r.key));
    const riding = resets.filter((r) => !adds.has(r.key));
    if (apart.length > 0) {
      this.store.deleteCounters([...new Set(apart.map((r) => r.key))]).then(
        () => {
          for (const r of apart) r.resolve();
        },
        (err) => {
          for (const r of apart) r.reject(err);
        },
      );
    }
    if (adds.size > 0 || riding.length > 0) {
      const rows = [...adds].map(([key, a]) => ({ key, points: a.points, windowMs: a.windowMs }));
      for (const key of new Set(riding.map((r) => r.key))) rows.push({ key, points: 0, windowMs: 0 });
      this.store.addPointsMany(rows, now).then(
        (states) => {
          for (const r of riding) r.resolve();
          for (const [key, pending] of adds) {
            const state = states.get(key);
            if (!state) {
              for (const c of pending.callers) c.reject(new Error(`counter ${key} was not returned`));
              continue;
            }
            // The points before this statement, then each caller's share in turn.
            let count = state.points - pending.points;
            for (const c of pending.callers) {
              count += c.points;
              c.resolve({ count, resetInMs: state.expiresAt - now });
            }
          }
        },
        (err) => {
          for (const r of riding) r.reject(err);
          for (const pending of adds.values()) for (const c of pending.callers) c.reject(err);
        },
      );
    }
    if (peeks.size > 0) {
      this.store.countersMany([...peeks.keys()], now).then(
        (states) => {
          for (const [key, waiting] of peeks) {
            const state = states.get(key);
            const count = state ? { count: state.points, resetInMs: state.expiresAt - now } : undefined;
            for (const w of waiting) w.resolve(count);
          }
        },
        (err) => {
          for (const waiting of peeks.values()) for (const w of waiting) w.reject(err);
        },
      );
    }
  }
}

/**
 * Redis counters: rate-limiter-flexible's RateLimiterRedis increments and sets the expiry in one atomic
 * step. A limiter is built per window length, with a budget no caller reaches, because Sigil compares the
 * count with each tenant's own limit itself (the same limit can differ per tenant, the window cannot be
 * chosen per key).
 */
export class RedisCounters implements Counters {
  private readonly limiters = new Map<number, RateLimiterRedis>();

  constructor(
    private readonly redis: Redis,
    private readonly keyPrefix = 'sigil',
  ) {}

  async ping(): Promise<void> {
    await this.redis.ping();
  }

  private limiter(windowMs: number): RateLimiterRedis {
    const duration = Math.max(1, Math.round(windowMs / 1000));
    let limiter = this.limiters.get(duration);
    if (!limiter) {
      limiter = new RateLimiterRedis({
        storeClient: this.redis,
        keyPrefix: `${this.keyPrefix}:w${duration}`,
        points: Number.MAX_SAFE_INTEGER,
        duration,
      });
      this.limiters.set(duration, limiter);
    }
    return limiter;
  }

  async add(key: string, points: number, windowMs: number): Promise<Count> {
    const res = await this.limiter(windowMs).consume(key, points);
    return { count: res.consumedPoints, resetInMs: res.msBeforeNext };
  }

  /** Peeks and resets find the limiter by the window that ends every key (see counterKey). */
  async peek(key: string): Promise<Count | undefined> {
    const windowMs = windowOfKey(key);
    const res = await this.limiter(windowMs).get(key);
    return res ? { count: res.consumedPoints, resetInMs: res.msBeforeNext } : undefined;
  }

  async reset(key: string): Promise<void> {
    const windowMs = windowOfKey(key);
    await this.limiter(windowMs).delete(key);
  }
}

/**
 * Every counter key ends in `:<window ms>`, so that a key names its window: Redis keeps one limiter per
 * window length, and peek and reset must find the one that counted.
 */
export function counterKey(parts: (string | number)[], windowMs: number): string {
  return `${parts.map((p) => String(p).replaceAll(':', '_')).join(':')}:${windowMs}`;
}

function windowOfKey(key: string): number {
  const windowMs = Number(key.slice(key.lastIndexOf(':') + 1));
  if (!Number.isFinite(windowMs) || windowMs <= 0) throw new Error(`counter key without a window: ${key}`);
  return windowMs;
}
