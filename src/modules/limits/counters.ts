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

export class DatabaseCounters implements Counters {
  constructor(
    private readonly store: LimitsStore,
    private readonly clock: Clock,
  ) {}

  async add(key: string, points: number, windowMs: number): Promise<Count> {
    const now = this.clock.now();
    const state = await this.store.addPoints(key, points, windowMs, now);
    return { count: state.points, resetInMs: state.expiresAt - now };
  }

  async peek(key: string): Promise<Count | undefined> {
    const now = this.clock.now();
    const state = await this.store.counter(key, now);
    return state ? { count: state.points, resetInMs: state.expiresAt - now } : undefined;
  }

  async reset(key: string): Promise<void> {
    await this.store.deleteCounter(key);
  }

  /** The database is pinged by the readiness check already. */
  async ping(): Promise<void> {}
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
