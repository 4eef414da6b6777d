import type { Clock } from '../../lib/clock.js';
import type { ActionConfigService } from './config-service.js';
import { RULE_OUTCOMES, stateOf } from './rules.js';
import type { ActionStore } from './store.js';

export interface SummaryDeps {
  clock: Clock;
  actionStore: Pick<ActionStore, 'codesLastSeen' | 'outcomeCounts'>;
  actionConfigs: Pick<ActionConfigService, 'configuredCodes'>;
}

const DAY_MS = 86_400_000;
/** The states the rules can give an action at track time: the outcomes counted. */
const OUTCOME_STATES = RULE_OUTCOMES.map(stateOf);
type OutcomeCounts = Record<(typeof OUTCOME_STATES)[number], number>;

/**
 * The portal's actions page: every action code of the tenant, configured or only tracked, with its last
 * sighting and its last 24 hours by the outcome the rules gave at track time (a later challenge or review
 * does not move an action from its count). Both reads come from the actions_code_time index.
 */
export async function actionsSummary(d: SummaryDeps, tenantId: string) {
  const since = d.clock.now() - DAY_MS;
  const [seen, configured] = await Promise.all([
    d.actionStore.codesLastSeen(tenantId),
    d.actionConfigs.configuredCodes(tenantId),
  ]);
  const counts = await d.actionStore.outcomeCounts(
    tenantId,
    seen.map((s) => s.actionCode),
    since,
  );
  const lastSeen = new Map(seen.map((s) => [s.actionCode, s.lastSeenAt]));
  const configuredSet = new Set(configured);
  const codes = [...new Set([...lastSeen.keys(), ...configured])].sort();
  const byCode = new Map(codes.map((code) => [code, zero()]));
  for (const c of counts) {
    const row = byCode.get(c.actionCode);
    if (row && Object.hasOwn(row, c.outcome)) row[c.outcome as keyof OutcomeCounts] += c.count;
  }
  return codes.map((actionCode) => {
    const at = lastSeen.get(actionCode);
    return {
      actionCode,
      configured: configuredSet.has(actionCode),
      lastSeenAt: at === undefined ? null : new Date(at).toISOString(),
      last24h: byCode.get(actionCode) ?? zero(),
    };
  });
}

function zero(): OutcomeCounts {
  return Object.fromEntries(OUTCOME_STATES.map((s) => [s, 0])) as OutcomeCounts;
}
