import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { databases } from '../../test/helpers/databases.js';
import { loadConfig } from '../config.js';
import { createDeps, type Deps } from '../deps.js';
import { migrate } from './db.js';
import type { ChallengeRow } from './schema.js';
import { OutsideTransactionError } from './transactions.js';

/** Fails the test with a clear message instead of letting it hang to the suite's timeout. */
function within<T>(ms: number, promise: Promise<T>, what: string): Promise<T> {
  return Promise.race([
    promise,
    new Promise<never>((_, reject) => setTimeout(() => reject(new Error(`${what} did not settle in ${ms} ms`)), ms)),
  ]);
}

function challenge(tenantId: string, id: string): ChallengeRow {
  const now = Date.now();
  return {
    id,
    tenant_id: tenantId,
    idempotency_key: `key-${id}`,
    user_id: null,
    action_code: 'signIn',
    verification_method: 'SMS',
    phone_number: '+64211234567',
    scope: null,
    locale: null,
    code_hash: 'hash',
    attempts: 0,
    max_attempts: 5,
    send_count: 1,
    last_sent_at: now,
    created_at: now,
    expires_at: now + 600_000,
    verified_at: null,
    claimed_at: null,
    claimed_user_id: null,
    failed_reason: null,
    authenticator_id: null,
  };
}

describe.each(databases)('unit of work on $name', (database) => {
  let deps: Deps;
  let tenantId: string;

  beforeAll(async () => {
    const config = loadConfig({
      NODE_ENV: 'test',
      SIGIL_MASTER_KEY: randomBytes(32).toString('base64'),
      ...database.env(),
    });
    deps = await createDeps(config);
    await migrate(deps.db);
    tenantId = (await deps.tenantService.create('uow')).tenantId;
  });
  afterAll(() => deps.close());

  it('refuses at once a query to a store outside the open transaction, and rolls the transaction back', async () => {
    const id = `c-${randomBytes(4).toString('hex')}`;
    const attempt = deps.transaction(async (tx) => {
      await tx.challenges.insert(challenge(tenantId, id));
      // The mistake the unit of work exists to catch: the store of deps, not the one on tx.
      return deps.challengeStore.get(tenantId, id);
    });
    const err = await within(5_000, attempt, 'the stray query').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(OutsideTransactionError);
    expect((err as Error).message).toMatch(/use only the stores on tx/);
    // The error rolled the transaction back, and the stores of deps work again once it has ended.
    expect(await deps.challengeStore.get(tenantId, id)).toBeUndefined();
  });

  it('refuses a second transaction opened inside the first', async () => {
    const nested = deps.transaction(() => deps.transaction(async () => 'inner'));
    await expect(within(5_000, nested, 'the nested transaction')).rejects.toBeInstanceOf(OutsideTransactionError);
  });

  it('commits what the transaction wrote through its own stores', async () => {
    const id = `c-${randomBytes(4).toString('hex')}`;
    const seen = await deps.transaction(async (tx) => {
      await tx.challenges.insert(challenge(tenantId, id));
      return tx.challenges.countAttempt(tenantId, id);
    });
    expect(seen?.attempts).toBe(1);
    expect((await deps.challengeStore.get(tenantId, id))?.attempts).toBe(1);
  });

  it('does not refuse other requests that run while a transaction is open', async () => {
    const id = `c-${randomBytes(4).toString('hex')}`;
    let release!: () => void;
    const held = new Promise<void>((resolve) => {
      release = resolve;
    });
    let entered!: () => void;
    const inside = new Promise<void>((resolve) => {
      entered = resolve;
    });
    const open = deps.transaction(async (tx) => {
      await tx.challenges.insert(challenge(tenantId, id));
      entered();
      await held;
    });
    await inside;
    // Another request's query (not descended from the transaction) waits for it on SQLite, or runs
    // beside it on PostgreSQL; either way it is served, and sees only committed data.
    const other = deps.challengeStore.get(tenantId, id);
    release();
    await within(5_000, open, 'the transaction');
    const row = await within(5_000, other, 'the other request');
    expect(row === undefined || row.id === id).toBe(true);
    expect((await deps.challengeStore.get(tenantId, id))?.id).toBe(id);
  });
});
