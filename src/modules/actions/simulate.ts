import { performance } from 'node:perf_hooks';
import { invalidRequest } from '../../errors.js';
import type { Clock } from '../../lib/clock.js';
import { countryOfIp } from '../../lib/ip-country.js';
import { phoneAttribute, phoneCountry } from '../../lib/phone.js';
import { ACTION_CODE_PATTERN, trackedAttributes } from './actions.js';
import type { ActionConfigService } from './config-service.js';
import { byPriority, decide, stateOf } from './rules.js';
import type { ActionStore, RecordedAction } from './store.js';
import type { RuleContext } from './variables.js';

export interface SimulateDeps {
  clock: Clock;
  actionStore: Pick<ActionStore, 'recordedPage'>;
  actionConfigs: Pick<ActionConfigService, 'draftPolicy'>;
}

export interface SimulateRequest {
  days: number;
  defaultAction?: string;
  rules: Record<string, unknown>[];
}

const DAY_MS = 86_400_000;
export const MAX_SIMULATION_DAYS = 30;
const PAGE = 2_000;
const SAMPLE_SIZE = 20;
/** A bound on one request's work; a tenant with more tracked actions in the window sees `truncated`. */
const MAX_EVALUATED = 1_000_000;

/**
 * What track computed from state that has moved on since, and did not store: the simulation cannot
 * give these variables their value at track time, so it evaluates them as missing (null). Only the
 * variables the draft reads are reported. docs/rules.md lists them too.
 */
const NOT_RECONSTRUCTED: [test: (name: string) => boolean, why: string][] = [
  [
    (n) => n.startsWith('velocity.'),
    'velocity.sameActionLast<N>Minutes: the counts of earlier actions as they were at track time are not stored; evaluated as null',
  ],
  [
    (n) => n === 'device.isNew',
    'device.isNew: whether the device was new at track time is not stored (the device history has moved on); evaluated as null',
  ],
  [
    (n) => n === 'user.isEnrolled',
    "user.isEnrolled: the user's authenticators at track time are not stored; evaluated as null",
  ],
  [
    (n) => n === 'user.email',
    'user.email: known only when that track sent attributes.email; otherwise evaluated as null',
  ],
  [
    (n) => n === 'user.phoneNumber' || n === 'user.phoneNumberCountryCode',
    'user.phoneNumber and user.phoneNumberCountryCode: known only when that track sent attributes.phoneNumber; otherwise evaluated as null',
  ],
];

/**
 * Simulate: applies a draft rule set to the actions of one code tracked in the last `days` days, from
 * what track stored with each (its attributes), with the rule engine track uses, and reports which
 * outcomes would change from the one recorded. Reads newest first in keyset pages of the
 * actions_code_time index; the rules are compiled once and one context object is refilled per action.
 */
export async function simulateRules(d: SimulateDeps, tenantId: string, actionCode: string, req: SimulateRequest) {
  const started = performance.now();
  if (!ACTION_CODE_PATTERN.test(actionCode)) throw invalidRequest('action must match ^[a-zA-Z0-9_-]{1,64}$');
  if (!Number.isInteger(req.days) || req.days < 1 || req.days > MAX_SIMULATION_DAYS) {
    throw invalidRequest(`days must be an integer from 1 to ${MAX_SIMULATION_DAYS}`);
  }
  const policy = await d.actionConfigs.draftPolicy(tenantId, actionCode, req);
  const ordered = byPriority(policy.rules);
  const defaultState = stateOf(policy.defaultOutcome);
  const reads = new Set(policy.rules.flatMap((r) => r.variables));
  const read = (name: string) => reads.has(name);
  const fill = contextFiller(actionCode, read('ip.location.country.countryCode'), read('user.phoneNumberCountryCode'));

  const transitions = new Map<string, Map<string, number>>();
  const sample: {
    actionId: string;
    userId: string | null;
    createdAt: string;
    from: string;
    to: string;
    ruleName: string | null;
  }[] = [];
  let evaluated = 0;
  let changed = 0;
  let truncated = false;
  const since = d.clock.now() - req.days * DAY_MS;
  let before: { createdAt: number; key: string } | undefined;
  for (;;) {
    const page = await d.actionStore.recordedPage(tenantId, actionCode, since, before, PAGE);
    for (const action of page) {
      const rule = decide(ordered, fill(action));
      const to = rule ? stateOf(rule.type) : defaultState;
      evaluated += 1;
      if (to === action.outcome) continue;
      changed += 1;
      let row = transitions.get(action.outcome);
      if (!row) {
        row = new Map();
        transitions.set(action.outcome, row);
      }
      row.set(to, (row.get(to) ?? 0) + 1);
      if (sample.length < SAMPLE_SIZE) {
        sample.push({
          actionId: action.idempotency_key,
          userId: action.user_id,
          createdAt: new Date(action.created_at).toISOString(),
          from: action.outcome,
          to,
          ruleName: rule?.name ?? null,
        });
      }
    }
    const last = page[page.length - 1];
    if (!last || page.length < PAGE) break;
    if (evaluated >= MAX_EVALUATED) {
      truncated = true;
      break;
    }
    before = { createdAt: last.created_at, key: last.idempotency_key };
  }
  return {
    evaluated,
    changed,
    unchanged: evaluated - changed,
    transitions: [...transitions].flatMap(([from, tos]) => [...tos].map(([to, count]) => ({ from, to, count }))),
    sample,
    notReconstructed: NOT_RECONSTRUCTED.filter(([test]) => [...reads].some(test)).map(([, why]) => why),
    truncated,
    days: req.days,
    defaultAction: policy.defaultOutcome,
    tookMs: Math.round(performance.now() - started),
  };
}

/** As track read its body: a string member is its value, anything else is absent. */
const str = (value: unknown): string | null => (typeof value === 'string' ? value : null);

/**
 * Rebuilds, for each recorded action, the context track built, from what track stored: the attributes
 * are track's body, so the IP, device, user agent, custom data and the email or number sent are exact.
 * One object is refilled per action; the IP's country and the number's country are computed only when a
 * rule reads them, and each distinct IP once.
 */
function contextFiller(actionCode: string, wantsIpCountry: boolean, wantsPhoneCountry: boolean) {
  const context: RuleContext = {
    action: { code: actionCode },
    ip: { address: null, location: { country: { countryCode: null } } },
    device: { id: null, isNew: null, userAgent: null },
    user: { id: '', isEnrolled: null, email: null, phoneNumber: null, phoneNumberCountryCode: null },
    velocity: {},
    custom: {},
  };
  const countries = new Map<string, string | null>();
  return (action: RecordedAction): RuleContext => {
    const a = trackedAttributes(action.attributes);
    const ip = str(a.ipAddress);
    context.ip.address = ip;
    if (wantsIpCountry) {
      let country = ip === null ? null : countries.get(ip);
      if (country === undefined && ip !== null) {
        country = countryOfIp(ip);
        if (countries.size < 100_000) countries.set(ip, country);
      }
      context.ip.location.country.countryCode = country ?? null;
    }
    context.device.id = str(a.deviceId);
    context.device.userAgent = str(a.userAgent);
    context.user.id = action.user_id ?? '';
    context.user.email = str(a.email);
    // track normalises a number it is given (and keeps it as given when it does not parse).
    const phone = typeof a.phoneNumber === 'string' && a.phoneNumber !== '' ? phoneAttribute(a.phoneNumber) : null;
    context.user.phoneNumber = phone;
    context.user.phoneNumberCountryCode = phone && wantsPhoneCountry ? phoneCountry(phone) : null;
    const custom = a.custom;
    context.custom =
      typeof custom === 'object' && custom !== null && !Array.isArray(custom) ? (custom as RuleContext['custom']) : {};
    return context;
  };
}
