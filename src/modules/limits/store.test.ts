import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { databases } from '../../../test/helpers/databases.js';
import { loadConfig } from '../../config.js';
import { createDeps, type Deps } from '../../deps.js';
import { migrate } from '../../storage/db.js';
import { DatabaseCounters } from './counters.js';

const key = () => `test:${randomBytes(6).toString('hex')}:60000`;

describe.each(databases)('limit counters and decision records on $name', (database) => {
  let deps: Deps;
  let tenantId: string;
  beforeAll(async () => {
    deps = await createDeps(
      loadConfig({ NODE_ENV: 'test', SIGIL_MASTER_KEY: randomBytes(32).toString('base64'), ...database.env() }),
    );
    await migrate(deps.db);
    tenantId = (await deps.tenantService.create('limits-store')).tenantId;
  });
  afterAll(() => deps.close());

  it('adds within a window, and starts a new window once it has passed', async () => {
    const k = key();
    const store = deps.limitsStore;
    expect(await store.addPoints(k, 1, 60_000, 1_000)).toEqual({ points: 1, expiresAt: 61_000 });
    expect(await store.addPoints(k, 2, 60_000, 30_000)).toEqual({ points: 3, expiresAt: 61_000 });
    expect(await store.counter(k, 60_999)).toEqual({ points: 3, expiresAt: 61_000 });
    expect(await store.counter(k, 61_000)).toBeUndefined();
    expect(await store.addPoints(k, 1, 60_000, 61_000)).toEqual({ points: 1, expiresAt: 121_000 });
  });

  it('resets a counter in the same upsert as other adds: gone for a peek, a new window on the next add', async () => {
    const [reset, added, absent] = [key(), key(), key()];
    const store = deps.limitsStore;
    await store.addPoints(reset, 5, 60_000, 1_000);
    const states = await store.addPointsMany(
      [
        { key: reset, points: 0, windowMs: 0 },
        { key: added, points: 1, windowMs: 60_000 },
        { key: absent, points: 0, windowMs: 0 },
      ],
      2_000,
    );
    expect(states.get(added)).toEqual({ points: 1, expiresAt: 62_000 });
    expect(await store.countersMany([reset, added, absent], 2_000)).toEqual(new Map([[added, states.get(added)]]));
    expect(await store.addPoints(reset, 1, 60_000, 3_000)).toEqual({ points: 1, expiresAt: 63_000 });
    expect(await store.addPoints(absent, 1, 60_000, 3_000)).toEqual({ points: 1, expiresAt: 63_000 });
  });

  it('resets and adds through DatabaseCounters in one turn: each key as if alone', async () => {
    const counters = new DatabaseCounters(deps.limitsStore, { now: () => 10_000 });
    const [a, b] = [key(), key()];
    await Promise.all([counters.add(a, 3, 60_000), counters.add(b, 2, 60_000)]);
    const [, afterB] = await Promise.all([counters.reset(a), counters.add(b, 1, 60_000)]);
    expect(afterB.count).toBe(3);
    expect(await counters.peek(a)).toBeUndefined();
    expect(await counters.add(a, 1, 60_000)).toEqual({ count: 1, resetInMs: 60_000 });
  });

  it('gives 100 simultaneous adds the counts 1 to 100, each once', async () => {
    const k = key();
    const counts = await Promise.all(
      Array.from({ length: 100 }, () => deps.limitsStore.addPoints(k, 1, 60_000, Date.now())),
    );
    expect(counts.map((c) => c.points).sort((a, b) => a - b)).toEqual(Array.from({ length: 100 }, (_, i) => i + 1));
  });

  it('purges only counters whose window has ended, and decisions older than the cutoff with their triggers', async () => {
    const [old, live] = [key(), key()];
    await deps.limitsStore.addPoints(old, 1, 1_000, 0);
    await deps.limitsStore.addPoints(live, 1, 60_000, Date.now());
    expect(await deps.limitsStore.purgeCounters(Date.now() - 60_000, 10_000)).toBeGreaterThanOrEqual(1);
    expect(await deps.limitsStore.counter(old, 0)).toBeUndefined();
    expect(await deps.limitsStore.counter(live, Date.now())).toBeDefined();

    const decision = (id: string, at: number) => ({
      id,
      tenant_id: tenantId,
      at,
      kind: 'send',
      outcome: 'refused',
      defence: 'sending_limit',
      challenge_id: null,
      phone_number: '+64211234567',
      country: 'NZ',
      prefix: '6421',
      ip_address: null,
      user_id: null,
      provider: null,
    });
    const trigger = (id: string, at: number) => ({
      decision_id: id,
      tenant_id: tenantId,
      at,
      defence: 'sending_limit',
      mode: 'enforce',
      retry_after_ms: 1,
    });
    const [oldId, newId] = [`d-${randomBytes(4).toString('hex')}`, `d-${randomBytes(4).toString('hex')}`];
    await deps.limitsStore.recordDecision(decision(oldId, 1_000), [trigger(oldId, 1_000)]);
    await deps.limitsStore.recordDecision(decision(newId, Date.now()), [trigger(newId, Date.now())]);
    expect(await deps.limitsStore.purgeDecisions(2_000, 10_000)).toBe(1);
    expect((await deps.limitsStore.decisions(tenantId, { limit: 10 })).map((d) => d.id)).toEqual([newId]);
    expect(await deps.limitsStore.triggersOf(tenantId, [oldId, newId])).toHaveLength(1);
  });
});
