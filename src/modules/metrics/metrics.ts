import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client';

/** Distinct values a tenant-defined label may take before further ones fold into `other`. */
const MAX_DISTINCT = 100;

/** Breaker states as numbers: the worst one this process holds for a provider type. */
export const BREAKER_STATE = { closed: 0, half_open: 1, open: 2 } as const;

/**
 * What a submitted code came to. `already_verified`: the challenge was used (or is unknown), so nothing was
 * compared; `undelivered`: its code never reached the phone.
 */
export type VerificationResult =
  | 'verified'
  | 'wrong_code'
  | 'max_attempts'
  | 'expired'
  | 'undelivered'
  | 'already_verified';

export interface BreakerStates {
  /** Each breaker of this process: its provider type and its state. */
  breakerStates(): { provider: string; state: keyof typeof BREAKER_STATE }[];
}

/**
 * Sigil's Prometheus metrics, on a registry of this app's own (tests build many apps in one process).
 * Labels never carry a phone number, code or user ID; tenant and action are capped in cardinality.
 */
export class Metrics {
  readonly registry = new Registry();
  private readonly http: Histogram<'route' | 'method' | 'status'>;
  private readonly attempts: Counter<'tenant' | 'provider' | 'outcome'>;
  private readonly sendDuration: Histogram<'provider'>;
  private readonly receipts: Counter<'status'>;
  private readonly verifications: Counter<'result'>;
  private readonly tracks: Counter<'action' | 'outcome'>;
  private readonly refusals: Counter<'limit'>;
  private readonly tenants = new Set<string>();
  private readonly actions = new Set<string>();

  constructor(private readonly enabled: boolean) {
    const registers = [this.registry];
    this.http = new Histogram({
      name: 'sigil_http_request_duration_seconds',
      help: 'HTTP requests by route pattern, method and status',
      labelNames: ['route', 'method', 'status'],
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
      registers,
    });
    this.attempts = new Counter({
      name: 'sigil_sms_send_attempts_total',
      help: 'SMS send attempts by tenant, provider and outcome (accepted, retryable, route, number, skipped)',
      labelNames: ['tenant', 'provider', 'outcome'],
      registers,
    });
    this.sendDuration = new Histogram({
      name: 'sigil_sms_send_duration_seconds',
      help: 'Time of one request to an SMS provider',
      labelNames: ['provider'],
      buckets: [0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10],
      registers,
    });
    this.receipts = new Counter({
      name: 'sigil_sms_delivery_receipts_total',
      help: 'Delivery receipts stored, by status',
      labelNames: ['status'],
      registers,
    });
    this.verifications = new Counter({
      name: 'sigil_otp_verifications_total',
      help: 'Codes submitted, by result (verified, wrong_code, max_attempts, expired)',
      labelNames: ['result'],
      registers,
    });
    this.tracks = new Counter({
      name: 'sigil_track_outcomes_total',
      help: 'Tracked actions by action code and outcome',
      labelNames: ['action', 'outcome'],
      registers,
    });
    this.refusals = new Counter({
      name: 'sigil_sms_limit_refusals_total',
      help: 'Sends and submissions refused, by the defence that refused',
      labelNames: ['limit'],
      registers,
    });
    if (enabled) collectDefaultMetrics({ register: this.registry, prefix: 'sigil_' });
  }

  /** The breaker gauge reads the dispatcher when scraped, not on every send. */
  watchBreakers(source: BreakerStates): void {
    new Gauge({
      name: 'sigil_sms_circuit_breaker_state',
      help: 'Worst circuit-breaker state per provider in this process: 0 closed, 1 half open, 2 open',
      labelNames: ['provider'],
      registers: [this.registry],
      collect() {
        this.reset();
        const worst = new Map<string, number>();
        for (const b of source.breakerStates()) {
          worst.set(b.provider, Math.max(worst.get(b.provider) ?? 0, BREAKER_STATE[b.state]));
        }
        for (const [provider, value] of worst) this.set({ provider }, value);
      },
    });
  }

  httpRequest(route: string, method: string, status: number, seconds: number): void {
    if (this.enabled) this.http.observe({ route, method, status: String(status) }, seconds);
  }

  smsSendAttempt(tenantId: string, provider: string, outcome: string, seconds: number): void {
    if (!this.enabled) return;
    this.attempts.inc({ tenant: capped(this.tenants, tenantId), provider, outcome });
    if (outcome !== 'skipped') this.sendDuration.observe({ provider }, seconds);
  }

  deliveryReceipt(status: string): void {
    if (this.enabled) this.receipts.inc({ status });
  }

  otpVerification(result: VerificationResult): void {
    if (this.enabled) this.verifications.inc({ result });
  }

  trackOutcome(action: string, outcome: string): void {
    if (this.enabled) this.tracks.inc({ action: capped(this.actions, action), outcome });
  }

  limitRefusal(limit: string): void {
    if (this.enabled) this.refusals.inc({ limit });
  }
}

/** A tenant-defined value, or `other` once MAX_DISTINCT others have been seen. */
function capped(seen: Set<string>, value: string): string {
  if (seen.has(value)) return value;
  if (seen.size >= MAX_DISTINCT) return 'other';
  seen.add(value);
  return value;
}
